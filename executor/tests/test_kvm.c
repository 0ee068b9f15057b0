/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The KVM executor with realm code that really runs (executor/tests/
 * payloads.S), inside the devbox or on an arm64 machine with /dev/kvm
 * (skipped, exit status 77, without it). Each test builds a realm with the
 * core in this process (RTTs, RIPAS, the payload page as DATA, RECs),
 * enters it and checks the REC exits against rmi-1.0.md 9 and rsi-1.0.md.
 * The last test measures the REC exit round trip against a plain KVM MMIO
 * exit in the same machine and prints the ratio (not asserted);
 * `test_kvm --round-trip [ROUNDS]` runs only that one, ROUNDS times
 * (bench/realm-bench).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "executor/kvm-uapi.h"

#include "executor/kvm.h"
#include "rmmemu/granule.h"
#include "rmmemu/log.h"
#include "rmmemu/rec.h"
#include "rmmemu/rmm.h"
#include "rmmemu/tests/harness.h"

extern const uint8_t kvm_payload_start[], kvm_payload_end[];
extern const uint8_t payload_mmio[], payload_mmio_loop[], payload_calls[],
	payload_load[], payload_load_insn[], payload_load_loop[], payload_hvc[],
	payload_hvc_insn[], payload_cpu_on[], payload_spin[], payload_timers[],
	payload_timer_expiry[],
	payload_vtimer[], payload_spi[], payload_wfi[], payload_wfe[], payload_serror[];

/* The realm (payloads.S): s2sz 40, code at CODE_IPA, RIPAS RAM over
 * [CODE_IPA, RAM_TOP) with DATA_PAGE assigned and UNASSIGNED_PAGE not,
 * EMPTY_PAGE outside it. */
#define S2SZ		40
#define CODE_IPA	0x40000000ULL
#define DATA_PAGE	(CODE_IPA + 0x9000)
#define UNASSIGNED_PAGE	(CODE_IPA + 0xA000)
#define RAM_TOP		(CODE_IPA + 0x10000)
#define EMPTY_PAGE	(CODE_IPA + 0x20000)
#define MMIO		((1ULL << (S2SZ - 1)) | 0x0a000000ULL)

/* rec_exit.esr of an emulatable access to MMIO (rmi-1.0.md 9.3): EC 0x24,
 * ISV, SAS, SF, WnR, FSC translation fault at level 1 (where the walk of
 * the empty unprotected half stops). */
#define EC_DABT		(0x24ULL << 26)
#define ISV		(1ULL << 24)
#define SAS(n)		((uint64_t)(n) << 22)
#define SF		(1ULL << 15)
#define WNR		(1ULL << 6)
#define FSC_L1		0x05ULL
#define FSC_L3		0x07ULL
#define MMIO_ESR(sas, write)	(EC_DABT | ISV | SAS(sas) | ((sas) == 3 ? SF : 0) | \
				 ((write) ? WNR : 0) | FSC_L1)

struct kt {
	struct harness *h;
	struct kvm_executor *ex;
	struct h_realm r;
	uint64_t rec[2];
	uint64_t data;		/* DATA granule of DATA_PAGE */
	uint64_t run;
};

static struct kvm_executor *executor;

static uint64_t code_off(const uint8_t *label)
{
	return (uint64_t)(label - kvm_payload_start);
}

