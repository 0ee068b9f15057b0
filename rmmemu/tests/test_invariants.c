/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmm_check_invariants(): silent on every state the RMI commands build, and
 * firing, with a report naming the broken thing, on each kind of corruption
 * it is meant to catch. Each test breaks one thing in a realm with RECs,
 * RTTs down to level 3, DATA and an unprotected mapping, then puts it back
 * so that the instance tears down normally.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmmemu/rsi-1.0.h>

#include "scripted.h"
#include "rmmemu/granule.h"
#include "rmmemu/instance.h"
#include "rmmemu/realm.h"
#include "rmmemu/rec.h"
#include "rmmemu/s2tt.h"

#define REPORT_SIZE	8192
#define DATA_IPA	0x3000ULL
#define NS_IPA		(IPA_UNPROT + 0x200000ULL)

static char report[REPORT_SIZE];

/* The fixture's realm, plus RTTs to level 3 at 0, a DATA granule at
 * DATA_IPA and an ASSIGNED_NS page at NS_IPA. */
struct world {
	struct fx *f;
	uint64_t data;
	uint64_t ns_page;
};

static int check(struct harness *h)
{
	return rmm_check_invariants(h->rmm, report, sizeof(report));
}

static void assert_clean(struct harness *h)
{
	int n = check(h);

	if (n != 0)
		fprintf(stderr, "%s", report);
	assert_int_equal(n, 0);
	assert_string_equal(report, "");
}

/* At least one violation, and the report says what. */
static void assert_caught(struct harness *h, const char *what)
{
	int n = check(h);

	if (n <= 0 || strstr(report, what) == NULL)
		fprintf(stderr, "want '%s' in:\n%s", what, report);
	assert_true(n > 0);
	assert_non_null(strstr(report, what));
}

static int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct harness *h;

	assert_non_null(w);
	w->f = fx_new(NULL, true);
	h = w->f->h;
	h_rtt_create_to(h, &w->f->r, 0, 3);
	h_rtt_create_to(h, &w->f->r, NS_IPA, 3);
	w->data = h_delegated(h);
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, w->f->r.rd, w->data, DATA_IPA,
			  0, 0), RMI_SUCCESS, 0);
	w->ns_page = h_alloc(h);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, w->f->r.rd, NS_IPA, 3,
			  w->ns_page | 0xD8, 0), RMI_SUCCESS, 0);
	*state = w;
	return 0;
}

static int world_teardown(void **state)
{
	struct world *w = *state;

	assert_clean(w->f->h);
	fx_teardown((void **)&w->f);
	free(w);
	return 0;
}

static struct harness *hw(void **state)
{
	return ((struct world *)*state)->f->h;
}

static struct world *ww(void **state)
{
	return *state;
}

/* The level-3 RTT mapping IPA 0 and its entries. */
static uint64_t *l3_table(struct world *w, struct granule **g)
{
	struct realm *r = realm_of(w->f);
	struct rtt_walk walk;

	rtt_walk(r, 0, 3, &walk);
	assert_int_equal(walk.level, 3);
	if (g != NULL)
		*g = walk.g_rtt;
	return walk.table;
}

/* Root RTT i of the fixture's realm (s2sz 40: two level-1 roots, the
 * second one mapping the unprotected half). */
static uint64_t *root_table(struct world *w, unsigned int i)
{
	return granule_priv(w->f->h->rmm, realm_of(w->f)->g_rtt_root[i]);
}

/* ---- states the commands build are clean ------------------------------- */

static void test_empty_instance(void **state)
{
	struct harness *h = h_new(NULL);

	(void)state;
	assert_clean(h);
	h_delegated(h);
	assert_clean(h);
	h_free(h);
}

static void test_built_world(void **state)
{
	assert_clean(hw(state));
}

/* Folding and unfolding, a RIPAS change pending, a PSCI request pending and
 * the teardown of everything: clean after every call. */
