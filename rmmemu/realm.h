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

	void *exec;			/* the executor's per-realm state */
};

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