static uint64_t code_ipa(const uint8_t *label)
{
	return CODE_IPA + code_off(label);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void data_create(struct kt *t, uint64_t ipa, const void *src, uint64_t *pa)
{
	uint64_t ns = h_alloc(t->h), data = h_delegated(t->h);

	memcpy(h_ns(t->h, ns), src, RMI_GRANULE_SIZE);
	assert_rmi(h_call(t->h, RMI_DATA_CREATE, t->r.rd, data, ipa, ns,
			  RMI_NO_MEASURE_CONTENT), RMI_SUCCESS, 0);
	if (pa != NULL)
		*pa = data;
}

static uint64_t rec_create(struct kt *t, unsigned int index, bool runnable,
			   const uint8_t *entry, uint64_t x1, uint64_t x2)
{
	uint64_t params = h_alloc(t->h), rec = h_delegated(t->h);
	struct rmi_rec_params *p = h_ns(t->h, params);

	memset(p, 0, sizeof(*p));
	p->flags = runnable ? RMI_REC_CREATE_RUNNABLE : 0;
	p->mpidr = index;
	p->pc = code_ipa(entry);
	p->gprs[1] = x1;
	p->gprs[2] = x2;
	p->num_aux = RMI_REC_AUX_GRANULES;
	for (unsigned int i = 0; i < RMI_REC_AUX_GRANULES; i++)
		p->aux[i] = h_delegated(t->h);
	assert_rmi(h_call(t->h, RMI_REC_CREATE, t->r.rd, rec, params, 0, 0), RMI_SUCCESS, 0);
	return rec;
}

static struct kt *kt_new_recs(const uint8_t *entry, uint64_t x1, uint64_t x2,
			      const uint8_t *entry1, uint64_t rec1_x1, bool rec1_runnable);

/* An ACTIVE realm running the payload: REC 0 at entry with x1, x2; REC 1
 * (not runnable, spinning) too when asked. */
static struct kt *kt_new(const uint8_t *entry, uint64_t x1, uint64_t x2, bool rec1)
{
	return kt_new_recs(entry, x1, x2, rec1 ? payload_spin : NULL, 0, false);
}

static struct kt *kt_new_recs(const uint8_t *entry, uint64_t x1, uint64_t x2,
			      const uint8_t *entry1, uint64_t rec1_x1, bool rec1_runnable)
{
	struct kt *t = calloc(1, sizeof(*t));
	uint8_t page[RMI_GRANULE_SIZE];
	uint64_t size = (uint64_t)(kvm_payload_end - kvm_payload_start);

	assert_non_null(t);
	t->h = h_new(NULL);
	t->ex = executor;
	kvm_executor_set_slice(executor, 0);
	rmm_set_executor(t->h->rmm, kvm_executor_ops(), executor);
	h_realm_create(t->h, &t->r, S2SZ, RMI_HASH_SHA_256);
	h_rtt_create_to(t->h, &t->r, CODE_IPA, 3);
	assert_rmi(h_call(t->h, RMI_RTT_INIT_RIPAS, t->r.rd, CODE_IPA, RAM_TOP, 0, 0),
		   RMI_SUCCESS, 0);
	assert_true(size <= DATA_PAGE - CODE_IPA);
	for (uint64_t off = 0; off < size; off += RMI_GRANULE_SIZE)
		data_create(t, CODE_IPA + off, kvm_payload_start + off, NULL);
	memset(page, 0, sizeof(page));
	memcpy(page + 0x10, "\x21\x43\x65\x87\xa9\xcb\xed\x0f", 8);
	data_create(t, DATA_PAGE, page, &t->data);
	t->rec[0] = rec_create(t, 0, true, entry, x1, x2);
	if (entry1 != NULL)
		t->rec[1] = rec_create(t, 1, rec1_runnable, entry1, rec1_x1, 0);
	assert_rmi(h_call(t->h, RMI_REALM_ACTIVATE, t->r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	t->run = h_alloc(t->h);
	memset(h_ns(t->h, t->run), 0, RMI_GRANULE_SIZE);
	return t;
}

static void kt_free(struct kt *t)
{
	h_free(t->h);
	free(t);
}

static struct rmi_rec_enter *enter_of(struct kt *t)
{
	return h_ns(t->h, t->run);
}

static struct rmi_rec_exit *exit_of(struct kt *t)
{
	return h_ns(t->h, t->run + 0x800);
}

/* One REC_ENTER of REC i with flags and enter.gprs[0] = x0. */
static uint64_t kt_enter_once(struct kt *t, unsigned int i, uint64_t flags, uint64_t x0)
{
	enter_of(t)->flags = flags;
	enter_of(t)->gprs[0] = x0;
	return h_call(t->h, RMI_REC_ENTER, t->rec[i], t->run, 0, 0, 0);
}

/* REC_ENTER until an exit other than IRQ, as a host does: an IRQ exit may
 * come at any time (the time slice; the devbox is slow). */
static uint64_t kt_enter(struct kt *t, unsigned int i, uint64_t flags, uint64_t x0)
{
	uint64_t ret = kt_enter_once(t, i, flags, x0);

	for (unsigned int n = 0; n < 1000 && ret == RMI_SUCCESS &&
	     exit_of(t)->exit_reason == RMI_EXIT_IRQ; n++)
		ret = kt_enter_once(t, i, 0, 0);
	return ret;
}

/* The exit of an emulatable store to MMIO + off of value (8 bytes unless
 * sas says otherwise). */
static void assert_store(struct kt *t, uint64_t off, unsigned int sas, uint64_t value)
{
	const struct rmi_rec_exit *e = exit_of(t);

	assert_int_equal(e->exit_reason, RMI_EXIT_SYNC);
	assert_int_equal(e->esr, MMIO_ESR(sas, true));
	assert_int_equal(e->far, off);
	assert_int_equal(e->hpfar, (MMIO >> 8) & ~0xFULL);
	assert_int_equal(e->gprs[0], value);
	for (unsigned int i = 1; i < RMI_REC_GPRS; i++)
		assert_int_equal(e->gprs[i], 0);
}

static void assert_load(struct kt *t, uint64_t off, unsigned int sas)
{
	const struct rmi_rec_exit *e = exit_of(t);

	assert_int_equal(e->exit_reason, RMI_EXIT_SYNC);
	assert_int_equal(e->esr, MMIO_ESR(sas, false));
	assert_int_equal(e->far, off);
	assert_int_equal(e->hpfar, (MMIO >> 8) & ~0xFULL);
	assert_int_equal(e->gprs[0], 0);
}

/* The next store of the realm, after answering the previous exit. */
static void next_store(struct kt *t, unsigned int rec, uint64_t off, uint64_t value)
{
	assert_rmi(kt_enter(t, rec, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	assert_store(t, off, 3, value);
}

/* ---- emulated MMIO ---------------------------------------------------------------- */

static void test_mmio(void **state)
{
	struct kt *t = kt_new(payload_mmio, 0x1122334455667788ULL, 0, false);

	(void)state;
	/* A store: emulatable exit with the data in gprs[0] (9.3). */
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0, 3, 0x1122334455667788ULL);
	/* ldr w2: the host's answer masked to 4 bytes (9.2 item 3), seen by
	 * the store of x2 that follows. */
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	assert_load(t, 0x08, 2);
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0xAABBCCDDEEFF0011ULL),
		   RMI_SUCCESS, 0);
	assert_store(t, 0x10, 3, 0xEEFF0011ULL);
	/* ldrb w3, then strh w3. */
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	assert_load(t, 0x18, 0);
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0x1FFULL), RMI_SUCCESS, 0);
	assert_store(t, 0x1a, 1, 0xFFULL);
	/* ldr x5: re-entered without EMULATED_MMIO, the load runs again
	 * (same exit); then answered. */
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	assert_load(t, 0x20, 3);
	assert_rmi(kt_enter(t, 0, 0, 0x999), RMI_SUCCESS, 0);
	assert_load(t, 0x20, 3);
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0x0123456789ABCDEFULL),
		   RMI_SUCCESS, 0);
	assert_store(t, 0x28, 3, 0x0123456789ABCDEFULL);
	/* ldrsh x6, ldrsb w7, ldrsw x8: sign extended to the register (9.2
	 * item 3; the executor's own completion, kvm-run.c). */
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	assert_load(t, 0x30, 1);
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0x8001), RMI_SUCCESS, 0);
	assert_store(t, 0x38, 3, 0xFFFFFFFFFFFF8001ULL);
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	assert_load(t, 0x40, 0);
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0x80), RMI_SUCCESS, 0);
	assert_store(t, 0x48, 3, 0xFFFFFF80ULL);
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	assert_load(t, 0x50, 2);
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0xFFFFFFFF7FFFFFFFULL),
		   RMI_SUCCESS, 0);
	assert_store(t, 0x58, 3, 0x7FFFFFFFULL);
	kt_free(t);
}

