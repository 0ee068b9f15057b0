/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A REC: the object behind a REC granule. Guarded by the REC granule lock;
 * while it runs (refcount 1) only the thread in REC_ENTER touches it, without
 * holding the lock (granule.h).
 */
#ifndef RMMEMU_REC_H
#define RMMEMU_REC_H

#include <stdbool.h>
#include <stdint.h>

#include <rmmemu/rmi-1.0.h>

#include "attest.h"

struct realm;
struct granule;

/*
 * The realm vCPU state the RMM saves on every exit. The executor loads all of
 * it before a run and saves it back after; the core changes it between runs
 * (PSCI results, MMIO completion, injected exceptions, rmi-1.0.md 9.2, 9.5),
 * which is why the EL1 exception registers are here too. An executor may
 * save lazily: then only what the last event promises is exact until
 * rec_regs_sync() (executor.h).
 */
struct rec_regs {
	uint64_t gprs[31];
	uint64_t pc;
	uint64_t pstate;
	uint64_t sctlr_el1;
	uint64_t vbar_el1;
	uint64_t elr_el1;
	uint64_t spsr_el1;
	uint64_t esr_el1;
	uint64_t far_el1;
};

#define REC_PSTATE_EL1H_DAIF	0x3C5ULL	/* EL1h, D, A, I, F masked */
#define REC_SCTLR_EL1_RESET	0x30D00980ULL	/* RES1 bits, MMU off */
#define REC_SCTLR_EL1_EE	(1ULL << 25)

/* ESR_EL2 fields the core decodes (Arm ARM D17.2.37). */
#define ESR_EC_SHIFT		26
#define ESR_EC_MASK		(0x3FULL << ESR_EC_SHIFT)
#define ESR_EC(esr)		(((esr) >> ESR_EC_SHIFT) & 0x3F)
#define ESR_EC_UNKNOWN		0x00
#define ESR_EC_WFX		0x01
#define ESR_EC_SYSREG		0x18
#define ESR_EC_IABT_LOWER	0x20
#define ESR_EC_IABT_SAME	0x21
#define ESR_EC_DABT_LOWER	0x24
#define ESR_EC_DABT_SAME	0x25
#define ESR_IL			(1ULL << 25)
#define ESR_FSC_MASK		0x3FULL
#define ESR_FSC_SEA		0x10ULL
#define ESR_S1PTW		(1ULL << 7)
#define ESR_EA			(1ULL << 9)
#define ESR_FNV			(1ULL << 10)
/* Data abort ISS */
#define ESR_DABT_WNR		(1ULL << 6)
#define ESR_DABT_SF		(1ULL << 15)
#define ESR_DABT_SRT(esr)	((unsigned int)(((esr) >> 16) & 0x1F))
#define ESR_DABT_SSE		(1ULL << 21)
#define ESR_DABT_SAS(esr)	((unsigned int)(((esr) >> 22) & 0x3))
#define ESR_DABT_ISV		(1ULL << 24)
#define ESR_DABT_SET(esr)	((unsigned int)(((esr) >> 11) & 0x3))
#define ESR_DABT_SET_UER	0
/* SError ISS: AET, the severity */
#define ESR_ISS_MASK		0x1FFFFFFULL
#define ESR_SERROR_AET(esr)	((unsigned int)(((esr) >> 10) & 7))
#define ESR_SERROR_AET_UEU	1
#define ESR_SERROR_AET_UEO	2
#define ESR_SERROR_AET_UER	3
#define ESR_SERROR_AET_CE	6
/* spec: an SError the realm is told of, not only the host (rmi-1.0.md 9.3). */
static inline bool rec_serror_injected(uint64_t esr)
{
	return ESR_SERROR_AET(esr) == ESR_SERROR_AET_UEU ||
	       ESR_SERROR_AET(esr) == ESR_SERROR_AET_UER;
}

/* Trapped system register ISS */
#define ESR_SYSREG_READ		(1ULL << 0)
#define ESR_SYSREG_RT(esr)	((unsigned int)(((esr) >> 5) & 0x1F))

/* Realm PSCI and SMCCC function IDs the RMM handles (rsi-1.0.md 2, 8). */
#define SMCCC_VERSION_FID		0x80000000U
#define SMCCC_VERSION_1_2		0x10002ULL
#define PSCI_VERSION_FID		0x84000000U
#define PSCI_CPU_SUSPEND_32		0x84000001U
#define PSCI_CPU_SUSPEND_64		0xC4000001U
#define PSCI_CPU_OFF_FID		0x84000002U
#define PSCI_CPU_ON_32			0x84000003U
#define PSCI_CPU_ON_64			0xC4000003U
#define PSCI_AFFINITY_INFO_32		0x84000004U
#define PSCI_AFFINITY_INFO_64		0xC4000004U
#define PSCI_SYSTEM_OFF_FID		0x84000008U
#define PSCI_SYSTEM_RESET_FID		0x84000009U
#define PSCI_FEATURES_FID		0x8400000AU
#define PSCI_VERSION_1_1		0x10001ULL
#define PSCI_AFFINITY_ON		0ULL
#define PSCI_AFFINITY_OFF		1ULL
#define SMCCC_SVE_HINT			(1U << 16)

