/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's server, in-process, under hosts that misbehave or die: the
 * HELLO timeout, the limits of a session, memfds that shrink or go away
 * under the daemon, hosts SIGKILLed in the middle of their calls, and the
 * server stopped (SIGTERM's path) with calls in flight. Each time the daemon
 * must answer with a clear error, end what a dead host left behind (realms
 * destroyed, granules scrubbed, its fds closed) and go on serving every
 * other host.
 *
 * The SIGKILLed hosts are this program run again as `test_faults --host`,
 * a fresh process rather than a fork of this threaded one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
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

#include "host.h"
#include "tmpdir.h"

#include "daemon/server.h"
#include "daemon/tests/fixture.h"
#include "rmmemu/log.h"

#define PAGE		HOST_PAGE
#define BASE		HOST_BASE
#define TIMEOUT_MS	10000

extern char **environ;


/* --- the log: errors fail the test, some warnings are counted ------------ */

static unsigned int log_errors;
static unsigned int realm_refusals;

static void test_log_sink(enum rmm_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == RMM_LOG_ERROR) {
		__atomic_add_fetch(&log_errors, 1, __ATOMIC_RELAXED);
		fprintf(stderr, "logged error: %s\n", msg);
	}
	if (strstr(msg, "REALM_CREATE refused") != NULL)
		__atomic_add_fetch(&realm_refusals, 1, __ATOMIC_RELAXED);
}

/* --- fixture ------------------------------------------------------------- */

static int start(void **state, const struct server_opts *tmpl)
{
	log_errors = 0;
	realm_refusals = 0;
	return fixture_start(state, tmpl, false);
}

static int setup(void **state)
{
	return start(state, &(struct server_opts){ .hello_timeout_ms = 300 });
}

static int setup_limits(void **state)
{
	return start(state, &(struct server_opts){
		.limits = { .connections = 3, .regions = 2, .region_bytes = 8 * PAGE },
	});
}

static int setup_realm_limit(void **state)
{
	return start(state, &(struct server_opts){ .limits = { .realms = 2 } });
}

static int teardown(void **state)
{
	int ret = fixture_stop(state);

	return log_errors != 0 ? -1 : ret;
}

/* --- helpers ------------------------------------------------------------- */

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static int try_join(struct fixture *f, struct rmmemu_client *other, struct rmmemu_client **c)
{
	uint8_t token[RMMEMU_SESSION_TOKEN_SIZE];

	rmmemu_session_token(other, token);
	return rmmemu_connect_join(f->sock, token, c);
}

static uint64_t rmi(struct rmmemu_client *c, uint64_t fid, uint64_t x1)
{
	return host_rmi(c, fid, x1, 0, 0);
}

