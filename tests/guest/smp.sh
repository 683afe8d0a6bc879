# SMP: kexec from a non-boot hart. Kernel A runs with reboot=s<cpu> so the
# kexec core stays on that CPU, and the kexec command itself is pinned there.
# B must boot on that hart and bring all harts up again. With rvk.file=1
# A loads with kexec_file_load (kexec -s) instead, for kernels without
# kexec_load.
cpu=$(arg cpu)
case $(arg stage) in
1)
	echo "RVK-SMP A: boot hart $(boot_hart), $(grep -c ^processor /proc/cpuinfo) cpus, kexec from cpu ${cpu:-0} (hart $(awk -v c="${cpu:-0}" '/^processor/ { p = $3 } /^hart\t*:/ && p == c { print $3 }' /proc/cpuinfo))"
	if [ "$(arg file)" = 1 ]; then
		run kexec -s -l "$(image elf)" --initrd="$(self_initrd)" --append="$(next_cmdline)" ||
			fail "kexec -s -l failed"
	else
		run kexec -c -l "$(image Image)" --initrd="$(self_initrd)" --append="$(next_cmdline)" ||
			fail "kexec -c -l failed"
	fi
	run taskset -c "${cpu:-0}" kexec -e
	fail "kexec -e returned"
	;;
*)
	echo "RVK-SMP B: boot hart $(boot_hart), $(grep -c ^processor /proc/cpuinfo) cpus online"
	marker
	;;
esac
