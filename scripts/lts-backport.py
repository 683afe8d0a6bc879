#!/usr/bin/env python3
"""Regenerate hunks/lts/0004a-riscv-kexec-rust-6.12-api.patch: the 6.12
backport of arch/riscv/kernel/machine_kexec_rust.rs, written for 7.2.

Run it after changing the Rust file; stage-kernel.sh (BASE=lts) then checks
that the result applies. Each rewrite names the 7.2 API it replaces.
"""
import difflib
import re
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
SRC = "arch/riscv/kernel/machine_kexec_rust.rs"
HUNK = TOP / "hunks/lts/0004a-riscv-kexec-rust-6.12-api.patch"
HEADER = """Backport of machine_kexec_rust.rs to 6.12: #[no_mangle] and a type check
of the C prototypes for #[export] (6.14), a usize for UserPtr (a type
since 6.17), the raw_smp_processor_id() binding for kernel::cpu::CpuId,
and add_taint() + dump_stack() for warn_on! (what WARN() does besides
printing), core::ptr::addr_of! for &raw const (rustc 1.82; 6.12 allows
1.78), the bitfield getters on a short-lived reference for bindgen's raw
ones (bindgen 0.70; 6.12 allows 0.65.1). The KUnit modules stay: 6.12
never sets their CONFIG_ option.
Made by scripts/lts-backport.py.

"""


def backport(s):
    def rep(a, b, n=1):
        nonlocal s
        if s.count(a) != n:
            sys.exit(f"lts-backport: expected {n}x {a!r} in {SRC}, found {s.count(a)}")
        s = s.replace(a, b)

    # UserPtr is a plain usize before 6.17.
    rep("use kernel::uaccess::{UserPtr, UserSlice};", "use kernel::uaccess::UserSlice;")
    rep("UserSlice::new(UserPtr::from_ptr(ubuf), FDT_HEADER_SIZE)",
        "UserSlice::new(ubuf as usize, FDT_HEADER_SIZE)")
    # No #[export] before 6.14: #[no_mangle] and a type check of the prototypes.
    rep("#[export]\n", "#[no_mangle]\n", 4)
    rep("/// Checks a loaded image before it can be started.\n///", """\
// The C prototypes of the entry points (6.12 has no `#[export]` to check them).
const _: unsafe extern "C" fn(*mut bindings::kimage) -> c_int = machine_kexec_post_load;
const _: unsafe extern "C" fn(*mut bindings::kimage) -> c_int = machine_kexec_prepare;
const _: unsafe extern "C" fn(*mut bindings::kimage) = machine_kexec_cleanup;
const _: unsafe extern "C" fn(*mut bindings::kimage) = machine_kexec;

/// Checks a loaded image before it can be started.
///""")
    # No kernel::cpu::CpuId in 6.12.
    rep("        let cpu = kernel::cpu::CpuId::current().as_u32() as usize;", """\
        // SAFETY: raw_smp_processor_id() has no preconditions.
        let cpu = unsafe { bindings::raw_smp_processor_id() } as usize;""")
    # No warn_on! in 6.12: WARN's taint and backtrace by hand.
    rep("        kernel::warn_on!(true);\n    }", "        lts_warn();\n    }")
    rep("    if kernel::warn_on!(!head_ok(image) || image.control_code_buffer().is_null()) {",
        "    if !head_ok(image) || image.control_code_buffer().is_null() {\n        lts_warn();")
    rep("/// The hart id of this hart", """\
/// What WARN() adds to its message on 6.12, which has no `warn_on!`: the
/// taint and a backtrace.
fn lts_warn() {
    // SAFETY: add_taint() and dump_stack() have no preconditions.
    unsafe {
        bindings::add_taint(bindings::TAINT_WARN, bindings::lockdep_ok_LOCKDEP_STILL_OK);
        bindings::dump_stack();
    }
}

/// The hart id of this hart""")
    # Raw bitfield getters need bindgen 0.70 (7.2 asks for 0.71.1); 6.12's
    # minimum is 0.65.1: the getters on a reference that lives for the read.
    rep("unsafe { bindings::kimage::type__raw(self.0.get()) == bindings::KEXEC_TYPE_CRASH }",
        "unsafe { (*self.0.get()).type_() == bindings::KEXEC_TYPE_CRASH }")
    rep("unsafe { bindings::kimage::file_mode_raw(self.0.get()) != 0 }",
        "unsafe { (*self.0.get()).file_mode() != 0 }")
    # &raw const needs rustc 1.82; 6.12's minimum is 1.78.
    rep("let map = &raw const bindings::__cpuid_to_hartid_map;",
        "let map = core::ptr::addr_of!(bindings::__cpuid_to_hartid_map);")
    s = re.sub(r"\(&raw const ([A-Za-z_.:]+)\)", r"core::ptr::addr_of!(\1)", s)
    # ... and of a field behind a raw pointer, `&raw const (*p).field`.
    s = re.sub(r"&raw const (\(\*[^()]*(?:\(\))?\)[A-Za-z_.]+)", r"core::ptr::addr_of!(\1)", s)
    if "&raw const" in s:
        sys.exit("lts-backport: a &raw const is left that the rewrite does not cover")
    return s


def main():
    old = (TOP / SRC).read_text()
    new = backport(old)
    diff = difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                f"a/{SRC}", f"b/{SRC}")
    HUNK.write_text(HEADER + "".join(diff))
    print(f"wrote {HUNK.relative_to(TOP)}")


if __name__ == "__main__":
    main()
