/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's host sessions attest with the daemon's platform
 * (session_table_set_platform): a realm built and run through session_call()
 * with the scripted executor gets TOKEN_INIT x1 = 4096 and, from CONTINUE,
 * a token as long as the CCA token around the platform's token and a
 * SHA-256 realm token (attestation.md 5), in every session. Without a
 * platform the realms of a session get RSI_ERROR_UNKNOWN (rsi-1.0.md 6.1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <rmmemu/rsi-1.0.h>

#include "daemon/session.h"
#include "platform/platform.h"
#include "rmmemu/tests/harness.h"
#include "rmmemu/tests/scripted.h"

#define BASE		0x80000000ULL
#define SIZE		(16ULL << 20)
#define IPA_BUF		0x1000ULL
#define GRANULE		RMI_GRANULE_SIZE
#define REALM_TOKEN	590		/* SHA-256 realm (attestation.md 5) */

struct host {
	struct session_table *t;
	struct session *s;
	int fd;
	uint8_t *ns;
	uint64_t next;
};

static uint64_t call(struct host *h, uint32_t fid, uint64_t x1, uint64_t x2,
		     uint64_t x3, uint64_t x4)
{
	const uint64_t x[7] = { fid, x1, x2, x3, x4 };
	uint64_t out[5];

	session_call(h->s, x, out);
	return out[0];
}

/* n granules aligned to n granules. */
static uint64_t alloc(struct host *h, unsigned int n)
{
	uint64_t align = n * GRANULE, pa;

	h->next = (h->next + align - 1) / align * align;
	pa = BASE + h->next;
	h->next += n * GRANULE;
	assert_true(h->next <= SIZE);
	memset(h->ns + (pa - BASE), 0, n * GRANULE);
	return pa;
}

static uint64_t delegated(struct host *h)
{
	uint64_t pa = alloc(h, 1);

	assert_int_equal(call(h, RMI_GRANULE_DELEGATE, pa, 0, 0, 0), RMI_SUCCESS);
	return pa;
}

static void *ns(struct host *h, uint64_t pa)
{
	return h->ns + (pa - BASE);
}

static void host_open(struct host *h, const struct platform *p)
{
	char why[256];

	memset(h, 0, sizeof(*h));
	h->t = session_table_new(NULL, NULL);
	assert_non_null(h->t);
	sx_reset(NULL);
	session_table_set_executor(h->t, &sx_ops, &sx);
	session_table_set_platform(h->t, p);
	if (session_create(h->t, &h->s, why, sizeof(why)) != 0)
		fail_msg("session: %s", why);
	h->fd = memfd_create("host", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(h->fd >= 0);
	assert_int_equal(ftruncate(h->fd, SIZE), 0);
	h->ns = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, 0);
	assert_true(h->ns != MAP_FAILED);
	if (session_share_region(h->s, BASE, SIZE, h->fd, 0, why, sizeof(why)) != 0)
		fail_msg("region: %s", why);
}

static void host_close(struct host *h)
{
	session_leave(h->t, h->s);
	session_table_free(h->t);
	munmap(h->ns, SIZE);
	close(h->fd);
}

static uint64_t realm_create(struct host *h)
{
	uint64_t params = alloc(h, 1), rd;
	struct rmi_realm_params *p = ns(h, params);
	unsigned int num;

	h_realm_params(p, S2SZ, RMI_HASH_SHA_256);
	num = (unsigned int)p->rtt_num_start;
	p->rtt_base = alloc(h, num);
	for (unsigned int i = 0; i < num; i++)
		assert_int_equal(call(h, RMI_GRANULE_DELEGATE, p->rtt_base + i * GRANULE,
				      0, 0, 0), RMI_SUCCESS);
	rd = delegated(h);
	assert_int_equal(call(h, RMI_REALM_CREATE, rd, params, 0, 0), RMI_SUCCESS);
	for (int level = (int)p->rtt_level_start + 1; level <= 3; level++)
		assert_int_equal(call(h, RMI_RTT_CREATE, rd, delegated(h), 0,
				      (uint64_t)level), RMI_SUCCESS);
	return rd;
}

/* A realm whose IPA_BUF is RAM the host populated, with one runnable REC;
 * returns the REC, *run its RmiRecRun page. */
static uint64_t realm_build(struct host *h, uint64_t *run)
{
	uint64_t rd = realm_create(h), params = alloc(h, 1), rec;
	struct rmi_rec_params *rp = ns(h, params);

	assert_int_equal(call(h, RMI_RTT_INIT_RIPAS, rd, IPA_BUF, IPA_BUF + GRANULE, 0),
			 RMI_SUCCESS);
	assert_int_equal(call(h, RMI_DATA_CREATE_UNKNOWN, rd, delegated(h), IPA_BUF, 0),
			 RMI_SUCCESS);
	rp->flags = RMI_REC_CREATE_RUNNABLE;
	rp->pc = IPA_BUF;
	rp->num_aux = RMI_REC_AUX_GRANULES;
	for (unsigned int i = 0; i < RMI_REC_AUX_GRANULES; i++)
		rp->aux[i] = delegated(h);
	rec = delegated(h);
	assert_int_equal(call(h, RMI_REC_CREATE, rd, rec, params, 0), RMI_SUCCESS);
	assert_int_equal(call(h, RMI_REALM_ACTIVATE, rd, 0, 0, 0), RMI_SUCCESS);
	*run = alloc(h, 1);
	return rec;
}

/* The realm makes one RSI call; returns its x0, x1 in out. */
static void realm_rsi(struct host *h, uint64_t rec, uint64_t run, uint64_t fid,
		      uint64_t x1, uint64_t x2, uint64_t x3, uint64_t out[2])
{
	sx.nsteps = sx.pos = sx.nruns = 0;
	sx_smc(fid, x1, x2, x3);
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0);
	assert_int_equal(call(h, RMI_REC_ENTER, rec, run, 0, 0), RMI_SUCCESS);
	assert_int_equal(sx.nruns, 2);
	out[0] = sx.seen[1].regs.gprs[0];
	out[1] = sx.seen[1].regs.gprs[1];
}

