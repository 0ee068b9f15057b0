/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DATA_CREATE, DATA_CREATE_UNKNOWN and DATA_DESTROY through rmm_call
 * (rmi-1.0.md 8.4-8.6), and the RIM they build with RTT_INIT_RIPAS and
 * REC_CREATE against the reference RMM's worked examples (measurement.md 5,
 * 6).
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "rmmemu/granule.h"
#include "rmmemu/measure.h"
#include "rmmemu/realm.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL
#define SZ_512G	0x8000000000ULL
#define TOP_48	0x1000000000000ULL

#define assert_entry(h, rd, ipa, level, xlevel, xstate, xdesc, xripas) do { \
	assert_rmi(h_call((h), RMI_RTT_READ_ENTRY, (rd), (ipa), (uint64_t)(level), \
			  0xDEAD, 0), RMI_SUCCESS, 0); \
	assert_int_equal((h)->last_out[1], (uint64_t)(xlevel)); \
	assert_int_equal((h)->last_out[2], (xstate)); \
	assert_int_equal((h)->last_out[3], (xdesc)); \
	assert_int_equal((h)->last_out[4], (xripas)); \
} while (0)

static const uint8_t zero[SZ_4K];

static struct granule *g_of(struct harness *h, uint64_t pa)
{
	return granule_find(h->rmm, pa);
}

static uint8_t *rim_of(struct harness *h, const struct h_realm *r)
{
	return g_of(h, r->rd)->realm->measurements[0];
}

/* An NS page whose byte i is (i * mul + add) mod 256. */
static uint64_t src_page(struct harness *h, unsigned int mul, unsigned int add)
{
	uint64_t pa = h_alloc(h);
	uint8_t *p = h_ns(h, pa);

	for (unsigned int i = 0; i < SZ_4K; i++)
		p[i] = (uint8_t)((i * mul + add) % 256);
	return pa;
}

static uint64_t data_create(struct harness *h, const struct h_realm *r,
			    uint64_t ipa, uint64_t src, uint64_t flags)
{
	uint64_t data = h_delegated(h);

	assert_rmi(h_call(h, RMI_DATA_CREATE, r->rd, data, ipa, src, flags),
		   RMI_SUCCESS, 0);
	return data;
}

static uint64_t data_unknown(struct harness *h, const struct h_realm *r,
			     uint64_t ipa)
{
	uint64_t data = h_delegated(h);

	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r->rd, data, ipa, 0, 0),
		   RMI_SUCCESS, 0);
	return data;
}

/* A granule at 2^48, in a region of its own, delegated. */
static uint64_t delegated_above_48(struct harness *h)
{
	h_add_region(h, TOP_48, SZ_4K);
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, TOP_48, 0, 0, 0, 0), RMI_SUCCESS, 0);
	return TOP_48;
}

/* data untouched by a failed call: DELEGATED, zero, usable. */
static void assert_still_delegated(struct harness *h, uint64_t data)
{
	assert_int_equal(g_of(h, data)->state, GRANULE_STATE_DELEGATED);
	assert_memory_equal(granule_priv(h->rmm, g_of(h, data)), zero, SZ_4K);
}

static void activate(struct harness *h, const struct h_realm *r)
{
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, r->rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
}

/* ======================================================================== */
/* DATA_CREATE (8.4) */

