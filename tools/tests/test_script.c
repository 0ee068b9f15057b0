/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RMI script engine (tools/script.c): number parsing, comments, every
 * statement against a recording backend (so host writes and call arguments
 * can be checked byte for byte), the in-process backend against a real RMM,
 * script errors with their line numbers, and the state formatter's output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <rmmemu/rmi-1.0.h>

#include "rmmemu/rmm.h"
#include "rmmemu/state.h"
#include "tools/script.h"

/* --- a backend that records what the engine asks of it --------------------- */

#define REC_MAX_REGIONS	4
#define REC_MAX_CALLS	8

struct recorder {
	unsigned int num_regions;
	struct {
		uint64_t base, size;
		uint8_t *map;	/* the region's memfd, mapped by the "RMM" */
	} regions[REC_MAX_REGIONS];
	unsigned int num_calls;
	uint64_t calls[REC_MAX_CALLS][7];
	int share_result;
	int call_result;
};

static int rec_share_region(void *ctx, uint64_t base, uint64_t size, int fd)
{
	struct recorder *r = ctx;
	void *map;

	if (r->share_result != 0)
		return r->share_result;
	assert_true(r->num_regions < REC_MAX_REGIONS);
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	r->regions[r->num_regions].base = base;
	r->regions[r->num_regions].size = size;
	r->regions[r->num_regions].map = map;
	r->num_regions++;
	return 0;
}

/* Answers x0 = FID + 1, x1..x4 = x1..x4 + 0x100, to see every output slot. */
static int rec_rmi_call(void *ctx, const uint64_t x[7], uint64_t out[5])
{
	struct recorder *r = ctx;

	if (r->call_result != 0)
		return r->call_result;
	assert_true(r->num_calls < REC_MAX_CALLS);
	memcpy(r->calls[r->num_calls++], x, 7 * sizeof(x[0]));
	out[0] = x[0] + 1;
	for (int i = 1; i < 5; i++)
		out[i] = x[i] + 0x100;
	return 0;
}

static int rec_state(void *ctx, int json, char **text)
{
	struct recorder *r = ctx;

	if (r->call_result != 0)
		return r->call_result;
	*text = strdup(json ? "{\"state\": 1}\n" : "state text\n");
	return *text != NULL ? 0 : -12;
}

static const char *rec_error(void *ctx, int err)
{
	(void)ctx;
	return err == -5 ? "recorder says no" : "?";
}

/* One engine with captured stdout/stderr. */
struct fixture {
	struct recorder rec;
	struct rmm *rmm;	/* NULL: the recorder is the backend */
	struct script *s;
	FILE *out, *err;
	char *out_buf, *err_buf;
	size_t out_len, err_len;
};

static struct fixture *fixture_new(bool inproc)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct script_backend be = {
		.share_region = rec_share_region,
		.rmi_call = rec_rmi_call,
		.state = rec_state,
		.error = rec_error,
	};

	assert_non_null(f);
	be.ctx = &f->rec;
	if (inproc) {
		struct rmm_config cfg;

		rmm_config_default(&cfg);
		cfg.gicv3_num_lrs = 0;
		f->rmm = rmm_new(&cfg);
		assert_non_null(f->rmm);
		script_backend_inproc(&be, f->rmm);
	}
	f->out = open_memstream(&f->out_buf, &f->out_len);
	f->err = open_memstream(&f->err_buf, &f->err_len);
	assert_non_null(f->out);
	assert_non_null(f->err);
	f->s = script_new(&be, f->out, f->err);
	assert_non_null(f->s);
	return f;
}

static void fixture_free(struct fixture *f)
{
	script_free(f->s);
	rmm_free(f->rmm);
	for (unsigned int i = 0; i < f->rec.num_regions; i++)
		munmap(f->rec.regions[i].map, f->rec.regions[i].size);
	fclose(f->out);
	fclose(f->err);
	free(f->out_buf);
	free(f->err_buf);
	free(f);
}

