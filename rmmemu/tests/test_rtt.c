/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTT commands through rmm_call (rmi-1.0.md 3.3, 6, 8.14-8.18, 8.21-8.23):
 * every failure condition in the reference's order, the observed examples,
 * success effects read back with RTT_READ_ENTRY and refcounts checked by
 * what they allow.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "rmmemu/granule.h"
#include "rmmemu/measure.h"
#include "rmmemu/realm.h"
#include "rmmemu/rec.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL
#define SZ_512G	0x8000000000ULL
#define TOP_48	0x1000000000000ULL
#define NS_ATTRS	0xD8ULL		/* Linux: MemAttr normal WB, S2AP RW */
#define X4_MARK		0xDEADULL	/* caller's x4, to see whether it is written */

/* RTT_READ_ENTRY(ipa, level) succeeds with x1..x4 as given. */
#define assert_entry(h, rd, ipa, level, xlevel, xstate, xdesc, xripas) do { \
	assert_rmi(h_call((h), RMI_RTT_READ_ENTRY, (rd), (ipa), (uint64_t)(level), \
			  X4_MARK, 0), RMI_SUCCESS, 0); \
	assert_int_equal((h)->last_out[1], (uint64_t)(xlevel)); \
	assert_int_equal((h)->last_out[2], (xstate)); \
	assert_int_equal((h)->last_out[3], (xdesc)); \
	assert_int_equal((h)->last_out[4], (xripas)); \
} while (0)

/* Unwritten outputs: x1..x3 zero, x4 the caller's. */
#define assert_outputs(h, x1, x2) do { \
	assert_int_equal((h)->last_out[1], (x1)); \
	assert_int_equal((h)->last_out[2], (x2)); \
	assert_int_equal((h)->last_out[3], 0); \
} while (0)

static struct granule *g_of(struct harness *h, uint64_t pa)
{
	return granule_find(h->rmm, pa);
}

static struct realm *realm_of(struct harness *h, uint64_t rd)
{
	return g_of(h, rd)->realm;
}

static uint64_t rtt_create(struct harness *h, const struct h_realm *r,
			   uint64_t ipa, int level)
{
	uint64_t rtt = h_delegated(h);

	assert_rmi(h_call(h, RMI_RTT_CREATE, r->rd, rtt, ipa, (uint64_t)level, 0),
		   RMI_SUCCESS, 0);
	return rtt;
}

static void undelegate_ok(struct harness *h, uint64_t pa)
{
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0), RMI_SUCCESS, 0);
}

static uint64_t data_unknown(struct harness *h, const struct h_realm *r,
			     uint64_t ipa)
{
	uint64_t data = h_delegated(h);

	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r->rd, data, ipa, 0, 0),
		   RMI_SUCCESS, 0);
	return data;
}

static void map_ns(struct harness *h, const struct h_realm *r, uint64_t ipa,
		   int level, uint64_t desc)
{
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r->rd, ipa, (uint64_t)level,
			  desc, 0), RMI_SUCCESS, 0);
}

/* n delegated granules from an address offset bytes past an align boundary. */
static uint64_t delegated_run(struct harness *h, unsigned int n, uint64_t align,
			      uint64_t offset)
{
	uint64_t pa = h_alloc_n(h, n + (unsigned int)(offset / SZ_4K), align) + offset;

	for (unsigned int i = 0; i < n; i++)
		assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, pa + i * SZ_4K, 0, 0, 0, 0),
			   RMI_SUCCESS, 0);
	return pa;
}

/* The 512 pages of the level-3 RTT at ipa become DATA granules pa[i]. */
static void fill_data(struct harness *h, const struct h_realm *r, uint64_t ipa,
		      const uint64_t *pa)
{
	for (unsigned int i = 0; i < 512; i++)
		assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r->rd, pa[i],
				  ipa + i * SZ_4K, 0, 0), RMI_SUCCESS, 0);
}

static void contiguous(uint64_t *pa, uint64_t first)
{
	for (unsigned int i = 0; i < 512; i++)
		pa[i] = first + i * SZ_4K;
}

/* A granule at 2^48, in a region of its own, delegated. */
static uint64_t delegated_above_48(struct harness *h)
{
	h_add_region(h, TOP_48, SZ_4K);
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, TOP_48, 0, 0, 0, 0), RMI_SUCCESS, 0);
	return TOP_48;
}

/* ======================================================================== */
/* RTT_CREATE (8.14) */

static void test_rtt_create_failures(void **state)
{
	struct harness *h = *state;
	uint64_t rtt = h_delegated(h), ns = h_alloc(h), other = h_delegated(h);
	uint64_t high;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	/* 1. G(rtt, DELEGATED), G(rd, RD), rtt == rd; before the walk, which
	 * would stop at level 0 here. */
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, ns, 0, 3, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, ns, 0, 1, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt + 8, 0, 1, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, h->base + h->size, 0, 1, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, r.rd, 0, 1, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, r.rtt_base, 0, 1, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, other, rtt, 0, 1, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd + 8, rtt, 0, 1, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rtt_base, rtt, 0, 1, 0),
		   RMI_ERROR_INPUT, 0);
	/* 2. level outside [start + 1, 3], ipa out of range or unaligned to
	 * level - 1; before the walk. */
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt, 0, 4, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt, 0, ~0ULL, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt, 0, 0x100000001ULL, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt, 1ULL << 40, 1, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt, SZ_1G, 1, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt, SZ_2M, 2, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt, SZ_4K, 3, 0), RMI_ERROR_INPUT, 0);
	/* 3. rtt >= 2^48 without LPA2: before the walk (which would stop at 0
	 * for level 3, and succeed for level 1). */
	high = delegated_above_48(h);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, high, 0, 3, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, high, 0, 1, 0), RMI_ERROR_INPUT, 0);
	/* 4. the walk to level - 1 stops at L. */
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt, 0, 3, 0), RMI_ERROR_RTT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt, 0, 2, 0), RMI_ERROR_RTT, 0);
	rtt_create(h, &r, 0, 1);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt, 0, 3, 0), RMI_ERROR_RTT, 1);
	/* 5. the parent entry is already a table. */
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, rtt, 0, 1, 0), RMI_ERROR_RTT, 0);
	rtt_create(h, &r, 0, 2);
	rtt_create(h, &r, 0, 3);
	/* Observed: a second RTT_CREATE at level 3 -> 0x204, x4 = 3. */
	assert_int_equal(h_call(h, RMI_RTT_CREATE, r.rd, rtt, 0, 3, 0), 0x204);
	assert_outputs(h, 0, 0);
	assert_int_equal(h->last_out[4], 3);
	/* Nothing happened to the granules offered. */
	undelegate_ok(h, rtt);
	undelegate_ok(h, high);
	assert_int_equal(g_of(h, ns)->state, GRANULE_STATE_NS);
}

/* New RTTs under unassigned parents: the parent's state in every entry. */
static void test_rtt_create_unassigned(void **state)
{
	struct harness *h = *state;
	uint64_t l1, l2, l3, l1ns;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	l1 = rtt_create(h, &r, 0, 1);
	assert_int_equal(g_of(h, l1)->state, GRANULE_STATE_RTT);
	assert_entry(h, r.rd, 0, 0, 0, RMI_TABLE, l1, RMI_EMPTY);
	/* UNASSIGNED EMPTY */
	assert_entry(h, r.rd, 0, 1, 1, RMI_UNASSIGNED, 0, RMI_EMPTY);
	assert_entry(h, r.rd, 511 * SZ_1G, 1, 1, RMI_UNASSIGNED, 0, RMI_EMPTY);
	l2 = rtt_create(h, &r, 0, 2);
	assert_entry(h, r.rd, 0, 1, 1, RMI_TABLE, l2, RMI_EMPTY);
	/* UNASSIGNED RAM */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_2M, 2 * SZ_2M, 0, 0),
		   RMI_SUCCESS, 0);
	rtt_create(h, &r, SZ_2M, 3);
	assert_entry(h, r.rd, SZ_2M, 3, 3, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_entry(h, r.rd, 2 * SZ_2M - SZ_4K, 3, 3, RMI_UNASSIGNED, 0, RMI_RAM);
	/* UNASSIGNED DESTROYED */
	l3 = rtt_create(h, &r, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], l3);
	rtt_create(h, &r, 0, 3);
	assert_entry(h, r.rd, 0x5000, 3, 3, RMI_UNASSIGNED, 0, RMI_DESTROYED);
	/* UNASSIGNED_NS: the entries below accept NS mappings. */
	l1ns = rtt_create(h, &r, SZ_512G, 1);
	assert_entry(h, r.rd, SZ_512G, 0, 0, RMI_TABLE, l1ns, RMI_EMPTY);
	assert_entry(h, r.rd, SZ_512G + 3 * SZ_1G, 1, 1, RMI_UNASSIGNED, 0, RMI_EMPTY);
	map_ns(h, &r, SZ_512G + 3 * SZ_1G, 1, 3 * SZ_1G | NS_ATTRS);
	assert_entry(h, r.rd, SZ_512G + 3 * SZ_1G, 1, 1, RMI_ASSIGNED,
		     3 * SZ_1G | NS_ATTRS, RMI_EMPTY);
	/* Refcounts: one per child table. */
	assert_int_equal(g_of(h, r.rtt_base)->refcount, 2);
	assert_int_equal(g_of(h, l1)->refcount, 1);
	assert_int_equal(g_of(h, l2)->refcount, 2);
	assert_int_equal(g_of(h, l1ns)->refcount, 0);
}

