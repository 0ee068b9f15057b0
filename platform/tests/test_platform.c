/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated platform (platform/platform.h): the state directory and its
 * key files (created 0700 / 0600, reused, refused when open to others or not
 * P-384 private keys, with a message naming the file), the platform token
 * (claims of attestation.md 3 in order, byte layout, signature with the
 * CPAK) and, end to end, a realm's token under it: the platform challenge is
 * SHA-256 of the realm's RAK claim and both signatures verify.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "daemon/tests/tmpdir.h"
#include "platform/platform.h"
#include "rmmemu/attest.h"
#include "tools/tests/realm-token.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

struct tp {
	char root[64];		/* scratch directory */
	char state[128];	/* root/a/b/state: created by the code under test */
	char why[512];
};

static int tp_setup(void **state)
{
	struct tp *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	strcpy(t->root, "/tmp/test_platform.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->state, sizeof(t->state), "%s/a/b/state", t->root);
	*state = t;
	return 0;
}

static int tp_teardown(void **state)
{
	struct tp *t = *state;

	tmpdir_remove(t->root);
	free(t);
	return 0;
}

static char *path_in(const char *dir, const char *name)
{
	static char path[3][256];
	static unsigned int next;
	char *p = path[next++ % 3];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

static unsigned int mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static int load(struct tp *t, const struct platform_opts *o, EVP_PKEY **cpak,
		EVP_PKEY **rak)
{
	t->why[0] = '\0';
	return platform_keys_load(o, cpak, rak, t->why, sizeof(t->why));
}

static void assert_why(struct tp *t, const char *a, const char *b)
{
	if (strstr(t->why, a) == NULL || (b != NULL && strstr(t->why, b) == NULL))
		fail_msg("message '%s' lacks '%s' / '%s'", t->why, a, b ? b : "");
}

static void write_file(const char *path, const char *text, unsigned int mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void write_key(const char *path, EVP_PKEY *k, unsigned int mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* ---- the state directory ---------------------------------------------------- */

static void test_default_state_dir(void **state)
{
	char *home = getenv("HOME"), *xdg = getenv("XDG_STATE_HOME");
	char saved_home[256] = "", saved_xdg[256] = "", buf[300];

	(void)state;
	if (home != NULL)
		snprintf(saved_home, sizeof(saved_home), "%s", home);
	if (xdg != NULL)
		snprintf(saved_xdg, sizeof(saved_xdg), "%s", xdg);
	setenv("HOME", "/home/someone", 1);
	setenv("XDG_STATE_HOME", "/var/state", 1);
	assert_int_equal(platform_default_state_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/var/state/rmmemu");
	/* A relative XDG_STATE_HOME is ignored (XDG base directories). */
	setenv("XDG_STATE_HOME", "state", 1);
	assert_int_equal(platform_default_state_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/someone/.local/state/rmmemu");
	unsetenv("XDG_STATE_HOME");
	assert_int_equal(platform_default_state_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/someone/.local/state/rmmemu");
	assert_int_equal(platform_default_state_dir(buf, 10), -ENAMETOOLONG);
	if (home != NULL)
		setenv("HOME", saved_home, 1);
	else
		unsetenv("HOME");
	if (xdg != NULL)
		setenv("XDG_STATE_HOME", saved_xdg, 1);
}

/* Every entry of dir (no temporary files left behind). */
static unsigned int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_keys_created_and_reused(void **state)
{
	struct tp *t = *state;
	struct platform_opts o = { .state_dir = t->state };
	EVP_PKEY *cpak, *rak, *cpak2, *rak2;
	struct stat before, after;

	assert_int_equal(load(t, &o, &cpak, &rak), 0);
	/* spec of the state directory: 0700 (parents created too), key
	 * files 0600, P-384 private keys, two different ones. */
	assert_int_equal(mode_of(t->state), 0700);
	assert_int_equal(mode_of(path_in(t->root, "a")), 0700);
	assert_int_equal(mode_of(path_in(t->state, PLATFORM_KEY_FILE)), 0600);
	assert_int_equal(mode_of(path_in(t->state, PLATFORM_REALM_KEY_FILE)), 0600);
	assert_int_equal(entries(t->state), 2);
	assert_true(attest_key_is_p384(cpak, true));
	assert_true(attest_key_is_p384(rak, true));
	assert_int_not_equal(EVP_PKEY_eq(cpak, rak), 1);
	/* Second start: the same keys from the same files. */
	assert_int_equal(stat(path_in(t->state, PLATFORM_KEY_FILE), &before), 0);
	assert_int_equal(load(t, &o, &cpak2, &rak2), 0);
	assert_int_equal(stat(path_in(t->state, PLATFORM_KEY_FILE), &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(EVP_PKEY_eq(cpak, cpak2), 1);
	assert_int_equal(EVP_PKEY_eq(rak, rak2), 1);
	assert_int_equal(entries(t->state), 2);
	EVP_PKEY_free(cpak);
	EVP_PKEY_free(rak);
	EVP_PKEY_free(cpak2);
	EVP_PKEY_free(rak2);
}

/* One key missing: only that one is generated. */
static void test_one_key_missing(void **state)
{
	struct tp *t = *state;
	struct platform_opts o = { .state_dir = t->state };
	EVP_PKEY *cpak, *rak, *cpak2, *rak2;

	assert_int_equal(load(t, &o, &cpak, &rak), 0);
	assert_int_equal(unlink(path_in(t->state, PLATFORM_REALM_KEY_FILE)), 0);
	assert_int_equal(load(t, &o, &cpak2, &rak2), 0);
	assert_int_equal(EVP_PKEY_eq(cpak, cpak2), 1);
	assert_int_not_equal(EVP_PKEY_eq(rak, rak2), 1);
	assert_int_equal(mode_of(path_in(t->state, PLATFORM_REALM_KEY_FILE)), 0600);
	EVP_PKEY_free(cpak);
	EVP_PKEY_free(rak);
	EVP_PKEY_free(cpak2);
	EVP_PKEY_free(rak2);
}

/* --platform-key / --realm-key: those files, the state directory untouched
 * when both are given. */
static void test_keys_given(void **state)
{
	struct tp *t = *state;
	EVP_PKEY *k1 = platform_key_generate(), *k2 = platform_key_generate();
	char *f1 = path_in(t->root, "cpak.pem"), *f2 = path_in(t->root, "rak.pem");
	struct platform_opts o = { .state_dir = t->state, .platform_key = f1,
				   .realm_key = f2 };
	EVP_PKEY *cpak, *rak;

	/* Given files are the user's: their mode is not checked. */
	write_key(f1, k1, 0644);
	write_key(f2, k2, 0600);
	assert_int_equal(load(t, &o, &cpak, &rak), 0);
	assert_int_equal(EVP_PKEY_eq(cpak, k1), 1);
	assert_int_equal(EVP_PKEY_eq(rak, k2), 1);
	assert_int_equal(access(t->state, F_OK), -1);
	EVP_PKEY_free(cpak);
	EVP_PKEY_free(rak);
	/* Only the realm key given: the platform key from the state dir. */
	o.platform_key = NULL;
	assert_int_equal(load(t, &o, &cpak, &rak), 0);
	assert_int_equal(EVP_PKEY_eq(rak, k2), 1);
	assert_int_equal(mode_of(path_in(t->state, PLATFORM_KEY_FILE)), 0600);
	assert_int_equal(access(path_in(t->state, PLATFORM_REALM_KEY_FILE), F_OK), -1);
	EVP_PKEY_free(cpak);
	EVP_PKEY_free(rak);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static EVP_PKEY *pubkey_of(EVP_PKEY *k, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	assert_int_equal(fclose(f), 0);
	return k;
}

/* Bad key files: a clear error naming the file and what is wrong. */
static void test_bad_key_files(void **state)
{
	struct tp *t = *state;
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
								   "P-256");
	EVP_PKEY *good = platform_key_generate(), *cpak, *rak;
	char *bad = path_in(t->root, "bad.pem");
	struct platform_opts o = { .state_dir = t->state, .platform_key = bad };
	const struct {
		const char *what;
		int err;
	} cases[] = {
		{ "not an unencrypted PEM private key", -EINVAL },
		{ "a key of type RSA, not an ECC P-384", -EINVAL },
		{ "a key of type EC prime256v1, not", -EINVAL },
		{ "not an unencrypted PEM private key", -EINVAL },	/* public key */
		{ "not an unencrypted PEM private key", -EINVAL },	/* encrypted */
		{ "No such file", -ENOENT },
	};

	assert_non_null(rsa);
	assert_non_null(p256);
	for (unsigned int i = 0; i < ARRAY_LEN(cases); i++) {
		FILE *f;

		switch (i) {
		case 0: write_file(bad, "-----BEGIN PRIVATE KEY-----\nnot base64\n", 0600); break;
		case 1: write_key(bad, rsa, 0600); break;
		case 2: write_key(bad, p256, 0600); break;
		case 3: pubkey_of(good, bad); break;
		case 4:
			f = fopen(bad, "w");
			assert_non_null(f);
			assert_int_equal(PEM_write_PrivateKey(f, good, EVP_aes_128_cbc(),
							      NULL, 0, NULL, (void *)"pw"), 1);
			fclose(f);
			break;
		default: unlink(bad); break;
		}
		assert_int_equal(load(t, &o, &cpak, &rak), cases[i].err);
		assert_null(cpak);
		assert_null(rak);
		assert_why(t, bad, cases[i].what);
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(good);
}

/* The state directory's keys must be private: a key file or a directory
 * open to others is refused, and so is a state "directory" that is a file. */
static void test_state_not_private(void **state)
{
	struct tp *t = *state;
	struct platform_opts o = { .state_dir = t->state };
	char *key = path_in(t->state, PLATFORM_KEY_FILE);
	EVP_PKEY *cpak, *rak;

	assert_int_equal(load(t, &o, &cpak, &rak), 0);
	EVP_PKEY_free(cpak);
	EVP_PKEY_free(rak);
	assert_int_equal(chmod(key, 0640), 0);
	assert_int_equal(load(t, &o, &cpak, &rak), -EPERM);
	assert_why(t, key, "open to other users");
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(chmod(t->state, 0755), 0);
	assert_int_equal(load(t, &o, &cpak, &rak), -EPERM);
	assert_why(t, t->state, "mode 0700");
	assert_int_equal(chmod(t->state, 0700), 0);
	/* A broken key in the state directory is not replaced. */
	write_file(key, "junk\n", 0600);
	assert_int_equal(load(t, &o, &cpak, &rak), -EINVAL);
	assert_why(t, key, "not an unencrypted PEM private key");
	o.state_dir = key;
	assert_int_equal(load(t, &o, &cpak, &rak), -ENOTDIR);
}

/* ---- the platform token (attestation.md 3, 4) --------------------------------- */

/* The COSE_Key of attestation.md 2.2 from OpenSSL's point encoding. */
static void cose_key_of(EVP_PKEY *k, uint8_t out[CCA_COSE_KEY_P384_SIZE])
{
	static const uint8_t head[] = { 0xA4, 0x01, 0x02, 0x20, 0x02, 0x21, 0x58, 0x30 };
	uint8_t point[97];
	size_t len;

	assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point,
							 sizeof(point), &len), 1);
	assert_int_equal(len, 97);
	memcpy(out, head, sizeof(head));
	memcpy(out + 8, point + 1, 48);
	memcpy(out + 56, (const uint8_t[]){ 0x22, 0x58, 0x30 }, 3);
	memcpy(out + 59, point + 49, 48);
}

static void sha256(const void *p, size_t len, uint8_t out[32])
{
	assert_int_equal(EVP_Digest(p, len, out, NULL, EVP_sha256(), NULL), 1);
}

static void sha256_file(const char *path, uint8_t out[32])
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(64 << 20);
	size_t len;

	assert_non_null(f);
	assert_non_null(buf);
	len = fread(buf, 1, 64 << 20, f);
	assert_true(feof(f));
	fclose(f);
	sha256(buf, len, out);
	free(buf);
}

static int64_t key_of(const cbor_item_t *k)
{
	assert_true(cbor_isa_uint(k));
	return (int64_t)cbor_get_int(k);
}

/* spec: the claims of attestation.md 3 in the reference's order. */
static void check_platform_claims(const cbor_item_t *c, EVP_PKEY *cpak, EVP_PKEY *rak)
{
	static const int64_t order[] = { 265, 10, 2396, 256, 2401, 2395, 2402, 2400, 2399 };
	uint8_t key[CCA_COSE_KEY_P384_SIZE], want[33], exe[32];
	const cbor_item_t *sw = rt_claim(c, 2399), *lc = rt_claim(c, 2395);
	cbor_item_t *comp;

	assert_int_equal(cbor_map_size(c), ARRAY_LEN(order));
	for (unsigned int i = 0; i < ARRAY_LEN(order); i++)
		assert_int_equal(key_of(cbor_map_handle(c)[i].key), order[i]);
	rt_assert_tstr(rt_claim(c, 265), "tag:arm.com,2023:cca_platform#1.0.0");
	cose_key_of(rak, key);
	sha256(key, sizeof(key), want);
	rt_assert_bstr(rt_claim(c, 10), want, 32);
	sha256("rmmemu", 6, want);
	rt_assert_bstr(rt_claim(c, 2396), want, 32);
	cose_key_of(cpak, key);
	want[0] = 0x01;
	sha256(key, sizeof(key), want + 1);
	rt_assert_bstr(rt_claim(c, 256), want, 33);
	rt_assert_bstr(rt_claim(c, 2401), (const uint8_t[]){ 0, 0, 0, 0 }, 4);
	/* The "secured" lifecycle state, encoded as uint 0x3000. */
	assert_true(cbor_isa_uint(lc));
	assert_int_equal(cbor_get_int(lc), 0x3000);
	rt_assert_tstr(rt_claim(c, 2402), "sha-256");
	rt_assert_tstr(rt_claim(c, 2400),
		       "https://veraison.example/.well-known/veraison/verification");
	assert_true(cbor_isa_array(sw));
	assert_int_equal(cbor_array_size(sw), 1);
	comp = cbor_array_get(sw, 0);
	assert_int_equal(cbor_map_size(comp), 5);
	rt_assert_tstr(rt_claim(comp, 1), "rmmemu");
	sha256_file("/proc/self/exe", exe);
	rt_assert_bstr(rt_claim(comp, 2), exe, 32);
	rt_assert_tstr(rt_claim(comp, 4), PACKAGE_VERSION);
	rt_assert_bstr(rt_claim(comp, 5), want + 1, 32);
	rt_assert_tstr(rt_claim(comp, 6), "sha-256");
	cbor_decref(&comp);
}

static void test_platform_token(void **state)
{
	EVP_PKEY *cpak = platform_key_generate(), *rak = platform_key_generate();
	struct platform *p;
	const uint8_t *tok;
	cbor_item_t *claims;
	char why[256];
	size_t len, plen;

	(void)state;
	assert_int_equal(platform_new(cpak, rak, &p, why, sizeof(why)), 0);
	assert_ptr_equal(platform_cpak(p), cpak);
	assert_ptr_equal(platform_rak(p), rak);
	tok = platform_token(p, &len);
	/* spec: D2 84 44 A1 01 38 22 A0 59 <len> <payload> 58 60 <sig>
	 * (attestation.md 2, 3): 11 + payload + 98 bytes, the payload a map
	 * of 9 (A9). */
	assert_memory_equal(tok, ((const uint8_t[]){ 0xD2, 0x84, 0x44, 0xA1, 0x01, 0x38,
						     0x22, 0xA0, 0x59 }), 9);
	plen = (size_t)tok[9] << 8 | tok[10];
	assert_int_equal(len, 11 + plen + 2 + 96);
	assert_int_equal(tok[11], 0xA9);
	assert_int_equal(tok[11 + plen], 0x58);
	assert_int_equal(tok[12 + plen], 0x60);
	assert_true(len <= ATTEST_PLATFORM_TOKEN_MAX);
	claims = rt_sign1_claims(tok, len, cpak);
	check_platform_claims(claims, cpak, rak);
	cbor_decref(&claims);
	/* Signed by the CPAK, not by the RAK. */
	assert_int_not_equal(EVP_PKEY_eq(cpak, rak), 1);
	platform_free(p);
	EVP_PKEY_free(cpak);
	EVP_PKEY_free(rak);
}

static void test_platform_bad_keys(void **state)
{
	EVP_PKEY *good = platform_key_generate();
	EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct platform *p = NULL;
	char why[256];

	(void)state;
	assert_int_equal(platform_new(p256, good, &p, why, sizeof(why)), -EINVAL);
	assert_int_equal(platform_new(good, p256, &p, why, sizeof(why)), -EINVAL);
	assert_null(p);
	EVP_PKEY_free(good);
	EVP_PKEY_free(p256);
}

/* ---- a realm's token under the platform --------------------------------------- */

static void test_end_to_end(void **state)
{
	struct tp *t = *state;
	struct platform_opts o = { .state_dir = t->state };
	struct realm_token *rt = malloc(sizeof(*rt));
	struct harness *h = h_new(NULL);
	uint8_t challenge[CCA_CHALLENGE_SIZE];
	struct platform *p;
	size_t ptok_len;

	assert_non_null(rt);
	if (platform_open(&o, &p, t->why, sizeof(t->why)) != 0)
		fail_msg("%s", t->why);
	assert_int_equal(platform_attach(p, h->rmm), 0);
	assert_int_equal(platform_attach(p, h->rmm), -EBUSY);
	platform_token(p, &ptok_len);
	for (unsigned int i = 0; i < CCA_CHALLENGE_SIZE; i++)
		challenge[i] = (uint8_t)(0xFF - i);
	realm_token_make(h, RMI_HASH_SHA_256, challenge, rt);
	realm_token_check(rt, platform_cpak(p));
	/* 4 + 3 + 3 + platform + 3 + 3 + 590 (attestation.md 5). */
	assert_int_equal(rt->len, 16 + ptok_len + 590);
	realm_token_make(h, RMI_HASH_SHA_512, challenge, rt);
	realm_token_check(rt, platform_cpak(p));
	assert_int_equal(rt->len, 16 + ptok_len + 750);
	h_free(h);
	platform_free(p);
	free(rt);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, tp_setup, tp_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_state_dir),
		T(test_keys_created_and_reused),
		T(test_one_key_missing),
		T(test_keys_given),
		T(test_bad_key_files),
		T(test_state_not_private),
		cmocka_unit_test(test_platform_token),
		cmocka_unit_test(test_platform_bad_keys),
		T(test_end_to_end),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
