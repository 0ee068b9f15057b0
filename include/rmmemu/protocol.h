/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The wire protocol between a host (through the client library) and the
 * rmmemu daemon.
 *
 * Transport: a Unix socket of type SOCK_SEQPACKET, so every message keeps its
 * boundaries and file descriptors travel with the message they belong to
 * (SCM_RIGHTS). Both ends are on one machine: integers are in host byte order.
 *
 * Every message starts with struct rmmemu_msg_hdr and has the exact size its
 * type gives (STATE_DATA: a fixed part plus its payload). A connection is a
 * strict request/reply sequence started by the host:
 *
 *   HELLO         -> HELLO_REPLY          first message, exactly once
 *   SHARE_REGION  -> SHARE_REGION_REPLY   carries exactly one memfd
 *   RMI_CALL      -> RMI_RESULT
 *   STATE         -> STATE_DATA ... (the last one has RMMEMU_STATE_LAST)
 *   KICK          -> KICK_REPLY
 *   RAISE         -> RAISE_REPLY          a KICK with IRQ, FIQ or SError
 *
 * Any request may instead be answered by ERROR, after which the daemon closes
 * the connection. ERROR answers a message the daemon will not serve: wrong
 * size, bad magic, unknown type, nonzero reserved field, a file descriptor
 * where none belongs or a missing one, a request before HELLO or a second
 * HELLO, an unknown session token, an unsupported protocol version, a memory
 * region the daemon can not use (not a memfd, past the end of the memfd,
 * unaligned, overlapping another region of the session, memfd bytes the
 * session shares already at another address), a limit of the session
 * reached (connections, regions or their total size: rmmemu --help), no
 * HELLO within the daemon's timeout (ETIMEDOUT). Other connections and
 * sessions are not affected.
 *
 * Sessions: HELLO either creates a new host session (flags 0), joins the
 * session named by token (RMMEMU_HELLO_JOIN) or opens an observer connection
 * that belongs to no session and may only ask for STATE (RMMEMU_HELLO_OBSERVE).
 * A session, its RMM instance and all its realms end when its last connection
 * closes; every granule is scrubbed then.
 */
#ifndef RMMEMU_PROTOCOL_H
#define RMMEMU_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define RMMEMU_PROTO_MAGIC	0x554d4d52U	/* "RMMU" in memory, little-endian */
#define RMMEMU_PROTO_VERSION	1U

#define RMMEMU_TOKEN_SIZE	16
#define RMMEMU_ERROR_TEXT_SIZE	240
#define RMMEMU_VERSION_TEXT_SIZE 32
/* The largest STATE_DATA payload; longer text comes in several messages. */
#define RMMEMU_STATE_CHUNK	16384U

enum rmmemu_msg_type {
	/* host -> daemon */
	RMMEMU_MSG_HELLO = 0x01,
	RMMEMU_MSG_SHARE_REGION = 0x02,
	RMMEMU_MSG_RMI_CALL = 0x03,
	RMMEMU_MSG_STATE = 0x04,
	RMMEMU_MSG_KICK = 0x05,
	RMMEMU_MSG_RAISE = 0x06,
	/* daemon -> host */
	RMMEMU_MSG_HELLO_REPLY = 0x81,
	RMMEMU_MSG_SHARE_REGION_REPLY = 0x82,
	RMMEMU_MSG_RMI_RESULT = 0x83,
	RMMEMU_MSG_STATE_DATA = 0x84,
	RMMEMU_MSG_KICK_REPLY = 0x85,
	RMMEMU_MSG_RAISE_REPLY = 0x86,
	RMMEMU_MSG_ERROR = 0xff,
};

struct rmmemu_msg_hdr {
	uint32_t magic;			/* RMMEMU_PROTO_MAGIC */
	uint16_t type;			/* enum rmmemu_msg_type */
	uint16_t reserved;		/* 0 */
};

/* HELLO flags: none set creates a new session. */
#define RMMEMU_HELLO_JOIN	(1U << 0)	/* join the session of token */
#define RMMEMU_HELLO_OBSERVE	(1U << 1)	/* no session: STATE only */

struct rmmemu_msg_hello {
	struct rmmemu_msg_hdr hdr;
	uint32_t version;		/* RMMEMU_PROTO_VERSION of the host */
	uint32_t flags;
	uint8_t token[RMMEMU_TOKEN_SIZE];	/* with RMMEMU_HELLO_JOIN; else ignored */
};