/* Unfolding an ASSIGNED_NS block: same attributes, contiguous OA; the
 * parent counts the new table, the new RTT counts nothing. */
static void test_rtt_create_unfold_ns(void **state)
{
	struct harness *h = *state;
	uint64_t ipa = SZ_512G + SZ_2M, l2;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	rtt_create(h, &r, SZ_512G, 1);
	l2 = rtt_create(h, &r, SZ_512G, 2);
	map_ns(h, &r, ipa, 2, SZ_1G | NS_ATTRS);
	assert_entry(h, r.rd, ipa, 2, 2, RMI_ASSIGNED, SZ_1G | NS_ATTRS, RMI_EMPTY);
	rtt_create(h, &r, ipa, 3);
	for (unsigned int i = 0; i < 512; i++)
		assert_entry(h, r.rd, ipa + i * SZ_4K, 3, 3, RMI_ASSIGNED,
			     (SZ_1G + i * SZ_4K) | NS_ATTRS, RMI_EMPTY);
	assert_int_equal(g_of(h, l2)->refcount, 1);
	/* The new RTT holds only ASSIGNED_NS entries: it can go, and then the
	 * parent, back at refcount 0. */
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, ipa, 3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[2], SZ_512G + SZ_1G);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, SZ_512G, 2, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], l2);

	/* A 1 GB block unfolds into 512 2 MB blocks. */
	map_ns(h, &r, SZ_512G + SZ_1G, 1, 5 * SZ_1G | 0x9C);
	rtt_create(h, &r, SZ_512G + SZ_1G, 2);
	for (unsigned int i = 0; i < 512; i += 73)
		assert_entry(h, r.rd, SZ_512G + SZ_1G + i * SZ_2M, 2, 2, RMI_ASSIGNED,
			     (5 * SZ_1G + i * SZ_2M) | 0x9C, RMI_EMPTY);
	assert_entry(h, r.rd, SZ_512G + 2 * SZ_1G - SZ_2M, 3, 2, RMI_ASSIGNED,
		     (6 * SZ_1G - SZ_2M) | 0x9C, RMI_EMPTY);
}

/* ======================================================================== */
/* RTT_DESTROY (8.15) */

static void test_rtt_destroy_failures(void **state)
{
	struct harness *h = *state;
	uint64_t other = h_delegated(h);
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	/* 1. G(rd, RD): x2 = 0. */
	assert_rmi(h_call(h, RMI_RTT_DESTROY, other, SZ_512G, 1, 7, 0), RMI_ERROR_INPUT, 0);
	assert_outputs(h, 0, 0);
	assert_int_equal(h->last_out[4], 7);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd + 8, 0, 1, 0, 0), RMI_ERROR_INPUT, 0);
	/* 2. level, ipa: x2 = 0 (before the walk, which would stop at 0). */
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 4, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 1ULL << 40, 1, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, SZ_1G, 1, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, SZ_2M, 2, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, SZ_4K, 3, 0, 0), RMI_ERROR_INPUT, 0);
	assert_outputs(h, 0, 0);
	/* 3. Observed: L2 at 0 with no L1 -> 0x004, x2 = 2^48. */
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 2, 0, 0), 0x004);
	assert_outputs(h, 0, TOP_48);
	/* The level-1 entry is not a table: L = level - 1. */
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 1, 0, 0), 0x004);
	assert_outputs(h, 0, TOP_48);
	rtt_create(h, &r, 0, 1);
	/* Observed: L3 at 0x40000000 with no L2 -> 0x104, x2 = 0x8000000000. */
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, SZ_1G, 3, 0, 0), 0x104);
	assert_outputs(h, 0, SZ_512G);
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, SZ_1G, 2, 0, 0), 0x104);
	assert_outputs(h, 0, SZ_512G);
	/* 4. Live RTTs: (ERROR_RTT, level), x2 = ipa, x1 = 0. */
	rtt_create(h, &r, 0, 2);
	rtt_create(h, &r, 0, 3);
	data_unknown(h, &r, 0x3000);
	/* Observed: a live L3 -> 0x304, x2 = 0. */
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 3, 0, 0), 0x304);
	assert_outputs(h, 0, 0);
	rtt_create(h, &r, SZ_2M, 3);
	data_unknown(h, &r, SZ_2M + SZ_4K);
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, SZ_2M, 3, 0, 0), 0x304);
	assert_outputs(h, 0, SZ_2M);
	/* An RTT with child tables is live. */
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 2, 0, 0), 0x204);
	assert_outputs(h, 0, 0);
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 1, 0, 0), 0x104);
	assert_outputs(h, 0, 0);
}

/* Observed: destroys at 0 return x2 = 1 GB (L3), 512 GB (L2), 2^48 (L1). */
static void test_rtt_destroy_success(void **state)
{
	struct harness *h = *state;
	static const uint8_t zero[SZ_4K];
	uint64_t l1, l2, l3;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	l1 = rtt_create(h, &r, 0, 1);
	l2 = rtt_create(h, &r, 0, 2);
	l3 = rtt_create(h, &r, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 3, 0, 0), RMI_SUCCESS, 0);
	assert_outputs(h, l3, SZ_1G);
	assert_int_equal(h->last_out[4], 0);
	assert_entry(h, r.rd, 0, 3, 2, RMI_UNASSIGNED, 0, RMI_DESTROYED);
	/* The RTT is DELEGATED and zero. */
	assert_int_equal(g_of(h, l3)->state, GRANULE_STATE_DELEGATED);
	assert_memory_equal(granule_priv(h->rmm, g_of(h, l3)), zero, SZ_4K);
	undelegate_ok(h, l3);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 2, 0, 0), RMI_SUCCESS, 0);
	assert_outputs(h, l2, SZ_512G);
	assert_entry(h, r.rd, 0, 2, 1, RMI_UNASSIGNED, 0, RMI_DESTROYED);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 1, 0, 0), RMI_SUCCESS, 0);
	assert_outputs(h, l1, TOP_48);
	assert_entry(h, r.rd, 0, 1, 0, RMI_UNASSIGNED, 0, RMI_DESTROYED);
	undelegate_ok(h, l2);
	undelegate_ok(h, l1);

	/* Outside the PAR the parent entry becomes UNASSIGNED_NS: a new RTT
	 * there takes NS mappings. */
	l1 = rtt_create(h, &r, SZ_512G, 1);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, SZ_512G, 1, 0, 0), RMI_SUCCESS, 0);
	assert_outputs(h, l1, TOP_48);
	assert_entry(h, r.rd, SZ_512G, 1, 0, RMI_UNASSIGNED, 0, RMI_EMPTY);
	rtt_create(h, &r, SZ_512G, 1);
	map_ns(h, &r, SZ_512G, 1, NS_ATTRS);
	/* x2 = top after the change: the next live entry. */
	rtt_create(h, &r, 0, 1);
	rtt_create(h, &r, 0, 2);
	rtt_create(h, &r, 0, 3);
	rtt_create(h, &r, 5 * SZ_2M, 3);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[2], 5 * SZ_2M);
}

/* spec (6.3): ASSIGNED_NS entries do not make an RTT live; destroying it
 * discards them. */
static void test_rtt_destroy_ns_only(void **state)
{
	struct harness *h = *state;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, SZ_512G, 3);
	for (unsigned int i = 0; i < 3; i++)
		map_ns(h, &r, SZ_512G + i * SZ_4K, 3, 0x88001000ULL + i * SZ_4K);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, SZ_512G, 3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[2], SZ_512G + SZ_1G);
	assert_entry(h, r.rd, SZ_512G, 3, 2, RMI_UNASSIGNED, 0, RMI_EMPTY);
	rtt_create(h, &r, SZ_512G, 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_entry(h, r.rd, SZ_512G + i * SZ_4K, 3, 3, RMI_UNASSIGNED, 0,
			     RMI_EMPTY);
	map_ns(h, &r, SZ_512G, 3, 0x88001000ULL);
}

/* Root refcounts: REALM_DESTROY fails while a root has a child RTT. */
static void test_rtt_realm_destroy_refcounts(void **state)
{
	struct harness *h = *state;
	struct h_realm r, r40;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	rtt_create(h, &r, 0, 1);
	rtt_create(h, &r, SZ_512G, 1);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_ERROR_REALM, 0);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 1, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_ERROR_REALM, 0);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, SZ_512G, 1, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	/* With concatenated roots, a child of the second root counts. */
	h_realm_create(h, &r40, 40, RMI_HASH_SHA_256);
	rtt_create(h, &r40, SZ_512G + SZ_1G, 2);
	assert_int_equal(g_of(h, r40.rtt_base + SZ_4K)->refcount, 1);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r40.rd, 0, 0, 0, 0), RMI_ERROR_REALM, 0);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r40.rd, SZ_512G + SZ_1G, 2, 0, 0),
		   RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r40.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
}

/* ======================================================================== */
/* RTT_FOLD (6.4, 8.21) */

