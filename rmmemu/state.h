/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A readable picture of an RMM instance, for inspection tools (rmmctl state,
 * the daemon's state request): granule counts by state, and every realm with
 * its measurements, RECs and RTT tree.
 */
#ifndef RMMEMU_STATE_H
#define RMMEMU_STATE_H

struct rmm;

/* Text (json = 0) or JSON (json != 0). Returns a malloc'd, NUL-terminated
 * string for the caller to free, or NULL on allocation failure. Each realm
 * is read under its RD granule lock, so the picture of one realm is
 * consistent; realms may change between one another. */
char *rmm_state_format(struct rmm *rmm, int json);

#endif /* RMMEMU_STATE_H */
