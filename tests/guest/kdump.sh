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
# and --dump-dmesg); for 7.1 and later through a VMCOREINFO file with the
# page.compound_head name it knows (rvk.vmcoreinfo=compare: what that
# file changes, dry runs with and without it).
# rvk.kexec=debian: stage 1 loads the crash kernel with Debian's own
# kexec-tools (kexec-debian) instead of the project's build.

# What makedumpfile said went wrong (its progress lines are \r-separated:
# not that).
mdf_error() { tr '\r' '\n' </tmp/mdf.log | grep -v -e '^ *$' -e '%\]' | head -4 | tr '\n' ' '; }

# le FILE OFFSET BYTES: the little-endian unsigned integer there, or
# nothing (a short read); num: whether all of its arguments are numbers.
le() { od -An -v -tu"$3" -j "$2" -N "$3" "$1" 2>/dev/null | tr -d ' \n'; }
num() {
	local x
	for x; do case $x in '' | *[!0-9]*) return 1 ;; esac; done
}

# vmcoreinfo_note FILE: the text of the VMCOREINFO note in /proc/vmcore,
# written to FILE. It is found through the PT_NOTE segments
# (ELF64: e_phoff at 32, e_phentsize at 54, e_phnum at 56; p_offset at 8,
# p_filesz at 32), each note a namesz, descsz, type header, then its name
# and text, both padded to 4 bytes. Fails on anything malformed.
vmcoreinfo_note() {
	local out=$1 f=/proc/vmcore phoff phent phnum i=0 p n size end namesz descsz desc
	phoff=$(le $f 32 8) phent=$(le $f 54 2) phnum=$(le $f 56 2)
	num "$phoff" "$phent" "$phnum" || return 1
	while [ "$i" -lt "$phnum" ]; do
		p=$((phoff + i * phent)) i=$((i + 1))
		[ "$(le $f $p 4)" = 4 ] || continue
		n=$(le $f $((p + 8)) 8) size=$(le $f $((p + 32)) 8)
		num "$n" "$size" || return 1
		end=$((n + size))
		while [ "$n" -lt "$end" ]; do
			namesz=$(le $f $n 4) descsz=$(le $f $((n + 4)) 4)
			# (fs/proc/vmcore.c ends a note list at namesz 0 too.)
			num "$namesz" "$descsz" && [ "$namesz" -gt 0 ] || return 1
			desc=$((n + 12 + (namesz + 3) / 4 * 4))
			[ $((desc + descsz)) -le "$end" ] || return 1
			if [ "$namesz" = 11 ] &&
				[ "$(dd if=$f bs=1 skip=$((n + 12)) count=10 2>/dev/null)" = VMCOREINFO ]; then
				dd if=$f bs=1 skip=$desc count="$descsz" 2>/dev/null >"$out"
				[ "$(wc -c <"$out")" = "$descsz" ]
				return
			fi
			n=$((desc + (descsz + 3) / 4 * 4))
		done
	done
	return 1
}

# Debian's makedumpfile (1.7.6; sid's 1.7.8 too) predates upstream's
# f50c015: Linux 7.1 renamed VMCOREINFO's OFFSET(page.compound_head) to
# compound_info, and without it makedumpfile cannot tell a tail page and
# drops in-use ones at -d 31. f50c015 only reads the new name into the
# old field (bit 0 still marks a tail page). A file given with -i is read
# first and the vmcore's note then fills only what it left out, so a file
# of that one line (and OSRELEASE and PAGESIZE, which -i requires) does
# the same; nothing else is taken from the file (makedumpfile would add
# its KASLR offset to a SYMBOL() read from one). Sets MDF_I; without the
# new name it stays empty.
mdf_vmcoreinfo() {
	local ci ch
	MDF_I=
	if ! vmcoreinfo_note /tmp/vmcoreinfo; then
		echo "RVK-VMCOREINFO none: no VMCOREINFO note read from /proc/vmcore"
		return 0
	fi
	ci=$(sed -n 's/^OFFSET(page.compound_info)=//p' /tmp/vmcoreinfo)
	ch=$(sed -n 's/^OFFSET(page.compound_head)=//p' /tmp/vmcoreinfo)
	if [ -n "$ci" ] && [ -z "$ch" ]; then
		# (-i needs both; without them makedumpfile would fail, not fall back.)
		if ! num "$ci" || [ "$(grep -c -e '^OSRELEASE=' -e '^PAGESIZE=' /tmp/vmcoreinfo)" != 2 ]; then
			echo "RVK-VMCOREINFO compound_info=$ci: no -i file (the note lacks OSRELEASE or PAGESIZE, or the offset is no number)"
			return 0
		fi
		{
			grep -e '^OSRELEASE=' -e '^PAGESIZE=' /tmp/vmcoreinfo
			echo "OFFSET(page.compound_head)=$ci"
		} >/tmp/vmcoreinfo-compat
		MDF_I="-i /tmp/vmcoreinfo-compat"
		echo "RVK-VMCOREINFO $(grep -c . /tmp/vmcoreinfo) lines, OFFSET(page.compound_info)=$ci: makedumpfile -i a file with it as compound_head"
	else
		echo "RVK-VMCOREINFO $(grep -c . /tmp/vmcoreinfo) lines, compound_info=${ci:-none} compound_head=${ch:-none}: as the kernel wrote it"
	fi
}