static void test_fold_failures(void **state)
{
	struct harness *h = *state;
	uint64_t other = h_delegated(h);
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	/* 1. G(rd, RD). */
	assert_rmi(h_call(h, RMI_RTT_FOLD, other, 0, 3, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rtt_base, 0, 3, 0, 0), RMI_ERROR_INPUT, 0);
	/* 2. level, ipa; before the walk. */
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 4, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 1ULL << 40, 1, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, SZ_4K, 3, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, SZ_2M, 2, 0, 0), RMI_ERROR_INPUT, 0);
	/* 3. The walk to level - 1 stops early. */
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 3, 0, 0), RMI_ERROR_RTT, 0);
	assert_outputs(h, 0, 0);
	rtt_create(h, &r, 0, 1);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 3, 0, 0), RMI_ERROR_RTT, 1);
	/* 4. The level - 1 entry is not a table. */
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 2, 0, 0), RMI_ERROR_RTT, 1);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, SZ_512G, 1, 0, 0), RMI_ERROR_RTT, 0);
	/* 5. Refcount neither 0 nor 512. */
	rtt_create(h, &r, 0, 2);
	rtt_create(h, &r, 0, 3);
	data_unknown(h, &r, 0);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 3, 0, 0), RMI_ERROR_RTT, 3);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 2, 0, 0), RMI_ERROR_RTT, 2);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 1, 0, 0), RMI_ERROR_RTT, 1);
	assert_outputs(h, 0, 0);
}

static void test_fold_unassigned(void **state)
{
	struct harness *h = *state;
	uint64_t l2, l3;
	struct h_realm r, r44;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	rtt_create(h, &r, 0, 1);
	l2 = rtt_create(h, &r, 0, 2);
	/* EMPTY */
	l3 = rtt_create(h, &r, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 3, 0, 0), RMI_SUCCESS, 0);
	assert_outputs(h, l3, 0);
	assert_entry(h, r.rd, 0, 3, 2, RMI_UNASSIGNED, 0, RMI_EMPTY);
	undelegate_ok(h, l3);
	/* Observed: 512 unassigned RAM -> READ_ENTRY at L2 = UNASSIGNED, RAM. */
	l3 = rtt_create(h, &r, SZ_2M, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_2M, 2 * SZ_2M, 0, 0),
		   RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, SZ_2M, 3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], l3);
	assert_entry(h, r.rd, SZ_2M, 2, 2, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_entry(h, r.rd, SZ_2M + 0x5000, 3, 2, RMI_UNASSIGNED, 0, RMI_RAM);
	/* DESTROYED */
	rtt_create(h, &r, 2 * SZ_2M, 3);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 2 * SZ_2M, 3, 0, 0), RMI_SUCCESS, 0);
	rtt_create(h, &r, 2 * SZ_2M, 3);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 2 * SZ_2M, 3, 0, 0), RMI_SUCCESS, 0);
	assert_entry(h, r.rd, 2 * SZ_2M, 2, 2, RMI_UNASSIGNED, 0, RMI_DESTROYED);
	/* Mixed RIPAS: no fold. */
	rtt_create(h, &r, 3 * SZ_2M, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 3 * SZ_2M + SZ_4K,
			  3 * SZ_2M + 2 * SZ_4K, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 3 * SZ_2M, 3, 0, 0), RMI_ERROR_RTT, 3);
	assert_outputs(h, 0, 0);
	/* The folds took one count each off the L2: with the mixed L3 gone it
	 * is at 0 and can be destroyed. */
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 3 * SZ_2M, 3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(g_of(h, l2)->refcount, 0);
	/* An L2 of mixed RIPAS does not fold either. */
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 2, 0, 0), RMI_ERROR_RTT, 2);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 2, 0, 0), RMI_SUCCESS, 0);
	/* A fresh L2 folds into an L1 entry. */
	l2 = rtt_create(h, &r, SZ_1G, 2);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, SZ_1G, 2, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], l2);
	assert_entry(h, r.rd, SZ_1G, 3, 1, RMI_UNASSIGNED, 0, RMI_EMPTY);

	/* Unassigned entries fold at level 1 too. */
	h_realm_create_at(h, &r44, 44, 0, RMI_HASH_SHA_256);
	rtt_create(h, &r44, 3 * SZ_512G, 1);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r44.rd, 3 * SZ_512G, 4 * SZ_512G, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 4 * SZ_512G);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r44.rd, 3 * SZ_512G, 1, 0, 0), RMI_SUCCESS, 0);
	assert_entry(h, r44.rd, 3 * SZ_512G, 1, 0, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r44.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
}

static void test_fold_unassigned_ns(void **state)
{
	struct harness *h = *state;
	uint64_t l1, l2, l3;
	struct h_realm r, r41;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	rtt_create(h, &r, SZ_512G, 1);
	l2 = rtt_create(h, &r, SZ_512G, 2);
	l3 = rtt_create(h, &r, SZ_512G, 3);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, SZ_512G, 3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], l3);
	assert_entry(h, r.rd, SZ_512G, 3, 2, RMI_UNASSIGNED, 0, RMI_EMPTY);
	/* It is UNASSIGNED_NS: a 2 MB NS block can be mapped there. */
	map_ns(h, &r, SZ_512G, 2, SZ_2M | NS_ATTRS);
	assert_int_equal(g_of(h, l2)->refcount, 0);
	/* UNASSIGNED_NS mixed with ASSIGNED_NS (refcount 0) -> level. */
	rtt_create(h, &r, SZ_512G + SZ_2M, 3);
	map_ns(h, &r, SZ_512G + SZ_2M + 9 * SZ_4K, 3, NS_ATTRS);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, SZ_512G + SZ_2M, 3, 0, 0),
		   RMI_ERROR_RTT, 3);

	/* At level 1 (UNASSIGNED_NS folds at any level). */
	h_realm_create_at(h, &r41, 41, 0, RMI_HASH_SHA_256);
	l1 = rtt_create(h, &r41, 3 * SZ_512G, 1);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r41.rd, 3 * SZ_512G, 1, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], l1);
	assert_entry(h, r41.rd, 3 * SZ_512G, 1, 0, RMI_UNASSIGNED, 0, RMI_EMPTY);
	assert_rmi(h_call(h, RMI_REALM_DESTROY, r41.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
}

/* 512 NS pages of the L3 at ipa, OA from oa, attributes attrs. */
static void map_ns_pages(struct harness *h, const struct h_realm *r,
			 uint64_t ipa, uint64_t oa, uint64_t attrs)
{
	for (unsigned int i = 0; i < 512; i++)
		map_ns(h, r, ipa + i * SZ_4K, 3, (oa + i * SZ_4K) | attrs);
}

static void test_fold_assigned_ns(void **state)
{
	struct harness *h = *state;
	uint64_t base = SZ_512G, l2, l3;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	rtt_create(h, &r, base, 1);
	l2 = rtt_create(h, &r, base, 2);
	l3 = rtt_create(h, &r, base, 3);
	map_ns_pages(h, &r, base, 0x40000000ULL, NS_ATTRS);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, base, 3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], l3);
	assert_entry(h, r.rd, base + 0x5000, 3, 2, RMI_ASSIGNED,
		     0x40000000ULL | NS_ATTRS, RMI_EMPTY);
	/* The block is not counted: the L2 is back at 0. */
	assert_int_equal(g_of(h, l2)->refcount, 0);
	/* Unfold again: the same pages. */
	rtt_create(h, &r, base, 3);
	assert_entry(h, r.rd, base + 511 * SZ_4K, 3, 3, RMI_ASSIGNED,
		     (0x40000000ULL + 511 * SZ_4K) | NS_ATTRS, RMI_EMPTY);

	/* Not a block: non-contiguous, misaligned, other attributes. */
	rtt_create(h, &r, base + SZ_2M, 3);
	map_ns_pages(h, &r, base + SZ_2M, 0x40000000ULL, NS_ATTRS);
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base + SZ_2M + 7 * SZ_4K,
			  3, 0, 0), RMI_SUCCESS, 0);
	map_ns(h, &r, base + SZ_2M + 7 * SZ_4K, 3, 0x40009000ULL | NS_ATTRS);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, base + SZ_2M, 3, 0, 0), RMI_ERROR_RTT, 3);
	rtt_create(h, &r, base + 2 * SZ_2M, 3);
	map_ns_pages(h, &r, base + 2 * SZ_2M, 0x40001000ULL, NS_ATTRS);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, base + 2 * SZ_2M, 3, 0, 0),
		   RMI_ERROR_RTT, 3);
	rtt_create(h, &r, base + 3 * SZ_2M, 3);
	map_ns_pages(h, &r, base + 3 * SZ_2M, 0x40000000ULL, NS_ATTRS);
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base + 3 * SZ_2M + 511 * SZ_4K,
			  3, 0, 0), RMI_SUCCESS, 0);
	map_ns(h, &r, base + 3 * SZ_2M + 511 * SZ_4K, 3,
	       (0x40000000ULL + 511 * SZ_4K) | 0x98);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, base + 3 * SZ_2M, 3, 0, 0),
		   RMI_ERROR_RTT, 3);
	/* ... all readable as they were. */
	assert_entry(h, r.rd, base + 3 * SZ_2M + 511 * SZ_4K, 3, 3, RMI_ASSIGNED,
		     (0x40000000ULL + 511 * SZ_4K) | 0x98, RMI_EMPTY);
}

/* An ASSIGNED_NS block cannot be made at level 0: (ERROR_RTT, level - 1). */
static void test_fold_assigned_ns_level1(void **state)
{
	struct harness *h = *state;
	uint64_t base = 2 * SZ_512G;
	struct h_realm r;

	h_realm_create_at(h, &r, 41, 0, RMI_HASH_SHA_256);
	rtt_create(h, &r, base, 1);
	for (unsigned int i = 0; i < 512; i++)
		map_ns(h, &r, base + i * SZ_1G, 1, i * SZ_1G | NS_ATTRS);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, base, 1, 0, 0), RMI_ERROR_RTT, 0);
	/* Not a block at all: (ERROR_RTT, level). */
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base, 1, 0, 0),
		   RMI_SUCCESS, 0);
	map_ns(h, &r, base, 1, 600 * SZ_1G | NS_ATTRS);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, base, 1, 0, 0), RMI_ERROR_RTT, 1);
	/* Still a level-1 RTT, and it holds no count: it can be destroyed. */
	assert_entry(h, r.rd, base, 1, 1, RMI_ASSIGNED, 600 * SZ_1G | NS_ATTRS, RMI_EMPTY);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, base, 1, 0, 0), RMI_SUCCESS, 0);
}

