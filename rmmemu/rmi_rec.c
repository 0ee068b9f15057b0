/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REC_AUX_COUNT, REC_CREATE, REC_DESTROY and PSCI_COMPLETE (rmi-1.0.md 3.1,
 * 5.2, 5.4, 8.10-8.12, 8.19).
 *
 * Lock order. REC and RD granules are locked together in ascending address
 * order (granule_find_lock_two). Aux granules are locked one at a time:
 * REC_CREATE checks and claims each one (DELEGATED -> REC_AUX) holding no
 * other lock, before it locks the REC and the RD, and gives them back the same
 * way after unlocking those on failure. REC_DESTROY releases them while it
 * holds the REC and RD locks, which may take a lower address after a higher
 * one: that is safe because REC_AUX is never an expected state of
 * granule_find_lock(), so a thread that holds the lock of a REC_AUX granule
 * only looks at its state and drops it, never waiting for another lock
 * (granule.h).
 */
#include <stdlib.h>
#include <string.h>

#include "executor.h"
#include "granule.h"
#include "instance.h"
#include "log.h"
#include "measure.h"
#include "realm.h"
#include "rec.h"
#include "rmi.h"

static bool granule_aligned(uint64_t pa)
{
	return (pa & (RMI_GRANULE_SIZE - 1)) == 0;
}

/* spec: the reference always asks for 16 aux granules (8.12). */
static uint64_t rec_aux_count(struct rmm *rmm, struct realm *r,
			      const uint64_t x[7], struct rmi_result *res)
{
	(void)rmm;
	(void)r;
	(void)x;
	res->x[1] = RMI_REC_AUX_GRANULES;
	return RMI_SUCCESS;
}

uint64_t rmi_rec_aux_count(struct rmm *rmm, const uint64_t x[7],
			   struct rmi_result *res)
{
	return rmi_with_rd(rmm, x, res, rec_aux_count);
}

/* Gives aux[0..n) back to DELEGATED, zeroed. */
static void aux_release(struct rmm *rmm, const uint64_t *aux, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct granule *g = granule_find(rmm, aux[i]);

		granule_lock(g);
		granule_scrub(rmm, g);
		g->realm = NULL;
		granule_set_state(g, GRANULE_STATE_DELEGATED);
		granule_unlock(g);
	}
}

/*
 * REC_CREATE failure 3: G(aux[i], DELEGATED) for each i in order, each granule
 * moving to REC_AUX as it passes, so a repeated address fails. On failure the
 * ones already claimed are given back.
 */
static bool aux_claim(struct rmm *rmm, const uint64_t *aux, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct granule *g = granule_find_lock(rmm, aux[i],
						      GRANULE_STATE_DELEGATED);

		if (g == NULL) {
			aux_release(rmm, aux, i);
			return false;
		}
		granule_set_state(g, GRANULE_STATE_REC_AUX);
		granule_unlock(g);
	}
	return true;
}

/* REC_CREATE failures 5-8, with the RD locked. */
static uint64_t rec_create_check(const struct granule *g_rd,
				 const struct rmi_rec_params *p,
				 unsigned int num_aux, unsigned int *index)
{
	const struct realm *r = g_rd->realm;

	if (g_rd->refcount >= REALM_MAX_RECS)
		return RMI_ERROR_REALM;
	if (r->state != RMI_REALM_NEW)
		return RMI_ERROR_REALM;
	/* spec: RECs are created in index order; the counter never goes back
	 * (8.10 item 7). */
	if (!rec_mpidr_index(p->mpidr, index) || *index != r->rec_index_next)
		return RMI_ERROR_INPUT;
	if (num_aux != RMI_REC_AUX_GRANULES)
		return RMI_ERROR_INPUT;
	return RMI_SUCCESS;
}

static struct rec *rec_new(struct rmm *rmm, struct realm *r, uint64_t pa,
			   const struct rmi_rec_params *p, unsigned int index)
{
	struct rec *rec = calloc(1, sizeof(*rec));

	if (rec == NULL)
		return NULL;
	rec->realm = r;
	rec->pa = pa;
	rec->index = index;
	rec->mpidr = p->mpidr;
	rec->runnable = (p->flags & RMI_REC_CREATE_RUNNABLE) != 0;
	rec->num_aux = RMI_REC_AUX_GRANULES;
	memcpy(rec->aux, p->aux, sizeof(rec->aux));
	rec_regs_reset(&rec->regs, p->pc, p->gprs, RMI_REC_GPRS_PARAMS);
	if (rmm->exec_ops != NULL && rmm->exec_ops->rec_init != NULL &&
	    rmm->exec_ops->rec_init(rmm->exec_ctx, rec) != 0) {
		free(rec);
		return NULL;
	}
	return rec;
}

