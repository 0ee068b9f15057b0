/* SPDX-License-Identifier: BSD-3-Clause */
/* REALM_CREATE, REALM_ACTIVATE, REALM_DESTROY (rmi-1.0.md 6.2, 6.3, 8.7-8.9). */
#include <stdlib.h>
#include <string.h>

#include "executor.h"
#include "granule.h"
#include "instance.h"
#include "log.h"
#include "measure.h"
#include "realm.h"
#include "rmi.h"
#include "s2tt.h"

#define RTT_ROOT_MAX	16

/* The fields of RmiRealmParams at the widths the RMM reads (5.1). */
struct realm_params {
	uint64_t flags;
	uint32_t s2sz, sve_vl, num_bps, num_wps, pmu_num_ctrs;
	uint8_t hash_algo;
	uint16_t vmid;
	uint64_t rtt_base;
	int64_t rtt_level_start;
	uint32_t rtt_num_start;
};

static void params_decode(const struct rmi_realm_params *p, struct realm_params *v)
{
	v->flags = p->flags;
	v->s2sz = (uint32_t)p->s2sz;
	v->sve_vl = (uint32_t)p->sve_vl;
	v->num_bps = (uint32_t)p->num_bps;
	v->num_wps = (uint32_t)p->num_wps;
	v->pmu_num_ctrs = (uint32_t)p->pmu_num_ctrs;
	v->hash_algo = (uint8_t)p->hash_algo;
	v->vmid = (uint16_t)p->vmid;
	v->rtt_base = p->rtt_base;
	v->rtt_level_start = p->rtt_level_start;
	v->rtt_num_start = (uint32_t)p->rtt_num_start;
}

/* Number of root RTTs the geometry needs, 0 if (s2sz, level) is invalid
 * (6.2; no LPA2 is advertised, so the start level is 0..3). */
static unsigned int rtt_root_count(const struct rmm *rmm, unsigned int s2sz,
				   int64_t level)
{
	unsigned int lookups, min, max, bits;

	if (level < 0 || level > 3)
		return 0;
	/* spec: a level-0 start needs a PA width of at least 44 bits. */
	if (level == 0 && RMI_FIELD_GET(rmm->feat0, S2SZ) < 44)
		return 0;
	lookups = 3 - (unsigned int)level;
	min = 9 * lookups + 13;
	max = min + 8 + (level > 0 ? 4 : 0);	/* up to 16 concatenated roots */
	if (s2sz < min || s2sz > max)
		return 0;
	bits = 9 * lookups + 21;
	return s2sz > bits ? 1U << (s2sz - bits) : 1;
}

/* Failures 2-9 of REALM_CREATE: the parameters against FeatureRegister0. */
static bool params_valid(const struct rmm *rmm, const struct realm_params *v)
{
	uint64_t f = rmm->feat0;

	if ((v->flags & RMI_REALM_FLAGS_LPA2) && !RMI_FIELD_GET(f, LPA2))
		return false;
	if (v->s2sz < 32 || v->s2sz > RMI_FIELD_GET(f, S2SZ))
		return false;
	if (v->num_bps == 0 || v->num_bps > RMI_FIELD_GET(f, NUM_BPS) ||
	    v->num_wps == 0 || v->num_wps > RMI_FIELD_GET(f, NUM_WPS))
		return false;
	if ((v->flags & RMI_REALM_FLAGS_SVE) &&
	    (!RMI_FIELD_GET(f, SVE_EN) || v->sve_vl > RMI_FIELD_GET(f, SVE_VL)))
		return false;
	/* No FEAT_HPMN0: a realm PMU needs at least one counter. */
	if ((v->flags & RMI_REALM_FLAGS_PMU) &&
	    (v->pmu_num_ctrs > RMI_FIELD_GET(f, PMU_NUM_CTRS) || v->pmu_num_ctrs == 0))
		return false;
	if (rtt_root_count(rmm, v->s2sz, v->rtt_level_start) == 0)
		return false;
	if (v->rtt_num_start != rtt_root_count(rmm, v->s2sz, v->rtt_level_start))
		return false;
	return v->hash_algo == RMI_HASH_SHA_256 || v->hash_algo == RMI_HASH_SHA_512;
}

