/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmi-seq-tool: the RMI sequence fuzzer's inputs and scripts outside
 * libFuzzer (fuzz/README.md): print the script an input runs, replay a
 * script with the scripted realm and the invariant checks, encode scripts
 * as inputs (the golden scripts are the fuzzer's seeds).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rmmemu/rmm.h"
#include "tools/script.h"
#include "rmi-seq.h"

#define EXIT_USAGE	2
#define INPUT_MAX	(1U << 20)

static const char usage_text[] =
"usage: rmi-seq-tool                    self-test (make check): each golden script\n"
"                                       encodes to an input making its calls\n"
"       rmi-seq-tool --script INPUT     run a fuzz input, printing its RMI script\n"
"       rmi-seq-tool --replay FILE      replay an RMI script (a reproducer) with\n"
"                                       the scripted realm, checking the\n"
"                                       invariants after every call\n"
"       rmi-seq-tool --encode FILE      write the fuzz input of an RMI script\n"
"                                       to standard output\n"
"       rmi-seq-tool --seeds DIR        encode $top_srcdir/tools/tests/golden/\n"
"                                       *.rmi into DIR (one seed each)\n";

static FILE *open_in(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");

	if (f == NULL)
		fprintf(stderr, "rmi-seq-tool: %s: %s\n", path, strerror(errno));
	return f;
}

static void close_in(FILE *f)
{
	if (f != stdin)
		fclose(f);
}

static int cmd_script(const char *path)
{
	static uint8_t data[INPUT_MAX];
	FILE *f = open_in(path);
	size_t len;

	if (f == NULL)
		return EXIT_FAILURE;
	len = fread(data, 1, sizeof(data), f);
	close_in(f);
	rmi_seq_run(data, len, stdout);
	return EXIT_SUCCESS;
}

static int cmd_replay(const char *path)
{
	FILE *f = open_in(path);
	int ret;

	if (f == NULL)
		return EXIT_FAILURE;
	ret = rmi_seq_replay(f, strcmp(path, "-") == 0 ? "<stdin>" : path, stdout);
	close_in(f);
	return ret == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int cmd_encode(const char *path)
{
	FILE *f = open_in(path);
	int ret;

	if (f == NULL)
		return EXIT_FAILURE;
	ret = rmi_seq_encode(f, path, stdout);
	close_in(f);
	return ret == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* One seed per golden script: DIR/golden-NAME. Scripts outside the world
 * (another region) are skipped with a note. */
static int encode_one(const char *golden, const char *name, const char *dir)
{
	char in_path[4096], out_path[4096];
	FILE *in, *out;
	int ret;

	if (snprintf(in_path, sizeof(in_path), "%s/%s", golden, name) >=
	    (int)sizeof(in_path) ||
	    snprintf(out_path, sizeof(out_path), "%s/golden-%.*s", dir,
		     (int)(strlen(name) - 4), name) >= (int)sizeof(out_path)) {
		fprintf(stderr, "rmi-seq-tool: path too long: %s\n", name);
		return -1;
	}
	in = fopen(in_path, "r");
	if (in == NULL) {
		fprintf(stderr, "rmi-seq-tool: %s: %s\n", in_path, strerror(errno));
		return -1;
	}
	out = fopen(out_path, "wb");
	if (out == NULL) {
		fprintf(stderr, "rmi-seq-tool: %s: %s\n", out_path, strerror(errno));
		fclose(in);
		return -1;
	}
	ret = rmi_seq_encode(in, in_path, out);
	fclose(in);
	if (fclose(out) != 0)
		ret = -1;
	if (ret != 0) {
		fprintf(stderr, "rmi-seq-tool: %s: not a seed\n", in_path);
		remove(out_path);
	}
	return 0;
}

/*
 * Calls fn(golden, name, arg) for every script NAME.rmi of the golden folder
 * (tools/tests/golden under $top_srcdir) until one returns non-zero. Returns
 * that, 0, or -1 when the folder cannot be read (said on stderr).
 */
static int golden_each(int (*fn)(const char *golden, const char *name, void *arg),
		       void *arg)
{
	const char *top = getenv("top_srcdir");
	char golden[4096];
	struct dirent *e;
	int ret = 0;
	DIR *d;

	snprintf(golden, sizeof(golden), "%s/tools/tests/golden",
		 top != NULL && top[0] != '\0' ? top : ".");
	d = opendir(golden);
	if (d == NULL) {
		fprintf(stderr, "rmi-seq-tool: %s: %s\n", golden, strerror(errno));
		return -1;
	}
	while (ret == 0 && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 4 && strcmp(e->d_name + len - 4, ".rmi") == 0)
			ret = fn(golden, e->d_name, arg);
	}
	closedir(d);
	return ret;
}

struct seeds {
	const char *dir;
	unsigned int n;
};

static int seed_one(const char *golden, const char *name, void *arg)
{
	struct seeds *s = arg;

	if (encode_one(golden, name, s->dir) != 0)
		return -1;
	s->n++;
	return 0;
}

static int cmd_seeds(const char *dir)
{
	struct seeds s = { .dir = dir };

	if (golden_each(seed_one, &s) != 0)
		return EXIT_FAILURE;
	printf("rmi-seq-tool: %u golden scripts encoded into %s\n", s.n, dir);
	return EXIT_SUCCESS;
}

/* ---- self-test: every golden script survives encoding ------------------- */

/* x0..x6 of every call line of a script, in order. */
struct calls {
	uint64_t (*x)[7];
	size_t n, cap;
};

static int call_fid(const char *tok, uint64_t *fid)
{
	char name[64];
	uint32_t f;
	size_t i;

	if (tok[0] >= '0' && tok[0] <= '9')
		return script_parse_u64(tok, fid);
	for (i = 0; tok[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = (char)toupper((unsigned char)tok[i]);
	name[i] = '\0';
	if (rmi_command_fid(name, &f) != 0)
		return -1;
	*fid = f;
	return 0;
}

static int calls_add(struct calls *c, char *line)
{
	char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);
	uint64_t x[7] = { 0 };

	if (tok == NULL || strcmp(tok, "call") != 0)
		return 0;
	tok = strtok_r(NULL, " \t\r\n", &save);
	if (tok == NULL || call_fid(tok, &x[0]) != 0)
		return -1;
	for (unsigned int i = 1; i < 7 && (tok = strtok_r(NULL, " \t\r\n", &save)); i++) {
		if (script_parse_u64(tok, &x[i]) != 0)
			return -1;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		uint64_t (*more)[7] = realloc(c->x, cap * sizeof(*more));

		if (more == NULL)
			return -1;
		c->x = more;
		c->cap = cap;
	}
	memcpy(c->x[c->n++], x, sizeof(x));
	return 0;
}

/* The calls of a script; whether its region lies in the fuzzer's world. */
static int calls_read(FILE *in, struct calls *c, bool *in_world)
{
	char *line = NULL, *hash;
	size_t cap = 0;
	int ret = 0;

	*in_world = true;
	while (ret == 0 && getline(&line, &cap, in) >= 0) {
		unsigned long long base, size;

		hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		if (sscanf(line, " region %llx %llx", &base, &size) == 2 &&
		    (base != WORLD_BASE || size > WORLD_SIZE))
			*in_world = false;
		ret = calls_add(c, line);
	}
	free(line);
	return ret;
}

/* Encodes golden, runs the input, compares the calls it made with the
 * script's. Returns 1 passed, 0 failed, -1 skipped. */
static int self_test_one(const char *path)
{
	struct calls want = { 0 }, got = { 0 };
	char *bytes = NULL, *script = NULL;
	size_t nbytes = 0, nscript = 0;
	FILE *in = fopen(path, "r"), *out;
	bool in_world;
	int ret = 0;

	if (in == NULL || calls_read(in, &want, &in_world) != 0)
		goto done;
	if (!in_world) {
		ret = -1;
		goto done;
	}
	rewind(in);
	out = open_memstream(&bytes, &nbytes);
	if (out == NULL || rmi_seq_encode(in, path, out) != 0 || fclose(out) != 0)
		goto done;
	out = open_memstream(&script, &nscript);
	if (out == NULL)
		goto done;
	rmi_seq_run((const uint8_t *)bytes, nbytes, out);
	if (fclose(out) != 0)
		goto done;
	out = fmemopen(script, nscript, "r");
	if (out == NULL || calls_read(out, &got, &in_world) != 0) {
		if (out != NULL)
			fclose(out);
		goto done;
	}
	fclose(out);
	ret = want.n == got.n &&
	      memcmp(want.x, got.x, want.n * sizeof(want.x[0])) == 0;
done:
	if (in != NULL)
		fclose(in);
	free(want.x);
	free(got.x);
	free(bytes);
	free(script);
	return ret;
}

struct self_test {
	unsigned int pass, fail;
};

static int self_test_script(const char *golden, const char *name, void *arg)
{
	struct self_test *t = arg;
	char path[8192];
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", golden, name) >= (int)sizeof(path))
		return 0;
	r = self_test_one(path);
	if (r < 0) {
		printf("SKIP: %s (its region is not the fuzzer's world)\n", name);
	} else if (r > 0) {
		printf("PASS: %s encodes to an input making the same calls\n", name);
		t->pass++;
	} else {
		printf("FAIL: %s encodes to an input making other calls\n", name);
		t->fail++;
	}
	return 0;
}

static int cmd_self_test(void)
{
	struct self_test t = { 0, 0 };

	if (golden_each(self_test_script, &t) != 0)
		return EXIT_FAILURE;
	printf("%u passed, %u failed\n", t.pass, t.fail);
	return t.fail == 0 && t.pass > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *option;
		int (*run)(const char *arg);
	} commands[] = {
		{ "--script", cmd_script },
		{ "--replay", cmd_replay },
		{ "--encode", cmd_encode },
		{ "--seeds", cmd_seeds },
	};

	if (argc == 1)
		return cmd_self_test();
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return EXIT_SUCCESS;
	}
	for (size_t i = 0; argc == 3 && i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].option) == 0)
			return commands[i].run(argv[2]);
	}
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}
