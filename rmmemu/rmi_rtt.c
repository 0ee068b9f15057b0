/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTT commands (rmi-1.0.md 6, 8.14-8.18, 8.21-8.23): RTT_CREATE, RTT_DESTROY,
 * RTT_FOLD, RTT_READ_ENTRY, RTT_MAP_UNPROTECTED, RTT_UNMAP_UNPROTECTED,
 * RTT_INIT_RIPAS and RTT_SET_RIPAS.
 *
 * Every command holds the RD granule lock from its first realm access to the
 * end: it guards all the realm's RTTs, so walks take no further locks. RTT
 * granules change state under it (granule.h).
 */
#include "granule.h"
#include "measure.h"
#include "realm.h"
#include "rec.h"
#include "rmi.h"
#include "s2tt.h"

#define RTT_ERROR(level)	RMI_RETURN(RMI_ERROR_RTT, (unsigned int)(level))
/* spec: without LPA2 an RTT address has at most 48 bits (rmi-1.0.md 8.14). */
#define PA_LIMIT_NO_LPA2	(1ULL << 48)

/* Levels of RTT_MAP/UNMAP_UNPROTECTED: blocks and pages (rmi-1.0.md 6.1). */
#define MAP_LEVEL_MIN		1

/*
 * Structure commands (RTT_CREATE, RTT_DESTROY, RTT_FOLD) name the level of
 * the child RTT: rtt_level_start + 1 .. 3, with ipa in range and aligned to
 * the parent entry (rmi-1.0.md 6.1).
 */
static bool structure_args_valid(const struct realm *r, uint64_t ipa,
				 uint64_t level)
{
	int64_t l = (int64_t)level;

	if (l < r->rtt_level_start + 1 || l > S2TT_MAX_LEVEL)
		return false;
	return realm_ipa_in_range(r, ipa) && s2tt_aligned(ipa, (int)l - 1);
}

/* RTT_READ_ENTRY: any level from the root, ipa aligned to it (8.17). */
static bool entry_args_valid(const struct realm *r, uint64_t ipa,
			     uint64_t level)
{
	int64_t l = (int64_t)level;

	if (l < r->rtt_level_start || l > S2TT_MAX_LEVEL)
		return false;
	return realm_ipa_in_range(r, ipa) && s2tt_aligned(ipa, (int)l);
}

static bool map_level_valid(uint64_t level)
{
	return (int64_t)level >= MAP_LEVEL_MIN && (int64_t)level <= S2TT_MAX_LEVEL;
}

/* An RTT leaves the realm: scrubbed, then DELEGATED (granule.h). */
static void rtt_release(struct rmm *rmm, struct granule *g)
{
	granule_scrub(rmm, g);
	g->realm = NULL;
	g->refcount = 0;
	granule_set_state(g, GRANULE_STATE_DELEGATED);
}

/* The granule of the child RTT a TABLE entry at level points to. */
static struct granule *rtt_child(struct rmm *rmm, uint64_t e, int level)
{
	return granule_find(rmm, s2tte_pa(e, level));
}

/* ------------------------------------------------------------------------ */
/* RTT_CREATE (rmi-1.0.md 8.14) */

static uint64_t rtt_create(struct rmm *rmm, struct realm *r,
			   struct granule *g_rtt, uint64_t rtt, uint64_t ipa,
			   uint64_t ulevel)
{
	struct rtt_walk w;
	uint64_t parent;
	int level;

	if (!structure_args_valid(r, ipa, ulevel))
		return RMI_ERROR_INPUT;
	level = (int)ulevel;
	if (!(r->flags & RMI_REALM_FLAGS_LPA2) && rtt >= PA_LIMIT_NO_LPA2)
		return RMI_ERROR_INPUT;
	rtt_walk(r, ipa, level - 1, &w);
	if (w.level < level - 1)
		return RTT_ERROR(w.level);
	parent = w.table[w.index];
	if (s2tte_hipas(parent, w.level) == HIPAS_TABLE)
		return RTT_ERROR(level - 1);

	s2tt_init_from_parent(granule_priv(rmm, g_rtt), parent, level);
	/*
	 * spec (6.3): an unfolded ASSIGNED block is 512 ASSIGNED entries, each
	 * counted in the new RTT, while the parent keeps its one count (the
	 * block's, now the table's). Any other parent entry gains a table.
	 */
	if (s2tte_hipas(parent, w.level) == HIPAS_ASSIGNED) {
		g_rtt->refcount = S2TT_ENTRIES;
	} else {
		g_rtt->refcount = 0;
		w.g_rtt->refcount++;
	}
	g_rtt->realm = r;
	w.table[w.index] = s2tte_table(rtt);
	granule_set_state(g_rtt, GRANULE_STATE_RTT);
	return RMI_SUCCESS;
}

