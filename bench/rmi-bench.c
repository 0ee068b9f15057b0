/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmi-bench: how fast the in-process RMM answers a host. Prints, from one
 * run:
 *  (a) RMI calls per second over the canonical realm cycle a host drives
 *      (linux-host.md 3 and 6): delegate the RD and the root RTT,
 *      REALM_CREATE, RTT_CREATEs, RTT_INIT_RIPAS, DATA_CREATE of N measured
 *      pages, REC_CREATE, REALM_ACTIVATE, then DATA_DESTROY, RTT_DESTROY,
 *      REC_DESTROY, REALM_DESTROY and GRANULE_UNDELEGATE of everything;
 *  (b) DATA_CREATE throughput in a SHA-256 realm with MEASURE_CONTENT, as a
 *      ratio to raw OpenSSL SHA-256 over the same bytes in the same run (the
 *      cost a host cannot avoid), next to the goal.
 * Nothing here asserts a time: the numbers are printed, not judged.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <rmmemu/rmi-1.0.h>

#include "rmmemu/rmm.h"
#include "tools/hostmem.h"

#define GRANULE			RMI_GRANULE_SIZE
#define REGION_BASE		0x80000000ULL
#define THROUGHPUT_MIB		32
#define THROUGHPUT_PAGES	(THROUGHPUT_MIB * 256)
#define CYCLE_PAGES		16
#define CYCLE_SECONDS		3.0
#define THROUGHPUT_ROUNDS	5
#define RATIO_GOAL		1.2

/* Host memory layout (offsets from REGION_BASE). */
#define OFF_PARAMS		0x0ULL
#define OFF_REC_PARAMS		0x1000ULL
#define OFF_RD			0x2000ULL
#define OFF_ROOT		0x3000ULL
#define OFF_RTTS		0x10000ULL	/* L1, L2, then the L3s */
#define OFF_REC			0x60000ULL	/* the REC, then 16 aux */
#define OFF_SRC			0x100000ULL
#define OFF_DATA		(OFF_SRC + THROUGHPUT_PAGES * GRANULE)
#define REGION_SIZE		(OFF_DATA + THROUGHPUT_PAGES * GRANULE)

/* 2 MB of IPA per L3 RTT. */
#define PAGES_PER_L3		512

struct bench {
	struct rmm *rmm;
	struct hostmem mem;
	uint64_t calls;
};

