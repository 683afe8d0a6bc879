#!/usr/bin/env bash
# Install and build everything the project needs on a Debian 12 machine.
# Idempotent: each step checks whether its result is already there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

APT_LIST=/etc/apt/sources.list.d/rvkexec.sources
# sid is only a place to download architecture-all packages from
# (linux-source-7.2): priority 1, so nothing is ever installed from it.
APT_PIN=/etc/apt/preferences.d/rvkexec-sid
PKGS=(clang-19 lld-19 llvm-19 libclang-19-dev
	bc flex bison libelf-dev libssl-dev cpio xz-utils make git rsync
	gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
	dpkg-dev file python3-sphinx python3-yaml sparse
	g++ libgmp-dev libmpfr-dev zlib1g-dev libncurses-dev texinfo)
RUST_PKGS=(rustc-web rust-web-src libstd-rust-web-dev libstd-rust-web-1.85 rustfmt-web rust-web-clippy)
QEMU_PKGS=(qemu-system-riscv opensbi)

mirror() {
	local uri
	uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '/^deb / && /debian/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources"
	echo "$uri"
}

apt_sources() {
	local uri want
	uri=$(mirror)
	want="Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $uri
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: $uri
Suites: trixie sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
	local pin="Package: *
Pin: release n=sid
Pin-Priority: 1"
	# The pin goes in before the source, so sid is never a candidate.
	if [ "$(cat "$APT_PIN" 2>/dev/null)" != "$pin" ]; then
		echo "$pin" | as_root tee "$APT_PIN" >/dev/null
	fi
	if [ "$(cat "$APT_LIST" 2>/dev/null)" != "$want" ]; then
		echo "$want" | as_root tee "$APT_LIST" >/dev/null
		rm -f "$CACHE/.apt-updated"
	fi
	if [ ! -e "$CACHE/.apt-updated" ] || [ -n "$(find "$CACHE/.apt-updated" -mmin +1440)" ]; then
		as_root apt-get update -q
		touch "$CACHE/.apt-updated"
	else
		echo "apt indexes fresh (< 1 day), skipping apt-get update"
	fi
}

missing() {
	local p out=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || out+=("$p")
	done
	echo "${out[@]}"
}

apt_packages() {
	local m
	export DEBIAN_FRONTEND=noninteractive
	m=$(missing "${PKGS[@]}")
	[ -z "$m" ] || as_root apt-get install -y -q --no-install-recommends $m
	m=$(missing "${QEMU_PKGS[@]}")
	[ -z "$m" ] || as_root apt-get install -y -q --no-install-recommends -t bookworm-backports $m
	if [ "$(dpkg-query -W -f='${Version}' rustc-web 2>/dev/null)" != "$RUSTC_WEB_VERSION" ] ||
		[ -n "$(missing "${RUST_PKGS[@]}")" ]; then
		local spec=() p
		for p in "${RUST_PKGS[@]}"; do spec+=("$p=$RUSTC_WEB_VERSION"); done
		if ! as_root apt-get install -y -q --no-install-recommends --allow-downgrades "${spec[@]}"; then
			apt-cache madison rustc-web >&2 || true
			die "rustc-web $RUSTC_WEB_VERSION is not offered any more (see above); 6.12 needs it with its matching rust-web-src"
		fi
	fi
	/usr/bin/rustc --version
	qemu-system-riscv64 --version | head -1
}

bindgen() {
	local b=$CACHE/tools/bin/bindgen
	if [ -x "$b" ] && "$b" --version | grep -q "$BINDGEN_VERSION"; then
		echo "bindgen $BINDGEN_VERSION cached"
		return
	fi
	cargo install --locked --root "$CACHE/tools" bindgen-cli --version "$BINDGEN_VERSION"
}

