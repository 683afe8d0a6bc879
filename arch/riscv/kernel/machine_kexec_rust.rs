// SPDX-License-Identifier: GPL-2.0

//! The RISC-V kexec machine layer in Rust (`CONFIG_RISCV_KEXEC_RUST`).
//!
//! `machine_kexec_prepare()`, `machine_kexec()` and `machine_kexec_cleanup()`
//! for the generic kexec core. Unlike the C implementation, which enters its
//! relocation code with the MMU off, the stub starts with the MMU on, from
//! an alias rather than the linear mapping: the control page is mapped a
//! second time with `vm_map_ram()`, that 4 KiB alias is made read-only and
//! executable, and the stub is told how to find its physical address from
//! the alias. The linear mapping keeps its huge leaves and its permissions.
//!
//! The decisions live in [`machine_kexec_logic`]; this file holds the calls
//! into the kernel and the C entry points, which hand over at once.

use core::mem::ManuallyDrop;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::error::{code::*, to_result};
use kernel::ffi::{c_int, c_uint, c_ulong, c_void};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;
use kernel::types::Opaque;
use kernel::uaccess::{UserPtr, UserSlice};

mod machine_kexec_logic;

use machine_kexec_logic::{FdtMiss, Probe, SegmentInfo, FDT_HEADER_SIZE};

/// Prefix of the `pr_*!` messages (the Rust macros always print one; where
/// both implementations report the same event, the text after it is the C
/// one's).
const __LOG_PREFIX: &[u8] = b"kexec\0";

/// Pages in the control page: `KEXEC_CONTROL_PAGE_SIZE` is `PAGE_SIZE` on
/// RISC-V (`asm/kexec.h`). The constant is not in the bindings, which every
/// architecture and configuration builds: it exists only with
/// `CONFIG_KEXEC_CORE`, and where it is a literal bindgen emits it itself.
const CONTROL_PAGES: c_uint = 1;
// `ControlAlias::release()` keeps a page out of the allocator with one
// extra reference, which holds for an order-0 page only.
const _: () = assert!(CONTROL_PAGES == 1);
const _: () = assert!(core::mem::size_of::<bindings::fdt_header>() == FDT_HEADER_SIZE);

/// The signature shared by the relocation stub and the crash path (which
/// ignores `vector`).
type KexecMethod = unsafe extern "C" fn(
    first_ind_entry: c_ulong,
    jump_addr: c_ulong,
    fdt_addr: c_ulong,
    hartid: c_ulong,
    va_pa_offset: c_ulong,
    vector: c_ulong,
) -> !;

extern "C" {
    /// Start of the relocation stub (`kexec_stub.S`), copied to the control page.
    static riscv_kexec_stub: [u8; 0];
    /// Size of the relocation stub in bytes.
    static riscv_kexec_stub_size: c_uint;
    /// `fence.i` on this hart (`local_flush_icache_all()`, which is inline).
    fn riscv_kexec_fence_i();
    /// Jumps to a crash kernel that is already in place.
    fn riscv_kexec_stub_norelocate(
        first_ind_entry: c_ulong,
        jump_addr: c_ulong,
        fdt_addr: c_ulong,
        hartid: c_ulong,
        va_pa_offset: c_ulong,
        vector: c_ulong,
    ) -> !;
}

/// A `struct kimage` as the kexec core lends it to the machine layer.
///
/// C code points into the structure (its list heads), so this layer makes
/// no Rust reference to the whole of it: fields are read and written
/// through the raw pointer, one at a time.
///
/// # Invariants
///
/// The `struct kimage` is valid, and the caller holds the kexec lock or
/// is the only one who can reach the image (kexec_file_load() frees an
/// image it never published after kexec_unlock()): nothing writes the
/// fields this layer reads or writes concurrently.
#[repr(transparent)]
struct Kimage(Opaque<bindings::kimage>);

impl Kimage {
    /// Borrows the image the kexec core passed in.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct kimage` that, for `'a`, nobody
    /// else writes: the caller holds the kexec lock, or the image is not
    /// published and only the caller can reach it.
    unsafe fn from_raw<'a>(ptr: *mut bindings::kimage) -> &'a Self {
        // SAFETY: `Kimage` is a transparent wrapper of the structure, which
        // is valid for `'a` (the caller's guarantee).
        unsafe { &*ptr.cast() }
    }

