/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's server, in-process on a socket in a fresh temporary
 * directory, driven through the client library and through raw sockets:
 * sessions and their isolation, joining, concurrency, the end of a session
 * with its last connection, refusal of malformed frames, the recorder and
 * the socket's life cycle. Only VERSION, FEATURES, GRANULE_DELEGATE and
 * GRANULE_UNDELEGATE are relied on (plus NOT_SUPPORTED for unknown FIDs),
 * and REALM_CREATE and REC_CREATE for a REC to KICK or RAISE, and
 * REALM_ACTIVATE and REC_ENTER for a REC that runs, under a test executor,
 * until it is kicked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <rmmemu/client.h>
#include <rmmemu/protocol.h>
#include <rmmemu/rmi-1.0.h>

#include "tmpdir.h"

#include "daemon/server.h"
#include "daemon/tests/fixture.h"
#include "client/frame.h"
#include "daemon/tests/host.h"
#include "rmmemu/executor.h"
#include "rmmemu/log.h"
#include "rmmemu/rmm.h"

#define PAGE		4096UL
#define BASE		FIXTURE_BASE
#define TIMEOUT_MS	FIXTURE_TIMEOUT_MS


/* --- the log: errors are counted, one message can be made to block ------- */

static unsigned int log_errors;
static const char *block_pattern;	/* the next message with it blocks */
static sem_t block_entered, block_release;

