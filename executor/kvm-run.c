/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Running a REC: KVM_RUN until something needs the RMM or the host, and the
 * KVM exit turned into a REC event (executor.h).
 *
 * A kick, the end of the time slice or a memslot change stops a KVM_RUN
 * (kvm-stop.c).
 *
 * KVM exits, as events:
 *   KVM_EXIT_MMIO      DATA_ABORT with an ESR built from the access (KVM
 *                      gives no syndrome): EC 0x24, IL, ISV, SAS from the
 *                      length, SF for 8 bytes, WnR, FSC a translation fault
 *                      at the level where the realm's RTT walk stops; SRT 0
 *                      and SSE 0 (unknown), which the host-visible exit
 *                      clears anyway (rmi-1.0.md 9.3). KVM completes it
 *                      (REC_EVENT_MMIO_BY_EXECUTOR). KVM extends a load by
 *                      the syndrome it got from the CPU, without SSE under
 *                      QEMU 7.2: see mmio_sign_extend for the fix and its
 *                      limit (realm MMU on).
 *   KVM_EXIT_ARM_NISV  DATA_ABORT without ISV (pair, write-back accesses),
 *                      PC at the access.
 *   KVM_EXIT_HYPERCALL SMC (x0 from the exit, x1..x10 and PC read back) or
 *                      HVC (reported to the core, which raises UNDEFINED).
 *   EINTR              IRQ after a kick or at the end of the slice (or
 *                      when a realm timer expires, kvm-gic.c).
 * While the host traps WFI or WFE, a stop the realm can go on from (EINTR,
 * MMIO, NISV) is first a WFX event if KVM counted one (kvm-wfx.c).
 * An abort at an IPA a memslot covers once the memslots are in sync is stale
 * (the host mapped it meanwhile): the access is re-executed, no event.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "executor/kvm-internal.h"
#include "rmmemu/executor.h"
#include "rmmemu/granule.h"
#include "rmmemu/log.h"
#include "rmmemu/realm.h"
#include "rmmemu/s2tt.h"

#define SCTLR_M			1ULL	/* stage-1 MMU on */

/* Registers an SMC event promises besides x0 (executor.h). */
#define SMC_REGS	((((1ULL << 11) - 1) & ~1ULL) | 1ULL << KVM_REG_PC)

enum step {
	STEP_EVENT,	/* ev is filled */
	STEP_AGAIN,	/* run again */
};

/* ---- KVM_RUN ------------------------------------------------------------------- */

/*
 * One KVM_RUN, open to kicks, the slice and the gate. Returns 0 or an errno:
 * EINTR for a kick, the slice, the gate closing or another signal (KVM_RUN
 * not entered if a kick came first), EAGAIN when the memslots must be
 * synced first.
 */
static int vcpu_run(struct kvm_vcpu *v)
{
	int err = -kvm_vcpu_sigmask(v);

	if (err != 0)
		return err;
	if (!kvm_gate_enter(v))
		return EAGAIN;
	/* A kick before in_run sent no signal: it is seen here. */
	if (__atomic_load_n(&v->kicked, __ATOMIC_SEQ_CST)) {
		err = EINTR;
	} else {
		err = ioctl(v->fd, KVM_RUN, 0) == 0 ? 0 : errno;
		/* Whatever ran, KVM completed the access it held and the
		 * registers may have changed. */
		v->mmio = KVM_MMIO_NONE;
		kvm_regs_forget(v);
	}
	kvm_gate_leave(v);
	if (err == EINTR)
		kvm_signals_consume();
	return err;
}

int kvm_run_immediate(struct kvm_vcpu *v)
{
	int ret;

	v->run->immediate_exit = 1;
	ret = ioctl(v->fd, KVM_RUN, 0);
	v->run->immediate_exit = 0;
	v->mmio = KVM_MMIO_NONE;
	if (ret == 0 || errno == EINTR)
		return 0;
	ret = -errno;
	rmm_log(RMM_LOG_ERROR, "kvm executor: vCPU %u: KVM_RUN (immediate exit): %s",
		v->id, strerror(-ret));
	return ret;
}

/* ---- exits -------------------------------------------------------------------- */

