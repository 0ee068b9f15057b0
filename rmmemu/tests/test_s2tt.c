/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage-2 descriptors, host NS descriptor validation, the RTT walk,
 * RttSkipNonLiveEntries and the RTT_CREATE/RTT_FOLD table helpers
 * (rmi-1.0.md 3.3, 5.5, 6, 8).
 */
#include <string.h>

#include "harness.h"
#include "rmmemu/granule.h"
#include "rmmemu/realm.h"
#include "rmmemu/s2tt.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL
#define SZ_512G	0x8000000000ULL

#define DESC_VALID	(1ULL << 0)
#define DESC_AF		(1ULL << 10)
#define DESC_NS		(1ULL << 55)
#define DESC_XN		(0x2ULL << 53)
#define NS_ATTRS	0xD8ULL		/* Linux: MemAttr normal WB, S2AP RW */

static uint64_t table[S2TT_ENTRIES];

static struct realm *realm_of(struct harness *h, uint64_t rd)
{
	return granule_find(h->rmm, rd)->realm;
}

/* -- descriptors (3.3) ---------------------------------------------------- */

static void test_unassigned(void **state)
{
	const enum rmi_ripas ripas[] = { RMI_EMPTY, RMI_RAM, RMI_DESTROYED };

	(void)state;
	/* A zero descriptor (a scrubbed table) is UNASSIGNED EMPTY. */
	assert_int_equal(s2tte_unassigned(RMI_EMPTY), 0);
	for (int level = 0; level <= 3; level++) {
		for (unsigned int i = 0; i < 3; i++) {
			uint64_t e = s2tte_unassigned(ripas[i]);

			assert_int_equal(e & DESC_VALID, 0);
			assert_int_equal(s2tte_hipas(e, level), HIPAS_UNASSIGNED);
			assert_int_equal(s2tte_ripas(e, level), ripas[i]);
			assert_false(s2tte_is_live(e, level));
		}
		assert_int_equal(s2tte_hipas(s2tte_unassigned_ns(), level),
				 HIPAS_UNASSIGNED_NS);
		assert_int_equal(s2tte_ripas(s2tte_unassigned_ns(), level), RMI_EMPTY);
		assert_int_equal(s2tte_unassigned_ns() & DESC_VALID, 0);
		assert_false(s2tte_is_live(s2tte_unassigned_ns(), level));
	}
	/* The three RIPAS and UNASSIGNED_NS are four distinct descriptors. */
	assert_int_not_equal(s2tte_unassigned(RMI_RAM), s2tte_unassigned(RMI_DESTROYED));
	assert_int_not_equal(s2tte_unassigned(RMI_EMPTY), s2tte_unassigned_ns());
	assert_int_not_equal(s2tte_unassigned(RMI_RAM), s2tte_unassigned_ns());
	assert_int_not_equal(s2tte_unassigned(RMI_DESTROYED), s2tte_unassigned_ns());
}

