/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REC_ENTER (rmi-1.0.md 8.13, 9): the entry checks, entry processing, the run
 * loop, the rules that turn the executor's events into REC exits, and the
 * dispatch of the calls a realm makes with SMC (realm PSCI and SMCCC here,
 * rsi-1.0.md 1, 8; RSI in rsi.c).
 *
 * A REC that runs is marked by refcount 1 on its granule, set and cleared
 * under the REC lock; in between no lock is held and the REC belongs to the
 * thread in REC_ENTER. The RD lock is taken alone, for the realm state, the
 * REC count and RTT walks.
 */
#include <string.h>

#include "executor.h"
#include "granule.h"
#include "instance.h"
#include "log.h"
#include "realm.h"
#include "rec.h"
#include "rmi.h"
#include "rsi.h"
#include "s2tt.h"

/* Runs of the realm inside one REC_ENTER for events the RMM handles itself
 * (injected exceptions, realm calls answered by the RMM, untrapped WFx).
 * After that many REC_ENTER returns an IRQ exit, so that a realm cannot hold
 * a host thread. */
#define REC_RUN_MAX_ITERATIONS	64

/* GIC (rmi-1.0.md 9.1, 9.3). */
#define GIC_HCR_HOST_BITS	0x40FEULL	/* UIE..VGrp1DIE, TDIR */
#define GIC_HCR_EXIT_BITS	0xF80040FEULL	/* + EOIcount */
#define GIC_LR_STATE_MASK	(0x3ULL << 62)
#define GIC_LR_HW		(1ULL << 61)
#define GIC_LR_PINTID_MASK	(0x1FFFULL << 32)
#define GIC_LR_EOI		(1ULL << 41)
#define GIC_LR_VINTID(lr)	((lr) & 0xFFFFFFFFULL)
#define GIC_LR_PRIORITY_SHIFT	48
/*
 * The virtual CPU interface the executors offer (KVM's vGICv3): 5 priority
 * bits, 16 INTID bits, no extended INTID range. The unimplemented low
 * priority bits must be zero, and vINTIDs are SGI/PPI/SPI (0..1019) or LPI
 * (8192..2^16 - 1).
 */
#define GIC_PRIORITY_BITS	5
#define GIC_LR_PRIORITY_RES0	(((1ULL << (8 - GIC_PRIORITY_BITS)) - 1) << \
				 GIC_LR_PRIORITY_SHIFT)
#define GIC_INTID_SPI_LAST	1019
#define GIC_INTID_LPI_FIRST	8192
#define GIC_ID_BITS		16

/* rec_exit masks (rmi-1.0.md 9.3). */
#define ESR_NONEMULATED_ABORT_MASK	0xFC001E3FULL	/* EC, SET, FnV, EA, FSC */
#define ESR_EMULATED_ABORT_MASK		0xFDC09E7FULL	/* + ISV, SAS, SF, WnR */
#define ESR_SERROR_MASK			0x01001E3FULL	/* IDS, AET, EA, DFSC */
#define ESR_WFX_WFE			1ULL
#define FAR_PAGE_OFFSET_MASK		0xFFFULL
#define ESR_FSC_TRANSLATION(level)	(0x04ULL + (uint64_t)(level))

/* ---- realm state under the RD lock ------------------------------------- */

static enum rmi_realm_state realm_state(struct realm *r)
{
	enum rmi_realm_state state;

	granule_lock(r->g_rd);
	state = r->state;
	granule_unlock(r->g_rd);
	return state;
}

static unsigned int realm_rec_count(struct realm *r)
{
	unsigned int n;

	granule_lock(r->g_rd);
	n = r->rec_index_next;
	granule_unlock(r->g_rd);
	return n;
}

/* RIPAS of a protected ipa, from the deepest RTT entry that exists. */
static enum rmi_ripas realm_ipa_ripas(struct realm *r, uint64_t ipa)
{
	struct rtt_walk w;
	enum rmi_ripas ripas;

	granule_lock(r->g_rd);
	rtt_walk(r, ipa, S2TT_MAX_LEVEL, &w);
	ripas = s2tte_ripas(w.table[w.index], w.level);
	granule_unlock(r->g_rd);
	return ripas;
}

/* ---- REC_ENTER checks (rmi-1.0.md 8.13, 9.1) --------------------------- */

static bool gic_lr_valid(uint64_t lr)
{
	uint64_t vintid = GIC_LR_VINTID(lr);

	if (lr & (GIC_LR_HW | GIC_LR_PRIORITY_RES0))
		return false;
	/* spec: with HW = 0 the pINTID field holds only EOI. */
	if (lr & GIC_LR_PINTID_MASK & ~GIC_LR_EOI)
		return false;
	return vintid <= GIC_INTID_SPI_LAST ||
	       (vintid >= GIC_INTID_LPI_FIRST && vintid < (1ULL << GIC_ID_BITS));
}

static bool gic_state_valid(const struct rec_run *run,
			    const struct rmi_rec_enter *enter)
{
	if (enter->gicv3_hcr & ~GIC_HCR_HOST_BITS)
		return false;
	for (unsigned int i = 0; i < run->num_lrs; i++) {
		uint64_t lr = enter->gicv3_lrs[i];

		if (!(lr & GIC_LR_STATE_MASK))
			continue;
		if (!gic_lr_valid(lr))
			return false;
		/* spec: no two valid LRs for the same vINTID. */
		for (unsigned int j = 0; j < i; j++) {
			uint64_t other = enter->gicv3_lrs[j];

			if ((other & GIC_LR_STATE_MASK) &&
			    GIC_LR_VINTID(other) == GIC_LR_VINTID(lr))
				return false;
		}
	}
	return true;
}

/* REC_ENTER failures 4-10, the REC being ours. */
static uint64_t rec_enter_check(struct rec_run *run, uint64_t run_ptr,
				struct rmi_rec_enter *enter)
{
	const struct rec *rec = run->rec;
	uint64_t flags;

	if (!ns_read(run->rmm, run_ptr, enter, sizeof(*enter)))
		return RMI_ERROR_INPUT;
	switch (realm_state(run->realm)) {
	case RMI_REALM_NEW:
		return RMI_RETURN(RMI_ERROR_REALM, 0);
	case RMI_REALM_SYSTEM_OFF:
		return RMI_RETURN(RMI_ERROR_REALM, 1);
	default:
		break;
	}
	if (!rec->runnable)
		return RMI_ERROR_REC;
	if (rec->psci.pending)
		return RMI_ERROR_REC;
	if (!gic_state_valid(run, enter))
		return RMI_ERROR_REC;
	flags = enter->flags;
	/* spec: an SEA can only answer an abort at an unprotected IPA, MMIO
	 * emulation only an abort with a valid syndrome (8.13 items 9, 10). */
	if ((flags & RMI_REC_ENTER_INJECT_SEA) &&
	    !rec->last_exit.data_abort_unprotected)
		return RMI_ERROR_REC;
	if ((flags & RMI_REC_ENTER_EMULATED_MMIO) &&
	    !(flags & RMI_REC_ENTER_INJECT_SEA) && !rec->last_exit.emulatable)
		return RMI_ERROR_REC;
	return RMI_SUCCESS;
}

/* ---- entry processing (rmi-1.0.md 9.2) --------------------------------- */

/* value of an access of 2^sas bytes, sign extended per SSE / SF. */
static uint64_t mmio_read_value(uint64_t esr, uint64_t value)
{
	unsigned int bits = 8U << ESR_DABT_SAS(esr);
	uint64_t sign;

	if (bits == 64)
		return value;
	value &= (1ULL << bits) - 1;
	if (!(esr & ESR_DABT_SSE))
		return value;
	sign = 1ULL << (bits - 1);
	value = (value ^ sign) - sign;
	return (esr & ESR_DABT_SF) ? value : value & 0xFFFFFFFFULL;
}

/* spec: the host's read data goes to Rt, then the access is complete (9.2
 * item 3). An executor that completes the access itself gets the value. */
static void complete_mmio(struct rmm *rmm, struct rec *rec, uint64_t value)
{
	uint64_t esr = rec->last_exit.esr;
	bool read = !(esr & ESR_DABT_WNR);
	unsigned int rt = ESR_DABT_SRT(esr);

	if (rec->last_exit.mmio_by_executor) {
		rmm->exec_ops->complete_mmio(rmm->exec_ctx, rec,
					     read ? mmio_read_value(esr, value) : 0);
		return;
	}
	rec_regs_sync(rec);
	if (read && rt != 31)
		rec->regs.gprs[rt] = mmio_read_value(esr, value);
	rec->regs.pc += 4;
}

/* spec: results of RSI_IPA_STATE_SET; a reject only counts for a RAM
 * request that did not reach top (9.2 item 5). */
static void complete_ripas(struct rec *rec)
{
	bool reject = rec->ripas.ripas == RMI_RAM &&
		      rec->ripas.addr != rec->ripas.top && rec->ripas.reject;

	rec->regs.gprs[0] = RSI_SUCCESS;
	rec->regs.gprs[1] = rec->ripas.addr;
	rec->regs.gprs[2] = reject ? RSI_REJECT : RSI_ACCEPT;
	rec->ripas.pending = false;
	rec->ripas.base = 0;
	rec->ripas.top = 0;
	rec->ripas.addr = 0;
}

static void complete_sysreg_read(struct rec *rec, uint64_t value)
{
	unsigned int rt = ESR_SYSREG_RT(rec->last_exit.esr);

	rec_regs_sync(rec);
	if (rt != 31)
		rec->regs.gprs[rt] = value;
}

/* SYNC exit for an RSI call whose realm page is not mapped: a stage-2
 * translation fault at the level where the walk stopped (9.3). The other
 * fields stay as the caller has them: the run's GIC and timer state, or
 * zeros for the early exit at entry. */
void exit_unmapped_realm_page(struct rec_run *run, uint64_t ipa, int level)
{
	run->exit.exit_reason = RMI_EXIT_SYNC;
	run->exit.esr = (uint64_t)ESR_EC_DABT_LOWER << ESR_EC_SHIFT |
			ESR_FSC_TRANSLATION(level);
	run->exit.hpfar = ipa >> 8;
}

/*
 * spec: the host's results go into the realm's host-call structure and x0 =
 * RSI_SUCCESS; an unmapped page gives an abort exit at once with the call
 * still pending; a page whose RIPAS became EMPTY drops the results (9.2 item
 * 7, rsi-1.0.md 9). Returns false for the early exit.
 */
static bool complete_host_call(struct rec_run *run,
			       const struct rmi_rec_enter *enter)
{
	struct rec *rec = run->rec;
	struct realm *r = run->realm;
	enum realm_page_status status;
	struct realm_page page;

	granule_lock(r->g_rd);
	status = realm_ipa_to_page(r, rec->host_call.ipa, &page);
	if (status == REALM_PAGE_MAPPED) {
		struct rsi_host_call *hc = page.va;

		memcpy(hc->gprs, enter->gprs, sizeof(hc->gprs));
		rec->regs.gprs[0] = RSI_SUCCESS;
	}
	granule_unlock(r->g_rd);
	if (status == REALM_PAGE_UNMAPPED) {
		/* spec: this early exit carries only the abort fields (9.3). */
		memset(&run->exit, 0, sizeof(run->exit));
		exit_unmapped_realm_page(run, rec->host_call.ipa, page.level);
		return false;
	}
	rec->host_call.pending = false;
	return true;
}

/* Entry processing in the spec's order. Returns false if REC_ENTER returns
 * at once with run->exit filled (host-call page unmapped). */
static bool rec_enter_process(struct rec_run *run,
			      const struct rmi_rec_enter *enter)
{
	struct rec *rec = run->rec;
	uint64_t flags = enter->flags;

	if (flags & RMI_REC_ENTER_INJECT_SEA) {
		rec_regs_sync(rec);
		rec_inject_sea(rec, rec->last_exit.esr, rec->last_exit.far);
	} else if (flags & RMI_REC_ENTER_EMULATED_MMIO) {
		complete_mmio(run->rmm, rec, enter->gprs[0]);
	}
	rec->ripas.reject = (flags & RMI_REC_ENTER_RIPAS_RESPONSE) != 0;
	if (rec->ripas.pending)
		complete_ripas(rec);
	if (rec->last_exit.sysreg_read)
		complete_sysreg_read(rec, enter->gprs[0]);
	if (rec->host_call.pending && !complete_host_call(run, enter))
		return false;
	rec->trap_wfi = (flags & RMI_REC_ENTER_TRAP_WFI) != 0;
	rec->trap_wfe = (flags & RMI_REC_ENTER_TRAP_WFE) != 0;
	memset(&rec->last_exit, 0, sizeof(rec->last_exit));
	return true;
}

/* ---- REC exits (rmi-1.0.md 9.3) ---------------------------------------- */

static uint64_t hpfar_of(uint64_t ipa)
{
	return (ipa >> 8) & ~0xFULL;
}

/* A fresh rec_exit with the GIC, timer and PMU state the run left. */
static void exit_reset(struct rec_run *run, const struct rmi_rec_exit *raw)
{
	struct rmi_rec_exit *exit = &run->exit;

	memset(exit, 0, sizeof(*exit));
	exit->gicv3_hcr = raw->gicv3_hcr & GIC_HCR_EXIT_BITS;
	memcpy(exit->gicv3_lrs, raw->gicv3_lrs,
	       run->num_lrs * sizeof(exit->gicv3_lrs[0]));
	exit->gicv3_misr = raw->gicv3_misr;
	exit->gicv3_vmcr = raw->gicv3_vmcr;
	exit->cntp_ctl = raw->cntp_ctl;
	exit->cntp_cval = raw->cntp_cval;
	exit->cntv_ctl = raw->cntv_ctl;
	exit->cntv_cval = raw->cntv_cval;
	exit->pmu_ovf_status = raw->pmu_ovf_status;
}

static enum rec_action exit_to_host(struct rec_run *run,
				    enum rmi_rec_exit_reason reason)
{
	run->exit.exit_reason = reason;
	return REC_EXIT;
}

/* spec: an SError of severity UEU or UER goes to the realm too (9.3);
 * rmm_rec_raise takes those only with an executor that injects them. */
static void serror_inject(struct rec_run *run, uint64_t esr)
{
	const struct rmm_executor_ops *ops = run->rmm->exec_ops;
	int err;

	if (!rec_serror_injected(esr) || ops == NULL || ops->inject_serror == NULL)
		return;
	err = ops->inject_serror(run->rmm->exec_ctx, run->rec, esr & ESR_ISS_MASK);
	if (err != 0)
		rmm_log(RMM_LOG_ERROR, "REC 0x%llx: executor %s cannot inject the SError (%d)",
			(unsigned long long)run->rec->pa, ops->name, err);
}

/* The exit for the physical events raised during this REC_ENTER
 * (rmm_rec_raise): SError before FIQ before IRQ; IRQ also with none (the
 * slice, a realm timer). */
enum rec_action exit_physical(struct rec_run *run, unsigned int pending)
{
	if (pending & REC_PHYS_SERROR) {
		uint64_t esr = __atomic_load_n(&run->rec->phys_serror_esr, __ATOMIC_SEQ_CST);

		serror_inject(run, esr);
		run->exit.esr = esr & ESR_SERROR_MASK;
		return exit_to_host(run, RMI_EXIT_SERROR);
	}
	if (pending & REC_PHYS_FIQ)
		return exit_to_host(run, RMI_EXIT_FIQ);
	return exit_to_host(run, RMI_EXIT_IRQ);
}

static enum rec_action exit_irq(struct rec_run *run, const struct rec_event *ev)
{
	(void)ev;
	return exit_physical(run, rec_take_phys(run->rec));
}

static enum rec_action exit_fiq(struct rec_run *run, const struct rec_event *ev)
{
	(void)ev;
	return exit_to_host(run, RMI_EXIT_FIQ);
}

/* spec: EC is not reported by the reference (9.3, 10). */
static enum rec_action exit_serror(struct rec_run *run,
				   const struct rec_event *ev)
{
	run->exit.esr = ev->esr & ESR_SERROR_MASK;
	return exit_to_host(run, RMI_EXIT_SERROR);
}

/* spec: WFI / WFE reach the host only when it asked (9.2 item 8). */
static enum rec_action exit_wfx(struct rec_run *run, const struct rec_event *ev)
{
	bool wfe = (ev->esr & ESR_WFX_WFE) != 0;

	if (!(wfe ? run->rec->trap_wfe : run->rec->trap_wfi))
		return REC_RESUME;
	run->exit.esr = (uint64_t)ESR_EC_WFX << ESR_EC_SHIFT | (ev->esr & ESR_WFX_WFE);
	return exit_to_host(run, RMI_EXIT_SYNC);
}

static bool fsc_is_sea(uint64_t esr)
{
	uint64_t fsc = esr & ESR_FSC_MASK;

	return fsc == ESR_FSC_SEA || (fsc >= 0x13 && fsc <= 0x17);
}

/* spec: a synchronous external abort is reported; one the realm can recover
 * from (SET = UER) is also injected into it (9.3). */
static enum rec_action exit_sea(struct rec_run *run, const struct rec_event *ev)
{
	if (ESR_DABT_SET(ev->esr) == ESR_DABT_SET_UER) {
		rec_regs_sync(run->rec);
		rec_inject_sea(run->rec, ev->esr, ev->far);
	}
	run->exit.esr = ev->esr & ESR_NONEMULATED_ABORT_MASK;
	return exit_to_host(run, RMI_EXIT_SYNC);
}

static enum rec_action exit_non_emulatable(struct rec_run *run,
					   const struct rec_event *ev)
{
	run->exit.esr = ev->esr & ESR_NONEMULATED_ABORT_MASK;
	run->exit.hpfar = hpfar_of(ev->ipa);
	return exit_to_host(run, RMI_EXIT_SYNC);
}

static enum rec_action inject_sea(struct rec_run *run, const struct rec_event *ev)
{
	rec_regs_sync(run->rec);
	rec_inject_sea(run->rec, ev->esr, ev->far);
	return REC_RESUME;
}

/* spec: an access in the unprotected half is for the host to emulate; SRT is
 * cleared and write data travels in gprs[0] (9.3). */
