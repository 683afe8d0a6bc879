# kexec_load reboot: A loads B (Image) with the marker on B's command line.
case $(arg stage) in
1)
	run kexec -l "$(image Image)" --initrd="$(self_initrd)" \
		--append="$(next_cmdline)" || fail "kexec -l failed"
	run kexec -e
	fail "kexec -e returned"
	;;
*) echo "RVK-MARKER $(arg marker) from stage $(arg stage) ($(variant))" ;;
esac
