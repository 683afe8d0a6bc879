#!/usr/bin/env bash
# Host unit tests of the pure-logic Rust module of the kexec machine layer
# (the same file the kernel builds) and of the harness.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

logic() {
	mkdir -p "$TOP/out"
	rustc --edition 2021 --test -o "$TOP/out/machine_kexec_logic-test" \
		"$TOP/arch/riscv/kernel/machine_kexec_logic.rs"
	"$TOP/out/machine_kexec_logic-test" -q
}
fmt() {
	# The kernel's own rustfmt settings, Debian's rustfmt (as make rustfmtcheck).
	/usr/bin/rustfmt --check --edition 2021 --config-path "$KTREE/.rustfmt.toml" \
		"$TOP"/arch/riscv/kernel/*.rs
	echo "rustfmt: clean"
}
step "host unit tests: machine_kexec_logic.rs" logic
step "rustfmt --check (kernel .rustfmt.toml)" fmt