/* REC_CREATE success effects, with the REC and RD granules locked. */
static uint64_t rec_create_commit(struct rmm *rmm, uint64_t rec_pa,
				  struct granule *g_rec, struct granule *g_rd,
				  const struct rmi_rec_params *p, unsigned int index)
{
	struct realm *r = g_rd->realm;
	struct rec *rec = rec_new(rmm, r, rec_pa, p, index);

	if (rec == NULL) {
		rmm_log(RMM_LOG_ERROR, "REC_CREATE: cannot set up REC 0x%llx",
			(unsigned long long)rec_pa);
		return RMI_ERROR_INPUT;
	}
	rec->g_rec = g_rec;
	/* Owned REC_AUX granules change under the REC lock (granule.h). */
	for (unsigned int i = 0; i < RMI_REC_AUX_GRANULES; i++)
		granule_find(rmm, p->aux[i])->realm = r;
	g_rec->rec = rec;
	g_rec->realm = r;
	g_rec->refcount = 0;
	granule_set_state(g_rec, GRANULE_STATE_REC);
	g_rd->refcount++;
	r->rec_index_next++;
	/* spec: only a RUNNABLE REC is measured (measurement.md 3.2). */
	if (rec->runnable)
		measure_extend_rec(r, p);
	return RMI_SUCCESS;
}

uint64_t rmi_rec_create(struct rmm *rmm, const uint64_t x[7],
			struct rmi_result *res)
{
	static _Thread_local struct rmi_rec_params p;
	struct granule *g_rec, *g_rd;
	unsigned int num_aux, index;
	uint64_t ret;

	(void)res;
	if (!ns_read(rmm, x[3], &p, sizeof(p)))
		return RMI_ERROR_INPUT;
	/* spec: the reference reads the low 32 bits of num_aux (5.2). */
	num_aux = (uint32_t)p.num_aux;
	if (num_aux > RMI_REC_PARAMS_AUX_MAX)
		return RMI_ERROR_INPUT;
	if (!aux_claim(rmm, p.aux, num_aux))
		return RMI_ERROR_INPUT;
	if (!granule_find_lock_two(rmm, x[2], GRANULE_STATE_DELEGATED, &g_rec,
				   x[1], GRANULE_STATE_RD, &g_rd)) {
		aux_release(rmm, p.aux, num_aux);
		return RMI_ERROR_INPUT;
	}
	ret = rec_create_check(g_rd, &p, num_aux, &index);
	if (ret == RMI_SUCCESS)
		ret = rec_create_commit(rmm, x[2], g_rec, g_rd, &p, index);
	granule_unlock(g_rec);
	granule_unlock(g_rd);
	if (ret != RMI_SUCCESS)
		aux_release(rmm, p.aux, num_aux);
	return ret;
}

/*
 * G(rec, REC) and the REC's RD, both locked in address order. The RD is only
 * known from the REC, so the REC is looked at first, then both are locked and
 * the REC checked again (it may have been destroyed and created again in
 * between). Returns NULL if rec is not a REC; sets *running if it runs.
 */
static struct granule *rec_lock_with_rd(struct rmm *rmm, uint64_t rec_pa,
					struct granule **g_rd, bool *running)
{
	for (;;) {
		struct granule *g_rec = granule_find_lock(rmm, rec_pa,
							  GRANULE_STATE_REC);
		uint64_t rd_pa;

		if (g_rec == NULL)
			return NULL;
		if (g_rec->refcount != 0) {
			*running = true;
			return g_rec;
		}
		rd_pa = g_rec->rec->realm->rd_pa;
		granule_unlock(g_rec);
		if (!granule_find_lock_two(rmm, rec_pa, GRANULE_STATE_REC, &g_rec,
					   rd_pa, GRANULE_STATE_RD, g_rd))
			continue;
		if (g_rec->rec->realm->rd_pa == rd_pa) {
			*running = g_rec->refcount != 0;
			if (*running)
				granule_unlock(*g_rd);
			return g_rec;
		}
		granule_unlock(g_rec);
		granule_unlock(*g_rd);
	}
}

uint64_t rmi_rec_destroy(struct rmm *rmm, const uint64_t x[7],
			 struct rmi_result *res)
{
	struct granule *g_rec, *g_rd = NULL;
	bool running = false;
	struct rec *rec;

