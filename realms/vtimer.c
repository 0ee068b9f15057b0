/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtimer: the EL1 virtual timer's interrupt (PPI 27) taken through the GICv3
 * CPU interface, as a realm kernel takes its tick (rmi-1.0.md 9.4: the realm
 * uses the EL1 timers directly, its counter offset is 0).
 *
 * The realm brings up its distributor and redistributor, enables PPI 27 in
 * group 1, and for ROUNDS rounds sets the timer 1 ms ahead, waits in WFI and
 * takes the interrupt: ICC_IAR1_EL1 gives 27, the counter has reached CVAL,
 * ISTATUS is set, and the handler masks the timer before EOI. Then IMASK: a
 * timer that expired while masked shows ISTATUS without interrupting, and
 * unmasking it interrupts at once. rmm-run with the KVM executor: the
 * executor's vGIC delivers the timer (executor/kvm-gic.c).
 */
#include "realm.h"

#define ROUNDS		10
#define TIMER_ENABLE	1UL
#define TIMER_IMASK	2UL
#define TIMER_ISTATUS	4UL
#define INTID_VTIMER	27
#define INTID_SPURIOUS	1023

/* GICv3 of the KVM executor's realm VMs, at their unprotected alias. */
#define GICD_BASE	0x08000000UL
#define GICR_BASE	0x080A0000UL	/* REC 0's redistributor */
#define GICD_CTLR	0x0000
#define GICR_WAKER	0x0014
#define GICR_SGI	0x10000		/* the SGI and PPI frame */
#define GICR_IGROUPR0	0x0080
#define GICR_ISENABLER0	0x0100
#define GICR_IPRIORITYR	0x0400
#define CTLR_ARE_GRP1	0x13		/* ARE, EnableGrp1, EnableGrp0 */
#define WAKER_SLEEP	(1U << 1)
#define WAKER_ASLEEP	(1U << 2)

#define sysreg_read(name) ({						\
	uint64_t v_;							\
	__asm__ volatile("mrs %0, " name : "=r"(v_));			\
	v_;								\
})
#define sysreg_write(name, v) \
	__asm__ volatile("msr " name ", %0\n\tisb" : : "r"((uint64_t)(v)) : "memory")

#define ICC_SRE_EL1	"S3_0_C12_C12_5"
#define ICC_PMR_EL1	"S3_0_C4_C6_0"
#define ICC_IGRPEN1_EL1	"S3_0_C12_C12_7"
#define ICC_IAR1_EL1	"S3_0_C12_C12_0"
#define ICC_EOIR1_EL1	"S3_0_C12_C12_1"

/* What the IRQ handler saw, for the main loop (the MMU is off: no caches
 * to worry about, volatile keeps the compiler honest). */
static volatile unsigned int irqs;
static volatile uint64_t irq_intid, irq_ctl, irq_count, irq_cval;

static void gic_init(void)
{
	uint64_t gicd = realm_unprotected(GICD_BASE), gicr = realm_unprotected(GICR_BASE);

	mmio_write32(gicd + GICD_CTLR, CTLR_ARE_GRP1);
	mmio_write32(gicr + GICR_WAKER, mmio_read32(gicr + GICR_WAKER) & ~WAKER_SLEEP);
	while (mmio_read32(gicr + GICR_WAKER) & WAKER_ASLEEP)
		;
	mmio_write32(gicr + GICR_SGI + GICR_IGROUPR0, 1U << INTID_VTIMER);
	mmio_write8(gicr + GICR_SGI + GICR_IPRIORITYR + INTID_VTIMER, 0x80);
	mmio_write32(gicr + GICR_SGI + GICR_ISENABLER0, 1U << INTID_VTIMER);
	sysreg_write(ICC_SRE_EL1, sysreg_read(ICC_SRE_EL1) | 1);
	sysreg_write(ICC_PMR_EL1, 0xff);
	sysreg_write(ICC_IGRPEN1_EL1, 1);
}

