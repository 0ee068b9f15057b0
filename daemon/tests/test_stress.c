/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Concurrency stress of the daemon, in-process. Three host sessions (one of
 * three joined connections, one of two, one of one), a host thread per
 * connection, all calling at once through random valid and invalid
 * sequences: REC entries, kicks and REC destruction on their session's
 * shared realm; a realm of their own created, run and destroyed over and
 * over; granules of a pool shared by the session delegated and undelegated;
 * calls that must fail with a known status; random calls with random
 * arguments; a new memory region shared by one thread of each session while
 * the others call (the core replaces its region table under RCU). An
 * observer reads the daemon's STATE meanwhile. Realms run
 * under a test executor whose runs last until kicked or a short while, so
 * that kicks, entries and destructions meet running RECs.
 *
 * The work comes in rounds. At the end of each, every thread waits and, with
 * no call in flight, the test checks rmm_check_invariants() on every session
 * and what the hosts can see: each pool granule delegated exactly as their
 * successful calls left it, no REC still running, destroyed RECs gone,
 * every region shared in the rounds usable. A
 * watchdog fails the test with every thread's state (and the kernel's view
 * of each task) when a round stalls: a deadlock does not hang the suite.
 *
 * Built with --enable-tsan this is the race detector's workload.
 * STRESS_ROUNDS and STRESS_OPS (per thread and round) scale it; STRESS_SEED
 * repeats a run (the seed is printed).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <rmmemu/client.h>
#include <rmmemu/rmi-1.0.h>

#include "host.h"
#include "tmpdir.h"

#include "daemon/server.h"
#include "rmmemu/executor.h"
#include "rmmemu/log.h"
#include "rmmemu/rec.h"

#define PAGE		HOST_PAGE
#define BASE		HOST_BASE
#define SESSIONS	3
#define WORKERS		6		/* 3 + 2 + 1 connections */
#define POOL		16		/* pool granules per session */
#define SHARED_RECS	HOST_MAX_RECS
#define KEPT_RECS	2		/* shared RECs 0 and 1 are never destroyed */
#define WATCHDOG_S	120		/* a round that takes longer is a hang */
#define RUN_MAX_US	200		/* a REC runs this long unless kicked */
#define HOTPLUG_BASE	(BASE + (1ULL << 30))	/* regions shared during rounds */
#define HOTPLUG_MAX	48

static const unsigned int session_workers[SESSIONS] = { 3, 2, 1 };

/* --- the test executor: runs last until kicked ---------------------------- */

struct stress_rec {
	atomic_bool kicked;
};

static atomic_ulong kicks_delivered;

static int stress_rec_init(void *ctx, struct rec *rec)
{
	(void)ctx;
	rec->exec = calloc(1, sizeof(struct stress_rec));
	return rec->exec != NULL ? 0 : -ENOMEM;
}

static void stress_rec_fini(void *ctx, struct rec *rec)
{
	(void)ctx;
	free(rec->exec);
	rec->exec = NULL;
}

/* The realm "runs" until a kick or RUN_MAX_US, then exits for an IRQ. */
static int stress_run(void *ctx, struct rec *rec, const struct rmi_rec_enter *enter,
		      struct rmi_rec_exit *exit, struct rec_event *ev)
{
	struct stress_rec *x = rec->exec;
	struct timespec step = { .tv_nsec = 20000 };

	(void)ctx;
	(void)enter;
	(void)exit;
	atomic_store(&x->kicked, false);
	for (unsigned int us = 0; us < RUN_MAX_US && !atomic_load(&x->kicked); us += 20)
		nanosleep(&step, NULL);
	memset(ev, 0, sizeof(*ev));
	ev->kind = REC_EVENT_IRQ;
	return 0;
}

static void stress_kick(void *ctx, struct rec *rec)
{
	struct stress_rec *x = rec->exec;

	(void)ctx;
	atomic_store(&x->kicked, true);
	atomic_fetch_add(&kicks_delivered, 1);
}

static const struct rmm_executor_ops stress_ops = {
	.name = "stress",
	.rec_init = stress_rec_init,
	.rec_fini = stress_rec_fini,
	.run = stress_run,
	.kick = stress_kick,
};

/* --- sessions and workers ------------------------------------------------- */

