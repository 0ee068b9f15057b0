/* SPDX-License-Identifier: BSD-3-Clause */
/* REC_AUX_COUNT, REC_CREATE, REC_DESTROY and the REC helpers (rmi-1.0.md
 * 5.2, 5.4, 8.10-8.12, 9.5; measurement.md 3.2, 5). REC_ENTER and
 * PSCI_COMPLETE are in test_run.c. */
#include <pthread.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "rmmemu/granule.h"
#include "rmmemu/measure.h"
#include "rmmemu/realm.h"
#include "rmmemu/rec.h"

/* ---- helpers ------------------------------------------------------------ */

static enum granule_state gstate(struct harness *h, uint64_t pa)
{
	return (enum granule_state)granule_find(h->rmm, pa)->state;
}

static struct granule *gr(struct harness *h, uint64_t pa)
{
	return granule_find(h->rmm, pa);
}

static struct realm *realm_of(struct harness *h, const struct h_realm *r)
{
	return gr(h, r->rd)->realm;
}

static struct rec *rec_of(struct harness *h, uint64_t rec)
{
	return gr(h, rec)->rec;
}

/* An NS page with REC params: n delegated aux granules, num_aux = n. */
static struct rmi_rec_params *params_new(struct harness *h, uint64_t *pa,
					 unsigned int n, uint64_t mpidr,
					 uint64_t flags)
{
	struct rmi_rec_params *p;

	*pa = h_alloc(h);
	p = h_ns(h, *pa);
	memset(p, 0, sizeof(*p));
	p->flags = flags;
	p->mpidr = mpidr;
	p->pc = 0x80000000;
	for (unsigned int i = 0; i < RMI_REC_GPRS_PARAMS; i++)
		p->gprs[i] = 0x1000 + i;
	p->num_aux = n;
	for (unsigned int i = 0; i < n; i++)
		p->aux[i] = h_delegated(h);
	return p;
}

static uint64_t rec_create(struct harness *h, uint64_t rd, uint64_t rec,
			   uint64_t params)
{
	return h_call(h, RMI_REC_CREATE, rd, rec, params, 0, 0);
}

/* Creates a REC with mpidr; asserts SUCCESS. */
static uint64_t rec_new(struct harness *h, const struct h_realm *r,
			uint64_t mpidr, uint64_t flags)
{
	uint64_t params, rec = h_delegated(h);

	params_new(h, &params, 16, mpidr, flags);
	assert_rmi(rec_create(h, r->rd, rec, params), RMI_SUCCESS, 0);
	return rec;
}

/* MPIDR (RmiRecMpidr) of REC index i. */
static uint64_t mpidr_of(unsigned int i)
{
	return (i & 0xF) | ((uint64_t)((i >> 4) & 0xFF) << 8) |
	       ((uint64_t)((i >> 12) & 0xFF) << 16) |
	       ((uint64_t)((i >> 20) & 0xFF) << 24);
}

static void assert_aux_state(struct harness *h, const struct rmi_rec_params *p,
			     unsigned int n, enum granule_state state)
{
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(gstate(h, p->aux[i]), state);
}

/* Nothing of a failed REC_CREATE stays: aux and rec DELEGATED, counters and
 * RIM as before. */
struct realm_snapshot {
	uint32_t refcount;
	unsigned int rec_index_next;
	uint8_t rim[REALM_MEASUREMENT_SIZE];
};

static void snapshot(struct harness *h, const struct h_realm *r,
		     struct realm_snapshot *s)
{
	struct realm *realm = realm_of(h, r);

	s->refcount = gr(h, r->rd)->refcount;
	s->rec_index_next = realm->rec_index_next;
	memcpy(s->rim, realm->measurements[0], sizeof(s->rim));
}

static void assert_unchanged(struct harness *h, const struct h_realm *r,
			     const struct realm_snapshot *s)
{
	struct realm_snapshot now;

	snapshot(h, r, &now);
	assert_int_equal(now.refcount, s->refcount);
	assert_int_equal(now.rec_index_next, s->rec_index_next);
	assert_memory_equal(now.rim, s->rim, sizeof(s->rim));
}

/* ---- MPIDR helpers (5.4, rsi-1.0.md 8) ---------------------------------- */

static void test_mpidr_index(void **state)
{
	unsigned int index = 99;

	(void)state;
	assert_true(rec_mpidr_index(0, &index));
	assert_int_equal(index, 0);
	assert_true(rec_mpidr_index(0xF, &index));
	assert_int_equal(index, 15);
	assert_true(rec_mpidr_index(0x100, &index));
	assert_int_equal(index, 16);
	assert_true(rec_mpidr_index(0x10000, &index));
	assert_int_equal(index, 1 << 12);
	assert_true(rec_mpidr_index(0x1000000, &index));
	assert_int_equal(index, 1 << 20);
	assert_true(rec_mpidr_index(0xFFFFFF0F, &index));
	assert_int_equal(index, 0xFFFFFFF);
	/* Aff0[7:4] and bits 63:32 must be zero. */
	index = 7;
	assert_false(rec_mpidr_index(0x10, &index));
	assert_false(rec_mpidr_index(0x80, &index));
	assert_false(rec_mpidr_index(1ULL << 32, &index));
	assert_false(rec_mpidr_index(1ULL << 63, &index));
	assert_int_equal(index, 7);
	for (unsigned int i = 0; i < 5000; i += 37) {
		assert_true(rec_mpidr_index(mpidr_of(i), &index));
		assert_int_equal(index, i);
	}
}

