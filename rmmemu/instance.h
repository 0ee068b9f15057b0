/* SPDX-License-Identifier: BSD-3-Clause */
/* The state of one RMM instance (one host). */
#ifndef RMMEMU_INSTANCE_H
#define RMMEMU_INSTANCE_H

#include <pthread.h>
#include <stdint.h>

#include "granule.h"
#include "rmm.h"

struct attest_ctx;
struct region_table;
struct rmm_executor_ops;

#define RMM_MAX_VMIDS	256	/* 8-bit VMIDs: no FEAT_VMID16 advertised */

struct rmm {
	struct rmm_config cfg;
	uint64_t feat0;

	/* Registered regions: the address-sorted table is read under RCU and
	 * replaced whole under regions_lock; region_by_id[] entries are written
	 * once, before the region is published, and live as long as the
	 * instance, so a granule finds its region without RCU. */
	struct region_table *regions;
	pthread_mutex_t regions_lock;
	struct region *region_by_id[RMM_MAX_REGIONS];
	unsigned int num_regions;

	/* VMIDs in use. */
	pthread_mutex_t vmid_lock;
	uint8_t vmid_used[RMM_MAX_VMIDS];

	const struct rmm_executor_ops *exec_ops;
	void *exec_ctx;

	/* rmm_set_attestation(): published once, read atomically (attest.c). */
	struct attest_ctx *attest;
};

#endif /* RMMEMU_INSTANCE_H */
