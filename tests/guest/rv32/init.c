// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the rv32 rows. Debian has no riscv32 C library, so this is a
 * freestanding program that makes its system calls itself.
 *
 * Stage 1 (the initramfs has /boot/Image): print the System RAM of
 * /proc/iomem, load /boot/Image with kexec_load(2) at its load offset
 * from the 4 MiB boundary below System RAM (which starts at kernel A),
 * /boot/initrd-next.cpio (this program alone) where the boot loader put
 * the current initramfs, and the device tree this kernel booted with
 * (/sys/firmware/fdt, unchanged: it still names that initramfs and the
 * same command line), then reboot(LINUX_REBOOT_CMD_KEXEC). Stage 2 (no
 * /boot/Image): print the marker of the command line and power off.
 */

typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long size_t;
typedef long ssize_t;

#define NR_MKDIRAT	34
#define NR_MOUNT	40
#define NR_OPENAT	56
#define NR_CLOSE	57
#define NR_READ		63
#define NR_WRITE	64
#define NR_EXIT		93
#define NR_KEXEC_LOAD	104
#define NR_REBOOT	142

#define AT_FDCWD	-100
#define O_RDONLY	0
#define O_WRONLY	1

#define REBOOT_MAGIC1	0xfee1dead
#define REBOOT_MAGIC2	672274793
#define REBOOT_KEXEC	0x45584543
#define REBOOT_POWEROFF	0x4321fedc

#define PAGE_SIZE	4096UL
#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((a) - 1))

struct kexec_segment {
	const void *buf;
	size_t bufsz;
	unsigned long mem;
	size_t memsz;
};

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long a0 asm("a0") = a;
	register long a1 asm("a1") = b;
	register long a2 asm("a2") = c;
	register long a3 asm("a3") = d;
	register long a4 asm("a4") = e;
	register long a5 asm("a5") = f;
	register long a7 asm("a7") = n;

	asm volatile("ecall"
		     : "+r"(a0)
		     : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a7)
		     : "memory");
	return a0;
}

#define sys(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* The compiler may emit calls to these for struct copies and zeroing. */
void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;

	while (n--)
		*p++ = c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

static size_t slen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static int starts(const char *s, const char *p)
{
	while (*p)
		if (*s++ != *p++)
			return 0;
	return 1;
}

static int out = 1;

static void puts_(const char *s)
{
	sys(NR_WRITE, out, s, slen(s), 0);
}

static void puthex(unsigned long v)
{
	char b[9];
	int i;

	for (i = 7; i >= 0; i--, v >>= 4)
		b[i] = "0123456789abcdef"[v & 15];
	b[8] = 0;
	puts_(b);
}

