/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmm_check_invariants(): the instance checked against the rules the spec
 * states for a quiescent RMM (rmi-1.0.md 3.1-3.3, 6.3, 8), from the granule
 * table up:
 *
 *  - every RD holds a realm whose state, geometry and VMID are legal, and
 *    whose refcount is its number of RECs (3.1);
 *  - every REC belongs to a live realm, is not running, has 16 REC_AUX
 *    granules of that realm and at most one request pending;
 *  - every RTT entry of every realm is what the s2tt.h encoders produce for
 *    its decoded HIPAS, RIPAS and address, with HIPAS legal for the IPA
 *    (protected or not) and the level; an RTT's refcount is its number of
 *    TABLE and ASSIGNED entries (6.3);
 *  - every RTT, DATA and REC_AUX granule is referenced exactly once, by its
 *    owner realm's tables or RECs, so no granule has two owners;
 *  - NS and DELEGATED granules have no owner; a DELEGATED granule and the
 *    private copy of an NS one are zero (3.1), and the host's view of every
 *    granule that is not NS reads as zeros.
 *
 * The checker takes no granule locks and reads what the handlers leave at
 * rest, so it runs only while no RMI call is in flight (rmm.h). It dereferences nothing a
 * broken state could make dangle: owners are compared with the realms found
 * in RD granules before they are used.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "granule.h"
#include "instance.h"
#include "realm.h"
#include "rec.h"
#include "s2tt.h"

/*
 * The checker is not what a fuzzer explores: without coverage
 * instrumentation its loops neither slow libFuzzer down nor flood it with
 * comparisons that say nothing about the RMM (--enable-fuzzing, clang).
 */
#ifdef __clang__
#define INV_NO_COVERAGE	1
#pragma clang attribute push(__attribute__((no_sanitize("coverage"))), apply_to = function)
#endif

/* References counted per granule saturate here; one is the only legal count. */
#define REFS_MAX	255

struct inv_realm {
	struct realm *r;
	struct granule *g_rd;	/* the RD granule holding it */
	unsigned int recs;	/* REC granules that name it */
};

struct inv {
	struct rmm *rmm;
	char *report;
	size_t len, used;
	int violations;
	bool oom;

	/* Per region, per granule: references from RDs, RTTs and RECs. */
	uint8_t *refs[RMM_MAX_REGIONS];
	/* Per region, per host page: residency of the host's and the private
	 * view (mincore), so that untouched pages are not faulted in. */
	unsigned char *ns_core[RMM_MAX_REGIONS];
	unsigned char *priv_core[RMM_MAX_REGIONS];
	size_t page_size;

	struct inv_realm *realms;
	unsigned int num_realms;
	struct inv_realm *last;		/* live_realm()'s last answer */
	bool vmid_seen[RMM_MAX_VMIDS];
};

/* ---- report -------------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static void violation(struct inv *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	c->violations++;
	if (c->len == 0 || c->used + 1 >= c->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(c->report + c->used, c->len - c->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	c->used += (size_t)n;
	if (c->used + 1 >= c->len) {
		c->used = c->len - 1;
		return;
	}
	c->report[c->used++] = '\n';
	c->report[c->used] = '\0';
}

static unsigned long long pa_of(struct inv *c, const struct granule *g)
{
	return (unsigned long long)granule_pa(c->rmm, g);
}

static const char *state_of(const struct granule *g)
{
	return granule_state_name((enum granule_state)g->state);
}

static uint8_t *refs_of(struct inv *c, const struct granule *g)
{
	const struct region *r = c->rmm->region_by_id[g->region_id];

	return &c->refs[g->region_id][g - r->granules];
}

/* ---- set-up ------------------------------------------------------------- */

/*
 * Scratch memory, kept from one check to the next: a fuzzer checks after
 * every call, and allocating anew each time would cost more than most
 * checks. One check at a time uses it.
 */
static pthread_mutex_t scratch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint8_t *buf;
	size_t cap;
	struct inv_realm *realms;
	unsigned int realms_cap;
} scratch;