static void test_assigned(void **state)
{
	(void)state;
	for (int level = 1; level <= 3; level++) {
		uint64_t pa = 0x8000000000ULL + s2tt_entry_size(level) * 3;
		uint64_t ram = s2tte_assigned(pa, level, RMI_RAM);
		uint64_t empty = s2tte_assigned(pa, level, RMI_EMPTY);
		uint64_t destroyed = s2tte_assigned(pa, level, RMI_DESTROYED);

		/* RAM: a valid page (level 3) or block (1, 2) with AF, not NS. */
		assert_int_equal(ram & 3, level == 3 ? 3 : 1);
		assert_int_equal(ram & DESC_AF, DESC_AF);
		assert_int_equal(ram & DESC_NS, 0);
		assert_int_equal(s2tte_hipas(ram, level), HIPAS_ASSIGNED);
		assert_int_equal(s2tte_ripas(ram, level), RMI_RAM);
		assert_int_equal(s2tte_pa(ram, level), pa);
		assert_true(s2tte_is_live(ram, level));
		/* EMPTY, DESTROYED: invalid, the PA kept. */
		assert_int_equal(empty & DESC_VALID, 0);
		assert_int_equal(destroyed & DESC_VALID, 0);
		assert_int_equal(s2tte_hipas(empty, level), HIPAS_ASSIGNED);
		assert_int_equal(s2tte_hipas(destroyed, level), HIPAS_ASSIGNED);
		assert_int_equal(s2tte_ripas(empty, level), RMI_EMPTY);
		assert_int_equal(s2tte_ripas(destroyed, level), RMI_DESTROYED);
		assert_int_equal(s2tte_pa(empty, level), pa);
		assert_int_equal(s2tte_pa(destroyed, level), pa);
		assert_true(s2tte_is_live(empty, level));
		assert_true(s2tte_is_live(destroyed, level));
		/* The output address is aligned to the entry size. */
		assert_int_equal(s2tte_pa(s2tte_assigned(pa + SZ_4K, level, RMI_RAM),
					  level), level == 3 ? pa + SZ_4K : pa);
	}
	/* Bits 47:12 are the output address. */
	assert_int_equal(s2tte_pa(s2tte_assigned(0xFFFFFFFFF000ULL, 3, RMI_RAM), 3),
			 0xFFFFFFFFF000ULL);
}

static void test_assigned_ns(void **state)
{
	(void)state;
	for (int level = 1; level <= 3; level++) {
		uint64_t pa = 0x40000000ULL;
		uint64_t e = s2tte_assigned_ns(pa | NS_ATTRS, level);

		assert_int_equal(e & 3, level == 3 ? 3 : 1);
		assert_int_equal(e & DESC_NS, DESC_NS);
		assert_int_equal(e & DESC_AF, DESC_AF);
		assert_int_equal(e & DESC_XN, DESC_XN);
		assert_int_equal(s2tte_hipas(e, level), HIPAS_ASSIGNED_NS);
		assert_int_equal(s2tte_ripas(e, level), RMI_EMPTY);
		assert_int_equal(s2tte_pa(e, level), pa);
		/* READ_ENTRY reports only OA | MemAttr | S2AP (5.5). */
		assert_int_equal(s2tte_ns_host_bits(e, level), pa | NS_ATTRS);
		assert_true(s2tte_is_live(e, level));
	}
	/* Every valid MemAttr/S2AP combination round-trips. */
	for (uint64_t attr = 0; attr < 8; attr++) {
		for (uint64_t ap = 0; ap < 4; ap++) {
			uint64_t d = 0x1234000ULL | attr << 2 | ap << 6;

			if (attr == 4)
				continue;
			assert_int_equal(s2tte_ns_host_bits(s2tte_assigned_ns(d, 3), 3), d);
		}
	}
}

static void test_table(void **state)
{
	uint64_t pa = 0x80123000ULL;
	uint64_t e = s2tte_table(pa);

	(void)state;
	assert_int_equal(e & 3, 3);
	for (int level = 0; level <= 2; level++) {
		assert_int_equal(s2tte_hipas(e, level), HIPAS_TABLE);
		assert_int_equal(s2tte_pa(e, level), pa);
		assert_int_equal(s2tte_ripas(e, level), RMI_EMPTY);
		assert_true(s2tte_is_live(e, level));
	}
	/* At level 3 the same bits are a page, not a table. */
	assert_int_equal(s2tte_hipas(e, 3), HIPAS_ASSIGNED);
}

static void test_geometry(void **state)
{
	(void)state;
	assert_int_equal(s2tt_entry_size(3), SZ_4K);
	assert_int_equal(s2tt_entry_size(2), SZ_2M);
	assert_int_equal(s2tt_entry_size(1), SZ_1G);
	assert_int_equal(s2tt_entry_size(0), SZ_512G);
	assert_int_equal(s2tt_entry_size(-1), 256ULL << 40);
	assert_true(s2tt_aligned(SZ_2M, 2));
	assert_false(s2tt_aligned(SZ_2M + SZ_4K, 2));
	assert_true(s2tt_aligned(0, 0));
	assert_int_equal(s2tt_index(0x40201000ULL, 3), 1);
	assert_int_equal(s2tt_index(0x40201000ULL, 2), 1);
	assert_int_equal(s2tt_index(0x40201000ULL, 1), 1);
	assert_int_equal(s2tt_index(SZ_512G * 3 + 0x40201000ULL, 0), 3);
	assert_int_equal(s2tt_index(SZ_2M - SZ_4K, 3), 511);
}