static void test_vmpidr(void **state)
{
	(void)state;
	/* Aff3 moves to bits 39:32, bit 31 is RES1. */
	assert_int_equal(rec_mpidr_to_vmpidr(0), 0x80000000ULL);
	assert_int_equal(rec_mpidr_to_vmpidr(0x0A0B0C0D), 0x0A800B0C0DULL);
	assert_int_equal(rec_vmpidr_index(0x0A80000000ULL), 0xA << 20);
	assert_int_equal(rec_vmpidr_index(0x0A80030201ULL),
			 1 | 2 << 4 | 3 << 12 | 0xA << 20);
	/* PSCI ignores the other bits of the realm's MPIDR value. */
	assert_int_equal(rec_vmpidr_index(0xFF000000C0000015ULL), 5);
	for (unsigned int i = 0; i < 5000; i += 37)
		assert_int_equal(rec_vmpidr_index(rec_mpidr_to_vmpidr(mpidr_of(i))), i);
}

/* ---- REC_AUX_COUNT (8.12) ------------------------------------------------ */

static void test_aux_count(void **state)
{
	struct harness *h = *state;
	struct h_realm r;

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	assert_rmi(h_call(h, RMI_REC_AUX_COUNT, r.rd, 0, 0, 0x44, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 16);
	assert_int_equal(h->last_out[2], 0);
	assert_int_equal(h->last_out[3], 0);
	assert_int_equal(h->last_out[4], 0x44);
	/* G(rd, RD) */
	assert_rmi(h_call(h, RMI_REC_AUX_COUNT, r.rd + 8, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_int_equal(h->last_out[1], 0);
	assert_rmi(h_call(h, RMI_REC_AUX_COUNT, r.rtt_base, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_AUX_COUNT, h_delegated(h), 0, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_AUX_COUNT, h_alloc(h), 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_AUX_COUNT, h->base + h->size, 0, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
}

/* ---- REC_CREATE (8.10) --------------------------------------------------- */

static void test_create_success(void **state)
{
	struct harness *h = *state;
	struct rmi_rec_params *p;
	struct h_realm r;
	uint64_t params, rec = h_delegated(h);
	struct rec *o;

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	p = params_new(h, &params, 16, 0, RMI_REC_CREATE_RUNNABLE);
	assert_rmi(h_call(h, RMI_REC_CREATE, r.rd, rec, params, 0x77, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 0);
	assert_int_equal(h->last_out[4], 0x77);
	assert_int_equal(gstate(h, rec), GRANULE_STATE_REC);
	assert_aux_state(h, p, 16, GRANULE_STATE_REC_AUX);
	for (unsigned int i = 0; i < 16; i++)
		assert_ptr_equal(gr(h, p->aux[i])->realm, realm_of(h, &r));
	assert_int_equal(gr(h, r.rd)->refcount, 1);
	assert_int_equal(gr(h, rec)->refcount, 0);
	assert_int_equal(realm_of(h, &r)->rec_index_next, 1);

	/* spec: x0..x7 and PC from the params, the rest zero, EL1h with
	 * DAIF masked, SCTLR_EL1 at reset, runnable from the flags. */
	o = rec_of(h, rec);
	assert_non_null(o);
	assert_ptr_equal(o->realm, realm_of(h, &r));
	assert_int_equal(o->pa, rec);
	assert_int_equal(o->index, 0);
	assert_true(o->runnable);
	assert_int_equal(o->regs.pc, 0x80000000);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(o->regs.gprs[i], 0x1000 + i);
	for (unsigned int i = 8; i < 31; i++)
		assert_int_equal(o->regs.gprs[i], 0);
	assert_int_equal(o->regs.pstate, 0x3C5);
	assert_int_equal(o->regs.sctlr_el1, REC_SCTLR_EL1_RESET);
	assert_int_equal(o->regs.sctlr_el1 & 1, 0);	/* MMU off */
	assert_false(o->psci.pending);
	assert_false(o->ripas.pending);
	assert_false(o->host_call.pending);
	for (unsigned int i = 0; i < 16; i++)
		assert_int_equal(o->aux[i], p->aux[i]);

	/* The aux and REC granules are the RMM's now. */
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, p->aux[3], 0, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, rec, 0, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* A REC keeps its realm: REALM_DESTROY fails while it exists. */
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_ERROR_REALM, 0);
}

static void test_create_not_runnable(void **state)
{
	struct harness *h = *state;
	struct h_realm r;
	uint64_t rec;

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	rec = rec_new(h, &r, 0, 0);
	assert_false(rec_of(h, rec)->runnable);
	/* Flag bits other than RUNNABLE are not checked. */
	rec = rec_new(h, &r, 1, 0xFFFFFFFFFFFFFFFEULL);
	assert_false(rec_of(h, rec)->runnable);
	rec = rec_new(h, &r, 2, 0xFFFFFFFFFFFFFFFFULL);
	assert_true(rec_of(h, rec)->runnable);
}

/* Failure 1: NS(params_ptr). */
static void test_create_params_ptr(void **state)
{
	struct harness *h = *state;
	struct realm_snapshot s;
	struct rmi_rec_params *p;
	struct h_realm r;
	uint64_t params, rec = h_delegated(h), bad = h_delegated(h);

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	p = params_new(h, &params, 16, 0, RMI_REC_CREATE_RUNNABLE);
	snapshot(h, &r, &s);
	assert_rmi(rec_create(h, r.rd, rec, params + 8), RMI_ERROR_INPUT, 0);
	assert_rmi(rec_create(h, r.rd, rec, h->base + h->size), RMI_ERROR_INPUT, 0);
	assert_rmi(rec_create(h, r.rd, rec, 0), RMI_ERROR_INPUT, 0);
	/* A delegated page holding valid params is not NS. */
	memcpy(h_ns(h, bad), p, sizeof(*p));
	assert_rmi(rec_create(h, r.rd, rec, bad), RMI_ERROR_INPUT, 0);
	/* Failure 1 comes before everything: bad rd and active realm too. */
	assert_rmi(rec_create(h, rec, r.rd, bad), RMI_ERROR_INPUT, 0);
	assert_unchanged(h, &r, &s);
	assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
	assert_int_equal(gstate(h, rec), GRANULE_STATE_DELEGATED);
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_SUCCESS, 0);
}

/* Failure 2: num_aux (low 32 bits) > 16; nothing is claimed. */
static void test_create_num_aux_too_big(void **state)
{
	struct harness *h = *state;
	struct realm_snapshot s;
	struct rmi_rec_params *p;
	struct h_realm r;
	uint64_t params, rec = h_delegated(h);

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	p = params_new(h, &params, 16, 0, RMI_REC_CREATE_RUNNABLE);
	snapshot(h, &r, &s);
	p->num_aux = 17;
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	p->num_aux = 0xFFFFFFFF;
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
	assert_unchanged(h, &r, &s);
	/* Only the low 32 bits count: 2^32 + 16 is 16. */
	p->num_aux = (1ULL << 32) | 16;
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_SUCCESS, 0);
	assert_aux_state(h, p, 16, GRANULE_STATE_REC_AUX);
}

/* Failure 3: each aux must be DELEGATED; the ones already claimed go back. */
static void test_create_aux_checks(void **state)
{
	struct harness *h = *state;
	struct realm_snapshot s;
	struct rmi_rec_params *p;
	struct h_realm r;
	uint64_t params, rec = h_delegated(h), saved;

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	p = params_new(h, &params, 16, 0, RMI_REC_CREATE_RUNNABLE);
	snapshot(h, &r, &s);
	for (unsigned int bad = 0; bad < 16; bad += 5) {
		const uint64_t wrong[] = { h_alloc(h), p->aux[bad] + 8, r.rd,
					   r.rtt_base, h->base + h->size };

		saved = p->aux[bad];
		for (unsigned int k = 0; k < sizeof(wrong) / sizeof(wrong[0]); k++) {
			p->aux[bad] = wrong[k];
			assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
			p->aux[bad] = saved;
			assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
			assert_unchanged(h, &r, &s);
		}
	}
	/* A repeated aux address fails on its second use and rolls back. */
	saved = p->aux[9];
	p->aux[9] = p->aux[2];
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
	/* The REC granule as an aux: claimed, then G(rec, DELEGATED) fails. */
	p->aux[9] = rec;
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
	assert_int_equal(gstate(h, rec), GRANULE_STATE_DELEGATED);
	p->aux[9] = saved;
	/* An aux failure comes before the realm state (ERROR_REALM). */
	p->aux[0] = h_alloc(h);
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	assert_unchanged(h, &r, &s);
}

/* Failure 4: G(rec, DELEGATED), G(rd, RD), rec != rd. */
static void test_create_rec_rd(void **state)
{
	struct harness *h = *state;
	struct realm_snapshot s;
	struct rmi_rec_params *p;
	struct h_realm r, r2;
	uint64_t params, rec = h_delegated(h), other;

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	h_realm_create(h, &r2, 40, RMI_HASH_SHA_256);
	other = rec_new(h, &r2, 0, 0);
	p = params_new(h, &params, 16, 0, RMI_REC_CREATE_RUNNABLE);
	snapshot(h, &r, &s);
	{
		const uint64_t bad_rec[] = { h_alloc(h), rec + 8, r.rd, r2.rd, other,
					     r.rtt_base, h->base + h->size };
		const uint64_t bad_rd[] = { h_delegated(h), r.rd + 8, rec, other,
					    r.rtt_base, h_alloc(h) };

		for (unsigned int i = 0; i < sizeof(bad_rec) / sizeof(bad_rec[0]); i++) {
			assert_rmi(rec_create(h, r.rd, bad_rec[i], params),
				   RMI_ERROR_INPUT, 0);
			assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
		}
		for (unsigned int i = 0; i < sizeof(bad_rd) / sizeof(bad_rd[0]); i++) {
			assert_rmi(rec_create(h, bad_rd[i], rec, params),
				   RMI_ERROR_INPUT, 0);
			assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
		}
	}
	/* An aux granule of another REC is not DELEGATED. */
	assert_rmi(rec_create(h, r.rd, rec_of(h, other)->aux[0], params),
		   RMI_ERROR_INPUT, 0);
	assert_unchanged(h, &r, &s);
	assert_int_equal(gstate(h, rec), GRANULE_STATE_DELEGATED);
	/* Failure 4 comes before the realm state. */
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(rec_create(h, r.rd, h_alloc(h), params), RMI_ERROR_INPUT, 0);
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_REALM, 0);
	assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
}

/* Failure 6: realm not NEW; it wins over the MPIDR and num_aux checks. */
static void test_create_realm_state(void **state)
{
	struct harness *h = *state;
	struct realm_snapshot s;
	struct rmi_rec_params *p;
	struct h_realm r;
	uint64_t params, rec = h_delegated(h);

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	rec_new(h, &r, 0, RMI_REC_CREATE_RUNNABLE);
	p = params_new(h, &params, 16, 1, 0);
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	snapshot(h, &r, &s);
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_REALM, 0);
	assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
	p->mpidr = 0x10;	/* also failure 7 */
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_REALM, 0);
	p->mpidr = 1;
	p->num_aux = 15;	/* also failure 8 */
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_REALM, 0);
	assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
	assert_unchanged(h, &r, &s);
	assert_int_equal(gstate(h, rec), GRANULE_STATE_DELEGATED);
}

