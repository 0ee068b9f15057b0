/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The world of the RMI sequence fuzzer (rmi-seq.h): an RMM instance with the
 * scripted realm as its executor, driven through the script engine, with
 * rmm_check_invariants() after every call and the lines run kept as the
 * record that a failure is written out as.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "rmmemu/granule.h"
#include "rmmemu/rmm.h"
#include "rmmemu/state.h"
#include "rmmemu/tests/scripted.h"
#include "tools/script.h"
#include "rmi-seq.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#include <sanitizer/common_interface_defs.h>
#define WORLD_SANITIZED 1
#endif

#define REPORT_SIZE	16384

struct world {
	enum world_mode mode;
	struct rmm *rmm;
	struct script *script;
	FILE *out;		/* call results */
	FILE *echo;
	const char *name;	/* of the script, for the engine's messages */
	unsigned int lineno;
	unsigned int calls;
	bool failed;
	/* The lines run so far. */
	char *rec;
	size_t rec_len, rec_cap;
	char report[REPORT_SIZE];
};

/* The world whose record a sanitizer report writes out. */
static struct world *current;

/* ---- record and failures ------------------------------------------------- */

static void record(struct world *w, const char *line)
{
	size_t n = strlen(line);

	if (w->rec_len + n + 2 > w->rec_cap) {
		size_t cap = w->rec_cap ? w->rec_cap : 65536;
		char *rec;

		while (cap < w->rec_len + n + 2)
			cap *= 2;
		rec = realloc(w->rec, cap);
		if (rec == NULL)
			return;	/* the record stops; the run goes on */
		w->rec = rec;
		w->rec_cap = cap;
	}
	memcpy(w->rec + w->rec_len, line, n);
	w->rec_len += n;
	w->rec[w->rec_len++] = '\n';
	w->rec[w->rec_len] = '\0';
}

/* Writes the record with reason and the report as comments to
 * $FUZZ_ARTIFACTS/rmi-seq-failure-PID.rmi; returns its name or NULL. */
static const char *write_reproducer(struct world *w, const char *reason)
{
	static char path[4096];
	const char *dir = getenv("FUZZ_ARTIFACTS");
	FILE *f;

	snprintf(path, sizeof(path), "%s/rmi-seq-failure-%ld.rmi",
		 dir != NULL && dir[0] != '\0' ? dir : ".", (long)getpid());
	f = fopen(path, "w");
	if (f == NULL)
		return NULL;
	fprintf(f, "# rmi-seq: %s\n", reason);
	fprintf(f, "# Replay: rmmctl replay FILE (without the scripted realm: its\n"
		   "# steps are the '# realm:' comments), or\n"
		   "# fuzz/rmi-seq-tool --replay FILE (realm and invariant checks).\n");
	if (w->rec != NULL)
		fputs(w->rec, f);
	if (w->report[0] != '\0') {
		char *line = w->report, *nl;

		fprintf(f, "# violations after the last call:\n");
		while ((nl = strchr(line, '\n')) != NULL) {
			fprintf(f, "#   %.*s\n", (int)(nl - line), line);
			line = nl + 1;
		}
	}
	fclose(f);
	return path;
}

#ifdef WORLD_SANITIZED
static void on_sanitizer_death(void)
{
	const char *path;

	if (current == NULL || current->mode != WORLD_FUZZ)
		return;
	current->report[0] = '\0';
	path = write_reproducer(current, "the sanitizers stopped the last call");
	if (path != NULL)
		fprintf(stderr, "rmi-seq: reproducer written to %s\n", path);
}
#endif

/* An invariant broken by the last call: the report, the state and the
 * reproducer; fuzzing stops here. */
static void violation(struct world *w, int n)
{
	char *state = rmm_state_format(w->rmm, 0);
	const char *path;

	fprintf(stderr, "rmi-seq: %d invariant violation(s) after line %u:\n%s",
		n, w->lineno, w->report);
	if (state != NULL)
		fprintf(stderr, "rmi-seq: state:\n%s", state);
	free(state);
	w->failed = true;
	if (w->mode != WORLD_FUZZ)
		return;
	path = write_reproducer(w, "invariant violation");
	if (path != NULL)
		fprintf(stderr, "rmi-seq: reproducer written to %s\n", path);
	abort();
}

/* ---- the script engine's backend ---------------------------------------- */

