/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rmmemu binary as a user runs it: its options, refusing to start beside
 * a live daemon, recording, and a clean shutdown on SIGTERM/SIGINT (exit 0,
 * sessions scrubbed, socket removed), also with calls in flight. Each test
 * uses its own temporary directory; the binary is
 * $top_builddir/daemon/rmmemu.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <rmmemu/client.h>
#include <rmmemu/rmi-1.0.h>

#include "host.h"
#include "tmpdir.h"

#define PAGE		4096UL
#define BASE		0x80000000ULL
#define TIMEOUT_MS	20000	/* generous: sanitizer builds start slowly */

extern char **environ;

struct fixture {
	char dir[TMPDIR_DIR_SIZE];
	char sock[TMPDIR_PATH_SIZE];
	char rec_dir[TMPDIR_PATH_SIZE];
	char rmmemu[512];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *builddir = getenv("top_builddir");

	if (f == NULL)
		return -1;
	snprintf(f->rmmemu, sizeof(f->rmmemu), "%s/daemon/rmmemu",
		 builddir != NULL ? builddir : ".");
	if (access(f->rmmemu, X_OK) != 0) {
		fprintf(stderr, "%s: not found (run from the build directory)\n", f->rmmemu);
		free(f);
		return -1;
	}
	if (tmpdir_create(f->dir, f->sock, f->rec_dir) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Runs rmmemu with args (NULL-terminated); its stdout goes to out_fd if
 * out_fd >= 0. */
static pid_t spawn(struct fixture *f, int out_fd, ...)
{
	const char *argv[16] = { f->rmmemu };
	posix_spawn_file_actions_t fa;
	unsigned int n = 1;
	va_list ap;
	pid_t pid;

	va_start(ap, out_fd);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	if (out_fd >= 0)
		assert_int_equal(posix_spawn_file_actions_adddup2(&fa, out_fd, 1), 0);
	assert_int_equal(posix_spawn(&pid, f->rmmemu, &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* The exit status, or -1 if it did not exit in time (then it is killed). */
static int wait_exit(pid_t pid)
{
	int status;

	for (unsigned int t = 0; t < TIMEOUT_MS; t += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		assert_true(r >= 0);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Connects once the daemon listens; fails if it exited first. */
static struct rmmemu_client *connect_when_up(struct fixture *f, pid_t pid)
{
	struct rmmemu_client *c;
	int status;

	for (unsigned int t = 0; t < TIMEOUT_MS; t += 10) {
		if (rmmemu_connect(f->sock, &c) == 0)
			return c;
		assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fail_msg("rmmemu did not listen on %s", f->sock);
	return NULL;
}

/* Runs rmmemu with one argument; returns its exit status and its stdout. */
static int run_output(struct fixture *f, const char *arg, char *out, size_t size)
{
	int p[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = spawn(f, p[1], arg, NULL);
	close(p[1]);
	while (len + 1 < size && (n = read(p[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	status = wait_exit(pid);
	return status;
}

static uint64_t rmi(struct rmmemu_client *c, uint32_t fid, uint64_t x1)
{
	uint64_t x[7] = { fid, x1 }, out[5];
	int err = rmmemu_rmi_call(c, x, out);

	if (err)
		fail_msg("RMI call: %s", rmmemu_client_error(c, err));
	return out[0];
}

static void test_options(void **state)
{
	struct fixture *f = *state;
	char out[4096];

	assert_int_equal(run_output(f, "--version", out, sizeof(out)), 0);
	assert_string_equal(out, "rmmemu " PACKAGE_VERSION "\n");
	assert_int_equal(run_output(f, "--help", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "--socket PATH"));
	assert_non_null(strstr(out, "--record DIR"));
	assert_non_null(strstr(out, "--log-level LEVEL"));
	assert_non_null(strstr(out, "SIGTERM"));
	assert_non_null(strstr(out, "--session-connections N"));
	assert_non_null(strstr(out, "--session-regions N"));
	assert_non_null(strstr(out, "--session-memory SIZE"));
	assert_non_null(strstr(out, "--session-realms N"));
	assert_non_null(strstr(out, "--hello-timeout SECONDS"));
	assert_int_equal(run_output(f, "--no-such-option", out, sizeof(out)), 2);
	assert_int_equal(wait_exit(spawn(f, -1, "--log-level", "loud", NULL)), 2);
	assert_int_equal(wait_exit(spawn(f, -1, "--session-regions", "257", NULL)), 2);
	assert_int_equal(wait_exit(spawn(f, -1, "--session-connections", "0", NULL)), 2);
	assert_int_equal(wait_exit(spawn(f, -1, "--session-memory", "3X", NULL)), 2);
	assert_int_equal(wait_exit(spawn(f, -1, "--session-memory", "1000", NULL)), 2);
	assert_int_equal(wait_exit(spawn(f, -1, "--session-realms", "-1", NULL)), 2);
	assert_int_equal(wait_exit(spawn(f, -1, "--hello-timeout", "", NULL)), 2);
}

/* The limit options reach the sessions. */
static void test_limit_options(void **state)
{
	struct fixture *f = *state;
	pid_t pid = spawn(f, -1, "--socket", f->sock, "--log-level", "error",
			  "--session-connections", "1", "--session-memory", "8K", NULL);
	struct rmmemu_client *c = connect_when_up(f, pid), *c2;
	uint8_t token[RMMEMU_SESSION_TOKEN_SIZE];
	int fd = host_memfd(3);

	assert_true(fd >= 0);
	rmmemu_session_token(c, token);
	assert_int_equal(rmmemu_connect_join(f->sock, token, &c2), -EUSERS);
	assert_int_equal(rmmemu_share_region(c, BASE, 3 * PAGE, fd, 0), -EDQUOT);
	rmmemu_disconnect(c);
	c = connect_when_up(f, pid);
	assert_int_equal(rmmemu_share_region(c, BASE, 2 * PAGE, fd, 0), 0);
	rmmemu_disconnect(c);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(wait_exit(pid), 0);
	close(fd);
}

/* SIGTERM: exit 0, every session scrubbed, the socket file removed; a second
 * daemon on the same socket refuses to start. */
static void test_sigterm(void **state)
{
	struct fixture *f = *state;
	pid_t pid = spawn(f, -1, "--socket", f->sock, "--log-level", "warn", NULL);
	struct rmmemu_client *c = connect_when_up(f, pid);
	int fd = memfd_create("rmmemu-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint64_t x[7] = { RMI_VERSION, RMI_ABI_VERSION_1_0 }, out[5];
	struct stat st;
	uint8_t *ns;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 2 * PAGE), 0);
	ns = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(ns != MAP_FAILED);
	assert_int_equal(lstat(f->sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(rmmemu_share_region(c, BASE, 2 * PAGE, fd, 0), 0);
	assert_int_equal(rmi(c, RMI_GRANULE_DELEGATE, BASE), RMI_SUCCESS);
	memset(ns, 0xaa, PAGE);

	assert_int_equal(wait_exit(spawn(f, -1, "--socket", f->sock, "--log-level", "error",
					 NULL)), 1);
	assert_int_equal(rmi(c, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);

	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(wait_exit(pid), 0);
	assert_int_equal(lstat(f->sock, &st), -1);
	assert_int_equal(errno, ENOENT);
	for (size_t i = 0; i < PAGE; i++)
		assert_int_equal(ns[i], 0);
	assert_int_not_equal(rmmemu_rmi_call(c, x, out), 0);
	rmmemu_disconnect(c);
	munmap(ns, 2 * PAGE);
	close(fd);
}

/* SIGINT shuts down the same way; --record leaves a replay script. */
static void test_sigint_and_record(void **state)
{
	struct fixture *f = *state;
	pid_t pid = spawn(f, -1, "--socket", f->sock, "--record", f->rec_dir,
			  "--log-level", "warn", NULL);
	struct rmmemu_client *c = connect_when_up(f, pid);
	char path[160], line[256];
	bool found = false;
	struct stat st;
	FILE *rec;

	assert_int_equal(rmi(c, RMI_VERSION, RMI_ABI_VERSION_1_0), RMI_SUCCESS);
	assert_int_equal(kill(pid, SIGINT), 0);
	assert_int_equal(wait_exit(pid), 0);
	rmmemu_disconnect(c);
	assert_int_equal(lstat(f->sock, &st), -1);

	snprintf(path, sizeof(path), "%s/session-1.rmi", f->rec_dir);
	rec = fopen(path, "r");
	assert_non_null(rec);
	while (fgets(line, sizeof(line), rec) != NULL)
		found = found || strcmp(line, "call VERSION 0x10000\n") == 0;
	fclose(rec);
	assert_true(found);
}

/*
 * SIGTERM while four hosts, each with an active realm, call as fast as they
 * can: the daemon exits 0 well within the time limit (no hang on a call in
 * flight), every host sees its connection end, every realm's granules read
 * as zeros, the socket is gone.
 */
static void test_sigterm_calls_in_flight(void **state)
{
	struct fixture *f = *state;
	pid_t pid = spawn(f, -1, "--socket", f->sock, "--log-level", "warn", NULL);
	unsigned int pages = host_realm_pages(1) + 1;
	struct host_caller k[4];
	uint8_t *ns[4];
	int fd[4];
	pthread_t t[4];
	const char *step;
	struct stat st;

	for (unsigned int i = 0; i < 4; i++) {
		k[i] = (struct host_caller){ .c = connect_when_up(f, pid),
					     .spare = BASE + host_realm_pages(1) * PAGE };
		fd[i] = host_memfd(pages);
		assert_true(fd[i] >= 0);
		ns[i] = host_map(fd[i], pages);
		assert_non_null(ns[i]);
		assert_int_equal(rmmemu_share_region(k[i].c, BASE, pages * PAGE, fd[i], 0), 0);
		assert_int_equal(host_realm_create(k[i].c, &k[i].r, ns[i], BASE, 1, 1, true, &step),
				 RMI_SUCCESS);
		memset(ns[i] + PAGE, 0xaa, PAGE);	/* the host's view of the RD */
	}
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, host_caller_main, &k[i]), 0);
	sleep_ms(200);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(wait_exit(pid), 0);
	for (unsigned int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_true(k[i].calls > 0);
		assert_true(k[i].err == -ECONNRESET || k[i].err == -EPIPE);
		for (size_t b = 0; b < PAGE; b++)
			assert_int_equal(ns[i][PAGE + b], 0);
		rmmemu_disconnect(k[i].c);
		munmap(ns[i], pages * PAGE);
		close(fd[i]);
	}
	assert_int_equal(lstat(f->sock, &st), -1);
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigterm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigint_and_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_calls_in_flight, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