static void test_commands_stay_clean(void **state)
{
	struct world *w = ww(state);
	struct harness *h = w->f->h;
	struct fx *f = w->f;

	assert_rmi(h_call(h, RMI_DATA_DESTROY, f->r.rd, DATA_IPA, 0, 0, 0),
		   RMI_SUCCESS, 0);
	assert_clean(h);
	/* All 512 entries UNASSIGNED, EMPTY again: the level 3 RTT folds. */
	assert_rmi(h_call(h, RMI_RTT_FOLD, f->r.rd, 0, 3, 0, 0), RMI_SUCCESS, 0);
	assert_clean(h);
	assert_rmi(h_call(h, RMI_RTT_FOLD, f->r.rd, NS_IPA, 3, 0, 0), RMI_ERROR_RTT, 3);
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, f->r.rd, NS_IPA, 3, 0, 0),
		   RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_RTT_FOLD, f->r.rd, NS_IPA, 3, 0, 0), RMI_SUCCESS, 0);
	assert_clean(h);

	sx_smc(PSCI_CPU_ON_64, 1, 0x1000, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_clean(h);
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[1], 0, 0, 0),
		   RMI_SUCCESS, 0);
	assert_clean(h);
	sx_smc(RSI_IPA_STATE_SET, 0x10000, 0x20000, RMI_RAM);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_clean(h);

	for (unsigned int i = 0; i < NUM_RECS; i++)
		assert_rmi(h_call(h, RMI_REC_DESTROY, f->rec[i], 0, 0, 0, 0),
			   RMI_SUCCESS, 0);
	assert_clean(h);
}

/* ---- each corruption is caught ------------------------------------------ */

static void test_rtt_refcount(void **state)
{
	struct granule *g;

	l3_table(ww(state), &g);
	g->refcount++;
	assert_caught(hw(state), "refcount 2, but 1 TABLE and ASSIGNED entries");
	g->refcount--;
}

static void test_rd_refcount(void **state)
{
	struct granule *g = gr(hw(state), ww(state)->f->r.rd);

	g->refcount--;
	assert_caught(hw(state), "RD refcount 2, but 3 RECs");
	g->refcount++;
}

static void test_malformed_descriptor(void **state)
{
	uint64_t *t = l3_table(ww(state), NULL);

	t[0] |= 1ULL << 4;
	assert_caught(hw(state), "RTT entry for 0x0 at level 3 = 0x10: malformed");
	t[0] &= ~(1ULL << 4);
}

static void test_page_at_level_3_without_page_bit(void **state)
{
	struct world *w = ww(state);
	uint64_t *t = l3_table(w, NULL);
	unsigned int i = DATA_IPA / RMI_GRANULE_SIZE;
	uint64_t saved = t[i];

	/* A valid descriptor without bit 1 is a block: none at level 3. */
	t[i] = s2tte_assigned(w->data, 3, RMI_RAM) & ~2ULL;
	assert_caught(hw(state), "at level 3");
	assert_non_null(strstr(report, "malformed descriptor"));
	t[i] = saved;
}

static void test_hipas_for_ipa(void **state)
{
	uint64_t *root = root_table(ww(state), 1);
	uint64_t saved = root[5];

	root[5] = s2tte_unassigned(RMI_RAM);
	assert_caught(hw(state), "protected HIPAS at an unprotected IPA");
	root[5] = saved;
	root = root_table(ww(state), 0);
	saved = root[7];
	root[7] = s2tte_unassigned_ns();
	assert_caught(hw(state), "unprotected HIPAS at a protected IPA");
	root[7] = saved;
}

static void test_ripas_out_of_range(void **state)
{
	uint64_t *t = l3_table(ww(state), NULL);

	t[5] = s2tte_unassigned((enum rmi_ripas)3);
	assert_caught(hw(state), "RIPAS out of range");
	t[5] = s2tte_unassigned(RMI_EMPTY);
}

