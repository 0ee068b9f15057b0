/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The executor hooks of executor.h a lazy executor relies on (the KVM
 * executor): MMIO completed by the executor (REC_EVENT_MMIO_BY_EXECUTOR,
 * complete_mmio), registers synced before the core touches one an event
 * did not promise (sync_regs), and stage-2 changes (s2_changed, s2_gen).
 * Driven through the scripted executor with these hooks added.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "harness.h"
#include "rmmemu/executor.h"
#include "rmmemu/granule.h"
#include "rmmemu/realm.h"
#include "rmmemu/rec.h"

#include "scripted.h"

#define EC_DABT		(0x24ULL << 26)
#define IL		(1ULL << 25)
#define ISV		(1ULL << 24)
#define SAS(n)		((uint64_t)(n) << 22)
#define SSE		(1ULL << 21)
#define SRT(n)		((uint64_t)(n) << 16)
#define SF		(1ULL << 15)
#define WNR		(1ULL << 6)
#define FSC_TRANS3	0x07ULL

/* What the hooks saw. */
static struct {
	unsigned int syncs;
	struct rec *synced[8];
	unsigned int completes;
	struct rec *completed;
	uint64_t value;
	unsigned int s2_changes;
	bool rd_locked;
} hk;

static struct rmm_executor_ops hk_ops;

static void hk_sync(void *ctx, struct rec *rec)
{
	assert_ptr_equal(ctx, &sx);
	if (hk.syncs < 8)
		hk.synced[hk.syncs] = rec;
	hk.syncs++;
}

static void hk_complete(void *ctx, struct rec *rec, uint64_t value)
{
	assert_ptr_equal(ctx, &sx);
	hk.completes++;
	hk.completed = rec;
	hk.value = value;
}

static void hk_s2_changed(void *ctx, struct realm *r)
{
	assert_ptr_equal(ctx, &sx);
	hk.s2_changes++;
	/* Called with the RD lock held. */
	hk.rd_locked = pthread_mutex_trylock(&r->g_rd->lock) == EBUSY;
	if (!hk.rd_locked)
		pthread_mutex_unlock(&r->g_rd->lock);
}

static int hk_setup(void **state)
{
	struct fx *f;

	fx_setup(state);
	f = *state;
	hk_ops = sx_ops;
	hk_ops.sync_regs = hk_sync;
	hk_ops.complete_mmio = hk_complete;
	hk_ops.s2_changed = hk_s2_changed;
	rmm_set_executor(f->h->rmm, &hk_ops, &sx);
	memset(&hk, 0, sizeof(hk));
	return 0;
}

/* An emulatable access at an unprotected IPA that the executor completes. */
static void exec_mmio_exit(struct fx *f, uint64_t iss)
{
	struct sx_step *st = sx_push(REC_EVENT_DATA_ABORT, EC_DABT | IL | ISV | iss |
				     FSC_TRANS3, IPA_UNPROT + 0x10, IPA_UNPROT + 0x10, 0xAB);

	st->ev.flags = REC_EVENT_MMIO_BY_EXECUTOR;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(exit_of(f, f->run)->exit_reason, RMI_EXIT_SYNC);
}

/* EMULATED_MMIO: the executor gets the value masked and extended as 9.2
 * item 3 says; the core leaves Rt and PC alone and syncs nothing. */
static void test_complete_read(void **state)
{
	struct fx *f = *state;
	const struct {
		uint64_t iss, host, value;
	} cases[] = {
		{ SAS(1) | SRT(9) | SSE | SF, 0xFFFF8000ULL, 0xFFFFFFFFFFFF8000ULL },
		{ SAS(2) | SRT(3), 0x1122334455667788ULL, 0x55667788ULL },
		{ SAS(0) | SRT(31), 0x1FFULL, 0xFFULL },
		{ SAS(3) | SRT(0) | SF, 0x0123456789ABCDEFULL, 0x0123456789ABCDEFULL },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rec_regs before;

		exec_mmio_exit(f, cases[i].iss);
		before = rec_of(f, 0)->regs;
		hk.completes = 0;
		enter_of(f, f->run)->gprs[0] = cases[i].host;
		assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_SUCCESS, 0);
		assert_int_equal(hk.completes, 1);
		assert_ptr_equal(hk.completed, rec_of(f, 0));
		assert_int_equal(hk.value, cases[i].value);
		assert_memory_equal(&sx_last_seen()->regs, &before, sizeof(before));
		assert_int_equal(hk.syncs, 0);
	}
}

/* A write is completed with 0; without EMULATED_MMIO nothing is completed
 * (the executor re-executes the access). */
static void test_complete_write_and_reexecute(void **state)
{
	struct fx *f = *state;

	exec_mmio_exit(f, SAS(3) | SRT(4) | SF | WNR);
	assert_int_equal(exit_of(f, f->run)->gprs[0], 0xAB);
	enter_of(f, f->run)->gprs[0] = 0x5555;
	assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_SUCCESS, 0);
	assert_int_equal(hk.completes, 1);
	assert_int_equal(hk.value, 0);
	exec_mmio_exit(f, SAS(3) | SRT(4) | SF);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(hk.completes, 1);
	assert_int_equal(hk.syncs, 0);
}