/* -- host NS descriptor (5.5) ------------------------------------------- */

static void test_host_ns_desc(void **state)
{
	(void)state;
	/* Observed: accepted. */
	assert_true(s2tte_host_ns_desc_valid(0x88001000ULL, 3));
	assert_true(s2tte_host_ns_desc_valid(0x88001000ULL | NS_ATTRS, 3));
	/* Observed: bit 5 or bit 0 set -> ERROR_INPUT. */
	assert_false(s2tte_host_ns_desc_valid(0x88001000ULL | 1ULL << 5, 3));
	assert_false(s2tte_host_ns_desc_valid(0x88001000ULL | 1ULL << 0, 3));
	/* Every other bit outside OA, MemAttr and S2AP. */
	for (unsigned int bit = 0; bit < 64; bit++) {
		uint64_t d = 0x88001000ULL | 1ULL << bit;
		bool allowed = (bit >= 2 && bit <= 4) || bit == 6 || bit == 7 ||
			       (bit >= 12 && bit <= 47);

		if (bit == 4)	/* MemAttr 0b100 alone: the one refused value */
			allowed = false;
		assert_int_equal(s2tte_host_ns_desc_valid(d, 3), allowed);
	}
	/* MemAttr: anything but 0b100; S2AP: anything. */
	for (uint64_t attr = 0; attr < 8; attr++)
		assert_int_equal(s2tte_host_ns_desc_valid(attr << 2, 3), attr != 4);
	for (uint64_t ap = 0; ap < 4; ap++)
		assert_true(s2tte_host_ns_desc_valid(ap << 6, 3));
	/* The OA must be aligned to the level's block size. */
	assert_true(s2tte_host_ns_desc_valid(SZ_2M * 5 | NS_ATTRS, 2));
	assert_false(s2tte_host_ns_desc_valid(SZ_2M * 5 + SZ_4K, 2));
	assert_false(s2tte_host_ns_desc_valid(SZ_2M * 5 + SZ_1G / 2, 1));
	assert_true(s2tte_host_ns_desc_valid(SZ_1G * 7 | NS_ATTRS, 1));
	/* Bits above 47 without LPA2. */
	assert_true(s2tte_host_ns_desc_valid(1ULL << 47, 3));
	assert_false(s2tte_host_ns_desc_valid(1ULL << 48, 3));
}

/* -- RttSkipNonLiveEntries (8) -------------------------------------------- */

static uint64_t skip_top(int level, uint64_t ipa)
{
	struct rtt_walk w = { .g_rtt = NULL, .table = table, .level = level,
			      .index = s2tt_index(ipa, level) };

	return rtt_skip_non_live(&w, ipa);
}

