/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The call recorder: every RMI call a session serves, written as an
 * `rmmctl replay` script (DIR/session-<id>.rmi), with the NS memory each call
 * reads, so that a bug seen under a real host replays without the host.
 *
 * Script lines: `region BASE SIZE`, `fill PA LEN BYTE`, `write64 PA VALUE`,
 * `call NAME [X1 .. X6]` (NAME without RMI_, or the FID in hex when the core
 * has no name for it), `# -> x0 x1 x2 x3 x4` after each call. Every call is
 * flushed to the file before it runs, so a crash keeps the call that caused it.
 */
#ifndef RMMEMU_DAEMON_RECORDER_H
#define RMMEMU_DAEMON_RECORDER_H

#include <stdint.h>

struct recorder;

/* Creates dir (mode 0700) if it does not exist; 0 if it is a directory. */
int recorder_prepare_dir(const char *dir);

/* Creates (or truncates) DIR/session-<session_id>.rmi. Returns NULL and sets
 * *err to a negative errno on failure. */
struct recorder *recorder_open(const char *dir, uint64_t session_id, int *err);
void recorder_close(struct recorder *r);

/* A region the session shares; the recorder keeps its own reference to fd
 * to read the NS memory that calls use. */
void recorder_region(struct recorder *r, uint64_t base, uint64_t size, int fd,
		     uint64_t offset);

/* Before the call: its NS inputs and its call line. Returns the line number
 * of the call line, for recorder_call_end(). */
uint64_t recorder_call_begin(struct recorder *r, const uint64_t x[7]);
/* After the call: its results. */
void recorder_call_end(struct recorder *r, uint64_t call_line, const uint64_t out[5]);

#endif /* RMMEMU_DAEMON_RECORDER_H */