static int setup_recorder(void **state)
{
	*state = fixture_new(false);
	return 0;
}

static int setup_inproc(void **state)
{
	*state = fixture_new(true);
	return 0;
}

static int teardown(void **state)
{
	fixture_free(*state);
	return 0;
}

static const char *out_text(struct fixture *f)
{
	fflush(f->out);
	return f->out_buf;
}

static const char *err_text(struct fixture *f)
{
	fflush(f->err);
	return f->err_buf;
}

/* Runs text as file "t.rmi"; returns script_run's result. */
static int run(struct fixture *f, const char *text)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(in);
	ret = script_run(f->s, in, "t.rmi");
	fclose(in);
	return ret;
}

/* --- numbers --------------------------------------------------------------- */

static void test_parse_numbers(void **state)
{
	static const struct {
		const char *tok;
		uint64_t value;
	} good[] = {
		{ "0", 0 },
		{ "42", 42 },
		{ "0x0", 0 },
		{ "0x2A", 42 },
		{ "0X2a", 42 },
		{ "007", 7 },
		{ "18446744073709551615", UINT64_MAX },
		{ "0xffffffffffffffff", UINT64_MAX },
		{ "0x00000000000000000001", 1 },
	};
	static const char *const bad[] = {
		"", "0x", "x1", "-1", "+1", " 1", "1 ", "12a", "0xg", "1.0",
		"0x1g", "18446744073709551616", "99999999999999999999",
		"0x10000000000000000", "0b101",
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 0xdead;
		assert_int_equal(script_parse_u64(good[i].tok, &v), 0);
		assert_int_equal(v, good[i].value);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 0xdead;
		assert_int_equal(script_parse_u64(bad[i], &v), -1);
		assert_int_equal(v, 0xdead);	/* untouched on failure */
	}
}

/* --- statements against the recorder ---------------------------------------- */

static void test_comments_and_blank_lines(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, "# a comment\n\n   \t\n  # indented comment\n"
			     "call VERSION 0x10000 # trailing comment\n"
			     "call VERSION 1#no space before the comment\n"
			     "\r\n"), 0);
	assert_int_equal(f->rec.num_calls, 2);
	assert_int_equal(f->rec.calls[0][1], 0x10000);
	assert_int_equal(f->rec.calls[1][1], 1);
	assert_string_equal(err_text(f), "");
}

static void test_call_arguments(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, "call GRANULE_DELEGATE\n"
			     "call RMI_FEATURES 0xffffffffffffffff\n"
			     "call granule_undelegate 1 2 3 4 5 6\n"
			     "call 0xC4000156 7\n"
			     "call 3288334672\n"), 0);
	assert_int_equal(f->rec.num_calls, 5);
	/* Missing arguments are 0. */
	assert_int_equal(f->rec.calls[0][0], RMI_GRANULE_DELEGATE);
	for (int i = 1; i < 7; i++)
		assert_int_equal(f->rec.calls[0][i], 0);
	assert_int_equal(f->rec.calls[1][0], RMI_FEATURES);
	assert_int_equal(f->rec.calls[1][1], UINT64_MAX);
	assert_int_equal(f->rec.calls[2][0], RMI_GRANULE_UNDELEGATE);
	for (int i = 1; i < 7; i++)
		assert_int_equal(f->rec.calls[2][i], (uint64_t)i);
	assert_int_equal(f->rec.calls[3][0], 0xC4000156);
	assert_int_equal(f->rec.calls[4][0], RMI_VERSION);	/* decimal FID */
	/* Names come from the FID; unknown FIDs print as hex. */
	assert_string_equal(out_text(f),
		"GRANULE_DELEGATE 0xc4000152 0x100 0x100 0x100 0x100\n"
		"FEATURES 0xc4000166 0xff 0x100 0x100 0x100\n"
		"GRANULE_UNDELEGATE 0xc4000153 0x101 0x102 0x103 0x104\n"
		"0xc4000156 0xc4000157 0x107 0x100 0x100 0x100\n"
		"VERSION 0xc4000151 0x100 0x100 0x100 0x100\n");
}

