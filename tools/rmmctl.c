/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmmctl: replay RMI scripts and inspect RMM state, against an RMM inside
 * rmmctl or the rmmemu daemon. One function per subcommand; the script
 * language is in script.h.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmmemu/client.h>

#include "rmmemu/log.h"
#include "rmmemu/rmm.h"
#include "script.h"

#define EXIT_USAGE	2

static const char usage_text[] =
"usage: rmmctl COMMAND [OPTIONS]\n"
"\n"
"Commands:\n"
"  replay [--socket PATH] [--state | --state-json] [--log-level LEVEL] FILE\n"
"      Run the RMI script FILE ('-': standard input), printing one line per\n"
"      RMI call: NAME x0 x1 x2 x3 x4 (hex). Without --socket the calls go to\n"
"      an RMM inside rmmctl (default configuration); with it, to the rmmemu\n"
"      daemon listening on PATH, in a new host session.\n"
"      --state, --state-json  print the RMM state after the script\n"
"      --log-level LEVEL      in-process RMM log level on stderr: error,\n"
"                             warn (default), info, debug (every call), trace\n"
"  state [--socket PATH] [--json]\n"
"      Print the daemon's state: granule counts, realms, RECs, RTTs.\n"
"      Without --socket: $RMMEMU_SOCKET, else $XDG_RUNTIME_DIR/rmmemu.sock,\n"
"      else /tmp/rmmemu-UID.sock.\n"
"  help\n"
"      This text.\n"
"\n"
"Script statements (one a line, '#' starts a comment, numbers decimal or 0x\n"
"hex):\n"
"  region BASE SIZE       declare NS host memory (4 KiB aligned)\n"
"  write64 PA VALUE       store a little-endian 64-bit value in host memory\n"
"  fill PA LEN BYTE       fill host memory\n"
"  call NAME [X1 .. X6]   RMI call; NAME as in GRANULE_DELEGATE (RMI_ prefix\n"
"                         optional) or a function ID; missing args are 0\n"
"  state [json]           print the RMM state at this point of the script\n"
"A script error stops the run with FILE:LINE: message.\n"
"\n"
"Exit status: 0 when the script ran (whatever the RMI results), 1 on a\n"
"script or runtime error, 2 on bad usage.\n";

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rmmctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'rmmctl help'.\n");
	return EXIT_USAGE;
}

/* --- daemon backend ---------------------------------------------------------- */

static int daemon_share_region(void *ctx, uint64_t base, uint64_t size, int fd)
{
	return rmmemu_share_region(ctx, base, size, fd, 0);
}

static int daemon_rmi_call(void *ctx, const uint64_t x[7], uint64_t out[5])
{
	return rmmemu_rmi_call(ctx, x, out);
}

static int daemon_state(void *ctx, int json, char **text)
{
	return rmmemu_state(ctx, json, text);
}

static const char *daemon_error(void *ctx, int err)
{
	return rmmemu_client_error(ctx, err);
}

/* A new host session, or (observer) a connection that only reads STATE. */
static int daemon_connect(const char *path, bool observer,
			  struct rmmemu_client **client)
{
	int err = observer ? rmmemu_connect_observer(path, client)
			   : rmmemu_connect(path, client);

	if (err != 0) {
		fprintf(stderr, "rmmctl: cannot connect to %s: %s\n",
			path != NULL ? path : rmmemu_default_socket(),
			rmmemu_client_error(NULL, err));
		return -1;
	}
	return 0;
}

/* --- replay -------------------------------------------------------------------- */

struct replay_opts {
	const char *socket;
	const char *file;
	int state;		/* 0 none, 1 text, 2 JSON */
};

static int replay_script(struct script *s, const char *file)
{
	FILE *in = stdin;
	int ret;

	if (strcmp(file, "-") != 0) {
		in = fopen(file, "r");
		if (in == NULL) {
			perror(file);
			return -1;
		}
	}
	ret = script_run(s, in, strcmp(file, "-") == 0 ? "<stdin>" : file);
	if (in != stdin)
		fclose(in);
	return ret;
}

