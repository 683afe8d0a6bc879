# kexec after a UEFI boot. Kernel A was started by EDK2 through its EFI
# stub (harness: firmware = "edk2") with efi=debug, so it prints the EFI
# memory map. A loads B (rvk.how=load: kexec_load, -c; file:
# kexec_file_load, -s) with the device tree the stub gave A, which points B
# at the same memory map and runtime services. Each kernel checks that every
# EFI region that is not free RAM (reserved, runtime code and data, ACPI)
# is reserved in its /proc/iomem; B also checks that it sees the same map,
# the same System RAM and MemTotal (within 64 KiB) as A (passed on its
# command line) and that it has the runtime services (efivars registered).

# The EFI memory map as this kernel printed it (efi=debug).
efi_map() { dmesg | sed -n 's/^\[[ 0-9.]*\] efi:   \(0x[0-9a-f]*-0x[0-9a-f]* \[.*\]\)$/\1/p'; }
# Its regions in RAM that are not the kernel's to use, as "start end" (hex).
efi_reserved() {
	efi_map | grep -E '\[(Reserved|Runtime Code|Runtime Data|Unusable|ACPI Reclaim|ACPI Mem NVS|PAL Code|Persistent) *\|' |
		sed 's/^0x\([0-9a-f]*\)-0x\([0-9a-f]*\) .*/\1 \2/'
}
# The top-level System RAM ranges of /proc/iomem: "start end" (hex) a
# line, and comma-separated "start-end".
ram_ranges() { sed -n 's/^\([0-9a-f]*\)-\([0-9a-f]*\) : System RAM$/\1 \2/p' /proc/iomem; }
system_ram() { ram_ranges | tr ' \n' '-,' | sed 's/,$//'; }
memtotal() { awk '/^MemTotal:/ { print $2 }' /proc/meminfo; }

# reserved_merged: the "Reserved" ranges of /proc/iomem, any depth, as
# decimal "start end" with touching ranges merged.
reserved_merged() {
	local a b
	sed -n 's/^ *\([0-9a-f]*\)-\([0-9a-f]*\) : [Rr]eserved$/\1 \2/p' /proc/iomem |
		while read -r a b; do echo "$((0x$a)) $((0x$b))"; done | sort -n |
		awk 'NR == 1 { s = $1; e = $2; next }
			$1 <= e + 1 { if ($2 > e) e = $2; next }
			{ print s, e; s = $1; e = $2 }
			END { if (NR) print s, e }'
}

# efi_check STAGE: print what this kernel sees; count the EFI regions a
# Reserved range of /proc/iomem covers.
efi_check() {
	local a b s e merged
	n=0 covered=0
	[ -e /sys/firmware/efi/systab ] || fail "stage $1 was not booted through UEFI (no /sys/firmware/efi)"
	merged=$(reserved_merged)
	while read -r a b; do
		n=$((n + 1))
		s=$((0x$a)) e=$((0x$b))
		# (awk's numbers are doubles: exact for physical addresses.)
		echo "$merged" | awk -v s="$s" -v e="$e" '$1 <= s && e <= $2 { f = 1 } END { exit !f }' &&
			covered=$((covered + 1)) || echo "RVK-EFI-UNRESERVED $a-$b"
	done <<EOF
$(efi_reserved)
EOF
	runtime=no
	[ -d /sys/firmware/efi/efivars ] && runtime=yes
	map_sum=$(efi_map | cksum | cut -d' ' -f1)
	ram=$(system_ram)
	mem=$(memtotal)
	echo "RVK-EFI stage=$1 firmware=uefi runtime=$runtime map_entries=$(efi_map | wc -l) map_sum=$map_sum efi_reserved=$n covered=$covered memtotal_kb=$mem system_ram=$ram"
	[ "$(efi_map | wc -l)" -gt 0 ] || fail "no EFI memory map in the log (efi=debug missing?)"
}

# efi_memmap: the EFI memory map's first and last byte (hex), from the
# /chosen properties the stub wrote.
efi_memmap() {
	local a n
	a=$(dmesg | sed -n 's/.*efi:   MemMap Address *: 0x\([0-9a-f]*\)$/\1/p' | head -1)
	n=$(dmesg | sed -n 's/.*efi:   MemMap Size *: 0x\([0-9a-f]*\)$/\1/p' | head -1)
	[ -n "$a" ] && [ -n "$n" ] || return 1
	printf '%x %x\n' "$((0x$a))" "$((0x$a + 0x$n - 1))"
}

# efi_keep: what A reserved of its EFI boot for the next kernel, as hex
# "start end": the memory map and the first page of each configuration
# table the kernel printed (MEMATTR, MEMRESERVE, ...; only that page: the
# tables are small, and their sizes are not in the log).
efi_keep() {
	local a
	efi_memmap
	dmesg | sed -n 's/^\[[ 0-9.]*\] efi: \([A-Z].*=0x[0-9a-f]*\) *$/\1/p' | head -1 | tr ' ' '\n' |
		sed -n 's/^[A-Za-z0-9._]*=0x\([0-9a-f]*\)$/\1/p' | while read -r a; do
		printf '%x %x\n' "$((0x$a & ~0xfff))" "$(((0x$a & ~0xfff) + 0xfff))"
	done | sort -u
}

