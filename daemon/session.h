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

struct session;
struct session_table;

/* record_dir: where each session's calls are recorded, or NULL. */
struct session_table *session_table_new(const char *record_dir);
/* Only once every session has ended (no connection holds one). */
void session_table_free(struct session_table *t);

/* A new session with a fresh random token, held by the calling connection.
 * Returns 0 or a negative errno (why says why, for the host). */
int session_create(struct session_table *t, struct session **s,
		   char *why, size_t why_size);
/* The live session of token, held by one more connection; -ENOENT if none. */
int session_join(struct session_table *t, const uint8_t token[RMMEMU_TOKEN_SIZE],
		 struct session **s);
/* The calling connection lets go; the last one ends the session: every
 * realm is destroyed and every granule scrubbed (rmm_free). */
void session_leave(struct session_table *t, struct session *s);

uint64_t session_id(const struct session *s);
const uint8_t *session_token(const struct session *s);

/*
 * Registers host memory backed by fd (the daemon's own reference is kept;
 * the caller still closes fd). Returns 0 or a negative errno; why explains
 * a failure in words for the host.
 */
int session_share_region(struct session *s, uint64_t base, uint64_t size,
			 int fd, uint64_t offset, char *why, size_t why_size);

/* One RMI call on the session's RMM, recorded when recording is on. */
void session_call(struct session *s, const uint64_t x[7], uint64_t out[5]);

/* rmm_rec_kick() on the session's RMM: 1 running, 0 idle, -ENOENT no REC. */
int session_kick(struct session *s, uint64_t rec_pa);

/* Every live session, as text or JSON; malloc'd, NULL when out of memory. */
char *session_state_format(struct session_table *t, int json);

#endif /* RMMEMU_DAEMON_SESSION_H */
