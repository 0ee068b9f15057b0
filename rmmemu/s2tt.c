/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage-2 descriptor encoding and the RTT walk.
 *
 * Valid descriptors (bit 0 = 1):
 *   TABLE (levels 0..2, bit 1 = 1): next-level table address;
 *   ASSIGNED RAM: block (levels 1, 2) or page (level 3) to a DATA granule,
 *     normal write-back memory, inner shareable, read/write, accessed;
 *   ASSIGNED_NS: the host's OA, MemAttr and S2AP, plus NS (bit 55), AF,
 *     inner shareable and execute-never.
 * Invalid descriptors (bit 0 = 0) keep HIPAS in bits 3:2 and RIPAS in bits
 * 6:5, and for ASSIGNED (EMPTY, DESTROYED) the granule address.
 */
#include "s2tt.h"

#include "granule.h"
#include "instance.h"
#include "realm.h"

#define DESC_VALID		(1ULL << 0)
#define DESC_TABLE_OR_PAGE	(1ULL << 1)
#define DESC_MEMATTR_NORMAL_WB	(0x6ULL << 2)	/* FWB encoding */
#define DESC_S2AP_RW		(0x3ULL << 6)
#define DESC_SH_INNER		(0x3ULL << 8)
#define DESC_AF			(1ULL << 10)
#define DESC_XN			(0x2ULL << 53)
#define DESC_NS			(1ULL << 55)

#define INV_HIPAS_SHIFT		2
#define INV_HIPAS_MASK		(0x3ULL << INV_HIPAS_SHIFT)
#define INV_HIPAS_UNASSIGNED	0ULL
#define INV_HIPAS_ASSIGNED	1ULL
#define INV_HIPAS_UNASSIGNED_NS	2ULL
#define INV_RIPAS_SHIFT		5
#define INV_RIPAS_MASK		(0x3ULL << INV_RIPAS_SHIFT)

/* Output address bits of a block or page at level: 47:N. */
static uint64_t oa_mask(int level)
{
	return S2TT_OA_MASK & ~(s2tt_entry_size(level) - 1);
}

static uint64_t leaf_type(int level)
{
	return level == S2TT_MAX_LEVEL ? DESC_VALID | DESC_TABLE_OR_PAGE : DESC_VALID;
}

uint64_t s2tte_unassigned(enum rmi_ripas ripas)
{
	return INV_HIPAS_UNASSIGNED << INV_HIPAS_SHIFT |
	       (uint64_t)ripas << INV_RIPAS_SHIFT;
}

uint64_t s2tte_unassigned_ns(void)
{
	return INV_HIPAS_UNASSIGNED_NS << INV_HIPAS_SHIFT;
}

uint64_t s2tte_assigned(uint64_t pa, int level, enum rmi_ripas ripas)
{
	if (ripas == RMI_RAM)
		return (pa & oa_mask(level)) | leaf_type(level) | DESC_AF |
		       DESC_SH_INNER | DESC_S2AP_RW | DESC_MEMATTR_NORMAL_WB;
	return (pa & oa_mask(level)) | INV_HIPAS_ASSIGNED << INV_HIPAS_SHIFT |
	       (uint64_t)ripas << INV_RIPAS_SHIFT;
}

uint64_t s2tte_assigned_ns(uint64_t host_desc, int level)
{
	return host_desc | leaf_type(level) | DESC_AF | DESC_SH_INNER |
	       DESC_XN | DESC_NS;
}

uint64_t s2tte_table(uint64_t pa)
{
	return (pa & S2TT_OA_MASK) | DESC_VALID | DESC_TABLE_OR_PAGE;
}

enum s2tte_hipas s2tte_hipas(uint64_t e, int level)
{
	if (e & DESC_VALID) {
		if ((e & DESC_TABLE_OR_PAGE) && level < S2TT_MAX_LEVEL)
			return HIPAS_TABLE;
		return (e & DESC_NS) ? HIPAS_ASSIGNED_NS : HIPAS_ASSIGNED;
	}
	switch ((e & INV_HIPAS_MASK) >> INV_HIPAS_SHIFT) {
	case INV_HIPAS_ASSIGNED:
		return HIPAS_ASSIGNED;
	case INV_HIPAS_UNASSIGNED_NS:
		return HIPAS_UNASSIGNED_NS;
	default:
		return HIPAS_UNASSIGNED;
	}
}

enum rmi_ripas s2tte_ripas(uint64_t e, int level)
{
	switch (s2tte_hipas(e, level)) {
	case HIPAS_ASSIGNED:
		if (e & DESC_VALID)
			return RMI_RAM;
		/* fall through */
	case HIPAS_UNASSIGNED:
		return (enum rmi_ripas)((e & INV_RIPAS_MASK) >> INV_RIPAS_SHIFT);
	default:
		return RMI_EMPTY;
	}
}

uint64_t s2tte_pa(uint64_t e, int level)
{
	if (s2tte_hipas(e, level) == HIPAS_TABLE)
		return e & S2TT_OA_MASK;
	return e & oa_mask(level);
}

uint64_t s2tte_ns_host_bits(uint64_t e, int level)
{
	return e & (oa_mask(level) | RMI_NS_DESC_MEMATTR_MASK | RMI_NS_DESC_S2AP_MASK);
}

