# kexec_file_load reboot (kexec -s). rvk.image= picks what is loaded: elf
# (Image wrapped in a one-segment ELF, the default) or vmlinux.
case $(arg stage) in
1)
	kind=$(arg image)
	# The raw syscall first, for the errno (kexec-tools hides it).
	rvk-kexec-load file "$(image "${kind:-elf}")"
	cma_free() { awk '/^CmaFree:/ { print $2 }' /proc/meminfo; }
	cma0=$(cma_free)
	run kexec -s -l "$(image "${kind:-elf}")" --initrd="$(self_initrd)" \
		--append="$(next_cmdline)" || fail "kexec -s -l failed"
	# With a CMA area (cma=), 7.2 places the segments there.
	[ -z "$cma0" ] || echo "RVK-CMA segments_in_cma_kb=$((cma0 - $(cma_free)))"
	run kexec -e
	fail "kexec -e returned"
	;;
*)
	echo "RVK-KCONFIG relocatable=$(zcat /proc/config.gz | grep -c '^CONFIG_RELOCATABLE=y')"
	marker
	;;
esac