struct sess {
	int fd;
	uint8_t *ns;
	unsigned int pages;
	struct rmmemu_client *checker;	/* the main thread's connection */
	struct host_realm shared;
	uint64_t pool;			/* first pool granule */
	atomic_long delegated[POOL];	/* successful DELEGATEs - UNDELEGATEs */
	atomic_bool rec_gone[SHARED_RECS];
	atomic_uint hotplugged;		/* regions shared during rounds */
};

enum own_state { OWN_NONE, OWN_NEW, OWN_ACTIVE, OWN_RAN };

struct worker {
	unsigned int id;
	struct sess *s;
	struct rmmemu_client *c;
	unsigned int seed;
	/* The worker's own realm, in its own window of the session's memory. */
	struct host_realm own;
	uint8_t *own_ns;
	uint64_t own_pa;
	unsigned int own_vmid;
	bool hotplugs;			/* shares a region every round */
	enum own_state own_state;
	unsigned int own_runs;
	/* What it is doing, for the watchdog. */
	_Atomic(const char *) op;
	atomic_uint_fast64_t arg;
	atomic_ulong calls;
	atomic_uint round;
	/* The first thing that went wrong; the main thread reports it. */
	char failure[256];
	atomic_bool failed;
};

struct stress {
	struct server *srv;
	char dir[TMPDIR_DIR_SIZE];
	char sock[TMPDIR_PATH_SIZE];
	struct sess sess[SESSIONS];
	struct worker w[WORKERS];

	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int generation;	/* a new round starts */
	unsigned int arrived;		/* workers done with the round */
	bool stop;

	atomic_ulong entries, kicks_running, state_reads;
	atomic_bool observer_stop;
	char observer_failure[256];
	atomic_bool observer_failed;
};

static struct stress st;

/* --- what a worker does --------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static void worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (atomic_load(&w->failed))
		return;
	va_start(ap, fmt);
	vsnprintf(w->failure, sizeof(w->failure), fmt, ap);
	va_end(ap);
	atomic_store(&w->failed, true);
}

static unsigned int rnd(struct worker *w, unsigned int n)
{
	return (unsigned int)rand_r(&w->seed) % n;
}

/* The pool's count follows every successful DELEGATE / UNDELEGATE of a pool
 * granule, whatever op made it. */
static void pool_track(struct sess *s, const uint64_t x[7], uint64_t status)
{
	uint32_t fid = (uint32_t)x[0] & ~RMI_FID_SVE_HINT;
	uint64_t i = (x[1] - s->pool) / PAGE;

	if (status != RMI_SUCCESS || x[1] < s->pool || i >= POOL || x[1] % PAGE != 0)
		return;
	if (fid == RMI_GRANULE_DELEGATE)
		atomic_fetch_add(&s->delegated[i], 1);
	else if (fid == RMI_GRANULE_UNDELEGATE)
		atomic_fetch_sub(&s->delegated[i], 1);
}

/* One call; x0 in *status. False (and the worker failed) if the connection
 * failed: the daemon must answer every call. */
static bool call(struct worker *w, const char *op, const uint64_t x[7], uint64_t *status)
{
	uint64_t out[5];
	int err;

	atomic_store(&w->op, op);
	atomic_store(&w->arg, x[1]);
	err = rmmemu_rmi_call(w->c, x, out);
	atomic_fetch_add(&w->calls, 1);
	atomic_store(&w->op, "between calls");
	if (err) {
		worker_fail(w, "%s: the connection failed: %s", op, rmmemu_client_error(w->c, err));
		return false;
	}
	pool_track(w->s, x, out[0]);
	*status = out[0];
	return true;
}

/* A call whose status must be one of the n given. */
static void call_expect(struct worker *w, const char *op, const uint64_t x[7],
			unsigned int n, ...)
{
	uint64_t status;
	va_list ap;
	bool ok = false;

	if (!call(w, op, x, &status))
		return;
	va_start(ap, n);
	for (unsigned int i = 0; i < n; i++)
		ok = ok || va_arg(ap, uint64_t) == status;
	va_end(ap);
	if (!ok)
		worker_fail(w, "%s(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ") returned 0x%" PRIx64,
			    op, x[1], x[2], x[3], status);
}

#define ST(x)	((uint64_t)(x))	/* a status as call_expect() reads it */