static void test_write64_and_fill(void **state)
{
	struct fixture *f = *state;
	const uint8_t *m;

	assert_int_equal(run(f, "region 0x80000000 0x2000\n"
			     "region 0x90000000 0x1000\n"
			     "fill 0x80000000 0x2000 0xaa\n"
			     "write64 0x80000008 0x1122334455667788\n"
			     "write64 0x80001ff8 18446744073709551615\n"
			     "write64 0x80000013 0x0102\n"
			     "fill 0x90000ff0 16 255\n"
			     "fill 0x80000100 0 0\n"), 0);
	assert_string_equal(err_text(f), "");
	assert_int_equal(f->rec.num_regions, 2);
	assert_int_equal(f->rec.regions[0].base, 0x80000000);
	assert_int_equal(f->rec.regions[0].size, 0x2000);
	assert_int_equal(f->rec.regions[1].base, 0x90000000);
	m = f->rec.regions[0].map;
	assert_int_equal(m[0], 0xaa);
	assert_int_equal(m[7], 0xaa);
	/* Little-endian. */
	static const uint8_t le[8] = { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
	assert_memory_equal(m + 8, le, 8);
	assert_int_equal(m[0x10], 0xaa);
	/* Unaligned write64 of 0x0102: 02 01 then six zero bytes. */
	assert_int_equal(m[0x12], 0xaa);
	assert_int_equal(m[0x13], 0x02);
	assert_int_equal(m[0x14], 0x01);
	assert_int_equal(m[0x15], 0x00);
	assert_int_equal(m[0x1a], 0x00);
	assert_int_equal(m[0x1b], 0xaa);
	for (int i = 0; i < 8; i++)
		assert_int_equal(m[0x1ff8 + i], 0xff);
	assert_int_equal(m[0x100], 0xaa);	/* empty fill */
	m = f->rec.regions[1].map;
	assert_int_equal(m[0xfef], 0x00);
	assert_int_equal(m[0xff0], 0xff);
	assert_int_equal(m[0xfff], 0xff);
	/* Statements that do not call print nothing. */
	assert_string_equal(out_text(f), "");
}

static void test_state_statement(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, "call VERSION\nstate\nstate json # comment\n"), 0);
	assert_string_equal(out_text(f),
		"VERSION 0xc4000151 0x100 0x100 0x100 0x100\n"
		"state text\n"
		"{\"state\": 1}\n");
	f->rec.call_result = -5;
	assert_int_equal(script_run_line(f->s, "state", "z", 9), -1);
	assert_string_equal(err_text(f),
			    "z:9: cannot get the RMM state: recorder says no\n");
}

/* --- script errors ------------------------------------------------------------ */

