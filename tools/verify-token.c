/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CCA attestation token verifier (RMM 1.0 form). The facts are in the
 * shared reference attestation.md; the section numbers below are its.
 *
 * Order: every CBOR item is first checked by token_cbor_check() (strict
 * rules, and lengths bounded by the input before libcbor allocates for
 * them), then loaded with libcbor and its claims read through the claim
 * tables; then the realm signature, the binding and the platform signature.
 */
#include "tools/verify-token.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <rmmemu/cca-token.h>

#define LEGACY_RAK_SIZE		(1 + 2 * CCA_P384_COORD_SIZE)	/* 0x04 || x || y */

static const char realm_profile[] = CCA_REALM_PROFILE;
static const char platform_profile[] = CCA_PLATFORM_PROFILE;
static const char platform_profile_legacy[] = CCA_PLATFORM_PROFILE_LEGACY;

static const char *const check_names[TOKEN_CHECKS] = {
	[TOKEN_CHECK_FORMAT] = "format",
	[TOKEN_CHECK_REALM_SIGNATURE] = "realm-signature",
	[TOKEN_CHECK_BINDING] = "binding",
	[TOKEN_CHECK_PLATFORM_SIGNATURE] = "platform-signature",
};

const char *token_check_name(enum token_check check)
{
	return check < TOKEN_CHECKS ? check_names[check] : "none";
}

/* Records the first failure; returns -1 for the caller to pass on. */
__attribute__((format(printf, 3, 4)))
static int fail(struct token *t, enum token_check check, const char *fmt, ...)
{
	va_list ap;

	if (token_failed_check(t) != TOKEN_CHECKS)
		return -1;
	t->checks[check] = TOKEN_CHECK_FAILED;
	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* A name for messages and output; long ones are cut, which is harmless. */
__attribute__((format(printf, 3, 4)))
static const char *format_name(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}

/* --- strict CBOR (attestation.md 6.1, 6.2) ------------------------------------ */

#define CBOR_MAX_DEPTH	16

struct cursor {
	const uint8_t *p;
	size_t len, pos;
	const char *why;
};

static int cursor_fail(struct cursor *c, const char *why)
{
	c->why = why;
	return -1;
}

static size_t cursor_left(const struct cursor *c)
{
	return c->len - c->pos;
}

/* One head: major type, additional information and argument. */
static int read_head(struct cursor *c, unsigned *major, unsigned *ai, uint64_t *arg)
{
	unsigned n, i;
	uint64_t v = 0;

	if (cursor_left(c) == 0)
		return cursor_fail(c, "truncated");
	*major = c->p[c->pos] >> 5;
	*ai = c->p[c->pos] & 0x1f;
	c->pos++;
	if (*ai == 31)
		return cursor_fail(c, "indefinite length");
	if (*ai >= 28)
		return cursor_fail(c, "reserved additional information");
	if (*ai < 24) {
		*arg = *ai;
		return 0;
	}
	n = 1u << (*ai - 24);
	if (cursor_left(c) < n)
		return cursor_fail(c, "truncated");
	for (i = 0; i < n; i++)
		v = v << 8 | c->p[c->pos++];
	/* Shortest form, as the reference's encoder writes (1). */
	if ((n == 1 && v < 24) || (n == 2 && v <= 0xff) ||
	    (n == 4 && v <= 0xffff) || (n == 8 && v <= 0xffffffffu))
		return cursor_fail(c, "head not in shortest form");
	*arg = v;
	return 0;
}

/* RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2, cp = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3, cp = s[i] & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static int skip_item(struct cursor *c, unsigned depth);

/* n items (arrays) or n pairs (maps), each at least one byte. */
static int skip_items(struct cursor *c, uint64_t n, unsigned depth)
{
	uint64_t i;

	if (n > cursor_left(c))
		return cursor_fail(c, "truncated");
	for (i = 0; i < n; i++) {
		if (skip_item(c, depth) != 0)
			return -1;
	}
	return 0;
}

static int skip_item(struct cursor *c, unsigned depth)
{
	unsigned major, ai;
	uint64_t arg;

	if (depth > CBOR_MAX_DEPTH)
		return cursor_fail(c, "nested too deeply");
	if (read_head(c, &major, &ai, &arg) != 0)
		return -1;
	switch (major) {
	case CBOR_TYPE_UINT:
	case CBOR_TYPE_NEGINT:
		return 0;
	case CBOR_TYPE_BYTESTRING:
	case CBOR_TYPE_STRING:
		if (arg > cursor_left(c))
			return cursor_fail(c, "truncated");
		if (major == CBOR_TYPE_STRING && !utf8_valid(c->p + c->pos, arg))
			return cursor_fail(c, "text string not valid UTF-8");
		c->pos += arg;
		return 0;
	case CBOR_TYPE_ARRAY:
		return skip_items(c, arg, depth + 1);
	case CBOR_TYPE_MAP:
		if (arg > cursor_left(c) / 2)
			return cursor_fail(c, "truncated");
		return skip_items(c, 2 * arg, depth + 1);
	case CBOR_TYPE_TAG:
		return skip_item(c, depth + 1);
	default:
		/* No claim is a float; 20..23 are false, true, null, undefined. */
		if (ai < 20 || ai > 23)
			return cursor_fail(c, "floating-point or unassigned simple value");
		return 0;
	}
}

int token_cbor_check(const uint8_t *buf, size_t len, const char **why)
{
	struct cursor c = { .p = buf, .len = len };

	if (buf == NULL)
		c.len = 0;
	if (skip_item(&c, 0) != 0) {
		*why = c.why;
		return -1;
	}
	if (c.pos != c.len) {
		/* 6.2: a token passed with its buffer's tail is not a token. */
		*why = "trailing bytes";
		return -1;
	}
	return 0;
}

/* Loads one strictly checked CBOR item; the token keeps it. */
static cbor_item_t *decode(struct token *t, const struct token_bytes *b,
			   const char *what)
{
	struct cbor_load_result res;
	cbor_item_t *item;
	const char *why;

	if (token_cbor_check(b->p, b->len, &why) != 0) {
		fail(t, TOKEN_CHECK_FORMAT, "%s: %s", what, why);
		return NULL;
	}
	if (t->num_roots == TOKEN_MAX_ROOTS) {
		fail(t, TOKEN_CHECK_FORMAT, "%s: too many items", what);
		return NULL;
	}
	item = cbor_load(b->p, b->len, &res);
	if (item == NULL || res.read != b->len) {
		if (item != NULL)
			cbor_decref(&item);
		fail(t, TOKEN_CHECK_FORMAT, "%s: not decodable (libcbor error %d)",
		     what, (int)res.error.code);
		return NULL;
	}
	t->roots[t->num_roots++] = item;
	return item;
}

/* --- typed access ---------------------------------------------------------------- */

static bool item_int(const cbor_item_t *item, int64_t *out)
{
	uint64_t v;

	if (!cbor_isa_uint(item) && !cbor_isa_negint(item))
		return false;
	v = cbor_get_int(item);
	if (v > INT64_MAX)
		return false;
	*out = cbor_isa_uint(item) ? (int64_t)v : -1 - (int64_t)v;
	return true;
}

static bool item_bytes(const cbor_item_t *item, struct token_bytes *out)
{
	if (!cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item))
		return false;
	out->p = cbor_bytestring_handle(item);
	out->len = cbor_bytestring_length(item);
	out->present = true;
	return true;
}

