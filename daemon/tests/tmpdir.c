/* SPDX-License-Identifier: BSD-3-Clause */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "tmpdir.h"

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) != 0)
		perror(path);
	return 0;
}

int tmpdir_create(char dir[TMPDIR_DIR_SIZE], char sock[TMPDIR_PATH_SIZE],
		  char rec_dir[TMPDIR_PATH_SIZE])
{
	snprintf(dir, TMPDIR_DIR_SIZE, "/tmp/rmmemu-test-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sock, TMPDIR_PATH_SIZE, "%s/sock", dir);
	if (rec_dir != NULL)
		snprintf(rec_dir, TMPDIR_PATH_SIZE, "%s/rec", dir);
	return 0;
}

void tmpdir_remove(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