static void op_enter_shared(struct worker *w)
{
	unsigned int i = rnd(w, SHARED_RECS);
	uint64_t x[7] = { RMI_REC_ENTER, w->s->shared.rec[i], host_rec_run(&w->s->shared, i) };
	uint64_t status;

	/* Entered elsewhere at this moment: ERROR_REC; destroyed: ERROR_INPUT. */
	if (!call(w, "REC_ENTER shared", x, &status))
		return;
	if (status == RMI_SUCCESS)
		atomic_fetch_add(&st.entries, 1);
	else if (status != RMI_ERROR_REC && !(status == RMI_ERROR_INPUT && i >= KEPT_RECS))
		worker_fail(w, "REC_ENTER of shared REC %u returned 0x%" PRIx64, i, status);
}

static void op_kick_shared(struct worker *w)
{
	unsigned int i = rnd(w, SHARED_RECS);
	int ret;

	atomic_store(&w->op, "KICK shared");
	atomic_store(&w->arg, w->s->shared.rec[i]);
	ret = rmmemu_rec_kick(w->c, w->s->shared.rec[i]);
	atomic_fetch_add(&w->calls, 1);
	atomic_store(&w->op, "between calls");
	if (ret == 1)
		atomic_fetch_add(&st.kicks_running, 1);
	else if (ret != 0 && !(ret == -ENOENT && i >= KEPT_RECS))
		worker_fail(w, "KICK of shared REC %u returned %d", i, ret);
}

/* RECs 2 and 3 may go; running: ERROR_REC; gone already: ERROR_INPUT. */
static void op_destroy_shared_rec(struct worker *w)
{
	unsigned int i = KEPT_RECS + rnd(w, SHARED_RECS - KEPT_RECS);
	uint64_t x[7] = { RMI_REC_DESTROY, w->s->shared.rec[i] };
	uint64_t status;

	if (!call(w, "REC_DESTROY shared", x, &status))
		return;
	if (status == RMI_SUCCESS)
		atomic_store(&w->s->rec_gone[i], true);
	else if (status != RMI_ERROR_REC && status != RMI_ERROR_INPUT)
		worker_fail(w, "REC_DESTROY of shared REC %u returned 0x%" PRIx64, i, status);
}

static void op_pool(struct worker *w)
{
	uint64_t fid = rnd(w, 2) ? RMI_GRANULE_DELEGATE : RMI_GRANULE_UNDELEGATE;
	uint64_t x[7] = { fid, w->s->pool + rnd(w, POOL) * PAGE };

	call_expect(w, "pool", x, 2, ST(RMI_SUCCESS), ST(RMI_ERROR_INPUT));
}

/* The worker's own realm: nobody else touches it, so every step's result
 * is known. */
static void op_own(struct worker *w)
{
	uint64_t enter_new[7] = { RMI_REC_ENTER, w->own.rec[0], host_rec_run(&w->own, 0) };
	uint64_t activate[7] = { RMI_REALM_ACTIVATE, w->own.rd };
	const struct rmi_rec_exit *exit;
	const char *step = NULL;
	uint64_t ret;

	atomic_store(&w->op, "own realm");
	switch (w->own_state) {
	case OWN_NONE:
		ret = host_realm_create(w->c, &w->own, w->own_ns, w->own_pa, 1, w->own_vmid,
					false, &step);
		if (ret != RMI_SUCCESS)
			worker_fail(w, "own realm: %s returned 0x%" PRIx64, step, ret);
		w->own_state = OWN_NEW;
		break;
	case OWN_NEW:
		/* spec: REC_ENTER of a NEW realm is (ERROR_REALM, 0) (8.13). */
		call_expect(w, "REC_ENTER own NEW", enter_new, 1, ST(RMI_ERROR_REALM));
		call_expect(w, "REALM_ACTIVATE own", activate, 1, ST(RMI_SUCCESS));
		w->own_state = OWN_ACTIVE;
		w->own_runs = 1 + rnd(w, 4);
		break;
	case OWN_ACTIVE:
		ret = host_rec_enter(w->c, &w->own, 0);
		exit = (const void *)(w->own_ns + (host_rec_run(&w->own, 0) - w->own_pa) + 0x800);
		if (ret != RMI_SUCCESS || exit->exit_reason != RMI_EXIT_IRQ)
			worker_fail(w, "REC_ENTER own returned 0x%" PRIx64 ", exit reason %" PRIu64,
				    ret, exit->exit_reason);
		if (--w->own_runs == 0)
			w->own_state = OWN_RAN;
		break;
	case OWN_RAN:
		ret = host_realm_destroy(w->c, &w->own);
		if (ret != RMI_SUCCESS)
			worker_fail(w, "own realm: destroying it returned 0x%" PRIx64, ret);
		w->own_state = OWN_NONE;
		break;
	}
}