/* 512 DATA pages of one 2 MB aligned, contiguous block fold into an
 * ASSIGNED block, and RTT_CREATE unfolds it again (8.14, 8.21). */
static void test_fold_assigned_ram(void **state)
{
	struct harness *h = *state;
	uint64_t ipa = SZ_2M, pa[512], blk, l2, l3;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	rtt_create(h, &r, 0, 1);
	l2 = rtt_create(h, &r, 0, 2);
	l3 = rtt_create(h, &r, ipa, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, ipa, ipa + SZ_2M, 0, 0),
		   RMI_SUCCESS, 0);
	blk = delegated_run(h, 512, SZ_2M, 0);
	contiguous(pa, blk);
	fill_data(h, &r, ipa, pa);
	assert_int_equal(g_of(h, l3)->refcount, 512);
	assert_int_equal(g_of(h, l2)->refcount, 1);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, ipa, 3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], l3);
	assert_int_equal(g_of(h, l3)->state, GRANULE_STATE_DELEGATED);
	assert_entry(h, r.rd, ipa, 2, 2, RMI_ASSIGNED, blk, RMI_RAM);
	assert_entry(h, r.rd, ipa + 0x7000, 3, 2, RMI_ASSIGNED, blk, RMI_RAM);
	/* The block is counted in the L2 instead of the table. */
	assert_int_equal(g_of(h, l2)->refcount, 1);
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 2, 0, 0), 0x204);
	/* The DATA granules stay DATA. */
	assert_int_equal(g_of(h, blk + SZ_4K)->state, GRANULE_STATE_DATA);
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, blk, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	/* Under a block DATA_DESTROY stops at level 2, x2 = ipa (live). */
	assert_int_equal(h_call(h, RMI_DATA_DESTROY, r.rd, ipa + 0x3000, 0, 0, 0), 0x204);
	assert_outputs(h, 0, ipa + 0x3000);

	/* Unfold: 512 ASSIGNED pages, contiguous, RAM; refcount 512. */
	l3 = rtt_create(h, &r, ipa, 3);
	assert_int_equal(g_of(h, l3)->refcount, 512);
	assert_int_equal(g_of(h, l2)->refcount, 1);
	for (unsigned int i = 0; i < 512; i++)
		assert_entry(h, r.rd, ipa + i * SZ_4K, 3, 3, RMI_ASSIGNED, blk + i * SZ_4K,
			     RMI_RAM);
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, ipa, 3, 0, 0), 0x304);
	assert_int_equal(h->last_out[2], ipa);
	/* Exactly 512: folds again; unfolded, it dies with its last page. */
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, ipa, 3, 0, 0), RMI_SUCCESS, 0);
	l3 = rtt_create(h, &r, ipa, 3);
	for (unsigned int i = 0; i < 511; i++) {
		assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, ipa + i * SZ_4K, 0, 0, 0),
			   RMI_SUCCESS, 0);
		assert_int_equal(h->last_out[1], blk + i * SZ_4K);
	}
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r.rd, ipa, 3, 0, 0), 0x304);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, ipa + 511 * SZ_4K, 0, 0, 0),
		   RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, ipa, 3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], l3);
	/* Neither fold nor unfold changed the L2's count: it is free now. */
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 2, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], l2);
}

/* Blocks of ASSIGNED EMPTY fold too (one RIPAS), and unfold as EMPTY. */
static void test_fold_assigned_empty(void **state)
{
	struct harness *h = *state;
	uint64_t pa[512], blk;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 4 * SZ_2M, 3);
	blk = delegated_run(h, 512, SZ_2M, 0);
	contiguous(pa, blk);
	fill_data(h, &r, 4 * SZ_2M, pa);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 4 * SZ_2M, 3, 0, 0), RMI_SUCCESS, 0);
	assert_entry(h, r.rd, 4 * SZ_2M, 2, 2, RMI_ASSIGNED, blk, RMI_EMPTY);
	rtt_create(h, &r, 4 * SZ_2M, 3);
	assert_entry(h, r.rd, 4 * SZ_2M + 100 * SZ_4K, 3, 3, RMI_ASSIGNED,
		     blk + 100 * SZ_4K, RMI_EMPTY);
}

static void test_fold_assigned_not_block(void **state)
{
	struct harness *h = *state;
	uint64_t pa[512], blk, tmp;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	rtt_create(h, &r, 0, 1);
	rtt_create(h, &r, 0, 2);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0, 3 * SZ_2M, 0, 0),
		   RMI_SUCCESS, 0);
	/* Non-contiguous: two pages swapped. */
	rtt_create(h, &r, 0, 3);
	blk = delegated_run(h, 512, SZ_2M, 0);
	contiguous(pa, blk);
	tmp = pa[10];
	pa[10] = pa[11];
	pa[11] = tmp;
	fill_data(h, &r, 0, pa);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 3, 0, 0), RMI_ERROR_RTT, 3);
	/* Contiguous from a first page that is not 2 MB aligned. */
	rtt_create(h, &r, SZ_2M, 3);
	blk = delegated_run(h, 512, SZ_2M, SZ_4K);
	contiguous(pa, blk);
	fill_data(h, &r, SZ_2M, pa);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, SZ_2M, 3, 0, 0), RMI_ERROR_RTT, 3);
	/* Mixed RIPAS: the last page's RIPAS was never set to RAM. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 3 * SZ_2M, 4 * SZ_2M - SZ_4K,
			  0, 0), RMI_ERROR_RTT, 2);
	rtt_create(h, &r, 3 * SZ_2M, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 3 * SZ_2M, 4 * SZ_2M - SZ_4K,
			  0, 0), RMI_SUCCESS, 0);
	blk = delegated_run(h, 512, SZ_2M, 0);
	contiguous(pa, blk);
	fill_data(h, &r, 3 * SZ_2M, pa);
	assert_entry(h, r.rd, 4 * SZ_2M - SZ_4K, 3, 3, RMI_ASSIGNED, blk + 511 * SZ_4K,
		     RMI_EMPTY);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 3 * SZ_2M, 3, 0, 0), RMI_ERROR_RTT, 3);
	assert_outputs(h, 0, 0);
}

/* Refcount 512 from child tables: level <= 1 -> level - 1, else level. */
static void test_fold_refcount_512_tables(void **state)
{
	struct harness *h = *state;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	rtt_create(h, &r, 0, 1);
	for (unsigned int i = 0; i < 512; i++)
		rtt_create(h, &r, i * SZ_1G, 2);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 1, 0, 0), RMI_ERROR_RTT, 0);
	for (unsigned int i = 0; i < 512; i++)
		rtt_create(h, &r, i * SZ_2M, 3);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 2, 0, 0), RMI_ERROR_RTT, 2);
	/* Each of those L3s folds; the L2 drops to 0 and folds in turn. */
	for (unsigned int i = 0; i < 512; i++)
		assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, i * SZ_2M, 3, 0, 0),
			   RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 2, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_RTT_FOLD, r.rd, 0, 1, 0, 0), RMI_ERROR_RTT, 1);
}

/* ======================================================================== */
/* RTT_READ_ENTRY (3.3, 8.17) */

static void test_read_entry_failures(void **state)
{
	struct harness *h = *state;
	uint64_t other = h_delegated(h);
	struct h_realm r, r1;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_realm_create(h, &r1, 40, RMI_HASH_SHA_256);
	/* 1. G(rd, RD); x4 keeps the caller's value on every failure. */
	assert_rmi(h_call(h, RMI_RTT_READ_ENTRY, other, 0, 0, X4_MARK, 0),
		   RMI_ERROR_INPUT, 0);
	assert_outputs(h, 0, 0);
	assert_int_equal(h->last_out[4], X4_MARK);
	assert_rmi(h_call(h, RMI_RTT_READ_ENTRY, r.rtt_base, 0, 0, X4_MARK, 0),
		   RMI_ERROR_INPUT, 0);
	/* 2. level, ipa. */
	assert_rmi(h_call(h, RMI_RTT_READ_ENTRY, r.rd, 0, ~0ULL, X4_MARK, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_READ_ENTRY, r.rd, 0, 4, X4_MARK, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_READ_ENTRY, r1.rd, 0, 0, X4_MARK, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_READ_ENTRY, r.rd, 1ULL << 40, 3, X4_MARK, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_READ_ENTRY, r.rd, SZ_4K, 2, X4_MARK, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_READ_ENTRY, r.rd, SZ_1G, 0, X4_MARK, 0),
		   RMI_ERROR_INPUT, 0);
	assert_outputs(h, 0, 0);
	assert_int_equal(h->last_out[4], X4_MARK);
	/* The root level itself is readable. */
	assert_entry(h, r.rd, 0, 0, 0, RMI_UNASSIGNED, 0, RMI_EMPTY);
	assert_entry(h, r1.rd, SZ_512G - SZ_1G, 1, 1, RMI_UNASSIGNED, 0, RMI_EMPTY);
}

