/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RMI script engine (format in script.h). Statements are rows of one
 * table; each checks its arguments, then acts on the host memory or the
 * backend. Host memory is a memfd per region (hostmem.c) that the backend
 * maps at the region's PA, so a write64 here is what the RMM reads there.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <rmmemu/rmi-1.0.h>

#include "rmmemu/rmm.h"
#include "rmmemu/state.h"
#include "hostmem.h"
#include "script.h"

#define SCRIPT_MAX_TOKENS	8	/* "call NAME X1..X6" */
#define SCRIPT_CALL_ARGS	6

struct script_region {
	uint64_t base;
	uint64_t size;
	struct hostmem mem;
};

struct script {
	struct script_backend be;
	FILE *out;
	FILE *err;
	struct script_region *regions;
	unsigned int num_regions;
	/* Position of the statement being run, for messages. */
	const char *file;
	unsigned int line;
};

/* --- in-process backend ----------------------------------------------------- */

static int inproc_share_region(void *ctx, uint64_t base, uint64_t size, int fd)
{
	return rmm_add_region(ctx, base, size, fd, 0);
}

static int inproc_rmi_call(void *ctx, const uint64_t x[7], uint64_t out[5])
{
	rmm_call(ctx, x, out);
	return 0;
}

static int inproc_state(void *ctx, int json, char **text)
{
	*text = rmm_state_format(ctx, json);
	return *text != NULL ? 0 : -ENOMEM;
}

void script_backend_inproc(struct script_backend *be, struct rmm *rmm)
{
	memset(be, 0, sizeof(*be));
	be->share_region = inproc_share_region;
	be->rmi_call = inproc_rmi_call;
	be->state = inproc_state;
	be->ctx = rmm;
}

/* --- engine ------------------------------------------------------------------ */

struct script *script_new(const struct script_backend *be, FILE *out, FILE *err)
{
	struct script *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->be = *be;
	s->out = out;
	s->err = err;
	return s;
}

void script_free(struct script *s)
{
	if (s == NULL)
		return;
	for (unsigned int i = 0; i < s->num_regions; i++)
		hostmem_destroy(&s->regions[i].mem);
	free(s->regions);
	free(s);
}

__attribute__((format(printf, 2, 3)))
static int script_error(struct script *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(s->err, "%s:%u: ", s->file, s->line);
	va_start(ap, fmt);
	vfprintf(s->err, fmt, ap);
	va_end(ap);
	fputc('\n', s->err);
	return -1;
}

static const char *backend_error(struct script *s, int err)
{
	if (s->be.error != NULL)
		return s->be.error(s->be.ctx, err);
	return strerror(-err);
}

int script_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int script_parse_u64(const char *tok, uint64_t *value)
{
	unsigned int base = 10;
	uint64_t v = 0;

	if (tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
		base = 16;
		tok += 2;
	}
	if (*tok == '\0')
		return -1;
	for (; *tok != '\0'; tok++) {
		int d = script_hex_digit(*tok);

		if (d < 0 || (unsigned int)d >= base)
			return -1;
		if (v > (UINT64_MAX - (unsigned int)d) / base)
			return -1;	/* overflow */
		v = v * base + (unsigned int)d;
	}
	*value = v;
	return 0;
}

static int parse_number(struct script *s, const char *tok, const char *what,
			uint64_t *value)
{
	if (script_parse_u64(tok, value) != 0)
		return script_error(s, "bad number '%s' for %s", tok, what);
	return 0;
}

/* Host pointer to [pa, pa + len) if it lies inside one declared region. */
static uint8_t *host_ptr(struct script *s, uint64_t pa, uint64_t len)
{
	for (unsigned int i = 0; i < s->num_regions; i++) {
		struct script_region *r = &s->regions[i];

		if (pa >= r->base && pa - r->base < r->size &&
		    len <= r->size - (pa - r->base))
			return r->mem.map + (pa - r->base);
	}
	return NULL;
}