static bool item_text(const cbor_item_t *item, struct token_text *out)
{
	if (!cbor_isa_string(item) || !cbor_string_is_definite(item))
		return false;
	out->p = (const char *)cbor_string_handle(item);
	out->len = cbor_string_length(item);
	out->present = true;
	return true;
}

static bool text_is(const struct token_text *t, const char *s)
{
	return t->present && t->len == strlen(s) && memcmp(t->p, s, t->len) == 0;
}

/* The item a tag wraps; the tag (held by its root) keeps it alive. */
static cbor_item_t *tagged(const cbor_item_t *item, uint64_t tag)
{
	cbor_item_t *inner, *ref;

	if (!cbor_isa_tag(item) || cbor_tag_value(item) != tag)
		return NULL;
	inner = cbor_tag_item(item);
	ref = inner;
	cbor_decref(&ref);
	return inner;
}

/* --- claim tables ------------------------------------------------------------------ */

enum claim_type { CLAIM_BYTES, CLAIM_TEXT, CLAIM_UINT, CLAIM_REMS, CLAIM_SW };

struct claim_desc {
	int64_t key;
	const char *name;	/* in messages and in the output */
	enum claim_type type;
	size_t offset;		/* of the field in the claims structure */
	bool required;
};

#define REALM(field) offsetof(struct token_realm_claims, field)
#define PLATFORM(field) offsetof(struct token_platform_claims, field)
#define SW(field) offsetof(struct token_sw_component, field)

/* 2.1, in the reference's order (the order of the output). */
static const struct claim_desc realm_claims[] = {
	{ CCA_REALM_CHALLENGE, "challenge", CLAIM_BYTES, REALM(challenge), true },
	{ CCA_REALM_PERSONALIZATION, "personalization-value", CLAIM_BYTES, REALM(personalization_value), true },
	{ CCA_REALM_PUB_KEY, "public-key", CLAIM_BYTES, REALM(public_key), true },
	{ CCA_REALM_HASH_ALGO, "hash-algo-id", CLAIM_TEXT, REALM(hash_algo_id), true },
	{ CCA_REALM_PUB_KEY_HASH_ALGO, "public-key-hash-algo-id", CLAIM_TEXT, REALM(public_key_hash_algo_id), true },
	/* Absent in the legacy form: checked against the options. */
	{ CCA_PROFILE, "profile", CLAIM_TEXT, REALM(profile), false },
	{ CCA_REALM_RIM, "initial-measurement", CLAIM_BYTES, REALM(initial_measurement), true },
	{ CCA_REALM_REM, "extensible-measurements", CLAIM_REMS, REALM(extensible_measurements), true },
};

/* 3: the challenge and the profile are what the checks need. */
static const struct claim_desc platform_claims[] = {
	{ CCA_PROFILE, "profile", CLAIM_TEXT, PLATFORM(profile), true },
	{ CCA_PLATFORM_CHALLENGE, "challenge", CLAIM_BYTES, PLATFORM(challenge), true },
	{ CCA_PLATFORM_IMPLEMENTATION_ID, "implementation-id", CLAIM_BYTES, PLATFORM(implementation_id), false },
	{ CCA_PLATFORM_INSTANCE_ID, "instance-id", CLAIM_BYTES, PLATFORM(instance_id), false },
	{ CCA_PLATFORM_CONFIG, "config", CLAIM_BYTES, PLATFORM(config), false },
	{ CCA_PLATFORM_LIFECYCLE, "lifecycle", CLAIM_UINT, PLATFORM(lifecycle), false },
	{ CCA_PLATFORM_SW_COMPONENTS, "sw-components", CLAIM_SW, PLATFORM(sw_components), false },
	{ CCA_PLATFORM_VERIFICATION_SERVICE, "verification-service", CLAIM_TEXT, PLATFORM(verification_service), false },
	{ CCA_PLATFORM_HASH_ALGO, "hash-algo-id", CLAIM_TEXT, PLATFORM(hash_algo_id), false },
};

static const struct claim_desc sw_component_claims[] = {
	{ CCA_SW_COMPONENT_TYPE, "type", CLAIM_TEXT, SW(type), false },
	{ CCA_SW_MEASUREMENT_VALUE, "measurement-value", CLAIM_BYTES, SW(measurement_value), true },
	{ CCA_SW_VERSION, "version", CLAIM_TEXT, SW(version), false },
	{ CCA_SW_SIGNER_ID, "signer-id", CLAIM_BYTES, SW(signer_id), true },
	{ CCA_SW_HASH_ALGO, "hash-algo-id", CLAIM_TEXT, SW(hash_algo_id), false },
};

#define NUM(a) (sizeof(a) / sizeof((a)[0]))

/* The largest claim table: read_claims() tracks the keys seen in it. */
#define CLAIMS_MAX	16
_Static_assert(NUM(realm_claims) <= CLAIMS_MAX && NUM(platform_claims) <= CLAIMS_MAX &&
	       NUM(sw_component_claims) <= CLAIMS_MAX, "claim table too large");

/* Where unknown keys of a claims map go: NULL rejects them. */
struct other_claims {
	struct token_other_claim *v;
	size_t n;
};

