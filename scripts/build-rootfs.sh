#!/usr/bin/env bash
# Build the guest initramfs: static busybox and kexec, /init and the guest
# scenario scripts from tests/guest, and the kernels to load under /boot.
# ROOTFS names it ($KOUT/$ROOTFS.cpio). Kernels that are only ever B or
# the capture kernel: CAPTURE_IMAGES adds their ELF (kexec -s -p; the
# extended suite's c-dump), NEXT_IMAGES their Image and ELF (the platforms
# builds, in rootfs-platforms); DEBIAN_IMAGE= a kernel Image not built
# here, as /boot/Image-debian (Debian's, in rootfs-debian).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(rust c)
ROOTFS=${ROOTFS:-rootfs}
R=$KOUT/$ROOTFS
OUT=$KOUT/$ROOTFS.cpio

assemble() {
	rm -rf "$R" && mkdir -p "$R"/{bin,sbin,boot,tests,proc,sys,dev,tmp,etc}
	install -m755 "$CACHE/tools/riscv64/busybox" "$R/bin/busybox"
	install -m755 "$CACHE/tools/riscv64/kexec" "$R/sbin/kexec"
	riscv64-linux-gnu-strip "$R/sbin/kexec"
	install -m755 "$CACHE/tools/riscv64/vmcore-dmesg" "$R/sbin/vmcore-dmesg"
	cp "$CACHE/tools/riscv64/kexec.series" "$R/boot/kexec-tools.series"
	riscv64-linux-gnu-strip "$R/sbin/vmcore-dmesg"
	install -m755 "$TOP/tests/guest/init" "$R/init"
	local t
	for t in "$TOP"/tests/guest/tools/*.c; do
		riscv64-linux-gnu-gcc -static -O2 -Wall -Werror -o "$R/bin/$(basename "$t" .c)" "$t"
	done
	cp "$TOP"/tests/guest/*.sh "$R/tests/"
	# Debian's riscv64 makedumpfile and kexec (as kexec-debian), with the
	# loader and libraries they need (scripts/debian-userland.sh).
	local deb=$CACHE/debian-riscv64/out
	[ -e "$deb/rootfs/usr/sbin/makedumpfile" ] || die "no Debian userland in $deb (make setup)"
	cp -a "$deb/rootfs/." "$R/"
	cp "$deb/versions.txt" "$R/boot/debian-versions.txt"
	# Crafted ELFs for the loader's bad-input cases.
	python3 "$TOP/tests/guest/tools/mk-bss-gap-elf.py" "$R/boot/bss-gap.elf"
	for t in bss-wrap lead-unaligned span-wrap palign; do
		python3 "$TOP/tests/guest/tools/mk-$t-elf.py" "$R/boot/elf-$t.elf"
	done
	local k o
	for k in "${kernels[@]}"; do
		o=$KOUT/$k
		[ -f "$o/Image.elf" ] || die "kernel '$k' is not built (make kernels)"
		cp "$o/arch/riscv/boot/Image" "$R/boot/Image-$k"
		cp "$o/Image.elf" "$R/boot/Image-$k.elf"
		# Address range of vm_map_ram() for the failslab stack filter, of
		# the kernel and (extended suite) of its feature builds.
		local b
		for b in "$o" $([ "$ROOTFS" = rootfs ] || ls -d "$KOUT/$k"-* 2>/dev/null); do
			[ -f "$b/System.map" ] || continue
			sort "$b/System.map" | awk '$3 == "vm_map_ram" { s = $1; next }
				s != "" { printf "0x%s 0x%s\n", s, $1; exit }' >"$R/boot/vm_map_ram-${b##*/}.range"
			[ -s "$R/boot/vm_map_ram-${b##*/}.range" ] || die "vm_map_ram not in $b/System.map"
		done
		# With CONFIG_RELOCATABLE the build strips .rela.dyn from vmlinux
		# (arch/riscv/Makefile.postlink) and boots from vmlinux.relocs,
		# which Image is made of: that is the bootable vmlinux.
		# (Only kexec-file-vmlinux loads them: not in the extended suite,
		# whose KASAN kernels take a minute per 30 MB of initramfs.)
		if [ "$ROOTFS" != rootfs ]; then
			:
		elif [ -f "$o/vmlinux.relocs" ]; then
			cp "$o/vmlinux.relocs" "$R/boot/vmlinux-$k"
		else
			cp "$o/vmlinux" "$R/boot/vmlinux-$k"
		fi
	done
	# The kernel's kexec selftests and their runner (shell scripts).
	make -s -C "$KTREE/tools/testing/selftests" ARCH=riscv TARGETS=kexec \
		INSTALL_PATH="$R/kselftest" install >/dev/null
	[ -x "$R/kselftest/kexec/test_kexec_load.sh" ] || die "kexec selftests were not installed"
	# Kernels that are only loaded, never booted first: their vmlinux.
	for k in ${LOADONLY-}; do
		cp "$KOUT/$k/vmlinux" "$R/boot/vmlinux-$k"
	done
	for k in ${CAPTURE_IMAGES-}; do
		[ -f "$KOUT/$k/Image.elf" ] || die "kernel '$k' is not built"
		cp "$KOUT/$k/Image.elf" "$R/boot/Image-$k.elf"
	done
	if [ -n "${DEBIAN_IMAGE:-}" ]; then
		cp "$DEBIAN_IMAGE" "$R/boot/Image-debian"
	fi
	for k in ${NEXT_IMAGES-}; do
		[ -f "$KOUT/$k/Image.elf" ] || die "kernel '$k' is not built"
		cp "$KOUT/$k/arch/riscv/boot/Image" "$R/boot/Image-$k"
		cp "$KOUT/$k/Image.elf" "$R/boot/Image-$k.elf"
	done
	(cd "$R" && find . -print | sort | cpio -o -H newc --owner=0:0 --quiet) >"$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
	echo "$OUT: $(du -h "$OUT" | cut -f1), $BASE kernels: ${kernels[*]} ${LOADONLY-} ${CAPTURE_IMAGES-} ${NEXT_IMAGES-}${DEBIAN_IMAGE:+ debian}"
}

step "guest initramfs $ROOTFS ($BASE)" assemble
