/* SPDX-License-Identifier: BSD-3-Clause */
/* Creation and teardown of an RMM instance. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "executor.h"
#include "granule.h"
#include "instance.h"
#include "measure.h"
#include "realm.h"
#include "rec.h"

void rmm_config_default(struct rmm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->s2sz = 48;
	cfg->num_bps = 1;
	cfg->num_wps = 1;
	cfg->pmu_num_ctrs = 31;
	cfg->gicv3_num_lrs = 15;
}

static uint64_t feature_register0(const struct rmm_config *cfg)
{
	return RMI_FIELD_PREP(S2SZ, cfg->s2sz) |
	       RMI_FIELD_PREP(LPA2, 0) |
	       RMI_FIELD_PREP(SVE_EN, cfg->sve) |
	       RMI_FIELD_PREP(SVE_VL, cfg->sve ? cfg->sve_vl : 0) |
	       RMI_FIELD_PREP(NUM_BPS, cfg->num_bps) |
	       RMI_FIELD_PREP(NUM_WPS, cfg->num_wps) |
	       RMI_FIELD_PREP(PMU_EN, 1) |
	       RMI_FIELD_PREP(PMU_NUM_CTRS, cfg->pmu_num_ctrs) |
	       RMI_FIELD_PREP(HASH_SHA_256, 1) |
	       RMI_FIELD_PREP(HASH_SHA_512, 1) |
	       RMI_FIELD_PREP(GICV3_NUM_LRS, cfg->gicv3_num_lrs) |
	       RMI_FIELD_PREP(MAX_RECS_ORDER, 10);
}

struct rmm *rmm_new(const struct rmm_config *cfg)
{
	struct rmm *rmm = calloc(1, sizeof(*rmm));

	if (rmm == NULL)
		return NULL;
	if (cfg != NULL)
		rmm->cfg = *cfg;
	else
		rmm_config_default(&rmm->cfg);
	if (rmm->cfg.s2sz < 32 || rmm->cfg.s2sz > 48 ||
	    rmm->cfg.gicv3_num_lrs >= RMI_REC_GIC_LRS_MAX ||
	    rmm->cfg.num_bps == 0 || rmm->cfg.num_bps > 63 ||
	    rmm->cfg.num_wps == 0 || rmm->cfg.num_wps > 63 ||
	    rmm->cfg.pmu_num_ctrs > 31 || rmm->cfg.sve_vl > 15) {
		free(rmm);
		errno = EINVAL;
		return NULL;
	}
	rmm->feat0 = feature_register0(&rmm->cfg);
	pthread_mutex_init(&rmm->vmid_lock, NULL);
	if (region_table_init(rmm) != 0) {
		pthread_mutex_destroy(&rmm->vmid_lock);
		free(rmm);
		errno = ENOMEM;
		return NULL;
	}
	return rmm;
}

uint64_t rmm_feature_register0(const struct rmm *rmm)
{
	return rmm->feat0;
}

void rmm_set_executor(struct rmm *rmm, const struct rmm_executor_ops *ops,
		      void *ctx)
{
	rmm->exec_ops = ops;
	rmm->exec_ctx = ctx;
}

/* spec: the SErrors the RMM reports (rmi-1.0.md 9.3): asynchronous (DFSC
 * 0x11, IDS 0), AET CE or UEO, or UEU or UER (also injected into the realm:
 * rec_serror_injected); EA and IESB free. */
#define SERROR_EC		0x2FULL
#define SERROR_DFSC_ASYNC	0x11ULL
#define SERROR_FREE_BITS	(1ULL << 13 | 1ULL << 9)	/* IESB, EA */

_Static_assert(REC_PHYS_IRQ == 1U << RMM_PHYS_IRQ && REC_PHYS_FIQ == 1U << RMM_PHYS_FIQ &&
	       REC_PHYS_SERROR == 1U << RMM_PHYS_SERROR, "rec.phys_pending bits");

static bool serror_reportable(const struct rmm *rmm, uint64_t esr)
{
	uint64_t ec = esr >> ESR_EC_SHIFT;
	uint64_t iss = esr & ~(ESR_EC_MASK | ESR_IL);
	unsigned int aet = ESR_SERROR_AET(iss);

	if (ec != 0 && ec != SERROR_EC)
		return false;
	if (aet != ESR_SERROR_AET_UEO && aet != ESR_SERROR_AET_CE &&
	    !(rec_serror_injected(iss) && rmm->exec_ops != NULL &&
	      rmm->exec_ops->inject_serror != NULL))
		return false;
	return (iss & ~(SERROR_FREE_BITS | 7ULL << 10)) == SERROR_DFSC_ASYNC;
}

