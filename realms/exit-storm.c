/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exit-storm: EXITS 4-byte MMIO writes to the scratch device in a loop,
 * each an emulatable data abort that the host answers; then reads the last
 * value back and prints how many exits took how long (virtual counter).
 */
#include "realm.h"

#define EXITS	10000U

int main(uint64_t dtb)
{
	uint64_t dev = realm_unprotected(REALM_SCRATCH_BASE), start, us;
	uint32_t last;

	(void)dtb;
	printf("exit-storm: %u MMIO writes\n", EXITS);
	start = realm_time_us();
	for (uint32_t i = 0; i < EXITS; i++)
		mmio_write32(dev, i);
	us = realm_time_us() - start;
	last = mmio_read32(dev);
	printf("exit-storm: %u exits in %lu us (%lu ns each)\n", EXITS, us,
	       us * 1000 / EXITS);
	return check_eq("exit_storm_last_value", last, EXITS - 1) ? 0 : 1;
}
