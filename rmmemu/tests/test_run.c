/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REC_ENTER and PSCI_COMPLETE (rmi-1.0.md 8.13, 8.19, 9; rsi-1.0.md 1, 8),
 * driven through the scripted executor of scripted.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "rmmemu/executor.h"
#include "rmmemu/granule.h"
#include "rmmemu/realm.h"
#include "rmmemu/rec.h"
#include "rmmemu/s2tt.h"

#include "scripted.h"

/* ---- REC_ENTER failure conditions (8.13) --------------------------------- */

static void test_enter_run_ptr(void **state)
{
	struct fx *f = *state;
	struct harness *h = f->h;
	uint64_t bad = h_delegated(h);

	/* Failure 1: NS(run_ptr), before anything about the REC. */
	assert_rmi(h_call(h, RMI_REC_ENTER, f->rec[0], f->run + 0x800, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_ENTER, f->rec[0], bad, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_ENTER, f->rec[0], f->r.rd, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_ENTER, f->rec[0], h->base + h->size, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* A non-runnable REC (ERROR_REC) with a bad run_ptr: ERROR_INPUT. */
	assert_rmi(h_call(h, RMI_REC_ENTER, f->rec[1], bad, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_int_equal(sx.nruns, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 1);
}

static void test_enter_rec(void **state)
{
	struct fx *f = *state;
	struct harness *h = f->h;
	struct fx *f2 = fx_new(NULL, false);
	uint64_t aux = rec_of(f, 0)->aux[0];

	/* Failure 2: G(rec, REC). A realm that is NEW (failure 5) does not
	 * matter for a granule that is not a REC. */
	assert_rmi(h_call(h, RMI_REC_ENTER, f->rec[0] + 8, f->run, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_ENTER, f->r.rd, f->run, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_ENTER, aux, f->run, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_ENTER, h_delegated(h), f->run, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_REC_ENTER, h_alloc(h), f->run, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(f2->h, RMI_REC_ENTER, f2->r.rd, f2->run, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_int_equal(sx.nruns, 0);
	fx_teardown((void **)&f2);
	sx_reset(h);
}

static void hook_enter_self(struct sx *s, struct rec *rec)
{
	uint64_t x[7] = { RMI_REC_ENTER, rec->pa, s->hook_arg[0] }, out[5];

	rmm_call(s->h->rmm, x, out);
	s->hook_ret[0] = out[0];
	/* A bad run_ptr still wins over the running REC. */
	x[2] = s->hook_arg[1];
	rmm_call(s->h->rmm, x, out);
	s->hook_ret[1] = out[0];
}

/* Failure 3: the REC is running. */
static void test_enter_running(void **state)
{
	struct fx *f = *state;

	sx.hook_arg[0] = f->run;
	sx.hook_arg[1] = f->run + 8;
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0)->hook = hook_enter_self;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(sx.hook_ret[0], RMI_ERROR_REC, 0);
	assert_rmi(sx.hook_ret[1], RMI_ERROR_INPUT, 0);
	assert_int_equal(sx.nruns, 1);
	/* Not running any more. */
	assert_int_equal(gr(f->h, f->rec[0])->refcount, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
}

/* Failure 5: realm NEW -> (ERROR_REALM, 0), before the REC's own state. */
static void test_enter_realm_new(void **state)
{
	struct fx *f = fx_new(NULL, false);

	(void)state;
	fill_exit(f, 0xAA);
	assert_rmi(enter(f, 0, 0), RMI_ERROR_REALM, 0);
	assert_int_equal(h_call(f->h, RMI_REC_ENTER, f->rec[0], f->run, 0, 0, 0), 0x002);
	assert_rmi(enter(f, 1, 0), RMI_ERROR_REALM, 0);	/* not runnable too */
	/* With a bad GIC state and a bad INJECT_SEA too. */
	enter_of(f, f->run)->gicv3_hcr = 1;
	assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA), RMI_ERROR_REALM, 0);
	assert_exit_untouched(f, 0xAA);
	assert_int_equal(sx.nruns, 0);
	assert_int_equal(gr(f->h, f->rec[0])->refcount, 0);
	fx_teardown((void **)&f);
}

/* Failure 6: the REC is not runnable. */
static void test_enter_not_runnable(void **state)
{
	struct fx *f = *state;

	fill_exit(f, 0xAA);
	assert_rmi(enter(f, 1, 0), RMI_ERROR_REC, 0);
	/* Before the GIC check (also ERROR_REC, but no side effect either). */
	enter_of(f, f->run)->gicv3_lrs[0] = 1ULL << 61 | 1ULL << 62;
	assert_rmi(enter(f, 2, 0), RMI_ERROR_REC, 0);
	assert_exit_untouched(f, 0xAA);
	assert_int_equal(sx.nruns, 0);
}

static void enter_gic(struct fx *f, uint64_t hcr, const uint64_t *lrs,
		      unsigned int n)
{
	struct rmi_rec_enter *e = enter_of(f, f->run);

	e->gicv3_hcr = hcr;
	memset(e->gicv3_lrs, 0, sizeof(e->gicv3_lrs));
	if (n != 0)
		memcpy(e->gicv3_lrs, lrs, n * sizeof(lrs[0]));
}

#define LR_PENDING	(1ULL << 62)
#define LR_ACTIVE	(2ULL << 62)
#define LR_GROUP1	(1ULL << 60)
#define LR_PRIO(p)	((uint64_t)(p) << 48)

/* Failure 8: GIC state (9.1). */
static void test_enter_gic_hcr(void **state)
{
	struct fx *f = *state;
	const uint64_t ok_bits[] = { 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5,
				     1 << 6, 1 << 7, 1 << 14, 0x40FE };

	for (unsigned int bit = 0; bit < 64; bit++) {
		uint64_t hcr = 1ULL << bit;

		enter_gic(f, hcr, NULL, 0);
		if (hcr & 0x40FE)
			continue;
		fill_exit(f, 0xAA);
		assert_rmi(enter(f, 0, 0), RMI_ERROR_REC, 0);
		assert_exit_untouched(f, 0xAA);
	}
	assert_int_equal(sx.nruns, 0);
	for (unsigned int i = 0; i < sizeof(ok_bits) / sizeof(ok_bits[0]); i++) {
		enter_gic(f, ok_bits[i], NULL, 0);
		assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
		assert_true(sx_last_seen()->has_enter);
		assert_int_equal(sx_last_seen()->enter.gicv3_hcr, ok_bits[i]);
	}
}

static void test_enter_gic_lrs(void **state)
{
	struct fx *f = *state;
	const uint64_t bad[] = {
		LR_PENDING | 1ULL << 61 | 27,			/* HW */
		LR_PENDING | LR_PRIO(0x01) | 27,		/* priority bit 0 */
		LR_PENDING | LR_PRIO(0x04) | 27,		/* priority bit 2 */
		LR_PENDING | 1ULL << 32 | 27,			/* pINTID */
		LR_PENDING | 1ULL << 44 | 27,
		LR_PENDING | 1ULL << 40 | 27,
		LR_PENDING | 1020, LR_PENDING | 1023, LR_PENDING | 1056,
		LR_PENDING | 4096, LR_PENDING | 5119, LR_PENDING | 8191,
		LR_PENDING | 65536, LR_PENDING | 0xFFFFFF, LR_PENDING | 0xFFFFFFFF,
	};
	const uint64_t good[] = {
		LR_PENDING | 0, LR_PENDING | LR_GROUP1 | 1019,
		LR_ACTIVE | 8192, (3ULL << 62) | 65535,
		LR_PENDING | LR_PRIO(0xF8) | 1ULL << 41 | 40,	/* EOI allowed */
		1ULL << 61 | 1ULL << 44 | 1023,			/* State 0: ignored */
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t lrs[16] = { LR_PENDING | 30 };

		/* In any LR 0..N. */
		lrs[1 + i % 15] = bad[i];
		enter_gic(f, 0, lrs, 16);
		assert_rmi(enter(f, 0, 0), RMI_ERROR_REC, 0);
	}
	assert_int_equal(sx.nruns, 0);
	enter_gic(f, 0, good, sizeof(good) / sizeof(good[0]));
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_memory_equal(sx_last_seen()->enter.gicv3_lrs, good, sizeof(good));
}

static void test_enter_gic_duplicates(void **state)
{
	struct fx *f = *state;
	uint64_t lrs[16] = { LR_PENDING | 33, LR_PENDING | 34, 0, 0, 0, 0, 0, 0,
			     0, 0, 0, 0, 0, 0, 0, LR_ACTIVE | 33 };

	enter_gic(f, 0, lrs, 16);
	assert_rmi(enter(f, 0, 0), RMI_ERROR_REC, 0);
	/* Neighbours. */
	lrs[15] = 0;
	for (unsigned int i = 1; i < 16; i++) {
		uint64_t pair[16] = { 0 };

		pair[i - 1] = LR_PENDING | 700;
		pair[i] = LR_ACTIVE | LR_GROUP1 | 700;
		enter_gic(f, 0, pair, 16);
		assert_rmi(enter(f, 0, 0), RMI_ERROR_REC, 0);
	}
	lrs[15] = LR_ACTIVE | 33;
	lrs[15] = LR_PENDING | 8200;
	lrs[7] = (3ULL << 62) | 8200;
	enter_gic(f, 0, lrs, 16);
	assert_rmi(enter(f, 0, 0), RMI_ERROR_REC, 0);
	/* A duplicate with State = 0 does not count. */
	lrs[7] = 8200;
	enter_gic(f, 0, lrs, 16);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 1);
}

/* Only LRs 0..GICV3_NUM_LRS count (9.1); higher ones are ignored and not
 * passed to the executor, and reported as 0. */
static void test_enter_gic_num_lrs(void **state)
{
	struct rmm_config cfg;
	struct fx *f;
	uint64_t lrs[16] = { LR_PENDING | 1, LR_PENDING | 2, LR_PENDING | 3,
			     LR_PENDING | 4 };
	struct rmi_rec_exit e;

	(void)state;
	rmm_config_default(&cfg);
	cfg.gicv3_num_lrs = 3;
	f = fx_new(&cfg, true);
	assert_int_equal(f->num_lrs, 4);
	for (unsigned int i = 4; i < 16; i++)
		lrs[i] = 1ULL << 61 | LR_PENDING | 1;	/* HW, duplicate */
	enter_gic(f, 0, lrs, 16);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(sx_last_seen()->enter.gicv3_lrs[i], lrs[i]);
	for (unsigned int i = 4; i < 16; i++)
		assert_int_equal(sx_last_seen()->enter.gicv3_lrs[i], 0);
	expected_exit(f, &e, RMI_EXIT_IRQ);
	assert_exit(f, &e);
	assert_int_equal(exit_of(f, f->run)->gicv3_lrs[4], 0);
	/* LR 3 is checked. */
	lrs[3] = 1ULL << 61 | LR_PENDING | 9;
	enter_gic(f, 0, lrs, 16);
	assert_rmi(enter(f, 0, 0), RMI_ERROR_REC, 0);
	lrs[3] = LR_PENDING | 1;
	enter_gic(f, 0, lrs, 16);
	assert_rmi(enter(f, 0, 0), RMI_ERROR_REC, 0);
	fx_teardown((void **)&f);
}

/* GICV3_NUM_LRS = 0: LR 0 is still used (rmi-1.0.md 4 note). */
static void test_enter_gic_zero_lrs(void **state)
{
	struct rmm_config cfg;
	struct fx *f;
	uint64_t lrs[2] = { LR_PENDING | 1, 1ULL << 61 | LR_PENDING | 1 };

	(void)state;
	rmm_config_default(&cfg);
	cfg.gicv3_num_lrs = 0;
	f = fx_new(&cfg, true);
	enter_gic(f, 0, lrs, 2);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx_last_seen()->enter.gicv3_lrs[0], lrs[0]);
	assert_int_equal(sx_last_seen()->enter.gicv3_lrs[1], 0);
	assert_int_equal(exit_of(f, f->run)->gicv3_lrs[0], sx.report.gicv3_lrs[0]);
	assert_int_equal(exit_of(f, f->run)->gicv3_lrs[1], 0);
	lrs[0] |= 1ULL << 61;
	enter_gic(f, 0, lrs, 2);
	assert_rmi(enter(f, 0, 0), RMI_ERROR_REC, 0);
	fx_teardown((void **)&f);
}

/* Data abort events. */
#define EC_DABT		(0x24ULL << 26)
#define EC_IABT		(0x20ULL << 26)
#define ISV		(1ULL << 24)
#define SAS(n)		((uint64_t)(n) << 22)
#define SSE		(1ULL << 21)
#define SRT(n)		((uint64_t)(n) << 16)
#define SF		(1ULL << 15)
#define AR		(1ULL << 14)
#define WNR		(1ULL << 6)
#define IL		(1ULL << 25)
#define FSC_TRANS3	0x07ULL

static uint64_t dabt(uint64_t iss)
{
	return EC_DABT | IL | iss;
}

/* An emulatable MMIO exit at an unprotected IPA. */
static void mmio_exit(struct fx *f, unsigned int rec, uint64_t esr)
{
	sx_push(REC_EVENT_DATA_ABORT, esr, IPA_UNPROT + 0x1234, IPA_UNPROT + 0x1000, 0);
	assert_rmi(enter(f, rec, 0), RMI_SUCCESS, 0);
	assert_int_equal(exit_of(f, f->run)->exit_reason, RMI_EXIT_SYNC);
}

/* Failures 9 and 10: INJECT_SEA / EMULATED_MMIO against the previous exit. */
static void test_enter_inject_sea_check(void **state)
{
	struct fx *f = *state;

	/* No previous exit. */
	fill_exit(f, 0xAA);
	assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA), RMI_ERROR_REC, 0);
	assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA | RMI_REC_ENTER_EMULATED_MMIO),
		   RMI_ERROR_REC, 0);
	assert_exit_untouched(f, 0xAA);
	/* After an IRQ exit. */
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA), RMI_ERROR_REC, 0);
	/* After a system register exit. */
	sx_push(REC_EVENT_SYSREG, 0x18ULL << 26 | IL | 0x300000, 0, 0, 5);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA), RMI_ERROR_REC, 0);
	assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_ERROR_REC, 0);
	/* After an unprotected abort without ISV: INJECT_SEA yes, MMIO no. */
	mmio_exit(f, 0, dabt(FSC_TRANS3));
	assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_ERROR_REC, 0);
	/* A failed REC_ENTER keeps the previous exit. */
	assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA | RMI_REC_ENTER_EMULATED_MMIO),
		   RMI_SUCCESS, 0);
	/* Each exit replaces the previous one. */
	assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA), RMI_ERROR_REC, 0);
	/* After an emulatable abort: both. */
	mmio_exit(f, 0, dabt(ISV | SAS(2) | FSC_TRANS3));
	enter_of(f, f->run)->gicv3_hcr = 1;	/* GIC failure first */
	assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_ERROR_REC, 0);
	enter_of(f, f->run)->gicv3_hcr = 0;
	assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_SUCCESS, 0);
	mmio_exit(f, 0, dabt(ISV | SAS(2) | FSC_TRANS3));
	assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA), RMI_SUCCESS, 0);
}

