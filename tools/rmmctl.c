/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmmctl: replay RMI scripts and inspect RMM state, against an RMM inside
 * rmmctl or the rmmemu daemon, verify attestation tokens and show the keys
 * that sign them. One function per subcommand; the script language is in
 * script.h, the token verifier in verify-token.h, the keys in
 * platform/platform.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmmemu/client.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "platform/platform.h"
#include "rmmemu/attest.h"
#include "rmmemu/log.h"
#include "rmmemu/rmm.h"
#include "script.h"
#include "verify-token.h"

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
"  verify-token [--platform-key PEM] [--json] [--legacy] FILE\n"
"      Verify the CCA attestation token (RMM 1.0 form) in FILE ('-': standard\n"
"      input), in this order: strict CBOR and every claim's type and size\n"
"      (check 'format'), the realm signature with the realm key the token\n"
"      carries ('realm-signature'), platform challenge = H(realm key)\n"
"      ('binding'), and the platform signature with the public key in the\n"
"      PEM file ('platform-signature'). Without --platform-key that last\n"
"      check is NOT made, the output says so, and the exit status reflects\n"
"      the other checks only.\n"
"      Output: a line 'check NAME RESULT' per check made (RESULT: ok,\n"
"      'FAILED: why' or 'NOT CHECKED (...)'), then, only when verified, one\n"
"      claim a line: 'realm.NAME VALUE' and 'platform.NAME VALUE', byte\n"
"      strings in hex, text as text, e.g. realm.challenge 0001...3f,\n"
"      realm.extensible-measurements[3] 4084...a56a. --json prints one JSON\n"
"      object instead: verified, checks, error or legacy/realm/platform.\n"
"      --legacy also accepts the legacy form (no realm profile claim, the\n"
"      realm key a raw EC point). tools/README.md lists every name.\n"
"      Exit status: 0 verified, 1 a check failed (stderr names it), 2 bad\n"
"      usage or a file that cannot be read.\n"
"  keys [--state-dir DIR] [--json]\n"
"      Print the public keys the daemon and rmm-run attest with, for a\n"
"      verifier to trust: the platform key, which signs platform tokens (its\n"
"      PEM is what verify-token --platform-key takes), and the realm\n"
"      attestation key, which signs realm tokens; each as PEM and as the hex\n"
"      of its COSE_Key, with the platform's implementation and instance IDs.\n"
"      They are DIR/platform-key.pem and DIR/realm-key.pem (default:\n"
"      $XDG_STATE_HOME/rmmemu, else ~/.local/state/rmmemu); missing ones are\n"
"      generated, as the daemon does at its first start. --json prints one\n"
"      object: state_dir, platform_key and realm_key, each with file, pem and\n"
"      cose_key; platform_key also implementation_id and instance_id.\n"
"      Exit status: 0, 1 when the keys cannot be read or made, 2 bad usage.\n"
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
"Exit status of replay and state: 0 when the script ran (whatever the RMI\n"
"results), 1 on a script or runtime error, 2 on bad usage.\n";

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

/* --- verify-token ---------------------------------------------------------------- */

/* Far above the 4 KiB the reference returns tokens in (attestation.md 5). */
#define TOKEN_FILE_MAX	(1u << 20)

