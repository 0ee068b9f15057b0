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
 * Physical events on the CPU a REC runs on. The host's interrupt is its
 * kick; a FIQ (for example a secure interrupt) and an SError (a RAS error)
 * come from the platform on hardware, which the host cannot cause through
 * RMI: rmmemu raises them on request so that a host's handling of FIQ and
 * SERROR exits can be exercised.
 */
enum rmm_phys_event {
	RMM_PHYS_IRQ,
	RMM_PHYS_FIQ,
	RMM_PHYS_SERROR,
};

/*
 * Makes a REC_ENTER of REC rec_pa in progress on another thread return soon
 * with the exit of event (rmi-1.0.md 9.3): IRQ, FIQ, or SERROR reporting
 * esr. esr is the SError's ESR_EL2 (EC 0x2F or 0, then the ISS): an
 * asynchronous SError (DFSC 0x11, IDS 0) of severity (AET) CE or UEO, which
 * the RMM only reports, or UEU or UER, which it also injects into the realm
 * (these only with an executor that can: executor.h, inject_serror); EA and
 * IESB may be set, nothing else. Of events raised during one REC_ENTER the exit
 * reports one: SError before FIQ before IRQ. Returns 1 if the REC was
 * running, 0 if it was not (nothing is remembered for a later REC_ENTER),
 * -ENOENT if rec_pa is not a REC granule of this instance, -EINVAL for
 * another event or esr.
 */
int rmm_rec_raise(struct rmm *rmm, uint64_t rec_pa, enum rmm_phys_event event,
		  uint64_t esr);

/* rmm_rec_raise(rmm, rec_pa, RMM_PHYS_IRQ, 0): "an interrupt for the host is
 * pending" (the executor's kick). */
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

/*
 * Checks the instance against the spec's invariants (invariants.c): granule
 * states and owners agree with the RDs, RTTs and RECs that reference them,
 * reference counts are exact, RTT entries are well formed, realm and REC
 * states are legal, delegated granules read as zeros from the host. Call it
 * only at a quiescent point, when no RMI call is in flight on any thread: it
 * takes no granule locks, and a REC inside REC_ENTER is a violation. Checks
 * made at once on several threads run one after the other. Returns the
 * number of violations (0: none) with one line per violation in report
 * (NUL-terminated, cut at len), or -1 if it could not check (out of memory).
 */
int rmm_check_invariants(struct rmm *rmm, char *report, size_t len);

struct evp_pkey_st;	/* OpenSSL's EVP_PKEY */

/*
 * What EL3 gives a real RMM at boot for attestation (attestation.md 2.2, 3,
 * 8): the realm attestation key rak, an ECC P-384 private key that signs
 * every realm token (the instance takes its own reference), and the platform
 * token, copied and returned verbatim, whose challenge should be the SHA-256
 * of the RAK's COSE_Key (4). Once per instance, before realms ask for
 * tokens; without it RSI_ATTESTATION_TOKEN_INIT answers RSI_ERROR_UNKNOWN.
 * Returns 0, -EINVAL (rak is not a P-384 private key, or no token), -E2BIG
 * (the token leaves no room for a realm token in the 4 KiB a realm is told
 * to expect), -EBUSY (already set) or -ENOMEM.
 */
int rmm_set_attestation(struct rmm *rmm, struct evp_pkey_st *rak,
			const uint8_t *platform_token, size_t len);

#endif /* RMMEMU_RMM_H */