/* ---- exits (9.3) --------------------------------------------------------- */

static void test_exit_irq_fiq(void **state)
{
	struct fx *f = *state;

	fill_exit(f, 0xAA);
	sx_push(REC_EVENT_IRQ, 0x1234, 0x5678, 0x9ABC, 0xDEF);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_exit_reason(f, RMI_EXIT_IRQ);
	fill_exit(f, 0xAA);
	sx_push(REC_EVENT_FIQ, 0x1234, 0x5678, 0x9ABC, 0xDEF);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_exit_reason(f, RMI_EXIT_FIQ);
	assert_int_equal(sx.nruns, 2);
	/* The first run gets the host's rec_enter. */
	assert_true(sx.seen[0].has_enter);
	assert_true(sx.seen[1].has_enter);
	assert_ptr_equal(sx.seen[0].rec, rec_of(f, 0));
	assert_int_equal(sx.seen[0].regs.pc, PC0);
	assert_int_equal(sx.seen[0].regs.gprs[0], 0x100);
	assert_int_equal(sx.seen[0].regs.pstate, 0x3C5);
}

static void test_exit_serror(void **state)
{
	struct fx *f = *state;
	struct rmi_rec_exit e;

	sx_push(REC_EVENT_SERROR, 0xBF000000ULL | 0xFFFFFFULL | 0xFF00000000ULL,
		0x77, 0x88, 0x99);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	expected_exit(f, &e, RMI_EXIT_SERROR);
	e.esr = 0x01001E3F;	/* IDS, AET, EA, DFSC; no EC */
	assert_exit(f, &e);
}

/* Raised during the run (rmm_rec_raise): the executor's kick makes the run
 * end with an IRQ event, which becomes the event's exit. hook_arg[0..2]: the
 * events to raise in order (RAISE_NONE: none), hook_arg[3] the SError's ESR;
 * hook_ret[0..2] what each raise returned. */
#define RAISE_NONE	0xFFULL

static void hook_raise(struct sx *s, struct rec *rec)
{
	for (unsigned int i = 0; i < 3; i++) {
		if (s->hook_arg[i] == RAISE_NONE)
			continue;
		s->hook_ret[i] = (uint64_t)rmm_rec_raise(s->h->rmm, rec->pa,
							 (enum rmm_phys_event)s->hook_arg[i],
							 s->hook_arg[3]);
	}
}

static uint64_t enter_raising(struct fx *f, uint64_t ev0, uint64_t ev1, uint64_t ev2,
			      uint64_t esr)
{
	sx.hook_arg[0] = ev0;
	sx.hook_arg[1] = ev1;
	sx.hook_arg[2] = ev2;
	sx.hook_arg[3] = esr;
	memset(sx.hook_ret, 0, sizeof(sx.hook_ret));
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0)->hook = hook_raise;
	return enter(f, 0, 0);
}