static void expect_error(const char *text, const char *message)
{
	struct fixture *f = fixture_new(false);

	assert_int_equal(run(f, text), -1);
	assert_string_equal(err_text(f), message);
	fixture_free(f);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("frobnicate 1\n", "t.rmi:1: unknown statement 'frobnicate'\n");
	expect_error("# x\n\nregion 0x1000\n",
		     "t.rmi:3: wrong number of arguments, usage: region BASE SIZE\n");
	expect_error("region 0x1000 0x1000 0x1000\n",
		     "t.rmi:1: wrong number of arguments, usage: region BASE SIZE\n");
	expect_error("region 0x1000 0x1000\nwrite64 0x1000\n",
		     "t.rmi:2: wrong number of arguments, usage: write64 PA VALUE\n");
	expect_error("fill 1 2\n",
		     "t.rmi:1: wrong number of arguments, usage: fill PA LEN BYTE\n");
	expect_error("call\n",
		     "t.rmi:1: wrong number of arguments, usage: call NAME [X1 .. X6]\n");
	expect_error("call VERSION 1 2 3 4 5 6 7\n",
		     "t.rmi:1: wrong number of arguments, usage: call NAME [X1 .. X6]\n");
	expect_error("call VERSION 1 2 3 4 5 6 7 8 9 10\n",
		     "t.rmi:1: wrong number of arguments, usage: call NAME [X1 .. X6]\n");
	expect_error("call VERSION 0x1000z\n", "t.rmi:1: bad number '0x1000z' for X1\n");
	expect_error("call VERSION 0 0 0 0 0 18446744073709551616\n",
		     "t.rmi:1: bad number '18446744073709551616' for X6\n");
	expect_error("call 0xC40001500000000000\n",
		     "t.rmi:1: bad number '0xC40001500000000000' for function ID\n");
	expect_error("call NO_SUCH_COMMAND\n",
		     "t.rmi:1: unknown RMI command 'NO_SUCH_COMMAND'\n");
	expect_error("region 0x1000 4096k\n", "t.rmi:1: bad number '4096k' for SIZE\n");
	expect_error("region 0x1800 0x1000\n",
		     "t.rmi:1: region [0x1800, +0x1000) is not a non-empty run of 4 KiB pages\n");
	expect_error("region 0x1000 0x800\n",
		     "t.rmi:1: region [0x1000, +0x800) is not a non-empty run of 4 KiB pages\n");
	expect_error("region 0x1000 0\n",
		     "t.rmi:1: region [0x1000, +0x0) is not a non-empty run of 4 KiB pages\n");
	expect_error("region 0xfffffffffffff000 0x2000\n",
		     "t.rmi:1: region 0xfffffffffffff000 + 0x2000 wraps around\n");
	expect_error("region 0x10000 0x4000\nregion 0x13000 0x1000\n",
		     "t.rmi:2: region [0x13000, 0x14000) overlaps [0x10000, 0x14000)\n");
	expect_error("region 0x10000 0x4000\nregion 0xf000 0x2000\n",
		     "t.rmi:2: region [0xf000, 0x11000) overlaps [0x10000, 0x14000)\n");
	expect_error("write64 0x1000 1\n",
		     "t.rmi:1: write64 at 0x1000 is outside every declared region\n");
	expect_error("region 0x10000 0x1000\nwrite64 0x10ffc 1\n",
		     "t.rmi:2: write64 at 0x10ffc is outside every declared region\n");
	expect_error("region 0x10000 0x1000\nregion 0x11000 0x1000\nwrite64 0x10ffc 1\n",
		     "t.rmi:3: write64 at 0x10ffc is outside every declared region\n");
	expect_error("region 0x10000 0x1000\nfill 0x10800 0x801 0\n",
		     "t.rmi:2: fill [0x10800, +0x801) is outside every declared region\n");
	expect_error("region 0x10000 0x1000\nfill 0xffffffffffffffff 2 0\n",
		     "t.rmi:2: fill [0xffffffffffffffff, +0x2) is outside every declared region\n");
	expect_error("region 0x10000 0x1000\nfill 0x10000 1 0x100\n",
		     "t.rmi:2: fill byte 0x100 is not a byte\n");
	expect_error("Call VERSION\n", "t.rmi:1: unknown statement 'Call'\n");
	expect_error("state text\n", "t.rmi:1: unknown state format 'text'\n");
	expect_error("state json json\n",
		     "t.rmi:1: wrong number of arguments, usage: state [json]\n");
}

/* A backend that cannot show the state says so. */
static void test_state_unsupported(void **state)
{
	struct script_backend be = {
		.share_region = rec_share_region,
		.rmi_call = rec_rmi_call,
	};
	struct recorder rec = { 0 };
	char *err_buf = NULL;
	size_t err_len = 0;
	FILE *err = open_memstream(&err_buf, &err_len);
	struct script *s;

	(void)state;
	assert_non_null(err);
	be.ctx = &rec;
	s = script_new(&be, stdout, err);
	assert_non_null(s);
	assert_int_equal(script_run_line(s, "state", "u", 3), -1);
	fflush(err);
	assert_string_equal(err_buf, "u:3: this backend cannot show the RMM state\n");
	script_free(s);
	fclose(err);
	free(err_buf);
}

