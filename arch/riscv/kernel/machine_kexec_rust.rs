// SPDX-License-Identifier: GPL-2.0

//! The RISC-V kexec machine layer in Rust (`CONFIG_RISCV_KEXEC_RUST`).
//!
//! `machine_kexec_prepare()`, `machine_kexec()` and `machine_kexec_cleanup()`
//! for the generic kexec core. Unlike the C implementation, the relocation
//! stub never runs from the linear mapping: the control page is mapped a
//! second time with `vm_map_ram()`, that 4 KiB alias is made read-only and
//! executable, and the stub is told how to find its physical address from
//! the alias. The linear mapping keeps its huge leaves and its permissions.
//!
//! The decisions live in [`machine_kexec_logic`]; this file holds the calls
//! into the kernel and the C entry points, which hand over at once.

use core::ptr::NonNull;
use kernel::bindings;
use kernel::error::{code::*, to_result};
use kernel::ffi::{c_int, c_uint, c_ulong, c_void};
use kernel::prelude::*;
use kernel::uaccess::{UserPtr, UserSlice};

mod machine_kexec_logic;

use machine_kexec_logic::{FdtMiss, Probe, SegmentInfo, FDT_HEADER_SIZE};

/// Prefix of the `pr_*!` messages, as `pr_fmt` gives the C side.
const __LOG_PREFIX: &[u8] = b"kexec\0";

/// Pages in the control page: `KEXEC_CONTROL_PAGE_SIZE` is `PAGE_SIZE` on RISC-V.
const CONTROL_PAGES: c_uint = 1;
const _: () = assert!(core::mem::size_of::<bindings::fdt_header>() == FDT_HEADER_SIZE);

/// The signature shared by the relocation stub and the crash path.
type KexecMethod = unsafe extern "C" fn(
    first_ind_entry: c_ulong,
    jump_addr: c_ulong,
    fdt_addr: c_ulong,
    hartid: c_ulong,
    va_pa_offset: c_ulong,
) -> !;

extern "C" {
    /// Start of the relocation stub (`kexec_stub.S`), copied to the control page.
    static riscv_kexec_stub: [u8; 0];
    /// Size of the relocation stub in bytes.
    static riscv_kexec_stub_size: c_uint;
    /// Jumps to a crash kernel that is already in place.
    fn riscv_kexec_stub_norelocate(
        first_ind_entry: c_ulong,
        jump_addr: c_ulong,
        fdt_addr: c_ulong,
        hartid: c_ulong,
        va_pa_offset: c_ulong,
    ) -> !;
}

/// A `vm_map_ram()` alias of the kexec control page.
///
/// Created writable so the stub can be copied in, then sealed read-only and
/// executable; it is never writable and executable at once. Dropping it
/// restores the default permissions and unmaps the alias.
///
/// # Invariants
///
/// `addr` was returned by `vm_map_ram()` for [`CONTROL_PAGES`] pages and stays
/// mapped until `drop`. `exec` is true once `set_memory_x()` may have changed
/// the alias.
struct ControlAlias {
    addr: NonNull<u8>,
    exec: bool,
}

impl ControlAlias {
    /// Maps `page` a second time in the vmalloc area.
    ///
    /// # Safety
    ///
    /// `page` must point to a valid page that outlives the returned alias.
    unsafe fn map(page: *mut bindings::page) -> Result<Self> {
        let mut pages = [page];
        // SAFETY: `pages` holds `CONTROL_PAGES` valid pages (the caller's
        // guarantee); vm_map_ram() only reads the array.
        let addr = unsafe {
            bindings::vm_map_ram(pages.as_mut_ptr(), CONTROL_PAGES, bindings::NUMA_NO_NODE)
        };
        let addr = NonNull::new(addr.cast()).ok_or(ENOMEM)?;
        // INVARIANT: `addr` was just returned by vm_map_ram().
        Ok(Self { addr, exec: false })
    }

    fn addr(&self) -> c_ulong {
        self.addr.as_ptr() as c_ulong
    }

    /// Copies `code` to the start of the alias (before it is sealed).
    fn write(&mut self, code: &[u8]) -> Result {
        if self.exec || code.len() > bindings::PAGE_SIZE {
            return Err(EINVAL);
        }
        // SAFETY: the alias is mapped writable (not sealed yet) for a whole
        // page by the type invariant, and `code` fits in it.
        unsafe { core::ptr::copy_nonoverlapping(code.as_ptr(), self.addr.as_ptr(), code.len()) };
        Ok(())
    }

    /// Makes the alias read-only, then executable.
    fn seal(&mut self) -> Result {
        // SAFETY: `addr` is a mapped vm_map_ram() alias of `CONTROL_PAGES`
        // pages (type invariant); set_memory_*() on it changes the alias only.
        to_result(unsafe { bindings::set_memory_ro(self.addr(), CONTROL_PAGES as c_int) })?;
        self.exec = true;
        // SAFETY: as above.
        to_result(unsafe { bindings::set_memory_x(self.addr(), CONTROL_PAGES as c_int) })
    }