uint64_t rmi_rtt_create(struct rmm *rmm, const uint64_t x[7],
			struct rmi_result *res)
{
	struct granule *g_rd, *g_rtt;
	uint64_t ret;

	(void)res;
	if (!granule_find_lock_two(rmm, x[2], GRANULE_STATE_DELEGATED, &g_rtt,
				   x[1], GRANULE_STATE_RD, &g_rd))
		return RMI_ERROR_INPUT;
	ret = rtt_create(rmm, realm_from_rd(g_rd), g_rtt, x[2], x[3], x[4]);
	granule_unlock(g_rtt);
	granule_unlock(g_rd);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* RTT_DESTROY (rmi-1.0.md 8.15) */

static uint64_t rtt_destroy(struct rmm *rmm, struct realm *r,
			    const uint64_t x[7], struct rmi_result *res)
{
	uint64_t ipa = x[2], ulevel = x[3];
	struct granule *g_child;
	struct rtt_walk w;
	uint64_t parent;
	int level;

	if (!structure_args_valid(r, ipa, ulevel))
		return RMI_ERROR_INPUT;
	level = (int)ulevel;
	rtt_walk(r, ipa, level - 1, &w);
	parent = w.table[w.index];
	/* spec: a walk stopping early and a non-TABLE parent entry both report
	 * the level the walk reached, with top from the entry there. */
	if (w.level < level - 1 || s2tte_hipas(parent, w.level) != HIPAS_TABLE) {
		res->x[2] = rtt_skip_non_live(&w, ipa);
		return RTT_ERROR(w.level);
	}
	g_child = rtt_child(rmm, parent, w.level);
	/* spec: a live RTT (ASSIGNED or TABLE entries, i.e. refcount != 0)
	 * stays; ASSIGNED_NS entries do not count and are discarded. */
	if (g_child->refcount != 0) {
		res->x[2] = ipa;
		return RTT_ERROR(level);
	}
	w.table[w.index] = realm_ipa_in_par(r, ipa) ?
			   s2tte_unassigned(RMI_DESTROYED) : s2tte_unassigned_ns();
	w.g_rtt->refcount--;
	/* ASSIGNED_NS entries of the child are gone with it. */
	realm_s2_changed(r);
	res->x[1] = s2tte_pa(parent, w.level);
	rtt_release(rmm, g_child);
	res->x[2] = rtt_skip_non_live(&w, ipa);
	return RMI_SUCCESS;
}

uint64_t rmi_rtt_destroy(struct rmm *rmm, const uint64_t x[7],
			 struct rmi_result *res)
{
	return rmi_with_rd(rmm, x, res, rtt_destroy);
}

/* ------------------------------------------------------------------------ */
/* RTT_FOLD (rmi-1.0.md 6.4, 8.21) */

/*
 * Whether a child RTT at level whose entries fold into one of kind (or
 * HIPAS_TABLE: they do not) may be folded, given its refcount. Blocks
 * (ASSIGNED, ASSIGNED_NS) exist only from level 1, so a level-1 child cannot
 * become one.
 */
static uint64_t fold_allowed(uint32_t refcount, int level,
			     enum s2tte_hipas kind)
{
	if (refcount == 0) {
		if (kind == HIPAS_UNASSIGNED || kind == HIPAS_UNASSIGNED_NS)
			return RMI_SUCCESS;
		if (kind == HIPAS_ASSIGNED_NS)
			return level <= 1 ? RTT_ERROR(level - 1) : RMI_SUCCESS;
		return RTT_ERROR(level);
	}
	if (refcount == S2TT_ENTRIES) {
		if (level <= 1)
			return RTT_ERROR(level - 1);
		return kind == HIPAS_ASSIGNED ? RMI_SUCCESS : RTT_ERROR(level);
	}
	return RTT_ERROR(level);
}

static uint64_t rtt_fold(struct rmm *rmm, struct realm *r,
			 const uint64_t x[7], struct rmi_result *res)
{
	uint64_t ipa = x[2], ulevel = x[3];
	enum s2tte_hipas kind;
	struct granule *g_child;
	uint64_t parent, folded = 0, ret;
	struct rtt_walk w;
	int level;

	if (!structure_args_valid(r, ipa, ulevel))
		return RMI_ERROR_INPUT;
	level = (int)ulevel;
	rtt_walk(r, ipa, level - 1, &w);
	if (w.level < level - 1)
		return RTT_ERROR(w.level);
	parent = w.table[w.index];
	if (s2tte_hipas(parent, w.level) != HIPAS_TABLE)
		return RTT_ERROR(level - 1);
	g_child = rtt_child(rmm, parent, w.level);
	kind = s2tt_fold_entry(granule_priv(rmm, g_child), level, &folded);
	ret = fold_allowed(g_child->refcount, level, kind);
	if (ret != RMI_SUCCESS)
		return ret;
	w.table[w.index] = folded;
	/* spec: the parent loses the table's count, unless the table becomes
	 * an ASSIGNED block, which is counted instead (6.3). */
	if (kind != HIPAS_ASSIGNED)
		w.g_rtt->refcount--;
	res->x[1] = s2tte_pa(parent, w.level);
	rtt_release(rmm, g_child);
	return RMI_SUCCESS;
}

uint64_t rmi_rtt_fold(struct rmm *rmm, const uint64_t x[7],
		      struct rmi_result *res)
{
	return rmi_with_rd(rmm, x, res, rtt_fold);
}

/* ------------------------------------------------------------------------ */
/* RTT_READ_ENTRY (rmi-1.0.md 3.3, 8.17) */

/* x2 state, x3 descriptor, x4 RIPAS of an entry, per the table of 3.3. */
static void read_entry_outputs(uint64_t e, int level, struct rmi_result *res)
{
	enum rmi_ripas ripas = s2tte_ripas(e, level);

	res->x[2] = RMI_UNASSIGNED;
	res->x[3] = 0;
	res->x[4] = RMI_EMPTY;
	switch (s2tte_hipas(e, level)) {
	case HIPAS_UNASSIGNED:
		res->x[4] = ripas;
		break;
	case HIPAS_ASSIGNED:
		res->x[2] = RMI_ASSIGNED;
		/* spec: a DESTROYED granule's address is not reported. */
		res->x[3] = ripas == RMI_DESTROYED ? 0 : s2tte_pa(e, level);
		res->x[4] = ripas;
		break;
	case HIPAS_ASSIGNED_NS:
		res->x[2] = RMI_ASSIGNED;
		res->x[3] = s2tte_ns_host_bits(e, level);
		break;
	case HIPAS_TABLE:
		res->x[2] = RMI_TABLE;
		res->x[3] = s2tte_pa(e, level);
		break;
	case HIPAS_UNASSIGNED_NS:
		break;
	}
}

static uint64_t rtt_read_entry(struct rmm *rmm, struct realm *r,
			       const uint64_t x[7], struct rmi_result *res)
{
	struct rtt_walk w;

	(void)rmm;
	/* On failure x4 keeps the caller's value (rmi-1.0.md 8.17). */
	if (!entry_args_valid(r, x[2], x[3]))
		return RMI_ERROR_INPUT;
	rtt_walk(r, x[2], (int)x[3], &w);
	res->x[1] = (uint64_t)(int64_t)w.level;
	read_entry_outputs(w.table[w.index], w.level, res);
	return RMI_SUCCESS;
}

uint64_t rmi_rtt_read_entry(struct rmm *rmm, const uint64_t x[7],
			    struct rmi_result *res)
{
	return rmi_with_rd(rmm, x, res, rtt_read_entry);
}

/* ------------------------------------------------------------------------ */
/* RTT_MAP_UNPROTECTED, RTT_UNMAP_UNPROTECTED (rmi-1.0.md 5.5, 8.16, 8.18) */

/* ipa in range, aligned to level, and unprotected. */
static uint64_t unprotected_ipa_check(const struct realm *r, uint64_t ipa,
				      int level)
{
	if (!realm_ipa_in_range(r, ipa) || !s2tt_aligned(ipa, level))
		return RMI_ERROR_INPUT;
	if (realm_ipa_in_par(r, ipa))
		return RMI_ERROR_INPUT;
	return RMI_SUCCESS;
}

static uint64_t rtt_map_unprotected(struct realm *r, uint64_t ipa, int level,
				    uint64_t desc)
{
	struct rtt_walk w;
	uint64_t ret;

	if (!s2tte_host_ns_desc_valid(desc, level))
		return RMI_ERROR_INPUT;
	ret = unprotected_ipa_check(r, ipa, level);
	if (ret != RMI_SUCCESS)
		return ret;
	rtt_walk(r, ipa, level, &w);
	/* Also catches a level above a realm's root (level-2 roots). */
	if (w.level != level)
		return RTT_ERROR(w.level);
	if (s2tte_hipas(w.table[w.index], level) != HIPAS_UNASSIGNED_NS)
		return RTT_ERROR(level);
	/* spec: ASSIGNED_NS entries are not counted in the refcount (6.3). */
	w.table[w.index] = s2tte_assigned_ns(desc, level);
	realm_s2_changed(r);
	return RMI_SUCCESS;
}

uint64_t rmi_rtt_map_unprotected(struct rmm *rmm, const uint64_t x[7],
				 struct rmi_result *res)
{
	struct granule *g_rd;
	uint64_t ret;

