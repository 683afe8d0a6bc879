// SPDX-License-Identifier: GPL-2.0
/*
 * rvk-kexec-fuzz: random kexec_load(2) and kexec_file_load(2) calls, from a
 * seed, with every errno tallied. The same seed gives the same calls, so a
 * run on one kernel can be repeated on another and the tallies compared.
 *
 *   rvk-kexec-fuzz load SEED N            N kexec_load(2) calls
 *   rvk-kexec-fuzz file SEED N FILE...    N kexec_file_load(2) calls of
 *                                         damaged copies of the FILEs
 *   rvk-kexec-fuzz race SEED N            N random loads, replacements and
 *                                         unloads of a small valid image,
 *                                         each retried while EBUSY (run
 *                                         several at once)
 *
 * kexec_load segment lists: 0 to KEXEC_SEGMENT_MAX + 1 segments, most of
 * them well formed (page aligned, inside RAM or the crash kernel region,
 * not overlapping) so that the calls reach the architecture's checks, and
 * some broken on purpose: unaligned, overlapping or outside RAM
 * destinations, bufsz > memsz, NULL, unmapped or short user buffers. The
 * buffers hold the live device tree, intact or damaged (wrong magic,
 * totalsize larger or smaller than the buffer, misaligned copy), or junk.
 * kexec_file_load: kernels truncated at random, header bytes overwritten, a
 * field the loaders read (Image: text_offset, image_size, flags, magic;
 * ELF: e_phoff, e_phnum, p_offset, p_filesz, p_memsz, ...) given a bad
 * value.
 *
 * The calls depend on the seed, the size of the live FDT, whether there is
 * a crash kernel region and the kernel files; never on the kernel's
 * answers. "answers=" hashes the sequence of (call, errno): two kernels
 * answered every kexec_load() call alike iff it is equal.
 *
 * Output: "RVK-FUZZ-ERRNO <what> seed=S calls=N 0=a EINVAL=b ..." (errno
 * names in numeric order; 0 = accepted, then unloaded again or replaced).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kexec.h>

#include "rvk-fdt.h"

#define PAGE 4096UL
#define POOL_PAGES 256
#define MAX_ERRNO 256

static unsigned char fdt[64 * PAGE];
_Static_assert(POOL_PAGES >= sizeof(fdt) / PAGE + 2, "the pool holds an FDT copy");

static uint64_t rng;

/* splitmix64: small, good enough, and the same on every kernel. */
static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned long below(unsigned long n)
{
	return n ? next() % n : 0;
}

static int chance(unsigned int percent)
{
	return below(100) < percent;
}

static unsigned long tally[MAX_ERRNO + 1];
static unsigned long loaded;	/* accepted kexec_load() calls with segments */
static uint64_t answers = 0xcbf29ce484222325ULL;

/* FNV-1a of the (call, errno) sequence: equal on two kernels iff every answer is. */
static void trace(unsigned long i, long rc)
{
	uint64_t v = i << 16 | (rc ? errno : 0);

	for (int b = 0; b < 8; b++)
		answers = (answers ^ ((v >> (8 * b)) & 0xff)) * 0x100000001b3ULL;
}

static void count(long rc)
{
	int e = rc ? errno : 0;

	tally[e >= 0 && e < MAX_ERRNO ? e : MAX_ERRNO]++;
}

static const char *errname(int e)
{
	static char other[16];

	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case EOVERFLOW: return "EOVERFLOW";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EKEYREJECTED: return "EKEYREJECTED";
	case MAX_ERRNO: return "other";
	}
	snprintf(other, sizeof(other), "errno%d", e);
	return other;
}

/* The tally; calls counts the system calls made (retries included). */
static void print_tally(const char *what, unsigned long seed)
{
	unsigned long calls = 0;
	int e;

	for (e = 0; e <= MAX_ERRNO; e++)
		calls += tally[e];
	printf("RVK-FUZZ-ERRNO %s seed=%lu calls=%lu", what, seed, calls);
	for (e = 0; e <= MAX_ERRNO; e++)
		if (tally[e])
			printf(" %s=%lu", errname(e), tally[e]);
	printf("\n");
	fflush(stdout);
}

struct range {
	unsigned long start, end;	/* end exclusive; 0/0 if absent */
};

/*
 * The first top-level "System RAM" range and the "Crash kernel" range of
 * /proc/iomem.
 */
static void read_iomem(struct range *ram, struct range *crash)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	unsigned long s, e;

	memset(ram, 0, sizeof(*ram));
	memset(crash, 0, sizeof(*crash));
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %lx-%lx", &s, &e) != 2)
			continue;
		if (line[0] != ' ' && strstr(line, "System RAM") && !ram->end) {
			ram->start = s;
			ram->end = e + 1;
		} else if (strstr(line, "Crash kernel")) {
			crash->start = s;
			crash->end = e + 1;
		}
	}
	if (f)
		fclose(f);
}