/* The tick handler of a realm kernel: acknowledge, mask the timer (as
 * Linux's timer driver does), end the interrupt. */
static bool irq_hook(unsigned int vector, struct exc_frame *f)
{
	uint64_t intid;

	(void)f;
	if (vector != 5)
		return false;
	intid = sysreg_read(ICC_IAR1_EL1) & 0xFFFFFF;
	if (intid == INTID_SPURIOUS)
		return true;
	irq_count = sysreg_read("cntvct_el0");
	irq_ctl = sysreg_read("cntv_ctl_el0");
	irq_cval = sysreg_read("cntv_cval_el0");
	irq_intid = intid;
	sysreg_write("cntv_ctl_el0", TIMER_ENABLE | TIMER_IMASK);
	sysreg_write(ICC_EOIR1_EL1, intid);
	irqs = irqs + 1;
	return true;
}

static void irqs_on(void)
{
	__asm__ volatile("msr daifclr, #2" : : : "memory");
}

static void irqs_off(void)
{
	__asm__ volatile("msr daifset, #2" : : : "memory");
}

/* One tick 1 ms ahead, waited for in WFI; returns its latency in us. */
static uint64_t one_tick(uint64_t ticks_per_ms)
{
	unsigned int before = irqs;
	uint64_t cval;

	irqs_off();
	cval = sysreg_read("cntvct_el0") + ticks_per_ms;
	sysreg_write("cntv_cval_el0", cval);
	sysreg_write("cntv_ctl_el0", TIMER_ENABLE);
	irqs_on();
	while (irqs == before)
		__asm__ volatile("wfi");
	check_eq("vtimer_intid", irq_intid, INTID_VTIMER);
	check_true("vtimer_expired", irq_count >= cval && irq_cval == cval, irq_count);
	check_eq("vtimer_istatus", irq_ctl & (TIMER_ISTATUS | TIMER_IMASK | TIMER_ENABLE),
		 TIMER_ISTATUS | TIMER_ENABLE);
	return (irq_count - cval) * 1000 / ticks_per_ms;
}

/* Masked, the expired timer shows ISTATUS and does not interrupt;
 * unmasked, it does at once. */
static void masked_tick(uint64_t ticks_per_ms)
{
	unsigned int before = irqs;
	uint64_t cval, ctl;

	irqs_on();
	cval = sysreg_read("cntvct_el0") + ticks_per_ms;
	sysreg_write("cntv_cval_el0", cval);
	sysreg_write("cntv_ctl_el0", TIMER_ENABLE | TIMER_IMASK);
	while (sysreg_read("cntvct_el0") < cval + ticks_per_ms)
		;
	ctl = sysreg_read("cntv_ctl_el0");
	check_eq("vtimer_masked_no_irq", irqs, before);
	check_eq("vtimer_masked_istatus", ctl & TIMER_ISTATUS, TIMER_ISTATUS);
	sysreg_write("cntv_ctl_el0", TIMER_ENABLE);
	while (irqs == before)
		__asm__ volatile("wfi");
	check_eq("vtimer_unmasked_irq", irqs, before + 1);
}

int main(uint64_t dtb)
{
	uint64_t ticks_per_ms = sysreg_read("cntfrq_el0") / 1000, worst = 0;

	(void)dtb;
	printf("vtimer: %u ticks of 1 ms through the GIC, counter %lu Hz\n", ROUNDS,
	       ticks_per_ms * 1000);
	realm_exception_hook = irq_hook;
	gic_init();
	for (unsigned int i = 0; i < ROUNDS; i++) {
		uint64_t us = one_tick(ticks_per_ms);

		worst = us > worst ? us : worst;
	}
	masked_tick(ticks_per_ms);
	irqs_off();
	sysreg_write("cntv_ctl_el0", 0);
	check_eq("vtimer_irqs", irqs, ROUNDS + 1);
	printf("vtimer: %u interrupts, worst latency after expiry %lu us\n", irqs, worst);
	return checks_summary("vtimer") ? 0 : 1;
}
