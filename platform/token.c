/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The platform token (attestation.md 3): a COSE_Sign1 signed with the CPAK,
 * encoded and signed with the core's encoder (rmmemu/attest.h). Its claims
 * describe rmmemu as the platform's one software component, and its
 * challenge is the hash of the RAK, which binds every realm token the RAK
 * signs to this platform (attestation.md 4).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "platform/platform.h"
#include "rmmemu/attest.h"
#include "rmmemu/rmm.h"

#define SHA256_SIZE		32
#define HASH_ALGO_SHA256	"sha-256"
#define PLATFORM_CLAIMS		9
#define SW_COMPONENT_CLAIMS	5
#define PLATFORM_PAYLOAD_MAX	1024
#define SELF_EXE		"/proc/self/exe"

/*
 * The implementation ID names the implementation of the platform, the same
 * on every machine: here SHA-256("rmmemu"). The configuration claim is a
 * bitmap of implementation options; rmmemu has none. No verification
 * service exists for rmmemu: the indicator names the reserved example
 * domain (RFC 2606), as the reference's sample token does.
 */
#define IMPLEMENTATION_NAME	"rmmemu"
#define SW_COMPONENT_NAME	"rmmemu"
#define VERIFICATION_SERVICE	\
	"https://veraison.example/.well-known/veraison/verification"
static const uint8_t platform_config[4];

struct platform {
	EVP_PKEY *cpak, *rak;
	size_t token_len;
	uint8_t *token;
};

