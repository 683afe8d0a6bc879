# Concurrency: a crash kernel is loaded, then rvk.procs= processes load,
# replace and unload a small image at once (rvk-kexec-fuzz race, rvk.rounds=
# rounds each) while kexec -p replaces the crash kernel beside them. The
# kexec core's trylock makes the losers see EBUSY; anything but 0 and EBUSY
# is a failure, every racer must finish its rounds, and nothing may stay
# mapped or leak. Then A crashes: the capture kernel must be the last crash
# kernel loaded during the race (its rvk.crashgen=).
case $(arg stage) in
1) ;;
*)
	[ -e /proc/vmcore ] || fail "no /proc/vmcore in the capture kernel"
	echo "RVK-RACE capture kernel gen=$(arg crashgen): vmcore $(stat -c %s /proc/vmcore) bytes"
	marker
	return 0
	;;
esac
grep -q 'Crash kernel' /proc/iomem || fail "no crashkernel= reservation"
crash_initrd=$(self_initrd)
crash_load() { # GEN: kexec -p of this kernel, tagged rvk.crashgen=GEN
	kexec -c -p "$(image Image)" --initrd="$crash_initrd" \
		--append="$(next_cmdline crashgen="$1") maxcpus=1" 2>/tmp/crash.err
}
crash_load 0 || fail "kexec -p before the race failed: $(tail -1 /tmp/crash.err)"
rvk-kexec-load churn 1 || fail "a minimal load failed"
m0=$(memfree) v0=$(vmap) p0=$(vmapped)
procs=$(arg procs) rounds=$(arg rounds)
i=0 pids=
while [ "$i" -lt "$procs" ]; do
	rvk-kexec-fuzz race "$((i + 1))" "$rounds" >/tmp/race.$i &
	pids="$pids $!"
	i=$((i + 1))
done
# The crash kernel, replaced while the others race (kexec -p takes the same
# lock, so it may see EBUSY too): three replacements, up to 300 tries.
gen=0 crash_busy=0 j=0
while [ "$j" -lt 300 ] && [ "$gen" -lt 3 ]; do
	if crash_load $((gen + 1)); then
		gen=$((gen + 1))
	elif grep -q 'Device or resource busy' /tmp/crash.err; then
		crash_busy=$((crash_busy + 1))
		usleep 50000
	else
		fail "kexec -p failed: $(tail -1 /tmp/crash.err)"
	fi
	j=$((j + 1))
done
alive=0
for p in $pids; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
for p in $pids; do wait "$p" || fail "a racer exited with $?"; done
cat /tmp/race.*
[ "$(cat /tmp/race.* | grep -c '^RVK-FUZZ-ERRNO race ')" = "$procs" ] || fail "a racer printed no tally"
sum() { cat /tmp/race.* | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { s += $2 } END { print s + 0 }'; }
bad=$(cat /tmp/race.* | tr ' ' '\n' | grep -E '^[A-Za-z0-9]+=[0-9]+$' |
	grep -vE '^(seed|calls|0|EBUSY)=' || true)
accepted=$(sum 0)
# Each round ends in 0 (a load, or an unload, which succeeds with nothing
# loaded too) unless it met EBUSY 20000 times in a row.
echo "RVK-RACE procs=$procs rounds=$rounds accepted=$accepted ebusy=$(sum EBUSY) gave_up=$((procs * rounds - accepted)) other=[${bad}] crash_replaced=$gen crash_ebusy=$crash_busy racers_alive_after_crash_loads=$alive"
[ -z "$bad" ] || fail "racing loads saw errors other than EBUSY: $bad"
[ "$gen" -ge 1 ] || fail "kexec -p never got the lock during the race"
# The lock is free again: an unload and a real load must both succeed.
run kexec -u || fail "kexec -u after the race failed"
m1=$(memfree) v1=$(vmap) p1=$(vmapped)
echo "RVK-RACE-AFTER vmalloc_mapped_kb=$p0->$p1 vm_map_ram_pages=$v0->$v1 memfree_kb=$m0->$m1"
[ "$p1" -le "$p0" ] && [ $((v1 - v0)) -le "$(vmap_slack)" ] && [ $((m0 - m1)) -lt 65536 ] ||
	fail "growth after the race"
run kexec -c -l "$(image Image)" --append="$(next_cmdline)" || fail "kexec -c -l after the race failed"
run kexec -u || fail "kexec -u failed"
echo "RVK-RACE crash kernel loaded: $(cat /sys/kernel/kexec_crash_loaded) gen=$gen"
echo c >/proc/sysrq-trigger
fail "sysrq crash returned"