/* ---- realm calls -------------------------------------------------------------------- */

static void test_calls(void **state)
{
	struct kt *t = kt_new(payload_calls, 0, 0, false);
	uint8_t rim[64];
	uint64_t rim0;
	size_t size;

	(void)state;
	assert_int_equal(rmm_realm_measurement(t->h->rmm, t->r.rd, 0, rim, &size), 0);
	memcpy(&rim0, rim, sizeof(rim0));
	/* RSI_VERSION answered by the RMM, no exit: x0..x2, x3 = 0, x4 kept
	 * (rsi-1.0.md 1, 3). */
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x00, 3, 0);
	next_store(t, 0, 0x08, 0x10000);
	next_store(t, 0, 0x10, 0x10000);
	next_store(t, 0, 0x18, 0);
	next_store(t, 0, 0x20, 0x4444);
	/* RSI_MEASUREMENT_READ(RIM): x1..x8 the zero-padded RIM (5.1). */
	next_store(t, 0, 0x28, 0);
	next_store(t, 0, 0x30, rim0);
	next_store(t, 0, 0x38, 0);
	next_store(t, 0, 0x40, 0x10001);		/* PSCI_VERSION 1.1 */
	next_store(t, 0, 0x48, ~0ULL);			/* NOT_SUPPORTED */
	/* SYSTEM_OFF: a PSCI exit, then the realm never runs again (8). */
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	assert_int_equal(exit_of(t)->exit_reason, RMI_EXIT_PSCI);
	assert_int_equal(exit_of(t)->gprs[0], 0x84000008ULL);
	assert_int_equal(exit_of(t)->gprs[1], 0);
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_ERROR_REALM, 1);
	kt_free(t);
}

/* ---- aborts --------------------------------------------------------------------------- */

/* A load from RAM not yet mapped: a non-emulatable exit; once the host has
 * mapped a page the load runs again and reads it (rmi-1.0.md 9.3). */
static void test_unassigned(void **state)
{
	struct kt *t = kt_new(payload_load, UNASSIGNED_PAGE + 0x10, 0, false);
	const struct rmi_rec_exit *e = exit_of(t);
	uint64_t data = h_delegated(t->h);
	uint8_t *priv;

	(void)state;
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(e->exit_reason, RMI_EXIT_SYNC);
	assert_int_equal(e->esr, EC_DABT | FSC_L3);
	assert_int_equal(e->far, 0);
	assert_int_equal(e->hpfar, UNASSIGNED_PAGE >> 8);
	assert_int_equal(e->gprs[0], 0);
	/* Not emulatable: no MMIO answer, no SEA (8.13 items 9, 10). */
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_ERROR_REC, 0);
	assert_rmi(h_call(t->h, RMI_DATA_CREATE_UNKNOWN, t->r.rd, data, UNASSIGNED_PAGE, 0, 0),
		   RMI_SUCCESS, 0);
	priv = granule_priv(t->h->rmm, granule_find(t->h->rmm, data));
	memcpy(priv + 0x10, "\xef\xcd\xab\x89\x67\x45\x23\x01", 8);
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x50, 3, 0x0123456789ABCDEFULL);
	kt_free(t);
}

/* A load from EMPTY memory: an SEA injected, no exit (9.3, 9.5); the
 * realm's vector reports ESR_EL1, FAR_EL1, ELR_EL1, SPSR_EL1. */
static void test_empty(void **state)
{
	struct kt *t = kt_new(payload_load, EMPTY_PAGE + 0x28, 0, false);
	/* The abort's syndrome with EC "same EL", EA, FSC SEA (9.5). */
	uint64_t esr = (0x25ULL << 26) | ESR_IL | ISV | SAS(3) | SF | ESR_EA | 0x10;

	(void)state;
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x100, 3, esr);
	next_store(t, 0, 0x108, EMPTY_PAGE + 0x28);
	next_store(t, 0, 0x110, code_ipa(payload_load_insn));
	next_store(t, 0, 0x118, REC_PSTATE_EL1H_DAIF);
	kt_free(t);
}

/* A page that goes while the REC runs: the REC stops using it at once. */
struct bg_enter {
	struct kt *t;
	unsigned int rec;
	uint64_t ret, ns;
	pthread_t thread;
};

static void *bg_enter_fn(void *arg)
{
	struct bg_enter *b = arg;
	uint64_t t0 = now_ns();

	b->ret = kt_enter_once(b->t, b->rec, 0, 0);
	b->ns = now_ns() - t0;
	return NULL;
}

static void bg_start(struct bg_enter *b, struct kt *t, unsigned int rec)
{
	b->t = t;
	b->rec = rec;
	assert_int_equal(pthread_create(&b->thread, NULL, bg_enter_fn, b), 0);
}

/* Until REC i is inside REC_ENTER, then a little longer (it runs). */
static void wait_running(struct kt *t, unsigned int i)
{
	struct granule *g = granule_find(t->h->rmm, t->rec[i]);

	while (__atomic_load_n(&g->refcount, __ATOMIC_ACQUIRE) == 0)
		usleep(1000);
	usleep(50000);
}