# linux_source SERIES [VERSION]: Debian's linux-source-SERIES .deb, the
# version apt offers, or exactly VERSION (pinned: the mainline base).
linux_source() {
	local series=$1 ver=${2:-} d=$CACHE/dl pkg=linux-source-$1
	mkdir -p "$d"
	if [ -n "$ver" ]; then
		ls "$d/${pkg}_${ver//:/%3a}_all.deb" >/dev/null 2>&1 && { ls "$d/${pkg}_"*.deb; return; }
		if ! (cd "$d" && apt-get download "$pkg=$ver"); then
			apt-cache madison "$pkg" >&2 || true
			die "$pkg $ver is not offered any more (see above); set LINUX_72_VERSION in scripts/lib.sh to an offered 7.2.y and re-run"
		fi
	elif ! ls "$d/${pkg}_"*.deb >/dev/null 2>&1; then
		(cd "$d" && apt-get download "$pkg")
	fi
	ls "$d/${pkg}_"*.deb
}

src_version() { # PACKAGE SUITE: the source version that SUITE's Sources index offers.
	local f
	f=$(ls /var/lib/apt/lists/*_dists_"$2"_main_source_Sources* 2>/dev/null | head -1)
	[ -n "$f" ] || return 0
	/usr/lib/apt/apt-helper cat-file "$f" 2>/dev/null | awk -v p="$1" '
		/^Package: / { on = ($2 == p) } on && /^Version: / { print $2; exit }'
}

deb_src_orig() { # PACKAGE SUITE: download only the upstream tarball of a source package.
	local pkg=$1 suite=$2 d=$CACHE/dl
	mkdir -p "$d"
	ls "$d/${pkg}_"*.orig.tar.* >/dev/null 2>&1 && return 0
	local v
	v=$(src_version "$pkg" "$suite")
	[ -n "$v" ] || die "no source package $pkg in $suite (is deb-src for $suite in $APT_LIST?)"
	echo "$pkg $v from $suite"
	(cd "$d" && apt-get source --download-only "$pkg=$v" 2>&1 | tail -3) || true
	ls "$d/${pkg}_"*.orig.tar.* >/dev/null 2>&1 || die "could not download the $pkg source from $suite"
}

busybox() {
	local out=$CACHE/tools/riscv64/busybox src
	[ -x "$out" ] && { echo "busybox cached"; return; }
	deb_src_orig busybox trixie
	src=$CACHE/build-busybox
	rm -rf "$src" && mkdir -p "$src"
	tar -xf "$CACHE"/dl/busybox_*.orig.tar.* -C "$src" --strip-components=1
	cd "$src"
	make -s defconfig
	sed -i -e 's/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/' \
		-e 's/^CONFIG_TC=y/# CONFIG_TC is not set/' \
		-e 's/^CONFIG_SHA1_HWACCEL=y/# CONFIG_SHA1_HWACCEL is not set/' \
		-e 's/^CONFIG_SHA256_HWACCEL=y/# CONFIG_SHA256_HWACCEL is not set/' .config
	yes '' | make -s oldconfig >/dev/null
	make -s -j"$(nproc)" CROSS_COMPILE=riscv64-linux-gnu- busybox
	mkdir -p "$(dirname "$out")"
	cp busybox "$out"
	file "$out"
}

# kexec_tools: the guest's kexec and vmcore-dmesg, kexec-tools from sid
# with the project's kexec-tools series (kexec-tools/*.diff: the RISC-V
# crash dump header; make patches renders it as mails). Rebuilt when the
# series changes (a hash of it beside the binary).
kexec_tools() {
	local out=$CACHE/tools/riscv64/kexec src v d stamp
	stamp=$(cat "$TOP"/kexec-tools/*.diff | sha256sum | cut -c1-16)
	[ -x "$out" ] && [ -x "${out%/*}/vmcore-dmesg" ] && [ "$(cat "$out.series" 2>/dev/null)" = "$stamp" ] &&
		{ echo "kexec-tools cached (series $stamp)"; return; }
	deb_src_orig kexec-tools sid
	src=$CACHE/build-kexec-tools
	rm -rf "$src" && mkdir -p "$src"
	tar -xf "$CACHE"/dl/kexec-tools_*.orig.tar.* -C "$src" --strip-components=1
	cd "$src"
	v=$(sed -n 's/^PACKAGE_VERSION=.\([0-9.]*\).*/\1/p' configure)
	printf '%s\n%s\n' "$KEXEC_TOOLS_MIN" "$v" | sort -V -C ||
		die "kexec-tools $v has no RISC-V support (need >= $KEXEC_TOOLS_MIN)"
	[ -d kexec/arch/riscv ] || die "kexec-tools $v source has no kexec/arch/riscv"
	for d in "$TOP"/kexec-tools/*.diff; do
		patch -s -p1 <"$d" || die "$(basename "$d") does not apply to kexec-tools $v"
	done
	echo "kexec-tools $v + $(ls "$TOP"/kexec-tools/*.diff | wc -l) patches of kexec-tools/"
	./configure -q --host=riscv64-linux-gnu LDFLAGS=-static \
		--without-lzma --without-zlib --without-xen
	make -s -j"$(nproc)"
	mkdir -p "$(dirname "$out")"
	cp build/sbin/kexec "$out"
	# The capture kernel reads A's log from /proc/vmcore with it.
	cp build/sbin/vmcore-dmesg "${out%/*}/vmcore-dmesg"
	echo "$stamp" >"$out.series"
	file "$out"
}

# edk2: UEFI firmware for the QEMU virt machine (Debian's qemu-efi-riscv64,
# architecture all, from sid: bookworm has none), unpacked, not installed.
# The version apt offers (recorded in VERSION); the efi-* scenarios boot
# kernel A through it.
edk2() {
	local d=$CACHE/tools/edk2 dl=$CACHE/dl deb
	if [ -s "$d/RISCV_VIRT_CODE.fd" ] && [ -s "$d/RISCV_VIRT_VARS.fd" ] && [ -s "$d/VERSION" ]; then
		echo "EDK2 $(cat "$d/VERSION") cached"
		return
	fi
	mkdir -p "$dl" "$d"
	ls "$dl"/qemu-efi-riscv64_*_all.deb >/dev/null 2>&1 ||
		(cd "$dl" && apt-get download qemu-efi-riscv64) || die "cannot download qemu-efi-riscv64 (sid)"
	deb=$(ls "$dl"/qemu-efi-riscv64_*_all.deb | sort -V | tail -1)
	rm -rf "$d/x" && dpkg-deb -x "$deb" "$d/x" || die "cannot unpack $deb"
	mv "$d/x/usr/share/qemu-efi-riscv64/RISCV_VIRT_CODE.fd" "$d/x/usr/share/qemu-efi-riscv64/RISCV_VIRT_VARS.fd" "$d/" ||
		die "$deb has no RISCV_VIRT_CODE.fd / RISCV_VIRT_VARS.fd"
	rm -rf "$d/x"
	dpkg-deb -f "$deb" Version >"$d/VERSION"
	echo "EDK2 $(cat "$d/VERSION"): $(cd "$d" && echo *.fd)"
}

# crash_tool: crash (Debian's source with its gdb component) built on the
# host for riscv64 dumps (277 s on 2 cores). gdb is built without -g:
# smaller and quicker, and nobody debugs crash's gdb here.
crash_tool() {
	local out=$CACHE/tools/bin/crash-riscv64 src p
	[ -x "$out" ] && "$out" --version 2>/dev/null | grep -q "crash-riscv64 $CRASH_VERSION" &&
		{ echo "crash $CRASH_VERSION (target RISCV64) cached"; return; }
	deb_src_orig crash sid
	src=$CACHE/build-crash
	rm -rf "$src" && mkdir -p "$src/gdb"
	tar -xf "$CACHE"/dl/crash_*.orig.tar.* -C "$src" --strip-components=1
	tar -xf "$CACHE"/dl/crash_*.orig-gdb.tar.* -C "$src/gdb" --strip-components=2
	tar -xf "$CACHE"/dl/crash_*.debian.tar.* -C "$src"
	cd "$src"
	while read -r p; do
		[ -n "$p" ] && patch -s -p1 <"debian/patches/$p"
	done <debian/patches/series
	[ "$(cat .rh_rpm_package)" = "$CRASH_VERSION" ] ||
		die "crash source is $(cat .rh_rpm_package), expected $CRASH_VERSION (CRASH_VERSION in scripts/lib.sh)"
	# step runs this without errexit: every failure is checked.
	CFLAGS=-O2 CXXFLAGS=-O2 make -j"$(nproc)" target=RISCV64 2>&1 |
		awk '/^(checking|config\.status|configure:)/ { n++; if (n % 200) next } { print }
			END { print "(" n " configure lines not shown)" }' || die "crash build failed (see above)"
	mkdir -p "$(dirname "$out")" && cp crash "$out" || die "crash build made no binary"
	"$out" --version | head -1
}

# sparse_tool: sparse from sid's source (0.6.5~rc1) for the build matrix's
# C=2: 7.2's scripts/checker-valid.sh needs __typeof_unqual__, which
# bookworm's sparse 0.6.4 lacks (kbuild then skips sparse with a make
# warning only). Built without its LLVM/GTK tools (12 s); both report
# 0.6.4 as their version, so the build matrix keys on the binary.
sparse_unqual() { # SPARSE: does it take __typeof_unqual__ (what checker-valid.sh tests)?
	local f=$CACHE/unqual.c
	printf 'static inline int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }\n' >"$f" ||
		die "cannot write $f"
	local said
	# sparse exits 0 on errors: its output says.
	said=$("$1" "$f" 2>&1) || return 1
	case $said in *error*) return 1 ;; esac
}

sparse_tool() {
	local out=$CACHE/tools/bin/sparse src tarball
	[ -x "$out" ] && sparse_unqual "$out" &&
		{ echo "sparse (sid's $(cat "$out.source" 2>/dev/null)) cached"; return; }
	deb_src_orig sparse sid
	src=$CACHE/build-sparse tarball=$(ls "$CACHE"/dl/sparse_*.orig.tar.* | grep -v '\.asc$' | sort -V | tail -1)
	{ rm -rf "$src" && mkdir -p "$src" && tar -xf "$tarball" -C "$src" --strip-components=1; } ||
		die "cannot unpack $tarball"
	make -s -C "$src" -j"$(nproc)" HAVE_LLVM=no HAVE_GTK=no HAVE_SQLITE=no sparse ||
		die "sparse build failed"
	mkdir -p "$(dirname "$out")" && cp "$src/sparse" "$out" || die "sparse build made no binary"
	basename "$tarball" >"$out.source"
	sparse_unqual "$out" ||
		die "sparse from $(cat "$out.source") has no __typeof_unqual__ (7.2's C=2 needs it)"
	echo "sparse from $(cat "$out.source")"
}

step "apt sources (bookworm-backports; trixie/sid deb-src)" apt_sources
step "apt packages (LLVM 19, rustc-web $RUSTC_WEB_VERSION, QEMU, cross gcc)" apt_packages
step "bindgen-cli $BINDGEN_VERSION (cargo)" bindgen
step "linux-source-7.2 $LINUX_72_VERSION (.deb, sid, mainline base)" linux_source 7.2 "$LINUX_72_VERSION"
step "linux-source-6.12 (.deb, bookworm, LTS base)" linux_source 6.12
step "busybox (static, riscv64)" busybox
step "kexec-tools and vmcore-dmesg (static, riscv64, with kexec-tools/)" kexec_tools
step "sparse for 7.2's C=2 (sid's source, host build)" sparse_tool
step "EDK2 UEFI firmware for QEMU virt (qemu-efi-riscv64, sid, architecture all)" edk2
# Debian's own riscv64 makedumpfile and kexec-tools for the guest, as a
# distribution's kdump runs them (private apt state; nothing installed).
# The extended suite also boots Debian's own 6.12 kernel (its Image).
DEBIAN_KERNEL=${DEBIAN_KERNEL:-$([ "${SUITE:-main}" = extended ] && echo 1 || echo 0)} \
	"$TOP/scripts/debian-userland.sh"
# crash is read by the extended suite only (make check-extended).
if [ "${SUITE:-main}" = extended ]; then
	step "crash $CRASH_VERSION for riscv64 dumps (host build, with gdb)" crash_tool
fi
log "setup complete"
