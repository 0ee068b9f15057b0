/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client library: one SOCK_SEQPACKET connection to the daemon, one
 * request and its reply at a time (include/rmmemu/protocol.h). It does not
 * link the core: a host needs this file and the two headers only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rmmemu/client.h>
#include <rmmemu/protocol.h>

#include "client/frame.h"

_Static_assert(RMMEMU_SESSION_TOKEN_SIZE == RMMEMU_TOKEN_SIZE,
	       "client.h and protocol.h agree on the token size");

#define ERR_TEXT_SIZE	(RMMEMU_ERROR_TEXT_SIZE + 128)

struct rmmemu_client {
	int fd;
	int lost;			/* negative errno once the connection is gone */
	int text_err;			/* the error err_text explains */
	char err_text[ERR_TEXT_SIZE];
	uint64_t session_id;
	uint8_t token[RMMEMU_TOKEN_SIZE];
	char daemon_version[RMMEMU_VERSION_TEXT_SIZE];
};

/* The explanation of the calling thread's last failed connect, which has no
 * client to keep it in. */
static _Thread_local struct {
	int err;
	char text[ERR_TEXT_SIZE];
} connect_error;

/* Every reply the library reads fits in this buffer. */
union reply {
	struct rmmemu_msg_hdr hdr;
	struct rmmemu_msg_hello_reply hello;
	struct rmmemu_msg_share_region_reply share;
	struct rmmemu_msg_rmi_result result;
	struct rmmemu_msg_error error;
	struct rmmemu_msg_state_data state;
	struct rmmemu_msg_kick_reply kick;
	struct rmmemu_msg_raise_reply raise;
	uint8_t state_raw[sizeof(struct rmmemu_msg_state_data) + RMMEMU_STATE_CHUNK];
};

const char *rmmemu_default_socket(void)
{
	static char path[4096];
	const char *env = getenv("RMMEMU_SOCKET");
	const char *dir = getenv("XDG_RUNTIME_DIR");

	if (env != NULL && env[0] != '\0')
		snprintf(path, sizeof(path), "%s", env);
	else if (dir != NULL && dir[0] != '\0')
		snprintf(path, sizeof(path), "%s/rmmemu.sock", dir);
	else
		snprintf(path, sizeof(path), "/tmp/rmmemu-%u.sock", (unsigned int)getuid());
	return path;
}

__attribute__((format(printf, 3, 4)))
static int set_error(struct rmmemu_client *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err_text, sizeof(c->err_text), fmt, ap);
	va_end(ap);
	c->text_err = err;
	return err;
}

/* The connection can not be used any more (the daemon closed it after an
 * ERROR, or the stream is out of step): every later call fails with err. */
static int lose(struct rmmemu_client *c, int err)
{
	c->lost = err;
	return err;
}

static struct rmmemu_msg_hdr msg_hdr(enum rmmemu_msg_type type)
{
	return (struct rmmemu_msg_hdr){ .magic = RMMEMU_PROTO_MAGIC,
					.type = (uint16_t)type };
}

static int client_send(struct rmmemu_client *c, const void *msg, size_t len, int fd)
{
	if (frame_send(c->fd, msg, len, &fd, fd >= 0 ? 1 : 0) < 0)
		return lose(c, set_error(c, -errno, "cannot send to the rmmemu daemon: %s",
					 strerror(errno)));
	return 0;
}

/* Reads one reply of type (or ERROR) into r; returns its length or a
 * negative errno. */
static ssize_t client_recv(struct rmmemu_client *c, union reply *r,
			   enum rmmemu_msg_type type)
{
	struct iovec iov = { .iov_base = r, .iov_len = sizeof(*r) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do {
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return lose(c, set_error(c, -errno, "cannot read from the rmmemu daemon: %s",
					 strerror(errno)));
	if (n == 0)
		return lose(c, set_error(c, -ECONNRESET,
					 "the rmmemu daemon closed the connection"));
	if ((size_t)n < sizeof(r->hdr) || r->hdr.magic != RMMEMU_PROTO_MAGIC ||
	    (mh.msg_flags & MSG_TRUNC))
		return lose(c, set_error(c, -EPROTO, "malformed reply from the rmmemu daemon"));
	if (r->hdr.type == RMMEMU_MSG_ERROR && (size_t)n == sizeof(r->error)) {
		int code = r->error.code > 0 && r->error.code < 4096 ? r->error.code : EPROTO;

		r->error.text[sizeof(r->error.text) - 1] = '\0';
		return lose(c, set_error(c, -code, "rmmemu daemon: %s", r->error.text));
	}
	if (r->hdr.type != type)
		return lose(c, set_error(c, -EPROTO,
					 "unexpected reply type 0x%x from the rmmemu daemon (expected 0x%x)",
					 r->hdr.type, (unsigned int)type));
	return n;
}

/* One request and its fixed-size reply. */
static int transact(struct rmmemu_client *c, const void *req, size_t len, int fd,
		    enum rmmemu_msg_type type, union reply *r, size_t reply_len)
{
	ssize_t n;
	int err;

