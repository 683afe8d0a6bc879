#!/usr/bin/env python3
"""Write a riscv64 ELF whose only PT_LOAD starts mid-page (p_paddr 0x80200800).
The patched loader page-aligns the buffer by copying `lead` = 0x800 bytes from
below p_offset, so the buffer would start 0x800 below the 2 MiB-aligned hole
elf_find_pbase() found (new_pbase - 0x800, not page aligned).

  stock 6.12/7.2 loader : loads (errno=0), the PT_LOAD at new_pbase
  patch 0007            : errno=EADDRNOTAVAIL, no message
                          (sanity_check_segment_list: mem & ~PAGE_MASK)
  patch 0007 + fix (a)  : errno=EINVAL,
                          "lowest PT_LOAD at 80200800 is not page aligned"
With --short-offset p_offset (0x400) < lead: patch 0007 already says
"PT_LOAD at 80200800 cannot be page aligned" (EINVAL).

Usage: mk-lead-unaligned-elf.py [--short-offset] OUT
"""
import struct
import sys

BASE = 0x80200800                      # not page aligned
OFF = 0x400 if "--short-offset" in sys.argv else 0x1800
SIZE = 0x800

phdrs = [
    # type, flags, offset, vaddr, paddr, filesz, memsz, align
    (1, 7, OFF, BASE, BASE, SIZE, SIZE, 0x1000),
]
ehdr = struct.pack(
    "<4sBBBBB7sHHIQQQIHHHHHH",
    b"\x7fELF", 2, 1, 1, 0, 0, b"\0" * 7,   # ELFCLASS64, little endian, v1
    2, 243, 1,                              # ET_EXEC, EM_RISCV, EV_CURRENT
    BASE, 64, 0, 0, 64, 56, len(phdrs), 64, 0, 0)
body = bytearray(OFF + SIZE)
body[:64] = ehdr
for i, p in enumerate(phdrs):
    body[64 + 56 * i:64 + 56 * (i + 1)] = struct.pack("<IIQQQQQQ", *p)
body[OFF:] = b"\x13" * SIZE                 # riscv nops
with open(sys.argv[-1], "wb") as f:
    f.write(body)