static void test_unmap_running(void **state)
{
	struct kt *t = kt_new(payload_load_loop, DATA_PAGE, 0, false);
	const struct rmi_rec_exit *e = exit_of(t);
	struct bg_enter b;

	(void)state;
	kvm_executor_set_slice(executor, 10000000);
	bg_start(&b, t, 0);
	wait_running(t, 0);
	assert_rmi(h_call(t->h, RMI_DATA_DESTROY, t->r.rd, DATA_PAGE, 0, 0, 0), RMI_SUCCESS, 0);
	pthread_join(b.thread, NULL);
	assert_rmi(b.ret, RMI_SUCCESS, 0);
	/* spec: RIPAS DESTROYED, a non-emulatable abort (9.3). */
	assert_int_equal(e->exit_reason, RMI_EXIT_SYNC);
	assert_int_equal(e->esr, EC_DABT | FSC_L3);
	assert_int_equal(e->hpfar, DATA_PAGE >> 8);
	printf("# page destroyed under a running REC: exit after %.1f ms in REC_ENTER\n",
	       b.ns / 1e6);
	kt_free(t);
}

/*
 * Two RECs running MMIO loops on two threads while the host keeps changing
 * the realm's stage 2 (DATA_DESTROY, DATA_CREATE_UNKNOWN): every change
 * stops both vCPUs for the memslot update (the gate, kvm-run.c); no store
 * is lost or repeated, nothing hangs.
 */
struct loop_rec {
	struct kt *t;
	unsigned int rec, n, irqs;
	uint64_t run, first, bad;
	bool done;
	pthread_t thread;
};

static void loop_rec(struct loop_rec *l);

