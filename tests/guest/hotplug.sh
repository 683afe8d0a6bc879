# CPU hotplug, then kexec: A takes the CPUs in rvk.offline= (comma
# separated; 0 is the boot hart) offline through sysfs, loads B and runs
# kexec -e on what is left. B must boot with every hart.
case $(arg stage) in
1)
	n=$(grep -c ^processor /proc/cpuinfo)
	for c in $(arg offline | tr , ' '); do
		[ -e "/sys/devices/system/cpu/cpu$c/online" ] || fail "cpu$c has no online switch"
		echo 0 >"/sys/devices/system/cpu/cpu$c/online" || fail "cpu$c did not go offline"
	done
	echo "RVK-HOTPLUG A: $n cpus, online now: $(cat /sys/devices/system/cpu/online), offline: $(cat /sys/devices/system/cpu/offline), running on cpu $(awk '{ print $39 }' /proc/self/stat)"
	run kexec -c -l "$(image Image)" --initrd="$(self_initrd)" --append="$(next_cmdline)" ||
		fail "kexec -c -l failed"
	run kexec -e
	fail "kexec -e returned"
	;;
*)
	echo "RVK-HOTPLUG B: boot hart $(boot_hart), $(grep -c ^processor /proc/cpuinfo) cpus online"
	marker
	;;
esac