static enum rec_action exit_emulatable(struct rec_run *run,
				       const struct rec_event *ev)
{
	struct rec_last_exit *last = &run->rec->last_exit;
	uint64_t esr = ev->esr;

	run->exit.esr = esr & ESR_EMULATED_ABORT_MASK;
	run->exit.far = ev->far & FAR_PAGE_OFFSET_MASK;
	run->exit.hpfar = hpfar_of(ev->ipa);
	if ((esr & ESR_DABT_WNR) && ESR_DABT_SRT(esr) != 31) {
		unsigned int bits = 8U << ESR_DABT_SAS(esr);

		run->exit.gprs[0] = bits == 64 ? ev->value :
				    ev->value & ((1ULL << bits) - 1);
	}
	last->esr = esr;
	last->far = ev->far;
	last->ipa = ev->ipa;
	last->data_abort_unprotected = true;
	last->emulatable = (esr & ESR_DABT_ISV) != 0;
	last->mmio_by_executor = last->emulatable &&
				 (ev->flags & REC_EVENT_MMIO_BY_EXECUTOR) &&
				 run->rmm->exec_ops->complete_mmio != NULL;
	return exit_to_host(run, RMI_EXIT_SYNC);
}

static enum rec_action exit_data_abort(struct rec_run *run,
				       const struct rec_event *ev)
{
	struct realm *r = run->realm;

	if (fsc_is_sea(ev->esr))
		return exit_sea(run, ev);
	if (!realm_ipa_in_range(r, ev->ipa))
		return inject_sea(run, ev);
	if (!realm_ipa_in_par(r, ev->ipa))
		return exit_emulatable(run, ev);
	/* spec: EMPTY memory does not exist for the realm; RAM that is not
	 * mapped and DESTROYED memory are for the host to resolve (9.3). */
	if (realm_ipa_ripas(r, ev->ipa) == RMI_EMPTY)
		return inject_sea(run, ev);
	return exit_non_emulatable(run, ev);
}

static enum rec_action exit_instr_abort(struct rec_run *run,
					const struct rec_event *ev)
{
	struct realm *r = run->realm;

	if (fsc_is_sea(ev->esr))
		return exit_sea(run, ev);
	/* spec: no execution from unprotected or out-of-range IPAs (9.3). */
	if (!realm_ipa_in_par(r, ev->ipa) ||
	    realm_ipa_ripas(r, ev->ipa) == RMI_EMPTY)
		return inject_sea(run, ev);
	return exit_non_emulatable(run, ev);
}

/* spec: the full syndrome, and the value written in gprs[0] (9.3); a read is
 * completed from enter.gprs[0] at the next entry (9.2 item 6). */
static enum rec_action exit_sysreg(struct rec_run *run, const struct rec_event *ev)
{
	bool read = (ev->esr & ESR_SYSREG_READ) != 0;

	run->exit.esr = ev->esr;
	if (!read && ESR_SYSREG_RT(ev->esr) != 31)
		run->exit.gprs[0] = ev->value;
	run->rec->last_exit.esr = ev->esr;
	run->rec->last_exit.sysreg_read = read;
	return exit_to_host(run, RMI_EXIT_SYNC);
}

/* spec: HVC is UNDEFINED for a realm; the exception returns to the HVC
 * itself (9.5). The executor reports the PC past it. */
static enum rec_action inject_undef_hvc(struct rec_run *run,
					const struct rec_event *ev)
{
	(void)ev;
	rec_regs_sync(run->rec);
	rec_inject_undef(run->rec, run->rec->regs.pc - 4);
	return REC_RESUME;
}

/* spec: any other exception class is a SYNC exit with nothing else (9.3). */
static enum rec_action exit_unknown(struct rec_run *run, const struct rec_event *ev)
{
	rmm_log(RMM_LOG_WARN, "REC 0x%llx: unexpected executor event %d",
		(unsigned long long)run->rec->pa, (int)ev->kind);
	return exit_to_host(run, RMI_EXIT_SYNC);
}

/* ---- realm calls (rsi-1.0.md 1, 8) -------------------------------------- */

typedef enum rec_action (*realm_call_fn)(struct rec_run *run, uint32_t fid);

/* Results of a call the RMM answers: x0, and x1..x3 = 0 (rsi-1.0.md 1). */
static enum rec_action realm_return(struct rec *rec, uint64_t x0)
{
	rec->regs.gprs[0] = x0;
	rec->regs.gprs[1] = 0;
	rec->regs.gprs[2] = 0;
	rec->regs.gprs[3] = 0;
	return REC_RESUME;
}

static enum rec_action exit_psci(struct rec_run *run, uint32_t fid)
{
	run->exit.gprs[0] = fid;
	return exit_to_host(run, RMI_EXIT_PSCI);
}

static enum rec_action smccc_version(struct rec_run *run, uint32_t fid)
{
	(void)fid;
	return realm_return(run->rec, SMCCC_VERSION_1_2);
}

static enum rec_action psci_version(struct rec_run *run, uint32_t fid)
{
	(void)fid;
	return realm_return(run->rec, PSCI_VERSION_1_1);
}

