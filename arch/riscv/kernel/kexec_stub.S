/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Relocation stub of the Rust kexec machine layer (CONFIG_RISCV_KEXEC_RUST).
 *
 * riscv_kexec_stub is copied into the kexec control page and called from
 * machine_kexec() through a read-only, executable vm_map_ram() alias of
 * that page, never through the linear mapping. It is position independent.
 *
 * Register contract on entry (MMU on, interrupts off on this hart):
 *   a0  VA of image->head, the first entry of the indirection list
 *   a1  PA of the new kernel's entry point
 *   a2  PA of the FDT for the new kernel
 *   a3  hart id of this hart
 *   a4  offset from this code's VA to its PA (PA = VA - a4); running from
 *       the alias: kernel_map.va_pa_offset - va_va_offset
 *
 * While relocating (MMU off, physical addresses only):
 *   t0  current entry (address | IND_* flag)
 *   t1  source pointer, t2  end of the source page
 *   s0  PA of the next entry of the indirection list
 *   s1  PA of the destination, advancing one page per IND_SOURCE
 *   t3-t6, a5-a7, s2-s10  one 128-byte chunk of the page being copied
 *   a1-a3  kept for the hand-over
 *
 * Hand-over to the new kernel: a0 = hart id, a1 = FDT, t0 = entry point
 * (the register we jump through); every other GPR is zero, as is sscratch
 * (the new kernel takes it as "trap from kernel"). After relocation sepc,
 * scause and stval are zero too. On the crash path they are zero if the
 * hart reaches the entry through the jump after the satp write, and hold
 * the instruction fault's values if it gets there through stvec; the new
 * kernel's head.S reads none of them.
 *
 * The head entry is always IND_INDIRECTION or IND_DONE (kimage_add_entry()
 * starts a fresh indirection page before the first destination), so after
 * reading it through the MMU nothing else needs a virtual address.
 *
 * The copy moves 128 bytes per iteration with 16 registers: 35 instructions
 * per 128 bytes, 1120 per 4 KiB page plus about 12 per IND_SOURCE entry.
 */

#include <asm/asm.h>
#include <asm/csr.h>
#include <asm/page.h>
#include <linux/kexec.h>
#include <linux/linkage.h>

#define CHUNK	(16 * RISCV_SZPTR)

/* a0 = hart id, a1 = FDT, t0 = entry; everything else cleared. */
.macro kexec_handover hartid, fdt, entry
	mv	t0, \entry
	mv	a0, \hartid
	mv	a1, \fdt
	.irp	r, a2, a3, a4, a5, a6, a7, t1, t2, t3, t4, t5, t6, ra, sp, gp, tp
	mv	\r, zero
	.endr
	.irp	r, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11
	mv	\r, zero
	.endr
	csrw	CSR_SSCRATCH, zero
	csrw	CSR_SEPC, zero
	csrw	CSR_SCAUSE, zero
	csrw	CSR_STVAL, zero
.endm

	.section ".rodata"
	.balign	8
SYM_CODE_START(riscv_kexec_stub)
	csrw	CSR_SIE, zero
	csrw	CSR_SIP, zero

	/* The one read through the MMU: the head entry. */
	REG_L	t0, 0(a0)
	mv	s0, zero
	mv	s1, zero

	/*
	 * Turn the MMU off. The fetch after the satp write either still
	 * translates (then jr t1 goes to the PA) or faults; stvec points at
	 * the same PA, so both ways land on .Lphys in bare mode.
	 */
	lla	t1, .Lphys
	sub	t1, t1, a4
	csrw	CSR_STVEC, t1
	csrw	CSR_SATP, zero
	sfence.vma
	jr	t1

	.balign	4
.Lphys:
	/* Dispatch on the entry in t0; IND_SOURCE, the common case, first. */
	andi	t1, t0, IND_SOURCE
	bnez	t1, .Lcopy
	andi	t1, t0, IND_DESTINATION
	bnez	t1, .Ldestination
	andi	t1, t0, IND_INDIRECTION
	bnez	t1, .Lindirection
	andi	t1, t0, IND_DONE
	bnez	t1, .Ldone
.Lnext:
	REG_L	t0, 0(s0)
	addi	s0, s0, RISCV_SZPTR
	j	.Lphys

.Ldestination:
	andi	s1, t0, ~IND_FLAGS
	j	.Lnext