/* Calls that must fail, each with the status the spec gives it whatever the
 * other threads do at the same time. */
static void op_invalid(struct worker *w)
{
	struct host_realm *sh = &w->s->shared;
	uint64_t pool = w->s->pool + rnd(w, POOL) * PAGE;
	const struct {
		const char *name;
		uint64_t x[4];
		uint64_t status, or_status;	/* or_status 0: only status */
	} calls[] = {
		/* run_ptr not NS, checked first (8.13 step 1) */
		{ "REC_ENTER bad run", { RMI_REC_ENTER, sh->rec[0], sh->rd },
		  RMI_ERROR_INPUT, 0 },
		/* an RD is not DELEGATED (8.3) */
		{ "UNDELEGATE RD", { RMI_GRANULE_UNDELEGATE, sh->rd }, RMI_ERROR_INPUT, 0 },
		/* RECs 0 and 1 live: RD refcount != 0 (8.9 step 2) */
		{ "REALM_DESTROY shared", { RMI_REALM_DESTROY, sh->rd }, RMI_ERROR_REALM, 0 },
		/* params_ptr not NS (8.7 step 1) */
		{ "REALM_CREATE bad params", { RMI_REALM_CREATE, pool, sh->rd },
		  RMI_ERROR_INPUT, 0 },
		/* aux granules in use, or the realm ACTIVE (8.10 steps 3, 6) */
		{ "REC_CREATE shared", { RMI_REC_CREATE, sh->rd, pool, sh->rec_params },
		  RMI_ERROR_INPUT, RMI_ERROR_REALM },
		/* the pool granule not DELEGATED, or no level 2 table: the walk
		 * stops at level 1 (8.5) */
		{ "DATA_CREATE_UNKNOWN", { RMI_DATA_CREATE_UNKNOWN, sh->rd, pool, 0 },
		  RMI_ERROR_INPUT, RMI_ERROR_RTT | (1 << 8) },
		/* a pool granule is never a REC (8.13 step 2) */
		{ "REC_ENTER not a REC", { RMI_REC_ENTER, pool, host_rec_run(&w->own, 0) },
		  RMI_ERROR_INPUT, 0 },
	};
	unsigned int i = rnd(w, sizeof(calls) / sizeof(calls[0]));
	uint64_t x[7] = { calls[i].x[0], calls[i].x[1], calls[i].x[2], calls[i].x[3] };

	if (calls[i].or_status != 0)
		call_expect(w, calls[i].name, x, 2, calls[i].status, calls[i].or_status);
	else
		call_expect(w, calls[i].name, x, 1, calls[i].status);
}

/* Any command, arguments from the pool or anywhere: only an answer is
 * expected. The shared and own realms' granules are left out, so that the
 * other ops keep knowing their results. */
static void op_garbage(struct worker *w)
{
	uint64_t x[7], status;

	x[0] = RMI_FID(0x150 + rnd(w, 0x20)) | (rnd(w, 4) == 0 ? RMI_FID_SVE_HINT : 0);
	for (unsigned int i = 1; i < 7; i++) {
		switch (rnd(w, 3)) {
		case 0:
			x[i] = w->s->pool + rnd(w, POOL) * PAGE;
			break;
		case 1:
			x[i] = rnd(w, 4);
			break;
		default:
			x[i] = ((uint64_t)rand_r(&w->seed) << 33) ^ (uint64_t)rand_r(&w->seed);
			break;
		}
	}
	call(w, "random call", x, &status);
}

/* A one-page region more, at the start of a round, while the session's
 * other threads call: every lookup must see the old table or the new. */
static void op_hotplug(struct worker *w)
{
	unsigned int n = atomic_load(&w->s->hotplugged);
	int fd, err;

	if (n >= HOTPLUG_MAX)
		return;
	fd = host_memfd(1);
	if (fd < 0) {
		worker_fail(w, "memfd: %s", strerror(errno));
		return;
	}
	atomic_store(&w->op, "SHARE_REGION");
	err = rmmemu_share_region(w->c, HOTPLUG_BASE + 2 * n * PAGE, PAGE, fd, 0);
	atomic_store(&w->op, "between calls");
	close(fd);
	if (err)
		worker_fail(w, "SHARE_REGION: %s", rmmemu_client_error(w->c, err));
	else
		atomic_store(&w->s->hotplugged, n + 1);
}