static int read_claims(struct token *t, const cbor_item_t *map, const char *what,
		       const struct claim_desc *d, size_t nd, void *out,
		       struct other_claims *other);

static int read_rems(struct token *t, const cbor_item_t *v, const char *what,
		     struct token_bytes rem[TOKEN_REM_COUNT])
{
	cbor_item_t **items;
	size_t i;

	/* 6.11: REMs are an array of exactly four. */
	if (!cbor_isa_array(v) || cbor_array_size(v) != TOKEN_REM_COUNT)
		return fail(t, TOKEN_CHECK_FORMAT, "%s: want an array of %d byte strings",
			    what, TOKEN_REM_COUNT);
	items = cbor_array_handle(v);
	for (i = 0; i < TOKEN_REM_COUNT; i++) {
		if (!item_bytes(items[i], &rem[i]))
			return fail(t, TOKEN_CHECK_FORMAT, "%s[%zu]: want a byte string",
				    what, i);
	}
	return 0;
}

static int read_sw_components(struct token *t, const cbor_item_t *v,
			      const char *what, struct token_sw_components *sw)
{
	cbor_item_t **items;
	char name[96];
	size_t i;

	if (!cbor_isa_array(v))
		return fail(t, TOKEN_CHECK_FORMAT, "%s: want an array", what);
	sw->n = cbor_array_size(v);
	sw->v = calloc(sw->n + 1, sizeof(*sw->v));
	if (sw->v == NULL)
		return fail(t, TOKEN_CHECK_FORMAT, "%s: out of memory", what);
	items = cbor_array_handle(v);
	for (i = 0; i < sw->n; i++) {
		format_name(name, sizeof(name), "%s[%zu]", what, i);
		if (read_claims(t, items[i], name, sw_component_claims,
				NUM(sw_component_claims), &sw->v[i], NULL) != 0)
			return -1;
	}
	return 0;
}

static const struct claim_desc *find_claim(const struct claim_desc *d, size_t nd,
					   int64_t key)
{
	size_t i;

	for (i = 0; i < nd; i++) {
		if (d[i].key == key)
			return &d[i];
	}
	return NULL;
}

static int read_claim(struct token *t, const struct claim_desc *d,
		      const cbor_item_t *v, const char *what, void *out)
{
	char *field = (char *)out + d->offset;
	char name[128];
	int64_t n;

	format_name(name, sizeof(name), "%s claim %lld (%s)", what, (long long)d->key,
		    d->name);
	switch (d->type) {
	case CLAIM_BYTES:
		if (!item_bytes(v, (struct token_bytes *)field))
			return fail(t, TOKEN_CHECK_FORMAT, "%s: want a byte string", name);
		return 0;
	case CLAIM_TEXT:
		if (!item_text(v, (struct token_text *)field))
			return fail(t, TOKEN_CHECK_FORMAT, "%s: want a text string", name);
		return 0;
	case CLAIM_UINT:
		if (!cbor_isa_uint(v) || !item_int(v, &n))
			return fail(t, TOKEN_CHECK_FORMAT, "%s: want an unsigned integer", name);
		((struct token_uint *)field)->value = (uint64_t)n;
		((struct token_uint *)field)->present = true;
		return 0;
	case CLAIM_REMS:
		return read_rems(t, v, name, (struct token_bytes *)field);
	case CLAIM_SW:
		((struct token_sw_components *)field)->present = true;
		return read_sw_components(t, v, name, (struct token_sw_components *)field);
	}
	return fail(t, TOKEN_CHECK_FORMAT, "%s: unknown claim type", name);
}

static bool other_claim_seen(const struct other_claims *other, int64_t key)
{
	size_t i;

	for (i = 0; i < other->n; i++) {
		if (other->v[i].key == key)
			return true;
	}
	return false;
}

/*
 * Reads the map's claims as the table says: each key at most once, each
 * value of its type, the required ones present.
 */
static int read_claims(struct token *t, const cbor_item_t *map, const char *what,
		       const struct claim_desc *d, size_t nd, void *out,
		       struct other_claims *other)
{
	bool seen[CLAIMS_MAX] = { false };
	const struct claim_desc *desc;
	struct cbor_pair *pairs;
	size_t i, n;
	int64_t key;

	if (!cbor_isa_map(map) || !cbor_map_is_definite(map))
		return fail(t, TOKEN_CHECK_FORMAT, "%s: want a map", what);
	pairs = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (i = 0; i < n; i++) {
		if (!item_int(pairs[i].key, &key))
			return fail(t, TOKEN_CHECK_FORMAT, "%s: key %zu is not an integer",
				    what, i);
		desc = find_claim(d, nd, key);
		if (desc == NULL && other == NULL)
			return fail(t, TOKEN_CHECK_FORMAT, "%s: unexpected claim %lld",
				    what, (long long)key);
		if (desc == NULL) {
			if (other_claim_seen(other, key))
				return fail(t, TOKEN_CHECK_FORMAT, "%s: claim %lld twice",
					    what, (long long)key);
			other->v[other->n].key = key;
			other->v[other->n++].value = pairs[i].value;
			continue;
		}
		if (seen[desc - d])
			return fail(t, TOKEN_CHECK_FORMAT, "%s: claim %lld twice", what,
				    (long long)key);
		seen[desc - d] = true;
		if (read_claim(t, desc, pairs[i].value, what, out) != 0)
			return -1;
	}
	for (i = 0; i < nd; i++) {
		if (d[i].required && !seen[i])
			return fail(t, TOKEN_CHECK_FORMAT, "%s: no claim %lld (%s)", what,
				    (long long)d[i].key, d[i].name);
	}
	return 0;
}

/* --- COSE_Sign1 ----------------------------------------------------------------- */

struct cose_sign1 {
	struct token_bytes protected_header;	/* as received (6.7) */
	struct token_bytes payload;
	struct token_bytes signature;
	int64_t alg;
};

/* ES256/384/512: curve, digest, size of r and of s (RFC 9053 2.1). */
struct es_alg {
	int64_t alg;
	const char *group;
	const char *digest;
	size_t coord;
};

static const struct es_alg es_algs[] = {
	{ COSE_ALG_ES256, "prime256v1", "SHA256", 32 },
	{ COSE_ALG_ES384, "secp384r1", "SHA384", 48 },
	{ COSE_ALG_ES512, "secp521r1", "SHA512", 66 },
};