/* spec: physical FIQ and SError exits (9.3); rmm.h says what may be raised. */
static void test_exit_raised(void **state)
{
	const uint64_t ce = 0x2FULL << 26 | IL | 6 << 10 | 1 << 9 | 0x11;
	const uint64_t ueo = 2 << 10 | 1 << 13 | 0x11;
	const uint64_t uer = 0x2FULL << 26 | 3 << 10 | 1 << 9 | 0x11;
	const uint64_t bad[] = {
		0x11,				/* AET UC */
		4 << 10 | 0x11,			/* AET reserved */
		1ULL << 24 | 6 << 10 | 0x11,	/* IDS */
		6 << 10 | 0x10,			/* not asynchronous */
		0x24ULL << 26 | 6 << 10 | 0x11,	/* another EC */
		6 << 10 | 0x11 | 1 << 20,	/* a RES0 bit */
	};
	struct fx *f = *state;
	struct rmi_rec_exit e;

	assert_rmi(enter_raising(f, RMM_PHYS_FIQ, RAISE_NONE, RAISE_NONE, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.hook_ret[0], 1);
	expected_exit(f, &e, RMI_EXIT_FIQ);
	assert_exit(f, &e);
	assert_rmi(enter_raising(f, RMM_PHYS_SERROR, RAISE_NONE, RAISE_NONE, ce),
		   RMI_SUCCESS, 0);
	assert_int_equal(sx.hook_ret[0], 1);
	expected_exit(f, &e, RMI_EXIT_SERROR);
	e.esr = 6 << 10 | 1 << 9 | 0x11;	/* no EC (9.3) */
	assert_exit(f, &e);
	assert_int_equal(sx.serrors, 0);
	/* UER (and UEU): reported, and injected into the realm, its ISS. */
	assert_rmi(enter_raising(f, RMM_PHYS_SERROR, RAISE_NONE, RAISE_NONE, uer),
		   RMI_SUCCESS, 0);
	e.esr = 3 << 10 | 1 << 9 | 0x11;
	assert_exit(f, &e);
	assert_int_equal(sx.serrors, 1);
	assert_int_equal(sx.serror_iss, 3 << 10 | 1 << 9 | 0x11);
	assert_rmi(enter_raising(f, RMM_PHYS_SERROR, RAISE_NONE, RAISE_NONE, 1 << 10 | 0x11),
		   RMI_SUCCESS, 0);
	assert_int_equal(sx.serrors, 2);
	assert_int_equal(sx.serror_iss, 1 << 10 | 0x11);
	/* All three: SError first; the others are not kept for later. */
	assert_rmi(enter_raising(f, RMM_PHYS_IRQ, RMM_PHYS_FIQ, RMM_PHYS_SERROR, ueo),
		   RMI_SUCCESS, 0);
	e.esr = 2 << 10 | 0x11;
	assert_exit(f, &e);
	assert_rmi(enter_raising(f, RMM_PHYS_FIQ, RMM_PHYS_IRQ, RAISE_NONE, 0), RMI_SUCCESS, 0);
	assert_exit_reason(f, RMI_EXIT_FIQ);
	assert_rmi(enter_raising(f, RMM_PHYS_IRQ, RAISE_NONE, RAISE_NONE, 0), RMI_SUCCESS, 0);
	assert_exit_reason(f, RMI_EXIT_IRQ);
	/* A REC not running, a granule that is not a REC. */
	assert_int_equal(rmm_rec_raise(f->h->rmm, f->rec[0], RMM_PHYS_FIQ, 0), 0);
	assert_int_equal(rmm_rec_raise(f->h->rmm, f->r.rd, RMM_PHYS_FIQ, 0), -ENOENT);
	/* Bad input is refused before the REC is looked at. */
	assert_int_equal(rmm_rec_raise(f->h->rmm, f->r.rd, RMM_PHYS_FIQ, 1), -EINVAL);
	assert_int_equal(rmm_rec_raise(f->h->rmm, f->rec[0], RMM_PHYS_IRQ, ce), -EINVAL);
	assert_int_equal(rmm_rec_raise(f->h->rmm, f->rec[0], (enum rmm_phys_event)3, 0),
			 -EINVAL);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(rmm_rec_raise(f->h->rmm, f->rec[0], RMM_PHYS_SERROR, bad[i]),
				 -EINVAL);
	/* An SError refused during a run leaves the run's exit alone. */
	assert_rmi(enter_raising(f, RMM_PHYS_SERROR, RAISE_NONE, RAISE_NONE, bad[2]),
		   RMI_SUCCESS, 0);
	assert_int_equal(sx.hook_ret[0], (uint64_t)-EINVAL);
	assert_exit_reason(f, RMI_EXIT_IRQ);
	assert_int_equal(sx.serrors, 2);
}

/* An executor that cannot inject an SError: UEU and UER are refused. */
static void test_exit_raised_no_injection(void **state)
{
	struct fx *f = *state;
	struct rmm_executor_ops ops = sx_ops;

	ops.inject_serror = NULL;
	rmm_set_executor(f->h->rmm, &ops, &sx);
	assert_int_equal(rmm_rec_raise(f->h->rmm, f->rec[0], RMM_PHYS_SERROR, 3 << 10 | 0x11),
			 -EINVAL);
	assert_int_equal(rmm_rec_raise(f->h->rmm, f->rec[0], RMM_PHYS_SERROR, 1 << 10 | 0x11),
			 -EINVAL);
	assert_int_equal(rmm_rec_raise(f->h->rmm, f->rec[0], RMM_PHYS_SERROR, 6 << 10 | 0x11),
			 0);
	rmm_set_executor(f->h->rmm, NULL, NULL);
	assert_int_equal(rmm_rec_raise(f->h->rmm, f->rec[0], RMM_PHYS_SERROR, 3 << 10 | 0x11),
			 -EINVAL);
	rmm_set_executor(f->h->rmm, &sx_ops, &sx);
}

static void test_exit_wfx(void **state)
{
	struct fx *f = *state;
	struct rmi_rec_exit e;

	/* Trapped WFI. */
	sx_push(REC_EVENT_WFX, 0x01ULL << 26 | IL | 0, 0, 0, 0);
	assert_rmi(enter(f, 0, RMI_REC_ENTER_TRAP_WFI), RMI_SUCCESS, 0);
	assert_true(sx_last_seen()->trap_wfi);
	assert_false(sx_last_seen()->trap_wfe);
	expected_exit(f, &e, RMI_EXIT_SYNC);
	e.esr = 0x04000000;
	assert_exit(f, &e);
	/* Trapped WFE (WFET: ISS TI = 3, only bit 0 reported). */
	sx_push(REC_EVENT_WFX, 0x01ULL << 26 | IL | 3, 0, 0, 0);
	assert_rmi(enter(f, 0, RMI_REC_ENTER_TRAP_WFE), RMI_SUCCESS, 0);
	assert_true(sx_last_seen()->trap_wfe);
	assert_false(sx_last_seen()->trap_wfi);
	e.esr = 0x04000001;
	assert_exit(f, &e);
	/* Not trapped: the realm runs again, without the host's GIC state. */
	sx.nruns = 0;
	sx_push(REC_EVENT_WFX, 0x01ULL << 26 | 1, 0, 0, 0);
	sx_push(REC_EVENT_WFX, 0x01ULL << 26 | 0, 0, 0, 0);
	sx_push(REC_EVENT_FIQ, 0, 0, 0, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 3);
	assert_true(sx.seen[0].has_enter);
	assert_false(sx.seen[1].has_enter);
	assert_false(sx.seen[2].has_enter);
	assert_exit_reason(f, RMI_EXIT_FIQ);
	/* WFE with only WFI trapped and the other way round. */
	sx.nruns = 0;
	sx_push(REC_EVENT_WFX, 0x01ULL << 26 | 1, 0, 0, 0);
	sx_push(REC_EVENT_WFX, 0x01ULL << 26 | 0, 0, 0, 0);
	assert_rmi(enter(f, 0, RMI_REC_ENTER_TRAP_WFI), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 2);
	assert_int_equal(exit_of(f, f->run)->esr, 0x04000000);
	sx.nruns = 0;
	sx_push(REC_EVENT_WFX, 0x01ULL << 26 | 0, 0, 0, 0);
	sx_push(REC_EVENT_WFX, 0x01ULL << 26 | 1, 0, 0, 0);
	assert_rmi(enter(f, 0, RMI_REC_ENTER_TRAP_WFE), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 2);
	assert_int_equal(exit_of(f, f->run)->esr, 0x04000001);
}

/* Emulatable data abort at an unprotected IPA. */
static void test_exit_mmio_write(void **state)
{
	struct fx *f = *state;
	struct rmi_rec_exit e;
	const struct {
		uint64_t iss, value, gpr0;
	} cases[] = {
		{ ISV | SAS(2) | SRT(5) | WNR | AR, 0x1122334455667788ULL, 0x55667788 },
		{ ISV | SAS(0) | SRT(1) | WNR, 0x1122334455667788ULL, 0x88 },
		{ ISV | SAS(1) | SRT(1) | WNR | SF, 0x1122334455667788ULL, 0x7788 },
		{ ISV | SAS(3) | SRT(30) | WNR | SF, 0x1122334455667788ULL,
		  0x1122334455667788ULL },
		{ ISV | SAS(3) | SRT(31) | WNR | SF, 0x1122334455667788ULL, 0 },	/* xzr */
		{ ISV | SAS(2) | SRT(4) | SSE, 0x1122334455667788ULL, 0 },	/* read */
		/* No valid syndrome: filled in all the same. */
		{ SAS(1) | SRT(3) | WNR, 0xFFFFFFFF, 0xFFFF },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t esr = dabt(cases[i].iss | ESR_EA | ESR_S1PTW | FSC_TRANS3);

		fill_exit(f, 0xAA);
		sx_push(REC_EVENT_DATA_ABORT, esr, 0xFFFFFF8000000ABCULL,
			IPA_UNPROT + 0x5000 + i * 0x1000, cases[i].value);
		assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
		expected_exit(f, &e, RMI_EXIT_SYNC);
		/* SRT, SSE, AR, IL, S1PTW cleared. */
		e.esr = esr & 0xFDC09E7FULL;
		assert_int_equal(e.esr & (SRT(31) | SSE | AR | IL | ESR_S1PTW), 0);
		e.far = 0xABC;
		e.hpfar = ((IPA_UNPROT + 0x5000 + i * 0x1000) >> 8) & ~0xFULL;
		e.gprs[0] = cases[i].gpr0;
		assert_exit(f, &e);
	}
	/* The top IPA of the realm. */
	sx_push(REC_EVENT_DATA_ABORT, dabt(ISV | WNR | FSC_TRANS3), IPA_TOP - 1,
		IPA_TOP - 1, 3);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(exit_of(f, f->run)->hpfar, ((IPA_TOP - 1) >> 8) & ~0xFULL);
	assert_int_equal(exit_of(f, f->run)->far, 0xFFF);
	assert_int_equal(exit_of(f, f->run)->gprs[0], 3);
}

/* EMULATED_MMIO completion: Rt from enter.gprs[0] with sign extension, PC
 * += 4 (9.2 item 3). */
static void test_enter_mmio_completion(void **state)
{
	struct fx *f = *state;
	const struct {
		uint64_t iss, host_value, rt_value;
	} cases[] = {
		{ SAS(0) | SRT(2), 0x1234567890ABCD80ULL, 0x80 },
		{ SAS(0) | SRT(2) | SSE | SF, 0x80, 0xFFFFFFFFFFFFFF80ULL },
		{ SAS(0) | SRT(2) | SSE, 0x80, 0xFFFFFF80ULL },
		{ SAS(0) | SRT(2) | SSE | SF, 0x7F, 0x7F },
		{ SAS(1) | SRT(9) | SSE | SF, 0xFFFF8000ULL, 0xFFFFFFFFFFFF8000ULL },
		{ SAS(1) | SRT(9) | SSE, 0x8001, 0xFFFF8001ULL },
		{ SAS(1) | SRT(9), 0x12345678, 0x5678 },
		{ SAS(2) | SRT(30) | SSE | SF, 0x80000000ULL, 0xFFFFFFFF80000000ULL },
		{ SAS(2) | SRT(30) | SF, 0xAA80000000ULL, 0x80000000ULL },
		{ SAS(2) | SRT(30), 0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFFULL },
		{ SAS(3) | SRT(0) | SSE | SF, 0x8000000000000001ULL, 0x8000000000000001ULL },
		{ SAS(3) | SRT(0) | SF, 0x123456789ULL, 0x123456789ULL },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int rt = (unsigned int)((cases[i].iss >> 16) & 0x1F);
		unsigned int other = rt == 0 ? 1 : rt - 1;
		struct rec *rec = rec_of(f, 0);
		uint64_t pc;

		rec->regs.gprs[rt] = 0x5555;
		rec->regs.gprs[other] = 0x6666;
		pc = rec->regs.pc;
		mmio_exit(f, 0, dabt(ISV | cases[i].iss | FSC_TRANS3));
		enter_of(f, f->run)->gprs[0] = cases[i].host_value;
		enter_of(f, f->run)->gprs[1] = 0x9999;
		assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_SUCCESS, 0);
		assert_int_equal(sx_last_seen()->regs.gprs[rt], cases[i].rt_value);
		assert_int_equal(sx_last_seen()->regs.gprs[other], 0x6666);
		assert_int_equal(sx_last_seen()->regs.pc, pc + 4);
	}
	/* A read into xzr, and a write: only PC moves. */
	{
		const uint64_t iss[] = { SAS(3) | SRT(31) | SF, SAS(2) | SRT(3) | WNR };
		struct rec *rec = rec_of(f, 0);

		for (unsigned int i = 0; i < 2; i++) {
			struct rec_regs before;

			mmio_exit(f, 0, dabt(ISV | iss[i] | FSC_TRANS3));
			before = rec->regs;
			enter_of(f, f->run)->gprs[0] = 0x4242;
			assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_SUCCESS, 0);
			before.pc += 4;
			assert_memory_equal(&sx_last_seen()->regs, &before, sizeof(before));
		}
	}
	/* Without EMULATED_MMIO the access is re-executed. */
	{
		struct rec *rec = rec_of(f, 0);
		uint64_t pc = rec->regs.pc, x2 = rec->regs.gprs[2];

		mmio_exit(f, 0, dabt(ISV | SAS(0) | SRT(2) | FSC_TRANS3));
		enter_of(f, f->run)->gprs[0] = 0x11;
		assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
		assert_int_equal(sx_last_seen()->regs.pc, pc);
		assert_int_equal(sx_last_seen()->regs.gprs[2], x2);
	}
}

