/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage-2 translation tables as the RMM keeps them: each RTT granule holds 512
 * real VMSAv8-64 stage-2 descriptors (4 KiB granule). Valid descriptors are
 * the mappings the realm can use (ASSIGNED RAM, ASSIGNED_NS, TABLE); invalid
 * ones carry HIPAS and RIPAS in bits the architecture ignores. A zero
 * descriptor is UNASSIGNED with RIPAS EMPTY, so a scrubbed granule is an empty
 * table.
 */
#ifndef RMMEMU_S2TT_H
#define RMMEMU_S2TT_H

#include <stdbool.h>
#include <stdint.h>

#include <rmmemu/rmi-1.0.h>

struct realm;
struct granule;

#define S2TT_ENTRIES		512
#define S2TT_MAX_LEVEL		3
#define S2TT_OA_MASK		0x0000FFFFFFFFF000ULL

/* What an entry is, in the spec's terms (rmi-1.0.md 3.3). */
enum s2tte_hipas {
	HIPAS_UNASSIGNED,
	HIPAS_ASSIGNED,
	HIPAS_UNASSIGNED_NS,
	HIPAS_ASSIGNED_NS,
	HIPAS_TABLE,
};

/* Bytes mapped by one entry at level (-1..3). */
static inline uint64_t s2tt_entry_size(int level)
{
	return 1ULL << (12 + 9 * (3 - level));
}

static inline bool s2tt_aligned(uint64_t addr, int level)
{
	return (addr & (s2tt_entry_size(level) - 1)) == 0;
}

/* Index of ipa's entry in a (non-concatenated) table at level. */
static inline unsigned int s2tt_index(uint64_t ipa, int level)
{
	return (unsigned int)((ipa >> (12 + 9 * (3 - level))) & (S2TT_ENTRIES - 1));
}

uint64_t s2tte_unassigned(enum rmi_ripas ripas);
uint64_t s2tte_unassigned_ns(void);
/* ASSIGNED: a valid mapping when ripas is RAM, an invalid entry remembering
 * the PA otherwise. Level 1..3 (levels 1, 2: blocks). */
uint64_t s2tte_assigned(uint64_t pa, int level, enum rmi_ripas ripas);
/* ASSIGNED_NS from the host's descriptor (already validated), level 1..3. */
uint64_t s2tte_assigned_ns(uint64_t host_desc, int level);
uint64_t s2tte_table(uint64_t pa);

enum s2tte_hipas s2tte_hipas(uint64_t e, int level);
/* RIPAS of a protected entry (UNASSIGNED / ASSIGNED); EMPTY otherwise. */
enum rmi_ripas s2tte_ripas(uint64_t e, int level);
/* The output address: DATA/block PA, child RTT PA, or NS PA. */
uint64_t s2tte_pa(uint64_t e, int level);
/* Host-controlled bits of an ASSIGNED_NS entry (OA | MemAttr | S2AP). */
uint64_t s2tte_ns_host_bits(uint64_t e, int level);
/* Liveness (rmi-1.0.md 3.3): ASSIGNED (any RIPAS), ASSIGNED_NS or TABLE. */
bool s2tte_is_live(uint64_t e, int level);
/* Validity of a host descriptor for RTT_MAP_UNPROTECTED at level (5.5). */
bool s2tte_host_ns_desc_valid(uint64_t desc, int level);

/*
 * Result of an RTT walk. The walk is done with the realm's RD granule locked,
 * which guards all the realm's RTTs.
 */
struct rtt_walk {
	struct granule *g_rtt;	/* the RTT reached */
	uint64_t *table;	/* its 512 descriptors */
	int level;		/* its level */
	unsigned int index;	/* index of ipa's entry in it */
};

/* Walks from the root towards target_level, stopping at the first entry that
 * is not a TABLE or at target_level. */
void rtt_walk(struct realm *realm, uint64_t ipa, int target_level,
	      struct rtt_walk *w);

/* RttSkipNonLiveEntries (rmi-1.0.md 8): the `top` output of DATA_DESTROY,
 * RTT_DESTROY and RTT_UNMAP_UNPROTECTED. */
uint64_t rtt_skip_non_live(const struct rtt_walk *w, uint64_t ipa);

/*
 * The 512 entries of a new RTT at level taking the place of the non-TABLE
 * entry parent (at level - 1), as RTT_CREATE fills it (rmi-1.0.md 8.14): the
 * parent's state in every entry, a block split into contiguous output
 * addresses with the same attributes.
 */
void s2tt_init_from_parent(uint64_t *table, uint64_t parent, int level);

/*
 * RTT_FOLD homogeneity (rmi-1.0.md 6.4) of the 512 entries of an RTT at
 * level: the HIPAS of the one entry at level - 1 they fold into, stored in
 * *folded, or HIPAS_TABLE if they do not form one. Whether that fold is
 * allowed at this level and refcount is the caller's rule (8.21).
 */
enum s2tte_hipas s2tt_fold_entry(const uint64_t *table, int level,
				 uint64_t *folded);

#endif /* RMMEMU_S2TT_H */