static uint64_t pa(uint64_t off)
{
	return REGION_BASE + off;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rmi(struct bench *b, uint64_t out[5], uint32_t fid, uint64_t x1,
		    uint64_t x2, uint64_t x3, uint64_t x4, uint64_t x5)
{
	uint64_t x[7] = { fid, x1, x2, x3, x4, x5, 0 };

	rmm_call(b->rmm, x, out);
	b->calls++;
	return out[0];
}

/* A call the cycle needs to succeed: stop the benchmark if it does not. */
static uint64_t must(struct bench *b, uint32_t fid, uint64_t x1, uint64_t x2,
		     uint64_t x3, uint64_t x4, uint64_t x5)
{
	uint64_t out[5];

	if (rmi(b, out, fid, x1, x2, x3, x4, x5) != RMI_SUCCESS) {
		const char *name = rmi_command_name(fid);

		fprintf(stderr, "rmi-bench: RMI_%s(0x%" PRIx64 ", 0x%" PRIx64
			", 0x%" PRIx64 ") returned 0x%" PRIx64 "\n",
			name != NULL ? name : "?", x1, x2, x3, out[0]);
		exit(EXIT_FAILURE);
	}
	return out[1];
}

static void *host(struct bench *b, uint64_t off)
{
	return b->mem.map + off;
}

static void delegate(struct bench *b, uint64_t off)
{
	must(b, RMI_GRANULE_DELEGATE, pa(off), 0, 0, 0, 0);
}

static void undelegate(struct bench *b, uint64_t off)
{
	must(b, RMI_GRANULE_UNDELEGATE, pa(off), 0, 0, 0, 0);
}

static unsigned int num_l3(unsigned int pages)
{
	return (pages + PAGES_PER_L3 - 1) / PAGES_PER_L3;
}

static uint64_t rtt_off(unsigned int i)
{
	return OFF_RTTS + i * GRANULE;
}

/* SHA-256 realm, s2sz 40, one level-0 root; RTTs for [0, pages) at IPA 0;
 * guest RAM made RAM (RTT_INIT_RIPAS, one call per L3). */
static void realm_create(struct bench *b, unsigned int pages)
{
	struct rmi_realm_params *p = host(b, OFF_PARAMS);
	uint64_t rd = pa(OFF_RD), top = (uint64_t)pages * GRANULE;

	memset(p, 0, sizeof(*p));
	p->s2sz = 40;
	p->num_bps = 1;
	p->num_wps = 1;
	p->hash_algo = RMI_HASH_SHA_256;
	p->rtt_base = pa(OFF_ROOT);
	p->rtt_level_start = 0;
	p->rtt_num_start = 1;
	delegate(b, OFF_RD);
	delegate(b, OFF_ROOT);
	must(b, RMI_REALM_CREATE, rd, pa(OFF_PARAMS), 0, 0, 0);
	delegate(b, rtt_off(0));
	must(b, RMI_RTT_CREATE, rd, pa(rtt_off(0)), 0, 1, 0);
	delegate(b, rtt_off(1));
	must(b, RMI_RTT_CREATE, rd, pa(rtt_off(1)), 0, 2, 0);
	for (unsigned int i = 0; i < num_l3(pages); i++) {
		delegate(b, rtt_off(2 + i));
		must(b, RMI_RTT_CREATE, rd, pa(rtt_off(2 + i)),
		     (uint64_t)i * PAGES_PER_L3 * GRANULE, 3, 0);
	}
	for (uint64_t ipa = 0; ipa < top;)
		ipa = must(b, RMI_RTT_INIT_RIPAS, rd, ipa, top, 0, 0);
}

static void populate(struct bench *b, unsigned int pages)
{
	for (unsigned int i = 0; i < pages; i++)
		must(b, RMI_DATA_CREATE, pa(OFF_RD), pa(OFF_DATA + i * GRANULE),
		     (uint64_t)i * GRANULE, pa(OFF_SRC + i * GRANULE),
		     RMI_MEASURE_CONTENT);
}

static void delegate_data(struct bench *b, unsigned int pages)
{
	for (unsigned int i = 0; i < pages; i++)
		delegate(b, OFF_DATA + i * GRANULE);
}

/* A runnable REC 0 with its 16 aux granules, then REALM_ACTIVATE. */
static void rec_create_activate(struct bench *b)
{
	struct rmi_rec_params *p = host(b, OFF_REC_PARAMS);

	memset(p, 0, sizeof(*p));
	p->flags = RMI_REC_CREATE_RUNNABLE;
	p->num_aux = RMI_REC_AUX_GRANULES;
	for (unsigned int i = 0; i <= RMI_REC_AUX_GRANULES; i++) {
		delegate(b, OFF_REC + i * GRANULE);
		if (i > 0)
			p->aux[i - 1] = pa(OFF_REC + i * GRANULE);
	}
	must(b, RMI_REC_CREATE, pa(OFF_RD), pa(OFF_REC), pa(OFF_REC_PARAMS), 0, 0);
	must(b, RMI_REALM_ACTIVATE, pa(OFF_RD), 0, 0, 0, 0);
}

/* Linux's order (linux-host.md 6): RECs, private pages, RTTs, the realm;
 * every granule back to the host. */
static void teardown(struct bench *b, unsigned int pages, bool have_rec)
{
	uint64_t rd = pa(OFF_RD);

	if (have_rec) {
		must(b, RMI_REC_DESTROY, pa(OFF_REC), 0, 0, 0, 0);
		for (unsigned int i = 0; i <= RMI_REC_AUX_GRANULES; i++)
			undelegate(b, OFF_REC + i * GRANULE);
	}
	for (unsigned int i = 0; i < pages; i++) {
		must(b, RMI_DATA_DESTROY, rd, (uint64_t)i * GRANULE, 0, 0, 0);
		undelegate(b, OFF_DATA + i * GRANULE);
	}
	for (unsigned int i = num_l3(pages); i-- > 0;) {
		must(b, RMI_RTT_DESTROY, rd, (uint64_t)i * PAGES_PER_L3 * GRANULE,
		     3, 0, 0);
		undelegate(b, rtt_off(2 + i));
	}
	must(b, RMI_RTT_DESTROY, rd, 0, 2, 0, 0);
	undelegate(b, rtt_off(1));
	must(b, RMI_RTT_DESTROY, rd, 0, 1, 0, 0);
	undelegate(b, rtt_off(0));
	must(b, RMI_REALM_DESTROY, rd, 0, 0, 0, 0);
	undelegate(b, OFF_RD);
	undelegate(b, OFF_ROOT);
}

static void cycle(struct bench *b)
{
	realm_create(b, CYCLE_PAGES);
	delegate_data(b, CYCLE_PAGES);
	populate(b, CYCLE_PAGES);
	rec_create_activate(b);
	teardown(b, CYCLE_PAGES, true);
}

static void bench_cycle(struct bench *b)
{
	uint64_t calls_per_cycle, cycles = 0;
	double start, elapsed;

	b->calls = 0;
	cycle(b);	/* warm-up, and the call count of one cycle */
	calls_per_cycle = b->calls;
	b->calls = 0;
	start = now();
	do {
		cycle(b);
		cycles++;
		elapsed = now() - start;
	} while (elapsed < CYCLE_SECONDS);
	printf("(a) realm cycle, in-process: create, %u measured pages, REC, "
	       "activate, destroy all = %" PRIu64 " RMI calls\n",
	       CYCLE_PAGES, calls_per_cycle);
	printf("    %.0f RMI calls/s (%" PRIu64 " cycles in %.2f s, %.1f us per cycle)\n",
	       (double)b->calls / elapsed, cycles, elapsed, elapsed / (double)cycles * 1e6);
}

/* Best of THROUGHPUT_ROUNDS, for both sides: the least disturbed run. */
static void bench_data_create(struct bench *b)
{
	static uint8_t digest[SHA256_DIGEST_LENGTH];
	double best_create = 1e9, best_sha = 1e9, t, mib = THROUGHPUT_MIB;
	/* The fastest raw hashing OpenSSL offers: the algorithm fetched once and
	 * one context reused, so the baseline pays no per-call look-up. */
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	for (unsigned int i = 0; i < THROUGHPUT_PAGES * GRANULE; i++)
		((uint8_t *)host(b, OFF_SRC))[i] = (uint8_t)(i * 31 + (i >> 12));
	for (unsigned int round = 0; round < THROUGHPUT_ROUNDS; round++) {
		realm_create(b, THROUGHPUT_PAGES);
		delegate_data(b, THROUGHPUT_PAGES);
		t = now();
		populate(b, THROUGHPUT_PAGES);
		t = now() - t;
		if (t < best_create)
			best_create = t;
		teardown(b, THROUGHPUT_PAGES, false);

		t = now();
		for (unsigned int i = 0; i < THROUGHPUT_PAGES; i++) {
			if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 ||
			    EVP_DigestUpdate(ctx, host(b, OFF_SRC + i * GRANULE),
					     GRANULE) != 1 ||
			    EVP_DigestFinal_ex(ctx, digest, NULL) != 1) {
				fprintf(stderr, "rmi-bench: SHA-256 failed\n");
				exit(1);
			}
		}
		t = now() - t;
		if (t < best_sha)
			best_sha = t;
	}
	printf("(b) DATA_CREATE, SHA-256 realm, MEASURE_CONTENT, %d MiB in 4 KiB "
	       "pages (best of %d):\n", THROUGHPUT_MIB, THROUGHPUT_ROUNDS);
	printf("    DATA_CREATE:                             %8.1f MiB/s\n",
	       mib / best_create);
	printf("    raw SHA-256 (OpenSSL EVP, per page):     %8.1f MiB/s\n",
	       mib / best_sha);
	printf("    DATA_CREATE time / raw SHA-256 time: %.2f (goal <= %.1f)\n",
	       best_create / best_sha, RATIO_GOAL);
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
}

int main(void)
{
	struct bench b = { 0 };
	int err;

	b.rmm = rmm_new(NULL);
	if (b.rmm == NULL) {
		perror("rmi-bench: rmm_new");
		return EXIT_FAILURE;
	}
	err = hostmem_create(&b.mem, "rmi-bench", REGION_SIZE);
	if (err == 0)
		err = rmm_add_region(b.rmm, REGION_BASE, REGION_SIZE, b.mem.fd, 0);
	if (err != 0) {
		fprintf(stderr, "rmi-bench: host memory: %s\n", strerror(-err));
		return EXIT_FAILURE;
	}
	bench_cycle(&b);
	bench_data_create(&b);
	rmm_free(b.rmm);
	hostmem_destroy(&b.mem);
	return EXIT_SUCCESS;
}