static void putdec(long v)
{
	char b[12];
	int i = 11;

	b[i] = 0;
	if (v < 0) {
		puts_("-");
		v = -v;
	}
	do {
		b[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	puts_(b + i);
}

static void __attribute__((noreturn)) halt(const char *why)
{
	puts_("RVK32-ERROR ");
	puts_(why);
	puts_("\n");
	sys(NR_REBOOT, REBOOT_MAGIC1, REBOOT_MAGIC2, REBOOT_POWEROFF, 0);
	for (;;)
		sys(NR_EXIT, 1, 0, 0, 0);
}

/* The whole file into buf; -1 if it cannot be opened, halts if too big. */
static long slurp(const char *path, char *buf, size_t max)
{
	long fd = sys(NR_OPENAT, AT_FDCWD, path, O_RDONLY, 0), n;
	size_t len = 0;

	if (fd < 0)
		return -1;
	while ((n = sys(NR_READ, fd, buf + len, max - len, 0)) > 0) {
		len += n;
		if (len == max)
			halt("file too big for its buffer");
	}
	sys(NR_CLOSE, fd, 0, 0, 0);
	return len;
}

static char image[48 << 20];
static char initrd[1 << 20];
static char fdt[1 << 20];
static char text[64 << 10];
static char cmdline[4096];

static u32 be32(const char *p)
{
	const unsigned char *q = (const unsigned char *)p;

	return (u32)q[0] << 24 | (u32)q[1] << 16 | (u32)q[2] << 8 | q[3];
}

static u64 le64(const char *p)
{
	const unsigned char *q = (const unsigned char *)p;
	u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | q[i];
	return v;
}

/* A property of the device tree as a number (one or two cells), or 0. */
static u64 fdt_number(const char *blob, const char *name)
{
	const char *st = blob + be32(blob + 8), *strs = blob + be32(blob + 12);
	const char *p = st, *end = blob + be32(blob + 4);

	while (p + 4 <= end) {
		u32 tok = be32(p);

		p += 4;
		if (tok == 1) {		/* FDT_BEGIN_NODE */
			p += ALIGN_UP(slen(p) + 1, 4);
		} else if (tok == 3) {	/* FDT_PROP */
			u32 len = be32(p), off = be32(p + 4);
			const char *v = p + 8;

			p = v + ALIGN_UP(len, 4);
			if (starts(strs + off, name) && !strs[off + slen(name)])
				return len == 8 ? (u64)be32(v) << 32 | be32(v + 4) :
				       len == 4 ? be32(v) : 0;
		} else if (tok == 9) {	/* FDT_END */
			break;
		}			/* FDT_END_NODE, FDT_NOP: nothing */
	}
	return 0;
}

/* The value of key=... on the command line, up to a blank. */
static const char *arg(const char *cmdline, const char *key, char *val, size_t max)
{
	const char *p = cmdline;
	size_t n = 0;

	for (; *p; p++) {
		if ((p == cmdline || p[-1] == ' ') && starts(p, key)) {
			p += slen(key);
			while (*p && *p != ' ' && *p != '\n' && n + 1 < max)
				val[n++] = *p++;
			break;
		}
	}
	val[n] = 0;
	return val;
}

static unsigned long hexnum(const char **s)
{
	unsigned long v = 0;

	for (;; (*s)++) {
		char c = **s;

		if (c >= '0' && c <= '9')
			v = v * 16 + c - '0';
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + c - 'a' + 10;
		else
			return v;
	}
}

/*
 * Print the top-level System RAM ranges; return the lowest start and set
 * *top to the highest end.
 */
static unsigned long system_ram(unsigned long *top)
{
	long n = slurp("/proc/iomem", text, sizeof(text) - 1);
	unsigned long low = ~0UL;
	const char *p = text;

	if (n < 0)
		halt("cannot read /proc/iomem");
	text[n] = 0;
	*top = 0;
	puts_("RVK32-RAM system_ram=");
	while (*p) {
		const char *l = p;
		unsigned long s, e;

		while (*p && *p != '\n')
			p++;
		if (*p)
			p++;
		if (*l == ' ')
			continue;
		s = hexnum(&l);
		l++;
		e = hexnum(&l);
		if (!starts(l, " : System RAM"))
			continue;
		puthex(s);
		puts_("-");
		puthex(e);
		puts_(" ");
		if (s < low)
			low = s;
		if (e > *top)
			*top = e;
	}
	puts_("\n");
	return low;
}

static int overlaps(unsigned long a, unsigned long an, unsigned long b, unsigned long bn)
{
	return a < b + bn && b < a + an;
}

static void __attribute__((noreturn)) stage1(long image_len)
{
	unsigned long ram, top, kpa, ksz, ipa, isz, fpa, fsz, toff;
	long initrd_len, fdt_len, rc;
	struct kexec_segment seg[3];
	u64 istart, iend;

	puts_("RVK-INIT stage=1\n");
	ram = system_ram(&top);
	if (image_len < 64 || be32(image + 56) != 0x52534305)	/* "RSC\x05" */
		halt("/boot/Image has no RISC-V Image header");
	toff = le64(image + 8);
	ksz = ALIGN_UP((unsigned long)le64(image + 16), PAGE_SIZE);
	/* The Image's load offset from the 4 MiB boundary below System RAM. */
	kpa = ALIGN_DOWN(ram, 4UL << 20) + toff;
	if (kpa < ram || kpa + ksz - 1 > top)
		halt("the kernel's load address is not in System RAM");

	fdt_len = slurp("/sys/firmware/fdt", fdt, sizeof(fdt));
	if (fdt_len < 40 || be32(fdt) != 0xd00dfeed)
		halt("cannot read the device tree from /sys/firmware/fdt");
	istart = fdt_number(fdt, "linux,initrd-start");
	iend = fdt_number(fdt, "linux,initrd-end");
	initrd_len = slurp("/boot/initrd-next.cpio", initrd, sizeof(initrd));
	if (initrd_len <= 0 || !istart || iend <= istart)
		halt("no initramfs to pass on");
	/* The initramfs goes where the current one was: the tree names it. */
	ipa = ALIGN_DOWN((unsigned long)istart, PAGE_SIZE);
	isz = ALIGN_UP((unsigned long)iend - ipa, PAGE_SIZE);
	if ((unsigned long)istart != ipa || initrd_len > (long)(iend - istart))
		halt("the next initramfs does not fit where the current one was");
	fsz = ALIGN_UP((unsigned long)fdt_len, PAGE_SIZE);
	fpa = ALIGN_UP(kpa + ksz, 2UL << 20);
	if (overlaps(fpa, fsz, ipa, isz))
		fpa = ALIGN_UP(ipa + isz, 2UL << 20);
	if (fpa + fsz - 1 > top)
		halt("no room for the device tree");

	seg[0] = (struct kexec_segment){ image, image_len, kpa, ksz };
	seg[1] = (struct kexec_segment){ initrd, initrd_len, ipa, isz };
	seg[2] = (struct kexec_segment){ fdt, fdt_len, fpa, fsz };
	puts_("RVK32-LOAD kernel=");
	puthex(kpa);
	puts_("+");
	puthex(ksz);
	puts_(" initrd=");
	puthex(ipa);
	puts_("+");
	puthex(isz);
	puts_(" fdt=");
	puthex(fpa);
	puts_("+");
	puthex(fsz);
	puts_("\n");
	rc = sys(NR_KEXEC_LOAD, kpa, 3, seg, 0);
	puts_("RVK-RC ");
	putdec(rc);
	puts_(" kexec_load\n");
	if (rc)
		halt("kexec_load failed");
	rc = sys(NR_REBOOT, REBOOT_MAGIC1, REBOOT_MAGIC2, REBOOT_KEXEC, 0);
	puts_("RVK-RC ");
	putdec(rc);
	puts_(" reboot(LINUX_REBOOT_CMD_KEXEC)\n");
	halt("kexec returned");
}

void __attribute__((noreturn)) _start_c(void)
{
	char marker[128];
	long fd, n;

	sys(NR_MKDIRAT, AT_FDCWD, "/dev", 0755, 0);
	sys(NR_MOUNT, "devtmpfs", "/dev", "devtmpfs", 0);
	fd = sys(NR_OPENAT, AT_FDCWD, "/dev/console", O_WRONLY, 0);
	if (fd >= 0)
		out = fd;
	sys(NR_MKDIRAT, AT_FDCWD, "/proc", 0755, 0);
	sys(NR_MOUNT, "proc", "/proc", "proc", 0);
	sys(NR_MKDIRAT, AT_FDCWD, "/sys", 0755, 0);
	sys(NR_MOUNT, "sysfs", "/sys", "sysfs", 0);

	n = slurp("/proc/cmdline", cmdline, sizeof(cmdline) - 1);
	cmdline[n > 0 ? n : 0] = 0;
	n = slurp("/boot/Image", image, sizeof(image));
	if (n >= 0)
		stage1(n);

	puts_("RVK-INIT stage=2\n");
	puts_("RVK-MARKER ");
	puts_(arg(cmdline, "rvk.marker=", marker, sizeof(marker)));
	puts_("\n");
	sys(NR_REBOOT, REBOOT_MAGIC1, REBOOT_MAGIC2, REBOOT_POWEROFF, 0);
	halt("power off failed");
}

/* The stack pointer is all the kernel hands over that matters here (no gp: -mno-relax). */
asm(".section .text._start\n"
    ".globl _start\n"
    "_start:\n"
    "	andi	sp, sp, -16\n"
    "	call	_start_c\n");