static void test_data_create_failures(void **state)
{
	struct harness *h = *state;
	uint64_t src = src_page(h, 1, 0), data = h_delegated(h), ns = h_alloc(h);
	uint64_t dsrc = h_delegated(h), other = h_delegated(h), high;
	uint8_t rim[REALM_MEASUREMENT_SIZE];
	struct h_realm r, ra, r0;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_realm_create_at(h, &ra, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	h_rtt_create_to(h, &ra, 0, 3);
	activate(h, &ra);
	memcpy(rim, rim_of(h, &r), sizeof(rim));
	/* 1. flags not 0 or 1: first of all, even on an ACTIVE realm. */
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data, 0, src, 2), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, ra.rd, data, 0, src, 2), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data, 0, src, ~0ULL),
		   RMI_ERROR_INPUT, 0);
	/* 2. NS(src): a delegated source (also before the realm state). */
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data, 0, dsrc, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, ra.rd, data, 0, dsrc, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data, 0, src + 8, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data, 0, h->base + h->size, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data, 0, r.rd, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data, 0, data, 0), RMI_ERROR_INPUT, 0);
	/* 3. G(data, DELEGATED), G(rd, RD), data == rd (before the state). */
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, ns, 0, src, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, ra.rd, ns, 0, src, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, r.rd, 0, src, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, r.rtt_base, 0, src, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, other, data, 0, src, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data + 8, 0, src, 0),
		   RMI_ERROR_INPUT, 0);
	/* 4. realm not NEW: before the ipa and the walk. */
	assert_rmi(h_call(h, RMI_DATA_CREATE, ra.rd, data, 0, src, 0), RMI_ERROR_REALM, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, ra.rd, data, SZ_512G, src, 0),
		   RMI_ERROR_REALM, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, ra.rd, data, SZ_2M, src, 1),
		   RMI_ERROR_REALM, 0);
	/* 5. ipa not in the PAR (before the walk, which stops at 0). */
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data, SZ_512G, src, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data, 1ULL << 40, src, 0),
		   RMI_ERROR_INPUT, 0);
	/* 6. ipa not 4K aligned (before the walk). */
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data, 0x1800, src, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data, SZ_2M + 0x800, src, 0),
		   RMI_ERROR_INPUT, 0);
	/* 7. data >= 2^48 without LPA2 (before the walk). */
	high = delegated_above_48(h);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, high, SZ_2M, src, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, high, 0, src, 0), RMI_ERROR_INPUT, 0);
	/* 8. The walk to level 3 stops at L. */
	assert_int_equal(h_call(h, RMI_DATA_CREATE, r.rd, data, SZ_2M, src, 0), 0x204);
	assert_int_equal(h_call(h, RMI_DATA_CREATE, r.rd, data, SZ_1G, src, 0), 0x104);
	h_realm_create_at(h, &r0, 40, 0, RMI_HASH_SHA_256);
	assert_int_equal(h_call(h, RMI_DATA_CREATE, r0.rd, data, 0, src, 0), 0x004);
	/* 9. The entry is not UNASSIGNED. */
	data_unknown(h, &r, 0x5000);
	assert_int_equal(h_call(h, RMI_DATA_CREATE, r.rd, data, 0x5000, src, 1), 0x304);
	/* Nothing changed: the granule, the RIM, the outputs. */
	assert_int_equal(h->last_out[1], 0);
	assert_int_equal(h->last_out[2], 0);
	assert_int_equal(h->last_out[4], src);
	assert_still_delegated(h, data);
	assert_still_delegated(h, high);
	assert_memory_equal(rim_of(h, &r), rim, sizeof(rim));
	assert_int_equal(g_of(h, src)->state, GRANULE_STATE_NS);
}

/* Observed: SUCCESS with x4 = src. The copy goes to the granule's private
 * page; the host's view of it stays zero. */
static void test_data_create_copies(void **state)
{
	struct harness *h = *state;
	uint64_t src = src_page(h, 31, 0x5A), data;
	uint8_t copy[SZ_4K];
	struct h_realm r;

	memcpy(copy, h_ns(h, src), SZ_4K);
	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	data = h_delegated(h);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, data, 0x1000, src, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 0);
	assert_int_equal(h->last_out[2], 0);
	assert_int_equal(h->last_out[3], 0);
	assert_int_equal(h->last_out[4], src);
	assert_int_equal(g_of(h, data)->state, GRANULE_STATE_DATA);
	assert_memory_equal(granule_priv(h->rmm, g_of(h, data)), copy, SZ_4K);
	assert_memory_equal(h_ns(h, data), zero, SZ_4K);
	/* The source is untouched and still the host's. */
	assert_memory_equal(h_ns(h, src), copy, SZ_4K);
	assert_int_equal(g_of(h, src)->state, GRANULE_STATE_NS);
	/* ASSIGNED with RIPAS RAM, although it was EMPTY. */
	assert_entry(h, r.rd, 0x1000, 3, 3, RMI_ASSIGNED, data, RMI_RAM);
	/* Counted in the L3: it is live now. */
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 3, 0, 0), 0x304);
	/* ... and RAM whatever the RIPAS was: here DESTROYED. */
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 0x1000, 0, 0, 0), RMI_SUCCESS, 0);
	assert_entry(h, r.rd, 0x1000, 3, 3, RMI_UNASSIGNED, 0, RMI_DESTROYED);
	data = data_create(h, &r, 0x1000, src, 1);
	assert_entry(h, r.rd, 0x1000, 3, 3, RMI_ASSIGNED, data, RMI_RAM);
	assert_memory_equal(granule_priv(h->rmm, g_of(h, data)), copy, SZ_4K);
	/* The same source can be used again (it is only read). */
	data = data_create(h, &r, 0x2000, src, 1);
	assert_memory_equal(granule_priv(h->rmm, g_of(h, data)), copy, SZ_4K);
}