static bool vmid_reserve(struct rmm *rmm, uint16_t vmid)
{
	bool ok;

	if (vmid >= RMM_MAX_VMIDS)
		return false;
	pthread_mutex_lock(&rmm->vmid_lock);
	ok = !rmm->vmid_used[vmid];
	rmm->vmid_used[vmid] = 1;
	pthread_mutex_unlock(&rmm->vmid_lock);
	return ok;
}

static void vmid_release(struct rmm *rmm, uint16_t vmid)
{
	pthread_mutex_lock(&rmm->vmid_lock);
	rmm->vmid_used[vmid] = 0;
	pthread_mutex_unlock(&rmm->vmid_lock);
}

static void unlock_all(struct granule **g, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		granule_unlock(g[i]);
}

/*
 * G(pa, DELEGATED) for the RD and every root RTT, locked in address order.
 * rd lies outside the root range (checked before), so it goes either before
 * or after all of them. locked[] receives the granules in locking order.
 */
static bool lock_rd_and_roots(struct rmm *rmm, uint64_t rd, uint64_t rtt_base,
			      unsigned int num, struct granule **g_rd,
			      struct granule **g_roots, struct granule **locked)
{
	unsigned int n = 0;
	bool rd_first = rd < rtt_base;

	if (rd_first) {
		*g_rd = granule_find_lock(rmm, rd, GRANULE_STATE_DELEGATED);
		if (*g_rd == NULL)
			return false;
		locked[n++] = *g_rd;
	}
	for (unsigned int i = 0; i < num; i++) {
		g_roots[i] = granule_find_lock(rmm, rtt_base + i * RMI_GRANULE_SIZE,
					       GRANULE_STATE_DELEGATED);
		if (g_roots[i] == NULL) {
			unlock_all(locked, n);
			return false;
		}
		locked[n++] = g_roots[i];
	}
	if (!rd_first) {
		*g_rd = granule_find_lock(rmm, rd, GRANULE_STATE_DELEGATED);
		if (*g_rd == NULL) {
			unlock_all(locked, n);
			return false;
		}
		locked[n++] = *g_rd;
	}
	return true;
}

/* Root entries (6.3): UNASSIGNED EMPTY in the PAR, UNASSIGNED_NS above it up
 * to 2^s2sz; entries beyond 2^s2sz stay zero. */
static void rtt_roots_init(struct realm *r)
{
	uint64_t size = s2tt_entry_size(r->rtt_level_start);

	for (unsigned int i = 0; i < r->rtt_num_start; i++) {
		uint64_t *table = granule_priv(r->rmm, r->g_rtt_root[i]);

		for (unsigned int j = 0; j < S2TT_ENTRIES; j++) {
			uint64_t ipa = ((uint64_t)i * S2TT_ENTRIES + j) * size;

			if (realm_ipa_in_par(r, ipa))
				table[j] = s2tte_unassigned(RMI_EMPTY);
			else if (realm_ipa_in_range(r, ipa))
				table[j] = s2tte_unassigned_ns();
		}
	}
}

static struct realm *realm_new(struct rmm *rmm, uint64_t rd,
			       const struct rmi_realm_params *p,
			       const struct realm_params *v)
{
	struct realm *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->rmm = rmm;
	r->rd_pa = rd;
	r->state = RMI_REALM_NEW;
	r->flags = v->flags;
	r->s2sz = v->s2sz;
	r->sve_vl = v->sve_vl;
	r->num_bps = v->num_bps;
	r->num_wps = v->num_wps;
	r->pmu_num_ctrs = v->pmu_num_ctrs;
	r->hash_algo = (enum rmi_hash_algo)v->hash_algo;
	memcpy(r->rpv, p->rpv, sizeof(r->rpv));
	r->vmid = v->vmid;
	r->rtt_base = v->rtt_base;
	r->rtt_level_start = (int)v->rtt_level_start;
	r->rtt_num_start = v->rtt_num_start;
	measure_rim_init(r, p);
	return r;
}

static int exec_realm_init(struct rmm *rmm, struct realm *r)
{
	if (rmm->exec_ops == NULL || rmm->exec_ops->realm_init == NULL)
		return 0;
	return rmm->exec_ops->realm_init(rmm->exec_ctx, r);
}

uint64_t rmi_realm_create(struct rmm *rmm, const uint64_t x[7],
			  struct rmi_result *res)
{
	static _Thread_local struct rmi_realm_params p;
	struct granule *g_rd = NULL, *g_roots[RTT_ROOT_MAX], *locked[RTT_ROOT_MAX + 1];
	uint64_t rd = x[1];
	struct realm_params v;
	struct realm *r;