static void expect_error_text(const char *text, const char *what)
{
	if (strstr(text, what) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", text, what);
}

/* Waits for the daemon to close what ended hosts left: fds are counted
 * across the whole process, the daemon's and the test's. */
static bool wait_fds(unsigned int expect)
{
	for (unsigned int t = 0; t < TIMEOUT_MS; t += 10) {
		if (count_fds() == expect)
			return true;
		host_sleep_ms(10);
	}
	fprintf(stderr, "%u fds open, %u expected\n", count_fds(), expect);
	return false;
}

/* --- the HELLO timeout --------------------------------------------------- */

/* A connection that says nothing is answered ERROR (ETIMEDOUT) and closed
 * once the timeout has passed; one that says HELLO in time is served and
 * may then stay idle as long as it likes. */
static void test_hello_timeout(void **state)
{
	struct fixture *f = *state;
	struct rmmemu_msg_hello hello = { .hdr = hdr(RMMEMU_MSG_HELLO),
					  .version = RMMEMU_PROTO_VERSION };
	struct rmmemu_msg_rmi_call call = { .hdr = hdr(RMMEMU_MSG_RMI_CALL),
					    .x = { RMI_VERSION, RMI_ABI_VERSION_1_0 } };
	union {
		struct rmmemu_msg_error e;
		struct rmmemu_msg_rmi_result r;
		uint8_t raw[512];
	} rep;
	int silent = raw_connect(f), talker = raw_connect(f);
	struct timespec t0;
	long waited;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	host_sleep_ms(100);
	assert_int_equal(send(talker, &hello, sizeof(hello), 0), sizeof(hello));
	assert_int_equal(recv(talker, &rep, sizeof(rep), 0), sizeof(struct rmmemu_msg_hello_reply));

	assert_int_equal(recv(silent, &rep, sizeof(rep), 0), sizeof(rep.e));
	waited = elapsed_ms(&t0);
	assert_int_equal(rep.e.hdr.type, RMMEMU_MSG_ERROR);
	assert_int_equal(rep.e.code, ETIMEDOUT);
	expect_error_text(rep.e.text, "no HELLO within 300 ms");
	assert_int_equal(recv(silent, &rep, sizeof(rep), 0), 0);
	assert_true(waited >= 250);
	assert_true(waited < 3000);
	close(silent);

	host_sleep_ms(400);
	assert_int_equal(send(talker, &call, sizeof(call), 0), sizeof(call));
	assert_int_equal(recv(talker, &rep, sizeof(rep), 0), sizeof(rep.r));
	assert_int_equal(rep.r.hdr.type, RMMEMU_MSG_RMI_RESULT);
	assert_int_equal(rep.r.x[0], RMI_SUCCESS);
	close(talker);
}

/* --- limits -------------------------------------------------------------- */

/* A session's fourth connection is refused with a text naming the limit;
 * another session counts apart; a connection that ends makes room. */
static void test_connection_limit(void **state)
{
	struct fixture *f = *state;
	struct rmmemu_client *c1 = host_new(f, -1, 0), *c2 = host_join(f, c1);
	struct rmmemu_client *c3 = host_join(f, c1), *c4 = NULL, *o1, *o2;
	int err = try_join(f, c1, &c4);
	unsigned int t;

	assert_int_equal(err, -EUSERS);
	expect_error_text(rmmemu_client_error(NULL, err), "3 connections, its limit");
	expect_error_text(rmmemu_client_error(NULL, err), "--session-connections");

	o1 = host_new(f, -1, 0);
	o2 = host_join(f, o1);
	assert_int_equal(rmi(o2, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);

	rmmemu_disconnect(c3);
	/* The daemon sees the end of c3 when its thread reads it. */
	for (t = 0; t < TIMEOUT_MS && (err = try_join(f, c1, &c4)) == -EUSERS; t += 10)
		host_sleep_ms(10);
	assert_int_equal(err, 0);
	assert_int_equal(rmi(c4, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);
	assert_int_equal(rmi(c1, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);
	rmmemu_disconnect(c1);
	rmmemu_disconnect(c2);
	rmmemu_disconnect(c4);
	rmmemu_disconnect(o1);
	rmmemu_disconnect(o2);
}

/* Past the region count or the region bytes, SHARE_REGION is an ERROR that
 * names the limit; the refused connection closes, the session goes on, and
 * a refused region counts for nothing. */
static void test_region_limits(void **state)
{
	struct fixture *f = *state;
	int fds[4] = { memfd_pages(2), memfd_pages(6), memfd_pages(4), memfd_pages(2) };
	struct rmmemu_client *c1 = host_new(f, -1, 0), *c2 = host_join(f, c1), *c3;
	int p[2], err;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	/* Two regions, 8 pages: both limits reached exactly. */
	assert_int_equal(rmmemu_share_region(c1, BASE, 2 * PAGE, fds[0], 0), 0);
	assert_int_equal(rmmemu_share_region(c1, BASE + 0x100000, 6 * PAGE, fds[1], 0), 0);
	err = rmmemu_share_region(c2, BASE + 0x200000, PAGE, fds[3], 0);
	assert_int_equal(err, -EDQUOT);
	expect_error_text(rmmemu_client_error(c2, err), "shares 2 regions, its limit");
	expect_error_text(rmmemu_client_error(c2, err), "--session-regions");
	assert_int_equal(rmi(c1, RMI_GRANULE_DELEGATE, BASE + 0x100000 + 5 * PAGE), RMI_SUCCESS);
	assert_int_equal(rmi(c1, RMI_GRANULE_UNDELEGATE, BASE + 0x100000 + 5 * PAGE),
			 RMI_SUCCESS);
	rmmemu_disconnect(c1);
	rmmemu_disconnect(c2);

	c1 = host_new(f, -1, 0);
	c2 = host_join(f, c1);
	c3 = host_join(f, c1);
	assert_int_equal(rmmemu_share_region(c1, BASE, 6 * PAGE, fds[1], 0), 0);
	err = rmmemu_share_region(c2, BASE + 0x100000, 4 * PAGE, fds[2], 0);
	assert_int_equal(err, -EDQUOT);
	expect_error_text(rmmemu_client_error(c2, err),
			  "shares 0x6000 bytes; 0x4000 more would pass its limit of 0x8000");
	expect_error_text(rmmemu_client_error(c2, err), "--session-memory");
	assert_int_equal(rmmemu_share_region(c3, BASE + 0x100000, 2 * PAGE, p[0], 0), -EINVAL);
	/* Neither refusal took anything: the last two pages still fit. */
	assert_int_equal(rmmemu_share_region(c1, BASE + 0x100000, 2 * PAGE, fds[3], 0), 0);
	assert_int_equal(rmi(c1, RMI_GRANULE_DELEGATE, BASE + 0x100000 + PAGE), RMI_SUCCESS);
	rmmemu_disconnect(c1);
	rmmemu_disconnect(c2);
	rmmemu_disconnect(c3);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	close(p[0]);
	close(p[1]);
}

/* A REALM_CREATE past the limit returns ERROR_INPUT and changes nothing;
 * the connection goes on; a destroyed realm, or a REALM_CREATE that failed
 * for its own reasons, gives its slot back. */
static void test_realm_limit(void **state)
{
	struct fixture *f = *state;
	unsigned int win = host_realm_pages(0);
	int fd = memfd_pages(4 * win);
	uint8_t *ns = map_fd(fd, 4 * win);
	struct rmmemu_client *c = host_new(f, fd, 4 * win);
	struct host_realm r[4];
	const char *step = NULL;
	uint64_t x[7], out[5];

	for (unsigned int i = 0; i < 2; i++)
		assert_int_equal(host_realm_create(c, &r[i], ns + i * win * PAGE,
						   BASE + i * win * PAGE, 0, i + 1, true, &step),
				 RMI_SUCCESS);
	assert_int_equal(host_realm_create(c, &r[2], ns + 2 * win * PAGE, BASE + 2 * win * PAGE,
					   0, 3, false, &step), RMI_ERROR_INPUT);
	assert_string_equal(step, "REALM_CREATE");
	assert_int_equal(realm_refusals, 1);
	/* With the SVE hint bit it is the same command (SMCCC). */
	memset(x, 0, sizeof(x));
	x[0] = RMI_REALM_CREATE | RMI_FID_SVE_HINT;
	x[1] = r[2].rd;
	x[2] = r[2].params;
	x[4] = 0x4444;
	assert_int_equal(rmmemu_rmi_call(c, x, out), 0);
	assert_int_equal(out[0], RMI_ERROR_INPUT);
	/* x4 comes back as it went, as from every failed call of the core. */
	assert_int_equal(out[4], 0x4444);
	assert_int_equal(realm_refusals, 2);
	/* Nothing changed: the RD and the root RTT are still DELEGATED. */
	assert_int_equal(rmi(c, RMI_GRANULE_UNDELEGATE, r[2].rd), RMI_SUCCESS);
	assert_int_equal(rmi(c, RMI_GRANULE_UNDELEGATE, r[2].rtt), RMI_SUCCESS);

	assert_int_equal(host_realm_destroy(c, &r[0]), RMI_SUCCESS);
	assert_int_equal(host_realm_create(c, &r[2], ns + 2 * win * PAGE, BASE + 2 * win * PAGE,
					   0, 3, false, &step), RMI_SUCCESS);
	assert_int_equal(host_realm_destroy(c, &r[1]), RMI_SUCCESS);
	/* Failed for its own reason (the RD is NS): the slot comes back. */
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(host_rmi(c, RMI_REALM_CREATE, r[1].rd, r[1].params, 0),
				 RMI_ERROR_INPUT);
	assert_int_equal(host_realm_create(c, &r[3], ns + 3 * win * PAGE, BASE + 3 * win * PAGE,
					   0, 4, true, &step), RMI_SUCCESS);
	assert_int_equal(realm_refusals, 2);
	rmmemu_disconnect(c);
	munmap(ns, 4 * win * PAGE);
	close(fd);
}

/* --- memory that shrinks or goes away ------------------------------------ */

struct shrinker {
	int fd;
	unsigned int pages;
	int stop;
};

/* Regrows and shrinks the memfd until the daemon's seal stops it, and
 * leaves it shrunk if the seal came just after a shrink. */
static void *shrinker_main(void *arg)
{
	struct shrinker *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		if (ftruncate(s->fd, (off_t)(s->pages * PAGE)) != 0 ||
		    ftruncate(s->fd, (off_t)PAGE) != 0 ||
		    (fcntl(s->fd, F_GET_SEALS) & F_SEAL_SHRINK))
			break;
	}
	return NULL;
}

/*
 * A host shrinks its memfd while sharing it. Whatever the timing, the daemon
 * either refuses the region (the memfd is too small) or holds a memfd that
 * covers it and can no longer shrink: the last granule of the region is then
 * touched (DELEGATE scrubs it), which would be a SIGBUS otherwise.
 */
static void test_region_shrink_race(void **state)
{
	struct fixture *f = *state;
	unsigned int accepted = 0, refused = 0;

	for (unsigned int i = 0; i < 150; i++) {
		struct shrinker s = { .fd = memfd_pages(16), .pages = 16 };
		struct rmmemu_client *c = host_new(f, -1, 0);
		struct stat st;
		pthread_t t;
		int err;

		assert_int_equal(pthread_create(&t, NULL, shrinker_main, &s), 0);
		err = rmmemu_share_region(c, BASE, 16 * PAGE, s.fd, 0);
		__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
		pthread_join(t, NULL);
		if (err == 0) {
			accepted++;
			assert_int_equal(fstat(s.fd, &st), 0);
			if (st.st_size < (off_t)(16 * PAGE))
				fail_msg("the daemon holds a region of 16 pages whose memfd has "
					 "%lld bytes", (long long)st.st_size);
			assert_int_equal(ftruncate(s.fd, (off_t)PAGE), -1);
			assert_int_equal(rmi(c, RMI_GRANULE_DELEGATE, BASE + 15 * PAGE),
					 RMI_SUCCESS);
		} else {
			refused++;
			assert_int_equal(err, -EINVAL);
			expect_error_text(rmmemu_client_error(c, err), "the memfd holds");
		}
		rmmemu_disconnect(c);
		close(s.fd);
	}
	print_message("%u regions accepted, %u refused\n", accepted, refused);
}

/*
 * The host unmaps and closes its memfd, punches holes in it, or seals it
 * against writes after sharing it: the daemon's own mapping stays, the
 * region goes on working and delegation still scrubs the host's view.
 */
static void test_region_goes_away(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_pages(8), fd2 = memfd_pages(8);
	uint8_t *ns = map_fd(fd, 8), *ns2 = map_fd(fd2, 8);
	struct rmmemu_client *c = host_new(f, fd, 8), *c2 = host_new(f, fd2, 8);

	memset(ns, 0x5a, 8 * PAGE);
	munmap(ns, 8 * PAGE);
	close(fd);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(rmi(c, RMI_GRANULE_DELEGATE, BASE + i * PAGE), RMI_SUCCESS);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(rmi(c, RMI_GRANULE_UNDELEGATE, BASE + i * PAGE), RMI_SUCCESS);

	memset(ns2, 0x5a, 8 * PAGE);
	assert_int_equal(fallocate(fd2, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
				   (off_t)(4 * PAGE)), 0);
	assert_true(page_is(ns2, 0));
	assert_int_equal(rmi(c2, RMI_GRANULE_DELEGATE, BASE), RMI_SUCCESS);
	/* F_SEAL_WRITE needs every writable mapping gone: the daemon's stays. */
	assert_int_equal(fcntl(fd2, F_ADD_SEALS, F_SEAL_WRITE), -1);
	assert_int_equal(errno, EBUSY);
	/* A future-write seal leaves the daemon's mapping writable, and keeps
	 * the kernel from punching holes: scrubbing falls back to stores. */
	assert_int_equal(fcntl(fd2, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0);
	assert_true(page_is(ns2 + 5 * PAGE, 0x5a));
	assert_int_equal(rmi(c2, RMI_GRANULE_DELEGATE, BASE + 5 * PAGE), RMI_SUCCESS);
	assert_true(page_is(ns2 + 5 * PAGE, 0));
	assert_int_equal(rmi(c2, RMI_GRANULE_UNDELEGATE, BASE + 5 * PAGE), RMI_SUCCESS);
	assert_int_equal(rmi(c2, RMI_GRANULE_UNDELEGATE, BASE), RMI_SUCCESS);
	assert_true(page_is(ns2 + 7 * PAGE, 0x5a));

	rmmemu_disconnect(c);
	rmmemu_disconnect(c2);
	munmap(ns2, 8 * PAGE);
	close(fd2);
}

/*
 * A region that lies: memfd bytes the session shares already, at another
 * PA. Refused, with the PA of the first; other bytes of the same memfd, and
 * the same bytes in another session (another host's address space), are
 * fine.
 */
static void test_region_alias(void **state)
{
	struct fixture *f = *state;
	int fd = memfd_pages(8), dup_fd;
	struct rmmemu_client *c = host_new(f, -1, 0), *c2 = host_join(f, c), *other;
	int err;

	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	assert_true(dup_fd >= 0);
	assert_int_equal(rmmemu_share_region(c, BASE, 4 * PAGE, fd, 0), 0);
	err = rmmemu_share_region(c2, BASE + 0x100000, 2 * PAGE, dup_fd, 3 * PAGE);
	assert_int_equal(err, -EEXIST);
	expect_error_text(rmmemu_client_error(c2, err),
			  "bytes [0x0, 0x4000) are shared already, at 0x80000000");
	assert_int_equal(rmmemu_share_region(c, BASE + 0x100000, 4 * PAGE, dup_fd, 4 * PAGE), 0);
	other = host_new(f, fd, 4);
	assert_int_equal(rmi(other, RMI_GRANULE_DELEGATE, BASE), RMI_SUCCESS);
	assert_int_equal(rmi(c, RMI_GRANULE_DELEGATE, BASE + 0x100000), RMI_SUCCESS);
	rmmemu_disconnect(c);
	rmmemu_disconnect(c2);
	rmmemu_disconnect(other);
	close(dup_fd);
	close(fd);
}

/* --- hosts killed in the middle of their calls --------------------------- */

#define KILLED_RECS	2

struct bystander {
	struct rmmemu_client *c;
	int stop;
	unsigned long calls, failures;
};

/* Another host, calling all along: none of its calls may fail. */
static void *bystander_main(void *arg)
{
	struct bystander *b = arg;

	while (!__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
		for (unsigned int i = 0; i < 4; i++) {
			if (rmi(b->c, RMI_GRANULE_DELEGATE, BASE + i * PAGE) != RMI_SUCCESS ||
			    rmi(b->c, RMI_GRANULE_UNDELEGATE, BASE + i * PAGE) != RMI_SUCCESS)
				b->failures++;
			b->calls += 2;
		}
	}
	return NULL;
}

/* Runs `test_faults --host SOCK PAGES` with the memfd as its fd 3 and its
 * stdout on a pipe; returns the pid, the pipe's read end in *out. */
static pid_t spawn_host(struct fixture *f, int memfd, unsigned int pages, int *out)
{
	char self[512], pages_arg[16];
	const char *argv[] = { self, "--host", f->sock, pages_arg, NULL };
	posix_spawn_file_actions_t fa;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int p[2];
	pid_t pid;

	assert_true(n > 0);
	self[n] = '\0';
	snprintf(pages_arg, sizeof(pages_arg), "%u", pages);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_adddup2(&fa, memfd, 3), 0);
	assert_int_equal(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
	assert_int_equal(posix_spawn(&pid, self, &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	*out = p[0];
	return pid;
}

/* The host's "ready SESSION" line, once its realm is built and its calls
 * are under way. */
static uint64_t read_ready(int fd)
{
	char line[128];
	size_t len = 0;
	uint64_t id;

	while (len + 1 < sizeof(line)) {
		ssize_t n = read(fd, line + len, 1);

		if (n <= 0 || line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	if (sscanf(line, "ready %" SCNu64, &id) != 1)
		fail_msg("the host did not get ready: \"%s\"", line);
	return id;
}

/*
 * Three hosts, one after the other, each with a realm of two RECs entered
 * over two connections, granules delegated and undelegated, are SIGKILLed
 * in the middle of it. Each time: the session ends, every granule its realm
 * held reads as zeros again (the host had scribbled on them), and the
 * daemon lets go of the host's fds; a bystander host never sees a failure.
 */
static void test_host_killed_mid_calls(void **state)
{
	struct fixture *f = *state;
	unsigned int pages = host_realm_pages(KILLED_RECS) + 8;
	int bfd = memfd_pages(4);
	struct bystander b = { .c = host_new(f, bfd, 4) };
	unsigned int fds_before;
	pthread_t bt;

	assert_int_equal(pthread_create(&bt, NULL, bystander_main, &b), 0);
	fds_before = count_fds();
	for (unsigned int k = 0; k < 3; k++) {
		int fd = memfd_pages(pages), out, status;
		uint8_t *ns = map_fd(fd, pages);
		pid_t pid = spawn_host(f, fd, pages, &out);
		uint64_t id = read_ready(out);

		host_sleep_ms(20 + 30 * k);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);
		close(out);
		assert_true(wait_session_gone(f, id));
		/* The realm's granules: RD, root RTT, RECs and their aux. */
		for (unsigned int i = 1; i < host_realm_pages(KILLED_RECS); i++) {
			if (i == 3 || (i >= 4 && (i - 4) % (2 + RMI_REC_AUX_GRANULES) == 0))
				continue;	/* NS: REC params, run pages */
			if (!wait_page_zero(ns + i * PAGE))
				fail_msg("page %u of killed host %u was not scrubbed", i, k);
		}
		munmap(ns, pages * PAGE);
		close(fd);
		assert_true(wait_fds(fds_before));
	}
	__atomic_store_n(&b.stop, 1, __ATOMIC_RELEASE);
	pthread_join(bt, NULL);
	print_message("bystander: %lu calls\n", b.calls);
	assert_true(b.calls > 0);
	assert_int_equal(b.failures, 0);
	rmmemu_disconnect(b.c);
	close(bfd);
}

/* --- the server stopped with calls in flight ----------------------------- */

struct watchdog {
	sem_t done;
	unsigned int ms;
};

/* A hang fails the test with a message instead of stalling it. */
static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += w->ms / 1000;
	while (sem_timedwait(&w->done, &ts) != 0) {
		if (errno != EINTR) {
			fprintf(stderr, "watchdog: server_stop() did not return in %u ms\n", w->ms);
			abort();
		}
	}
	return NULL;
}

/*
 * server_stop(), what SIGTERM runs, while four connections of two sessions
 * enter RECs back to back: it returns (a watchdog aborts otherwise), every
 * caller gets an error instead of a hang, and the host's memory is
 * scrubbed.
 */
static void test_stop_with_calls_in_flight(void **state)
{
	struct fixture *f = *state;
	unsigned int win = host_realm_pages(1);
	struct watchdog w = { .ms = 20000 };
	int fd[2] = { memfd_pages(2 * win), memfd_pages(2 * win) };
	uint8_t *ns[2] = { map_fd(fd[0], 2 * win), map_fd(fd[1], 2 * win) };
	struct host_caller k[4] = { 0 };
	pthread_t t[4], wd;
	struct timespec t0;
	const char *step;

	for (unsigned int s = 0; s < 2; s++) {
		k[2 * s].c = host_new(f, fd[s], 2 * win);
		k[2 * s + 1].c = host_join(f, k[2 * s].c);
		for (unsigned int j = 0; j < 2; j++) {
			struct host_caller *c = &k[2 * s + j];

			assert_int_equal(host_realm_create(c->c, &c->r, ns[s] + j * win * PAGE,
							   BASE + j * win * PAGE, 1, j + 1,
							   true, &step), RMI_SUCCESS);
		}
		memset(ns[s] + PAGE, 0xaa, PAGE);	/* the host's view of an RD */
	}
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, host_caller_main, &k[i]), 0);
	host_sleep_ms(100);
	sem_init(&w.done, 0, 0);
	assert_int_equal(pthread_create(&wd, NULL, watchdog_main, &w), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	server_stop(f->srv);
	f->srv = NULL;
	print_message("server_stop() took %ld ms\n", elapsed_ms(&t0));
	sem_post(&w.done);
	pthread_join(wd, NULL);
	sem_destroy(&w.done);
	for (unsigned int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_true(k[i].calls > 0);
		assert_true(k[i].err == -ECONNRESET || k[i].err == -EPIPE);
		rmmemu_disconnect(k[i].c);
	}
	for (unsigned int s = 0; s < 2; s++) {
		assert_true(page_is(ns[s] + PAGE, 0));		/* an RD */
		munmap(ns[s], 2 * win * PAGE);
		close(fd[s]);
	}
}

/* --- the killed host ----------------------------------------------------- */

struct host_loop {
	struct rmmemu_client *c;
	struct host_realm *r;
	unsigned int rec;
	uint64_t spare;		/* a granule to delegate and undelegate */
};

static void *host_loop_main(void *arg)
{
	struct host_loop *l = arg;

	for (;;) {
		host_rec_enter(l->c, l->r, l->rec);
		rmmemu_rec_kick(l->c, l->r->rec[1 - l->rec]);
		host_rmi(l->c, RMI_GRANULE_DELEGATE, l->spare, 0, 0);
		host_rmi(l->c, RMI_GRANULE_UNDELEGATE, l->spare, 0, 0);
	}
	return NULL;
}

/* `test_faults --host SOCK PAGES`: builds a realm in the memfd at fd 3,
 * scribbles on its granules, says "ready", then calls until killed. */
static int host_main(const char *sock, unsigned int pages)
{
	struct rmmemu_client *c, *c2;
	uint8_t *ns = host_map(3, pages);
	unsigned int realm_pages = host_realm_pages(KILLED_RECS);
	struct host_realm r;
	struct host_loop l[2];
	const char *step = "connect";
	pthread_t t;
	uint64_t ret;
	uint8_t token[RMMEMU_SESSION_TOKEN_SIZE];

	if (ns == NULL || rmmemu_connect(sock, &c) != 0 ||
	    rmmemu_share_region(c, BASE, pages * PAGE, 3, 0) != 0) {
		printf("failed: %s\n", step);
		return 1;
	}
	ret = host_realm_create(c, &r, ns, BASE, KILLED_RECS, 1, true, &step);
	rmmemu_session_token(c, token);
	if (ret != RMI_SUCCESS || rmmemu_connect_join(sock, token, &c2) != 0) {
		printf("failed: %s 0x%" PRIx64 "\n", step, ret);
		return 1;
	}
	/* Through its own view of delegated granules: only the daemon's
	 * scrubbing at the end of the session clears this. */
	memset(ns + PAGE, 0xaa, 2 * PAGE);
	memset(ns + 4 * PAGE, 0xaa, (realm_pages - 4) * PAGE);
	l[0] = (struct host_loop){ .c = c, .r = &r, .rec = 0, .spare = BASE + realm_pages * PAGE };
	l[1] = (struct host_loop){ .c = c2, .r = &r, .rec = 1,
				   .spare = BASE + (realm_pages + 1) * PAGE };
	if (pthread_create(&t, NULL, host_loop_main, &l[1]) != 0)
		return 1;
	printf("ready %" PRIu64 "\n", rmmemu_session_id(c));
	fflush(stdout);
	host_loop_main(&l[0]);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_limit, setup_limits, teardown),
		cmocka_unit_test_setup_teardown(test_region_limits, setup_limits, teardown),
		cmocka_unit_test_setup_teardown(test_realm_limit, setup_realm_limit, teardown),
		cmocka_unit_test_setup_teardown(test_region_shrink_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_goes_away, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_alias, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_killed_mid_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_calls_in_flight, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "--host") == 0)
		return host_main(argv[2], (unsigned int)strtoul(argv[3], NULL, 10));
	rmm_log_set_sink(test_log_sink, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