    /// Hands the alias over to C (`kimage_arch.control_code_buffer`).
    fn into_raw(self) -> *mut c_void {
        let addr = self.addr.as_ptr().cast();
        core::mem::forget(self);
        addr
    }

    /// Takes back an alias handed over by [`ControlAlias::into_raw`].
    ///
    /// # Safety
    ///
    /// `addr` must come from `into_raw()` of a sealed alias and must not be
    /// used afterwards by anyone else.
    unsafe fn from_raw(addr: NonNull<c_void>) -> Self {
        // INVARIANT: the caller guarantees `addr` is a live alias.
        Self {
            addr: addr.cast(),
            exec: true,
        }
    }
}

impl Drop for ControlAlias {
    fn drop(&mut self) {
        if self.exec {
            // Take the X and RO bits back before the PTE goes, so that no
            // stale executable TLB entry outlives the mapping.
            // SAFETY: `addr` is a live alias of `CONTROL_PAGES` pages.
            let nx = unsafe { bindings::set_memory_nx(self.addr(), CONTROL_PAGES as c_int) };
            // SAFETY: as above.
            let rw = unsafe { bindings::set_memory_rw(self.addr(), CONTROL_PAGES as c_int) };
            if nx != 0 || rw != 0 {
                pr_warn!("restoring control page alias permissions failed ({nx}, {rw})\n");
            }
        }
        // SAFETY: `addr` came from vm_map_ram() for `CONTROL_PAGES` pages and
        // is unmapped exactly once, here.
        unsafe { bindings::vm_unmap_ram(self.addr.as_ptr().cast(), CONTROL_PAGES) };
    }
}

/// The relocation stub as a byte slice.
fn stub() -> &'static [u8] {
    // SAFETY: `riscv_kexec_stub` and `riscv_kexec_stub_size` describe one
    // constant blob in .rodata, defined by kexec_stub.S.
    unsafe {
        core::slice::from_raw_parts(
            core::ptr::addr_of!(riscv_kexec_stub).cast::<u8>(),
            riscv_kexec_stub_size as usize,
        )
    }
}

/// A header buffer aligned like `struct fdt_header`.
#[repr(C, align(4))]
struct FdtHeaderBuf([u8; FDT_HEADER_SIZE]);

/// Reads the first bytes of segment `seg` and checks them as an FDT header.
fn probe_segment(seg: &bindings::kexec_segment, file_mode: bool) -> Probe {
    let mut hdr = FdtHeaderBuf([0; FDT_HEADER_SIZE]);
    if file_mode {
        // SAFETY: in file mode the union holds `kbuf`, a kernel buffer of
        // `bufsz >= FDT_HEADER_SIZE` bytes (checked by find_fdt()).
        let kbuf = unsafe { seg.__bindgen_anon_1.kbuf };
        // SAFETY: `kbuf` is readable for FDT_HEADER_SIZE bytes (see above).
        unsafe { core::ptr::copy_nonoverlapping(kbuf.cast(), hdr.0.as_mut_ptr(), FDT_HEADER_SIZE) };
    } else {
        // SAFETY: outside file mode the union holds `buf`, a user pointer.
        let ubuf = unsafe { seg.__bindgen_anon_1.buf };
        let mut reader = UserSlice::new(UserPtr::from_ptr(ubuf), FDT_HEADER_SIZE).reader();
        if reader.read_slice(&mut hdr.0).is_err() {
            return Probe::Unreadable;
        }
    }
    // SAFETY: `hdr` is a full, aligned copy of a header; fdt_check_header()
    // reads only the header fields.
    if unsafe { bindings::fdt_check_header(hdr.0.as_ptr().cast()) } == 0 {
        Probe::Fdt
    } else {
        Probe::NotFdt
    }
}

/// Finds the FDT among the image's segments and records its address.
fn find_image_fdt(image: &mut bindings::kimage) -> Result {
    let nr = image.nr_segments.min(image.segment.len());
    let file_mode = image.file_mode() != 0;
    let segments = &image.segment[..nr];
    let infos = segments.iter().map(|s| SegmentInfo {
        // SAFETY: `buf` and `kbuf` share the storage; either is a pointer.
        has_buf: !unsafe { s.__bindgen_anon_1.kbuf }.is_null(),
        bufsz: s.bufsz,
        memsz: s.memsz,
    });
    match machine_kexec_logic::find_fdt(infos, |i| probe_segment(&segments[i], file_mode)) {
        Ok(i) => {
            image.arch.fdt_addr = segments[i].mem as c_ulong;
            Ok(())
        }
        Err(FdtMiss {
            too_small,
            no_buf,
            unreadable,
            not_fdt,
        }) => {
            pr_err!(
                "Device tree not included in the provided image: {nr} segments, {too_small} too small, {no_buf} without buffer, {unreadable} unreadable, {not_fdt} without a valid FDT header\n"
            );
            Err(EINVAL)
        }
    }
}

