/* SPDX-License-Identifier: BSD-3-Clause */
/* REALM_CREATE, REALM_ACTIVATE, REALM_DESTROY (rmi-1.0.md 6.2, 6.3, 8.7-8.9). */
#include <string.h>

#include "harness.h"
#include "rmmemu/granule.h"
#include "rmmemu/realm.h"

/* A realm set up by hand so that each test can spoil one thing. */
struct setup {
	uint64_t rd, rtt_base, params;
	struct rmi_realm_params *p;
};

static void setup_realm(struct harness *h, struct setup *s, unsigned int s2sz)
{
	unsigned int num;

	s->params = h_alloc(h);
	s->p = h_ns(h, s->params);
	h_realm_params(s->p, s2sz, RMI_HASH_SHA_256);
	num = (unsigned int)s->p->rtt_num_start;
	s->rtt_base = h_alloc_n(h, num, num * RMI_GRANULE_SIZE);
	for (unsigned int i = 0; i < num; i++)
		assert_rmi(h_call(h, RMI_GRANULE_DELEGATE,
				  s->rtt_base + i * RMI_GRANULE_SIZE, 0, 0, 0, 0),
			   RMI_SUCCESS, 0);
	s->p->rtt_base = s->rtt_base;
	s->p->vmid = 3;
	s->rd = h_delegated(h);
}

static uint64_t create(struct harness *h, const struct setup *s)
{
	return h_call(h, RMI_REALM_CREATE, s->rd, s->params, 0, 0, 0);
}

