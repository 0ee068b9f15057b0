/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A realm that asks for an attestation token, run in-process with the
 * scripted executor (rmmemu/tests/scripted.h), and the checks a verifier
 * makes of the token it got: the platform signature with the CPAK, the
 * binding platform challenge == SHA-256(RAK claim), the realm signature with
 * that RAK, the realm claims. For make-token and the platform tests; every
 * step is a cmocka assertion.
 */
#ifndef RMMEMU_TOOLS_TESTS_REALM_TOKEN_H
#define RMMEMU_TOOLS_TESTS_REALM_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "rmmemu/attest.h"
#include "rmmemu/tests/harness.h"

#define REALM_TOKEN_REMS	4

struct realm_token {
	enum rmi_hash_algo algo;
	uint8_t challenge[CCA_CHALLENGE_SIZE];
	uint8_t rpv[RMI_RPV_SIZE];
	size_t digest_size;
	uint8_t rim[64];
	uint8_t rems[REALM_TOKEN_REMS][64];
	size_t len;
	uint8_t token[ATTEST_TOKEN_MAX];
};

/*
 * Builds a realm with hash algorithm algo in h (whose RMM has its
 * attestation key) and runs REC 0: MEASUREMENT_EXTEND of REM0 and REM2,
 * ATTESTATION_TOKEN_INIT with challenge, then TOKEN_CONTINUE of 1000 bytes
 * at a time into a realm granule until SUCCESS. t gets the token (exactly
 * the bytes the realm received), and the challenge, RPV, RIM and REMs the
 * realm had (RMI_RPV, rmm_realm_measurement).
 */
void realm_token_make(struct harness *h, enum rmi_hash_algo algo,
		      const uint8_t challenge[CCA_CHALLENGE_SIZE],
		      struct realm_token *t);

/*
 * Decodes t->token and checks it against t: the platform token verifies
 * with cpak, its challenge is SHA-256 of the realm's RAK claim, the realm
 * token verifies with that RAK, and its claims are t's values.
 */
void realm_token_check(const struct realm_token *t, struct evp_pkey_st *cpak);

/* ---- pieces of the checks ------------------------------------------------ */

struct cbor_item_t;	/* libcbor */

/* Exactly one CBOR item filling buf[0..len) (the caller decrefs). */
struct cbor_item_t *rt_decode(const uint8_t *buf, size_t len);
/*
 * The claims of the COSE_Sign1 ES384 token buf[0..len) (tag 18, protected
 * {1: -35}, empty unprotected map, 96-byte r || s), its signature verified
 * with key over a Sig_structure built independently of the core's encoder,
 * or, when key is NULL, with the RAK its claim 44237 carries (the caller
 * decrefs).
 */
struct cbor_item_t *rt_sign1_claims(const uint8_t *buf, size_t len,
				    struct evp_pkey_st *key);
/* The value of integer key k in map m; fails the test if absent. */
const struct cbor_item_t *rt_claim(const struct cbor_item_t *m, int64_t k);
void rt_assert_bstr(const struct cbor_item_t *item, const void *want, size_t len);
void rt_assert_tstr(const struct cbor_item_t *item, const char *want);

#endif /* RMMEMU_TOOLS_TESTS_REALM_TOKEN_H */