static void test_skip_non_live(void **state)
{
	(void)state;
	memset(table, 0, sizeof(table));
	/* All non-live: to the end of the table, from the aligned address. */
	assert_int_equal(skip_top(3, 0x5000), SZ_2M);
	assert_int_equal(skip_top(3, SZ_2M * 7 + 0x5000), SZ_2M * 8);
	assert_int_equal(skip_top(2, SZ_1G + SZ_2M * 3), 2 * SZ_1G);
	/* A root scan runs to entry 511 (observed: 2^48 for s2sz 40). */
	assert_int_equal(skip_top(0, 0), 1ULL << 48);
	assert_int_equal(skip_top(0, SZ_512G), 1ULL << 48);
	/* Up to the next live entry, whatever kind. */
	table[3] = s2tte_assigned(0x80000000ULL, 3, RMI_DESTROYED);
	assert_int_equal(skip_top(3, 0x1000), 0x3000);
	table[3] = s2tte_assigned(0x80000000ULL, 3, RMI_EMPTY);
	assert_int_equal(skip_top(3, 0x1000), 0x3000);
	table[3] = s2tte_assigned_ns(0x1000, 3);
	assert_int_equal(skip_top(3, 0x2000), 0x3000);
	table[3] = s2tte_table(0x80000000ULL);
	assert_int_equal(skip_top(2, SZ_2M), 3 * SZ_2M);
	/* A live entry: the input address itself, not aligned down. */
	assert_int_equal(skip_top(2, 3 * SZ_2M + 0x5000), 3 * SZ_2M + 0x5000);
	table[3] = s2tte_assigned(0x80000000ULL, 3, RMI_RAM);
	assert_int_equal(skip_top(3, 0x3000), 0x3000);
	/* Non-live entries of every kind are skipped. */
	table[4] = s2tte_unassigned(RMI_RAM);
	table[5] = s2tte_unassigned(RMI_DESTROYED);
	table[6] = s2tte_unassigned_ns();
	table[9] = s2tte_assigned_ns(0x2000, 3);
	assert_int_equal(skip_top(3, 0x4000), 0x9000);
	/* The last entry. */
	assert_int_equal(skip_top(3, 0x1FF000), SZ_2M);
}

/* -- RTT_CREATE / RTT_FOLD helpers (6.4, 8.14) --------------------------- */

static void test_init_from_parent_unassigned(void **state)
{
	const enum rmi_ripas ripas[] = { RMI_EMPTY, RMI_RAM, RMI_DESTROYED };

	(void)state;
	for (int level = 1; level <= 3; level++) {
		for (unsigned int r = 0; r < 3; r++) {
			s2tt_init_from_parent(table, s2tte_unassigned(ripas[r]), level);
			for (unsigned int i = 0; i < S2TT_ENTRIES; i++)
				assert_int_equal(table[i], s2tte_unassigned(ripas[r]));
		}
		s2tt_init_from_parent(table, s2tte_unassigned_ns(), level);
		for (unsigned int i = 0; i < S2TT_ENTRIES; i++)
			assert_int_equal(table[i], s2tte_unassigned_ns());
	}
}

static void test_init_from_parent_blocks(void **state)
{
	const enum rmi_ripas ripas[] = { RMI_EMPTY, RMI_RAM, RMI_DESTROYED };
	uint64_t pa = 0x80200000ULL;

	(void)state;
	/* ASSIGNED 2 MB block -> 512 pages, contiguous, same RIPAS. */
	for (unsigned int r = 0; r < 3; r++) {
		s2tt_init_from_parent(table, s2tte_assigned(pa, 2, ripas[r]), 3);
		for (unsigned int i = 0; i < S2TT_ENTRIES; i++)
			assert_int_equal(table[i], s2tte_assigned(pa + i * SZ_4K, 3,
								  ripas[r]));
	}
	/* ASSIGNED 1 GB block -> 512 2 MB blocks. */
	s2tt_init_from_parent(table, s2tte_assigned(SZ_1G, 1, RMI_RAM), 2);
	for (unsigned int i = 0; i < S2TT_ENTRIES; i++)
		assert_int_equal(table[i], s2tte_assigned(SZ_1G + i * SZ_2M, 2, RMI_RAM));
	/* ASSIGNED_NS blocks keep the host's attributes. */
	s2tt_init_from_parent(table, s2tte_assigned_ns(SZ_1G * 3 | 0x9C, 1), 2);
	for (unsigned int i = 0; i < S2TT_ENTRIES; i++) {
		assert_int_equal(s2tte_hipas(table[i], 2), HIPAS_ASSIGNED_NS);
		assert_int_equal(s2tte_ns_host_bits(table[i], 2),
				 (SZ_1G * 3 + i * SZ_2M) | 0x9C);
	}
	s2tt_init_from_parent(table, s2tte_assigned_ns(SZ_2M | NS_ATTRS, 2), 3);
	for (unsigned int i = 0; i < S2TT_ENTRIES; i++)
		assert_int_equal(table[i],
				 s2tte_assigned_ns((SZ_2M + i * SZ_4K) | NS_ATTRS, 3));
}