	(void)res;
	g_rec = rec_lock_with_rd(rmm, x[1], &g_rd, &running);
	if (g_rec == NULL)
		return RMI_ERROR_INPUT;
	/* spec: a REC inside REC_ENTER cannot be destroyed (8.11). */
	if (running) {
		granule_unlock(g_rec);
		return RMI_ERROR_REC;
	}
	rec = g_rec->rec;
	if (rmm->exec_ops != NULL && rmm->exec_ops->rec_fini != NULL)
		rmm->exec_ops->rec_fini(rmm->exec_ctx, rec);
	aux_release(rmm, rec->aux, rec->num_aux);
	g_rec->rec = NULL;
	g_rec->realm = NULL;
	granule_scrub(rmm, g_rec);
	granule_set_state(g_rec, GRANULE_STATE_DELEGATED);
	g_rd->refcount--;
	granule_unlock(g_rec);
	granule_unlock(g_rd);
	free(rec);
	return RMI_SUCCESS;
}

/* PSCI_COMPLETE failures 4-8, with both RECs locked. */
static uint64_t psci_complete_check(const struct granule *g_calling,
				    const struct rec *calling,
				    const struct rec *target, uint64_t status)
{
	uint32_t fid = calling->psci.fid;

	if (g_calling->refcount != 0)
		return RMI_ERROR_INPUT;
	if (!calling->psci.pending)
		return RMI_ERROR_INPUT;
	if (calling->realm != target->realm)
		return RMI_ERROR_INPUT;
	/* spec: the target must be the REC the realm named in x1 (8.19). */
	if (target->index != rec_vmpidr_index(calling->psci.x1))
		return RMI_ERROR_INPUT;
	if (psci_fid_is_cpu_on(fid) &&
	    status != PSCI_RET_SUCCESS && status != PSCI_RET_DENIED)
		return RMI_ERROR_INPUT;
	if (psci_fid_is_affinity_info(fid) && status != PSCI_RET_SUCCESS)
		return RMI_ERROR_INPUT;
	return RMI_SUCCESS;
}

/* spec: CPU_ON starts the target at the entry point with the context id in
 * x0, EL1h with DAIF masked, MMU off and the caller's endianness (8.19). */
static void psci_cpu_on_target(struct rec *target, struct rec *calling)
{
	rec_regs_sync(calling);
	rec_regs_sync(target);
	target->regs.pc = calling->psci.x2;
	target->regs.gprs[0] = calling->psci.x3;
	target->regs.pstate = REC_PSTATE_EL1H_DAIF;
	target->regs.sctlr_el1 = REC_SCTLR_EL1_RESET |
				 (calling->regs.sctlr_el1 & REC_SCTLR_EL1_EE);
	target->runnable = true;
}

/* The effects table of PSCI_COMPLETE (8.19). Returns the RMI result; the
 * request is completed in every case. */
static uint64_t psci_complete(struct rec *calling, struct granule *g_target,
			      uint64_t status)
{
	struct rec *target = g_target->rec;
	bool target_on = g_target->refcount != 0 || target->runnable;
	uint64_t result, ret = RMI_SUCCESS;

	if (psci_fid_is_cpu_on(calling->psci.fid)) {
		if (target_on) {
			result = PSCI_RET_ALREADY_ON;
			/* spec: DENIED for a target that is on is an input
			 * error, the request is completed anyway. */
			if (status == PSCI_RET_DENIED)
				ret = RMI_ERROR_INPUT;
		} else if (status == PSCI_RET_DENIED) {
			result = PSCI_RET_DENIED;
		} else {
			result = PSCI_RET_SUCCESS;
			psci_cpu_on_target(target, calling);
		}
	} else {
		result = target_on ? PSCI_AFFINITY_ON : PSCI_AFFINITY_OFF;
	}
	calling->regs.gprs[0] = result;
	calling->regs.gprs[1] = 0;
	calling->regs.gprs[2] = 0;
	calling->regs.gprs[3] = 0;
	memset(&calling->psci, 0, sizeof(calling->psci));
	return ret;
}

uint64_t rmi_psci_complete(struct rmm *rmm, const uint64_t x[7],
			   struct rmi_result *res)
{
	struct granule *g_calling, *g_target;
	uint64_t ret;

	(void)res;
	if (!granule_aligned(x[1]) || !granule_aligned(x[2]))
		return RMI_ERROR_INPUT;
	if (!granule_find_lock_two(rmm, x[1], GRANULE_STATE_REC, &g_calling,
				   x[2], GRANULE_STATE_REC, &g_target))
		return RMI_ERROR_INPUT;
	ret = psci_complete_check(g_calling, g_calling->rec, g_target->rec, x[3]);
	if (ret == RMI_SUCCESS)
		ret = psci_complete(g_calling->rec, g_target, x[3]);
	granule_unlock(g_calling);
	granule_unlock(g_target);
	return ret;
}
