# The kernel's own kexec selftests, run with the kselftest runner. They load
# /boot/vmlinuz-$(uname -r): here the bootable ELF of this kernel.
ln -sf "$(image vmlinux)" "/boot/vmlinuz-$(uname -r)"
# The runner calls GNU "timeout --foreground"; busybox's timeout has no
# --foreground (a foreground process group changes nothing here).
rm -f /usr/bin/timeout
printf '#!/bin/sh\n[ "$1" = --foreground ] && shift\nexec busybox timeout "$@"\n' >/usr/bin/timeout
chmod +x /usr/bin/timeout
cd /kselftest && ./run_kselftest.sh >/tmp/ksft.out 2>&1
cat /tmp/ksft.out
for t in test_kexec_load.sh test_kexec_file_load.sh; do
	line=$(grep -E "^(not )?ok [0-9]+ selftests: kexec: $t" /tmp/ksft.out)
	case $line in
	"not ok"*) r=FAIL ;;
	*"# SKIP"*) r=SKIP ;;
	"ok "*) r=PASS ;;
	*) r=MISSING ;;
	esac
	echo "RVK-KSFT $t $r"
done