/* The whole file ('-': standard input) in *buf; -1 with errno set. */
static int read_token_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	uint8_t *b;
	size_t n;
	int err;

	if (f == NULL)
		return -1;
	b = malloc(TOKEN_FILE_MAX + 1);
	n = b != NULL ? fread(b, 1, TOKEN_FILE_MAX + 1, f) : 0;
	err = b == NULL ? ENOMEM : ferror(f) ? EIO : n > TOKEN_FILE_MAX ? EFBIG : 0;
	if (f != stdin)
		fclose(f);
	if (err != 0) {
		free(b);
		errno = err;
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

struct verify_opts {
	const char *file;
	const char *platform_key;
	bool json;
	bool legacy;
};

static int verify_token_file(const struct verify_opts *opts,
			     struct evp_pkey_st *platform_key)
{
	struct token_options topts = {
		.legacy = opts->legacy,
		.platform_key = platform_key,
	};
	struct token *t;
	uint8_t *buf;
	size_t len;
	int ret;

	if (read_token_file(opts->file, &buf, &len) != 0) {
		fprintf(stderr, "rmmctl: verify-token: %s: %s\n", opts->file,
			strerror(errno));
		return EXIT_USAGE;
	}
	t = token_verify(buf, len, &topts);
	free(buf);
	if (t == NULL) {
		fprintf(stderr, "rmmctl: verify-token: out of memory\n");
		return EXIT_USAGE;
	}
	if ((opts->json ? token_print_json(stdout, t) : token_print_text(stdout, t)) != 0) {
		perror("rmmctl: standard output");
		token_free(t);
		return EXIT_USAGE;
	}
	ret = EXIT_SUCCESS;
	if (!token_verified(t)) {
		fprintf(stderr, "rmmctl: verify-token: %s: verification failed: %s: %s\n",
			opts->file, token_check_name(token_failed_check(t)), t->error);
		ret = EXIT_FAILURE;
	} else if (t->checks[TOKEN_CHECK_PLATFORM_SIGNATURE] == TOKEN_CHECK_SKIPPED) {
		fprintf(stderr, "rmmctl: verify-token: %s: the platform signature was NOT checked (no --platform-key)\n",
			opts->file);
	}
	token_free(t);
	return ret;
}

static int cmd_verify_token(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "platform-key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "legacy", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_opts opts = { 0 };
	struct evp_pkey_st *key = NULL;
	char msg[256];
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			opts.platform_key = optarg;
			break;
		case 'j':
			opts.json = true;
			break;
		case 'L':
			opts.legacy = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_SUCCESS;
		default:
			return usage_error("verify-token: bad option");
		}
	}
	if (optind == argc)
		return usage_error("verify-token: no token file given");
	if (argc - optind > 1)
		return usage_error("verify-token: one token file only, got '%s' too",
				   argv[optind + 1]);
	opts.file = argv[optind];
	if (opts.platform_key != NULL) {
		key = token_read_public_key(opts.platform_key, msg, sizeof(msg));
		if (key == NULL) {
			fprintf(stderr, "rmmctl: verify-token: %s\n", msg);
			return EXIT_USAGE;
		}
	}
	ret = verify_token_file(&opts, key);
	token_free_public_key(key);
	return ret;
}

/* --- keys ---------------------------------------------------------------------- */

static void json_string(FILE *out, const char *s)
{
	token_print_json_string(out, s, strlen(s));
}