    /// Whether this is a crash kernel image (`KEXEC_TYPE_CRASH`).
    fn is_crash(&self) -> bool {
        // SAFETY: the image is valid and nothing writes its bitfields
        // concurrently (type invariant); only the bitfield word is read.
        unsafe { bindings::kimage::type__raw(self.0.get()) == bindings::KEXEC_TYPE_CRASH }
    }

    /// Whether the image was loaded by `kexec_file_load()`.
    fn file_mode(&self) -> bool {
        // SAFETY: as in `is_crash()`.
        unsafe { bindings::kimage::file_mode_raw(self.0.get()) != 0 }
    }

    /// The first entry of the image's indirection list (`image->head`).
    fn head(&self) -> c_ulong {
        // SAFETY: a valid image whose `head` nobody writes now (type invariant).
        unsafe { (*self.0.get()).head }
    }

    /// The address of `image->head`, where the relocation stub starts.
    fn head_addr(&self) -> c_ulong {
        // SAFETY: only the field's address is taken.
        unsafe { &raw const (*self.0.get()).head as c_ulong }
    }

    /// The entry point of the new kernel (`image->start`).
    fn start(&self) -> c_ulong {
        // SAFETY: a valid image, `start` not written now (type invariant).
        unsafe { (*self.0.get()).start }
    }

    /// The image's page for the relocation code.
    fn control_code_page(&self) -> *mut bindings::page {
        // SAFETY: a valid image, the field not written now (type invariant).
        unsafe { (*self.0.get()).control_code_page }
    }

    /// The segments the loader filled in.
    fn segments(&self) -> &[bindings::kexec_segment] {
        let image = self.0.get();
        // SAFETY: a valid image; its segment table is filled in before the
        // machine layer is called and not written while the lock is held
        // (type invariant), so a shared reference to it is sound.
        let (table, nr) = unsafe { (&(*image).segment, (*image).nr_segments) };
        &table[..nr.min(table.len())]
    }

    /// `kimage_arch.fdt_addr`: the physical address of the FDT.
    fn fdt_addr(&self) -> c_ulong {
        // SAFETY: a valid image that nothing writes concurrently (type
        // invariant).
        unsafe { (*self.0.get()).arch.fdt_addr }
    }

    fn set_fdt_addr(&self, addr: c_ulong) {
        // SAFETY: a plain store to one field of a valid image that nothing
        // else accesses concurrently (type invariant).
        unsafe { (*self.0.get()).arch.fdt_addr = addr };
    }

    /// `kimage_arch.control_code_buffer`: the sealed alias, or NULL.
    fn control_code_buffer(&self) -> *mut c_void {
        // SAFETY: a valid image that nothing writes concurrently (type
        // invariant).
        unsafe { (*self.0.get()).arch.control_code_buffer }
    }

    fn set_control_code_buffer(&self, alias: *mut c_void) {
        // SAFETY: a plain store to one field of a valid image that nothing
        // else accesses concurrently (type invariant).
        unsafe { (*self.0.get()).arch.control_code_buffer = alias };
    }
}

/// The buffer of segment `seg` as an address: the user pointer `buf`
/// (`kexec_load()`) or the kernel pointer `kbuf` (`kexec_file_load()`) of
/// its anonymous union. The one place that names bindgen's field for it.
fn segment_buffer(seg: &bindings::kexec_segment) -> *mut c_void {
    // SAFETY: both members of the union are raw pointers, so reading either
    // gives the stored one as an address; the kexec core allocates the
    // image zeroed, so the bytes are initialised even for an unused entry.
    unsafe { seg.__bindgen_anon_1.kbuf }
}

/// A `vm_map_ram()` alias of the kexec control page.
///
/// Created writable so the stub can be copied in, then sealed read-only and
/// executable; it is never writable and executable at once. Dropping it
/// restores the default permissions and unmaps the alias.
///
/// # Invariants
///
/// `addr` was returned by `vm_map_ram()` for [`CONTROL_PAGES`] pages, `page`,
/// and stays mapped until `drop`. While `sealed` is false the alias is
/// writable and not executable; `sealed` turns true when sealing starts, and
/// from then on the alias may be read-only and may be executable, until
/// `unseal()`.
struct ControlAlias {
    addr: NonNull<u8>,
    page: NonNull<bindings::page>,
    sealed: bool,
}

