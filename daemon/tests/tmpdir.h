/* SPDX-License-Identifier: BSD-3-Clause */
/* Scratch directories for the daemon tests (sockets, recordings). */
#ifndef RMMEMU_DAEMON_TESTS_TMPDIR_H
#define RMMEMU_DAEMON_TESTS_TMPDIR_H

#define TMPDIR_DIR_SIZE		64
#define TMPDIR_PATH_SIZE	96

/*
 * A new scratch directory /tmp/rmmemu-test-XXXXXX in dir, with the paths of
 * a daemon's socket (DIR/sock) in sock and of its recordings (DIR/rec) in
 * rec_dir unless NULL. Returns 0 or -1 (errno).
 */
int tmpdir_create(char dir[TMPDIR_DIR_SIZE], char sock[TMPDIR_PATH_SIZE],
		  char rec_dir[TMPDIR_PATH_SIZE]);

/* Removes path and everything below it. */
void tmpdir_remove(const char *path);

#endif
