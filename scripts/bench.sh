#!/usr/bin/env bash
# Benchmarks, Rust vs C in one run; prints a table and writes
# out/bench/bench.csv and bench.json. Figures, not pass/fail, but a broken
# benchmark (wrong copy, failed boot) stops with an error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

B=$TOP/out/bench
RUNS=${RUNS:-5}
mkdir -p "$B"
: >"$B/bench.csv"
csv() { echo "$1,$2,$3,$4" >>"$B/bench.csv"; } # group,item,value,unit

reloc() {
	local cc=(clang --target=riscv64-unknown-elf -march=rv64imac -mabi=lp64 -mcmodel=medany
		-mno-relax -ffreestanding -fno-builtin -nostdlib -O2 -Wall -Werror)
	local d=$B/reloc
	mkdir -p "$d"
	"${cc[@]}" -c "$TOP/tests/bench/reloc.c" -o "$d/reloc.o"
	"${cc[@]}" -c "$TOP/tests/bench/reloc-start.S" -o "$d/start.o"
	# Upstream's stub as the stock kernel built it from the pristine tree.
	ld.lld -T "$TOP/tests/bench/reloc.lds" "$d/start.o" "$d/reloc.o" \
		"$KOUT/stock/arch/riscv/kernel/kexec_relocate.o" \
		"$KOUT/rust/arch/riscv/kernel/kexec_stub.o" -o "$d/reloc.elf"
	# Twice, on harts with V of VLEN 128 and 256 bits; upstream's stub and
	# our scalar copy do the same work in both.
	local vlen
	for vlen in 128 256; do
		timeout 120 qemu-system-riscv64 -machine virt -bios none -nographic -m 128M \
			-cpu "rv64,v=true,vlen=$vlen" -icount shift=0 -kernel "$d/reloc.elf" |
			tr -d '\r' | sed "s/^RELOC /RELOC vlen=$vlen /" >"$d/out-$vlen.txt"
		grep -q 'RELOC vlen=[0-9]* done' "$d/out-$vlen.txt" ||
			die "relocation benchmark did not finish: $(cat "$d/out-$vlen.txt")"
		! grep -q 'ok=0' "$d/out-$vlen.txt" ||
			die "a stub copied wrong bytes or broke the hand-over: $(grep ok=0 "$d/out-$vlen.txt")"
		grep -q "ours-vector pages=1024" "$d/out-$vlen.txt" || die "no vector run (VLEN $vlen)"
		# A vill fallback would copy with the scalar loop and still be ok=1:
		# the vector run must retire what its loop retires, 5 * 4096 /
		# VLEN + 10 per page.
		awk -v vlen="$vlen" '$3 == "ours-vector" { split($4, p, "="); split($5, c, "="); n[p[2]] = c[2] }
			END { per = (n[1024] - n[64]) / 960; want = 5 * 4096 / vlen + 10
				if (per != want) { printf "vector copy: %.1f instructions per page, want %d\n", per, want; exit 1 } }' \
			"$d/out-$vlen.txt" || die "the vector run did not use the vector loop (VLEN $vlen)"
	done
	cat "$d"/out-128.txt "$d"/out-256.txt >"$d/out.txt"
	awk '
		/^RELOC vlen=[0-9]+ (upstream|ours|ours-vector) / {
			split($2, v, "="); split($4, p, "="); split($5, c, "=")
			st = $3 == "ours-vector" ? "ours_vector_vlen" v[2] : $3
			if ($3 != "ours-vector" && v[2] != 128) next
			n[st, p[2]] = c[2]; seen[st] = 1
		}
		END {
			split("upstream ours ours_vector_vlen128 ours_vector_vlen256", order, " ")
			for (i = 1; i <= 4; i++) {
				st = order[i]
				if (!(st in seen)) continue
				per[st] = (n[st, 1024] - n[st, 64]) / 960
				printf "reloc,%s_instret_1_page,%d,instructions\n", st, n[st, 1]
				printf "reloc,%s_instret_64_pages,%d,instructions\n", st, n[st, 64]
				printf "reloc,%s_instret_1024_pages,%d,instructions\n", st, n[st, 1024]
				printf "reloc,%s_per_page,%.1f,instructions\n", st, per[st]
				printf "reloc,%s_per_page_vs_floor_1024,%.3f,ratio\n", st, per[st] / 1024
			}
			printf "reloc,upstream_over_ours_per_page,%.2f,ratio\n", per["upstream"] / per["ours"]
			printf "reloc,ours_over_ours_vector_vlen128,%.2f,ratio\n", per["ours"] / per["ours_vector_vlen128"]
		}' "$d/out.txt" >>"$B/bench.csv"
	cat "$d/out.txt"
}

downtime() {
	# Kernel A loads B with a 64 MiB larger initramfs (kexec-load-64m), then
	# kexec -e: rust on harts with V (its vector copy), rust and c and stock
	# on harts without. Interleaved, so drifts of the host hit all alike.
	local i k kernel scen log t0 t1 load
	for i in $(seq 1 "$RUNS"); do
		for k in rust-vector rust c stock; do
			kernel=${k%-vector} scen=kexec-load-64m
			[ "$k" = rust-vector ] && scen=kexec-load-64m-vector
			RVK_TIMESTAMPS=1 "$TOP/tests/harness/target/release/rvk-harness" --cache "$CACHE" \
				--top "$TOP" --bases "$BASE" --kernels "$kernel" \
				--jobs 1 "$scen" >"$B/harness.out" || die "$scen failed on $k (run $i): $(cat "$B/harness.out")"
			log=$TOP/out/logs/$scen.$BASE.$kernel.log
			t0=$(awk '/RVK-RUN kexec -e/ { print $1; exit }' "$log")
			t1=$(awk '/RVK-INIT stage=2/ { print $1; exit }' "$log")
			load=$(sed -n 's/.*RVK-TIME load_ms=\([0-9]*\).*/\1/p' "$log")
			[ -n "$t0" ] && [ -n "$t1" ] && [ -n "$load" ] || die "no timing in $log"
			echo "  run $i $k: kexec -e -> init of B $((t1 - t0)) ms, kexec -l $load ms"
			csv downtime "${k}_run$i" "$((t1 - t0))" ms
			csv load "${k}_run$i" "$load" ms
		done
	done
}

