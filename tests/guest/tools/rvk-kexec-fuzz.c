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
 * kexec_file_load: kernels truncated at random, headers overwritten.
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
static unsigned char fdt[64 * PAGE];
static size_t fdt_len;

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/*
 * Fill the pool at page @pg with one kind of content; returns the buffer
 * to hand to the kernel and sets *len to a length that fits it.
 */
static unsigned char *content(unsigned long pg, size_t *len)
{
	unsigned char *p = pool + pg * PAGE;
	size_t room = (POOL_PAGES - pg) * PAGE, n;

	switch (below(6)) {
	case 0: /* the live FDT */
	case 1: /* the live FDT, damaged */
		n = fdt_len < room ? fdt_len : room;
		memcpy(p, fdt, n);
		if (n >= 40 && below(2)) {
			switch (below(4)) {
			case 0: p[below(4)] ^= 1 + below(255); break;	/* magic */
			case 1: put_be32(p + 4, n + 1 + below(1 << 20)); break; /* totalsize > buf */
			case 2: put_be32(p + 4, below(40)); break;	/* < header */
			case 3: put_be32(p + 8 + 4 * below(6), next()); break; /* offsets */
			}
		}
		*len = n;
		return p;
	case 2: /* the live FDT at an address that is not 8-byte aligned */
		n = fdt_len + 8 < room ? fdt_len : room - 8;
		p += 1 + below(7);
		memcpy(p, fdt, n);
		*len = n;
		return p;
	case 3: /* zeros */
		n = 1 + below(room < 4 * PAGE ? room : 4 * PAGE);
		memset(p, 0, n);
		*len = n;
		return p;
	default: /* junk */
		n = 1 + below(room < 4 * PAGE ? room : 4 * PAGE);
		for (size_t i = 0; i < n; i++)
			p[i] = next();
		*len = n;
		return p;
	}
}

static unsigned long round_up(unsigned long x)
{
	return (x + PAGE - 1) & ~(PAGE - 1);
}

static long load_one(const struct range *ram, const struct range *crash, int *crash_used)
{
	struct kexec_segment segs[KEXEC_SEGMENT_MAX + 1];
	unsigned long nr, i, flags = KEXEC_ARCH_DEFAULT, entry, pg = 0;
	const struct range *dst = ram;
	unsigned long at;

	memset(segs, 0, sizeof(segs));
	if (chance(5))
		nr = KEXEC_SEGMENT_MAX + 1;
	else if (chance(5))
		nr = 0;
	else
		nr = 1 + below(KEXEC_SEGMENT_MAX);
	if (crash->end && chance(20)) {
		flags |= KEXEC_ON_CRASH;
		dst = crash;
	}
	if (chance(3))
		flags |= (unsigned long)(1 + below(62)) << 16;	/* an arch we are not */
	/* Destinations in order, a random gap between them, inside dst. */
	at = dst->start + round_up(below((dst->end - dst->start) / 4));
	for (i = 0; i < nr && i <= KEXEC_SEGMENT_MAX; i++) {
		size_t len;
		unsigned char *buf = content(pg, &len);

		segs[i].buf = buf;
		segs[i].bufsz = len;
		segs[i].memsz = round_up(len) + PAGE * below(4);
		segs[i].mem = (void *)at;
		pg = (pg + round_up(len) / PAGE + 1) % (POOL_PAGES - 1);
		/* Each damage alone, rarely, so that many lists stay valid. */
		switch (below(60)) {
		case 0: segs[i].mem = (void *)(at + 1 + below(PAGE - 1)); break;
		case 1: if (i) segs[i].mem = segs[i - 1].mem; break;
		case 2: segs[i].mem = (void *)(dst->end + round_up(below(1UL << 32))); break;
		case 3: segs[i].mem = (void *)round_up(below(ram->start)); break;
		case 4: segs[i].memsz = below(2) ? 0 : segs[i].bufsz - 1; break;
		case 5: segs[i].memsz += PAGE + below(PAGE); break;
		case 6: segs[i].buf = NULL; break;
		case 7: segs[i].buf = hole + below(PAGE); break;
		case 8: /* runs off the end of the pool into the hole */
			segs[i].buf = pool + POOL_PAGES * PAGE - 1 - below(64);
			segs[i].bufsz = 64 + below(PAGE);
			if (segs[i].memsz < segs[i].bufsz)
				segs[i].memsz = round_up(segs[i].bufsz);
			break;
		case 9: segs[i].memsz = -PAGE * (1 + below(4)); break;
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
		int crash_used = -1;
		long rc = load_one(&ram, &crash, &crash_used);

		count(rc);
		/* Unload half of what was accepted; the other half is replaced. */
		if (crash_used >= 0 && chance(50))
			syscall(SYS_kexec_load, 0UL, 0UL, NULL,
				crash_used ? KEXEC_ON_CRASH : KEXEC_ARCH_DEFAULT);
	}
	syscall(SYS_kexec_load, 0UL, 0UL, NULL, KEXEC_ARCH_DEFAULT);
	syscall(SYS_kexec_load, 0UL, 0UL, NULL, KEXEC_ON_CRASH);
	printf("RVK-FUZZ ram=%#lx-%#lx crash=%#lx-%#lx\n", ram.start, ram.end, crash.start,
	       crash.end);
	print_tally("kexec_load", seed);
	return 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	off_t n = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	unsigned char *p;

	if (n <= 0)
		return NULL;
	p = malloc(n);
	if (p && pread(fd, p, n, 0) != n) {
		free(p);
		p = NULL;
	}
	close(fd);
	*len = n;
	return p;
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
		case 2: /* one 64-bit field of the first 256 bytes */
			if (len >= 256) {
				uint64_t v = chance(50) ? next() : ~0ULL - below(16);

				memcpy(img + 8 * below(32), &v, sizeof(v));
			}
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
 * at most 1000 times; the EBUSY answers are tallied with the rest.
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
		for (tries = 0; tries < 1000; tries++) {
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
	/* The page after the pool is unmapped: short buffers run into it. */
	hole = pool + POOL_PAGES * PAGE;
	munmap(hole, PAGE);
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
