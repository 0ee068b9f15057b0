/* SPDX-License-Identifier: BSD-3-Clause */
/* Scratch directories for the daemon tests (sockets, recordings). */
#ifndef RMMEMU_DAEMON_TESTS_TMPDIR_H
#define RMMEMU_DAEMON_TESTS_TMPDIR_H

/* Removes path and everything below it. */
void tmpdir_remove(const char *path);

#endif
