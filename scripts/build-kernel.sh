#!/usr/bin/env bash
# Build one kernel variant of $BASE: rust (the series, Rust kexec switch on),
# c (the series, switch off: C machine_kexec), stock (the pristine tree, no
# patch of ours: the baseline) or norel (rust without CONFIG_RELOCATABLE, a
# vmlinux to load), each optionally with a configuration feature:
# <kind>-<feature> (kfile: kexec_file_load only, no CPU hotplug asked for;
# cfi: kCFI; gcc: built with Debian's riscv64-linux-gnu-gcc instead of
# LLVM, without Rust; rv32: a riscv32 kernel, without Rust). Output:
# $KOUT/<variant>/. A stamp keyed by the config fragments, the tree and the
# toolchain skips the whole step when nothing changed (a warm run then
# costs no tinyconfig, merge or no-op make).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:?usage: build-kernel.sh rust|c|stock|norel[-kfile|-cfi|-gcc|-dump|-debug|-rv32]}
kind=${variant%%-*}
feature=${variant#"$kind"}
feature=${feature#-}
T=$KTREE
if [ "$kind" = stock ]; then
	# A checkout of the pristine commit beside the staged tree.
	T=$(pristine_worktree) || die "cannot check out the pristine tree beside $KTREE"
fi
O=$KOUT/$variant
CFG=$KOUT/cfg-$variant
mkdir -p "$O" "$CFG"
# shellcheck disable=SC2046
KMAKE=(make -C "$T" $(kmake_vars))
if [ "$feature" = gcc ]; then
	# Distribution kernels are GCC builds; LLVM= (empty) overrides LLVM=1.
	KMAKE+=(LLVM= CROSS_COMPILE=riscv64-linux-gnu-)
	CC_VERSION=$(riscv64-linux-gnu-gcc --version | head -1)
fi

# Fragments merged on tinyconfig, later ones overriding earlier ones:
# common, per base, per kind, per base and kind, then the same two for the
# feature (the optional ones only where they exist).
frags=()
for f in rvkexec rvkexec-$BASE rvkexec-$kind rvkexec-$BASE-$kind \
	${feature:+rvkexec-$feature rvkexec-$BASE-$feature}; do
	[ -e "$TOP/arch/riscv/configs/$f.config" ] && frags+=("$TOP/arch/riscv/configs/$f.config")
done
stamp_key=$( {
	cat "${frags[@]}"
	git -C "$T" rev-parse 'HEAD^{tree}'
	git -C "$T" status --porcelain --untracked-files=no
	kmake_vars
	/usr/bin/rustc --version
	clang --version | head -1
	[ "$feature" != gcc ] || echo "gcc: $CC_VERSION"
} | sha256sum | cut -c1-16)

configure() {
	"${KMAKE[@]}" -s O="$CFG" tinyconfig >/dev/null
	(cd "$CFG" && "$T/scripts/kconfig/merge_config.sh" -m -O "$CFG" "$CFG/.config" "${frags[@]}" >/dev/null)
	"${KMAKE[@]}" -s O="$CFG" olddefconfig >/dev/null
	# Every symbol the fragments ask for must survive olddefconfig.
	local lost
	# (A later fragment overrides an earlier one, as in merge_config.sh.)
	lost=$(cat "${frags[@]}" | sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1=n/p; /^CONFIG_/p' |
		awk -F= '{ v[$1] = $0 } END { for (k in v) print v[k] }' | grep '=[ym]$' | while read -r l; do
		grep -qx "$l" "$CFG/.config" || echo "$l"
	done)
	[ -z "$lost" ] || die "Kconfig dropped: $(echo $lost) (dependency missing? see $CFG/.config)"
	local want_rust
	want_rust=$(cat "${frags[@]}" | sed -n 's/^# CONFIG_RUST is not set$/n/p; s/^CONFIG_RUST=\(.\)$/\1/p' | tail -1)
	if [ "$want_rust" = y ] && ! grep -qx CONFIG_RUST=y "$CFG/.config"; then
		die "CONFIG_RUST=y was dropped (is 'make rustavailable' happy?)"
	fi
	if ! cmp -s "$CFG/.config" "$O/.config"; then
		cp "$CFG/.config" "$O/.config"
		echo "config changed"
	fi
	echo "$(grep -c '=y' "$O/.config") symbols =y, $(grep -E '^CONFIG_(RUST|KEXEC|KEXEC_FILE|RISCV_KEXEC_RUST|HOTPLUG_CPU|CFI|CFI_CLANG)=' "$O/.config" | tr '\n' ' ')"
}

build() {
	local log=$O/build.log rc=0
	"${KMAKE[@]}" O="$O" -j"$(($(nproc) + 1))" Image vmlinux >"$log" 2>&1 &
	local pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 20
		kill -0 "$pid" 2>/dev/null && echo "  ... $(grep -cE '^  (CC|RUSTC|AS|LD|AR)' "$log") objects, last: $(tail -1 "$log")"
	done
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		grep -E 'error|Error' "$log" | head -20 || true
		tail -30 "$log"
		die "kernel build ($variant) failed; full log: $log"
	fi
	grep -iE 'warning:' "$log" | head -10 || true
	ls -l "$O/arch/riscv/boot/Image" "$O/vmlinux"
}

# 6.12's riscv kexec_file_load cannot load an LLD-linked vmlinux; wrap Image in
# a single-PT_LOAD ELF at the kernel's virtual base (load address 0).
wrap() {
	local d=$O/wrap
	mkdir -p "$d"
	cp "$O/arch/riscv/boot/Image" "$d/Image"
	(cd "$d" && llvm-objcopy -I binary -O elf64-littleriscv Image image.o)
	cat >"$d/wrap.lds" <<'LDS'
ENTRY(0xffffffff80000000)
SECTIONS { . = 0xffffffff80000000; .text : AT(0) { *(.data) } }
LDS
	ld.lld -m elf64lriscv -T "$d/wrap.lds" "$d/image.o" -o "$O/Image.elf"
	llvm-readelf -l "$O/Image.elf" | grep -c LOAD | sed 's/^/PT_LOAD segments in Image.elf: /'
}

# (rv32 has no kexec_file_load to load the wrapped ELF with.)
wrapped=$O/Image.elf
[ "$feature" != rv32 ] || wrapped=$O/arch/riscv/boot/Image
if [ "$(cat "$O/.rvk-stamp" 2>/dev/null)" = "$stamp_key" ] && [ -f "$wrapped" ]; then
	log "$BASE $variant kernel up to date (stamp $stamp_key): $(cat "$O/include/config/kernel.release")"
	exit 0
fi
rm -f "$O/.rvk-stamp"
# A feature variant starts from a copy of its kind's build: what the
# feature's options do not touch is not built twice.
# (Not across compilers or word sizes: a GCC or rv32 build shares no
# object with an LLVM rv64 one.)
if [ -n "$feature" ] && [ "$feature" != gcc ] && [ "$feature" != rv32 ] && [ ! -e "$O/vmlinux" ] && [ -e "$KOUT/$kind/vmlinux" ]; then
	step "seed $BASE $variant from the $kind build" cp -a "$KOUT/$kind/." "$O/"
	rm -f "$O/.rvk-stamp"
fi
# c is rust with the Rust switch off, from the same tree and flags: only
# what that switch touches is built again (6.12: 60 s instead of 301 s
# from scratch; mainline's c has KUnit too, rvkexec-mainline-c.config).
if [ "$variant" = c ] && [ ! -e "$O/vmlinux" ] && [ -e "$KOUT/rust/vmlinux" ]; then
	step "seed $BASE c from the rust build" cp -a "$KOUT/rust/." "$O/"
	rm -f "$O/.rvk-stamp"
fi
step "configure $BASE $variant kernel (tinyconfig + ${frags[*]##*/})" configure
step "build $BASE $variant kernel (Image vmlinux)" build
[ "$feature" = rv32 ] || step "wrap $BASE $variant Image as a one-segment ELF" wrap
echo "$stamp_key" >"$O/.rvk-stamp"