static void test_log_sink(enum rmm_log_level level, const char *msg, void *ctx)
{
	const char *pat = __atomic_load_n(&block_pattern, __ATOMIC_ACQUIRE);

	(void)ctx;
	if (level == RMM_LOG_ERROR) {
		__atomic_add_fetch(&log_errors, 1, __ATOMIC_RELAXED);
		fprintf(stderr, "logged error: %s\n", msg);
	}
	/* The core logs a call from inside rmm_call(), on the thread serving
	 * it: blocking here is a call that runs long, like a REC_ENTER. */
	if (pat != NULL && strstr(msg, pat) != NULL &&
	    __atomic_compare_exchange_n(&block_pattern, &pat, NULL, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		sem_post(&block_entered);
		sem_wait(&block_release);
	}
}

/* --- fixture ------------------------------------------------------------- */

static int start(void **state, bool record)
{
	log_errors = 0;
	return fixture_start(state, NULL, record);
}

static int setup(void **state)
{
	return start(state, false);
}

static int setup_record(void **state)
{
	return start(state, true);
}

static int teardown(void **state)
{
	int ret = fixture_stop(state);

	return log_errors != 0 ? -1 : ret;
}

/* --- helpers ------------------------------------------------------------- */

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* For threads (no cmocka asserts there): the call's error, x0..x4 in out. */
static int rmi_try(struct rmmemu_client *c, uint64_t fid, uint64_t x1, uint64_t out[5])
{
	uint64_t x[7] = { fid, x1 };

	return rmmemu_rmi_call(c, x, out);
}

static uint64_t rmi(struct rmmemu_client *c, uint64_t fid, uint64_t x1)
{
	uint64_t out[5];
	int err = rmi_try(c, fid, x1, out);

	if (err)
		fail_msg("RMI call 0x%" PRIx64 ": %s", fid, rmmemu_client_error(c, err));
	return out[0];
}

/* --- raw frames ---------------------------------------------------------- */

static void raw_send(int sock, const void *buf, size_t len, const int *fds,
		     unsigned int nfds)
{
	assert_int_equal(frame_send(sock, buf, len, fds, nfds), (ssize_t)len);
}

static void raw_hello(int sock)
{
	struct rmmemu_msg_hello h = {
		.hdr = hdr(RMMEMU_MSG_HELLO), .version = RMMEMU_PROTO_VERSION,
	};
	union {
		struct rmmemu_msg_hello_reply r;
		uint8_t raw[512];
	} rep;

	raw_send(sock, &h, sizeof(h), NULL, 0);
	assert_int_equal(recv(sock, &rep, sizeof(rep), 0), sizeof(rep.r));
	assert_int_equal(rep.r.hdr.type, RMMEMU_MSG_HELLO_REPLY);
	assert_int_equal(rep.r.version, RMMEMU_PROTO_VERSION);
	assert_true(rep.r.session_id > 0);
}

static struct rmmemu_msg_share_region share_msg(uint64_t base, uint64_t size,
						uint64_t offset)
{
	return (struct rmmemu_msg_share_region){
		.hdr = hdr(RMMEMU_MSG_SHARE_REGION),
		.base = base, .size = size, .offset = offset,
	};
}

/* The daemon answers ERROR with code and a text that says what, then
 * closes the connection. */
static void expect_error(int sock, int code, const char *what)
{
	union {
		struct rmmemu_msg_error e;
		uint8_t raw[512];
	} rep;

	assert_int_equal(recv(sock, &rep, sizeof(rep), 0), sizeof(rep.e));
	assert_int_equal(rep.e.hdr.magic, RMMEMU_PROTO_MAGIC);
	assert_int_equal(rep.e.hdr.type, RMMEMU_MSG_ERROR);
	assert_non_null(memchr(rep.e.text, '\0', sizeof(rep.e.text)));
	if (strstr(rep.e.text, what) == NULL)
		fail_msg("ERROR text \"%s\" does not say \"%s\"", rep.e.text, what);
	assert_int_equal(rep.e.code, code);
	assert_int_equal(recv(sock, &rep, sizeof(rep), 0), 0);
	close(sock);
}

/* One bad frame on a fresh connection (after HELLO if hello); the other
 * host goes on working. */
static void bad_frame(struct fixture *f, struct rmmemu_client *good, bool hello,
		      const void *msg, size_t len, const int *fds, unsigned int nfds,
		      int code, const char *what)
{
	int sock = raw_connect(f);

	if (hello)
		raw_hello(sock);
	raw_send(sock, msg, len, fds, nfds);
	expect_error(sock, code, what);
	assert_int_equal(rmi(good, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);
}

/* --- tests: sessions ----------------------------------------------------- */

static void test_hello_and_calls(void **state)
{
	struct fixture *f = *state;
	struct rmmemu_client *c = host_new(f, -1, 0);
	uint8_t token[RMMEMU_SESSION_TOKEN_SIZE], zero[RMMEMU_SESSION_TOKEN_SIZE] = { 0 };
	uint64_t out[5];

	assert_string_equal(rmmemu_daemon_version(c), PACKAGE_VERSION);
	assert_true(rmmemu_session_id(c) > 0);
	rmmemu_session_token(c, token);
	assert_memory_not_equal(token, zero, sizeof(token));

	assert_int_equal(rmi_try(c, RMI_VERSION, RMI_ABI_VERSION_1_0, out), 0);
	assert_int_equal(out[0], RMI_SUCCESS);
	assert_int_equal(out[1], RMI_ABI_VERSION_1_0);
	assert_int_equal(out[2], RMI_ABI_VERSION_1_0);
	assert_int_equal(rmi_try(c, RMI_FEATURES, 0, out), 0);
	assert_int_equal(out[0], RMI_SUCCESS);
	assert_int_equal(RMI_FIELD_GET(out[1], S2SZ), 48);
	assert_int_equal(rmi(c, 0xC4000170, 0), SMCCC_NOT_SUPPORTED);
	assert_int_equal(rmi(c, RMI_FID(0x156), 0), SMCCC_NOT_SUPPORTED);
	/* Not a host PA of this session: no region shared yet. */
	assert_int_equal(rmi(c, RMI_GRANULE_DELEGATE, BASE), RMI_ERROR_INPUT);
	rmmemu_disconnect(c);
}

/* The daemon maps the memfd: a host that allowed sealing can not shrink it
 * from under the daemon any more. */
static void test_shared_memfd_sealed(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_create("rmmemu-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct rmmemu_client *c;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 * PAGE), 0);
	assert_int_equal(fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK, 0);
	c = host_new(f, fd, 4);
	assert_int_equal(fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK, F_SEAL_SHRINK);
	assert_int_equal(ftruncate(fd, PAGE), -1);
	assert_int_equal(errno, EPERM);
	/* Growing stays allowed. */
	assert_int_equal(ftruncate(fd, 8 * PAGE), 0);
	assert_int_equal(rmi(c, RMI_GRANULE_DELEGATE, BASE + 3 * PAGE), RMI_SUCCESS);
	rmmemu_disconnect(c);
	close(fd);
}

/* A granule delegated by one host is not seen by another host at the same PA. */
static void test_sessions_isolated(void **state)
{
	struct fixture *f = *state;
	int fd1 = memfd_pages(4), fd2 = memfd_pages(4);
	uint8_t *ns1 = map_fd(fd1, 4), *ns2 = map_fd(fd2, 4);
	struct rmmemu_client *c1 = host_new(f, fd1, 4), *c2 = host_new(f, fd2, 4);
	uint8_t t1[RMMEMU_SESSION_TOKEN_SIZE], t2[RMMEMU_SESSION_TOKEN_SIZE];
	uint64_t pa = BASE + PAGE;

	assert_int_not_equal(rmmemu_session_id(c1), rmmemu_session_id(c2));
	rmmemu_session_token(c1, t1);
	rmmemu_session_token(c2, t2);
	assert_memory_not_equal(t1, t2, sizeof(t1));

	memset(ns1 + PAGE, 0x11, PAGE);
	memset(ns2 + PAGE, 0x22, PAGE);
	assert_int_equal(rmi(c1, RMI_GRANULE_DELEGATE, pa), RMI_SUCCESS);
	assert_true(page_is(ns1 + PAGE, 0));
	assert_true(page_is(ns2 + PAGE, 0x22));
	/* Host 2's granule at the same PA is still NS. */
	assert_int_equal(rmi(c2, RMI_GRANULE_UNDELEGATE, pa), RMI_ERROR_INPUT);
	assert_int_equal(rmi(c2, RMI_GRANULE_DELEGATE, pa), RMI_SUCCESS);
	assert_int_equal(rmi(c1, RMI_GRANULE_DELEGATE, pa), RMI_ERROR_INPUT);
	assert_int_equal(rmi(c2, RMI_GRANULE_UNDELEGATE, pa), RMI_SUCCESS);
	/* Host 2 undelegating did not give host 1's granule back. */
	assert_int_equal(rmi(c1, RMI_GRANULE_DELEGATE, pa), RMI_ERROR_INPUT);
	assert_int_equal(rmi(c1, RMI_GRANULE_UNDELEGATE, pa), RMI_SUCCESS);
	assert_int_equal(rmi(c1, RMI_GRANULE_UNDELEGATE, pa), RMI_ERROR_INPUT);

	rmmemu_disconnect(c1);
	rmmemu_disconnect(c2);
	munmap(ns1, 4 * PAGE);
	munmap(ns2, 4 * PAGE);
	close(fd1);
	close(fd2);
}

struct worker {
	struct rmmemu_client *c;
	uint64_t first, shared;		/* own granules; one both toggle */
	unsigned int pages, rounds;
	unsigned int failures;
	unsigned long delegated, undelegated;	/* of the shared granule */
	sem_t *done;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t out[5];

	for (unsigned int r = 0; r < w->rounds; r++) {
		for (unsigned int p = 0; p < w->pages; p++) {
			uint64_t pa = w->first + p * PAGE;

			if (rmi_try(w->c, RMI_GRANULE_DELEGATE, pa, out) || out[0] != RMI_SUCCESS)
				w->failures++;
			if (rmi_try(w->c, RMI_GRANULE_UNDELEGATE, pa, out) || out[0] != RMI_SUCCESS)
				w->failures++;
		}
		if (w->shared == 0)
			continue;
		if (rmi_try(w->c, RMI_GRANULE_DELEGATE, w->shared, out))
			w->failures++;
		else if (out[0] == RMI_SUCCESS)
			w->delegated++;
		if (rmi_try(w->c, RMI_GRANULE_UNDELEGATE, w->shared, out))
			w->failures++;
		else if (out[0] == RMI_SUCCESS)
			w->undelegated++;
	}
	if (w->done != NULL)
		sem_post(w->done);
	return NULL;
}

/* Two connections of one session see the same granules and call at once. */
static void test_join_and_concurrent_calls(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_pages(64);
	struct rmmemu_client *c1 = host_new(f, fd, 64), *c2 = host_join(f, c1), *bad;
	uint8_t token[RMMEMU_SESSION_TOKEN_SIZE] = { 0xde, 0xad };
	struct worker w[2] = {
		{ .c = c1, .first = BASE + PAGE, .pages = 31, .rounds = 20, .shared = BASE },
		{ .c = c2, .first = BASE + 32 * PAGE, .pages = 32, .rounds = 20, .shared = BASE },
	};
	pthread_t t[2];
	unsigned long balance;
	int err;

	/* One session: what one connection did, the other sees. */
	assert_int_equal(rmi(c1, RMI_GRANULE_DELEGATE, BASE), RMI_SUCCESS);
	assert_int_equal(rmi(c2, RMI_GRANULE_DELEGATE, BASE), RMI_ERROR_INPUT);
	assert_int_equal(rmi(c2, RMI_GRANULE_UNDELEGATE, BASE), RMI_SUCCESS);

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(w[0].failures + w[1].failures, 0);
	/* Each DELEGATE of the shared granule that succeeded was undone by
	 * exactly one UNDELEGATE, whichever connection made them. */
	balance = w[0].delegated + w[1].delegated - w[0].undelegated - w[1].undelegated;
	assert_true(w[0].delegated + w[1].delegated > 0);
	assert_true(balance <= 1);
	assert_int_equal(rmi(c1, RMI_GRANULE_UNDELEGATE, BASE),
			 balance ? RMI_SUCCESS : RMI_ERROR_INPUT);

	err = rmmemu_connect_join(f->sock, token, &bad);
	assert_int_equal(err, -ENOENT);
	assert_non_null(strstr(rmmemu_client_error(NULL, err), "token"));

	rmmemu_disconnect(c1);
	rmmemu_disconnect(c2);
	close(fd);
}

static bool sem_wait_ms(sem_t *s, unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (sem_timedwait(s, &ts) != 0) {
		if (errno != EINTR)
			return false;
	}
	return true;
}

struct long_call {
	struct rmmemu_client *c;
	int err;
	uint64_t out[5];
};

static void *long_call_main(void *arg)
{
	struct long_call *l = arg;

	l->err = rmi_try(l->c, RMI_FEATURES, 0x5a5a, l->out);
	return NULL;
}

/* A call that runs long on one connection delays neither another
 * connection of its session nor another session. */
static void test_long_call_blocks_nobody(void **state)
{
	struct fixture *f = *state;
	int fd1 = memfd_pages(16), fd2 = memfd_pages(16);
	struct rmmemu_client *c1 = host_new(f, fd1, 16), *c2 = host_join(f, c1);
	struct rmmemu_client *c3 = host_new(f, fd2, 16);
	struct long_call l = { .c = c1 };
	sem_t done;
	struct worker w[2] = {
		{ .c = c2, .first = BASE, .pages = 16, .rounds = 10, .done = &done },
		{ .c = c3, .first = BASE, .pages = 16, .rounds = 10, .done = &done },
	};
	pthread_t lt, t[2];
	bool entered, others_done = true;
	char *text;

	sem_init(&block_entered, 0, 0);
	sem_init(&block_release, 0, 0);
	sem_init(&done, 0, 0);
	rmm_log_set_level(RMM_LOG_DEBUG);
	__atomic_store_n(&block_pattern, "RMI_FEATURES(0x5a5a)", __ATOMIC_RELEASE);
	assert_int_equal(pthread_create(&lt, NULL, long_call_main, &l), 0);
	entered = sem_wait_ms(&block_entered, TIMEOUT_MS);
	if (entered) {
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
		for (int i = 0; i < 2; i++)
			others_done = sem_wait_ms(&done, TIMEOUT_MS) && others_done;
		text = state_text(f, 0);
		free(text);
	}
	/* Let the long call finish before any assertion can end the test. */
	__atomic_store_n(&block_pattern, NULL, __ATOMIC_RELEASE);
	sem_post(&block_release);
	pthread_join(lt, NULL);
	if (entered) {
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
	}
	rmm_log_set_level(RMM_LOG_WARN);
	assert_true(entered);
	assert_true(others_done);
	assert_int_equal(w[0].failures + w[1].failures, 0);
	assert_int_equal(l.err, 0);
	assert_int_equal(l.out[0], RMI_SUCCESS);
	assert_int_equal(l.out[1], 0);

	rmmemu_disconnect(c1);
	rmmemu_disconnect(c2);
	rmmemu_disconnect(c3);
	sem_destroy(&done);
	sem_destroy(&block_entered);
	sem_destroy(&block_release);
	close(fd1);
	close(fd2);
}

/* The session ends with its last connection: granules scrubbed, the host's
 * memory given back as zeros, the token dead, a new session clean. */
static void test_last_disconnect_ends_session(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_pages(4);
	uint8_t *ns = map_fd(fd, 4);
	struct rmmemu_client *c1 = host_new(f, fd, 4), *c2 = host_join(f, c1), *c3;
	uint8_t token[RMMEMU_SESSION_TOKEN_SIZE];
	uint64_t id = rmmemu_session_id(c1);
	int err;

	rmmemu_session_token(c1, token);
	memset(ns, 0x33, 4 * PAGE);
	assert_int_equal(rmi(c1, RMI_GRANULE_DELEGATE, BASE + PAGE), RMI_SUCCESS);
	assert_int_equal(rmi(c1, RMI_GRANULE_DELEGATE, BASE + 2 * PAGE), RMI_SUCCESS);
	/* The host scribbles on its view of a delegated granule: only the end
	 * of the session (scrubbing) clears it. */
	memset(ns + PAGE, 0xaa, PAGE);

	rmmemu_disconnect(c1);
	assert_true(session_listed(f, id));
	assert_int_equal(rmi(c2, RMI_GRANULE_DELEGATE, BASE + PAGE), RMI_ERROR_INPUT);
	assert_true(page_is(ns + PAGE, 0xaa));

	rmmemu_disconnect(c2);
	assert_true(wait_page_zero(ns + PAGE));
	assert_true(wait_session_gone(f, id));
	assert_true(page_is(ns + 2 * PAGE, 0));
	assert_true(page_is(ns, 0x33));
	assert_true(page_is(ns + 3 * PAGE, 0x33));

	err = rmmemu_connect_join(f->sock, token, &c3);
	assert_int_equal(err, -ENOENT);
	c3 = host_new(f, fd, 4);
	assert_int_not_equal(rmmemu_session_id(c3), id);
	assert_int_equal(rmi(c3, RMI_GRANULE_UNDELEGATE, BASE + PAGE), RMI_ERROR_INPUT);
	assert_int_equal(rmi(c3, RMI_GRANULE_DELEGATE, BASE + PAGE), RMI_SUCCESS);
	rmmemu_disconnect(c3);
	munmap(ns, 4 * PAGE);
	close(fd);
}

/* A host process that dies ends its session like a disconnect. */
static void test_client_death_ends_session(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_pages(4), status;
	uint8_t *ns = map_fd(fd, 4);
	char *text;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rmmemu_client *c;
		uint64_t x[7] = { RMI_GRANULE_DELEGATE, BASE }, out[5];

		if (rmmemu_connect(f->sock, &c) != 0 ||
		    rmmemu_share_region(c, BASE, 4 * PAGE, fd, 0) != 0 ||
		    rmmemu_rmi_call(c, x, out) != 0 || out[0] != RMI_SUCCESS)
			_exit(1);
		memset(ns, 0xaa, PAGE);
		raise(SIGKILL);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_true(wait_page_zero(ns));
	assert_true(wait_session_gone(f, 1));
	text = state_text(f, 0);
	assert_null(strstr(text, "session "));
	free(text);
	munmap(ns, 4 * PAGE);
	close(fd);
}

static void test_state(void **state)
{
	struct fixture *f = *state;
	struct rmmemu_client *c1 = host_new(f, -1, 0), *c2 = host_join(f, c1);
	struct rmmemu_client *c3 = host_new(f, -1, 0);
	char *text, expect[128];

	text = state_text(f, 0);
	snprintf(expect, sizeof(expect), "session %" PRIu64 ": 2 connections\n",
		 rmmemu_session_id(c1));
	assert_non_null(strstr(text, expect));
	snprintf(expect, sizeof(expect), "session %" PRIu64 ": 1 connections\n",
		 rmmemu_session_id(c3));
	assert_non_null(strstr(text, expect));
	free(text);

	text = state_text(f, 1);
	assert_true(strncmp(text, "{\"sessions\":[", 13) == 0);
	snprintf(expect, sizeof(expect), "{\"id\":%" PRIu64 ",\"connections\":2",
		 rmmemu_session_id(c1));
	assert_non_null(strstr(text, expect));
	snprintf(expect, sizeof(expect), "{\"id\":%" PRIu64 ",\"connections\":1",
		 rmmemu_session_id(c3));
	assert_non_null(strstr(text, expect));
	free(text);

	rmmemu_disconnect(c1);
	rmmemu_disconnect(c2);
	rmmemu_disconnect(c3);
}

/* --- tests: KICK --------------------------------------------------------- */

static uint64_t rmi3(struct rmmemu_client *c, uint64_t fid, uint64_t x1, uint64_t x2,
		     uint64_t x3)
{
	uint64_t x[7] = { fid, x1, x2, x3 }, out[5];
	int err = rmmemu_rmi_call(c, x, out);

	if (err)
		fail_msg("RMI call 0x%" PRIx64 ": %s", fid, rmmemu_client_error(c, err));
	return out[0];
}

/* An idle REC of the session at BASE + 4 pages: params at BASE, RD at +1,
 * root RTTs at +2, +3 (s2sz 40, level 1), REC params at +5, aux at +6... */
static uint64_t kick_realm(struct rmmemu_client *c, uint8_t *ns)
{
	struct rmi_realm_params *rp = (void *)ns;
	struct rmi_rec_params *cp = (void *)(ns + 5 * PAGE);

	for (unsigned int i = 1; i < 22; i++) {
		if (i != 5)
			assert_int_equal(rmi(c, RMI_GRANULE_DELEGATE, BASE + i * PAGE),
					 RMI_SUCCESS);
	}
	memset(rp, 0, sizeof(*rp));
	rp->s2sz = 40;
	rp->num_bps = 1;
	rp->num_wps = 1;
	rp->rtt_base = BASE + 2 * PAGE;
	rp->rtt_level_start = 1;
	rp->rtt_num_start = 2;
	assert_int_equal(rmi3(c, RMI_REALM_CREATE, BASE + PAGE, BASE, 0), RMI_SUCCESS);
	memset(cp, 0, sizeof(*cp));
	cp->flags = RMI_REC_CREATE_RUNNABLE;
	cp->num_aux = 16;
	for (unsigned int i = 0; i < 16; i++)
		cp->aux[i] = BASE + (6 + i) * PAGE;
	assert_int_equal(rmi3(c, RMI_REC_CREATE, BASE + PAGE, BASE + 4 * PAGE, BASE + 5 * PAGE),
			 RMI_SUCCESS);
	return BASE + 4 * PAGE;
}

/* A KICK for something that is no REC of the session, or for a REC that is
 * not running, changes nothing and leaves the connection working. */
static void test_kick(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_pages(32), fd2 = memfd_pages(32);
	uint8_t *ns = map_fd(fd, 32);
	struct rmmemu_client *c = host_new(f, fd, 32), *other = host_new(f, fd2, 32), *o;
	struct rmmemu_msg_kick kick = { .hdr = hdr(RMMEMU_MSG_KICK), .rec = BASE };
	uint64_t rec;

	assert_int_equal(rmmemu_rec_kick(c, BASE), -ENOENT);		/* NS */
	assert_int_equal(rmmemu_rec_kick(c, BASE + 8), -ENOENT);	/* unaligned */
	assert_int_equal(rmmemu_rec_kick(c, 0x1000), -ENOENT);		/* no memory */
	rec = kick_realm(c, ns);
	assert_int_equal(rmmemu_rec_kick(c, BASE + PAGE), -ENOENT);	/* the RD */
	assert_int_equal(rmmemu_rec_kick(c, rec), 0);			/* idle */
	assert_int_equal(rmmemu_rec_kick(c, rec), 0);
	/* Another session has no REC there. */
	assert_int_equal(rmmemu_rec_kick(other, rec), -ENOENT);
	/* Everything still works, the REC too: it is not remembered. */
	assert_int_equal(rmi(c, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);
	assert_int_equal(rmi(c, RMI_REC_DESTROY, rec), RMI_SUCCESS);
	assert_int_equal(rmmemu_rec_kick(c, rec), -ENOENT);
	/* A KICK needs a session; its frame has its size. */
	assert_int_equal(rmmemu_connect_observer(f->sock, &o), 0);
	assert_int_equal(rmmemu_rec_kick(o, rec), -EPROTO);
	assert_non_null(strstr(rmmemu_client_error(o, -EPROTO), "KICK on an observer"));
	rmmemu_disconnect(o);
	bad_frame(f, c, true, &kick, sizeof(kick) - 1, NULL, 0, EPROTO,
		  "KICK message of 15 bytes (expected 16)");
	rmmemu_disconnect(c);
	rmmemu_disconnect(other);
	munmap(ns, 32 * PAGE);
	close(fd);
	close(fd2);
}

/* --- tests: RAISE -------------------------------------------------------- */

/* An SError the RMM only reports: EC 0x2F, IL, AET CE, DFSC asynchronous. */
#define SERROR_ESR_CE	(0x2FULL << 26 | 1ULL << 25 | 6 << 10 | 0x11)
#define SERROR_ESR_UEO	(2 << 10 | 0x11)	/* EC 0 is allowed too */

/* A RAISE has KICK's statuses, and -EINVAL for an event or esr the core does
 * not raise; every one of them leaves the connection working. Only a frame
 * the protocol refuses (its size, a reserved field) is an ERROR. */
static void test_raise(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_pages(32), fd2 = memfd_pages(32);
	uint8_t *ns = map_fd(fd, 32);
	struct rmmemu_client *c = host_new(f, fd, 32), *other = host_new(f, fd2, 32), *o;
	struct rmmemu_msg_raise msg = { .hdr = hdr(RMMEMU_MSG_RAISE), .rec = BASE,
					.event = RMMEMU_PHYS_FIQ };
	uint64_t rec;

	assert_int_equal(rmmemu_rec_raise(c, BASE, RMMEMU_PHYS_FIQ, 0), -ENOENT);	/* NS */
	assert_int_equal(rmmemu_rec_raise(c, 0x1000, RMMEMU_PHYS_IRQ, 0), -ENOENT);
	rec = kick_realm(c, ns);
	assert_int_equal(rmmemu_rec_raise(c, BASE + PAGE, RMMEMU_PHYS_FIQ, 0), -ENOENT);
	assert_int_equal(rmmemu_rec_raise(c, rec + 8, RMMEMU_PHYS_FIQ, 0), -ENOENT);
	assert_int_equal(rmmemu_rec_raise(other, rec, RMMEMU_PHYS_FIQ, 0), -ENOENT);
	/* Idle: nothing happens, nothing is remembered. */
	assert_int_equal(rmmemu_rec_raise(c, rec, RMMEMU_PHYS_IRQ, 0), 0);
	assert_int_equal(rmmemu_rec_raise(c, rec, RMMEMU_PHYS_FIQ, 0), 0);
	assert_int_equal(rmmemu_rec_raise(c, rec, RMMEMU_PHYS_SERROR, SERROR_ESR_CE), 0);
	assert_int_equal(rmmemu_rec_raise(c, rec, RMMEMU_PHYS_SERROR, SERROR_ESR_UEO), 0);
	/* Refused, all 32 bits of event and 64 of esr counting. */
	assert_int_equal(rmmemu_rec_raise(c, rec, 3, 0), -EINVAL);
	assert_int_equal(rmmemu_rec_raise(c, rec, 0x100 | RMMEMU_PHYS_FIQ, 0), -EINVAL);
	assert_int_equal(rmmemu_rec_raise(c, rec, UINT32_MAX, 0), -EINVAL);
	assert_int_equal(rmmemu_rec_raise(c, rec, RMMEMU_PHYS_IRQ, 1), -EINVAL);
	assert_int_equal(rmmemu_rec_raise(c, rec, RMMEMU_PHYS_FIQ, SERROR_ESR_CE), -EINVAL);
	assert_int_equal(rmmemu_rec_raise(c, rec, RMMEMU_PHYS_SERROR, 0), -EINVAL);
	assert_int_equal(rmmemu_rec_raise(c, rec, RMMEMU_PHYS_SERROR,
					  SERROR_ESR_CE | 1ULL << 40), -EINVAL);
	assert_int_equal(rmmemu_rec_raise(c, rec, RMMEMU_PHYS_SERROR, 0x11),
			 -EINVAL);	/* UC: fatal to an RMM */
	assert_int_equal(rmmemu_rec_raise(c, BASE, 7, 0), -EINVAL);	/* before the REC */
	/* The connection goes on, the REC too. */
	assert_int_equal(rmi(c, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);
	assert_int_equal(rmi(c, RMI_REC_DESTROY, rec), RMI_SUCCESS);
	assert_int_equal(rmmemu_rec_raise(c, rec, RMMEMU_PHYS_FIQ, 0), -ENOENT);
	/* A RAISE needs a session; its frame has its size and a zero reserved
	 * field. */
	assert_int_equal(rmmemu_connect_observer(f->sock, &o), 0);
	assert_int_equal(rmmemu_rec_raise(o, rec, RMMEMU_PHYS_FIQ, 0), -EPROTO);
	assert_non_null(strstr(rmmemu_client_error(o, -EPROTO), "RAISE on an observer"));
	rmmemu_disconnect(o);
	bad_frame(f, c, true, &msg, sizeof(msg) - 1, NULL, 0, EPROTO,
		  "RAISE message of 31 bytes (expected 32)");
	msg.reserved = 1;
	bad_frame(f, c, true, &msg, sizeof(msg), NULL, 0, EPROTO,
		  "RAISE: reserved field 0x1 is not 0");
	rmmemu_disconnect(c);
	rmmemu_disconnect(other);
	munmap(ns, 32 * PAGE);
	close(fd);
	close(fd2);
}

/* The test executor of test_raise_running: a REC "runs" until the core
 * kicks it, then exits for an interrupt, which the core turns into the exit
 * of the event raised (rmi_run.c). */
static sem_t run_entered, run_kicked;

static int kicked_run(void *ctx, struct rec *rec, const struct rmi_rec_enter *enter,
		      struct rmi_rec_exit *exit, struct rec_event *ev)
{
	(void)ctx;
	(void)rec;
	(void)enter;
	(void)exit;
	sem_post(&run_entered);
	/* Without a kick the run ends anyway, and the test fails on its exit. */
	sem_wait_ms(&run_kicked, TIMEOUT_MS);
	memset(ev, 0, sizeof(*ev));
	ev->kind = REC_EVENT_IRQ;
	return 0;
}

static void kicked_kick(void *ctx, struct rec *rec)
{
	(void)ctx;
	(void)rec;
	sem_post(&run_kicked);
}

static const struct rmm_executor_ops kicked_ops = {
	.name = "kicked",
	.run = kicked_run,
	.kick = kicked_kick,
};

static int setup_kicked(void **state)
{
	sem_init(&run_entered, 0, 0);
	sem_init(&run_kicked, 0, 0);
	log_errors = 0;
	return fixture_start(state, &(struct server_opts){ .executor = &kicked_ops }, false);
}

static int teardown_kicked(void **state)
{
	int ret = teardown(state);

	sem_destroy(&run_entered);
	sem_destroy(&run_kicked);
	return ret;
}

struct rec_entry {
	struct rmmemu_client *c;
	struct host_realm *r;
	uint64_t ret;
};

static void *rec_entry_main(void *arg)
{
	struct rec_entry *e = arg;

	e->ret = host_rec_enter(e->c, e->r, 0);
	return NULL;
}

/* REC 0 of r entered on c, and while it runs event raised from other: the
 * REC_ENTER returns, and its exit is returned. */
static struct rmi_rec_exit *enter_and_raise(struct rmmemu_client *c,
					    struct rmmemu_client *other,
					    struct host_realm *r, unsigned int event,
					    uint64_t esr)
{
	struct rec_entry e = { .c = c, .r = r, .ret = UINT64_MAX };
	struct rmi_rec_run *run = (void *)(r->ns + (host_rec_run(r, 0) - r->pa));
	int refused = 0, status = 0;
	pthread_t t;
	bool entered;

	memset(&run->exit, 0xa5, sizeof(run->exit));
	assert_int_equal(pthread_create(&t, NULL, rec_entry_main, &e), 0);
	entered = sem_wait_ms(&run_entered, TIMEOUT_MS);
	if (entered) {
		/* Refused while it runs: the run goes on. */
		refused = rmmemu_rec_raise(other, r->rec[0], RMMEMU_PHYS_IRQ, 1);
		status = rmmemu_rec_raise(other, r->rec[0], event, esr);
	}
	pthread_join(t, NULL);
	assert_true(entered);
	assert_int_equal(refused, -EINVAL);
	assert_int_equal(status, 1);
	assert_int_equal(e.ret, RMI_SUCCESS);
	/* Idle again: the event is gone with the exit. */
	assert_int_equal(rmmemu_rec_raise(other, r->rec[0], event, esr), 0);
	return &run->exit;
}

/* A REC_ENTER in progress on one connection, ended by a RAISE from another
 * connection of the session: the exit is the event's (rmi-1.0.md 9.3). */
static void test_raise_running(void **state)
{
	struct fixture *f = *state;
	unsigned int pages = host_realm_pages(1);
	int fd = memfd_pages(pages);
	uint8_t *ns = map_fd(fd, pages);
	struct rmmemu_client *c = host_new(f, fd, pages), *other = host_join(f, c);
	struct host_realm r;
	struct rmi_rec_exit *exit;
	const char *step;

	assert_int_equal(host_realm_create(c, &r, ns, BASE, 1, 1, true, &step), RMI_SUCCESS);
	exit = enter_and_raise(c, other, &r, RMMEMU_PHYS_FIQ, 0);
	assert_int_equal(exit->exit_reason, RMI_EXIT_FIQ);
	exit = enter_and_raise(c, other, &r, RMMEMU_PHYS_SERROR, SERROR_ESR_CE);
	assert_int_equal(exit->exit_reason, RMI_EXIT_SERROR);
	/* The syndrome without EC and IL (rmi-1.0.md 9.3). */
	assert_int_equal(exit->esr, 6 << 10 | 0x11);
	exit = enter_and_raise(c, other, &r, RMMEMU_PHYS_IRQ, 0);
	assert_int_equal(exit->exit_reason, RMI_EXIT_IRQ);
	rmmemu_disconnect(other);
	rmmemu_disconnect(c);
	munmap(ns, pages * PAGE);
	close(fd);
}

/* --- tests: malformed input ---------------------------------------------- */

static void test_bad_frames(void **state)
{
	struct fixture *f = *state;
	int gfd = memfd_pages(4), mfd = memfd_pages(2), small = memfd_pages(1);
	struct rmmemu_client *good = host_new(f, gfd, 4);
	unsigned int fds_before;
	struct rmmemu_msg_hello hello = {
		.hdr = hdr(RMMEMU_MSG_HELLO), .version = RMMEMU_PROTO_VERSION,
	};
	struct rmmemu_msg_rmi_call call = { .hdr = hdr(RMMEMU_MSG_RMI_CALL),
					    .x = { RMI_VERSION, RMI_ABI_VERSION_1_0 } };
	struct rmmemu_msg_share_region share = share_msg(BASE, 2 * PAGE, 0);
	struct rmmemu_msg_state st = { .hdr = hdr(RMMEMU_MSG_STATE) };
	uint8_t big[8192] = { 0 }, small_buf[4];
	int p[2], two[2] = { mfd, mfd }, five[5] = { mfd, mfd, mfd, mfd, mfd };
	int devnull;
	struct rmmemu_msg_hello h2;
	struct rmmemu_msg_hdr h;

	/* After a round trip, the daemon is done with what came before. */
	assert_int_equal(rmi(good, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);
	fds_before = count_fds();
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(devnull >= 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);

	/* Frames. */
	memcpy(small_buf, &hello, sizeof(small_buf));
	bad_frame(f, good, false, small_buf, sizeof(small_buf), NULL, 0, EPROTO, "truncated");
	bad_frame(f, good, false, &hello, sizeof(hello) - 1, NULL, 0, EPROTO,
		  "HELLO message of 31 bytes");
	memcpy(big, &call, sizeof(call));
	bad_frame(f, good, true, big, sizeof(big), NULL, 0, EPROTO, "longer than");
	bad_frame(f, good, true, big, sizeof(call) + 1, NULL, 0, EPROTO, "longer than");
	h = hdr(0x42);
	bad_frame(f, good, false, &h, sizeof(h), NULL, 0, EPROTO, "unknown message type 0x42");
	h = hdr(RMMEMU_MSG_ERROR);
	bad_frame(f, good, true, &h, sizeof(h), NULL, 0, EPROTO, "unknown message type 0xff");
	h2 = hello;
	h2.hdr.magic = 0x12345678;
	bad_frame(f, good, false, &h2, sizeof(h2), NULL, 0, EPROTO, "bad magic");
	h2 = hello;
	h2.hdr.reserved = 1;
	bad_frame(f, good, false, &h2, sizeof(h2), NULL, 0, EPROTO, "reserved");

	/* Sequence. */
	bad_frame(f, good, false, &call, sizeof(call), NULL, 0, EPROTO, "RMI_CALL before HELLO");
	bad_frame(f, good, false, &st, sizeof(st), NULL, 0, EPROTO, "STATE before HELLO");
	st.reserved = 1;
	bad_frame(f, good, true, &st, sizeof(st), NULL, 0, EPROTO,
		  "STATE: reserved field 0x1 is not 0");
	st.reserved = 0;
	bad_frame(f, good, true, &hello, sizeof(hello), NULL, 0, EPROTO, "second HELLO");
	h2 = hello;
	h2.version = 99;
	bad_frame(f, good, false, &h2, sizeof(h2), NULL, 0, EPROTONOSUPPORT, "version 99");
	h2 = hello;
	h2.flags = RMMEMU_HELLO_JOIN | RMMEMU_HELLO_OBSERVE;
	bad_frame(f, good, false, &h2, sizeof(h2), NULL, 0, EPROTO, "flags");
	h2 = hello;
	h2.flags = RMMEMU_HELLO_JOIN;
	bad_frame(f, good, false, &h2, sizeof(h2), NULL, 0, ENOENT, "token");
	{
		int sock = raw_connect(f);

		h2 = hello;
		h2.flags = RMMEMU_HELLO_OBSERVE;
		raw_send(sock, &h2, sizeof(h2), NULL, 0);
		assert_int_equal(recv(sock, big, sizeof(big), 0),
				 sizeof(struct rmmemu_msg_hello_reply));
		raw_send(sock, &call, sizeof(call), NULL, 0);
		expect_error(sock, EPROTO, "RMI_CALL on an observer connection");
	}

	/* File descriptors. */
	bad_frame(f, good, true, &share, sizeof(share), NULL, 0, EPROTO,
		  "SHARE_REGION carries 0 file descriptors (expected 1)");
	bad_frame(f, good, true, &share, sizeof(share), two, 2, EPROTO,
		  "SHARE_REGION carries 2 file descriptors (expected 1)");
	bad_frame(f, good, true, &share, sizeof(share), five, 5, EPROTO,
		  "SHARE_REGION carries more than 4 file descriptors");
	bad_frame(f, good, false, &hello, sizeof(hello), &mfd, 1, EPROTO,
		  "HELLO carries 1 file descriptors (expected 0)");
	bad_frame(f, good, true, &call, sizeof(call), &mfd, 1, EPROTO,
		  "RMI_CALL carries 1 file descriptors");

	/* Regions the daemon can not use. */
	bad_frame(f, good, true, &share, sizeof(share), &p[0], 1, EINVAL, "not a memfd");
	bad_frame(f, good, true, &share, sizeof(share), &devnull, 1, EINVAL, "not a memfd");
	{
		/* A memfd the host could shrink under the daemon's mapping. */
		int unsealable = memfd_create("rmmemu-test", MFD_CLOEXEC);

		assert_true(unsealable >= 0);
		assert_int_equal(ftruncate(unsealable, 4 * PAGE), 0);
		bad_frame(f, good, true, &share, sizeof(share), &unsealable, 1, EINVAL,
			  "cannot be sealed against shrinking");
		close(unsealable);
	}
	bad_frame(f, good, true, &share, sizeof(share), &small, 1, EINVAL,
		  "the memfd holds 0x1000 bytes, the region needs 0x2000 bytes");
	share = share_msg(BASE, 2 * PAGE, PAGE);
	bad_frame(f, good, true, &share, sizeof(share), &mfd, 1, EINVAL, "the memfd holds");
	share = share_msg(BASE, PAGE, UINT64_MAX - 0xfff);
	bad_frame(f, good, true, &share, sizeof(share), &mfd, 1, EINVAL, "the memfd holds");
	share = share_msg(BASE + 0x800, PAGE, 0);
	bad_frame(f, good, true, &share, sizeof(share), &mfd, 1, EINVAL, "unaligned");
	share = share_msg(BASE, 0, 0);
	bad_frame(f, good, true, &share, sizeof(share), &mfd, 1, EINVAL, "empty");
	{
		int sock = raw_connect(f);
		struct rmmemu_msg_share_region_reply rep;

		raw_hello(sock);
		share = share_msg(BASE, 2 * PAGE, 0);
		raw_send(sock, &share, sizeof(share), &mfd, 1);
		assert_int_equal(recv(sock, &rep, sizeof(rep), 0), sizeof(rep));
		assert_int_equal(rep.hdr.type, RMMEMU_MSG_SHARE_REGION_REPLY);
		assert_int_equal(rep.status, 0);
		share = share_msg(BASE + PAGE, 2 * PAGE, 0);
		raw_send(sock, &share, sizeof(share), &mfd, 1);
		expect_error(sock, EEXIST, "overlaps");
	}

	/* Nothing received was kept: every connection above is gone, and with
	 * it every fd the daemon got. */
	close(p[0]);
	close(p[1]);
	close(devnull);
	for (unsigned int t = 0; t < TIMEOUT_MS && count_fds() != fds_before; t += 10)
		sleep_ms(10);
	assert_int_equal(count_fds(), fds_before);
	assert_int_equal(rmi(good, RMI_GRANULE_DELEGATE, BASE), RMI_SUCCESS);
	rmmemu_disconnect(good);
	close(gfd);
	close(mfd);
	close(small);
}

/* The client library reports the daemon's text, and the connection is gone. */
static void test_client_errors(void **state)
{
	struct fixture *f = *state;
	int small = memfd_pages(1), p[2], err;
	struct rmmemu_client *c = host_new(f, -1, 0), *none;
	char missing[160];
	uint64_t out[5];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(rmmemu_share_region(c, BASE, PAGE, -1, 0), -EBADF);
	/* A local refusal leaves the connection usable. */
	assert_int_equal(rmi(c, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);

	err = rmmemu_share_region(c, BASE, 2 * PAGE, small, 0);
	assert_int_equal(err, -EINVAL);
	assert_non_null(strstr(rmmemu_client_error(c, err), "rmmemu daemon: SHARE_REGION"));
	assert_non_null(strstr(rmmemu_client_error(c, err), "the memfd holds 0x1000 bytes"));
	assert_int_equal(rmi_try(c, RMI_VERSION, RMI_ABI_VERSION_1_0, out), -EINVAL);
	rmmemu_disconnect(c);

	c = host_new(f, -1, 0);
	err = rmmemu_share_region(c, BASE, PAGE, p[0], 0);
	assert_int_equal(err, -EINVAL);
	assert_non_null(strstr(rmmemu_client_error(c, err), "not a memfd"));
	rmmemu_disconnect(c);

	snprintf(missing, sizeof(missing), "%s/nothing-here", f->dir);
	err = rmmemu_connect(missing, &none);
	assert_int_equal(err, -ENOENT);
	assert_non_null(strstr(rmmemu_client_error(NULL, err), "cannot connect"));
	assert_non_null(strstr(rmmemu_client_error(NULL, err), missing));
	assert_string_equal(rmmemu_client_error(NULL, -EPERM), strerror(EPERM));

	close(p[0]);
	close(p[1]);
	close(small);
}

/* --- tests: recorder ----------------------------------------------------- */

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;

	assert_non_null(f);
	assert_int_not_equal(getdelim(&text, &len, '\0', f), -1);
	fclose(f);
	return text;
}

/* "call NAME" as the recorder names the command: the core's name, or the
 * FID in hex while the core has no row for it. */
static void call_line(char *buf, size_t size, uint32_t fid, const char *args)
{
	const char *name = rmi_command_name(fid);

	if (name != NULL)
		snprintf(buf, size, "call %s%s", name, args);
	else
		snprintf(buf, size, "call 0x%" PRIx32 "%s", fid, args);
}

static void test_recorder(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_pages(16);
	uint8_t *ns = map_fd(fd, 16);
	struct rmmemu_client *c = host_new(f, fd, 16);
	uint64_t id = rmmemu_session_id(c), *params = (uint64_t *)(ns + 2 * PAGE);
	uint64_t *run = (uint64_t *)(ns + 4 * PAGE);
	uint64_t x[7] = { RMI_VERSION | RMI_FID_SVE_HINT, RMI_ABI_VERSION_1_0 }, out[5];
	char path[160], realm_create[96], rec_enter[96], *text, *line, *save;
	const char *expect[] = {
		"region 0x80000000 0x10000",
		"call VERSION 0x10000",
		"# -> 0x0 0x10000 0x10000 0x0 0x0",
		"call GRANULE_DELEGATE 0x80000000",
		"# -> 0x0 0x0 0x0 0x0 0x0",
		"call GRANULE_UNDELEGATE 0x80000000",
		"# -> 0x0 0x0 0x0 0x0 0x0",
		"call 0xc4010150 0x10000",
		"# -> 0x0 0x10000 0x10000 0x0 0x0",
		"fill 0x80002000 4096 0",
		"write64 0x80002008 0x28",
		"write64 0x80002030 0x1",
		"write64 0x80002810 0xffffffffffffffff",
		realm_create,
		"# -> *",
		"fill 0x80004000 2048 0",
		"write64 0x80004000 0x1",
		"write64 0x80004200 0x1234",
		rec_enter,
		"# -> *",
		"call 0xc4000170 0x1 0x0 0x0 0x0 0x0 0x6",
		"# -> 0xffffffffffffffff 0x0 0x0 0x0 0x0",
	};
	size_t n = 0;

	assert_int_equal(rmi(c, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);
	assert_int_equal(rmi(c, RMI_GRANULE_DELEGATE, BASE), RMI_SUCCESS);
	assert_int_equal(rmi(c, RMI_GRANULE_UNDELEGATE, BASE), RMI_SUCCESS);
	assert_int_equal(rmmemu_rmi_call(c, x, out), 0);
	assert_int_equal(out[0], RMI_SUCCESS);

	/* REALM_CREATE reads its params page; REC_ENTER only the rec_enter half
	 * of its run page. Their results depend on the commands' handlers. */
	params[1] = 40;
	params[6] = 1;
	params[0x810 / 8] = UINT64_MAX;
	run[0] = 1;
	run[0x200 / 8] = 0x1234;
	run[0x900 / 8] = 0x5555;	/* rec_exit: the RMM's output, not recorded */
	memset(x, 0, sizeof(x));
	x[0] = RMI_REALM_CREATE;
	x[1] = BASE + PAGE;
	x[2] = BASE + 2 * PAGE;
	assert_int_equal(rmmemu_rmi_call(c, x, out), 0);
	call_line(realm_create, sizeof(realm_create), RMI_REALM_CREATE,
		  " 0x80001000 0x80002000");
	x[0] = RMI_REC_ENTER;
	x[1] = BASE + 3 * PAGE;
	x[2] = BASE + 4 * PAGE;
	assert_int_equal(rmmemu_rmi_call(c, x, out), 0);
	call_line(rec_enter, sizeof(rec_enter), RMI_REC_ENTER, " 0x80003000 0x80004000");
	x[0] = 0xC4000170;
	x[1] = 1;
	x[2] = 0;
	x[6] = 6;
	assert_int_equal(rmmemu_rmi_call(c, x, out), 0);
	rmmemu_disconnect(c);
	assert_true(wait_session_gone(f, id));

	snprintf(path, sizeof(path), "%s/session-%" PRIu64 ".rmi", f->rec_dir, id);
	text = read_file(path);
	line = strtok_r(text, "\n", &save);
	assert_non_null(line);
	assert_true(strncmp(line, "# rmmemu ", 9) == 0);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		assert_true(n < sizeof(expect) / sizeof(expect[0]));
		if (strcmp(expect[n], "# -> *") == 0)
			assert_true(strncmp(line, "# -> 0x", 7) == 0);
		else
			assert_string_equal(line, expect[n]);
		n++;
	}
	assert_int_equal(n, sizeof(expect) / sizeof(expect[0]));
	free(text);
	munmap(ns, 16 * PAGE);
	close(fd);
}

/* --- tests: the socket --------------------------------------------------- */

static void test_socket_life_cycle(void **state)
{
	struct fixture *f = *state;
	struct server_opts opts = { .socket_path = f->sock };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char other[128], stale[128];
	struct server *srv2;
	struct rmmemu_client *c;
	struct stat st;
	uint64_t out[5];
	int fd, err;

	assert_int_equal(lstat(f->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	/* The logged errors below are expected. */
	rmm_log_set_sink(NULL, NULL);
	assert_int_equal(server_start(&opts, &srv2), -EADDRINUSE);
	snprintf(other, sizeof(other), "%s/file", f->dir);
	fd = open(other, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	opts.socket_path = other;
	assert_int_equal(server_start(&opts, &srv2), -EEXIST);
	assert_int_equal(lstat(other, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	opts.record_dir = other;
	snprintf(stale, sizeof(stale), "%s/stale", f->dir);
	opts.socket_path = stale;
	assert_int_equal(server_start(&opts, &srv2), -ENOTDIR);
	opts.record_dir = NULL;
	opts.socket_path = "/tmp/rmmemu-test-a-socket-path-far-longer-than-a-sockaddr_un-can-hold"
			   "-0123456789012345678901234567890123456789";
	assert_int_equal(server_start(&opts, &srv2), -ENAMETOOLONG);
	rmm_log_set_sink(test_log_sink, NULL);
	rmm_log_set_level(RMM_LOG_WARN);

	/* The first server still serves. */
	c = host_new(f, -1, 0);
	assert_int_equal(rmi(c, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);
	rmmemu_disconnect(c);

	/* A dead daemon's socket file is replaced. */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memcpy(a.sun_path, stale, strlen(stale) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	opts.socket_path = stale;
	assert_int_equal(server_start(&opts, &srv2), 0);
	assert_int_equal(rmmemu_connect(stale, &c), 0);
	assert_int_equal(rmi(c, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);
	/* Stopping with a connection open closes it. */
	server_stop(srv2);
	err = rmi_try(c, RMI_VERSION, RMI_ABI_VERSION_1_0, out);
	assert_true(err == -ECONNRESET || err == -EPIPE);
	rmmemu_disconnect(c);
	assert_int_equal(lstat(stale, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_default_socket(void **state)
{
	const char *saved = getenv("RMMEMU_SOCKET"), *xdg = getenv("XDG_RUNTIME_DIR");
	char *saved_copy = saved ? strdup(saved) : NULL, *xdg_copy = xdg ? strdup(xdg) : NULL;
	char expect[64];

	(void)state;
	setenv("RMMEMU_SOCKET", "/run/x/rmm.sock", 1);
	assert_string_equal(rmmemu_default_socket(), "/run/x/rmm.sock");
	unsetenv("RMMEMU_SOCKET");
	setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
	assert_string_equal(rmmemu_default_socket(), "/run/user/7/rmmemu.sock");
	unsetenv("XDG_RUNTIME_DIR");
	snprintf(expect, sizeof(expect), "/tmp/rmmemu-%u.sock", (unsigned int)getuid());
	assert_string_equal(rmmemu_default_socket(), expect);
	if (saved_copy != NULL)
		setenv("RMMEMU_SOCKET", saved_copy, 1);
	if (xdg_copy != NULL)
		setenv("XDG_RUNTIME_DIR", xdg_copy, 1);
	free(saved_copy);
	free(xdg_copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_socket),
		cmocka_unit_test_setup_teardown(test_hello_and_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_memfd_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions_isolated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_join_and_concurrent_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_call_blocks_nobody, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_disconnect_ends_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_death_ends_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raise_running, setup_kicked,
						teardown_kicked),
		cmocka_unit_test_setup_teardown(test_bad_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recorder, setup_record, teardown),
		cmocka_unit_test_setup_teardown(test_socket_life_cycle, setup, teardown),
	};

	/* A dead connection must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	rmm_log_set_sink(test_log_sink, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
