/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A REC's registers in KVM. KVM_GET/SET_ONE_REG cost 7-15 us each in the
 * devbox (DESIGN.md), against ~200 us for a whole MMIO round trip, so the
 * executor keeps a shadow of what KVM holds and moves only what it must:
 *
 * - after a run nothing is known; the event's promise is read back (an SMC:
 *   x1..x10 and PC, x0 from the exit; executor.h), everything else stays
 *   stale in rec->regs until the core asks for it with sync_regs;
 * - before a run, a known register whose rec->regs value differs from the
 *   shadow was changed by the core and goes to KVM. The core writes only
 *   registers that are exact (promised or synced, executor.h), so a stale
 *   one never goes in.
 *
 * An MMIO access KVM holds (after KVM_EXIT_MMIO) is completed by KVM at the
 * next KVM_RUN while kvm_run.exit_reason is still KVM_EXIT_MMIO: writing
 * Rt for a read and advancing PC. To cancel it (the host re-enters without
 * EMULATED_MMIO, or the core injects an exception at the access), the
 * executor overwrites exit_reason, so that the realm re-executes the
 * instruction; executor/tests checks that this holds for the kernel in use.
 * To see the completed state before a run (sync_regs after completion), one
 * KVM_RUN with immediate_exit completes it without entering the realm.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include "executor/kvm-internal.h"
#include "rmmemu/log.h"
#include "rmmemu/rec.h"

#define CORE_REG(off)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			 ((off) / sizeof(__u32)))
#define X_REG(n)	CORE_REG(offsetof(struct kvm_regs, regs.regs) + (n) * 8)
#define REGS_FIELD(f)	offsetof(struct rec_regs, f)

/* KVM's id and the field of struct rec_regs, in KVM_REG_* order. */
static const struct {
	uint64_t id;
	size_t field;
} regs[KVM_NUM_REGS] = {
#define X(n)	{ X_REG(n), REGS_FIELD(gprs) + (n) * 8 }
	X(0), X(1), X(2), X(3), X(4), X(5), X(6), X(7), X(8), X(9),
	X(10), X(11), X(12), X(13), X(14), X(15), X(16), X(17), X(18), X(19),
	X(20), X(21), X(22), X(23), X(24), X(25), X(26), X(27), X(28), X(29),
	X(30),
#undef X
	{ CORE_REG(offsetof(struct kvm_regs, regs.pc)), REGS_FIELD(pc) },
	{ CORE_REG(offsetof(struct kvm_regs, regs.pstate)), REGS_FIELD(pstate) },
	{ ARM64_SYS_REG(3, 0, 1, 0, 0), REGS_FIELD(sctlr_el1) },
	{ ARM64_SYS_REG(3, 0, 12, 0, 0), REGS_FIELD(vbar_el1) },
	{ CORE_REG(offsetof(struct kvm_regs, elr_el1)), REGS_FIELD(elr_el1) },
	{ CORE_REG(offsetof(struct kvm_regs, spsr) + KVM_SPSR_EL1 * 8),
	  REGS_FIELD(spsr_el1) },
	{ ARM64_SYS_REG(3, 0, 5, 2, 0), REGS_FIELD(esr_el1) },
	{ ARM64_SYS_REG(3, 0, 6, 0, 0), REGS_FIELD(far_el1) },
};

_Static_assert(sizeof(struct rec_regs) == KVM_NUM_REGS * sizeof(uint64_t),
	       "struct rec_regs is the registers of the KVM_REG_* list");

static uint64_t *field(struct kvm_vcpu *v, unsigned int i)
{
	return (uint64_t *)((char *)&v->rec->regs + regs[i].field);
}

int kvm_get_reg(struct kvm_vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)val };

	if (ioctl(v->fd, KVM_GET_ONE_REG, &r) != 0) {
		int err = errno;

		rmm_log(RMM_LOG_ERROR, "kvm executor: vCPU %u: KVM_GET_ONE_REG 0x%llx: %s",
			v->id, (unsigned long long)id, strerror(err));
		return -err;
	}
	return 0;
}

int kvm_set_reg(struct kvm_vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&val };

	if (ioctl(v->fd, KVM_SET_ONE_REG, &r) != 0) {
		int err = errno;

		rmm_log(RMM_LOG_ERROR, "kvm executor: vCPU %u: KVM_SET_ONE_REG 0x%llx: %s",
			v->id, (unsigned long long)id, strerror(err));
		return -err;
	}
	return 0;
}

