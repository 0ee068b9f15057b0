/* SPDX-License-Identifier: BSD-3-Clause */
/* Granule table, GRANULE_DELEGATE/UNDELEGATE, VERSION, FEATURES and the
 * dispatch of unused function IDs (rmi-1.0.md 1, 4, 8.1-8.3, 8.20). */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "rmmemu/granule.h"

static void test_version(void **state)
{
	struct harness *h = *state;

	assert_rmi(h_call(h, RMI_VERSION, 0x10000, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 0x10000);
	assert_int_equal(h->last_out[2], 0x10000);
	/* Lower and higher are reported on failure too. */
	assert_rmi(h_call(h, RMI_VERSION, 0x20000, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_int_equal(h->last_out[1], 0x10000);
	assert_int_equal(h->last_out[2], 0x10000);
	assert_rmi(h_call(h, RMI_VERSION, 0x10001, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
}

static void test_features(void **state)
{
	struct harness *h = *state;
	uint64_t f;

	assert_rmi(h_call(h, RMI_FEATURES, 0, 0, 0, 0x4444, 0), RMI_SUCCESS, 0);
	f = h->last_out[1];
	assert_int_equal(RMI_FIELD_GET(f, S2SZ), 48);
	assert_int_equal(RMI_FIELD_GET(f, LPA2), 0);
	assert_int_equal(RMI_FIELD_GET(f, HASH_SHA_256), 1);
	assert_int_equal(RMI_FIELD_GET(f, HASH_SHA_512), 1);
	assert_int_equal(RMI_FIELD_GET(f, MAX_RECS_ORDER), 10);
	assert_int_equal(RMI_FIELD_GET(f, NUM_BPS), 1);
	assert_int_equal(RMI_FIELD_GET(f, GICV3_NUM_LRS), 15);
	assert_int_equal(f >> 42, 0);		/* reserved bits */
	assert_int_equal(h->last_out[2], 0);	/* unwritten x1..x3 are 0 */
	assert_int_equal(h->last_out[4], 0x4444);	/* x4 preserved */
	assert_rmi(h_call(h, RMI_FEATURES, 1, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], 0);
}

static void test_unused_fids(void **state)
{
	struct harness *h = *state;
	const uint32_t unused[] = { RMI_FID(0x156), RMI_FID(0x160), RMI_FID(0x163),
				    RMI_FID(0x16A), RMI_FID(0x16F) };

	for (unsigned int i = 0; i < sizeof(unused) / sizeof(unused[0]); i++) {
		assert_int_equal(h_call(h, unused[i], 1, 2, 3, 4, 5), SMCCC_NOT_SUPPORTED);
		assert_int_equal(h->last_out[1], 0);
		assert_int_equal(h->last_out[2], 0);
		assert_int_equal(h->last_out[3], 0);
		assert_int_equal(h->last_out[4], 4);
	}
	assert_int_equal(h_call(h, 0xC4000170, 0, 0, 0, 0, 0), SMCCC_NOT_SUPPORTED);
	assert_int_equal(h_call(h, 0x84000000, 0, 0, 0, 0, 0), SMCCC_NOT_SUPPORTED);
}

/* The SVE hint bit is stripped and only the low 32 bits of x0 are the FID. */
static void test_fid_decoding(void **state)
{
	struct harness *h = *state;

	assert_rmi(h_call(h, RMI_VERSION | RMI_FID_SVE_HINT, 0x10000, 0, 0, 0, 0),
		   RMI_SUCCESS, 0);
	{
		uint64_t x[7] = { 0xFFFFFFFF00000000ULL | RMI_VERSION, 0x10000 };
		uint64_t out[5];

		rmm_call(h->rmm, x, out);
		assert_int_equal(out[0], RMI_SUCCESS);
	}
}

static void test_delegate_undelegate(void **state)
{
	struct harness *h = *state;
	uint64_t pa = h_alloc(h);
	uint8_t *host = h_ns(h, pa);
	static const uint8_t zero[RMI_GRANULE_SIZE];

	memset(host, 0xA5, RMI_GRANULE_SIZE);
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0), RMI_SUCCESS, 0);
	/* The host reads zeros where a delegated granule is. */
	assert_memory_equal(host, zero, RMI_GRANULE_SIZE);
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	/* Whatever the host writes meanwhile is scrubbed on the way back. */
	memset(host, 0x5A, 64);
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_memory_equal(host, zero, RMI_GRANULE_SIZE);
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	/* Usable again. */
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0), RMI_SUCCESS, 0);
}

static void test_delegate_bad_addresses(void **state)
{
	struct harness *h = *state;

	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, h->base + 8, 0, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, h->base - RMI_GRANULE_SIZE, 0, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, h->base + h->size, 0, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, 0, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, ~0ULL & ~0xFFFULL, 0, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
	assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, h->base + h->size, 0, 0, 0, 0),
		   RMI_ERROR_INPUT, 0);
}

static void test_regions(void **state)
{
	struct harness *h = *state;
	uint64_t counts[GRANULE_STATE_COUNT];
	uint64_t before_ns;

	/* Overlapping and unaligned regions are refused. */
	assert_int_equal(rmm_add_region(h->rmm, h->base, 0x1000, h->fd, 0), -EEXIST);
	assert_int_equal(rmm_add_region(h->rmm, h->base + h->size - 0x1000, 0x2000,
					h->fd, 0), -EEXIST);
	assert_int_equal(rmm_add_region(h->rmm, 0x1000, 0x800, h->fd, 0), -EINVAL);
	assert_int_equal(rmm_add_region(h->rmm, 0x1000, 0, h->fd, 0), -EINVAL);
	assert_int_equal(rmm_add_region(h->rmm, 0x1000, 0x1000, -1, 0), -EBADF);
	/* A second region below the first works and is looked up. */
	granule_count_states(h->rmm, counts);
	before_ns = counts[GRANULE_STATE_NS];
	assert_int_equal(rmm_add_region(h->rmm, 0x10000, 0x4000, h->fd, 0x1000000), 0);
	granule_count_states(h->rmm, counts);
	assert_int_equal(counts[GRANULE_STATE_NS], before_ns + 4);
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, 0x13000, 0, 0, 0, 0), RMI_SUCCESS, 0);
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, 0x14000, 0, 0, 0, 0), RMI_ERROR_INPUT, 0);
	granule_count_states(h->rmm, counts);
	assert_int_equal(counts[GRANULE_STATE_DELEGATED], 1);
}

/* Freeing the instance gives every granule back scrubbed. */
static void test_free_scrubs(void **state)
{
	struct harness *h = h_new(NULL);
	uint64_t pa = h_alloc(h);
	uint8_t *p = h_ns(h, pa);
	static const uint8_t zero[RMI_GRANULE_SIZE];

	(void)state;
	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0), RMI_SUCCESS, 0);
	memset(p, 0x11, RMI_GRANULE_SIZE);
	rmm_free(h->rmm);
	assert_memory_equal(p, zero, RMI_GRANULE_SIZE);
	h->rmm = rmm_new(NULL);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_version, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_features, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_unused_fids, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_fid_decoding, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_delegate_undelegate, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_delegate_bad_addresses, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_regions, h_setup, h_teardown),
		cmocka_unit_test(test_free_scrubs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
