/* SPDX-License-Identifier: BSD-3-Clause */
/* A realm that asks for a token, and a verifier's checks of it. */
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <rmmemu/rsi-1.0.h>

#include "realm-token.h"
#include "rmmemu/granule.h"
#include "rmmemu/rec.h"
#include "rmmemu/tests/scripted.h"

#define ESR_SMC64	0x5E000000ULL
#define IPA_IMAGE	0x1000ULL
#define IPA_TOKEN	0x2000ULL
#define IPA_END		0x3000ULL
#define CHUNK		1000
#define SHA256_SIZE	32

/* ---- the realm -------------------------------------------------------------- */

static uint8_t *realm_page(struct fx *f, uint64_t ipa)
{
	struct harness *h = f->h;

	assert_rmi(h_call(h, RMI_RTT_READ_ENTRY, f->r.rd, ipa, 3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 3);
	assert_int_equal(h->last_out[2], RMI_ASSIGNED);
	return granule_priv(h->rmm, granule_find(h->rmm, h->last_out[3]));
}

/* A measured image page and an unmeasured page for the token, REC 0. */
static void realm_build(struct fx *f, enum rmi_hash_algo algo)
{
	struct harness *h = f->h;
	uint64_t src = h_alloc(h);
	uint8_t *p = h_ns(h, src);

	h_realm_create_at(h, &f->r, S2SZ, 1, algo);
	h_rtt_create_to(h, &f->r, 0, 3);
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, f->r.rd, IPA_IMAGE, IPA_END, 0, 0),
		   RMI_SUCCESS, 0);
	for (unsigned int i = 0; i < RMI_GRANULE_SIZE; i++)
		p[i] = (uint8_t)(i * 31 + 1);
	assert_rmi(h_call(h, RMI_DATA_CREATE, f->r.rd, h_delegated(h), IPA_IMAGE, src,
			  RMI_MEASURE_CONTENT), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, f->r.rd, h_delegated(h), IPA_TOKEN,
			  0, 0), RMI_SUCCESS, 0);
	fx_recs(f);
	assert_rmi(h_call(h, RMI_REALM_ACTIVATE, f->r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	f->run = h_alloc(h);
	memset(h_ns(h, f->run), 0, RMI_GRANULE_SIZE);
	sx_reset(h);
	rmm_set_executor(h->rmm, &sx_ops, &sx);
}

/* REC 0 executes SMC #0 with x0..x8 and the RMM answers without an exit;
 * returns x0, x1 in out. */
static void realm_call(struct fx *f, const uint64_t x[9], uint64_t out[2])
{
	struct rec *rec = rec_of(f, 0);

	memcpy(rec->regs.gprs, x, 9 * sizeof(x[0]));
	sx.nsteps = sx.pos = sx.nruns = 0;
	sx_push(REC_EVENT_SMC, ESR_SMC64, 0, 0, 0)->pc_add = 4;
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 2);
	assert_int_equal(exit_of(f, f->run)->exit_reason, RMI_EXIT_IRQ);
	out[0] = rec->regs.gprs[0];
	out[1] = rec->regs.gprs[1];
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void extend(struct fx *f, uint64_t index, uint64_t size, uint64_t value)
{
	const uint64_t x[9] = { RSI_MEASUREMENT_EXTEND, index, size, value, value };
	uint64_t out[2];

	realm_call(f, x, out);
	assert_int_equal(out[0], RSI_SUCCESS);
}

static void token_fetch(struct fx *f, struct realm_token *t)
{
	uint64_t x[9] = { RSI_ATTESTATION_TOKEN_INIT }, out[2];

	for (unsigned int i = 0; i < 8; i++)
		x[1 + i] = le64(t->challenge + 8 * i);
	realm_call(f, x, out);
	assert_int_equal(out[0], RSI_SUCCESS);
	assert_int_equal(out[1], ATTEST_TOKEN_MAX);
	out[0] = RSI_INCOMPLETE;
	for (t->len = 0; out[0] == RSI_INCOMPLETE; t->len += out[1]) {
		const uint64_t c[9] = { RSI_ATTESTATION_TOKEN_CONTINUE, IPA_TOKEN, 0, CHUNK };

		realm_call(f, c, out);
		assert_true(out[0] == RSI_SUCCESS || out[0] == RSI_INCOMPLETE);
		assert_true(out[1] <= CHUNK && t->len + out[1] <= sizeof(t->token));
		memcpy(t->token + t->len, realm_page(f, IPA_TOKEN), out[1]);
	}
}

void realm_token_make(struct harness *h, enum rmi_hash_algo algo,
		      const uint8_t challenge[CCA_CHALLENGE_SIZE],
		      struct realm_token *t)
{
	struct fx f = { .h = h };
	uint8_t m[64];

	memset(t, 0, sizeof(*t));
	t->algo = algo;
	memcpy(t->challenge, challenge, CCA_CHALLENGE_SIZE);
	f.num_lrs = (unsigned int)RMI_FIELD_GET(rmm_feature_register0(h->rmm),
						GICV3_NUM_LRS) + 1;
	realm_build(&f, algo);
	extend(&f, 1, 8, 0x1122334455667788ULL);
	extend(&f, 3, 16, 0x0123456789ABCDEFULL);
	token_fetch(&f, t);
	for (unsigned int i = 0; i <= REALM_TOKEN_REMS; i++) {
		assert_int_equal(rmm_realm_measurement(h->rmm, f.r.rd, i, m,
						       &t->digest_size), 0);
		memcpy(i == 0 ? t->rim : t->rems[i - 1], m, sizeof(m));
	}
	for (unsigned int i = 0; i < RMI_RPV_SIZE; i++)
		t->rpv[i] = (uint8_t)(H_RPV_FIRST + i);
}

/* ---- the checks ------------------------------------------------------------- */

cbor_item_t *rt_decode(const uint8_t *buf, size_t len)
{
	struct cbor_load_result res;
	cbor_item_t *item = cbor_load(buf, len, &res);

	assert_non_null(item);
	assert_int_equal(res.error.code, CBOR_ERR_NONE);
	assert_int_equal(res.read, len);
	return item;
}

const cbor_item_t *rt_claim(const cbor_item_t *m, int64_t k)
{
	struct cbor_pair *pairs = cbor_map_handle(m);

	for (size_t i = 0; i < cbor_map_size(m); i++) {
		const cbor_item_t *key = pairs[i].key;
		int64_t v;

		if (cbor_isa_uint(key))
			v = (int64_t)cbor_get_int(key);
		else if (cbor_isa_negint(key))
			v = -1 - (int64_t)cbor_get_int(key);
		else
			continue;
		if (v == k)
			return pairs[i].value;
	}
	fail_msg("no claim %lld", (long long)k);
	return NULL;
}

void rt_assert_bstr(const cbor_item_t *item, const void *want, size_t len)
{
	assert_true(cbor_isa_bytestring(item));
	assert_int_equal(cbor_bytestring_length(item), len);
	assert_memory_equal(cbor_bytestring_handle(item), want, len);
}

void rt_assert_tstr(const cbor_item_t *item, const char *want)
{
	assert_true(cbor_isa_string(item));
	assert_int_equal(cbor_string_length(item), strlen(want));
	assert_memory_equal(cbor_string_handle(item), want, strlen(want));
}

/* A definite head of major type mt, written here independently of the
 * core's encoder. */
static uint8_t *head(uint8_t *p, unsigned int mt, size_t len)
{
	if (len < 24) {
		*p++ = (uint8_t)(mt << 5 | len);
	} else if (len < 256) {
		*p++ = (uint8_t)(mt << 5 | 24);
		*p++ = (uint8_t)len;
	} else {
		*p++ = (uint8_t)(mt << 5 | 25);
		*p++ = (uint8_t)(len >> 8);
		*p++ = (uint8_t)len;
	}
	return p;
}

/* spec: ES384 over ["Signature1", protected, h'', payload] (attestation.md
 * 2.3), the signature raw r || s. */
static void assert_es384(EVP_PKEY *key, const uint8_t *protected_hdr, size_t plen,
			 const uint8_t *payload, size_t len, const uint8_t *sig)
{
	uint8_t *tbs = malloc(len + plen + 32), *p = tbs, *der = NULL;
	ECDSA_SIG *s = ECDSA_SIG_new();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int der_len;

	assert_non_null(tbs);
	p = head(p, 4, 4);
	p = head(p, 3, 10);
	memcpy(p, "Signature1", 10);
	p += 10;
	p = head(p, 2, plen);
	memcpy(p, protected_hdr, plen);
	p += plen;
	p = head(p, 2, 0);
	p = head(p, 2, len);
	memcpy(p, payload, len);
	p += len;
	assert_int_equal(ECDSA_SIG_set0(s, BN_bin2bn(sig, 48, NULL),
					BN_bin2bn(sig + 48, 48, NULL)), 1);
	der_len = i2d_ECDSA_SIG(s, &der);
	assert_true(der_len > 0);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key), 1);
	assert_int_equal(EVP_DigestVerify(ctx, der, (size_t)der_len, tbs,
					  (size_t)(p - tbs)), 1);
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(s);
	free(tbs);
}

