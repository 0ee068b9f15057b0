/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ripas: RSI_IPA_STATE_SET of four pages to EMPTY and back to RAM, checked
 * with RSI_IPA_STATE_GET (rsi-1.0.md 7.2-7.4). While the pages are EMPTY a
 * load and a store there must each take a synchronous external abort that
 * the RMM injects without a REC exit (rmi-1.0.md 9.3, 9.5): the exception
 * hook checks ESR_EL1 (EC 0x25, FSC 0x10, WnR) and FAR_EL1 and skips the
 * instruction. Back in RAM the pages are usable again. First of all, a page
 * of RAM the image does not cover is written and read back: rmm-run (by
 * default) populates such RAM at the realm's first access to it, after a
 * REC exit for the unassigned page (rmi-1.0.md 9.3).
 *
 * From the host it needs RIPAS changes accepted and applied (rmm-run
 * without --reject-ripas); a host that refuses them makes it fail.
 */
#include "realm.h"

/* 1.5 MiB into RAM: past every payload's image, inside the smallest RAM. */
#define UNTOUCHED_RAM	0x40180000UL
#define AREA_PAGES	4
#define AREA_SIZE	(AREA_PAGES * REALM_PAGE)

/* Aligned to its size: the four pages share one level-3 RTT. */
static uint8_t area[AREA_SIZE] __attribute__((aligned(AREA_SIZE)));

static volatile unsigned int seas;
static volatile uint64_t sea_esr, sea_far;

static bool sea_hook(unsigned int vector, struct exc_frame *f)
{
	if (vector != 4 || ESR_EC(f->esr) != EC_DABT_SAME)
		return false;
	seas++;
	sea_esr = f->esr;
	sea_far = f->far;
	f->elr += 4;
	return true;
}

/* One instruction each, so that skipping it skips exactly the access. */
static uint64_t load_byte(uint64_t a)
{
	uint64_t v = 0xdead;

	__asm__ volatile("ldrb %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static void store_byte(uint64_t a, uint8_t v)
{
	__asm__ volatile("strb %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}

/* Loops as the Linux guest does until the host has done [base, top). */
static bool set_ripas(uint64_t base, uint64_t top, uint64_t ripas, const char *name)
{
	uint64_t next, resp;

	while (base < top) {
		if (!check_eq(name, rsi_ipa_state_set(base, top, ripas, 0, &next, &resp),
			      RSI_SUCCESS))
			return false;
		if (!check_eq("ripas_change_accepted", resp, RSI_ACCEPT))
			return false;
		if (!check_true("ripas_change_progress", next > base && next <= top, next))
			return false;
		base = next;
	}
	return true;
}

static void check_state(uint64_t base, uint64_t want, const char *name)
{
	uint64_t top, ripas;

	check_eq(name, rsi_ipa_state_get(base, base + AREA_SIZE, &top, &ripas), RSI_SUCCESS);
	check_eq("ipa_state_get_ripas", ripas, want);
	check_eq("ipa_state_get_top", top, base + AREA_SIZE);
}

static void check_sea(uint64_t a, bool write)
{
	unsigned int before = seas;

	realm_exception_hook = sea_hook;
	if (write)
		store_byte(a, 0x77);
	else
		check_eq("empty_load_skipped", load_byte(a), 0xdead);
	realm_exception_hook = NULL;
	check_eq(write ? "empty_store_sea" : "empty_load_sea", seas, before + 1);
	check_eq("sea_fsc", ESR_FSC(sea_esr), FSC_SEA);
	check_eq("sea_wnr", (sea_esr & ESR_WNR) != 0, write);
	check_eq("sea_far", sea_far, a);
}

int main(uint64_t dtb)
{
	uint64_t base = (uint64_t)area, probe = base + REALM_PAGE + 8;

	(void)dtb;
	printf("ripas: pages [0x%lx, 0x%lx)\n", base, base + AREA_SIZE);
	store_byte(UNTOUCHED_RAM + 8, 0x33);
	check_eq("untouched_ram_usable", load_byte(UNTOUCHED_RAM + 8), 0x33);
	check_state(base, RSI_RAM, "ipa_state_get_ram");
	store_byte(probe, 0x11);
	check_eq("ram_usable", load_byte(probe), 0x11);
	if (set_ripas(base, base + AREA_SIZE, RSI_EMPTY, "ipa_state_set_empty")) {
		check_state(base, RSI_EMPTY, "ipa_state_get_empty");
		check_sea(probe, false);
		check_sea(probe, true);
	}
	if (set_ripas(base, base + AREA_SIZE, RSI_RAM, "ipa_state_set_ram")) {
		check_state(base, RSI_RAM, "ipa_state_get_ram_again");
		store_byte(probe, 0x22);
		check_eq("ram_usable_again", load_byte(probe), 0x22);
	}
	return checks_summary("ripas") ? 0 : 1;
}
