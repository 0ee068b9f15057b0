/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RMI sequence fuzzer (fuzz/README.md): a world (one RMM instance, its
 * host memory, the scripted realm) driven by RMI script lines, and the codec
 * between fuzz inputs and those lines.
 *
 * Everything the host does goes through one path: a line of the RMI script
 * language (tools/script.h) run by the script engine, whose in-process
 * backend checks the invariants after every call. The lines run are the
 * record, so a failure is written out as the script that led to it. The
 * realm's behaviour for a REC_ENTER is recorded as "# realm:" comment lines
 * (rmmctl ignores them; rmi_seq_replay runs them).
 */
#ifndef FUZZ_RMI_SEQ_H
#define FUZZ_RMI_SEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rmmemu/executor.h"

/* The world's host memory: one region, as most golden scripts declare. */
#define WORLD_BASE	0x80000000ULL
#define WORLD_SIZE	(4ULL << 20)
#define WORLD_GRANULES	(WORLD_SIZE / 4096)
/* RMI calls per input at most: a 2 MB block built page by page fits. */
#define WORLD_MAX_CALLS	2048
/* Steps of the scripted realm per REC_ENTER. */
#define WORLD_MAX_STEPS	8

struct world;

/* What the world does when a call breaks an invariant or the sanitizers
 * stop the process: write the reproducer, then abort (fuzzing) or return
 * an error (replay). */
enum world_mode {
	WORLD_FUZZ,
	WORLD_REPLAY,
};

/* A new world: an RMM with the scripted realm as executor and a script
 * engine. echo, if not NULL, gets every line before it runs (flushed, so a
 * crash leaves the script up to the crashing call). Returns NULL on
 * failure. The region is declared by the first line run. */
struct world *world_new(enum world_mode mode, FILE *echo);
void world_free(struct world *w);
/* RMI calls made by this world so far. */
unsigned int world_calls(const struct world *w);

/* Runs one script line (a statement or a comment). Returns 0, or -1 after
 * a script error or an invariant violation (replay mode; fuzzing aborts). */
int world_line(struct world *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Whether the host may write [pa, pa + len): inside the region and every
 * granule NS (a real host faults on any other: the granule protection
 * check). */
bool world_host_writable(struct world *w, uint64_t pa, uint64_t len);

/* One step of the scripted realm (scripted.h's sx_step, as data). */
#define REALM_STEP_REGS	8
struct realm_step {
	struct rec_event ev;
	uint64_t pc_add;
	unsigned int nset;
	unsigned int reg[REALM_STEP_REGS];
	uint64_t val[REALM_STEP_REGS];
};

/* A "# realm step ..." line (modified) into s; 0 or -1. */
int realm_step_parse(char *line, struct realm_step *s);

/* The realm's script for the REC_ENTER calls that follow: recorded as
 * "# realm:" lines and installed in the scripted executor. */
int world_realm(struct world *w, const struct realm_step *steps,
		unsigned int n);

/* Runs a script with "# realm:" lines (a reproducer, or any RMI script),
 * checking the invariants after every call. out gets the call results.
 * Returns 0, or -1 on a script error or a violation (reported on stderr). */
int rmi_seq_replay(FILE *in, const char *name, FILE *out);

/* Decodes a fuzz input into lines run in w (fuzz/README.md, rmi-seq). */
void rmi_seq_decode(struct world *w, const uint8_t *data, size_t size);

/* Encodes an RMI script (statements region, write64, fill, call; state and
 * comments are skipped) as an input that decodes to the same calls. Returns
 * 0, or -1 with a message on stderr. */
int rmi_seq_encode(FILE *in, const char *name, FILE *out);

/* Runs one input in a fresh world (the fuzz target's body). */
void rmi_seq_run(const uint8_t *data, size_t size, FILE *echo);
/* RMI calls and inputs run by rmi_seq_run in this process. */
extern uint64_t rmi_seq_total_calls;
extern uint64_t rmi_seq_total_inputs;

#endif /* FUZZ_RMI_SEQ_H */
