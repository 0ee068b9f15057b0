/* SPDX-License-Identifier: BSD-3-Clause */
/* rmmemu: the daemon. Parses options, runs the server until SIGTERM/SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmmemu/client.h>

#include "daemon/server.h"
#include "platform/platform.h"
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
		"      --state-dir DIR    where the platform's attestation keys live (made\n"
		"                         mode 0700 if missing): DIR/platform-key.pem signs\n"
		"                         the platform token, DIR/realm-key.pem every realm\n"
		"                         token; each is generated (ECC P-384) the first\n"
		"                         time. Default: $XDG_STATE_HOME/rmmemu, else\n"
		"                         ~/.local/state/rmmemu. `rmmctl keys` prints the\n"
		"                         public keys for verifiers\n"
		"      --platform-key PEM the platform key from the file PEM instead\n"
		"      --realm-key PEM    the realm attestation key from the file PEM instead\n"
		"  -l, --log-level LEVEL  error, warn, info (default), debug (adds every RMI\n"
		"                         call with its arguments and result) or trace\n"
		"  -h, --help             show this help and exit\n"
		"  -V, --version          show the version and exit\n"
		"\n"
		"Limits, so that no host can take the daemon from the others (defaults in\n"
		"brackets):\n"
		"      --session-connections N\n"
		"                         connections of one host session at once [%u]; one\n"
		"                         more gets an ERROR\n"
		"      --session-regions N\n"
		"                         memory regions a session shares [%u], at most 256;\n"
		"                         one more gets an ERROR and its connection is closed\n"
		"      --session-memory SIZE\n"
		"                         total size of those regions [%" PRIu64 "G], with a\n"
		"                         K, M, G or T suffix; each GiB costs the daemon\n"
		"                         16 MiB of granule table. Past it: an ERROR, as above\n"
		"      --session-realms N\n"
		"                         realms of a session at once [%u]; one more\n"
		"                         REALM_CREATE returns RMI_ERROR_INPUT, as when the\n"
		"                         VMIDs run out, and a warning is logged\n"
		"      --hello-timeout SECONDS\n"
		"                         a connection that sends no HELLO this long after\n"
		"                         connecting gets an ERROR and is closed [%u]\n",
		rmmemu_default_socket(), SESSION_DEFAULT_CONNECTIONS, SESSION_DEFAULT_REGIONS,
		(uint64_t)(SESSION_DEFAULT_REGION_BYTES >> 30), SESSION_DEFAULT_REALMS,
		SERVER_DEFAULT_HELLO_TIMEOUT_MS / 1000);
}

/* A decimal count in [1, max]. */
static int parse_count(const char *arg, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v == 0 || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* A size in bytes with an optional K, M, G or T suffix (powers of 1024), a
 * positive multiple of 4 KiB. */
static int parse_size(const char *arg, uint64_t *out)
{
	static const char suffixes[] = "KMGT";
	const char *s;
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || end == arg || arg[0] == '-')
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0' || (s = strchr(suffixes, end[0])) == NULL)
			return -1;
		for (long i = 0; i <= s - suffixes; i++) {
			if (v > UINT64_MAX / 1024)
				return -1;
			v *= 1024;
		}
	}
	if (v == 0 || v % 4096 != 0)
		return -1;
	*out = v;
	return 0;
}

enum {
	OPT_SESSION_CONNECTIONS = 0x100,
	OPT_SESSION_REGIONS,
	OPT_SESSION_MEMORY,
	OPT_SESSION_REALMS,
	OPT_HELLO_TIMEOUT,
};

/* The platform's keys (platform/platform.h). */
enum {
	OPT_STATE_DIR = 0x200,
	OPT_PLATFORM_KEY,
	OPT_REALM_KEY,
};

static struct platform_opts key_opts;

static const struct option long_options[] = {
	{ "session-connections", required_argument, NULL, OPT_SESSION_CONNECTIONS },
	{ "session-regions", required_argument, NULL, OPT_SESSION_REGIONS },
	{ "session-memory", required_argument, NULL, OPT_SESSION_MEMORY },
	{ "session-realms", required_argument, NULL, OPT_SESSION_REALMS },
	{ "hello-timeout", required_argument, NULL, OPT_HELLO_TIMEOUT },
	{ "socket", required_argument, NULL, 's' },
	{ "record", required_argument, NULL, 'r' },
	{ "log-level", required_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "platform-key", required_argument, NULL, OPT_PLATFORM_KEY },
	{ "realm-key", required_argument, NULL, OPT_REALM_KEY },
	{ NULL, 0, NULL, 0 },
};

/* A limit option; returns 0, or -1 when its value is not valid. The
 * region count stops where rmm_add_region() does (256 per instance). */
static int parse_limit(int opt, const char *arg, struct server_opts *opts)
{
	unsigned int secs;

	switch (opt) {
	case OPT_SESSION_CONNECTIONS:
		return parse_count(arg, 65536, &opts->limits.connections);
	case OPT_SESSION_REGIONS:
		return parse_count(arg, 256, &opts->limits.regions);
	case OPT_SESSION_MEMORY:
		return parse_size(arg, &opts->limits.region_bytes);
	case OPT_SESSION_REALMS:
		return parse_count(arg, 65536, &opts->limits.realms);
	case OPT_HELLO_TIMEOUT:
		if (parse_count(arg, 3600, &secs) != 0)
			return -1;
		opts->hello_timeout_ms = secs * 1000;
		return 0;
	default:
		return -1;
	}
}

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct server_opts *opts,
			 enum rmm_log_level *level)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "s:r:l:hV", long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_SESSION_CONNECTIONS:
		case OPT_SESSION_REGIONS:
		case OPT_SESSION_MEMORY:
		case OPT_SESSION_REALMS:
		case OPT_HELLO_TIMEOUT:
			if (parse_limit(opt, optarg, opts) != 0) {
				fprintf(stderr, "rmmemu: invalid value '%s' for --%s\n", optarg,
					long_options[opt - OPT_SESSION_CONNECTIONS].name);
				return 2;
			}
			break;
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
		case OPT_STATE_DIR:
			key_opts.state_dir = optarg;
			break;
		case OPT_PLATFORM_KEY:
			key_opts.platform_key = optarg;
			break;
		case OPT_REALM_KEY:
			key_opts.realm_key = optarg;
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
	struct platform *platform;
	struct server *srv;
	char why[512];
	sigset_t stop;
	int ret, sig;

	ret = parse_options(argc, argv, &opts, &level);
	if (ret >= 0)
		return ret;
	rmm_log_set_level(level);
	/* Every session's realms attest with the same keys and platform
	 * token, as on a machine between two boots (attestation.md 2.2). */
	if (platform_open(&key_opts, &platform, why, sizeof(why)) != 0) {
		fprintf(stderr, "rmmemu: %s\n", why);
		return 1;
	}
	opts.platform = platform;

	/* Every thread inherits the mask: the signals wait for sigwait() here,
	 * where shutting down is an ordinary function call. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (server_start(&opts, &srv) != 0) {
		platform_free(platform);
		return 1;
	}
	if (sigwait(&stop, &sig) != 0)
		sig = SIGTERM;
	rmm_log(RMM_LOG_INFO, "%s: shutting down", strsignal(sig));
	server_stop(srv);
	platform_free(platform);
	return 0;
}