/* Failure 7: MPIDR bits and REC index order. */
static void test_create_mpidr(void **state)
{
	struct harness *h = *state;
	struct realm_snapshot s;
	struct rmi_rec_params *p;
	struct h_realm r;
	uint64_t params, rec = h_delegated(h);
	const uint64_t bad[] = { 0x10, 0xF0, 1ULL << 32, 1ULL << 40, 1ULL << 63,
				 0x100000000ULL };

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	p = params_new(h, &params, 16, 0, RMI_REC_CREATE_RUNNABLE);
	snapshot(h, &r, &s);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p->mpidr = bad[i];
		assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
		assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
	}
	/* The first REC must have index 0. */
	p->mpidr = 1;
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	p->mpidr = 0x100;
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	assert_unchanged(h, &r, &s);
	assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
	p->mpidr = 0;
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_SUCCESS, 0);
	/* Index 0..15 in Aff0, then 16 = Aff1 1. */
	for (unsigned int i = 1; i < 16; i++)
		rec_new(h, &r, i, 0);
	p = params_new(h, &params, 16, 0x10, 0);
	rec = h_delegated(h);
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	p->mpidr = 0x101;
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	p->mpidr = 0x100;
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_SUCCESS, 0);
	assert_int_equal(rec_of(h, rec)->index, 16);
	assert_int_equal(rec_of(h, rec)->mpidr, 0x100);
	assert_int_equal(realm_of(h, &r)->rec_index_next, 17);
	assert_int_equal(gr(h, r.rd)->refcount, 17);
}