static void worker_op(struct worker *w)
{
	unsigned int r = rnd(w, 100);

	if (r < 25)
		op_enter_shared(w);
	else if (r < 40)
		op_kick_shared(w);
	else if (r < 42)
		op_destroy_shared_rec(w);
	else if (r < 62)
		op_pool(w);
	else if (r < 82)
		op_own(w);
	else if (r < 92)
		op_invalid(w);
	else
		op_garbage(w);
}

/* --- rounds --------------------------------------------------------------- */

static unsigned int env_uint(const char *name, unsigned int dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? (unsigned int)strtoul(v, NULL, 0) : dflt;
}

static unsigned int ops_per_round;

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int seen = 0;
	char name[16];

	snprintf(name, sizeof(name), "host %u", w->id);
	pthread_setname_np(pthread_self(), name);
	for (;;) {
		pthread_mutex_lock(&st.lock);
		while (st.generation == seen && !st.stop)
			pthread_cond_wait(&st.cond, &st.lock);
		seen = st.generation;
		if (st.stop) {
			pthread_mutex_unlock(&st.lock);
			return NULL;
		}
		pthread_mutex_unlock(&st.lock);
		atomic_store(&w->round, seen);
		if (w->hotplugs)
			op_hotplug(w);
		for (unsigned int i = 0; i < ops_per_round && !atomic_load(&w->failed); i++)
			worker_op(w);
		atomic_store(&w->op, "waiting for the round to end");
		pthread_mutex_lock(&st.lock);
		st.arrived++;
		pthread_cond_broadcast(&st.cond);
		pthread_mutex_unlock(&st.lock);
	}
}

/* STATE all along, text and JSON: formatting reads every session's state
 * while calls change it. */
static void *observer_main(void *arg)
{
	struct rmmemu_client *o;
	int err = rmmemu_connect_observer(st.sock, &o);

	(void)arg;
	pthread_setname_np(pthread_self(), "observer");
	while (err == 0 && !atomic_load(&st.observer_stop)) {
		char *text = NULL;

		err = rmmemu_state(o, (int)(atomic_load(&st.state_reads) & 1), &text);
		if (err == 0 && (text == NULL || (strstr(text, "session ") == NULL &&
						  strstr(text, "\"sessions\":[{") == NULL)))
			err = -EPROTO;
		free(text);
		atomic_fetch_add(&st.state_reads, 1);
	}
	if (err) {
		snprintf(st.observer_failure, sizeof(st.observer_failure), "STATE: %s",
			 rmmemu_client_error(o, err));
		atomic_store(&st.observer_failed, true);
	}
	rmmemu_disconnect(o);
	return NULL;
}

static void dump_task(const char *tid)
{
	char path[320], comm[64] = "?", wchan[64] = "?", stat[256] = "", *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/comm", tid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%s/wchan", tid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(wchan, sizeof(wchan), f) == NULL)
			wchan[0] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%s/stat", tid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(stat, sizeof(stat), f) == NULL)
			stat[0] = '\0';
		fclose(f);
	}
	comm[strcspn(comm, "\n")] = '\0';
	p = strrchr(stat, ')');
	fprintf(stderr, "  task %s (%s): state %c, waiting in %s\n", tid, comm,
		p != NULL && p[1] == ' ' ? p[2] : '?', wchan);
}

/* The watchdog's report: what each host thread was doing, and every task of
 * the process (the daemon's threads too) as the kernel sees it. */
static void dump_state(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	fprintf(stderr, "watchdog: round stalled for %d s; arrived %u of %u\n",
		WATCHDOG_S, st.arrived, WORKERS);
	for (unsigned int i = 0; i < WORKERS; i++) {
		struct worker *w = &st.w[i];

		fprintf(stderr, "  worker %u (session %ld): round %u, %lu calls, in %s (x1 0x%"
			PRIx64 ")\n", i, (long)(w->s - st.sess), atomic_load(&w->round),
			atomic_load(&w->calls), atomic_load(&w->op),
			(uint64_t)atomic_load(&w->arg));
	}
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			dump_task(e->d_name);
	}
	if (d != NULL)
		closedir(d);
}

/* Starts a round and waits for every worker to finish it; a stall aborts
 * with the threads' state. */
