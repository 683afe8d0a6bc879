#!/usr/bin/env python3
"""Write a riscv64 ELF with two PT_LOADs sharing a page (as LLD emits) whose
p_align values are odd: 0x200000 on the first and 3 (not a power of two) on
the second. kexec_file_load() places buffers with a fixed kbuf.mem,
so kexec_locate_mem_hole() returns before buf_align is looked at: p_align has
no effect in the stock loader either.

  patch 0007 (6.12/7.2): errno=0; with KEXEC_FILE_DEBUG one kernel segment
                         mem=<new_pbase> memsz=0x1000, same as with p_align
                         0x1000 (rerun with --plain to compare)
  stock                : errno=EINVAL (page-rounded segments overlap)

Usage: mk-palign-elf.py [--plain] OUT
"""
import struct
import sys

BASE = 0x80200000
OFF = 0x1000
plain = "--plain" in sys.argv
A1, A2 = (0x1000, 0x1000) if plain else (0x200000, 3)

phdrs = [
    # type, flags, offset, vaddr, paddr, filesz, memsz, align
    (1, 5, OFF, BASE, BASE, 0x800, 0x800, A1),
    (1, 6, OFF + 0x800, BASE + 0x800, BASE + 0x800, 0x100, 0x200, A2),
]
ehdr = struct.pack(
    "<4sBBBBB7sHHIQQQIHHHHHH",
    b"\x7fELF", 2, 1, 1, 0, 0, b"\0" * 7,
    2, 243, 1, BASE, 64, 0, 0, 64, 56, len(phdrs), 64, 0, 0)
body = bytearray(OFF + 0x900)
body[:64] = ehdr
for i, p in enumerate(phdrs):
    body[64 + 56 * i:64 + 56 * (i + 1)] = struct.pack("<IIQQQQQQ", *p)
body[OFF:] = b"\x13" * (len(body) - OFF)
with open(sys.argv[-1], "wb") as f:
    f.write(body)