static int st_region(struct script *s, char **argv)
{
	struct script_region *regions, *r;
	uint64_t base, size;
	int err;

	if (parse_number(s, argv[1], "BASE", &base) != 0 ||
	    parse_number(s, argv[2], "SIZE", &size) != 0)
		return -1;
	if ((base | size) & (RMI_GRANULE_SIZE - 1) || size == 0)
		return script_error(s, "region [0x%" PRIx64 ", +0x%" PRIx64
				    ") is not a non-empty run of 4 KiB pages",
				    base, size);
	if (base + size < base)
		return script_error(s, "region 0x%" PRIx64 " + 0x%" PRIx64
				    " wraps around", base, size);
	for (unsigned int i = 0; i < s->num_regions; i++) {
		r = &s->regions[i];
		if (base < r->base + r->size && r->base < base + size)
			return script_error(s, "region [0x%" PRIx64 ", 0x%" PRIx64
					    ") overlaps [0x%" PRIx64 ", 0x%" PRIx64 ")",
					    base, base + size, r->base, r->base + r->size);
	}
	regions = realloc(s->regions, (s->num_regions + 1) * sizeof(*regions));
	if (regions == NULL)
		return script_error(s, "out of memory");
	s->regions = regions;
	r = &regions[s->num_regions];
	r->base = base;
	r->size = size;
	err = hostmem_create(&r->mem, "rmmctl-host", size);
	if (err != 0)
		return script_error(s, "cannot create host memory: %s", strerror(-err));
	err = s->be.share_region(s->be.ctx, base, size, r->mem.fd);
	if (err != 0) {
		hostmem_destroy(&r->mem);
		return script_error(s, "cannot register region [0x%" PRIx64 ", 0x%"
				    PRIx64 "): %s", base, base + size,
				    backend_error(s, err));
	}
	s->num_regions++;
	return 0;
}

