/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RSI calls (rsi-1.0.md) as rows of the realm-call table of rmi_run.c,
 * and what they share with REC_ENTER: the REC_ENTER in progress, the REC
 * exit for a realm page the host has not mapped, and the one translation of
 * a protected IPA to rmmemu's backing of the realm's memory.
 */
#ifndef RMMEMU_RSI_H
#define RMMEMU_RSI_H

#include <stdint.h>

#include <rmmemu/rmi-1.0.h>
#include <rmmemu/rsi-1.0.h>

struct rmm;
struct realm;
struct rec;

_Static_assert(RSI_HOST_CALL_NUM_GPRS == RMI_REC_GPRS,
	       "host-call gprs travel in rec_exit / rec_enter gprs");

enum rec_action {
	REC_RESUME,	/* run the realm again */
	REC_EXIT,	/* return to the host with run->exit */
};

/* One REC_ENTER in progress (rmi_run.c). */
struct rec_run {
	struct rmm *rmm;
	struct rec *rec;
	struct realm *realm;
	unsigned int num_lrs;		/* LRs 0..GICV3_NUM_LRS */
	struct rmi_rec_exit exit;
};

/*
 * SYNC exit for an RSI call whose realm page is not mapped: EC data abort,
 * translation fault at level, hpfar = ipa >> 8, nothing else set beyond
 * what run->exit already holds (rmi-1.0.md 9.3). rmi_run.c.
 */
void exit_unmapped_realm_page(struct rec_run *run, uint64_t ipa, int level);

/* The REC exit for physical events pending (REC_PHYS_* bits, rec.h): IRQ,
 * FIQ or SERROR (rmi-1.0.md 9.3). rmi_run.c. */
enum rec_action exit_physical(struct rec_run *run, unsigned int pending);

/* A protected IPA as the RMM reaches it for the realm (rsi-1.0.md 6.2, 7.1,
 * 9): what the RTT entry covering it says. */
enum realm_page_status {
	REALM_PAGE_MAPPED,	/* ASSIGNED with RIPAS RAM */
	REALM_PAGE_EMPTY,	/* RIPAS EMPTY (assigned or not) */
	REALM_PAGE_UNMAPPED,	/* RAM + UNASSIGNED, or DESTROYED */
};

struct realm_page {
	void *va;	/* MAPPED: rmmemu's backing of the byte at ipa */
	int level;	/* level of the RTT entry the walk stopped at */
};

/*
 * The one IPA -> private page translation, for an IPA in the PAR, with the
 * realm's RD granule locked (which keeps the DATA granule in place while the
 * caller uses va). A 2 MB / 1 GB block maps ipa to its offset in the block.
 */
enum realm_page_status realm_ipa_to_page(struct realm *r, uint64_t ipa,
					 struct realm_page *page);

/* RSI handlers: the realm's call in rec->regs.gprs, PC past the SMC. */
enum rec_action rsi_version(struct rec_run *run, uint32_t fid);
enum rec_action rsi_features(struct rec_run *run, uint32_t fid);
enum rec_action rsi_measurement_read(struct rec_run *run, uint32_t fid);
enum rec_action rsi_measurement_extend(struct rec_run *run, uint32_t fid);
enum rec_action rsi_attestation_token_init(struct rec_run *run, uint32_t fid);
enum rec_action rsi_attestation_token_continue(struct rec_run *run, uint32_t fid);
enum rec_action rsi_realm_config(struct rec_run *run, uint32_t fid);
enum rec_action rsi_ipa_state_set(struct rec_run *run, uint32_t fid);
enum rec_action rsi_ipa_state_get(struct rec_run *run, uint32_t fid);
enum rec_action rsi_host_call(struct rec_run *run, uint32_t fid);

#endif /* RMMEMU_RSI_H */
