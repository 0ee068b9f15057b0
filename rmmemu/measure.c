/* SPDX-License-Identifier: BSD-3-Clause */
/* RIM and REM computation (reference measurement.md). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "measure.h"
#include "realm.h"

#define MEASURE_DESC_SIZE	0x100
#define MEASURE_DESC_DATA	0
#define MEASURE_DESC_REC	1
#define MEASURE_DESC_RIPAS	2

/* Common header of the 256-byte measurement descriptors (measurement.md 3). */
struct measure_desc_header {
	uint8_t desc_type;
	uint8_t pad[7];
	uint64_t len;
	uint8_t rim[MEASURE_MAX_DIGEST];
};

struct measure_desc_data {
	struct measure_desc_header h;	/* 0x00 */
	uint64_t ipa;			/* 0x50 */
	uint64_t flags;			/* 0x58 */
	uint8_t content[MEASURE_MAX_DIGEST];	/* 0x60 */
	uint8_t pad[0x60];		/* 0xA0 */
};

struct measure_desc_rec {
	struct measure_desc_header h;	/* 0x00 */
	uint8_t content[MEASURE_MAX_DIGEST];	/* 0x50 */
	uint8_t pad[0x70];		/* 0x90 */
};

struct measure_desc_ripas {
	struct measure_desc_header h;	/* 0x00 */
	uint64_t base;			/* 0x50 */
	uint64_t top;			/* 0x58 */
	uint8_t pad[0xA0];		/* 0x60 */
};

_Static_assert(sizeof(struct measure_desc_header) == 0x50, "desc header");
_Static_assert(offsetof(struct measure_desc_data, ipa) == 0x50, "data.ipa");
_Static_assert(offsetof(struct measure_desc_data, flags) == 0x58, "data.flags");
_Static_assert(offsetof(struct measure_desc_data, content) == 0x60, "data.content");
_Static_assert(sizeof(struct measure_desc_data) == MEASURE_DESC_SIZE, "data size");
_Static_assert(offsetof(struct measure_desc_rec, content) == 0x50, "rec.content");
_Static_assert(sizeof(struct measure_desc_rec) == MEASURE_DESC_SIZE, "rec size");
_Static_assert(offsetof(struct measure_desc_ripas, base) == 0x50, "ripas.base");
_Static_assert(offsetof(struct measure_desc_ripas, top) == 0x58, "ripas.top");
_Static_assert(sizeof(struct measure_desc_ripas) == MEASURE_DESC_SIZE, "ripas size");

size_t measure_digest_size(enum rmi_hash_algo algo)
{
	return algo == RMI_HASH_SHA_512 ? SHA512_DIGEST_LENGTH : SHA256_DIGEST_LENGTH;
}

/*
 * The algorithms are fetched once: OpenSSL's one-shot SHA256() looks the
 * implementation up on every call, which costs as much as hashing a granule's
 * worth of bytes. Each thread keeps one digest context.
 */
static EVP_MD *hash_md[2];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void hash_fetch(void)
{
	hash_md[RMI_HASH_SHA_256] = EVP_MD_fetch(NULL, "SHA256", NULL);
	hash_md[RMI_HASH_SHA_512] = EVP_MD_fetch(NULL, "SHA512", NULL);
}

static pthread_key_t hash_ctx_key;
static pthread_once_t hash_ctx_once = PTHREAD_ONCE_INIT;

static void hash_ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void hash_ctx_key_create(void)
{
	if (pthread_key_create(&hash_ctx_key, hash_ctx_free) != 0)
		abort();
}

static EVP_MD_CTX *hash_ctx(void)
{
	EVP_MD_CTX *ctx;

	pthread_once(&hash_ctx_once, hash_ctx_key_create);
	ctx = pthread_getspecific(hash_ctx_key);
	if (ctx == NULL) {
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL || pthread_setspecific(hash_ctx_key, ctx) != 0)
			abort();	/* out of memory: nothing sane to measure */
	}
	return ctx;
}

static const EVP_MD *hash_md_of(enum rmi_hash_algo algo)
{
	const EVP_MD *md;

	pthread_once(&hash_once, hash_fetch);
	md = hash_md[algo == RMI_HASH_SHA_512 ? RMI_HASH_SHA_512 : RMI_HASH_SHA_256];
	if (md == NULL)
		abort();	/* the library cannot hash: no measurement is possible */
	return md;
}

