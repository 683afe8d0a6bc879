/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the guest's kexec test tools. */
#ifndef RVK_FDT_H
#define RVK_FDT_H

#include <fcntl.h>
#include <unistd.h>

/*
 * Copies the live FDT into @buf (at most @size bytes) and returns its
 * length, 0 if it cannot be read or does not fit; sysfs hands a binary attribute out a
 * page per read().
 */
static size_t read_live_fdt(unsigned char *buf, size_t size)
{
	int fd = open("/sys/firmware/fdt", O_RDONLY);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	while (len < size && (n = read(fd, buf + len, size - len)) > 0)
		len += n;
	/* A full buffer may hold a cut FDT: treat it as unreadable. */
	if (len == size)
		len = 0;
	close(fd);
	return len;
}

#endif
