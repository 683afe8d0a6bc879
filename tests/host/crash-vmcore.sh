#!/usr/bin/env bash
# Reads kernel A's dump with crash(8) on the host: the capture kernel wrote
# /proc/vmcore (an ELF core) or makedumpfile's filtered dump to the start of
# its virtio disk, $RVK_DISK.
# crash opens A's vmlinux ($RVK_VMLINUX, with DWARF) and the dump and runs
# sys, log, bt and kmem -i; the RVK-CRASH lines say what they showed.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
crash=$CACHE/tools/bin/crash-riscv64
[ -x "$crash" ] || { echo "RVK-FAIL crash is not built (make setup)"; exit 1; }
[ -s "$RVK_VMLINUX" ] || { echo "RVK-FAIL no vmlinux $RVK_VMLINUX"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The dump ends where its last part does; the rest of the disk is zeros.
# An ELF core (/proc/vmcore as it is): where its last segment ends. A
# kdump-compressed dump (makedumpfile's, rvk.save=dump): where its last
# page, note or VMCOREINFO ends (tests/host/kdump-extent.py).
if [ "$(head -c 8 "$RVK_DISK" | tr -d '\0')" = "KDUMP   " ]; then
	read -r end level comp pages stored < <("$(dirname "$0")/kdump-extent.py" "$RVK_DISK") ||
		{ echo "RVK-FAIL not a readable kdump-compressed dump (above)"; exit 1; }
	truncate -s "$end" "$RVK_DISK"
	echo "RVK-CRASH-DUMP kdump=$end bytes (makedumpfile, dump level $level, $comp, $pages pages: $stored)"
else
	end=0
	while read -r type off _ _ filesz _; do
		case $type in LOAD | NOTE) [ $((off + filesz)) -gt "$end" ] && end=$((off + filesz)) ;; esac
	done < <(llvm-readelf -l --wide "$RVK_DISK")
	[ "$end" -gt 0 ] || { echo "RVK-FAIL no ELF core header on the disk (llvm-readelf above)"; exit 1; }
	truncate -s "$end" "$RVK_DISK"
	echo "RVK-CRASH-DUMP vmcore=$end bytes ($(llvm-readelf -l --wide "$RVK_DISK" | grep -c ' LOAD ') PT_LOAD)"
fi

# What crash loads first: the symbol table (".L0 " labels: patch 17).
echo "RVK-CRASH-SYMS vmlinux=$(stat -c %s "$RVK_VMLINUX") bytes $(llvm-readelf -s --wide "$RVK_VMLINUX" |
	awk '/^Symbol table .\.symtab/ { on = 1; next } on && $1 ~ /^[0-9]+:$/ { n++; if ($8 == ".L0") l++ }
		END { printf "symbols=%d local_labels=%d", n, l }')"
printf '%s\n' sys set log 'bt -a' 'kmem -i' exit >"$work/cmds"
t0=$SECONDS
timeout -k 10 "${RVK_CRASH_TIMEOUT:-120}" "$crash" -s -i "$work/cmds" "$RVK_VMLINUX" "$RVK_DISK" >"$work/out" 2>&1
rc=$?
[ "$rc" -ne 124 ] || echo "RVK-CRASH no prompt within ${RVK_CRASH_TIMEOUT:-120} s"
sed 's/^/| /' "$work/out"
echo "RVK-CRASH exit=$rc secs=$((SECONDS - t0))"
out=$work/out
panic=$(sed -n 's/^ *PANIC: //p' "$out" | head -1)
release=$(sed -n 's/^ *RELEASE: //p' "$out" | head -1)
echo "RVK-CRASH sys: PANIC: $panic RELEASE: $release"
# log's lines start with the printk time stamp.
echo "RVK-CRASH log: A's line: $(grep -cE "^\[ *[0-9.]+\] rvk-kernel-a-log $RVK_MARKER" "$out"), A's panic: $(grep -cE '^\[ *[0-9.]+\] Kernel panic - not syncing: sysrq triggered crash' "$out")"
# crash's own pick of the panic task (its context after start-up): on one
# of our dumps it picked CPU 0's idle task although CPU 0 ran the panicking
# "sh" (see bt -a), so the check below reads bt -a, not bt.
echo "RVK-CRASH context: $(awk '/^ *PID: / { p = $2 } /^ *COMMAND: / { c = $2 } /^ *CPU: / && p != "" { print "PID " p " COMMAND " c " CPU " $2; exit }' "$out")"
# bt -a: the task whose frames pass through __handle_sysrq (sysrq_handle_crash
# itself shows as the next function: crash names a frame by its return
# address, and it ends in the call to panic()).
awk '/^PID: / { if (hit) exit; hdr = $0; n = 0; v = 0; next }
	/^ *#[0-9]+ / && hdr != "" { n++; if ($0 ~ / v?panic /) v++; if ($0 ~ / __handle_sysrq /) hit = 1 }
	END { if (!hit) { print "RVK-CRASH bt: no task with __handle_sysrq"; exit }
		gsub(/  */, " ", hdr); cmd = hdr; sub(/.*COMMAND: /, "", cmd); sub(/ COMMAND: .*/, "", hdr)
		print "RVK-CRASH bt: COMMAND: " cmd " (" hdr ")"
		printf "RVK-CRASH bt frames: %d __handle_sysrq=1 panic=%d\n", n, v }' "$out"
echo "RVK-CRASH kmem: $(grep -m1 'TOTAL MEM' "$out" | sed 's/^ *//; s/  */ /g')"
