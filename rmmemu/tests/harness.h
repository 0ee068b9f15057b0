/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test harness for the core: an RMM instance with one host region backed by a
 * memfd, the host's view of it, and helpers to build realms the way a host
 * does. Every helper asserts the RMI results it relies on.
 */
#ifndef RMMEMU_TESTS_HARNESS_H
#define RMMEMU_TESTS_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <rmmemu/rmi-1.0.h>

#include "rmmemu/rmm.h"

#define H_REGION_BASE	0x80000000ULL
#define H_REGION_SIZE	(64ULL << 20)

struct harness {
	struct rmm *rmm;
	int fd;
	uint8_t *ns;		/* the host's view of the region */
	uint64_t base, size;
	uint64_t next;		/* bump allocator of granules */
	uint64_t last_out[5];	/* x0..x4 of the last h_call */
};

/* cmocka group setup/teardown: *state = struct harness * */
int h_setup(void **state);
int h_teardown(void **state);
struct harness *h_new(const struct rmm_config *cfg);
void h_free(struct harness *h);

/* Registers one more host region [base, base + size), backed by a memfd of
 * its own that the host does not map. */
void h_add_region(struct harness *h, uint64_t base, uint64_t size);

/* Host pointer to NS memory at pa. */
void *h_ns(struct harness *h, uint64_t pa);
/* Next unused granule PA (NS, not delegated). */
uint64_t h_alloc(struct harness *h);
/* n contiguous granules, first aligned to align bytes. */
uint64_t h_alloc_n(struct harness *h, unsigned int n, uint64_t align);
/* Allocates and delegates one granule. */
uint64_t h_delegated(struct harness *h);

/* RMI call with x1..x6; returns x0, stores x0..x4 in h->last_out. */
uint64_t h_call(struct harness *h, uint32_t fid, uint64_t x1, uint64_t x2,
		uint64_t x3, uint64_t x4, uint64_t x5);

/* Realm parameters as Linux fills them, for s2sz with the root level and
 * count Linux would choose. */
void h_realm_params(struct rmi_realm_params *p, unsigned int s2sz,
		    enum rmi_hash_algo algo);

struct h_realm {
	uint64_t rd;
	uint64_t rtt_base;
	uint64_t params;	/* NS page holding the params */
	int level_start;
	unsigned int num_root;
	unsigned int s2sz;
};

/* Delegates an RD and the root RTTs, writes params to an NS page and calls
 * REALM_CREATE; asserts SUCCESS. */
void h_realm_create(struct harness *h, struct h_realm *r, unsigned int s2sz,
		    enum rmi_hash_algo algo);
/* The same with the root level chosen by the caller (the root count follows
 * from it, rmi-1.0.md 6.2), e.g. s2sz 40 with a level-0 root. Both give the
 * realm the RPV rpv[i] = H_RPV_FIRST + i. */
#define H_RPV_FIRST	0xC0
void h_realm_create_at(struct harness *h, struct h_realm *r, unsigned int s2sz,
		       int level_start, enum rmi_hash_algo algo);
/* Creates the RTTs down to level (delegating them) at ipa; asserts SUCCESS
 * for each level that did not exist. */
void h_rtt_create_to(struct harness *h, const struct h_realm *r, uint64_t ipa,
		     int level);

/* Expected x0 helpers for cmocka. */
#define assert_rmi(x0, status, index) \
	assert_int_equal((x0), RMI_RETURN((status), (index)))

#endif