static enum step event_irq(struct rec_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = REC_EVENT_IRQ;
	return STEP_EVENT;
}

/* Whether a kick or the end of the slice ends this run. */
static bool run_interrupted(struct kvm_vcpu *v)
{
	return __atomic_exchange_n(&v->kicked, false, __ATOMIC_SEQ_CST) ||
	       kvm_now_ns() >= v->deadline_ns;
}

/*
 * An abort the memslots no longer give (the host mapped the page since the
 * run began). While the realm's stage 2 is the one the run began with, no
 * memslot covers the IPA: the gate keeps memslots unchanged during a run.
 */
static bool abort_stale(struct kvm_vcpu *v, uint64_t ipa)
{
	if (__atomic_load_n(&v->kr->r->s2_gen, __ATOMIC_ACQUIRE) == v->run_gen)
		return false;
	if (kvm_mem_sync(v->kr, false) != 0)
		return false;
	return kvm_mem_covers(v->kr, ipa);
}

/* Level of the entry the realm's RTT walk for ipa ends at (for the FSC). */
static uint64_t abort_fsc(struct kvm_vcpu *v, uint64_t ipa)
{
	struct realm *r = v->kr->r;
	struct rtt_walk w;
	int level;

	granule_lock(r->g_rd);
	rtt_walk(r, ipa, S2TT_MAX_LEVEL, &w);
	level = w.level < 0 ? 0 : w.level;
	granule_unlock(r->g_rd);
	return 0x04ULL + (uint64_t)level;	/* translation fault, level */
}

static uint64_t mmio_esr(struct kvm_vcpu *v, uint64_t ipa, unsigned int len,
			 bool write)
{
	unsigned int sas = len == 1 ? 0 : len == 2 ? 1 : len == 4 ? 2 : 3;
	uint64_t esr = (uint64_t)ESR_EC_DABT_LOWER << ESR_EC_SHIFT | ESR_IL |
		       ESR_DABT_ISV | (uint64_t)sas << 22 | abort_fsc(v, ipa);

	if (len == 8)
		esr |= ESR_DABT_SF;
	if (write)
		esr |= ESR_DABT_WNR;
	return esr;
}

static int exit_mmio(struct kvm_vcpu *v, struct rec_event *ev)
{
	struct kvm_run *run = v->run;
	uint64_t ipa = run->mmio.phys_addr, data = 0;
	unsigned int len = run->mmio.len;

	v->mmio = KVM_MMIO_PENDING;
	if (abort_stale(v, ipa)) {
		kvm_mmio_cancel(v);
		return STEP_AGAIN;
	}
	if (run->mmio.is_write)
		memcpy(&data, run->mmio.data, len <= 8 ? len : 8);
	memset(ev, 0, sizeof(*ev));
	ev->kind = REC_EVENT_DATA_ABORT;
	ev->esr = mmio_esr(v, ipa, len, run->mmio.is_write);
	/* KVM gives the IPA, not the VA: the page offset is the same. */
	ev->far = ipa;
	ev->ipa = ipa;
	ev->value = data;
	ev->flags = REC_EVENT_MMIO_BY_EXECUTOR;
	return STEP_EVENT;
}

static int exit_nisv(struct kvm_vcpu *v, struct rec_event *ev)
{
	uint64_t ipa = v->run->arm_nisv.fault_ipa;

	if (abort_stale(v, ipa))
		return STEP_AGAIN;
	memset(ev, 0, sizeof(*ev));
	ev->kind = REC_EVENT_DATA_ABORT;
	ev->esr = (uint64_t)ESR_EC_DABT_LOWER << ESR_EC_SHIFT | ESR_IL |
		  (v->run->arm_nisv.esr_iss & ~ESR_DABT_ISV & 0x1FFFFFFULL);
	ev->far = ipa;
	ev->ipa = ipa;
	return STEP_EVENT;
}

/*
 * x0 is the function ID KVM matched, its low 32 bits: the core takes the ID
 * from there (rsi-1.0.md 1), and a result it writes differs from it, so the
 * realm's upper bits stay in KVM unless the core answers.
 */
