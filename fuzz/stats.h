/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FUZZ_STATS (fuzz/README.md): a fuzz target's count of what it did (RMI
 * calls, frames), written as one "NAME COUNT" line to the file that
 * variable names, for scripts/fuzz to report.
 */
#ifndef RMMEMU_FUZZ_STATS_H
#define RMMEMU_FUZZ_STATS_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline void fuzz_stats_write(const char *name, unsigned long long count)
{
	const char *path = getenv("FUZZ_STATS");
	FILE *f;

	if (path == NULL || path[0] == '\0' || (f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "%s %llu\n", name, count);
	fclose(f);
}

/* fuzz_stats_write at most once a second. */
static inline void fuzz_stats_tick(const char *name, unsigned long long count)
{
	static time_t last;
	time_t now = time(NULL);

	if (now != last) {
		last = now;
		fuzz_stats_write(name, count);
	}
}

#endif /* RMMEMU_FUZZ_STATS_H */
