# kexec_file_load reboot (kexec -s). rvk.image= picks what is loaded: elf
# (Image wrapped in a one-segment ELF, the default) or vmlinux.
case $(arg stage) in
1)
	kind=$(arg image)
	# The raw syscall first, for the errno (kexec-tools hides it).
	rvk-kexec-load file "$(image "${kind:-elf}")"
	run kexec -s -l "$(image "${kind:-elf}")" --initrd="$(self_initrd)" \
		--append="$(next_cmdline)" || fail "kexec -s -l failed"
	run kexec -e
	fail "kexec -e returned"
	;;
*)
	echo "RVK-KCONFIG relocatable=$(zcat /proc/config.gz | grep -c '^CONFIG_RELOCATABLE=y')"
	marker
	;;
esac