/* Failure 8: num_aux must be 16 (checked last). */
static void test_create_num_aux_not_16(void **state)
{
	struct harness *h = *state;
	struct realm_snapshot s;
	struct rmi_rec_params *p;
	struct h_realm r;
	uint64_t params, rec = h_delegated(h);

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	for (unsigned int n = 0; n < 16; n += 5) {
		p = params_new(h, &params, n, 0, RMI_REC_CREATE_RUNNABLE);
		snapshot(h, &r, &s);
		assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
		assert_aux_state(h, p, n, GRANULE_STATE_DELEGATED);
		assert_unchanged(h, &r, &s);
	}
	/* A bad MPIDR (failure 7) and num_aux 15: the same code, nothing kept. */
	p = params_new(h, &params, 15, 0x3, RMI_REC_CREATE_RUNNABLE);
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	assert_aux_state(h, p, 15, GRANULE_STATE_DELEGATED);
	assert_int_equal(gstate(h, rec), GRANULE_STATE_DELEGATED);
}

/* The counter of REC indices never goes down (8.10 item 7). */
static void test_create_index_after_destroy(void **state)
{
	struct harness *h = *state;
	struct rmi_rec_params *p;
	struct h_realm r;
	uint64_t params, rec0, rec;

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	rec0 = rec_new(h, &r, 0, RMI_REC_CREATE_RUNNABLE);
	assert_rmi(h_call(h, RMI_REC_DESTROY, rec0, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(gr(h, r.rd)->refcount, 0);
	assert_int_equal(realm_of(h, &r)->rec_index_next, 1);
	p = params_new(h, &params, 16, 0, 0);
	rec = h_delegated(h);
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	p->mpidr = 1;
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_SUCCESS, 0);
	/* The same granules can be used again after REC_DESTROY. */
	assert_rmi(h_call(h, RMI_REC_DESTROY, rec, 0, 0, 0, 0), RMI_SUCCESS, 0);
	p->mpidr = 2;
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_SUCCESS, 0);
	assert_int_equal(rec_of(h, rec)->index, 2);
}

/* Failure 5: 1023 RECs at most. Needs 17 granules per REC, so a second host
 * region is added. */