static const struct es_alg *find_es_alg(int64_t alg)
{
	size_t i;

	for (i = 0; i < NUM(es_algs); i++) {
		if (es_algs[i].alg == alg)
			return &es_algs[i];
	}
	return NULL;
}

/* The protected header: exactly {1 (alg): ES*} (2, 3). */
static int read_protected(struct token *t, struct cose_sign1 *cs, const char *what)
{
	const cbor_item_t *map = decode(t, &cs->protected_header, what);
	struct cbor_pair *pairs;
	int64_t key;

	if (map == NULL)
		return -1;
	if (!cbor_isa_map(map) || cbor_map_size(map) != 1)
		return fail(t, TOKEN_CHECK_FORMAT, "%s: want a map of one entry (alg)", what);
	pairs = cbor_map_handle(map);
	if (!item_int(pairs[0].key, &key) || key != COSE_HEADER_ALG ||
	    !item_int(pairs[0].value, &cs->alg))
		return fail(t, TOKEN_CHECK_FORMAT, "%s: want {1: alg}", what);
	if (find_es_alg(cs->alg) == NULL)
		return fail(t, TOKEN_CHECK_FORMAT, "%s: algorithm %lld is not ES256/384/512",
			    what, (long long)cs->alg);
	return 0;
}

static int read_cose_sign1(struct token *t, const struct token_bytes *b,
			   const char *what, struct cose_sign1 *cs)
{
	struct token_bytes body = { .present = true };
	const cbor_item_t *arr;
	cbor_item_t **items;
	char name[64];

	/*
	 * libcbor 0.8 (Debian 12) refuses the one-byte tags 6..20 as
	 * unassigned, COSE_Sign1's among them: the tag's head (one byte in
	 * shortest form) is read here, the array it tags by libcbor.
	 */
	if (b->len == 0 || b->p[0] != (CBOR_TYPE_TAG << 5 | CBOR_TAG_COSE_SIGN1))
		return fail(t, TOKEN_CHECK_FORMAT, "%s: want CBOR tag 18 (COSE_Sign1)", what);
	body.p = b->p + 1;
	body.len = b->len - 1;
	arr = decode(t, &body, what);
	if (arr == NULL)
		return -1;
	if (!cbor_isa_array(arr) || cbor_array_size(arr) != 4)
		return fail(t, TOKEN_CHECK_FORMAT, "%s: want a COSE_Sign1 (array of 4)", what);
	items = cbor_array_handle(arr);
	if (!item_bytes(items[0], &cs->protected_header) || !cbor_isa_map(items[1]) ||
	    !item_bytes(items[2], &cs->payload) || !item_bytes(items[3], &cs->signature))
		return fail(t, TOKEN_CHECK_FORMAT,
			    "%s: want [protected bstr, unprotected map, payload bstr, signature bstr]",
			    what);
	format_name(name, sizeof(name), "%s protected header", what);
	if (read_protected(t, cs, name) != 0)
		return -1;
	/* 6.6: raw r || s, not DER. */
	if (cs->signature.len != 2 * find_es_alg(cs->alg)->coord)
		return fail(t, TOKEN_CHECK_FORMAT, "%s: signature of %zu bytes, want %zu (raw r||s)",
			    what, cs->signature.len, 2 * find_es_alg(cs->alg)->coord);
	return 0;
}

/* --- the token --------------------------------------------------------------------- */

struct parsed {
	struct cose_sign1 platform, realm;
	EVP_PKEY *rak;
	const struct token_options *opts;
};

/* 1: tag 399, map of exactly the platform and the realm byte strings. */
static int read_outer(struct token *t, const uint8_t *buf, size_t len,
		      struct token_bytes *platform, struct token_bytes *realm)
{
	struct token_bytes all = { .p = buf, .len = len, .present = true };
	const cbor_item_t *root = decode(t, &all, "token"), *map;
	struct cbor_pair *pairs;
	struct token_bytes *slot;
	int64_t key;
	size_t i;

	if (root == NULL)
		return -1;
	map = tagged(root, CBOR_TAG_CCA_TOKEN);
	if (map == NULL)
		return fail(t, TOKEN_CHECK_FORMAT, "token: want CBOR tag 399 (RMM 1.0 form)");
	if (!cbor_isa_map(map) || cbor_map_size(map) != 2)
		return fail(t, TOKEN_CHECK_FORMAT, "token: want a map of 2 entries");
	pairs = cbor_map_handle(map);
	for (i = 0; i < 2; i++) {
		if (!item_int(pairs[i].key, &key) ||
		    (key != CCA_PLATFORM_TOKEN && key != CCA_REALM_TOKEN))
			return fail(t, TOKEN_CHECK_FORMAT,
				    "token: want keys 44234 (platform) and 44241 (realm)");
		slot = key == CCA_PLATFORM_TOKEN ? platform : realm;
		if (slot->present)
			return fail(t, TOKEN_CHECK_FORMAT, "token: key %lld twice",
				    (long long)key);
		if (!item_bytes(pairs[i].value, slot))
			return fail(t, TOKEN_CHECK_FORMAT,
				    "token: entry %lld: want a byte string", (long long)key);
	}
	return 0;
}

/* An EC public key from an uncompressed point, checked to be on the curve. */
static EVP_PKEY *ec_public_key(const char *group, const uint8_t *point, size_t len)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						 (char *)group, 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						  (void *)point, len),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY_CTX *check = NULL;
	EVP_PKEY *key = NULL;

	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (check == NULL || EVP_PKEY_public_check(check) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
out:
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return key;
}

struct cose_key {
	int64_t kty, crv;
	struct token_bytes x, y;
	bool has_kty, has_crv;
};

/* One parameter of the COSE_Key; false when unexpected or repeated. */
static bool cose_key_param(const struct cbor_pair *pair, int64_t label,
			   struct cose_key *k)
{
	switch (label) {
	case COSE_KEY_KTY:
		return !k->has_kty && (k->has_kty = item_int(pair->value, &k->kty));
	case COSE_KEY_CRV:
		return !k->has_crv && (k->has_crv = item_int(pair->value, &k->crv));
	case COSE_KEY_X:
		return !k->x.present && item_bytes(pair->value, &k->x);
	case COSE_KEY_Y:
		return !k->y.present && item_bytes(pair->value, &k->y);
	default:
		return false;
	}
}