static int world_share_region(void *ctx, uint64_t base, uint64_t size, int fd)
{
	struct world *w = ctx;

	return rmm_add_region(w->rmm, base, size, fd, 0);
}

/* Every call is followed by the invariant check: the one quiescent point
 * of a single-threaded host. */
static int world_rmi_call(void *ctx, const uint64_t x[7], uint64_t out[5])
{
	struct world *w = ctx;
	int n;

	/* The scripted executor counts runs up to SX_MAX_RUNS. */
	sx.nruns = 0;
	rmm_call(w->rmm, x, out);
	w->calls++;
	n = rmm_check_invariants(w->rmm, w->report, sizeof(w->report));
	if (n < 0) {
		fprintf(stderr, "rmi-seq: cannot check the invariants\n");
		abort();
	}
	if (n > 0)
		violation(w, n);
	return 0;
}

static int world_state(void *ctx, int json, char **text)
{
	struct world *w = ctx;

	*text = rmm_state_format(w->rmm, json);
	return *text != NULL ? 0 : -ENOMEM;
}

/* ---- the world ------------------------------------------------------------ */

/* Results of calls go nowhere while fuzzing. */
static FILE *null_output(void)
{
	static FILE *null;

	if (null == NULL)
		null = fopen("/dev/null", "w");
	return null;
}

/* The scripted executor is one global (scripted.c): its junk report is set
 * once, its script and counters for every world. */
static void realm_reset(void)
{
	static bool initialised;

	if (!initialised) {
		sx_reset(NULL);
		initialised = true;
	}
	sx.nsteps = 0;
	sx.pos = 0;
	sx.nruns = 0;
}

/*
 * What the platform gives the RMM for attestation (rmm.h): one P-384 key for
 * the process, made once (making it costs more than many inputs), and a
 * platform token of fixed bytes, which the RMM only passes on.
 */
static int world_attestation(struct rmm *rmm)
{
	static const uint8_t platform_token[] = {
		0xd2, 0x84, 0x44, 0xa1, 0x01, 0x38, 0x22, 0xa0, 0x58, 0x20,
		'r', 'm', 'i', '-', 's', 'e', 'q', ' ', 'p', 'l', 'a', 't',
		'f', 'o', 'r', 'm', ' ', 't', 'o', 'k', 'e', 'n', 0, 0, 0, 0,
		0, 0, 0, 0, 0x58, 0x04, 0xde, 0xad, 0xbe, 0xef,
	};
	static EVP_PKEY *rak;

	if (rak == NULL)
		rak = EVP_EC_gen("P-384");
	if (rak == NULL)
		return -1;
	return rmm_set_attestation(rmm, rak, platform_token, sizeof(platform_token));
}

static struct world *world_create(enum world_mode mode, FILE *echo, FILE *out)
{
	struct world *w = calloc(1, sizeof(*w));
	struct script_backend be;

	if (w == NULL)
		return NULL;
	w->mode = mode;
	w->name = "rmi-seq";
	w->echo = echo;
	w->out = out;
	w->rmm = rmm_new(NULL);
	if (w->rmm == NULL || w->out == NULL || world_attestation(w->rmm) != 0) {
		world_free(w);
		return NULL;
	}
	memset(&be, 0, sizeof(be));
	be.share_region = world_share_region;
	be.rmi_call = world_rmi_call;
	be.state = world_state;
	be.ctx = w;
	w->script = script_new(&be, w->out, stderr);
	if (w->script == NULL) {
		world_free(w);
		return NULL;
	}
	realm_reset();
	rmm_set_executor(w->rmm, &sx_ops, &sx);
#ifdef WORLD_SANITIZED
	__sanitizer_set_death_callback(on_sanitizer_death);
#endif
	current = w;
	return w;
}

struct world *world_new(enum world_mode mode, FILE *echo)
{
	return world_create(mode, echo, null_output());
}

void world_free(struct world *w)
{
	if (w == NULL)
		return;
	if (current == w)
		current = NULL;
	/* The RMM first: it unmaps its view of the host's memory. */
	rmm_free(w->rmm);
	script_free(w->script);
	free(w->rec);
	free(w);
}

unsigned int world_calls(const struct world *w)
{
	return w->calls;
}

