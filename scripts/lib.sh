# Shared helpers for the project's scripts: paths, step timing, failure messages.
# shellcheck shell=bash

CACHE=${RVK_CACHE:-$HOME/.cache/rvkexec}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LLVM_BIN=/usr/lib/llvm-19/bin
export PATH="$LLVM_BIN:$CACHE/tools/bin:$PATH"

RUSTC_WEB_VERSION=1.85.0+dfsg3-1~deb12u3
BINDGEN_VERSION=0.71.1
BUSYBOX_VERSION=1.37.0
KEXEC_TOOLS_MIN=2.0.31

mkdir -p "$CACHE"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*"; }

die() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 1
}

# step NAME CMD...: run one named step, print its duration, stop with the
# step's name if it fails.
step() {
	local name=$1 t0=$SECONDS rc=0
	shift
	log "==> $name"
	"$@" || rc=$?
	if [ "$rc" -ne 0 ]; then
		die "step '$name' failed (exit $rc); fix the cause above and re-run the same make target"
	fi
	log "<== $name ($((SECONDS - t0)) s)"
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Toolchain variables for the kernel build (Debian's rustc-web, not rustup's).
kmake_vars() {
	echo ARCH=riscv LLVM=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
		RUSTFMT=/usr/bin/rustfmt BINDGEN="$CACHE/tools/bin/bindgen" \
		HOSTRUSTC=/usr/bin/rustc CLIPPY_DRIVER=/usr/bin/clippy-driver
}
