// SPDX-License-Identifier: GPL-2.0
/*
 * Relocation benchmark: runs each kexec relocation stub on the same
 * synthetic indirection lists (1, 64, 1024 pages; destination != source)
 * under QEMU with -icount shift=0, where minstret counts retired
 * instructions exactly. Checks the copied bytes and the hand-over
 * registers, so a fast wrong stub cannot score. Our stub also runs with
 * its vector copy where the hart has V. Prints one line per run:
 *   RELOC <stub> pages=<n> instret=<count> ok=<0|1>
 */
typedef unsigned long u64;

#define PAGE 4096UL
#define MAXPAGES 1024
#define IND_DESTINATION 0x1
#define IND_INDIRECTION 0x2
#define IND_DONE 0x4
#define IND_SOURCE 0x8

extern const unsigned char riscv_kexec_relocate[]; /* upstream, kexec_relocate.o */
extern const unsigned char riscv_kexec_stub[];     /* ours, kexec_stub.o */
extern u64 saved[];
u64 run_stub(const void *stub, u64 *head, u64 fdt, u64 vector);

static unsigned char src[MAXPAGES * PAGE] __attribute__((aligned(4096)));
static unsigned char dst[MAXPAGES * PAGE] __attribute__((aligned(4096)));
static u64 list[MAXPAGES + 4] __attribute__((aligned(4096)));
static u64 head;

#define UART ((volatile unsigned char *)0x10000000UL)
#define TEST_DEV ((volatile unsigned int *)0x100000UL)

static void putc_(char c)
{
	while (!(UART[5] & 0x20))
		;
	UART[0] = c;
}

static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void putu(u64 v)
{
	char b[24];
	int i = 0;

	do {
		b[i++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (i)
		putc_(b[--i]);
}

static u64 pattern(u64 i, u64 salt)
{
	u64 x = i * 0x9e3779b97f4a7c15UL + salt;

	return x ^ (x >> 29);
}

static int has_v(void)
{
	u64 misa;

	asm volatile("csrr %0, misa" : "=r"(misa));
	return (misa >> ('V' - 'A')) & 1;
}

static void run(const char *name, const void *stub, u64 pages, u64 salt, u64 vector)
{
	u64 *s = (u64 *)src, *d = (u64 *)dst, n = pages * PAGE / 8, i, count, ok = 1;

	for (i = 0; i < n; i++) {
		s[i] = pattern(i, salt);
		d[i] = 0;
	}
	list[0] = (u64)dst | IND_DESTINATION;
	for (i = 0; i < pages; i++)
		list[1 + i] = ((u64)src + i * PAGE) | IND_SOURCE;
	list[1 + pages] = IND_DONE;
	head = (u64)list | IND_INDIRECTION;

	count = run_stub(stub, &head, 0x1234000UL, vector);
	for (i = 0; i < n; i++)
		if (d[i] != pattern(i, salt))
			ok = 0;
	/* The page after the copy must be untouched. */
	if (pages < MAXPAGES && d[n] != 0)
		ok = 0;
	if (saved[17] != 0 || saved[18] != 0x1234000UL)
		ok = 0;
	/* mstatus.VS (sstatus.VS) is Off again after the hand-over. */
	if (saved[19] & 0x600)
		ok = 0;
	puts_("RELOC ");
	puts_(name);
	puts_(" pages=");
	putu(pages);
	puts_(" instret=");
	putu(count);
	puts_(" ok=");
	putu(ok);
	puts_("\n");
}

void bench_main(void)
{
	static const u64 sizes[] = { 1, 64, 1024 };
	unsigned int k;

	for (k = 0; k < 3; k++) {
		run("upstream", riscv_kexec_relocate, sizes[k], k, 0);
		run("ours", riscv_kexec_stub, sizes[k], k + 7, 0);
		if (has_v())
			run("ours-vector", riscv_kexec_stub, sizes[k], k + 13, 1);
	}
	puts_("RELOC done\n");
	*TEST_DEV = 0x5555; /* sifive_test: power off */
	for (;;)
		;
}
