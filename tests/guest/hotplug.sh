# CPU hotplug, then kexec: A takes the CPUs in rvk.offline= (comma
# separated; 0 is the boot CPU) offline through sysfs, loads B and runs
# kexec -e on what is left. kernel_kexec() moves to the reboot CPU (CPU 0,
# or the first online one when CPU 0 is offline): B must boot on that CPU's
# hart (OpenSBI picks A's boot hart, not always hart 0) with every hart.
case $(arg stage) in
1)
	n=$(grep -c ^processor /proc/cpuinfo)
	for c in $(arg offline | tr , ' '); do
		[ -e "/sys/devices/system/cpu/cpu$c/online" ] || fail "cpu$c has no online switch"
		echo 0 >"/sys/devices/system/cpu/cpu$c/online" || fail "cpu$c did not go offline"
	done
	online=$(cat /sys/devices/system/cpu/online)
	cpu=${online%%[-,]*}
	hart=$(cpu_hart "$cpu")
	echo "RVK-HOTPLUG A: $n cpus, online now: $online, offline: $(cat /sys/devices/system/cpu/offline); kexec on cpu $cpu (hart $hart)"
	run kexec -c -l "$(image Image)" --initrd="$(self_initrd)" --append="$(next_cmdline hart="$hart")" ||
		fail "kexec -c -l failed"
	run kexec -e
	fail "kexec -e returned"
	;;
*)
	h=$(boot_hart)
	[ "$h" = "$(arg hart)" ] || fail "B booted on hart $h, A ran kexec on hart $(arg hart)"
	echo "RVK-HOTPLUG B: boot hart $h (A's kexec hart), $(grep -c ^processor /proc/cpuinfo) cpus online"
	marker
	;;
esac