/* spec: the host is told; the realm gets SUCCESS (rsi-1.0.md 8). */
static enum rec_action psci_cpu_suspend(struct rec_run *run, uint32_t fid)
{
	realm_return(run->rec, PSCI_RET_SUCCESS);
	return exit_psci(run, fid);
}

static enum rec_action psci_cpu_off(struct rec_run *run, uint32_t fid)
{
	run->rec->runnable = false;
	realm_return(run->rec, PSCI_RET_SUCCESS);
	return exit_psci(run, fid);
}

/* spec: the request waits for PSCI_COMPLETE; the host sees the FID and the
 * target only (rsi-1.0.md 8). */
static enum rec_action psci_forward(struct rec_run *run, uint32_t fid)
{
	struct rec *rec = run->rec;

	rec->psci.pending = true;
	rec->psci.fid = fid;
	rec->psci.x1 = rec->regs.gprs[1];
	rec->psci.x2 = rec->regs.gprs[2];
	rec->psci.x3 = rec->regs.gprs[3];
	run->exit.gprs[1] = rec->regs.gprs[1];
	return exit_psci(run, fid);
}

static enum rec_action psci_cpu_on(struct rec_run *run, uint32_t fid)
{
	struct rec *rec = run->rec;
	unsigned int target = rec_vmpidr_index(rec->regs.gprs[1]);

	if (!realm_ipa_in_par(run->realm, rec->regs.gprs[2]))
		return realm_return(rec, PSCI_RET_INVALID_ADDRESS);
	if (target >= realm_rec_count(run->realm))
		return realm_return(rec, PSCI_RET_INVALID_PARAMETERS);
	if (target == rec->index)
		return realm_return(rec, PSCI_RET_ALREADY_ON);
	return psci_forward(run, fid);
}

static enum rec_action psci_affinity_info(struct rec_run *run, uint32_t fid)
{
	struct rec *rec = run->rec;
	unsigned int target = rec_vmpidr_index(rec->regs.gprs[1]);

	if (rec->regs.gprs[2] != 0)
		return realm_return(rec, PSCI_RET_INVALID_PARAMETERS);
	if (target >= realm_rec_count(run->realm))
		return realm_return(rec, PSCI_RET_INVALID_PARAMETERS);
	if (target == rec->index)
		return realm_return(rec, PSCI_AFFINITY_ON);
	return psci_forward(run, fid);
}

/* spec: SYSTEM_OFF and SYSTEM_RESET end the realm: it never runs again and
 * REC_ENTER fails with (ERROR_REALM, 1) (rsi-1.0.md 8). */
static enum rec_action psci_system_off(struct rec_run *run, uint32_t fid)
{
	struct realm *r = run->realm;

	granule_lock(r->g_rd);
	if (r->state == RMI_REALM_ACTIVE)
		r->state = RMI_REALM_SYSTEM_OFF;
	granule_unlock(r->g_rd);
	return exit_psci(run, fid);
}

static enum rec_action psci_features(struct rec_run *run, uint32_t fid);

static enum rec_action realm_call_not_supported(struct rec_run *run, uint32_t fid)
{
	rmm_log(RMM_LOG_DEBUG, "REC 0x%llx: realm call 0x%x not supported",
		(unsigned long long)run->rec->pa, fid);
	return realm_return(run->rec, SMCCC_NOT_SUPPORTED);
}

/*
 * The calls a realm makes with SMC #0, by function ID (the low 32 bits of x0
 * without the SVE hint); the RSI handlers are in rsi.c. Anything else,
 * including the rest of the PSCI ranges and the SMC32 forms of RSI FIDs,
 * gets NOT_SUPPORTED (-1, also PSCI_NOT_SUPPORTED) without an exit
 * (rsi-1.0.md 1). in_psci_features: PSCI_FEATURES reports the call as
 * present; it does not for RSI calls (rsi-1.0.md 8).
 */
