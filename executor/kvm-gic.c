/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The realm VM's vGICv3 and timers as the REC entry and exit structures
 * carry them (rmi-1.0.md 9.1-9.4).
 *
 * The realm's timers are KVM's: their interrupts (PPI 27 virtual, 30
 * physical) reach the realm through the vGIC with no exit, which is what a
 * realm needs to run; every exit reports CNTV/CNTP CTL and CVAL read from
 * KVM (the counter offsets are 0, so the values are the realm's; a disabled
 * timer's CVAL is the one read last, see timer_read). What the host sees
 * follows rmi-1.0.md 9.4: a run ends with an IRQ exit when an enabled,
 * unmasked timer expires (its expiry known from the CVAL of the last exit
 * ends the slice early; a CVAL the realm set since is seen at the next
 * exit), and a REC_ENTER returns an IRQ exit without running the realm when
 * a timer output asserted or deasserted since the last exit reported it.
 * Not done: the masking of an asserted timer for the realm (CNTVMASK):
 * KVM delivers the timer interrupt itself, so a host's list register for
 * it changes nothing (see below).
 *
 * List registers: the host's interrupts are handed to the vGIC as lines.
 * At each REC_ENTER, every LR in the pending state whose vINTID is an SPI
 * (32..991, the most KVM's vGIC has) or a PPI (16..31, except the timer PPIs, which the vGIC
 * drives itself) raises that line (KVM_IRQ_LINE; a PPI on this REC's
 * vCPU); a line this REC raised for an LR that is no longer pending is
 * lowered. So a level interrupt follows the host's LR; an edge-configured
 * one sees one rising edge per raise.
 * Not supported: SGIs (KVM_IRQ_LINE cannot raise them), SPIs 992..1019
 * and LPIs (no ITS): such LRs are ignored (logged once). The exit reports the LRs and
 * ICH_HCR host bits of the entry unchanged, ICH_MISR and ICH_VMCR as 0:
 * the vGIC's view of an interrupt (active, acknowledged, EOIed) is
 * readable through KVM only with every vCPU of the VM stopped, which a
 * REC_ENTER cannot ask of the others. A host sees its interrupt pending
 * until it takes it out of the LR itself.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "executor/kvm-internal.h"
#include "executor/kvm.h"
#include "rmmemu/log.h"
#include "rmmemu/realm.h"

#define LR_PENDING		(1ULL << 62)
#define LR_VINTID(lr)		((unsigned int)((lr) & 0xFFFFFFFFULL))
#define INTID_PPI_FIRST		16
#define INTID_SPI_FIRST		32
/* The vGIC's interrupts: a multiple of 32 below 1024 (KVM's limit). */
#define VGIC_NR_IRQS		992U
#define INTID_SPI_LAST		(VGIC_NR_IRQS - 1)
#define INTID_VTIMER		27
#define TIMER_CTL_ENABLE	1ULL
#define TIMER_CTL_IMASK		2ULL
#define TIMER_CTL_ISTATUS	4ULL
/* Timer expiries further away than this end no slice early. */
#define TIMER_HORIZON_S		4
#define INTID_PTIMER		30

static int gic_attr(struct kvm_realm *kr, uint32_t group, uint64_t attr,
		    const void *addr, const char *what)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)addr,
	};

	if (ioctl(kr->vgic_fd, KVM_SET_DEVICE_ATTR, &a) != 0) {
		int err = errno;

		rmm_log(RMM_LOG_ERROR, "kvm executor: realm 0x%llx: vGICv3 %s: %s",
			(unsigned long long)kr->r->rd_pa, what, strerror(err));
		return -err;
	}
	return 0;
}

/* The vGIC at the addresses of kvm.h, once the vCPUs exist. */
int kvm_gic_create(struct kvm_realm *kr)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t unprot = 1ULL << (kr->r->s2sz - 1);
	uint64_t dist = unprot | KVM_EXEC_GICD_OFFSET;
	uint64_t redist = unprot | KVM_EXEC_GICR_OFFSET;
	uint32_t nr_irqs = VGIC_NR_IRQS;
	int err;

	if (ioctl(kr->vm_fd, KVM_CREATE_DEVICE, &dev) != 0) {
		err = errno;
		rmm_log(RMM_LOG_ERROR, "kvm executor: realm 0x%llx: vGICv3: %s",
			(unsigned long long)kr->r->rd_pa, strerror(err));
		return -err;
	}
	kr->vgic_fd = (int)dev.fd;
	err = gic_attr(kr, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST,
		       &dist, "distributor address");
	if (err == 0)
		err = gic_attr(kr, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST,
			       &redist, "redistributor address");
	if (err == 0)
		err = gic_attr(kr, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs,
			       "number of interrupts");
	return err;
}

int kvm_gic_init(struct kvm_realm *kr)
{
	return gic_attr(kr, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
			NULL, "initialisation");
}