static void *loop_rec_fn(void *arg)
{
	struct loop_rec *l = arg;

	loop_rec(l);
	__atomic_store_n(&l->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void loop_rec(struct loop_rec *l)
{
	struct rmi_rec_run *run = h_ns(l->t->h, l->run);
	uint64_t want = l->first, flags = 0;

	for (unsigned int i = 0; i < l->n;) {
		uint64_t x[7] = { RMI_REC_ENTER, l->t->rec[l->rec], l->run }, out[5];

		run->enter.flags = flags;
		rmm_call(l->t->h->rmm, x, out);
		if (out[0] != RMI_SUCCESS) {
			l->bad = out[0];
			return;
		}
		flags = 0;
		if (run->exit.exit_reason == RMI_EXIT_IRQ) {
			l->irqs++;
			continue;
		}
		if (run->exit.exit_reason != RMI_EXIT_SYNC || run->exit.gprs[0] != want) {
			l->bad = run->exit.gprs[0] | 1ULL << 63;
			return;
		}
		want++;
		i++;
		flags = RMI_REC_ENTER_EMULATED_MMIO;
	}
}

static void test_two_recs(void **state)
{
	struct kt *t = kt_new_recs(payload_mmio_loop, 1, 0, payload_mmio_loop, 1000000, true);
	struct loop_rec l[2];
	unsigned int changes = 0;

	(void)state;
	for (unsigned int i = 0; i < 2; i++) {
		l[i] = (struct loop_rec){ .t = t, .rec = i, .n = 300,
					  .first = i == 0 ? 1 : 1000000 };
		l[i].run = h_alloc(t->h);
		memset(h_ns(t->h, l[i].run), 0, RMI_GRANULE_SIZE);
		assert_int_equal(pthread_create(&l[i].thread, NULL, loop_rec_fn, &l[i]), 0);
	}
	wait_running(t, 0);
	/* Changes until both are done. */
	while (changes < 1000 && !(__atomic_load_n(&l[0].done, __ATOMIC_ACQUIRE) &&
				   __atomic_load_n(&l[1].done, __ATOMIC_ACQUIRE))) {
		assert_rmi(h_call(t->h, RMI_DATA_DESTROY, t->r.rd, DATA_PAGE, 0, 0, 0),
			   RMI_SUCCESS, 0);
		assert_rmi(h_call(t->h, RMI_DATA_CREATE_UNKNOWN, t->r.rd, t->data, DATA_PAGE,
				  0, 0), RMI_SUCCESS, 0);
		changes += 2;
		usleep(2000);
	}
	for (unsigned int i = 0; i < 2; i++) {
		pthread_join(l[i].thread, NULL);
		assert_int_equal(l[i].bad, 0);
	}
	printf("# two RECs, 2 x 300 MMIO exits, %u stage-2 changes meanwhile, %u + %u IRQ "
	       "exits\n", changes, l[0].irqs, l[1].irqs);
	kt_free(t);
}

/* HVC: UNDEFINED at the HVC (rsi-1.0.md 1, rmi-1.0.md 9.5). */
static void test_hvc(void **state)
{
	struct kt *t = kt_new(payload_hvc, 0, 0, false);

	(void)state;
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x100, 3, 0x02000000ULL);	/* EC 0, IL */
	next_store(t, 0, 0x108, 0);			/* FAR_EL1 untouched */
	next_store(t, 0, 0x110, code_ipa(payload_hvc_insn));
	next_store(t, 0, 0x118, REC_PSTATE_EL1H_DAIF);
	kt_free(t);
}

/* ---- PSCI CPU_ON ------------------------------------------------------------------------ */

static void test_cpu_on(void **state)
{
	struct kt *t = kt_new(payload_cpu_on, 0, 0, true);
	const struct rmi_rec_exit *e = exit_of(t);

	(void)state;
	/* REC 1 is off until CPU_ON completes (8.10, 8.19). */
	assert_rmi(kt_enter(t, 1, 0, 0), RMI_ERROR_REC, 0);
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(e->exit_reason, RMI_EXIT_PSCI);
	assert_int_equal(e->gprs[0], 0xC4000003ULL);
	assert_int_equal(e->gprs[1], 1);
	assert_int_equal(e->gprs[2], 0);
	assert_rmi(h_call(t->h, RMI_PSCI_COMPLETE, t->rec[0], t->rec[1], 0, 0, 0),
		   RMI_SUCCESS, 0);
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x58, 3, 0);
	/* REC 1 at the entry point with the context id, its MPIDR that of
	 * REC index 1 (5.4). */
	assert_rmi(kt_enter(t, 1, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x60, 3, 0x77);
	next_store(t, 1, 0x68, 0x80000001ULL);
	kt_free(t);
}

/* ---- kicks and the time slice -------------------------------------------------------------- */

static void test_kick(void **state)
{
	struct kt *t = kt_new(payload_spin, 0, 0, false);
	struct bg_enter b;
	uint64_t t0;
	int running;

	(void)state;
	kvm_executor_set_slice(executor, 10000000);
	bg_start(&b, t, 0);
	wait_running(t, 0);
	t0 = now_ns();
	running = rmm_rec_kick(t->h->rmm, t->rec[0]);
	pthread_join(b.thread, NULL);
	assert_int_equal(running, 1);
	assert_rmi(b.ret, RMI_SUCCESS, 0);
	assert_int_equal(exit_of(t)->exit_reason, RMI_EXIT_IRQ);
	assert_true(b.ns < 5000000000ULL);
	printf("# kick -> IRQ exit: %.2f ms\n", (now_ns() - t0) / 1e6);
	/* Not running: nothing to kick. */
	assert_int_equal(rmm_rec_kick(t->h->rmm, t->rec[0]), 0);
	kt_free(t);
}

static void test_slice(void **state)
{
	struct kt *t = kt_new(payload_spin, 0, 0, false);
	uint64_t t0, ns;

	(void)state;
	/* A slice timer this thread armed earlier has fired by now. */
	usleep(30000);
	t0 = now_ns();
	kvm_executor_set_slice(executor, 20000);
	assert_rmi(kt_enter_once(t, 0, 0, 0), RMI_SUCCESS, 0);
	ns = now_ns() - t0;
	assert_int_equal(exit_of(t)->exit_reason, RMI_EXIT_IRQ);
	assert_true(ns >= 15000000ULL);
	assert_true(ns < 5000000000ULL);
	printf("# 20 ms time slice -> IRQ exit after %.1f ms\n", ns / 1e6);
	kt_free(t);
}

/* ---- physical events and WFx -------------------------------------------------------------- */

/* REC 0 entered on another thread and, while it runs, event raised on it:
 * the REC_ENTER returns with the event's exit. */
static void raise_running(struct kt *t, enum rmm_phys_event event, uint64_t esr)
{
	struct bg_enter b;

	bg_start(&b, t, 0);
	wait_running(t, 0);
	assert_int_equal(rmm_rec_raise(t->h->rmm, t->rec[0], event, esr), 1);
	pthread_join(b.thread, NULL);
	assert_rmi(b.ret, RMI_SUCCESS, 0);
	assert_true(b.ns < 5000000000ULL);
}

/* spec: a physical FIQ and an SError the RMM reports (rmi-1.0.md 9.3), raised
 * on a running REC (rmm_rec_raise): its REC_ENTER ends with their exits; the
 * realm goes on afterwards. */
static void test_fiq_serror(void **state)
{
	const uint64_t serror = 0x2FULL << 26 | 1ULL << 25 | 6 << 10 | 0x11;	/* CE */
	const enum rmm_phys_event events[] = { RMM_PHYS_FIQ, RMM_PHYS_SERROR };
	const uint64_t reasons[] = { RMI_EXIT_FIQ, RMI_EXIT_SERROR };
	const uint64_t esrs[] = { 0, 6 << 10 | 0x11 };
	struct kt *t = kt_new(payload_spin, 0, 0, false);
	const struct rmi_rec_exit *e = exit_of(t);

	(void)state;
	kvm_executor_set_slice(executor, 10000000);
	for (unsigned int i = 0; i < 2; i++) {
		raise_running(t, events[i], events[i] == RMM_PHYS_SERROR ? serror : 0);
		assert_int_equal(e->exit_reason, reasons[i]);
		assert_int_equal(e->esr, esrs[i]);
		assert_int_equal(e->far, 0);
		assert_int_equal(e->hpfar, 0);
		assert_int_equal(e->gprs[0], 0);
	}
	kt_free(t);
}

/* spec: an SError of severity UER is reported and injected (rmi-1.0.md
 * 9.3): the realm takes it once it runs, with the ISS raised. */
static void test_serror_injected(void **state)
{
	const uint64_t iss = 3 << 10 | 1 << 9 | 0x11;	/* UER, EA, asynchronous */
	struct kt *t = kt_new(payload_serror, 0, 0, false);
	const struct rmi_rec_exit *e = exit_of(t);

	(void)state;
	kvm_executor_set_slice(executor, 10000000);
	raise_running(t, RMM_PHYS_SERROR, 0x2FULL << 26 | 1ULL << 25 | iss);
	assert_int_equal(e->exit_reason, RMI_EXIT_SERROR);
	assert_int_equal(e->esr, iss);
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	/* ESR_EL1 of the realm's SError: EC 0x2F, IL, the ISS. */
	assert_store(t, 0x130, 3, 0x2FULL << 26 | 1ULL << 25 | iss);
	kt_free(t);
}

/* REC_ENTERs with flags until an exit other than IRQ (kt_enter drops them). */
static uint64_t enter_keeping(struct kt *t, uint64_t flags)
{
	uint64_t ret = kt_enter_once(t, 0, flags, 0);

	for (unsigned int n = 0; n < 1000 && ret == RMI_SUCCESS &&
	     exit_of(t)->exit_reason == RMI_EXIT_IRQ; n++)
		ret = kt_enter_once(t, 0, flags & ~(uint64_t)RMI_REC_ENTER_EMULATED_MMIO, 0);
	return ret;
}

static void assert_wfx_exit(struct kt *t, uint64_t esr)
{
	const struct rmi_rec_exit *e = exit_of(t);

	assert_int_equal(e->exit_reason, RMI_EXIT_SYNC);
	assert_int_equal(e->esr, esr);
	assert_int_equal(e->far, 0);
	assert_int_equal(e->hpfar, 0);
	for (unsigned int i = 0; i < RMI_REC_GPRS; i++)
		assert_int_equal(e->gprs[i], 0);
}

/*
 * spec: WFI exits only when the host traps it (rmi-1.0.md 9.2 item 8), with
 * EC 0x01 and the PC past the WFI (9.3): the next exit is the store after
 * it. Untrapped, the realm waits in it until the slice ends; with only WFE
 * trapped it may leave it early (kvm-wfx.c: the polls wake it, which the
 * architecture allows), but no exit reports it.
 */
static void test_wfi(void **state)
{
	struct kt *t = kt_new(payload_wfi, 0, 0, false);
	const struct rmi_rec_exit *e = exit_of(t);
	uint64_t t0, ns;

	(void)state;
	kvm_executor_set_slice(executor, 50000);
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x90, 3, 0);
	t0 = now_ns();
	assert_rmi(kt_enter_once(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	assert_int_equal(e->exit_reason, RMI_EXIT_IRQ);
	assert_true(now_ns() - t0 >= 40000000ULL);
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x98, 3, 0);
	assert_rmi(enter_keeping(t, RMI_REC_ENTER_EMULATED_MMIO | RMI_REC_ENTER_TRAP_WFE),
		   RMI_SUCCESS, 0);
	assert_store(t, 0xa0, 3, 0);
	/* Trapped: an exit long before a 5 s slice. */
	kvm_executor_set_slice(executor, 5000000);
	t0 = now_ns();
	assert_rmi(enter_keeping(t, RMI_REC_ENTER_EMULATED_MMIO | RMI_REC_ENTER_TRAP_WFI),
		   RMI_SUCCESS, 0);
	ns = now_ns() - t0;
	assert_wfx_exit(t, 0x04000000);
	assert_true(ns < 4000000000ULL);
	printf("# trapped WFI -> SYNC exit after %.1f ms (slice 5 s)\n", ns / 1e6);
	assert_rmi(enter_keeping(t, RMI_REC_ENTER_TRAP_WFI), RMI_SUCCESS, 0);
	assert_store(t, 0xa8, 3, 0);
	kt_free(t);
}

/*
 * WFE: an exit with ISS bit 0 set for each WFE KVM saw wait while the host
 * traps WFE, none while it traps only WFI. A CPU may never trap WFE (QEMU's
 * TCG runs it as a yield): then there are none, and the count says so.
 */
static void test_wfe(void **state)
{
	struct kt *t = kt_new(payload_wfe, 100000, 0, false);
	const struct rmi_rec_exit *e = exit_of(t);
	unsigned int wfe_exits = 0;

	(void)state;
	kvm_executor_set_slice(executor, 50000);
	assert_rmi(enter_keeping(t, RMI_REC_ENTER_TRAP_WFE), RMI_SUCCESS, 0);
	assert_store(t, 0x90, 3, 0);
	for (;;) {
		assert_rmi(enter_keeping(t, RMI_REC_ENTER_EMULATED_MMIO |
					 RMI_REC_ENTER_TRAP_WFE), RMI_SUCCESS, 0);
		if (e->esr == 0x04000001ULL) {
			assert_wfx_exit(t, 0x04000001ULL);
			wfe_exits++;
			continue;
		}
		assert_store(t, 0xb0, 3, 0);
		break;
	}
	printf("# 100000 WFEs, trapped: %u WFE exits\n", wfe_exits);
	kt_free(t);
	t = kt_new(payload_wfe, 100000, 0, false);
	assert_rmi(enter_keeping(t, RMI_REC_ENTER_TRAP_WFI), RMI_SUCCESS, 0);
	assert_store(t, 0x90, 3, 0);
	assert_rmi(enter_keeping(t, RMI_REC_ENTER_EMULATED_MMIO | RMI_REC_ENTER_TRAP_WFI),
		   RMI_SUCCESS, 0);
	assert_store(t, 0xb0, 3, 0);
	kt_free(t);
}

/* ---- GIC and timers ---------------------------------------------------------------------------- */

static void test_timers(void **state)
{
	uint64_t cv = 0x0FFFFFFFFFFFFFF0ULL, cp = 0x0FFFFFFFFFFFFF00ULL;
	struct kt *t = kt_new(payload_timers, cv, cp, false);
	const struct rmi_rec_exit *e = exit_of(t);

	(void)state;
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x70, 3, 0);
	/* spec: CTL and CVAL of both timers at every exit (9.3, 9.4). */
	assert_int_equal(e->cntv_ctl, 3);	/* ENABLE, IMASK, not expired */
	assert_int_equal(e->cntv_cval, cv);
	assert_int_equal(e->cntp_ctl, 1);
	assert_int_equal(e->cntp_cval, cp);
	kt_free(t);
}

