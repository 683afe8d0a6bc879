# Helpers for the guest scenario scripts (sourced by /init).

# arg NAME: the value of rvk.NAME= on this kernel's command line.
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^rvk\.$1=//p" | tail -1; }

# The kexec implementation this kernel was built with, read from its config.
variant() {
	# A kernel not built here (Debian's: no /proc/config.gz) takes its
	# column's kernel (rvk.column=, from the harness) as B.
	if [ ! -e /proc/config.gz ]; then
		arg column
	elif zcat /proc/config.gz | grep -q '^CONFIG_RISCV_KEXEC_RUST=y'; then echo rust; else echo c; fi
}

# kconfig_summary: the options the feature kernels differ in, as y/n.
kconfig_summary() {
	zcat /proc/config.gz | awk '
		/^CONFIG_KEXEC=y/ { k = "y" } /^CONFIG_KEXEC_FILE=y/ { f = "y" }
		/^CONFIG_HOTPLUG_CPU=y/ { h = "y" } /^CONFIG_CFI(_CLANG)?=y/ { c = "y" }
		/^CONFIG_RUST=y/ { r = "y" } /^CONFIG_ARCH_KEEP_MEMBLOCK=y/ { m = "y" }
		END { printf "kexec=%s kexec_file=%s hotplug_cpu=%s kcfi=%s rust=%s keep_memblock=%s\n",
			k ? k : "n", f ? f : "n", h ? h : "n", c ? c : "n", r ? r : "n", m ? m : "n" }'
}

# Linux numbers the boot hart CPU 0; its hart id is the first in cpuinfo.
boot_hart() { awk '/^hart\t*:/ { print $NF; exit }' /proc/cpuinfo; }
# cpu_hart N: the hart id of CPU N (OpenSBI picks which hart boots, so CPU
# n is not always hart n).
cpu_hart() { awk -v c="$1" '/^processor/ { p = $3 } /^hart\t*:/ && p == c { print $3 }' /proc/cpuinfo; }

fail() {
	echo "RVK-FAIL $*"
	echo "RVK-DONE"
	poweroff -f
}

# The command line for the next kernel: this one's rvk.* options with the
# stage counted up and the given overrides (NAME=VALUE ...), plus a console
# (rvk.console=, ttyS0 if not given: e.g. ttySIF0 on sifive_u).
next_cmdline() {
	local stage=$(($(arg stage) + 1)) console line kv keys=" stage "
	console=$(arg console)
	line="console=${console:-ttyS0} earlycon panic=1"
	for kv in "$@"; do keys="$keys${kv%%=*} "; done
	for kv in $(tr ' ' '\n' </proc/cmdline | grep '^rvk\.'); do
		kv=${kv#rvk.}
		case $keys in *" ${kv%%=*} "*) continue ;; esac
		line="$line rvk.$kv"
	done
	for kv in "$@"; do line="$line rvk.$kv"; done
	# Under ACPI, the next kernel checks that it found the same RSDP.
	[ -z "$(arg acpi)" ] || line="$line rvk.acpirsdp=$(acpi_rsdp)"
	echo "$line rvk.stage=$stage"
}

# The physical address of the ACPI RSDP this kernel used, from its log.
acpi_rsdp() { dmesg | sed -n 's/.*ACPI: RSDP \(0x[0-9A-Fa-f]*\) .*/\1/p' | head -1; }
# rvk.acpi=1: this kernel must run on ACPI, not on a device tree: the RSDP
# (the same one A found, for the next kernels), the MADT (harts and
# interrupt controllers), and no cpus node in the device tree (the EFI
# stub's, which carries /chosen only).
acpi_report() {
	local rsdp same=- tables dt=stub
	rsdp=$(acpi_rsdp)
	[ -z "$(arg acpirsdp)" ] || { [ "$rsdp" = "$(arg acpirsdp)" ] && same=yes || same="no(A=$(arg acpirsdp))"; }
	tables=$(ls /sys/firmware/acpi/tables 2>/dev/null | grep -v '^data$\|^dynamic$' | tr '\n' ',' | sed 's/,$//')
	[ ! -d /sys/firmware/devicetree/base/cpus ] || dt=full
	echo "RVK-ACPI stage=$(arg stage) same_rsdp_as_a=$same dt=$dt rsdp=${rsdp:-none} tables=${tables:-none}"
	[ -n "$rsdp" ] && [ -e /sys/firmware/acpi/tables/APIC ] || fail "stage $(arg stage) does not run on ACPI (RSDP ${rsdp:-none}, no MADT)"
	[ "$same" = - ] || [ "$same" = yes ] || fail "stage $(arg stage) found another RSDP than A"
}

