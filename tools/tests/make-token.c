/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * make-token OUTDIR: attestation tokens made by rmmemu for the verifier
 * tests. In-process, with fresh platform keys: a SHA-256 and a SHA-512
 * realm each extend REM0 and REM2, ask for a token with the challenge bytes
 * 00..3f and read it through TOKEN_CONTINUE into a realm granule. Each token
 * is checked (both signatures, the binding, the claims) before it is
 * written:
 *
 *   OUTDIR/token-sha256.cbor, token-sha512.cbor   the tokens, exactly the
 *                                                 bytes the realm received
 *   OUTDIR/token-sha256.json, token-sha512.json   what they must carry:
 *       {"challenge": hex, "rpv": hex, "rim": hex, "rems": [4 x hex],
 *        "hash_algo": "sha-256" | "sha-512"}
 *   OUTDIR/platform-key.pem                        the platform public key
 *
 * OUTDIR is created if missing. Exit status 0, or 1 if anything failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "platform/platform.h"
#include "realm-token.h"

static const char *outdir;

static FILE *out_open(const char *name)
{
	char path[4096];
	FILE *f;

	assert_true(snprintf(path, sizeof(path), "%s/%s", outdir, name) <
		    (int)sizeof(path));
	f = fopen(path, "w");
	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	return f;
}

static void out_close(FILE *f)
{
	assert_int_equal(fflush(f), 0);
	assert_false(ferror(f));
	assert_int_equal(fclose(f), 0);
}

static void hex(FILE *f, const uint8_t *p, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x", p[i]);
	fputc('"', f);
}

static void write_token(const struct realm_token *t, const char *alg)
{
	char name[64];
	FILE *f;

	snprintf(name, sizeof(name), "token-%s.cbor", alg);
	f = out_open(name);
	assert_int_equal(fwrite(t->token, 1, t->len, f), t->len);
	out_close(f);
	snprintf(name, sizeof(name), "token-%s.json", alg);
	f = out_open(name);
	fputs("{\n  \"challenge\": ", f);
	hex(f, t->challenge, sizeof(t->challenge));
	fputs(",\n  \"rpv\": ", f);
	hex(f, t->rpv, sizeof(t->rpv));
	fputs(",\n  \"rim\": ", f);
	hex(f, t->rim, t->digest_size);
	fputs(",\n  \"rems\": [", f);
	for (unsigned int i = 0; i < REALM_TOKEN_REMS; i++) {
		fputs(i == 0 ? "\n    " : ",\n    ", f);
		hex(f, t->rems[i], t->digest_size);
	}
	fprintf(f, "\n  ],\n  \"hash_algo\": \"%s\"\n}\n",
		t->algo == RMI_HASH_SHA_512 ? "sha-512" : "sha-256");
	out_close(f);
}

static void write_platform_key(EVP_PKEY *cpak)
{
	FILE *f = out_open("platform-key.pem");

	assert_int_equal(PEM_write_PUBKEY(f, cpak), 1);
	out_close(f);
}

static void make_tokens(void **state)
{
	static const struct {
		enum rmi_hash_algo algo;
		const char *name;
	} realms[] = { { RMI_HASH_SHA_256, "sha256" }, { RMI_HASH_SHA_512, "sha512" } };
	struct harness *h = h_new(NULL);
	EVP_PKEY *cpak = platform_key_generate(), *rak = platform_key_generate();
	uint8_t challenge[CCA_CHALLENGE_SIZE];
	struct realm_token *t = malloc(sizeof(*t));
	struct platform *p;
	char why[256];

	(void)state;
	assert_non_null(t);
	assert_non_null(cpak);
	assert_non_null(rak);
	if (platform_new(cpak, rak, &p, why, sizeof(why)) != 0)
		fail_msg("platform: %s", why);
	assert_int_equal(platform_attach(p, h->rmm), 0);
	for (unsigned int i = 0; i < CCA_CHALLENGE_SIZE; i++)
		challenge[i] = (uint8_t)i;
	for (unsigned int i = 0; i < sizeof(realms) / sizeof(realms[0]); i++) {
		realm_token_make(h, realms[i].algo, challenge, t);
		realm_token_check(t, cpak);
		write_token(t, realms[i].name);
	}
	write_platform_key(cpak);
	h_free(h);
	platform_free(p);
	EVP_PKEY_free(cpak);
	EVP_PKEY_free(rak);
	free(t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(make_tokens),
	};

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: make-token OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "make-token: %s: %s\n", outdir, strerror(errno));
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL) == 0 ? 0 : 1;
}
