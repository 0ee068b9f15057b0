/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RMI scripts: a host's side of an RMI conversation written down, one
 * statement a line, replayed against an RMM.
 *
 *   region BASE SIZE        declare NS host memory [BASE, BASE + SIZE)
 *   write64 PA VALUE        store a little-endian 64-bit value in NS memory
 *   fill PA LEN BYTE        fill NS memory
 *   call NAME [X1 .. X6]    an RMI call; NAME is a command name with or
 *                           without "RMI_", or a function ID
 *   state [json]            print the RMM's state (rmm_state_format) here
 *
 * '#' starts a comment; numbers are decimal or 0x-prefixed hex (64-bit).
 * Every call prints "NAME x0 x1 x2 x3 x4" in hex. A script error stops the
 * run with "FILE:LINE: message".
 */
#ifndef TOOLS_SCRIPT_H
#define TOOLS_SCRIPT_H

#include <stdint.h>
#include <stdio.h>

struct rmm;

/* Where the calls go: an RMM in this process or the daemon. */
struct script_backend {
	/* Makes host PA [base, base + size) the memfd fd (offset 0).
	 * Returns 0 or a negative errno. */
	int (*share_region)(void *ctx, uint64_t base, uint64_t size, int fd);
	/* x[0] = FID, x[1..6] arguments; out[0..4] = x0..x4. Returns 0 or a
	 * negative errno when the call could not be made at all. */
	int (*rmi_call)(void *ctx, const uint64_t x[7], uint64_t out[5]);
	/* Optional: the RMM's state as text or JSON, malloc'd into *text.
	 * Returns 0 or a negative errno. */
	int (*state)(void *ctx, int json, char **text);
	/* Optional: a readable message for an error of this backend. */
	const char *(*error)(void *ctx, int err);
	void *ctx;
};

/* The in-process backend: calls go straight to rmm. */
void script_backend_inproc(struct script_backend *be, struct rmm *rmm);

struct script;

/* A script engine writing call results to out and script errors to err.
 * Returns NULL on allocation failure. */
struct script *script_new(const struct script_backend *be, FILE *out, FILE *err);
/* Releases the host memory of the script's regions. */
void script_free(struct script *s);

/* Runs every statement of in (name is used in messages). Returns 0 when the
 * script ran to its end, whatever the RMI results; -1 after a script error,
 * which has been reported on err. */
int script_run(struct script *s, FILE *in, const char *name);
/* Runs one line as line lineno of file name; same result as script_run. */
int script_run_line(struct script *s, const char *line, const char *name,
		    unsigned int lineno);

/* Decimal or 0x-prefixed hex, the whole 64-bit range, nothing else.
 * Returns 0 or -1. */
int script_parse_u64(const char *tok, uint64_t *value);
/* The value of hex digit c (either case), or -1. */
int script_hex_digit(char c);

#endif /* TOOLS_SCRIPT_H */
