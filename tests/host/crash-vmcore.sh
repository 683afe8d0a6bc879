#!/usr/bin/env bash
# Reads kernel A's dump with crash(8) on the host: the capture kernel wrote
# /proc/vmcore (an ELF core) to the start of its virtio disk, $RVK_DISK.
# crash opens A's vmlinux ($RVK_VMLINUX, with DWARF) and the dump and runs
# sys, log, bt and kmem -i; the RVK-CRASH lines say what they showed.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
crash=$CACHE/tools/bin/crash-riscv64
[ -x "$crash" ] || { echo "RVK-FAIL crash is not built (make setup)"; exit 1; }
[ -s "$RVK_VMLINUX" ] || { echo "RVK-FAIL no vmlinux $RVK_VMLINUX"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The core ends where its last segment does; the rest of the disk is zeros.
end=0
while read -r type off _ _ filesz _; do
	case $type in LOAD | NOTE) [ $((off + filesz)) -gt "$end" ] && end=$((off + filesz)) ;; esac
done < <(llvm-readelf -l --wide "$RVK_DISK" 2>/dev/null)
[ "$end" -gt 0 ] || { echo "RVK-FAIL the disk does not start with an ELF core"; exit 1; }
truncate -s "$end" "$RVK_DISK"
echo "RVK-CRASH-DUMP vmcore=$end bytes ($(llvm-readelf -l --wide "$RVK_DISK" | grep -c ' LOAD ') PT_LOAD)"

# What crash loads first: the symbol table (".L0 " labels: patch 12).
echo "RVK-CRASH-SYMS vmlinux=$(stat -c %s "$RVK_VMLINUX") bytes $(llvm-readelf -s --wide "$RVK_VMLINUX" |
	awk '/^Symbol table .\.symtab/ { on = 1; next } on && $1 ~ /^[0-9]+:$/ { n++; if ($8 == ".L0") l++ }
		END { printf "symbols=%d local_labels=%d", n, l }')"
printf '%s\n' sys log bt 'kmem -i' exit >"$work/cmds"
t0=$SECONDS
timeout "${RVK_CRASH_TIMEOUT:-240}" "$crash" -s -i "$work/cmds" "$RVK_VMLINUX" "$RVK_DISK" >"$work/out" 2>&1
rc=$?
[ "$rc" -ne 124 ] || echo "RVK-CRASH no prompt within ${RVK_CRASH_TIMEOUT:-240} s"
sed 's/^/| /' "$work/out"
echo "RVK-CRASH exit=$rc secs=$((SECONDS - t0))"
out=$work/out
panic=$(sed -n 's/^ *PANIC: //p' "$out" | head -1)
release=$(sed -n 's/^ *RELEASE: //p' "$out" | head -1)
echo "RVK-CRASH sys: PANIC: $panic RELEASE: $release"
# log's lines start with the printk time stamp.
echo "RVK-CRASH log: A's line: $(grep -cE "^\[ *[0-9.]+\] rvk-kernel-a-log $RVK_MARKER" "$out"), A's panic: $(grep -cE '^\[ *[0-9.]+\] Kernel panic - not syncing: sysrq triggered crash' "$out")"
# bt's header: PID: n TASK: addr CPU: n COMMAND: "name"
task=$(grep -m1 '^PID: ' "$out" | sed 's/  */ /g')
echo "RVK-CRASH bt: COMMAND: ${task##*COMMAND: } ${task% COMMAND:*}"
# crash names a frame by its return address: sysrq_handle_crash ends in a
# call to panic(), so its frame shows as the function after it.
echo "RVK-CRASH bt frames: $(grep -cE '^ *#[0-9]+ ' "$out") __handle_sysrq=$(grep -cE '#[0-9]+ .* __handle_sysrq ' "$out") vpanic=$(grep -cE '#[0-9]+ .* vpanic ' "$out")"
echo "RVK-CRASH kmem: $(grep -m1 'TOTAL MEM' "$out" | sed 's/  */ /g')"
