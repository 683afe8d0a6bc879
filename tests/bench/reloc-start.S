/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bare-metal (M-mode, -bios none) start code of the relocation benchmark,
 * and run_stub(): calls a kexec relocation stub with the kernel's register
 * contract and comes back when the stub "jumps to the new kernel".
 * In M-mode satp does not translate, so VA == PA and the offset is 0.
 */
	.section .text.start, "ax"
	.globl	_start
_start:
	csrr	t0, mhartid
	bnez	t0, 1f
	lla	sp, stack_top
	call	bench_main
1:	wfi
	j	1b

/*
 * u64 run_stub(void *stub, void *head, u64 fdt, u64 vector) -> minstret
 * delta. The stub clears every register but a0/a1/t0 before it jumps, so
 * state is kept in memory; mstatus after the hand-over goes to saved[19]
 * (its VS field must be Off again).
 */
	.text
	.globl	run_stub
run_stub:
	lla	t1, saved
	sd	ra, 0(t1)
	sd	sp, 8(t1)
	sd	gp, 16(t1)
	sd	tp, 24(t1)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	sd	s\n, (32 + 8 * \n)(t1)
	.endr
	mv	t2, a0			/* the stub */
	mv	a5, a3			/* a5: vector copy */
	mv	a0, a1			/* a0: &head */
	lla	a1, back		/* a1: "new kernel" entry */
	mv	a2, a2			/* a2: fdt */
	li	a3, 0			/* a3: hart id */
	li	a4, 0			/* a4: VA - PA */
	csrr	t3, minstret
	sd	t3, 128(t1)
	jr	t2
	.balign	4
back:
	csrr	t3, minstret
	lla	t1, saved
	ld	t4, 128(t1)
	ld	ra, 0(t1)
	ld	sp, 8(t1)
	ld	gp, 16(t1)
	ld	tp, 24(t1)
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	ld	s\n, (32 + 8 * \n)(t1)
	.endr
	/* Check the hand-over: a0 = hart id (0), a1 = fdt. */
	sd	a0, 136(t1)
	sd	a1, 144(t1)
	csrr	t5, mstatus
	sd	t5, 152(t1)
	sub	a0, t3, t4
	ret

	.bss
	.balign	8
	.globl	saved
saved:	.space	160
	.balign	16
	.space	16384
stack_top:
