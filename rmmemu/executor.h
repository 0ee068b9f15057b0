/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The executor runs a REC until something needs the RMM or the host, and
 * reports that as an event. The core turns events into REC exits (or handles
 * them, for RSI and realm PSCI) by the spec's rules. The KVM executor runs
 * realms as KVM guests; tests plug a scripted one. Without an executor
 * REC_ENTER returns an IRQ exit without running the realm, as if the host had
 * an interrupt pending at every entry.
 */
#ifndef RMMEMU_EXECUTOR_H
#define RMMEMU_EXECUTOR_H

#include <stdint.h>

#include <rmmemu/rmi-1.0.h>

struct realm;
struct rec;

enum rec_event_kind {
	REC_EVENT_IRQ,		/* kick, time slice or physical interrupt */
	REC_EVENT_FIQ,
	REC_EVENT_SERROR,	/* esr */
	REC_EVENT_WFX,		/* esr: EC 0x01, ISS bit 0 = WFE; PC advanced */
	REC_EVENT_DATA_ABORT,	/* esr (EC 0x24), far, ipa; value = data written;
				 * PC at the access */
	REC_EVENT_INSTR_ABORT,	/* esr (EC 0x20), far, ipa; PC at the fetch */
	REC_EVENT_SYSREG,	/* esr (EC 0x18); value = data written; PC advanced */
	REC_EVENT_SMC,		/* call in regs.gprs[0..]; PC past the SMC */
	REC_EVENT_HVC,		/* PC past the HVC */
};

/*
 * rec_event.flags. REC_EVENT_MMIO_BY_EXECUTOR, on a DATA_ABORT: the executor
 * completes this access itself (KVM writes Rt and advances PC on its next
 * run), so for a REC_ENTER with EMULATED_MMIO the core calls complete_mmio
 * instead of writing a register and advancing PC; without EMULATED_MMIO the
 * executor makes the realm re-execute the access.
 */
#define REC_EVENT_MMIO_BY_EXECUTOR	(1U << 0)

struct rec_event {
	enum rec_event_kind kind;
	uint64_t esr;
	uint64_t far;
	uint64_t ipa;
	uint64_t value;
	unsigned int flags;	/* REC_EVENT_* */
};

struct rmm_executor_ops {
	const char *name;
	/* Optional: per-realm / per-REC set-up and tear-down. Return 0 or a
	 * negative errno. */
	int (*realm_init)(void *ctx, struct realm *r);
	void (*realm_fini)(void *ctx, struct realm *r);
	int (*rec_init)(void *ctx, struct rec *rec);
	void (*rec_fini)(void *ctx, struct rec *rec);
	/*
	 * Runs rec from rec->regs (including the EL1 exception registers,
	 * rec.h) until the next event, and saves the realm state back into
	 * rec->regs. Fills the GIC (ICH_HCR, LRs, MISR, VMCR), timer and PMU
	 * fields of exit; the core takes only those into the rec_exit, masked
	 * as rmi-1.0.md 9.3 says, and fills the rest itself.
	 *
	 * enter: on the first run of a REC_ENTER, the host's validated
	 * rec_enter with LRs above GICV3_NUM_LRS zeroed; NULL when the core
	 * runs the REC again within the same REC_ENTER after handling an event
	 * itself (injected exception, realm call answered by the RMM,
	 * untrapped WFx): the GIC state then stays as the realm left it.
	 *
	 * WFI / WFE: reported as REC_EVENT_WFX at least when rec->trap_wfi /
	 * rec->trap_wfe ask for it; the core runs the REC again for one the
	 * host did not ask to trap.
	 * Timers (rmi-1.0.md 9.4): if a realm timer output changed since the
	 * last exit, return REC_EVENT_IRQ without running the realm.
	 *
	 * Returns 0, or a negative errno if the REC cannot run at all (the
	 * core logs it and returns an IRQ exit).
	 */
	int (*run)(void *ctx, struct rec *rec, const struct rmi_rec_enter *enter,
		   struct rmi_rec_exit *exit, struct rec_event *ev);
	/* Makes a run in progress on another thread return REC_EVENT_IRQ. */
	void (*kick)(void *ctx, struct rec *rec);

	/*
	 * Optional, for an executor whose rec->regs may be stale after a run
	 * (reading vCPU registers is costly). After run() returns, rec->regs
	 * is exact for what the event promises: REC_EVENT_SMC gprs[0..10] and
	 * pc; other events nothing. Before the core reads or writes any other
	 * register (injected exceptions, MMIO completion done by the core,
	 * PSCI_COMPLETE), it calls sync_regs, after which every field of
	 * rec->regs is exact. The core writes rec->regs only where it is
	 * exact, so the executor loads what differs from what it knows.
	 */
	void (*sync_regs)(void *ctx, struct rec *rec);
	/*
	 * Required with REC_EVENT_MMIO_BY_EXECUTOR: completes the emulated
	 * access at REC_ENTER with EMULATED_MMIO (rmi-1.0.md 9.2 item 3).
	 * value: for a read, enter.gprs[0] masked to the access size (sign
	 * extended if the event's ESR had SSE); 0 for a write.
	 */
	void (*complete_mmio)(void *ctx, struct rec *rec, uint64_t value);
	/*
	 * Optional: called with the RD lock held after an RMI command changed
	 * what the realm's stage 2 maps (realm.h, s2_gen), so that RECs running
	 * on other threads stop using a mapping that went away. It must not
	 * take granule locks; it may walk the realm's RTTs.
	 */
	void (*s2_changed)(void *ctx, struct realm *r);
	/*
	 * Optional: makes a virtual SError with syndrome iss (ESR bits 24:0)
	 * pending for the REC, taken once the realm's PSTATE.A allows it (an
	 * SError of severity UEU or UER, rmi-1.0.md 9.3). Called between
	 * runs. Returns 0 or a negative errno. Without it rmm_rec_raise takes
	 * only the SErrors that are reported alone.
	 */
	int (*inject_serror)(void *ctx, struct rec *rec, uint64_t iss);
};

#endif /* RMMEMU_EXECUTOR_H */
