# rvkexec-rs: a Rust implementation of the RISC-V kexec machine layer for
# Linux 6.12, built in-tree and proven on QEMU. This Makefile is the front
# door; every recipe calls one script under scripts/.

SHELL := /bin/bash
# Kernel variants: rust = RISCV_KEXEC_RUST=y, c = the series with the switch
# off (C machine_kexec.c); BASELINE = pristine 6.12 for the scenarios that
# compare with it (empty: none).
KERNELS ?= rust c
BASELINE ?= stock
# Built only to be loaded by a scenario (vmlinux without CONFIG_RELOCATABLE).
LOADONLY ?= norel
export KERNELS BASELINE LOADONLY
# Scenario filter for check (substring of a scenario name; empty = all).
ONLY ?=

.PHONY: help setup stage kernels rootfs demo check clean harness unit patches bisect-check lint bench

help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## Install packages and tools; download sources (idempotent).
	@scripts/setup.sh

stage: setup ## Stage pristine 6.12 as a git tree and apply our files and hunks.
	@scripts/stage-kernel.sh

kernels: stage ## Build the kernels ($(KERNELS) $(BASELINE)) with LLVM=1.
	@for k in $(KERNELS) $(BASELINE) $(LOADONLY); do scripts/build-kernel.sh $$k || exit 1; done

rootfs: kernels ## Build the guest initramfs (busybox, kexec, images, tests).
	@scripts/build-rootfs.sh $(KERNELS)

harness: ## Build the QEMU test harness (host, Rust).
	@scripts/build-harness.sh

demo: rootfs harness ## Boot kernel A, kexec into B, show both banners.
	@scripts/demo.sh

check: rootfs harness ## Unit tests, the patch series check, then every scenario on every kernel.
	@scripts/unit-tests.sh
	@scripts/patches.sh
	@scripts/check.sh $(ONLY)

unit: ## Host unit tests of the Rust logic; rustfmt check.
	@scripts/unit-tests.sh

patches: stage ## The patch series: format-patch, git am, checkpatch (out/patches).
	@scripts/patches.sh

bisect-check: kernels ## patches + build every prefix with the Rust switch on and off.
	@scripts/patches.sh --bisect

lint: stage ## CLIPPY=1 build of the Rust kexec object and rustfmt check.
	@scripts/lint.sh

bench: rootfs harness ## Benchmarks: stub instructions per page, downtime, size, build cost.
	@scripts/bench.sh

clean: ## Remove out/ (the cache in ~/.cache/rvkexec stays).
	rm -rf out tests/harness/target
