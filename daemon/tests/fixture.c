/* SPDX-License-Identifier: BSD-3-Clause */
/* The daemon tests' fixture (fixture.h). */
#include <dirent.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <cmocka.h>

#include <rmmemu/client.h>

#include "daemon/server.h"
#include "daemon/tests/fixture.h"
#include "daemon/tests/host.h"
#include "daemon/tests/tmpdir.h"
#include "rmmemu/log.h"

int fixture_start(void **state, const struct server_opts *tmpl, bool record)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct server_opts opts = { 0 };

	if (f == NULL)
		return -1;
	if (tmpl != NULL)
		opts = *tmpl;
	if (tmpdir_create(f->dir, f->sock, f->rec_dir) != 0) {
		free(f);
		return -1;
	}
	opts.socket_path = f->sock;
	opts.record_dir = record ? f->rec_dir : NULL;
	rmm_log_set_level(RMM_LOG_WARN);
	if (server_start(&opts, &f->srv) != 0) {
		tmpdir_remove(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int fixture_stop(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	int ret = 0;

	server_stop(f->srv);
	if (lstat(f->sock, &st) == 0) {
		fprintf(stderr, "server_stop() left %s behind\n", f->sock);
		ret = -1;
	}
	tmpdir_remove(f->dir);
	free(f);
	return ret;
}

struct rmmemu_client *host_new(struct fixture *f, int fd, unsigned int pages)
{
	struct rmmemu_client *c = NULL;
	int err = rmmemu_connect(f->sock, &c);

	if (err)
		fail_msg("connect: %s", rmmemu_client_error(NULL, err));
	if (fd >= 0) {
		err = rmmemu_share_region(c, FIXTURE_BASE, pages * HOST_PAGE, fd, 0);
		if (err)
			fail_msg("share: %s", rmmemu_client_error(c, err));
	}
	return c;
}

struct rmmemu_client *host_join(struct fixture *f, struct rmmemu_client *other)
{
	uint8_t token[RMMEMU_SESSION_TOKEN_SIZE];
	struct rmmemu_client *c = NULL;
	int err;

	rmmemu_session_token(other, token);
	err = rmmemu_connect_join(f->sock, token, &c);
	if (err)
		fail_msg("join: %s", rmmemu_client_error(NULL, err));
	assert_int_equal(rmmemu_session_id(c), rmmemu_session_id(other));
	return c;
}

int raw_connect(struct fixture *f)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = FIXTURE_TIMEOUT_MS / 1000 };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(a.sun_path, f->sock, strlen(f->sock) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	/* A daemon that fails to answer fails the test instead of hanging it. */
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

struct rmmemu_msg_hdr hdr(uint16_t type)
{
	return (struct rmmemu_msg_hdr){ .magic = RMMEMU_PROTO_MAGIC, .type = type };
}

char *state_text(struct fixture *f, int json)
{
	struct rmmemu_client *o;
	char *text = NULL;

	assert_int_equal(rmmemu_connect_observer(f->sock, &o), 0);
	assert_int_equal(rmmemu_session_id(o), 0);
	assert_int_equal(rmmemu_state(o, json, &text), 0);
	rmmemu_disconnect(o);
	return text;
}

/* A line "session ID:" of the text dump. */
bool session_listed(struct fixture *f, uint64_t id)
{
	char *text = state_text(f, 0), line[64];
	bool found;

	snprintf(line, sizeof(line), "session %" PRIu64 ":", id);
	found = strncmp(text, line, strlen(line)) == 0 ||
		(strstr(text, line) != NULL && strstr(text, line)[-1] == '\n');
	free(text);
	return found;
}

bool wait_session_gone(struct fixture *f, uint64_t id)
{
	for (unsigned int t = 0; t < FIXTURE_TIMEOUT_MS; t += 10) {
		if (!session_listed(f, id))
			return true;
		host_sleep_ms(10);
	}
	return false;
}

int memfd_pages(unsigned int pages)
{
	int fd = host_memfd(pages);

	assert_true(fd >= 0);
	return fd;
}

uint8_t *map_fd(int fd, unsigned int pages)
{
	uint8_t *p = host_map(fd, pages);

	assert_non_null(p);
	return p;
}

bool page_is(const uint8_t *p, uint8_t byte)
{
	for (size_t i = 0; i < HOST_PAGE; i++) {
		if (__atomic_load_n(&p[i], __ATOMIC_RELAXED) != byte)
			return false;
	}
	return true;
}

bool wait_page_zero(const uint8_t *p)
{
	for (unsigned int t = 0; t < FIXTURE_TIMEOUT_MS; t += 10) {
		if (page_is(p, 0))
			return true;
		host_sleep_ms(10);
	}
	return false;
}

unsigned int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}
