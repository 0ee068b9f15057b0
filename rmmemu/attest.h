/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attestation tokens (attestation.md; rsi-1.0.md 6): the CBOR encoder, the
 * COSE_Key of an ECC P-384 key, COSE_Sign1 with ES384, the realm token, the
 * CCA token around it, and the per-REC token of ATTESTATION_TOKEN_INIT /
 * CONTINUE. The platform side (platform/) signs its platform token with the
 * same encoder and COSE_Sign1, so both tokens are encoded one way.
 *
 * Every CBOR item is emitted with a definite length and its shortest head
 * (attestation.md 6 item 1).
 */
#ifndef RMMEMU_ATTEST_H
#define RMMEMU_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rmmemu/cca-token.h>
#include <rmmemu/rmi-1.0.h>

struct rmm;
struct evp_pkey_st;	/* OpenSSL's EVP_PKEY */

/* The reference returns the token through one 4 KiB buffer per REC and
 * reports that size as TOKEN_INIT x1 (rsi-1.0.md 6.1, attestation.md 5). */
#define ATTEST_TOKEN_MAX		4096
/* Realm claims of a SHA-512 realm, the larger one (attestation.md 5). */
#define ATTEST_REALM_PAYLOAD_MAX	641
#define ATTEST_REALM_TOKEN_MAX		750
/* A platform token larger than this leaves no room for a SHA-512 realm
 * token in ATTEST_TOKEN_MAX: besides the two tokens the CCA token holds its
 * tag (3 bytes), map head (1), two keys (3 each) and two bstr heads (3 each
 * from 256 bytes on). */
#define ATTEST_CCA_OVERHEAD_MAX		16
#define ATTEST_PLATFORM_TOKEN_MAX	(ATTEST_TOKEN_MAX - ATTEST_CCA_OVERHEAD_MAX - \
					 ATTEST_REALM_TOKEN_MAX)


/* ---- CBOR encoder -------------------------------------------------------- */

/* Writes into a caller's buffer; one that is too small sets overflow and
 * stops every later write, so a sequence of puts is checked once at the end
 * (cbor_enc_end). */
struct cbor_enc {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

void cbor_enc_init(struct cbor_enc *e, uint8_t *buf, size_t cap);
void cbor_enc_uint(struct cbor_enc *e, uint64_t v);
/* v < 0 */
void cbor_enc_negint(struct cbor_enc *e, int64_t v);
void cbor_enc_bstr(struct cbor_enc *e, const void *data, size_t len);
/* The head of a byte string whose len bytes the caller writes next. */
void cbor_enc_bstr_head(struct cbor_enc *e, size_t len);
void cbor_enc_tstr(struct cbor_enc *e, const char *s);
void cbor_enc_array(struct cbor_enc *e, size_t n);
void cbor_enc_map(struct cbor_enc *e, size_t n);
void cbor_enc_tag(struct cbor_enc *e, uint64_t tag);
/* Raw bytes: an item encoded elsewhere. */
void cbor_enc_raw(struct cbor_enc *e, const void *data, size_t len);
/* Returns the length written, or 0 if the buffer was too small. */
size_t cbor_enc_end(const struct cbor_enc *e);
/* Size of the head of an item with argument v (1, 2, 3, 5 or 9). */
size_t cbor_head_size(uint64_t v);

/* ---- COSE ---------------------------------------------------------------- */

/* true for an EC key on P-384 (a private key if need_private). */
bool attest_key_is_p384(struct evp_pkey_st *key, bool need_private);
/* The COSE_Key {1: 2, -1: 2, -2: x, -3: y} of a P-384 key (attestation.md
 * 2.2). Returns 0 or -EINVAL (not a P-384 key). */
int attest_cose_key(struct evp_pkey_st *key,
		    uint8_t out[CCA_COSE_KEY_P384_SIZE]);
/* Size of the COSE_Sign1 of a payload of len bytes. */
size_t attest_sign1_size(size_t payload_len);
/*
 * Appends the COSE_Sign1 (tag 18) of payload signed with ES384 by key:
 * protected {1: -35}, no unprotected header, the raw r || s signature over
 * the Sig_structure ["Signature1", protected, h'', payload] (attestation.md
 * 2.3). Returns 0, -ENOSPC (e too small) or -EIO (signing failed).
 */
int attest_sign1(struct evp_pkey_st *key, const uint8_t *payload, size_t len,
		 struct cbor_enc *e);

/* ---- realm token and CCA token -------------------------------------------- */

/* What the realm token says about a realm, captured at TOKEN_INIT. */
struct attest_claims {
	uint8_t challenge[CCA_CHALLENGE_SIZE];
	uint8_t rpv[RMI_RPV_SIZE];
	enum rmi_hash_algo hash_algo;
	uint8_t rim[64];
	uint8_t rem[CCA_REALM_REMS][64];
};

/* The realm claims map (attestation.md 2.1) with the RAK rak_key. Returns
 * 0 or -ENOSPC. */
int attest_realm_payload(const struct attest_claims *c,
			 const uint8_t rak_key[CCA_COSE_KEY_P384_SIZE],
			 uint8_t *out, size_t cap, size_t *len);
/* Appends the CCA token: tag 399, {44234: platform, 44241: realm}
 * (attestation.md 1). */
void attest_cca_token(struct cbor_enc *e, const uint8_t *platform,
		      size_t platform_len, const uint8_t *realm, size_t realm_len);

/* ---- what EL3 gives the RMM (rmm_set_attestation) ----------------------- */

struct attest_ctx {
	struct evp_pkey_st *rak;
	uint8_t rak_key[CCA_COSE_KEY_P384_SIZE];	/* its COSE_Key */
	size_t platform_len;
	uint8_t platform[];				/* platform token */
};

void attest_ctx_free(struct attest_ctx *a);

/* ---- the token of one REC (rsi-1.0.md 6) ---------------------------------- */

enum attest_token_state {
	ATTEST_TOKEN_NONE,	/* no INIT, or the last token was read to its end */
	ATTEST_TOKEN_INIT,	/* claims captured, not signed yet */
	ATTEST_TOKEN_SIGNED,	/* the CCA token is in buf */
};

struct attest_token {
	enum attest_token_state state;
	size_t payload_len;
	size_t len;		/* SIGNED: size of the CCA token */
	size_t copied;		/* SIGNED: bytes the realm has received */
	uint8_t payload[ATTEST_REALM_PAYLOAD_MAX];
	uint8_t buf[ATTEST_TOKEN_MAX];
};

/*
 * TOKEN_INIT: abandons any token in progress and captures the claims.
 * Returns 0, or -ENODEV when the instance has no attestation key (the
 * token stays NONE).
 */
int attest_token_init(struct attest_token *t, struct rmm *rmm,
		      const struct attest_claims *c);
/* Signs the realm token and assembles the CCA token (state INIT -> SIGNED).
 * Returns 0 or a negative errno (the token is then abandoned). */
int attest_token_sign(struct attest_token *t, struct rmm *rmm);
/* Copies the next bytes of a SIGNED token, at most size; the token ends
 * (NONE) with its last byte. Returns the number of bytes copied. */
size_t attest_token_copy(struct attest_token *t, void *dst, size_t size);

#endif /* RMMEMU_ATTEST_H */
