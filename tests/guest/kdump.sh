# Crash kexec. Stage 1: load and unload a capture kernel (kexec -p, -p -u),
# load it again, crash through sysrq (on CPU rvk.cpu= if given). The capture
# kernel reads /proc/vmcore whole and checks its ELF header, then reads A's
# log out of it with vmcore-dmesg: it must hold the line A wrote to the
# kernel log before the crash (with the run's marker) and A's panic. With
# rvk.save=1 it then writes /proc/vmcore to the virtio disk /dev/vda, for
# crash(8) on the host (tests/host/crash-vmcore.sh), and with rvk.save=dump
# makedumpfile's filtered dump instead (-c -d 31, or rvk.dumplevel=);
# rvk.next= names the capture kernel (one with a virtio disk driver).
# rvk.makedumpfile=1: the capture kernel also runs Debian's makedumpfile as
# a distribution's kdump does (a dump filtered at -d 31, lzo-compressed,
# and --dump-dmesg).
# rvk.kexec=debian: stage 1 loads the crash kernel with Debian's own
# kexec-tools (kexec-debian) instead of the project's build.

# What makedumpfile said went wrong (its progress lines are \r-separated:
# not that).
mdf_error() { tr '\r' '\n' </tmp/mdf.log | grep -v -e '^ *$' -e '%\]' | head -4 | tr '\n' ' '; }