/* spec: an SError of severity UEU or UER reaches the realm (rmi-1.0.md 9.3):
 * KVM keeps it pending (HCR_EL2.VSE, VSESR_EL2 = iss) until the realm's
 * PSTATE.A lets it in. */
int kvm_exec_inject_serror(void *ctx, struct rec *rec, uint64_t iss)
{
	struct kvm_vcpu *v = rec->exec;
	struct kvm_vcpu_events ev;

	(void)ctx;
	if (v == NULL || v->fd < 0)
		return -ENODEV;
	memset(&ev, 0, sizeof(ev));
	ev.exception.serror_pending = 1;
	ev.exception.serror_has_esr = 1;
	ev.exception.serror_esr = iss;
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) != 0)
		return -errno;
	return 0;
}

void kvm_mmio_cancel(struct kvm_vcpu *v)
{
	if (v->mmio != KVM_MMIO_PENDING)
		return;
	v->run->exit_reason = KVM_EXIT_UNKNOWN;
	v->mmio = KVM_MMIO_NONE;
}

/* KVM writes Rt (which one, the executor does not know) and PC. */
int kvm_mmio_settle(struct kvm_vcpu *v)
{
	if (v->mmio != KVM_MMIO_COMPLETING)
		return 0;
	v->known &= ~(KVM_REGS_GPRS | 1ULL << KVM_REG_PC);
	return kvm_run_immediate(v);
}

int kvm_regs_load(struct kvm_vcpu *v)
{
	uint64_t dirty = 0;
	int err;

	if (!v->loaded) {
		dirty = KVM_REGS_ALL;
	} else {
		for (unsigned int i = 0; i < KVM_NUM_REGS; i++) {
			if ((v->known & 1ULL << i) && *field(v, i) != v->shadow[i])
				dirty |= 1ULL << i;
		}
	}
	if (dirty == 0)
		return 0;
	/* The core's changes come after the access it completed. */
	err = kvm_mmio_settle(v);
	for (unsigned int i = 0; err == 0 && i < KVM_NUM_REGS; i++) {
		if (!(dirty & 1ULL << i))
			continue;
		err = kvm_set_reg(v, regs[i].id, *field(v, i));
		v->shadow[i] = *field(v, i);
		v->known |= 1ULL << i;
	}
	if (err == 0)
		v->loaded = true;
	return err;
}

void kvm_regs_forget(struct kvm_vcpu *v)
{
	v->known = 0;
}

int kvm_regs_read(struct kvm_vcpu *v, uint64_t mask)
{
	for (unsigned int i = 0; i < KVM_NUM_REGS; i++) {
		uint64_t val;
		int err;

		if (!(mask & 1ULL << i) || (v->known & 1ULL << i))
			continue;
		err = kvm_get_reg(v, regs[i].id, &val);
		if (err != 0)
			return err;
		v->shadow[i] = val;
		*field(v, i) = val;
		v->known |= 1ULL << i;
	}
	return 0;
}

int kvm_regs_write(struct kvm_vcpu *v, unsigned int i, uint64_t val)
{
	int err = kvm_set_reg(v, regs[i].id, val);

	if (err != 0)
		return err;
	v->shadow[i] = val;
	*field(v, i) = val;
	v->known |= 1ULL << i;
	return 0;
}

/*
 * The core is about to read or change registers outside the last event's
 * promise: an access KVM holds is finished first (completed if the host
 * answered it, dropped otherwise), then every register is read. Before the
 * REC's first run rec->regs is what KVM will get, nothing to read.
 */
void kvm_exec_sync_regs(void *ctx, struct rec *rec)
{
	struct kvm_vcpu *v = rec->exec;
	int err;

	(void)ctx;
	if (v == NULL || !v->loaded)
		return;
	kvm_mmio_cancel(v);
	err = kvm_mmio_settle(v);
	if (err == 0)
		err = kvm_regs_read(v, KVM_REGS_ALL);
	if (err != 0)
		rmm_log(RMM_LOG_ERROR, "kvm executor: vCPU %u: registers not read (%d)",
			v->id, err);
}