static void irq_line(struct kvm_vcpu *v, uint32_t type, unsigned int intid, int level)
{
	struct kvm_irq_level l = { .level = (uint32_t)level };
	uint32_t irq = type << KVM_ARM_IRQ_TYPE_SHIFT | intid;

	if (type == KVM_ARM_IRQ_TYPE_PPI)
		irq |= (v->kvm_index & KVM_ARM_IRQ_VCPU_MASK) << KVM_ARM_IRQ_VCPU_SHIFT |
		       (v->kvm_index >> 8 & KVM_ARM_IRQ_VCPU2_MASK) << KVM_ARM_IRQ_VCPU2_SHIFT;
	l.irq = irq;
	if (ioctl(v->kr->vm_fd, KVM_IRQ_LINE, &l) != 0)
		rmm_log(RMM_LOG_WARN, "kvm executor: vCPU %u: KVM_IRQ_LINE %u = %d: %s",
			v->id, intid, level, strerror(errno));
}

static void lr_unsupported(struct kvm_vcpu *v, unsigned int intid)
{
	static bool warned;

	if (__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
		return;
	rmm_log(RMM_LOG_WARN, "kvm executor: vCPU %u: list register with vINTID %u "
		"ignored: only SPIs and PPIs reach the vGIC", v->id, intid);
}

static void ppis_update(struct kvm_vcpu *v, uint16_t want)
{
	uint16_t change = want ^ v->ppi_raised;

	for (unsigned int i = 0; i < 16; i++) {
		if (change & 1U << i)
			irq_line(v, KVM_ARM_IRQ_TYPE_PPI, INTID_PPI_FIRST + i,
				 (want >> i) & 1);
	}
	v->ppi_raised = want;
}

static bool spi_wanted(const uint64_t *lrs, unsigned int intid)
{
	for (unsigned int i = 0; i < RMI_REC_GIC_LRS_MAX; i++) {
		if ((lrs[i] & LR_PENDING) && LR_VINTID(lrs[i]) == intid)
			return true;
	}
	return false;
}

/* SPI lines are the VM's: each remembers the vCPU whose LR raised it. */
static void spis_update(struct kvm_vcpu *v, const uint64_t *lrs, bool any)
{
	struct kvm_realm *kr = v->kr;
	uint16_t me = (uint16_t)(v->id + 1);

	if (!any && v->spis_owned == 0)
		return;
	pthread_mutex_lock(&kr->lock);
	for (unsigned int intid = INTID_SPI_FIRST; v->spis_owned > 0 &&
	     intid <= INTID_SPI_LAST; intid++) {
		if (kr->spi_owner[intid] == me && !spi_wanted(lrs, intid)) {
			irq_line(v, KVM_ARM_IRQ_TYPE_SPI, intid, 0);
			kr->spi_owner[intid] = 0;
			v->spis_owned--;
		}
	}
	for (unsigned int i = 0; i < RMI_REC_GIC_LRS_MAX; i++) {
		unsigned int intid = LR_VINTID(lrs[i]);

		if (!(lrs[i] & LR_PENDING) || intid < INTID_SPI_FIRST ||
		    intid > INTID_SPI_LAST || kr->spi_owner[intid] == me)
			continue;
		irq_line(v, KVM_ARM_IRQ_TYPE_SPI, intid, 1);
		kr->spi_owner[intid] = me;
		v->spis_owned++;
	}
	pthread_mutex_unlock(&kr->lock);
}

void kvm_gic_enter(struct kvm_vcpu *v, const struct rmi_rec_enter *enter)
{
	uint16_t ppis = 0;
	bool spis = false;

	v->gic_hcr = enter->gicv3_hcr;
	memcpy(v->gic_lrs, enter->gicv3_lrs, sizeof(v->gic_lrs));
	for (unsigned int i = 0; i < RMI_REC_GIC_LRS_MAX; i++) {
		uint64_t lr = enter->gicv3_lrs[i];
		unsigned int intid = LR_VINTID(lr);

		if (!(lr & LR_PENDING))
			continue;
		if (intid >= INTID_SPI_FIRST && intid <= INTID_SPI_LAST)
			spis = true;
		else if (intid == INTID_VTIMER || intid == INTID_PTIMER)
			continue;	/* the vGIC drives them */
		else if (intid >= INTID_PPI_FIRST && intid < INTID_SPI_FIRST)
			ppis |= (uint16_t)(1U << (intid - INTID_PPI_FIRST));
		else
			lr_unsupported(v, intid);
	}
	ppis_update(v, ppis);
	spis_update(v, enter->gicv3_lrs, spis);
}

/*
 * One timer's CTL, and its CVAL when it is enabled: a disabled timer's
 * output does not depend on CVAL, so the exit reports the CVAL read last
 * and saves a register read (~25 us in the devbox) per timer and exit.
 */
static int timer_read(struct kvm_vcpu *v, uint64_t ctl_id, uint64_t cval_id,
		      uint64_t *ctl, uint64_t *cval)
{
	int err = kvm_get_reg(v, ctl_id, ctl);

	if (err == 0 && (*ctl & TIMER_CTL_ENABLE))
		err = kvm_get_reg(v, cval_id, cval);
	return err;
}

/* GIC and timer fields of every exit (rmi-1.0.md 9.3), see above. */
int kvm_gic_exit(struct kvm_vcpu *v, struct rmi_rec_exit *exit)
{
	int err;

	exit->gicv3_hcr = v->gic_hcr;
	memcpy(exit->gicv3_lrs, v->gic_lrs, sizeof(exit->gicv3_lrs));
	exit->gicv3_misr = 0;
	exit->gicv3_vmcr = 0;
	exit->pmu_ovf_status = 0;
	err = timer_read(v, KVM_REG_ARM_TIMER_CTL, KVM_REG_ARM_TIMER_CVAL,
			 &exit->cntv_ctl, &v->cntv_cval);
	if (err == 0)
		err = timer_read(v, KVM_REG_ARM_PTIMER_CTL, KVM_REG_ARM_PTIMER_CVAL,
				 &exit->cntp_ctl, &v->cntp_cval);
	exit->cntv_cval = v->cntv_cval;
	exit->cntp_cval = v->cntp_cval;
	v->cntv_ctl = exit->cntv_ctl;
	v->cntp_ctl = exit->cntp_ctl;
	v->timers_read = err == 0;
	return err;
}

/*
 * The realm's counter: with offset 0 (kvm.c) its virtual and physical
 * counters are the physical counter, which this host's EL0 reads as its
 * virtual counter (the host's CNTVOFF_EL2 is 0).
 */
static uint64_t counter_now(void)
{
	uint64_t cnt;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(cnt) : : "memory");
	return cnt;
}