case $(arg stage) in
1)
	grep -q 'Crash kernel' /proc/iomem || fail "no crashkernel= reservation"
	# rvk.file=1: kexec_file_load (-s, the kernel builds the ELF core
	# header), else kexec_load (-c, kexec-tools builds it).
	# rvk.format=elf: kexec_load of the capture kernel's ELF (the one
	# image of it the extended initramfs carries).
	how=-c img=$(image Image)
	[ "$(arg format)" = elf ] && img=$(image elf)
	[ "$(arg file)" = 1 ] && how=-s img=$(image elf)
	initrd=$(self_initrd)
	cpu=$(arg cpu)
	# The capture kernel starts on the crashing CPU's hart (CPU n is not
	# always hart n: OpenSBI picks which hart boots A).
	khart=$(cpu_hart "${cpu:-0}")
	cmd="$(next_cmdline khart="$khart") maxcpus=1"
	kexec=kexec
	# The project's build carries the kexec-tools/ series (its hash).
	echo "RVK-KEXEC $(kexec --version 2>&1 | head -1) series=$(cat /boot/kexec-tools.series 2>/dev/null || echo none)"
	if [ "$(arg kexec)" = debian ]; then
		kexec=kexec-debian
		echo "RVK-KEXEC-DEBIAN $(kexec-debian --version 2>&1 | head -1) ($(grep '^kexec-tools=' /boot/debian-versions.txt | cut -d' ' -f1,2))"
	fi
	run $kexec $how -p "$img" --initrd="$initrd" --append="$cmd" || fail "kexec -p failed"
	a=$(cat /sys/kernel/kexec_crash_loaded)
	run $kexec -p -u || fail "kexec -p -u failed"
	echo "RVK-KDUMP load/unload: crash_loaded $a -> $(cat /sys/kernel/kexec_crash_loaded)"
	run $kexec $how -p "$img" --initrd="$initrd" --append="$cmd" || fail "kexec -p failed"
	echo "RVK: crash loaded: $(cat /sys/kernel/kexec_crash_loaded)"
	echo "rvk-kernel-a-log $(arg marker)" >/dev/kmsg
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
	[ "$(boot_hart)" = "$(arg khart)" ] && same=yes || same=no
	echo "RVK-KDUMP-HART same=$same: boot hart $(boot_hart), the crashing CPU's hart $(arg khart)"
	vmcore-dmesg /proc/vmcore >/tmp/vmcore-dmesg.txt 2>/tmp/vmcore-dmesg.err ||
		echo "RVK-VMCORE-DMESG failed: $(tail -1 /tmp/vmcore-dmesg.err)"
	echo "RVK-VMCORE-DMESG lines=$(wc -l </tmp/vmcore-dmesg.txt) A's line: $(grep -c "rvk-kernel-a-log $(arg marker)" /tmp/vmcore-dmesg.txt), A's panic: $(grep -o -m1 'Kernel panic - not syncing: .*' /tmp/vmcore-dmesg.txt)"
	if [ "$(arg makedumpfile)" = 1 ]; then
		t0=$(uptime_ms)
		rc=0
		makedumpfile -l -d 31 /proc/vmcore /tmp/dump >/tmp/mdf.log 2>&1 || rc=$?
		ms=$(($(uptime_ms) - t0))
		[ "$rc" = 0 ] || echo "RVK-MAKEDUMPFILE-ERROR $(mdf_error)"
		dump=$(stat -c %s /tmp/dump 2>/dev/null || echo 0)
		# A kdump-compressed file starts with "KDUMP   "; filtered at
		# -d 31 and compressed, it must be smaller than the vmcore.
		sig=$(head -c 8 /tmp/dump 2>/dev/null | tr -d ' ')
		[ "$dump" -gt 0 ] && [ "$dump" -lt "$size" ] && smaller=yes || smaller=no
		echo "RVK-MAKEDUMPFILE rc=$rc level=31 vmcore=$size dump=$dump signature=${sig:-none} smaller=$smaller ms=$ms ($(makedumpfile -v 2>&1 | head -1))"
		rm -f /tmp/dump
		rc=0
		makedumpfile --dump-dmesg /proc/vmcore /tmp/mdf-dmesg.txt >/tmp/mdf.log 2>&1 || rc=$?
		echo "RVK-MAKEDUMPFILE-DMESG rc=$rc lines=$(cat /tmp/mdf-dmesg.txt 2>/dev/null | wc -l) A's line: $(grep -c "rvk-kernel-a-log $(arg marker)" /tmp/mdf-dmesg.txt 2>/dev/null)"
	fi
	if [ "$(arg save)" = dump ]; then
		# A distribution's kdump: makedumpfile writes the filtered,
		# zlib-compressed dump (-c, which crash(8) reads without lzo or
		# zstd) straight to the disk (-f: the device exists); crash on
		# the host opens what it wrote. rvk.dumplevel= (default 31, what
		# distributions use) picks what it leaves out.
		[ -b /dev/vda ] || fail "no /dev/vda to save the dump to"
		level=$(arg dumplevel)
		level=${level:-31}
		t0=$(uptime_ms)
		rc=0
		makedumpfile -c -d "$level" -f /proc/vmcore /dev/vda >/tmp/mdf.log 2>&1 || rc=$?
		# fsync(2) of the device waits for its write-back and reports a
		# failed one (sync(2) does not); dropping its cached pages then
		# makes the signature below come from the disk.
		sync /dev/vda || fail "fsync of /dev/vda failed: the dump did not reach the disk"
		blockdev --flushbufs /dev/vda
		[ "$rc" = 0 ] || echo "RVK-MAKEDUMPFILE-ERROR $(mdf_error)"
		sig=$(head -c 8 /dev/vda | tr -d ' \0')
		echo "RVK-DUMP-SAVED /dev/vda rc=$rc level=$level signature=${sig:-none} ms=$(($(uptime_ms) - t0))"
	elif [ "$(arg save)" = 1 ]; then
		[ -b /dev/vda ] || fail "no /dev/vda to save the dump to"
		t0=$(uptime_ms)
		# O_DIRECT: through the page cache the capture kernel's small
		# memory runs out (GFP_ATOMIC failures in the block layer).
		dd if=/proc/vmcore of=/dev/vda bs=1M iflag=fullblock oflag=direct conv=fsync 2>/tmp/dd.err ||
			fail "writing /proc/vmcore to /dev/vda failed: $(tail -1 /tmp/dd.err)"
		echo "RVK-VMCORE-SAVED /dev/vda bytes=$size ms=$(($(uptime_ms) - t0))"
	fi
	marker
	;;
esac
