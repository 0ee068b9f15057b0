/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C half of the payload runtime: start-up (RSI_VERSION, RSI_REALM_CONFIG
 * for the IPA width, hence the UART's unprotected alias), the exception
 * handler, the SMC wrappers and the end of the realm.
 */
#include "realm.h"

unsigned int realm_ipa_width;
unsigned int realm_hash_algo;
exc_hook_fn realm_exception_hook;

/* RSI_REALM_CONFIG writes a 4 KiB granule of protected RAM (rsi-1.0.md 7.1). */
static uint8_t realm_config[REALM_PAGE] __attribute__((aligned(REALM_PAGE)));

extern char _secondary_entry[];

uint64_t smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
	     struct smc_regs *out)
{
	struct smc_regs r;

	memset(&r, 0, sizeof(r));
	r.x[0] = fid;
	r.x[1] = a1;
	r.x[2] = a2;
	r.x[3] = a3;
	r.x[4] = a4;
	smc_call(&r);
	if (out != NULL)
		*out = r;
	return r.x[0];
}

uint64_t realm_unprotected(uint64_t ipa)
{
	return ipa | 1UL << (realm_ipa_width - 1);
}

unsigned int realm_rec_index(void)
{
	uint64_t mpidr;

	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
	return (unsigned int)((mpidr & 0xF) | ((mpidr >> 8) & 0xFF) << 4);
}

uint64_t realm_time_us(void)
{
	uint64_t cnt, frq;

	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(cnt) : : "memory");
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
	/* Without a frequency time still has to pass for the loops that
	 * wait: one tick per call. */
	if (frq == 0) {
		static uint64_t calls;

		return ++calls;
	}
	/* Split to stay clear of overflow for any frequency. */
	return cnt / frq * 1000000 + cnt % frq * 1000000 / frq;
}

uint64_t secondary_entry_ipa(void)
{
	return (uint64_t)_secondary_entry;
}

void realm_exit(bool ok)
{
	smc(ok ? PSCI_SYSTEM_OFF : PSCI_SYSTEM_RESET, 0, 0, 0, 0, NULL);
	/* The RMM never runs a realm again after either call. */
	for (;;)
		__asm__ volatile("wfi");
}

/* ---- calls ------------------------------------------------------------------- */

long psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t ctx)
{
	return (long)smc(PSCI_CPU_ON, mpidr, entry, ctx, 0, NULL);
}

long psci_affinity_info(uint64_t mpidr, uint64_t level)
{
	return (long)smc(PSCI_AFFINITY_INFO, mpidr, level, 0, 0, NULL);
}

void psci_cpu_off(void)
{
	smc(PSCI_CPU_OFF, 0, 0, 0, 0, NULL);
	/* CPU_OFF does not return to a REC that was turned off; if it does,
	 * this REC is done anyway. */
	for (;;)
		__asm__ volatile("wfi");
}

/* x1..x8 hold the 64-byte slot, x1 = bytes 0..7 (rsi-1.0.md 5.1). */
uint64_t rsi_measurement_read(unsigned int index, uint8_t out[64])
{
	struct smc_regs r;
	uint64_t ret = smc(RSI_MEASUREMENT_READ, index, 0, 0, 0, &r);

	for (unsigned int i = 0; i < 64; i++)
		out[i] = (uint8_t)(r.x[1 + i / 8] >> (8 * (i % 8)));
	return ret;
}

uint64_t rsi_ipa_state_set(uint64_t base, uint64_t top, uint64_t ripas, uint64_t flags,
			   uint64_t *next, uint64_t *response)
{
	struct smc_regs r;
	uint64_t ret = smc(RSI_IPA_STATE_SET, base, top, ripas, flags, &r);

	*next = r.x[1];
	*response = r.x[2];
	return ret;
}

