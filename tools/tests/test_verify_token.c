/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The attestation token verifier (tools/verify-token.c): the strict CBOR
 * rules on small items; the reference RMM's tokens (tools/tests/tokens/)
 * accepted, and rejected with any byte changed, cut short or followed by
 * more; and tokens built here, signed with keys made here, each with one
 * thing wrong that only one rule catches (an indefinite length, a repeated
 * claim, a wrong size, a DER signature, a challenge not bound to the key...),
 * so that each rule is seen to work on its own. Then the printed output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "tools/verify-token.h"

/* --- CBOR writer: heads in shortest form unless asked otherwise ------------------ */

struct buf {
	uint8_t b[8192];
	size_t n;
};

static void put_raw(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	if (n != 0)
		memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put_byte(struct buf *b, uint8_t v)
{
	put_raw(b, &v, 1);
}

/* width: bytes of argument (1, 2, 4, 8), or 0 for the shortest form. */
static void put_head_width(struct buf *b, unsigned major, uint64_t arg, unsigned width)
{
	unsigned ai, i;

	if (width == 0) {
		width = arg < 24 ? 0 : arg <= 0xff ? 1 : arg <= 0xffff ? 2 :
			arg <= 0xffffffffu ? 4 : 8;
	}
	if (width == 0) {
		put_byte(b, (uint8_t)(major << 5 | arg));
		return;
	}
	ai = width == 1 ? 24 : width == 2 ? 25 : width == 4 ? 26 : 27;
	put_byte(b, (uint8_t)(major << 5 | ai));
	for (i = width; i-- > 0;)
		put_byte(b, (uint8_t)(arg >> (8 * i)));
}

static void put_head(struct buf *b, unsigned major, uint64_t arg)
{
	put_head_width(b, major, arg, 0);
}

static void put_int(struct buf *b, int64_t v)
{
	if (v >= 0)
		put_head(b, 0, (uint64_t)v);
	else
		put_head(b, 1, (uint64_t)(-1 - v));
}

static void put_bstr(struct buf *b, const void *p, size_t n)
{
	put_head(b, 2, n);
	put_raw(b, p, n);
}

static void put_tstr(struct buf *b, const char *s)
{
	put_head(b, 3, strlen(s));
	put_raw(b, s, strlen(s));
}

/* --- keys and signatures ----------------------------------------------------------- */

static EVP_PKEY *rak, *cpak, *p256_key;

static int make_keys(void **state)
{
	(void)state;
	rak = EVP_EC_gen("P-384");
	cpak = EVP_EC_gen("P-384");
	p256_key = EVP_EC_gen("P-256");
	return rak != NULL && cpak != NULL && p256_key != NULL ? 0 : -1;
}

static int free_keys(void **state)
{
	(void)state;
	EVP_PKEY_free(rak);
	EVP_PKEY_free(cpak);
	EVP_PKEY_free(p256_key);
	return 0;
}

/* 0x04 || x || y of a P-384 key. */
static void public_point(EVP_PKEY *key, uint8_t point[97])
{
	size_t len = 0;

	assert_int_equal(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY,
							 point, 97, &len), 1);
	assert_int_equal(len, 97);
	assert_int_equal(point[0], 0x04);
}

/* ECDSA over tbs: DER into der (when not NULL) and raw r || s into raw. */
static size_t sign(EVP_PKEY *key, const char *md, size_t coord, const struct buf *tbs,
		   uint8_t *raw, uint8_t *der)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sigbuf[256];
	const unsigned char *p = sigbuf;
	size_t len = sizeof(sigbuf);
	const BIGNUM *r, *s;
	ECDSA_SIG *sig;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, key, NULL), 1);
	assert_int_equal(EVP_DigestSign(ctx, sigbuf, &len, tbs->b, tbs->n), 1);
	EVP_MD_CTX_free(ctx);
	if (der != NULL)
		memcpy(der, sigbuf, len);
	sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	assert_non_null(sig);
	ECDSA_SIG_get0(sig, &r, &s);
	assert_int_equal(BN_bn2binpad(r, raw, (int)coord), (int)coord);
	assert_int_equal(BN_bn2binpad(s, raw + coord, (int)coord), (int)coord);
	ECDSA_SIG_free(sig);
	return len;
}