impl ControlAlias {
    /// Maps `page` a second time in the vmalloc area.
    ///
    /// # Safety
    ///
    /// `page` must point to a valid page that outlives the returned alias.
    unsafe fn map(page: *mut bindings::page) -> Result<Self> {
        let page = NonNull::new(page).ok_or(EINVAL)?;
        let mut pages = [page.as_ptr()];
        // SAFETY: `pages` holds `CONTROL_PAGES` valid pages (the caller's
        // guarantee); vm_map_ram() only reads the array.
        let addr = unsafe {
            bindings::vm_map_ram(pages.as_mut_ptr(), CONTROL_PAGES, bindings::NUMA_NO_NODE)
        };
        let addr = NonNull::new(addr.cast()).ok_or(ENOMEM)?;
        // INVARIANT: `addr` was just returned by vm_map_ram() for `page`.
        Ok(Self {
            addr,
            page,
            sealed: false,
        })
    }

    fn addr(&self) -> c_ulong {
        self.addr.as_ptr() as c_ulong
    }

    /// Copies `code` to the start of the alias (before it is sealed).
    fn write(&mut self, code: &[u8]) -> Result {
        if self.sealed || code.len() > PAGE_SIZE {
            return Err(EINVAL);
        }
        // SAFETY: the alias is mapped writable (not sealed yet) for a whole
        // page by the type invariant, and `code` fits in it.
        unsafe { core::ptr::copy_nonoverlapping(code.as_ptr(), self.addr.as_ptr(), code.len()) };
        Ok(())
    }

    /// Makes the alias read-only, then executable.
    fn seal(&mut self) -> Result {
        // INVARIANT: from here on the alias may be read-only and executable.
        self.sealed = true;
        // SAFETY: `addr` is a mapped vm_map_ram() alias of `CONTROL_PAGES`
        // pages (type invariant); set_memory_*() on it changes the alias only.
        to_result(unsafe { bindings::set_memory_ro(self.addr(), CONTROL_PAGES as c_int) })?;
        // SAFETY: as above.
        to_result(unsafe { bindings::set_memory_x(self.addr(), CONTROL_PAGES as c_int) })
    }

    /// Hands the alias over to C (`kimage_arch.control_code_buffer`).
    fn into_raw(self) -> *mut c_void {
        ManuallyDrop::new(self).addr.as_ptr().cast()
    }

    /// Takes back an alias handed over by [`ControlAlias::into_raw`].
    ///
    /// # Safety
    ///
    /// `addr` must come from `into_raw()` of a sealed alias of `page`, and
    /// must not be used afterwards by anyone else.
    unsafe fn from_raw(addr: NonNull<c_void>, page: NonNull<bindings::page>) -> Self {
        // INVARIANT: the caller guarantees `addr` is a live alias of `page`.
        Self {
            addr: addr.cast(),
            page,
            sealed: true,
        }
    }
}

impl ControlAlias {
    /// Gives the alias its default permissions back (RW, not X).
    ///
    /// Before the PTE goes, so that no stale executable TLB entry outlives
    /// the mapping; set_memory_rw_nx() sets W and clears X in one page-table
    /// walk with one TLB flush, so the alias is never W and X on the way.
    fn unseal(&mut self) -> Result {
        // SAFETY: `addr` is a live alias of `CONTROL_PAGES` pages (type
        // invariant); set_memory_*() on it changes the alias only.
        to_result(unsafe { bindings::set_memory_rw_nx(self.addr(), CONTROL_PAGES as c_int) })?;
        // INVARIANT: RW and not X again.
        self.sealed = false;
        Ok(())
    }
}

impl ControlAlias {
    /// Unmaps the alias once `unsealed` says it is no longer executable.
    ///
    /// If it may still be executable, both stay for good: vm_unmap_ram()
    /// flushes the TLB lazily, so the page, back in the allocator and
    /// writable through the linear map, could still be executed through a
    /// stale entry of the alias. An extra page reference keeps
    /// kimage_free() from freeing the page.
    fn release(&mut self, unsealed: Result) {
        if let Err(e) = unsealed {
            pr_warn!(
                "control page alias may still be executable ({e:?}): keeping it and its page\n"
            );
            // SAFETY: `page` is a valid page (type invariant); the reference
            // taken here is never dropped.
            unsafe { bindings::get_page(self.page.as_ptr()) };
            return;
        }
        // SAFETY: `addr` came from vm_map_ram() for `CONTROL_PAGES` pages and
        // is unmapped exactly once, here.
        unsafe { bindings::vm_unmap_ram(self.addr.as_ptr().cast(), CONTROL_PAGES) };
    }
}