struct rmmemu_msg_hello_reply {
	struct rmmemu_msg_hdr hdr;
	uint32_t version;		/* RMMEMU_PROTO_VERSION of the daemon */
	uint32_t reserved;
	uint64_t session_id;		/* for logs and STATE; 0 for observers */
	uint8_t token[RMMEMU_TOKEN_SIZE];	/* the session's secret name */
	char daemon_version[RMMEMU_VERSION_TEXT_SIZE];	/* NUL-terminated */
};

/*
 * Host memory [base, base + size) of the host's physical address space is
 * the memfd sent with this message (SCM_RIGHTS, exactly one fd) at offset.
 * The memfd must cover offset + size when it is shared, and must not shrink
 * afterwards: the daemon adds F_SEAL_SHRINK when the memfd allows sealing.
 */
struct rmmemu_msg_share_region {
	struct rmmemu_msg_hdr hdr;
	uint64_t base;
	uint64_t size;
	uint64_t offset;
};

/* status 0, or a negative errno for a failure that is the daemon's (out of
 * memory, out of file descriptors); the connection stays usable then. */
struct rmmemu_msg_share_region_reply {
	struct rmmemu_msg_hdr hdr;
	int32_t status;
	uint32_t reserved;
};

struct rmmemu_msg_rmi_call {
	struct rmmemu_msg_hdr hdr;
	uint64_t x[7];			/* x0 = function ID, x1..x6 */
};

struct rmmemu_msg_rmi_result {
	struct rmmemu_msg_hdr hdr;
	uint64_t x[5];			/* x0..x4 as the RMM returns them */
};

#define RMMEMU_STATE_JSON	(1U << 0)

struct rmmemu_msg_state {
	struct rmmemu_msg_hdr hdr;
	uint32_t flags;
	uint32_t reserved;
};

#define RMMEMU_STATE_LAST	(1U << 0)

/* Followed by len bytes of text (no NUL); len <= RMMEMU_STATE_CHUNK. */
struct rmmemu_msg_state_data {
	struct rmmemu_msg_hdr hdr;
	uint32_t flags;
	uint32_t len;
	char data[];
};

/*
 * Kicks REC rec of the session: a REC_ENTER of it in progress on another
 * connection returns soon with an IRQ exit. status: 1 the REC was running,
 * 0 it was not (nothing is remembered), -ENOENT no REC of this session is
 * at rec. Either way the connection goes on.
 */
struct rmmemu_msg_kick {
	struct rmmemu_msg_hdr hdr;
	uint64_t rec;
};

struct rmmemu_msg_kick_reply {
	struct rmmemu_msg_hdr hdr;
	int32_t status;
	uint32_t reserved;
};

/*
 * Raises physical event (RMMEMU_PHYS_IRQ, _FIQ or _SERROR of client.h) on
 * REC rec of the session: a REC_ENTER of it in progress on another
 * connection returns soon with the event's exit (rmi-1.0.md 9.3); with
 * SERROR, esr is the SError's syndrome the exit reports (ESR_EL2: EC 0x2F
 * or 0, an asynchronous SError of severity CE or UEO), 0 otherwise. IRQ
 * with esr 0 is a KICK. status: 1 the REC was running, 0 it was not
 * (nothing is remembered), -ENOENT no REC of this session is at rec,
 * -EINVAL another event or esr; the connection goes on. A reserved field
 * that is not 0 is an ERROR.
 */
struct rmmemu_msg_raise {
	struct rmmemu_msg_hdr hdr;
	uint64_t rec;
	uint32_t event;
	uint32_t reserved;		/* 0 */
	uint64_t esr;
};

struct rmmemu_msg_raise_reply {
	struct rmmemu_msg_hdr hdr;
	int32_t status;
	uint32_t reserved;
};

struct rmmemu_msg_error {
	struct rmmemu_msg_hdr hdr;
	int32_t code;			/* a positive errno: EPROTO, ENOENT, ... */
	uint32_t reserved;
	char text[RMMEMU_ERROR_TEXT_SIZE];	/* NUL-terminated */
};

/* The largest message the daemon accepts from a host. */
#define RMMEMU_MSG_REQUEST_MAX	sizeof(struct rmmemu_msg_rmi_call)

