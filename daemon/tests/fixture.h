/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's server started in-process on a socket in a temporary
 * directory, for the protocol and fault tests, and what those tests share:
 * hosts connected through the client library, raw sockets, the state the
 * observer sees, host memory. cmocka asserts: for the tests' own thread.
 */
#ifndef RMMEMU_DAEMON_TESTS_FIXTURE_H
#define RMMEMU_DAEMON_TESTS_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <rmmemu/protocol.h>

#include "daemon/tests/tmpdir.h"

struct rmmemu_client;
struct server;
struct server_opts;

#define FIXTURE_TIMEOUT_MS	10000
#define FIXTURE_BASE		0x80000000ULL	/* where host_new shares memory */

struct fixture {
	char dir[TMPDIR_DIR_SIZE];
	char sock[TMPDIR_PATH_SIZE];
	char rec_dir[TMPDIR_PATH_SIZE];		/* the recorder's, with record */
	struct server *srv;
};

/* A server with the options of tmpl (NULL: defaults) on f->sock, recording
 * into f->rec_dir if record; *state = the fixture. 0 or -1. */
int fixture_start(void **state, const struct server_opts *tmpl, bool record);
/* Stops it; -1 if it left its socket behind. */
int fixture_stop(void **state);

/* A host in a new session, sharing pages of fd at FIXTURE_BASE if fd >= 0;
 * one joining other's session. */
struct rmmemu_client *host_new(struct fixture *f, int fd, unsigned int pages);
struct rmmemu_client *host_join(struct fixture *f, struct rmmemu_client *other);
/* A connected SOCK_SEQPACKET socket with a receive timeout, and a frame
 * header of type. */
int raw_connect(struct fixture *f);
struct rmmemu_msg_hdr hdr(uint16_t type);

/* The observer's state dump (text or JSON, malloc'd); whether session id is
 * in it; waiting until it is not. */
char *state_text(struct fixture *f, int json);
bool session_listed(struct fixture *f, uint64_t id);
bool wait_session_gone(struct fixture *f, uint64_t id);

/* Host memory: a sealable memfd of pages, mapped shared; whether a page is
 * all byte; waiting until one is zero. */
int memfd_pages(unsigned int pages);
uint8_t *map_fd(int fd, unsigned int pages);
bool page_is(const uint8_t *p, uint8_t byte);
bool wait_page_zero(const uint8_t *p);

/* Descriptors open in this process. */
unsigned int count_fds(void);

#endif /* RMMEMU_DAEMON_TESTS_FIXTURE_H */