/* --- token builder ------------------------------------------------------------------- */

enum sig_kind { SIG_RAW, SIG_DER, SIG_OF_OTHER_PAYLOAD };

/* What the built token has; defaults() is a token that verifies. */
struct spec {
	/* realm claims */
	const char *hash_algo;
	const char *rak_hash_algo;
	const char *profile;		/* NULL: no profile claim */
	size_t challenge_len, rpv_len, rim_len, rem_count;
	bool raw_rak;			/* the legacy raw point */
	bool challenge_as_text;
	bool repeat_rim, omit_rim, extra_claim;
	bool indefinite_rpv;		/* 0x5f chunks 0xff */
	bool long_challenge_head;	/* 0x59 0x00 0x40 */
	int64_t realm_alg;
	enum sig_kind realm_sig;
	bool unprotected_kid;
	/* COSE_Key */
	int64_t crv;
	size_t x_len;
	bool key_extra_param, key_off_curve;
	/* platform claims */
	const char *platform_profile;
	bool platform_challenge_of_other;
	const char *service;		/* verification service; NULL: none */
	unsigned unknown_platform_claims;	/* entries of key 3000 */
	/* outer */
	uint64_t tag;
	bool realm_first, extra_entry, repeat_entry;
};

static struct spec defaults(void)
{
	return (struct spec){
		.hash_algo = "sha-256",
		.rak_hash_algo = "sha-256",
		.profile = "tag:arm.com,2023:realm#1.0.0",
		.challenge_len = 64,
		.rpv_len = 64,
		.rim_len = 32,
		.rem_count = 4,
		.realm_alg = -35,
		.crv = 2,
		.x_len = 48,
		.platform_profile = "tag:arm.com,2023:cca_platform#1.0.0",
		.tag = 399,
	};
}

static const uint8_t pattern[128] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
	0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
	0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26,
	0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
	0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
};

/* The RAK claim's bytes: a COSE_Key (or the raw point). */
static void build_rak_claim(const struct spec *s, struct buf *out)
{
	uint8_t point[97];

	public_point(rak, point);
	if (s->key_off_curve)
		point[96] ^= 1;
	if (s->raw_rak) {
		put_raw(out, point, sizeof(point));
		return;
	}
	put_head(out, 5, s->key_extra_param ? 5 : 4);
	put_int(out, 1);
	put_int(out, 2);
	put_int(out, -1);
	put_int(out, s->crv);
	put_int(out, -2);
	put_bstr(out, point + 1 + (48 - s->x_len), s->x_len);
	put_int(out, -3);
	put_bstr(out, point + 49, 48);
	if (s->key_extra_param) {
		put_int(out, 2);	/* kid */
		put_bstr(out, "k", 1);
	}
}

static void build_realm_payload(const struct spec *s, const struct buf *rak_claim,
				struct buf *out)
{
	size_t n = 8 - (s->profile == NULL) - s->omit_rim + s->repeat_rim + s->extra_claim;
	size_t i;

	put_head(out, 5, n);
	put_int(out, 10);
	if (s->challenge_as_text) {
		put_tstr(out, "0123456789012345678901234567890123456789012345678901234567890123");
	} else {
		put_head_width(out, 2, s->challenge_len, s->long_challenge_head ? 2 : 0);
		put_raw(out, pattern, s->challenge_len);
	}
	put_int(out, 44235);
	if (s->indefinite_rpv) {
		put_byte(out, 0x5f);
		put_bstr(out, pattern, 32);
		put_bstr(out, pattern + 32, s->rpv_len - 32);
		put_byte(out, 0xff);
	} else {
		put_bstr(out, pattern, s->rpv_len);
	}
	put_int(out, 44237);
	put_bstr(out, rak_claim->b, rak_claim->n);
	put_int(out, 44236);
	put_tstr(out, s->hash_algo);
	put_int(out, 44240);
	put_tstr(out, s->rak_hash_algo);
	if (s->profile != NULL) {
		put_int(out, 265);
		put_tstr(out, s->profile);
	}
	if (!s->omit_rim) {
		put_int(out, 44238);
		put_bstr(out, pattern, s->rim_len);
	}
	if (s->repeat_rim) {
		put_int(out, 44238);
		put_bstr(out, pattern, s->rim_len);
	}
	if (s->extra_claim) {
		put_int(out, 44299);
		put_int(out, 1);
	}
	put_int(out, 44239);
	put_head(out, 4, s->rem_count);
	for (i = 0; i < s->rem_count; i++)
		put_bstr(out, pattern + i, s->rim_len);
}

/* H(RAK claim), or of something else, as the platform challenge. */
static size_t binding_challenge(const struct spec *s, const struct buf *rak_claim,
				uint8_t *md)
{
	const char *name = strcmp(s->rak_hash_algo, "sha-512") == 0 ? "SHA512" :
			   strcmp(s->rak_hash_algo, "sha-384") == 0 ? "SHA384" : "SHA256";
	size_t len = 0;

	assert_int_equal(EVP_Q_digest(NULL, name, NULL, rak_claim->b,
				      rak_claim->n - s->platform_challenge_of_other, md, &len), 1);
	return len;
}

static void build_platform_payload(const struct spec *s, const struct buf *rak_claim,
				   struct buf *out)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t md_len = binding_challenge(s, rak_claim, md);
	unsigned i;

	put_head(out, 5, 5 + (s->service != NULL) + s->unknown_platform_claims);
	put_int(out, 265);
	put_tstr(out, s->platform_profile);
	put_int(out, 10);
	put_bstr(out, md, md_len);
	put_int(out, 2395);
	put_int(out, 0x3003);
	put_int(out, 2401);
	put_bstr(out, "\xcf\xcf", 2);
	put_int(out, 2399);
	put_head(out, 4, 1);
	put_head(out, 5, 3);
	put_int(out, 1);
	put_tstr(out, "RMM");
	put_int(out, 2);
	put_bstr(out, pattern, 32);
	put_int(out, 5);
	put_bstr(out, pattern + 1, 32);
	if (s->service != NULL) {
		put_int(out, 2400);
		put_tstr(out, s->service);
	}
	for (i = 0; i < s->unknown_platform_claims; i++) {
		put_int(out, 3000);
		put_head(out, 4, 2);
		put_int(out, 1);
		put_tstr(out, "x");
	}
}

static void build_sig_structure(const struct buf *prot, const struct buf *payload,
				struct buf *tbs)
{
	put_head(tbs, 4, 4);
	put_tstr(tbs, "Signature1");
	put_bstr(tbs, prot->b, prot->n);
	put_bstr(tbs, "", 0);
	put_bstr(tbs, payload->b, payload->n);
}

/* COSE_Sign1 with {1: alg}; coord 48 for ES384, 32 for ES256. */
static void build_sign1(const struct spec *s, EVP_PKEY *key, int64_t alg,
			const struct buf *payload, enum sig_kind kind, struct buf *out)
{
	struct buf prot = { .n = 0 }, tbs = { .n = 0 }, other = *payload;
	size_t coord = alg == -7 ? 32 : 48, der_len;
	uint8_t raw[96], der[128];

	put_head(&prot, 5, 1);
	put_int(&prot, 1);
	put_int(&prot, alg);
	if (kind == SIG_OF_OTHER_PAYLOAD)
		other.b[other.n - 1] ^= 1;
	build_sig_structure(&prot, &other, &tbs);
	der_len = sign(key, coord == 32 ? "SHA256" : "SHA384", coord, &tbs, raw, der);
	put_byte(out, 0xd2);
	put_head(out, 4, 4);
	put_bstr(out, prot.b, prot.n);
	if (s->unprotected_kid) {
		put_head(out, 5, 1);
		put_int(out, 4);
		put_bstr(out, "kid", 3);
	} else {
		put_head(out, 5, 0);
	}
	put_bstr(out, payload->b, payload->n);
	if (kind == SIG_DER)
		put_bstr(out, der, der_len);
	else
		put_bstr(out, raw, 2 * coord);
}

static void build_token(const struct spec *s, struct buf *out)
{
	struct buf rak_claim = { .n = 0 }, realm_payload = { .n = 0 }, realm = { .n = 0 };
	struct buf platform_payload = { .n = 0 }, platform = { .n = 0 };

	build_rak_claim(s, &rak_claim);
	build_realm_payload(s, &rak_claim, &realm_payload);
	build_sign1(s, s->realm_alg == -7 ? p256_key : rak, s->realm_alg, &realm_payload,
		    s->realm_sig, &realm);
	build_platform_payload(s, &rak_claim, &platform_payload);
	build_sign1(s, cpak, -35, &platform_payload, SIG_RAW, &platform);

	put_head(out, 6, s->tag);
	put_head(out, 5, 2 + s->extra_entry + s->repeat_entry);
	if (!s->realm_first) {
		put_int(out, 44234);
		put_bstr(out, platform.b, platform.n);
	}
	put_int(out, 44241);
	put_bstr(out, realm.b, realm.n);
	if (s->realm_first) {
		put_int(out, 44234);
		put_bstr(out, platform.b, platform.n);
	}
	if (s->repeat_entry) {
		put_int(out, 44241);
		put_bstr(out, realm.b, realm.n);
	}
	if (s->extra_entry) {
		put_int(out, 44242);
		put_bstr(out, "", 0);
	}
}

/* --- verdicts ------------------------------------------------------------------------ */

static struct token *verify_spec(const struct spec *s, bool legacy, EVP_PKEY *key)
{
	struct token_options opts = { .legacy = legacy, .platform_key = key };
	struct buf b = { .n = 0 };
	struct token *t;

	build_token(s, &b);
	t = token_verify(b.b, b.n, &opts);
	assert_non_null(t);
	return t;
}

/* The token fails exactly the check named, with want in the message. */
static void assert_fails(const struct spec *s, bool legacy, enum token_check check,
			 const char *want)
{
	struct token *t = verify_spec(s, legacy, cpak);

	if (token_verified(t) || token_failed_check(t) != check ||
	    strstr(t->error, want) == NULL)
		fail_msg("want %s failing with '%s', got %s: '%s'", token_check_name(check),
			 want, token_check_name(token_failed_check(t)), t->error);
	token_free(t);
}

static void assert_verifies(const struct spec *s, bool legacy)
{
	struct token *t = verify_spec(s, legacy, cpak);

	if (!token_verified(t))
		fail_msg("want verified, got %s: '%s'", token_check_name(token_failed_check(t)),
			 t->error);
	assert_int_equal(t->checks[TOKEN_CHECK_PLATFORM_SIGNATURE], TOKEN_CHECK_PASSED);
	token_free(t);
}

/* --- strict CBOR ------------------------------------------------------------------------ */

static int check_hex(const char *hex, const char **why)
{
	uint8_t b[64];
	size_t n = 0;
	unsigned v;

	while (hex[0] != '\0' && hex[1] != '\0' && sscanf(hex, "%2x", &v) == 1) {
		b[n++] = (uint8_t)v;
		hex += 2;
	}
	*why = "";
	return token_cbor_check(n == 0 ? NULL : b, n, why);
}

static void assert_cbor_rejected(const char *hex, const char *want)
{
	const char *why;

	if (check_hex(hex, &why) == 0 || strstr(why, want) == NULL)
		fail_msg("%s: want '%s', got '%s'", hex, want, why);
}

static void test_cbor_strict_accepts(void **state)
{
	static const char *const good[] = {
		"00", "17", "1818", "190100", "1a00010000", "1b0000000100000000", "20",
		"3818", "40", "4101", "60", "6161", "62c3a9", "80", "820102", "a0",
		"a10102", "d9018fa0", "d28440a04040", "f4", "f5", "f6", "f7",
	};
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (check_hex(good[i], &why) != 0)
			fail_msg("%s rejected: %s", good[i], why);
	}
}

static void test_cbor_strict_rejects(void **state)
{
	(void)state;
	assert_cbor_rejected("", "truncated");
	assert_cbor_rejected("18", "truncated");
	assert_cbor_rejected("4201", "truncated");
	assert_cbor_rejected("8201", "truncated");
	assert_cbor_rejected("a2010203", "truncated");
	assert_cbor_rejected("9affffffff", "truncated");	/* no huge allocation */
	assert_cbor_rejected("0000", "trailing bytes");
	assert_cbor_rejected("5f4101ff", "indefinite length");
	assert_cbor_rejected("9f01ff", "indefinite length");
	assert_cbor_rejected("bf0102ff", "indefinite length");
	assert_cbor_rejected("1817", "shortest form");
	assert_cbor_rejected("190017", "shortest form");
	assert_cbor_rejected("1a0000ffff", "shortest form");
	assert_cbor_rejected("1b00000000ffffffff", "shortest form");
	assert_cbor_rejected("5801ff", "shortest form");
	assert_cbor_rejected("d81201", "shortest form");
	assert_cbor_rejected("1c", "reserved");
	assert_cbor_rejected("f93c00", "floating-point");
	assert_cbor_rejected("f820", "floating-point");
	assert_cbor_rejected("e0", "simple value");
	assert_cbor_rejected("62c328", "UTF-8");	/* bad continuation */
	assert_cbor_rejected("62c0af", "UTF-8");	/* overlong */
	assert_cbor_rejected("63eda080", "UTF-8");	/* surrogate */
	assert_cbor_rejected("8181818181818181818181818181818181818100", "too deeply");
}

/* --- the reference RMM's tokens ---------------------------------------------------------- */

struct file {
	uint8_t *p;
	size_t len;
};

static struct file read_reference(const char *name)
{
	const char *top = getenv("top_srcdir");
	char path[512];
	struct file f = { .p = malloc(1 << 16) };
	FILE *in;

	snprintf(path, sizeof(path), "%s/tools/tests/tokens/%s", top != NULL ? top : ".", name);
	in = fopen(path, "rb");
	if (in == NULL)
		fail_msg("cannot open %s", path);
	assert_non_null(f.p);
	f.len = fread(f.p, 1, 1 << 16, in);
	fclose(in);
	return f;
}

static EVP_PKEY *reference_cpak(void)
{
	const char *top = getenv("top_srcdir");
	char path[512], msg[256];
	EVP_PKEY *key;

	snprintf(path, sizeof(path), "%s/tools/tests/tokens/tfrmm-platform-cpak.pem",
		 top != NULL ? top : ".");
	key = token_read_public_key(path, msg, sizeof(msg));
	if (key == NULL)
		fail_msg("%s", msg);
	return key;
}

static struct token *verify_bytes(const uint8_t *p, size_t len, bool legacy, EVP_PKEY *key)
{
	struct token_options opts = { .legacy = legacy, .platform_key = key };
	struct token *t = token_verify(p, len, &opts);

	assert_non_null(t);
	return t;
}

static void test_reference_tokens(void **state)
{
	static const uint8_t rim256[4] = { 0xe9, 0xdc, 0x1b, 0x4b };
	static const uint8_t rem512_3[4] = { 0x2e, 0x46, 0x24, 0x79 };
	struct file f256 = read_reference("tfrmm-sha256.cbor");
	struct file f512 = read_reference("tfrmm-sha512.cbor");
	EVP_PKEY *key = reference_cpak();
	struct token *t;

	(void)state;
	t = verify_bytes(f256.p, f256.len, false, key);
	assert_true(token_verified(t));
	assert_int_equal(t->realm.challenge.len, 64);
	assert_memory_equal(t->realm.challenge.p, pattern, 64);
	assert_int_equal(t->realm.initial_measurement.len, 32);
	assert_memory_equal(t->realm.initial_measurement.p, rim256, 4);
	assert_int_equal(t->realm.public_key.len, 107);
	assert_int_equal(t->platform.lifecycle.value, 0x3003);
	assert_int_equal(t->platform.sw_components.n, 13);
	assert_false(t->realm.legacy);
	token_free(t);

	t = verify_bytes(f512.p, f512.len, false, key);
	assert_true(token_verified(t));
	assert_int_equal(t->realm.extensible_measurements[3].len, 64);
	assert_memory_equal(t->realm.extensible_measurements[3].p, rem512_3, 4);
	token_free(t);

	/* Without the platform key: verified, the platform signature skipped. */
	t = verify_bytes(f256.p, f256.len, false, NULL);
	assert_true(token_verified(t));
	assert_int_equal(t->checks[TOKEN_CHECK_PLATFORM_SIGNATURE], TOKEN_CHECK_SKIPPED);
	token_free(t);
	EVP_PKEY_free(key);
	free(f256.p);
	free(f512.p);
}

static void test_reference_legacy_token(void **state)
{
	struct file f = read_reference("veraison-tfrmm-legacy.cbor");
	EVP_PKEY *key = reference_cpak();
	struct token *t;

	(void)state;
	t = verify_bytes(f.p, f.len, false, key);
	assert_int_equal(token_failed_check(t), TOKEN_CHECK_FORMAT);
	assert_non_null(strstr(t->error, "--legacy"));
	token_free(t);
	t = verify_bytes(f.p, f.len, true, key);
	assert_true(token_verified(t));
	assert_true(t->realm.legacy);
	assert_int_equal(t->realm.public_key.len, 97);
	assert_false(t->realm.profile.present);
	token_free(t);
	EVP_PKEY_free(key);
	free(f.p);
}

/* Every byte of the token, changed, makes it fail (with the platform key). */
static void test_reference_every_byte_changed(void **state)
{
	struct file f = read_reference("tfrmm-sha256.cbor");
	EVP_PKEY *key = reference_cpak();
	unsigned counts[TOKEN_CHECKS + 1] = { 0 };
	struct token *t;
	size_t i;

	(void)state;
	for (i = 0; i < f.len; i++) {
		f.p[i] ^= (i & 1) ? 0x80 : 0x01;
		t = verify_bytes(f.p, f.len, false, key);
		if (token_verified(t))
			fail_msg("verified with byte %zu changed", i);
		counts[token_failed_check(t)]++;
		token_free(t);
		f.p[i] ^= (i & 1) ? 0x80 : 0x01;
	}
	/* Each signature check caught some of them, not the format alone. */
	assert_true(counts[TOKEN_CHECK_REALM_SIGNATURE] > 0);
	assert_true(counts[TOKEN_CHECK_PLATFORM_SIGNATURE] > 0);
	assert_true(counts[TOKEN_CHECK_FORMAT] > 0);
	EVP_PKEY_free(key);
	free(f.p);
}

static void test_reference_cut_or_extended(void **state)
{
	struct file f = read_reference("tfrmm-sha512.cbor");
	EVP_PKEY *key = reference_cpak();
	struct token *t;
	size_t len;

	(void)state;
	for (len = 0; len < f.len; len++) {
		t = verify_bytes(len == 0 ? NULL : f.p, len, false, key);
		if (token_failed_check(t) != TOKEN_CHECK_FORMAT)
			fail_msg("cut to %zu bytes: %s", len, t->error);
		token_free(t);
	}
	for (len = f.len + 1; len < f.len + 8; len++) {
		f.p[len - 1] = 0;	/* 6.2: the realm's buffer after the token */
		t = verify_bytes(f.p, len, false, key);
		assert_int_equal(token_failed_check(t), TOKEN_CHECK_FORMAT);
		assert_non_null(strstr(t->error, "trailing bytes"));
		token_free(t);
	}
	EVP_PKEY_free(key);
	free(f.p);
}

static void test_reference_wrong_platform_key(void **state)
{
	struct file f = read_reference("tfrmm-sha256.cbor");
	struct token *t;

	(void)state;
	t = verify_bytes(f.p, f.len, false, cpak);
	assert_int_equal(token_failed_check(t), TOKEN_CHECK_PLATFORM_SIGNATURE);
	assert_non_null(strstr(t->error, "does not verify"));
	token_free(t);
	t = verify_bytes(f.p, f.len, false, p256_key);
	assert_int_equal(token_failed_check(t), TOKEN_CHECK_PLATFORM_SIGNATURE);
	assert_non_null(strstr(t->error, "secp384r1"));
	token_free(t);
	free(f.p);
}

/* --- built tokens: one fault each ------------------------------------------------------ */

static void test_built_token_verifies(void **state)
{
	struct spec s = defaults();

	(void)state;
	assert_verifies(&s, false);
	s.hash_algo = "sha-512";
	s.rim_len = 64;
	assert_verifies(&s, false);
	s.rak_hash_algo = "sha-512";	/* a 64-byte platform challenge */
	assert_verifies(&s, false);
	s = defaults();
	s.realm_first = true;		/* the entries in either order */
	assert_verifies(&s, false);
	s = defaults();
	s.unprotected_kid = true;	/* unprotected headers are not signed */
	assert_verifies(&s, false);
	s = defaults();
	s.unknown_platform_claims = 1;	/* tolerated, shown as CBOR */
	assert_verifies(&s, false);
}

static void test_built_outer_faults(void **state)
{
	struct spec s = defaults();

	(void)state;
	s.tag = 907;			/* the RMM 2.0 collection (6.3) */
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "tag 399");
	s = defaults();
	s.extra_entry = true;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "map of 2");
	s = defaults();
	s.repeat_entry = true;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "map of 2");
}

static void test_built_encoding_faults(void **state)
{
	struct spec s = defaults();

	(void)state;
	s.indefinite_rpv = true;	/* signed as it is: only the strict rule sees it */
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "realm claims: indefinite length");
	s = defaults();
	s.long_challenge_head = true;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "realm claims: head not in shortest form");
}

static void test_built_claim_faults(void **state)
{
	struct spec s = defaults();

	(void)state;
	s.repeat_rim = true;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "claim 44238 twice");
	s = defaults();
	s.unknown_platform_claims = 2;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "platform: claim 3000 twice");
	s = defaults();
	s.omit_rim = true;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "no claim 44238");
	s = defaults();
	s.extra_claim = true;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "unexpected claim 44299");
	s = defaults();
	s.challenge_as_text = true;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "claim 10 (challenge): want a byte string");
	s = defaults();
	s.challenge_len = 32;		/* 6.5: always 64 bytes */
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "10 (challenge): 32 bytes, want 64");
	s = defaults();
	s.rpv_len = 63;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "personalization-value): 63 bytes");
	s = defaults();
	s.rim_len = 64;			/* 6.11: digest-sized, not the 64-byte slot */
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "initial-measurement): 64 bytes, want 32");
	s = defaults();
	s.rem_count = 3;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "want an array of 4");
	s = defaults();
	s.hash_algo = "sha-1";
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "44236 (hash-algo-id)");
	s = defaults();
	s.rak_hash_algo = "SHA256";	/* 6.10: IANA names only */
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "44240 (public-key-hash-algo-id)");
	s = defaults();
	s.profile = "tag:arm.com,2023:realm#2.0.0";
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "claim 265 (profile)");
}

static void test_built_key_faults(void **state)
{
	struct spec s = defaults();

	(void)state;
	s.crv = 1;			/* P-256 */
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "crv 2 (P-384)");
	s = defaults();
	s.x_len = 47;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "x and y of 48 bytes");
	s = defaults();
	s.key_extra_param = true;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "map of 4 entries");
	s = defaults();
	s.key_off_curve = true;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "not a point on P-384");
}

static void test_built_signature_faults(void **state)
{
	struct spec s = defaults();

	(void)state;
	s.realm_sig = SIG_DER;		/* 6.6: raw r || s only */
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "(raw r||s)");
	s = defaults();
	s.realm_sig = SIG_OF_OTHER_PAYLOAD;
	assert_fails(&s, false, TOKEN_CHECK_REALM_SIGNATURE, "does not verify");
	s = defaults();
	s.realm_alg = -7;		/* the realm token is ES384 (2.3) */
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "want -35 (ES384)");
}

static void test_built_binding_fault(void **state)
{
	struct spec s = defaults();

	(void)state;
	/* Both signatures good, the platform challenge not H(RAK claim). */
	s.platform_challenge_of_other = true;
	assert_fails(&s, false, TOKEN_CHECK_BINDING, "is not the sha-256 of the realm public key");
}

static void test_built_legacy(void **state)
{
	struct spec s = defaults();
	struct token *t;

	(void)state;
	s.profile = NULL;
	s.raw_rak = true;
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "accepted only with --legacy");
	assert_verifies(&s, true);
	/* A COSE_Key without the profile claim is neither form. */
	s.raw_rak = false;
	assert_fails(&s, true, TOKEN_CHECK_FORMAT, "uncompressed P-384 point (legacy form)");
	s = defaults();
	s.platform_profile = "http://arm.com/CCA-SSD/1.0.0";
	assert_fails(&s, false, TOKEN_CHECK_FORMAT, "legacy profile, accepted only with --legacy");
	t = verify_spec(&s, true, cpak);
	assert_true(token_verified(t));
	token_free(t);
}

/* What the platform signature alone protects: unnoticed without the key. */
static void test_built_platform_unchecked(void **state)
{
	struct spec s = defaults();
	struct token *t;

	(void)state;
	s.platform_challenge_of_other = false;
	t = verify_spec(&s, false, NULL);
	assert_true(token_verified(t));
	assert_int_equal(t->checks[TOKEN_CHECK_PLATFORM_SIGNATURE], TOKEN_CHECK_SKIPPED);
	token_free(t);
	/* Signed by another key than the one given. */
	t = verify_spec(&s, false, rak);
	assert_int_equal(token_failed_check(t), TOKEN_CHECK_PLATFORM_SIGNATURE);
	token_free(t);
}

/* --- output -------------------------------------------------------------------------- */

static char *print(const struct token *t, bool json)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	assert_non_null(out);
	assert_int_equal(json ? token_print_json(out, t) : token_print_text(out, t), 0);
	fclose(out);
	return text;
}

static void test_output(void **state)
{
	struct spec s = defaults();
	struct token *t;
	char *text;

	(void)state;
	s.service = "a \"b\"\\\n\x01";
	s.unknown_platform_claims = 1;
	t = verify_spec(&s, false, NULL);
	assert_true(token_verified(t));
	text = print(t, false);
	assert_non_null(strstr(text, "check format ok\ncheck realm-signature ok\n"
				     "check binding ok\ncheck platform-signature NOT CHECKED"));
	assert_non_null(strstr(text, "\nrealm.challenge 000102030405"));
	assert_non_null(strstr(text, "\nrealm.extensible-measurements[3] 030405"));
	assert_non_null(strstr(text, "\nplatform.lifecycle 0x3003\n"));
	assert_non_null(strstr(text, "\nplatform.sw-components[0].type RMM\n"));
	/* One claim a line: control bytes and '\' escaped. */
	assert_non_null(strstr(text, "\nplatform.verification-service a \"b\"\\x5c\\x0a\\x01\n"));
	assert_non_null(strstr(text, "\nplatform.claim-3000 cbor:82016178\n"));
	free(text);
	text = print(t, true);
	assert_non_null(strstr(text, "\"verified\": true"));
	assert_non_null(strstr(text, "\"platform-signature\": \"not checked\""));
	assert_non_null(strstr(text, "\"verification-service\": \"a \\\"b\\\"\\\\\\u000a\\u0001\""));
	assert_non_null(strstr(text, "\"lifecycle\": 12291"));
	assert_non_null(strstr(text, "\"claim-3000\": \"cbor:82016178\""));
	free(text);
	token_free(t);

	/* A failed token: the checks made, the reason, no claims. */
	s = defaults();
	s.realm_sig = SIG_OF_OTHER_PAYLOAD;
	t = verify_spec(&s, false, cpak);
	text = print(t, false);
	assert_non_null(strstr(text, "check format ok\ncheck realm-signature FAILED: realm token:"));
	assert_null(strstr(text, "realm.challenge"));
	assert_null(strstr(text, "check binding"));
	free(text);
	text = print(t, true);
	assert_non_null(strstr(text, "\"verified\": false"));
	assert_non_null(strstr(text, "\"realm-signature\": \"failed\""));
	assert_non_null(strstr(text, "\"binding\": \"not run\""));
	assert_null(strstr(text, "\"realm\""));
	free(text);
	token_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cbor_strict_accepts),
		cmocka_unit_test(test_cbor_strict_rejects),
		cmocka_unit_test(test_reference_tokens),
		cmocka_unit_test(test_reference_legacy_token),
		cmocka_unit_test(test_reference_every_byte_changed),
		cmocka_unit_test(test_reference_cut_or_extended),
		cmocka_unit_test(test_reference_wrong_platform_key),
		cmocka_unit_test(test_built_token_verifies),
		cmocka_unit_test(test_built_outer_faults),
		cmocka_unit_test(test_built_encoding_faults),
		cmocka_unit_test(test_built_claim_faults),
		cmocka_unit_test(test_built_key_faults),
		cmocka_unit_test(test_built_signature_faults),
		cmocka_unit_test(test_built_binding_fault),
		cmocka_unit_test(test_built_legacy),
		cmocka_unit_test(test_built_platform_unchecked),
		cmocka_unit_test(test_output),
	};

	return cmocka_run_group_tests(tests, make_keys, free_keys);
}