static uint8_t *scratch_bytes(size_t size)
{
	if (size > scratch.cap) {
		uint8_t *buf = realloc(scratch.buf, size);

		if (buf == NULL)
			return NULL;
		scratch.buf = buf;
		scratch.cap = size;
	}
	return scratch.buf;
}

/* Room for one more realm in c->realms. */
static bool scratch_realm_slot(struct inv *c)
{
	struct inv_realm *realms;
	unsigned int cap = scratch.realms_cap ? 2 * scratch.realms_cap : 16;

	if (c->num_realms < scratch.realms_cap)
		return true;
	realms = realloc(scratch.realms, cap * sizeof(*realms));
	if (realms == NULL)
		return false;
	scratch.realms = realms;
	scratch.realms_cap = cap;
	c->realms = realms;
	c->last = NULL;
	return true;
}

/* Per region: references (zeroed), then the residency of the host's and the
 * private view. Without mincore every page counts as resident and is read. */
static int inv_init(struct inv *c, struct rmm *rmm, char *report, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t total = 0, off = 0;
	uint8_t *buf;

	memset(c, 0, sizeof(*c));
	c->rmm = rmm;
	c->report = report;
	c->len = len;
	if (len > 0)
		report[0] = '\0';
	c->page_size = page > 0 ? (size_t)page : RMI_GRANULE_SIZE;
	c->realms = scratch.realms;
	for (unsigned int i = 0; i < rmm->num_regions; i++) {
		struct region *r = rmm->region_by_id[i];

		total += r->size / RMI_GRANULE_SIZE +
			 2 * ((r->size + c->page_size - 1) / c->page_size);
	}
	buf = scratch_bytes(total);
	if (buf == NULL && total != 0)
		return -1;
	for (unsigned int i = 0; i < rmm->num_regions; i++) {
		struct region *r = rmm->region_by_id[i];
		size_t pages = (r->size + c->page_size - 1) / c->page_size;

		c->refs[i] = buf + off;
		memset(c->refs[i], 0, r->size / RMI_GRANULE_SIZE);
		off += r->size / RMI_GRANULE_SIZE;
		c->ns_core[i] = buf + off;
		off += pages;
		c->priv_core[i] = buf + off;
		off += pages;
		if (mincore(r->ns, r->size, c->ns_core[i]) != 0)
			memset(c->ns_core[i], 1, pages);
		if (mincore(r->priv, r->size, c->priv_core[i]) != 0)
			memset(c->priv_core[i], 1, pages);
	}
	return 0;
}

/*
 * Every granule of every region. Regions are never removed and
 * region_by_id[] entries are written once (instance.h), so at a quiescent
 * point this is granule_for_each() without its per-granule callback, which
 * would cost more than most of the checks made on the granule.
 */
#define for_each_granule(rmm, g, i, j)					     \
	for (unsigned int i = 0; i < (rmm)->num_regions; i++)		     \
		for (uint64_t j = 0;						     \
		     j < (rmm)->region_by_id[i]->size / RMI_GRANULE_SIZE &&	     \
		     ((g) = &(rmm)->region_by_id[i]->granules[j]) != NULL; j++)

/* ---- realms ------------------------------------------------------------- */

static struct inv_realm *live_realm(struct inv *c, const struct realm *r)
{
	/* Granules come in runs of one owner: the last answer first. */
	if (c->last != NULL && c->last->r == r)
		return c->last;
	for (unsigned int i = 0; i < c->num_realms; i++) {
		if (c->realms[i].r == r) {
			c->last = &c->realms[i];
			return c->last;
		}
	}
	return NULL;
}

static void collect_realm(struct inv *c, struct granule *g)
{
	if (g->state != GRANULE_STATE_RD)
		return;
	if (g->realm == NULL) {
		violation(c, "granule 0x%llx RD: no realm", pa_of(c, g));
		return;
	}
	if (live_realm(c, g->realm) != NULL) {
		violation(c, "granule 0x%llx RD: its realm is another RD's too",
			  pa_of(c, g));
		return;
	}
	if (!scratch_realm_slot(c)) {
		c->oom = true;
		return;
	}
	c->realms[c->num_realms].r = g->realm;
	c->realms[c->num_realms].g_rd = g;
	c->realms[c->num_realms++].recs = 0;
}

