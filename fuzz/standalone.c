/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main of a fuzz target in builds without libFuzzer (fuzz/README.md):
 * runs every file named on the command line, and every file in every
 * directory named, through LLVMFuzzerTestOneInput once, like libFuzzer's
 * "run these inputs" mode; without arguments, the target's regression
 * corpus (make check runs it so). Prints one line per input ("ok NAME") and
 * a closing "N passed, 0 failed"; an input that fails crashes the program
 * (sanitizer report or abort), which fails the test.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned int passed;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *more = realloc(data, cap ? cap * 2 : 4096);

			if (more == NULL) {
				fprintf(stderr, "%s: out of memory\n", path);
				fclose(f);
				free(data);
				return -1;
			}
			data = more;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	printf("ok %s\n", path);
	fflush(stdout);
	passed++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of a directory, in name order (a stable run). */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t num = 0;
	struct dirent *e;
	int ret = 0;

	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		char **more;

		if (e->d_name[0] == '.')
			continue;
		more = realloc(names, (num + 1) * sizeof(*names));
		if (more == NULL) {
			ret = -1;
			break;
		}
		names = more;
		names[num] = malloc(len);
		if (names[num] == NULL) {
			ret = -1;
			break;
		}
		snprintf(names[num++], len, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (ret != 0)
		fprintf(stderr, "%s: out of memory\n", dir);
	qsort(names, num, sizeof(*names), by_name);
	for (size_t i = 0; i < num; i++) {
		if (ret == 0)
			ret = run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return ret;
}

/*
 * Without arguments (make check): the target's regression corpus,
 * $top_srcdir/fuzz/corpus/NAME, NAME being the program's name (libtool
 * may run it as lt-NAME).
 */
static int run_corpus(const char *argv0)
{
	const char *top = getenv("top_srcdir"), *name = strrchr(argv0, '/');
	char dir[4096];
	struct stat st;

	name = name != NULL ? name + 1 : argv0;
	if (strncmp(name, "lt-", 3) == 0)
		name += 3;
	if (snprintf(dir, sizeof(dir), "%s/fuzz/corpus/%s",
		     top != NULL && top[0] != '\0' ? top : ".", name) >= (int)sizeof(dir))
		return -1;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("SKIP: no regression corpus %s\n", dir);
		return 77;
	}
	return run_dir(dir);
}

int main(int argc, char **argv)
{
	int ret = 0;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: %s [FILE|DIR...]\n"
		       "Runs each input once through the fuzz target; without arguments\n"
		       "the regression corpus $top_srcdir/fuzz/corpus/NAME.\n", argv[0]);
		return 0;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		ret = run_corpus(argv[0]);
		if (ret == 77)
			return ret;
	}
	for (int i = 1; i < argc && ret == 0; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			ret = run_dir(argv[i]);
		} else {
			ret = run_file(argv[i]);
		}
	}
	printf("%u passed, %d failed\n", passed, ret != 0);
	return ret != 0;
}
