# Concurrency: a crash kernel is loaded, then rvk.procs= processes load,
# replace and unload a small image at once (rvk-kexec-fuzz race, rvk.rounds=
# rounds each) while the crash kernel is replaced beside them. The kexec
# core's trylock makes the losers see EBUSY; anything but 0 and EBUSY is a
# failure, and nothing may stay mapped or leak. Then A crashes: the crash
# kernel loaded during the race must boot and read /proc/vmcore.
case $(arg stage) in
1) ;;
*)
	[ -e /proc/vmcore ] || fail "no /proc/vmcore in the capture kernel"
	echo "RVK-RACE capture kernel: vmcore $(stat -c %s /proc/vmcore) bytes"
	marker
	return 0
	;;
esac
grep -q 'Crash kernel' /proc/iomem || fail "no crashkernel= reservation"
crash_cmd="$(next_cmdline) maxcpus=1"
crash_initrd=$(self_initrd)
run kexec -c -p "$(image Image)" --initrd="$crash_initrd" --append="$crash_cmd" ||
	fail "kexec -p before the race failed"
rvk-kexec-load churn 1 || fail "a minimal load failed"
m0=$(memfree) v0=$(vmap) p0=$(vmapped)
procs=$(arg procs) rounds=$(arg rounds)
i=0
while [ "$i" -lt "$procs" ]; do
	rvk-kexec-fuzz race "$((i + 1))" "$rounds" >/tmp/race.$i &
	i=$((i + 1))
done
# The crash kernel, replaced while the others race (kexec -p takes the same
# lock, so it may see EBUSY too): up to three replacements in 100 tries.
crash_ok=0 crash_busy=0 j=0
while [ "$j" -lt 100 ] && [ "$crash_ok" -lt 3 ]; do
	if kexec -c -p "$(image Image)" --initrd="$crash_initrd" --append="$crash_cmd" 2>/tmp/crash.err; then
		crash_ok=$((crash_ok + 1))
	elif grep -q 'Device or resource busy' /tmp/crash.err; then
		crash_busy=$((crash_busy + 1))
		usleep 50000
	else
		fail "kexec -p failed: $(tail -1 /tmp/crash.err)"
	fi
	j=$((j + 1))
done
wait
cat /tmp/race.*
sum() { cat /tmp/race.* | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { s += $2 } END { print s + 0 }'; }
bad=$(cat /tmp/race.* | tr ' ' '\n' | grep -E '^[A-Za-z0-9]+=[0-9]+$' |
	grep -vE '^(seed|calls|0|EBUSY)=' || true)
accepted=$(sum 0)
# Each round ends in 0 (a load, or an unload, which succeeds with nothing
# loaded too) unless it met EBUSY 1000 times in a row.
echo "RVK-RACE procs=$procs rounds=$rounds accepted=$accepted ebusy=$(sum EBUSY) gave_up=$((procs * rounds - accepted)) other=[${bad}] crash_replaced=$crash_ok crash_ebusy=$crash_busy"
[ -z "$bad" ] || fail "racing loads saw errors other than EBUSY: $bad"
kexec -u
m1=$(memfree) v1=$(vmap) p1=$(vmapped) cpus=$(grep -c ^processor /proc/cpuinfo)
echo "RVK-RACE-AFTER vmalloc_mapped_kb=$p0->$p1 vm_map_ram_pages=$v0->$v1 memfree_kb=$m0->$m1"
# Nothing left mapped in the vmalloc area; vm_map_ram VA is cached in
# per-CPU vmap blocks (1024 pages each), so one block per CPU may stay.
[ "$p1" -le "$p0" ] && [ $((v1 - v0)) -le $((1024 * cpus)) ] && [ $((m0 - m1)) -lt 65536 ] ||
	fail "growth after the race"
echo "RVK-RACE crash kernel loaded: $(cat /sys/kernel/kexec_crash_loaded)"
echo c >/proc/sysrq-trigger
fail "sysrq crash returned"