/* The nine entry kinds of the table in 3.3. */
static void test_read_entry_kinds(void **state)
{
	struct harness *h = *state;
	uint64_t src = h_alloc(h), l1, l3, ram, empty, dead;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	l1 = rtt_create(h, &r, 0, 1);
	rtt_create(h, &r, 0, 2);
	l3 = rtt_create(h, &r, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_4K, 3 * SZ_4K, 0, 0),
		   RMI_SUCCESS, 0);
	ram = h_delegated(h);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, ram, 2 * SZ_4K, src, 0),
		   RMI_SUCCESS, 0);
	empty = data_unknown(h, &r, 4 * SZ_4K);
	/* unassigned_empty, unassigned_ram, assigned_ram, assigned_empty */
	assert_entry(h, r.rd, 0, 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	assert_entry(h, r.rd, SZ_4K, 3, 3, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_entry(h, r.rd, 2 * SZ_4K, 3, 3, RMI_ASSIGNED, ram, RMI_RAM);
	assert_entry(h, r.rd, 4 * SZ_4K, 3, 3, RMI_ASSIGNED, empty, RMI_EMPTY);
	/* unassigned_destroyed, assigned_destroyed (x3 = 0) */
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 2 * SZ_4K, 0, 0, 0), RMI_SUCCESS, 0);
	assert_entry(h, r.rd, 2 * SZ_4K, 3, 3, RMI_UNASSIGNED, 0, RMI_DESTROYED);
	dead = data_unknown(h, &r, 2 * SZ_4K);
	assert_entry(h, r.rd, 2 * SZ_4K, 3, 3, RMI_ASSIGNED, 0, RMI_DESTROYED);
	assert_int_equal(g_of(h, dead)->state, GRANULE_STATE_DATA);
	/* unassigned_ns, at the root and in an L3 */
	assert_entry(h, r.rd, SZ_512G, 0, 0, RMI_UNASSIGNED, 0, RMI_EMPTY);
	assert_entry(h, r.rd, SZ_512G + 0x5000, 3, 0, RMI_UNASSIGNED, 0, RMI_EMPTY);
	h_rtt_create_to(h, &r, SZ_512G, 3);
	assert_entry(h, r.rd, SZ_512G + 0x5000, 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	/* assigned_ns: only OA | MemAttr | S2AP */
	map_ns(h, &r, SZ_512G + 0x5000, 3, 0x88001000ULL | NS_ATTRS);
	assert_entry(h, r.rd, SZ_512G + 0x5000, 3, 3, RMI_ASSIGNED,
		     0x88001000ULL | NS_ATTRS, RMI_EMPTY);
	/* table */
	assert_entry(h, r.rd, 0, 0, 0, RMI_TABLE, l1, RMI_EMPTY);
	assert_entry(h, r.rd, 0, 2, 2, RMI_TABLE, l3, RMI_EMPTY);
	/* The walk stops at the first non-table entry. */
	assert_entry(h, r.rd, SZ_1G + SZ_2M, 3, 1, RMI_UNASSIGNED, 0, RMI_EMPTY);
	assert_entry(h, r.rd, SZ_2M, 3, 2, RMI_UNASSIGNED, 0, RMI_EMPTY);
}

/* ======================================================================== */
/* RTT_MAP_UNPROTECTED (5.5, 8.16) */

static void test_map_failures(void **state)
{
	struct harness *h = *state;
	uint64_t other = h_delegated(h), base = SZ_512G, desc = 0x88001000ULL;
	struct h_realm r, r34;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, base, 3);
	/* 1. level outside [1, 3] (checked before rd). */
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base, 0, desc, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base, 4, desc, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, other, base, 0, desc, 0),
		   RMI_ERROR_INPUT, 0);
	/* 2. G(rd, RD). */
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, other, base, 3, desc, 0),
		   RMI_ERROR_INPUT, 0);
	/* 3. desc (observed: bit 5 or bit 0 set); before the walk, which
	 * stops at level 1 for base + 1 GB. */
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base, 3, desc | 1ULL << 5, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base, 3, desc | 1, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base, 3, desc | 0x10, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base, 3, desc | 1ULL << 48, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base + SZ_1G, 3,
			  desc | 1ULL << 10, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base + SZ_2M, 2, desc, 0),
		   RMI_ERROR_INPUT, 0);
	/* 4. ipa out of range or unaligned to level. */
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, 1ULL << 40, 3, desc, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base + SZ_4K, 2, SZ_2M, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base + 0x800, 3, desc, 0),
		   RMI_ERROR_INPUT, 0);
	/* 5. ipa in the PAR (before the walk, which would stop at 0). */
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, SZ_4K, 3, desc, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, SZ_512G - SZ_4K, 3, desc, 0),
		   RMI_ERROR_INPUT, 0);
	/* 6. The walk to level stops at L. */
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base + SZ_1G, 3, desc, 0),
		   RMI_ERROR_RTT, 1);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base + SZ_1G, 2, SZ_2M, 0),
		   RMI_ERROR_RTT, 1);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base + SZ_2M, 3, desc, 0),
		   RMI_ERROR_RTT, 2);
	/* 7. The entry is not UNASSIGNED_NS. */
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base, 2, SZ_2M, 0),
		   RMI_ERROR_RTT, 2);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base, 1, SZ_1G, 0),
		   RMI_ERROR_RTT, 1);
	map_ns(h, &r, base, 3, desc);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, base, 3, desc, 0),
		   RMI_ERROR_RTT, 3);
	assert_outputs(h, 0, 0);
	/* A level above a level-2 root cannot be reached. */
	h_realm_create(h, &r34, 34, RMI_HASH_SHA_256);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r34.rd, 8 * SZ_1G, 1, SZ_1G, 0),
		   RMI_ERROR_RTT, 2);
}

static void test_map_success(void **state)
{
	struct harness *h = *state;
	uint64_t base = SZ_512G, l3;
	struct h_realm r, r1;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	rtt_create(h, &r, base, 1);
	rtt_create(h, &r, base, 2);
	l3 = rtt_create(h, &r, base, 3);
	/* Observed: 0x88001000 accepted. */
	map_ns(h, &r, base, 3, 0x88001000ULL);
	assert_entry(h, r.rd, base, 3, 3, RMI_ASSIGNED, 0x88001000ULL, RMI_EMPTY);
	for (uint64_t attr = 0; attr < 8; attr++) {
		uint64_t d = (0x1000ULL * attr) | attr << 2 | 0x40;

		if (attr == 4)
			continue;
		map_ns(h, &r, base + (attr + 1) * SZ_4K, 3, d);
		assert_entry(h, r.rd, base + (attr + 1) * SZ_4K, 3, 3, RMI_ASSIGNED, d,
			     RMI_EMPTY);
	}
	/* ASSIGNED_NS is not counted. */
	assert_int_equal(g_of(h, l3)->refcount, 0);
	/* 2 MB and 1 GB blocks. */
	map_ns(h, &r, base + SZ_2M, 2, SZ_1G | NS_ATTRS);
	assert_entry(h, r.rd, base + SZ_2M, 2, 2, RMI_ASSIGNED, SZ_1G | NS_ATTRS, RMI_EMPTY);
	assert_entry(h, r.rd, base + SZ_2M + 0x3000, 3, 2, RMI_ASSIGNED,
		     SZ_1G | NS_ATTRS, RMI_EMPTY);
	map_ns(h, &r, base + SZ_1G, 1, 7 * SZ_1G | NS_ATTRS);
	assert_entry(h, r.rd, base + SZ_1G, 1, 1, RMI_ASSIGNED, 7 * SZ_1G | NS_ATTRS,
		     RMI_EMPTY);
	/* A 1 GB block in the second of two concatenated level-1 roots. */
	h_realm_create(h, &r1, 40, RMI_HASH_SHA_256);
	map_ns(h, &r1, SZ_512G + 3 * SZ_1G, 1, 0xC0 | 5 * SZ_1G);
	assert_entry(h, r1.rd, SZ_512G + 3 * SZ_1G, 3, 1, RMI_ASSIGNED, 0xC0 | 5 * SZ_1G,
		     RMI_EMPTY);
	/* The last entry of the range. */
	map_ns(h, &r1, (1ULL << 40) - SZ_1G, 1, 0);
	assert_entry(h, r1.rd, (1ULL << 40) - SZ_1G, 1, 1, RMI_ASSIGNED, 0, RMI_EMPTY);
}

/* ======================================================================== */
/* RTT_UNMAP_UNPROTECTED (8.18) */

static void test_unmap_failures(void **state)
{
	struct harness *h = *state;
	uint64_t other = h_delegated(h), base = SZ_512G;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	/* 1. level: x1 = 0. */
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base, 0, 9, 0),
		   RMI_ERROR_INPUT, 0);
	assert_outputs(h, 0, 0);
	assert_int_equal(h->last_out[4], 9);
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base, 4, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 2. G(rd, RD). */
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, other, base, 3, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 3. ipa out of range, unaligned. */
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, 1ULL << 40, 3, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base + SZ_4K, 2, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 4. ipa in the PAR (before the walk). */
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, 0, 3, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_outputs(h, 0, 0);
	/* 5. Observed: root entry UNASSIGNED_NS -> 0x004, x1 = 2^48. */
	assert_int_equal(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base, 3, 0, 0), 0x004);
	assert_outputs(h, TOP_48, 0);
	h_rtt_create_to(h, &r, base, 3);
	map_ns(h, &r, base + 5 * SZ_4K, 3, NS_ATTRS);
	/* Not ASSIGNED_NS at the level: L = level, x1 = top. */
	assert_int_equal(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base, 3, 0, 0), 0x304);
	assert_outputs(h, base + 5 * SZ_4K, 0);
	/* A table where a block was asked for: live, so x1 = ipa. */
	assert_int_equal(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base, 2, 0, 0), 0x204);
	assert_outputs(h, base, 0);
	/* The walk stops before the level. */
	assert_int_equal(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base + SZ_2M, 3, 0, 0),
			 0x204);
	assert_outputs(h, base + SZ_1G, 0);
	assert_int_equal(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base + SZ_1G, 3, 0, 0),
			 0x104);
	assert_outputs(h, 2 * SZ_512G, 0);
}

