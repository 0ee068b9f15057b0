/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Entry of a realm payload. REC 0 comes in at _start (the image's entry
 * point, the RAM base) with x0 = the DTB's IPA; other RECs at
 * _secondary_entry, from PSCI CPU_ON, with x0 = the context id. Both run at
 * EL1h with D, A, I, F masked and the MMU off (rmi-1.0.md 8.10, 8.19). Each
 * REC takes the stack of its index (MPIDR_EL1 Aff0[3:0] | Aff1 << 4); an
 * index without a stack parks the REC.
 */
#define REALM_MAX_RECS		8
#define REALM_STACK_SHIFT	14	/* 16 KiB */

	.section .text.boot, "ax"
	.global _start
_start:
	mov	x19, x0
	bl	set_vectors_and_stack
	/* The loader gives zeroed RAM; zero .bss anyway, before anything in C
	 * looks at it. */
	adrp	x0, __bss_start
	add	x0, x0, :lo12:__bss_start
	adrp	x1, __bss_end
	add	x1, x1, :lo12:__bss_end
1:	cmp	x0, x1
	b.hs	2f
	str	xzr, [x0], #8
	b	1b
2:	mov	x0, x19
	bl	realm_start_primary
	b	park

	.text
	.global _secondary_entry
_secondary_entry:
	mov	x19, x0
	bl	set_vectors_and_stack
	mov	x0, x19
	bl	realm_start_secondary
	b	park

/* VBAR_EL1 and SP for this REC; x0..x2 clobbered. The stacks live in .bss
 * above __bss_end, so zeroing .bss leaves them alone. */
set_vectors_and_stack:
	adrp	x0, realm_vectors
	add	x0, x0, :lo12:realm_vectors
	msr	vbar_el1, x0
	isb
	mrs	x0, mpidr_el1
	and	x1, x0, #0xf
	ubfx	x2, x0, #8, #8
	orr	x1, x1, x2, lsl #4
	cmp	x1, #REALM_MAX_RECS
	b.hs	park
	add	x1, x1, #1
	adrp	x0, realm_stacks
	add	x0, x0, :lo12:realm_stacks
	add	x0, x0, x1, lsl #REALM_STACK_SHIFT
	mov	sp, x0
	ret

park:
	wfi
	b	park

	.section .stacks, "aw", %nobits
	.balign 4096
	.global realm_stacks
realm_stacks:
	.skip	REALM_MAX_RECS << REALM_STACK_SHIFT

	.section .note.GNU-stack, "", %progbits
