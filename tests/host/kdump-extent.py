#!/usr/bin/env python3
"""Where a kdump-compressed dump (makedumpfile's "KDUMP   " format) ends.

The capture kernel writes the dump to the start of a disk whose size is
fixed; the rest of it is zeros. Prints one line, "<end> <level>
<compression> <pages> <stored>": the end of the last thing the dump holds
(a page, the VMCOREINFO, the notes, the erase info), the dump level of the
sub-header, the compression the header names, the number of page
descriptors and how their pages are stored, e.g.
"raw=10,zero=2000,zlib=4020". The layout is makedumpfile's diskdump_mod.h for a
64-bit target (riscv64).
"""
import struct
import sys

# page_desc.flags: how a page's data is stored.
COMPRESSION = {0x1: "zlib", 0x2: "lzo", 0x4: "snappy", 0x20: "zstd"}


def extent(f):
    size_of_file = f.seek(0, 2)
    f.seek(0)
    hdr = f.read(464)
    if hdr[:8] != b"KDUMP   ":
        raise SystemExit(f"not a kdump-compressed file (signature {hdr[:8]!r})")
    # struct disk_dump_header: after the signature, header_version,
    # new_utsname (6 x 65) and a struct timeval aligned to 8, at 424:
    # status, block_size, sub_hdr_size, bitmap_blocks, max_mapnr.
    version, = struct.unpack_from("<i", hdr, 8)
    status, block, sub_blocks, bitmap_blocks, max_mapnr = struct.unpack_from("<IiiII", hdr, 424)
    if version < 6 or block <= 0:
        raise SystemExit(f"kdump header version {version}, block size {block}: not what makedumpfile 1.7 writes")
    if status & 0x8:
        raise SystemExit("an incomplete dump (DUMP_DH_COMPRESSED_INCOMPLETE): the disk filled up")
    # struct kdump_sub_header, in the next block.
    f.seek(block)
    sub = f.read(104)
    level, split = struct.unpack_from("<ii", sub, 8)
    notes = struct.unpack_from("<qQqQqQ", sub, 32)  # vmcoreinfo, note, eraseinfo: offset, size
    max_mapnr, = struct.unpack_from("<Q", sub, 96)
    if split:
        raise SystemExit("a split dump: one file of several")
    # The two bitmaps (all pages, then the dumped ones), then one
    # struct page_desc (offset, size, flags, page_flags) per dumped page.
    bitmaps = (1 + sub_blocks) * block
    half = bitmap_blocks * block // 2
    f.seek(bitmaps + half)
    dumped = sum(bin(b).count("1") for b in f.read(half)[: (max_mapnr + 7) // 8])
    f.seek(bitmaps + 2 * half)
    descs = f.read(24 * dumped)
    if len(descs) != 24 * dumped:
        raise SystemExit(f"the file is too short for {dumped} page descriptors")
    # The page data follows; at dump level 1 and up, zero pages all point
    # at one zero page written first (makedumpfile's pd_zero).
    data = bitmaps + 2 * half + len(descs)
    zero = data if level & 1 else None
    end = max(off + size for off, size in zip(notes[::2], notes[1::2]))
    kinds = {}
    for off, size, flags, _ in struct.iter_unpack("<qIIQ", descs):
        if off < data or size > block or off + size > size_of_file:
            raise SystemExit(f"a page descriptor points outside the data: offset {off}, size {size}")
        end = max(end, off + size)
        kind = "zero" if off == zero else "raw" if flags == 0 else COMPRESSION.get(flags, f"flags={flags:#x}")
        kinds[kind] = kinds.get(kind, 0) + 1
    return end, level, COMPRESSION.get(status & 0x27, "none"), dumped, ",".join(f"{k}={n}" for k, n in sorted(kinds.items()))


def main():
    with open(sys.argv[1], "rb") as f:
        print(*extent(f))


if __name__ == "__main__":
    main()