/* A level-0 root of an s2sz 40 realm: entries 2..511 lie beyond 2^40. */
static void test_entry_beyond_s2sz(void **state)
{
	struct harness *h = hw(state);
	struct h_realm other;
	uint64_t *root;

	h_realm_create_at(h, &other, 40, 0, RMI_HASH_SHA_256);
	assert_clean(h);
	root = granule_priv(h->rmm, gr(h, other.rd)->realm->g_rtt_root[0]);
	root[2] = s2tte_unassigned_ns();
	assert_caught(h, "beyond 2^s2sz but not zero");
	root[2] = 0;
	assert_rmi(h_call(h, RMI_REALM_DESTROY, other.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
}

static void test_data_state(void **state)
{
	struct granule *g = gr(hw(state), ww(state)->data);

	g->state = GRANULE_STATE_DELEGATED;
	assert_caught(hw(state), "is DELEGATED, not DATA");
	/* ... and a DELEGATED granule has no owner. */
	assert_non_null(strstr(report, "DELEGATED: has an owner"));
	g->state = GRANULE_STATE_DATA;
}

static void test_unknown_state(void **state)
{
	struct granule *g = gr(hw(state), h_alloc(hw(state)));

	g->state = 9;
	assert_caught(hw(state), "state 9 is not a granule state");
	g->state = GRANULE_STATE_NS;
}

static void test_realm_state(void **state)
{
	struct realm *r = realm_of(ww(state)->f);

	r->state = (enum rmi_realm_state)7;
	assert_caught(hw(state), "state 7 is not NEW, ACTIVE or SYSTEM_OFF");
	r->state = RMI_REALM_ACTIVE;
}

/* A granule of one realm named by another realm's table: two owners. */
static void test_two_owners(void **state)
{
	struct world *w = ww(state);
	struct harness *h = w->f->h;
	struct h_realm other;
	struct granule *g_l3;
	struct rtt_walk walk;
	uint64_t saved;

	l3_table(w, &g_l3);
	h_realm_create(h, &other, 40, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &other, 0, 2);
	/* The other realm's level-2 RTT: its entry 0 now points at the
	 * first realm's level-3 RTT as if it were its own. */
	rtt_walk(gr(h, other.rd)->realm, 0, 2, &walk);
	assert_int_equal(walk.level, 2);
	saved = walk.table[0];
	walk.table[0] = s2tte_table(granule_pa(h->rmm, g_l3));
	walk.g_rtt->refcount++;
	assert_caught(h, "is owned by another realm");
	assert_non_null(strstr(report, "referenced 2 times"));
	walk.table[0] = saved;
	walk.g_rtt->refcount--;
	assert_clean(h);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, other.rd, 0, 2, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, other.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
}

static void test_owner_pointer(void **state)
{
	struct granule *g = gr(hw(state), ww(state)->data);
	struct realm *saved = g->realm;
	struct realm bogus;

	g->realm = &bogus;
	assert_caught(hw(state), "owned by another realm");
	assert_non_null(strstr(report, "its owner is not a live realm"));
	g->realm = saved;
}

static void test_rec_running(void **state)
{
	struct granule *g = gr(hw(state), ww(state)->f->rec[1]);

	g->refcount = 1;
	assert_caught(hw(state), "refcount 1 at a quiescent point (running)");
	g->refcount = 0;
}

static void test_rec_aux(void **state)
{
	struct rec *rec = rec_of(ww(state)->f, 2);
	uint64_t saved = rec->aux[3];

	/* Two RECs naming the same aux granule. */
	rec->aux[3] = rec_of(ww(state)->f, 1)->aux[0];
	assert_caught(hw(state), "REC_AUX: referenced 2 times");
	assert_non_null(strstr(report, "REC_AUX: referenced 0 times"));
	rec->aux[3] = saved;
}

static void test_rec_requests(void **state)
{
	struct rec *rec = rec_of(ww(state)->f, 0);

	rec->psci.pending = true;
	rec->psci.fid = PSCI_SYSTEM_OFF_FID;
	assert_caught(hw(state), "PSCI 0x84000008 pending, not CPU_ON");
	rec->psci.fid = PSCI_CPU_ON_64;
	rec->ripas.pending = true;
	rec->ripas.top = 0x2000;
	assert_caught(hw(state), "2 realm requests pending at once");
	memset(&rec->psci, 0, sizeof(rec->psci));
	rec->ripas.ripas = RMI_DESTROYED;
	assert_caught(hw(state), "RIPAS change [0x0, 0x2000) to 2 at 0x0");
	memset(&rec->ripas, 0, sizeof(rec->ripas));
}

static void test_host_view_of_delegated(void **state)
{
	struct harness *h = hw(state);
	uint64_t pa = h_delegated(h);
	uint8_t *host = h_ns(h, pa);

	/* A host that ignores the granule protection check. */
	host[100] = 0x5A;
	assert_caught(h, "the host reads non-zero data");
	host[100] = 0;
	assert_clean(h);
	/* The same for a granule the realm owns. */
	host = h_ns(h, ww(state)->data);
	host[7] = 1;
	assert_caught(h, "DATA: the host reads non-zero data");
	host[7] = 0;
}

static void test_private_memory(void **state)
{
	struct harness *h = hw(state);
	uint64_t pa = h_delegated(h);
	uint8_t *priv = granule_priv(h->rmm, gr(h, pa));

	priv[4095] = 1;
	assert_caught(h, "DELEGATED: private memory not zero");
	priv[4095] = 0;
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0), RMI_SUCCESS, 0);
	/* An undelegated granule keeps no realm data behind. */
	priv = granule_priv(h->rmm, gr(h, pa));
	priv[0] = 1;
	assert_caught(h, "NS: private memory not zero");
	priv[0] = 0;
}