void measure_hash(enum rmi_hash_algo algo, const void *data, size_t len,
		  uint8_t out[MEASURE_MAX_DIGEST])
{
	EVP_MD_CTX *ctx = hash_ctx();

	memset(out, 0, MEASURE_MAX_DIGEST);
	if (EVP_DigestInit_ex2(ctx, hash_md_of(algo), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		abort();	/* the library cannot hash: no measurement is possible */
}

static void header_init(struct measure_desc_header *h, uint8_t type,
			const struct realm *r)
{
	h->desc_type = type;
	h->len = MEASURE_DESC_SIZE;
	memcpy(h->rim, r->measurements[0], MEASURE_MAX_DIGEST);
}

void measure_rim_init(struct realm *r, const struct rmi_realm_params *p)
{
	static _Thread_local struct rmi_realm_params m;

	memset(&m, 0, sizeof(m));
	m.flags = p->flags;
	memcpy(&m.s2sz, &p->s2sz, 4);
	memcpy(&m.sve_vl, &p->sve_vl, 4);
	memcpy(&m.num_bps, &p->num_bps, 4);
	memcpy(&m.num_wps, &p->num_wps, 4);
	memcpy(&m.pmu_num_ctrs, &p->pmu_num_ctrs, 4);
	memcpy(&m.hash_algo, &p->hash_algo, 1);
	measure_hash(r->hash_algo, &m, sizeof(m), r->measurements[0]);
}

void measure_extend_data(struct realm *r, uint64_t ipa, uint64_t flags,
			 const void *content)
{
	struct measure_desc_data d;

	memset(&d, 0, sizeof(d));
	header_init(&d.h, MEASURE_DESC_DATA, r);
	d.ipa = ipa;
	d.flags = flags;
	if (flags == RMI_MEASURE_CONTENT)
		measure_hash(r->hash_algo, content, RMI_GRANULE_SIZE, d.content);
	measure_hash(r->hash_algo, &d, sizeof(d), r->measurements[0]);
}

/* Small enough that a piece is still in the L1 cache when it is hashed. */
#define MEASURE_COPY_CHUNK	512

void measure_copy_data(struct realm *r, uint64_t ipa, uint64_t flags,
		       void *dst, const void *src)
{
	EVP_MD_CTX *ctx = hash_ctx();
	struct measure_desc_data d;
	unsigned int i;

	if (flags != RMI_MEASURE_CONTENT) {
		memcpy(dst, src, RMI_GRANULE_SIZE);
		measure_extend_data(r, ipa, flags, dst);
		return;
	}
	memset(&d, 0, sizeof(d));
	header_init(&d.h, MEASURE_DESC_DATA, r);
	d.ipa = ipa;
	d.flags = flags;
	if (EVP_DigestInit_ex2(ctx, hash_md_of(r->hash_algo), NULL) != 1)
		abort();	/* the library cannot hash: no measurement is possible */
	for (i = 0; i < RMI_GRANULE_SIZE; i += MEASURE_COPY_CHUNK) {
		memcpy((uint8_t *)dst + i, (const uint8_t *)src + i, MEASURE_COPY_CHUNK);
		if (EVP_DigestUpdate(ctx, (uint8_t *)dst + i, MEASURE_COPY_CHUNK) != 1)
			abort();
	}
	if (EVP_DigestFinal_ex(ctx, d.content, NULL) != 1)
		abort();
	measure_hash(r->hash_algo, &d, sizeof(d), r->measurements[0]);
}

void measure_extend_rec(struct realm *r, const struct rmi_rec_params *p)
{
	static _Thread_local struct rmi_rec_params m;
	struct measure_desc_rec d;

	memset(&m, 0, sizeof(m));
	m.flags = p->flags;
	m.pc = p->pc;
	memcpy(m.gprs, p->gprs, sizeof(m.gprs));
	memset(&d, 0, sizeof(d));
	header_init(&d.h, MEASURE_DESC_REC, r);
	measure_hash(r->hash_algo, &m, sizeof(m), d.content);
	measure_hash(r->hash_algo, &d, sizeof(d), r->measurements[0]);
}

void measure_extend_ripas(struct realm *r, uint64_t base, uint64_t top)
{
	struct measure_desc_ripas d;

	memset(&d, 0, sizeof(d));
	header_init(&d.h, MEASURE_DESC_RIPAS, r);
	d.base = base;
	d.top = top;
	measure_hash(r->hash_algo, &d, sizeof(d), r->measurements[0]);
}

void measure_extend_rem(struct realm *r, unsigned int index,
			const uint8_t *data, size_t size)
{
	uint8_t buf[2 * MEASURE_MAX_DIGEST];
	size_t dsize = measure_digest_size(r->hash_algo);

	memcpy(buf, r->measurements[index], dsize);
	memcpy(buf + dsize, data, size);
	measure_hash(r->hash_algo, buf, dsize + size, r->measurements[index]);
}
