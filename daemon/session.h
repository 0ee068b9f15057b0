/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host sessions: one RMM instance per host, shared by the host's connections
 * and ended, with every realm in it, when the last of them closes.
 */
#ifndef RMMEMU_DAEMON_SESSION_H
#define RMMEMU_DAEMON_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <rmmemu/protocol.h>

struct rmm_executor_ops;
struct session;
struct session_table;

/*
 * What one host session may hold; 0 in a field means its default. A host that
 * reaches a limit is refused that one request (the server says how); what it
 * holds already stays.
 */
struct session_limits {
	unsigned int connections;	/* connections at once */
	unsigned int regions;		/* memory regions shared */
	uint64_t region_bytes;		/* their total size */
	unsigned int realms;		/* realms live at once */
};

#define SESSION_DEFAULT_CONNECTIONS	256U
#define SESSION_DEFAULT_REGIONS		64U
#define SESSION_DEFAULT_REGION_BYTES	(16ULL << 30)
#define SESSION_DEFAULT_REALMS		64U

/* limits with every 0 field replaced by its default. */
struct session_limits session_limits_resolve(const struct session_limits *limits);

/* record_dir: where each session's calls are recorded, or NULL; limits: NULL
 * for the defaults. */
struct session_table *session_table_new(const char *record_dir,
					const struct session_limits *limits);
const struct session_limits *session_table_limits(const struct session_table *t);
/* Sessions created from here on run realms with ops (ctx its argument)
 * instead of the build's executor: for tests. */
void session_table_set_executor(struct session_table *t, const struct rmm_executor_ops *ops,
				void *ctx);
/* Sessions created from here on get the realm attestation key and platform
 * token of p (platform/platform.h), which outlives the table; without it
 * their realms get no tokens (RSI_ERROR_UNKNOWN). */
struct platform;
void session_table_set_platform(struct session_table *t, const struct platform *p);
/* Only once every session has ended (no connection holds one). */
void session_table_free(struct session_table *t);

/* A new session with a fresh random token, held by the calling connection.
 * Returns 0 or a negative errno (why says why, for the host). */
int session_create(struct session_table *t, struct session **s,
		   char *why, size_t why_size);
/* The live session of token, held by one more connection; -ENOENT if none,
 * -EUSERS if it has as many connections as its limit allows. */
int session_join(struct session_table *t, const uint8_t token[RMMEMU_TOKEN_SIZE],
		 struct session **s);
/* The calling connection lets go; the last one ends the session: every
 * realm is destroyed and every granule scrubbed (rmm_free). */
void session_leave(struct session_table *t, struct session *s);

uint64_t session_id(const struct session *s);
const uint8_t *session_token(const struct session *s);

/*
 * Registers host memory backed by fd (the daemon's own reference is kept;
 * the caller still closes fd). Returns 0 or a negative errno (-EDQUOT: a
 * limit of the session); why explains a failure in words for the host.
 */
int session_share_region(struct session *s, uint64_t base, uint64_t size,
			 int fd, uint64_t offset, char *why, size_t why_size);

/* One RMI call on the session's RMM, recorded when recording is on. A
 * REALM_CREATE past the session's realm limit is refused (ERROR_INPUT). */
void session_call(struct session *s, const uint64_t x[7], uint64_t out[5]);

/* rmm_rec_raise() on the session's RMM, event RMMEMU_PHYS_* (client.h), a
 * KICK being IRQ: 1 running, 0 idle, -ENOENT no REC, -EINVAL event or esr
 * refused. Not recorded: it changes no RMM state. */
int session_raise(struct session *s, uint64_t rec_pa, unsigned int event, uint64_t esr);

/* Every live session, as text or JSON; malloc'd, NULL when out of memory. */
char *session_state_format(struct session_table *t, int json);

/*
 * rmm_check_invariants() on every live session's RMM. Only at a quiescent
 * point: no RMI call of any session in flight (the checker takes no locks).
 * Returns the number of violations, or -1 if a check could not run; the
 * violations in report (NUL-terminated, cut at len), under their session.
 */
int session_table_check_invariants(struct session_table *t, char *report, size_t len);

#endif /* RMMEMU_DAEMON_SESSION_H */