/* 2.2: {1: 2 (EC2), -1: 2 (P-384), -2: x, -3: y}, nothing else. */
static int read_cose_key(struct token *t, struct parsed *ps)
{
	static const char what[] = "realm claim 44237 (public-key) COSE_Key";
	const cbor_item_t *map = decode(t, &t->realm.public_key, what);
	uint8_t point[LEGACY_RAK_SIZE] = { 0x04 };
	struct cose_key k = { 0 };
	struct cbor_pair *pairs;
	int64_t key;
	size_t i;

	if (map == NULL)
		return -1;
	if (!cbor_isa_map(map) || cbor_map_size(map) != 4)
		return fail(t, TOKEN_CHECK_FORMAT, "%s: want a map of 4 entries", what);
	pairs = cbor_map_handle(map);
	for (i = 0; i < 4; i++) {
		if (!item_int(pairs[i].key, &key) || !cose_key_param(&pairs[i], key, &k))
			return fail(t, TOKEN_CHECK_FORMAT, "%s: unexpected or repeated label",
				    what);
	}
	if (k.kty != COSE_KTY_EC2 || k.crv != COSE_CRV_P384)
		return fail(t, TOKEN_CHECK_FORMAT, "%s: want kty 2 (EC2) and crv 2 (P-384)", what);
	if (k.x.len != CCA_P384_COORD_SIZE || k.y.len != CCA_P384_COORD_SIZE)
		return fail(t, TOKEN_CHECK_FORMAT, "%s: want x and y of %d bytes", what,
			    CCA_P384_COORD_SIZE);
	memcpy(point + 1, k.x.p, CCA_P384_COORD_SIZE);
	memcpy(point + 1 + CCA_P384_COORD_SIZE, k.y.p, CCA_P384_COORD_SIZE);
	ps->rak = ec_public_key("secp384r1", point, sizeof(point));
	if (ps->rak == NULL)
		return fail(t, TOKEN_CHECK_FORMAT, "%s: not a point on P-384", what);
	return 0;
}

/* 2.2 (last paragraph): without the profile claim, the RAK is a raw point. */
static int read_legacy_key(struct token *t, struct parsed *ps)
{
	const struct token_bytes *k = &t->realm.public_key;

	if (!ps->opts->legacy)
		return fail(t, TOKEN_CHECK_FORMAT,
			    "realm token: no profile claim 265: the legacy form, accepted only with --legacy");
	if (k->len != LEGACY_RAK_SIZE || k->p[0] != 0x04)
		return fail(t, TOKEN_CHECK_FORMAT,
			    "realm claim 44237 (public-key): want a %d-byte uncompressed P-384 point (legacy form)",
			    LEGACY_RAK_SIZE);
	ps->rak = ec_public_key("secp384r1", k->p, k->len);
	if (ps->rak == NULL)
		return fail(t, TOKEN_CHECK_FORMAT,
			    "realm claim 44237 (public-key): not a point on P-384");
	t->realm.legacy = true;
	return 0;
}

/* 6.10: IANA names, as OpenSSL names them, and their digest sizes. */
struct hash_alg {
	const char *iana;
	const char *openssl;
	size_t size;
};

static const struct hash_alg hash_algs[] = {
	{ "sha-256", "SHA256", 32 },
	{ "sha-384", "SHA384", 48 },
	{ "sha-512", "SHA512", 64 },
};

static const struct hash_alg *find_hash_alg(const struct token_text *name)
{
	size_t i;

	for (i = 0; i < NUM(hash_algs); i++) {
		if (text_is(name, hash_algs[i].iana))
			return &hash_algs[i];
	}
	return NULL;
}

static size_t digest_size(const struct token_text *name)
{
	const struct hash_alg *h = find_hash_alg(name);

	return h != NULL ? h->size : 0;
}

static int check_size(struct token *t, const struct token_bytes *b, const char *what,
		      size_t want)
{
	if (b->len != want)
		return fail(t, TOKEN_CHECK_FORMAT, "realm claim %s: %zu bytes, want %zu",
			    what, b->len, want);
	return 0;
}

/* 2.1: sizes and values the claims must have. */
static int check_realm_claims(struct token *t, struct parsed *ps)
{
	struct token_realm_claims *r = &t->realm;
	size_t hsize = digest_size(&r->hash_algo_id), i;
	char name[64];

	if (check_size(t, &r->challenge, "10 (challenge)", CCA_CHALLENGE_SIZE) != 0 ||
	    check_size(t, &r->personalization_value, "44235 (personalization-value)",
		       CCA_RPV_SIZE) != 0)
		return -1;
	/* RMI hash_algo 0 and 1 are the realm's only algorithms. */
	if (hsize != 32 && hsize != 64)
		return fail(t, TOKEN_CHECK_FORMAT,
			    "realm claim 44236 (hash-algo-id): want \"sha-256\" or \"sha-512\"");
	if (digest_size(&r->public_key_hash_algo_id) == 0)
		return fail(t, TOKEN_CHECK_FORMAT,
			    "realm claim 44240 (public-key-hash-algo-id): want \"sha-256\", \"sha-384\" or \"sha-512\"");
	/* 6.11: measurements are digest-sized. */
	if (check_size(t, &r->initial_measurement, "44238 (initial-measurement)", hsize) != 0)
		return -1;
	for (i = 0; i < TOKEN_REM_COUNT; i++) {
		format_name(name, sizeof(name), "44239 (extensible-measurements[%zu])", i);
		if (check_size(t, &r->extensible_measurements[i], name, hsize) != 0)
			return -1;
	}
	if (!r->profile.present)
		return read_legacy_key(t, ps);
	if (!text_is(&r->profile, realm_profile))
		return fail(t, TOKEN_CHECK_FORMAT, "realm claim 265 (profile): want \"%s\"",
			    realm_profile);
	return read_cose_key(t, ps);
}

static int check_platform_claims(struct token *t, const struct parsed *ps)
{
	const struct token_text *p = &t->platform.profile;

	if (text_is(p, platform_profile))
		return 0;
	if (text_is(p, platform_profile_legacy)) {
		if (ps->opts->legacy)
			return 0;
		return fail(t, TOKEN_CHECK_FORMAT,
			    "platform claim 265 (profile): the legacy profile, accepted only with --legacy");
	}
	return fail(t, TOKEN_CHECK_FORMAT, "platform claim 265 (profile): want \"%s\"",
		    platform_profile);
}