/* The RIM is extended by one DATA descriptor, content hashed only with
 * flags 1 (measurement.md 3.1). */
static void test_data_create_measures(void **state)
{
	struct harness *h = *state;
	uint64_t src = src_page(h, 7, 3);
	static struct realm expect;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_512);
	h_rtt_create_to(h, &r, 0, 3);
	expect = *g_of(h, r.rd)->realm;
	data_create(h, &r, 0, src, 0);
	data_create(h, &r, 0x1000, src, 1);
	measure_extend_data(&expect, 0, 0, h_ns(h, src));
	measure_extend_data(&expect, 0x1000, 1, h_ns(h, src));
	assert_memory_equal(rim_of(h, &r), expect.measurements[0],
			    REALM_MEASUREMENT_SIZE);
	/* flags 0 does not depend on the content. */
	memset(h_ns(h, src), 0x77, SZ_4K);
	data_create(h, &r, 0x2000, src, 0);
	measure_extend_data(&expect, 0x2000, 0, zero);
	assert_memory_equal(rim_of(h, &r), expect.measurements[0],
			    REALM_MEASUREMENT_SIZE);
}

/* ======================================================================== */
/* DATA_CREATE_UNKNOWN (8.5) */

static void test_data_create_unknown_failures(void **state)
{
	struct harness *h = *state;
	uint64_t data = h_delegated(h), ns = h_alloc(h), other = h_delegated(h), high;
	struct h_realm r, r0;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	/* 1. G(data, DELEGATED), G(rd, RD), equal (before the walk). */
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd, ns, SZ_2M, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd, r.rd, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd, r.rtt_base, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, other, data, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd + 8, data, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 2. ipa not in the PAR. */
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd, data, SZ_512G, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd, data, ~0ULL << 12, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 3. ipa not aligned. */
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd, data, 0x1800, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 4. data >= 2^48 (before the walk). */
	high = delegated_above_48(h);
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd, high, SZ_2M, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 5. The walk stops at L. */
	assert_int_equal(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd, data, SZ_2M, 0, 0), 0x204);
	assert_int_equal(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd, data, SZ_1G, 0, 0), 0x104);
	h_realm_create_at(h, &r0, 40, 0, RMI_HASH_SHA_256);
	assert_int_equal(h_call(h, RMI_DATA_CREATE_UNKNOWN, r0.rd, data, 0, 0, 0), 0x004);
	/* 6. Not UNASSIGNED. */
	data_unknown(h, &r, 0);
	assert_int_equal(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd, data, 0, 0, 0), 0x304);
	assert_still_delegated(h, data);
	assert_still_delegated(h, high);
	assert_int_equal(g_of(h, ns)->state, GRANULE_STATE_NS);
}

/* RIPAS unchanged, content zero, RIM unchanged, any realm state. */
static void test_data_create_unknown_success(void **state)
{
	struct harness *h = *state;
	uint64_t src = src_page(h, 1, 1), d_empty, d_ram, d_dead, d_active;
	uint8_t rim[REALM_MEASUREMENT_SIZE];
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0x1000, 0x3000, 0, 0),
		   RMI_SUCCESS, 0);
	data_create(h, &r, 0x2000, src, 0);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 0x2000, 0, 0, 0), RMI_SUCCESS, 0);
	memcpy(rim, rim_of(h, &r), sizeof(rim));
	d_empty = data_unknown(h, &r, 0);
	d_ram = data_unknown(h, &r, 0x1000);
	d_dead = data_unknown(h, &r, 0x2000);
	assert_entry(h, r.rd, 0, 3, 3, RMI_ASSIGNED, d_empty, RMI_EMPTY);
	assert_entry(h, r.rd, 0x1000, 3, 3, RMI_ASSIGNED, d_ram, RMI_RAM);
	assert_entry(h, r.rd, 0x2000, 3, 3, RMI_ASSIGNED, 0, RMI_DESTROYED);
	assert_memory_equal(rim_of(h, &r), rim, sizeof(rim));
	assert_int_equal(g_of(h, d_ram)->state, GRANULE_STATE_DATA);
	assert_int_equal(g_of(h, d_dead)->state, GRANULE_STATE_DATA);
	assert_memory_equal(granule_priv(h->rmm, g_of(h, d_ram)), zero, SZ_4K);
	/* Valid in an ACTIVE realm, where DATA_CREATE is not. */
	activate(h, &r);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, h_delegated(h), 0x3000, src, 0),
		   RMI_ERROR_REALM, 0);
	d_active = data_unknown(h, &r, 0x3000);
	assert_entry(h, r.rd, 0x3000, 3, 3, RMI_ASSIGNED, d_active, RMI_EMPTY);
	assert_memory_equal(rim_of(h, &r), rim, sizeof(rim));
	/* Four pages counted in the L3. */
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 3, 0, 0), 0x304);
}

