#!/usr/bin/env bash
# Build the host-side QEMU harness (tests/harness) and run its unit tests.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

harness() {
	cd "$TOP/tests/harness"
	cargo build --release --locked -q
	cargo test --release --locked -q 2>&1 | grep -E 'test result|FAILED|panicked' || true
}
step "QEMU harness (cargo build)" harness