static int sha256(const void *data, size_t len, uint8_t out[SHA256_SIZE])
{
	return EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

void platform_implementation_id(uint8_t out[PLATFORM_ID_SIZE])
{
	if (sha256(IMPLEMENTATION_NAME, strlen(IMPLEMENTATION_NAME), out) != 0)
		memset(out, 0, PLATFORM_ID_SIZE);
}

int platform_instance_id(EVP_PKEY *cpak, uint8_t out[PLATFORM_INSTANCE_ID_SIZE])
{
	uint8_t key[CCA_COSE_KEY_P384_SIZE];

	if (attest_cose_key(cpak, key) != 0)
		return -EINVAL;
	out[0] = CCA_UEID_TYPE_RAND;
	return sha256(key, sizeof(key), out + 1);
}

/* The measurement of rmmemu: SHA-256 of the program running. */
static int measure_self(uint8_t out[SHA256_SIZE])
{
	FILE *f = fopen(SELF_EXE, "rb");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t buf[16384];
	bool ok;
	size_t n;

	ok = f != NULL && ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		ok = EVP_DigestUpdate(ctx, buf, n) == 1;
	ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, out, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	if (f != NULL)
		fclose(f);
	return ok ? 0 : -EIO;
}

/* The platform claims derived from the keys. */
struct platform_ids {
	uint8_t challenge[SHA256_SIZE];
	uint8_t implementation[PLATFORM_ID_SIZE];
	uint8_t instance[PLATFORM_INSTANCE_ID_SIZE];
	uint8_t exe[SHA256_SIZE];
};

/* spec: the challenge is H(RAK COSE_Key) with the algorithm of realm claim
 * 44240, SHA-256 (attestation.md 4). */
static int platform_ids(EVP_PKEY *cpak, EVP_PKEY *rak, struct platform_ids *ids,
			char *why, size_t why_size)
{
	uint8_t rak_key[CCA_COSE_KEY_P384_SIZE];

	if (attest_cose_key(rak, rak_key) != 0 || sha256(rak_key, sizeof(rak_key),
							 ids->challenge) != 0 ||
	    platform_instance_id(cpak, ids->instance) != 0) {
		snprintf(why, why_size, "the keys are not P-384 keys");
		return -EINVAL;
	}
	platform_implementation_id(ids->implementation);
	if (measure_self(ids->exe) != 0) {
		snprintf(why, why_size, "cannot measure %s", SELF_EXE);
		return -EIO;
	}
	return 0;
}

/* rmmemu itself: type, measurement, version, signer, hash algorithm. The
 * binary is not signed; the signer ID names the holder of the CPAK, which
 * vouches for the measurement (the instance ID without its type byte). */
static void sw_components(struct cbor_enc *e, const struct platform_ids *ids)
{
	cbor_enc_array(e, 1);
	cbor_enc_map(e, SW_COMPONENT_CLAIMS);
	cbor_enc_uint(e, CCA_SW_COMPONENT_TYPE);
	cbor_enc_tstr(e, SW_COMPONENT_NAME);
	cbor_enc_uint(e, CCA_SW_MEASUREMENT_VALUE);
	cbor_enc_bstr(e, ids->exe, sizeof(ids->exe));
	cbor_enc_uint(e, CCA_SW_VERSION);
	cbor_enc_tstr(e, PACKAGE_VERSION);
	cbor_enc_uint(e, CCA_SW_SIGNER_ID);
	cbor_enc_bstr(e, ids->instance + 1, PLATFORM_ID_SIZE);
	cbor_enc_uint(e, CCA_SW_HASH_ALGO);
	cbor_enc_tstr(e, HASH_ALGO_SHA256);
}

/* spec: the claims of attestation.md 3, in the order of the reference's
 * sample token. */
static size_t platform_payload(const struct platform_ids *ids, uint8_t *out,
			       size_t cap)
{
	struct cbor_enc e;

	cbor_enc_init(&e, out, cap);
	cbor_enc_map(&e, PLATFORM_CLAIMS);
	cbor_enc_uint(&e, CCA_PROFILE);
	cbor_enc_tstr(&e, CCA_PLATFORM_PROFILE);
	cbor_enc_uint(&e, CCA_PLATFORM_CHALLENGE);
	cbor_enc_bstr(&e, ids->challenge, sizeof(ids->challenge));
	cbor_enc_uint(&e, CCA_PLATFORM_IMPLEMENTATION_ID);
	cbor_enc_bstr(&e, ids->implementation, sizeof(ids->implementation));
	cbor_enc_uint(&e, CCA_PLATFORM_INSTANCE_ID);
	cbor_enc_bstr(&e, ids->instance, sizeof(ids->instance));
	cbor_enc_uint(&e, CCA_PLATFORM_CONFIG);
	cbor_enc_bstr(&e, platform_config, sizeof(platform_config));
	cbor_enc_uint(&e, CCA_PLATFORM_LIFECYCLE);
	cbor_enc_uint(&e, CCA_LIFECYCLE_SECURED);
	cbor_enc_uint(&e, CCA_PLATFORM_HASH_ALGO);
	cbor_enc_tstr(&e, HASH_ALGO_SHA256);
	cbor_enc_uint(&e, CCA_PLATFORM_VERIFICATION_SERVICE);
	cbor_enc_tstr(&e, VERIFICATION_SERVICE);
	cbor_enc_uint(&e, CCA_PLATFORM_SW_COMPONENTS);
	sw_components(&e, ids);
	return cbor_enc_end(&e);
}

static int platform_sign(struct platform *p, const uint8_t *payload, size_t len)
{
	size_t cap = attest_sign1_size(len);
	struct cbor_enc e;
	int err;

	p->token = malloc(cap);
	if (p->token == NULL)
		return -ENOMEM;
	cbor_enc_init(&e, p->token, cap);
	err = attest_sign1(p->cpak, payload, len, &e);
	p->token_len = cbor_enc_end(&e);
	return err;
}

int platform_new(EVP_PKEY *cpak, EVP_PKEY *rak, struct platform **out,
		 char *why, size_t why_size)
{
	uint8_t payload[PLATFORM_PAYLOAD_MAX];
	struct platform_ids ids;
	struct platform *p;
	size_t len;
	int err;

	err = platform_ids(cpak, rak, &ids, why, why_size);
	if (err)
		return err;
	len = platform_payload(&ids, payload, sizeof(payload));
	if (len == 0) {
		snprintf(why, why_size, "the platform claims take more than %d bytes",
			 PLATFORM_PAYLOAD_MAX);
		return -ENOSPC;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	if (EVP_PKEY_up_ref(cpak) == 1)
		p->cpak = cpak;
	if (EVP_PKEY_up_ref(rak) == 1)
		p->rak = rak;
	err = p->cpak != NULL && p->rak != NULL ? platform_sign(p, payload, len) :
						  -ENOMEM;
	if (err) {
		snprintf(why, why_size, "cannot sign the platform token: %s",
			 strerror(-err));
		platform_free(p);
		return err;
	}
	*out = p;
	return 0;
}

int platform_open(const struct platform_opts *o, struct platform **out,
		  char *why, size_t why_size)
{
	EVP_PKEY *cpak, *rak;
	int err;

	err = platform_keys_load(o, &cpak, &rak, why, why_size);
	if (err)
		return err;
	err = platform_new(cpak, rak, out, why, why_size);
	EVP_PKEY_free(cpak);
	EVP_PKEY_free(rak);
	return err;
}

void platform_free(struct platform *p)
{
	if (p == NULL)
		return;
	EVP_PKEY_free(p->cpak);
	EVP_PKEY_free(p->rak);
	free(p->token);
	free(p);
}

int platform_attach(const struct platform *p, struct rmm *rmm)
{
	return rmm_set_attestation(rmm, p->rak, p->token, p->token_len);
}

EVP_PKEY *platform_cpak(const struct platform *p)
{
	return p->cpak;
}

EVP_PKEY *platform_rak(const struct platform *p)
{
	return p->rak;
}

const uint8_t *platform_token(const struct platform *p, size_t *len)
{
	*len = p->token_len;
	return p->token;
}
