# kexec_load reboot: A loads B (Image) with the marker on B's command line.
case $(arg stage) in
1)
	initrd=$(self_initrd)
	t0=$(uptime_ms)
	run kexec -c -l "$(image Image)" --initrd="$initrd" \
		--append="$(next_cmdline)" || fail "kexec -c -l failed"
	echo "RVK-TIME load_ms=$(($(uptime_ms) - t0))"
	run kexec -e
	fail "kexec -e returned"
	;;
*) echo "RVK-MARKER $(arg marker) from stage $(arg stage) ($(variant))" ;;
esac