static void run_round(void)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += WATCHDOG_S;
	pthread_mutex_lock(&st.lock);
	st.arrived = 0;
	st.generation++;
	pthread_cond_broadcast(&st.cond);
	while (st.arrived < WORKERS) {
		if (pthread_cond_timedwait(&st.cond, &st.lock, &deadline) == ETIMEDOUT &&
		    st.arrived < WORKERS) {
			dump_state();
			abort();
		}
	}
	pthread_mutex_unlock(&st.lock);
}

/* --- quiescent checks ----------------------------------------------------- */

static void check_pool(struct sess *s, unsigned int index)
{
	for (unsigned int i = 0; i < POOL; i++) {
		long n = atomic_load(&s->delegated[i]);
		uint64_t pa = s->pool + i * PAGE;
		uint64_t ret;

		if (n != 0 && n != 1)
			fail_msg("session %u: pool granule %u delegated %ld times more than "
				 "undelegated", index, i, n);
		/* UNDELEGATE succeeds exactly when the granule is DELEGATED. */
		ret = host_rmi(s->checker, RMI_GRANULE_UNDELEGATE, pa, 0, 0);
		if (ret != (n ? RMI_SUCCESS : RMI_ERROR_INPUT))
			fail_msg("session %u: pool granule %u: the hosts' calls left it %s, "
				 "UNDELEGATE returned 0x%" PRIx64, index, i,
				 n ? "DELEGATED" : "NS", ret);
		if (n)
			assert_int_equal(host_rmi(s->checker, RMI_GRANULE_DELEGATE, pa, 0, 0),
					 RMI_SUCCESS);
	}
}

/* Every region shared during the rounds is there, and no other. */
static void check_hotplugged(struct sess *s, unsigned int index)
{
	unsigned int n = atomic_load(&s->hotplugged);

	for (unsigned int i = 0; i <= n; i++) {
		uint64_t pa = HOTPLUG_BASE + 2 * i * PAGE;
		uint64_t ret = host_rmi(s->checker, RMI_GRANULE_DELEGATE, pa, 0, 0);

		if (ret != (i < n ? RMI_SUCCESS : RMI_ERROR_INPUT))
			fail_msg("session %u: region %u of %u shared during the rounds: DELEGATE "
				 "returned 0x%" PRIx64, index, i, n, ret);
		if (i < n)
			assert_int_equal(host_rmi(s->checker, RMI_GRANULE_UNDELEGATE, pa, 0, 0),
					 RMI_SUCCESS);
	}
}

/* At rest no REC runs: a kick finds each live REC idle. */
static void check_recs(struct sess *s, unsigned int index)
{
	for (unsigned int i = 0; i < SHARED_RECS; i++) {
		int ret = rmmemu_rec_kick(s->checker, s->shared.rec[i]);
		int expect = atomic_load(&s->rec_gone[i]) ? -ENOENT : 0;

		if (ret != expect)
			fail_msg("session %u: shared REC %u: KICK returned %d, %d expected",
				 index, i, ret, expect);
	}
}

static void check_quiescent(unsigned int round)
{
	static char report[16384];
	int violations;

	for (unsigned int i = 0; i < WORKERS; i++) {
		if (atomic_load(&st.w[i].failed))
			fail_msg("round %u, worker %u: %s", round, i, st.w[i].failure);
	}
	violations = server_check_invariants(st.srv, report, sizeof(report));
	if (violations != 0)
		fail_msg("round %u: %d invariant violations:\n%s", round, violations, report);
	for (unsigned int i = 0; i < SESSIONS; i++) {
		check_pool(&st.sess[i], i);
		check_recs(&st.sess[i], i);
		check_hotplugged(&st.sess[i], i);
	}
}

/* --- set-up --------------------------------------------------------------- */

