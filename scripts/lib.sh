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
CRASH_VERSION=9.0.2
# The mainline base: Debian sid's linux-source-7.2, pinned (it must match
# the hunks); the LTS base takes whatever 6.12.y bookworm offers.
LINUX_72_VERSION=7.2.13-1

# The kernel base: mainline (Linux 7.2, the default: what the series is
# for) or lts (Linux 6.12, the stable backport). Each base has its own
# staged tree ($KTREE), kernel builds and initramfs ($KOUT) under $BCACHE.
BASE=${BASE:-mainline}
case $BASE in
mainline) KSERIES=7.2 ;;
lts) KSERIES=6.12 ;;
*)
	echo "ERROR: BASE=$BASE: use BASE=mainline (Linux 7.2) or BASE=lts (Linux 6.12)" >&2
	exit 1
	;;
esac
BCACHE=$CACHE/$BASE
KTREE=$BCACHE/linux
KOUT=$BCACHE/out

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

# pristine_worktree: check out the pristine commit of $BASE in a worktree
# beside the staged tree (the stock kernels and the build matrix build it);
# prints its path.
pristine_worktree() {
	local t=$BCACHE/linux-pristine
	if [ ! -e "$t/.git" ]; then
		git -C "$KTREE" worktree prune || return 1
		git -C "$KTREE" worktree add -q --detach "$t" pristine || return 1
	fi
	git -C "$t" checkout -q -f --detach pristine || return 1
	echo "$t"
}

# base_hunks: the hunks of $BASE in series order (byte order of the names,
# whatever the locale). hunks/NAME applies to both bases unless
# hunks/$BASE/NAME replaces it; hunks/$BASE/ may add its own.
base_hunks() {
	(cd "$TOP" && for f in hunks/*.patch "hunks/$BASE"/*.patch; do
		[ -e "$f" ] && basename "$f"
	done | LC_ALL=C sort -u | while read -r n; do
		if [ -e "hunks/$BASE/$n" ]; then echo "hunks/$BASE/$n"; else echo "hunks/$n"; fi
	done)
}
