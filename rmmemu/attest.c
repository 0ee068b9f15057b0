/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attestation tokens (attestation.md; rsi-1.0.md 6). CBOR heads come from
 * libcbor's encoders, which always pick the shortest form; all crypto goes
 * through OpenSSL's EVP interface.
 *
 * The reference signs the realm token incrementally inside CONTINUE; rmmemu
 * signs it in one go at the first CONTINUE that gets that far, which is the
 * point where the reference's signing loop would have finished.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "attest.h"
#include "instance.h"
#include "log.h"
#include "measure.h"
#include "rmm.h"

/* spec: the reference hashes the RAK with SHA-256 for the platform token
 * challenge and says so in claim 44240 (attestation.md 4, 8). */
#define RAK_HASH_NAME		"sha-256"

/* The protected header {1 (alg): -35 (ES384)}, as it appears in the token
 * and, unchanged, in the Sig_structure (attestation.md 6 item 7). */
static const uint8_t cose_protected_es384[] = { 0xA1, 0x01, 0x38, 0x22 };

/* ---- CBOR encoder ---------------------------------------------------------- */

void cbor_enc_init(struct cbor_enc *e, uint8_t *buf, size_t cap)
{
	e->buf = buf;
	e->cap = cap;
	e->len = 0;
	e->overflow = false;
}

/* n bytes written by a libcbor encoder; 0 means they did not fit. */
static void enc_advance(struct cbor_enc *e, size_t n)
{
	if (n == 0)
		e->overflow = true;
	else
		e->len += n;
}

static bool enc_room(struct cbor_enc *e, size_t n)
{
	if (e->overflow || n > e->cap - e->len)
		e->overflow = true;
	return !e->overflow;
}

void cbor_enc_uint(struct cbor_enc *e, uint64_t v)
{
	if (enc_room(e, cbor_head_size(v)))
		enc_advance(e, cbor_encode_uint(v, e->buf + e->len, e->cap - e->len));
}

/* CBOR major type 1 carries -1 - v. */
void cbor_enc_negint(struct cbor_enc *e, int64_t v)
{
	uint64_t arg = (uint64_t)(-1 - v);

	if (enc_room(e, cbor_head_size(arg)))
		enc_advance(e, cbor_encode_negint(arg, e->buf + e->len, e->cap - e->len));
}

void cbor_enc_bstr_head(struct cbor_enc *e, size_t len)
{
	if (enc_room(e, cbor_head_size(len)))
		enc_advance(e, cbor_encode_bytestring_start(len, e->buf + e->len,
							    e->cap - e->len));
}

void cbor_enc_raw(struct cbor_enc *e, const void *data, size_t len)
{
	if (!enc_room(e, len))
		return;
	if (len > 0)
		memcpy(e->buf + e->len, data, len);
	e->len += len;
}

void cbor_enc_bstr(struct cbor_enc *e, const void *data, size_t len)
{
	cbor_enc_bstr_head(e, len);
	cbor_enc_raw(e, data, len);
}

void cbor_enc_tstr(struct cbor_enc *e, const char *s)
{
	size_t len = strlen(s);

	if (enc_room(e, cbor_head_size(len)))
		enc_advance(e, cbor_encode_string_start(len, e->buf + e->len,
							e->cap - e->len));
	cbor_enc_raw(e, s, len);
}

void cbor_enc_array(struct cbor_enc *e, size_t n)
{
	if (enc_room(e, cbor_head_size(n)))
		enc_advance(e, cbor_encode_array_start(n, e->buf + e->len,
						       e->cap - e->len));
}

void cbor_enc_map(struct cbor_enc *e, size_t n)
{
	if (enc_room(e, cbor_head_size(n)))
		enc_advance(e, cbor_encode_map_start(n, e->buf + e->len,
						     e->cap - e->len));
}

void cbor_enc_tag(struct cbor_enc *e, uint64_t tag)
{
	if (enc_room(e, cbor_head_size(tag)))
		enc_advance(e, cbor_encode_tag(tag, e->buf + e->len, e->cap - e->len));
}

size_t cbor_enc_end(const struct cbor_enc *e)
{
	return e->overflow ? 0 : e->len;
}

/* RFC 8949 3: the argument in the initial byte up to 23, then in 1, 2, 4
 * or 8 more bytes. */
