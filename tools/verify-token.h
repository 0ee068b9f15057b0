/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCA attestation token verifier behind "rmmctl verify-token": decodes
 * an RMM 1.0 token (tag 399 around the platform and realm COSE_Sign1
 * tokens, shared reference attestation.md) strictly, verifies the realm
 * signature with the realm attestation key (RAK) the token carries, the
 * binding platform.challenge == H(RAK), and, given the platform key, the
 * platform signature. Decoding is libcbor; signatures are OpenSSL.
 *
 * The claims point into the decoded CBOR: they live as long as the token.
 */
#ifndef RMMEMU_TOOLS_VERIFY_TOKEN_H
#define RMMEMU_TOOLS_VERIFY_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* libcbor's cbor_item_t and OpenSSL's EVP_PKEY. */
struct cbor_item_t;
struct evp_pkey_st;

/* The checks, in the order they are made. */
enum token_check {
	TOKEN_CHECK_FORMAT,		/* strict CBOR, structure, claim types/sizes */
	TOKEN_CHECK_REALM_SIGNATURE,	/* ES384 with the RAK of the token */
	TOKEN_CHECK_BINDING,		/* platform challenge == H(RAK claim) */
	TOKEN_CHECK_PLATFORM_SIGNATURE,	/* with the given platform key */
	TOKEN_CHECKS
};

enum token_check_result {
	TOKEN_CHECK_NOT_RUN,		/* an earlier check failed */
	TOKEN_CHECK_PASSED,
	TOKEN_CHECK_FAILED,
	TOKEN_CHECK_SKIPPED,		/* platform signature without a key */
};

/* A byte or text string claim; present is false when the claim is absent. */
struct token_bytes {
	const uint8_t *p;
	size_t len;
	bool present;
};

struct token_text {
	const char *p;		/* not NUL-terminated */
	size_t len;
	bool present;
};

struct token_uint {
	uint64_t value;
	bool present;
};

#define TOKEN_REM_COUNT	4

/* Realm claims (attestation.md 2.1). */
struct token_realm_claims {
	struct token_bytes challenge;
	struct token_bytes personalization_value;
	struct token_bytes public_key;		/* the RAK claim's bytes */
	struct token_text hash_algo_id;
	struct token_text public_key_hash_algo_id;
	struct token_text profile;		/* absent in the legacy form */
	struct token_bytes initial_measurement;
	struct token_bytes extensible_measurements[TOKEN_REM_COUNT];
	bool legacy;				/* RAK as a raw EC point */
};

struct token_sw_component {
	struct token_text type;
	struct token_bytes measurement_value;
	struct token_text version;
	struct token_bytes signer_id;
	struct token_text hash_algo_id;
};

struct token_sw_components {
	struct token_sw_component *v;
	size_t n;
	bool present;
};

/* A platform claim this verifier does not know: shown as its CBOR. */
struct token_other_claim {
	int64_t key;
	const struct cbor_item_t *value;
};

/* Platform claims (attestation.md 3). */
struct token_platform_claims {
	struct token_text profile;
	struct token_bytes challenge;
	struct token_bytes implementation_id;
	struct token_bytes instance_id;
	struct token_bytes config;
	struct token_uint lifecycle;
	struct token_sw_components sw_components;
	struct token_text verification_service;
	struct token_text hash_algo_id;
	struct token_other_claim *other;
	size_t num_other;
};

#define TOKEN_MAX_ROOTS	8

struct token {
	enum token_check_result checks[TOKEN_CHECKS];
	char error[256];		/* why the failed check failed */
	struct token_realm_claims realm;
	struct token_platform_claims platform;
	/* private: the decoded CBOR items the claims point into */
	struct cbor_item_t *roots[TOKEN_MAX_ROOTS];
	size_t num_roots;
};

struct token_options {
	bool legacy;		/* also accept the legacy form (no profile claim) */
	struct evp_pkey_st *platform_key; /* NULL: platform signature not checked */
};

/*
 * Decodes and verifies the len bytes at buf (exactly one token, no trailing
 * bytes). Returns the token with the result of each check, or NULL when out
 * of memory. The claims are set only when the format check passed.
 */
struct token *token_verify(const uint8_t *buf, size_t len,
			   const struct token_options *opts);
void token_free(struct token *t);

/* True when every check that was made passed. */
bool token_verified(const struct token *t);
/* The check that failed (TOKEN_CHECKS when none did). */
enum token_check token_failed_check(const struct token *t);
const char *token_check_name(enum token_check check);

/*
 * The results and, when verified, the claims: text (one "NAME VALUE" a
 * line) or JSON. The format is in tools/README.md. Return 0, or -1 when
 * writing failed.
 */
int token_print_text(FILE *out, const struct token *t);
int token_print_json(FILE *out, const struct token *t);
/* p[0..len) as a JSON string: quotes, '\\' and control bytes escaped. rmmctl's
 * other JSON output uses it too. */
void token_print_json_string(FILE *out, const char *p, size_t len);

/* A public key from a PEM file (SubjectPublicKeyInfo); NULL with msg set. */
struct evp_pkey_st *token_read_public_key(const char *path, char *msg, size_t msglen);
void token_free_public_key(struct evp_pkey_st *key);

/*
 * The strict CBOR rules every item of the token follows: exactly one
 * well-formed item filling len bytes, definite lengths, shortest-form heads,
 * valid UTF-8 text, no floating-point or simple values other than
 * false/true/null/undefined, at most 16 levels deep. Returns 0, or -1 with
 * *why set to a static message.
 */
int token_cbor_check(const uint8_t *buf, size_t len, const char **why);

#endif /* RMMEMU_TOOLS_VERIFY_TOKEN_H */