	(void)res;
	if (!map_level_valid(x[3]))
		return RMI_ERROR_INPUT;
	g_rd = granule_find_lock(rmm, x[1], GRANULE_STATE_RD);
	if (g_rd == NULL)
		return RMI_ERROR_INPUT;
	ret = rtt_map_unprotected(realm_from_rd(g_rd), x[2], (int)x[3], x[4]);
	granule_unlock(g_rd);
	return ret;
}

static uint64_t rtt_unmap_unprotected(struct realm *r, uint64_t ipa, int level,
				      struct rmi_result *res)
{
	struct rtt_walk w;
	uint64_t ret;

	ret = unprotected_ipa_check(r, ipa, level);
	if (ret != RMI_SUCCESS)
		return ret;
	rtt_walk(r, ipa, level, &w);
	if (w.level != level ||
	    s2tte_hipas(w.table[w.index], level) != HIPAS_ASSIGNED_NS) {
		res->x[1] = rtt_skip_non_live(&w, ipa);
		return RTT_ERROR(w.level);
	}
	w.table[w.index] = s2tte_unassigned_ns();
	realm_s2_changed(r);
	res->x[1] = rtt_skip_non_live(&w, ipa);
	return RMI_SUCCESS;
}

uint64_t rmi_rtt_unmap_unprotected(struct rmm *rmm, const uint64_t x[7],
				   struct rmi_result *res)
{
	struct granule *g_rd;
	uint64_t ret;