bool s2tte_is_live(uint64_t e, int level)
{
	enum s2tte_hipas h = s2tte_hipas(e, level);

	return h == HIPAS_ASSIGNED || h == HIPAS_ASSIGNED_NS || h == HIPAS_TABLE;
}

bool s2tte_host_ns_desc_valid(uint64_t desc, int level)
{
	uint64_t allowed = oa_mask(level) | RMI_NS_DESC_MEMATTR_MASK |
			   RMI_NS_DESC_S2AP_MASK;

	if (desc & ~allowed)
		return false;
	return ((desc & RMI_NS_DESC_MEMATTR_MASK) >> RMI_NS_DESC_MEMATTR_SHIFT) !=
	       RMI_NS_DESC_MEMATTR_INVALID;
}

void rtt_walk(struct realm *realm, uint64_t ipa, int target_level,
	      struct rtt_walk *w)
{
	struct rmm *rmm = realm->rmm;
	int level = realm->rtt_level_start;
	/* The root is rtt_num_start concatenated tables. */
	uint64_t root_index = ipa >> (12 + 9 * (3 - level));
	struct granule *g = realm->g_rtt_root[(root_index / S2TT_ENTRIES) %
					      realm->rtt_num_start];
	uint64_t *table = granule_priv(rmm, g);
	unsigned int index = (unsigned int)(root_index % S2TT_ENTRIES);

	while (level < target_level) {
		uint64_t e = table[index];

		if (s2tte_hipas(e, level) != HIPAS_TABLE)
			break;
		g = granule_find(rmm, s2tte_pa(e, level));
		table = granule_priv(rmm, g);
		level++;
		index = s2tt_index(ipa, level);
	}
	w->g_rtt = g;
	w->table = table;
	w->level = level;
	w->index = index;
}

uint64_t rtt_skip_non_live(const struct rtt_walk *w, uint64_t ipa)
{
	uint64_t size = s2tt_entry_size(w->level);
	unsigned int i = w->index;

	if (s2tte_is_live(w->table[i], w->level))
		return ipa;
	while (i < S2TT_ENTRIES && !s2tte_is_live(w->table[i], w->level))
		i++;
	return (ipa & ~(size - 1)) + (uint64_t)(i - w->index) * size;
}

void s2tt_init_from_parent(uint64_t *table, uint64_t parent, int level)
{
	int plevel = level - 1;
	enum s2tte_hipas h = s2tte_hipas(parent, plevel);
	enum rmi_ripas ripas = s2tte_ripas(parent, plevel);
	uint64_t pa = s2tte_pa(parent, plevel);
	uint64_t ns_attrs = s2tte_ns_host_bits(parent, plevel) & ~oa_mask(plevel);
	uint64_t size = s2tt_entry_size(level);

	for (unsigned int i = 0; i < S2TT_ENTRIES; i++) {
		uint64_t oa = pa + i * size;

		switch (h) {
		case HIPAS_ASSIGNED:
			table[i] = s2tte_assigned(oa, level, ripas);
			break;
		case HIPAS_ASSIGNED_NS:
			table[i] = s2tte_assigned_ns(ns_attrs | oa, level);
			break;
		case HIPAS_UNASSIGNED_NS:
			table[i] = s2tte_unassigned_ns();
			break;
		default:
			table[i] = s2tte_unassigned(ripas);
			break;
		}
	}
}

/* 512 entries of one kind mapping one block: contiguous output addresses
 * from an address aligned to the parent's entry size, every other bit (RIPAS
 * or the host's MemAttr/S2AP) identical (rmi-1.0.md 6.4). */
static bool s2tt_maps_block(const uint64_t *table, int level)
{
	uint64_t attrs = table[0] & ~oa_mask(level);
	uint64_t pa = s2tte_pa(table[0], level);
	uint64_t size = s2tt_entry_size(level);

	if (!s2tt_aligned(pa, level - 1))
		return false;
	for (unsigned int i = 1; i < S2TT_ENTRIES; i++) {
		if ((table[i] & ~oa_mask(level)) != attrs ||
		    s2tte_pa(table[i], level) != pa + i * size)
			return false;
	}
	return true;
}

enum s2tte_hipas s2tt_fold_entry(const uint64_t *table, int level,
				 uint64_t *folded)
{
	enum s2tte_hipas h = s2tte_hipas(table[0], level);
	enum rmi_ripas ripas = s2tte_ripas(table[0], level);

	switch (h) {
	case HIPAS_UNASSIGNED:
	case HIPAS_UNASSIGNED_NS:
		for (unsigned int i = 1; i < S2TT_ENTRIES; i++) {
			if (s2tte_hipas(table[i], level) != h ||
			    s2tte_ripas(table[i], level) != ripas)
				return HIPAS_TABLE;
		}
		*folded = h == HIPAS_UNASSIGNED ? s2tte_unassigned(ripas) :
						  s2tte_unassigned_ns();
		return h;
	case HIPAS_ASSIGNED:
	case HIPAS_ASSIGNED_NS:
		if (!s2tt_maps_block(table, level))
			return HIPAS_TABLE;
		*folded = h == HIPAS_ASSIGNED ?
			  s2tte_assigned(s2tte_pa(table[0], level), level - 1, ripas) :
			  s2tte_assigned_ns(s2tte_ns_host_bits(table[0], level),
					    level - 1);
		return h;
	default:
		return HIPAS_TABLE;
	}
}