/// Copies the stub into the control page through a sealed alias.
fn map_control_page(image: &bindings::kimage) -> Result<ControlAlias> {
    let code = stub();
    if !machine_kexec_logic::stub_fits(code.len(), bindings::PAGE_SIZE) {
        pr_err!(
            "Relocation code ({} bytes) doesn't fit within a control page\n",
            code.len()
        );
        return Err(EINVAL);
    }
    // SAFETY: the control page is allocated with the image and freed only
    // after machine_kexec_cleanup(), which drops the alias.
    let mut alias = unsafe { ControlAlias::map(image.control_code_page) }.inspect_err(|_| {
        pr_err!("Failed to map the control page (vm_map_ram)\n");
    })?;
    alias.write(code)?;
    alias.seal().inspect_err(|e| {
        pr_err!(
            "Failed to make the control page alias read-only and executable: {:?}\n",
            e
        );
    })?;
    Ok(alias)
}

fn prepare(image: &mut bindings::kimage) -> Result {
    find_image_fdt(image)?;
    if image.type_() != bindings::KEXEC_TYPE_CRASH {
        let alias = map_control_page(image)?;
        image.arch.control_code_buffer = alias.into_raw();
    }
    Ok(())
}

fn cleanup(image: &mut bindings::kimage) {
    if let Some(addr) = NonNull::new(image.arch.control_code_buffer) {
        image.arch.control_code_buffer = core::ptr::null_mut();
        // SAFETY: only prepare() stores a non-NULL `control_code_buffer`,
        // from into_raw(), and it was just cleared, so it is taken once.
        drop(unsafe { ControlAlias::from_raw(addr) });
    }
}

fn kexec(image: &bindings::kimage) -> ! {
    // SAFETY: raw_smp_processor_id() has no preconditions; interrupts are
    // off and this hart is the last one running, so the id cannot change.
    let cpu = unsafe { bindings::raw_smp_processor_id() } as usize;
    // SAFETY: `__cpuid_to_hartid_map` has `NR_CPUS` entries, written during
    // SMP bring-up and only read since; `cpu` is a valid CPU id, below
    // `NR_CPUS`.
    let hartid = unsafe {
        core::ptr::addr_of!(bindings::__cpuid_to_hartid_map)
            .cast::<c_ulong>()
            .add(cpu)
            .read()
    };
    let jump_addr = image.start;
    let fdt_addr = image.arch.fdt_addr;
    let first_ind_entry = core::ptr::addr_of!(image.head) as c_ulong;
    // SAFETY: `kernel_map` is written once during early boot.
    let va_pa_offset = unsafe { bindings::kernel_map.va_pa_offset };

    #[cfg(CONFIG_SMP)]
    // SAFETY: smp_crash_stop_failed() only reads an atomic counter.
    if unsafe { bindings::smp_crash_stop_failed() } {
        pr_warn!("Some CPUs may be stale, kdump will be unreliable.\n");
    }

    let (method, offset): (KexecMethod, c_ulong) = if image.type_() != bindings::KEXEC_TYPE_CRASH {
        let alias = image.arch.control_code_buffer as c_ulong;
        // SAFETY: the control page is a valid page of the image.
        let linear = unsafe { bindings::page_address(image.control_code_page) } as c_ulong;
        let vv = machine_kexec_logic::va_va_offset(linear as usize, alias as usize);
        // SAFETY: prepare() copied the stub to the start of this read-only,
        // executable alias, and the stub has the `KexecMethod` signature.
        let method = unsafe { core::mem::transmute::<c_ulong, KexecMethod>(alias) };
        let off = machine_kexec_logic::stub_va_pa_offset(va_pa_offset, vv);
        (method, off as c_ulong)
    } else {
        (riscv_kexec_stub_norelocate as KexecMethod, va_pa_offset)
    };

    pr_notice!("Will call new kernel at {jump_addr:08x} from hart id {hartid:x}\n");
    pr_notice!("FDT image at {fdt_addr:08x}\n");
    // Make sure the relocation code is visible to this hart.
    // SAFETY: flushing the local instruction cache has no preconditions.
    unsafe { bindings::local_flush_icache_all() };
    pr_notice!("Bye...\n");
    // SAFETY: the method is the stub in the control page alias or the crash
    // path in kernel text; both take these arguments and do not return.
    unsafe { method(first_ind_entry, jump_addr, fdt_addr, hartid, offset) }
}