/* The root tables cover exactly [0, 2^s2sz) (rmi-1.0.md 6.2). */
static bool realm_geometry_valid(const struct realm *r)
{
	uint64_t root_size;

	if (r->s2sz < 32 || r->s2sz > 48 || r->rtt_level_start < 0 ||
	    r->rtt_level_start > S2TT_MAX_LEVEL || r->rtt_num_start < 1 ||
	    r->rtt_num_start > 16)
		return false;
	root_size = S2TT_ENTRIES * s2tt_entry_size(r->rtt_level_start);
	return r->rtt_num_start * root_size >= (1ULL << r->s2sz) &&
	       (r->rtt_num_start - 1) * root_size < (1ULL << r->s2sz);
}

/* Fields of a realm that do not involve other granules (3.2, 8.7). */
static void check_realm_fields(struct inv *c, const struct inv_realm *ir)
{
	const struct realm *r = ir->r;
	unsigned long long rd = pa_of(c, ir->g_rd);

	if (r->rmm != c->rmm)
		violation(c, "realm 0x%llx: belongs to another instance", rd);
	if (r->g_rd != ir->g_rd || r->rd_pa != granule_pa(c->rmm, ir->g_rd))
		violation(c, "realm 0x%llx: its RD address or granule is 0x%llx",
			  rd, (unsigned long long)r->rd_pa);
	if (r->state != RMI_REALM_NEW && r->state != RMI_REALM_ACTIVE &&
	    r->state != RMI_REALM_SYSTEM_OFF)
		violation(c, "realm 0x%llx: state %d is not NEW, ACTIVE or SYSTEM_OFF",
			  rd, (int)r->state);
	if (r->hash_algo != RMI_HASH_SHA_256 && r->hash_algo != RMI_HASH_SHA_512)
		violation(c, "realm 0x%llx: hash algorithm %d", rd, (int)r->hash_algo);
	if (!realm_geometry_valid(r))
		violation(c, "realm 0x%llx: s2sz %u with %u root RTTs at level %d",
			  rd, r->s2sz, r->rtt_num_start, r->rtt_level_start);
	if (ir->g_rd->refcount > REALM_MAX_RECS)
		violation(c, "realm 0x%llx: RD refcount %u above %u RECs", rd,
			  ir->g_rd->refcount, REALM_MAX_RECS);
}

/* spec: a VMID belongs to one realm at a time and is free otherwise (8.7). */
static void check_realm_vmid(struct inv *c, const struct realm *r)
{
	unsigned long long rd = (unsigned long long)r->rd_pa;

	if (r->vmid >= RMM_MAX_VMIDS) {
		violation(c, "realm 0x%llx: VMID %u out of range", rd, r->vmid);
		return;
	}
	if (c->vmid_seen[r->vmid])
		violation(c, "realm 0x%llx: VMID %u used by another realm too",
			  rd, r->vmid);
	c->vmid_seen[r->vmid] = true;
	if (!c->rmm->vmid_used[r->vmid])
		violation(c, "realm 0x%llx: VMID %u is not reserved", rd, r->vmid);
}

static void check_vmids_free(struct inv *c)
{
	for (unsigned int v = 0; v < RMM_MAX_VMIDS; v++) {
		if (c->rmm->vmid_used[v] && !c->vmid_seen[v])
			violation(c, "VMID %u is reserved but no realm has it", v);
	}
}

/*
 * One reference from realm r's structures (what) to pa, which must be a
 * granule of state owned by r. Returns the granule if it is one (counted),
 * NULL otherwise.
 */
static struct granule *take_ref(struct inv *c, const struct realm *r,
				uint64_t pa, enum granule_state state,
				const char *what)
{
	struct granule *g = granule_find(c->rmm, pa);
	uint8_t *refs;

	if (g == NULL) {
		violation(c, "realm 0x%llx: %s 0x%llx is not a granule of host memory",
			  (unsigned long long)r->rd_pa, what, (unsigned long long)pa);
		return NULL;
	}
	if (g->state != state) {
		violation(c, "realm 0x%llx: %s 0x%llx is %s, not %s",
			  (unsigned long long)r->rd_pa, what, (unsigned long long)pa,
			  state_of(g), granule_state_name(state));
		return NULL;
	}
	if (g->realm != r)
		violation(c, "realm 0x%llx: %s 0x%llx is owned by another realm",
			  (unsigned long long)r->rd_pa, what, (unsigned long long)pa);
	refs = refs_of(c, g);
	if (*refs < REFS_MAX)
		(*refs)++;
	return g;
}