uint64_t rsi_ipa_state_get(uint64_t base, uint64_t end, uint64_t *top, uint64_t *ripas)
{
	struct smc_regs r;
	uint64_t ret = smc(RSI_IPA_STATE_GET, base, end, 0, 0, &r);

	*top = r.x[1];
	*ripas = r.x[2];
	return ret;
}

/* ---- start-up ------------------------------------------------------------------ */

/* Without RSI 1.0 and the realm's configuration there is no UART to
 * complain on: the realm ends with a reset. */
static void realm_init(void)
{
	struct smc_regs r;

	if (smc(RSI_VERSION, RSI_ABI_1_0, 0, 0, 0, &r) != RSI_SUCCESS)
		realm_exit(false);
	if (smc(RSI_REALM_CONFIG, (uint64_t)realm_config, 0, 0, 0, NULL) != RSI_SUCCESS)
		realm_exit(false);
	realm_ipa_width = (unsigned int)*(volatile uint64_t *)&realm_config[0];
	realm_hash_algo = *(volatile uint8_t *)&realm_config[8];
	if (realm_ipa_width < 32 || realm_ipa_width > 52)
		realm_exit(false);
}

void realm_start_primary(uint64_t dtb);
void realm_start_secondary(uint64_t ctx);

void realm_start_primary(uint64_t dtb)
{
	realm_init();
	realm_exit(main(dtb) == 0);
}

void realm_start_secondary(uint64_t ctx)
{
	secondary_main(ctx);
	psci_cpu_off();
}

/* A payload without secondaries: a REC started anyway turns itself off. */
__attribute__((weak)) void secondary_main(uint64_t ctx)
{
	(void)ctx;
}

/* ---- exceptions ------------------------------------------------------------------ */

static const char *const vector_names[16] = {
	"sync EL1t", "IRQ EL1t", "FIQ EL1t", "SError EL1t",
	"sync EL1h", "IRQ EL1h", "FIQ EL1h", "SError EL1h",
	"sync EL0 AArch64", "IRQ EL0 AArch64", "FIQ EL0 AArch64", "SError EL0 AArch64",
	"sync EL0 AArch32", "IRQ EL0 AArch32", "FIQ EL0 AArch32", "SError EL0 AArch32",
};

void realm_exception(unsigned int vector, struct exc_frame *f);

void realm_exception(unsigned int vector, struct exc_frame *f)
{
	if (realm_exception_hook != NULL && realm_exception_hook(vector, f))
		return;
	printf("unexpected exception (%s) on REC %u: ESR 0x%lx ELR 0x%lx FAR 0x%lx\n",
	       vector_names[vector & 15], realm_rec_index(), f->esr, f->elr, f->far);
	realm_exit(false);
}

/* ---- checks ------------------------------------------------------------------------ */

unsigned int checks_passed, checks_failed;

bool check_true(const char *name, bool ok, uint64_t got)
{
	if (ok) {
		checks_passed++;
		printf("PASS %s\n", name);
	} else {
		checks_failed++;
		printf("FAIL %s: got 0x%lx\n", name, got);
	}
	return ok;
}

bool check_eq(const char *name, uint64_t got, uint64_t want)
{
	if (got == want)
		return check_true(name, true, got);
	checks_failed++;
	printf("FAIL %s: got 0x%lx (expected 0x%lx)\n", name, got, want);
	return false;
}

bool checks_summary(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, checks_passed, checks_failed);
	return checks_failed == 0;
}

/* ---- memory ------------------------------------------------------------------------- */

void *memset(void *s, int c, size_t n)
{
	volatile uint8_t *p = s;

	while (n-- > 0)
		*p++ = (uint8_t)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile uint8_t *dp = d;
	const volatile uint8_t *sp = s;

	while (n-- > 0)
		*dp++ = *sp++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *pa = a, *pb = b;

	for (size_t i = 0; i < n; i++) {
		if (pa[i] != pb[i])
			return pa[i] < pb[i] ? -1 : 1;
	}
	return 0;
}
