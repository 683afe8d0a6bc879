# Allocation failure in the mapping step: failslab, scoped to this task and
# to call stacks through vm_map_ram(), fails the alias mapping of the next
# kexec -l. It must get ENOMEM, leave no mapping behind, and the next load
# (without fault injection) must succeed and boot.
[ "$(arg stage)" = 1 ] || { marker; return 0; }
F=/sys/kernel/debug/failslab
[ -d $F ] || fail "no $F (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)"
# rvk.build= names A's feature build (its vm_map_ram() is elsewhere).
b=$(arg build)
read -r start end <"/boot/vm_map_ram-$(variant)${b:+-$b}.range" || fail "no vm_map_ram address range"
vmapped() { awk '/^---\[/ { f = index($0, "vmalloc() area") > 0; next } f { n++ } END { print n + 0 }' \
	/sys/kernel/debug/kernel_page_tables; }
# verbose=0: the injection prints no backtrace (a splat to the harness).
echo 0 >$F/verbose
echo N >$F/ignore-gfp-wait
echo Y >$F/task-filter
echo 100 >$F/probability
echo 1 >$F/interval
echo -1 >$F/times
echo 32 >$F/stacktrace-depth
echo "$start" >$F/require-start
echo "$end" >$F/require-end
before=$(vmapped)
img=$(image Image)
initrd=$(self_initrd)
cmd=$(next_cmdline)
# Only this subshell (and the kexec it runs) is marked to fail.
(
	echo 1 >/proc/self/make-it-fail
	kexec -c -l "$img" --initrd="$initrd" --append="$cmd" 2>/tmp/kexec.err
	echo "RVK-INJECT injected: rc=$? loaded=$(cat /sys/kernel/kexec_loaded) err=$(grep -o 'Cannot allocate memory' /tmp/kexec.err | head -1)"
)
after=$(vmapped)
[ "$after" = "$before" ] && same=unchanged || same=changed
echo "RVK-INJECT vmalloc area after the failure: $same (page-table lines $before -> $after)"
run kexec -c -l "$img" --initrd="$initrd" --append="$cmd" || fail "kexec -c -l after the injected failure failed"
run kexec -e
fail "kexec -e returned"