/* ---- RECs --------------------------------------------------------------- */

/* At most one realm request waits for the host, and only the ones the spec
 * leaves pending (rmi-1.0.md 8.19, 8.23, 9.2). */
static void check_rec_requests(struct inv *c, const struct rec *rec,
			       const struct realm *r)
{
	unsigned long long pa = (unsigned long long)rec->pa;
	unsigned int pending = rec->psci.pending + rec->ripas.pending +
			       rec->host_call.pending;

	if (pending > 1)
		violation(c, "REC 0x%llx: %u realm requests pending at once", pa, pending);
	if (pending != 0 && r->state == RMI_REALM_NEW)
		violation(c, "REC 0x%llx: a request pending in a NEW realm", pa);
	if (rec->psci.pending && !psci_fid_is_cpu_on(rec->psci.fid) &&
	    !psci_fid_is_affinity_info(rec->psci.fid))
		violation(c, "REC 0x%llx: PSCI 0x%x pending, not CPU_ON or AFFINITY_INFO",
			  pa, rec->psci.fid);
	if (rec->ripas.pending &&
	    ((rec->ripas.ripas != RMI_EMPTY && rec->ripas.ripas != RMI_RAM) ||
	     rec->ripas.base > rec->ripas.addr || rec->ripas.addr > rec->ripas.top ||
	     !realm_ipa_in_par(r, rec->ripas.top - 1)))
		violation(c, "REC 0x%llx: RIPAS change [0x%llx, 0x%llx) to %d at 0x%llx "
			  "is not a legal request", pa,
			  (unsigned long long)rec->ripas.base,
			  (unsigned long long)rec->ripas.top, (int)rec->ripas.ripas,
			  (unsigned long long)rec->ripas.addr);
}

static void check_rec_aux(struct inv *c, const struct rec *rec,
			  const struct realm *r)
{
	if (rec->num_aux != RMI_REC_AUX_GRANULES) {
		violation(c, "REC 0x%llx: %u aux granules, not %u",
			  (unsigned long long)rec->pa, rec->num_aux,
			  RMI_REC_AUX_GRANULES);
		return;
	}
	for (unsigned int i = 0; i < rec->num_aux; i++)
		take_ref(c, r, rec->aux[i], GRANULE_STATE_REC_AUX, "REC aux granule");
}

static void check_rec(struct inv *c, struct granule *g)
{
	struct inv_realm *owner;
	struct rec *rec = g->rec;

	if (g->state != GRANULE_STATE_REC)
		return;
	if (rec == NULL || rec->g_rec != g || rec->pa != granule_pa(c->rmm, g)) {
		violation(c, "granule 0x%llx REC: no REC object of its own", pa_of(c, g));
		return;
	}
	owner = live_realm(c, rec->realm);
	if (owner == NULL || g->realm != rec->realm) {
		violation(c, "REC 0x%llx: its realm is not a live realm", pa_of(c, g));
		return;
	}
	owner->recs++;
	/* spec: refcount 1 only inside REC_ENTER (3.1). */
	if (g->refcount != 0)
		violation(c, "REC 0x%llx: refcount %u at a quiescent point (running)",
			  pa_of(c, g), g->refcount);
	if (rec->index >= rec->realm->rec_index_next)
		violation(c, "REC 0x%llx: index %u not below the realm's next index %u",
			  pa_of(c, g), rec->index, rec->realm->rec_index_next);
	check_rec_aux(c, rec, rec->realm);
	check_rec_requests(c, rec, rec->realm);
}

/* ---- RTTs ---------------------------------------------------------------- */

static void check_rtt(struct inv *c, struct realm *r, struct granule *g,
		      int level, uint64_t ipa);