size_t cbor_head_size(uint64_t v)
{
	if (v < 24)
		return 1;
	if (v <= UINT8_MAX)
		return 2;
	if (v <= UINT16_MAX)
		return 3;
	if (v <= UINT32_MAX)
		return 5;
	return 9;
}

/* ---- keys ------------------------------------------------------------------ */

bool attest_key_is_p384(EVP_PKEY *key, bool need_private)
{
	char group[64];
	BIGNUM *priv = NULL;
	bool has_priv;

	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return false;
	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
					    sizeof(group), NULL))
		return false;
	if (OBJ_sn2nid(group) != NID_secp384r1 &&
	    EC_curve_nist2nid(group) != NID_secp384r1)
		return false;
	if (!need_private)
		return true;
	has_priv = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &priv) == 1;
	BN_clear_free(priv);
	return has_priv;
}

static int p384_coord(EVP_PKEY *key, const char *param,
		      uint8_t out[CCA_P384_COORD_SIZE])
{
	BIGNUM *bn = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
		return -EINVAL;
	n = BN_bn2binpad(bn, out, CCA_P384_COORD_SIZE);
	BN_free(bn);
	return n == CCA_P384_COORD_SIZE ? 0 : -EINVAL;
}

/* spec: COSE_Key map of 4 in the order kty, crv, x, y; 107 bytes for
 * P-384 (attestation.md 2.2). */
int attest_cose_key(EVP_PKEY *key, uint8_t out[CCA_COSE_KEY_P384_SIZE])
{
	uint8_t x[CCA_P384_COORD_SIZE], y[CCA_P384_COORD_SIZE];
	struct cbor_enc e;

	if (!attest_key_is_p384(key, false) ||
	    p384_coord(key, OSSL_PKEY_PARAM_EC_PUB_X, x) != 0 ||
	    p384_coord(key, OSSL_PKEY_PARAM_EC_PUB_Y, y) != 0)
		return -EINVAL;
	cbor_enc_init(&e, out, CCA_COSE_KEY_P384_SIZE);
	cbor_enc_map(&e, 4);
	cbor_enc_uint(&e, COSE_KEY_KTY);
	cbor_enc_uint(&e, COSE_KTY_EC2);
	cbor_enc_negint(&e, COSE_KEY_CRV);
	cbor_enc_uint(&e, COSE_CRV_P384);
	cbor_enc_negint(&e, COSE_KEY_X);
	cbor_enc_bstr(&e, x, sizeof(x));
	cbor_enc_negint(&e, COSE_KEY_Y);
	cbor_enc_bstr(&e, y, sizeof(y));
	return cbor_enc_end(&e) == CCA_COSE_KEY_P384_SIZE ? 0 : -EINVAL;
}

/* ---- COSE_Sign1 ------------------------------------------------------------ */

size_t attest_sign1_size(size_t payload_len)
{
	return cbor_head_size(CBOR_TAG_COSE_SIGN1) + 1 +
	       1 + sizeof(cose_protected_es384) + 1 +
	       cbor_head_size(payload_len) + payload_len +
	       cbor_head_size(CCA_ES384_SIG_SIZE) + CCA_ES384_SIG_SIZE;
}

/* spec: Sig_structure = ["Signature1", protected, external_aad = h'',
 * payload] (attestation.md 2.3). Returns a malloc'd encoding. */
static uint8_t *sig_structure(const uint8_t *payload, size_t len, size_t *out_len)
{
	size_t cap = 1 + 1 + strlen(COSE_SIG_CONTEXT) + 1 + sizeof(cose_protected_es384) +
		     1 + cbor_head_size(len) + len;
	uint8_t *buf = malloc(cap);
	struct cbor_enc e;

	if (buf == NULL)
		return NULL;
	cbor_enc_init(&e, buf, cap);
	cbor_enc_array(&e, 4);
	cbor_enc_tstr(&e, COSE_SIG_CONTEXT);
	cbor_enc_bstr(&e, cose_protected_es384, sizeof(cose_protected_es384));
	cbor_enc_bstr(&e, NULL, 0);
	cbor_enc_bstr(&e, payload, len);
	*out_len = cbor_enc_end(&e);
	return buf;
}

/* spec: ES384 signatures are r || s, 48 bytes each (attestation.md 2.3);
 * OpenSSL gives DER. */