	if (!map_level_valid(x[3]))
		return RMI_ERROR_INPUT;
	g_rd = granule_find_lock(rmm, x[1], GRANULE_STATE_RD);
	if (g_rd == NULL)
		return RMI_ERROR_INPUT;
	ret = rtt_unmap_unprotected(realm_from_rd(g_rd), x[2], (int)x[3], res);
	granule_unlock(g_rd);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* RTT_INIT_RIPAS (rmi-1.0.md 8.22, measurement.md 3.3) */

static bool init_ripas_range_valid(const struct realm *r, uint64_t base,
				   uint64_t top)
{
	if (!s2tt_aligned(base, S2TT_MAX_LEVEL) || !s2tt_aligned(top, S2TT_MAX_LEVEL))
		return false;
	if (!realm_ipa_in_range(r, base) || !realm_ipa_in_range(r, top))
		return false;
	return realm_ipa_in_par(r, base) &&
	       realm_ipa_in_par(r, top - RMI_GRANULE_SIZE);
}

/*
 * Entries of the one RTT the walk reached, from base while they fit below
 * top: UNASSIGNED EMPTY or RAM become RAM and each extends the RIM with its
 * own range; anything else ends the range. Returns the first address not
 * processed.
 */
static uint64_t init_ripas_entries(struct realm *r, const struct rtt_walk *w,
				   uint64_t base, uint64_t top)
{
	uint64_t size = s2tt_entry_size(w->level), addr = base;

	for (unsigned int i = w->index; i < S2TT_ENTRIES && addr + size <= top;
	     i++, addr += size) {
		uint64_t e = w->table[i];

		if (s2tte_hipas(e, w->level) != HIPAS_UNASSIGNED ||
		    s2tte_ripas(e, w->level) == RMI_DESTROYED)
			break;
		w->table[i] = s2tte_unassigned(RMI_RAM);
		measure_extend_ripas(r, addr, addr + size);
	}
	return addr;
}

static uint64_t rtt_init_ripas(struct realm *r, uint64_t base, uint64_t top,
			       struct rmi_result *res)
{
	struct rtt_walk w;
	uint64_t next;