static void test_unmap_success(void **state)
{
	struct harness *h = *state;
	uint64_t base = SZ_512G;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, base, 3);
	map_ns(h, &r, base, 3, 0x1000);
	map_ns(h, &r, base + 5 * SZ_4K, 3, 0x2000);
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base, 3, 0, 0), RMI_SUCCESS, 0);
	assert_outputs(h, base + 5 * SZ_4K, 0);
	assert_entry(h, r.rd, base, 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base + 5 * SZ_4K, 3, 0, 0),
		   RMI_SUCCESS, 0);
	assert_outputs(h, base + SZ_2M, 0);
	/* UNASSIGNED_NS again: can be mapped. */
	map_ns(h, &r, base, 3, 0x3000);
	/* A 2 MB block. */
	map_ns(h, &r, base + SZ_2M, 2, SZ_2M);
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r.rd, base + SZ_2M, 2, 0, 0),
		   RMI_SUCCESS, 0);
	assert_outputs(h, base + SZ_1G, 0);
	assert_entry(h, r.rd, base + SZ_2M, 2, 2, RMI_UNASSIGNED, 0, RMI_EMPTY);
}

/* ======================================================================== */
/* RTT_INIT_RIPAS (8.22) */

static void test_init_ripas_failures(void **state)
{
	struct harness *h = *state;
	uint64_t other = h_delegated(h), par = SZ_512G;
	struct h_realm r, ra;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	/* 1. top <= base, checked before rd. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_4K, SZ_4K, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 2 * SZ_4K, SZ_4K, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, other, SZ_4K, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 2. G(rd, RD). */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, other, 0, SZ_4K, 0, 0), RMI_ERROR_INPUT, 0);
	/* 3. alignment, range, PAR. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0x800, SZ_4K, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0, 0x1800, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 1ULL << 40, (1ULL << 40) + SZ_4K,
			  0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, par, par + SZ_4K, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, par - SZ_4K, par + SZ_4K, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0, 1ULL << 40, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* top = end of the PAR is in range: the walk decides. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, par - SZ_4K, par, 0, 0),
		   RMI_ERROR_RTT, 1);
	/* 5. base not aligned to the level the walk reached. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_2M + SZ_4K, SZ_2M + 2 * SZ_4K,
			  0, 0), RMI_ERROR_RTT, 2);
	/* 7. No entry fits below top. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_2M, SZ_2M + SZ_4K, 0, 0),
		   RMI_ERROR_RTT, 2);
	/* 6/7. The first entry is ASSIGNED (observed: 0x304), DESTROYED, or
	 * a table. */
	data_unknown(h, &r, 0x3000);
	assert_int_equal(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0x3000, 0x4000, 0, 0), 0x304);
	assert_outputs(h, 0, 0);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 0, 3, 0, 0), RMI_ERROR_RTT, 3);
	rtt_create(h, &r, 4 * SZ_2M, 3);
	assert_rmi(h_call(h, RMI_RTT_DESTROY, r.rd, 4 * SZ_2M, 3, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 4 * SZ_2M, 5 * SZ_2M, 0, 0),
		   RMI_ERROR_RTT, 2);
	rtt_create(h, &r, 6 * SZ_2M, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 5 * SZ_2M, 8 * SZ_2M, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 6 * SZ_2M);
	/* 4. realm not NEW: after the range checks, before the walk. */
	h_realm_create_at(h, &ra, 40, 0, RMI_HASH_SHA_256);
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, ra.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, ra.rd, par, par + SZ_4K, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, ra.rd, SZ_4K, 2 * SZ_4K, 0, 0),
		   RMI_ERROR_REALM, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, ra.rd, 0, SZ_4K, 0, 0), RMI_ERROR_REALM, 0);
}

static void test_init_ripas_success(void **state)
{
	struct harness *h = *state;
	struct h_realm r, r1;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	/* Observed: [0, 0x2000) at level 3 -> x1 = 0x2000. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0, 0x2000, 0, 0), RMI_SUCCESS, 0);
	assert_outputs(h, 0x2000, 0);
	assert_entry(h, r.rd, 0, 3, 3, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_entry(h, r.rd, 0x1000, 3, 3, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_entry(h, r.rd, 0x2000, 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	/* Already RAM: processed again. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0x1000, 0x3000, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 0x3000);
	/* Observed: [2M, 4M) with only an L2 RTT -> one block. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_2M, 2 * SZ_2M, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 2 * SZ_2M);
	assert_entry(h, r.rd, SZ_2M, 2, 2, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_entry(h, r.rd, 2 * SZ_2M, 2, 2, RMI_UNASSIGNED, 0, RMI_EMPTY);
	/* Observed: [0x2000, 0x5000) with ASSIGNED at 0x3000 -> x1 = 0x3000. */
	h_rtt_create_to(h, &r, SZ_1G, 3);
	data_unknown(h, &r, SZ_1G + 0x3000);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_1G + 0x2000, SZ_1G + 0x5000, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], SZ_1G + 0x3000);
	assert_entry(h, r.rd, SZ_1G + 0x4000, 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	/* Only the one RTT: the range stops at its end. */
	rtt_create(h, &r, SZ_1G + SZ_2M, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_1G + SZ_2M - 2 * SZ_4K,
			  SZ_1G + SZ_2M + 2 * SZ_4K, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], SZ_1G + SZ_2M);
	assert_entry(h, r.rd, SZ_1G + SZ_2M, 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_1G + SZ_2M,
			  SZ_1G + SZ_2M + 2 * SZ_4K, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], SZ_1G + SZ_2M + 2 * SZ_4K);
	/* The same at level 2: an L2 ends at 1 GB. */
	h_rtt_create_to(h, &r, 2 * SZ_1G, 2);
	h_rtt_create_to(h, &r, 3 * SZ_1G, 2);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 3 * SZ_1G - 2 * SZ_2M,
			  3 * SZ_1G + 2 * SZ_2M, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 3 * SZ_1G);
	assert_entry(h, r.rd, 3 * SZ_1G, 2, 2, RMI_UNASSIGNED, 0, RMI_EMPTY);
	/* Root entries of a level-1 root, up to the end of the PAR. */
	h_realm_create(h, &r1, 40, RMI_HASH_SHA_256);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r1.rd, SZ_512G - 2 * SZ_1G, SZ_512G, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], SZ_512G);
	assert_entry(h, r1.rd, SZ_512G - SZ_1G, 1, 1, RMI_UNASSIGNED, 0, RMI_RAM);
}

/* One RIPAS descriptor per entry processed (measurement.md 3.3). */
static void test_init_ripas_measures_each_entry(void **state)
{
	struct harness *h = *state;
	static struct realm expect;
	struct realm *realm;
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_512);
	h_rtt_create_to(h, &r, 0, 3);
	realm = realm_of(h, r.rd);
	expect = *realm;
	/* Three level-3 entries; the second call re-measures a RAM entry;
	 * then one 2 MB entry. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0, 0x3000, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0x2000, 0x3000, 0, 0),
		   RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_2M, 3 * SZ_2M, 0, 0),
		   RMI_SUCCESS, 0);
	measure_extend_ripas(&expect, 0, 0x1000);
	measure_extend_ripas(&expect, 0x1000, 0x2000);
	measure_extend_ripas(&expect, 0x2000, 0x3000);
	measure_extend_ripas(&expect, 0x2000, 0x3000);
	measure_extend_ripas(&expect, SZ_2M, 2 * SZ_2M);
	measure_extend_ripas(&expect, 2 * SZ_2M, 3 * SZ_2M);
	assert_memory_equal(realm->measurements[0], expect.measurements[0],
			    REALM_MEASUREMENT_SIZE);
	/* Failures do not measure. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, SZ_2M, SZ_2M + SZ_4K, 0, 0),
		   RMI_ERROR_RTT, 2);
	assert_memory_equal(realm->measurements[0], expect.measurements[0],
			    REALM_MEASUREMENT_SIZE);
}

/* ======================================================================== */
/* RTT_SET_RIPAS (8.23): the conditions that need no REC. */

static void test_set_ripas_failures_no_rec(void **state)
{
	struct harness *h = *state;
	uint64_t other = h_delegated(h);
	struct h_realm r;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	/* 1. top <= base (before anything else). */
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, other, SZ_4K, SZ_4K, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, other, other, 2 * SZ_4K, SZ_4K, 0),
		   RMI_ERROR_INPUT, 0);
	/* 2. G(rd, RD), G(rec, REC), rd == rec. */
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, other, 0, SZ_4K, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, r.rd, 0, SZ_4K, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, r.rtt_base, 0, SZ_4K, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, other, r.rd, 0, SZ_4K, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, r.rd + 8, 0, SZ_4K, 0),
		   RMI_ERROR_INPUT, 0);
	assert_outputs(h, 0, 0);
}

