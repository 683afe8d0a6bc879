// SPDX-License-Identifier: GPL-2.0

//! The decisions of the RISC-V kexec machine layer, free of kernel calls.
//!
//! Everything here is plain arithmetic and bookkeeping so that it can be
//! unit-tested on the host (`rustc --test`) as well as built into the kernel,
//! where the same tests run as the KUnit suite `riscv_kexec_logic`
//! (`CONFIG_RISCV_KEXEC_RUST_KUNIT_TEST`).

/// Size of `struct fdt_header` (ten big-endian 32-bit words).
pub(crate) const FDT_HEADER_SIZE: usize = 40;

/// What the FDT search needs to know of one kexec segment.
#[derive(Clone, Copy)]
pub(crate) struct SegmentInfo {
    /// The segment has a source buffer (`buf`/`kbuf` is not NULL).
    pub(crate) has_buf: bool,
    /// Bytes available in the source buffer.
    pub(crate) bufsz: usize,
    /// Bytes the segment occupies in memory.
    pub(crate) memsz: usize,
}

/// The result of reading and checking one segment's header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Probe {
    /// A valid FDT header announcing a blob of `totalsize` bytes.
    Fdt {
        /// The header's `totalsize` field.
        totalsize: usize,
    },
    /// The buffer could not be read (a faulting user pointer).
    Unreadable,
    /// The buffer was read but is not an FDT.
    NotFdt,
}

/// Why no FDT was found: how many segments were skipped for each reason.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct FdtMiss {
    /// Segments too small to hold an FDT header.
    pub(crate) too_small: usize,
    /// Segments without a source buffer.
    pub(crate) no_buf: usize,
    /// Segments whose buffer could not be read.
    pub(crate) unreadable: usize,
    /// Segments whose header is not a valid FDT header.
    pub(crate) not_fdt: usize,
    /// Segments with a valid header whose `totalsize` exceeds the buffer.
    pub(crate) truncated: usize,
}

/// The `totalsize` field of an FDT header (big-endian, at byte 4).
pub(crate) fn fdt_totalsize(hdr: &[u8; FDT_HEADER_SIZE]) -> usize {
    u32::from_be_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]) as usize
}

/// Returns the index of the first segment that holds an FDT.
///
/// Like the C implementation, a segment is only probed when its memory size
/// exceeds an FDT header; unlike it, the source buffer must also hold a whole
/// header, so a short buffer is never read past its end, and the whole blob
/// the header announces (`totalsize`), so a truncated FDT is refused. `probe`
/// reads and checks the header of the segment with the given index.
pub(crate) fn find_fdt(
    segments: impl IntoIterator<Item = SegmentInfo>,
    mut probe: impl FnMut(usize) -> Probe,
) -> Result<usize, FdtMiss> {
    let mut miss = FdtMiss::default();
    for (i, seg) in segments.into_iter().enumerate() {
        if seg.memsz <= FDT_HEADER_SIZE || seg.bufsz < FDT_HEADER_SIZE {
            miss.too_small += 1;
        } else if !seg.has_buf {
            miss.no_buf += 1;
        } else {
            match probe(i) {
                Probe::Fdt { totalsize } if totalsize <= seg.bufsz => return Ok(i),
                Probe::Fdt { .. } => miss.truncated += 1,
                Probe::Unreadable => miss.unreadable += 1,
                Probe::NotFdt => miss.not_fdt += 1,
            }
        }
    }
    Err(miss)
}

/// Whether the head entry of an image's indirection list is one the
/// relocation stub can start from: an `IND_INDIRECTION` entry (the first
/// page of entries, the flag alone among `ind_flags`) or exactly `IND_DONE`
/// (nothing to copy). kimage_add_entry() always starts with an indirection
/// page; anything else would make the stub copy to or read from address 0.
pub(crate) fn head_is_valid(
    head: usize,
    ind_flags: usize,
    ind_indirection: usize,
    ind_done: usize,
) -> bool {
    head & ind_flags == ind_indirection || head == ind_done
}

/// Whether a stub of `stub_size` bytes fits in a control page of
/// `page_size` bytes.
pub(crate) fn stub_fits(stub_size: usize, page_size: usize) -> bool {
    stub_size > 0 && stub_size <= page_size
}

/// The offset from the control page's linear-map address to its alias:
/// `va_va_offset = page_address(control_code_page) - control_code_buffer`.
pub(crate) fn va_va_offset(linear: usize, alias: usize) -> usize {
    linear.wrapping_sub(alias)
}

/// The offset the stub subtracts from its own virtual address to find its
/// physical one (`PA = VA - offset`) when it runs from the alias.
///
/// The linear map satisfies `linear = pa + va_pa_offset`, and the alias is
/// `alias = linear - va_va_offset`, so `pa = alias - (va_pa_offset -
/// va_va_offset)`. Addresses wrap, as they do in the kernel's own arithmetic.
pub(crate) fn stub_va_pa_offset(va_pa_offset: usize, va_va_offset: usize) -> usize {
    va_pa_offset.wrapping_sub(va_va_offset)
}