static const struct realm_call {
	uint32_t fid;
	const char *name;
	realm_call_fn handler;
	bool in_psci_features;
} realm_calls[] = {
	{ SMCCC_VERSION_FID, "SMCCC_VERSION", smccc_version, true },
	{ PSCI_VERSION_FID, "PSCI_VERSION", psci_version, false },
	{ PSCI_CPU_SUSPEND_32, "PSCI_CPU_SUSPEND", psci_cpu_suspend, true },
	{ PSCI_CPU_SUSPEND_64, "PSCI_CPU_SUSPEND", psci_cpu_suspend, true },
	{ PSCI_CPU_OFF_FID, "PSCI_CPU_OFF", psci_cpu_off, true },
	{ PSCI_CPU_ON_32, "PSCI_CPU_ON", psci_cpu_on, true },
	{ PSCI_CPU_ON_64, "PSCI_CPU_ON", psci_cpu_on, true },
	{ PSCI_AFFINITY_INFO_32, "PSCI_AFFINITY_INFO", psci_affinity_info, true },
	{ PSCI_AFFINITY_INFO_64, "PSCI_AFFINITY_INFO", psci_affinity_info, true },
	{ PSCI_SYSTEM_OFF_FID, "PSCI_SYSTEM_OFF", psci_system_off, true },
	{ PSCI_SYSTEM_RESET_FID, "PSCI_SYSTEM_RESET", psci_system_off, true },
	{ PSCI_FEATURES_FID, "PSCI_FEATURES", psci_features, true },
	{ RSI_VERSION, "RSI_VERSION", rsi_version, false },
	{ RSI_FEATURES, "RSI_FEATURES", rsi_features, false },
	{ RSI_MEASUREMENT_READ, "RSI_MEASUREMENT_READ", rsi_measurement_read, false },
	{ RSI_MEASUREMENT_EXTEND, "RSI_MEASUREMENT_EXTEND", rsi_measurement_extend, false },
	{ RSI_ATTESTATION_TOKEN_INIT, "RSI_ATTESTATION_TOKEN_INIT",
	  rsi_attestation_token_init, false },
	{ RSI_ATTESTATION_TOKEN_CONTINUE, "RSI_ATTESTATION_TOKEN_CONTINUE",
	  rsi_attestation_token_continue, false },
	{ RSI_REALM_CONFIG, "RSI_REALM_CONFIG", rsi_realm_config, false },
	{ RSI_IPA_STATE_SET, "RSI_IPA_STATE_SET", rsi_ipa_state_set, false },
	{ RSI_IPA_STATE_GET, "RSI_IPA_STATE_GET", rsi_ipa_state_get, false },
	{ RSI_HOST_CALL, "RSI_HOST_CALL", rsi_host_call, false },
};

#define NUM_REALM_CALLS	(sizeof(realm_calls) / sizeof(realm_calls[0]))

static const struct realm_call *realm_call_of(uint32_t fid)
{
	for (unsigned int i = 0; i < NUM_REALM_CALLS; i++) {
		if (realm_calls[i].fid == fid)
			return &realm_calls[i];
	}
	return NULL;
}

/* spec: PSCI_FEATURES knows the calls above except PSCI_VERSION itself
 * (rsi-1.0.md 8, observed). */
static enum rec_action psci_features(struct rec_run *run, uint32_t fid)
{
	const struct realm_call *c = realm_call_of((uint32_t)run->rec->regs.gprs[1]);

	(void)fid;
	if (c == NULL || !c->in_psci_features)
		return realm_return(run->rec, PSCI_RET_NOT_SUPPORTED);
	return realm_return(run->rec, PSCI_RET_SUCCESS);
}

static enum rec_action realm_call(struct rec_run *run, const struct rec_event *ev)
{
	uint32_t fid = (uint32_t)run->rec->regs.gprs[0] & ~SMCCC_SVE_HINT;
	const struct realm_call *c = realm_call_of(fid);

	(void)ev;
	if (c == NULL)
		return realm_call_not_supported(run, fid);
	rmm_log(RMM_LOG_TRACE, "REC 0x%llx: %s", (unsigned long long)run->rec->pa,
		c->name);
	return c->handler(run, fid);
}

/* ---- the run loop ------------------------------------------------------- */

typedef enum rec_action (*rec_event_fn)(struct rec_run *run,
					const struct rec_event *ev);

/* What each executor event becomes; exit_unknown for anything else. */
static const rec_event_fn rec_event_handlers[] = {
	[REC_EVENT_IRQ] = exit_irq,
	[REC_EVENT_FIQ] = exit_fiq,
	[REC_EVENT_SERROR] = exit_serror,
	[REC_EVENT_WFX] = exit_wfx,
	[REC_EVENT_DATA_ABORT] = exit_data_abort,
	[REC_EVENT_INSTR_ABORT] = exit_instr_abort,
	[REC_EVENT_SYSREG] = exit_sysreg,
	[REC_EVENT_SMC] = realm_call,
	[REC_EVENT_HVC] = inject_undef_hvc,
};

static enum rec_action rec_handle_event(struct rec_run *run,
					const struct rec_event *ev)
{
	unsigned int kind = (unsigned int)ev->kind;

	if (kind >= sizeof(rec_event_handlers) / sizeof(rec_event_handlers[0]) ||
	    rec_event_handlers[kind] == NULL)
		return exit_unknown(run, ev);
	return rec_event_handlers[kind](run, ev);
}

/*
 * Without an executor the realm cannot run: REC_ENTER returns an IRQ exit as
 * if an interrupt were pending at entry, with the GIC state the host gave
 * (the realm did not run, so nothing changed it) and the rest zero.
 */