/* ======================================================================== */
/* DATA_DESTROY (8.6) */

static void test_data_destroy_failures(void **state)
{
	struct harness *h = *state;
	uint64_t other = h_delegated(h), data;
	struct h_realm r, r0;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	data = data_unknown(h, &r, 0x3000);
	/* 1. G(rd, RD): x2 = 0. */
	assert_rmi(h_call(h, RMI_DATA_DESTROY, other, 0x3000, 0, 5, 0), RMI_ERROR_INPUT, 0);
	assert_int_equal(h->last_out[1], 0);
	assert_int_equal(h->last_out[2], 0);
	assert_int_equal(h->last_out[4], 5);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rtt_base, 0x3000, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 2. ipa not in the PAR, unaligned, out of range: x2 = 0 (before the
	 * walk). */
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, SZ_512G, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 0x3800, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, SZ_2M + 8, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 1ULL << 40, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_int_equal(h->last_out[1], 0);
	assert_int_equal(h->last_out[2], 0);
	/* 3. Observed: 0x200000 with no L3 -> 0x204, x2 = 0x40000000, x1 = 0. */
	assert_int_equal(h_call(h, RMI_DATA_DESTROY, r.rd, SZ_2M, 0, 0, 0), 0x204);
	assert_int_equal(h->last_out[1], 0);
	assert_int_equal(h->last_out[2], SZ_1G);
	assert_int_equal(h_call(h, RMI_DATA_DESTROY, r.rd, SZ_1G + SZ_4K, 0, 0, 0), 0x104);
	assert_int_equal(h->last_out[2], SZ_512G);
	h_realm_create_at(h, &r0, 40, 0, RMI_HASH_SHA_256);
	assert_int_equal(h_call(h, RMI_DATA_DESTROY, r0.rd, SZ_4K, 0, 0, 0), 0x004);
	assert_int_equal(h->last_out[2], TOP_48);
	/* 4. Observed: unassigned 0x1000 with an assigned page at 0x3000 ->
	 * 0x304, x2 = 0x3000. */
	assert_int_equal(h_call(h, RMI_DATA_DESTROY, r.rd, 0x1000, 0, 0, 0), 0x304);
	assert_int_equal(h->last_out[1], 0);
	assert_int_equal(h->last_out[2], 0x3000);
	assert_int_equal(h_call(h, RMI_DATA_DESTROY, r.rd, 0x4000, 0, 0, 0), 0x304);
	assert_int_equal(h->last_out[2], SZ_2M);
	assert_int_equal(h_call(h, RMI_DATA_DESTROY, r.rd, 0, 0, 0, 0), 0x304);
	assert_int_equal(h->last_out[2], 0x3000);
	assert_int_equal(g_of(h, data)->state, GRANULE_STATE_DATA);
}

