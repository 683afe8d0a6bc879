#!/usr/bin/env bash
# Everything a base needs before QEMU runs: stage the tree of $BASE, build
# its kernels ($KERNELS, the $BASELINE, the load-only ones, the feature
# ones) and, with "rootfs", the guest initramfs that carries them.
# With SUITE=extended: the feature kernels of `make check-extended` instead
# (dump: DWARF and a virtio disk, for crash(8); gcc: built with GCC, as
# distribution kernels are; debug: KASAN and the other checkers, and
# platforms: ACPI and SiFive; rv32: riscv32 kernels; mainline only) and
# its initramfs, rootfs-extended.
# Usage: [SUITE=extended] BASE=mainline|lts scripts/prepare.sh kernels|rootfs
set -euo pipefail
. "$(dirname "$0")/lib.sh"

what=${1:?usage: prepare.sh kernels|rootfs}
kernels=${KERNELS-rust c}
baseline=${BASELINE-stock}
# Load-only kernels: the non-relocatable vmlinux is a mainline scenario of
# the extended suite (its build, 8 min cold, was make check's budget).
if [ -z "${LOADONLY+set}" ]; then
	LOADONLY=$([ "$BASE" = mainline ] && [ "${SUITE:-main}" = extended ] && echo norel || true)
fi
export LOADONLY
# Feature kernels, booted as A only by the scenarios that name the feature
# (tests/scenarios.toml `build`): kexec_file only (kfile) and kCFI (cfi), of
# the C path and of the baseline. Their rows are in the extended suite
# (eight kernels, about 25 minutes cold: make check's cold budget).
feature_kernels=
for k in $kernels $baseline; do
	case $k in c | stock) feature_kernels="$feature_kernels $k-kfile $k-cfi" ;; esac
done
EXTRA_KERNELS=${EXTRA_KERNELS-}
# platforms: ACPI and the SiFive SoC drivers (servers under UEFI + ACPI,
# -machine sifive_u); B of those rows is rust-platforms or c-platforms.
platforms=
for k in $kernels $baseline; do platforms="$platforms $k-platforms"; done

if [ "${SUITE:-main}" = extended ]; then
	if [ -z "${EXTENDED_KERNELS+set}" ]; then
		EXTENDED_KERNELS="rust-dump c-dump stock-dump c-gcc stock-gcc"
		EXTENDED_KERNELS="$EXTENDED_KERNELS$feature_kernels"
		[ "$BASE" != mainline ] || EXTENDED_KERNELS="$EXTENDED_KERNELS rust-debug c-debug$platforms c-rv32 stock-rv32"
	fi
	EXTRA_KERNELS=$EXTENDED_KERNELS
	# (CAPTURE_IMAGES= empty: a run of the extended scenarios that need
	# no capture kernel of their own, e.g. ONLY=gcc.)
	export ROOTFS=rootfs-extended CAPTURE_IMAGES=${CAPTURE_IMAGES-c-dump}
	# The platforms rows' B kernels in an initramfs of their own
	# (`rootfs = "platforms"`): the other extended rows (KASAN kernels
	# unpack it slowly) do not carry their 57 MB.
	case " $EXTRA_KERNELS " in *-platforms" "*) platforms_rootfs=1 ;; esac
fi

# Debian's own 6.12 kernel as kernel A (`build = "debian"`, mainline's
# extended suite): downloaded by make setup (SUITE=extended), not built;
# <kernel>-debian holds it for each column, whose kernel is then B.
debian_a() {
	local img=$CACHE/debian-riscv64/out/kernels/Image-debian-6.12 k
	[ -f "$img" ] || die "no $img (SUITE=extended make setup fetches Debian's kernel)"
	for k in $kernels; do
		mkdir -p "$KOUT/$k-debian/arch/riscv/boot"
		cmp -s "$img" "$KOUT/$k-debian/arch/riscv/boot/Image" || cp "$img" "$KOUT/$k-debian/arch/riscv/boot/Image"
	done
	echo "kernel A for the debian rows: $(basename "$img") ($(du -h "$img" | cut -f1)), as$(printf ' %s-debian' $kernels)"
}

# The rv32 rows (`rootfs = "rv32"`): Debian has no riscv32 C library, so
# /init is tests/guest/rv32/init.c, freestanding; it kexecs into c-rv32's
# Image with an initramfs of itself alone.
rv32_rootfs() {
	local r=$KOUT/rootfs-rv32 img=$KOUT/c-rv32/arch/riscv/boot/Image
	[ -f "$img" ] || die "no $img (the c-rv32 kernel)"
	rm -rf "$r" && mkdir -p "$r/boot" "$r/next"
	clang --target=riscv32-unknown-elf -march=rv32imac -mabi=ilp32 -mno-relax \
		-ffreestanding -fno-builtin -nostdlib -static -O2 -Wall -Wextra -Werror \
		-fuse-ld=lld -Wl,-e,_start -o "$r/init" "$TOP/tests/guest/rv32/init.c"
	cp "$r/init" "$r/next/init"
	(cd "$r/next" && echo init | cpio -o -H newc --owner=0:0 --quiet) >"$r/boot/initrd-next.cpio"
	rm -rf "$r/next"
	cp "$img" "$r/boot/Image"
	(cd "$r" && find . -print | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) >"$KOUT/rootfs-rv32.cpio"
	echo "rootfs-rv32.cpio: $(du -h "$KOUT/rootfs-rv32.cpio" | cut -f1) (init $(stat -c %s "$r/init") B, B = c-rv32)"
}

log "base $BASE (Linux $KSERIES): kernels ${kernels:-none}, baseline ${baseline:-none}, load-only ${LOADONLY:-none}, feature:${EXTRA_KERNELS:- none}"
"$TOP/scripts/stage-kernel.sh"
for k in $kernels $baseline $LOADONLY $EXTRA_KERNELS; do
	"$TOP/scripts/build-kernel.sh" "$k"
done
if [ "${SUITE:-main}" = extended ] && [ "$BASE" = mainline ]; then
	step "Debian's 6.12 kernel as kernel A (downloaded)" debian_a
fi
if [ "$what" = rootfs ]; then
	# shellcheck disable=SC2086
	"$TOP/scripts/build-rootfs.sh" $kernels
	if [ -n "${platforms_rootfs:-}" ]; then
		ROOTFS=rootfs-platforms CAPTURE_IMAGES= LOADONLY= NEXT_IMAGES="rust-platforms c-platforms" \
			"$TOP/scripts/build-rootfs.sh" $kernels
	fi
	case " $EXTRA_KERNELS " in *" c-rv32 "*) step "guest initramfs rootfs-rv32 ($BASE)" rv32_rootfs ;; esac
	# The debian rows (`rootfs = "debian"`): Debian's kernel as A, or as
	# B (/boot/Image-debian), beside ours.
	if [ "${SUITE:-main}" = extended ] && [ "$BASE" = mainline ]; then
		ROOTFS=rootfs-debian CAPTURE_IMAGES= LOADONLY= \
			DEBIAN_IMAGE=$CACHE/debian-riscv64/out/kernels/Image-debian-6.12 \
			"$TOP/scripts/build-rootfs.sh" $kernels
	fi
fi