# kexec_file_segments: "mem memsz" (hex) of each segment of the last
# kexec_file_load, which the kernel prints with kexec -d; nsegs: how many
# it said there were.
kexec_file_segments() {
	dmesg | awk '/nr_segments = / { n = NR } { l[NR] = $0 }
		END { for (i = n + 1; i <= NR; i++) if (l[i] ~ /segment\[[0-9]+\]: /) print l[i] }' |
		sed -n 's/.* mem=0x\([0-9a-f]*\) memsz=0x\([0-9a-f]*\)$/\1 \2/p'
}
nsegs() { dmesg | sed -n 's/.*nr_segments = \([0-9]*\)$/\1/p' | tail -1; }

# segments_over_efi: a line for each segment that overlaps what efi_keep
# lists.
segments_over_efi() {
	local m z s e keep
	keep=$(efi_keep)
	kexec_file_segments | while read -r m z; do
		echo "$keep" | while read -r s e; do
			[ $((0x$m)) -le $((0x$e)) ] && [ $((0x$s)) -le $((0x$m + 0x$z - 1)) ] &&
				echo "RVK-EFI-CLOBBER segment mem=0x$m memsz=0x$z over 0x$s-0x$e"
		done
	done
}

case $(arg stage) in
1)
	efi_check 1
	[ "$covered" = "$n" ] || fail "A: $((n - covered)) EFI regions are not reserved"
	memmap=$(efi_memmap) || fail "no EFI memory map address in the log"
	initrd=$(self_initrd)
	next="$(next_cmdline efimap="$map_sum" efiram="$ram" efimem="$mem") efi=debug"
	# rvk.pad=memmap: an initramfs big enough to reach from the top of the
	# System RAM range that holds the EFI memory map down over the map
	# (where kexec_file_load's top-down search puts the initrd if it does
	# not know that the map is reserved).
	if [ "$(arg pad)" = memmap ]; then
		set -- $memmap
		top=$(ram_ranges | while read -r s e; do [ $((0x$s)) -le $((0x$1)) ] && [ $((0x$1)) -le $((0x$e)) ] && echo "$e"; done)
		[ -n "$top" ] || fail "the EFI memory map 0x$1 is in no System RAM range"
		# Zeros after the archive: B's unpacker skips them (a file of
		# them would cost B a 100 MB tmpfs write).
		dd if=/dev/zero bs=1M count=$((((0x$top + 1 - 0x$1) >> 20) + 2)) >>"$initrd" 2>/dev/null ||
			fail "cannot pad the initramfs"
		# Placed top-down from the end of that range, it covers the map.
		echo "RVK-EFI-PAD initrd_bytes=$(wc -c <"$initrd") memmap=0x$1 ram_top=0x$top"
	fi
	case $(arg how) in
	file)
		# -d: the kernel prints where it put each segment.
		echo "RVK-RUN kexec -s -d -l $(image elf) --initrd=$initrd --append=$next"
		kexec -s -d -l "$(image elf)" --initrd="$initrd" --append="$next" >/tmp/kexec-d.log 2>&1 ||
			fail "kexec -s -l failed: $(tail -1 /tmp/kexec-d.log)"
		# Every segment the kernel announced must have been parsed.
		found=$(kexec_file_segments | wc -l)
		[ "$found" -gt 0 ] && [ "$found" = "$(nsegs)" ] ||
			fail "parsed $found kexec_file segments, the kernel printed nr_segments = $(nsegs)"
		clobbered=$(segments_over_efi)
		[ -z "$clobbered" ] || echo "$clobbered"
		over=$(echo "$clobbered" | grep -c CLOBBER)
		largest=$(kexec_file_segments | while read -r m z; do echo "$((0x$z)) 0x$m+0x$z"; done |
			sort -n | tail -1 | cut -d' ' -f2)
		echo "RVK-EFI-SEGMENTS segments=$found over_efi_tables=$over of $(efi_keep | wc -l) ranges (EFI memory map, configuration tables) largest=$largest memmap=0x${memmap%% *} keep_memblock=$(zcat /proc/config.gz | grep -q '^CONFIG_ARCH_KEEP_MEMBLOCK=y' && echo y || echo n)"
		# B would read a damaged memory map: no point in jumping.
		[ "$over" = 0 ] || fail "kexec_file_load put segments on the EFI memory map or tables ($over overlaps)"
		;;
	*) run kexec -c -l "$(image Image)" --initrd="$initrd" --append="$next" || fail "kexec -c -l failed" ;;
	esac
	run kexec -e
	fail "kexec -e returned"
	;;
*)
	efi_check "$(arg stage)"
	same() { [ "$1" = "$2" ] && echo yes || echo "no(A=$2)"; }
	# MemTotal is RAM less what early boot keeps (kernel, device tree, page
	# tables): B's device tree differs from A's by a page or so (kexec -s
	# writes its own); a region lost would be much more.
	d=$((mem - $(arg efimem)))
	[ "${d#-}" -le 64 ] && close=yes || close=no
	echo "RVK-EFI-SAME memory_map=$(same "$map_sum" "$(arg efimap)") system_ram=$(same "$ram" "$(arg efiram)") memtotal_within_64k=$close efi_reserved=$covered/$n runtime=$runtime memtotal_kb=$(arg efimem)->$mem"
	[ "$covered" = "$n" ] || fail "B: $((n - covered)) EFI regions are not reserved"
	marker
	;;
esac