// The same tests twice: libtest on the host, KUnit in the kernel (whose
// `assert!`/`assert_eq!` the attribute replaces with KUnit's).
#[cfg(any(test, CONFIG_RISCV_KEXEC_RUST_KUNIT_TEST))]
#[cfg_attr(
    CONFIG_RISCV_KEXEC_RUST_KUNIT_TEST,
    ::kernel::macros::kunit_tests(riscv_kexec_logic)
)]
mod tests {
    use super::*;

    fn seg(has_buf: bool, bufsz: usize, memsz: usize) -> SegmentInfo {
        SegmentInfo {
            has_buf,
            bufsz,
            memsz,
        }
    }

    #[test]
    fn finds_the_first_valid_fdt() {
        let segs = [
            seg(true, 4096, 4096),
            seg(true, 4096, 4096),
            seg(true, 4096, 4096),
        ];
        let r = find_fdt(segs, |i| {
            if i >= 1 {
                Probe::Fdt { totalsize: 4096 }
            } else {
                Probe::NotFdt
            }
        });
        assert_eq!(r, Ok(1));
    }

    #[test]
    fn skips_small_bufferless_and_unreadable_segments() {
        let segs = [
            seg(true, 40, 40),  // memsz must exceed the header, as in C
            seg(true, 8, 4096), // buffer shorter than a header
            seg(false, 4096, 4096),
            seg(true, 4096, 4096), // faulting user pointer
            seg(true, 4096, 4096), // bad magic
        ];
        // Only plausible segments are read.
        let mut probed = [usize::MAX; 5];
        let mut n = 0;
        let r = find_fdt(segs, |i| {
            probed[n] = i;
            n += 1;
            if i == 3 {
                Probe::Unreadable
            } else {
                Probe::NotFdt
            }
        });
        assert_eq!(&probed[..n], &[3, 4]);
        assert_eq!(
            r,
            Err(FdtMiss {
                too_small: 2,
                no_buf: 1,
                unreadable: 1,
                not_fdt: 1,
                truncated: 0
            })
        );
    }

    #[test]
    fn truncated_fdt_is_refused() {
        // A valid header whose blob is longer than the segment's buffer,
        // then one that fits exactly.
        let segs = [seg(true, 64, 4096), seg(true, 2048, 4096)];
        let r = find_fdt(segs, |i| Probe::Fdt {
            totalsize: [1500, 2048][i],
        });
        assert_eq!(r, Ok(1));
        let r = find_fdt([seg(true, 64, 4096)], |_| Probe::Fdt { totalsize: 65 });
        assert_eq!(
            r,
            Err(FdtMiss {
                truncated: 1,
                ..FdtMiss::default()
            })
        );
    }

    #[test]
    fn totalsize_is_big_endian_at_offset_4() {
        let mut hdr = [0u8; FDT_HEADER_SIZE];
        hdr[..8].copy_from_slice(&[0xd0, 0x0d, 0xfe, 0xed, 0x00, 0x01, 0x02, 0x03]);
        assert_eq!(fdt_totalsize(&hdr), 0x0001_0203);
    }

    #[test]
    fn no_segments_no_fdt() {
        assert_eq!(
            find_fdt([], |_| Probe::Fdt { totalsize: 64 }),
            Err(FdtMiss::default())
        );
    }

    #[test]
    fn head_entry_must_start_the_list() {
        // IND_DESTINATION 1, IND_INDIRECTION 2, IND_DONE 4, IND_SOURCE 8.
        let valid = |head| head_is_valid(head, 15, 2, 4);
        assert!(valid(0x8123_4000 | 2));
        assert!(valid(4));
        assert!(!valid(0));
        assert!(!valid(0x8123_4000 | 1));
        assert!(!valid(0x8123_4000 | 8));
        // Two flags at once: the stub would take it as IND_SOURCE.
        assert!(!valid(0x8123_4000 | 8 | 2));
        assert!(!valid(0x8123_4000 | 4));
    }

    #[test]
    fn stub_must_fit_the_control_page() {
        assert!(stub_fits(300, 4096));
        assert!(stub_fits(4096, 4096));
        assert!(!stub_fits(4097, 4096));
        assert!(!stub_fits(0, 4096));
    }

    #[test]
    fn alias_offset_gives_the_physical_address() {
        // Sv39-like layout: linear map at 0xffffffd800000000 for RAM at 0x80000000.
        let pa: usize = 0x8123_4000;
        let va_pa_offset: usize = 0xffff_ffd8_0000_0000usize.wrapping_sub(0x8000_0000);
        let linear = pa.wrapping_add(va_pa_offset);
        let alias: usize = 0xffff_ffc6_8000_3000;
        let vv = va_va_offset(linear, alias);
        let off = stub_va_pa_offset(va_pa_offset, vv);
        assert_eq!(alias.wrapping_sub(off), pa);
        // A byte inside the page keeps its offset.
        assert_eq!((alias + 0x44).wrapping_sub(off), pa + 0x44);
        // Without an alias (alias == linear) the offset is the linear one.
        assert_eq!(
            stub_va_pa_offset(va_pa_offset, va_va_offset(linear, linear)),
            va_pa_offset
        );
    }
}