/* The REC lock keeps the REC in place while the executor is asked: a running
 * REC cannot be destroyed, and its thread takes the lock only after the run
 * ends (rmi_run.c), so raising an event never waits for the realm. */
int rmm_rec_raise(struct rmm *rmm, uint64_t rec_pa, enum rmm_phys_event event,
		  uint64_t esr)
{
	struct granule *g;
	int running;

	if ((unsigned int)event > RMM_PHYS_SERROR ||
	    (event == RMM_PHYS_SERROR ? !serror_reportable(rmm, esr) : esr != 0))
		return -EINVAL;
	g = granule_find_lock(rmm, rec_pa, GRANULE_STATE_REC);
	if (g == NULL)
		return -ENOENT;
	running = g->refcount != 0;
	/* The core's own RSI handlers see the pending event too (rsi-1.0.md
	 * 6.2). */
	if (running) {
		if (event == RMM_PHYS_SERROR)
			__atomic_store_n(&g->rec->phys_serror_esr, esr, __ATOMIC_SEQ_CST);
		__atomic_or_fetch(&g->rec->phys_pending, 1U << event, __ATOMIC_SEQ_CST);
	}
	if (running && rmm->exec_ops != NULL && rmm->exec_ops->kick != NULL)
		rmm->exec_ops->kick(rmm->exec_ctx, g->rec);
	granule_unlock(g);
	return running;
}

int rmm_rec_kick(struct rmm *rmm, uint64_t rec_pa)
{
	return rmm_rec_raise(rmm, rec_pa, RMM_PHYS_IRQ, 0);
}

int rmm_realm_measurement(struct rmm *rmm, uint64_t rd, unsigned int index,
			  uint8_t out[64], size_t *size)
{
	struct granule *g;

	if (index >= REALM_MEASUREMENTS)
		return -EINVAL;
	g = granule_find_lock(rmm, rd, GRANULE_STATE_RD);
	if (g == NULL)
		return -ENOENT;
	memcpy(out, g->realm->measurements[index], REALM_MEASUREMENT_SIZE);
	*size = measure_digest_size(g->realm->hash_algo);
	granule_unlock(g);
	return 0;
}

/* Teardown, in two passes: RECs first (they point at their realm), then
 * realms; then every granule that is not NS is scrubbed and given back. */
static void free_recs(struct rmm *rmm, struct granule *g, void *arg)
{
	(void)arg;
	if (g->state != GRANULE_STATE_REC || g->rec == NULL)
		return;
	if (rmm->exec_ops != NULL && rmm->exec_ops->rec_fini != NULL)
		rmm->exec_ops->rec_fini(rmm->exec_ctx, g->rec);
	free(g->rec);
	g->rec = NULL;
}

static void free_realms(struct rmm *rmm, struct granule *g, void *arg)
{
	struct realm *r = g->realm;

	(void)arg;
	if (g->state != GRANULE_STATE_RD || r == NULL)
		return;
	if (rmm->exec_ops != NULL && rmm->exec_ops->realm_fini != NULL)
		rmm->exec_ops->realm_fini(rmm->exec_ctx, r);
	free(r);
}

static void scrub_granule(struct rmm *rmm, struct granule *g, void *arg)
{
	(void)arg;
	if (g->state != GRANULE_STATE_NS) {
		granule_priv_release(rmm, g);
		granule_scrub_ns(rmm, g);
	}
	g->state = GRANULE_STATE_NS;
	g->realm = NULL;
	g->rec = NULL;
	g->refcount = 0;
}

void rmm_free(struct rmm *rmm)
{
	if (rmm == NULL)
		return;
	granule_for_each(rmm, free_recs, NULL);
	granule_for_each(rmm, free_realms, NULL);
	granule_for_each(rmm, scrub_granule, NULL);
	region_table_fini(rmm);
	pthread_mutex_destroy(&rmm->vmid_lock);
	attest_ctx_free(rmm->attest);
	free(rmm);
}