static int es384_raw(const uint8_t *der, size_t der_len,
		     uint8_t sig[CCA_ES384_SIG_SIZE])
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *sv;
	int ok;

	if (s == NULL)
		return -EIO;
	ECDSA_SIG_get0(s, &r, &sv);
	ok = BN_bn2binpad(r, sig, CCA_P384_COORD_SIZE) == CCA_P384_COORD_SIZE &&
	     BN_bn2binpad(sv, sig + CCA_P384_COORD_SIZE, CCA_P384_COORD_SIZE) ==
		     CCA_P384_COORD_SIZE;
	ECDSA_SIG_free(s);
	return ok ? 0 : -EIO;
}

static int es384_sign(EVP_PKEY *key, const uint8_t *msg, size_t len,
		      uint8_t sig[CCA_ES384_SIG_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[160];
	size_t der_len = sizeof(der);
	int err = -EIO;

	if (ctx == NULL)
		return -ENOMEM;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key) == 1 &&
	    EVP_DigestSign(ctx, der, &der_len, msg, len) == 1)
		err = es384_raw(der, der_len, sig);
	EVP_MD_CTX_free(ctx);
	return err;
}

int attest_sign1(EVP_PKEY *key, const uint8_t *payload, size_t len,
		 struct cbor_enc *e)
{
	uint8_t sig[CCA_ES384_SIG_SIZE];
	size_t tbs_len;
	uint8_t *tbs;
	int err;

	if (e->overflow || attest_sign1_size(len) > e->cap - e->len)
		return -ENOSPC;
	tbs = sig_structure(payload, len, &tbs_len);
	if (tbs == NULL)
		return -ENOMEM;
	err = es384_sign(key, tbs, tbs_len, sig);
	free(tbs);
	if (err)
		return err;
	cbor_enc_tag(e, CBOR_TAG_COSE_SIGN1);
	cbor_enc_array(e, 4);
	cbor_enc_bstr(e, cose_protected_es384, sizeof(cose_protected_es384));
	cbor_enc_map(e, 0);
	cbor_enc_bstr(e, payload, len);
	cbor_enc_bstr(e, sig, sizeof(sig));
	return e->overflow ? -ENOSPC : 0;
}

/* ---- realm token and CCA token -------------------------------------------- */

/* spec: IANA hash names, not COSE integers (attestation.md 6 item 10). */
static const char *hash_name(enum rmi_hash_algo algo)
{
	return algo == RMI_HASH_SHA_512 ? "sha-512" : "sha-256";
}

/* spec: eight claims in the reference's order; RIM and REMs at the digest
 * size, the REMs always four (attestation.md 2.1, 6 item 11). */
int attest_realm_payload(const struct attest_claims *c,
			 const uint8_t rak_key[CCA_COSE_KEY_P384_SIZE],
			 uint8_t *out, size_t cap, size_t *len)
{
	size_t dsize = measure_digest_size(c->hash_algo);
	struct cbor_enc e;

	cbor_enc_init(&e, out, cap);
	cbor_enc_map(&e, 8);
	cbor_enc_uint(&e, CCA_REALM_CHALLENGE);
	cbor_enc_bstr(&e, c->challenge, sizeof(c->challenge));
	cbor_enc_uint(&e, CCA_REALM_PERSONALIZATION);
	cbor_enc_bstr(&e, c->rpv, sizeof(c->rpv));
	cbor_enc_uint(&e, CCA_REALM_PUB_KEY);
	cbor_enc_bstr(&e, rak_key, CCA_COSE_KEY_P384_SIZE);
	cbor_enc_uint(&e, CCA_REALM_HASH_ALGO);
	cbor_enc_tstr(&e, hash_name(c->hash_algo));
	cbor_enc_uint(&e, CCA_REALM_PUB_KEY_HASH_ALGO);
	cbor_enc_tstr(&e, RAK_HASH_NAME);
	cbor_enc_uint(&e, CCA_PROFILE);
	cbor_enc_tstr(&e, CCA_REALM_PROFILE);
	cbor_enc_uint(&e, CCA_REALM_RIM);
	cbor_enc_bstr(&e, c->rim, dsize);
	cbor_enc_uint(&e, CCA_REALM_REM);
	cbor_enc_array(&e, CCA_REALM_REMS);
	for (unsigned int i = 0; i < CCA_REALM_REMS; i++)
		cbor_enc_bstr(&e, c->rem[i], dsize);
	*len = cbor_enc_end(&e);
	return *len != 0 ? 0 : -ENOSPC;
}