static int st_write64(struct script *s, char **argv)
{
	uint64_t pa, value;
	uint8_t *p, bytes[8];

	if (parse_number(s, argv[1], "PA", &pa) != 0 ||
	    parse_number(s, argv[2], "VALUE", &value) != 0)
		return -1;
	p = host_ptr(s, pa, sizeof(bytes));
	if (p == NULL)
		return script_error(s, "write64 at 0x%" PRIx64
				    " is outside every declared region", pa);
	for (unsigned int i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(value >> (8 * i));
	memcpy(p, bytes, sizeof(bytes));
	return 0;
}

static int st_fill(struct script *s, char **argv)
{
	uint64_t pa, len, byte;
	uint8_t *p;

	if (parse_number(s, argv[1], "PA", &pa) != 0 ||
	    parse_number(s, argv[2], "LEN", &len) != 0 ||
	    parse_number(s, argv[3], "BYTE", &byte) != 0)
		return -1;
	if (byte > 0xff)
		return script_error(s, "fill byte 0x%" PRIx64 " is not a byte", byte);
	/* An empty fill still has to name host memory. */
	p = host_ptr(s, pa, len != 0 ? len : 1);
	if (p == NULL)
		return script_error(s, "fill [0x%" PRIx64 ", +0x%" PRIx64
				    ") is outside every declared region", pa, len);
	memset(p, (int)byte, len);
	return 0;
}

/* A command name (any case, optional RMI_ prefix) or a function ID. */
static int parse_fid(struct script *s, const char *tok, uint64_t *fid)
{
	char name[64];
	uint32_t f;
	size_t i;

	if (isdigit((unsigned char)tok[0]))
		return parse_number(s, tok, "function ID", fid);
	for (i = 0; tok[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = (char)toupper((unsigned char)tok[i]);
	name[i] = '\0';
	if (tok[i] != '\0' || rmi_command_fid(name, &f) != 0)
		return script_error(s, "unknown RMI command '%s'", tok);
	*fid = f;
	return 0;
}

static int st_call(struct script *s, char **argv)
{
	uint64_t x[7] = { 0 }, out[5];
	const char *name;
	int err;

	if (parse_fid(s, argv[1], &x[0]) != 0)
		return -1;
	for (unsigned int i = 1; i <= SCRIPT_CALL_ARGS && argv[i + 1] != NULL; i++) {
		char what[4] = { 'X', (char)('0' + i), '\0' };

		if (parse_number(s, argv[i + 1], what, &x[i]) != 0)
			return -1;
	}
	err = s->be.rmi_call(s->be.ctx, x, out);
	if (err != 0)
		return script_error(s, "RMI call failed: %s", backend_error(s, err));
	name = rmi_command_name((uint32_t)x[0]);
	if (name != NULL)
		fprintf(s->out, "%s", name);
	else
		fprintf(s->out, "0x%" PRIx64, x[0]);
	for (unsigned int i = 0; i < 5; i++)
		fprintf(s->out, " 0x%" PRIx64, out[i]);
	fputc('\n', s->out);
	return 0;
}

static int st_state(struct script *s, char **argv)
{
	char *text = NULL;
	int json = 0, err;

	if (argv[1] != NULL) {
		if (strcmp(argv[1], "json") != 0)
			return script_error(s, "unknown state format '%s'", argv[1]);
		json = 1;
	}
	if (s->be.state == NULL)
		return script_error(s, "this backend cannot show the RMM state");
	err = s->be.state(s->be.ctx, json, &text);
	if (err != 0)
		return script_error(s, "cannot get the RMM state: %s",
				    backend_error(s, err));
	fputs(text, s->out);
	free(text);
	return 0;
}

struct statement {
	const char *name;
	unsigned int min_args;
	unsigned int max_args;
	int (*run)(struct script *s, char **argv);
	const char *usage;
};

static const struct statement statements[] = {
	{ "region", 2, 2, st_region, "region BASE SIZE" },
	{ "write64", 2, 2, st_write64, "write64 PA VALUE" },
	{ "fill", 3, 3, st_fill, "fill PA LEN BYTE" },
	{ "call", 1, 1 + SCRIPT_CALL_ARGS, st_call, "call NAME [X1 .. X6]" },
	{ "state", 0, 1, st_state, "state [json]" },
};

/* Splits line (modified) into at most max tokens; returns the count, or
 * max + 1 if there are more. A '#' ends the line. */
static unsigned int tokenize(char *line, char **argv, unsigned int max)
{
	unsigned int argc = 0;
	char *p = strchr(line, '#');

	if (p != NULL)
		*p = '\0';
	for (p = strtok(line, " \t\r\n\v\f"); p != NULL;
	     p = strtok(NULL, " \t\r\n\v\f")) {
		if (argc == max)
			return max + 1;
		argv[argc++] = p;
	}
	return argc;
}

static int run_statement(struct script *s, char *line)
{
	char *argv[SCRIPT_MAX_TOKENS + 1] = { NULL };
	unsigned int argc = tokenize(line, argv, SCRIPT_MAX_TOKENS);

	if (argc == 0)
		return 0;
	for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]); i++) {
		const struct statement *st = &statements[i];

		if (strcmp(argv[0], st->name) != 0)
			continue;
		if (argc - 1 < st->min_args || argc - 1 > st->max_args)
			return script_error(s, "wrong number of arguments, usage: %s",
					    st->usage);
		return st->run(s, argv);
	}
	return script_error(s, "unknown statement '%s'", argv[0]);
}

int script_run_line(struct script *s, const char *line, const char *name,
		    unsigned int lineno)
{
	char *copy = strdup(line);
	int ret;

	s->file = name;
	s->line = lineno;
	if (copy == NULL)
		return script_error(s, "out of memory");
	ret = run_statement(s, copy);
	free(copy);
	return ret;
}

int script_run(struct script *s, FILE *in, const char *name)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned int lineno = 0;
	int ret = 0;

	s->file = name;
	while (ret == 0 && getline(&line, &cap, in) >= 0) {
		s->line = ++lineno;
		ret = run_statement(s, line);
	}
	if (ret == 0 && ferror(in)) {
		s->line = lineno;
		ret = script_error(s, "read error: %s", strerror(errno));
	}
	free(line);
	return ret;
}