static void hex_string(char *out, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* What a verifier is given about one key. */
struct key_info {
	const char *name;		/* "platform_key", "realm_key" */
	const char *title;
	char file[4200];
	char *pem;			/* SubjectPublicKeyInfo, malloc'd */
	char cose[2 * CCA_COSE_KEY_P384_SIZE + 1];
};

static int key_info(struct key_info *k, EVP_PKEY *key, const char *dir,
		    const char *file)
{
	BIO *bio = BIO_new(BIO_s_mem());
	uint8_t cose[CCA_COSE_KEY_P384_SIZE];
	char *data;
	long len;

	snprintf(k->file, sizeof(k->file), "%s/%s", dir, file);
	if (bio == NULL || PEM_write_bio_PUBKEY(bio, key) != 1 ||
	    (len = BIO_get_mem_data(bio, &data)) <= 0 ||
	    (k->pem = strndup(data, (size_t)len)) == NULL ||
	    attest_cose_key(key, cose) != 0) {
		BIO_free(bio);
		return -1;
	}
	BIO_free(bio);
	hex_string(k->cose, cose, sizeof(cose));
	return 0;
}

/* The platform's identity claims, as a verifier's reference values. */
struct platform_ids_hex {
	char impl[2 * PLATFORM_ID_SIZE + 1];
	char inst[2 * PLATFORM_INSTANCE_ID_SIZE + 1];
};

static int platform_ids_hex(EVP_PKEY *cpak, struct platform_ids_hex *ids)
{
	uint8_t impl[PLATFORM_ID_SIZE], inst[PLATFORM_INSTANCE_ID_SIZE];

	if (platform_instance_id(cpak, inst) != 0)
		return -1;
	platform_implementation_id(impl);
	hex_string(ids->impl, impl, sizeof(impl));
	hex_string(ids->inst, inst, sizeof(inst));
	return 0;
}

static void keys_print_text(const char *dir, const struct key_info k[2],
			    const struct platform_ids_hex *ids)
{
	printf("state directory: %s\n\n", dir);
	for (unsigned int i = 0; i < 2; i++) {
		printf("%s: %s\n  COSE_Key: %s\n", k[i].title, k[i].file, k[i].cose);
		if (i == 0)
			printf("  implementation ID: %s\n  instance ID: %s\n", ids->impl,
			       ids->inst);
		printf("%s%s", k[i].pem, i == 0 ? "\n" : "");
	}
}

static void keys_print_json(const char *dir, const struct key_info k[2],
			    const struct platform_ids_hex *ids)
{
	fputs("{\"state_dir\": ", stdout);
	json_string(stdout, dir);
	for (unsigned int i = 0; i < 2; i++) {
		printf(", \"%s\": {\"file\": ", k[i].name);
		json_string(stdout, k[i].file);
		fputs(", \"pem\": ", stdout);
		json_string(stdout, k[i].pem);
		printf(", \"cose_key\": \"%s\"", k[i].cose);
		if (i == 0)
			printf(", \"implementation_id\": \"%s\", \"instance_id\": \"%s\"",
			       ids->impl, ids->inst);
		fputs("}", stdout);
	}
	fputs("}\n", stdout);
}

/* The public halves of the keys rmmemu and rmm-run attest with (loaded or,
 * the first time, generated: platform/platform.h). */
static int keys_show(const struct platform_opts *o, bool json)
{
	struct key_info k[2] = {
		{ .name = "platform_key", .title = "platform key (signs platform tokens)" },
		{ .name = "realm_key", .title = "realm attestation key (signs realm tokens)" },
	};
	struct platform_ids_hex ids;
	char dir[4096], why[512];
	EVP_PKEY *cpak, *rak;
	int ret = EXIT_FAILURE;

	if (platform_state_dir(o, dir, sizeof(dir)) != 0) {
		fprintf(stderr, "rmmctl: keys: no state directory: give one with --state-dir\n");
		return EXIT_FAILURE;
	}
	if (platform_keys_load(o, &cpak, &rak, why, sizeof(why)) != 0) {
		fprintf(stderr, "rmmctl: keys: %s\n", why);
		return EXIT_FAILURE;
	}
	if (key_info(&k[0], cpak, dir, PLATFORM_KEY_FILE) == 0 &&
	    key_info(&k[1], rak, dir, PLATFORM_REALM_KEY_FILE) == 0 &&
	    platform_ids_hex(cpak, &ids) == 0) {
		if (json)
			keys_print_json(dir, k, &ids);
		else
			keys_print_text(dir, k, &ids);
		ret = EXIT_SUCCESS;
	} else {
		fprintf(stderr, "rmmctl: keys: cannot encode the public keys\n");
	}
	free(k[0].pem);
	free(k[1].pem);
	EVP_PKEY_free(cpak);
	EVP_PKEY_free(rak);
	return ret;
}

static int cmd_keys(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct platform_opts o = { 0 };
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.state_dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_SUCCESS;
		default:
			return usage_error("keys: bad option");
		}
	}
	if (optind < argc)
		return usage_error("keys: unexpected argument '%s'", argv[optind]);
	return keys_show(&o, json);
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
	{ "verify-token", cmd_verify_token },
	{ "keys", cmd_keys },
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
