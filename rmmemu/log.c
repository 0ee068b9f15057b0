/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *const level_names[] = {
	[RMM_LOG_ERROR] = "error",
	[RMM_LOG_WARN] = "warn",
	[RMM_LOG_INFO] = "info",
	[RMM_LOG_DEBUG] = "debug",
	[RMM_LOG_TRACE] = "trace",
};

static void stderr_sink(enum rmm_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "rmmemu: %s: %s\n", level_names[level], msg);
}

static rmm_log_sink_fn log_sink = stderr_sink;
static void *log_ctx;
static enum rmm_log_level log_level = RMM_LOG_WARN;

void rmm_log_set_sink(rmm_log_sink_fn sink, void *ctx)
{
	log_sink = sink;
	log_ctx = ctx;
}

void rmm_log_set_level(enum rmm_log_level level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

enum rmm_log_level rmm_log_get_level(void)
{
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

int rmm_log_level_parse(const char *name, enum rmm_log_level *level)
{
	for (unsigned int i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum rmm_log_level)i;
			return 0;
		}
	}
	return -1;
}

void rmm_log(enum rmm_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!rmm_log_enabled(level) || log_sink == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_sink(level, msg, log_ctx);
}
