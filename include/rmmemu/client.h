/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmmemu client library: how a host (a VMM, a kernel shim helper, a test
 * tool) talks to the rmmemu daemon.
 *
 * A host is one session in the daemon: its own physical address space (the
 * memory regions it shares), its own realms. A host opens one connection per
 * vCPU thread if it wants: the first connection creates the session, the
 * others join it with the session's token. The session, and every realm in
 * it, ends when its last connection closes; its granules are scrubbed.
 *
 * Every function returns 0 or a negative errno, and is safe to call from one
 * thread per connection.
 */
#ifndef RMMEMU_CLIENT_H
#define RMMEMU_CLIENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RMMEMU_SESSION_TOKEN_SIZE	16

struct rmmemu_client;

/* The socket path used when none is given: $RMMEMU_SOCKET if set, else
 * $XDG_RUNTIME_DIR/rmmemu.sock if XDG_RUNTIME_DIR is set, else
 * /tmp/rmmemu-<uid>.sock. The result is a static buffer. */
const char *rmmemu_default_socket(void);

/* Connects and creates a new host session (path NULL: the default socket). */
int rmmemu_connect(const char *path, struct rmmemu_client **client);
/* Connects and joins the session whose token another connection got. */
int rmmemu_connect_join(const char *path,
			const uint8_t token[RMMEMU_SESSION_TOKEN_SIZE],
			struct rmmemu_client **client);
/* Connects without a session, to read the daemon's STATE only. */
int rmmemu_connect_observer(const char *path, struct rmmemu_client **client);
/* The token of this connection's session. */
void rmmemu_session_token(const struct rmmemu_client *client,
			  uint8_t token[RMMEMU_SESSION_TOKEN_SIZE]);
/* The daemon's number for this connection's session, as logs and STATE show
 * it (0 for an observer). */
uint64_t rmmemu_session_id(const struct rmmemu_client *client);
/* The daemon's package version, as it sent it in its HELLO reply. */
const char *rmmemu_daemon_version(const struct rmmemu_client *client);

/*
 * Shares host memory: [base, base + size) of the host's physical address
 * space is the memfd fd at offset. base, size and offset must be 4 KiB
 * aligned; regions of one session must not overlap. The daemon keeps its own
 * reference to the memfd and seals it against shrinking, so the memfd must be
 * created with MFD_ALLOW_SEALING (or be sealed with F_SEAL_SHRINK already).
 * Delegated granules read as zeros through fd. A region the daemon refuses
 * (not a memfd, not sealable, smaller than offset + size, unaligned,
 * overlapping) ends the connection: see rmmemu_client_error().
 */
int rmmemu_share_region(struct rmmemu_client *client, uint64_t base,
			uint64_t size, int fd, uint64_t offset);

/* One RMI call: x[0] = function ID, x[1..6] arguments; out[0..4] = x0..x4. */
int rmmemu_rmi_call(struct rmmemu_client *client, const uint64_t x[7],
		    uint64_t out[5]);

/*
 * Kicks REC rec_pa of this connection's session: a REC_ENTER of it in
 * progress on another connection returns soon with an IRQ exit. Returns 1 if
 * the REC was running, 0 if it was not (nothing is remembered for a later
 * REC_ENTER), -ENOENT if no REC of the session is at rec_pa.
 */
int rmmemu_rec_kick(struct rmmemu_client *client, uint64_t rec_pa);

/* Physical events for rmmemu_rec_raise(). */
#define RMMEMU_PHYS_IRQ		0U	/* an interrupt for the host: a kick */
#define RMMEMU_PHYS_FIQ		1U	/* a FIQ, e.g. a secure interrupt */
#define RMMEMU_PHYS_SERROR	2U	/* an SError (a RAS error), with esr */

/*
 * Raises physical event RMMEMU_PHYS_* on REC rec_pa of this connection's
 * session: a REC_ENTER of it in progress on another connection returns soon
 * with that event's exit (RMI_EXIT_IRQ, RMI_EXIT_FIQ or RMI_EXIT_SERROR).
 * On hardware FIQs and SErrors come from the platform, not from the host:
 * this lets a host exercise its handling of those exits. esr: 0, except for
 * RMMEMU_PHYS_SERROR, where it is the SError's ESR_EL2 as the exit reports
 * it (EC 0x2F or 0, then an asynchronous SError, DFSC 0x11, of severity CE
 * or UEO, which the RMM only reports, or UEU or UER, which it also injects
 * into the realm where realms run; EA and IESB may be set). Of events raised during one REC_ENTER the exit reports one:
 * SError before FIQ before IRQ. Returns what rmmemu_rec_kick() does, or
 * -EINVAL for another event or esr (the connection goes on).
 */
int rmmemu_rec_raise(struct rmmemu_client *client, uint64_t rec_pa,
		     unsigned int event, uint64_t esr);

/* The daemon's view of every session, as text or JSON (malloc'd, for the
 * caller to free). */
int rmmemu_state(struct rmmemu_client *client, int json, char **text);

/* Closes the connection (the session ends with its last connection). */
void rmmemu_disconnect(struct rmmemu_client *client);

/* A readable message for a negative errno returned by this library,
 * including the daemon's own error text when it sent one. client may be NULL
 * for an error of rmmemu_connect*() (which returns no client): the text is then
 * that of the calling thread's last failed connect. The text lives until the
 * calling thread's next call of this function. Once the daemon sent an
 * ERROR, it has closed the connection: every later call returns the same
 * error. */
const char *rmmemu_client_error(const struct rmmemu_client *client, int err);

#ifdef __cplusplus
}
#endif

#endif /* RMMEMU_CLIENT_H */
