# Bad input: each image must be refused with a clean errno and a message,
# and a normal kexec must still work afterwards in the same boot.
# rvk.modes= lists the rvk-kexec-load modes to try (comma separated).
if [ "$(arg stage)" != 1 ]; then
	echo "RVK-MARKER $(arg marker) from stage $(arg stage) ($(variant))"
	return 0
fi
for m in $(arg modes | tr , ' '); do
	rvk-kexec-load "$m"
done
# kexec_file_load of a file that is not a kernel (a shell script): quiet
# as kexec-tools' probe of every `kexec -l` calls it, the reason logged
# with KEXEC_FILE_DEBUG (`kexec -d`).
if [ -n "$(arg notkernel)" ]; then
	before=$(dmesg | grep -c 'no loader recognises' || true)
	rvk-kexec-load file /tests/lib.sh
	echo "RVK-KFILE-QUIET new_lines=$(($(dmesg | grep -c 'no loader recognises' || true) - before))"
	rvk-kexec-load file-debug /tests/lib.sh
fi
# kexec_file_load of an ELF whose PT_LOADs share a page after a .bss.
[ -n "$(arg elfbss)" ] && rvk-kexec-load file /boot/bss-gap.elf
# ... and of ELFs that wrap the address space, start mid-page, or have odd
# p_align values (tests/guest/tools/mk-*-elf.py).
if [ -n "$(arg elfcrafted)" ]; then
	for t in bss-wrap lead-unaligned span-wrap palign; do
		rvk-kexec-load file-debug "/boot/elf-$t.elf"
	done
fi
echo "RVK-BADINPUT kernel still answers: $(cat /proc/loadavg)"
run kexec -c -l "$(image Image)" --initrd="$(self_initrd)" --append="$(next_cmdline)" ||
	fail "kexec -c -l after bad input failed"
run kexec -e
fail "kexec -e returned"