static unsigned char *pool;	/* POOL_PAGES pages, page aligned */
static unsigned char *hole;	/* a page that is not mapped */
static size_t fdt_len;

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/*
 * Fill the pool at page @pg with the live FDT (@fdt_kind 0: intact, 1:
 * damaged, 2: intact at an address that is not 8-byte aligned, so the
 * kernel copies it from an unaligned user buffer) or, @fdt_kind -1, with
 * zeros or junk; returns the buffer and sets *len to a length that fits.
 */
static unsigned char *content(unsigned long pg, int fdt_kind, size_t *len)
{
	unsigned char *p = pool + pg * PAGE;
	size_t room = (POOL_PAGES - pg) * PAGE - 8, n;

	if (fdt_kind >= 0) {
		n = fdt_len < room ? fdt_len : room;
		if (fdt_kind == 2)
			p += 1 + below(7);
		memcpy(p, fdt, n);
		if (fdt_kind == 1) {
			switch (below(4)) {
			case 0: p[below(4)] ^= 1 + below(255); break;	/* magic */
			case 1: put_be32(p + 4, n + 1 + below(1 << 20)); break; /* totalsize > buf */
			case 2: put_be32(p + 4, below(40)); break;	/* < header */
			case 3: put_be32(p + 8 + 4 * below(6), next()); break; /* offsets */
			}
		}
		*len = n;
		return p;
	}
	n = 1 + below(room < 4 * PAGE ? room : 4 * PAGE);
	if (below(2))
		memset(p, 0, n);
	else
		for (size_t i = 0; i < n; i++)
			p[i] = next();
	*len = n;
	return p;
}

static unsigned long round_up(unsigned long x)
{
	return (x + PAGE - 1) & ~(PAGE - 1);
}

/*
 * One kexec_load() call. Most lists are well formed, so that they pass the
 * core's checks and reach the architecture: one FDT segment (intact,
 * damaged or misaligned in user memory; none in one list of ten), the
 * others zeros or junk. Three lists in ten carry one damage.
 */
static long load_one(const struct range *ram, const struct range *crash, int *crash_used)
{
	struct kexec_segment segs[KEXEC_SEGMENT_MAX + 1];
	unsigned long nr, i, flags = KEXEC_ARCH_DEFAULT, entry, pg = 0;
	const struct range *dst = ram;
	unsigned long at, fdt_at, damaged;
	int on_crash = chance(20), fdt_kind = below(3);

	memset(segs, 0, sizeof(segs));
	if (chance(5))
		nr = KEXEC_SEGMENT_MAX + 1;
	else if (chance(5))
		nr = 0;
	else
		nr = 1 + below(KEXEC_SEGMENT_MAX);
	fdt_at = chance(90) ? below(nr) : nr;
	damaged = chance(30) ? below(nr) : nr;
	if (crash->end && on_crash) {
		flags |= KEXEC_ON_CRASH;
		dst = crash;
	}
	if (chance(3))
		flags |= (unsigned long)(1 + below(62)) << 16;	/* an arch we are not */
	/* Destinations in order, a random gap between them, inside dst. */
	at = dst->start + round_up(below((dst->end - dst->start) / 4));
	for (i = 0; i < nr && i <= KEXEC_SEGMENT_MAX; i++) {
		size_t len;
		unsigned char *buf = content(pg, i == fdt_at ? fdt_kind : -1, &len);

		segs[i].buf = buf;
		segs[i].bufsz = len;
		segs[i].memsz = round_up(len) + PAGE * below(4);
		segs[i].mem = (void *)at;
		pg = (pg + round_up(len) / PAGE + 1) % (POOL_PAGES - 1);
		switch (i == damaged ? below(9) : 9) {
		case 0: segs[i].mem = (void *)(at + 1 + below(PAGE - 1)); break;	/* unaligned */
		case 1: if (i) segs[i].mem = segs[i - 1].mem; break;		/* overlapping */
		case 2: segs[i].mem = (void *)(dst->end + round_up(below(1UL << 32))); break;
		case 3: segs[i].mem = (void *)round_up(below(ram->start)); break; /* below RAM */
		case 4: segs[i].memsz = segs[i].bufsz - 1; break;		/* bufsz > memsz */
		case 5: segs[i].buf = NULL; break;
		case 6: segs[i].buf = hole + below(PAGE); break;		/* unmapped */
		case 7: /* runs off the end of the pool into the hole */
			segs[i].buf = pool + POOL_PAGES * PAGE - 1 - below(64);
			segs[i].bufsz = 64 + below(PAGE);
			if (segs[i].memsz < segs[i].bufsz)
				segs[i].memsz = round_up(segs[i].bufsz);
			break;
		case 8: segs[i].memsz = -PAGE * (1 + below(4)); break;	/* wraps */
		}
		at = (unsigned long)segs[i].mem + round_up(segs[i].memsz) +
		     PAGE * below(64);
	}
	entry = nr && chance(80) ? (unsigned long)segs[below(nr)].mem + 4 * below(64) :
				   next();
	long rc = syscall(SYS_kexec_load, entry, nr, segs, flags);

	if (!rc && nr)
		*crash_used = !!(flags & KEXEC_ON_CRASH);
	return rc;
}