static int world_run(struct world *w, const char *line)
{
	record(w, line);
	if (w->echo != NULL) {
		fprintf(w->echo, "%s\n", line);
		fflush(w->echo);
	}
	if (line[0] == '#' || line[0] == '\0')
		return 0;
	if (script_run_line(w->script, line, w->name, ++w->lineno) != 0) {
		/* The decoder only writes lines the engine takes. */
		if (w->mode == WORLD_FUZZ) {
			fprintf(stderr, "rmi-seq: the decoder wrote a bad line: %s\n", line);
			abort();
		}
		return -1;
	}
	return w->failed ? -1 : 0;
}

int world_line(struct world *w, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return world_run(w, line);
}

bool world_host_writable(struct world *w, uint64_t pa, uint64_t len)
{
	uint64_t first, last;

	if (len == 0 || pa < WORLD_BASE || pa - WORLD_BASE >= WORLD_SIZE ||
	    len > WORLD_SIZE - (pa - WORLD_BASE))
		return false;
	first = pa & ~(uint64_t)(RMI_GRANULE_SIZE - 1);
	last = (pa + len - 1) & ~(uint64_t)(RMI_GRANULE_SIZE - 1);
	for (uint64_t g = first; g <= last; g += RMI_GRANULE_SIZE) {
		struct granule *gr = granule_find(w->rmm, g);

		if (gr == NULL || gr->state != GRANULE_STATE_NS)
			return false;
	}
	return true;
}

/* ---- the realm's steps ------------------------------------------------- */

static const char *const event_names[] = {
	[REC_EVENT_IRQ] = "IRQ",
	[REC_EVENT_FIQ] = "FIQ",
	[REC_EVENT_SERROR] = "SERROR",
	[REC_EVENT_WFX] = "WFX",
	[REC_EVENT_DATA_ABORT] = "DATA_ABORT",
	[REC_EVENT_INSTR_ABORT] = "INSTR_ABORT",
	[REC_EVENT_SYSREG] = "SYSREG",
	[REC_EVENT_SMC] = "SMC",
	[REC_EVENT_HVC] = "HVC",
};

#define NUM_EVENT_NAMES	(sizeof(event_names) / sizeof(event_names[0]))

static void realm_install(const struct realm_step *steps, unsigned int n)
{
	sx.nsteps = 0;
	sx.pos = 0;
	for (unsigned int i = 0; i < n; i++) {
		const struct realm_step *s = &steps[i];
		struct sx_step *st = sx_push(s->ev.kind, s->ev.esr, s->ev.far,
					     s->ev.ipa, s->ev.value);

		st->ev.flags = s->ev.flags;
		st->pc_add = s->pc_add;
		for (unsigned int j = 0; j < s->nset; j++)
			sx_set(st, s->reg[j], s->val[j]);
	}
}

/* "# realm step KIND esr=.. far=.. ipa=.. value=.. flags=.. pc+=.. xN=.." */
static void format_step(char *buf, size_t len, const struct realm_step *s)
{
	unsigned int kind = (unsigned int)s->ev.kind;
	int n;

	if (kind < NUM_EVENT_NAMES)
		n = snprintf(buf, len, "# realm step %s", event_names[kind]);
	else
		n = snprintf(buf, len, "# realm step %u", kind);
	n += snprintf(buf + n, len - (size_t)n, " esr=0x%" PRIx64 " far=0x%" PRIx64
		      " ipa=0x%" PRIx64 " value=0x%" PRIx64 " flags=0x%x pc+=0x%" PRIx64,
		      s->ev.esr, s->ev.far, s->ev.ipa, s->ev.value, s->ev.flags,
		      s->pc_add);
	for (unsigned int i = 0; i < s->nset; i++)
		n += snprintf(buf + n, len - (size_t)n, " x%u=0x%" PRIx64, s->reg[i],
			      s->val[i]);
}

int world_realm(struct world *w, const struct realm_step *steps, unsigned int n)
{
	char line[512];

	world_line(w, "# realm: %u steps for the REC_ENTER calls that follow", n);
	for (unsigned int i = 0; i < n; i++) {
		format_step(line, sizeof(line), &steps[i]);
		world_run(w, line);
	}
	realm_install(steps, n);
	return 0;
}

static int parse_step_kind(const char *tok, struct realm_step *s)
{
	uint64_t v;

	for (unsigned int i = 0; i < NUM_EVENT_NAMES; i++) {
		if (strcmp(tok, event_names[i]) == 0) {
			s->ev.kind = (enum rec_event_kind)i;
			return 0;
		}
	}
	if (script_parse_u64(tok, &v) != 0 || v > 255)
		return -1;
	s->ev.kind = (enum rec_event_kind)v;
	return 0;
}

