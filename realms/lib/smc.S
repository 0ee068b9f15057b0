/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * void smc_call(struct smc_regs *r): SMC #0 with x0..x10 from r->x[], and
 * x0..x10 after it back into r->x[] (RSI_MEASUREMENT_READ returns x1..x8,
 * RSI_MEASUREMENT_EXTEND takes x3..x10; rsi-1.0.md 2).
 */
	.text
	.global	smc_call
smc_call:
	stp	x29, x30, [sp, #-32]!
	mov	x29, sp
	str	x0, [sp, #16]
	mov	x11, x0
	ldp	x0, x1, [x11, #0]
	ldp	x2, x3, [x11, #16]
	ldp	x4, x5, [x11, #32]
	ldp	x6, x7, [x11, #48]
	ldp	x8, x9, [x11, #64]
	ldr	x10, [x11, #80]
	smc	#0
	ldr	x11, [sp, #16]
	stp	x0, x1, [x11, #0]
	stp	x2, x3, [x11, #16]
	stp	x4, x5, [x11, #32]
	stp	x6, x7, [x11, #48]
	stp	x8, x9, [x11, #64]
	str	x10, [x11, #80]
	ldp	x29, x30, [sp], #32
	ret

	.section .note.GNU-stack, "", %progbits
