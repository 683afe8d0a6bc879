#!/usr/bin/env python3
"""Write a riscv64 ELF that makes the patched loader's memchr_inv() read past
the end of the file buffer.

PT_LOAD 0: p_paddr 0, p_offset 0x2000, p_filesz 0x10,
           p_memsz 2^64 - 0x1800 (a huge .bss; paddr + memsz does not wrap,
           which is all elf_is_phdr_sane() checks of p_memsz)
PT_LOAD 1: p_paddr 2^64 - 0x1800 (right after PT_LOAD 0, in its last page),
           p_offset 0x800 == 0x2000 + (2^64 - 0x1800) mod 2^64, so the
           "file layout matches memory layout" test passes by wrap-around;
           p_memsz 0x17ff, so the highest byte is 2^64 - 1.
elf_find_pbase(): kernel_len = 2^64 - 1, ALIGN(kernel_len, PAGE_SIZE) == 0,
so the hole search for a 0-byte hole succeeds. riscv_kexec_elf_load() then
calls memchr_inv(buf + 0x2010, 0, 2^64 - 0x1810): the file is zero from
0x2010 to its end (0x3000, a page multiple, so vmalloc has no tail) and the
scan runs into the vmalloc guard page.

  patch 0007 (6.12/7.2): Oops "Unable to handle kernel paging request" in
                         memchr_inv (KASAN: "BUG: KASAN: vmalloc-out-of-bounds
                         in memchr_inv"); rvk-kexec-load is killed, no RVK-KFILE
                         line, and kexec_lock stays held (later kexec: EBUSY)
  + fix (c) only        : errno=EINVAL,
                          "PT_LOAD 1 follows a .bss that is not in the file"
  + fix (c) + span fix  : errno=EINVAL, "PT_LOADs span the whole address space"
  stock                 : errno=EADDRNOTAVAIL, no message (hole sized by the
                          file length; sanity_check_segment_list() refuses
                          the 2^64-byte segment: mem + memsz wraps)
With --nonzero the bytes after p_filesz are 0x13: memchr_inv() stops inside
the file, and patch 0007 returns EINVAL with "shares a page with a .bss that
the file does not zero" (shows the same path without crashing).

Usage: mk-bss-wrap-elf.py [--nonzero] OUT
"""
import struct
import sys

M = 1 << 64
OFF0, FILESZ0, MEMSZ0 = 0x2000, 0x10, M - 0x1800
P1 = MEMSZ0                                  # = 2^64 - 0x1800
OFF1 = (OFF0 + P1) % M                       # = 0x800
LEN = 0x3000

phdrs = [
    # type, flags, offset, vaddr, paddr, filesz, memsz, align
    (1, 7, OFF0, 0, 0, FILESZ0, MEMSZ0, 0x1000),
    (1, 6, OFF1, P1, P1, 0x10, M - 1 - P1, 0x1000),
]
ehdr = struct.pack(
    "<4sBBBBB7sHHIQQQIHHHHHH",
    b"\x7fELF", 2, 1, 1, 0, 0, b"\0" * 7,
    2, 243, 1, 0, 64, 0, 0, 64, 56, len(phdrs), 64, 0, 0)
body = bytearray(LEN)
body[:64] = ehdr
for i, p in enumerate(phdrs):
    body[64 + 56 * i:64 + 56 * (i + 1)] = struct.pack("<IIQQQQQQ", *p)
body[OFF1:OFF1 + 0x10] = b"\x13" * 0x10
body[OFF0:OFF0 + FILESZ0] = b"\x13" * FILESZ0
if "--nonzero" in sys.argv:
    body[OFF0 + FILESZ0:] = b"\x13" * (LEN - OFF0 - FILESZ0)
with open(sys.argv[-1], "wb") as f:
    f.write(body)