#define RMMEMU_CHECK_OFFSET(type, field, off) \
	_Static_assert(offsetof(struct type, field) == (off), #type "." #field)
#define RMMEMU_CHECK_SIZE(type, size) \
	_Static_assert(sizeof(struct type) == (size), #type " size")

RMMEMU_CHECK_OFFSET(rmmemu_msg_hdr, magic, 0);
RMMEMU_CHECK_OFFSET(rmmemu_msg_hdr, type, 4);
RMMEMU_CHECK_OFFSET(rmmemu_msg_hdr, reserved, 6);
RMMEMU_CHECK_SIZE(rmmemu_msg_hdr, 8);

RMMEMU_CHECK_OFFSET(rmmemu_msg_hello, version, 8);
RMMEMU_CHECK_OFFSET(rmmemu_msg_hello, flags, 12);
RMMEMU_CHECK_OFFSET(rmmemu_msg_hello, token, 16);
RMMEMU_CHECK_SIZE(rmmemu_msg_hello, 32);

RMMEMU_CHECK_OFFSET(rmmemu_msg_hello_reply, version, 8);
RMMEMU_CHECK_OFFSET(rmmemu_msg_hello_reply, session_id, 16);
RMMEMU_CHECK_OFFSET(rmmemu_msg_hello_reply, token, 24);
RMMEMU_CHECK_OFFSET(rmmemu_msg_hello_reply, daemon_version, 40);
RMMEMU_CHECK_SIZE(rmmemu_msg_hello_reply, 72);

RMMEMU_CHECK_OFFSET(rmmemu_msg_share_region, base, 8);
RMMEMU_CHECK_OFFSET(rmmemu_msg_share_region, size, 16);
RMMEMU_CHECK_OFFSET(rmmemu_msg_share_region, offset, 24);
RMMEMU_CHECK_SIZE(rmmemu_msg_share_region, 32);

RMMEMU_CHECK_OFFSET(rmmemu_msg_share_region_reply, status, 8);
RMMEMU_CHECK_SIZE(rmmemu_msg_share_region_reply, 16);

RMMEMU_CHECK_OFFSET(rmmemu_msg_rmi_call, x, 8);
RMMEMU_CHECK_SIZE(rmmemu_msg_rmi_call, 64);

RMMEMU_CHECK_OFFSET(rmmemu_msg_rmi_result, x, 8);
RMMEMU_CHECK_SIZE(rmmemu_msg_rmi_result, 48);

RMMEMU_CHECK_OFFSET(rmmemu_msg_state, flags, 8);
RMMEMU_CHECK_SIZE(rmmemu_msg_state, 16);

RMMEMU_CHECK_OFFSET(rmmemu_msg_state_data, flags, 8);
RMMEMU_CHECK_OFFSET(rmmemu_msg_state_data, len, 12);
RMMEMU_CHECK_OFFSET(rmmemu_msg_state_data, data, 16);
RMMEMU_CHECK_SIZE(rmmemu_msg_state_data, 16);

RMMEMU_CHECK_OFFSET(rmmemu_msg_kick, rec, 8);
RMMEMU_CHECK_SIZE(rmmemu_msg_kick, 16);

RMMEMU_CHECK_OFFSET(rmmemu_msg_kick_reply, status, 8);
RMMEMU_CHECK_SIZE(rmmemu_msg_kick_reply, 16);

RMMEMU_CHECK_OFFSET(rmmemu_msg_raise, rec, 8);
RMMEMU_CHECK_OFFSET(rmmemu_msg_raise, event, 16);
RMMEMU_CHECK_OFFSET(rmmemu_msg_raise, reserved, 20);
RMMEMU_CHECK_OFFSET(rmmemu_msg_raise, esr, 24);
RMMEMU_CHECK_SIZE(rmmemu_msg_raise, 32);

RMMEMU_CHECK_OFFSET(rmmemu_msg_raise_reply, status, 8);
RMMEMU_CHECK_OFFSET(rmmemu_msg_raise_reply, reserved, 12);
RMMEMU_CHECK_SIZE(rmmemu_msg_raise_reply, 16);

RMMEMU_CHECK_OFFSET(rmmemu_msg_error, code, 8);
RMMEMU_CHECK_OFFSET(rmmemu_msg_error, text, 16);
RMMEMU_CHECK_SIZE(rmmemu_msg_error, 256);

_Static_assert(RMMEMU_MSG_REQUEST_MAX >= sizeof(struct rmmemu_msg_hello) &&
	       RMMEMU_MSG_REQUEST_MAX >= sizeof(struct rmmemu_msg_share_region) &&
	       RMMEMU_MSG_REQUEST_MAX >= sizeof(struct rmmemu_msg_state) &&
	       RMMEMU_MSG_REQUEST_MAX >= sizeof(struct rmmemu_msg_kick) &&
	       RMMEMU_MSG_REQUEST_MAX >= sizeof(struct rmmemu_msg_raise),
	       "RMMEMU_MSG_REQUEST_MAX covers every request");

#endif /* RMMEMU_PROTOCOL_H */