# self_initrd [boot]: a copy of this rootfs as a cpio archive for the next
# kernel; with "boot", the Image files of /boot are included (what a next
# kexec_load needs; the ELF files would only make each hop slower).
self_initrd() {
	local out=/tmp/self.cpio
	(cd / && if [ "$1" = boot ]; then
		find . -xdev \( -path './boot/*.elf' -o -path './boot/vmlinux-*' \) -prune -o -print
	else
		find . -xdev -path ./boot -prune -o -print
	fi | cpio -o -H newc >"$out" 2>/dev/null) || fail "cpio of the rootfs failed"
	echo "$out"
}

# pad_initrd FILE MIB: append a file of MIB MiB of zeros to the cpio FILE.
pad_initrd() {
	mkdir -p /tmp/pad && dd if=/dev/zero of=/tmp/pad/pad bs=1M count="$2" 2>/dev/null &&
		(cd /tmp/pad && echo pad | cpio -o -H newc 2>/dev/null) >>"$1" && rm -rf /tmp/pad ||
		fail "cannot pad the initramfs"
}

# image KIND [VARIANT]: the kernel file to load. KIND: Image (kexec_load),
# elf (Image wrapped as a one-segment ELF), vmlinux.
image() {
	local v=${2:-$(arg next)} nb
	# rvk.nextbuild=<f>: B is the feature build <variant>-<f> (one that
	# runs where A runs, e.g. platforms: ACPI, the SiFive UART).
	nb=$(arg nextbuild)
	[ -n "$v" ] || v=$(variant)${nb:+-$nb}
	case $1 in
	Image) echo "/boot/Image-$v" ;;
	elf) echo "/boot/Image-$v.elf" ;;
	vmlinux) echo "/boot/vmlinux-$v" ;;
	esac
}

# marker: what every scenario's last kernel prints.
marker() { echo "RVK-MARKER $(arg marker) from stage $(arg stage) ($(variant))"; }

# reboot_into KIND [VARIANT] [OVERRIDES...]: kexec_load the next kernel with
# a copy of this rootfs (with /boot) and jump; never returns.
reboot_into() {
	local kind=$1 v=$2
	shift 2
	run kexec -c -l "$(image "$kind" "$v")" --initrd="$(self_initrd boot)" \
		--append="$(next_cmdline "$@")" || fail "kexec -c -l failed"
	run kexec -e
	fail "kexec -e returned"
}

# Pages held by vm_map_ram() areas (vmap blocks included).
vmap() { awk '/vm_map_ram/ { s += $2 } END { print s / 4096 }' /proc/vmallocinfo; }
# KiB mapped in the vmalloc area (page-table dump): a leaked alias stays mapped.
vmapped() {
	awk '/^---\[/ { f = index($0, "vmalloc() area") > 0; next }
		f { v = $3; u = substr(v, length(v)); n = substr(v, 1, length(v) - 1)
		    s += (u == "M") ? n * 1024 : (u == "G") ? n * 1048576 : n }
		END { print s + 0 }' /sys/kernel/debug/kernel_page_tables
}
# MemFree in KiB, with the page cache dropped first (it is not growth).
memfree() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '/^MemFree:/ { print $2 }' /proc/meminfo
}
# A vmap block (1024 pages) of vm_map_ram() VA may stay cached per CPU.
vmap_slack() { echo $((1024 * $(grep -c ^processor /proc/cpuinfo))); }

# Milliseconds since boot (10 ms resolution).
uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# kexec-tools tries kexec_file_load first and falls back to kexec_load; the
# scripts pass -c (kexec_load only) wherever kexec_load is what they test,
# and -s where it is kexec_file_load.

# run CMD...: run a command, echo it and its exit status.
run() {
	echo "RVK-RUN $*"
	"$@"
	local rc=$?
	echo "RVK-RC $rc $1"
	return $rc
}

# Interrupts of the serial port, summed over the harts.
tty_irqs() { awk '/ttyS0/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' /proc/interrupts; }
# rvk.irq=1: the serial port's interrupts must be delivered, not only its
# controller probed: its count grows while lines go out through the tty.
irq_report() {
	local n0 i
	n0=$(tty_irqs)
	for i in 1 2 3 4; do echo "RVK-IRQ-LINE $i"; done
	sleep 1
	echo "RVK-IRQ ttyS0 delta=$(($(tty_irqs) - n0)) chip=$(awk '/ttyS0/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++); print $i; exit }' /proc/interrupts)"
}