static void realm_session_token(const struct platform *p, size_t want_len)
{
	struct host h;
	uint64_t rec, run, out[2];

	host_open(&h, p);
	rec = realm_build(&h, &run);
	realm_rsi(&h, rec, run, RSI_ATTESTATION_TOKEN_INIT, 0x0706050403020100ULL, 0, 0,
		  out);
	if (p == NULL) {
		assert_int_equal(out[0], RSI_ERROR_UNKNOWN);
		assert_int_equal(out[1], 0);
	} else {
		assert_int_equal(out[0], RSI_SUCCESS);
		assert_int_equal(out[1], 4096);
		realm_rsi(&h, rec, run, RSI_ATTESTATION_TOKEN_CONTINUE, IPA_BUF, 0, GRANULE,
			  out);
		assert_int_equal(out[0], RSI_SUCCESS);
		assert_int_equal(out[1], want_len);
	}
	host_close(&h);
}

static void test_sessions_attest(void **state)
{
	EVP_PKEY *cpak = platform_key_generate(), *rak = platform_key_generate();
	struct platform *p;
	char why[256];
	size_t len;

	(void)state;
	assert_int_equal(platform_new(cpak, rak, &p, why, sizeof(why)), 0);
	platform_token(p, &len);
	/* Two sessions, one after the other, each with its own RMM. */
	realm_session_token(p, 4 + 6 + len + 6 + REALM_TOKEN);
	realm_session_token(p, 4 + 6 + len + 6 + REALM_TOKEN);
	platform_free(p);
	EVP_PKEY_free(cpak);
	EVP_PKEY_free(rak);
}

static void test_session_without_platform(void **state)
{
	(void)state;
	realm_session_token(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sessions_attest),
		cmocka_unit_test(test_session_without_platform),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
