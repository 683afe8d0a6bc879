#!/usr/bin/env bash
# Run the scenarios on every kernel and print the table (scenario x kernel).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$TOP/out"
set -o pipefail
"$TOP/tests/harness/target/release/rvk-harness" --cache "$CACHE" --top "$TOP" \
	--kernels "$(echo ${KERNELS:-rust c} | tr ' ' ',')" ${BASELINE:+--baseline "$BASELINE"} \
	--jobs "${JOBS:-2}" "$@" |
	tee "$TOP/out/check.txt"