/* spec: the platform entry first, both tokens as byte strings
 * (attestation.md 1). */
void attest_cca_token(struct cbor_enc *e, const uint8_t *platform,
		      size_t platform_len, const uint8_t *realm, size_t realm_len)
{
	cbor_enc_tag(e, CBOR_TAG_CCA_TOKEN);
	cbor_enc_map(e, 2);
	cbor_enc_uint(e, CCA_PLATFORM_TOKEN);
	cbor_enc_bstr(e, platform, platform_len);
	cbor_enc_uint(e, CCA_REALM_TOKEN);
	cbor_enc_bstr(e, realm, realm_len);
}

/* ---- the instance's attestation material ---------------------------------- */

void attest_ctx_free(struct attest_ctx *a)
{
	if (a == NULL)
		return;
	EVP_PKEY_free(a->rak);
	free(a);
}

/* Published once (rmm_set_attestation), read by any REC thread. */
static struct attest_ctx *attest_of(struct rmm *rmm)
{
	return __atomic_load_n(&rmm->attest, __ATOMIC_ACQUIRE);
}

int rmm_set_attestation(struct rmm *rmm, EVP_PKEY *rak,
			const uint8_t *platform_token, size_t len)
{
	struct attest_ctx *a, *none = NULL;

	if (!attest_key_is_p384(rak, true) || platform_token == NULL || len == 0)
		return -EINVAL;
	if (len > ATTEST_PLATFORM_TOKEN_MAX)
		return -E2BIG;
	a = calloc(1, sizeof(*a) + len);
	if (a == NULL)
		return -ENOMEM;
	if (attest_cose_key(rak, a->rak_key) != 0 || EVP_PKEY_up_ref(rak) != 1) {
		free(a);
		return -EINVAL;
	}
	a->rak = rak;
	a->platform_len = len;
	memcpy(a->platform, platform_token, len);
	if (!__atomic_compare_exchange_n(&rmm->attest, &none, a, false,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
		attest_ctx_free(a);
		return -EBUSY;
	}
	return 0;
}

/* ---- the token of one REC -------------------------------------------------- */

int attest_token_init(struct attest_token *t, struct rmm *rmm,
		      const struct attest_claims *c)
{
	struct attest_ctx *a = attest_of(rmm);

	/* spec: INIT abandons any token in progress (rsi-1.0.md 6.1). */
	t->state = ATTEST_TOKEN_NONE;
	t->len = 0;
	t->copied = 0;
	if (a == NULL)
		return -ENODEV;
	if (attest_realm_payload(c, a->rak_key, t->payload, sizeof(t->payload),
				 &t->payload_len) != 0)
		return -ENOSPC;
	t->state = ATTEST_TOKEN_INIT;
	return 0;
}

int attest_token_sign(struct attest_token *t, struct rmm *rmm)
{
	struct attest_ctx *a = attest_of(rmm);
	uint8_t realm[ATTEST_REALM_TOKEN_MAX];
	size_t realm_len;
	struct cbor_enc e;
	int err;

	t->state = ATTEST_TOKEN_NONE;
	cbor_enc_init(&e, realm, sizeof(realm));
	err = attest_sign1(a->rak, t->payload, t->payload_len, &e);
	realm_len = cbor_enc_end(&e);
	if (err == 0) {
		cbor_enc_init(&e, t->buf, sizeof(t->buf));
		attest_cca_token(&e, a->platform, a->platform_len, realm, realm_len);
		t->len = cbor_enc_end(&e);
		err = t->len != 0 ? 0 : -ENOSPC;
	}
	if (err) {
		rmm_log(RMM_LOG_ERROR, "cannot sign a realm token: %s", strerror(-err));
		return err;
	}
	t->copied = 0;
	t->state = ATTEST_TOKEN_SIGNED;
	return 0;
}

size_t attest_token_copy(struct attest_token *t, void *dst, size_t size)
{
	size_t n = t->len - t->copied;

	if (n > size)
		n = size;
	memcpy(dst, t->buf + t->copied, n);
	t->copied += n;
	if (t->copied == t->len)
		t->state = ATTEST_TOKEN_NONE;
	return n;
}