static uint64_t counter(void)
{
	uint64_t cnt;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(cnt) : : "memory");
	return cnt;
}

static uint64_t ms_ticks(unsigned int ms)
{
	uint64_t freq;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	return freq / 1000 * ms;
}

/* spec: the expiry of an enabled, unmasked timer ends the run with an IRQ
 * exit that shows it asserted (rmi-1.0.md 9.4), long before the slice. */
static void test_timer_expiry_exit(void **state)
{
	struct kt *t = kt_new(payload_timer_expiry, ms_ticks(300), 0, false);
	const struct rmi_rec_exit *e = exit_of(t);
	uint64_t cval, t0, ns;

	(void)state;
	kvm_executor_set_slice(executor, 3000000);
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	cval = e->gprs[0];
	assert_store(t, 0x80, 3, cval);
	assert_int_equal(e->cntv_ctl, 1);	/* enabled, not expired */
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x88, 3, 0);
	assert_true(counter() < cval);
	t0 = now_ns();
	assert_rmi(kt_enter_once(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	ns = now_ns() - t0;
	assert_int_equal(e->exit_reason, RMI_EXIT_IRQ);
	assert_true(counter() >= cval);
	assert_int_equal(e->cntv_ctl, 5);	/* enabled, ISTATUS */
	assert_int_equal(e->cntv_cval, cval);
	assert_true(ns < 2000000000ULL);
	printf("# timer expiry -> IRQ exit after %.1f ms (slice 3 s)\n", ns / 1e6);
	kt_free(t);
}

/* spec: a timer that expired since the last exit reported it makes
 * REC_ENTER return an IRQ exit without running the realm (rmi-1.0.md 9.4):
 * the store after the one that exited is not made before it. */
static void test_timer_changed_entry(void **state)
{
	struct kt *t = kt_new(payload_timer_expiry, ms_ticks(200), 0, false);
	const struct rmi_rec_exit *e = exit_of(t);
	uint64_t cval;

	(void)state;
	kvm_executor_set_slice(executor, 3000000);
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	cval = e->gprs[0];
	assert_store(t, 0x80, 3, cval);
	assert_int_equal(e->cntv_ctl, 1);
	while (counter() < cval)
		usleep(10000);
	assert_rmi(kt_enter_once(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	assert_int_equal(e->exit_reason, RMI_EXIT_IRQ);
	assert_int_equal(e->cntv_ctl, 5);
	/* Reported asserted now: the next REC_ENTER runs the realm. */
	assert_rmi(kt_enter_once(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x88, 3, 0);
	kt_free(t);
}

/* The virtual timer interrupt reaches the realm through the vGIC. */
static void test_vtimer(void **state)
{
	struct kt *t = kt_new(payload_vtimer, 0, 0, false);

	(void)state;
	kvm_executor_set_slice(executor, 2000000);
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x120, 3, 27);
	kt_free(t);
}

/* An SPI the host puts in a list register is taken by the realm; the exit
 * reports the LRs as entered (kvm-gic.c). */
static void test_lr_spi(void **state)
{
	struct kt *t = kt_new(payload_spi, 0, 0, false);
	uint64_t lr = (1ULL << 62) | (1ULL << 60) | (0x80ULL << 48) | 40;

	(void)state;
	kvm_executor_set_slice(executor, 2000000);
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x78, 3, 0);
	enter_of(t)->gicv3_lrs[0] = lr;
	assert_rmi(kt_enter(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
	assert_store(t, 0x120, 3, 40);
	assert_int_equal(exit_of(t)->gicv3_lrs[0], lr);
	kt_free(t);
}

/* ---- the round trip ------------------------------------------------------------------------------- */

#define ROUND_TRIPS	500
#define ROUND_TRIP_GOAL	1.5

/* Rounds of ROUND_TRIPS samples: one in make check, more with
 * --round-trip. */
static unsigned int round_trip_rounds = 1;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double median_us(uint64_t *ns, unsigned int n)
{
	qsort(ns, n, sizeof(*ns), cmp_u64);
	return ns[n / 2] / 1e3;
}

/* kvm-probe's method: a VM with the store loop in a memslot and a vGICv3
 * (as a realm's VM has), each KVM_RUN one MMIO exit. */
struct plain_vm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	void *ram;
};

static void vgic_attr(int fd, uint32_t group, uint64_t attr, const void *addr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)addr,
	};

	assert_int_equal(ioctl(fd, KVM_SET_DEVICE_ATTR, &a), 0);
}

static void vgic_create(int vm)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = 0x08000000ULL, redist = 0x080a0000ULL;

	assert_int_equal(ioctl(vm, KVM_CREATE_DEVICE, &dev), 0);
	vgic_attr((int)dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	vgic_attr((int)dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST,
		  &redist);
	vgic_attr((int)dev.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

static void plain_set_reg(struct plain_vm *p, size_t off, uint64_t val)
{
	struct kvm_one_reg reg = {
		.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (off / 4),
		.addr = (uint64_t)(uintptr_t)&val,
	};

	assert_int_equal(ioctl(p->vcpu, KVM_SET_ONE_REG, &reg), 0);
}

static void plain_vm_new(struct plain_vm *p)
{
	static const uint32_t loop[] = {
		0xf9000261,	/* 1: str x1, [x19] */
		0x91000421,	/* add x1, x1, #1 */
		0x17fffffe,	/* b 1b */
	};
	struct kvm_userspace_memory_region slot = {
		.guest_phys_addr = 0x40000000ULL, .memory_size = 0x10000,
	};
	struct kvm_vcpu_init init;

	p->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	assert_true(p->kvm >= 0);
	p->vm = ioctl(p->kvm, KVM_CREATE_VM, KVM_VM_TYPE_ARM_IPA_SIZE(S2SZ));
	assert_true(p->vm >= 0);
	p->ram = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	assert_true(p->ram != MAP_FAILED);
	memcpy(p->ram, loop, sizeof(loop));
	slot.userspace_addr = (uint64_t)(uintptr_t)p->ram;
	assert_int_equal(ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &slot), 0);
	memset(&init, 0, sizeof(init));
	assert_int_equal(ioctl(p->vm, KVM_ARM_PREFERRED_TARGET, &init), 0);
	p->vcpu = ioctl(p->vm, KVM_CREATE_VCPU, 0);
	assert_true(p->vcpu >= 0);
	assert_int_equal(ioctl(p->vcpu, KVM_ARM_VCPU_INIT, &init), 0);
	vgic_create(p->vm);
	p->run_size = (size_t)ioctl(p->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	p->run = mmap(NULL, p->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, p->vcpu, 0);
	assert_true(p->run != MAP_FAILED);
	plain_set_reg(p, offsetof(struct kvm_regs, regs.pc), 0x40000000ULL);
	plain_set_reg(p, offsetof(struct kvm_regs, regs.regs) + 19 * 8, 0x0a000000ULL);
}

static void plain_vm_free(struct plain_vm *p)
{
	munmap(p->run, p->run_size);
	close(p->vcpu);
	close(p->vm);
	close(p->kvm);
	munmap(p->ram, 0x10000);
}

static uint64_t plain_round_trip(struct plain_vm *p)
{
	uint64_t t0 = now_ns();

	assert_int_equal(ioctl(p->vcpu, KVM_RUN, 0), 0);
	assert_int_equal(p->run->exit_reason, KVM_EXIT_MMIO);
	return now_ns() - t0;
}

/*
 * One round: REC_ENTER (EMULATED_MMIO) -> the next MMIO exit, against
 * KVM_RUN -> the next MMIO exit of a plain VM running the same loop, taken
 * in turns so that both see the same machine load. *value is the store the
 * realm makes next. Prints the medians and their ratio; returns the ratio.
 */
static double round_trip_round(struct kt *t, struct plain_vm *p, uint64_t *value,
			       double *rec_us, double *kvm_us)
{
	uint64_t rec_ns[ROUND_TRIPS], kvm_ns[ROUND_TRIPS];

	for (unsigned int i = 0; i < ROUND_TRIPS;) {
		uint64_t t0 = now_ns(), dt;
		bool irq;

		assert_rmi(kt_enter_once(t, 0, RMI_REC_ENTER_EMULATED_MMIO, 0), RMI_SUCCESS, 0);
		dt = now_ns() - t0;
		/* An IRQ exit (the slice) now and then: not a sample. */
		irq = exit_of(t)->exit_reason == RMI_EXIT_IRQ;
		if (irq)
			assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
		assert_int_equal(exit_of(t)->gprs[0], (*value)++);
		if (irq)
			continue;
		rec_ns[i] = dt;
		kvm_ns[i++] = plain_round_trip(p);
	}
	*rec_us = median_us(rec_ns, ROUND_TRIPS);
	*kvm_us = median_us(kvm_ns, ROUND_TRIPS);
	printf("round trip: REC_ENTER -> MMIO exit -> REC_ENTER: median %.1f us; plain KVM "
	       "MMIO exit: median %.1f us; ratio %.2f (goal <= %.1f)\n", *rec_us, *kvm_us,
	       *rec_us / *kvm_us, ROUND_TRIP_GOAL);
	return *rec_us / *kvm_us;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void test_round_trip(void **state)
{
	struct kt *t = kt_new(payload_mmio_loop, 1, 0, false);
	unsigned int n = round_trip_rounds;
	double *rec_us = calloc(n, sizeof(double)), *kvm_us = calloc(n, sizeof(double)),
	       *ratio = calloc(n, sizeof(double));
	uint64_t value = 2;
	struct plain_vm p;

	(void)state;
	assert_true(rec_us != NULL && kvm_us != NULL && ratio != NULL);
	plain_vm_new(&p);
	(void)plain_round_trip(&p);
	assert_rmi(kt_enter(t, 0, 0, 0), RMI_SUCCESS, 0);
	assert_store(t, 0, 3, 1);
	for (unsigned int i = 0; i < n; i++)
		ratio[i] = round_trip_round(t, &p, &value, &rec_us[i], &kvm_us[i]);
	if (n > 1)
		printf("round trip: median of %u rounds of %u: REC_ENTER -> MMIO exit -> "
		       "REC_ENTER %.1f us; plain KVM MMIO exit %.1f us; ratio %.2f (goal <= "
		       "%.1f)\n", n, ROUND_TRIPS, median(rec_us, n), median(kvm_us, n),
		       median(ratio, n), ROUND_TRIP_GOAL);
	free(rec_us);
	free(kvm_us);
	free(ratio);
	plain_vm_free(&p);
	kt_free(t);
}

static int usage_error(void)
{
	fprintf(stderr, "usage: test_kvm [--round-trip [ROUNDS]]\n");
	return 2;
}

/* No arguments: every test. --round-trip [ROUNDS]: the round trip only,
 * ROUNDS rounds (default 5) and their medians. Returns -1 to go on, else
 * the exit status. */
static int parse_args(int argc, char **argv, bool *round_trip_only)
{
	unsigned long n = 5;
	char *end;

	*round_trip_only = argc > 1;
	if (argc == 1)
		return -1;
	if (strcmp(argv[1], "--round-trip") != 0 || argc > 3)
		return usage_error();
	if (argc == 3) {
		n = strtoul(argv[2], &end, 10);
		if (argv[2][0] < '0' || argv[2][0] > '9' || *end != '\0' || n < 1 || n > 1000)
			return usage_error();
	}
	round_trip_rounds = (unsigned int)n;
	return -1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmio),
		cmocka_unit_test(test_calls),
		cmocka_unit_test(test_unassigned),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_unmap_running),
		cmocka_unit_test(test_two_recs),
		cmocka_unit_test(test_hvc),
		cmocka_unit_test(test_cpu_on),
		cmocka_unit_test(test_kick),
		cmocka_unit_test(test_slice),
		cmocka_unit_test(test_fiq_serror),
		cmocka_unit_test(test_serror_injected),
		cmocka_unit_test(test_wfi),
		cmocka_unit_test(test_wfe),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_timer_expiry_exit),
		cmocka_unit_test(test_timer_changed_entry),
		cmocka_unit_test(test_vtimer),
		cmocka_unit_test(test_lr_spi),
		cmocka_unit_test(test_round_trip),
	};
	const struct CMUnitTest round_trip_only[] = {
		cmocka_unit_test(test_round_trip),
	};
	bool only;
	int err = parse_args(argc, argv, &only);

	if (err >= 0)
		return err;
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = kvm_executor_create(&executor);
	if (err == -ENODEV) {
		printf("test_kvm: no usable /dev/kvm here: skipped\n");
		return 77;
	}
	if (err != 0) {
		printf("test_kvm: kvm_executor_create: %s\n", strerror(-err));
		return 1;
	}
	if (only)
		err = cmocka_run_group_tests(round_trip_only, NULL, NULL);
	else
		err = cmocka_run_group_tests(tests, NULL, NULL);
	kvm_executor_free(executor);
	return err;
}