/* INJECT_SEA at entry: the SEA of 9.5 for the previous abort; EMULATED_MMIO
 * is then ignored. */
static void test_enter_inject_sea(void **state)
{
	struct fx *f = *state;
	struct rec *rec = rec_of(f, 0);
	uint64_t esr = dabt(ISV | SAS(2) | SRT(7) | SF | FSC_TRANS3);
	uint64_t pc = rec->regs.pc, x7 = 0x7777;
	struct sx_seen *s;

	rec->regs.gprs[7] = x7;
	sx_push(REC_EVENT_DATA_ABORT, esr, 0xFFFF800012345678ULL, IPA_UNPROT + 0x2000, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	enter_of(f, f->run)->gprs[0] = 0x42;
	assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA | RMI_REC_ENTER_EMULATED_MMIO),
		   RMI_SUCCESS, 0);
	s = sx_last_seen();
	assert_int_equal(s->regs.esr_el1, (0x25ULL << 26) | IL | ISV | SAS(2) | SRT(7) |
			 SF | ESR_EA | 0x10);
	assert_int_equal(s->regs.far_el1, 0xFFFF800012345678ULL);
	assert_int_equal(s->regs.elr_el1, pc);
	assert_int_equal(s->regs.spsr_el1, 0x3C5);
	assert_int_equal(s->regs.pc, VBAR + 0x200);
	assert_int_equal(s->regs.pstate, 0x3C5);
	assert_int_equal(s->regs.gprs[7], x7);
}

/* Aborts the RMM answers by injecting an SEA and running the realm again. */
static void test_exit_abort_injected(void **state)
{
	struct fx *f = *state;
	struct rec *rec = rec_of(f, 0);
	const struct {
		enum rec_event_kind kind;
		uint64_t ec, ipa;
	} cases[] = {
		{ REC_EVENT_DATA_ABORT, EC_DABT, IPA_TOP },		/* >= 2^s2sz */
		{ REC_EVENT_DATA_ABORT, EC_DABT, 1ULL << 47 },
		{ REC_EVENT_DATA_ABORT, EC_DABT, 0x1000 },		/* EMPTY */
		{ REC_EVENT_DATA_ABORT, EC_DABT, IPA_UNPROT - 0x1000 },	/* EMPTY */
		{ REC_EVENT_INSTR_ABORT, EC_IABT, IPA_UNPROT },		/* unprotected */
		{ REC_EVENT_INSTR_ABORT, EC_IABT, IPA_TOP + 0x1000 },
		{ REC_EVENT_INSTR_ABORT, EC_IABT, 0x3000 },		/* EMPTY */
	};
	const struct {
		uint64_t pstate, offset;
		bool el1;
	} modes[] = {
		{ 0x3C5, 0x200, true }, { 0x3C4, 0x000, true },
		{ 0x0, 0x400, false }, { 0x10, 0x600, false },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (unsigned int m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			uint64_t esr = cases[i].ec | IL | ESR_FNV | ESR_S1PTW | WNR |
				       FSC_TRANS3;
			uint64_t ec = (cases[i].ec >> 26) + (modes[m].el1 ? 1 : 0);
			struct sx_seen *s;

			rec->regs.pc = 0x4000 + m * 4;
			rec->regs.pstate = modes[m].pstate;
			sx.nruns = 0;
			sx_push(cases[i].kind, esr, 0xF00D000 + i, cases[i].ipa, 0);
			sx_push(REC_EVENT_FIQ, 0, 0, 0, 0);
			fill_exit(f, 0xAA);
			assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
			assert_int_equal(sx.nruns, 2);
			assert_exit_reason(f, RMI_EXIT_FIQ);
			s = &sx.seen[1];
			assert_false(s->has_enter);
			assert_int_equal(s->regs.esr_el1, ec << 26 | IL | WNR | ESR_EA | 0x10);
			assert_int_equal(s->regs.far_el1, 0xF00D000 + i);
			assert_int_equal(s->regs.elr_el1, 0x4000 + m * 4);
			assert_int_equal(s->regs.spsr_el1, modes[m].pstate);
			assert_int_equal(s->regs.pc, VBAR + modes[m].offset);
			assert_int_equal(s->regs.pstate, 0x3C5);
			/* Not an abort exit: INJECT_SEA is refused next. */
			assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA), RMI_ERROR_REC, 0);
		}
	}
}

/* A synchronous external abort is reported (non-emulatable syndrome, no
 * address) and, with SET = UER, injected too. */