static int fuzz_load(unsigned long seed, unsigned long calls)
{
	struct range ram, crash;
	unsigned long i;

	read_iomem(&ram, &crash);
	if (!ram.end) {
		printf("RVK-FAIL no System RAM in /proc/iomem\n");
		return 1;
	}
	for (i = 0; i < calls; i++) {
		/* Drawn whatever the kernel answers: the calls depend on the seed only. */
		int crash_used = -1, unload = chance(50);
		long rc = load_one(&ram, &crash, &crash_used);

		count(rc);
		trace(i, rc);
		if (crash_used >= 0) {
			loaded++;
			/* Unload half of what was accepted; the other half is replaced. */
			if (unload)
				syscall(SYS_kexec_load, 0UL, 0UL, NULL,
					crash_used ? KEXEC_ON_CRASH : KEXEC_ARCH_DEFAULT);
		}
	}
	syscall(SYS_kexec_load, 0UL, 0UL, NULL, KEXEC_ARCH_DEFAULT);
	syscall(SYS_kexec_load, 0UL, 0UL, NULL, KEXEC_ON_CRASH);
	printf("RVK-FUZZ ram=%#lx-%#lx crash=%#lx-%#lx images_loaded=%lu answers=%016llx\n",
	       ram.start, ram.end, crash.start, crash.end, loaded,
	       (unsigned long long)answers);
	print_tally("kexec_load", seed);
	return 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	off_t n = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	unsigned char *p;

	if (n <= 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	p = malloc(n);
	if (p && pread(fd, p, n, 0) != n) {
		free(p);
		p = NULL;
	}
	close(fd);
	*len = n;
	return p;
}

struct field {
	unsigned int off, size;	/* little endian */
};

/* The header fields riscv's Image and ELF loaders read. */
static const struct field image_fields[] = {
	{ 0x08, 8 },	/* text_offset */
	{ 0x10, 8 },	/* image_size */
	{ 0x18, 8 },	/* flags */
	{ 0x20, 4 },	/* version */
	{ 0x38, 4 },	/* magic2 "RSC\x05" */
};
static const struct field elf_fields[] = {
	{ 0x20, 8 },	/* e_phoff */
	{ 0x36, 2 },	/* e_phentsize */
	{ 0x38, 2 },	/* e_phnum */
	{ 0x18, 8 },	/* e_entry */
};
static const struct field phdr_fields[] = {
	{ 0x00, 4 },	/* p_type */
	{ 0x08, 8 },	/* p_offset */
	{ 0x10, 8 },	/* p_vaddr */
	{ 0x18, 8 },	/* p_paddr */
	{ 0x20, 8 },	/* p_filesz */
	{ 0x28, 8 },	/* p_memsz */
	{ 0x30, 8 },	/* p_align */
};

static uint64_t get_le(const unsigned char *p, unsigned int size)
{
	uint64_t v = 0;

	while (size--)
		v = v << 8 | p[size];
	return v;
}

static void put_le(unsigned char *p, unsigned int size, uint64_t v)
{
	for (unsigned int b = 0; b < size; b++, v >>= 8)
		p[b] = v;
}

/*
 * Gives one header field of @img a new value: random, 0, all ones, or the
 * old one moved by up to a page or doubled.
 */
static void damage_header(unsigned char *img, size_t len)
{
	static const unsigned char elf_magic[4] = { 0x7f, 'E', 'L', 'F' };
	const struct field *f;
	unsigned long base = 0;
	uint64_t v;

	if (len < 64)
		return;
	if (!memcmp(img, elf_magic, 4)) {
		uint64_t phoff = get_le(img + 0x20, 8);

		if (chance(50) && phoff + 56 <= len) {
			f = &phdr_fields[below(sizeof(phdr_fields) / sizeof(*f))];
			base = phoff;
		} else {
			f = &elf_fields[below(sizeof(elf_fields) / sizeof(*f))];
		}
	} else {
		f = &image_fields[below(sizeof(image_fields) / sizeof(*f))];
	}
	v = get_le(img + base + f->off, f->size);
	switch (below(5)) {
	case 0: v = next(); break;
	case 1: v = 0; break;
	case 2: v = ~0ULL; break;
	case 3: v += below(2) ? 1 + below(PAGE) : -(1 + below(PAGE)); break;
	default: v *= 2; break;
	}
	put_le(img + base + f->off, f->size, v);
}

static int fuzz_file(unsigned long seed, unsigned long calls, int nfiles, char **files)
{
	static const char cmdline[] = "console=ttyS0";
	const char *tmp = "/tmp/rvk-fuzz.img";
	unsigned long i;
	int f;

	for (i = 0; i < calls; i++) {
		size_t len, n;
		unsigned char *img = slurp(files[below(nfiles)], &len);
		int fd;
		long rc;

		if (!img) {
			printf("RVK-FAIL cannot read the kernels to damage\n");
			return 1;
		}
		n = len;
		switch (below(4)) {
		case 0: /* truncated */
			n = below(len);
			break;
		case 1: /* bytes of the first 256 (Image header, ELF and program headers) */
			for (f = 1 + below(8); f; f--)
				img[below(len < 256 ? len : 256)] = next();
			break;
		case 2: /* one field of the Image or ELF header a loader reads */
			damage_header(img, len);
			break;
		default: /* truncated and damaged */
			n = below(len);
			for (f = 1 + below(4); f && n; f--)
				img[below(n < 256 ? n : 256)] = next();
			break;
		}
		fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY, 0600);
		if (fd < 0 || write(fd, img, n) != (ssize_t)n) {
			printf("RVK-FAIL cannot write %s\n", tmp);
			return 1;
		}
		close(fd);
		free(img);
		fd = open(tmp, O_RDONLY);
		rc = syscall(SYS_kexec_file_load, fd, -1, sizeof(cmdline), cmdline,
			     KEXEC_FILE_NO_INITRAMFS);
		count(rc);
		close(fd);
		if (!rc)
			syscall(SYS_kexec_file_load, -1, -1, 0, NULL, KEXEC_FILE_UNLOAD);
	}
	unlink(tmp);
	print_tally("kexec_file_load", seed);
	return 0;
}

