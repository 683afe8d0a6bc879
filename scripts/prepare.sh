#!/usr/bin/env bash
# Everything a base needs before QEMU runs: stage the tree of $BASE, build
# its kernels ($KERNELS, the $BASELINE, the load-only ones) and, with
# "rootfs", the guest initramfs that carries them.
# Usage: BASE=mainline|lts scripts/prepare.sh kernels|rootfs
set -euo pipefail
. "$(dirname "$0")/lib.sh"

what=${1:?usage: prepare.sh kernels|rootfs}
kernels=${KERNELS-rust c}
baseline=${BASELINE-stock}
# Load-only kernels: the non-relocatable vmlinux is a mainline scenario.
if [ -z "${LOADONLY+set}" ]; then
	LOADONLY=$([ "$BASE" = mainline ] && echo norel || true)
fi
export LOADONLY

log "base $BASE (Linux $KSERIES): kernels ${kernels:-none}, baseline ${baseline:-none}, load-only ${LOADONLY:-none}"
"$TOP/scripts/stage-kernel.sh"
for k in $kernels $baseline $LOADONLY; do
	"$TOP/scripts/build-kernel.sh" "$k"
done
if [ "$what" = rootfs ]; then
	# shellcheck disable=SC2086
	"$TOP/scripts/build-rootfs.sh" $kernels
fi
