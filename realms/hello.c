/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hello: the smallest realm. Prints a greeting and its RIM as
 * RSI_MEASUREMENT_READ gives it (compare it with the RIM rmm-run printed
 * when it built the realm), then powers off.
 */
#include "realm.h"

int main(uint64_t dtb)
{
	uint8_t rim[64];
	unsigned int size = realm_hash_algo == 1 ? 64 : 32;

	printf("hello from realm\n");
	printf("IPA width %u, DTB at 0x%lx, REC %u\n", realm_ipa_width, dtb,
	       realm_rec_index());
	if (rsi_measurement_read(0, rim) != RSI_SUCCESS) {
		printf("FAIL RSI_MEASUREMENT_READ(0)\n");
		return 1;
	}
	printf("RIM ");
	for (unsigned int i = 0; i < size; i++)
		printf("%02x", rim[i]);
	printf("\n");
	return 0;
}
