/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The core's API for its users (daemon, tools, tests): one RMM instance per
 * host. An instance owns the granule table of the host's memory regions, the
 * realms built in it and their RECs. Calls on one instance may come from any
 * number of threads at once.
 */
#ifndef RMMEMU_RMM_H
#define RMMEMU_RMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rmm;
struct rmm_executor_ops;

/* What the instance advertises in FeatureRegister0. */
struct rmm_config {
	unsigned int s2sz;		/* max realm IPA width, 32..48 */
	unsigned int num_bps;		/* raw encoding: count - 1 */
	unsigned int num_wps;		/* raw encoding: count - 1 */
	unsigned int pmu_num_ctrs;
	unsigned int gicv3_num_lrs;	/* value reported; LRs 0..value accepted */
	bool sve;
	unsigned int sve_vl;		/* VQ - 1 */
};

void rmm_config_default(struct rmm_config *cfg);

struct rmm *rmm_new(const struct rmm_config *cfg);
/* Destroys every realm, scrubs every granule and unmaps every region. */
void rmm_free(struct rmm *rmm);

/*
 * Registers host memory [base, base + size) backed by fd at fd_offset (a memfd
 * the host shares). The core keeps its own duplicate of fd. Returns 0 or a
 * negative errno: -EINVAL (unaligned, empty or too large), -EEXIST (overlaps a
 * registered region), -ENOSPC (256 regions already), or the error of
 * mmap/memfd_create.
 */
int rmm_add_region(struct rmm *rmm, uint64_t base, uint64_t size, int fd,
		   uint64_t fd_offset);

/* One RMI call: x[0..6] in (x0 = FID), out[0..4] = x0..x4 returned. */
void rmm_call(struct rmm *rmm, const uint64_t x[7], uint64_t out[5]);

/* The plugged executor runs RECs; without one REC_ENTER returns an IRQ exit
 * without running the realm (see executor.h). */
void rmm_set_executor(struct rmm *rmm, const struct rmm_executor_ops *ops,
		      void *ctx);

/* Names of RMI commands: "GRANULE_DELEGATE" <-> 0xC4000151. */
const char *rmi_command_name(uint32_t fid);
int rmi_command_fid(const char *name, uint32_t *fid);

/* Value of FeatureRegister0 for this instance. */
uint64_t rmm_feature_register0(const struct rmm *rmm);

/*
 * Makes a REC_ENTER of REC rec_pa in progress on another thread return soon
 * with an IRQ exit (the executor's kick; the host side of "an interrupt for
 * the host is pending"). Returns 1 if the REC was running, 0 if it was not
 * (nothing is remembered for a later REC_ENTER), -ENOENT if rec_pa is not a
 * REC granule of this instance.
 */
int rmm_rec_kick(struct rmm *rmm, uint64_t rec_pa);

/*
 * Measurement index (0 = RIM, 1..4 = REM0..REM3) of the realm whose RD is at
 * rd, as RSI_MEASUREMENT_READ gives it to the realm: the 64-byte slot in
 * out, the digest size of the realm's hash algorithm in *size. For tools that
 * show a realm's RIM to its host (RMI has no such call). Returns 0, -ENOENT
 * (no RD at rd) or -EINVAL (index > 4).
 */
int rmm_realm_measurement(struct rmm *rmm, uint64_t rd, unsigned int index,
			  uint8_t out[64], size_t *size);

#endif /* RMMEMU_RMM_H */
