# rvkexec-rs: a Rust implementation of the RISC-V kexec machine layer for
# Linux 7.2 (mainline) with a 6.12 LTS backport, built in-tree and proven
# on QEMU. This Makefile is the front door; every recipe calls one script
# under scripts/.

SHELL := /bin/bash
# The kernel base of stage/kernels/rootfs/patches/lint/bench: mainline
# (Linux 7.2) or lts (Linux 6.12). check covers BASES.
BASE ?= mainline
BASES ?= mainline lts
# Kernel variants: rust = RISCV_KEXEC_RUST=y, c = the series with the switch
# off (C machine_kexec.c); BASELINE = the pristine tree of the base, for the
# scenarios that compare with it (empty: none).
KERNELS ?= rust c
BASELINE ?= stock
export BASE BASES KERNELS BASELINE
# Scenario filter for check (substring of a scenario name; empty = all).
ONLY ?=

.PHONY: help setup stage kernels rootfs demo check check-extended clean harness unit patches bisect-check build-matrix lint bench

help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: ## Install packages and tools; download both kernel sources (idempotent).
	@scripts/setup.sh

stage: setup ## Stage the pristine $(BASE) tree as git and apply our files and hunks.
	@scripts/stage-kernel.sh

kernels: setup ## Build the $(BASE) kernels of make check ($(KERNELS) $(BASELINE), norel) with LLVM=1.
	@scripts/prepare.sh kernels

rootfs: setup ## Build the $(BASE) kernels and the guest initramfs.
	@scripts/prepare.sh rootfs

harness: ## Build the QEMU test harness (host, Rust).
	@scripts/build-harness.sh

demo: setup harness ## Boot mainline kernel A (rust), kexec into B; builds that one kernel only.
	@BASE=mainline KERNELS=rust BASELINE= LOADONLY= scripts/prepare.sh rootfs
	@BASE=mainline KERNELS=rust scripts/demo.sh

check: setup harness ## Unit tests, both series and the kexec-tools one, the guard build, clippy, then every scenario on every kernel of $(BASES).
	@for b in $(BASES); do BASE=$$b scripts/prepare.sh rootfs || exit 1; done
	@scripts/unit-tests.sh
	@for b in $(BASES); do BASE=$$b scripts/patches.sh || exit 1; done
	@scripts/kexec-tools-series.sh
	@for b in $(BASES); do BASE=$$b scripts/build-matrix.py --guard || exit 1; done
	@for b in $(BASES); do BASE=$$b scripts/lint.sh --clippy || exit 1; done
	@scripts/check.sh $(ONLY)

check-extended: setup harness ## Slow suite: kfile/cfi, dump (crash(8)), GCC, platforms (ACPI, sifive_u), debug (KASAN...) kernels, Debian's kernel as A, and the width rows.
	@SUITE=extended scripts/setup.sh
	@for b in $(BASES); do BASE=$$b SUITE=extended scripts/prepare.sh rootfs || exit 1; done
	@scripts/check.sh --suite extended $(ONLY)

unit: ## Host unit tests of the Rust logic; rustfmt check.
	@scripts/unit-tests.sh

patches: stage ## The $(BASE) patch series and the kexec-tools one: format-patch, git am, checkpatch (out/patches/).
	@scripts/patches.sh
	@scripts/kexec-tools-series.sh

bisect-check: kernels ## patches + build every prefix of the $(BASE) series, Rust switch on and off.
	@scripts/patches.sh --bisect

build-matrix: setup stage ## Build tests/build-matrix.toml ($(BASE)): series vs pristine, errors, new warnings (out/build-matrix.txt).
	@scripts/build-matrix.py

lint: stage ## CLIPPY=1 build of the Rust kexec object ($(BASE)) and rustfmt check.
	@scripts/lint.sh

bench: rootfs harness ## Benchmarks ($(BASE)): stub instructions per page, downtime, size, build cost.
	@scripts/bench.sh

clean: ## Remove out/ (the cache in ~/.cache/rvkexec stays).
	rm -rf out tests/harness/target