sizes() {
	local f s
	secsum() { llvm-size -A "$1" | awk '$1 ~ /^\.(text|rodata)/ { s += $2 } END { print s + 0 }'; }
	s=0
	for f in machine_kexec_rust.o kexec_stub.o machine_kexec.o; do
		s=$((s + $(secsum "$KOUT/rust/arch/riscv/kernel/$f")))
	done
	csv size rust_kexec_objects_text_rodata "$s" bytes
	# The stub alone (copy loops), and whether the Rust object carries the
	# KUnit suites (CONFIG_RISCV_KEXEC_RUST_KUNIT_TEST, mainline's rust kernel).
	csv size rust_stub_object_text_rodata "$(secsum "$KOUT/rust/arch/riscv/kernel/kexec_stub.o")" bytes
	csv size rust_kunit_suites_built_in "$(grep -c '^CONFIG_RISCV_KEXEC_RUST_KUNIT_TEST=y' "$KOUT/rust/.config")" flag
	s=0
	for f in machine_kexec.o kexec_relocate.o; do
		s=$((s + $(secsum "$KOUT/c/arch/riscv/kernel/$f")))
	done
	csv size c_kexec_objects_text_rodata "$s" bytes
	for k in rust c; do
		csv size "${k}_vmlinux_text_data_bss" "$(llvm-size "$KOUT/$k/vmlinux" | awk 'NR == 2 { print $4 }')" bytes
	done
}

build_cost() {
	local t0 O=$KOUT/bench-cold
	touch "$KTREE/arch/riscv/kernel/machine_kexec_rust.rs"
	t0=$(date +%s.%N)
	"$TOP/scripts/build-kernel.sh" rust >/dev/null
	csv build incremental_after_touching_rust_file "$(echo "$(date +%s.%N) - $t0" | bc)" s
	rm -rf "$O" && mkdir -p "$O" && cp "$KOUT/rust/.config" "$O/.config"
	t0=$(date +%s.%N)
	# shellcheck disable=SC2046
	make -s -C "$KTREE" $(kmake_vars) O="$O" -j"$(($(nproc) + 1))" Image vmlinux >"$B/cold-build.log" 2>&1 ||
		die "cold build failed (see $B/cold-build.log)"
	csv build "cold_build_rust_config_$(nproc)_cores" "$(echo "$(date +%s.%N) - $t0" | bc)" s
	rm -rf "$O"
}

report() {
	python3 - "$B/bench.csv" "$B/bench.json" <<'PY'
import csv, json, statistics, sys
rows = list(csv.reader(open(sys.argv[1])))
out = {}
for g, item, v, unit in rows:
    out.setdefault(g, {})[item] = {"value": float(v), "unit": unit}
for g in ("downtime", "load"):
    for k in ("rust-vector", "rust", "c", "stock"):
        vals = [d["value"] for i, d in out.get(g, {}).items() if i.startswith(k + "_run")]
        if vals:
            out[g][k + "_min"] = {"value": min(vals), "unit": "ms"}
            out[g][k + "_median"] = {"value": statistics.median(vals), "unit": "ms"}
            out[g][k + "_max"] = {"value": max(vals), "unit": "ms"}
    med = {k: out[g][k + "_median"]["value"] for k in ("rust-vector", "rust", "c", "stock") if k + "_median" in out.get(g, {})}
    for a, b in (("rust", "c"), ("rust", "stock"), ("rust-vector", "rust"), ("rust-vector", "stock"), ("c", "stock")):
        if a in med and b in med:
            out[g][f"{a}_over_{b}_median"] = {"value": round(med[a] / med[b], 3), "unit": "ratio"}
json.dump(out, open(sys.argv[2], "w"), indent=1)
print(f"{'group':10} {'figure':44} {'value':>14}")
print("-" * 72)
for g, items in out.items():
    for item, d in items.items():
        if "_run" in item:
            continue
        v = d["value"]
        txt = f"{v:.3f}" if d["unit"] in ("ratio",) else (f"{v:.1f}" if v != int(v) else f"{int(v)}")
        print(f"{g:10} {item:44} {txt:>10} {d['unit']}")
PY
	echo "(all runs: $B/bench.csv, $B/bench.json)"
}

# BENCH_STEPS picks some of them (e.g. "reloc sizes"); all by default.
steps=" ${BENCH_STEPS:-reloc downtime sizes build_cost} "
want() { [[ $steps == *" $1 "* ]]; }
want reloc && step "relocation stub: instructions per page (QEMU -icount, minstret; instructions, not time)" reloc
want downtime && step "kexec downtime (64 MiB larger initramfs) and load time, $RUNS runs each, interleaved" downtime
want sizes && step "code size (llvm-size)" sizes
want build_cost && step "build cost (incremental after touching the Rust file; cold)" build_cost
step "report" report
