/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RMI command handlers. One row per command in the dispatch table of rmi.c.
 * A handler receives x[0..6] as the host passed them and returns x0 (status
 * and index); its outputs go in res->x[1..4], which arrive preset the way the
 * reference leaves unwritten outputs: x1..x3 = 0, x4 = the caller's x4.
 * Each handler checks the spec's failure conditions in the reference's order
 * (rmi-1.0.md 8).
 */
#ifndef RMMEMU_RMI_H
#define RMMEMU_RMI_H

#include <stdint.h>

#include <rmmemu/rmi-1.0.h>

struct rmm;

struct rmi_result {
	uint64_t x[5];
};

typedef uint64_t (*rmi_handler_fn)(struct rmm *rmm, const uint64_t x[7],
				   struct rmi_result *res);

/* A command's body, run with its realm's RD granule locked. */
struct realm;
typedef uint64_t (*rmi_realm_fn)(struct rmm *rmm, struct realm *r,
				 const uint64_t x[7], struct rmi_result *res);
/* G(x[1], RD) or ERROR_INPUT; then fn with the RD locked: the commands whose
 * first check is the RD and which work under the RD lock alone. */
uint64_t rmi_with_rd(struct rmm *rmm, const uint64_t x[7],
		     struct rmi_result *res, rmi_realm_fn fn);

/* rmi.c */
uint64_t rmi_version(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_features(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
/* rmi_granule.c */
uint64_t rmi_granule_delegate(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_granule_undelegate(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
/* rmi_realm.c */
uint64_t rmi_realm_create(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_realm_activate(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_realm_destroy(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
/* rmi_rec.c */
uint64_t rmi_rec_aux_count(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_rec_create(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_rec_destroy(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_psci_complete(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
/* rmi_run.c */
uint64_t rmi_rec_enter(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
/* rmi_data.c */
uint64_t rmi_data_create(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_data_create_unknown(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_data_destroy(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
/* rmi_rtt.c */
uint64_t rmi_rtt_create(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_rtt_destroy(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_rtt_fold(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_rtt_read_entry(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_rtt_map_unprotected(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_rtt_unmap_unprotected(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_rtt_init_ripas(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);
uint64_t rmi_rtt_set_ripas(struct rmm *rmm, const uint64_t x[7], struct rmi_result *res);

#endif /* RMMEMU_RMI_H */
