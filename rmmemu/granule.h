/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The granule table: one entry per 4 KiB of every registered host region.
 *
 * Lock order (the only one in rmmemu): granule locks are taken in ascending
 * PA order, and a granule lock is never taken while holding the lock of a
 * granule at a higher PA. A realm's RTTs, RIM/REMs and realm state are guarded
 * by the lock of its RD granule; a REC's state by its REC granule lock, and a
 * REC that runs is marked by refcount 1 so that no lock is held while a realm
 * executes.
 *
 * Granules a realm owns (RTT, DATA, REC_AUX) are never an expected state of
 * granule_find_lock(), so no thread holds one of their locks while waiting for
 * another lock: they are changed under the RD (or REC) lock, and go back to
 * DELEGATED, scrubbed, with a release store of the state.
 */
#ifndef RMMEMU_GRANULE_H
#define RMMEMU_GRANULE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rmmemu/rmi-1.0.h>

struct rmm;
struct realm;
struct rec;

enum granule_state {
	GRANULE_STATE_NS = 0,
	GRANULE_STATE_DELEGATED,
	GRANULE_STATE_RD,
	GRANULE_STATE_REC,
	GRANULE_STATE_REC_AUX,
	GRANULE_STATE_DATA,
	GRANULE_STATE_RTT,
	GRANULE_STATE_COUNT
};

struct granule {
	pthread_mutex_t lock;
	uint8_t state;		/* enum granule_state */
	uint8_t region_id;	/* index in rmm->region_by_id, set once */
	uint32_t refcount;	/* RD: RECs; RTT: tables + ASSIGNED; REC: running */
	struct realm *realm;	/* owner: RD, REC, REC_AUX, DATA, RTT */
	struct rec *rec;	/* the REC object of a REC granule */
};

#define RMM_MAX_REGIONS	256

struct region {
	uint8_t id;
	uint64_t base;
	uint64_t size;
	uint8_t *ns;		/* the host's memory, shared with the host */
	uint8_t *priv;		/* rmmemu's private backing, same offsets */
	int ns_fd;
	int priv_fd;
	uint64_t ns_fd_offset;
	struct granule *granules;
};

const char *granule_state_name(enum granule_state state);

/* The granule of pa, or NULL if pa is unaligned or not in a region.
 * The one granule lookup of rmmemu. */
struct granule *granule_find(struct rmm *rmm, uint64_t pa);
/* The region holding granule g (never NULL for a granule of this instance). */
struct region *granule_region(struct rmm *rmm, const struct granule *g);
uint64_t granule_pa(struct rmm *rmm, const struct granule *g);

void granule_lock(struct granule *g);
void granule_unlock(struct granule *g);

/* G(pa, state): aligned, tracked, and in that state. Returns the granule
 * locked, or NULL (nothing locked). */
struct granule *granule_find_lock(struct rmm *rmm, uint64_t pa,
				  enum granule_state state);

/* Two granules locked in ascending address order; fails (nothing locked) if
 * either check fails or pa1 == pa2. */
bool granule_find_lock_two(struct rmm *rmm,
			   uint64_t pa1, enum granule_state s1, struct granule **g1,
			   uint64_t pa2, enum granule_state s2, struct granule **g2);

void granule_set_state(struct granule *g, enum granule_state state);

/* rmmemu's private 4 KiB backing of a granule (contents of RD/REC/RTT/DATA). */
void *granule_priv(struct rmm *rmm, const struct granule *g);
/* Zeroes the private backing. */
void granule_scrub(struct rmm *rmm, const struct granule *g);
/* Makes the (zero) private backing resident: GRANULE_DELEGATE. */
void granule_priv_populate(struct rmm *rmm, const struct granule *g);
/* Zeroes the private backing and gives its memory back: GRANULE_UNDELEGATE. */
void granule_priv_release(struct rmm *rmm, const struct granule *g);
/* Zeroes the host's view of the granule, so the host reads zeros. */
void granule_scrub_ns(struct rmm *rmm, const struct granule *g);

/*
 * NS(pa): aligned, tracked, state NS. Copies len bytes (len <= 4 KiB) from /
 * to the host's memory at pa. Returns false if the check fails. The state is
 * read without the lock, as the reference does: the host owns NS memory.
 */
bool ns_read(struct rmm *rmm, uint64_t pa, void *dst, size_t len);
/* The host's NS granule pa in place, after the NS(pa) check; NULL if it
 * fails. For reading a whole granule once (DATA_CREATE's source). */
const void *ns_granule(struct rmm *rmm, uint64_t pa);
bool ns_write(struct rmm *rmm, uint64_t pa, const void *src, size_t len);
/* ns_write at offset bytes into the NS granule pa (offset + len <= 4 KiB):
 * REC_ENTER writes rec_exit at run_ptr + 0x800. */
bool ns_write_at(struct rmm *rmm, uint64_t pa, size_t offset, const void *src,
		 size_t len);

/* Calls fn for every granule of every region (teardown, inspection). */
void granule_for_each(struct rmm *rmm,
		      void (*fn)(struct rmm *rmm, struct granule *g, void *arg),
		      void *arg);

/* Counts of granules per state. */
void granule_count_states(struct rmm *rmm, uint64_t counts[GRANULE_STATE_COUNT]);

int region_table_init(struct rmm *rmm);
void region_table_fini(struct rmm *rmm);

#endif /* RMMEMU_GRANULE_H */