# mdf_excluded [-i FILE]: the pages a dry run of makedumpfile -d 31
# leaves out (its --show-stats report), "total cache user free"; what
# went wrong, and false, when it did.
mdf_excluded() {
	local r k h out=
	if ! r=$(makedumpfile "$@" --dry-run --show-stats -l -d 31 /proc/vmcore /tmp/dump 2>&1); then
		echo "makedumpfile --dry-run $*: $(echo "$r" | tr '\r' '\n' | grep -v -e '^ *$' -e '%\]' | head -3 | tr '\n' ' ')"
		return 1
	fi
	for k in "Excluded pages" "Non-private cache pages" "User process data pages" "Free pages"; do
		h=$(echo "$r" | sed -n "s/^ *$k *: 0x\([0-9a-f]*\)\$/\1/p" | head -1)
		[ -n "$h" ] || { echo "makedumpfile --show-stats $*: no \"$k\" line"; return 1; }
		out="$out $((0x$h))"
	done
	echo "$out"
}

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
	# e_ident's bytes 0..3 (the magic) and 4 (the class), then e_type
	# (16..17) and e_machine (18..19).
	magic=$(od -An -tx1 -N 4 /proc/vmcore | tr -d ' \n')
	class=$(le /proc/vmcore 4 1) type=$(le /proc/vmcore 16 2) machine=$(le /proc/vmcore 18 2)
	echo "RVK-VMCORE size=$size read=$read magic=$magic class=$class type=$type machine=$machine hart=$(boot_hart)"
	[ "$(boot_hart)" = "$(arg khart)" ] && same=yes || same=no
	echo "RVK-KDUMP-HART same=$same: boot hart $(boot_hart), the crashing CPU's hart $(arg khart)"
	vmcore-dmesg /proc/vmcore >/tmp/vmcore-dmesg.txt 2>/tmp/vmcore-dmesg.err ||
		echo "RVK-VMCORE-DMESG failed: $(tail -1 /tmp/vmcore-dmesg.err)"
	echo "RVK-VMCORE-DMESG lines=$(wc -l </tmp/vmcore-dmesg.txt) A's line: $(grep -c "rvk-kernel-a-log $(arg marker)" /tmp/vmcore-dmesg.txt), A's panic: $(grep -o -m1 'Kernel panic - not syncing: .*' /tmp/vmcore-dmesg.txt)"
	if [ "$(arg makedumpfile)" = 1 ] || [ "$(arg save)" = dump ] || [ "$(arg vmcoreinfo)" = compare ]; then
		mdf_vmcoreinfo
	fi
	if [ "$(arg vmcoreinfo)" = compare ]; then
		# What the -i file changes, counted by makedumpfile itself: the
		# pages -d 31 leaves out with the note as the kernel wrote it and
		# with the file. Without it, in-use tail pages are left out too.
		[ -n "$MDF_I" ] || fail "rvk.vmcoreinfo=compare: no -i file to compare (the note has compound_head, or none)"
		ex=$(mdf_excluded) || fail "$ex"
		read -r a_total a_cache a_user a_free <<-EOF
			$ex
		EOF
		# shellcheck disable=SC2086
		ex=$(mdf_excluded $MDF_I) || fail "$ex"
		read -r i_total i_cache i_user i_free <<-EOF
			$ex
		EOF
		[ "$a_total" -gt "$i_total" ] && more=yes || more=no
		echo "RVK-VMCOREINFO-EFFECT more left out without -i: $more, -d 31 leaves out $a_total pages as the kernel wrote it, $i_total with -i (cache $a_cache/$i_cache, user $a_user/$i_user, free $a_free/$i_free)"
	fi
	if [ "$(arg makedumpfile)" = 1 ]; then
		t0=$(uptime_ms)
		rc=0
		# shellcheck disable=SC2086 # MDF_I: nothing, or -i and its file
		makedumpfile $MDF_I -l -d 31 /proc/vmcore /tmp/dump >/tmp/mdf.log 2>&1 || rc=$?
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
		# shellcheck disable=SC2086
		makedumpfile $MDF_I -c -d "$level" -f /proc/vmcore /dev/vda >/tmp/mdf.log 2>&1 || rc=$?
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
