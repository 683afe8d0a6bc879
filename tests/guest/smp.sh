# SMP: kexec from a non-boot hart. Kernel A runs with reboot=s<cpu> so the
# kexec core stays on that CPU, and the kexec command itself is pinned there.
# B must boot on that CPU's hart (OpenSBI picks which hart boots A, so
# CPU n is not always hart n; A passes it on as rvk.khart=) and bring all
# harts up again. With rvk.file=1
# A loads with kexec_file_load (kexec -s) instead, for kernels without
# kexec_load.
cpu=$(arg cpu)
case $(arg stage) in
1)
	khart=$(cpu_hart "${cpu:-0}")
	echo "RVK-SMP A: boot hart $(boot_hart), $(grep -c ^processor /proc/cpuinfo) cpus, kexec from cpu ${cpu:-0} (hart $khart)"
	if [ "$(arg file)" = 1 ]; then
		run kexec -s -l "$(image elf)" --initrd="$(self_initrd)" --append="$(next_cmdline khart="$khart")" ||
			fail "kexec -s -l failed"
	else
		run kexec -c -l "$(image Image)" --initrd="$(self_initrd)" --append="$(next_cmdline khart="$khart")" ||
			fail "kexec -c -l failed"
	fi
	run taskset -c "${cpu:-0}" kexec -e
	fail "kexec -e returned"
	;;
*)
	[ "$(boot_hart)" = "$(arg khart)" ] && same=yes || same=no
	echo "RVK-SMP B: boot hart $(boot_hart) (A's kexec hart $(arg khart): same=$same), $(grep -c ^processor /proc/cpuinfo) cpus online"
	marker
	;;
esac
