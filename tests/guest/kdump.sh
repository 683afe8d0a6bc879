# Crash kexec. Stage 1: load and unload a capture kernel (kexec -p, -p -u),
# load it again, crash through sysrq (on CPU rvk.cpu= if given). The capture
# kernel reads /proc/vmcore whole and checks its ELF header.
case $(arg stage) in
1)
	grep -q 'Crash kernel' /proc/iomem || fail "no crashkernel= reservation"
	img=$(image Image)
	initrd=$(self_initrd)
	cmd="$(next_cmdline) maxcpus=1"
	run kexec -c -p "$img" --initrd="$initrd" --append="$cmd" || fail "kexec -p failed"
	a=$(cat /sys/kernel/kexec_crash_loaded)
	run kexec -p -u || fail "kexec -p -u failed"
	echo "RVK-KDUMP load/unload: crash_loaded $a -> $(cat /sys/kernel/kexec_crash_loaded)"
	run kexec -c -p "$img" --initrd="$initrd" --append="$cmd" || fail "kexec -p failed"
	echo "RVK: crash loaded: $(cat /sys/kernel/kexec_crash_loaded)"
	cpu=$(arg cpu)
	taskset -c "${cpu:-0}" sh -c 'echo c >/proc/sysrq-trigger'
	fail "sysrq crash returned"
	;;
*)
	[ -e /proc/vmcore ] || fail "no /proc/vmcore in the capture kernel"
	size=$(stat -c %s /proc/vmcore)
	read=$(cat /proc/vmcore | wc -c)
	# e_ident[0..4], then e_type (16..17) and e_machine (18..19).
	magic=$(head -c 4 /proc/vmcore | od -An -tx1 | tr -d ' \n')
	class=$(head -c 5 /proc/vmcore | tail -c 1 | od -An -tu1 | tr -d ' ')
	type=$(head -c 18 /proc/vmcore | tail -c 2 | od -An -tu2 | tr -d ' ')
	machine=$(head -c 20 /proc/vmcore | tail -c 2 | od -An -tu2 | tr -d ' ')
	echo "RVK-VMCORE size=$size read=$read magic=$magic class=$class type=$type machine=$machine hart=$(boot_hart)"
	marker
	;;
esac