/* Without the flag the core completes the access itself, after a sync. */
static void test_complete_by_core(void **state)
{
	struct fx *f = *state;
	uint64_t pc = rec_of(f, 0)->regs.pc;

	sx_push(REC_EVENT_DATA_ABORT, EC_DABT | IL | ISV | SAS(3) | SRT(6) | SF | FSC_TRANS3,
		IPA_UNPROT, IPA_UNPROT, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	enter_of(f, f->run)->gprs[0] = 0x6666;
	assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_SUCCESS, 0);
	assert_int_equal(hk.completes, 0);
	assert_int_equal(hk.syncs, 1);
	assert_int_equal(sx_last_seen()->regs.gprs[6], 0x6666);
	assert_int_equal(sx_last_seen()->regs.pc, pc + 4);
}

/* Every injected exception is preceded by a sync of the REC: INJECT_SEA
 * (after an executor-completed access, which is then not completed), an
 * abort at EMPTY memory, HVC. */
static void test_sync_before_inject(void **state)
{
	struct fx *f = *state;
	struct rec *rec = rec_of(f, 0);

	exec_mmio_exit(f, SAS(2) | SRT(1));
	assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA | RMI_REC_ENTER_EMULATED_MMIO),
		   RMI_SUCCESS, 0);
	assert_int_equal(hk.syncs, 1);
	assert_ptr_equal(hk.synced[0], rec);
	assert_int_equal(hk.completes, 0);
	assert_int_equal(sx_last_seen()->regs.pc, VBAR + 0x200);

	sx_push(REC_EVENT_DATA_ABORT, EC_DABT | IL | FSC_TRANS3, 0x1000, 0x1000, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(hk.syncs, 2);

	sx_push(REC_EVENT_HVC, 0, 0, 0, 0)->pc_add = 4;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(hk.syncs, 3);
	assert_int_equal(sx_last_seen()->regs.esr_el1, 0x02000000);
}

/* An SMC answered by the RMM needs no sync (its registers are promised). */
static void test_no_sync_for_calls(void **state)
{
	struct fx *f = *state;

	sx_smc(0xC4000190, 0x10000, 0, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx_last_seen()->regs.gprs[0], 0);
	assert_int_equal(hk.syncs, 0);
}

/* PSCI_COMPLETE of CPU_ON syncs the caller (its SCTLR_EL1.EE) and the
 * target (whose PC, x0, PSTATE, SCTLR_EL1 change). */
static void test_sync_psci_complete(void **state)
{
	struct fx *f = *state;

	sx_smc(0xC4000003, 1, 0x40001000, 0x77);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(hk.syncs, 0);
	assert_rmi(h_call(f->h, RMI_PSCI_COMPLETE, f->rec[0], f->rec[1], 0, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(hk.syncs, 2);
	assert_true((hk.synced[0] == rec_of(f, 0) && hk.synced[1] == rec_of(f, 1)) ||
		    (hk.synced[0] == rec_of(f, 1) && hk.synced[1] == rec_of(f, 0)));
	assert_int_equal(rec_of(f, 1)->regs.pc, 0x40001000);
}

/* Commands that change what the stage 2 maps bump s2_gen and call
 * s2_changed under the RD lock; the ones that only reshape tables do not. */
static void test_s2_changed(void **state)
{
	struct fx *f = *state;
	struct harness *h = f->h;
	struct realm *r = realm_of(f);
	uint64_t data = h_delegated(h), gen = r->s2_gen;
	uint64_t desc = h_alloc(h);

	h_rtt_create_to(h, &f->r, 0x200000, 3);
	h_rtt_create_to(h, &f->r, IPA_UNPROT, 3);
	assert_int_equal(hk.s2_changes, 0);
	assert_int_equal(r->s2_gen, gen);
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, f->r.rd, data, 0x200000, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(hk.s2_changes, 1);
	assert_true(hk.rd_locked);
	assert_rmi(h_call(h, RMI_RTT_MAP_UNPROTECTED, f->r.rd, IPA_UNPROT, 3,
			  desc | 0xD8, 0), RMI_SUCCESS, 0);
	assert_int_equal(hk.s2_changes, 2);
	assert_rmi(h_call(h, RMI_RTT_UNMAP_UNPROTECTED, f->r.rd, IPA_UNPROT, 3, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(hk.s2_changes, 3);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, f->r.rd, 0x200000, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(hk.s2_changes, 4);
	assert_true(hk.rd_locked);
	assert_int_equal(r->s2_gen, gen + 4);
	/* A failed command changes nothing. */
	assert_rmi(h_call(h, RMI_DATA_DESTROY, f->r.rd, 0x200000, 0, 0, 0),
		   RMI_ERROR_RTT, 3);
	assert_int_equal(hk.s2_changes, 4);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, hk_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_complete_read),
		T(test_complete_write_and_reexecute),
		T(test_complete_by_core),
		T(test_sync_before_inject),
		T(test_no_sync_for_calls),
		T(test_sync_psci_complete),
		T(test_s2_changed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
