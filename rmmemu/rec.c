/* SPDX-License-Identifier: BSD-3-Clause */
/* REC helpers: MPIDR encodings (rmi-1.0.md 5.4, rsi-1.0.md 8), the initial
 * register state (8.10) and exceptions injected into the realm (9.5). */
#include <string.h>

#include "executor.h"
#include "instance.h"
#include "realm.h"
#include "rec.h"

/* RmiRecMpidr: Aff0[3:0] at 3:0, Aff1 at 15:8, Aff2 at 23:16, Aff3 at 31:24. */
#define RMI_MPIDR_VALID		0xFFFFFF0FULL
#define MPIDR_AFF0_LOW(m)	((m) & 0xFULL)
#define MPIDR_AFF1(m)		(((m) >> 8) & 0xFFULL)
#define MPIDR_AFF2(m)		(((m) >> 16) & 0xFFULL)
#define RMI_MPIDR_AFF3(m)	(((m) >> 24) & 0xFFULL)
#define VMPIDR_AFF3(m)		(((m) >> 32) & 0xFFULL)
#define VMPIDR_RES1		(1ULL << 31)

#define PSTATE_M_AARCH32	(1ULL << 4)
#define PSTATE_M_EL_MASK	0xCULL
#define PSTATE_M_EL1		0x4ULL
#define PSTATE_M_SP_ELX		0x1ULL

/* Offsets in VBAR_EL1 of the synchronous exception vectors. */
#define VECTOR_CURRENT_SP0	0x000
#define VECTOR_CURRENT_SPX	0x200
#define VECTOR_LOWER_A64	0x400
#define VECTOR_LOWER_A32	0x600

#define ESR_EL1_UNDEF		(ESR_IL | ((uint64_t)ESR_EC_UNKNOWN << ESR_EC_SHIFT))

static unsigned int affinity_index(uint64_t aff0, uint64_t aff1, uint64_t aff2,
				   uint64_t aff3)
{
	return (unsigned int)(aff0 | aff1 << 4 | aff2 << 12 | aff3 << 20);
}

uint64_t rec_mpidr_to_vmpidr(uint64_t mpidr)
{
	return (mpidr & 0xFFFFFFULL) | RMI_MPIDR_AFF3(mpidr) << 32 | VMPIDR_RES1;
}

bool rec_mpidr_index(uint64_t mpidr, unsigned int *index)
{
	/* spec: Aff0[7:4] and every bit above Aff3 must be zero (5.4). */
	if (mpidr & ~RMI_MPIDR_VALID)
		return false;
	*index = affinity_index(MPIDR_AFF0_LOW(mpidr), MPIDR_AFF1(mpidr),
				MPIDR_AFF2(mpidr), RMI_MPIDR_AFF3(mpidr));
	return true;
}

unsigned int rec_vmpidr_index(uint64_t vmpidr)
{
	return affinity_index(MPIDR_AFF0_LOW(vmpidr), MPIDR_AFF1(vmpidr),
			      MPIDR_AFF2(vmpidr), VMPIDR_AFF3(vmpidr));
}

void rec_regs_reset(struct rec_regs *regs, uint64_t pc, const uint64_t *gprs,
		    unsigned int num_gprs)
{
	memset(regs, 0, sizeof(*regs));
	memcpy(regs->gprs, gprs, num_gprs * sizeof(regs->gprs[0]));
	regs->pc = pc;
	regs->pstate = REC_PSTATE_EL1H_DAIF;
	regs->sctlr_el1 = REC_SCTLR_EL1_RESET;
}

void rec_regs_sync(struct rec *rec)
{
	struct rmm *rmm = rec->realm->rmm;

	if (rmm->exec_ops != NULL && rmm->exec_ops->sync_regs != NULL)
		rmm->exec_ops->sync_regs(rmm->exec_ctx, rec);
}

static bool taken_from_el1(uint64_t pstate)
{
	return !(pstate & PSTATE_M_AARCH32) &&
	       (pstate & PSTATE_M_EL_MASK) == PSTATE_M_EL1;
}

/* spec: the vector depends on where the exception was taken from (9.5). */
static uint64_t vector_offset(uint64_t pstate)
{
	if (pstate & PSTATE_M_AARCH32)
		return VECTOR_LOWER_A32;
	if (!taken_from_el1(pstate))
		return VECTOR_LOWER_A64;
	return (pstate & PSTATE_M_SP_ELX) ? VECTOR_CURRENT_SPX : VECTOR_CURRENT_SP0;
}

/* Common part of an injected synchronous exception: the return state, the
 * vector and EL1h with D, A, I, F masked. */
static void enter_el1_vector(struct rec_regs *regs, uint64_t esr, uint64_t elr)
{
	regs->esr_el1 = esr;
	regs->elr_el1 = elr;
	regs->spsr_el1 = regs->pstate;
	regs->pc = regs->vbar_el1 + vector_offset(regs->pstate);
	regs->pstate = REC_PSTATE_EL1H_DAIF;
}

void rec_inject_sea(struct rec *rec, uint64_t esr, uint64_t far)
{
	unsigned int ec = ESR_EC(esr);
	bool instr = ec == ESR_EC_IABT_LOWER || ec == ESR_EC_IABT_SAME;
	bool el1 = taken_from_el1(rec->regs.pstate);
	uint64_t new_ec;

	/* spec: EC becomes the same-EL class when taken from EL1; FSC = SEA,
	 * EA = 1, FnV = 0, S1PTW = 0; the rest of the syndrome is kept. */
	if (instr)
		new_ec = el1 ? ESR_EC_IABT_SAME : ESR_EC_IABT_LOWER;
	else
		new_ec = el1 ? ESR_EC_DABT_SAME : ESR_EC_DABT_LOWER;
	esr &= ~(ESR_EC_MASK | ESR_FSC_MASK | ESR_FNV | ESR_S1PTW);
	esr |= new_ec << ESR_EC_SHIFT | ESR_EA | ESR_FSC_SEA;
	rec->regs.far_el1 = far;
	enter_el1_vector(&rec->regs, esr, rec->regs.pc);
}

void rec_inject_undef(struct rec *rec, uint64_t elr)
{
	enter_el1_vector(&rec->regs, ESR_EL1_UNDEF, elr);
}
