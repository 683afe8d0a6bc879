# The seed's scenario: kexec -l must leave the linear mapping as it is (no
# split huge leaf, no executable linear page) and no mapping may be W+X.
# The control page alias must show as one 4 KiB X.R PTE in the vmalloc area
# while loaded, and be gone after kexec -u (the C path maps none: it runs
# the control page with the MMU off). Then kexec for real.
[ "$(arg stage)" = 1 ] || { marker; return 0; }
PT=/sys/kernel/debug/kernel_page_tables
section() { awk -v s="$1" '/^---\[/ { f = index($0, s) > 0; next } f' $PT; }
wx() { grep -c ' X W R ' $PT; }
execs() { section "vmalloc() area" | grep -c ' X \. R V'; }
# The linear mapping. With debug_pagealloc=on every free page is unmapped
# there (V clear) and every allocation maps it again, so the valid bit is
# left out and the ranges that then look alike are merged: what stays
# compared is the mapping's size and permissions.
linear() {
	if grep -q 'debug_pagealloc=on' /proc/cmdline; then
		section "Linear mapping" | awk '
			/^0x/ { split($1, r, "-"); a = ""; for (i = 4; i < NF; i++) a = a " " $i
				if (r[1] == end && a == attrs) { end = r[2]; next }
				if (end != "") print start "-" end attrs
				start = r[1]; end = r[2]; attrs = a }
			END { if (end != "") print start "-" end attrs }'
	else
		section "Linear mapping"
	fi
}

echo "RVK-PT paging: $(grep -m1 '^mmu' /proc/cpuinfo | tr -d '\t ')"
# rvk.cycles=N: N load/unload cycles, then what they left in the linear
# mapping (an executable page of the control page, split huge leaves).
n=$(arg cycles)
if [ -n "$n" ]; then
	linear >/tmp/linear.before
	i=0
	while [ "$i" -lt "$n" ]; do
		kexec -c -l "$(image Image)" --append="$(next_cmdline)" || fail "kexec -c -l failed in cycle $i"
		kexec -u || fail "kexec -u failed in cycle $i"
		i=$((i + 1))
	done
	linear >/tmp/linear.after
	echo "RVK-PT cycles=$n: linear_changed_lines=$(diff /tmp/linear.before /tmp/linear.after | grep -c '^[-+]0x') linear_wx=$(grep -c ' X W R ' /tmp/linear.before)->$(grep -c ' X W R ' /tmp/linear.after) linear_lines=$(grep -c '^0x' /tmp/linear.before)->$(grep -c '^0x' /tmp/linear.after) wx_mappings=$(wx)"
	marker
	return 0
fi
linear >/tmp/linear.before
exec_before=$(execs)
run kexec -c -l "$(image Image)" --append="$(next_cmdline)" || fail "kexec -c -l failed"
linear >/tmp/linear.loaded
changed=$(diff /tmp/linear.before /tmp/linear.loaded | grep -c '^[-+]0x')
alias=$(section "vmalloc() area" | grep -c '4K PTE .* X \. R V')
echo "RVK-PT loaded: linear_changed_lines=$changed wx_mappings=$(wx) exec_vmalloc_4k=$alias linear_4k_ptes=$(grep -c PTE /tmp/linear.loaded)/$(grep -c PTE /tmp/linear.before)"
diff /tmp/linear.before /tmp/linear.loaded | grep '^[-+]0x' | head -6 | sed 's/^/RVK-PT-DIFF /'
run kexec -u || fail "kexec -u failed"
echo "RVK-PT unloaded: exec_vmalloc_extra=$(($(execs) - exec_before)) wx_mappings=$(wx)"
# B only prints the marker: its initramfs needs no kernels (/boot).
run kexec -c -l "$(image Image)" --initrd="$(self_initrd)" --append="$(next_cmdline)" ||
	fail "kexec -c -l failed"
run kexec -e
fail "kexec -e returned"
