/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * psci: realm PSCI across RECs (rsi-1.0.md 8). REC 0 turns every other REC
 * on with CPU_ON (until CPU_ON answers INVALID_PARAMETERS: no such REC),
 * waits for it to greet, checks AFFINITY_INFO says ON, lets it CPU_OFF and
 * polls AFFINITY_INFO until OFF; then restarts REC 1 once, and checks the
 * calls the RMM answers without the host. Needs two RECs or more
 * (rmm-run --recs N).
 */
#include "realm.h"

/* How long a REC gets to greet, and to be reported OFF, in microseconds. */
#define WAIT_US		(30UL * 1000 * 1000)

/* Written by one REC, read by another; the MMU is off, so every access
 * goes to memory. */
static volatile uint32_t greeted[REALM_MAX_RECS];
static volatile uint32_t may_stop[REALM_MAX_RECS];

void secondary_main(uint64_t ctx)
{
	unsigned int me = realm_rec_index();

	printf("hello from REC %u (context %lu)\n", me, ctx);
	greeted[me]++;
	while (may_stop[me] < greeted[me])
		;
	/* realm_start_secondary() turns this REC off when this returns. */
}

static bool wait_greeting(unsigned int i, uint32_t count)
{
	uint64_t start = realm_time_us();

	while (realm_time_us() - start < WAIT_US) {
		if (greeted[i] >= count)
			return true;
	}
	return false;
}

/* Each AFFINITY_INFO of another REC is a PSCI exit to the host. */
static bool wait_off(unsigned int i)
{
	uint64_t start = realm_time_us();

	while (realm_time_us() - start < WAIT_US) {
		if (psci_affinity_info(i, 0) == PSCI_AFFINITY_OFF)
			return true;
	}
	return false;
}

/* One round for REC i after CPU_ON answered ret: greeting, ON, off, OFF. */
static void cycle(unsigned int i, uint32_t round, long ret)
{
	if (!check_eq("cpu_on", (uint64_t)ret, PSCI_SUCCESS))
		return;
	if (!check_true("secondary_greets", wait_greeting(i, round), greeted[i]))
		return;
	check_eq("affinity_info_on", (uint64_t)psci_affinity_info(i, 0), PSCI_AFFINITY_ON);
	may_stop[i] = round;
	check_true("affinity_info_off_after_cpu_off", wait_off(i), i);
}

static void calls_without_exit(void)
{
	check_eq("cpu_on_self", (uint64_t)psci_cpu_on(0, secondary_entry_ipa(), 0),
		 (uint64_t)PSCI_ALREADY_ON);
	check_eq("cpu_on_bad_entry",
		 (uint64_t)psci_cpu_on(1, realm_unprotected(secondary_entry_ipa()), 0),
		 (uint64_t)PSCI_INVALID_ADDRESS);
	check_eq("affinity_info_self", (uint64_t)psci_affinity_info(0, 0), PSCI_AFFINITY_ON);
	check_eq("affinity_info_level_1", (uint64_t)psci_affinity_info(1, 1),
		 (uint64_t)PSCI_INVALID_PARAMETERS);
	/* Aff1 = 1 is REC index 16, beyond the RECs this payload runs with;
	 * bits 7:4 of Aff0 would not do: they are not part of the index
	 * (rsi-1.0.md 8). */
	check_eq("cpu_on_no_such_rec",
		 (uint64_t)psci_cpu_on(1UL << 8, secondary_entry_ipa(), 0),
		 (uint64_t)PSCI_INVALID_PARAMETERS);
}

int main(uint64_t dtb)
{
	unsigned int n = 1;

	(void)dtb;
	printf("psci: REC %u starts the others\n", realm_rec_index());
	for (unsigned int i = 1; i < REALM_MAX_RECS; i++) {
		long ret = psci_cpu_on(i, secondary_entry_ipa(), i);

		/* spec: CPU_ON of an index beyond the RECs fails at once. */
		if (ret == PSCI_INVALID_PARAMETERS)
			break;
		cycle(i, 1, ret);
		n++;
	}
	if (!check_true("more_than_one_rec", n > 1, n)) {
		printf("psci: run it with two RECs or more (rmm-run --recs 4)\n");
		return 1;
	}
	printf("psci: restarting REC 1\n");
	cycle(1, 2, psci_cpu_on(1, secondary_entry_ipa(), 1));
	calls_without_exit();
	printf("psci: %u RECs\n", n);
	return checks_summary("psci") ? 0 : 1;
}