	if (!init_ripas_range_valid(r, base, top))
		return RMI_ERROR_INPUT;
	if (r->state != RMI_REALM_NEW)
		return RMI_ERROR_REALM;
	rtt_walk(r, base, S2TT_MAX_LEVEL, &w);
	if (!s2tt_aligned(base, w.level))
		return RTT_ERROR(w.level);
	next = init_ripas_entries(r, &w, base, top);
	if (next == base)
		return RTT_ERROR(w.level);
	res->x[1] = next;
	return RMI_SUCCESS;
}

uint64_t rmi_rtt_init_ripas(struct rmm *rmm, const uint64_t x[7],
			    struct rmi_result *res)
{
	struct granule *g_rd;
	uint64_t ret;

	/* spec: the range is checked before the RD. */
	if (x[3] <= x[2])
		return RMI_ERROR_INPUT;
	g_rd = granule_find_lock(rmm, x[1], GRANULE_STATE_RD);
	if (g_rd == NULL)
		return RMI_ERROR_INPUT;
	ret = rtt_init_ripas(realm_from_rd(g_rd), x[2], x[3], res);
	granule_unlock(g_rd);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* RTT_SET_RIPAS (rmi-1.0.md 8.23) */

/*
 * Applies the requested RIPAS to one entry. Only protected entries
 * (UNASSIGNED, ASSIGNED) have a RIPAS; DESTROYED changes only when the realm
 * asked for it. Returns false if the entry ends the range.
 */
static bool set_ripas_entry(uint64_t *e, int level, enum rmi_ripas ripas,
			    bool change_destroyed)
{
	enum s2tte_hipas h = s2tte_hipas(*e, level);
	enum rmi_ripas cur;

	if (h != HIPAS_UNASSIGNED && h != HIPAS_ASSIGNED)
		return false;
	cur = s2tte_ripas(*e, level);
	if (cur == ripas)
		return true;
	if (cur == RMI_DESTROYED && !change_destroyed)
		return false;
	*e = h == HIPAS_UNASSIGNED ? s2tte_unassigned(ripas) :
				     s2tte_assigned(s2tte_pa(*e, level), level, ripas);
	return true;
}

static uint64_t set_ripas_entries(const struct rec *rec,
				  const struct rtt_walk *w, uint64_t base,
				  uint64_t top)
{
	uint64_t size = s2tt_entry_size(w->level), addr = base;

	for (unsigned int i = w->index; i < S2TT_ENTRIES && addr + size <= top;
	     i++, addr += size) {
		if (!set_ripas_entry(&w->table[i], w->level, rec->ripas.ripas,
				     rec->ripas.change_destroyed))
			break;
	}
	return addr;
}

static uint64_t rtt_set_ripas(struct realm *r, struct granule *g_rec,
			      uint64_t base, uint64_t top,
			      struct rmi_result *res)
{
	struct rec *rec = g_rec->rec;
	struct rtt_walk w;
	uint64_t next;

	/* A REC inside REC_ENTER holds refcount 1 (granule.h). */
	if (g_rec->refcount != 0)
		return RMI_ERROR_REC;
	if (rec->realm != r)
		return RMI_ERROR_REC;
	/* spec: without a pending request the request's top is 0, so the
	 * range can never fit. */
	if (!rec->ripas.pending || base != rec->ripas.addr ||
	    top > rec->ripas.top)
		return RMI_ERROR_INPUT;
	rtt_walk(r, base, S2TT_MAX_LEVEL, &w);
	if (!s2tt_aligned(base, w.level))
		return RTT_ERROR(w.level);
	next = set_ripas_entries(rec, &w, base, top);
	if (next == base)
		return RTT_ERROR(w.level);
	realm_s2_changed(r);
	rec->ripas.addr = next;
	res->x[1] = next;
	return RMI_SUCCESS;
}

uint64_t rmi_rtt_set_ripas(struct rmm *rmm, const uint64_t x[7],
			   struct rmi_result *res)
{
	struct granule *g_rd, *g_rec;
	uint64_t ret;

	if (x[4] <= x[3])
		return RMI_ERROR_INPUT;
	if (!granule_find_lock_two(rmm, x[1], GRANULE_STATE_RD, &g_rd,
				   x[2], GRANULE_STATE_REC, &g_rec))
		return RMI_ERROR_INPUT;
	ret = rtt_set_ripas(realm_from_rd(g_rd), g_rec, x[3], x[4], res);
	granule_unlock(g_rec);
	granule_unlock(g_rd);
	return ret;
}