/* Unfolding then folding gives the parent entry back, for every kind. */
static void test_fold_roundtrip(void **state)
{
	struct { uint64_t e; int level; enum s2tte_hipas h; } cases[] = {
		{ s2tte_unassigned(RMI_EMPTY), 3, HIPAS_UNASSIGNED },
		{ s2tte_unassigned(RMI_RAM), 3, HIPAS_UNASSIGNED },
		{ s2tte_unassigned(RMI_DESTROYED), 2, HIPAS_UNASSIGNED },
		{ s2tte_unassigned(RMI_RAM), 1, HIPAS_UNASSIGNED },
		{ s2tte_unassigned_ns(), 3, HIPAS_UNASSIGNED_NS },
		{ s2tte_unassigned_ns(), 1, HIPAS_UNASSIGNED_NS },
		{ s2tte_assigned(0x80200000ULL, 2, RMI_RAM), 3, HIPAS_ASSIGNED },
		{ s2tte_assigned(0x80200000ULL, 2, RMI_EMPTY), 3, HIPAS_ASSIGNED },
		{ s2tte_assigned(0x80200000ULL, 2, RMI_DESTROYED), 3, HIPAS_ASSIGNED },
		{ s2tte_assigned(SZ_1G, 1, RMI_RAM), 2, HIPAS_ASSIGNED },
		{ s2tte_assigned_ns(SZ_2M * 9 | NS_ATTRS, 2), 3, HIPAS_ASSIGNED_NS },
		{ s2tte_assigned_ns(SZ_1G | 0x44, 1), 2, HIPAS_ASSIGNED_NS },
	};

	(void)state;
	for (unsigned int c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint64_t folded = 0;

		s2tt_init_from_parent(table, cases[c].e, cases[c].level);
		assert_int_equal(s2tt_fold_entry(table, cases[c].level, &folded),
				 cases[c].h);
		assert_int_equal(folded, cases[c].e);
	}
	/* ASSIGNED_NS level-1 entries aligned to 512 GB form a (level-0)
	 * block: homogeneous, whether a fold is allowed is the caller's. */
	for (unsigned int i = 0; i < S2TT_ENTRIES; i++)
		table[i] = s2tte_assigned_ns((SZ_512G + i * SZ_1G) | NS_ATTRS, 1);
	{
		uint64_t folded;

		assert_int_equal(s2tt_fold_entry(table, 1, &folded), HIPAS_ASSIGNED_NS);
	}
}

static void expect_no_fold(int level)
{
	uint64_t folded = 0x5A5A;

	assert_int_equal(s2tt_fold_entry(table, level, &folded), HIPAS_TABLE);
	assert_int_equal(folded, 0x5A5A);	/* untouched */
}

