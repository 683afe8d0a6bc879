#!/usr/bin/env bash
# Run the scenarios on every kernel of every base and print the table
# (scenario and base x kernel).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$TOP/out"
set -o pipefail
"$TOP/tests/harness/target/release/rvk-harness" --cache "$CACHE" --top "$TOP" \
	--bases "$(echo ${BASES:-mainline lts} | tr ' ' ',')" \
	--kernels "$(echo ${KERNELS:-rust c} | tr ' ' ',')" ${BASELINE:+--baseline "$BASELINE"} \
	--jobs "${JOBS:-2}" "$@" |
	tee "$TOP/out/check.txt"
