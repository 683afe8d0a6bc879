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
 *   a5  non-zero: copy with the vector extension (the caller found
 *       Zve32x, as has_vector() does, on every hart); zero: scalar copy.
 *       Ignored without CONFIG_RISCV_ISA_V (the assembler may not know V)
 *
 * While relocating (MMU off, physical addresses only):
 *   t0  current entry (address | IND_* flag)
 *   t1  source pointer, t2  end of the source page
 *   s0  PA of the next entry of the indirection list
 *   s1  PA of the destination, advancing one page per IND_SOURCE
 *   t3-t6, a5-a7, s2-s10  one 128-byte chunk of the page being copied
 *   s11 bytes per vector load/store (vl of e8, m8), zero for a scalar copy
 *   v0-v7  one vector register group of the page being copied
 *   a1-a3  kept for the hand-over
 *
 * Hand-over to the new kernel: a0 = hart id, a1 = FDT, t0 = entry point
 * (the register we jump through); every other GPR is zero, as is sscratch
 * (the new kernel takes it as "trap from kernel"), and sstatus.VS is Off
 * again after a vector copy. After relocation sepc,
 * scause and stval are zero too. On the crash path they are zero if the
 * hart reaches the entry through the jump after the satp write, and hold
 * the instruction fault's values if it gets there through stvec; the new
 * kernel's head.S reads none of them.
 *
 * The head entry is always IND_INDIRECTION or IND_DONE (kimage_add_entry()
 * starts a fresh indirection page before the first destination), so after
 * reading it through the MMU nothing else needs a virtual address.
 *
 * The copy moves four 128-byte chunks (16 registers each) per iteration:
 * 131 instructions per 512 bytes, 1048 per 4 KiB page (the floor of one
 * load and one store per 8 bytes is 1024) plus 10 per IND_SOURCE entry:
 * 1058. The vector copy turns sstatus.VS on and moves min(VLEN, 4096)
 * bytes per vle8.v/vse8.v pair with LMUL=8: 5 instructions per iteration,
 * 5 * 4096 / VLEN + 10 per page: 170 with VLEN=128, 90 with VLEN=256
 * (Zve32x also allows VLEN=32 and 64: 650 and 330).
 */

#include <asm/asm.h>
#include <asm/csr.h>
#include <asm/page.h>
#include <linux/kexec.h>
#include <linux/linkage.h>

#define CHUNK	(16 * RISCV_SZPTR)

/*
 * Copy the CHUNK bytes at \off(t1) to \off(s1): sixteen loads, then
 * sixteen stores.
 */
.macro copy_chunk off
	REG_L	t3, (\off + 0 * RISCV_SZPTR)(t1)
	REG_L	t4, (\off + 1 * RISCV_SZPTR)(t1)
	REG_L	t5, (\off + 2 * RISCV_SZPTR)(t1)
	REG_L	t6, (\off + 3 * RISCV_SZPTR)(t1)
	REG_L	a5, (\off + 4 * RISCV_SZPTR)(t1)
	REG_L	a6, (\off + 5 * RISCV_SZPTR)(t1)
	REG_L	a7, (\off + 6 * RISCV_SZPTR)(t1)
	REG_L	s2, (\off + 7 * RISCV_SZPTR)(t1)
	REG_L	s3, (\off + 8 * RISCV_SZPTR)(t1)
	REG_L	s4, (\off + 9 * RISCV_SZPTR)(t1)
	REG_L	s5, (\off + 10 * RISCV_SZPTR)(t1)
	REG_L	s6, (\off + 11 * RISCV_SZPTR)(t1)
	REG_L	s7, (\off + 12 * RISCV_SZPTR)(t1)
	REG_L	s8, (\off + 13 * RISCV_SZPTR)(t1)
	REG_L	s9, (\off + 14 * RISCV_SZPTR)(t1)
	REG_L	s10, (\off + 15 * RISCV_SZPTR)(t1)
	REG_S	t3, (\off + 0 * RISCV_SZPTR)(s1)
	REG_S	t4, (\off + 1 * RISCV_SZPTR)(s1)
	REG_S	t5, (\off + 2 * RISCV_SZPTR)(s1)
	REG_S	t6, (\off + 3 * RISCV_SZPTR)(s1)
	REG_S	a5, (\off + 4 * RISCV_SZPTR)(s1)
	REG_S	a6, (\off + 5 * RISCV_SZPTR)(s1)
	REG_S	a7, (\off + 6 * RISCV_SZPTR)(s1)
	REG_S	s2, (\off + 7 * RISCV_SZPTR)(s1)
	REG_S	s3, (\off + 8 * RISCV_SZPTR)(s1)
	REG_S	s4, (\off + 9 * RISCV_SZPTR)(s1)
	REG_S	s5, (\off + 10 * RISCV_SZPTR)(s1)
	REG_S	s6, (\off + 11 * RISCV_SZPTR)(s1)
	REG_S	s7, (\off + 12 * RISCV_SZPTR)(s1)
	REG_S	s8, (\off + 13 * RISCV_SZPTR)(s1)
	REG_S	s9, (\off + 14 * RISCV_SZPTR)(s1)
	REG_S	s10, (\off + 15 * RISCV_SZPTR)(s1)
.endm

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
#ifdef CONFIG_RISCV_ISA_V
	mv	s11, a5
#else
	mv	s11, zero
#endif

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
#ifdef CONFIG_RISCV_ISA_V
	/* Once, before the first entry: the vector unit, if asked for. */
	beqz	s11, .Lnext_entry
	li	t1, SR_VS_INITIAL
	csrs	CSR_STATUS, t1
	/* A task's interrupted vector instruction may have left vstart. */
	csrw	CSR_VSTART, zero
	li	t1, PAGE_SIZE
	.option	push
	.option	arch, +v
	/*
	 * vl = min(PAGE_SIZE, VLEN): both powers of two, so it divides a
	 * page. Should vill be set, vl is 0 and the copy stays scalar.
	 */
	vsetvli	s11, t1, e8, m8, ta, ma
	.option	pop
#endif
.Lnext_entry:
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
	j	.Lnext_entry

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
#ifdef CONFIG_RISCV_ISA_V
	bnez	s11, .Lcopy_vector
#endif
1:
	copy_chunk	(0 * CHUNK)
	copy_chunk	(1 * CHUNK)
	copy_chunk	(2 * CHUNK)
	copy_chunk	(3 * CHUNK)
	addi	t1, t1, (4 * CHUNK)
	addi	s1, s1, (4 * CHUNK)
	bne	t1, t2, 1b
	j	.Lnext

#ifdef CONFIG_RISCV_ISA_V
	.option	push
	.option	arch, +v
.Lcopy_vector:
	vle8.v	v0, (t1)
	vse8.v	v0, (s1)
	add	t1, t1, s11
	add	s1, s1, s11
	bne	t1, t2, .Lcopy_vector
	j	.Lnext
	.option	pop
#endif

.Ldone:
	/* The vector unit back to Off (a no-op after a scalar copy). */
	li	t1, SR_VS
	csrc	CSR_STATUS, t1
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