impl Drop for ControlAlias {
    fn drop(&mut self) {
        let unsealed = if self.sealed { self.unseal() } else { Ok(()) };
        self.release(unsealed);
    }
}

/// The relocation stub as a byte slice.
fn stub() -> &'static [u8] {
    // SAFETY: `riscv_kexec_stub` and `riscv_kexec_stub_size` describe one
    // constant blob in .rodata, defined by kexec_stub.S.
    unsafe {
        core::slice::from_raw_parts(
            (&raw const riscv_kexec_stub).cast::<u8>(),
            riscv_kexec_stub_size as usize,
        )
    }
}

/// A copy of an FDT header that libfdt accepts: `fdt_ro_probe_()` refuses a
/// header whose address is not 8-byte aligned (`-FDT_ERR_ALIGNMENT`).
#[repr(C, align(8))]
struct FdtHeaderBuf([u8; FDT_HEADER_SIZE]);
const _: () = assert!(core::mem::align_of::<FdtHeaderBuf>() >= 8);

impl FdtHeaderBuf {
    /// Whether libfdt takes this copy as a valid FDT header.
    fn is_valid(&self) -> bool {
        // SAFETY: `self` is a full, 8-byte aligned copy of a header;
        // fdt_check_header() reads only the header fields.
        unsafe { bindings::fdt_check_header(self.0.as_ptr().cast()) == 0 }
    }
}

/// Reads the first bytes of segment `seg` and checks them as an FDT header.
///
/// # Safety
///
/// `file_mode` must be the image's `file_mode`, and `seg.bufsz` at least
/// [`FDT_HEADER_SIZE`]; in file mode `seg.kbuf` must be readable for
/// `seg.bufsz` bytes (the kexec core's copy of the segment).
unsafe fn probe_segment(seg: &bindings::kexec_segment, file_mode: bool) -> Probe {
    let mut hdr = FdtHeaderBuf([0; FDT_HEADER_SIZE]);
    if file_mode {
        // In file mode the buffer is `kbuf`, a kernel pointer.
        let kbuf = segment_buffer(seg);
        // SAFETY: `kbuf` is readable for `bufsz >= FDT_HEADER_SIZE` bytes
        // (the caller's guarantee).
        unsafe { core::ptr::copy_nonoverlapping(kbuf.cast(), hdr.0.as_mut_ptr(), FDT_HEADER_SIZE) };
    } else {
        // Outside file mode it is `buf`, a user pointer.
        let ubuf = segment_buffer(seg);
        let mut reader = UserSlice::new(UserPtr::from_ptr(ubuf), FDT_HEADER_SIZE).reader();
        if reader.read_slice(&mut hdr.0).is_err() {
            return Probe::Unreadable;
        }
    }
    if hdr.is_valid() {
        Probe::Fdt {
            totalsize: machine_kexec_logic::fdt_totalsize(&hdr.0),
        }
    } else {
        Probe::NotFdt
    }
}

/// Finds the FDT among the image's segments and records its address.
fn find_image_fdt(image: &Kimage) -> Result {
    let file_mode = image.file_mode();
    let segments = image.segments();
    let nr = segments.len();
    let infos = segments.iter().map(|s| SegmentInfo {
        has_buf: !segment_buffer(s).is_null(),
        bufsz: s.bufsz,
        memsz: s.memsz,
    });
    // SAFETY: find_fdt() probes only segments whose buffer holds a header;
    // in file mode `kbuf` is the image loader's buffer of `bufsz` bytes.
    let probe = |i| unsafe { probe_segment(&segments[i], file_mode) };
    match machine_kexec_logic::find_fdt(infos, probe) {
        Ok(i) => {
            image.set_fdt_addr(segments[i].mem);
            Ok(())
        }
        Err(FdtMiss {
            too_small,
            no_buf,
            unreadable,
            not_fdt,
            truncated,
        }) => {
            pr_err!(
                "Device tree not included in the provided image: {nr} segments, {too_small} too small, {no_buf} without buffer, {unreadable} unreadable, {not_fdt} without a valid FDT header, {truncated} truncated\n"
            );
            Err(EINVAL)
        }
    }
}