/* A REC of the realm (REC_CREATE, index as given), and its object. */
static uint64_t rec_new(struct harness *h, const struct h_realm *r,
			unsigned int index)
{
	uint64_t params = h_alloc(h), rec = h_delegated(h);
	struct rmi_rec_params *p = h_ns(h, params);

	memset(p, 0, sizeof(*p));
	p->flags = RMI_REC_CREATE_RUNNABLE;
	p->mpidr = index;
	p->num_aux = RMI_REC_AUX_GRANULES;
	for (unsigned int i = 0; i < RMI_REC_AUX_GRANULES; i++)
		p->aux[i] = h_delegated(h);
	assert_rmi(h_call(h, RMI_REC_CREATE, r->rd, rec, params, 0, 0), RMI_SUCCESS, 0);
	return rec;
}

/* The realm's RSI_IPA_STATE_SET, as REC_ENTER leaves it pending. */
static struct rec *ripas_request(struct harness *h, uint64_t rec_pa,
				 uint64_t base, uint64_t top,
				 enum rmi_ripas ripas, bool change_destroyed)
{
	struct rec *rec = g_of(h, rec_pa)->rec;

	rec->ripas.pending = true;
	rec->ripas.base = base;
	rec->ripas.addr = base;
	rec->ripas.top = top;
	rec->ripas.ripas = ripas;
	rec->ripas.change_destroyed = change_destroyed;
	return rec;
}

static void test_set_ripas_failures_rec(void **state)
{
	struct harness *h = *state;
	uint64_t rec, rec2;
	struct h_realm r, r2;
	struct rec *o;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_realm_create_at(h, &r2, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	rec = rec_new(h, &r, 0);
	rec2 = rec_new(h, &r2, 0);
	/* 3. The REC is running: before its realm and its request. */
	g_of(h, rec)->refcount = 1;
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0, SZ_4K, 0), RMI_ERROR_REC, 0);
	g_of(h, rec2)->refcount = 1;
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec2, 0, SZ_4K, 0), RMI_ERROR_REC, 0);
	g_of(h, rec)->refcount = 0;
	g_of(h, rec2)->refcount = 0;
	/* 4. Another realm's REC (before its request, which it lacks). */
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec2, 0, SZ_4K, 0), RMI_ERROR_REC, 0);
	ripas_request(h, rec2, 0, SZ_4K, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec2, 0, SZ_4K, 0), RMI_ERROR_REC, 0);
	/* 5. No request pending (its top is 0), base != progress address, top
	 * beyond the request. Before the walk. */
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0, SZ_4K, 0), RMI_ERROR_INPUT, 0);
	o = ripas_request(h, rec, 0x1000, 0x3000, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0, 0x3000, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0x2000, 0x3000, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0x1000, 0x4000, 0),
		   RMI_ERROR_INPUT, 0);
	o->ripas.pending = false;
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0x1000, 0x3000, 0),
		   RMI_ERROR_INPUT, 0);
	ripas_request(h, rec, SZ_2M + SZ_4K, SZ_2M + 2 * SZ_4K, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, SZ_2M, SZ_2M + 2 * SZ_4K, 0),
		   RMI_ERROR_INPUT, 0);
	/* 6. base not aligned to the level the walk reached. */
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, SZ_2M + SZ_4K,
			  SZ_2M + 2 * SZ_4K, 0), RMI_ERROR_RTT, 2);
	/* 8. No progress: the entry is bigger than the range, ... */
	ripas_request(h, rec, SZ_2M, SZ_2M + SZ_4K, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, SZ_2M, SZ_2M + SZ_4K, 0),
		   RMI_ERROR_RTT, 2);
	/* ... DESTROYED without CHANGE_DESTROYED, ... */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0x5000, 0x6000, 0, 0),
		   RMI_SUCCESS, 0);
	data_unknown(h, &r, 0x5000);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 0x5000, 0, 0, 0), RMI_SUCCESS, 0);
	ripas_request(h, rec, 0x5000, 0x6000, RMI_EMPTY, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0x5000, 0x6000, 0),
		   RMI_ERROR_RTT, 3);
	/* ... an NS entry. */
	h_rtt_create_to(h, &r, SZ_512G, 3);
	map_ns(h, &r, SZ_512G, 3, NS_ATTRS);
	ripas_request(h, rec, SZ_512G, SZ_512G + SZ_4K, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, SZ_512G, SZ_512G + SZ_4K, 0),
		   RMI_ERROR_RTT, 3);
	ripas_request(h, rec, SZ_512G + SZ_4K, SZ_512G + 2 * SZ_4K, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, SZ_512G + SZ_4K,
			  SZ_512G + 2 * SZ_4K, 0), RMI_ERROR_RTT, 3);
	assert_outputs(h, 0, 0);
	/* The progress address stays where it was. */
	assert_int_equal(g_of(h, rec)->rec->ripas.addr, SZ_512G + SZ_4K);
}

/* Requested RAM (8.23 step 7). */
static void test_set_ripas_ram(void **state)
{
	struct harness *h = *state;
	uint64_t src = h_alloc(h), rec, d_empty, d_dead;
	uint8_t rim[REALM_MEASUREMENT_SIZE];
	struct h_realm r;
	struct rec *o;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	rec = rec_new(h, &r, 0);
	/* 0 EMPTY, 1 ASSIGNED EMPTY, 2 RAM, 3 DESTROYED, 4 EMPTY,
	 * 5 ASSIGNED DESTROYED */
	d_empty = data_unknown(h, &r, 0x1000);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0x2000, 0x3000, 0, 0),
		   RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, h_delegated(h), 0x3000, src, 0),
		   RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 0x3000, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, h_delegated(h), 0x5000, src, 0),
		   RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, 0x5000, 0, 0, 0), RMI_SUCCESS, 0);
	d_dead = data_unknown(h, &r, 0x5000);
	memcpy(rim, g_of(h, r.rd)->realm->measurements[0], sizeof(rim));

	o = ripas_request(h, rec, 0, 0x6000, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0, 0x6000, 0), RMI_SUCCESS, 0);
	assert_outputs(h, 0x3000, 0);
	assert_int_equal(o->ripas.addr, 0x3000);
	assert_entry(h, r.rd, 0, 3, 3, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_entry(h, r.rd, 0x1000, 3, 3, RMI_ASSIGNED, d_empty, RMI_RAM);
	assert_entry(h, r.rd, 0x2000, 3, 3, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_entry(h, r.rd, 0x3000, 3, 3, RMI_UNASSIGNED, 0, RMI_DESTROYED);
	/* Stopped at DESTROYED: no progress from there. */
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0x3000, 0x6000, 0),
		   RMI_ERROR_RTT, 3);
	assert_int_equal(o->ripas.addr, 0x3000);
	/* With CHANGE_DESTROYED it goes on, over ASSIGNED DESTROYED too. */
	o->ripas.change_destroyed = true;
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0x3000, 0x6000, 0),
		   RMI_SUCCESS, 0);
	assert_outputs(h, 0x6000, 0);
	assert_int_equal(o->ripas.addr, 0x6000);
	assert_entry(h, r.rd, 0x3000, 3, 3, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_entry(h, r.rd, 0x4000, 3, 3, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_entry(h, r.rd, 0x5000, 3, 3, RMI_ASSIGNED, d_dead, RMI_RAM);
	/* Not measured. */
	assert_memory_equal(g_of(h, r.rd)->realm->measurements[0], rim, sizeof(rim));
	/* The reference does not reject an unaligned top: it stops before the
	 * partial entry. */
	o = ripas_request(h, rec, 0x6000, 0x7800, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0x6000, 0x7800, 0),
		   RMI_SUCCESS, 0);
	assert_outputs(h, 0x7000, 0);
	/* A top below the request's is fine too. */
	o = ripas_request(h, rec, 0x7000, 0xA000, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0x7000, 0x8000, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(o->ripas.addr, 0x8000);
	assert_entry(h, r.rd, 0x8000, 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	/* No realm-state check. */
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0x8000, 0xA000, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(o->ripas.addr, 0xA000);
}

/* Requested EMPTY. */
static void test_set_ripas_empty(void **state)
{
	struct harness *h = *state;
	uint64_t src = h_alloc(h), rec, d_ram, d_dead;
	struct h_realm r;
	struct rec *o;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	rec = rec_new(h, &r, 0);
	/* 0 RAM, 1 ASSIGNED RAM, 2 EMPTY, 3 DESTROYED, 4 ASSIGNED DESTROYED */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0, 0x2000, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, 0x3000, 0x5000, 0, 0),
		   RMI_SUCCESS, 0);
	d_ram = h_delegated(h);
	assert_rmi(h_call(h, RMI_DATA_CREATE, r.rd, d_ram, 0x1000, src, 0),
		   RMI_SUCCESS, 0);
	for (uint64_t ipa = 0x3000; ipa <= 0x4000; ipa += 0x1000) {
		data_unknown(h, &r, ipa);
		assert_rmi(h_call(h, RMI_DATA_DESTROY, r.rd, ipa, 0, 0, 0), RMI_SUCCESS, 0);
	}
	assert_entry(h, r.rd, 0x3000, 3, 3, RMI_UNASSIGNED, 0, RMI_DESTROYED);
	d_dead = data_unknown(h, &r, 0x4000);

	o = ripas_request(h, rec, 0, 0x5000, RMI_EMPTY, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0, 0x5000, 0), RMI_SUCCESS, 0);
	assert_outputs(h, 0x3000, 0);
	assert_entry(h, r.rd, 0, 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	/* The mapping is invalidated but the page stays assigned. */
	assert_entry(h, r.rd, 0x1000, 3, 3, RMI_ASSIGNED, d_ram, RMI_EMPTY);
	assert_entry(h, r.rd, 0x2000, 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	o->ripas.change_destroyed = true;
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0x3000, 0x5000, 0),
		   RMI_SUCCESS, 0);
	assert_outputs(h, 0x5000, 0);
	assert_entry(h, r.rd, 0x3000, 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	assert_entry(h, r.rd, 0x4000, 3, 3, RMI_ASSIGNED, d_dead, RMI_EMPTY);
	/* And back to RAM: the ASSIGNED page is mapped again. */
	ripas_request(h, rec, 0x1000, 0x2000, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 0x1000, 0x2000, 0),
		   RMI_SUCCESS, 0);
	assert_entry(h, r.rd, 0x1000, 3, 3, RMI_ASSIGNED, d_ram, RMI_RAM);
}

