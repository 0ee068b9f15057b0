/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server: an accept thread and one detached thread per connection. A
 * connection thread reads one request, serves it and replies; a call that
 * runs long (REC_ENTER) holds up its own connection only. Nothing here
 * serialises calls: sessions and the core do their own locking.
 *
 * A message the server will not serve is answered with ERROR and its
 * connection closed (protocol.h); the session and every other connection go
 * on. File descriptors that come with a message are always closed after it:
 * the core and the recorder keep duplicates of the ones they use.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rmmemu/client.h>
#include <rmmemu/protocol.h>

#include "daemon/recorder.h"
#include "daemon/server.h"
#include "daemon/session.h"
#include "rmmemu/log.h"

#define CONN_MAX_FDS	4	/* fds read with one message; more are refused */
#define LISTEN_BACKLOG	64
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct conn {
	struct server *srv;
	int fd;
	uint64_t id;
	bool hello_done;
	struct session *sess;		/* NULL before HELLO and for observers */
	struct conn *next;
};

struct server {
	char *path;
	int listen_fd;
	dev_t sock_dev;			/* the socket file we bound, to remove */
	ino_t sock_ino;			/* only that one at the end */
	int wake_fd;			/* eventfd: server_stop() ends the accept loop */
	pthread_t acceptor;		/* only with listen_fd >= 0 */
	struct session_table *sessions;
	unsigned int hello_timeout_ms;

	pthread_mutex_t lock;		/* conns, nthreads, next_conn_id */
	pthread_cond_t idle;		/* nthreads dropped to 0 */
	struct conn *conns;
	unsigned int nthreads;
	uint64_t next_conn_id;
};

/* One request as read from a connection. */
struct conn_msg {
	union {
		struct rmmemu_msg_hdr hdr;
		struct rmmemu_msg_hello hello;
		struct rmmemu_msg_share_region share;
		struct rmmemu_msg_rmi_call call;
		struct rmmemu_msg_state state;
		struct rmmemu_msg_kick kick;
		struct rmmemu_msg_raise raise;
		uint8_t raw[RMMEMU_MSG_REQUEST_MAX];
	} u;
	size_t len;
	bool truncated;			/* longer than any request */
	int fds[CONN_MAX_FDS];
	unsigned int nfds;
	bool fds_dropped;		/* more fds came than were kept */
};

static struct rmmemu_msg_hdr msg_hdr(enum rmmemu_msg_type type)
{
	return (struct rmmemu_msg_hdr){ .magic = RMMEMU_PROTO_MAGIC,
					.type = (uint16_t)type };
}

