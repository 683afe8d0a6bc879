# Crash kexec: load a capture kernel with kexec -p, crash through sysrq; the
# capture kernel reports the size and ELF magic of /proc/vmcore.
case $(arg stage) in
1)
	grep -q 'Crash kernel' /proc/iomem || fail "no crashkernel= reservation"
	run kexec -p "$(image Image)" --initrd="$(self_initrd)" \
		--append="$(next_cmdline) maxcpus=1" || fail "kexec -p failed"
	echo "RVK: crash loaded: $(cat /sys/kernel/kexec_crash_loaded)"
	echo c >/proc/sysrq-trigger
	fail "sysrq crash returned"
	;;
*)
	[ -e /proc/vmcore ] || fail "no /proc/vmcore in the capture kernel"
	size=$(stat -c %s /proc/vmcore)
	magic=$(head -c 4 /proc/vmcore | od -An -tx1 | tr -d ' \n')
	echo "RVK-VMCORE size=$size magic=$magic"
	echo "RVK-MARKER $(arg marker) from stage $(arg stage) ($(variant))"
	;;
esac