static void test_fold_not_homogeneous(void **state)
{
	uint64_t pa = 0x80200000ULL, tmp;

	(void)state;
	/* Mixed RIPAS. */
	s2tt_init_from_parent(table, s2tte_unassigned(RMI_RAM), 3);
	table[511] = s2tte_unassigned(RMI_EMPTY);
	expect_no_fold(3);
	/* UNASSIGNED mixed with UNASSIGNED_NS. */
	s2tt_init_from_parent(table, s2tte_unassigned_ns(), 3);
	table[0] = s2tte_unassigned(RMI_EMPTY);
	expect_no_fold(3);
	/* UNASSIGNED_NS mixed with ASSIGNED_NS. */
	s2tt_init_from_parent(table, s2tte_unassigned_ns(), 3);
	table[7] = s2tte_assigned_ns(0x7000, 3);
	expect_no_fold(3);
	/* A table entry. */
	s2tt_init_from_parent(table, s2tte_unassigned(RMI_EMPTY), 2);
	table[100] = s2tte_table(0x80000000ULL);
	expect_no_fold(2);
	/* ASSIGNED: non-contiguous. */
	s2tt_init_from_parent(table, s2tte_assigned(pa, 2, RMI_RAM), 3);
	tmp = table[1];
	table[1] = table[2];
	table[2] = tmp;
	expect_no_fold(3);
	/* ASSIGNED: contiguous but the first page not 2 MB aligned. */
	for (unsigned int i = 0; i < S2TT_ENTRIES; i++)
		table[i] = s2tte_assigned(pa + SZ_4K + i * SZ_4K, 3, RMI_RAM);
	expect_no_fold(3);
	/* ASSIGNED: mixed RIPAS. */
	s2tt_init_from_parent(table, s2tte_assigned(pa, 2, RMI_RAM), 3);
	table[300] = s2tte_assigned(pa + 300 * SZ_4K, 3, RMI_EMPTY);
	expect_no_fold(3);
	/* ASSIGNED mixed with UNASSIGNED. */
	s2tt_init_from_parent(table, s2tte_assigned(pa, 2, RMI_RAM), 3);
	table[511] = s2tte_unassigned(RMI_RAM);
	expect_no_fold(3);
	/* ASSIGNED_NS: one entry with other attributes. */
	s2tt_init_from_parent(table, s2tte_assigned_ns(SZ_2M | NS_ATTRS, 2), 3);
	table[5] = s2tte_assigned_ns((SZ_2M + 5 * SZ_4K) | 0x18, 3);
	expect_no_fold(3);
	/* ASSIGNED_NS: misaligned, non-contiguous. */
	for (unsigned int i = 0; i < S2TT_ENTRIES; i++)
		table[i] = s2tte_assigned_ns((SZ_2M + SZ_4K + i * SZ_4K) | NS_ATTRS, 3);
	expect_no_fold(3);
	s2tt_init_from_parent(table, s2tte_assigned_ns(SZ_2M | NS_ATTRS, 2), 3);
	table[511] = s2tte_assigned_ns(0x1000 | NS_ATTRS, 3);
	expect_no_fold(3);
	/* ASSIGNED_NS mixed with ASSIGNED at the same addresses. */
	s2tt_init_from_parent(table, s2tte_assigned(SZ_2M, 2, RMI_RAM), 3);
	table[0] = s2tte_assigned_ns(SZ_2M | 0x3C, 3);
	expect_no_fold(3);
}

/* -- rtt_walk on realms built by RMI calls ------------------------------- */

static void test_walk(void **state)
{
	struct harness *h = *state;
	struct h_realm r;
	struct rtt_walk w;
	struct realm *realm;
	uint64_t ipa = 0x40201000ULL;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	realm = realm_of(h, r.rd);
	/* Only the root: the walk stops there whatever the target. */
	rtt_walk(realm, ipa, 3, &w);
	assert_int_equal(w.level, 0);
	assert_int_equal(w.index, 0);
	assert_ptr_equal(w.g_rtt, granule_find(h->rmm, r.rtt_base));
	assert_ptr_equal(w.table, granule_priv(h->rmm, w.g_rtt));
	rtt_walk(realm, SZ_512G + ipa, 3, &w);
	assert_int_equal(w.index, 1);
	h_rtt_create_to(h, &r, ipa, 3);
	rtt_walk(realm, ipa, 3, &w);
	assert_int_equal(w.level, 3);
	assert_int_equal(w.index, 1);
	assert_int_equal(w.g_rtt->state, GRANULE_STATE_RTT);
	/* The walk stops at the target level. */
	rtt_walk(realm, ipa, 1, &w);
	assert_int_equal(w.level, 1);
	assert_int_equal(w.index, 1);
	assert_int_equal(s2tte_hipas(w.table[w.index], 1), HIPAS_TABLE);
	rtt_walk(realm, ipa, 0, &w);
	assert_int_equal(w.level, 0);
	/* ... and at the first entry that is not a table. */
	rtt_walk(realm, ipa + SZ_2M, 3, &w);
	assert_int_equal(w.level, 2);
	assert_int_equal(w.index, 2);
	rtt_walk(realm, ipa + SZ_1G, 3, &w);
	assert_int_equal(w.level, 1);
	assert_int_equal(w.index, 2);
}