static int read_realm(struct token *t, struct parsed *ps)
{
	const cbor_item_t *map;

	if (ps->realm.alg != COSE_ALG_ES384)
		return fail(t, TOKEN_CHECK_FORMAT, "realm token: algorithm %lld, want -35 (ES384)",
			    (long long)ps->realm.alg);
	map = decode(t, &ps->realm.payload, "realm claims");
	if (map == NULL)
		return -1;
	if (read_claims(t, map, "realm", realm_claims, NUM(realm_claims), &t->realm,
			NULL) != 0)
		return -1;
	return check_realm_claims(t, ps);
}

static int read_platform(struct token *t, struct parsed *ps)
{
	struct token_platform_claims *p = &t->platform;
	const cbor_item_t *map = decode(t, &ps->platform.payload, "platform claims");
	struct other_claims other;

	if (map == NULL)
		return -1;
	if (cbor_isa_map(map)) {
		p->other = calloc(cbor_map_size(map) + 1, sizeof(*p->other));
		if (p->other == NULL)
			return fail(t, TOKEN_CHECK_FORMAT, "platform claims: out of memory");
	}
	other.v = p->other;
	other.n = 0;
	if (read_claims(t, map, "platform", platform_claims, NUM(platform_claims), p,
			&other) != 0)
		return -1;
	p->num_other = other.n;
	return check_platform_claims(t, ps);
}

static int read_token(struct token *t, const uint8_t *buf, size_t len, struct parsed *ps)
{
	struct token_bytes platform = { 0 }, realm = { 0 };

	if (read_outer(t, buf, len, &platform, &realm) != 0 ||
	    read_cose_sign1(t, &platform, "platform token", &ps->platform) != 0 ||
	    read_cose_sign1(t, &realm, "realm token", &ps->realm) != 0 ||
	    read_realm(t, ps) != 0 || read_platform(t, ps) != 0)
		return -1;
	t->checks[TOKEN_CHECK_FORMAT] = TOKEN_CHECK_PASSED;
	return 0;
}

/* --- signatures and binding ------------------------------------------------------- */

typedef size_t (*cbor_head_encoder)(size_t, unsigned char *, size_t);

/* Appends a head and the bytes that follow it; false when out of room. */
static bool put(uint8_t *b, size_t cap, size_t *n, cbor_head_encoder head,
		size_t arg, const void *p, size_t len)
{
	size_t w = head(arg, b + *n, cap - *n);

	if (w == 0 || cap - *n - w < len)
		return false;
	*n += w;
	if (len != 0)
		memcpy(b + *n, p, len);
	*n += len;
	return true;
}

/* The COSE Sig_structure ["Signature1", protected, h'', payload] (2.3). */
static uint8_t *sig_structure(const struct cose_sign1 *cs, size_t *len)
{
	static const char context[] = "Signature1";
	const struct token_bytes *prot = &cs->protected_header, *payload = &cs->payload;
	size_t cap = prot->len + payload->len + 64, n = 0;
	uint8_t *b = malloc(cap);

	if (b == NULL)
		return NULL;
	if (!put(b, cap, &n, cbor_encode_array_start, 4, NULL, 0) ||
	    !put(b, cap, &n, cbor_encode_string_start, sizeof(context) - 1, context,
		 sizeof(context) - 1) ||
	    !put(b, cap, &n, cbor_encode_bytestring_start, prot->len, prot->p, prot->len) ||
	    !put(b, cap, &n, cbor_encode_bytestring_start, 0, NULL, 0) ||
	    !put(b, cap, &n, cbor_encode_bytestring_start, payload->len, payload->p,
		 payload->len)) {
		free(b);
		return NULL;
	}
	*len = n;
	return b;
}

/* 1 when the raw r || s signature verifies, 0 when not, -1 on error. */
static int ecdsa_verify(EVP_PKEY *key, const struct es_alg *alg,
			const struct cose_sign1 *cs)
{
	const uint8_t *raw = cs->signature.p;
	BIGNUM *r = BN_bin2bn(raw, (int)alg->coord, NULL);
	BIGNUM *s = BN_bin2bn(raw + alg->coord, (int)alg->coord, NULL);
	ECDSA_SIG *sig = ECDSA_SIG_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	size_t tbs_len = 0;
	uint8_t *tbs = sig_structure(cs, &tbs_len);
	int der_len, ret = -1;

	if (r == NULL || s == NULL || sig == NULL || md == NULL || tbs == NULL ||
	    ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	der_len = i2d_ECDSA_SIG(sig, &der);
	if (der_len <= 0 ||
	    EVP_DigestVerifyInit_ex(md, NULL, alg->digest, NULL, NULL, key, NULL) != 1)
		goto out;
	ret = EVP_DigestVerify(md, der, (size_t)der_len, tbs, tbs_len) == 1;
out:
	OPENSSL_free(der);
	free(tbs);
	EVP_MD_CTX_free(md);
	ECDSA_SIG_free(sig);
	ERR_clear_error();
	return ret;
}

static int check_realm_signature(struct token *t, const struct parsed *ps)
{
	int ok = ecdsa_verify(ps->rak, find_es_alg(COSE_ALG_ES384), &ps->realm);

	if (ok < 0)
		return fail(t, TOKEN_CHECK_REALM_SIGNATURE, "realm token: cannot verify (OpenSSL error)");
	if (ok == 0)
		return fail(t, TOKEN_CHECK_REALM_SIGNATURE,
			    "realm token: the signature does not verify with the realm public key");
	t->checks[TOKEN_CHECK_REALM_SIGNATURE] = TOKEN_CHECK_PASSED;
	return 0;
}

/* 4: platform.challenge == H(RAK claim bytes), H named by realm claim 44240. */
static int check_binding(struct token *t)
{
	const struct token_bytes *ch = &t->platform.challenge, *rak = &t->realm.public_key;
	const struct hash_alg *h = find_hash_alg(&t->realm.public_key_hash_algo_id);
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t md_len = 0;

	if (EVP_Q_digest(NULL, h->openssl, NULL, rak->p, rak->len, md, &md_len) != 1) {
		ERR_clear_error();
		return fail(t, TOKEN_CHECK_BINDING, "binding: cannot compute the %s digest",
			    h->iana);
	}
	if (ch->len != md_len || memcmp(ch->p, md, md_len) != 0)
		return fail(t, TOKEN_CHECK_BINDING,
			    "binding: the platform challenge (%zu bytes) is not the %s of the realm public key",
			    ch->len, h->iana);
	t->checks[TOKEN_CHECK_BINDING] = TOKEN_CHECK_PASSED;
	return 0;
}

/* The platform key must be an EC key on the curve of the token's algorithm. */
static bool key_on_curve(EVP_PKEY *key, const char *group)
{
	char name[64];
	size_t len = 0;

	if (!EVP_PKEY_is_a(key, "EC") ||
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name,
					   sizeof(name), &len) != 1)
		return false;
	return strcmp(name, group) == 0;
}

