// SPDX-License-Identifier: GPL-2.0
/*
 * rvk-kexec-load: call kexec_load(2) with a deliberately bad segment list
 * and print the outcome, to see how the kernel rejects images that
 * kexec-tools would never build.
 *
 *   rvk-kexec-load nofdt       one segment of junk, no device tree
 *   rvk-kexec-load badmagic    the live FDT with a corrupted magic
 *   rvk-kexec-load short       an FDT segment whose buffer is 32 bytes,
 *                              shorter than an FDT header (40 bytes)
 *   rvk-kexec-load truncated   the live FDT cut to 64 bytes: a valid header
 *                              whose totalsize exceeds the buffer
 *   rvk-kexec-load unreadable  a segment whose user buffer faults
 *   rvk-kexec-load file PATH   kexec_file_load(2) of PATH, no initrd
 *   rvk-kexec-load file-debug PATH
 *                              the same with KEXEC_FILE_DEBUG (kexec -d)
 *   rvk-kexec-load churn N     N rounds of kexec_load(2) of a minimal valid
 *                              image (the live FDT and one page) and unload
 *   rvk-kexec-load replace N   N such loads, each replacing the last, then
 *                              one unload
 *
 * Output: "RVK-BADINPUT mode=<mode> errno=<NAME>" (errno=0 if the kernel
 * accepted the image; it is then unloaded again).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kexec.h>

/* Linux 6.8's uapi; the cross toolchain's headers may be older. */
#ifndef KEXEC_FILE_DEBUG
#define KEXEC_FILE_DEBUG 0x00000008
#endif

#include "rvk-fdt.h"

#define PAGE 4096UL
/* Inside the RAM of a QEMU virt guest with >= 512 MiB, page aligned. */
#define DEST 0x88000000UL

static unsigned char buf[64 * PAGE] __attribute__((aligned(4096)));

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EPERM: return "EPERM";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENOEXEC: return "ENOEXEC";
	default: return strerror(e);
	}
}

static size_t read_fdt(void)
{
	return read_live_fdt(buf, sizeof(buf));
}

/* Loads the live FDT and one page to jump to: all prepare() needs. */
static long load_minimal(void)
{
	static struct kexec_segment segs[2];
	size_t n = read_fdt();

	if (n < 40)
		return -1;
	segs[0].buf = buf;
	segs[0].bufsz = n;
	segs[0].mem = (void *)DEST;
	segs[0].memsz = (n + PAGE - 1) & ~(PAGE - 1);
	segs[1].buf = buf + 63 * PAGE;
	segs[1].bufsz = PAGE;
	segs[1].mem = (void *)(DEST + 0x1000000);
	segs[1].memsz = PAGE;
	return syscall(SYS_kexec_load, DEST + 0x1000000, 2UL, segs, KEXEC_ARCH_DEFAULT);
}

static int churn(const char *mode, long rounds)
{
	long i;

	for (i = 0; i < rounds; i++) {
		if (load_minimal()) {
			printf("RVK-FAIL %s: load %ld failed: %s\n", mode, i, errname(errno));
			return 1;
		}
		if (!strcmp(mode, "churn"))
			syscall(SYS_kexec_load, 0UL, 0UL, NULL, KEXEC_ARCH_DEFAULT);
	}
	syscall(SYS_kexec_load, 0UL, 0UL, NULL, KEXEC_ARCH_DEFAULT);
	return 0;
}

int main(int argc, char **argv)
{
	struct kexec_segment seg = { .mem = (void *)DEST, .memsz = PAGE };
	const char *mode = argc > 1 ? argv[1] : "";
	long rc;
	int err;

	if ((!strcmp(mode, "file") || !strcmp(mode, "file-debug")) && argc > 2) {
		static const char cmdline[] = "console=ttyS0";
		int fd = open(argv[2], O_RDONLY);

		rc = syscall(SYS_kexec_file_load, fd, -1, sizeof(cmdline), cmdline,
			     KEXEC_FILE_NO_INITRAMFS |
			     (strcmp(mode, "file") ? KEXEC_FILE_DEBUG : 0));
		err = rc ? errno : 0;
		printf("RVK-KFILE %s errno=%s\n", argv[2], errname(err));
		if (!rc)
			syscall(SYS_kexec_file_load, -1, -1, 0, NULL, KEXEC_FILE_UNLOAD);
		return 0;
	}
	if ((!strcmp(mode, "churn") || !strcmp(mode, "replace")) && argc > 2)
		return churn(mode, atol(argv[2]));
	if (!strcmp(mode, "nofdt")) {
		memset(buf, 0xaa, PAGE);
		seg.buf = buf;
		seg.bufsz = PAGE;
	} else if (!strcmp(mode, "badmagic") || !strcmp(mode, "short") ||
		   !strcmp(mode, "truncated")) {
		size_t n = read_fdt();

		if (n < 40) {
			printf("RVK-FAIL cannot read /sys/firmware/fdt\n");
			return 1;
		}
		seg.buf = buf;
		seg.bufsz = n;
		seg.memsz = (n + PAGE - 1) & ~(PAGE - 1);
		if (!strcmp(mode, "badmagic"))
			buf[0] ^= 0xff;
		else if (!strcmp(mode, "short"))
			seg.bufsz = 32;
		else
			seg.bufsz = 64;
	} else if (!strcmp(mode, "unreadable")) {
		seg.buf = (void *)PAGE;	/* never mapped */
		seg.bufsz = PAGE;
	} else {
		fprintf(stderr, "usage: %s nofdt|badmagic|short|truncated|unreadable|file PATH\n",
			argv[0]);
		return 2;
	}

	rc = syscall(SYS_kexec_load, DEST, 1UL, &seg, KEXEC_ARCH_DEFAULT);
	err = rc ? errno : 0;
	printf("RVK-BADINPUT mode=%s errno=%s\n", mode, errname(err));
	if (!rc)
		syscall(SYS_kexec_load, 0UL, 0UL, NULL, KEXEC_ARCH_DEFAULT);
	return 0;
}