/* The first error stops the run: nothing after it happens. */
static void test_error_stops_run(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, "call VERSION 1\n\ncall VERSION 2 junk\n"
			     "call VERSION 3\n"), -1);
	assert_int_equal(f->rec.num_calls, 1);
	assert_string_equal(err_text(f), "t.rmi:3: bad number 'junk' for X2\n");
	assert_string_equal(out_text(f),
			    "VERSION 0xc4000151 0x101 0x100 0x100 0x100\n");
}

static void test_backend_failures(void **state)
{
	struct fixture *f = *state;

	f->rec.share_result = -5;
	assert_int_equal(run(f, "region 0x10000 0x1000\n"), -1);
	assert_string_equal(err_text(f),
		"t.rmi:1: cannot register region [0x10000, 0x11000): recorder says no\n");
	/* A failed region is not declared. */
	f->rec.share_result = 0;
	assert_int_equal(script_run_line(f->s, "write64 0x10000 1", "x", 7), -1);
	assert_string_equal(err_text(f),
		"t.rmi:1: cannot register region [0x10000, 0x11000): recorder says no\n"
		"x:7: write64 at 0x10000 is outside every declared region\n");
	f->rec.call_result = -5;
	assert_int_equal(script_run_line(f->s, "call VERSION", "y", 2), -1);
	assert_string_equal(err_text(f),
		"t.rmi:1: cannot register region [0x10000, 0x11000): recorder says no\n"
		"x:7: write64 at 0x10000 is outside every declared region\n"
		"y:2: RMI call failed: recorder says no\n");
	assert_string_equal(out_text(f), "");
}

/* --- the in-process backend ------------------------------------------------- */

static void test_inproc_calls(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f,
		"region 0x80000000 0x10000\n"
		"call VERSION 0x10000\n"
		"call VERSION 0x20000 0 0 0x44\n"	/* x4 preserved */
		"call FEATURES 0\n"
		"call FEATURES 1 0 0 7\n"
		"call GRANULE_DELEGATE 0x80001000\n"
		"call GRANULE_DELEGATE 0x80001000\n"
		"call GRANULE_DELEGATE 0x80010000\n"	/* outside the region */
		"call GRANULE_DELEGATE 0x80002008\n"	/* unaligned */
		"call GRANULE_UNDELEGATE 0x80001000\n"
		"call GRANULE_UNDELEGATE 0x80001000\n"
		"call 0xC4000156 1 2 3 4 5\n"		/* unused FID */
		"call 0xC4010150 0x10000\n"), 0);	/* SVE hint */
	assert_string_equal(err_text(f), "");
	/*
	 * FEATURES: S2SZ 48, NUM_BPS 1, NUM_WPS 1, PMU_EN, PMU_NUM_CTRS 31,
	 * SHA-256, SHA-512, GICV3_NUM_LRS 0 (this fixture's config),
	 * MAX_RECS_ORDER 10 (rmi-1.0.md 4).
	 */
	assert_string_equal(out_text(f),
		"VERSION 0x0 0x10000 0x10000 0x0 0x0\n"
		"VERSION 0x1 0x10000 0x10000 0x0 0x44\n"
		"FEATURES 0x0 0x283fc104030 0x0 0x0 0x0\n"
		"FEATURES 0x0 0x0 0x0 0x0 0x7\n"
		"GRANULE_DELEGATE 0x0 0x0 0x0 0x0 0x0\n"
		"GRANULE_DELEGATE 0x1 0x0 0x0 0x0 0x0\n"
		"GRANULE_DELEGATE 0x1 0x0 0x0 0x0 0x0\n"
		"GRANULE_DELEGATE 0x1 0x0 0x0 0x0 0x0\n"
		"GRANULE_UNDELEGATE 0x0 0x0 0x0 0x0 0x0\n"
		"GRANULE_UNDELEGATE 0x1 0x0 0x0 0x0 0x0\n"
		"0xc4000156 0xffffffffffffffff 0x0 0x0 0x0 0x4\n"
		"VERSION 0x0 0x10000 0x10000 0x0 0x0\n");
}

