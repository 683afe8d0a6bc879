#!/usr/bin/env bash
# Clippy on the Rust kexec object (CLIPPY=1, kernel lints) in a separate
# build folder, so the test kernels are not rebuilt with other flags;
# then the host unit tests and rustfmt (not with --clippy).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

L=$KOUT/lint
clippy() {
	# Seeded from the rust kernel's build: only what CLIPPY=1 changes (the
	# Rust crates and the object) is built again.
	[ -e "$L/vmlinux" ] || [ ! -e "$KOUT/rust/vmlinux" ] || cp -a "$KOUT/rust/." "$L/"
	rm -f "$L/.rvk-stamp"
	mkdir -p "$L"
	cp "$KOUT/rust/.config" "$L/.config"
	# shellcheck disable=SC2046
	make -s -C "$KTREE" $(kmake_vars) O="$L" olddefconfig
	# Always compile the object again: clippy speaks only while it builds.
	rm -f "$L/arch/riscv/kernel/machine_kexec_rust.o"
	# shellcheck disable=SC2046
	make -C "$KTREE" $(kmake_vars) O="$L" -j3 CLIPPY=1 \
		arch/riscv/kernel/machine_kexec_rust.o 2>&1 | tee "$L/clippy.log" | grep -E '^(warning|error)' || true
	! grep -qE '^(warning|error)' "$L/clippy.log" || die "clippy is not clean (see $L/clippy.log)"
	grep -qE 'CLIPPY.*arch/riscv/kernel/machine_kexec_rust\.o' "$L/clippy.log" ||
		die "clippy did not run on machine_kexec_rust.o (see $L/clippy.log)"
	echo "clippy: clean"
}
step "clippy on $BASE arch/riscv/kernel/machine_kexec_rust.o" clippy
# --clippy: make check, which runs the unit tests and rustfmt itself.
[ "${1:-}" = --clippy ] || "$TOP/scripts/unit-tests.sh"