static void test_data_destroy_success(void **state)
{
	struct harness *h = *state;
	uint64_t src = src_page(h, 3, 9), d_ram, d_empty, d_dead, d_last;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0, 0x2000, 0, 0), RMI_SUCCESS, 0);
	d_ram = data_create(h, &r, 0, src, 1);
	d_empty = data_unknown(h, &r, 0x3000);
	d_last = data_unknown(h, &r, 0x9000);
	activate(h, &r);	/* no realm-state check */
	/* ASSIGNED RAM -> UNASSIGNED DESTROYED; x1 = PA; x2 = next live. */
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], d_ram);
	assert_int_equal(h->last_out[2], 0x3000);
	assert_int_equal(h->last_out[3], 0);
	assert_entry(h, r.rd, 0, 3, 3, RMI_UNASSIGNED, 0, RMI_DESTROYED);
	/* Scrubbed and DELEGATED; after UNDELEGATE the host reads zeros. */
	assert_int_equal(g_of(h, d_ram)->state, GRANULE_STATE_DELEGATED);
	assert_memory_equal(granule_priv(h->rmm, g_of(h, d_ram)), zero, SZ_4K);
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, d_ram, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_memory_equal(h_ns(h, d_ram), zero, SZ_4K);
	/* ASSIGNED EMPTY -> UNASSIGNED EMPTY. */
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 0x3000, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], d_empty);
	assert_int_equal(h->last_out[2], 0x9000);
	assert_entry(h, r.rd, 0x3000, 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	/* ASSIGNED DESTROYED -> UNASSIGNED DESTROYED. */
	d_dead = data_unknown(h, &r, 0);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], d_dead);
	assert_entry(h, r.rd, 0, 3, 3, RMI_UNASSIGNED, 0, RMI_DESTROYED);
	/* ASSIGNED RAM by DATA_CREATE_UNKNOWN -> DESTROYED too. */
	d_dead = data_unknown(h, &r, 0x1000);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 0x1000, 0, 0, 0), RMI_SUCCESS, 0);
	assert_entry(h, r.rd, 0x1000, 3, 3, RMI_UNASSIGNED, 0, RMI_DESTROYED);
	/* The last live page: top runs to the end of the RTT. */
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 0x9000, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], d_last);
	assert_int_equal(h->last_out[2], SZ_2M);
	/* Twice: not ASSIGNED any more. */
	assert_int_equal(h_call(h, RMI_DATA_DESTROY, r.rd, 0x9000, 0, 0, 0), 0x304);
	/* Each destroy took its count off the L3. */
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 3, 0, 0), RMI_SUCCESS, 0);
}

/* ======================================================================== */
/* The RIM through RMI calls (measurement.md 5 and 6). */

static void assert_rim(struct harness *h, const struct h_realm *r, const char *hex)
{
	const uint8_t *rim = rim_of(h, r);
	size_t n = strlen(hex) / 2;
	char buf[2 * REALM_MEASUREMENT_SIZE + 1];

	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", rim[i]);
	assert_string_equal(buf, hex);
	for (size_t i = n; i < REALM_MEASUREMENT_SIZE; i++)
		assert_int_equal(rim[i], 0);
}

/* REC_CREATE, RUNNABLE, REC index 0 with pc and gprs[0..1]. */
static void rec_create(struct harness *h, const struct h_realm *r, uint64_t pc,
		       uint64_t x0, uint64_t x1)
{
	uint64_t params = h_alloc(h), rec = h_delegated(h);
	struct rmi_rec_params *p = h_ns(h, params);

	memset(p, 0, sizeof(*p));
	p->flags = RMI_REC_CREATE_RUNNABLE;
	p->pc = pc;
	p->gprs[0] = x0;
	p->gprs[1] = x1;
	p->num_aux = RMI_REC_AUX_GRANULES;
	for (unsigned int i = 0; i < RMI_REC_AUX_GRANULES; i++)
		p->aux[i] = h_delegated(h);
	assert_rmi(h_call(h, RMI_REC_CREATE, r->rd, rec, params, 0, 0), RMI_SUCCESS, 0);
}

static const char rim_256_step1[] =
	"045cb3602843a6845cb710fbbfbb92f0c7d611afe0106ac2953e46950a70c42b";
static const char rim_256_step2a[] =
	"5e99b1e6b2ebb03fe15c9e109929780b9becf1a9154e6f8b64cfd9b988cc1b5f";
static const char rim_256_step2[] =
	"9b5303525fcfb072d304da0e179e2c9704276a077026267a9b1c0d7a0e42bb0f";
static const char rim_256_step3[] =
	"dbfa5c79a0980ddd566b7bf6f00a9ea8ae3dcd636dde494d7fb3091ae91fd86c";
static const char rim_256_step5[] =
	"5630645cb895f1c894e6319edf4b289881eb301ee505dc28a02ca57b6de01bd7";