/* An ASSIGNED entry's granules: one DATA granule of r per 4 KiB. */
static void take_data_refs(struct inv *c, struct realm *r, uint64_t pa, int level)
{
	uint64_t n = s2tt_entry_size(level) / RMI_GRANULE_SIZE;

	for (uint64_t i = 0; i < n; i++) {
		if (take_ref(c, r, pa + i * RMI_GRANULE_SIZE, GRANULE_STATE_DATA,
			     "ASSIGNED entry's granule") == NULL)
			return;	/* one line for a broken block */
	}
}

/*
 * A TABLE entry at level for ipa: its child must be an RTT of r referenced
 * nowhere else, and the walker must reach it; then the child is checked.
 */
static void check_table_entry(struct inv *c, struct realm *r, uint64_t e,
			      int level, uint64_t ipa)
{
	uint64_t pa = s2tte_pa(e, level);
	struct granule *child;
	struct rtt_walk w;

	child = take_ref(c, r, pa, GRANULE_STATE_RTT, "TABLE entry's RTT");
	if (child == NULL || *refs_of(c, child) != 1)
		return;	/* not an RTT, or seen before: do not walk it again */
	rtt_walk(r, ipa, level + 1, &w);
	if (w.g_rtt != child || w.level != level + 1 || w.index != 0) {
		violation(c, "realm 0x%llx: the RTT walk to 0x%llx level %d does not "
			  "reach RTT 0x%llx", (unsigned long long)r->rd_pa,
			  (unsigned long long)ipa, level + 1, (unsigned long long)pa);
		return;
	}
	check_rtt(c, r, child, level + 1, ipa);
}

/*
 * What is wrong with entry e (HIPAS h) at level for ipa, or NULL: HIPAS
 * legal for the IPA (protected or not) and the level (3.3, 6.1), and the
 * descriptor exactly what the s2tt.h encoder makes of what it decodes to.
 */
static const char *entry_problem(const struct realm *r, uint64_t e,
				 enum s2tte_hipas h, int level, uint64_t ipa)
{
	bool par = realm_ipa_in_par(r, ipa);
	enum rmi_ripas ripas = RMI_EMPTY;
	uint64_t want, host;

	if (!realm_ipa_in_range(r, ipa))
		return e != 0 ? "beyond 2^s2sz but not zero" : NULL;
	if (h != HIPAS_TABLE && (h == HIPAS_UNASSIGNED || h == HIPAS_ASSIGNED) != par)
		return par ? "unprotected HIPAS at a protected IPA" :
			     "protected HIPAS at an unprotected IPA";
	if (h == HIPAS_UNASSIGNED || h == HIPAS_ASSIGNED) {
		ripas = s2tte_ripas(e, level);
		if (ripas > RMI_DESTROYED)
			return "RIPAS out of range";
	}
	if ((h == HIPAS_ASSIGNED || h == HIPAS_ASSIGNED_NS) && level < 1)
		return "a block at a level that has none";
	switch (h) {
	case HIPAS_TABLE:
		want = s2tte_table(s2tte_pa(e, level));
		break;
	case HIPAS_UNASSIGNED:
		want = s2tte_unassigned(ripas);
		break;
	case HIPAS_UNASSIGNED_NS:
		want = s2tte_unassigned_ns();
		break;
	case HIPAS_ASSIGNED:
		want = s2tte_assigned(s2tte_pa(e, level), level, ripas);
		break;
	default:
		host = s2tte_ns_host_bits(e, level);
		if (!s2tte_host_ns_desc_valid(host, level))
			return "host attributes a host may not give";
		want = s2tte_assigned_ns(host, level);
		break;
	}
	return want != e ? "malformed descriptor" : NULL;
}

/* One entry checked, and followed: a TABLE to its RTT, an ASSIGNED entry to
 * its granules. Returns whether it counts in the RTT's refcount (6.3). */
