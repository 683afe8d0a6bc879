# Chains: kexec rvk.chain= times in a row, each kernel counting on its command
# line. rvk.seq= (e.g. other,other) picks each next kernel's variant for cross
# kexec; the variants each kernel ran are collected in rvk.seen=.
n=$(arg chain)
stage=$(arg stage)
seen=$(arg seen)
seen=${seen:+$seen,}$(variant)
if [ "$stage" -le "$n" ]; then
	next=$(arg seq | cut -d, -f"$stage")
	if [ "$next" = other ]; then
		if [ "$(variant)" = rust ]; then next=c; else next=rust; fi
	fi
	echo "RVK-CHAIN kexec $stage of $n: $(variant) -> ${next:-$(variant)}"
	reboot_into Image "$next" seen="$seen"
fi
echo "RVK-CHAIN done: kexecs=$((stage - 1)) kernels=$seen"
marker