static void test_vmid(void **state)
{
	struct harness *h = hw(state);
	struct realm *r = realm_of(ww(state)->f);

	h->rmm->vmid_used[200] = 1;
	assert_caught(h, "VMID 200 is reserved but no realm has it");
	h->rmm->vmid_used[200] = 0;
	h->rmm->vmid_used[r->vmid] = 0;
	assert_caught(h, "is not reserved");
	h->rmm->vmid_used[r->vmid] = 1;
}

/* An RTT no table points to. */
static void test_orphan_rtt(void **state)
{
	struct harness *h = hw(state);
	struct granule *g = gr(h, h_delegated(h));

	g->state = GRANULE_STATE_RTT;
	g->realm = realm_of(ww(state)->f);
	assert_caught(h, "RTT: referenced 0 times");
	g->realm = NULL;
	g->state = GRANULE_STATE_DELEGATED;
}

/* A cut report is still a string, and the count is complete. */
static void test_report_cut(void **state)
{
	struct granule *g;
	char small[40];
	int n;

	l3_table(ww(state), &g);
	g->refcount += 7;
	memset(small, 'x', sizeof(small));
	n = rmm_check_invariants(hw(state)->rmm, small, sizeof(small));
	assert_int_equal(n, 1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(rmm_check_invariants(hw(state)->rmm, NULL, 0), 1);
	g->refcount -= 7;
}

#define WORLD_TEST(fn)	cmocka_unit_test_setup_teardown(fn, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_instance),
		WORLD_TEST(test_built_world),
		WORLD_TEST(test_commands_stay_clean),
		WORLD_TEST(test_rtt_refcount),
		WORLD_TEST(test_rd_refcount),
		WORLD_TEST(test_malformed_descriptor),
		WORLD_TEST(test_page_at_level_3_without_page_bit),
		WORLD_TEST(test_hipas_for_ipa),
		WORLD_TEST(test_ripas_out_of_range),
		WORLD_TEST(test_entry_beyond_s2sz),
		WORLD_TEST(test_data_state),
		WORLD_TEST(test_unknown_state),
		WORLD_TEST(test_realm_state),
		WORLD_TEST(test_two_owners),
		WORLD_TEST(test_owner_pointer),
		WORLD_TEST(test_rec_running),
		WORLD_TEST(test_rec_aux),
		WORLD_TEST(test_rec_requests),
		WORLD_TEST(test_host_view_of_delegated),
		WORLD_TEST(test_private_memory),
		WORLD_TEST(test_vmid),
		WORLD_TEST(test_orphan_rtt),
		WORLD_TEST(test_report_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
