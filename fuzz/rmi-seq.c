/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target rmi-seq: sequences of RMI calls against the core
 * in-process, RECs run by the scripted realm, the invariants checked after
 * every call (fuzz/README.md; the world and the input format are in
 * rmi-seq-world.c and rmi-seq-ops.c).
 */
#include <stdint.h>
#include <stdlib.h>

#include "rmmemu/log.h"
#include "rmi-seq.h"
#include "stats.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FUZZ_STATS: the RMI calls made. */
static void stats_write(void)
{
	fuzz_stats_write("calls", (unsigned long long)rmi_seq_total_calls);
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
	fuzz_stats_tick("calls", (unsigned long long)rmi_seq_total_calls);
	return 0;
}