static void test_create_params_ptr(void **state)
{
	struct harness *h = *state;
	struct setup s;
	uint64_t delegated = h_delegated(h);

	setup_realm(h, &s, 40);
	assert_rmi(h_call(h, RMI_REALM_CREATE, s.rd, s.params + 8, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REALM_CREATE, s.rd, h->base + h->size, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* spec: the params must be NS memory. */
	memcpy(h_ns(h, delegated), s.p, sizeof(*s.p));
	assert_rmi(h_call(h, RMI_REALM_CREATE, s.rd, delegated, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(create(h, &s), RMI_SUCCESS, 0);
}

static void test_create_features(void **state)
{
	struct harness *h = *state;
	struct setup s;

	setup_realm(h, &s, 40);
	s.p->flags = RMI_REALM_FLAGS_LPA2;	/* not advertised */
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
	s.p->flags = RMI_REALM_FLAGS_SVE;	/* not advertised */
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
	s.p->flags = RMI_REALM_FLAGS_PMU;
	s.p->pmu_num_ctrs = 0;			/* no FEAT_HPMN0 */
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
	s.p->pmu_num_ctrs = 32;
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
	s.p->flags = 0;
	s.p->num_bps = 0;
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
	s.p->num_bps = 2;
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
	s.p->num_bps = 1;
	s.p->num_wps = 0;
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
	s.p->num_wps = 2;
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
	s.p->num_wps = 1;
	s.p->hash_algo = 2;
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
	/* Only one byte of hash_algo is read. */
	s.p->hash_algo = 0x100 | RMI_HASH_SHA_512;
	s.p->flags = RMI_REALM_FLAGS_PMU;
	s.p->pmu_num_ctrs = 31;
	assert_rmi(create(h, &s), RMI_SUCCESS, 0);
	assert_int_equal(granule_find(h->rmm, s.rd)->realm->hash_algo, RMI_HASH_SHA_512);
}

static void test_create_sve(void **state)
{
	struct rmm_config cfg;
	struct harness *h;
	struct setup s;

	(void)state;
	rmm_config_default(&cfg);
	cfg.sve = true;
	cfg.sve_vl = 3;
	h = h_new(&cfg);
	setup_realm(h, &s, 40);
	s.p->flags = RMI_REALM_FLAGS_SVE;
	s.p->sve_vl = 4;
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
	s.p->sve_vl = 3;
	assert_rmi(create(h, &s), RMI_SUCCESS, 0);
	h_free(h);
}

/* 6.2: valid (s2sz, rtt_level_start, rtt_num_start) combinations. */
static void test_create_geometry(void **state)
{
	static const struct { unsigned int s2sz; int64_t level; uint64_t num; uint64_t ret; } cases[] = {
		{ 31, 1, 1, RMI_ERROR_INPUT },
		{ 49, 0, 2, RMI_ERROR_INPUT },	/* above FeatureRegister0.S2SZ */
		{ 39, 0, 1, RMI_ERROR_INPUT },
		{ 48, 0, 1, RMI_SUCCESS },
		{ 40, 0, 1, RMI_SUCCESS },
		{ 40, 1, 2, RMI_SUCCESS },
		{ 40, 1, 1, RMI_ERROR_INPUT },	/* wrong root count */
		{ 39, 1, 1, RMI_SUCCESS },
		{ 43, 1, 16, RMI_SUCCESS },
		{ 44, 1, 16, RMI_ERROR_INPUT },
		{ 32, 2, 4, RMI_SUCCESS },
		{ 34, 2, 16, RMI_SUCCESS },
		{ 35, 2, 16, RMI_ERROR_INPUT },
		{ 32, 3, 1, RMI_ERROR_INPUT },
		{ 40, -1, 1, RMI_ERROR_INPUT },	/* level -1 needs LPA2 */
		{ 40, 4, 1, RMI_ERROR_INPUT },
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct harness *h = h_new(NULL);
		unsigned int n = cases[i].num;
		struct setup s;

		s.params = h_alloc(h);
		s.p = h_ns(h, s.params);
		h_realm_params(s.p, cases[i].s2sz, RMI_HASH_SHA_256);
		s.p->s2sz = cases[i].s2sz;
		s.p->rtt_level_start = cases[i].level;
		s.p->rtt_num_start = n;
		s.rtt_base = h_alloc_n(h, n, n * RMI_GRANULE_SIZE);
		for (unsigned int j = 0; j < n; j++)
			assert_rmi(h_call(h, RMI_GRANULE_DELEGATE,
					  s.rtt_base + j * RMI_GRANULE_SIZE, 0, 0, 0, 0),
				   RMI_SUCCESS, 0);
		s.p->rtt_base = s.rtt_base;
		s.rd = h_delegated(h);
		assert_int_equal(create(h, &s), cases[i].ret);
		h_free(h);
	}
}

static void test_create_vmid(void **state)
{
	struct harness *h = *state;
	struct setup a, b;

	setup_realm(h, &a, 40);
	setup_realm(h, &b, 40);
	a.p->vmid = 256;
	assert_rmi(create(h, &a), RMI_ERROR_INPUT, 0);
	/* Two bytes of vmid are read: 0x10007 is VMID 7. */
	a.p->vmid = 0x10007;
	assert_rmi(create(h, &a), RMI_SUCCESS, 0);
	b.p->vmid = 7;
	assert_rmi(create(h, &b), RMI_ERROR_INPUT, 0);
	/* A VMID reserved by a failing create is released: b fails late (its RD
	 * is not delegated) with VMID 9, then a realm with VMID 9 succeeds. */
	b.p->vmid = 9;
	assert_rmi(h_call(h, RMI_REALM_CREATE, h_alloc(h), b.params, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(create(h, &b), RMI_SUCCESS, 0);
	/* VMID 0 is valid; destroying a realm frees its VMID. */
	assert_rmi(h_call(h, RMI_REALM_DESTROY, b.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	b.p->vmid = 7;
	assert_rmi(create(h, &b), RMI_ERROR_INPUT, 0);
	b.p->vmid = 0;
	assert_rmi(create(h, &b), RMI_SUCCESS, 0);
}

static void test_create_granules(void **state)
{
	struct harness *h = *state;
	struct setup s;

	setup_realm(h, &s, 40);	/* level 1, two root RTTs */
	s.p->s2sz = 40;
	s.p->rtt_level_start = 1;
	s.p->rtt_num_start = 2;
	s.rtt_base = h_alloc_n(h, 2, 2 * RMI_GRANULE_SIZE);
	s.p->rtt_base = s.rtt_base;
	/* The RD must not be one of the root RTTs (checked before the states). */
	assert_rmi(h_call(h, RMI_REALM_CREATE, s.rtt_base + RMI_GRANULE_SIZE,
			  s.params, 0, 0, 0), RMI_ERROR_INPUT, 0);
	/* Roots not delegated. */
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, s.rtt_base, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, s.rtt_base + RMI_GRANULE_SIZE,
			  0, 0, 0, 0), RMI_SUCCESS, 0);
	/* RD not delegated. */
	assert_rmi(h_call(h, RMI_REALM_CREATE, h_alloc(h), s.params, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* A failed create leaves every granule as it was. */
	assert_rmi(create(h, &s), RMI_SUCCESS, 0);
	assert_int_equal(granule_find(h->rmm, s.rd)->state, GRANULE_STATE_RD);
	assert_int_equal(granule_find(h->rmm, s.rtt_base)->state, GRANULE_STATE_RTT);
	assert_int_equal(granule_find(h->rmm, s.rtt_base + RMI_GRANULE_SIZE)->state,
			 GRANULE_STATE_RTT);
	/* An RD or RTT cannot be undelegated or used as an RD again. */
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, s.rd, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, s.rtt_base, 0, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(create(h, &s), RMI_ERROR_INPUT, 0);
}

/* RD below or above the roots: both lock orders work. */
static void test_create_rd_placement(void **state)
{
	struct harness *h = *state;
	struct setup s;
	uint64_t rd_below = h_delegated(h);

	setup_realm(h, &s, 43);	/* 16 root RTTs */
	assert_int_equal(s.p->rtt_num_start, 16);
	assert_rmi(h_call(h, RMI_REALM_CREATE, rd_below, s.params, 0, 0, 0),
		   RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, rd_below, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(create(h, &s), RMI_SUCCESS, 0);	/* s.rd is above */
}

static void test_create_effects(void **state)
{
	struct harness *h = *state;
	struct setup s;
	struct realm *r;

	setup_realm(h, &s, 40);
	memset(s.p->rpv, 0xAA, sizeof(s.p->rpv));
	s.p->vmid = 1;
	assert_rmi(create(h, &s), RMI_SUCCESS, 0);
	r = granule_find(h->rmm, s.rd)->realm;
	assert_non_null(r);
	assert_int_equal(r->state, RMI_REALM_NEW);
	assert_memory_equal(r->rpv, s.p->rpv, sizeof(r->rpv));
	/* measurement.md 5, step 1. */
	{
		static const uint8_t rim[32] = {
			0x04, 0x5c, 0xb3, 0x60, 0x28, 0x43, 0xa6, 0x84,
			0x5c, 0xb7, 0x10, 0xfb, 0xbf, 0xbb, 0x92, 0xf0,
			0xc7, 0xd6, 0x11, 0xaf, 0xe0, 0x10, 0x6a, 0xc2,
			0x95, 0x3e, 0x46, 0x95, 0x0a, 0x70, 0xc4, 0x2b,
		};
		assert_memory_equal(r->measurements[0], rim, sizeof(rim));
	}
	for (int i = 1; i < REALM_MEASUREMENTS; i++)
		for (int j = 0; j < REALM_MEASUREMENT_SIZE; j++)
			assert_int_equal(r->measurements[i][j], 0);
	assert_rmi(h_call(h, RMI_REC_AUX_COUNT, s.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], RMI_REC_AUX_GRANULES);
}

static void test_activate(void **state)
{
	struct harness *h = *state;
	struct h_realm r;

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, r.rd + 8, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, r.rtt_base, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(granule_find(h->rmm, r.rd)->realm->state, RMI_REALM_ACTIVE);
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0), RMI_ERROR_REALM, 0);
}

static void test_destroy(void **state)
{
	struct harness *h = *state;
	struct h_realm r;
	uint8_t *host;
	static const uint8_t zero[RMI_GRANULE_SIZE];

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rtt_base, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	/* No realm-state check: an ACTIVE realm can be destroyed. */
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	/* Both granules are DELEGATED again, and come back to the host zeroed. */
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, r.rtt_base, 0, 0, 0, 0), RMI_SUCCESS, 0);
	host = h_ns(h, r.rtt_base);
	assert_memory_equal(host, zero, RMI_GRANULE_SIZE);
}

/* spec: REALM_DESTROY fails with ERROR_REALM while a child RTT hangs from a
 * root, or a REC exists. */
static void test_destroy_live(void **state)
{
	struct harness *h = *state;
	struct rmi_rec_params *rp;
	uint64_t rec, params;
	struct h_realm r;

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	assert_int_equal(r.level_start, 1);
	h_rtt_create_to(h, &r, 0, 2);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_ERROR_REALM, 0);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 2, 0, 0), RMI_SUCCESS, 0);

	params = h_alloc(h);
	rp = h_ns(h, params);
	memset(rp, 0, sizeof(*rp));
	rp->num_aux = RMI_REC_AUX_GRANULES;
	for (int i = 0; i < RMI_REC_AUX_GRANULES; i++)
		rp->aux[i] = h_delegated(h);
	rec = h_delegated(h);
	assert_rmi(h_call(h, RMI_REC_CREATE, r.rd, rec, params, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_ERROR_REALM, 0);
	assert_rmi(h_call(h, RMI_REC_DESTROY, rec, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_params_ptr, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_features, h_setup, h_teardown),
		cmocka_unit_test(test_create_sve),
		cmocka_unit_test(test_create_geometry),
		cmocka_unit_test_setup_teardown(test_create_vmid, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_granules, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_rd_placement, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_effects, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_activate, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_destroy, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_live, h_setup, h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