/* One "KEY=VALUE" of a step line. */
static int parse_step_field(const char *tok, struct realm_step *s)
{
	const char *eq = strchr(tok, '=');
	uint64_t v;

	if (eq == NULL || script_parse_u64(eq + 1, &v) != 0)
		return -1;
	if (strncmp(tok, "esr=", 4) == 0)
		s->ev.esr = v;
	else if (strncmp(tok, "far=", 4) == 0)
		s->ev.far = v;
	else if (strncmp(tok, "ipa=", 4) == 0)
		s->ev.ipa = v;
	else if (strncmp(tok, "value=", 6) == 0)
		s->ev.value = v;
	else if (strncmp(tok, "flags=", 6) == 0)
		s->ev.flags = (unsigned int)v;
	else if (strncmp(tok, "pc+=", 4) == 0)
		s->pc_add = v;
	else if (tok[0] == 'x' && s->nset < REALM_STEP_REGS) {
		char *end;
		unsigned long reg = strtoul(tok + 1, &end, 10);

		if (end != eq || reg > 30)
			return -1;
		s->reg[s->nset] = (unsigned int)reg;
		s->val[s->nset++] = v;
	} else {
		return -1;
	}
	return 0;
}

int realm_step_parse(char *line, struct realm_step *s)
{
	char *save = NULL, *tok;

	memset(s, 0, sizeof(*s));
	tok = strtok_r(line + strlen("# realm step"), " \t\r\n", &save);
	if (tok == NULL || parse_step_kind(tok, s) != 0)
		return -1;
	while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
		if (parse_step_field(tok, s) != 0)
			return -1;
	}
	return 0;
}

/* ---- replay ------------------------------------------------------------------ */

struct replay {
	struct world *w;
	const char *name;
	unsigned int lineno;
	unsigned int want;	/* steps announced by "# realm: N steps" */
	unsigned int have;
	struct realm_step steps[WORLD_MAX_STEPS];
};

static int replay_error(struct replay *r, const char *msg)
{
	fprintf(stderr, "%s:%u: %s\n", r->name, r->lineno, msg);
	return -1;
}

static int replay_realm_line(struct replay *r, char *line)
{
	if (strncmp(line, "# realm step", strlen("# realm step")) == 0) {
		if (r->have == r->want)
			return replay_error(r, "a realm step nobody announced");
		if (realm_step_parse(line, &r->steps[r->have]) != 0)
			return replay_error(r, "bad realm step");
		r->have++;
	} else {
		char *end;
		unsigned long n = strtoul(line + strlen("# realm:"), &end, 10);

		if (end == line + strlen("# realm:") || n > WORLD_MAX_STEPS)
			return replay_error(r, "bad '# realm: N steps' line");
		r->want = (unsigned int)n;
		r->have = 0;
	}
	if (r->have == r->want)
		world_realm(r->w, r->steps, r->have);
	return 0;
}

int rmi_seq_replay(FILE *in, const char *name, FILE *out)
{
	struct replay r = { .name = name };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;

	r.w = world_create(WORLD_REPLAY, NULL, out);
	if (r.w == NULL) {
		fprintf(stderr, "%s: cannot create an RMM\n", name);
		return -1;
	}
	r.w->name = name;
	while (ret == 0 && (len = getline(&line, &cap, in)) >= 0) {
		r.lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strncmp(line, "# realm", strlen("# realm")) == 0)
			ret = replay_realm_line(&r, line);
		else if (line[0] != '#') {
			r.w->lineno = r.lineno - 1;
			ret = world_run(r.w, line);
		}
	}
	free(line);
	if (ret == 0 && r.have != r.want)
		ret = replay_error(&r, "fewer realm steps than announced");
	world_free(r.w);
	return ret;
}

/* ---- one input ------------------------------------------------------------ */

uint64_t rmi_seq_total_calls;
uint64_t rmi_seq_total_inputs;

void rmi_seq_run(const uint8_t *data, size_t size, FILE *echo)
{
	struct world *w = world_new(WORLD_FUZZ, echo);

	if (w == NULL) {
		fprintf(stderr, "rmi-seq: cannot create a world\n");
		abort();
	}
	rmi_seq_decode(w, data, size);
	rmi_seq_total_calls += w->calls;
	rmi_seq_total_inputs++;
	world_free(w);
}