static bool check_entry(struct inv *c, struct realm *r, uint64_t e, int level,
			uint64_t ipa)
{
	enum s2tte_hipas h = s2tte_hipas(e, level);
	const char *bad = entry_problem(r, e, h, level, ipa);

	if (bad != NULL) {
		violation(c, "realm 0x%llx: RTT entry for 0x%llx at level %d = 0x%llx: %s",
			  (unsigned long long)r->rd_pa, (unsigned long long)ipa,
			  level, (unsigned long long)e, bad);
		return false;
	}
	if (h == HIPAS_TABLE)
		check_table_entry(c, r, e, level, ipa);
	else if (h == HIPAS_ASSIGNED)
		take_data_refs(c, r, s2tte_pa(e, level), level);
	return h == HIPAS_TABLE || h == HIPAS_ASSIGNED;
}

/* The RTT g at level mapping from ipa: every entry, then its refcount. */
static void check_rtt(struct inv *c, struct realm *r, struct granule *g,
		      int level, uint64_t ipa)
{
	const uint64_t *table = granule_priv(c->rmm, g);
	uint64_t size = s2tt_entry_size(level), ns_empty = s2tte_unassigned_ns();
	uint32_t live = 0;

	for (unsigned int i = 0; i < S2TT_ENTRIES; i++) {
		uint64_t e = table[i], at = ipa + i * size;

		/* Most entries are in their initial state (6.3): UNASSIGNED
		 * EMPTY (zero) in the PAR and beyond 2^s2sz, UNASSIGNED_NS in
		 * the unprotected half. Nothing to follow, nothing counted. */
		if (e == 0 ? realm_ipa_in_par(r, at) || !realm_ipa_in_range(r, at) :
			     e == ns_empty && !realm_ipa_in_par(r, at) &&
			     realm_ipa_in_range(r, at))
			continue;
		live += check_entry(c, r, e, level, at);
	}
	if (g->refcount != live)
		violation(c, "RTT 0x%llx (realm 0x%llx, level %d, IPA 0x%llx): "
			  "refcount %u, but %u TABLE and ASSIGNED entries",
			  pa_of(c, g), (unsigned long long)r->rd_pa, level,
			  (unsigned long long)ipa, g->refcount, live);
}

static void check_realm_rtts(struct inv *c, struct realm *r)
{
	uint64_t root_span;

	if (!realm_geometry_valid(r))
		return;	/* reported; the tables cannot be located */
	root_span = S2TT_ENTRIES * s2tt_entry_size(r->rtt_level_start);
	for (unsigned int i = 0; i < r->rtt_num_start; i++) {
		uint64_t pa = r->rtt_base + i * RMI_GRANULE_SIZE;
		struct granule *g = take_ref(c, r, pa, GRANULE_STATE_RTT, "root RTT");

		if (g == NULL)
			continue;
		if (r->g_rtt_root[i] != g) {
			violation(c, "realm 0x%llx: root RTT %u is not the granule at 0x%llx",
				  (unsigned long long)r->rd_pa, i, (unsigned long long)pa);
			continue;
		}
		if (*refs_of(c, g) == 1)
			check_rtt(c, r, g, r->rtt_level_start, i * root_span);
	}
}

/* ---- granules ------------------------------------------------------------ */

static bool page_is_zero(const uint8_t *p)
{
	static const uint8_t zero[RMI_GRANULE_SIZE];

	return memcmp(p, zero, RMI_GRANULE_SIZE) == 0;
}

/* Whether the page of the view holding granule g may hold data: a page
 * that was never touched or was given back reads as zeros. */
static bool resident(struct inv *c, const unsigned char *core,
		     const struct region *r, const struct granule *g)
{
	uint64_t off = (uint64_t)(g - r->granules) * RMI_GRANULE_SIZE;

	return core[off / c->page_size] & 1;
}

/* spec: a DELEGATED granule holds zeros, the private copy of an NS one was
 * scrubbed when it was undelegated, and the host reads zeros wherever the
 * realm side owns a granule (3.1; DESIGN: the host's page is punched out). */
static void check_zeros(struct inv *c, struct granule *g)
{
	struct region *r = c->rmm->region_by_id[g->region_id];
	uint64_t off = (uint64_t)(g - r->granules) * RMI_GRANULE_SIZE;
	bool priv_zero = g->state == GRANULE_STATE_NS ||
			 g->state == GRANULE_STATE_DELEGATED;

	if (priv_zero && resident(c, c->priv_core[r->id], r, g) &&
	    !page_is_zero(r->priv + off))
		violation(c, "granule 0x%llx %s: private memory not zero",
			  pa_of(c, g), state_of(g));
	if (g->state != GRANULE_STATE_NS && resident(c, c->ns_core[r->id], r, g) &&
	    !page_is_zero(r->ns + off))
		violation(c, "granule 0x%llx %s: the host reads non-zero data",
			  pa_of(c, g), state_of(g));
}

