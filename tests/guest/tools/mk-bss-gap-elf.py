#!/usr/bin/env python3
"""Write a riscv64 ELF whose two PT_LOADs share a page while the first one
has a .bss (p_filesz < p_memsz): merged naively, the second segment's file
bytes would fill the first one's .bss. The ELF loader must refuse it.

Usage: mk-bss-gap-elf.py OUT
"""
import struct
import sys

BASE = 0x80200000            # physical load address of the first segment
FIRST_OFF = 0x1000           # file offset of the first segment
FIRST_FILESZ, FIRST_MEMSZ = 0x800, 0x900
SECOND = 0xA00               # the second segment starts in the same page

phdrs = [
    # type, flags, offset, vaddr, paddr, filesz, memsz, align
    (1, 5, FIRST_OFF, BASE, BASE, FIRST_FILESZ, FIRST_MEMSZ, 0x1000),
    (1, 6, FIRST_OFF + SECOND, BASE + SECOND, BASE + SECOND, 0x100, 0x100, 0x1000),
]
ehdr = struct.pack(
    "<4sBBBBB7sHHIQQQIHHHHHH",
    b"\x7fELF", 2, 1, 1, 0, 0, b"\0" * 7,   # ELFCLASS64, little endian, v1
    2, 243, 1,                              # ET_EXEC, EM_RISCV, EV_CURRENT
    BASE, 64, 0, 0, 64, 56, len(phdrs), 64, 0, 0)
body = bytearray(FIRST_OFF + SECOND + 0x100)
body[:64] = ehdr
for i, p in enumerate(phdrs):
    body[64 + 56 * i:64 + 56 * (i + 1)] = struct.pack("<IIQQQQQQ", *p)
body[FIRST_OFF:] = b"\x13" * (len(body) - FIRST_OFF)   # filler bytes
with open(sys.argv[1], "wb") as f:
    f.write(body)