static void exit_without_executor(struct rec_run *run,
				  const struct rmi_rec_enter *enter)
{
	struct rmi_rec_exit raw;

	memset(&raw, 0, sizeof(raw));
	raw.gicv3_hcr = enter->gicv3_hcr;
	memcpy(raw.gicv3_lrs, enter->gicv3_lrs, sizeof(raw.gicv3_lrs));
	exit_reset(run, &raw);
	run->exit.exit_reason = RMI_EXIT_IRQ;
}

static void rec_run_loop(struct rec_run *run, const struct rmi_rec_enter *enter)
{
	const struct rmm_executor_ops *ops = run->rmm->exec_ops;
	const struct rmi_rec_enter *gic = enter;
	struct rmi_rec_exit raw;

	if (ops == NULL || ops->run == NULL) {
		exit_without_executor(run, enter);
		return;
	}
	for (unsigned int i = 0; i < REC_RUN_MAX_ITERATIONS; i++) {
		struct rec_event ev = { .kind = REC_EVENT_IRQ };
		int err;

		memset(&raw, 0, sizeof(raw));
		err = ops->run(run->rmm->exec_ctx, run->rec, gic, &raw, &ev);
		gic = NULL;
		exit_reset(run, &raw);
		if (err != 0) {
			rmm_log(RMM_LOG_ERROR, "REC 0x%llx: executor %s cannot run it (%d)",
				(unsigned long long)run->rec->pa, ops->name, err);
			run->exit.exit_reason = RMI_EXIT_IRQ;
			return;
		}
		if (rec_handle_event(run, &ev) == REC_EXIT)
			return;
	}
	/* The last run's GIC and timer state stay; nothing else is reported. */
	exit_reset(run, &raw);
	run->exit.exit_reason = RMI_EXIT_IRQ;
}

/* The host's GIC state as the executor gets it: LRs above GICV3_NUM_LRS
 * are ignored (9.1), so they are not passed on. */
static void enter_for_executor(const struct rec_run *run,
			       const struct rmi_rec_enter *enter,
			       struct rmi_rec_enter *out)
{
	*out = *enter;
	memset(&out->gicv3_lrs[run->num_lrs], 0,
	       (RMI_REC_GIC_LRS_MAX - run->num_lrs) * sizeof(out->gicv3_lrs[0]));
}

static uint64_t rec_enter_run(struct rec_run *run, uint64_t run_ptr,
			      const struct rmi_rec_enter *enter)
{
	struct rmi_rec_enter clean;

	if (rec_enter_process(run, enter)) {
		enter_for_executor(run, enter, &clean);
		rec_run_loop(run, &clean);
	}
	/* spec: the whole rec_exit is written; if that fails, ERROR_INPUT. */
	if (!ns_write_at(run->rmm, run_ptr, offsetof(struct rmi_rec_run, exit),
			 &run->exit, sizeof(run->exit)))
		return RMI_ERROR_INPUT;
	return RMI_SUCCESS;
}

static void rec_release(struct granule *g_rec)
{
	granule_lock(g_rec);
	g_rec->refcount = 0;
	granule_unlock(g_rec);
}

uint64_t rmi_rec_enter(struct rmm *rmm, const uint64_t x[7],
		       struct rmi_result *res)
{
	struct rmi_rec_enter enter;
	struct granule *g_rec;
	struct rec_run run;
	uint64_t probe, ret;

	(void)res;
	/* spec: run_ptr is checked before the REC (8.13 item 1). */
	if (!ns_read(rmm, x[2], &probe, 0))
		return RMI_ERROR_INPUT;
	g_rec = granule_find_lock(rmm, x[1], GRANULE_STATE_REC);
	if (g_rec == NULL)
		return RMI_ERROR_INPUT;
	if (g_rec->refcount != 0) {
		granule_unlock(g_rec);
		return RMI_ERROR_REC;
	}
	/* From here the REC is ours: REC_DESTROY, PSCI_COMPLETE and
	 * RTT_SET_RIPAS see it running (3.1). */
	g_rec->refcount = 1;
	memset(&run, 0, sizeof(run));
	run.rmm = rmm;
	run.rec = g_rec->rec;
	run.realm = run.rec->realm;
	/* A kick counts for the REC_ENTER it interrupts only (rmm.h). */
	__atomic_store_n(&run.rec->phys_pending, 0U, __ATOMIC_SEQ_CST);
	granule_unlock(g_rec);
	run.num_lrs = (unsigned int)RMI_FIELD_GET(rmm_feature_register0(rmm),
						  GICV3_NUM_LRS) + 1;
	ret = rec_enter_check(&run, x[2], &enter);
	if (ret == RMI_SUCCESS)
		ret = rec_enter_run(&run, x[2], &enter);
	rec_release(g_rec);
	return ret;
}