.Lindirection:
	andi	s0, t0, ~IND_FLAGS
	j	.Lnext

.Lcopy:
	andi	t1, t0, ~IND_FLAGS
	li	t2, PAGE_SIZE
	add	t2, t2, t1
1:
	REG_L	t3, (0 * RISCV_SZPTR)(t1)
	REG_L	t4, (1 * RISCV_SZPTR)(t1)
	REG_L	t5, (2 * RISCV_SZPTR)(t1)
	REG_L	t6, (3 * RISCV_SZPTR)(t1)
	REG_L	a5, (4 * RISCV_SZPTR)(t1)
	REG_L	a6, (5 * RISCV_SZPTR)(t1)
	REG_L	a7, (6 * RISCV_SZPTR)(t1)
	REG_L	s2, (7 * RISCV_SZPTR)(t1)
	REG_L	s3, (8 * RISCV_SZPTR)(t1)
	REG_L	s4, (9 * RISCV_SZPTR)(t1)
	REG_L	s5, (10 * RISCV_SZPTR)(t1)
	REG_L	s6, (11 * RISCV_SZPTR)(t1)
	REG_L	s7, (12 * RISCV_SZPTR)(t1)
	REG_L	s8, (13 * RISCV_SZPTR)(t1)
	REG_L	s9, (14 * RISCV_SZPTR)(t1)
	REG_L	s10, (15 * RISCV_SZPTR)(t1)
	REG_S	t3, (0 * RISCV_SZPTR)(s1)
	REG_S	t4, (1 * RISCV_SZPTR)(s1)
	REG_S	t5, (2 * RISCV_SZPTR)(s1)
	REG_S	t6, (3 * RISCV_SZPTR)(s1)
	REG_S	a5, (4 * RISCV_SZPTR)(s1)
	REG_S	a6, (5 * RISCV_SZPTR)(s1)
	REG_S	a7, (6 * RISCV_SZPTR)(s1)
	REG_S	s2, (7 * RISCV_SZPTR)(s1)
	REG_S	s3, (8 * RISCV_SZPTR)(s1)
	REG_S	s4, (9 * RISCV_SZPTR)(s1)
	REG_S	s5, (10 * RISCV_SZPTR)(s1)
	REG_S	s6, (11 * RISCV_SZPTR)(s1)
	REG_S	s7, (12 * RISCV_SZPTR)(s1)
	REG_S	s8, (13 * RISCV_SZPTR)(s1)
	REG_S	s9, (14 * RISCV_SZPTR)(s1)
	REG_S	s10, (15 * RISCV_SZPTR)(s1)
	addi	t1, t1, CHUNK
	addi	s1, s1, CHUNK
	bne	t1, t2, 1b
	j	.Lnext

.Ldone:
	kexec_handover a3, a2, a1
	/* The copied pages may hold code: make them visible to fetches. */
	fence.i
	jr	t0
SYM_CODE_END(riscv_kexec_stub)
riscv_kexec_stub_end:

	.balign	4
SYM_DATA(riscv_kexec_stub_size, .long riscv_kexec_stub_end - riscv_kexec_stub)

/*
 * fence.i on this hart, for machine_kexec() before it calls the stub: the
 * stub was written through the alias, and this hart may hold stale
 * instruction cache lines of the control page (as local_flush_icache_all()
 * in C, which Rust cannot call: it is inline).
 */
	.text
SYM_FUNC_START(riscv_kexec_fence_i)
	fence.i
	ret
SYM_FUNC_END(riscv_kexec_fence_i)

/*
 * Crash kexec: the capture kernel is already in place, so nothing is copied
 * and this runs from kernel text. Same arguments as riscv_kexec_stub. After
 * the satp write the next fetch, from a kernel virtual address in bare mode,
 * normally faults into stvec: the new kernel's entry. A hart that still
 * fetches from its pipeline takes the jump below to the same place, so the
 * code never runs past its end either way.
 */
	.text
SYM_CODE_START(riscv_kexec_stub_norelocate)
	csrw	CSR_SIE, zero
	csrw	CSR_SIP, zero
	kexec_handover a3, a2, a1
	csrw	CSR_STVEC, t0
	fence.i
	csrw	CSR_SATP, zero
	sfence.vma
	jr	t0
SYM_CODE_END(riscv_kexec_stub_norelocate)
