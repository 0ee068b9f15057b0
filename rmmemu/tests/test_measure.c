/* SPDX-License-Identifier: BSD-3-Clause */
/* RIM and REM computation against the reference RMM's published values
 * (reference measurement.md 4-6). */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "rmmemu/measure.h"
#include "rmmemu/realm.h"

static void assert_digest(const uint8_t *got, const char *hex, size_t size)
{
	char buf[2 * MEASURE_MAX_DIGEST + 1];

	for (size_t i = 0; i < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", got[i]);
	assert_string_equal(buf, hex);
	for (size_t i = size; i < MEASURE_MAX_DIGEST; i++)
		assert_int_equal(got[i], 0);	/* zero padded */
}

static void realm_init(struct realm *r, struct rmi_realm_params *p,
		       enum rmi_hash_algo algo)
{
	memset(r, 0, sizeof(*r));
	memset(p, 0, sizeof(*p));
	p->s2sz = 40;
	p->num_bps = 1;
	p->num_wps = 1;
	p->hash_algo = algo;
	memset(p->rpv, 0xAA, sizeof(p->rpv));	/* not measured */
	p->vmid = 1;				/* not measured */
	r->hash_algo = algo;
	measure_rim_init(r, p);
}

static void page_pattern(uint8_t *page, unsigned int mul, unsigned int add)
{
	for (unsigned int i = 0; i < RMI_GRANULE_SIZE; i++)
		page[i] = (uint8_t)((i * mul + add) % 256);
}

static void test_sha256_worked_example(void **state)
{
	static uint8_t page[RMI_GRANULE_SIZE];
	static struct rmi_realm_params p;
	static struct rmi_rec_params rp;
	uint8_t content[MEASURE_MAX_DIGEST];
	struct realm r;

	(void)state;
	realm_init(&r, &p, RMI_HASH_SHA_256);
	assert_digest(r.measurements[0],
		      "045cb3602843a6845cb710fbbfbb92f0c7d611afe0106ac2953e46950a70c42b", 32);
	measure_extend_ripas(&r, 0, 0x1000);
	assert_digest(r.measurements[0],
		      "5e99b1e6b2ebb03fe15c9e109929780b9becf1a9154e6f8b64cfd9b988cc1b5f", 32);
	measure_extend_ripas(&r, 0x1000, 0x2000);
	assert_digest(r.measurements[0],
		      "9b5303525fcfb072d304da0e179e2c9704276a077026267a9b1c0d7a0e42bb0f", 32);
	page_pattern(page, 31, 0x5A);
	measure_hash(RMI_HASH_SHA_256, page, sizeof(page), content);
	assert_digest(content,
		      "dff4289db9a63e9fe6d7b76ace743007b0764713009b2aa78c5287970f244d71", 32);
	measure_extend_data(&r, 0x1000, RMI_MEASURE_CONTENT, page);
	assert_digest(r.measurements[0],
		      "dbfa5c79a0980ddd566b7bf6f00a9ea8ae3dcd636dde494d7fb3091ae91fd86c", 32);
	memset(&rp, 0, sizeof(rp));
	rp.flags = RMI_REC_CREATE_RUNNABLE;
	rp.pc = 0x80000000;
	rp.gprs[0] = 0x11;
	rp.gprs[1] = 0x22;
	rp.mpidr = 0x7;		/* not measured */
	rp.num_aux = 16;	/* not measured */
	measure_extend_rec(&r, &rp);
	assert_digest(r.measurements[0],
		      "5630645cb895f1c894e6319edf4b289881eb301ee505dc28a02ca57b6de01bd7", 32);
}

static void test_sha512_example(void **state)
{
	static uint8_t page[RMI_GRANULE_SIZE];
	static struct rmi_realm_params p;
	static struct rmi_rec_params rp;
	struct realm r;

	(void)state;
	realm_init(&r, &p, RMI_HASH_SHA_512);
	assert_digest(r.measurements[0],
		      "066e19aa2c3418dadc20ef31b5595907c612991952553e1e99731a677b5797c9"
		      "898dffb6e3963a20b8e1af6d136cd2fe6fe25f048577dc3d7e5bf3a79a4b1e81", 64);
	measure_extend_ripas(&r, 0x200000, 0x400000);
	assert_digest(r.measurements[0],
		      "5aea895661e38c34443329c9fdbc983ed38bc30faec3219c5fb2ceab94c8f4d4"
		      "91fc5ea7cc4aa0c6633c739c8882257e043eaed427e0594d15614b8de86082dd", 64);
	for (uint64_t a = 0; a < 0x3000; a += 0x1000)
		measure_extend_ripas(&r, a, a + 0x1000);
	assert_digest(r.measurements[0],
		      "765d5d30160f148bc9715a6379b7d65b57c53aced806cfd43d066caea0a018ee"
		      "543b304771489ee20dbc8cd5f6ff3a1d1dc84773e23cb991f37fd94b1bcb7628", 64);
	page_pattern(page, 31, 1);
	measure_extend_data(&r, 0, RMI_MEASURE_CONTENT, page);
	assert_digest(r.measurements[0],
		      "f145c1aa068c30bf1d0908d32a260519d26b0528388b0b7b6299f18915c145da"
		      "752f61284c4ac633ac5effad30c8778d526d6eed585fd33444066b864613dc36", 64);
	/* flags 0: the content must not matter. */
	memset(page, 0x77, sizeof(page));
	measure_extend_data(&r, 0x1000, RMI_NO_MEASURE_CONTENT, page);
	assert_digest(r.measurements[0],
		      "8d44e48267966eaaf149cabbef06c879cfb13a52ac36ce6ef5e3669df2aaa196"
		      "5501e722236378810f207a50dd29b1e5d5a7b5682b17fa16929aeb04a5cf6f6b", 64);
	memset(&rp, 0, sizeof(rp));
	rp.flags = RMI_REC_CREATE_RUNNABLE;
	rp.pc = 0x80000000;
	rp.gprs[0] = 0x1234;
	measure_extend_rec(&r, &rp);
	assert_digest(r.measurements[0],
		      "2101a4907c06e19425ad8e83bd9f4eda18ed66cf7a581d699c2652d63f565454"
		      "9812fef1802e7c12aa94cb061bcd64f617edfd82ba009b9eb380d6a639bab620", 64);
}

/* Only the measured widths of the params count: upper halves of the u64
 * slots, rpv, vmid and the RTT fields are not measured. */
static void test_rim_ignores_unmeasured_bytes(void **state)
{
	static struct rmi_realm_params p;
	uint8_t rim[MEASURE_MAX_DIGEST];
	struct realm r;

	(void)state;
	realm_init(&r, &p, RMI_HASH_SHA_256);
	memcpy(rim, r.measurements[0], sizeof(rim));
	p.s2sz |= 0xFFFFFFFF00000000ULL;
	p.hash_algo |= 0xFF00;
	p.rtt_base = 0x1234000;
	p.rtt_level_start = 1;
	p.rtt_num_start = 2;
	memset(p.rpv, 0x55, sizeof(p.rpv));
	measure_rim_init(&r, &p);
	assert_memory_equal(rim, r.measurements[0], sizeof(rim));
	p.flags = 4;	/* flags are measured in full */
	measure_rim_init(&r, &p);
	assert_memory_not_equal(rim, r.measurements[0], sizeof(rim));
}

static void test_rem_extend_sha512(void **state)
{
	static struct rmi_realm_params p;
	uint8_t data[8];
	uint64_t v = 0x1122334455667788ULL;
	struct realm r;

	(void)state;
	realm_init(&r, &p, RMI_HASH_SHA_512);
	memcpy(data, &v, sizeof(v));	/* x3 stored little-endian */
	measure_extend_rem(&r, 1, data, sizeof(data));
	assert_digest(r.measurements[1],
		      "f361c627ea51410cb5f6d3c5353427fe42cce82de47b93aab724d82468568154"
		      "f8919a5334cda01bd8fe5aaeb56da37067882f715e7c082a5f996dfc229e6b90", 64);
	/* The other REMs are untouched. */
	for (int i = 2; i < REALM_MEASUREMENTS; i++)
		for (int j = 0; j < MEASURE_MAX_DIGEST; j++)
			assert_int_equal(r.measurements[i][j], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_worked_example),
		cmocka_unit_test(test_sha512_example),
		cmocka_unit_test(test_rim_ignores_unmeasured_bytes),
		cmocka_unit_test(test_rem_extend_sha512),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
