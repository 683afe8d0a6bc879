# Fuzzed loads: rvk.loads= kexec_load(2) calls and rvk.files= kexec_file_load(2)
# calls of damaged kernels, from the seed rvk.seed= (printed, so a run can be
# repeated). Every errno is tallied. Afterwards nothing may have grown (no
# vmalloc area left mapped, no vm_map_ram pages, MemFree within bounds) and
# a normal kexec must still boot B.
if [ "$(arg stage)" != 1 ]; then
	marker
	return 0
fi
seed=$(arg seed)
[ -n "$seed" ] || fail "no rvk.seed="
# The damaged kernels come from copies in /tmp; make them before measuring.
cp "$(image Image)" /tmp/fuzz-Image
cp "$(image elf)" /tmp/fuzz-Image.elf
# Warm up: first-use allocations are not growth.
rvk-kexec-load churn 1 || fail "a minimal load failed before fuzzing"
v0=$(vmap) p0=$(vmapped) m0=$(memfree) t0=$(date +%s)
echo "RVK-FUZZ seed=$seed loads=$(arg loads) files=$(arg files)"
rvk-kexec-fuzz load "$seed" "$(arg loads)" || fail "kexec_load fuzzer stopped"
t1=$(date +%s)
rvk-kexec-fuzz file "$seed" "$(arg files)" /tmp/fuzz-Image /tmp/fuzz-Image.elf ||
	fail "kexec_file_load fuzzer stopped"
t2=$(date +%s)
grep -q 1 /sys/kernel/kexec_loaded && fail "an image is still loaded after the fuzzers"
grep -q 1 /sys/kernel/kexec_crash_loaded && fail "a crash image is still loaded after the fuzzers"
# (The copies in /tmp go after the measurement, which they would inflate.)
v1=$(vmap) p1=$(vmapped) m1=$(memfree)
rm -f /tmp/fuzz-Image /tmp/fuzz-Image.elf
echo "RVK-FUZZ-AFTER vmalloc_mapped_kb=$p0->$p1 vm_map_ram_pages=$v0->$v1 memfree_kb=$m0->$m1 secs=$((t1 - t0))+$((t2 - t1))"
# As in churn: nothing left mapped in the vmalloc area, at most one lazily
# purged vmap block of VA per CPU, MemFree within 64 MiB (per-CPU page
# lists).
[ "$p1" -le "$p0" ] && [ $((v1 - v0)) -le "$(vmap_slack)" ] && [ $((m0 - m1)) -lt 65536 ] ||
	fail "growth after the fuzzers"
echo "RVK-FUZZ no-growth"
run kexec -c -l "$(image Image)" --initrd="$(self_initrd)" --append="$(next_cmdline)" ||
	fail "kexec -c -l after the fuzzers failed"
run kexec -e
fail "kexec -e returned"