	(void)res;
	if (!ns_read(rmm, x[2], &p, sizeof(p)))
		return RMI_ERROR_INPUT;
	params_decode(&p, &v);
	if (!params_valid(rmm, &v))
		return RMI_ERROR_INPUT;
	if (!vmid_reserve(rmm, v.vmid))
		return RMI_ERROR_INPUT;
	/* spec: the RD must not be one of the root RTTs. */
	if (rd >= v.rtt_base &&
	    rd - v.rtt_base < (uint64_t)v.rtt_num_start * RMI_GRANULE_SIZE)
		goto fail_vmid;
	if (!lock_rd_and_roots(rmm, rd, v.rtt_base, v.rtt_num_start, &g_rd,
			       g_roots, locked))
		goto fail_vmid;
	r = realm_new(rmm, rd, &p, &v);
	if (r == NULL || exec_realm_init(rmm, r) != 0) {
		rmm_log(RMM_LOG_ERROR, "REALM_CREATE: cannot set up realm 0x%llx",
			(unsigned long long)rd);
		free(r);
		unlock_all(locked, v.rtt_num_start + 1);
		goto fail_vmid;
	}
	r->g_rd = g_rd;
	for (unsigned int i = 0; i < v.rtt_num_start; i++) {
		r->g_rtt_root[i] = g_roots[i];
		g_roots[i]->realm = r;
		g_roots[i]->refcount = 0;
		granule_set_state(g_roots[i], GRANULE_STATE_RTT);
	}
	rtt_roots_init(r);
	g_rd->realm = r;
	g_rd->refcount = 0;
	granule_set_state(g_rd, GRANULE_STATE_RD);
	unlock_all(locked, v.rtt_num_start + 1);
	return RMI_SUCCESS;

fail_vmid:
	vmid_release(rmm, v.vmid);
	return RMI_ERROR_INPUT;
}

struct realm *realm_from_rd(struct granule *g_rd)
{
	return g_rd->realm;
}

void realm_s2_changed(struct realm *r)
{
	const struct rmm_executor_ops *ops = r->rmm->exec_ops;

	__atomic_add_fetch(&r->s2_gen, 1, __ATOMIC_RELEASE);
	if (ops != NULL && ops->s2_changed != NULL)
		ops->s2_changed(r->rmm->exec_ctx, r);
}

static uint64_t realm_activate(struct rmm *rmm, struct realm *r,
			       const uint64_t x[7], struct rmi_result *res)
{
	(void)rmm;
	(void)x;
	(void)res;
	if (r->state != RMI_REALM_NEW)
		return RMI_ERROR_REALM;
	r->state = RMI_REALM_ACTIVE;
	return RMI_SUCCESS;
}

uint64_t rmi_realm_activate(struct rmm *rmm, const uint64_t x[7],
			    struct rmi_result *res)
{
	return rmi_with_rd(rmm, x, res, realm_activate);
}

static uint64_t realm_destroy(struct rmm *rmm, struct realm *r,
			      const uint64_t x[7], struct rmi_result *res)
{
	struct granule *g_rd = r->g_rd;
	uint32_t root_refs = 0;

	(void)x;
	(void)res;
	/* spec: no REC may exist, and no child RTT or ASSIGNED entry at the root. */
	for (unsigned int i = 0; i < r->rtt_num_start; i++)
		root_refs += r->g_rtt_root[i]->refcount;
	if (g_rd->refcount != 0 || root_refs != 0)
		return RMI_ERROR_REALM;
	if (rmm->exec_ops != NULL && rmm->exec_ops->realm_fini != NULL)
		rmm->exec_ops->realm_fini(rmm->exec_ctx, r);
	for (unsigned int i = 0; i < r->rtt_num_start; i++) {
		struct granule *g = r->g_rtt_root[i];

		granule_scrub(rmm, g);
		g->realm = NULL;
		granule_set_state(g, GRANULE_STATE_DELEGATED);
	}
	vmid_release(rmm, r->vmid);
	g_rd->realm = NULL;
	granule_scrub(rmm, g_rd);
	granule_set_state(g_rd, GRANULE_STATE_DELEGATED);
	free(r);
	return RMI_SUCCESS;
}

uint64_t rmi_realm_destroy(struct rmm *rmm, const uint64_t x[7],
			   struct rmi_result *res)
{
	return rmi_with_rd(rmm, x, res, realm_destroy);
}