static int exit_hypercall(struct kvm_vcpu *v, struct rec_event *ev)
{
	struct kvm_run *run = v->run;
	int err;

	memset(ev, 0, sizeof(*ev));
	if (!(run->hypercall.flags & KVM_HYPERCALL_EXIT_SMC)) {
		ev->kind = REC_EVENT_HVC;
		return STEP_EVENT;
	}
	v->rec->regs.gprs[0] = run->hypercall.nr;
	v->shadow[KVM_REG_X(0)] = run->hypercall.nr;
	v->known |= 1ULL << KVM_REG_X(0);
	err = kvm_regs_read(v, SMC_REGS);
	if (err != 0)
		return err;
	ev->kind = REC_EVENT_SMC;
	return STEP_EVENT;
}

/* A step, or a negative errno. */
typedef int (*exit_fn)(struct kvm_vcpu *v, struct rec_event *ev);

static const struct {
	uint32_t reason;
	exit_fn fn;
} exit_handlers[] = {
	{ KVM_EXIT_MMIO, exit_mmio },
	{ KVM_EXIT_ARM_NISV, exit_nisv },
	{ KVM_EXIT_HYPERCALL, exit_hypercall },
};

/* Returns a step, or a negative errno. */
static int run_exit(struct kvm_vcpu *v, int err, struct rec_event *ev)
{
	uint32_t reason = v->run->exit_reason;

	if ((err == EINTR || (err == 0 && (reason == KVM_EXIT_MMIO ||
					   reason == KVM_EXIT_ARM_NISV))) &&
	    kvm_wfx_event(v, ev)) {
		/* The access is made again when the realm runs next. */
		if (err == 0 && reason == KVM_EXIT_MMIO)
			v->mmio = KVM_MMIO_PENDING;
		return STEP_EVENT;
	}
	if (err == EINTR)
		return run_interrupted(v) ? (int)event_irq(ev) : STEP_AGAIN;
	if (err == EAGAIN)
		return STEP_AGAIN;
	if (err != 0) {
		rmm_log(RMM_LOG_ERROR, "kvm executor: vCPU %u: KVM_RUN: %s", v->id,
			strerror(err));
		return -err;
	}
	for (unsigned int i = 0; i < sizeof(exit_handlers) / sizeof(exit_handlers[0]); i++) {
		if (exit_handlers[i].reason == reason)
			return exit_handlers[i].fn(v, ev);
	}
	rmm_log(RMM_LOG_ERROR, "kvm executor: vCPU %u: unexpected KVM exit %u", v->id,
		reason);
	return -EIO;
}

/* One KVM_RUN with memslots and registers brought up to date. */
static int run_step(struct kvm_vcpu *v, struct rec_event *ev)
{
	struct kvm_realm *kr = v->kr;
	int err;

	kvm_mmio_cancel(v);	/* not answered: the host wants it re-executed */
	if (run_interrupted(v))
		return event_irq(ev);
	err = kvm_mem_sync(kr, false);
	if (err == 0)
		err = kvm_regs_load(v);
	if (err != 0)
		return err;
	return run_exit(v, vcpu_run(v), ev);
}

/* The end of a REC_ENTER's slice: slice_us from now, or sooner when a realm
 * timer asserts. */
static uint64_t slice_end(struct kvm_executor *ex, struct kvm_vcpu *v)
{
	uint64_t now = kvm_now_ns(), until = kvm_timer_deadline_ns(v);
	uint64_t end = now + (uint64_t)__atomic_load_n(&ex->slice_us, __ATOMIC_RELAXED) * 1000ULL;

	if (until < end)
		end = until > now ? until : now + 1;
	return end;
}

int kvm_exec_run(void *ctx, struct rec *rec, const struct rmi_rec_enter *enter,
		 struct rmi_rec_exit *exit, struct rec_event *ev)
{
	struct kvm_vcpu *v = rec->exec;
	struct kvm_executor *ex = ctx;
	int ret;

