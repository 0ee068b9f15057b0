/* SPDX-License-Identifier: BSD-3-Clause */
/* A realm: the object behind an RD granule. Guarded by the RD granule lock. */
#ifndef RMMEMU_REALM_H
#define RMMEMU_REALM_H

#include <stdbool.h>
#include <stdint.h>

#include <rmmemu/rmi-1.0.h>

struct rmm;
struct granule;

#define REALM_MEASUREMENTS	5	/* RIM, REM0..REM3 */
#define REALM_MEASUREMENT_SIZE	64
#define REALM_MAX_RECS		1023	/* 2^MAX_RECS_ORDER - 1 */

struct realm {
	struct rmm *rmm;
	struct granule *g_rd;
	uint64_t rd_pa;
	enum rmi_realm_state state;

	/* Parameters of REALM_CREATE. */
	uint64_t flags;
	unsigned int s2sz;
	unsigned int sve_vl;
	unsigned int num_bps;
	unsigned int num_wps;
	unsigned int pmu_num_ctrs;
	enum rmi_hash_algo hash_algo;
	uint8_t rpv[RMI_RPV_SIZE];
	uint16_t vmid;
	uint64_t rtt_base;
	int rtt_level_start;
	unsigned int rtt_num_start;

	/* Root RTT granules, rtt_num_start of them, in PA order. */
	struct granule *g_rtt_root[16];

	/* measurements[0] = RIM, [1..4] = REM0..REM3, zero padded. */
	uint8_t measurements[REALM_MEASUREMENTS][REALM_MEASUREMENT_SIZE];

	unsigned int rec_index_next;	/* REC index the next REC_CREATE needs */

	/*
	 * Stage-2 generation: incremented (under the RD lock, atomically so
	 * that an executor may poll it without the lock) by every command that
	 * changes what the realm's RTTs map: DATA_CREATE(_UNKNOWN),
	 * DATA_DESTROY, RTT_MAP/UNMAP_UNPROTECTED, RTT_DESTROY (discards
	 * ASSIGNED_NS entries) and RTT_SET_RIPAS. RTT_CREATE, RTT_FOLD and
	 * RTT_INIT_RIPAS change the tables' shape or unmapped entries only.
	 * The KVM executor resyncs its memslots when it changed.
	 */
	uint64_t s2_gen;

	void *exec;			/* the executor's per-realm state */
};

/* Records a stage-2 change (s2_gen) and tells the executor; RD lock held. */
void realm_s2_changed(struct realm *r);

/* Protected address range: [0, 2^(s2sz - 1)). */
static inline bool realm_ipa_in_par(const struct realm *r, uint64_t ipa)
{
	return ipa < (1ULL << (r->s2sz - 1));
}

static inline bool realm_ipa_in_range(const struct realm *r, uint64_t ipa)
{
	return ipa < (1ULL << r->s2sz);
}

/* The realm behind a locked RD granule. */
struct realm *realm_from_rd(struct granule *g_rd);

#endif /* RMMEMU_REALM_H */
