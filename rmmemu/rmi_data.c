/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DATA_CREATE, DATA_CREATE_UNKNOWN and DATA_DESTROY (rmi-1.0.md 8.4-8.6,
 * measurement.md 3.1). DATA granules live in level-3 entries only; they are
 * changed under the RD lock, which guards the realm's RTTs (granule.h).
 */
#include "granule.h"
#include "measure.h"
#include "realm.h"
#include "rmi.h"
#include "s2tt.h"

#define RTT_ERROR(level)	RMI_RETURN(RMI_ERROR_RTT, (unsigned int)(level))
/* spec: without LPA2 a data granule address has at most 48 bits. */
#define PA_LIMIT_NO_LPA2	(1ULL << 48)

/*
 * The checks DATA_CREATE and DATA_CREATE_UNKNOWN share, in the reference's
 * order (8.4 steps 5-9, 8.5 steps 2-6). On success w holds the level-3
 * UNASSIGNED entry of ipa.
 */
static uint64_t data_map_check(struct realm *r, uint64_t data, uint64_t ipa,
			       struct rtt_walk *w)
{
	if (!realm_ipa_in_par(r, ipa))
		return RMI_ERROR_INPUT;
	if (!s2tt_aligned(ipa, S2TT_MAX_LEVEL) || !realm_ipa_in_range(r, ipa))
		return RMI_ERROR_INPUT;
	if (!(r->flags & RMI_REALM_FLAGS_LPA2) && data >= PA_LIMIT_NO_LPA2)
		return RMI_ERROR_INPUT;
	rtt_walk(r, ipa, S2TT_MAX_LEVEL, w);
	if (w->level < S2TT_MAX_LEVEL)
		return RTT_ERROR(w->level);
	/* spec: any RIPAS will do, the granule must not be mapped. */
	if (s2tte_hipas(w->table[w->index], S2TT_MAX_LEVEL) != HIPAS_UNASSIGNED)
		return RTT_ERROR(S2TT_MAX_LEVEL);
	return RMI_SUCCESS;
}

/* The entry becomes ASSIGNED with ripas, counted in its RTT (6.3); the
 * granule, locked since it was found DELEGATED, becomes the realm's DATA. */
static void data_map(struct realm *r, struct granule *g_data, uint64_t data,
		     const struct rtt_walk *w, enum rmi_ripas ripas)
{
	w->table[w->index] = s2tte_assigned(data, S2TT_MAX_LEVEL, ripas);
	w->g_rtt->refcount++;
	g_data->realm = r;
	granule_set_state(g_data, GRANULE_STATE_DATA);
	realm_s2_changed(r);
}

static uint64_t data_create(struct rmm *rmm, struct realm *r,
			    struct granule *g_data, const uint64_t x[7])
{
	uint64_t data = x[2], ipa = x[3], src = x[4], flags = x[5];
	const void *host_src;
	struct rtt_walk w;
	uint64_t ret;

	if (r->state != RMI_REALM_NEW)
		return RMI_ERROR_REALM;
	ret = data_map_check(r, data, ipa, &w);
	if (ret != RMI_SUCCESS)
		return ret;
	/* The source may have been delegated since it was checked: the data
	 * granule stays zero, as every DELEGATED granule is. */
	host_src = ns_granule(rmm, src);
	if (host_src == NULL)
		return RMI_ERROR_INPUT;
	measure_copy_data(r, ipa, flags, granule_priv(rmm, g_data), host_src);
	/* spec: DATA_CREATE maps RAM whatever the previous RIPAS (8.4). */
	data_map(r, g_data, data, &w, RMI_RAM);
	return RMI_SUCCESS;
}

uint64_t rmi_data_create(struct rmm *rmm, const uint64_t x[7],
			 struct rmi_result *res)
{
	struct granule *g_rd, *g_data;
	uint8_t probe;
	uint64_t ret;

	(void)res;
	if (x[5] != RMI_NO_MEASURE_CONTENT && x[5] != RMI_MEASURE_CONTENT)
		return RMI_ERROR_INPUT;
	/* NS(src), state only: nothing is read yet (8.4 step 2). */
	if (!ns_read(rmm, x[4], &probe, 0))
		return RMI_ERROR_INPUT;
	if (!granule_find_lock_two(rmm, x[2], GRANULE_STATE_DELEGATED, &g_data,
				   x[1], GRANULE_STATE_RD, &g_rd))
		return RMI_ERROR_INPUT;
	ret = data_create(rmm, realm_from_rd(g_rd), g_data, x);
	granule_unlock(g_data);
	granule_unlock(g_rd);
	return ret;
}

uint64_t rmi_data_create_unknown(struct rmm *rmm, const uint64_t x[7],
				 struct rmi_result *res)
{
	struct granule *g_rd, *g_data;
	struct rtt_walk w;
	struct realm *r;
	uint64_t ret;

	(void)res;
	if (!granule_find_lock_two(rmm, x[2], GRANULE_STATE_DELEGATED, &g_data,
				   x[1], GRANULE_STATE_RD, &g_rd))
		return RMI_ERROR_INPUT;
	r = realm_from_rd(g_rd);
	/* No realm-state check: valid in every state (8.5). */
	ret = data_map_check(r, x[2], x[3], &w);
	if (ret == RMI_SUCCESS) {
		/* spec: the RIPAS stays what it was; the RIM does not change. */
		data_map(r, g_data, x[2], &w,
			 s2tte_ripas(w.table[w.index], S2TT_MAX_LEVEL));
	}
	granule_unlock(g_data);
	granule_unlock(g_rd);
	return ret;
}

static uint64_t data_destroy(struct rmm *rmm, struct realm *r,
			     const uint64_t x[7], struct rmi_result *res)
{
	uint64_t ipa = x[2];
	struct granule *g_data;
	struct rtt_walk w;
	enum rmi_ripas ripas;
	uint64_t e;

	if (!realm_ipa_in_par(r, ipa) || !s2tt_aligned(ipa, S2TT_MAX_LEVEL) ||
	    !realm_ipa_in_range(r, ipa))
		return RMI_ERROR_INPUT;
	rtt_walk(r, ipa, S2TT_MAX_LEVEL, &w);
	e = w.table[w.index];
	if (w.level < S2TT_MAX_LEVEL ||
	    s2tte_hipas(e, S2TT_MAX_LEVEL) != HIPAS_ASSIGNED) {
		res->x[2] = rtt_skip_non_live(&w, ipa);
		return RTT_ERROR(w.level);
	}
	/* spec: the realm may have used RAM contents, so the IPA becomes
	 * DESTROYED; an EMPTY page was never usable and stays EMPTY (8.6). */
	ripas = s2tte_ripas(e, S2TT_MAX_LEVEL);
	w.table[w.index] = s2tte_unassigned(ripas == RMI_EMPTY ? RMI_EMPTY :
							       RMI_DESTROYED);
	w.g_rtt->refcount--;
	res->x[1] = s2tte_pa(e, S2TT_MAX_LEVEL);
	/* The executor unmaps the page before its contents go. */
	realm_s2_changed(r);
	g_data = granule_find(rmm, res->x[1]);
	granule_scrub(rmm, g_data);
	g_data->realm = NULL;
	granule_set_state(g_data, GRANULE_STATE_DELEGATED);
	res->x[2] = rtt_skip_non_live(&w, ipa);
	return RMI_SUCCESS;
}

uint64_t rmi_data_destroy(struct rmm *rmm, const uint64_t x[7],
			  struct rmi_result *res)
{
	/* No realm-state check (8.6). */
	return rmi_with_rd(rmm, x, res, data_destroy);
}