	if (v == NULL)
		return -ENODEV;
	if (!__atomic_load_n(&v->kr->ready, __ATOMIC_ACQUIRE)) {
		ret = kvm_realm_setup(v->kr);
		if (ret != 0)
			return ret;
	}
	if (enter != NULL) {
		kvm_gic_enter(v, enter);
		/* spec: a timer output that changed since the last exit is
		 * the host's first (rmi-1.0.md 9.4). */
		if (kvm_timer_changed(v)) {
			event_irq(ev);
			return kvm_gic_exit(v, exit);
		}
	}
	/* A run the core makes again within the REC_ENTER keeps its slice. */
	if (enter != NULL)
		v->deadline_ns = slice_end(ex, v);
	ret = kvm_slice_start(&v->deadline_ns, kvm_wfx_begin(v) ? KVM_EXEC_WFX_POLL_US : 0);
	if (ret != 0)
		return ret;
	do {
		ret = run_step(v, ev);
	} while (ret == STEP_AGAIN);
	kvm_slice_end();
	if (ret < 0)
		return ret;
	return kvm_gic_exit(v, exit);
}

/*
 * A sign-extending load (LDRSB, LDRSH, LDRSW, their unscaled, unprivileged
 * and register-offset forms) of a load/store register instruction: its Rt
 * and whether it extends to 64 bits. Write-back forms never get here (KVM
 * cannot decode them: NISV).
 */
static bool insn_sign_extending_load(uint32_t insn, unsigned int *rt, bool *x)
{
	unsigned int size = insn >> 30, opc = (insn >> 22) & 3;

	/* bits 29:27 = 111, V (26) = 0, bits 25:24 = 00 or 01 */
	if (((insn >> 27) & 7) != 7 || (insn & (1U << 26)) || ((insn >> 24) & 3) > 1)
		return false;
	if (!(opc & 2) || size == 3 || (size == 2 && opc == 3))
		return false;
	*rt = insn & 0x1F;
	*x = opc == 2;
	return true;
}

/*
 * KVM extends a load's value by the syndrome the CPU gave it, and under
 * QEMU (the devbox) that has no SSE: a sign-extending load would come back
 * zero-extended. When the answer's sign bit is set (otherwise both are the
 * same) and the realm's MMU is off (PC is an IPA), the executor reads the
 * instruction and completes a sign-extending load itself: Rt, PC + 4, and
 * KVM's completion dropped. With the MMU on the load stays zero-extended
 * (the stage-1 walk to find the instruction is not done). Returns true when
 * it took the access over from KVM.
 */
static bool mmio_sign_extend(struct kvm_vcpu *v, unsigned int len, uint64_t value)
{
	struct rec_regs *regs = &v->rec->regs;
	unsigned int bits = 8 * len, rt;
	uint64_t sign = 1ULL << (bits - 1);
	uint32_t insn;
	bool x;

	if (len >= 8 || !(value & sign))
		return false;
	if (kvm_regs_read(v, 1ULL << KVM_REG_PC | 1ULL << KVM_REG_SCTLR) != 0 ||
	    (regs->sctlr_el1 & SCTLR_M) || !kvm_mem_read32(v->kr, regs->pc, &insn) ||
	    !insn_sign_extending_load(insn, &rt, &x))
		return false;
	value = ((value & ((sign << 1) - 1)) ^ sign) - sign;
	if (!x)
		value &= 0xFFFFFFFFULL;
	kvm_mmio_cancel(v);
	/* If a write fails (logged) the realm executes the load again. */
	if (rt == 31 || kvm_regs_write(v, KVM_REG_X(rt), value) == 0)
		(void)kvm_regs_write(v, KVM_REG_PC, regs->pc + 4);
	return true;
}

/* The host's answer goes where KVM takes it at the next KVM_RUN. */
void kvm_exec_complete_mmio(void *ctx, struct rec *rec, uint64_t value)
{
	struct kvm_vcpu *v = rec->exec;

	(void)ctx;
	if (v == NULL || v->mmio != KVM_MMIO_PENDING) {
		rmm_log(RMM_LOG_ERROR, "kvm executor: REC 0x%llx: no MMIO access to complete",
			(unsigned long long)rec->pa);
		return;
	}
	if (v->run->mmio.is_write) {
		v->mmio = KVM_MMIO_COMPLETING;
		return;
	}
	if (mmio_sign_extend(v, v->run->mmio.len, value))
		return;
	memcpy(v->run->mmio.data, &value, sizeof(value));
	v->mmio = KVM_MMIO_COMPLETING;
}