/* The RAK of a COSE_Key claim, as an OpenSSL key. */
static EVP_PKEY *rak_of(const cbor_item_t *claim)
{
	static const uint8_t kty_crv_x[] = { 0xA4, 0x01, 0x02, 0x20, 0x02, 0x21, 0x58, 0x30 };
	static const uint8_t y_head[] = { 0x22, 0x58, 0x30 };
	const uint8_t *k = cbor_bytestring_handle(claim);
	uint8_t point[97];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM *params;
	EVP_PKEY *key = NULL;

	/* spec: {1: 2, -1: 2, -2: x, -3: y} (attestation.md 2.2). */
	assert_int_equal(cbor_bytestring_length(claim), CCA_COSE_KEY_P384_SIZE);
	assert_memory_equal(k, kty_crv_x, sizeof(kty_crv_x));
	assert_memory_equal(k + 56, y_head, sizeof(y_head));
	point[0] = 0x04;
	memcpy(point + 1, k + 8, 48);
	memcpy(point + 49, k + 59, 48);
	assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
							 "P-384", 0), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
							  point, sizeof(point)), 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

cbor_item_t *rt_sign1_claims(const uint8_t *buf, size_t len, EVP_PKEY *key)
{
	static const uint8_t es384[] = { 0xA1, 0x01, 0x38, 0x22 };
	cbor_item_t *arr, *parts[4], *claims;
	EVP_PKEY *rak = NULL;
	size_t plen;

	/* Tag 18 is the one-byte head D2, which libcbor 0.8 refuses (it
	 * rejects tags 6..20 in the initial byte): checked here, the array
	 * decoded on its own. */
	assert_true(len > 1);
	assert_int_equal(buf[0], 0xD2);
	arr = rt_decode(buf + 1, len - 1);
	assert_true(cbor_isa_array(arr));
	assert_int_equal(cbor_array_size(arr), 4);
	for (unsigned int i = 0; i < 4; i++)
		parts[i] = cbor_array_get(arr, i);
	rt_assert_bstr(parts[0], es384, sizeof(es384));
	assert_true(cbor_isa_map(parts[1]));
	assert_int_equal(cbor_map_size(parts[1]), 0);
	assert_true(cbor_isa_bytestring(parts[3]));
	assert_int_equal(cbor_bytestring_length(parts[3]), 96);
	assert_true(cbor_isa_bytestring(parts[2]));
	plen = cbor_bytestring_length(parts[2]);
	claims = rt_decode(cbor_bytestring_handle(parts[2]), plen);
	assert_true(cbor_isa_map(claims));
	if (key == NULL)
		key = rak = rak_of(rt_claim(claims, 44237));
	assert_es384(key, es384, sizeof(es384), cbor_bytestring_handle(parts[2]), plen,
		     cbor_bytestring_handle(parts[3]));
	EVP_PKEY_free(rak);
	for (unsigned int i = 0; i < 4; i++)
		cbor_decref(&parts[i]);
	cbor_decref(&arr);
	return claims;
}