/* Runs the script against be, then prints the state if asked to. */
static int replay(const struct script_backend *be, const struct replay_opts *opts)
{
	struct script *s = script_new(be, stdout, stderr);
	char *text = NULL;
	int err;

	if (s == NULL) {
		fprintf(stderr, "rmmctl: out of memory\n");
		return EXIT_FAILURE;
	}
	err = replay_script(s, opts->file);
	script_free(s);
	if (err != 0)
		return EXIT_FAILURE;
	if (opts->state == 0)
		return EXIT_SUCCESS;
	err = be->state(be->ctx, opts->state == 2, &text);
	if (err != 0) {
		fprintf(stderr, "rmmctl: state: %s\n",
			be->error != NULL ? be->error(be->ctx, err) : strerror(-err));
		return EXIT_FAILURE;
	}
	fputs(text, stdout);
	free(text);
	return EXIT_SUCCESS;
}

static int replay_inproc(const struct replay_opts *opts)
{
	struct script_backend be;
	struct rmm *rmm = rmm_new(NULL);
	int ret;

	if (rmm == NULL) {
		perror("rmmctl: cannot create the RMM");
		return EXIT_FAILURE;
	}
	script_backend_inproc(&be, rmm);
	ret = replay(&be, opts);
	rmm_free(rmm);
	return ret;
}

static int replay_daemon(const struct replay_opts *opts)
{
	struct rmmemu_client *client;
	struct script_backend be = {
		.share_region = daemon_share_region,
		.rmi_call = daemon_rmi_call,
		.state = daemon_state,
		.error = daemon_error,
	};
	int ret;

	if (daemon_connect(opts->socket, false, &client) != 0)
		return EXIT_FAILURE;
	be.ctx = client;
	ret = replay(&be, opts);
	rmmemu_disconnect(client);
	return ret;
}

static int cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state", no_argument, NULL, 't' },
		{ "state-json", no_argument, NULL, 'j' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay_opts opts = { 0 };
	enum rmm_log_level level;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opts.socket = optarg;
			break;
		case 't':
			opts.state = 1;
			break;
		case 'j':
			opts.state = 2;
			break;
		case 'l':
			if (rmm_log_level_parse(optarg, &level) != 0)
				return usage_error("unknown log level '%s'", optarg);
			rmm_log_set_level(level);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_SUCCESS;
		default:
			return usage_error("replay: bad option");
		}
	}
	if (optind == argc)
		return usage_error("replay: no script file given");
	if (argc - optind > 1)
		return usage_error("replay: one script file only, got '%s' too",
				   argv[optind + 1]);
	opts.file = argv[optind];
	return opts.socket != NULL ? replay_daemon(&opts) : replay_inproc(&opts);
}

/* --- state --------------------------------------------------------------------- */

static int cmd_state(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rmmemu_client *client;
	const char *socket = NULL;
	char *text = NULL;
	int json = 0, c, err;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			socket = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_SUCCESS;
		default:
			return usage_error("state: bad option");
		}
	}
	if (optind < argc)
		return usage_error("state: unexpected argument '%s'", argv[optind]);
	if (daemon_connect(socket, true, &client) != 0)
		return EXIT_FAILURE;
	err = rmmemu_state(client, json, &text);
	if (err != 0) {
		fprintf(stderr, "rmmctl: state: %s\n", rmmemu_client_error(client, err));
		rmmemu_disconnect(client);
		return EXIT_FAILURE;
	}
	rmmemu_disconnect(client);
	fputs(text, stdout);
	free(text);
	return EXIT_SUCCESS;
}

/* --- main ---------------------------------------------------------------------- */

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs(usage_text, stdout);
	return EXIT_SUCCESS;
}

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "replay", cmd_replay },
	{ "state", cmd_state },
	{ "help", cmd_help },
	{ "--help", cmd_help },
	{ "-h", cmd_help },
};

int main(int argc, char **argv)
{
	int ret = EXIT_USAGE;
	size_t i;

	if (argc < 2)
		return usage_error("no command given");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			/* The subcommand parses its own options from argv[1]. */
			ret = commands[i].run(argc - 1, argv + 1);
			break;
		}
	}
	if (i == sizeof(commands) / sizeof(commands[0]))
		return usage_error("unknown command '%s'", argv[1]);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("rmmctl: standard output");
		return EXIT_FAILURE;
	}
	return ret;
}
