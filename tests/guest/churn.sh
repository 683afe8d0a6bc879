# Load/unload churn: rvk.cycles= rounds of load and unload, then a tenth as
# many loads each replacing the last; vm_map_ram areas and MemFree must not
# grow.
n=$(arg cycles)
img=$(image Image)
cmd="$(next_cmdline)"
# Warm up once so that first-use allocations are not counted as growth.
kexec -c -l "$img" --append="$cmd" && kexec -u || fail "first load failed"
rvk-kexec-load churn 1 || fail "first minimal load failed"
v0=$(vmap) p0=$(vmapped) m0=$(memfree) t0=$(date +%s)
# The cycles load a minimal image (the FDT and one page) with kexec_load:
# prepare() and cleanup() are what churns, not the copy of a 12 MiB Image.
rvk-kexec-load churn "$n" || fail "load/unload cycles failed"
v1=$(vmap) p1=$(vmapped) m1=$(memfree) t1=$(date +%s)
echo "RVK-CHURN load/unload: cycles=$n vmalloc_mapped_kb=$p0->$p1 vm_map_ram_va_pages=$v0->$v1 memfree_kb=$m0->$m1 secs=$((t1 - t0))"
rvk-kexec-load replace $((n / 10)) || fail "replacing loads failed"
# And a real one, to see the kernel still loads an Image.
kexec -c -l "$img" --append="$cmd" && kexec -u || fail "kexec -c -l after the cycles failed"
v2=$(vmap) p2=$(vmapped) m2=$(memfree)
echo "RVK-CHURN replace: rounds=$((n / 10)) vmalloc_mapped_kb=$p1->$p2 vm_map_ram_va_pages=$v1->$v2 memfree_kb=$m1->$m2"
# Growth verdict. A leaked alias stays mapped: the vmalloc area's mapped KiB
# must not grow at all. The vm_map_ram VA space is purged lazily, a vmap
# block (1024 pages) at a time, so it may grow by one block per CPU. MemFree moves
# by tens of MiB with the per-CPU page lists (seen on stock C too).
if [ "$p2" -le "$p0" ] && [ $((v2 - v0)) -le "$(vmap_slack)" ] && [ $((m0 - m2)) -lt 65536 ]; then
	echo "RVK-CHURN no-growth"
else
	echo "RVK-CHURN growth: vmalloc mapped $p0->$p2 KiB, vm_map_ram pages $v0->$v2, memfree $m0->$m2 kB"
fi
