#!/usr/bin/env python3
"""Write a riscv64 ELF whose PT_LOADs span (almost) the whole 64-bit address
space, so elf_find_pbase() searches for ALIGN(2^64 - 1, PAGE_SIZE) == 0 bytes,
finds a "hole" at the first free 2 MiB boundary (new_pbase), and
riscv_kexec_elf_load() then places the far PT_LOADs at
p_paddr - 0 + new_pbase mod 2^64, outside that hole and outside RAM.
No page is shared, so no .bss check, lead or merge is involved.

PT_LOAD 0: p_paddr 0,              4 KiB  -> mem new_pbase
PT_LOAD 1: p_paddr 2^64 - 2^40,    4 KiB  -> mem new_pbase - 1 TiB (mod 2^64),
                                              e.g. 0xffffff0080200000
PT_LOAD 2: p_paddr 2^64 - 0x1000,  0xfff  -> mem new_pbase - 0x1000

  patch 0007 (6.12/7.2): errno=0 (loaded!); with KEXEC_FILE_DEBUG the segment
                         list shows mem=0xffffff00... ; kexec -e would make
                         the relocation code store to that physical address
                         (do not run it)
  + span fix           : errno=EINVAL, "PT_LOADs span the whole address space"
  stock                : hole sized by the 0x4000-byte file; segments placed
                         the same way; errno=0 as well (pre-existing)

Usage: mk-span-wrap-elf.py OUT
"""
import struct
import sys

M = 1 << 64
phdrs = [
    # type, flags, offset, vaddr, paddr, filesz, memsz, align
    (1, 7, 0x1000, 0, 0, 0x1000, 0x1000, 0x1000),
    (1, 6, 0x2000, M - (1 << 40), M - (1 << 40), 0x1000, 0x1000, 0x1000),
    (1, 6, 0x3000, M - 0x1000, M - 0x1000, 0xfff, 0xfff, 0x1000),
]
ehdr = struct.pack(
    "<4sBBBBB7sHHIQQQIHHHHHH",
    b"\x7fELF", 2, 1, 1, 0, 0, b"\0" * 7,
    2, 243, 1, 0, 64, 0, 0, 64, 56, len(phdrs), 64, 0, 0)
body = bytearray(0x4000)
body[:64] = ehdr
for i, p in enumerate(phdrs):
    body[64 + 56 * i:64 + 56 * (i + 1)] = struct.pack("<IIQQQQQQ", *p)
body[0x1000:] = b"\x13" * 0x3000
with open(sys.argv[-1], "wb") as f:
    f.write(body)
