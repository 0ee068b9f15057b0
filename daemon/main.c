/* SPDX-License-Identifier: BSD-3-Clause */
/* rmmemu: the daemon. Parses options, runs the server until SIGTERM/SIGINT. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmmemu/client.h>

#include "daemon/server.h"
#include "rmmemu/log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rmmemu [OPTION]...\n"
		"Emulated Arm CCA Realm Management Monitor: serves RMI calls from hosts\n"
		"over a Unix socket, one RMM instance per host session. Runs in the\n"
		"foreground until SIGTERM or SIGINT, then ends every session (realms\n"
		"destroyed, granules scrubbed) and removes the socket.\n"
		"\n"
		"  -s, --socket PATH      listen on PATH (mode 0600); default: $RMMEMU_SOCKET,\n"
		"                         else $XDG_RUNTIME_DIR/rmmemu.sock, else\n"
		"                         /tmp/rmmemu-UID.sock (here: %s)\n"
		"  -r, --record DIR       record the RMI calls of each host session as an\n"
		"                         `rmmctl replay` script DIR/session-N.rmi (DIR is\n"
		"                         created if missing; a file of the same name is\n"
		"                         overwritten)\n"
		"  -l, --log-level LEVEL  error, warn, info (default), debug (adds every RMI\n"
		"                         call with its arguments and result) or trace\n"
		"  -h, --help             show this help and exit\n"
		"  -V, --version          show the version and exit\n",
		rmmemu_default_socket());
}

static const struct option long_options[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "record", required_argument, NULL, 'r' },
	{ "log-level", required_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct server_opts *opts,
			 enum rmm_log_level *level)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "s:r:l:hV", long_options, NULL)) != -1) {
		switch (opt) {
		case 's':
			opts->socket_path = optarg;
			break;
		case 'r':
			opts->record_dir = optarg;
			break;
		case 'l':
			if (rmm_log_level_parse(optarg, level) != 0) {
				fprintf(stderr, "rmmemu: unknown log level '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("rmmemu %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'rmmemu --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rmmemu: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct server_opts opts = { 0 };
	enum rmm_log_level level = RMM_LOG_INFO;
	struct server *srv;
	sigset_t stop;
	int ret, sig;

	ret = parse_options(argc, argv, &opts, &level);
	if (ret >= 0)
		return ret;
	rmm_log_set_level(level);

	/* Every thread inherits the mask: the signals wait for sigwait() here,
	 * where shutting down is an ordinary function call. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (server_start(&opts, &srv) != 0)
		return 1;
	if (sigwait(&stop, &sig) != 0)
		sig = SIGTERM;
	rmm_log(RMM_LOG_INFO, "%s: shutting down", strsignal(sig));
	server_stop(srv);
	return 0;
}