/* --- state formatter ---------------------------------------------------------- */

/*
 * A small JSON checker: accepts exactly one JSON value (RFC 8259) and
 * nothing after it but white space.
 */
static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || p[i] == '\0')
						return NULL;
				p += 4;
			} else if (*p == '\0' || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

static const char *json_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	return p;	/* rmmemu writes integers only */
}

static const char *json_members(const char *p, char close, int depth)
{
	p = json_ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = json_string(json_ws(p));
			if (p == NULL || *(p = json_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = json_value(p, depth + 1);
		if (p == NULL)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = json_ws(p);
	switch (*p) {
	case '{':
		return json_members(p + 1, '}', depth);
	case '[':
		return json_members(p + 1, ']', depth);
	case '"':
		return json_string(p);
	case 't':
		return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default:
		return json_number(p);
	}
}

static bool json_valid(const char *text)
{
	const char *end = json_value(text, 0);

	return end != NULL && *json_ws(end) == '\0';
}

static void test_json_checker(void **state)
{
	(void)state;
	assert_true(json_valid("{\"a\": [1, -2, true, false, null, \"x\\n\"], \"b\": {}}\n"));
	assert_false(json_valid("{\"a\": [1, 2,]}"));
	assert_false(json_valid("{\"a\" 1}"));
	assert_false(json_valid("{\"a\": 1} x"));
	assert_false(json_valid("[\"unterminated]"));
	assert_false(json_valid("{\"a\": 01}"));
}

static void test_state_empty(void **state)
{
	struct fixture *f = *state;
	char *text;

	assert_int_equal(run(f, "region 0x80000000 0x10000\n"
			     "region 0x90000000 0x1000\n"
			     "call GRANULE_DELEGATE 0x80003000\n"
			     "call GRANULE_DELEGATE 0x90000000\n"), 0);
	text = rmm_state_format(f->rmm, 0);
	assert_non_null(text);
	assert_string_equal(text,
		"granules: NS 15 DELEGATED 2 RD 0 REC 0 REC_AUX 0 DATA 0 RTT 0\n"
		"realms: 0\n");
	free(text);
	/* The state statement prints the same. */
	assert_int_equal(script_run_line(f->s, "state", "t.rmi", 5), 0);
	assert_string_equal(out_text(f),
		"GRANULE_DELEGATE 0x0 0x0 0x0 0x0 0x0\n"
		"GRANULE_DELEGATE 0x0 0x0 0x0 0x0 0x0\n"
		"granules: NS 15 DELEGATED 2 RD 0 REC 0 REC_AUX 0 DATA 0 RTT 0\n"
		"realms: 0\n");
	text = rmm_state_format(f->rmm, 1);
	assert_non_null(text);
	assert_true(json_valid(text));
	assert_string_equal(text,
		"{\n"
		"  \"granules\": {\n"
		"    \"NS\": 15,\n"
		"    \"DELEGATED\": 2,\n"
		"    \"RD\": 0,\n"
		"    \"REC\": 0,\n"
		"    \"REC_AUX\": 0,\n"
		"    \"DATA\": 0,\n"
		"    \"RTT\": 0\n"
		"  },\n"
		"  \"realms\": []\n"
		"}\n");
	free(text);
}

/* A realm built the way Linux does it (linux-host.md 3): its state shows up
 * in both forms, and the JSON parses. Skipped while a command it needs
 * answers NOT_SUPPORTED. */
static void test_state_realm(void **state)
{
	struct fixture *f = *state;
	char *text;

	assert_int_equal(run(f,
		"region 0x80000000 0x100000\n"
		/* params: s2sz 40, level 0, 1 root, bps/wps 1, SHA-256, vmid 7 */
		"write64 0x80000008 40\n"
		"write64 0x80000018 1\n"
		"write64 0x80000020 1\n"
		"write64 0x80000800 7\n"
		"write64 0x80000808 0x80002000\n"
		"write64 0x80000818 1\n"
		"call GRANULE_DELEGATE 0x80001000\n"
		"call GRANULE_DELEGATE 0x80002000\n"
		"call REALM_CREATE 0x80001000 0x80000000\n"
		"call GRANULE_DELEGATE 0x80003000\n"
		"call RTT_CREATE 0x80001000 0x80003000 0 1\n"
		"call GRANULE_DELEGATE 0x80004000\n"
		"call RTT_CREATE 0x80001000 0x80004000 0 2\n"
		"call GRANULE_DELEGATE 0x80005000\n"
		"call RTT_CREATE 0x80001000 0x80005000 0 3\n"
		"call RTT_INIT_RIPAS 0x80001000 0 0x3000\n"
		"fill 0x80006000 0x1000 0x5a\n"
		"call GRANULE_DELEGATE 0x80007000\n"
		"call DATA_CREATE 0x80001000 0x80007000 0x1000 0x80006000 1\n"), 0);
	assert_string_equal(err_text(f), "");
	/* Commands not implemented yet answer NOT_SUPPORTED. */
	if (strstr(out_text(f), " 0xffffffffffffffff ") != NULL)
		skip();
	text = rmm_state_format(f->rmm, 0);
	assert_non_null(text);
	assert_non_null(strstr(text, "RD 1 REC 0 REC_AUX 0 DATA 1 RTT 4\n"));
	assert_non_null(strstr(text, "realms: 1\n"
		"realm 0x80001000: NEW, vmid 7, s2sz 40, SHA-256, flags 0x0, "
		"1 root RTT at level 0, 0 RECs\n"));
	assert_non_null(strstr(text,
		"  rtt 0x80002000: level 0, [0x0, 0x1000000000000)\n"
		"    rtt 0x80003000: level 1, [0x0, 0x8000000000)\n"
		"      rtt 0x80004000: level 2, [0x0, 0x40000000)\n"
		"        rtt 0x80005000: level 3, [0x0, 0x200000)\n"
		"          [0x0, 0x1000) UNASSIGNED RAM\n"
		"          [0x1000, 0x2000) ASSIGNED RAM 0x80007000\n"
		"          [0x2000, 0x3000) UNASSIGNED RAM\n"));
	free(text);
	text = rmm_state_format(f->rmm, 1);
	assert_non_null(text);
	assert_true(json_valid(text));
	assert_non_null(strstr(text, "\"rd\": \"0x80001000\""));
	assert_non_null(strstr(text, "\"state\": \"ASSIGNED\""));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test_setup_teardown(test_comments_and_blank_lines,
						setup_recorder, teardown),
		cmocka_unit_test_setup_teardown(test_call_arguments,
						setup_recorder, teardown),
		cmocka_unit_test_setup_teardown(test_write64_and_fill,
						setup_recorder, teardown),
		cmocka_unit_test_setup_teardown(test_state_statement,
						setup_recorder, teardown),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_state_unsupported),
		cmocka_unit_test_setup_teardown(test_error_stops_run,
						setup_recorder, teardown),
		cmocka_unit_test_setup_teardown(test_backend_failures,
						setup_recorder, teardown),
		cmocka_unit_test_setup_teardown(test_inproc_calls,
						setup_inproc, teardown),
		cmocka_unit_test(test_json_checker),
		cmocka_unit_test_setup_teardown(test_state_empty,
						setup_inproc, teardown),
		cmocka_unit_test_setup_teardown(test_state_realm,
						setup_inproc, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