static void test_exit_external_abort(void **state)
{
	struct fx *f = *state;
	struct rec *rec = rec_of(f, 0);
	const uint64_t fscs[] = { 0x10, 0x13, 0x14, 0x15, 0x16, 0x17 };
	struct rmi_rec_exit e;

	for (unsigned int i = 0; i < sizeof(fscs) / sizeof(fscs[0]); i++) {
		for (unsigned int set = 0; set < 4; set += 3) {	/* UER, UEO */
			uint64_t esr = dabt(((0x1FFFFFFULL & ~0x183FULL) |
					     (uint64_t)set << 11 | fscs[i]));
			uint64_t pc = 0x6000 + i * 16 + set;

			rec->regs.pc = pc;
			rec->regs.pstate = 0x3C5;
			sx_push(REC_EVENT_DATA_ABORT, esr, 0x1234, IPA_UNPROT + 0x1000, 9);
			assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
			expected_exit(f, &e, RMI_EXIT_SYNC);
			e.esr = esr & 0xFC001E3FULL;
			assert_exit(f, &e);
			if (set == 0) {
				assert_int_equal(rec->regs.pc, VBAR + 0x200);
				assert_int_equal(rec->regs.elr_el1, pc);
			} else {
				assert_int_equal(rec->regs.pc, pc);
			}
		}
	}
	/* Instruction side, protected IPA. */
	sx_push(REC_EVENT_INSTR_ABORT, EC_IABT | IL | 0x10, 0x1234, 0x1000, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	expected_exit(f, &e, RMI_EXIT_SYNC);
	e.esr = EC_IABT | 0x10;
	assert_exit(f, &e);
}

/* Trapped system register access: full ESR, written value in gprs[0]; a
 * read is completed from enter.gprs[0] at the next entry. */
static void test_exit_sysreg(void **state)
{
	struct fx *f = *state;
	struct rmi_rec_exit e;
	uint64_t write = 0x18ULL << 26 | IL | 0x3 << 20 | 0x1 << 17 | 0xC << 10 |
			 0xB << 1 | 5 << 5;	/* ICC_SGI1R_EL1, Rt = 5 */
	uint64_t read = (write & ~(0x1FULL << 5)) | 7 << 5 | 1;

	sx_push(REC_EVENT_SYSREG, write, 0x11, 0x22, 0xFEEDFACECAFEBEEFULL);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	expected_exit(f, &e, RMI_EXIT_SYNC);
	e.esr = write;
	e.gprs[0] = 0xFEEDFACECAFEBEEFULL;
	assert_exit(f, &e);
	/* xzr. */
	sx_push(REC_EVENT_SYSREG, write | 31 << 5, 0, 0, 0x1234);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	e.esr = write | 31 << 5;
	e.gprs[0] = 0;
	assert_exit(f, &e);
	/* A write is not completed at the next entry. */
	rec_of(f, 0)->regs.gprs[5] = 0x5555;
	enter_of(f, f->run)->gprs[0] = 0x99;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx_last_seen()->regs.gprs[5], 0x5555);
	/* Read: gprs[0] = 0, then Rt <- enter.gprs[0] once. */
	sx_push(REC_EVENT_SYSREG, read, 0, 0, 0x1234);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	e.esr = read;
	e.gprs[0] = 0;
	assert_exit(f, &e);
	enter_of(f, f->run)->gprs[0] = 0xABCDEF;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx_last_seen()->regs.gprs[7], 0xABCDEF);
	rec_of(f, 0)->regs.gprs[7] = 1;
	enter_of(f, f->run)->gprs[0] = 0x2;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx_last_seen()->regs.gprs[7], 1);
	/* Read into xzr: nothing written. */
	sx_push(REC_EVENT_SYSREG, read | 31 << 5, 0, 0, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	{
		struct rec_regs before = rec_of(f, 0)->regs;

		assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
		assert_memory_equal(&sx_last_seen()->regs, &before, sizeof(before));
	}
}

/* HVC: UNDEFINED injected, returning to the HVC, and the realm runs again. */
static void test_exit_hvc(void **state)
{
	struct fx *f = *state;
	struct rec *rec = rec_of(f, 0);
	struct sx_step *st;

	rec->regs.pc = 0x7000;
	rec->regs.pstate = 0x200003C5;
	st = sx_push(REC_EVENT_HVC, 0x16ULL << 26 | IL, 0, 0, 0);
	st->pc_add = 4;
	sx_set(st, 0, 0xC4000000);
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 2);
	assert_int_equal(sx.seen[1].regs.esr_el1, 0x02000000);
	assert_int_equal(sx.seen[1].regs.elr_el1, 0x7000);
	assert_int_equal(sx.seen[1].regs.spsr_el1, 0x200003C5);
	assert_int_equal(sx.seen[1].regs.pc, VBAR + 0x200);
	assert_int_equal(sx.seen[1].regs.pstate, 0x3C5);
	assert_int_equal(sx.seen[1].regs.gprs[0], 0xC4000000);
	assert_exit_reason(f, RMI_EXIT_IRQ);
}

/* Anything the executor reports that has no rule: a bare SYNC exit. */
static void test_exit_unknown_event(void **state)
{
	struct fx *f = *state;

	sx_push((enum rec_event_kind)99, 0x1234, 0x5678, 0x9ABC, 0xDEF);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_exit_reason(f, RMI_EXIT_SYNC);
}

/* Events the RMM handles itself are bounded: then an IRQ exit. */
static void test_exit_bounded_loop(void **state)
{
	struct fx *f = *state;

	for (unsigned int i = 0; i < 100; i++)
		sx_push(REC_EVENT_HVC, 0, 0, 0, 0)->pc_add = 4;
	fill_exit(f, 0xAA);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 64);
	assert_exit_reason(f, RMI_EXIT_IRQ);
	/* Realm calls the RMM answers count as well. */
	sx.nsteps = sx.pos = sx.nruns = 0;
	for (unsigned int i = 0; i < 70; i++)
		sx_smc(0x80000001, 0, 0, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 64);
	assert_exit_reason(f, RMI_EXIT_IRQ);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 64 + 7);
}

static void test_exit_executor_error(void **state)
{
	struct fx *f = *state;

	sx.error = -EIO;
	sx_push(REC_EVENT_SMC, 0, 0, 0, 0);
	fill_exit(f, 0xAA);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_exit_reason(f, RMI_EXIT_IRQ);
	assert_int_equal(sx.nruns, 1);
	assert_int_equal(sx.pos, 0);
	sx.error = 0;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
}

/* Without an executor REC_ENTER does its checks and entry processing, then
 * returns an IRQ exit with the host's GIC state. */
static void test_enter_no_executor(void **state)
{
	struct fx *f = *state;
	struct rec *rec = rec_of(f, 0);
	uint64_t lrs[3] = { LR_PENDING | 27, 0, LR_ACTIVE | LR_GROUP1 | 8192 };
	struct rmi_rec_exit e;
	uint64_t pc;

	mmio_exit(f, 0, dabt(ISV | SAS(0) | SRT(4) | FSC_TRANS3));
	pc = rec->regs.pc;
	rmm_set_executor(f->h->rmm, NULL, NULL);
	enter_gic(f, 0x4002, lrs, 3);
	enter_of(f, f->run)->gprs[0] = 0x99;
	fill_exit(f, 0xAA);
	assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_SUCCESS, 0);
	memset(&e, 0, sizeof(e));
	e.exit_reason = RMI_EXIT_IRQ;
	e.gicv3_hcr = 0x4002;
	memcpy(e.gicv3_lrs, lrs, sizeof(lrs));
	assert_exit(f, &e);
	assert_int_equal(rec->regs.pc, pc + 4);
	assert_int_equal(rec->regs.gprs[4], 0x99);
	/* Checks still apply. */
	assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_ERROR_REC, 0);
	assert_rmi(enter(f, 1, 0), RMI_ERROR_REC, 0);
	assert_int_equal(gr(f->h, f->rec[0])->refcount, 0);
}

/* The rec_exit is written at the end; if run_ptr stopped being NS meanwhile,
 * REC_ENTER fails with ERROR_INPUT. */
static void hook_delegate_run(struct sx *s, struct rec *rec)
{
	(void)rec;
	s->hook_ret[0] = h_call(s->h, RMI_GRANULE_DELEGATE, s->hook_arg[0], 0, 0, 0, 0);
}