/* Only the RTT the walk reached: the range stops at its end, a table ends
 * it, and blocks count whole. */
static void test_set_ripas_ranges(void **state)
{
	struct harness *h = *state;
	struct h_realm r;
	uint64_t rec;
	struct rec *o;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &r, 0, 3);
	rtt_create(h, &r, SZ_2M, 3);
	rtt_create(h, &r, 3 * SZ_2M, 3);
	rec = rec_new(h, &r, 0);
	o = ripas_request(h, rec, SZ_2M - 2 * SZ_4K, SZ_2M + 2 * SZ_4K, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, SZ_2M - 2 * SZ_4K,
			  SZ_2M + 2 * SZ_4K, 0), RMI_SUCCESS, 0);
	assert_outputs(h, SZ_2M, 0);
	assert_entry(h, r.rd, SZ_2M - SZ_4K, 3, 3, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_entry(h, r.rd, SZ_2M, 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	/* The host continues from x1 in the next RTT. */
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, SZ_2M, SZ_2M + 2 * SZ_4K, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(o->ripas.addr, SZ_2M + 2 * SZ_4K);
	assert_entry(h, r.rd, SZ_2M + SZ_4K, 3, 3, RMI_UNASSIGNED, 0, RMI_RAM);
	/* A 2 MB entry, then the table at 3 * 2M ends the range. */
	o = ripas_request(h, rec, 2 * SZ_2M, 8 * SZ_2M, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, 2 * SZ_2M, 8 * SZ_2M, 0),
		   RMI_SUCCESS, 0);
	assert_outputs(h, 3 * SZ_2M, 0);
	assert_entry(h, r.rd, 2 * SZ_2M, 2, 2, RMI_UNASSIGNED, 0, RMI_RAM);
	/* An L2 ends at 1 GB. */
	h_rtt_create_to(h, &r, SZ_1G, 2);
	o = ripas_request(h, rec, SZ_1G - 2 * SZ_2M, SZ_1G + 2 * SZ_2M, RMI_RAM, false);
	assert_rmi(h_call(h, RMI_RTT_SET_RIPAS, r.rd, rec, SZ_1G - 2 * SZ_2M,
			  SZ_1G + 2 * SZ_2M, 0), RMI_SUCCESS, 0);
	assert_outputs(h, SZ_1G, 0);
	assert_int_equal(o->ripas.addr, SZ_1G);
}

/* ======================================================================== */
/* Geometry: every valid (s2sz, rtt_level_start) without LPA2 (6.2). */

static void check_geometry(struct harness *h, unsigned int s2sz, int level)
{
	uint64_t par = 1ULL << (s2sz - 1), top = 1ULL << s2sz;
	const uint64_t ipas[] = { 0, par - SZ_4K, par, top - SZ_4K };
	struct h_realm r;
	uint64_t data;

	h_realm_create_at(h, &r, s2sz, level, RMI_HASH_SHA_256);
	for (unsigned int i = 0; i < 4; i++) {
		h_rtt_create_to(h, &r, ipas[i], 3);
		assert_entry(h, r.rd, ipas[i], 3, 3, RMI_UNASSIGNED, 0, RMI_EMPTY);
	}
	/* The last protected page and the last unprotected one are usable. */
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r.rd, par - SZ_4K, par, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], par);
	data = data_unknown(h, &r, par - SZ_4K);
	assert_entry(h, r.rd, par - SZ_4K, 3, 3, RMI_ASSIGNED, data, RMI_RAM);
	map_ns(h, &r, top - SZ_4K, 3, NS_ATTRS);
	assert_entry(h, r.rd, top - SZ_4K, 3, 3, RMI_ASSIGNED, NS_ATTRS, RMI_EMPTY);
	/* 2^s2sz is out of range for every command. */
	assert_rmi(h_call(h, RMI_RTT_READ_ENTRY, r.rd, top, 3, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_CREATE, r.rd, h_delegated(h), top, 3, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, r.rd, top, 3, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r.rd, h_delegated(h), par, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* The root level itself. */
	assert_rmi(h_call(h, RMI_RTT_READ_ENTRY, r.rd, 0, (uint64_t)level, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], (uint64_t)level);
	assert_int_equal(h->last_out[2], RMI_TABLE);
	assert_int_equal(g_of(h, h->last_out[3])->state, GRANULE_STATE_RTT);
}

static void test_geometry_all(void **state)
{
	struct harness *h = *state;

	for (unsigned int s2sz = 40; s2sz <= 48; s2sz++)
		check_geometry(h, s2sz, 0);
	for (unsigned int s2sz = 32; s2sz <= 43; s2sz++)
		check_geometry(h, s2sz, 1);
	for (unsigned int s2sz = 32; s2sz <= 34; s2sz++)
		check_geometry(h, s2sz, 2);
}

/* Concatenated roots: a second root is reached and its top computed to the
 * end of that root. */
static void test_concatenated_roots(void **state)
{
	struct harness *h = *state;
	struct h_realm r40, r43;
	uint64_t l2;

	h_realm_create(h, &r40, 40, RMI_HASH_SHA_256);
	assert_int_equal(r40.num_root, 2);
	l2 = rtt_create(h, &r40, SZ_512G + 4 * SZ_1G, 2);
	assert_entry(h, r40.rd, SZ_512G + 4 * SZ_1G, 1, 1, RMI_TABLE, l2, RMI_EMPTY);
	assert_int_equal(g_of(h, r40.rtt_base + SZ_4K)->refcount, 1);
	assert_int_equal(g_of(h, r40.rtt_base)->refcount, 0);
	/* Skip from the second root's entry 5 to its end = 2^40. */
	assert_int_equal(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, r40.rd,
				SZ_512G + 5 * SZ_1G, 3, 0, 0), 0x104);
	assert_outputs(h, 1ULL << 40, 0);
	/* ... and from the first root's entry 3 to the next live one. */
	h_rtt_create_to(h, &r40, 3 * SZ_1G, 3);
	assert_int_equal(h_call(h, RMI_RTT_DESTROY, r40.rd, 5 * SZ_1G, 3, 0, 0), 0x104);
	assert_outputs(h, 0, SZ_512G);

	h_realm_create(h, &r43, 43, RMI_HASH_SHA_256);
	assert_int_equal(r43.num_root, 16);
	for (unsigned int i = 0; i < 16; i++) {
		uint64_t ipa = i * SZ_512G + (i + 1) * SZ_1G;

		l2 = rtt_create(h, &r43, ipa, 2);
		assert_entry(h, r43.rd, ipa, 1, 1, RMI_TABLE, l2, RMI_EMPTY);
		assert_int_equal(g_of(h, r43.rtt_base + i * SZ_4K)->refcount, 1);
	}
	/* The second root: PAR, RIPAS and data. */
	h_rtt_create_to(h, &r43, SZ_512G + 2 * SZ_1G, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r43.rd, SZ_512G + 2 * SZ_1G,
			  SZ_512G + 2 * SZ_1G + SZ_4K, 0, 0), RMI_SUCCESS, 0);
	assert_entry(h, r43.rd, SZ_512G + 2 * SZ_1G, 3, 3, RMI_UNASSIGNED, 0, RMI_RAM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, h_setup, h_teardown)
		T(test_rtt_create_failures),
		T(test_rtt_create_unassigned),
		T(test_rtt_create_unfold_ns),
		T(test_rtt_destroy_failures),
		T(test_rtt_destroy_success),
		T(test_rtt_destroy_ns_only),
		T(test_rtt_realm_destroy_refcounts),
		T(test_fold_failures),
		T(test_fold_unassigned),
		T(test_fold_unassigned_ns),
		T(test_fold_assigned_ns),
		T(test_fold_assigned_ns_level1),
		T(test_fold_assigned_ram),
		T(test_fold_assigned_empty),
		T(test_fold_assigned_not_block),
		T(test_fold_refcount_512_tables),
		T(test_read_entry_failures),
		T(test_read_entry_kinds),
		T(test_map_failures),
		T(test_map_success),
		T(test_unmap_failures),
		T(test_unmap_success),
		T(test_init_ripas_failures),
		T(test_init_ripas_success),
		T(test_init_ripas_measures_each_entry),
		T(test_set_ripas_failures_no_rec),
		T(test_set_ripas_failures_rec),
		T(test_set_ripas_ram),
		T(test_set_ripas_empty),
		T(test_set_ripas_ranges),
		T(test_geometry_all),
		T(test_concatenated_roots),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