/// Validates a kexec image and prepares its control page.
///
/// # Safety
///
/// `image` must point to a valid `struct kimage` that the caller (the kexec
/// core, holding `kexec_mutex`) owns for the duration of the call.
#[export]
pub unsafe extern "C" fn machine_kexec_prepare(image: *mut bindings::kimage) -> c_int {
    // SAFETY: valid and exclusively ours for the call (the caller's guarantee).
    let image = unsafe { &mut *image };
    match prepare(image) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Releases what [`machine_kexec_prepare`] set up.
///
/// # Safety
///
/// `image` must point to a valid `struct kimage` that is being freed.
#[export]
pub unsafe extern "C" fn machine_kexec_cleanup(image: *mut bindings::kimage) {
    // SAFETY: valid and exclusively ours for the call (the caller's guarantee).
    cleanup(unsafe { &mut *image });
}

/// Jumps to the loaded image; never returns (C declares it `void`, which
/// `#[export]` checks the signature against).
///
/// # Safety
///
/// `image` must point to a prepared `struct kimage`; the other harts are
/// stopped and interrupts are disabled on this one.
#[export]
pub unsafe extern "C" fn machine_kexec(image: *mut bindings::kimage) {
    // SAFETY: valid for the rest of this kernel's life (the caller's guarantee).
    kexec(unsafe { &*image })
}

#[cfg(CONFIG_RISCV_KEXEC_RUST_KUNIT_TEST)]
#[kunit_tests(riscv_kexec_alias)]
mod tests {
    use super::*;
    use kernel::alloc::flags::GFP_KERNEL;
    use kernel::page::Page;

    /// The alias PTE's value, or 0 when nothing maps `addr`.
    fn alias_pte(addr: c_ulong) -> c_ulong {
        // SAFETY: virt_to_kpte() only walks init_mm's tables for `addr`.
        let pte = unsafe { bindings::virt_to_kpte(addr) };
        if pte.is_null() {
            return 0;
        }
        // SAFETY: a non-NULL result points into a live page table.
        unsafe { (*pte).pte }
    }

    fn perms(pte: c_ulong) -> (bool, bool, bool) {
        let bit = |b: u32| pte & b as c_ulong != 0;
        (
            bit(bindings::_PAGE_READ),
            bit(bindings::_PAGE_WRITE),
            bit(bindings::_PAGE_EXEC),
        )
    }

    #[test]
    fn alias_maps_the_page_and_is_never_w_and_x() -> Result {
        let page = Page::alloc_page(GFP_KERNEL)?;
        // SAFETY: `page` outlives `alias`, which is dropped at the end of
        // this scope.
        let mut alias = unsafe { ControlAlias::map(page.as_ptr()) }?;
        let addr = alias.addr();
        // SAFETY: `page` is a valid page.
        let linear = unsafe { bindings::page_address(page.as_ptr()) } as c_ulong;
        assert!(addr != linear);
        assert_eq!(perms(alias_pte(addr)), (true, true, false));

        // What is written through the alias is in the page.
        alias.write(stub())?;
        let mut first = [0u8; 16];
        // SAFETY: `first` is writable for its length, and nothing else
        // accesses the page while it is read.
        unsafe { page.read_raw(first.as_mut_ptr(), 0, first.len()) }?;
        assert_eq!(&first[..], &stub()[..16]);

        alias.seal()?;
        assert_eq!(perms(alias_pte(addr)), (true, false, true));
        // Sealed: no more writes.
        assert!(alias.write(stub()).is_err());

        drop(alias);
        assert_eq!(alias_pte(addr) & bindings::_PAGE_PRESENT as c_ulong, 0);
        Ok(())
    }

    #[test]
    fn va_va_offset_finds_the_page() -> Result {
        let page = Page::alloc_page(GFP_KERNEL)?;
        // SAFETY: `page` outlives the alias.
        let alias = unsafe { ControlAlias::map(page.as_ptr()) }?;
        // SAFETY: `page` is a valid page.
        let linear = unsafe { bindings::page_address(page.as_ptr()) } as usize;
        // SAFETY: `kernel_map` is written once during early boot.
        let va_pa_offset = unsafe { bindings::kernel_map.va_pa_offset } as usize;
        let vv = machine_kexec_logic::va_va_offset(linear, alias.addr() as usize);
        let off = machine_kexec_logic::stub_va_pa_offset(va_pa_offset, vv);
        // SAFETY: the alias is a live vmalloc-area mapping.
        let pfn = unsafe { bindings::vmalloc_to_pfn(alias.addr() as *const c_void) } as usize;
        let pa = pfn << bindings::PAGE_SHIFT;
        assert_eq!((alias.addr() as usize).wrapping_sub(off), pa);
        Ok(())
    }
}
