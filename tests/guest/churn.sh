# Load/unload churn: rvk.cycles= rounds of kexec -l / kexec -u, then as many
# kexec -l replacing a loaded image; vm_map_ram areas and MemFree must not grow.
n=$(arg cycles)
# Pages held by vm_map_ram() areas (vmap blocks included).
vmap() { awk '/vm_map_ram/ { s += $2 } END { print s / 4096 }' /proc/vmallocinfo; }
memfree() { awk '/^MemFree:/ { print $2 }' /proc/meminfo; }
img=$(image Image)
cmd="$(next_cmdline)"
# Warm up once so that first-use allocations are not counted as growth.
kexec -l "$img" --append="$cmd" && kexec -u || fail "first load failed"
v0=$(vmap) m0=$(memfree) t0=$(date +%s)
i=0
while [ $i -lt "$n" ]; do
	kexec -l "$img" --append="$cmd" 2>/dev/null || fail "kexec -l failed in cycle $i"
	kexec -u 2>/dev/null || fail "kexec -u failed in cycle $i"
	i=$((i + 1))
done
v1=$(vmap) m1=$(memfree) t1=$(date +%s)
echo "RVK-CHURN load/unload: cycles=$n vm_map_ram_pages=$v0->$v1 memfree_kb=$m0->$m1 secs=$((t1 - t0))"
i=0
while [ $i -lt $((n / 10)) ]; do
	kexec -l "$img" --append="$cmd" 2>/dev/null || fail "kexec -l (replace) failed in round $i"
	i=$((i + 1))
done
kexec -u
v2=$(vmap) m2=$(memfree)
echo "RVK-CHURN replace: rounds=$((n / 10)) vm_map_ram_pages=$v1->$v2 memfree_kb=$m1->$m2"
# Growth verdict. A leaked alias per load would add one page per cycle
# (n + n/10 pages); a vmap block (64 pages here) may stay allocated until the
# lazy purge, so allow at most n/10 pages, and MemFree within 1 MiB.
if [ $((v2 - v0)) -le $((n / 10)) ] && [ $((m0 - m2)) -lt 1024 ]; then
	echo "RVK-CHURN no-growth"
else
	echo "RVK-CHURN growth: vm_map_ram pages $v0->$v2, memfree $m0->$m2 kB"
fi