/* measurement.md 5: s2sz 40, level-0 root, L1-L3 at 0 beforehand. */
static void test_rim_sha256_worked_example(void **state)
{
	struct harness *h = *state;
	uint64_t src = src_page(h, 31, 0x5A);
	struct h_realm r, r2;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	assert_rim(h, &r, rim_256_step1);
	/* Step 2, one entry at a time to see the first descriptor. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0, 0x1000, 0, 0), RMI_SUCCESS, 0);
	assert_rim(h, &r, rim_256_step2a);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0x1000, 0x2000, 0, 0),
		   RMI_SUCCESS, 0);
	assert_rim(h, &r, rim_256_step2);
	/* Step 3. */
	data_create(h, &r, 0x1000, src, RMI_MEASURE_CONTENT);
	assert_rim(h, &r, rim_256_step3);
	/* Step 4: unchanged. */
	data_unknown(h, &r, 0x3000);
	assert_rim(h, &r, rim_256_step3);
	/* Step 5. */
	rec_create(h, &r, 0x80000000ULL, 0x11, 0x22);
	assert_rim(h, &r, rim_256_step5);

	/* The same, with step 2 as the one call of the example. */
	h_realm_create_at(h, &r2, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r2, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r2.rd, 0, 0x2000, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 0x2000);
	assert_rim(h, &r2, rim_256_step2);
	data_create(h, &r2, 0x1000, src, RMI_MEASURE_CONTENT);
	data_unknown(h, &r2, 0x3000);
	rec_create(h, &r2, 0x80000000ULL, 0x11, 0x22);
	assert_rim(h, &r2, rim_256_step5);
}

/* measurement.md 6 (SHA-512). */
static void test_rim_sha512_example(void **state)
{
	struct harness *h = *state;
	uint64_t src4 = src_page(h, 31, 1), src5 = src_page(h, 5, 200);
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_512);
	assert_rim(h, &r,
		   "066e19aa2c3418dadc20ef31b5595907c612991952553e1e99731a677b5797c9"
		   "898dffb6e3963a20b8e1af6d136cd2fe6fe25f048577dc3d7e5bf3a79a4b1e81");
	/* Step 2: only an L2 RTT covers [2M, 4M): one descriptor. */
	h_rtt_create_to(h, &r, 0, 2);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_2M, 2 * SZ_2M, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 2 * SZ_2M);
	assert_rim(h, &r,
		   "5aea895661e38c34443329c9fdbc983ed38bc30faec3219c5fb2ceab94c8f4d4"
		   "91fc5ea7cc4aa0c6633c739c8882257e043eaed427e0594d15614b8de86082dd");
	/* Step 3: three level-3 entries. */
	h_rtt_create_to(h, &r, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0, 0x3000, 0, 0), RMI_SUCCESS, 0);
	assert_rim(h, &r,
		   "765d5d30160f148bc9715a6379b7d65b57c53aced806cfd43d066caea0a018ee"
		   "543b304771489ee20dbc8cd5f6ff3a1d1dc84773e23cb991f37fd94b1bcb7628");
	/* Step 4: content measured. */
	data_create(h, &r, 0, src4, RMI_MEASURE_CONTENT);
	assert_rim(h, &r,
		   "f145c1aa068c30bf1d0908d32a260519d26b0528388b0b7b6299f18915c145da"
		   "752f61284c4ac633ac5effad30c8778d526d6eed585fd33444066b864613dc36");
	/* Step 5: content not measured (any page gives this RIM). */
	data_create(h, &r, 0x1000, src5, RMI_NO_MEASURE_CONTENT);
	assert_rim(h, &r,
		   "8d44e48267966eaaf149cabbef06c879cfb13a52ac36ce6ef5e3669df2aaa196"
		   "5501e722236378810f207a50dd29b1e5d5a7b5682b17fa16929aeb04a5cf6f6b");
	/* Step 6. */
	rec_create(h, &r, 0x80000000ULL, 0x1234, 0);
	assert_rim(h, &r,
		   "2101a4907c06e19425ad8e83bd9f4eda18ed66cf7a581d699c2652d63f565454"
		   "9812fef1802e7c12aa94cb061bcd64f617edfd82ba009b9eb380d6a639bab620");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, h_setup, h_teardown)
		T(test_data_create_failures),
		T(test_data_create_copies),
		T(test_data_create_measures),
		T(test_data_create_unknown_failures),
		T(test_data_create_unknown_success),
		T(test_data_destroy_failures),
		T(test_data_destroy_success),
		T(test_rim_sha256_worked_example),
		T(test_rim_sha512_example),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
