# kexec_load reboot: A loads B (Image) with the marker on B's command line.
# rvk.pad=N appends an N MiB file to B's initramfs (a large payload for the
# relocation to copy).
case $(arg stage) in
1)
	initrd=$(self_initrd)
	pad=$(arg pad)
	if [ -n "$pad" ]; then
		pad_initrd "$initrd" "$pad"
		echo "RVK-PAD initrd_bytes=$(wc -c <"$initrd")"
	fi
	t0=$(uptime_ms)
	run kexec -c -l "$(image Image)" --initrd="$initrd" \
		--append="$(next_cmdline)" || fail "kexec -c -l failed"
	echo "RVK-TIME load_ms=$(($(uptime_ms) - t0))"
	run kexec -e
	fail "kexec -e returned"
	;;
*) echo "RVK-MARKER $(arg marker) from stage $(arg stage) ($(variant))" ;;
esac