/* The claims of the token in byte string item. */
static cbor_item_t *bstr_claims(const cbor_item_t *item, EVP_PKEY *key)
{
	assert_true(cbor_isa_bytestring(item));
	return rt_sign1_claims(cbor_bytestring_handle(item), cbor_bytestring_length(item),
			       key);
}

static void check_realm_claims(const struct realm_token *t, const cbor_item_t *c)
{
	const char *alg = t->algo == RMI_HASH_SHA_512 ? "sha-512" : "sha-256";
	const cbor_item_t *rems = rt_claim(c, 44239);

	assert_int_equal(cbor_map_size(c), 8);
	rt_assert_bstr(rt_claim(c, 10), t->challenge, CCA_CHALLENGE_SIZE);
	rt_assert_bstr(rt_claim(c, 44235), t->rpv, RMI_RPV_SIZE);
	rt_assert_tstr(rt_claim(c, 44236), alg);
	rt_assert_tstr(rt_claim(c, 44240), "sha-256");
	rt_assert_tstr(rt_claim(c, 265), "tag:arm.com,2023:realm#1.0.0");
	rt_assert_bstr(rt_claim(c, 44238), t->rim, t->digest_size);
	assert_true(cbor_isa_array(rems));
	assert_int_equal(cbor_array_size(rems), REALM_TOKEN_REMS);
	for (unsigned int i = 0; i < REALM_TOKEN_REMS; i++) {
		cbor_item_t *rem = cbor_array_get(rems, i);

		rt_assert_bstr(rem, t->rems[i], t->digest_size);
		cbor_decref(&rem);
	}
}

void realm_token_check(const struct realm_token *t, EVP_PKEY *cpak)
{
	cbor_item_t *root = rt_decode(t->token, t->len), *outer, *platform, *realm;
	const cbor_item_t *rak;
	uint8_t binding[SHA256_SIZE];

	assert_true(cbor_isa_tag(root));
	assert_int_equal(cbor_tag_value(root), 399);
	outer = cbor_tag_item(root);
	assert_true(cbor_isa_map(outer));
	assert_int_equal(cbor_map_size(outer), 2);
	platform = bstr_claims(rt_claim(outer, 44234), cpak);
	realm = bstr_claims(rt_claim(outer, 44241), NULL);
	/* spec: platform challenge == SHA-256 of the RAK claim's bytes
	 * (attestation.md 4). */
	rak = rt_claim(realm, 44237);
	assert_int_equal(EVP_Digest(cbor_bytestring_handle(rak), cbor_bytestring_length(rak),
				    binding, NULL, EVP_sha256(), NULL), 1);
	rt_assert_bstr(rt_claim(platform, 10), binding, sizeof(binding));
	check_realm_claims(t, realm);
	cbor_decref(&realm);
	cbor_decref(&platform);
	cbor_decref(&outer);
	cbor_decref(&root);
}