/* Concatenated roots: the walk picks the root granule by the top bits. */
static void test_walk_concatenated(void **state)
{
	struct harness *h = *state;
	struct h_realm r40, r43, r34;
	struct rtt_walk w;

	h_realm_create(h, &r40, 40, RMI_HASH_SHA_256);
	assert_int_equal(r40.level_start, 1);
	assert_int_equal(r40.num_root, 2);
	rtt_walk(realm_of(h, r40.rd), SZ_512G + 5 * SZ_1G, 3, &w);
	assert_int_equal(w.level, 1);
	assert_int_equal(w.index, 5);
	assert_ptr_equal(w.g_rtt, granule_find(h->rmm, r40.rtt_base + SZ_4K));
	rtt_walk(realm_of(h, r40.rd), SZ_512G - SZ_1G, 3, &w);
	assert_int_equal(w.index, 511);
	assert_ptr_equal(w.g_rtt, granule_find(h->rmm, r40.rtt_base));
	/* Into the second root and below it. */
	h_rtt_create_to(h, &r40, SZ_512G + SZ_2M, 3);
	rtt_walk(realm_of(h, r40.rd), SZ_512G + SZ_2M + 0x3000, 3, &w);
	assert_int_equal(w.level, 3);
	assert_int_equal(w.index, 3);

	h_realm_create(h, &r43, 43, RMI_HASH_SHA_256);
	assert_int_equal(r43.num_root, 16);
	for (unsigned int i = 0; i < 16; i++) {
		rtt_walk(realm_of(h, r43.rd), i * SZ_512G + 7 * SZ_1G, 3, &w);
		assert_int_equal(w.level, 1);
		assert_int_equal(w.index, 7);
		assert_ptr_equal(w.g_rtt,
				 granule_find(h->rmm, r43.rtt_base + i * SZ_4K));
	}

	h_realm_create(h, &r34, 34, RMI_HASH_SHA_256);
	assert_int_equal(r34.level_start, 2);
	assert_int_equal(r34.num_root, 16);
	rtt_walk(realm_of(h, r34.rd), 15 * SZ_1G + 4 * SZ_2M, 3, &w);
	assert_int_equal(w.level, 2);
	assert_int_equal(w.index, 4);
	assert_ptr_equal(w.g_rtt, granule_find(h->rmm, r34.rtt_base + 15 * SZ_4K));
}

/* The real tables: RttSkipNonLiveEntries on a root past 2^s2sz. */
static void test_walk_skip_root(void **state)
{
	struct harness *h = *state;
	struct h_realm r;
	struct rtt_walk w;

	h_realm_create_at(h, &r, 40, 0, RMI_HASH_SHA_256);
	rtt_walk(realm_of(h, r.rd), 0, 2, &w);
	assert_int_equal(rtt_skip_non_live(&w, 0), 1ULL << 48);
	/* Entries beyond 2^s2sz are zero; within it UNASSIGNED_NS above the PAR. */
	assert_int_equal(s2tte_hipas(w.table[1], 0), HIPAS_UNASSIGNED_NS);
	assert_int_equal(w.table[2], 0);
	h_rtt_create_to(h, &r, SZ_512G, 1);
	rtt_walk(realm_of(h, r.rd), 0, 2, &w);
	assert_int_equal(rtt_skip_non_live(&w, 0), SZ_512G);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unassigned),
		cmocka_unit_test(test_assigned),
		cmocka_unit_test(test_assigned_ns),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_host_ns_desc),
		cmocka_unit_test(test_skip_non_live),
		cmocka_unit_test(test_init_from_parent_unassigned),
		cmocka_unit_test(test_init_from_parent_blocks),
		cmocka_unit_test(test_fold_roundtrip),
		cmocka_unit_test(test_fold_not_homogeneous),
		cmocka_unit_test_setup_teardown(test_walk, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_walk_concatenated, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_walk_skip_root, h_setup, h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