static void close_fds(struct conn_msg *m)
{
	for (unsigned int i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	m->nfds = 0;
}

/* --- sending ------------------------------------------------------------- */

static int conn_send(struct conn *c, const void *msg, size_t len)
{
	ssize_t n;

	do {
		n = send(c->fd, msg, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		rmm_log(RMM_LOG_DEBUG, "connection %" PRIu64 ": cannot reply: %s", c->id,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Answers ERROR; the caller then closes the connection. Returns -1. */
__attribute__((format(printf, 3, 4)))
static int conn_error(struct conn *c, int code, const char *fmt, ...)
{
	struct rmmemu_msg_error e = { .hdr = msg_hdr(RMMEMU_MSG_ERROR), .code = code };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.text, sizeof(e.text), fmt, ap);
	va_end(ap);
	rmm_log(RMM_LOG_WARN, "connection %" PRIu64 ": %s; closing it", c->id, e.text);
	conn_send(c, &e, sizeof(e));
	return -1;
}

/* --- requests ------------------------------------------------------------ */

static int conn_hello(struct conn *c, struct conn_msg *m)
{
	const struct rmmemu_msg_hello *h = &m->u.hello;
	struct rmmemu_msg_hello_reply r = {
		.hdr = msg_hdr(RMMEMU_MSG_HELLO_REPLY),
		.version = RMMEMU_PROTO_VERSION,
	};
	char why[RMMEMU_ERROR_TEXT_SIZE - 32] = "";
	int err;

	if (h->version != RMMEMU_PROTO_VERSION)
		return conn_error(c, EPROTONOSUPPORT,
				  "protocol version %u is not supported (this daemon speaks %u)",
				  h->version, RMMEMU_PROTO_VERSION);
	switch (h->flags) {
	case 0:
		err = session_create(c->srv->sessions, &c->sess, why, sizeof(why));
		if (err)
			return conn_error(c, -err, "cannot create a session: %s", why);
		break;
	case RMMEMU_HELLO_JOIN:
		err = session_join(c->srv->sessions, h->token, &c->sess);
		/* A refused join is an ERROR: HELLO has no other answer, and the
		 * connection can serve nothing without its session. */
		if (err == -EUSERS)
			return conn_error(c, EUSERS, "the session has %u connections, its limit "
					  "(rmmemu --session-connections)",
					  session_table_limits(c->srv->sessions)->connections);
		if (err)
			return conn_error(c, ENOENT, "no session has this token (it may have ended)");
		break;
	case RMMEMU_HELLO_OBSERVE:
		break;
	default:
		return conn_error(c, EPROTO, "HELLO flags 0x%x are not 0, JOIN or OBSERVE",
				  h->flags);
	}
	c->hello_done = true;
	if (c->sess != NULL) {
		r.session_id = session_id(c->sess);
		memcpy(r.token, session_token(c->sess), sizeof(r.token));
		rmm_log(RMM_LOG_INFO, "connection %" PRIu64 ": session %" PRIu64, c->id,
			r.session_id);
	} else {
		rmm_log(RMM_LOG_INFO, "connection %" PRIu64 ": observer", c->id);
	}
	snprintf(r.daemon_version, sizeof(r.daemon_version), "%s", PACKAGE_VERSION);
	return conn_send(c, &r, sizeof(r));
}

/* Failures that are the daemon's, not the host's: the host may retry. */
static bool resource_error(int err)
{
	return err == -ENOMEM || err == -EMFILE || err == -ENFILE || err == -ENOSPC ||
	       err == -EAGAIN;
}

static int conn_share_region(struct conn *c, struct conn_msg *m)
{
	const struct rmmemu_msg_share_region *s = &m->u.share;
	struct rmmemu_msg_share_region_reply r = {
		.hdr = msg_hdr(RMMEMU_MSG_SHARE_REGION_REPLY),
	};
	char why[160] = "";
	int err = session_share_region(c->sess, s->base, s->size, m->fds[0], s->offset,
				       why, sizeof(why));

	/* Before the reply: once the host has it, the daemon holds only the
	 * references the core and the recorder took. */
	close_fds(m);
	if (err && !resource_error(err))
		return conn_error(c, -err, "SHARE_REGION base 0x%" PRIx64 " size 0x%" PRIx64
				  " offset 0x%" PRIx64 ": %s", s->base, s->size, s->offset, why);
	if (err)
		rmm_log(RMM_LOG_WARN, "connection %" PRIu64 ": SHARE_REGION: %s", c->id, why);
	r.status = err;
	return conn_send(c, &r, sizeof(r));
}

static int conn_rmi_call(struct conn *c, struct conn_msg *m)
{
	struct rmmemu_msg_rmi_result r = { .hdr = msg_hdr(RMMEMU_MSG_RMI_RESULT) };

	session_call(c->sess, m->u.call.x, r.x);
	return conn_send(c, &r, sizeof(r));
}

static int conn_send_text(struct conn *c, const char *text)
{
	union {
		struct rmmemu_msg_state_data d;
		uint8_t raw[sizeof(struct rmmemu_msg_state_data) + RMMEMU_STATE_CHUNK];
	} buf;
	size_t len = strlen(text), off = 0;

	do {
		size_t n = len - off < RMMEMU_STATE_CHUNK ? len - off : RMMEMU_STATE_CHUNK;

		buf.d.hdr = msg_hdr(RMMEMU_MSG_STATE_DATA);
		buf.d.flags = off + n == len ? RMMEMU_STATE_LAST : 0;
		buf.d.len = (uint32_t)n;
		memcpy(buf.d.data, text + off, n);
		if (conn_send(c, &buf, sizeof(buf.d) + n) != 0)
			return -1;
		off += n;
	} while (off < len);
	return 0;
}

static int conn_state(struct conn *c, struct conn_msg *m)
{
	uint32_t flags = m->u.state.flags;
	char *text;
	int ret;

	if (flags & ~RMMEMU_STATE_JSON)
		return conn_error(c, EPROTO, "STATE flags 0x%x: unknown bits", flags);
	if (m->u.state.reserved != 0)
		return conn_error(c, EPROTO, "STATE: reserved field 0x%x is not 0",
				  m->u.state.reserved);
	text = session_state_format(c->srv->sessions, flags & RMMEMU_STATE_JSON);
	if (text == NULL)
		return conn_error(c, ENOMEM, "out of memory formatting the state");
	ret = conn_send_text(c, text);
	free(text);
	return ret;
}

/* A kick is for a REC_ENTER that another connection of the session is
 * waiting in: a RAISE of IRQ. */
static int conn_kick(struct conn *c, struct conn_msg *m)
{
	struct rmmemu_msg_kick_reply r = { .hdr = msg_hdr(RMMEMU_MSG_KICK_REPLY) };

	r.status = session_raise(c->sess, m->u.kick.rec, RMMEMU_PHYS_IRQ, 0);
	return conn_send(c, &r, sizeof(r));
}

/* An event or esr the core refuses is a status, not an ERROR: which ones it
 * takes is the core's rule (rmm.h), the frame is well formed. */
static int conn_raise(struct conn *c, struct conn_msg *m)
{
	const struct rmmemu_msg_raise *q = &m->u.raise;
	struct rmmemu_msg_raise_reply r = { .hdr = msg_hdr(RMMEMU_MSG_RAISE_REPLY) };

	if (q->reserved != 0)
		return conn_error(c, EPROTO, "RAISE: reserved field 0x%x is not 0", q->reserved);
	r.status = session_raise(c->sess, q->rec, q->event, q->esr);
	return conn_send(c, &r, sizeof(r));
}

typedef int (*msg_handler_fn)(struct conn *c, struct conn_msg *m);

/* Every request the daemon serves: its exact size, the fds it carries,
 * whether it needs a session; every other type is refused. */
static const struct msg_handler {
	const char *name;
	size_t size;
	unsigned int nfds;
	bool needs_session;
	msg_handler_fn fn;
} msg_handlers[] = {
	[RMMEMU_MSG_HELLO] = { "HELLO", sizeof(struct rmmemu_msg_hello), 0, false,
			       conn_hello },
	[RMMEMU_MSG_SHARE_REGION] = { "SHARE_REGION", sizeof(struct rmmemu_msg_share_region),
				      1, true, conn_share_region },
	[RMMEMU_MSG_RMI_CALL] = { "RMI_CALL", sizeof(struct rmmemu_msg_rmi_call), 0, true,
				  conn_rmi_call },
	[RMMEMU_MSG_STATE] = { "STATE", sizeof(struct rmmemu_msg_state), 0, false,
			       conn_state },
	[RMMEMU_MSG_KICK] = { "KICK", sizeof(struct rmmemu_msg_kick), 0, true, conn_kick },
	[RMMEMU_MSG_RAISE] = { "RAISE", sizeof(struct rmmemu_msg_raise), 0, true, conn_raise },
};

/* Checks the frame against its type, then serves it. Returns 0 to go on
 * reading, -1 to close the connection. */
static int conn_dispatch(struct conn *c, struct conn_msg *m)
{
	const struct msg_handler *h = NULL;
	uint16_t type = m->u.hdr.type;

	if (m->len < sizeof(m->u.hdr))
		return conn_error(c, EPROTO, "truncated message: %zu bytes, a header is %zu",
				  m->len, sizeof(m->u.hdr));
	if (m->u.hdr.magic != RMMEMU_PROTO_MAGIC)
		return conn_error(c, EPROTO, "bad magic 0x%08x (expected 0x%08x)",
				  m->u.hdr.magic, RMMEMU_PROTO_MAGIC);
	if (type < ARRAY_SIZE(msg_handlers))
		h = &msg_handlers[type];
	if (h == NULL || h->fn == NULL)
		return conn_error(c, EPROTO, "unknown message type 0x%x", type);
	if (m->u.hdr.reserved != 0)
		return conn_error(c, EPROTO, "%s: reserved header field 0x%x is not 0",
				  h->name, m->u.hdr.reserved);
	if (m->truncated)
		return conn_error(c, EPROTO, "%s message longer than %zu bytes (expected %zu)",
				  h->name, sizeof(m->u.raw), h->size);
	if (m->len != h->size)
		return conn_error(c, EPROTO, "%s message of %zu bytes (expected %zu)",
				  h->name, m->len, h->size);
	if (m->fds_dropped || m->nfds != h->nfds)
		return conn_error(c, EPROTO, "%s carries %s%u file descriptors (expected %u)",
				  h->name, m->fds_dropped ? "more than " : "", m->nfds, h->nfds);
	if (!c->hello_done && type != RMMEMU_MSG_HELLO)
		return conn_error(c, EPROTO, "%s before HELLO", h->name);
	if (c->hello_done && type == RMMEMU_MSG_HELLO)
		return conn_error(c, EPROTO, "second HELLO on one connection");
	if (h->needs_session && c->sess == NULL)
		return conn_error(c, EPROTO, "%s on an observer connection", h->name);
	rmm_log(RMM_LOG_TRACE, "connection %" PRIu64 ": %s", c->id, h->name);
	return h->fn(c, m);
}

/* --- reading ------------------------------------------------------------- */

static void collect_fds(struct conn_msg *m, struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (m->nfds < CONN_MAX_FDS) {
				m->fds[m->nfds++] = fd;
			} else {
				close(fd);
				m->fds_dropped = true;
			}
		}
	}
}

/*
 * Before HELLO: waits for the first message until the HELLO deadline. A
 * connection that sends nothing would otherwise hold a thread for ever.
 * Returns 0 when a message (or the end) can be read, -1 after the ERROR.
 */
static int conn_wait_hello(struct conn *c, const struct timespec *deadline)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	struct timespec now;
	long long left_ms;
	int n;

	do {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
			  (deadline->tv_nsec - now.tv_nsec) / 1000000;
		if (left_ms < 0)
			left_ms = 0;
		n = poll(&p, 1, (int)left_ms);
	} while (n < 0 && errno == EINTR);
	if (n != 0)
		return 0;
	return conn_error(c, ETIMEDOUT, "no HELLO within %u ms of connecting",
			  c->srv->hello_timeout_ms);
}

/* Returns 1 with a message in m, 0 at the end of the connection. */
static int conn_recv(struct conn *c, struct conn_msg *m)
{
	union {
		char buf[CMSG_SPACE(CONN_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = m->u.raw, .iov_len = sizeof(m->u.raw) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;

	do {
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	m->nfds = 0;
	if (n < 0) {
		rmm_log(RMM_LOG_DEBUG, "connection %" PRIu64 ": %s", c->id, strerror(errno));
		return 0;
	}
	/* The kernel dropped the fds that did not fit. */
	m->fds_dropped = (mh.msg_flags & MSG_CTRUNC) != 0;
	collect_fds(m, &mh);
	if (n == 0) {
		close_fds(m);
		return 0;
	}
	m->len = (size_t)n;
	m->truncated = (mh.msg_flags & MSG_TRUNC) != 0;
	return 1;
}

/* --- connections --------------------------------------------------------- */

static void conn_log_peer(struct conn *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		rmm_log(RMM_LOG_INFO, "connection %" PRIu64 " opened by pid %d uid %u",
			c->id, (int)cred.pid, (unsigned int)cred.uid);
	else
		rmm_log(RMM_LOG_INFO, "connection %" PRIu64 " opened", c->id);
}

static void conn_unlink(struct server *srv, struct conn *c)
{
	for (struct conn **p = &srv->conns; *p != NULL; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			return;
		}
	}
}

/* The connection's last act: its session may end here (rmm_free), then
 * server_stop() may go on once every thread has signalled. */
static void conn_end(struct conn *c)
{
	struct server *srv = c->srv;
	uint64_t id = c->id;

	pthread_mutex_lock(&srv->lock);
	conn_unlink(srv, c);
	/* Closed under the lock: server_stop() shuts down listed fds only, never
	 * a number that was closed and reused. */
	close(c->fd);
	pthread_mutex_unlock(&srv->lock);
	if (c->sess != NULL)
		session_leave(srv->sessions, c->sess);
	free(c);
	rmm_log(RMM_LOG_INFO, "connection %" PRIu64 " closed", id);
	pthread_mutex_lock(&srv->lock);
	if (--srv->nthreads == 0)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct conn_msg m;
	struct timespec deadline;
	char name[16];

	/* Named, for ps -L, debuggers and the stress test's watchdog. */
	snprintf(name, sizeof(name), "conn %" PRIu64, c->id);
	pthread_setname_np(pthread_self(), name);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += c->srv->hello_timeout_ms / 1000;
	deadline.tv_nsec += (long)(c->srv->hello_timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	conn_log_peer(c);
	while ((c->hello_done || conn_wait_hello(c, &deadline) == 0) &&
	       conn_recv(c, &m) > 0) {
		int ret = conn_dispatch(c, &m);

		close_fds(&m);
		if (ret != 0)
			break;
	}
	conn_end(c);
	return NULL;
}

/* Serves fd in a new thread; fd is closed on failure. Returns 0 or a
 * negative errno. */
static int conn_start(struct server *srv, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	if (c == NULL) {
		rmm_log(RMM_LOG_WARN, "out of memory for a new connection");
		close(fd);
		return -ENOMEM;
	}
	c->srv = srv;
	c->fd = fd;
	pthread_mutex_lock(&srv->lock);
	c->id = ++srv->next_conn_id;
	c->next = srv->conns;
	srv->conns = c;
	srv->nthreads++;
	pthread_mutex_unlock(&srv->lock);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&tid, &attr, conn_main, c);
	pthread_attr_destroy(&attr);
	if (err) {
		rmm_log(RMM_LOG_WARN, "no thread for connection %" PRIu64 ": %s", c->id,
			strerror(err));
		pthread_mutex_lock(&srv->lock);
		conn_unlink(srv, c);
		srv->nthreads--;
		pthread_mutex_unlock(&srv->lock);
		close(fd);
		free(c);
		return -err;
	}
	return 0;
}

int server_adopt(struct server *srv, int fd)
{
	return conn_start(srv, fd);
}

static void accept_one(struct server *srv)
{
	int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd >= 0) {
		conn_start(srv, fd);	/* a failure is logged; the peer sees EOF */
		return;
	}
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
		rmm_log(RMM_LOG_WARN, "cannot accept a connection: %s", strerror(errno));
		/* The connection stays queued: wait instead of spinning on it. */
		poll(NULL, 0, 100);
	}
}

static void *accept_main(void *arg)
{
	struct server *srv = arg;
	struct pollfd p[2] = {
		{ .fd = srv->listen_fd, .events = POLLIN },
		{ .fd = srv->wake_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rmm_log(RMM_LOG_ERROR, "accept loop: %s", strerror(errno));
			break;
		}
		if (p[1].revents != 0)
			break;
		if (p[0].revents & (POLLERR | POLLNVAL)) {
			rmm_log(RMM_LOG_ERROR, "the listening socket failed: no new connections");
			break;
		}
		if (p[0].revents & POLLIN)
			accept_one(srv);
	}
	return NULL;
}

/* --- the socket ---------------------------------------------------------- */

/* A socket file nobody answers on is a dead daemon's: removed. A live
 * daemon's socket, or anything that is not a socket, is left alone. */
static int remove_stale_socket(const struct sockaddr_un *addr)
{
	struct stat st;
	int probe, ret, err;

	if (lstat(addr->sun_path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		rmm_log(RMM_LOG_ERROR, "%s: %s", addr->sun_path, strerror(errno));
		return err;
	}
	if (!S_ISSOCK(st.st_mode)) {
		rmm_log(RMM_LOG_ERROR, "%s exists and is not a socket", addr->sun_path);
		return -EEXIST;
	}
	probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	ret = connect(probe, (const struct sockaddr *)addr, sizeof(*addr));
	err = errno;
	close(probe);
	if (ret == 0) {
		rmm_log(RMM_LOG_ERROR, "another rmmemu daemon answers on %s", addr->sun_path);
		return -EADDRINUSE;
	}
	if (err != ECONNREFUSED) {
		rmm_log(RMM_LOG_ERROR, "%s is in use: %s", addr->sun_path, strerror(err));
		return -err;
	}
	if (unlink(addr->sun_path) != 0 && errno != ENOENT) {
		err = -errno;
		rmm_log(RMM_LOG_ERROR, "cannot remove the stale socket %s: %s",
			addr->sun_path, strerror(errno));
		return err;
	}
	rmm_log(RMM_LOG_INFO, "removed the stale socket %s", addr->sun_path);
	return 0;
}

static int bind_listen(struct server *srv, int fd, const struct sockaddr_un *addr)
{
	struct stat st;

	/* bind() gives the file the socket's mode minus the umask: owner-only
	 * from its creation, with no window in which others could connect. */
	if (fchmod(fd, 0600) != 0 ||
	    bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0)
		return -errno;
	if (chmod(addr->sun_path, 0600) != 0 || listen(fd, LISTEN_BACKLOG) != 0 ||
	    lstat(addr->sun_path, &st) != 0) {
		int err = -errno;

		unlink(addr->sun_path);
		return err;
	}
	srv->sock_dev = st.st_dev;
	srv->sock_ino = st.st_ino;
	return 0;
}

static int server_listen(struct server *srv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(srv->path) >= sizeof(addr.sun_path)) {
		rmm_log(RMM_LOG_ERROR, "socket path too long: %s", srv->path);
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, srv->path, strlen(srv->path) + 1);
	err = remove_stale_socket(&addr);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		err = -errno;
	else
		err = bind_listen(srv, fd, &addr);
	if (err) {
		rmm_log(RMM_LOG_ERROR, "cannot listen on %s: %s", srv->path, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	srv->listen_fd = fd;
	return 0;
}

/* Removes the socket file if it is still the one this server bound. */
static void server_unlink_socket(struct server *srv)
{
	struct stat st;

	if (lstat(srv->path, &st) == 0 && st.st_dev == srv->sock_dev &&
	    st.st_ino == srv->sock_ino && unlink(srv->path) != 0)
		rmm_log(RMM_LOG_WARN, "cannot remove %s: %s", srv->path, strerror(errno));
}

/* --- start and stop ------------------------------------------------------ */

static void server_free(struct server *srv)
{
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		server_unlink_socket(srv);
	}
	if (srv->wake_fd >= 0)
		close(srv->wake_fd);
	session_table_free(srv->sessions);
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->lock);
	free(srv->path);
	free(srv);
}

static int server_init(struct server *srv, const struct server_opts *opts)
{
	const char *path = opts->socket_path ? opts->socket_path : rmmemu_default_socket();
	int err;

	srv->hello_timeout_ms = opts->hello_timeout_ms ? opts->hello_timeout_ms
						       : SERVER_DEFAULT_HELLO_TIMEOUT_MS;
	if (!opts->unbound) {
		srv->path = strdup(path);
		if (srv->path == NULL)
			return -ENOMEM;
	}
	if (opts->record_dir != NULL) {
		err = recorder_prepare_dir(opts->record_dir);
		if (err) {
			rmm_log(RMM_LOG_ERROR, "cannot record in %s: %s", opts->record_dir,
				strerror(-err));
			return err;
		}
	}
	srv->sessions = session_table_new(opts->record_dir, &opts->limits);
	if (srv->sessions == NULL)
		return -ENOMEM;
	if (opts->executor != NULL)
		session_table_set_executor(srv->sessions, opts->executor, opts->executor_ctx);
	session_table_set_platform(srv->sessions, opts->platform);
	if (opts->unbound)
		return 0;
	srv->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (srv->wake_fd < 0)
		return -errno;
	err = server_listen(srv);
	if (err)
		return err;
	err = pthread_create(&srv->acceptor, NULL, accept_main, srv);
	if (err) {
		rmm_log(RMM_LOG_ERROR, "cannot start the accept thread: %s", strerror(err));
		return -err;
	}
	return 0;
}

int server_start(const struct server_opts *opts, struct server **out)
{
	struct server *srv = calloc(1, sizeof(*srv));
	int err;

	if (srv == NULL)
		return -ENOMEM;
	srv->listen_fd = -1;
	srv->wake_fd = -1;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->idle, NULL);
	err = server_init(srv, opts);
	if (err) {
		server_free(srv);
		return err;
	}
	rmm_log(RMM_LOG_INFO, "rmmemu %s listening on %s%s%s", PACKAGE_VERSION,
		srv->path != NULL ? srv->path : "no socket",
		opts->record_dir ? ", recording in " : "",
		opts->record_dir ? opts->record_dir : "");
	*out = srv;
	return 0;
}

void server_stop(struct server *srv)
{
	uint64_t one = 1;

	if (srv == NULL)
		return;
	if (srv->listen_fd >= 0) {
		if (write(srv->wake_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
			rmm_log(RMM_LOG_ERROR, "cannot wake the accept loop: %s",
				strerror(errno));
		pthread_join(srv->acceptor, NULL);
		close(srv->listen_fd);
		srv->listen_fd = -1;
		server_unlink_socket(srv);
	}

	/* Wakes every connection thread out of recvmsg(); a call in flight
	 * completes and its reply fails. Each thread ends its session's hold. */
	pthread_mutex_lock(&srv->lock);
	for (struct conn *c = srv->conns; c != NULL; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	while (srv->nthreads > 0)
		pthread_cond_wait(&srv->idle, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
	server_free(srv);
	rmm_log(RMM_LOG_INFO, "stopped: every session ended");
}

int server_check_invariants(struct server *srv, char *report, size_t len)
{
	return session_table_check_invariants(srv->sessions, report, len);
}

const char *server_socket_path(const struct server *srv)
{
	return srv->path;
}