static void test_enter_exit_write_fails(void **state)
{
	struct fx *f = *state;

	sx.hook_arg[0] = f->run;
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0)->hook = hook_delegate_run;
	assert_rmi(enter(f, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(sx.hook_ret[0], RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 1);
	assert_int_equal(gr(f->h, f->rec[0])->refcount, 0);
	assert_rmi(h_call(f->h, RMI_GRANULE_UNDELEGATE, f->run, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_exit_reason(f, RMI_EXIT_IRQ);
}

/* ---- RECs running at the same time ---------------------------------------- */

static void hook_calls_while_running(struct sx *s, struct rec *rec)
{
	uint64_t other_run = s->hook_arg[2];

	s->hook_ret[0] = h_call(s->h, RMI_REC_DESTROY, rec->pa, 0, 0, 0, 0);
	s->hook_ret[1] = h_call(s->h, RMI_PSCI_COMPLETE, rec->pa, s->hook_arg[0], 0, 0, 0);
	/* Another REC of the realm can be entered meanwhile. */
	s->hook_ret[2] = h_call(s->h, RMI_REC_ENTER, s->hook_arg[1], other_run, 0, 0, 0);
	s->hook_ret[3] = h_call(s->h, RMI_REC_DESTROY, s->hook_arg[3], 0, 0, 0, 0);
}

static void test_enter_concurrent_calls(void **state)
{
	struct fx *f = *state;
	uint64_t run2 = h_alloc(f->h);

	rec_of(f, 1)->runnable = true;	/* as after a CPU_ON */
	sx.hook_arg[0] = f->rec[1];
	sx.hook_arg[1] = f->rec[1];
	sx.hook_arg[2] = run2;
	sx.hook_arg[3] = f->rec[2];
	sx_push(REC_EVENT_FIQ, 0, 0, 0, 0)->hook = hook_calls_while_running;
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0);	/* the run of REC 1 */
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(sx.hook_ret[0], RMI_ERROR_REC, 0);
	assert_rmi(sx.hook_ret[1], RMI_ERROR_INPUT, 0);
	assert_rmi(sx.hook_ret[2], RMI_SUCCESS, 0);
	assert_rmi(sx.hook_ret[3], RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 2);
	assert_ptr_equal(sx.seen[1].rec, rec_of(f, 1));
	assert_int_equal(exit_of(f, run2)->exit_reason, RMI_EXIT_IRQ);
	assert_exit_reason(f, RMI_EXIT_FIQ);
	assert_int_equal(gr(f->h, f->r.rd)->refcount, 2);
	/* Once out of REC_ENTER it can be destroyed. */
	assert_rmi(h_call(f->h, RMI_REC_DESTROY, f->rec[0], 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(gr(f->h, f->r.rd)->refcount, 1);
}

/* ---- realm calls: SMCCC and PSCI (rsi-1.0.md 1, 8) ------------------------ */

/* A call the RMM answers: x0, x1..x3 = 0, x4.. preserved, PC past the SMC,
 * the realm runs again. Returns the realm's x0 as the next run sees it. */
static uint64_t realm_call(struct fx *f, uint64_t fid, uint64_t x1, uint64_t x2,
			   uint64_t x3)
{
	struct rec *rec = rec_of(f, 0);
	uint64_t pc = rec->regs.pc;
	struct sx_seen *s;

	rec->regs.gprs[4] = 0x4444;
	rec->regs.gprs[5] = 0x5555;
	sx.nruns = 0;
	sx_smc(fid, x1, x2, x3);
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 2);
	assert_exit_reason(f, RMI_EXIT_IRQ);
	s = &sx.seen[1];
	assert_int_equal(s->regs.pc, pc + 4);
	assert_int_equal(s->regs.gprs[1], 0);
	assert_int_equal(s->regs.gprs[2], 0);
	assert_int_equal(s->regs.gprs[3], 0);
	assert_int_equal(s->regs.gprs[4], 0x4444);
	assert_int_equal(s->regs.gprs[5], 0x5555);
	return s->regs.gprs[0];
}

static void test_smc_not_supported(void **state)
{
	struct fx *f = *state;
	const uint64_t fids[] = {
		0x80000001, 0x80008000, 0xC2000000, 0x84000005, 0x84000006,
		0x84000007, 0x8400000B, 0x84000014, 0xC4000000, 0xC4000002,
		0xC4000008, 0xC400000A, 0xC4000014, 0x84000015, 0xC4000150,
		0x04000003, 0xFFFFFFFF, 0,
	};

	for (unsigned int i = 0; i < sizeof(fids) / sizeof(fids[0]); i++)
		assert_int_equal(realm_call(f, fids[i], 1, 2, 3), (uint64_t)-1);
}

static void test_smc_versions(void **state)
{
	struct fx *f = *state;

	assert_int_equal(realm_call(f, 0x80000000, 1, 2, 3), 0x10002);
	assert_int_equal(realm_call(f, 0x84000000, 1, 2, 3), 0x10001);
	/* Only the low 32 bits name the call; bit 16 (SVE hint) is ignored. */
	assert_int_equal(realm_call(f, 0xFFFFFFFF84000000ULL, 0, 0, 0), 0x10001);
	assert_int_equal(realm_call(f, 0x84010000, 0, 0, 0), 0x10001);
	assert_int_equal(realm_call(f, 0x80010000, 0, 0, 0), 0x10002);
}

static void test_psci_features(void **state)
{
	struct fx *f = *state;
	const uint64_t present[] = {
		0x84000001, 0xC4000001, 0x84000002, 0x84000003, 0xC4000003,
		0x84000004, 0xC4000004, 0x84000008, 0x84000009, 0x8400000A,
		0x80000000,
	};
	const uint64_t absent[] = {
		0x84000000, 0x84000006, 0xC4000002, 0x84000005, 0x80000001,
		0xC4000190, 0xC4000150, 0x12345678,
	};

	for (unsigned int i = 0; i < sizeof(present) / sizeof(present[0]); i++)
		assert_int_equal(realm_call(f, 0x8400000A, present[i], 0, 0), 0);
	for (unsigned int i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		assert_int_equal(realm_call(f, 0x8400000A, absent[i], 0, 0), (uint64_t)-1);
}

/* A forwarded PSCI call: exit reason PSCI, gprs[0] = FID (and gprs[1]). */
static void assert_psci_exit(struct fx *f, uint64_t fid, uint64_t x1)
{
	struct rmi_rec_exit e;

	expected_exit(f, &e, RMI_EXIT_PSCI);
	e.gprs[0] = fid;
	e.gprs[1] = x1;
	assert_exit(f, &e);
}

static void test_psci_cpu_suspend(void **state)
{
	struct fx *f = *state;
	const uint64_t fids[] = { 0x84000001, 0xC4000001 };

	for (unsigned int i = 0; i < 2; i++) {
		sx_smc(fids[i], 0x10033, 0x8000, 0x77);
		assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
		assert_psci_exit(f, fids[i], 0);
		/* SUCCESS at once, the REC stays runnable. */
		assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
		assert_int_equal(sx_last_seen()->regs.gprs[0], 0);
		assert_int_equal(sx_last_seen()->regs.gprs[1], 0);
		assert_int_equal(sx_last_seen()->regs.gprs[2], 0);
		assert_int_equal(sx_last_seen()->regs.gprs[3], 0);
	}
}

static void test_psci_cpu_off(void **state)
{
	struct fx *f = *state;

	sx_smc(0x84000002, 5, 6, 7);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_psci_exit(f, 0x84000002, 0);
	assert_false(rec_of(f, 0)->runnable);
	assert_int_equal(rec_of(f, 0)->regs.gprs[0], 0);
	fill_exit(f, 0xAA);
	assert_rmi(enter(f, 0, 0), RMI_ERROR_REC, 0);
	assert_exit_untouched(f, 0xAA);
}

static void test_psci_system_off(void **state)
{
	const uint64_t fids[] = { 0x84000008, 0x84000009 };

	(void)state;
	for (unsigned int i = 0; i < 2; i++) {
		struct fx *f = fx_new(NULL, true);
		struct rec_regs before;

		rec_of(f, 1)->runnable = true;
		sx_smc(fids[i], 0x11, 0x22, 0x33);
		assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
		assert_psci_exit(f, fids[i], 0);
		assert_int_equal(realm_of(f)->state, RMI_REALM_SYSTEM_OFF);
		/* Registers unchanged: the realm never runs again. */
		before = rec_of(f, 0)->regs;
		assert_int_equal(before.gprs[0], fids[i]);
		assert_int_equal(before.gprs[1], 0x11);
		fill_exit(f, 0xAA);
		assert_int_equal(enter(f, 0, 0), 0x102);
		assert_int_equal(enter(f, 1, 0), 0x102);
		/* Before the runnable check. */
		assert_int_equal(enter(f, 2, 0), 0x102);
		assert_exit_untouched(f, 0xAA);
		assert_memory_equal(&rec_of(f, 0)->regs, &before, sizeof(before));
		/* The realm can only be torn down. */
		assert_rmi(h_call(f->h, RMI_REALM_ACTIVATE, f->r.rd, 0, 0, 0, 0),
			   RMI_ERROR_REALM, 0);
		for (unsigned int j = 0; j < NUM_RECS; j++)
			assert_rmi(h_call(f->h, RMI_REC_DESTROY, f->rec[j], 0, 0, 0, 0),
				   RMI_SUCCESS, 0);
		assert_rmi(h_call(f->h, RMI_REALM_DESTROY, f->r.rd, 0, 0, 0, 0),
			   RMI_SUCCESS, 0);
		fx_teardown((void **)&f);
	}
}

/* CPU_ON checks answered by the RMM, in order (rsi-1.0.md 8). */
static void test_psci_cpu_on_checks(void **state)
{
	struct fx *f = *state;
	const uint64_t fids[] = { 0x84000003, 0xC4000003 };

	for (unsigned int i = 0; i < 2; i++) {
		/* Entry point not in the PAR, even with a bad target. */
		assert_int_equal(realm_call(f, fids[i], 1, IPA_UNPROT, 0), (uint64_t)-9);
		assert_int_equal(realm_call(f, fids[i], 99, IPA_TOP + 4, 0), (uint64_t)-9);
		/* Target index >= number of RECs. */
		assert_int_equal(realm_call(f, fids[i], 3, 0x1000, 0), (uint64_t)-2);
		assert_int_equal(realm_call(f, fids[i], 0x100, 0x1000, 0), (uint64_t)-2);
		assert_int_equal(realm_call(f, fids[i], 1ULL << 32, 0x1000, 0),
				 (uint64_t)-2);
		/* Itself. */
		assert_int_equal(realm_call(f, fids[i], 0, 0x1000, 0), (uint64_t)-4);
		assert_int_equal(realm_call(f, fids[i], 0x80000000, 0x1000, 0),
				 (uint64_t)-4);
	}
	assert_false(rec_of(f, 0)->psci.pending);
}

/* CPU_ON -> PSCI exit -> PSCI_COMPLETE -> the target runs at the entry point. */
static void test_psci_cpu_on(void **state)
{
	struct fx *f = *state;
	struct rec *rec0 = rec_of(f, 0), *rec1 = rec_of(f, 1);
	struct sx_seen *s;

	rec0->regs.sctlr_el1 = REC_SCTLR_EL1_RESET | REC_SCTLR_EL1_EE | 1;
	/* Bits outside the affinity fields are ignored; Aff0 = 1 is REC 1. */
	sx_smc(0xC4000003, 0xFF00000080000001ULL, 0x40001000, 0x77);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_psci_exit(f, 0xC4000003, 0xFF00000080000001ULL);
	assert_true(rec0->psci.pending);
	/* Registers unchanged until PSCI_COMPLETE; REC_ENTER refused. */
	assert_int_equal(rec0->regs.gprs[0], 0xC4000003);
	fill_exit(f, 0xAA);
	assert_rmi(enter(f, 0, 0), RMI_ERROR_REC, 0);
	assert_rmi(enter(f, 1, 0), RMI_ERROR_REC, 0);
	assert_exit_untouched(f, 0xAA);

	assert_rmi(h_call(f->h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[1], 0, 0x44, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(f->h->last_out[1], 0);
	assert_int_equal(f->h->last_out[4], 0x44);
	assert_false(rec0->psci.pending);
	assert_true(rec1->runnable);
	assert_int_equal(rec1->regs.pc, 0x40001000);
	assert_int_equal(rec1->regs.gprs[0], 0x77);
	assert_int_equal(rec1->regs.gprs[1], 0);	/* untouched */
	assert_int_equal(rec1->regs.pstate, 0x3C5);
	assert_int_equal(rec1->regs.sctlr_el1, REC_SCTLR_EL1_RESET | REC_SCTLR_EL1_EE);

	/* The caller sees SUCCESS and x1..x3 = 0. */
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	s = sx_last_seen();
	assert_int_equal(s->regs.gprs[0], 0);
	assert_int_equal(s->regs.gprs[1], 0);
	assert_int_equal(s->regs.gprs[2], 0);
	assert_int_equal(s->regs.gprs[3], 0);
	/* The target runs. */
	assert_rmi(enter(f, 1, 0), RMI_SUCCESS, 0);
	s = sx_last_seen();
	assert_ptr_equal(s->rec, rec1);
	assert_int_equal(s->regs.pc, 0x40001000);
	assert_int_equal(s->regs.gprs[0], 0x77);

	/* A second PSCI_COMPLETE has nothing to complete. */
	assert_rmi(h_call(f->h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[1], 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* CPU_ON of a target that is on: ALREADY_ON; DENIED is then an input
	 * error, but the request is completed. */
	sx_smc(0x84000003, 1, 0x2000, 0x88);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(f->h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[1], 0, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(rec0->regs.gprs[0], (uint64_t)-4);
	assert_int_equal(rec1->regs.pc, 0x40001000);
	sx_smc(0x84000003, 1, 0x2000, 0x88);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(f->h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[1],
			  (uint64_t)-3, 0, 0), RMI_ERROR_INPUT, 0);
	assert_false(rec0->psci.pending);
	assert_int_equal(rec0->regs.gprs[0], (uint64_t)-4);
	assert_int_equal(rec0->regs.gprs[1], 0);
	assert_int_equal(rec1->regs.pc, 0x40001000);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
}

/* CPU_ON denied by the host. */
static void test_psci_cpu_on_denied(void **state)
{
	struct fx *f = *state;

	sx_smc(0x84000003, 2, 0x3000, 0x99);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_psci_exit(f, 0x84000003, 2);
	assert_rmi(h_call(f->h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[2],
			  (uint64_t)-3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(rec_of(f, 0)->regs.gprs[0], (uint64_t)-3);
	assert_false(rec_of(f, 2)->runnable);
	assert_int_equal(rec_of(f, 2)->regs.pc, PC0);
	assert_rmi(enter(f, 2, 0), RMI_ERROR_REC, 0);
}

static void hook_complete_affinity(struct sx *s, struct rec *rec)
{
	/* The target is running, even though no longer runnable here. */
	rec->runnable = false;
	s->hook_ret[0] = h_call(s->h, RMI_PSCI_COMPLETE, s->hook_arg[0], rec->pa, 0, 0, 0);
	rec->runnable = true;
}

static void test_psci_affinity_info(void **state)
{
	struct fx *f = *state;
	const uint64_t fids[] = { 0x84000004, 0xC4000004 };

	for (unsigned int i = 0; i < 2; i++) {
		/* Answered by the RMM. */
		assert_int_equal(realm_call(f, fids[i], 1, 1, 0), (uint64_t)-2);
		assert_int_equal(realm_call(f, fids[i], 3, 0, 0), (uint64_t)-2);
		assert_int_equal(realm_call(f, fids[i], 0, 0, 0), 0);
		assert_int_equal(realm_call(f, fids[i], 0x80000000, 0, 0), 0);
		/* Forwarded: OFF for a REC that is not runnable. */
		sx_smc(fids[i], 2, 0, 0x5);
		assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
		assert_psci_exit(f, fids[i], 2);
		assert_rmi(enter(f, 0, 0), RMI_ERROR_REC, 0);
		assert_rmi(h_call(f->h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[2],
				  (uint64_t)-3, 0, 0), RMI_ERROR_INPUT, 0);
		assert_rmi(h_call(f->h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[2], 1, 0, 0),
			   RMI_ERROR_INPUT, 0);
		assert_rmi(h_call(f->h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[2], 0, 0, 0),
			   RMI_SUCCESS, 0);
		assert_int_equal(rec_of(f, 0)->regs.gprs[0], 1);
		assert_int_equal(rec_of(f, 0)->regs.gprs[3], 0);
		assert_false(rec_of(f, 2)->runnable);
		/* ON for a runnable one. */
		rec_of(f, 1)->runnable = true;
		sx_smc(fids[i], 1, 0, 0);
		assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
		assert_rmi(h_call(f->h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[1], 0, 0, 0),
			   RMI_SUCCESS, 0);
		assert_int_equal(rec_of(f, 0)->regs.gprs[0], 0);
		rec_of(f, 1)->runnable = false;
	}
	/* ON for a running one: complete it from inside its own run. */
	rec_of(f, 1)->runnable = true;
	sx_smc(0xC4000004, 1, 0, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	sx.hook_arg[0] = f->rec[0];
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0)->hook = hook_complete_affinity;
	assert_rmi(enter(f, 1, 0), RMI_SUCCESS, 0);
	assert_rmi(sx.hook_ret[0], RMI_SUCCESS, 0);
	assert_int_equal(rec_of(f, 0)->regs.gprs[0], 0);
}

/* PSCI_COMPLETE failure conditions (8.19), all ERROR_INPUT, none of which
 * completes the request. */
static void test_psci_complete_checks(void **state)
{
	struct fx *f = *state;
	struct harness *h = f->h;
	struct h_realm r2;
	uint64_t other[2];

	h_realm_create(h, &r2, S2SZ, RMI_HASH_SHA_256);
	other[0] = rec_create(h, &r2, 0, RMI_REC_CREATE_RUNNABLE);
	other[1] = rec_create(h, &r2, 1, 0);
	sx_smc(0x84000003, 1, 0x1000, 0x5);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	/* 1, 2: alignment. */
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->rec[0] + 8, f->rec[1], 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[1] + 1, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 3: both RECs, not the same. */
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->r.rd, f->rec[1], 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->rec[0], f->r.rd, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->rec[0], h_delegated(h), 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[0], 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->rec[0], h->base + h->size, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 5: no request pending in the caller. */
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->rec[1], f->rec[0], 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, other[0], other[1], 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 6: the target in another realm (with the right index). */
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->rec[0], other[1], 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 7: not the REC the realm named. */
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[2], 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	/* 8: CPU_ON takes SUCCESS or DENIED only. */
	{
		const uint64_t bad[] = { 1, (uint64_t)-1, (uint64_t)-2, (uint64_t)-4,
					 (uint64_t)-9, 0xFFFFFFFD };

		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[1],
					  bad[i], 0, 0), RMI_ERROR_INPUT, 0);
	}
	assert_true(rec_of(f, 0)->psci.pending);
	assert_int_equal(rec_of(f, 0)->regs.gprs[0], 0x84000003);
	assert_false(rec_of(f, 1)->runnable);
	assert_rmi(enter(f, 0, 0), RMI_ERROR_REC, 0);
	assert_rmi(h_call(h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[1], 0, 0, 0),
		   RMI_SUCCESS, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
}

/* 4: the calling REC is running. */
static void hook_complete_self(struct sx *s, struct rec *rec)
{
	s->hook_ret[0] = h_call(s->h, RMI_PSCI_COMPLETE, rec->pa, s->hook_arg[0], 0, 0, 0);
}

static void test_psci_complete_caller_running(void **state)
{
	struct fx *f = *state;

	sx.hook_arg[0] = f->rec[1];
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0)->hook = hook_complete_self;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(sx.hook_ret[0], RMI_ERROR_INPUT, 0);
	assert_false(rec_of(f, 1)->runnable);
}

/* ---- RIPAS change completion (9.2 item 5) --------------------------------- */

static void test_enter_ripas_completion(void **state)
{
	struct fx *f = *state;
	struct rec *rec = rec_of(f, 0);
	const struct {
		enum rmi_ripas ripas;
		uint64_t addr;
		bool reject;
		uint64_t x2;
	} cases[] = {
		{ RMI_RAM, 0x3000, true, 1 },	/* REJECT */
		{ RMI_RAM, 0x5000, true, 0 },	/* reached top */
		{ RMI_RAM, 0x3000, false, 0 },
		{ RMI_EMPTY, 0x3000, true, 0 },	/* EMPTY is never rejected */
		{ RMI_EMPTY, 0x1000, false, 0 },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sx_seen *s;

		rec->ripas.pending = true;
		rec->ripas.base = 0x1000;
		rec->ripas.top = 0x5000;
		rec->ripas.addr = cases[i].addr;
		rec->ripas.ripas = cases[i].ripas;
		rec->regs.gprs[3] = 0x3333;
		assert_rmi(enter(f, 0, cases[i].reject ? RMI_REC_ENTER_RIPAS_RESPONSE : 0),
			   RMI_SUCCESS, 0);
		s = sx_last_seen();
		assert_int_equal(s->regs.gprs[0], 0);
		assert_int_equal(s->regs.gprs[1], cases[i].addr);
		assert_int_equal(s->regs.gprs[2], cases[i].x2);
		assert_int_equal(s->regs.gprs[3], 0x3333);
		assert_false(rec->ripas.pending);
		assert_int_equal(rec->ripas.top, 0);
		assert_int_equal(rec->ripas.reject, cases[i].reject);
	}
	/* Nothing pending: registers untouched. */
	rec->regs.gprs[1] = 0x1111;
	assert_rmi(enter(f, 0, RMI_REC_ENTER_RIPAS_RESPONSE), RMI_SUCCESS, 0);
	assert_int_equal(sx_last_seen()->regs.gprs[1], 0x1111);
}

/* ---- exits that depend on the RTTs (RTT_INIT_RIPAS, DATA_CREATE) --------- */

/*
 * A realm whose IPAs [0, 0x4000) have an L3 RTT: 0x0 RAM unassigned, 0x1000
 * RAM assigned (DATA), 0x2000 DESTROYED, 0x3000 RAM unassigned; everything
 * else EMPTY.
 */
static struct fx *fx_new_rtt(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct harness *h;
	uint64_t src, data;

	assert_non_null(f);
	f->h = h = h_new(NULL);
	f->num_lrs = 16;
	h_realm_create(h, &f->r, S2SZ, RMI_HASH_SHA_256);
	h_rtt_create_to(h, &f->r, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, f->r.rd, 0, 0x4000, 0, 0), RMI_SUCCESS, 0);
	src = h_alloc(h);
	memset(h_ns(h, src), 0x5A, RMI_GRANULE_SIZE);
	data = h_delegated(h);
	assert_rmi(h_call(h, RMI_DATA_CREATE, f->r.rd, data, 0x1000, src, 0), RMI_SUCCESS, 0);
	data = h_delegated(h);
	assert_rmi(h_call(h, RMI_DATA_CREATE, f->r.rd, data, 0x2000, src, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, f->r.rd, 0x2000, 0, 0, 0), RMI_SUCCESS, 0);
	fx_recs(f);
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, f->r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	f->run = h_alloc(h);
	sx_reset(h);
	rmm_set_executor(h->rmm, &sx_ops, &sx);
	return f;
}

static void test_exit_protected_abort(void **state)
{
	struct fx *f = fx_new_rtt();
	const uint64_t ipas[] = { 0x0, 0x1000, 0x2000, 0x3FFF };
	struct rmi_rec_exit e;

	(void)state;
	for (unsigned int i = 0; i < sizeof(ipas) / sizeof(ipas[0]); i++) {
		for (int instr = 0; instr <= 1; instr++) {
			/* Every ISS bit set except the FSC: only EC, SET, FnV,
			 * EA and FSC are reported. */
			uint64_t esr = (instr ? EC_IABT : EC_DABT) | IL |
				       (0x1FFFFFFULL & ~0x3FULL) | FSC_TRANS3;

			sx.nruns = 0;
			sx_push(instr ? REC_EVENT_INSTR_ABORT : REC_EVENT_DATA_ABORT,
				esr, 0xFFFF000012345678ULL, ipas[i], 0x77);
			assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
			assert_int_equal(sx.nruns, 1);
			expected_exit(f, &e, RMI_EXIT_SYNC);
			e.esr = esr & 0xFC001E3FULL;
			e.hpfar = (ipas[i] >> 8) & ~0xFULL;
			assert_exit(f, &e);
			/* Not an unprotected abort: no SEA, no MMIO. */
			assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA), RMI_ERROR_REC, 0);
			assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_ERROR_REC, 0);
		}
	}
	/* EMPTY next to them: SEA injected, no exit. */
	sx.nruns = 0;
	sx_push(REC_EVENT_DATA_ABORT, dabt(FSC_TRANS3), 0x4000, 0x4000, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 2);
	assert_exit_reason(f, RMI_EXIT_IRQ);
	fx_teardown((void **)&f);
}

/* Host call completion (9.2 item 7) against the page's state. */
static void test_enter_host_call_completion(void **state)
{
	struct fx *f = fx_new_rtt();
	struct rec *rec = rec_of(f, 0);
	struct rmi_rec_enter *en = enter_of(f, f->run);
	struct rtt_walk w;
	uint64_t *page;

	(void)state;
	for (unsigned int i = 0; i < RMI_REC_GPRS; i++)
		en->gprs[i] = 0xC000 + i;
	/* Mapped: the results land in the structure, x0 = RSI_SUCCESS. */
	rec->host_call.pending = true;
	rec->host_call.ipa = 0x1100;
	rec->regs.gprs[0] = 0xC4000199;
	rec->regs.gprs[1] = 0x1100;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_false(rec->host_call.pending);
	assert_int_equal(sx_last_seen()->regs.gprs[0], 0);
	assert_int_equal(sx_last_seen()->regs.gprs[1], 0x1100);
	rtt_walk(gr(f->h, f->r.rd)->realm, 0x1000, 3, &w);
	page = granule_priv(f->h->rmm,
			    granule_find(f->h->rmm, s2tte_pa(w.table[w.index], 3)));
	assert_int_equal(page[0x100 / 8], 0x5A5A5A5A5A5A5A5AULL);	/* imm */
	for (unsigned int i = 0; i < RMI_REC_GPRS; i++)
		assert_int_equal(page[0x108 / 8 + i], 0xC000 + i);
	/* Not mapped (RAM unassigned / DESTROYED): an abort exit at once,
	 * without running, the call still pending. */
	for (unsigned int k = 0; k < 2; k++) {
		uint64_t ipa = k == 0 ? 0x3200 : 0x2000;
		struct rmi_rec_exit e;

		sx.nruns = 0;
		rec->host_call.pending = true;
		rec->host_call.ipa = ipa;
		rec->regs.gprs[0] = 0xC4000199;
		assert_rmi(enter(f, 0, RMI_REC_ENTER_TRAP_WFI), RMI_SUCCESS, 0);
		assert_int_equal(sx.nruns, 0);
		memset(&e, 0, sizeof(e));
		e.exit_reason = RMI_EXIT_SYNC;
		e.esr = 0x90000000ULL | (0x04 + 3);
		e.hpfar = ipa >> 8;
		assert_exit(f, &e);
		assert_true(rec->host_call.pending);
		assert_int_equal(rec->regs.gprs[0], 0xC4000199);
	}
	/* EMPTY: results dropped, x0 unchanged. */
	rec->host_call.ipa = 0x5000;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_false(rec->host_call.pending);
	assert_int_equal(sx_last_seen()->regs.gprs[0], 0xC4000199);
	fx_teardown((void **)&f);
}

/* An unmapped host-call page where the walk stops above level 3: the fault
 * level is that level; EMPTY at the root drops the results. */
static void test_enter_host_call_level(void **state)
{
	struct fx *f = fx_new(NULL, false);
	struct rec *rec = rec_of(f, 0);
	struct rmi_rec_exit e;

	(void)state;
	/* Level-1 root (s2sz 40): [1 GB, 2 GB) becomes one RAM entry. */
	assert_rmi(h_call(f->h, RMI_RTT_INIT_RIPAS, f->r.rd, 0x40000000, 0x80000000,
			  0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(f->h, RMI_REALM_ACTIVATE, f->r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	rec->host_call.pending = true;
	rec->host_call.ipa = 0x40000100;
	rec->regs.gprs[0] = 0xC4000199;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 0);
	memset(&e, 0, sizeof(e));
	e.exit_reason = RMI_EXIT_SYNC;
	e.esr = 0x90000000ULL | (0x04 + 1);
	e.hpfar = 0x40000100 >> 8;
	assert_exit(f, &e);
	assert_true(rec->host_call.pending);
	/* EMPTY at the root: dropped. */
	rec->host_call.ipa = 0x100;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_false(rec->host_call.pending);
	assert_int_equal(sx_last_seen()->regs.gprs[0], 0xC4000199);
	fx_teardown((void **)&f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_enter_run_ptr),
		T(test_enter_rec),
		T(test_enter_running),
		cmocka_unit_test(test_enter_realm_new),
		T(test_enter_not_runnable),
		T(test_enter_gic_hcr),
		T(test_enter_gic_lrs),
		T(test_enter_gic_duplicates),
		cmocka_unit_test(test_enter_gic_num_lrs),
		cmocka_unit_test(test_enter_gic_zero_lrs),
		T(test_enter_inject_sea_check),
		T(test_exit_irq_fiq),
		T(test_exit_serror),
		T(test_exit_raised),
		T(test_exit_raised_no_injection),
		T(test_exit_wfx),
		T(test_exit_mmio_write),
		T(test_enter_mmio_completion),
		T(test_enter_inject_sea),
		T(test_exit_abort_injected),
		T(test_exit_external_abort),
		T(test_exit_sysreg),
		T(test_exit_hvc),
		T(test_exit_unknown_event),
		T(test_exit_bounded_loop),
		T(test_exit_executor_error),
		T(test_enter_no_executor),
		T(test_enter_exit_write_fails),
		T(test_enter_concurrent_calls),
		T(test_smc_not_supported),
		T(test_smc_versions),
		T(test_psci_features),
		T(test_psci_cpu_suspend),
		T(test_psci_cpu_off),
		cmocka_unit_test(test_psci_system_off),
		T(test_psci_cpu_on_checks),
		T(test_psci_cpu_on),
		T(test_psci_cpu_on_denied),
		T(test_psci_affinity_info),
		T(test_psci_complete_checks),
		T(test_psci_complete_caller_running),
		T(test_enter_ripas_completion),
		cmocka_unit_test(test_exit_protected_abort),
		cmocka_unit_test(test_enter_host_call_level),
		cmocka_unit_test(test_enter_host_call_completion),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