static void test_create_max_recs(void **state)
{
	const uint64_t base2 = 0x400000000ULL, size2 = 96ULL << 20;
	struct harness *h = *state;
	struct realm_snapshot s;
	struct rmi_rec_params *p;
	uint64_t next = base2, params, rec, recs[REALM_MAX_RECS];
	struct h_realm r;

	h_add_region(h, base2, size2);
	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	params = h_alloc(h);
	p = h_ns(h, params);
	memset(p, 0, sizeof(*p));
	p->num_aux = 16;
	for (unsigned int i = 0; i < REALM_MAX_RECS; i++) {
		for (unsigned int j = 0; j <= 16; j++, next += RMI_GRANULE_SIZE)
			assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, next, 0, 0, 0, 0),
				   RMI_SUCCESS, 0);
		recs[i] = next - 17 * RMI_GRANULE_SIZE;
		for (unsigned int j = 0; j < 16; j++)
			p->aux[j] = recs[i] + (j + 1) * RMI_GRANULE_SIZE;
		p->mpidr = mpidr_of(i);
		assert_rmi(rec_create(h, r.rd, recs[i], params), RMI_SUCCESS, 0);
	}
	assert_int_equal(gr(h, r.rd)->refcount, 1023);
	/* The 1024th fails on the count, whatever its MPIDR. */
	p = params_new(h, &params, 16, mpidr_of(1023), 0);
	rec = h_delegated(h);
	snapshot(h, &r, &s);
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_REALM, 0);
	p->mpidr = 0x10;
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_REALM, 0);
	assert_aux_state(h, p, 16, GRANULE_STATE_DELEGATED);
	assert_unchanged(h, &r, &s);
	/* After a REC_DESTROY there is room again, at the next index. */
	assert_rmi(h_call(h, RMI_REC_DESTROY, recs[5], 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	p->mpidr = mpidr_of(5);
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_ERROR_INPUT, 0);
	p->mpidr = mpidr_of(1023);
	assert_rmi(rec_create(h, r.rd, rec, params), RMI_SUCCESS, 0);
	assert_int_equal(rec_of(h, rec)->index, 1023);
	assert_int_equal(gr(h, r.rd)->refcount, 1023);
}

/* ---- RIM (measurement.md 3.2, 5) ------------------------------------------ */

static void test_create_rim(void **state)
{
	struct harness *h = *state;
	static struct realm expected;
	struct rmi_rec_params *p;
	struct h_realm r;
	uint64_t params, rec;

	for (int algo = RMI_HASH_SHA_256; algo <= RMI_HASH_SHA_512; algo++) {
		h_realm_create(h, &r, 40, (enum rmi_hash_algo)algo);
		expected = *realm_of(h, &r);
		/* Not RUNNABLE: RIM unchanged. */
		rec = h_delegated(h);
		p = params_new(h, &params, 16, 0, 0);
		assert_rmi(rec_create(h, r.rd, rec, params), RMI_SUCCESS, 0);
		assert_memory_equal(realm_of(h, &r)->measurements[0],
				    expected.measurements[0], REALM_MEASUREMENT_SIZE);
		/* RUNNABLE: one REC descriptor over flags, pc, gprs. */
		rec = h_delegated(h);
		p = params_new(h, &params, 16, 1, RMI_REC_CREATE_RUNNABLE);
		p->gprs[0] = 0x1234;
		p->pc = 0x88000000;
		measure_extend_rec(&expected, p);
		assert_memory_not_equal(realm_of(h, &r)->measurements[0],
					expected.measurements[0], REALM_MEASUREMENT_SIZE);
		assert_rmi(rec_create(h, r.rd, rec, params), RMI_SUCCESS, 0);
		assert_memory_equal(realm_of(h, &r)->measurements[0],
				    expected.measurements[0], REALM_MEASUREMENT_SIZE);
		/* The REMs stay zero. */
		for (unsigned int i = 1; i < REALM_MEASUREMENTS; i++)
			for (unsigned int j = 0; j < REALM_MEASUREMENT_SIZE; j++)
				assert_int_equal(realm_of(h, &r)->measurements[i][j], 0);
	}
}

static void assert_rim(struct harness *h, const struct h_realm *r,
		       const char *hex, size_t size)
{
	const uint8_t *rim = realm_of(h, r)->measurements[0];
	char buf[2 * MEASURE_MAX_DIGEST + 1];

	for (size_t i = 0; i < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", rim[i]);
	assert_string_equal(buf, hex);
}

static void page_pattern(struct harness *h, uint64_t pa, unsigned int add)
{
	uint8_t *page = h_ns(h, pa);

	for (unsigned int i = 0; i < RMI_GRANULE_SIZE; i++)
		page[i] = (uint8_t)((i * 31 + add) % 256);
}

/* measurement.md 5: the reference's SHA-256 worked example, through RMI. The
 * RTT geometry and the unmeasured params (rpv, vmid) do not matter. */
static void test_rim_worked_example_sha256(void **state)
{
	struct harness *h = *state;
	struct rmi_rec_params *p;
	uint64_t src = h_alloc(h), params;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	assert_rim(h, &r, "045cb3602843a6845cb710fbbfbb92f0c7d611afe0106ac2953e46950a70c42b", 32);
	h_rtt_create_to(h, &r, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0, 0x2000, 0, 0), RMI_SUCCESS, 0);
	assert_rim(h, &r, "9b5303525fcfb072d304da0e179e2c9704276a077026267a9b1c0d7a0e42bb0f", 32);
	page_pattern(h, src, 0x5A);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, h_delegated(h), 0x1000, src, 1),
		   RMI_SUCCESS, 0);
	assert_rim(h, &r, "dbfa5c79a0980ddd566b7bf6f00a9ea8ae3dcd636dde494d7fb3091ae91fd86c", 32);
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd, h_delegated(h), 0x3000, 0, 0),
		   RMI_SUCCESS, 0);
	assert_rim(h, &r, "dbfa5c79a0980ddd566b7bf6f00a9ea8ae3dcd636dde494d7fb3091ae91fd86c", 32);
	p = params_new(h, &params, 16, 0, RMI_REC_CREATE_RUNNABLE);
	memset(p->gprs, 0, sizeof(p->gprs));
	p->gprs[0] = 0x11;
	p->gprs[1] = 0x22;
	assert_rmi(rec_create(h, r.rd, h_delegated(h), params), RMI_SUCCESS, 0);
	assert_rim(h, &r, "5630645cb895f1c894e6319edf4b289881eb301ee505dc28a02ca57b6de01bd7", 32);
	/* A REC that is not RUNNABLE adds nothing. */
	params_new(h, &params, 16, 1, 0);
	assert_rmi(rec_create(h, r.rd, h_delegated(h), params), RMI_SUCCESS, 0);
	assert_rim(h, &r, "5630645cb895f1c894e6319edf4b289881eb301ee505dc28a02ca57b6de01bd7", 32);
}

