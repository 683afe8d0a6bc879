#!/usr/bin/env bash
# The demo: boot kernel A, kexec_load into kernel B with a fresh marker on
# its command line, then show both banners, the hand-over and the marker.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

k=${KERNELS%% *}
k=${k:-rust}
rc=0
"$TOP/tests/harness/target/release/rvk-harness" --cache "$CACHE" --top "$TOP" \
	--bases "$BASE" --kernels "$k" --jobs 1 kexec-load || rc=$?
log=$TOP/out/logs/kexec-load.$BASE.$k.log
echo
echo "What the guest printed ($log):"
grep -E 'Linux version|rust_minimal: Rust minimal|Starting new kernel|Bye|RVK-(INIT|RUN|RC|MARKER)' "$log" |
	sed -e 's/ (\(clang\|Debian\)[^#]*#/ (...) #/' -e 's/^/  /'
echo
if [ "$rc" -eq 0 ]; then
	echo "demo: kernel A ($k, Linux $KSERIES) kexec'd into kernel B, which reached init and printed its marker"
else
	echo "demo: FAILED (see above and $log)"
fi
exit "$rc"
