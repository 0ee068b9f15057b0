/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Realm code for executor/tests/test_kvm.c: one position-independent blob,
 * copied page by page into a realm's RAM (DATA_CREATE) at a 4 KiB aligned
 * IPA; each scenario starts a REC at one of the global labels. The realm has
 * s2sz 40, so its unprotected half starts at 2^39 and the test's MMIO page
 * (no mapping: every access is an emulatable exit) is at 2^39 | 0x0a000000.
 * Offsets in that page say what a store reports (test_kvm.c checks them).
 */
	.text
	.balign	4096
	.global	kvm_payload_start
kvm_payload_start:

/* x19 = the MMIO page. */
	.macro	mmio_base reg
	movz	\reg, #0x0a00, lsl #16
	movk	\reg, #0x0080, lsl #32
	.endm

/* x0 = function ID imm32. */
	.macro	fid reg, hi, lo
	movz	\reg, #\lo
	movk	\reg, #\hi, lsl #16
	.endm

	.macro	set_vbar
	adr	x9, vectors
	msr	vbar_el1, x9
	isb
	.endm

/*
 * Emulated MMIO, x1 = a value. A store (exit with the value), a 4-byte load
 * (answered by the host) stored back, a 1-byte load stored as 2 bytes, a
 * load that is answered only after the host re-entered once without an
 * answer (re-executed), stored back; sign-extending loads, stored back.
 */
	.global	payload_mmio