static void session_setup(unsigned int index, unsigned int *next_worker, unsigned int seed)
{
	struct sess *s = &st.sess[index];
	unsigned int shared_pages = host_realm_pages(SHARED_RECS);
	unsigned int own_pages = host_realm_pages(1);
	unsigned int n = session_workers[index];
	uint8_t token[RMMEMU_SESSION_TOKEN_SIZE];
	const char *step = NULL;

	s->pages = shared_pages + n * own_pages + POOL;
	s->fd = host_memfd(s->pages);
	assert_true(s->fd >= 0);
	s->ns = host_map(s->fd, s->pages);
	assert_non_null(s->ns);
	assert_int_equal(rmmemu_connect(st.sock, &s->checker), 0);
	assert_int_equal(rmmemu_share_region(s->checker, BASE, s->pages * PAGE, s->fd, 0), 0);
	if (host_realm_create(s->checker, &s->shared, s->ns, BASE, SHARED_RECS, 1, true,
			      &step) != RMI_SUCCESS)
		fail_msg("session %u: shared realm: %s failed", index, step);
	s->pool = BASE + (shared_pages + n * own_pages) * PAGE;
	rmmemu_session_token(s->checker, token);
	for (unsigned int j = 0; j < n; j++) {
		struct worker *w = &st.w[(*next_worker)++];
		unsigned int page = shared_pages + j * own_pages;

		w->id = (unsigned int)(w - st.w);
		w->s = s;
		w->seed = seed + w->id;
		w->own_ns = s->ns + page * PAGE;
		w->own_pa = BASE + page * PAGE;
		w->own_vmid = 10 + j;
		w->hotplugs = j == 0;
		atomic_store(&w->op, "not started");
		assert_int_equal(rmmemu_connect_join(st.sock, token, &w->c), 0);
	}
}

static void test_log_sink(enum rmm_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == RMM_LOG_ERROR)
		fprintf(stderr, "logged error: %s\n", msg);
}

static void test_stress(void **state)
{
	struct server_opts opts = { .executor = &stress_ops };
	unsigned int rounds = env_uint("STRESS_ROUNDS", 12);
	unsigned int seed = env_uint("STRESS_SEED", (unsigned int)time(NULL));
	unsigned int next = 0;
	pthread_t t[WORKERS], obs;
	struct timespec t0, t1;
	unsigned long calls, host_calls0;
	double secs;

	(void)state;
	ops_per_round = env_uint("STRESS_OPS", 150);
	print_message("seed %u (STRESS_SEED), %u rounds of %u ops per thread\n", seed,
		      rounds, ops_per_round);
	assert_int_equal(tmpdir_create(st.dir, st.sock, NULL), 0);
	opts.socket_path = st.sock;
	pthread_mutex_init(&st.lock, NULL);
	pthread_cond_init(&st.cond, NULL);
	rmm_log_set_sink(test_log_sink, NULL);
	rmm_log_set_level(RMM_LOG_ERROR);
	assert_int_equal(server_start(&opts, &st.srv), 0);
	for (unsigned int i = 0; i < SESSIONS; i++)
		session_setup(i, &next, seed);
	assert_int_equal(next, WORKERS);
	for (unsigned int i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &st.w[i]), 0);
	assert_int_equal(pthread_create(&obs, NULL, observer_main, NULL), 0);

	host_calls0 = host_rmi_calls();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int r = 1; r <= rounds; r++) {
		run_round();
		check_quiescent(r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Every request the daemon served in the rounds: the workers' own
	 * calls and kicks, and the realm building and checks of host.c. */
	calls = host_rmi_calls() - host_calls0;

	pthread_mutex_lock(&st.lock);
	st.stop = true;
	pthread_cond_broadcast(&st.cond);
	pthread_mutex_unlock(&st.lock);
	atomic_store(&st.observer_stop, true);
	for (unsigned int i = 0; i < WORKERS; i++) {
		pthread_join(t[i], NULL);
		calls += atomic_load(&st.w[i].calls);	/* made in the rounds */
	}
	pthread_join(obs, NULL);
	if (atomic_load(&st.observer_failed))
		fail_msg("%s", st.observer_failure);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("%lu calls in %.2f s: %.0f calls/s; %lu REC entries, %lu kicks of a "
		      "running REC (%lu delivered), %lu STATE reads\n", calls, secs,
		      (double)calls / secs, atomic_load(&st.entries),
		      atomic_load(&st.kicks_running), atomic_load(&kicks_delivered),
		      atomic_load(&st.state_reads));
	assert_true(atomic_load(&st.entries) > 0);

	for (unsigned int i = 0; i < WORKERS; i++)
		rmmemu_disconnect(st.w[i].c);
	for (unsigned int i = 0; i < SESSIONS; i++) {
		rmmemu_disconnect(st.sess[i].checker);
		munmap(st.sess[i].ns, st.sess[i].pages * PAGE);
		close(st.sess[i].fd);
	}
	server_stop(st.srv);
	tmpdir_remove(st.dir);
	pthread_cond_destroy(&st.cond);
	pthread_mutex_destroy(&st.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
