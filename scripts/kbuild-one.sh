#!/usr/bin/env bash
# Developer shortcut: stage, then build single kernel targets in one variant,
# e.g. scripts/kbuild-one.sh rust arch/riscv/kernel/machine_kexec_rust.o
set -euo pipefail
. "$(dirname "$0")/lib.sh"
variant=${1:?usage: kbuild-one.sh rust|c TARGET...}
shift
"$TOP/scripts/stage-kernel.sh" >/dev/null
# shellcheck disable=SC2046
make -C "$KTREE" $(kmake_vars) O="$KOUT/$variant" -j3 "$@"