/* measurement.md 6: the SHA-512 example, ending with its REC_CREATE. */
static void test_rim_worked_example_sha512(void **state)
{
	struct harness *h = *state;
	struct rmi_rec_params *p;
	uint64_t src = h_alloc(h), params;
	struct h_realm r;

	h_realm_create(h, &r, 40, RMI_HASH_SHA_512);
	assert_rim(h, &r, "066e19aa2c3418dadc20ef31b5595907c612991952553e1e99731a677b5797c9"
		   "898dffb6e3963a20b8e1af6d136cd2fe6fe25f048577dc3d7e5bf3a79a4b1e81", 64);
	h_rtt_create_to(h, &r, 0, 2);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0x200000, 0x400000, 0, 0),
		   RMI_SUCCESS, 0);
	assert_rim(h, &r, "5aea895661e38c34443329c9fdbc983ed38bc30faec3219c5fb2ceab94c8f4d4"
		   "91fc5ea7cc4aa0c6633c739c8882257e043eaed427e0594d15614b8de86082dd", 64);
	h_rtt_create_to(h, &r, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0, 0x3000, 0, 0), RMI_SUCCESS, 0);
	assert_rim(h, &r, "765d5d30160f148bc9715a6379b7d65b57c53aced806cfd43d066caea0a018ee"
		   "543b304771489ee20dbc8cd5f6ff3a1d1dc84773e23cb991f37fd94b1bcb7628", 64);
	page_pattern(h, src, 1);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, h_delegated(h), 0, src, 1),
		   RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, h_delegated(h), 0x1000, src, 0),
		   RMI_SUCCESS, 0);
	assert_rim(h, &r, "8d44e48267966eaaf149cabbef06c879cfb13a52ac36ce6ef5e3669df2aaa196"
		   "5501e722236378810f207a50dd29b1e5d5a7b5682b17fa16929aeb04a5cf6f6b", 64);
	p = params_new(h, &params, 16, 0, RMI_REC_CREATE_RUNNABLE);
	memset(p->gprs, 0, sizeof(p->gprs));
	p->gprs[0] = 0x1234;
	p->mpidr = 0;
	assert_rmi(rec_create(h, r.rd, h_delegated(h), params), RMI_SUCCESS, 0);
	assert_rim(h, &r, "2101a4907c06e19425ad8e83bd9f4eda18ed66cf7a581d699c2652d63f565454"
		   "9812fef1802e7c12aa94cb061bcd64f617edfd82ba009b9eb380d6a639bab620", 64);
}

/* ---- REC_DESTROY (8.11) -------------------------------------------------- */