/* Owner, REC object and refcount by state, and the references counted. */
static void check_granule(struct inv *c, struct granule *g)
{
	unsigned int refs = *refs_of(c, g);
	bool owned = g->state >= GRANULE_STATE_RD && g->state < GRANULE_STATE_COUNT;

	if (g->state >= GRANULE_STATE_COUNT) {
		violation(c, "granule 0x%llx: state %u is not a granule state",
			  pa_of(c, g), g->state);
		return;
	}
	check_zeros(c, g);
	if (!owned && (g->realm != NULL || g->rec != NULL || g->refcount != 0))
		violation(c, "granule 0x%llx %s: has an owner, a REC or refcount %u",
			  pa_of(c, g), state_of(g), g->refcount);
	if (owned && live_realm(c, g->realm) == NULL)
		violation(c, "granule 0x%llx %s: its owner is not a live realm",
			  pa_of(c, g), state_of(g));
	if (g->state != GRANULE_STATE_REC && g->rec != NULL)
		violation(c, "granule 0x%llx %s: has a REC object", pa_of(c, g),
			  state_of(g));
	if ((g->state == GRANULE_STATE_DATA || g->state == GRANULE_STATE_REC_AUX) &&
	    g->refcount != 0)
		violation(c, "granule 0x%llx %s: refcount %u", pa_of(c, g),
			  state_of(g), g->refcount);
	/* References are only counted for a granule in the state expected. */
	if ((g->state == GRANULE_STATE_RTT || g->state == GRANULE_STATE_DATA ||
	     g->state == GRANULE_STATE_REC_AUX) && refs != 1)
		violation(c, "granule 0x%llx %s: referenced %u times by its realm's "
			  "RTTs and RECs, not once", pa_of(c, g), state_of(g), refs);
}

/* spec: an RD's refcount is its number of RECs (3.1). */
static void check_rd_refcounts(struct inv *c)
{
	for (unsigned int i = 0; i < c->num_realms; i++) {
		const struct realm *r = c->realms[i].r;
		const struct granule *g_rd = c->realms[i].g_rd;

		if (g_rd->refcount != c->realms[i].recs)
			violation(c, "realm 0x%llx: RD refcount %u, but %u RECs",
				  pa_of(c, g_rd), g_rd->refcount, c->realms[i].recs);
		if (c->realms[i].recs > r->rec_index_next)
			violation(c, "realm 0x%llx: %u RECs but only %u ever created",
				  (unsigned long long)r->rd_pa, c->realms[i].recs,
				  r->rec_index_next);
	}
}

static int check_all(struct inv *c, struct rmm *rmm, char *report, size_t len)
{
	struct granule *g;

	if (inv_init(c, rmm, report, len) != 0)
		return -1;
	for_each_granule(rmm, g, i, j)
		collect_realm(c, g);
	if (c->oom)
		return -1;
	for (unsigned int i = 0; i < c->num_realms; i++) {
		check_realm_fields(c, &c->realms[i]);
		check_realm_vmid(c, c->realms[i].r);
	}
	check_vmids_free(c);
	for_each_granule(rmm, g, i, j)
		check_rec(c, g);
	check_rd_refcounts(c);
	for (unsigned int i = 0; i < c->num_realms; i++)
		check_realm_rtts(c, c->realms[i].r);
	for_each_granule(rmm, g, i, j)
		check_granule(c, g);
	return c->violations;
}

int rmm_check_invariants(struct rmm *rmm, char *report, size_t len)
{
	struct inv c;
	int ret;

	pthread_mutex_lock(&scratch_lock);
	ret = check_all(&c, rmm, report, len);
	pthread_mutex_unlock(&scratch_lock);
	return ret;
}

#ifdef INV_NO_COVERAGE
#pragma clang attribute pop
#endif
