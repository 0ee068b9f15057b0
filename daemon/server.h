/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's server: the listening socket, one thread per connection, the
 * protocol of include/rmmemu/protocol.h. main.c only parses options around
 * it, so that tests run the same server in-process.
 */
#ifndef RMMEMU_DAEMON_SERVER_H
#define RMMEMU_DAEMON_SERVER_H

struct server;

struct server_opts {
	const char *socket_path;	/* NULL: rmmemu_default_socket() */
	const char *record_dir;		/* NULL: no recording; created if missing */
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

const char *server_socket_path(const struct server *srv);

#endif /* RMMEMU_DAEMON_SERVER_H */