static uint64_t counter_freq(void)
{
	uint64_t freq;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	return freq;
}

/* spec: a timer's output is asserted when ENABLE and ISTATUS are set and
 * IMASK is clear (rmi-1.0.md 9.4). */
static bool timer_asserted(uint64_t ctl)
{
	return (ctl & (TIMER_CTL_ENABLE | TIMER_CTL_IMASK | TIMER_CTL_ISTATUS)) ==
	       (TIMER_CTL_ENABLE | TIMER_CTL_ISTATUS);
}

/* Whether a timer with the CTL and CVAL of the last exit asserts at counter
 * cnt: the realm has not run since, only the counter moved. */
static bool timer_asserts_at(uint64_t ctl, uint64_t cval, uint64_t cnt)
{
	return (ctl & TIMER_CTL_ENABLE) && !(ctl & TIMER_CTL_IMASK) && cnt >= cval;
}

/* Without the counter offset at 0 the realm's counter is not this host's. */
static bool timers_known(const struct kvm_vcpu *v)
{
	return v->timers_read && v->kr->ex->counter_offset;
}

bool kvm_timer_changed(struct kvm_vcpu *v)
{
	uint64_t cnt;

	if (!timers_known(v))
		return false;
	cnt = counter_now();
	return timer_asserts_at(v->cntv_ctl, v->cntv_cval, cnt) != timer_asserted(v->cntv_ctl) ||
	       timer_asserts_at(v->cntp_ctl, v->cntp_cval, cnt) != timer_asserted(v->cntp_ctl);
}

/* ns from now until counter value cval, rounded up; UINT64_MAX when it is
 * past the horizon or when the timer cannot assert. */
static uint64_t timer_ns_until(uint64_t ctl, uint64_t cval, uint64_t cnt, uint64_t freq)
{
	unsigned __int128 ns;

	if (!(ctl & TIMER_CTL_ENABLE) || (ctl & TIMER_CTL_IMASK) || cnt >= cval ||
	    freq == 0 || cval - cnt > TIMER_HORIZON_S * freq)
		return UINT64_MAX;
	ns = ((unsigned __int128)(cval - cnt) * 1000000000U + freq - 1) / freq;
	return (uint64_t)ns;
}

uint64_t kvm_timer_deadline_ns(struct kvm_vcpu *v)
{
	uint64_t cnt, freq, now, v_ns, p_ns, first;

	if (!timers_known(v))
		return UINT64_MAX;
	now = kvm_now_ns();
	cnt = counter_now();
	freq = counter_freq();
	v_ns = timer_ns_until(v->cntv_ctl, v->cntv_cval, cnt, freq);
	p_ns = timer_ns_until(v->cntp_ctl, v->cntp_cval, cnt, freq);
	first = v_ns < p_ns ? v_ns : p_ns;
	return first == UINT64_MAX ? UINT64_MAX : now + first;
}
