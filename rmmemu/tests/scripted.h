/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A scripted executor for REC_ENTER tests: each run of a REC takes the next
 * step of a script (the event, the registers the realm left, an optional hook
 * run while the REC is inside REC_ENTER) and records what it was given. With
 * it, a fixture: an ACTIVE realm with three RECs, and helpers to enter a REC
 * and check the rec_exit it produced.
 */
#ifndef RMMEMU_TESTS_SCRIPTED_H
#define RMMEMU_TESTS_SCRIPTED_H

#include <stdbool.h>
#include <stdint.h>

#include "harness.h"
#include "rmmemu/executor.h"
#include "rmmemu/rec.h"

struct granule;
struct realm;

/* ---- the scripted executor ---------------------------------------------- */

#define SX_MAX_STEPS	256
#define SX_MAX_RUNS	256
#define SX_MAX_SETS	8

struct sx;
typedef void (*sx_hook_fn)(struct sx *sx, struct rec *rec);

struct sx_step {
	struct rec_event ev;
	unsigned int nset;
	unsigned int reg[SX_MAX_SETS];	/* gprs the realm leaves set */
	uint64_t val[SX_MAX_SETS];
	uint64_t pc_add;
	sx_hook_fn hook;
};

/* What one call of run() was given. */
struct sx_seen {
	struct rec *rec;
	bool has_enter;
	struct rmi_rec_enter enter;
	struct rec_regs regs;
	bool trap_wfi, trap_wfe;
};

struct sx {
	struct harness *h;
	struct sx_step steps[SX_MAX_STEPS];
	unsigned int nsteps, pos;
	struct sx_seen seen[SX_MAX_RUNS];
	unsigned int nruns;
	struct rmi_rec_exit report;	/* what run() writes into exit */
	int error;			/* returned by run() if not 0 */
	uint64_t hook_ret[4];		/* results of RMI calls made in hooks */
	uint64_t hook_arg[4];
	unsigned int serrors;		/* inject_serror calls */
	uint64_t serror_iss;		/* the last one's */
};

extern struct sx sx;
extern const struct rmm_executor_ops sx_ops;

/* Empties the script; run() reports GIC, timer and PMU values with junk
 * everywhere else that the core must not pass on. */
void sx_reset(struct harness *h);
/* Appends a step: the event the run reports. */
struct sx_step *sx_push(enum rec_event_kind kind, uint64_t esr,
			uint64_t far, uint64_t ipa, uint64_t value);
/* The realm leaves gprs[reg] = val at that step. */
void sx_set(struct sx_step *st, unsigned int reg, uint64_t val);
/* The realm executes SMC #0 with x0..x3: the executor reports it with the
 * PC past the SMC. */
struct sx_step *sx_smc(uint64_t fid, uint64_t x1, uint64_t x2, uint64_t x3);
struct sx_seen *sx_last_seen(void);

/* ---- fixture: an ACTIVE realm (s2sz 40) with RECs 0 (runnable), 1, 2 ------ */

#define NUM_RECS	3
#define S2SZ		40
#define IPA_UNPROT	(1ULL << (S2SZ - 1))
#define IPA_TOP		(1ULL << S2SZ)
#define PC0		0x80000000ULL
#define VBAR		0x90000000ULL

struct fx {
	struct harness *h;
	struct h_realm r;
	uint64_t rec[NUM_RECS];
	uint64_t run;			/* NS RmiRecRun page */
	unsigned int num_lrs;
};

struct granule *gr(struct harness *h, uint64_t pa);
/* rmmemu's backing of the realm's byte at ipa, found through RTT_READ_ENTRY
 * (an ASSIGNED entry at level 3 or a block). */
uint8_t *fx_realm_mem(struct fx *f, uint64_t ipa);
struct rec *rec_of(struct fx *f, unsigned int i);
struct realm *realm_of(struct fx *f);
/* REC_CREATE of REC index (MPIDR = index) at PC0 with x0 = 0x100 + index. */
uint64_t rec_create(struct harness *h, const struct h_realm *r,
		    unsigned int index, uint64_t flags);
/* RECs 0 (runnable), 1, 2 of f->r, with VBAR_EL1 = VBAR. */
void fx_recs(struct fx *f);
/* A realm of s2sz 40 with its RECs, ACTIVE if asked, an NS rec_run page and
 * the scripted executor installed. */
struct fx *fx_new(const struct rmm_config *cfg, bool activate);
int fx_setup(void **state);
int fx_teardown(void **state);
struct rmi_rec_enter *enter_of(struct fx *f, uint64_t run);
struct rmi_rec_exit *exit_of(struct fx *f, uint64_t run);
/* REC_ENTER of REC i with the given enter flags (the rest of rec_enter as
 * the test left it). */
uint64_t enter(struct fx *f, unsigned int i, uint64_t flags);
/* The rec_exit every exit that ran the realm has, before the reason's own
 * fields (rmi-1.0.md 9.3). */
void expected_exit(const struct fx *f, struct rmi_rec_exit *e, uint64_t reason);
/* Field by field for readable failures, then every byte of the 0x800. */
void assert_exit(struct fx *f, const struct rmi_rec_exit *want);
void assert_exit_reason(struct fx *f, uint64_t reason);
void fill_exit(struct fx *f, uint8_t byte);
void assert_exit_untouched(struct fx *f, uint8_t byte);

#endif /* RMMEMU_TESTS_SCRIPTED_H */