static inline bool psci_fid_is_cpu_on(uint32_t fid)
{
	return fid == PSCI_CPU_ON_32 || fid == PSCI_CPU_ON_64;
}

static inline bool psci_fid_is_affinity_info(uint32_t fid)
{
	return fid == PSCI_AFFINITY_INFO_32 || fid == PSCI_AFFINITY_INFO_64;
}

/* What the previous exit was, for the REC_ENTER checks and entry processing
 * that depend on it (rmi-1.0.md 8.13 items 9-10, 9.2 items 3 and 6). Cleared
 * when the REC next runs. */
struct rec_last_exit {
	uint64_t esr;			/* full ESR_EL2 of a data abort / trap */
	uint64_t far;			/* full FAR_EL2 of a data abort */
	uint64_t ipa;
	bool data_abort_unprotected;	/* EC 0x24 at an unprotected IPA */
	bool emulatable;		/* data abort with ISV = 1 */
	bool sysreg_read;		/* trapped MRS (EC 0x18, read) */
	bool mmio_by_executor;		/* REC_EVENT_MMIO_BY_EXECUTOR */
};

struct rec {
	struct realm *realm;
	struct granule *g_rec;
	uint64_t pa;
	unsigned int index;		/* from the MPIDR (rmi-1.0.md 5.4) */
	uint64_t mpidr;			/* RmiRecMpidr as given */
	bool runnable;
	unsigned int num_aux;
	uint64_t aux[RMI_REC_AUX_GRANULES];

	struct rec_regs regs;
	struct rec_last_exit last_exit;

	/* rec_enter.flags TRAP_WFI / TRAP_WFE of the current REC_ENTER: WFI /
	 * WFE exit to the host only when set (rmi-1.0.md 9.2 item 8). */
	bool trap_wfi;
	bool trap_wfe;

	/* PSCI call forwarded to the host, waiting for PSCI_COMPLETE. fid and
	 * x1..x3 are the realm's registers of the call. */
	struct {
		bool pending;
		uint32_t fid;
		uint64_t x1, x2, x3;
	} psci;

	/* RSI_IPA_STATE_SET in progress (RIPAS_CHANGE exit). */
	struct {
		bool pending;
		uint64_t base, top, addr;
		enum rmi_ripas ripas;
		bool change_destroyed;
		bool reject;		/* host's RIPAS_RESPONSE */
	} ripas;

	/* RSI_HOST_CALL in progress. */
	struct {
		bool pending;
		uint64_t ipa;
	} host_call;

	/* RSI_ATTESTATION_TOKEN_INIT / CONTINUE (rsi-1.0.md 6). */
	struct attest_token attest;
	/* rmm_rec_raise() while the REC runs: physical events pending
	 * (REC_PHYS_* bits) and the SError's syndrome. Set under the REC lock,
	 * taken by rec_take_phys() without it; cleared when REC_ENTER
	 * starts. */
	unsigned int phys_pending;
	uint64_t phys_serror_esr;

	void *exec;			/* the executor's per-REC state */
};

/* rec.phys_pending: 1 << enum rmm_phys_event (rmm.h). */
#define REC_PHYS_IRQ		(1U << 0)
#define REC_PHYS_FIQ		(1U << 1)
#define REC_PHYS_SERROR		(1U << 2)

/* The physical events raised since the REC was last asked; clears them. */
static inline unsigned int rec_take_phys(struct rec *rec)
{
	return __atomic_exchange_n(&rec->phys_pending, 0U, __ATOMIC_SEQ_CST);
}

/* Virtual MPIDR_EL1 of a REC: Aff3 at 39:32, bit 31 RES1. */
uint64_t rec_mpidr_to_vmpidr(uint64_t mpidr);
/* REC index of an RmiRecMpidr; false if bits outside Aff0[3:0], Aff1..3. */
bool rec_mpidr_index(uint64_t mpidr, unsigned int *index);
/* REC index of an MPIDR_EL1 value passed by the realm (PSCI target):
 * Aff0[3:0], Aff1, Aff2, Aff3 at 39:32; other bits ignored (rsi-1.0.md 8). */
unsigned int rec_vmpidr_index(uint64_t vmpidr);

/* Initial register state of REC_CREATE (rmi-1.0.md 8.10): x0..x7 and PC
 * given, everything else at reset, EL1h with DAIF masked. */
void rec_regs_reset(struct rec_regs *regs, uint64_t pc, const uint64_t *gprs,
		    unsigned int num_gprs);

/* Makes every field of rec->regs exact before the core reads or writes one
 * the last executor event did not promise (executor.h, sync_regs). */
void rec_regs_sync(struct rec *rec);

/* Exceptions the RMM injects into the realm (rmi-1.0.md 9.5). The caller
 * syncs the registers first (rec_regs_sync). */
/* Synchronous external abort for a data / instruction abort with ESR_EL2 esr
 * at FAR far, taken at the current PC (the faulting instruction). */
void rec_inject_sea(struct rec *rec, uint64_t esr, uint64_t far);
/* UNDEFINED exception for the instruction at elr. */
void rec_inject_undef(struct rec *rec, uint64_t elr);

#endif /* RMMEMU_REC_H */
