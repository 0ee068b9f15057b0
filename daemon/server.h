/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's server: the listening socket, one thread per connection, the
 * protocol of include/rmmemu/protocol.h. main.c only parses options around
 * it, so that tests run the same server in-process.
 */
#ifndef RMMEMU_DAEMON_SERVER_H
#define RMMEMU_DAEMON_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/session.h"

struct server;

#define SERVER_DEFAULT_HELLO_TIMEOUT_MS	5000U

struct server_opts {
	const char *socket_path;	/* NULL: rmmemu_default_socket() */
	const char *record_dir;		/* NULL: no recording; created if missing */
	struct session_limits limits;	/* per host session; 0 fields: defaults */
	/* A connection that has not sent HELLO this long after it was accepted
	 * gets ERROR (ETIMEDOUT) and is closed; 0: the default. */
	unsigned int hello_timeout_ms;
	/* No socket: serves only the connections given to server_adopt()
	 * (in-process fuzzing and tests); socket_path is ignored. */
	bool unbound;
	/* Realms run with this executor (ctx its argument) instead of the
	 * build's: for tests. NULL: the build's. */
	const struct rmm_executor_ops *executor;
	void *executor_ctx;
	/* The keys and platform token every session's RMM attests with
	 * (platform/platform.h); it outlives the server. NULL: no tokens. */
	const struct platform *platform;
};

/*
 * Listens (socket file mode 0600) and serves in background threads. Fails
 * with -EADDRINUSE if another daemon answers on the socket and -EEXIST if
 * the path is something other than a socket; a stale socket file is removed.
 * Signals are delivered to the threads with the caller's signal mask.
 * Returns 0 or a negative errno (the reason is logged).
 */
int server_start(const struct server_opts *opts, struct server **srv);

/*
 * Stops accepting, closes every connection (a call in flight finishes
 * first), ends every session (realms destroyed, granules scrubbed), removes
 * the socket file and frees srv.
 */
void server_stop(struct server *srv);

/* NULL for an unbound server. */
const char *server_socket_path(const struct server *srv);

/*
 * Serves fd, a connected SOCK_SEQPACKET socket (one end of a socketpair), as
 * a connection accepted from the socket, in its own thread. The server owns
 * fd from here, even on failure. Returns 0 or a negative errno.
 */
int server_adopt(struct server *srv, int fd);

/* session_table_check_invariants() on the server's sessions: for tests, at
 * a point where no RMI call is in flight. */
int server_check_invariants(struct server *srv, char *report, size_t len);

#endif /* RMMEMU_DAEMON_SERVER_H */
