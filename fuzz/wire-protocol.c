/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target wire-protocol: the daemon's protocol layer, the real
 * server in-process (fuzz/README.md). Each input runs against a fresh
 * unbound server whose connections are socketpairs given to server_adopt():
 * the input decodes into up to four connections sending frames, well-formed
 * or not (truncated, oversized, garbage, out of order, wrong or missing file
 * descriptors, regions that lie about their memfd or overlap), RMI calls,
 * and host memory writes that build realms. After every frame the answer is
 * checked against what the protocol allows (include/rmmemu/protocol.h):
 * the reply of the request's type, or ERROR followed by the end of the
 * connection, never silence or a malformed reply.
 *
 * After each input, with no call in flight: a well-behaved host still gets
 * a session, shares memory and is served; rmm_check_invariants() holds in
 * every live session; server_stop() returns; no file descriptor is left
 * open. Any failure aborts with what went wrong (a crash for libFuzzer).
 *
 * Input format: a sequence of operations, an opcode byte and its operands;
 * missing bytes read as zeros, so every byte string decodes to something.
 * When the first byte has bit 7 set the server also records every session
 * (daemon/recorder.c), into a temporary directory removed after the input.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <rmmemu/client.h>
#include <rmmemu/protocol.h>
#include <rmmemu/rmi-1.0.h>

#include "client/frame.h"
#include "daemon/server.h"
#include "rmmemu/executor.h"
#include "rmmemu/log.h"
#include "stats.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE		4096ULL
#define BASE		0x80000000ULL
#define UNIVERSE	64		/* host pages from BASE the ops name */
#define MAX_CONNS	4
#define MAX_SESSIONS	8
#define MAX_REGIONS	4		/* the server's limit, and the model's */
#define MAX_OPS		256
#define REPLY_MAX	(sizeof(struct rmmemu_msg_state_data) + RMMEMU_STATE_CHUNK)
#define ANSWER_S	10		/* the daemon answers within this */

/* --- the input ------------------------------------------------------------ */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t in_u8(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t in_u64(struct input *in)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < 8; i++)
		v |= (uint64_t)in_u8(in) << (8 * i);
	return v;
}

/* A host physical address: mostly a page of the universe, sometimes off a
 * page boundary, sometimes anything. */
static uint64_t in_pa(struct input *in)
{
	uint8_t b = in_u8(in);

	if (b < 0xc0)
		return BASE + (b % UNIVERSE) * PAGE;
	if (b < 0xe0)
		return BASE + (b % UNIVERSE) * PAGE + (in_u8(in) | 1);
	return in_u64(in);
}

/* An RMI argument: an address, a small number or any value. */
static uint64_t in_arg(struct input *in)
{
	uint8_t b = in_u8(in);

	if (b < 0x80)
		return BASE + (b % UNIVERSE) * PAGE;
	if (b < 0xc0)
		return b & 0x3f;
	return in_u64(in);
}

/* WIRE_PROTOCOL_TRACE set: every frame on stderr, to read an input. */
static bool trace;
/* Frames sent, for FUZZ_STATS (fuzz/README.md). */
static unsigned long long frames;

/* --- failures ------------------------------------------------------------- */