static int check_platform_signature(struct token *t, const struct parsed *ps)
{
	const struct es_alg *alg = find_es_alg(ps->platform.alg);
	int ok;

	if (ps->opts->platform_key == NULL) {
		t->checks[TOKEN_CHECK_PLATFORM_SIGNATURE] = TOKEN_CHECK_SKIPPED;
		return 0;
	}
	if (!key_on_curve(ps->opts->platform_key, alg->group))
		return fail(t, TOKEN_CHECK_PLATFORM_SIGNATURE,
			    "platform token: algorithm %lld needs an EC key on %s",
			    (long long)alg->alg, alg->group);
	ok = ecdsa_verify(ps->opts->platform_key, alg, &ps->platform);
	if (ok < 0)
		return fail(t, TOKEN_CHECK_PLATFORM_SIGNATURE,
			    "platform token: cannot verify (OpenSSL error)");
	if (ok == 0)
		return fail(t, TOKEN_CHECK_PLATFORM_SIGNATURE,
			    "platform token: the signature does not verify with the platform key");
	t->checks[TOKEN_CHECK_PLATFORM_SIGNATURE] = TOKEN_CHECK_PASSED;
	return 0;
}

/* --- entry points ------------------------------------------------------------------ */

struct token *token_verify(const uint8_t *buf, size_t len,
			   const struct token_options *opts)
{
	struct token *t = calloc(1, sizeof(*t));
	struct parsed ps = { .opts = opts };

	if (t == NULL)
		return NULL;
	/*
	 * The chain runs platform key -> binding -> RAK -> claims (4); the
	 * checks run the other way round so that a bad realm signature is
	 * reported as such, whether or not a platform key was given.
	 */
	if (read_token(t, buf, len, &ps) == 0 && check_realm_signature(t, &ps) == 0 &&
	    check_binding(t) == 0)
		check_platform_signature(t, &ps);
	EVP_PKEY_free(ps.rak);
	return t;
}

void token_free(struct token *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->num_roots; i++)
		cbor_decref(&t->roots[i]);
	free(t->platform.sw_components.v);
	free(t->platform.other);
	free(t);
}

enum token_check token_failed_check(const struct token *t)
{
	int i;

	for (i = 0; i < TOKEN_CHECKS; i++) {
		if (t->checks[i] == TOKEN_CHECK_FAILED)
			return (enum token_check)i;
	}
	return TOKEN_CHECKS;
}

bool token_verified(const struct token *t)
{
	int i;

	for (i = 0; i < TOKEN_CHECKS; i++) {
		if (t->checks[i] != TOKEN_CHECK_PASSED && t->checks[i] != TOKEN_CHECK_SKIPPED)
			return false;
	}
	return true;
}

EVP_PKEY *token_read_public_key(const char *path, char *msg, size_t msglen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *key;

	if (f == NULL) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (key == NULL)
		snprintf(msg, msglen, "%s: not a PEM public key", path);
	return key;
}

void token_free_public_key(EVP_PKEY *key)
{
	EVP_PKEY_free(key);
}

/* --- output ------------------------------------------------------------------------ */

/* Each check's result as the text and as the JSON output name it. */
static const char *const result_names[] = {
	[TOKEN_CHECK_NOT_RUN] = "not run",
	[TOKEN_CHECK_PASSED] = "ok",
	[TOKEN_CHECK_FAILED] = "FAILED",
	[TOKEN_CHECK_SKIPPED] = "NOT CHECKED",
};

static const char *const json_result_names[] = {
	[TOKEN_CHECK_NOT_RUN] = "not run",
	[TOKEN_CHECK_PASSED] = "ok",
	[TOKEN_CHECK_FAILED] = "failed",
	[TOKEN_CHECK_SKIPPED] = "not checked",
};

static void print_hex(FILE *out, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(out, "%02x", p[i]);
}