	if (c->lost)
		return c->lost;
	err = client_send(c, req, len, fd);
	if (err)
		return err;
	n = client_recv(c, r, type);
	if (n < 0)
		return (int)n;
	if ((size_t)n != reply_len)
		return lose(c, set_error(c, -EPROTO,
					 "reply of %zd bytes from the rmmemu daemon (expected %zu)",
					 n, reply_len));
	return 0;
}

static int client_socket(struct rmmemu_client *c, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (strlen(path) >= sizeof(addr.sun_path))
		return set_error(c, -ENAMETOOLONG, "socket path too long: %s", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return set_error(c, -errno, "cannot create a socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		return set_error(c, -errno, "cannot connect to the rmmemu daemon at %s: %s",
				 path, strerror(errno));
	/* The host is about to share its memory: only with a daemon of its own
	 * user (or root), never with whoever managed to bind the path first. */
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return set_error(c, -errno, "cannot identify the daemon at %s: %s",
				 path, strerror(errno));
	if (cred.uid != geteuid() && cred.uid != 0)
		return set_error(c, -EACCES,
				 "the daemon at %s runs as uid %u, not as this user (uid %u)",
				 path, (unsigned int)cred.uid, (unsigned int)geteuid());
	return 0;
}

static int client_hello(struct rmmemu_client *c, uint32_t flags, const uint8_t *token)
{
	struct rmmemu_msg_hello m = {
		.hdr = msg_hdr(RMMEMU_MSG_HELLO),
		.version = RMMEMU_PROTO_VERSION,
		.flags = flags,
	};
	union reply r;
	int err;

	if (token != NULL)
		memcpy(m.token, token, sizeof(m.token));
	err = transact(c, &m, sizeof(m), -1, RMMEMU_MSG_HELLO_REPLY, &r, sizeof(r.hello));
	if (err)
		return err;
	if (r.hello.version != RMMEMU_PROTO_VERSION)
		return lose(c, set_error(c, -EPROTONOSUPPORT,
					 "the rmmemu daemon speaks protocol version %u, this library %u",
					 r.hello.version, RMMEMU_PROTO_VERSION));
	c->session_id = r.hello.session_id;
	memcpy(c->token, r.hello.token, sizeof(c->token));
	memcpy(c->daemon_version, r.hello.daemon_version, sizeof(c->daemon_version));
	c->daemon_version[sizeof(c->daemon_version) - 1] = '\0';
	return 0;
}

static int client_open(const char *path, uint32_t flags, const uint8_t *token,
		       struct rmmemu_client **client)
{
	struct rmmemu_client *c = calloc(1, sizeof(*c));
	int err;

	if (c == NULL)
		return -ENOMEM;
	c->fd = -1;
	err = client_socket(c, path != NULL ? path : rmmemu_default_socket());
	if (!err)
		err = client_hello(c, flags, token);
	if (err) {
		connect_error.err = c->text_err == err ? err : 0;
		memcpy(connect_error.text, c->err_text, sizeof(connect_error.text));
		rmmemu_disconnect(c);
		return err;
	}
	*client = c;
	return 0;
}

int rmmemu_connect(const char *path, struct rmmemu_client **client)
{
	return client_open(path, 0, NULL, client);
}

int rmmemu_connect_join(const char *path,
			const uint8_t token[RMMEMU_SESSION_TOKEN_SIZE],
			struct rmmemu_client **client)
{
	return client_open(path, RMMEMU_HELLO_JOIN, token, client);
}

int rmmemu_connect_observer(const char *path, struct rmmemu_client **client)
{
	return client_open(path, RMMEMU_HELLO_OBSERVE, NULL, client);
}

void rmmemu_session_token(const struct rmmemu_client *client,
			  uint8_t token[RMMEMU_SESSION_TOKEN_SIZE])
{
	memcpy(token, client->token, RMMEMU_SESSION_TOKEN_SIZE);
}

uint64_t rmmemu_session_id(const struct rmmemu_client *client)
{
	return client->session_id;
}

const char *rmmemu_daemon_version(const struct rmmemu_client *client)
{
	return client->daemon_version;
}

int rmmemu_share_region(struct rmmemu_client *client, uint64_t base,
			uint64_t size, int fd, uint64_t offset)
{
	struct rmmemu_msg_share_region m = {
		.hdr = msg_hdr(RMMEMU_MSG_SHARE_REGION),
		.base = base, .size = size, .offset = offset,
	};
	union reply r;
	int err;

	/* Checked here: sendmsg() refusing a bad fd would look like a lost
	 * connection. */
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return set_error(client, -EBADF, "not an open file descriptor: %d", fd);
	err = transact(client, &m, sizeof(m), fd, RMMEMU_MSG_SHARE_REGION_REPLY,
		       &r, sizeof(r.share));
	if (err)
		return err;
	if (r.share.status > 0 || r.share.status < -4095)
		return lose(client, set_error(client, -EPROTO,
					      "bad SHARE_REGION status %d from the rmmemu daemon",
					      r.share.status));
	return r.share.status;
}

int rmmemu_rmi_call(struct rmmemu_client *client, const uint64_t x[7],
		    uint64_t out[5])
{
	struct rmmemu_msg_rmi_call m = { .hdr = msg_hdr(RMMEMU_MSG_RMI_CALL) };
	union reply r;
	int err;

	memcpy(m.x, x, sizeof(m.x));
	err = transact(client, &m, sizeof(m), -1, RMMEMU_MSG_RMI_RESULT, &r,
		       sizeof(r.result));
	if (err)
		return err;
	memcpy(out, r.result.x, sizeof(r.result.x));
	return 0;
}

/*
 * KICK and RAISE: the request m of size len, answered by a reply of type
 * reply_type whose status is one the daemon may give (client.h).
 */
static int rec_event(struct rmmemu_client *client, const void *m, size_t len,
		     enum rmmemu_msg_type reply_type, const char *what)
{
	union reply r;
	int err;

	err = transact(client, m, len, -1, reply_type, &r, sizeof(r.raise));
	if (err)
		return err;
	_Static_assert(sizeof(r.kick) == sizeof(r.raise) &&
		       offsetof(union reply, kick.status) == offsetof(union reply, raise.status),
		       "KICK and RAISE replies are read alike");
	if (r.raise.status != 0 && r.raise.status != 1 && r.raise.status != -ENOENT &&
	    r.raise.status != -EINVAL)
		return lose(client, set_error(client, -EPROTO,
					      "bad %s status %d from the rmmemu daemon", what,
					      r.raise.status));
	return r.raise.status;
}

int rmmemu_rec_kick(struct rmmemu_client *client, uint64_t rec_pa)
{
	struct rmmemu_msg_kick m = { .hdr = msg_hdr(RMMEMU_MSG_KICK), .rec = rec_pa };

	return rec_event(client, &m, sizeof(m), RMMEMU_MSG_KICK_REPLY, "KICK");
}

int rmmemu_rec_raise(struct rmmemu_client *client, uint64_t rec_pa,
		     unsigned int event, uint64_t esr)
{
	struct rmmemu_msg_raise m = { .hdr = msg_hdr(RMMEMU_MSG_RAISE), .rec = rec_pa,
				      .event = event, .esr = esr };

	return rec_event(client, &m, sizeof(m), RMMEMU_MSG_RAISE_REPLY, "RAISE");
}

/* Appends one STATE_DATA chunk to *text; returns 1 after the last chunk. */
static int state_chunk(struct rmmemu_client *c, char **text, size_t *len)
{
	union reply r;
	ssize_t n = client_recv(c, &r, RMMEMU_MSG_STATE_DATA);
	char *t;

	if (n < 0)
		return (int)n;
	if ((size_t)n < sizeof(r.state) || r.state.len > RMMEMU_STATE_CHUNK ||
	    (size_t)n != sizeof(r.state) + r.state.len)
		return lose(c, set_error(c, -EPROTO, "malformed STATE_DATA from the rmmemu daemon"));
	t = realloc(*text, *len + r.state.len + 1);
	if (t == NULL)
		return lose(c, set_error(c, -ENOMEM, "out of memory reading the daemon's state"));
	memcpy(t + *len, r.state.data, r.state.len);
	*len += r.state.len;
	t[*len] = '\0';
	*text = t;
	return (r.state.flags & RMMEMU_STATE_LAST) ? 1 : 0;
}

int rmmemu_state(struct rmmemu_client *client, int json, char **text)
{
	struct rmmemu_msg_state m = {
		.hdr = msg_hdr(RMMEMU_MSG_STATE),
		.flags = json ? RMMEMU_STATE_JSON : 0,
	};
	char *buf = NULL;
	size_t len = 0;
	int ret;

	if (client->lost)
		return client->lost;
	ret = client_send(client, &m, sizeof(m), -1);
	while (ret == 0)
		ret = state_chunk(client, &buf, &len);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*text = buf;
	return 0;
}

void rmmemu_disconnect(struct rmmemu_client *client)
{
	if (client == NULL)
		return;
	if (client->fd >= 0)
		close(client->fd);
	free(client);
}

const char *rmmemu_client_error(const struct rmmemu_client *client, int err)
{
	static _Thread_local char msg[ERR_TEXT_SIZE];
	const char *text = NULL;

	if (err >= 0)
		return "no error";
	if (client != NULL && client->text_err == err && client->err_text[0] != '\0')
		text = client->err_text;
	else if (client == NULL && connect_error.err == err && connect_error.text[0] != '\0')
		text = connect_error.text;
	snprintf(msg, sizeof(msg), "%s", text != NULL ? text : strerror(-err));
	return msg;
}