__attribute__((format(printf, 1, 2), noreturn))
static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("wire-protocol: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* --- the host's model ----------------------------------------------------- */

/* What the host knows of a session: its token, its regions (mapped here
 * too, to write realm parameters) and which pages of the universe it has
 * delegated. Only DELEGATE and UNDELEGATE move a granule between NS and
 * the rest (rmi-1.0.md 3.1), so their results tell exactly which pages the
 * host may write: the granule protection check forbids the others. */
struct region {
	uint64_t base, size;
	uint8_t *map;
};

struct session {
	uint64_t id;
	uint8_t token[RMMEMU_TOKEN_SIZE];
	struct region regions[MAX_REGIONS];
	unsigned int nregions;
	bool delegated[UNIVERSE];
};

struct conn {
	int fd;				/* -1: closed */
	bool hello;
	bool observer;
	struct session *sess;
};

struct world {
	struct server *srv;
	struct conn conns[MAX_CONNS + 1];	/* the last for the good host */
	unsigned int nconns, cur;
	struct session sessions[MAX_SESSIONS];
	unsigned int nsessions;
	int last_memfd;			/* the memfd of the last SHARE_REGION */
	struct session *last_session;	/* which shares it */
	uint8_t reply[REPLY_MAX];
};

static struct session *session_of(struct world *w, uint64_t id,
				  const uint8_t token[RMMEMU_TOKEN_SIZE])
{
	for (unsigned int i = 0; i < w->nsessions; i++) {
		if (w->sessions[i].id == id)
			return &w->sessions[i];
	}
	if (w->nsessions == MAX_SESSIONS)
		return NULL;
	w->sessions[w->nsessions] = (struct session){ .id = id };
	memcpy(w->sessions[w->nsessions].token, token, RMMEMU_TOKEN_SIZE);
	return &w->sessions[w->nsessions++];
}

/* The host's view of pa, if pa is in a region of s and NS. */
static uint8_t *host_page(struct session *s, uint64_t pa)
{
	uint64_t k = (pa - BASE) / PAGE;

	if (s == NULL || pa < BASE || k >= UNIVERSE || s->delegated[k])
		return NULL;
	for (unsigned int i = 0; i < s->nregions; i++) {
		struct region *r = &s->regions[i];

		if (pa >= r->base && pa - r->base < r->size && r->map != NULL)
			return r->map + (pa - r->base);
	}
	return NULL;
}

static void track_call(struct session *s, const uint64_t x[7], uint64_t status)
{
	uint32_t fid = (uint32_t)x[0] & ~RMI_FID_SVE_HINT;
	uint64_t k = (x[1] - BASE) / PAGE;

	if (s == NULL || status != RMI_SUCCESS || x[1] < BASE || k >= UNIVERSE)
		return;
	if (fid == RMI_GRANULE_DELEGATE)
		s->delegated[k] = true;
	else if (fid == RMI_GRANULE_UNDELEGATE)
		s->delegated[k] = false;
}

/* --- frames and answers --------------------------------------------------- */

enum expect {
	EXPECT_REPLY,		/* the reply of the request */
	EXPECT_ERROR,		/* ERROR, then the end of the connection */
	EXPECT_EITHER,		/* depends on the daemon's state */
	EXPECT_END,		/* an empty frame reads as the end */
};

static const size_t request_size[] = {
	[RMMEMU_MSG_HELLO] = sizeof(struct rmmemu_msg_hello),
	[RMMEMU_MSG_SHARE_REGION] = sizeof(struct rmmemu_msg_share_region),
	[RMMEMU_MSG_RMI_CALL] = sizeof(struct rmmemu_msg_rmi_call),
	[RMMEMU_MSG_STATE] = sizeof(struct rmmemu_msg_state),
	[RMMEMU_MSG_KICK] = sizeof(struct rmmemu_msg_kick),
	[RMMEMU_MSG_RAISE] = sizeof(struct rmmemu_msg_raise),
};

/* What protocol.h allows as the answer to the frame, from the framing and
 * the connection's state alone. */
static enum expect classify(const struct conn *c, const uint8_t *frame, size_t len,
			    unsigned int nfds)
{
	struct rmmemu_msg_hdr h;
	const struct rmmemu_msg_hello *hello = (const void *)frame;
	const struct rmmemu_msg_state *state = (const void *)frame;
	const struct rmmemu_msg_raise *rq = (const void *)frame;

	if (len == 0)
		return EXPECT_END;
	if (len < sizeof(h))
		return EXPECT_ERROR;
	memcpy(&h, frame, sizeof(h));
	if (h.magic != RMMEMU_PROTO_MAGIC || h.type == 0 ||
	    h.type >= sizeof(request_size) / sizeof(request_size[0]) || h.reserved != 0 ||
	    len != request_size[h.type] ||
	    nfds != (h.type == RMMEMU_MSG_SHARE_REGION ? 1U : 0U) ||
	    c->hello != (h.type != RMMEMU_MSG_HELLO))
		return EXPECT_ERROR;
	switch (h.type) {
	case RMMEMU_MSG_HELLO:
		if (hello->version != RMMEMU_PROTO_VERSION ||
		    (hello->flags != 0 && hello->flags != RMMEMU_HELLO_JOIN &&
		     hello->flags != RMMEMU_HELLO_OBSERVE))
			return EXPECT_ERROR;
		return hello->flags == RMMEMU_HELLO_OBSERVE ? EXPECT_REPLY : EXPECT_EITHER;
	case RMMEMU_MSG_STATE:
		return state->flags & ~RMMEMU_STATE_JSON || state->reserved != 0 ?
		       EXPECT_ERROR : EXPECT_REPLY;
	case RMMEMU_MSG_SHARE_REGION:
		return c->observer ? EXPECT_ERROR : EXPECT_EITHER;
	case RMMEMU_MSG_RAISE:
		return c->observer || rq->reserved != 0 ? EXPECT_ERROR : EXPECT_REPLY;
	default:
		return c->observer ? EXPECT_ERROR : EXPECT_REPLY;
	}
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* One message from the daemon; its length, 0 at the end. */
static size_t recv_reply(struct conn *c, uint8_t *buf)
{
	ssize_t n;

	do {
		n = recv(c->fd, buf, REPLY_MAX, MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		fail("the daemon did not answer within %d s", ANSWER_S);
	if (n < 0 && errno == ECONNRESET)
		return 0;
	if (n < 0)
		fail("recv: %s", strerror(errno));
	if ((size_t)n > REPLY_MAX)
		fail("a reply of %zd bytes, more than any message", n);
	return (size_t)n;
}

static void check_error(const uint8_t *buf, size_t n)
{
	const struct rmmemu_msg_error *e = (const void *)buf;

	if (n != sizeof(*e))
		fail("ERROR of %zu bytes", n);
	if (e->code <= 0 || e->reserved != 0 ||
	    memchr(e->text, '\0', sizeof(e->text)) == NULL || e->text[0] == '\0')
		fail("malformed ERROR (code %d)", e->code);
}

static void check_state_data(struct conn *c, uint8_t *buf, size_t n)
{
	const struct rmmemu_msg_state_data *d = (const void *)buf;

	for (;;) {
		if (n < sizeof(*d) || d->hdr.type != RMMEMU_MSG_STATE_DATA ||
		    d->len > RMMEMU_STATE_CHUNK || n != sizeof(*d) + d->len ||
		    (d->flags & ~RMMEMU_STATE_LAST) != 0)
			fail("malformed STATE_DATA (%zu bytes)", n);
		if (d->flags & RMMEMU_STATE_LAST)
			return;
		n = recv_reply(c, buf);
		if (n == 0)
			fail("the connection ended in the middle of STATE_DATA");
	}
}

/* The request's reply: the right type and exact size. */
static void check_reply(struct world *w, struct conn *c, uint16_t type, size_t n)
{
	static const struct { uint16_t type; size_t size; } replies[] = {
		[RMMEMU_MSG_HELLO] = { RMMEMU_MSG_HELLO_REPLY,
				       sizeof(struct rmmemu_msg_hello_reply) },
		[RMMEMU_MSG_SHARE_REGION] = { RMMEMU_MSG_SHARE_REGION_REPLY,
					      sizeof(struct rmmemu_msg_share_region_reply) },
		[RMMEMU_MSG_RMI_CALL] = { RMMEMU_MSG_RMI_RESULT,
					  sizeof(struct rmmemu_msg_rmi_result) },
		[RMMEMU_MSG_STATE] = { RMMEMU_MSG_STATE_DATA, 0 },
		[RMMEMU_MSG_KICK] = { RMMEMU_MSG_KICK_REPLY, sizeof(struct rmmemu_msg_kick_reply) },
		[RMMEMU_MSG_RAISE] = { RMMEMU_MSG_RAISE_REPLY,
				       sizeof(struct rmmemu_msg_raise_reply) },
	};
	const struct rmmemu_msg_hdr *h = (const void *)w->reply;

	if (h->type != replies[type].type)
		fail("request 0x%x answered by message 0x%x", type, h->type);
	if (type == RMMEMU_MSG_STATE)
		check_state_data(c, w->reply, n);
	else if (n != replies[type].size)
		fail("reply 0x%x of %zu bytes (expected %zu)", h->type, n, replies[type].size);
}

/* After a HELLO_REPLY, whatever op sent the HELLO: the connection's state. */
static void hello_done(struct world *w, struct conn *c)
{
	const struct rmmemu_msg_hello_reply *r = (const void *)w->reply;

	c->hello = true;
	c->observer = r->session_id == 0;
	if (trace)
		fprintf(stderr, "  session %" PRIu64 "\n", r->session_id);
	if (!c->observer)
		c->sess = session_of(w, r->session_id, r->token);
}

/*
 * Reads the answer to the frame just sent and checks it against e. Returns
 * the length of the reply in w->reply, or 0 if the connection ended (after
 * an ERROR, or at an empty frame): it is closed then.
 */
static size_t answer(struct world *w, struct conn *c, uint16_t type, enum expect e)
{
	const struct rmmemu_msg_hdr *h = (const void *)w->reply;
	size_t n = recv_reply(c, w->reply);

	if (n == 0) {
		if (e != EXPECT_END)
			fail("the daemon closed the connection without an ERROR (request 0x%x)",
			     type);
		conn_close(c);
		return 0;
	}
	if (e == EXPECT_END)
		fail("an empty frame was answered");
	if (n < sizeof(*h) || h->magic != RMMEMU_PROTO_MAGIC || h->reserved != 0)
		fail("malformed reply header");
	if (h->type == RMMEMU_MSG_ERROR) {
		if (e == EXPECT_REPLY)
			fail("request 0x%x answered by ERROR: %s", type,
			     ((const struct rmmemu_msg_error *)w->reply)->text);
		check_error(w->reply, n);
		if (recv_reply(c, w->reply) != 0)
			fail("the daemon sent more after ERROR");
		conn_close(c);
		return 0;
	}
	if (e == EXPECT_ERROR)
		fail("a frame the protocol refuses (type 0x%x) was served: reply 0x%x", type,
		     h->type);
	check_reply(w, c, type, n);
	if (type == RMMEMU_MSG_HELLO)
		hello_done(w, c);
	return n;
}

/* Sends a frame with fds (the host's copies are the caller's to close).
 * False if the connection is gone. */
static bool send_frame(struct conn *c, const void *frame, size_t len, const int *fds,
		       unsigned int nfds)
{
	if (c->fd < 0)
		return false;
	if (frame_send(c->fd, frame, len, fds, nfds) < 0)
		fail("sendmsg: %s", strerror(errno));
	return true;
}

/* Sends a frame and checks its answer; the reply's length (0: none). */
static size_t exchange(struct world *w, struct conn *c, const void *frame, size_t len,
		       const int *fds, unsigned int nfds)
{
	uint16_t type = len >= sizeof(struct rmmemu_msg_hdr) ?
			((const struct rmmemu_msg_hdr *)frame)->type : 0;
	enum expect e = classify(c, frame, len, nfds);
	size_t n;

	if (trace)
		fprintf(stderr, "conn %ld: type 0x%x, %zu bytes, %u fds: expect %s\n",
			(long)(c - w->conns), type, len, nfds,
			(const char *[]){ "reply", "ERROR", "either", "end" }[e]);
	if (!send_frame(c, frame, len, fds, nfds))
		return 0;
	frames++;
	n = answer(w, c, type, e);
	if (trace && n != 0 && type == RMMEMU_MSG_RMI_CALL)
		fprintf(stderr, "  -> RMI 0x%" PRIx64 "(0x%" PRIx64 ") = 0x%" PRIx64 "\n",
			((const struct rmmemu_msg_rmi_call *)frame)->x[0],
			((const struct rmmemu_msg_rmi_call *)frame)->x[1],
			((const struct rmmemu_msg_rmi_result *)w->reply)->x[0]);
	else if (trace && n != 0 && type == RMMEMU_MSG_RAISE)
		fprintf(stderr, "  -> status %d\n",
			((const struct rmmemu_msg_raise_reply *)w->reply)->status);
	else if (trace)
		fprintf(stderr, "  -> %s\n", n == 0 ? "closed" : "served");
	return n;
}


static struct rmmemu_msg_hdr hdr(uint16_t type)
{
	return (struct rmmemu_msg_hdr){ .magic = RMMEMU_PROTO_MAGIC, .type = type };
}

/* --- connections ---------------------------------------------------------- */

/* A connection more, up to max in all. */
static struct conn *conn_new(struct world *w, unsigned int max)
{
	struct timeval tv = { .tv_sec = ANSWER_S };
	struct conn *c;
	int sv[2];

	if (w->nconns >= max)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		fail("socketpair: %s", strerror(errno));
	if (setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
		fail("SO_RCVTIMEO: %s", strerror(errno));
	if (server_adopt(w->srv, sv[1]) != 0)
		fail("server_adopt failed");
	c = &w->conns[w->nconns++];
	*c = (struct conn){ .fd = sv[0] };
	w->cur = w->nconns - 1;
	return c;
}

static struct conn *conn_cur(struct world *w)
{
	if (w->nconns == 0)
		return conn_new(w, MAX_CONNS);
	return &w->conns[w->cur];
}

/* --- operations ----------------------------------------------------------- */

static void op_hello(struct world *w, struct input *in)
{
	struct conn *c = conn_cur(w);
	struct rmmemu_msg_hello h = { .hdr = hdr(RMMEMU_MSG_HELLO),
				      .version = RMMEMU_PROTO_VERSION };
	const struct rmmemu_msg_hello_reply *r = (const void *)w->reply;
	uint8_t b = in_u8(in);

	switch (b & 7) {
	case 0: case 1: case 2:
		break;
	case 3: case 4:
		h.flags = RMMEMU_HELLO_JOIN;
		if (w->nsessions > 0)
			memcpy(h.token, w->sessions[in_u8(in) % w->nsessions].token,
			       sizeof(h.token));
		break;
	case 5:
		h.flags = RMMEMU_HELLO_OBSERVE;
		break;
	case 6:
		h.flags = (uint32_t)in_u64(in);
		memcpy(h.token, &(uint64_t){ in_u64(in) }, 8);
		break;
	default:
		h.version = (uint32_t)in_u64(in);
		break;
	}
	if (c != NULL && exchange(w, c, &h, sizeof(h), NULL, 0) != 0 &&
	    (r->session_id == 0) != (h.flags == RMMEMU_HELLO_OBSERVE))
		fail("HELLO with flags 0x%x got session %" PRIu64, h.flags, r->session_id);
}

/*
 * An fd of the kind the input asks for, for a frame of session sess; -1 for
 * none. An alias is of the session's own memory only: two sessions sharing
 * one memfd are two hosts writing each other's memory, which the host model
 * does not follow.
 */
static int make_fd(struct world *w, const struct session *sess, uint8_t kind,
		   uint64_t pages)
{
	int fd = -1, p[2];

	if (kind % 7 == 6 && (w->last_memfd < 0 || sess == NULL || sess != w->last_session))
		kind = 0;
	switch (kind % 7) {
	case 0:		/* a memfd as the client library wants it */
	case 1:
		fd = memfd_create("wire-fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		break;
	case 2:		/* cannot be sealed against shrinking */
		fd = memfd_create("wire-fuzz", MFD_CLOEXEC);
		break;
	case 3:		/* sealed against writes */
		fd = memfd_create("wire-fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (fd >= 0 && ftruncate(fd, (off_t)(pages * PAGE)) == 0)
			fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL);
		return fd;
	case 4:		/* not a memfd */
		if (pipe2(p, O_CLOEXEC) != 0)
			fail("pipe2: %s", strerror(errno));
		close(p[1]);
		return p[0];
	case 5:
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	default:	/* the memfd of the session's last region: an alias */
		return fcntl(w->last_memfd, F_DUPFD_CLOEXEC, 0);
	}
	if (fd >= 0 && ftruncate(fd, (off_t)(pages * PAGE)) != 0)
		fail("ftruncate: %s", strerror(errno));
	return fd;
}

static void remember_region(struct world *w, struct conn *c, int fd,
			    const struct rmmemu_msg_share_region *s)
{
	struct session *sess = c->sess;
	struct region *r;
	void *map;

	if (w->last_memfd >= 0)
		close(w->last_memfd);
	w->last_memfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	w->last_session = sess;
	if (sess == NULL)
		return;		/* more sessions than the model follows */
	if (sess->nregions == MAX_REGIONS)
		fail("a region more than the session's limit was accepted");
	map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)s->offset);
	r = &sess->regions[sess->nregions++];
	*r = (struct region){ .base = s->base, .size = s->size,
			      .map = map == MAP_FAILED ? NULL : map };
}

/* A region, lying or not: base, size and offset from small pools (so that
 * regions overlap and memfds fall short) or anything; the fds of the
 * frame of any kind and number. */
static void op_share(struct world *w, struct input *in)
{
	struct conn *c = conn_cur(w);
	struct rmmemu_msg_share_region s = { .hdr = hdr(RMMEMU_MSG_SHARE_REGION) };
	const struct rmmemu_msg_share_region_reply *r = (const void *)w->reply;
	uint8_t b = in_u8(in), kind = in_u8(in), nfds = in_u8(in) % 8;
	uint64_t pages = in_u8(in) % 24;
	int fds[6];
	unsigned int n = nfds < 5 ? 1 : nfds - 4;	/* mostly one; 0, 2, 3 or 5 */

	s.base = b & 0x80 ? in_u64(in) : BASE + (b % 8) * 8 * PAGE;
	s.size = b & 0x40 ? in_u64(in) : (in_u8(in) % 20) * PAGE;
	s.offset = b & 0x20 ? in_u64(in) : (in_u8(in) % 8) * PAGE;
	if (nfds == 7)
		n = 0;
	for (unsigned int i = 0; i < n; i++) {
		fds[i] = make_fd(w, c != NULL ? c->sess : NULL, kind, pages);
		if (fds[i] < 0)
			fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (c != NULL && exchange(w, c, &s, sizeof(s), fds, n) != 0 && r->status == 0)
		remember_region(w, c, fds[0], &s);
	for (unsigned int i = 0; i < n; i++)
		close(fds[i]);
}

static void rmi_call(struct world *w, struct conn *c, const uint64_t x[7])
{
	struct rmmemu_msg_rmi_call m = { .hdr = hdr(RMMEMU_MSG_RMI_CALL) };
	const struct rmmemu_msg_rmi_result *r = (const void *)w->reply;

	memcpy(m.x, x, sizeof(m.x));
	if (c != NULL && exchange(w, c, &m, sizeof(m), NULL, 0) != 0)
		track_call(c->sess, x, r->x[0]);
}

static void op_rmi(struct world *w, struct input *in)
{
	uint8_t b = in_u8(in);
	uint64_t x[7];

	x[0] = b < 0xe0 ? RMI_FID(0x150 + b % 0x20) | (b & 0x40 ? RMI_FID_SVE_HINT : 0)
			: in_u64(in);
	for (unsigned int i = 1; i < 7; i++)
		x[i] = in_arg(in);
	rmi_call(w, conn_cur(w), x);
}

/* A realm or a REC built as a host does, the parameters written into host
 * memory the host may write (NS). */
static void op_build(struct world *w, struct input *in)
{
	struct conn *c = conn_cur(w);
	uint8_t b = in_u8(in);
	uint64_t params = BASE + (in_u8(in) % UNIVERSE) * PAGE;
	uint64_t first = BASE + (in_u8(in) % UNIVERSE) * PAGE;
	uint64_t rd = BASE + (in_u8(in) % UNIVERSE) * PAGE;
	unsigned int ngranules = b & 1 ? 1 + RMI_REC_AUX_GRANULES : 2;
	uint64_t x[7] = { 0 };
	uint8_t *page;

	if (c == NULL || c->sess == NULL)
		return;
	for (unsigned int i = 0; i < ngranules; i++) {
		uint64_t d[7] = { RMI_GRANULE_DELEGATE, first + i * PAGE };

		rmi_call(w, c, d);
	}
	/* After the delegations: the params page may be one of them. */
	page = host_page(c->sess, params);
	if (page == NULL)
		return;
	memset(page, 0, PAGE);
	if (b & 1) {
		struct rmi_rec_params *p = (void *)page;

		p->flags = in_u8(in) & 1;
		p->mpidr = in_u8(in) & 3;
		p->num_aux = RMI_REC_AUX_GRANULES;
		for (unsigned int i = 0; i < RMI_REC_AUX_GRANULES; i++)
			p->aux[i] = first + (i + 1) * PAGE;
		x[0] = RMI_REC_CREATE;
		x[1] = rd;
		x[2] = first;
		x[3] = params;
	} else {
		struct rmi_realm_params *p = (void *)page;

		p->s2sz = 39;
		p->num_bps = 1;
		p->num_wps = 1;
		p->hash_algo = in_u8(in) & 1;
		p->vmid = in_u8(in);
		p->rtt_base = first + PAGE;
		p->rtt_level_start = 1;
		p->rtt_num_start = 1;
		x[0] = RMI_REALM_CREATE;
		x[1] = first;
		x[2] = params;
	}
	rmi_call(w, c, x);
}

static void op_state(struct world *w, struct input *in)
{
	struct conn *c = conn_cur(w);
	struct rmmemu_msg_state s = { .hdr = hdr(RMMEMU_MSG_STATE) };
	uint8_t b = in_u8(in);

	s.flags = b & 0x80 ? (uint32_t)in_u64(in) : b & RMMEMU_STATE_JSON;
	s.reserved = b & 0x40 ? in_u8(in) : 0;
	if (c != NULL)
		exchange(w, c, &s, sizeof(s), NULL, 0);
}

static void op_kick(struct world *w, struct input *in)
{
	struct conn *c = conn_cur(w);
	struct rmmemu_msg_kick k = { .hdr = hdr(RMMEMU_MSG_KICK), .rec = in_pa(in) };
	const struct rmmemu_msg_kick_reply *r = (const void *)w->reply;

	if (c != NULL && exchange(w, c, &k, sizeof(k), NULL, 0) != 0 &&
	    r->status != 0 && r->status != 1 && r->status != -ENOENT)
		fail("KICK_REPLY status %d", r->status);
}

/* The SError the core reports (rmm.h): EC 0x2F, IL, AET CE, asynchronous. */
#define SERROR_ESR_CE	(0x2FULL << 26 | 1ULL << 25 | 6ULL << 10 | 0x11)

/* An event the core raises, mostly, with its syndrome; or any event and esr,
 * and now and then a reserved field that is not 0 (an ERROR). */
static void op_raise(struct world *w, struct input *in)
{
	struct conn *c = conn_cur(w);
	struct rmmemu_msg_raise q = { .hdr = hdr(RMMEMU_MSG_RAISE), .rec = in_pa(in) };
	const struct rmmemu_msg_raise_reply *r = (const void *)w->reply;
	uint8_t b = in_u8(in);

	q.event = b & 0x80 ? (uint32_t)in_u64(in) : (b & 0x1f) % 3;
	q.esr = b & 0x40 ? in_u64(in) : q.event == RMMEMU_PHYS_SERROR ? SERROR_ESR_CE : 0;
	q.reserved = b & 0x20 ? in_u8(in) : 0;
	if (c == NULL || exchange(w, c, &q, sizeof(q), NULL, 0) == 0)
		return;
	/* Every request is answered before the next is sent, and REC_ENTER
	 * runs no realm here: no REC is ever running. */
	if (r->status != 0 && r->status != -ENOENT && r->status != -EINVAL)
		fail("RAISE_REPLY status %d", r->status);
	if ((q.event > RMMEMU_PHYS_SERROR ||
	     (q.event != RMMEMU_PHYS_SERROR && q.esr != 0)) && r->status != -EINVAL)
		fail("RAISE of event %u esr 0x%" PRIx64 ": status %d, not -EINVAL", q.event,
		     q.esr, r->status);
}

/* A well-formed request spoiled: cut, lengthened, with a bad magic, type or
 * reserved field, fds where none belong. */
static void op_mangle(struct world *w, struct input *in)
{
	struct conn *c = conn_cur(w);
	uint8_t frame[RMMEMU_MSG_REQUEST_MAX + 64] = { 0 };
	uint8_t t = in_u8(in), how = in_u8(in);
	uint8_t type = 1 + t % 5;
	size_t len;
	int fd = -1;

	/* RAISE takes half of KICK's values: the others mean what they meant
	 * before RAISE existed, so that the corpus decodes as it did. */
	if (type == RMMEMU_MSG_KICK && (t & 0x80))
		type = RMMEMU_MSG_RAISE;
	len = request_size[type];
	*(struct rmmemu_msg_hdr *)frame = hdr(type);
	for (size_t i = sizeof(struct rmmemu_msg_hdr); i < len; i++)
		frame[i] = in_u8(in);
	switch (how % 6) {
	case 0:
		len = in_u8(in) % len;
		break;
	case 1:
		len += 1 + in_u8(in) % 64;
		break;
	case 2:
		frame[in_u8(in) % 4] ^= 1 + in_u8(in) % 255;	/* magic */
		break;
	case 3:
		frame[4 + in_u8(in) % 4] = in_u8(in);		/* type, reserved */
		break;
	case 4:
		fd = make_fd(w, c != NULL ? c->sess : NULL, in_u8(in), 1);
		break;
	default:
		break;
	}
	if (c != NULL)
		exchange(w, c, frame, len, &fd, fd >= 0 ? 1 : 0);
	if (fd >= 0)
		close(fd);
}

/* Bytes of the input as a frame, up to 256 of them. */
static void op_raw(struct world *w, struct input *in)
{
	struct conn *c = conn_cur(w);
	uint8_t frame[256];
	size_t len = in_u8(in);

	for (size_t i = 0; i < len; i++)
		frame[i] = in_u8(in);
	if (c != NULL)
		exchange(w, c, frame, len, NULL, 0);
}

static void op_conn(struct world *w, struct input *in)
{
	uint8_t b = in_u8(in);

	if (b < 0x60 || w->nconns == 0)
		conn_new(w, MAX_CONNS);
	else if (b < 0xc0)
		w->cur = b % w->nconns;
	else
		conn_close(&w->conns[w->cur]);
}

static void run_op(struct world *w, struct input *in)
{
	uint8_t op = in_u8(in);

	switch (op % 10) {
	case 0: op_conn(w, in); break;
	case 1: op_hello(w, in); break;
	case 2: op_share(w, in); break;
	case 3: case 4: op_rmi(w, in); break;
	case 5: op_build(w, in); break;
	case 6: op_state(w, in); break;
	case 7:
		/* Half of KICK's opcodes, as in op_mangle(). */
		if (op & 0x80)
			op_raise(w, in);
		else
			op_kick(w, in);
		break;
	case 8: op_mangle(w, in); break;
	default: op_raw(w, in); break;
	}
}

/* --- after each input ----------------------------------------------------- */

/* A host that follows the protocol is served whatever came before. */
static void good_host(struct world *w)
{
	struct rmmemu_msg_hello h = { .hdr = hdr(RMMEMU_MSG_HELLO),
				      .version = RMMEMU_PROTO_VERSION };
	struct rmmemu_msg_share_region s = { .hdr = hdr(RMMEMU_MSG_SHARE_REGION),
					     .base = BASE, .size = 4 * PAGE };
	const struct rmmemu_msg_rmi_result *res = (const void *)w->reply;
	const uint64_t calls[][2] = {
		{ RMI_VERSION, RMI_ABI_VERSION_1_0 },
		{ RMI_GRANULE_DELEGATE, BASE + PAGE },
		{ RMI_GRANULE_UNDELEGATE, BASE + PAGE },
	};
	struct conn *c;
	int fd;

	c = conn_new(w, MAX_CONNS + 1);
	fd = make_fd(w, NULL, 0, 4);
	if (exchange(w, c, &h, sizeof(h), NULL, 0) == 0 ||
	    exchange(w, c, &s, sizeof(s), &fd, 1) == 0 ||
	    ((const struct rmmemu_msg_share_region_reply *)w->reply)->status != 0)
		fail("a well-behaved host was refused");
	close(fd);
	for (unsigned int i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct rmmemu_msg_rmi_call m = { .hdr = hdr(RMMEMU_MSG_RMI_CALL),
						 .x = { calls[i][0], calls[i][1] } };

		if (exchange(w, c, &m, sizeof(m), NULL, 0) == 0 || res->x[0] != RMI_SUCCESS)
			fail("a well-behaved host's call 0x%" PRIx64 " failed", calls[i][0]);
	}
	conn_close(c);
}

static unsigned int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	if (d == NULL)
		fail("/proc/self/fd: %s", strerror(errno));
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static void world_end(struct world *w)
{
	static char report[8192];
	int violations;

	good_host(w);
	/* Every request was answered: no call is in flight. */
	violations = server_check_invariants(w->srv, report, sizeof(report));
	if (violations != 0)
		fail("%d invariant violations:\n%s", violations, report);
	for (unsigned int i = 0; i < w->nconns; i++)
		conn_close(&w->conns[i]);
	server_stop(w->srv);
	for (unsigned int i = 0; i < w->nsessions; i++) {
		for (unsigned int j = 0; j < w->sessions[i].nregions; j++) {
			struct region *r = &w->sessions[i].regions[j];

			if (r->map != NULL)
				munmap(r->map, r->size);
		}
	}
	if (w->last_memfd >= 0)
		close(w->last_memfd);
}

/* --- libFuzzer ------------------------------------------------------------ */

/* Every log line is formatted (its arguments come from the input) and
 * dropped. */
static void log_discard(enum rmm_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)msg;
	(void)ctx;
}

/* FUZZ_STATS: the frames sent. */
static void stats_write(void)
{
	fuzz_stats_write("frames", frames);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	atexit(stats_write);
	rmm_log_set_sink(log_discard, NULL);
	rmm_log_set_level(RMM_LOG_TRACE);
	signal(SIGPIPE, SIG_IGN);
	trace = getenv("WIRE_PROTOCOL_TRACE") != NULL;
	return 0;
}

/* No executor on every machine: REC_ENTER returns IRQ exits, as on x86,
 * and the KVM executor (opened once for the process on arm64 with /dev/kvm)
 * cannot count as a descriptor an input left open. */
static const struct rmm_executor_ops no_executor = { .name = "none" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Small limits, so that inputs reach them. */
	struct server_opts opts = {
		.unbound = true,
		.executor = &no_executor,
		.hello_timeout_ms = 60000,
		.limits = { .connections = 3, .regions = MAX_REGIONS,
			    .region_bytes = 48 * PAGE, .realms = 2 },
	};
	static struct world w;
	struct input in = { data, size };
	unsigned int fds = count_fds();
	char record_dir[64] = "/tmp/wire-protocol-XXXXXX";

	memset(&w, 0, sizeof(w));
	w.last_memfd = -1;
	if (size > 0 && (data[0] & 0x80)) {
		if (mkdtemp(record_dir) == NULL)
			fail("mkdtemp: %s", strerror(errno));
		opts.record_dir = record_dir;
	}
	if (server_start(&opts, &w.srv) != 0)
		fail("server_start failed");
	for (unsigned int i = 0; i < MAX_OPS && in.n > 0; i++)
		run_op(&w, &in);
	world_end(&w);
	if (opts.record_dir != NULL)
		nftw(record_dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	if (count_fds() != fds)
		fail("%u file descriptors open after the input, %u before", count_fds(), fds);
	fuzz_stats_tick("frames", frames);
	return 0;
}