/// Copies the stub into the control page through a sealed alias.
fn map_control_page(image: &Kimage) -> Result<ControlAlias> {
    let code = stub();
    if !machine_kexec_logic::stub_fits(code.len(), PAGE_SIZE) {
        pr_err!(
            "Relocation code ({} bytes) doesn't fit within a control page\n",
            code.len()
        );
        return Err(EINVAL);
    }
    // SAFETY: the control page is allocated with the image and freed only
    // after machine_kexec_cleanup(), which drops the alias.
    let mut alias = unsafe { ControlAlias::map(image.control_code_page()) }.inspect_err(|_| {
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

fn prepare(image: &Kimage) -> Result {
    find_image_fdt(image)?;
    if !image.is_crash() {
        let alias = map_control_page(image)?;
        image.set_control_code_buffer(alias.into_raw());
    }
    Ok(())
}

/// Checks what [`kexec`] relies on, once the image's entry list is complete:
/// refusing a bad image here fails the load, while `machine_kexec()` runs
/// after the other harts and the devices are shut down.
fn post_load(image: &Kimage) -> Result {
    if image.is_crash() {
        return Ok(());
    }
    if kernel::warn_on!(!head_ok(image) || image.control_code_buffer().is_null()) {
        pr_err!(
            "Refusing an image whose entry list begins with {:#x}\n",
            image.head()
        );
        return Err(EINVAL);
    }
    Ok(())
}

/// Whether the relocation stub can start from the image's head entry.
fn head_ok(image: &Kimage) -> bool {
    machine_kexec_logic::head_is_valid(
        image.head(),
        bindings::IND_FLAGS as usize,
        bindings::IND_INDIRECTION as usize,
        bindings::IND_DONE as usize,
    )
}

/// Undoes [`prepare`]: unseals and unmaps the control page alias.
///
/// # Safety
///
/// `control_code_buffer` must be NULL or an alias that [`prepare`] stored,
/// and the control page must still be allocated.
unsafe fn cleanup(image: &Kimage) {
    let (Some(addr), Some(page)) = (
        NonNull::new(image.control_code_buffer()),
        NonNull::new(image.control_code_page()),
    ) else {
        return;
    };
    image.set_control_code_buffer(core::ptr::null_mut());
    // SAFETY: `addr` came from into_raw() in prepare() for this page (the
    // caller's guarantee) and was just cleared, so it is taken back once.
    drop(unsafe { ControlAlias::from_raw(addr, page) });
}

/// The hart id of this hart: `cpuid_to_hartid_map(smp_processor_id())`.
fn this_hartid() -> c_ulong {
    #[cfg(CONFIG_SMP)]
    {
        // Interrupts are off and the other harts are stopped: the CPU id
        // cannot change under us.
        let cpu = kernel::cpu::CpuId::current().as_u32() as usize;
        let map = &raw const bindings::__cpuid_to_hartid_map;
        // SAFETY: `__cpuid_to_hartid_map` is written during SMP bring-up and
        // only read since.
        let hartid = unsafe { (*map).get(cpu).copied() };
        // A CPU id is below nr_cpu_ids, which is at most NR_CPUS, the map's
        // length; should that ever fail there is no hart to start on (a
        // panic is BUG(), as in kexec() below).
        match hartid {
            Some(hartid) => hartid,
            None => panic!("kexec: CPU {cpu} is past the hart id map"),
        }
    }
    #[cfg(not(CONFIG_SMP))]
    // SAFETY: `boot_cpu_hartid` is written once during early boot.
    unsafe {
        bindings::boot_cpu_hartid
    }
}

/// Starts the image: the relocation stub through the control page alias, or
/// the crash kernel in place.
///
/// # Safety
///
/// `image` must have been prepared by [`prepare`], checked by [`post_load`]
/// and not cleaned up; the other harts are stopped and interrupts are off
/// on this one.
unsafe fn kexec(image: &Kimage) -> ! {
    let hartid = this_hartid();
    let jump_addr = image.start();
    let fdt_addr = image.fdt_addr();
    let first_ind_entry = image.head_addr();
    // SAFETY: `kernel_map` is written once during early boot.
    let va_pa_offset = unsafe { bindings::kernel_map.va_pa_offset };

    #[cfg(CONFIG_SMP)]
    // SAFETY: smp_crash_stop_failed() only reads an atomic counter.
    if unsafe { bindings::smp_crash_stop_failed() } {
        // WARN(), as the C implementation: the taint and the backtrace tell
        // a kdump user why the dump may be incomplete.
        pr_warn!("Some CPUs may be stale, kdump will be unreliable.\n");
        kernel::warn_on!(true);
    }

    let (method, offset, vector): (KexecMethod, c_ulong, bool) = if !image.is_crash() {
        // post_load() refused anything else, and nothing can be undone now:
        // a Rust panic is BUG(), as arm64's machine_kexec() has BUG_ON()
        // for the states it cannot go on from.
        let alias = match NonNull::new(image.control_code_buffer()) {
            Some(alias) if head_ok(image) => alias,
            _ => panic!("kexec: image changed after it was loaded"),
        };
        // SAFETY: the control page is a valid page of the image.
        let linear = unsafe { bindings::page_address(image.control_code_page()) };
        let vv = machine_kexec_logic::va_va_offset(linear as usize, alias.as_ptr() as usize);
        let off = machine_kexec_logic::stub_va_pa_offset(va_pa_offset, vv);
        // SAFETY: prepare() copied the stub to the start of this read-only,
        // executable alias; the stub has the `KexecMethod` signature.
        let method = unsafe { core::mem::transmute::<*mut c_void, KexecMethod>(alias.as_ptr()) };
        (method, off, stub_may_use_vector())
    } else {
        (
            riscv_kexec_stub_norelocate as KexecMethod,
            va_pa_offset,
            false,
        )
    };

    pr_notice!("Will call new kernel at {jump_addr:08x} from hart id {hartid:x}\n");
    pr_notice!("FDT image at {fdt_addr:08x}\n");
    if vector {
        pr_info!("Relocating with the vector extension\n");
    }
    // Make sure the relocation code is visible to this hart.
    // SAFETY: a fence.i has no preconditions.
    unsafe { riscv_kexec_fence_i() };
    pr_notice!("Bye...\n");
    // SAFETY: the method is the stub in the control page alias or the crash
    // path in kernel text; both take these arguments and do not return.
    // `vector` is set only when every hart has Zve32x (the crash path
    // ignores it).
    unsafe {
        method(
            first_ind_entry,
            jump_addr,
            fdt_addr,
            hartid,
            offset,
            vector.into(),
        )
    }
}

/// Whether the stub may copy with the vector extension: the check of C's
/// `has_vector()` (inline), Zve32x on every hart with `CONFIG_RISCV_ISA_V`.
/// The stub turns `sstatus.VS` on and off itself.
fn stub_may_use_vector() -> bool {
    if !cfg!(CONFIG_RISCV_ISA_V) {
        return false;
    }
    // SAFETY: a NULL bitmap reads the ISA extensions common to all harts,
    // which are set up at boot and never change afterwards.
    unsafe {
        bindings::__riscv_isa_extension_available(core::ptr::null(), bindings::RISCV_ISA_EXT_ZVE32X)
    }
}

/// Checks a loaded image before it can be started.
///
/// # Safety
///
/// `image` must point to a valid, loaded `struct kimage` that the caller
/// (the kexec core, holding the kexec lock) owns for the duration of the
/// call.
#[export]
pub unsafe extern "C" fn machine_kexec_post_load(image: *mut bindings::kimage) -> c_int {
    // SAFETY: valid, the kexec lock held (the caller's guarantee).
    match post_load(unsafe { Kimage::from_raw(image) }) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Validates a kexec image and prepares its control page.
///
/// # Safety
///
/// `image` must point to a valid `struct kimage` that the caller (the kexec
/// core, holding the kexec lock taken with `kexec_trylock()`) owns for the
/// duration of the call.
#[export]
pub unsafe extern "C" fn machine_kexec_prepare(image: *mut bindings::kimage) -> c_int {
    // SAFETY: valid, the kexec lock held (the caller's guarantee).
    match prepare(unsafe { Kimage::from_raw(image) }) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Releases what [`machine_kexec_prepare`] set up.
///
/// # Safety
///
/// `image` must point to a valid `struct kimage` that is being freed, with
/// the kexec lock held.
#[export]
pub unsafe extern "C" fn machine_kexec_cleanup(image: *mut bindings::kimage) {
    // SAFETY: valid, the kexec lock held (the caller's guarantee); only
    // prepare() stored `control_code_buffer`.
    unsafe { cleanup(Kimage::from_raw(image)) };
}

/// Jumps to the loaded image; never returns.
///
/// # Safety
///
/// `image` must point to a prepared `struct kimage`, with the kexec lock
/// held; the other harts are stopped and interrupts are disabled on this
/// one.
#[export]
pub unsafe extern "C" fn machine_kexec(image: *mut bindings::kimage) {
    // SAFETY: a prepared image, valid for the rest of this kernel's life,
    // the kexec lock held, other harts stopped (the caller's guarantee).
    unsafe { kexec(Kimage::from_raw(image)) }
}

#[cfg(CONFIG_RISCV_KEXEC_RUST_KUNIT_TEST)]
#[kunit_tests(riscv_kexec_machine)]
mod tests {
    use super::*;
    use kernel::alloc::{flags::GFP_KERNEL, VBox};
    use kernel::page::Page;

    extern "C" {
        /// The boot FDT (`<linux/of_fdt.h>`).
        static initial_boot_params: *mut c_void;
    }

    /// The PTE of `addr`, an address in the vmalloc area that this test
    /// mapped (or unmapped an instant ago), or 0 without a PTE table.
    fn alias_pte(addr: c_ulong) -> c_ulong {
        // SAFETY: the walk of init_mm's tables for `addr` stays valid while
        // the test's own mapping keeps its PTE table in place.
        let pte = unsafe { bindings::virt_to_kpte(addr) };
        if pte.is_null() {
            return 0;
        }
        // SAFETY: `pte` points into that live PTE table; a volatile read is
        // what ptep_get() (READ_ONCE) does.
        unsafe { core::ptr::read_volatile(pte) }.pte
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
        // The linear map kept its permissions: a write through it lands,
        // and the alias sees it.
        let mark = [0x5au8; 8];
        // SAFETY: `mark` is readable for its length; nobody else uses the page.
        unsafe { page.write_raw(mark.as_ptr(), 64, mark.len()) }?;
        // SAFETY: the alias maps the page readable, 64 + 8 bytes fit in it.
        let seen =
            unsafe { core::ptr::read_volatile(alias.addr.as_ptr().add(64).cast::<[u8; 8]>()) };
        assert_eq!(seen, mark);

        alias.unseal()?;
        assert_eq!(perms(alias_pte(addr)), (true, true, false));
        drop(alias);
        // Read at once: the vmap block keeps the range until it is purged,
        // so nothing else can have mapped it yet.
        assert_eq!(alias_pte(addr) & bindings::_PAGE_PRESENT as c_ulong, 0);
        Ok(())
    }

    #[test]
    fn set_memory_x_refuses_a_writable_alias() -> Result {
        let page = Page::alloc_page(GFP_KERNEL)?;
        // SAFETY: `page` outlives the alias.
        let alias = unsafe { ControlAlias::map(page.as_ptr()) }?;
        // SAFETY: `addr` is a live alias of one page.
        let x = unsafe { bindings::set_memory_x(alias.addr(), 1) };
        let after = perms(alias_pte(alias.addr()));
        drop(alias);
        assert_eq!(x, EINVAL.to_errno());
        assert_eq!(after, (true, true, false));
        Ok(())
    }

    #[test]
    fn set_memory_rw_refuses_an_executable_alias() -> Result {
        let page = Page::alloc_page(GFP_KERNEL)?;
        // SAFETY: `page` outlives the alias.
        let mut alias = unsafe { ControlAlias::map(page.as_ptr()) }?;
        alias.seal()?;
        // SAFETY: `addr` is a live alias of one page.
        let rw = unsafe { bindings::set_memory_rw(alias.addr(), 1) };
        let after = perms(alias_pte(alias.addr()));
        drop(alias);
        assert_eq!(rw, EINVAL.to_errno());
        assert_eq!(after, (true, false, true));
        Ok(())
    }

    /// The reference count of `page`.
    fn page_refs(page: &Page) -> i32 {
        // SAFETY: `page` is a valid page; a volatile read is what
        // page_ref_count() (atomic_read) does.
        unsafe { core::ptr::read_volatile(&raw const (*page.as_ptr())._refcount.counter) }
    }

    #[test]
    fn alias_that_stays_executable_is_kept_with_its_page() -> Result {
        let page = Page::alloc_page(GFP_KERNEL)?;
        let refs = page_refs(&page);
        // SAFETY: `page` outlives the alias, which is released by hand below.
        let mut alias = ManuallyDrop::new(unsafe { ControlAlias::map(page.as_ptr()) }?);
        if let Err(e) = alias.seal() {
            // Unmapped before `page` goes back to the allocator.
            drop(ManuallyDrop::into_inner(alias));
            return Err(e);
        }
        let addr = alias.addr();
        // What drop() does when unseal() fails.
        alias.release(Err(EIO));
        let kept = (perms(alias_pte(addr)), page_refs(&page));
        // Undo the leak: permissions back, unmap, drop the extra reference.
        alias.unseal()?;
        alias.release(Ok(()));
        // SAFETY: drops the reference release() took; `page` keeps its own.
        unsafe { bindings::__free_pages(page.as_ptr(), 0) };
        assert_eq!(kept, ((true, false, true), refs + 1));
        assert_eq!(page_refs(&page), refs);
        Ok(())
    }

    #[test]
    fn set_memory_refuses_an_unmapped_vm_map_ram_range() -> Result {
        let page = Page::alloc_page(GFP_KERNEL)?;
        // SAFETY: `page` outlives the alias.
        let alias = unsafe { ControlAlias::map(page.as_ptr()) }?;
        let addr = alias.addr();
        drop(alias);
        // The vmap block is still live, the range in it is not mapped.
        // SAFETY: set_memory_ro() checks what `addr` is before changing it.
        let ro = unsafe { bindings::set_memory_ro(addr, 1) };
        assert_eq!(ro, EINVAL.to_errno());
        Ok(())
    }

    #[test]
    fn set_memory_refuses_a_range_past_a_vm_area() -> Result {
        let buf = VBox::<[u8; PAGE_SIZE]>::new_uninit(GFP_KERNEL)?;
        let addr = buf.as_ptr() as c_ulong;
        // The page after a one-page vmalloc() area is its guard page. (Only
        // the refusal is tested: set_memory_ro() on the area itself would
        // split a huge leaf of the linear map at boot.)
        // SAFETY: set_memory_ro() checks what `addr` is before changing it.
        let past = unsafe { bindings::set_memory_ro(addr + PAGE_SIZE, 1) };
        assert_eq!(past, EINVAL.to_errno());
        Ok(())
    }

    #[test]
    fn fdt_header_copy_is_aligned_for_libfdt() {
        // SAFETY: the boot FDT stays mapped for the kernel's life (kexec_file
        // builds the next kernel's FDT from it).
        let fdt = unsafe { initial_boot_params }.cast::<u8>();
        assert!(!fdt.is_null());
        let mut hdr = FdtHeaderBuf([0; FDT_HEADER_SIZE]);
        // SAFETY: a valid FDT is longer than its header.
        unsafe { core::ptr::copy_nonoverlapping(fdt, hdr.0.as_mut_ptr(), FDT_HEADER_SIZE) };
        assert!(hdr.is_valid());
        // The same bytes 4 bytes past an 8-byte boundary: libfdt refuses
        // them, which is why the copy's alignment matters.
        let mut words = [0u64; FDT_HEADER_SIZE / 8 + 1];
        // SAFETY: `words` has room for a header after its first 4 bytes.
        let odd = unsafe { words.as_mut_ptr().cast::<u8>().add(4) };
        // SAFETY: as above.
        unsafe { core::ptr::copy_nonoverlapping(hdr.0.as_ptr(), odd, FDT_HEADER_SIZE) };
        // SAFETY: `odd` points to a full header copy.
        assert!(unsafe { bindings::fdt_check_header(odd.cast()) } != 0);
    }

    #[test]
    fn va_va_offset_finds_the_page() -> Result {
        let page = Page::alloc_page(GFP_KERNEL)?;
        // SAFETY: `page` outlives the alias.
        let alias = unsafe { ControlAlias::map(page.as_ptr()) }?;
        // SAFETY: `page` is a valid page.
        let linear = unsafe { bindings::page_address(page.as_ptr()) } as usize;
        // SAFETY: `kernel_map` is written once during early boot.
        let va_pa_offset = unsafe { bindings::kernel_map.va_pa_offset };
        let vv = machine_kexec_logic::va_va_offset(linear, alias.addr());
        let off = machine_kexec_logic::stub_va_pa_offset(va_pa_offset, vv);
        // SAFETY: the alias is a live vmalloc-area mapping.
        let pfn = unsafe { bindings::vmalloc_to_pfn(alias.addr.as_ptr().cast()) };
        let pa = pfn << kernel::page::PAGE_SHIFT;
        assert_eq!(alias.addr().wrapping_sub(off), pa);
        Ok(())
    }
}