/* Text values stay on their line: control bytes and '\' as \xNN. */
static void print_text(FILE *out, const struct token_text *s)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < s->len; i++) {
		c = (unsigned char)s->p[i];
		if (c < 0x20 || c == 0x7f || c == '\\')
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

void token_print_json_string(FILE *out, const char *p, size_t len)
{
	size_t i;
	unsigned char c;

	fputc('"', out);
	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void print_json_hex(FILE *out, const uint8_t *p, size_t len)
{
	fputc('"', out);
	print_hex(out, p, len);
	fputc('"', out);
}

/* How one claim value is written: text, JSON, and the shared part. */
struct printer {
	FILE *out;
	bool json;
	bool first;		/* JSON: no comma before the next member */
	const char *prefix;	/* text: "realm.", "platform.sw-components[0]." */
	int indent;		/* JSON */
};

static void begin_value(struct printer *pr, const char *name)
{
	if (!pr->json) {
		fprintf(pr->out, "%s%s ", pr->prefix, name);
		return;
	}
	fprintf(pr->out, "%s\n%*s\"%s\": ", pr->first ? "" : ",", pr->indent, "", name);
	pr->first = false;
}

static void print_bytes_value(struct printer *pr, const char *name,
			      const struct token_bytes *b)
{
	begin_value(pr, name);
	if (pr->json) {
		print_json_hex(pr->out, b->p, b->len);
	} else {
		print_hex(pr->out, b->p, b->len);
		fputc('\n', pr->out);
	}
}

static void print_text_value(struct printer *pr, const char *name,
			     const struct token_text *s)
{
	begin_value(pr, name);
	if (pr->json) {
		token_print_json_string(pr->out, s->p, s->len);
	} else {
		print_text(pr->out, s);
		fputc('\n', pr->out);
	}
}

static void print_claims(struct printer *pr, const struct claim_desc *d, size_t nd,
			 const void *claims);

static void print_rems(struct printer *pr, const char *name, const struct token_bytes *rem)
{
	char item[64];
	int i;

	if (!pr->json) {
		for (i = 0; i < TOKEN_REM_COUNT; i++) {
			format_name(item, sizeof(item), "%s[%d]", name, i);
			print_bytes_value(pr, item, &rem[i]);
		}
		return;
	}
	begin_value(pr, name);
	fputc('[', pr->out);
	for (i = 0; i < TOKEN_REM_COUNT; i++) {
		fputs(i == 0 ? "" : ", ", pr->out);
		print_json_hex(pr->out, rem[i].p, rem[i].len);
	}
	fputc(']', pr->out);
}

static void print_sw_components(struct printer *pr, const char *name,
				const struct token_sw_components *sw)
{
	struct printer inner = *pr;
	char prefix[96];
	size_t i;

	if (pr->json) {
		begin_value(pr, name);
		fputc('[', pr->out);
		inner.indent += 4;
	}
	for (i = 0; i < sw->n; i++) {
		if (pr->json) {
			fprintf(pr->out, "%s\n%*s{", i == 0 ? "" : ",", pr->indent + 2, "");
			inner.first = true;
		} else {
			format_name(prefix, sizeof(prefix), "%s%s[%zu].", pr->prefix, name, i);
			inner.prefix = prefix;
		}
		print_claims(&inner, sw_component_claims, NUM(sw_component_claims), &sw->v[i]);
		if (pr->json)
			fprintf(pr->out, "\n%*s}", pr->indent + 2, "");
	}
	if (pr->json && sw->n != 0)
		fprintf(pr->out, "\n%*s", pr->indent, "");
	if (pr->json)
		fputc(']', pr->out);
}

static void print_claim(struct printer *pr, const struct claim_desc *d, const void *claims)
{
	const char *field = (const char *)claims + d->offset;
	const struct token_uint *u = (const struct token_uint *)field;

	switch (d->type) {
	case CLAIM_BYTES:
		if (((const struct token_bytes *)field)->present)
			print_bytes_value(pr, d->name, (const struct token_bytes *)field);
		break;
	case CLAIM_TEXT:
		if (((const struct token_text *)field)->present)
			print_text_value(pr, d->name, (const struct token_text *)field);
		break;
	case CLAIM_UINT:
		if (!u->present)
			break;
		begin_value(pr, d->name);
		fprintf(pr->out, pr->json ? "%llu" : "0x%llx\n", (unsigned long long)u->value);
		break;
	case CLAIM_REMS:
		print_rems(pr, d->name, (const struct token_bytes *)field);
		break;
	case CLAIM_SW:
		if (((const struct token_sw_components *)field)->present)
			print_sw_components(pr, d->name,
					    (const struct token_sw_components *)field);
		break;
	}
}

static void print_claims(struct printer *pr, const struct claim_desc *d, size_t nd,
			 const void *claims)
{
	size_t i;

	for (i = 0; i < nd; i++)
		print_claim(pr, &d[i], claims);
}

/* Unknown platform claims: their CBOR encoding in hex. */
static void print_other(struct printer *pr, const struct token_platform_claims *p)
{
	unsigned char *buf = NULL;
	size_t i, size = 0, len;
	char name[48];

	for (i = 0; i < p->num_other; i++) {
		len = cbor_serialize_alloc(p->other[i].value, &buf, &size);
		format_name(name, sizeof(name), "claim-%lld", (long long)p->other[i].key);
		begin_value(pr, name);
		if (pr->json)
			fputc('"', pr->out);
		fputs("cbor:", pr->out);
		print_hex(pr->out, buf, len);
		fputs(pr->json ? "\"" : "\n", pr->out);
		free(buf);
		buf = NULL;
	}
}

static int finish(FILE *out)
{
	return fflush(out) != 0 || ferror(out) ? -1 : 0;
}

int token_print_text(FILE *out, const struct token *t)
{
	struct printer pr = { .out = out, .prefix = "realm." };
	int i;

	for (i = 0; i < TOKEN_CHECKS; i++) {
		if (t->checks[i] == TOKEN_CHECK_NOT_RUN)
			continue;
		fprintf(out, "check %s %s", check_names[i], result_names[t->checks[i]]);
		if (t->checks[i] == TOKEN_CHECK_FAILED)
			fprintf(out, ": %s", t->error);
		if (t->checks[i] == TOKEN_CHECK_SKIPPED)
			fputs(" (no --platform-key: the platform token's signature was not verified)",
			      out);
		fputc('\n', out);
	}
	if (!token_verified(t))
		return finish(out);
	print_claims(&pr, realm_claims, NUM(realm_claims), &t->realm);
	pr.prefix = "platform.";
	print_claims(&pr, platform_claims, NUM(platform_claims), &t->platform);
	print_other(&pr, &t->platform);
	return finish(out);
}

int token_print_json(FILE *out, const struct token *t)
{
	struct printer pr = { .out = out, .json = true, .first = true, .indent = 4 };
	int i;

	fprintf(out, "{\n  \"verified\": %s,\n  \"checks\": {",
		token_verified(t) ? "true" : "false");
	for (i = 0; i < TOKEN_CHECKS; i++)
		fprintf(out, "%s\n    \"%s\": \"%s\"", i == 0 ? "" : ",", check_names[i],
			json_result_names[t->checks[i]]);
	fputs("\n  }", out);
	if (!token_verified(t)) {
		fputs(",\n  \"error\": ", out);
		token_print_json_string(out, t->error, strlen(t->error));
		fputs("\n}\n", out);
		return finish(out);
	}
	fprintf(out, ",\n  \"legacy\": %s,\n  \"realm\": {", t->realm.legacy ? "true" : "false");
	print_claims(&pr, realm_claims, NUM(realm_claims), &t->realm);
	fputs("\n  },\n  \"platform\": {", out);
	pr.first = true;
	print_claims(&pr, platform_claims, NUM(platform_claims), &t->platform);
	print_other(&pr, &t->platform);
	fputs("\n  }\n}\n", out);
	return finish(out);
}
