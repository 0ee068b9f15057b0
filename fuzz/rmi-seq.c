/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target rmi-seq: sequences of RMI calls against the core
 * in-process, RECs run by the scripted realm, the invariants checked after
 * every call (fuzz/README.md; the world and the input format are in
 * rmi-seq-world.c and rmi-seq-ops.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rmmemu/log.h"
#include "rmi-seq.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FUZZ_STATS (fuzz/README.md): the RMI calls made, for the runner. */
static void stats_write(void)
{
	const char *path = getenv("FUZZ_STATS");
	FILE *f;

	if (path == NULL || path[0] == '\0')
		return;
	f = fopen(path, "w");
	if (f == NULL)
		return;
	fprintf(f, "calls %llu\n", (unsigned long long)rmi_seq_total_calls);
	fclose(f);
}

static void stats_tick(void)
{
	static time_t last;
	time_t now = time(NULL);

	if (now != last) {
		last = now;
		stats_write();
	}
}

/* Every log line is formatted (its arguments are fuzzed too) and dropped. */
static void log_discard(enum rmm_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)msg;
	(void)ctx;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rmm_log_set_sink(log_discard, NULL);
	rmm_log_set_level(RMM_LOG_TRACE);
	/* A failed assertion of the scripted executor aborts: a crash. */
	setenv("CMOCKA_TEST_ABORT", "1", 1);
	atexit(stats_write);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rmi_seq_run(data, size, NULL);
	stats_tick();
	return 0;
}
