/* SPDX-License-Identifier: BSD-3-Clause */
/* The one logging path of rmmemu: the core and the daemon log through it;
 * the program chooses the sink and the level. */
#ifndef RMMEMU_LOG_H
#define RMMEMU_LOG_H

enum rmm_log_level {
	RMM_LOG_ERROR = 0,
	RMM_LOG_WARN,
	RMM_LOG_INFO,
	RMM_LOG_DEBUG,	/* every RMI call with its arguments and result */
	RMM_LOG_TRACE,
};

typedef void (*rmm_log_sink_fn)(enum rmm_log_level level, const char *msg,
				void *ctx);

/* Default: level WARN, sink stderr. A NULL sink discards. */
void rmm_log_set_sink(rmm_log_sink_fn sink, void *ctx);
void rmm_log_set_level(enum rmm_log_level level);
enum rmm_log_level rmm_log_get_level(void);
int rmm_log_level_parse(const char *name, enum rmm_log_level *level);
void rmm_log(enum rmm_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define rmm_log_enabled(level)	((level) <= rmm_log_get_level())

#endif /* RMMEMU_LOG_H */