payload_mmio:
	mmio_base x19
	str	x1, [x19]
	ldr	w2, [x19, #0x08]
	str	x2, [x19, #0x10]
	ldrb	w3, [x19, #0x18]
	strh	w3, [x19, #0x1a]
	mov	x5, #0x77
	ldr	x5, [x19, #0x20]
	str	x5, [x19, #0x28]
	ldrsh	x6, [x19, #0x30]
	str	x6, [x19, #0x38]
	ldrsb	w7, [x19, #0x40]
	str	x7, [x19, #0x48]
	ldrsw	x8, [x19, #0x50]
	str	x8, [x19, #0x58]
	b	.

/* Stores x1, x1 + 1, ... to the MMIO page forever: the round trip. */
	.global	payload_mmio_loop
payload_mmio_loop:
	mmio_base x19
1:	str	x1, [x19]
	add	x1, x1, #1
	b	1b

/*
 * Realm calls the RMM answers, then SYSTEM_OFF. RSI_VERSION(1.0) with x3 and
 * x4 set: results x0..x2, x3 = 0, x4 kept; MEASUREMENT_READ(RIM): x1 and
 * x8; PSCI_VERSION; an unknown SMC; SYSTEM_OFF.
 */
	.global	payload_calls
payload_calls:
	mmio_base x19
	fid	x0, 0xc400, 0x0190		/* RSI_VERSION */
	mov	x1, #0x10000
	mov	x3, #0x3333
	mov	x4, #0x4444
	smc	#0
	str	x0, [x19, #0x00]
	str	x1, [x19, #0x08]
	str	x2, [x19, #0x10]
	str	x3, [x19, #0x18]
	str	x4, [x19, #0x20]
	fid	x0, 0xc400, 0x0192		/* RSI_MEASUREMENT_READ */
	mov	x1, #0
	smc	#0
	str	x0, [x19, #0x28]
	str	x1, [x19, #0x30]
	str	x8, [x19, #0x38]
	fid	x0, 0x8400, 0x0000		/* PSCI_VERSION */
	smc	#0
	str	x0, [x19, #0x40]
	fid	x0, 0xc500, 0x0020		/* not a call the RMM knows */
	smc	#0
	str	x0, [x19, #0x48]
	fid	x0, 0x8400, 0x0008		/* PSCI_SYSTEM_OFF */
	smc	#0
	b	.

/* A load from x1 (protected, not mapped); what it read is stored after. */
	.global	payload_load
payload_load:
	mmio_base x19
	set_vbar
	mov	x2, #0x5555
	.global	payload_load_insn
payload_load_insn:
	ldr	x2, [x1]
	str	x2, [x19, #0x50]
	b	.

/* A load from x1 in a loop: ends when the page goes away under it. */
	.global	payload_load_loop
payload_load_loop:
	mmio_base x19
1:	ldr	x2, [x1]
	b	1b

/* HVC with an RSI function ID: UNDEFINED for a realm. */
	.global	payload_hvc
payload_hvc:
	mmio_base x19
	set_vbar
	fid	x0, 0xc400, 0x0190
	.global	payload_hvc_insn
payload_hvc_insn:
	hvc	#0
	b	.

/* REC 0: CPU_ON(REC 1, secondary, 0x77), then stores the result. */
	.global	payload_cpu_on
payload_cpu_on:
	mmio_base x19
	fid	x0, 0xc400, 0x0003		/* PSCI_CPU_ON (SMC64) */
	mov	x1, #1
	adr	x2, secondary
	mov	x3, #0x77
	smc	#0
	str	x0, [x19, #0x58]
	b	.
secondary:
	mmio_base x19
	str	x0, [x19, #0x60]
	mrs	x1, mpidr_el1
	str	x1, [x19, #0x68]
	b	.

	.global	payload_spin
payload_spin:
	b	.

/*
 * WFI with nothing pending (the realm's interrupts masked, no timer): it
 * waits until the host stops the run, or traps. A store before and after
 * each of three WFIs.
 */
	.global	payload_wfi
payload_wfi:
	mmio_base x19
	str	xzr, [x19, #0x90]
	wfi
	str	xzr, [x19, #0x98]
	wfi
	str	xzr, [x19, #0xa0]
	wfi
	str	xzr, [x19, #0xa8]
	b	.

/* x1 WFEs with the event register clear (each would wait), then a store. */
	.global	payload_wfe
payload_wfe:
	mmio_base x19
	str	xzr, [x19, #0x90]
1:	wfe
	subs	x1, x1, #1
	b.ne	1b
	str	xzr, [x19, #0xb0]
	b	.

/* SErrors unmasked (PSTATE.A), then a spin: an SError taken reports its ESR. */
	.global	payload_serror
payload_serror:
	mmio_base x19
	set_vbar
	msr	daifclr, #4
	b	.

/* Timer state the exit reports: CNTV enabled and masked at x1, CNTP
 * enabled at x2, both far in the future. */
	.global	payload_timers
payload_timers:
	mmio_base x19
	msr	cntv_cval_el0, x1
	mov	x3, #3
	msr	cntv_ctl_el0, x3
	msr	cntp_cval_el0, x2
	mov	x3, #1
	msr	cntp_ctl_el0, x3
	isb
	str	xzr, [x19, #0x70]
	b	.

/*
 * The virtual timer x1 ticks ahead, enabled and unmasked (the realm's IRQs
 * stay masked: nothing is taken): its CVAL stored, another store, then a
 * spin until the host stops the run.
 */
	.global	payload_timer_expiry
payload_timer_expiry:
	mmio_base x19
	mrs	x2, cntvct_el0
	add	x2, x2, x1
	msr	cntv_cval_el0, x2
	mov	x3, #1
	msr	cntv_ctl_el0, x3
	isb
	str	x2, [x19, #0x80]
	str	xzr, [x19, #0x88]
	b	.

/*
 * The GIC as a realm driver sets it up (kvm.h's addresses, REC 0's
 * redistributor): distributor on, PPI 27 (virtual timer) and SPI 40 enabled
 * in group 1 for REC 0, the CPU interface open to every priority.
 */
gic_setup:
	movz	x10, #0x0800, lsl #16		/* GICD */
	movk	x10, #0x0080, lsl #32
	mov	w11, #0x13			/* ARE, EnableGrp1, EnableGrp0 */
	str	w11, [x10]
	mov	w11, #(1 << 8)			/* SPI 40 */
	str	w11, [x10, #0x084]		/* IGROUPR1 */
	str	w11, [x10, #0x104]		/* ISENABLER1 */
	mov	w11, #0x80
	strb	w11, [x10, #0x400 + 40]		/* IPRIORITYR */
	mov	x11, #0
	mov	x12, #0x6000 + 8 * 40		/* IROUTER40: affinity 0.0.0.0 */
	str	x11, [x10, x12]
	movz	x10, #0x080a, lsl #16		/* GICR of REC 0 */
	movk	x10, #0x0080, lsl #32
	ldr	w11, [x10, #0x14]		/* WAKER: wake up */
	bic	w11, w11, #2
	str	w11, [x10, #0x14]
1:	ldr	w11, [x10, #0x14]
	tbnz	w11, #2, 1b
	add	x10, x10, #0x10000		/* SGI frame */
	mov	w11, #(1 << 27)
	str	w11, [x10, #0x80]		/* IGROUPR0: PPI 27 group 1 */
	str	w11, [x10, #0x100]		/* ISENABLER0 */
	mov	w11, #0x80
	strb	w11, [x10, #0x400 + 27]		/* IPRIORITYR */
	mov	x11, #1
	msr	S3_0_C12_C12_5, x11		/* ICC_SRE_EL1.SRE */
	mov	x11, #0xff
	msr	S3_0_C4_C6_0, x11		/* ICC_PMR_EL1 */
	mov	x11, #1
	msr	S3_0_C12_C12_7, x11		/* ICC_IGRPEN1_EL1 */
	isb
	ret

/*
 * The virtual timer interrupt through the vGIC, with no exit: the IRQ
 * handler stores the INTID it acknowledged.
 */
	.global	payload_vtimer
payload_vtimer:
	mmio_base x19
	set_vbar
	bl	gic_setup
	mov	x11, #0x1000
	msr	cntv_tval_el0, x11
	mov	x11, #1				/* enabled, not masked */
	msr	cntv_ctl_el0, x11
	isb
	msr	daifclr, #2
2:	wfi
	b	2b

/* SPI 40 from the host's list register: ready (an exit), then waits. */
	.global	payload_spi
payload_spi:
	mmio_base x19
	set_vbar
	bl	gic_setup
	str	xzr, [x19, #0x78]
	msr	daifclr, #2
3:	wfi
	b	3b

/* What an exception reports: ESR, FAR, ELR, SPSR, then the INTID of an IRQ. */
report_sync:
	mrs	x10, esr_el1
	str	x10, [x19, #0x100]
	mrs	x10, far_el1
	str	x10, [x19, #0x108]
	mrs	x10, elr_el1
	str	x10, [x19, #0x110]
	mrs	x10, spsr_el1
	str	x10, [x19, #0x118]
	b	.
report_serror:
	mrs	x10, esr_el1
	str	x10, [x19, #0x130]
	b	.
report_irq:
	mrs	x10, S3_0_C12_C12_0		/* ICC_IAR1_EL1 */
	mov	x11, #0
	msr	cntv_ctl_el0, x11
	str	x10, [x19, #0x120]
	b	.

	.balign	0x800
vectors:
	b	report_sync			/* current EL, SP0: sync */
	.balign	0x80
	b	report_irq
	.balign	0x200
	b	report_sync			/* current EL, SPx: sync */
	.balign	0x80
	b	report_irq
	.balign	0x80
	b	.				/* FIQ */
	.balign	0x80
	b	report_serror
	.balign	0x80
	b	report_sync			/* lower EL */
	.balign	0x800

	.global	kvm_payload_end
kvm_payload_end:
