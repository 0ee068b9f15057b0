/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attestation in the core (attestation.md; rsi-1.0.md 6): the CBOR heads,
 * the COSE_Key of the RAK, rmm_set_attestation(), the realm token and the
 * CCA token byte for byte against attestation.md 5 (all but signature, key
 * and measurement contents), the ES384 signature checked with OpenSSL over a
 * Sig_structure rebuilt here, and RSI_ATTESTATION_TOKEN_INIT / CONTINUE made
 * by a realm through REC_ENTER with the scripted executor: every CONTINUE
 * failure condition in order, partial copies, tokens over several granules,
 * a new INIT abandoning a token, tokens per REC.
 *
 * The platform token is opaque to the RMM: the tests give it pattern bytes
 * of the reference's size (1518), so the totals are the reference's 2124 and
 * 2284 bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <rmmemu/rsi-1.0.h>

#include "harness.h"
#include "scripted.h"
#include "rmmemu/attest.h"
#include "rmmemu/granule.h"
#include "rmmemu/realm.h"
#include "rmmemu/rec.h"

#define ESR_SMC64	0x5E000000ULL
#define ESR_S2_ABORT(l)	(0x90000000ULL | (0x04ULL + (uint64_t)(l)))
#define REG_PATTERN(i)	(0xA5A5000000000000ULL | (uint64_t)(i) << 8 | (uint64_t)(i))
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define GRANULE		RMI_GRANULE_SIZE

/* The reference's sizes (attestation.md 5). */
#define REF_PLATFORM_LEN	1518
#define REF_REALM_LEN_SHA256	590
#define REF_REALM_LEN_SHA512	750
#define REF_TOTAL_SHA256	2124
#define REF_TOTAL_SHA512	2284

/*
 * The realm (s2sz 40, level-1 root): in the level-3 RTT over [0, 2 MB),
 * four RAM granules the host populated at 0x1000..0x4000 for the token, RAM
 * the host has not populated at 0x5000, DESTROYED at 0x6000, EMPTY from
 * 0x8000 on.
 */
#define NUM_BUFS	4
#define IPA_BUF(i)	(0x1000ULL * (1 + (i)))
#define IPA_UNMAPPED	0x5000ULL
#define IPA_DESTROYED	0x6000ULL
#define IPA_EMPTY	0x8000ULL
#define BUF_FILL	0xE7

struct at {
	struct fx f;
	EVP_PKEY *rak;
	uint8_t platform[ATTEST_PLATFORM_TOKEN_MAX];
	size_t platform_len;
};

static EVP_PKEY *key_new(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	assert_non_null(k);
	return k;
}

/* ---- the realm -------------------------------------------------------------- */

static void data_create_unknown(struct fx *f, uint64_t ipa)
{
	assert_rmi(h_call(f->h, RMI_DATA_CREATE_UNKNOWN, f->r.rd, h_delegated(f->h), ipa,
			  0, 0), RMI_SUCCESS, 0);
}

static void realm_layout(struct fx *f)
{
	struct harness *h = f->h;

	h_rtt_create_to(h, &f->r, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, f->r.rd, IPA_BUF(0), IPA_EMPTY, 0, 0),
		   RMI_SUCCESS, 0);
	for (unsigned int i = 0; i < NUM_BUFS; i++)
		data_create_unknown(f, IPA_BUF(i));
	data_create_unknown(f, IPA_DESTROYED);
	assert_rmi(h_call(h, RMI_DATA_DESTROY, f->r.rd, IPA_DESTROYED, 0, 0, 0),
		   RMI_SUCCESS, 0);
}

static void platform_pattern(struct at *a, size_t len)
{
	a->platform_len = len;
	for (size_t i = 0; i < len; i++)
		a->platform[i] = (uint8_t)(i * 7 + 3);
}

/* An ACTIVE realm with the layout above and RECs 0 (runnable), 1, 2; the
 * instance has a fresh RAK and a platform token of platform_len bytes
 * (none when 0). */
static struct at *at_new(enum rmi_hash_algo algo, size_t platform_len)
{
	struct at *a = calloc(1, sizeof(*a));
	struct fx *f = &a->f;

	assert_non_null(a);
	f->h = h_new(NULL);
	f->num_lrs = (unsigned int)RMI_FIELD_GET(rmm_feature_register0(f->h->rmm),
						 GICV3_NUM_LRS) + 1;
	h_realm_create_at(f->h, &f->r, S2SZ, 1, algo);
	realm_layout(f);
	fx_recs(f);
	assert_rmi(h_call(f->h, RMI_REALM_ACTIVATE, f->r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	for (unsigned int i = 0; i < NUM_BUFS; i++)
		memset(fx_realm_mem(f, IPA_BUF(i)), BUF_FILL, GRANULE);
	f->run = h_alloc(f->h);
	memset(h_ns(f->h, f->run), 0, GRANULE);
	sx_reset(f->h);
	rmm_set_executor(f->h->rmm, &sx_ops, &sx);
	a->rak = key_new("P-384");
	if (platform_len != 0) {
		platform_pattern(a, platform_len);
		assert_int_equal(rmm_set_attestation(f->h->rmm, a->rak, a->platform,
						     a->platform_len), 0);
	}
	return a;
}

static void at_free(struct at *a)
{
	h_free(a->f.h);
	EVP_PKEY_free(a->rak);
	free(a);
}

static int at_setup(void **state)
{
	*state = at_new(RMI_HASH_SHA_256, REF_PLATFORM_LEN);
	return 0;
}

static int at_teardown(void **state)
{
	at_free(*state);
	return 0;
}

/* ---- realm calls ------------------------------------------------------------ */

/* REC i executes SMC #0 with x0..x8 given and x9..x30 = REG_PATTERN; a hook
 * runs while the REC is inside REC_ENTER, before the call is handled. */
static void realm_smc(struct fx *f, unsigned int i, const uint64_t x[9], sx_hook_fn hook)
{
	struct rec *rec = rec_of(f, i);

	for (unsigned int r = 0; r < RMI_REC_GPRS; r++)
		rec->regs.gprs[r] = r < 9 ? x[r] : REG_PATTERN(r);
	sx.nsteps = sx.pos = sx.nruns = 0;
	sx_push(REC_EVENT_SMC, ESR_SMC64, 0, 0, 0)->pc_add = 4;
	sx.steps[0].hook = hook;
}

/* spec: x0..x2 as given, x3 = 0, the rest as the realm left them
 * (rsi-1.0.md 1). */
static void assert_regs(const uint64_t *before, const uint64_t *after,
			uint64_t x0, uint64_t x1)
{
	assert_int_equal(after[0], x0);
	assert_int_equal(after[1], x1);
	assert_int_equal(after[2], 0);
	assert_int_equal(after[3], 0);
	for (unsigned int i = 4; i < RMI_REC_GPRS; i++)
		assert_int_equal(after[i], before[i]);
}

/* The RMM answers without an exit: the realm runs on past the SMC until
 * the scripted IRQ. */
static void answered(struct fx *f, unsigned int i, uint64_t x0, uint64_t x1)
{
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0);
	assert_rmi(enter(f, i, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 2);
	assert_exit_reason(f, RMI_EXIT_IRQ);
	assert_int_equal(sx.seen[1].regs.pc, sx.seen[0].regs.pc + 4);
	assert_regs(sx.seen[0].regs.gprs, sx.seen[1].regs.gprs, x0, x1);
}

static uint64_t continue_x(uint64_t x[9], uint64_t ipa, uint64_t offset,
			   uint64_t size)
{
	memset(x, 0, 9 * sizeof(x[0]));
	x[0] = RSI_ATTESTATION_TOKEN_CONTINUE;
	x[1] = ipa;
	x[2] = offset;
	x[3] = size;
	return 0;
}

/* CONTINUE answered with (x0, x1). */
static void token_continue(struct fx *f, unsigned int i, uint64_t ipa,
			   uint64_t offset, uint64_t size, uint64_t x0, uint64_t x1)
{
	uint64_t x[9];

	continue_x(x, ipa, offset, size);
	realm_smc(f, i, x, NULL);
	answered(f, i, x0, x1);
}

/* Challenge bytes 00..3f in x1..x8, little-endian (the reference's test
 * vector: x1 = 0x0706050403020100). */
static void challenge_bytes(uint8_t c[CCA_CHALLENGE_SIZE], uint8_t first)
{
	for (unsigned int i = 0; i < CCA_CHALLENGE_SIZE; i++)
		c[i] = (uint8_t)(first + i);
}

static void init_x(uint64_t x[9], const uint8_t c[CCA_CHALLENGE_SIZE])
{
	x[0] = RSI_ATTESTATION_TOKEN_INIT;
	for (unsigned int r = 0; r < 8; r++) {
		x[1 + r] = 0;
		for (int b = 7; b >= 0; b--)
			x[1 + r] = x[1 + r] << 8 | c[8 * r + (unsigned int)b];
	}
}

/* spec: INIT answers SUCCESS with x1 = 4096 (rsi-1.0.md 6.1). */
static void token_init(struct fx *f, unsigned int i, uint8_t first)
{
	uint8_t c[CCA_CHALLENGE_SIZE];
	uint64_t x[9];

	challenge_bytes(c, first);
	init_x(x, c);
	realm_smc(f, i, x, NULL);
	answered(f, i, RSI_SUCCESS, ATTEST_TOKEN_MAX);
}

/* The whole token in 4096-byte CONTINUEs at offset 0 of buffer 0. */
static size_t token_read_all(struct fx *f, unsigned int i, uint8_t *out)
{
	uint64_t x[9];
	size_t len;

	continue_x(x, IPA_BUF(0), 0, GRANULE);
	realm_smc(f, i, x, NULL);
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0);
	assert_rmi(enter(f, i, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.seen[1].regs.gprs[0], RSI_SUCCESS);
	len = sx.seen[1].regs.gprs[1];
	assert_true(len > 0 && len <= GRANULE);
	memcpy(out, fx_realm_mem(f, IPA_BUF(0)), len);
	return len;
}

/* ---- CBOR heads and the COSE_Key ------------------------------------------- */

static void assert_enc(void (*put)(struct cbor_enc *, uint64_t), uint64_t v,
		       const uint8_t *want, size_t len)
{
	uint8_t buf[16];
	struct cbor_enc e;

	cbor_enc_init(&e, buf, sizeof(buf));
	put(&e, v);
	assert_int_equal(cbor_enc_end(&e), len);
	assert_memory_equal(buf, want, len);
	assert_int_equal(cbor_head_size(v), len);
}

static void put_uint(struct cbor_enc *e, uint64_t v)
{
	cbor_enc_uint(e, v);
}

static void put_bstr_head(struct cbor_enc *e, uint64_t v)
{
	cbor_enc_bstr_head(e, (size_t)v);
}

static void put_map(struct cbor_enc *e, uint64_t v)
{
	cbor_enc_map(e, (size_t)v);
}

static void put_tag(struct cbor_enc *e, uint64_t v)
{
	cbor_enc_tag(e, v);
}

/* spec: definite lengths, shortest heads (attestation.md 6 item 1). */
static void test_cbor_heads(void **state)
{
	static const struct {
		uint64_t v;
		uint8_t bytes[9];
		size_t len;
	} uints[] = {
		{ 0, { 0x00 }, 1 }, { 23, { 0x17 }, 1 }, { 24, { 0x18, 0x18 }, 2 },
		{ 255, { 0x18, 0xFF }, 2 }, { 256, { 0x19, 0x01, 0x00 }, 3 },
		{ 44234, { 0x19, 0xAC, 0xCA }, 3 }, { 65535, { 0x19, 0xFF, 0xFF }, 3 },
		{ 65536, { 0x1A, 0x00, 0x01, 0x00, 0x00 }, 5 },
		{ 0xFFFFFFFFULL, { 0x1A, 0xFF, 0xFF, 0xFF, 0xFF }, 5 },
		{ 0x100000000ULL, { 0x1B, 0, 0, 0, 1, 0, 0, 0, 0 }, 9 },
	};
	uint8_t buf[8], want[8];
	struct cbor_enc e;

	(void)state;
	for (unsigned int i = 0; i < ARRAY_LEN(uints); i++)
		assert_enc(put_uint, uints[i].v, uints[i].bytes, uints[i].len);
	/* The same heads in the other major types. */
	assert_enc(put_bstr_head, 0x5EE, (const uint8_t[]){ 0x59, 0x05, 0xEE }, 3);
	assert_enc(put_bstr_head, 96, (const uint8_t[]){ 0x58, 0x60 }, 2);
	assert_enc(put_bstr_head, 4, (const uint8_t[]){ 0x44 }, 1);
	assert_enc(put_map, 8, (const uint8_t[]){ 0xA8 }, 1);
	assert_enc(put_map, 0, (const uint8_t[]){ 0xA0 }, 1);
	assert_enc(put_tag, 18, (const uint8_t[]){ 0xD2 }, 1);
	assert_enc(put_tag, 399, (const uint8_t[]){ 0xD9, 0x01, 0x8F }, 3);
	/* Negative integers: -1 - argument. */
	cbor_enc_init(&e, buf, sizeof(buf));
	cbor_enc_negint(&e, -1);
	cbor_enc_negint(&e, -3);
	cbor_enc_negint(&e, -24);
	cbor_enc_negint(&e, -25);
	cbor_enc_negint(&e, -35);
	memcpy(want, (const uint8_t[]){ 0x20, 0x22, 0x37, 0x38, 0x18, 0x38, 0x22 }, 7);
	assert_int_equal(cbor_enc_end(&e), 7);
	assert_memory_equal(buf, want, 7);
	/* Too small a buffer: nothing more is written, the end says 0. */
	memset(buf, 0x55, sizeof(buf));
	cbor_enc_init(&e, buf, 4);
	cbor_enc_tstr(&e, "sha");
	cbor_enc_tstr(&e, "x");
	cbor_enc_uint(&e, 1);
	assert_int_equal(cbor_enc_end(&e), 0);
	assert_memory_equal(buf, ((const uint8_t[]){ 0x63, 's', 'h', 'a', 0x55 }), 5);
}

static void p384_xy(EVP_PKEY *k, uint8_t x[48], uint8_t y[48])
{
	uint8_t point[97];
	size_t len;

	/* OpenSSL's own encoding of the point: 04 || x || y. */
	assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point,
							 sizeof(point), &len), 1);
	assert_int_equal(len, 97);
	assert_int_equal(point[0], 0x04);
	memcpy(x, point + 1, 48);
	memcpy(y, point + 49, 48);
}

/* The COSE_Key of attestation.md 2.2, built here byte by byte. */
static void expected_cose_key(EVP_PKEY *k, uint8_t out[CCA_COSE_KEY_P384_SIZE])
{
	static const uint8_t head[] = { 0xA4, 0x01, 0x02, 0x20, 0x02, 0x21, 0x58, 0x30 };
	uint8_t x[48], y[48];

	p384_xy(k, x, y);
	memcpy(out, head, sizeof(head));
	memcpy(out + 8, x, 48);
	out[56] = 0x22;
	out[57] = 0x58;
	out[58] = 0x30;
	memcpy(out + 59, y, 48);
}

static void test_cose_key(void **state)
{
	uint8_t got[CCA_COSE_KEY_P384_SIZE], want[CCA_COSE_KEY_P384_SIZE];
	EVP_PKEY *p384 = key_new("P-384"), *p256 = key_new("P-256");

	(void)state;
	assert_int_equal(attest_cose_key(p384, got), 0);
	expected_cose_key(p384, want);
	assert_memory_equal(got, want, sizeof(want));
	assert_true(attest_key_is_p384(p384, true));
	assert_false(attest_key_is_p384(p256, false));
	assert_int_equal(attest_cose_key(p256, got), -EINVAL);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p256);
}

/* A P-384 key with the public half only. */
static EVP_PKEY *public_only(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pub;
	int len = i2d_PUBKEY(k, &der);

	assert_true(len > 0);
	p = der;
	pub = d2i_PUBKEY(NULL, &p, len);
	OPENSSL_free(der);
	assert_non_null(pub);
	return pub;
}

/* ---- rmm_set_attestation ---------------------------------------------------- */

static void test_set_attestation(void **state)
{
	struct at *a = at_new(RMI_HASH_SHA_256, 0);
	struct rmm *rmm = a->f.h->rmm;
	EVP_PKEY *p256 = key_new("P-256"), *pub = public_only(a->rak);

	(void)state;
	platform_pattern(a, ATTEST_PLATFORM_TOKEN_MAX);
	assert_int_equal(rmm_set_attestation(rmm, p256, a->platform, 100), -EINVAL);
	assert_int_equal(rmm_set_attestation(rmm, pub, a->platform, 100), -EINVAL);
	assert_int_equal(rmm_set_attestation(rmm, NULL, a->platform, 100), -EINVAL);
	assert_int_equal(rmm_set_attestation(rmm, a->rak, NULL, 100), -EINVAL);
	assert_int_equal(rmm_set_attestation(rmm, a->rak, a->platform, 0), -EINVAL);
	/* spec: the CCA token must fit the 4096 bytes INIT announces
	 * (rsi-1.0.md 6.1): 16 bytes of heads and a SHA-512 realm token. */
	assert_int_equal(ATTEST_PLATFORM_TOKEN_MAX, 4096 - 16 - REF_REALM_LEN_SHA512);
	assert_int_equal(rmm_set_attestation(rmm, a->rak, a->platform,
					     ATTEST_PLATFORM_TOKEN_MAX + 1), -E2BIG);
	/* Failed attempts set nothing: INIT still fails. */
	token_continue(&a->f, 0, IPA_BUF(0), 0, GRANULE, RSI_ERROR_STATE, 0);
	assert_int_equal(rmm_set_attestation(rmm, a->rak, a->platform, 100), 0);
	assert_int_equal(rmm_set_attestation(rmm, a->rak, a->platform, 100), -EBUSY);
	token_init(&a->f, 0, 0);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(pub);
	at_free(a);
}

/* spec: an RMM that cannot prepare a token answers RSI_ERROR_UNKNOWN, x1 = 0
 * (rsi-1.0.md 6.1); with nothing initialised CONTINUE has no token. */
static void test_init_without_attestation(void **state)
{
	struct at *a = at_new(RMI_HASH_SHA_256, 0);
	uint8_t c[CCA_CHALLENGE_SIZE];
	uint64_t x[9];

	(void)state;
	challenge_bytes(c, 0);
	init_x(x, c);
	realm_smc(&a->f, 0, x, NULL);
	answered(&a->f, 0, RSI_ERROR_UNKNOWN, 0);
	/* x4..x8 keep the challenge (checked by answered: x4..x30 kept). */
	assert_int_equal(sx.seen[1].regs.gprs[8], x[8]);
	token_continue(&a->f, 0, IPA_BUF(0), 0, GRANULE, RSI_ERROR_STATE, 0);
	at_free(a);
}

/* ---- the token, byte for byte (attestation.md 1, 2, 5) ---------------------- */

static void put(uint8_t **p, const void *bytes, size_t len)
{
	memcpy(*p, bytes, len);
	*p += len;
}

#define PUT(p, ...)	put(p, (const uint8_t[]){ __VA_ARGS__ }, \
			    sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* The realm claims as attestation.md 5 lists them, built here from literal
 * heads; the RIM and REMs are the realm's (rmm_realm_measurement). */
static size_t expected_payload(struct at *a, const uint8_t challenge[64],
			       const uint8_t rems[5][64], size_t dsize, uint8_t *out)
{
	uint8_t key[CCA_COSE_KEY_P384_SIZE], *p = out, rpv[64];
	const char *alg = dsize == 32 ? "sha-256" : "sha-512";

	for (unsigned int i = 0; i < 64; i++)
		rpv[i] = (uint8_t)(H_RPV_FIRST + i);
	expected_cose_key(a->rak, key);
	PUT(&p, 0xA8, 0x0A, 0x58, 0x40);
	put(&p, challenge, 64);
	PUT(&p, 0x19, 0xAC, 0xCB, 0x58, 0x40);
	put(&p, rpv, 64);
	PUT(&p, 0x19, 0xAC, 0xCD, 0x58, 0x6B);
	put(&p, key, sizeof(key));
	PUT(&p, 0x19, 0xAC, 0xCC, 0x67);
	put(&p, alg, 7);
	PUT(&p, 0x19, 0xAC, 0xD0, 0x67);
	put(&p, "sha-256", 7);
	PUT(&p, 0x19, 0x01, 0x09, 0x78, 0x1C);
	put(&p, "tag:arm.com,2023:realm#1.0.0", 28);
	PUT(&p, 0x19, 0xAC, 0xCE, 0x58, (uint8_t)dsize);
	put(&p, rems[0], dsize);
	PUT(&p, 0x19, 0xAC, 0xCF, 0x84);
	for (unsigned int i = 1; i <= 4; i++) {
		PUT(&p, 0x58, (uint8_t)dsize);
		put(&p, rems[i], dsize);
	}
	return (size_t)(p - out);
}

static void realm_measurements(struct at *a, uint8_t m[5][64], size_t *dsize)
{
	for (unsigned int i = 0; i < 5; i++)
		assert_int_equal(rmm_realm_measurement(a->f.h->rmm, a->f.r.rd, i, m[i],
						       dsize), 0);
}

/* ES384 over the Sig_structure, rebuilt here: ["Signature1", h'A1013822',
 * h'', payload] (attestation.md 2.3). */
static bool es384_verifies(EVP_PKEY *key, const uint8_t *payload, size_t len,
			   const uint8_t sig[96])
{
	uint8_t *tbs = malloc(len + 32), *p = tbs, *der = NULL;
	ECDSA_SIG *s = ECDSA_SIG_new();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int der_len, ok;

	assert_non_null(tbs);
	PUT(&p, 0x84, 0x6A);
	put(&p, "Signature1", 10);
	PUT(&p, 0x44, 0xA1, 0x01, 0x38, 0x22, 0x40, 0x59, (uint8_t)(len >> 8), (uint8_t)len);
	put(&p, payload, len);
	assert_int_equal(ECDSA_SIG_set0(s, BN_bin2bn(sig, 48, NULL),
					BN_bin2bn(sig + 48, 48, NULL)), 1);
	der_len = i2d_ECDSA_SIG(s, &der);
	assert_true(der_len > 0);
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, der, (size_t)der_len, tbs, (size_t)(p - tbs)) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(s);
	free(tbs);
	return ok;
}

/*
 * spec: D9 01 8F A2, 19 AC CA + bstr(platform), 19 AC D1 + bstr(realm);
 * realm = D2 84 44 A1 01 38 22 A0 59 <payload len> <payload> 58 60 <sig>
 * (attestation.md 1, 2, 5). Returns the offset of the payload.
 */
static size_t assert_token_layout(struct at *a, const uint8_t *tok, size_t len,
				  size_t payload_len, size_t realm_len)
{
	uint8_t want[32], *p = want;
	size_t off;

	PUT(&p, 0xD9, 0x01, 0x8F, 0xA2, 0x19, 0xAC, 0xCA, 0x59,
	    (uint8_t)(a->platform_len >> 8), (uint8_t)a->platform_len);
	assert_memory_equal(tok, want, (size_t)(p - want));
	off = (size_t)(p - want);
	assert_memory_equal(tok + off, a->platform, a->platform_len);
	off += a->platform_len;
	p = want;
	PUT(&p, 0x19, 0xAC, 0xD1, 0x59, (uint8_t)(realm_len >> 8), (uint8_t)realm_len,
	    0xD2, 0x84, 0x44, 0xA1, 0x01, 0x38, 0x22, 0xA0, 0x59,
	    (uint8_t)(payload_len >> 8), (uint8_t)payload_len);
	assert_memory_equal(tok + off, want, (size_t)(p - want));
	off += (size_t)(p - want);
	assert_int_equal(tok[off + payload_len], 0x58);
	assert_int_equal(tok[off + payload_len + 1], 0x60);
	assert_int_equal(off + payload_len + 2 + 96, len);
	return off;
}

static void check_token(struct at *a, size_t payload_size, size_t realm_size,
			size_t total)
{
	uint8_t tok[GRANULE], challenge[64], m[5][64], payload[1024];
	const uint8_t *buf = fx_realm_mem(&a->f, IPA_BUF(0));
	size_t len, off, dsize, plen;

	token_init(&a->f, 0, 0);
	len = token_read_all(&a->f, 0, tok);
	assert_int_equal(len, total);
	/* spec: the bytes after the token are not written (rsi-1.0.md 6.2). */
	for (size_t i = len; i < GRANULE; i++)
		assert_int_equal(buf[i], BUF_FILL);
	off = assert_token_layout(a, tok, len, payload_size, realm_size);
	challenge_bytes(challenge, 0);
	realm_measurements(a, m, &dsize);
	plen = expected_payload(a, challenge, (const uint8_t (*)[64])m, dsize, payload);
	assert_int_equal(plen, payload_size);
	assert_memory_equal(tok + off, payload, plen);
	assert_true(es384_verifies(a->rak, tok + off, plen, tok + off + plen + 2));
	/* One flipped payload bit and the signature no longer verifies. */
	payload[100] ^= 1;
	assert_false(es384_verifies(a->rak, payload, plen, tok + off + plen + 2));
}

/* The reference's sizes: 481-byte payload, 590-byte realm token, 2124 bytes
 * with a 1518-byte platform token (attestation.md 5). */
static void test_token_sha256(void **state)
{
	struct at *a = *state;

	check_token(a, 481, REF_REALM_LEN_SHA256, REF_TOTAL_SHA256);
	assert_int_equal(REF_TOTAL_SHA256, 4 + 6 + REF_PLATFORM_LEN + 6 +
			 REF_REALM_LEN_SHA256);
}

/* 160 bytes more for the 64-byte RIM and REMs: 641, 750, 2284. */
static void test_token_sha512(void **state)
{
	struct at *a = at_new(RMI_HASH_SHA_512, REF_PLATFORM_LEN);

	(void)state;
	check_token(a, 641, REF_REALM_LEN_SHA512, REF_TOTAL_SHA512);
	at_free(a);
}

/* Measurements extended before INIT are in the token, in REM0 and REM2. */
static void test_token_rems(void **state)
{
	struct at *a = *state;
	uint64_t x[9] = { RSI_MEASUREMENT_EXTEND, 1, 8, 0x1122334455667788ULL };

	realm_smc(&a->f, 0, x, NULL);
	answered(&a->f, 0, RSI_SUCCESS, 0);
	x[1] = 3;
	x[2] = 64;
	realm_smc(&a->f, 0, x, NULL);
	answered(&a->f, 0, RSI_SUCCESS, 0);
	check_token(a, 481, REF_REALM_LEN_SHA256, REF_TOTAL_SHA256);
}

/* spec: the RIM and REMs are those of INIT time; a new INIT takes the new
 * ones (rsi-1.0.md 6.1, attestation.md 2.1). */
static void test_token_captured_at_init(void **state)
{
	struct at *a = *state;
	uint64_t x[9] = { RSI_MEASUREMENT_EXTEND, 1, 1, 0xAB };
	uint8_t before[5][64], after[5][64], tok[GRANULE];
	size_t dsize, len, rem0;

	realm_measurements(a, before, &dsize);
	token_init(&a->f, 0, 0);
	realm_smc(&a->f, 0, x, NULL);
	answered(&a->f, 0, RSI_SUCCESS, 0);
	realm_measurements(a, after, &dsize);
	assert_memory_not_equal(before[1], after[1], dsize);
	len = token_read_all(&a->f, 0, tok);
	/* REM0 is the first bstr of the REM array, 32 + 2 + 32 + ... from
	 * the end: 4 REMs of 34 bytes and the signature of 98. */
	rem0 = len - 98 - 4 * 34 + 2;
	assert_memory_equal(tok + rem0, before[1], dsize);
	token_init(&a->f, 0, 0);
	len = token_read_all(&a->f, 0, tok);
	assert_memory_equal(tok + len - 98 - 4 * 34 + 2, after[1], dsize);
}

/* ---- CONTINUE: failure conditions in order (rsi-1.0.md 6.2) ------------------ */

static void kick(struct sx *s, struct rec *rec)
{
	assert_int_equal(rmm_rec_kick(s->h->rmm, rec->pa), 1);
}

/* A FIQ from the platform: the same step, with a FIQ exit. */
static void raise_fiq(struct sx *s, struct rec *rec)
{
	assert_int_equal(rmm_rec_raise(s->h->rmm, rec->pa, RMM_PHYS_FIQ, 0), 1);
}

/* spec: the IRQ step: INCOMPLETE, x1 = 0, the interrupt's exit, PC past the
 * SMC. */
static void assert_preempted_by(struct at *a, unsigned int i, uint64_t reason)
{
	const struct rec_regs *before = &sx.seen[0].regs;
	struct rec *rec = rec_of(&a->f, i);

	assert_rmi(enter(&a->f, i, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 1);
	assert_exit_reason(&a->f, reason);
	assert_int_equal(rec->regs.pc, before->pc + 4);
	assert_regs(before->gprs, rec->regs.gprs, RSI_INCOMPLETE, 0);
}

static void assert_preempted(struct at *a, unsigned int i)
{
	assert_preempted_by(a, i, RMI_EXIT_IRQ);
}

static void continue_input_errors(struct at *a)
{
	const struct {
		uint64_t ipa, offset, size;
	} input[] = {
		{ IPA_BUF(0) + 8, 0, 8 }, { IPA_BUF(0) + 0x800, 0, 8 },
		{ IPA_BUF(0), GRANULE, 0 }, { IPA_BUF(0), ~0ULL, 0 },
		{ IPA_BUF(0), 4095, 2 }, { IPA_BUF(0), 0, GRANULE + 1 },
		{ IPA_BUF(0), 8, ~0ULL - 3 }, { IPA_BUF(0), 1, ~0ULL },
		/* outside the PAR (the unprotected half and above) */
		{ IPA_UNPROT, 0, 8 }, { IPA_UNPROT + IPA_BUF(0), 0, GRANULE },
		{ IPA_TOP, 0, 8 }, { ~0xFFFULL, 0, 0 },
	};

	for (unsigned int i = 0; i < ARRAY_LEN(input); i++)
		token_continue(&a->f, 0, input[i].ipa, input[i].offset, input[i].size,
			       RSI_ERROR_INPUT, 0);
}

/* Before INIT: the input checks, then ERROR_STATE before anything about the
 * granule, even an EMPTY, unmapped or DESTROYED one. */
static void test_continue_before_init(void **state)
{
	struct at *a = *state;
	const uint64_t ipas[] = { IPA_BUF(0), IPA_EMPTY, IPA_UNMAPPED, IPA_DESTROYED };

	continue_input_errors(a);
	for (unsigned int i = 0; i < ARRAY_LEN(ipas); i++)
		token_continue(&a->f, 0, ipas[i], 0, GRANULE, RSI_ERROR_STATE, 0);
	token_continue(&a->f, 0, IPA_BUF(0), 0, 0, RSI_ERROR_STATE, 0);
}

/* After INIT: the input checks come first still; then, unsigned and with a
 * kick pending, INCOMPLETE and an IRQ exit before the granule is looked at;
 * then EMPTY, then not mapped, then size 0. */
static void test_continue_order(void **state)
{
	struct at *a = *state;
	uint64_t x[9];

	token_init(&a->f, 0, 0);
	continue_input_errors(a);
	/* A kick before the token is signed, with an EMPTY granule. */
	continue_x(x, IPA_EMPTY, 0, GRANULE);
	realm_smc(&a->f, 0, x, kick);
	assert_preempted(a, 0);
	realm_smc(&a->f, 0, x, raise_fiq);
	assert_preempted_by(a, 0, RMI_EXIT_FIQ);
	/* Signed by the next CONTINUE, which then finds the granule EMPTY. */
	token_continue(&a->f, 0, IPA_EMPTY, 0, GRANULE, RSI_ERROR_INPUT, 0);
	token_continue(&a->f, 0, IPA_EMPTY + 0x40000, 16, 32, RSI_ERROR_INPUT, 0);
	/* A kick once the token is signed changes nothing. */
	continue_x(x, IPA_EMPTY, 0, GRANULE);
	realm_smc(&a->f, 0, x, kick);
	answered(&a->f, 0, RSI_ERROR_INPUT, 0);
	/* size 0: INCOMPLETE with nothing copied. */
	token_continue(&a->f, 0, IPA_BUF(0), 0, 0, RSI_INCOMPLETE, 0);
	token_continue(&a->f, 0, IPA_BUF(0), 4095, 0, RSI_INCOMPLETE, 0);
	assert_int_equal(fx_realm_mem(&a->f, IPA_BUF(0))[0], BUF_FILL);
	/* The token is still whole. */
	token_continue(&a->f, 0, IPA_BUF(0), 0, GRANULE, RSI_SUCCESS, REF_TOTAL_SHA256);
	/* spec: a further CONTINUE finds no token (rsi-1.0.md 6.2). */
	token_continue(&a->f, 0, IPA_BUF(0), 0, GRANULE, RSI_ERROR_STATE, 0);
	token_continue(&a->f, 0, IPA_EMPTY, 0, GRANULE, RSI_ERROR_STATE, 0);
}

/*
 * spec: a granule the host has not mapped (RAM unassigned, DESTROYED) is the
 * emulated stage-2 data abort with the realm's registers unchanged and the
 * PC on the SMC, retried once the host maps it (rsi-1.0.md 6.2, rmi-1.0.md
 * 9.3).
 */
static void assert_unmapped_exit(struct at *a, int level)
{
	const struct rec_regs *before = &sx.seen[0].regs;
	struct rec *rec = rec_of(&a->f, 0);
	struct rmi_rec_exit e;

	assert_rmi(enter(&a->f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 1);
	expected_exit(&a->f, &e, RMI_EXIT_SYNC);
	e.esr = ESR_S2_ABORT(level);
	e.hpfar = before->gprs[1] >> 8;
	assert_exit(&a->f, &e);
	assert_int_equal(rec->regs.pc, before->pc);
	assert_memory_equal(rec->regs.gprs, before->gprs, sizeof(before->gprs));
}

static void test_continue_unmapped(void **state)
{
	struct at *a = *state;
	uint8_t tok[GRANULE];
	uint64_t x[9];

	token_init(&a->f, 0, 0);
	continue_x(x, IPA_DESTROYED, 0, GRANULE);
	realm_smc(&a->f, 0, x, NULL);
	assert_unmapped_exit(a, 3);
	continue_x(x, IPA_UNMAPPED, 0x100, 0x80);
	realm_smc(&a->f, 0, x, NULL);
	assert_unmapped_exit(a, 3);
	/* The host maps the page; the realm's SMC runs again and copies. */
	data_create_unknown(&a->f, IPA_UNMAPPED);
	memset(fx_realm_mem(&a->f, IPA_UNMAPPED), BUF_FILL, GRANULE);
	sx.nsteps = sx.pos = sx.nruns = 0;
	sx_push(REC_EVENT_SMC, ESR_SMC64, 0, 0, 0)->pc_add = 4;
	answered(&a->f, 0, RSI_INCOMPLETE, 0x80);
	assert_int_equal(sx.seen[0].regs.gprs[1], IPA_UNMAPPED);
	/* The first 0x80 bytes of the token, at offset 0x100. */
	token_continue(&a->f, 0, IPA_BUF(0), 0x80, GRANULE - 0x80, RSI_SUCCESS,
		       REF_TOTAL_SHA256 - 0x80);
	memcpy(tok, fx_realm_mem(&a->f, IPA_UNMAPPED) + 0x100, 0x80);
	memcpy(tok + 0x80, fx_realm_mem(&a->f, IPA_BUF(0)) + 0x80, REF_TOTAL_SHA256 - 0x80);
	assert_token_layout(a, tok, REF_TOTAL_SHA256, 481, REF_REALM_LEN_SHA256);
	assert_int_equal(fx_realm_mem(&a->f, IPA_UNMAPPED)[0xFF], BUF_FILL);
	assert_int_equal(fx_realm_mem(&a->f, IPA_UNMAPPED)[0x180], BUF_FILL);
}

/* ---- kicks -------------------------------------------------------------------- */

/* A kick during another call of the same REC_ENTER counts for CONTINUE
 * there; one of an earlier REC_ENTER does not. */
static void test_kick_lifetime(void **state)
{
	struct at *a = *state;
	uint8_t c[CCA_CHALLENGE_SIZE];
	uint64_t x[9];

	/* INIT kicked, its IRQ exit taken: the next REC_ENTER starts clean. */
	challenge_bytes(c, 0);
	init_x(x, c);
	realm_smc(&a->f, 0, x, kick);
	answered(&a->f, 0, RSI_SUCCESS, ATTEST_TOKEN_MAX);
	token_continue(&a->f, 0, IPA_BUF(0), 0, 100, RSI_INCOMPLETE, 100);
	/* INIT then CONTINUE in one REC_ENTER, kicked at INIT. */
	realm_smc(&a->f, 0, x, kick);
	sx_push(REC_EVENT_SMC, ESR_SMC64, 0, 0, 0)->pc_add = 4;
	sx_set(&sx.steps[1], 0, RSI_ATTESTATION_TOKEN_CONTINUE);
	sx_set(&sx.steps[1], 1, IPA_BUF(0));
	sx_set(&sx.steps[1], 2, 0);
	sx_set(&sx.steps[1], 3, GRANULE);
	assert_rmi(enter(&a->f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 2);
	assert_int_equal(sx.seen[1].regs.gprs[0], RSI_SUCCESS);
	assert_exit_reason(&a->f, RMI_EXIT_IRQ);
	assert_int_equal(rec_of(&a->f, 0)->regs.gprs[0], RSI_INCOMPLETE);
	assert_int_equal(rec_of(&a->f, 0)->regs.gprs[1], 0);
	/* The call again: the whole new token. */
	token_continue(&a->f, 0, IPA_BUF(0), 0, GRANULE, RSI_SUCCESS, REF_TOTAL_SHA256);
}

/* ---- partial copies, several granules, INIT again, RECs ---------------------- */

/* The Linux loop (rsi-1.0.md 6.2) with small sizes: size bytes at a time,
 * moving to the next granule when one is full, from offset first in buffer
 * 0. Returns the bytes the realm received. */
static size_t read_in_pieces(struct at *a, unsigned int i, uint64_t first,
			     uint64_t size, uint8_t *out)
{
	uint64_t offset = first, got = 0;
	unsigned int buf = 0;

	for (;;) {
		uint64_t n = size < GRANULE - offset ? size : GRANULE - offset;
		uint64_t left = REF_TOTAL_SHA256 - got;
		bool last = n >= left;

		token_continue(&a->f, i, IPA_BUF(buf), offset, n,
			       last ? RSI_SUCCESS : RSI_INCOMPLETE, last ? left : n);
		memcpy(out + got, fx_realm_mem(&a->f, IPA_BUF(buf)) + offset, last ? left : n);
		got += last ? left : n;
		if (last)
			return got;
		offset += n;
		if (offset == GRANULE) {
			offset = 0;
			buf++;
			assert_true(buf < NUM_BUFS);
		}
	}
}

static void test_pieces(void **state)
{
	struct at *a = *state;
	const uint64_t sizes[] = { 1, 100, 1000, 1517 };
	uint8_t tok[GRANULE];

	for (unsigned int i = 0; i < ARRAY_LEN(sizes); i++) {
		token_init(&a->f, 0, 0);
		/* Starting 600 bytes before the end of buffer 0: the token
		 * spans granules 0 and 1. */
		assert_int_equal(read_in_pieces(a, 0, GRANULE - 600, sizes[i], tok),
				 REF_TOTAL_SHA256);
		assert_token_layout(a, tok, REF_TOTAL_SHA256, 481, REF_REALM_LEN_SHA256);
		token_continue(&a->f, 0, IPA_BUF(0), 0, GRANULE, RSI_ERROR_STATE, 0);
	}
}

/* A token of 4096 bytes (the largest platform token, a SHA-512 realm) in
 * the last 1096 bytes of each of the four granules, 700 bytes at a time. */
static void test_largest_token(void **state)
{
	struct at *a = at_new(RMI_HASH_SHA_512, ATTEST_PLATFORM_TOKEN_MAX);
	const uint64_t first = GRANULE - 1096;
	uint64_t offset = first, got = 0;
	uint8_t tok[ATTEST_TOKEN_MAX];
	unsigned int buf = 0;
	size_t off;

	(void)state;
	token_init(&a->f, 0, 0);
	for (;;) {
		uint64_t n = 700 < GRANULE - offset ? 700 : GRANULE - offset;
		uint64_t left = ATTEST_TOKEN_MAX - got, want = n < left ? n : left;

		token_continue(&a->f, 0, IPA_BUF(buf), offset, n,
			       want == left ? RSI_SUCCESS : RSI_INCOMPLETE, want);
		memcpy(tok + got, fx_realm_mem(&a->f, IPA_BUF(buf)) + offset, want);
		got += want;
		if (got == ATTEST_TOKEN_MAX)
			break;
		offset += n;
		if (offset == GRANULE) {
			offset = first;
			buf++;
			assert_true(buf < NUM_BUFS);
		}
	}
	assert_int_equal(buf, 3);
	off = assert_token_layout(a, tok, ATTEST_TOKEN_MAX, 641, REF_REALM_LEN_SHA512);
	assert_true(es384_verifies(a->rak, tok + off, 641, tok + off + 641 + 2));
	token_continue(&a->f, 0, IPA_BUF(0), 0, GRANULE, RSI_ERROR_STATE, 0);
	at_free(a);
}

/* spec: INIT abandons a token in progress (rsi-1.0.md 6.1). */
static void test_init_abandons(void **state)
{
	struct at *a = *state;
	uint8_t tok[GRANULE];
	size_t len;

	token_init(&a->f, 0, 0x40);
	token_continue(&a->f, 0, IPA_BUF(1), 0, 1000, RSI_INCOMPLETE, 1000);
	token_init(&a->f, 0, 0x80);
	/* The new token from its first byte, with the new challenge. */
	len = token_read_all(&a->f, 0, tok);
	assert_int_equal(len, REF_TOTAL_SHA256);
	assert_int_equal(tok[0], 0xD9);
	assert_int_equal(tok[4 + 6 + REF_PLATFORM_LEN + 6 + 11 + 4], 0x80);
	assert_int_equal(tok[4 + 6 + REF_PLATFORM_LEN + 6 + 11 + 4 + 63], 0xBF);
	/* INIT before CONTINUE signed anything, and after a complete token. */
	token_init(&a->f, 0, 0);
	token_init(&a->f, 0, 0);
	assert_int_equal(token_read_all(&a->f, 0, tok), REF_TOTAL_SHA256);
	token_init(&a->f, 0, 0);
	assert_int_equal(token_read_all(&a->f, 0, tok), REF_TOTAL_SHA256);
}

/* PSCI CPU_ON of REC 1 by REC 0, completed by the host. */
static void cpu_on_rec1(struct at *a)
{
	uint64_t x[9] = { PSCI_CPU_ON_64, 1, PC0, 0 };

	realm_smc(&a->f, 0, x, NULL);
	assert_rmi(enter(&a->f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(exit_of(&a->f, a->f.run)->exit_reason, RMI_EXIT_PSCI);
	assert_rmi(h_call(a->f.h, RMI_PSCI_COMPLETE, a->f.rec[0], a->f.rec[1],
			  PSCI_RET_SUCCESS, 0, 0), RMI_SUCCESS, 0);
}

/* Each REC has its own token. */
static void test_token_per_rec(void **state)
{
	struct at *a = *state;
	const size_t challenge_at = 4 + 6 + REF_PLATFORM_LEN + 6 + 11 + 4;
	uint8_t tok[GRANULE];

	cpu_on_rec1(a);
	token_init(&a->f, 0, 0x10);
	token_continue(&a->f, 1, IPA_BUF(1), 0, GRANULE, RSI_ERROR_STATE, 0);
	token_init(&a->f, 1, 0x20);
	token_continue(&a->f, 0, IPA_BUF(0), 0, 10, RSI_INCOMPLETE, 10);
	assert_int_equal(token_read_all(&a->f, 1, tok), REF_TOTAL_SHA256);
	assert_int_equal(tok[challenge_at], 0x20);
	/* REC 0's token goes on where it was. */
	token_continue(&a->f, 0, IPA_BUF(1), 10, GRANULE - 10, RSI_SUCCESS,
		       REF_TOTAL_SHA256 - 10);
	assert_int_equal(fx_realm_mem(&a->f, IPA_BUF(1))[challenge_at], 0x10);
	token_continue(&a->f, 1, IPA_BUF(1), 0, GRANULE, RSI_ERROR_STATE, 0);
}

int main(void)
{
#define A(t) cmocka_unit_test_setup_teardown(t, at_setup, at_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cbor_heads),
		cmocka_unit_test(test_cose_key),
		cmocka_unit_test(test_set_attestation),
		cmocka_unit_test(test_init_without_attestation),
		A(test_token_sha256),
		cmocka_unit_test(test_token_sha512),
		A(test_token_rems),
		A(test_token_captured_at_init),
		A(test_continue_before_init),
		A(test_continue_order),
		A(test_continue_unmapped),
		A(test_kick_lifetime),
		A(test_pieces),
		cmocka_unit_test(test_largest_token),
		A(test_init_abandons),
		A(test_token_per_rec),
	};
#undef A

	return cmocka_run_group_tests(tests, NULL, NULL);
}