/*
 * A valid two-segment image (the live FDT; one page of code in 4 MiB, so
 * that a load holds the core's lock long enough to be raced) loaded at a
 * random place, replaced or unloaded, @calls times. A call that meets the
 * lock held (EBUSY) is retried after a random pause of up to a millisecond,
 * at most 20000 times; the EBUSY answers are tallied with the rest.
 */
static int fuzz_race(unsigned long seed, unsigned long calls)
{
	struct range ram, crash;
	struct kexec_segment segs[2];
	unsigned long i, dest, tries;

	read_iomem(&ram, &crash);
	memcpy(pool, fdt, fdt_len);
	for (i = 0; i < calls; i++) {
		int unload = chance(30);
		long rc;

		dest = ram.start + 0x8000000 + round_up(below(0x4000000));
		segs[0].buf = pool;
		segs[0].bufsz = fdt_len;
		segs[0].mem = (void *)dest;
		segs[0].memsz = round_up(fdt_len);
		segs[1].buf = pool + (POOL_PAGES - 1) * PAGE;
		segs[1].bufsz = PAGE;
		segs[1].mem = (void *)(dest + 0x1000000);
		segs[1].memsz = 1024 * PAGE;
		for (tries = 0; tries < 20000; tries++) {
			if (unload)
				rc = syscall(SYS_kexec_load, 0UL, 0UL, NULL, KEXEC_ARCH_DEFAULT);
			else
				rc = syscall(SYS_kexec_load, dest + 0x1000000, 2UL, segs,
					     KEXEC_ARCH_DEFAULT);
			count(rc);
			if (!rc || errno != EBUSY)
				break;
			usleep(100 + below(900));
		}
	}
	print_tally("race", seed);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long seed, calls;

	if (argc < 4) {
		fprintf(stderr, "usage: %s load|file|race SEED N [FILE...]\n", argv[0]);
		return 2;
	}
	seed = strtoul(argv[2], NULL, 0);
	calls = strtoul(argv[3], NULL, 0);
	rng = seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	pool = mmap(NULL, (POOL_PAGES + 1) * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pool == MAP_FAILED)
		return 1;
	/* The page after the pool is inaccessible: short buffers run into it. */
	hole = pool + POOL_PAGES * PAGE;
	mprotect(hole, PAGE, PROT_NONE);
	fdt_len = read_live_fdt(fdt, sizeof(fdt));
	if (fdt_len < 40) {
		printf("RVK-FAIL cannot read /sys/firmware/fdt\n");
		return 1;
	}
	if (!strcmp(argv[1], "load"))
		return fuzz_load(seed, calls);
	if (!strcmp(argv[1], "file") && argc > 4)
		return fuzz_file(seed, calls, argc - 4, argv + 4);
	if (!strcmp(argv[1], "race"))
		return fuzz_race(seed, calls);
	fprintf(stderr, "%s: unknown mode %s\n", argv[0], argv[1]);
	return 2;
}