static void test_destroy(void **state)
{
	struct harness *h = *state;
	struct h_realm r;
	uint64_t rec0, rec1, aux[16];

	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	rec0 = rec_new(h, &r, 0, RMI_REC_CREATE_RUNNABLE);
	rec1 = rec_new(h, &r, 1, 0);
	memcpy(aux, rec_of(h, rec0)->aux, sizeof(aux));
	assert_int_equal(gr(h, r.rd)->refcount, 2);
	/* Failure 1: G(rec, REC). */
	assert_rmi(h_call(h, RMI_REC_DESTROY, rec0 + 8, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_DESTROY, r.rd, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_DESTROY, aux[0], 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_DESTROY, r.rtt_base, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_DESTROY, h_delegated(h), 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_DESTROY, h_alloc(h), 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_DESTROY, h->base + h->size, 0, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_int_equal(gr(h, r.rd)->refcount, 2);

	/* No realm-state check. */
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_REC_DESTROY, rec0, 0, 0, 0x55, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 0);
	assert_int_equal(h->last_out[4], 0x55);
	assert_int_equal(gstate(h, rec0), GRANULE_STATE_DELEGATED);
	assert_null(gr(h, rec0)->rec);
	for (unsigned int i = 0; i < 16; i++) {
		uint8_t *priv = granule_priv(h->rmm, gr(h, aux[i]));

		assert_int_equal(gstate(h, aux[i]), GRANULE_STATE_DELEGATED);
		assert_null(gr(h, aux[i])->realm);
		for (unsigned int j = 0; j < RMI_GRANULE_SIZE; j += 512)
			assert_int_equal(priv[j], 0);
	}
	assert_int_equal(gr(h, r.rd)->refcount, 1);
	assert_rmi(h_call(h, RMI_REC_DESTROY, rec0, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_ERROR_REALM, 0);
	assert_rmi(h_call(h, RMI_REC_DESTROY, rec1, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(gr(h, r.rd)->refcount, 0);
	/* Everything goes back to the host. */
	for (unsigned int i = 0; i < 16; i++)
		assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, aux[i], 0, 0, 0, 0),
			   RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, rec0, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
}

/* REC and RD at either order of addresses (the lock order differs). */
static void test_destroy_address_orders(void **state)
{
	struct harness *h = *state;
	struct h_realm r;
	uint64_t low, params;

	low = h_delegated(h);	/* below the RD */
	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	params_new(h, &params, 16, 0, RMI_REC_CREATE_RUNNABLE);
	assert_rmi(rec_create(h, r.rd, low, params), RMI_SUCCESS, 0);
	assert_true(low < r.rd);
	{
		uint64_t high = rec_new(h, &r, 1, 0);

		assert_true(high > r.rd);
		assert_rmi(h_call(h, RMI_REC_DESTROY, high, 0, 0, 0, 0), RMI_SUCCESS, 0);
	}
	assert_rmi(h_call(h, RMI_REC_DESTROY, low, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(gr(h, r.rd)->refcount, 0);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
}

/* rmm_free tears down RECs that were never destroyed. */
static void test_free_with_recs(void **state)
{
	struct harness *h = h_new(NULL);
	struct h_realm r;

	(void)state;
	h_realm_create(h, &r, 40, RMI_HASH_SHA_512);
	rec_new(h, &r, 0, RMI_REC_CREATE_RUNNABLE);
	rec_new(h, &r, 1, 0);
	h_free(h);
}

/* ---- exceptions injected into the realm (9.5) ---------------------------- */

static void test_inject_sea(void **state)
{
	struct {
		uint64_t pstate, offset, ec_data, ec_instr;
	} const cases[] = {
		{ 0x3C5, 0x200, 0x25, 0x21 },	/* EL1h */
		{ 0x3C4, 0x000, 0x25, 0x21 },	/* EL1t */
		{ 0x000, 0x400, 0x24, 0x20 },	/* EL0t, AArch64 */
		{ 0x010, 0x600, 0x24, 0x20 },	/* EL0, AArch32 */
	};
	struct rec rec;

	(void)state;
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int instr = 0; instr <= 1; instr++) {
			/* ISV, SAS, WnR etc. kept; FnV, S1PTW cleared; FSC and
			 * EA forced. */
			uint64_t iss = 0x01C30000ULL | ESR_FNV | ESR_S1PTW | 0x40 | 0x07;
			uint64_t esr = (instr ? 0x20ULL : 0x24ULL) << 26 | ESR_IL | iss;
			uint64_t ec = instr ? cases[i].ec_instr : cases[i].ec_data;

			memset(&rec, 0, sizeof(rec));
			rec.regs.pc = 0x4000;
			rec.regs.pstate = cases[i].pstate | 0xF0000000;
			rec.regs.vbar_el1 = 0x10000;
			rec.regs.gprs[3] = 33;
			rec_inject_sea(&rec, esr, 0xABCDE123);
			assert_int_equal(rec.regs.esr_el1,
					 ec << 26 | ESR_IL | 0x01C30000ULL | 0x40 |
					 ESR_EA | 0x10);
			assert_int_equal(rec.regs.far_el1, 0xABCDE123);
			assert_int_equal(rec.regs.elr_el1, 0x4000);
			assert_int_equal(rec.regs.spsr_el1, cases[i].pstate | 0xF0000000);
			assert_int_equal(rec.regs.pc, 0x10000 + cases[i].offset);
			assert_int_equal(rec.regs.pstate, 0x3C5);
			assert_int_equal(rec.regs.gprs[3], 33);
		}
	}
}

static void test_inject_undef(void **state)
{
	struct rec rec;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	rec.regs.pc = 0x5004;
	rec.regs.pstate = 0x60000000 | 0x3C5;
	rec.regs.vbar_el1 = 0x20000;
	rec.regs.far_el1 = 0x99;
	rec_inject_undef(&rec, 0x5000);
	assert_int_equal(rec.regs.esr_el1, 0x02000000);
	assert_int_equal(rec.regs.elr_el1, 0x5000);
	assert_int_equal(rec.regs.spsr_el1, 0x600003C5);
	assert_int_equal(rec.regs.pc, 0x20200);
	assert_int_equal(rec.regs.pstate, 0x3C5);
	assert_int_equal(rec.regs.far_el1, 0x99);
	rec.regs.pstate = 0;
	rec_inject_undef(&rec, 0x7000);
	assert_int_equal(rec.regs.pc, 0x20400);
	assert_int_equal(rec.regs.spsr_el1, 0);
}

/* ---- concurrency -------------------------------------------------------- */

#define RACE_RECS	48

struct race {
	struct harness *h;
	uint64_t rd;
	uint64_t rec[RACE_RECS];
	uint64_t aux[RACE_RECS][16];
	uint64_t params;
	unsigned int created;		/* atomic */
	unsigned int done;		/* atomic */
	unsigned int destroy_busy;	/* ERROR_REC seen by REC_DESTROY */
	unsigned int bad;		/* unexpected results */
};

static uint64_t race_call(struct race *rc, uint32_t fid, uint64_t x1, uint64_t x2,
			  uint64_t x3)
{
	uint64_t x[7] = { fid, x1, x2, x3 }, out[5];

	rmm_call(rc->h->rmm, x, out);
	return out[0];
}

static void *race_create(void *arg)
{
	struct race *rc = arg;
	struct rmi_rec_params *p = h_ns(rc->h, rc->params);

	for (unsigned int i = 0; i < RACE_RECS; i++) {
		memset(p, 0, sizeof(*p));
		p->mpidr = mpidr_of(i);
		p->flags = i & 1;
		p->num_aux = 16;
		memcpy(p->aux, rc->aux[i], sizeof(p->aux));
		if (race_call(rc, RMI_REC_CREATE, rc->rd, rc->rec[i], rc->params) != 0)
			__atomic_add_fetch(&rc->bad, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&rc->created, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *race_destroy(void *arg)
{
	struct race *rc = arg;

	for (unsigned int i = 0; i < RACE_RECS; i++) {
		uint64_t ret;

		while (__atomic_load_n(&rc->created, __ATOMIC_ACQUIRE) <= i)
			sched_yield();
		/* A REC_ENTER of the other thread may hold it for a moment. */
		while ((ret = race_call(rc, RMI_REC_DESTROY, rc->rec[i], 0, 0)) ==
		       RMI_ERROR_REC)
			__atomic_add_fetch(&rc->destroy_busy, 1, __ATOMIC_RELAXED);
		if (ret != RMI_SUCCESS)
			__atomic_add_fetch(&rc->bad, 1, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&rc->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Calls on the same granules that must fail, whatever the moment. */
static void *race_poke(void *arg)
{
	struct race *rc = arg;
	uint64_t run = h_alloc(rc->h);

	for (unsigned int n = 0; !__atomic_load_n(&rc->done, __ATOMIC_ACQUIRE); n++) {
		unsigned int i = n % RACE_RECS, j = (n + 1) % RACE_RECS;
		uint64_t ret = race_call(rc, RMI_REC_ENTER, rc->rec[i], run, 0);

		/* A REC of a NEW realm, or no REC (yet / any more). */
		if (ret != RMI_ERROR_REALM && ret != RMI_ERROR_INPUT)
			__atomic_add_fetch(&rc->bad, 1, __ATOMIC_RELAXED);
		if (race_call(rc, RMI_PSCI_COMPLETE, rc->rec[i], rc->rec[j], 0) !=
		    RMI_ERROR_INPUT)
			__atomic_add_fetch(&rc->bad, 1, __ATOMIC_RELAXED);
		if (race_call(rc, RMI_REC_AUX_COUNT, rc->rd, 0, 0) != RMI_SUCCESS)
			__atomic_add_fetch(&rc->bad, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* REC_CREATE, REC_DESTROY (RECs below and above the RD: both lock orders),
 * REC_ENTER and PSCI_COMPLETE on the same RECs from three threads: no
 * deadlock, every result one that a serial order allows, counts right. */
static void test_concurrent_rec_calls(void **state)
{
	struct harness *h = *state;
	struct race *rc = calloc(1, sizeof(*rc));
	pthread_t t[3];
	struct h_realm r;

	assert_non_null(rc);
	rc->h = h;
	for (unsigned int i = 0; i < RACE_RECS; i += 2)
		rc->rec[i] = h_delegated(h);
	h_realm_create(h, &r, 40, RMI_HASH_SHA_256);
	rc->rd = r.rd;
	for (unsigned int i = 1; i < RACE_RECS; i += 2)
		rc->rec[i] = h_delegated(h);
	for (unsigned int i = 0; i < RACE_RECS; i++)
		for (unsigned int j = 0; j < 16; j++)
			rc->aux[i][j] = h_delegated(h);
	rc->params = h_alloc(h);
	assert_int_equal(pthread_create(&t[0], NULL, race_create, rc), 0);
	assert_int_equal(pthread_create(&t[1], NULL, race_destroy, rc), 0);
	assert_int_equal(pthread_create(&t[2], NULL, race_poke, rc), 0);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(rc->bad, 0);
	assert_int_equal(gr(h, r.rd)->refcount, 0);
	assert_int_equal(realm_of(h, &r)->rec_index_next, RACE_RECS);
	for (unsigned int i = 0; i < RACE_RECS; i++) {
		assert_int_equal(gstate(h, rc->rec[i]), GRANULE_STATE_DELEGATED);
		for (unsigned int j = 0; j < 16; j++)
			assert_int_equal(gstate(h, rc->aux[i][j]), GRANULE_STATE_DELEGATED);
	}
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	free(rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mpidr_index),
		cmocka_unit_test(test_vmpidr),
		cmocka_unit_test_setup_teardown(test_aux_count, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_success, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_not_runnable, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_params_ptr, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_num_aux_too_big, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_aux_checks, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_rec_rd, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_realm_state, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_mpidr, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_num_aux_not_16, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_index_after_destroy, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_max_recs, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_create_rim, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_rim_worked_example_sha256, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_rim_worked_example_sha512, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_destroy, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_address_orders, h_setup, h_teardown),
		cmocka_unit_test(test_free_with_recs),
		cmocka_unit_test(test_inject_sea),
		cmocka_unit_test(test_inject_undef),
		cmocka_unit_test_setup_teardown(test_concurrent_rec_calls, h_setup, h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
