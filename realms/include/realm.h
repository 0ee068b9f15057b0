/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The runtime of rmmemu's bare-metal realm payloads: entry, a stack per REC,
 * exception vectors, the UART, printf, and wrappers for the RSI and PSCI
 * calls a realm makes with SMC #0 (reference rsi-1.0.md).
 *
 * A payload is linked at the RAM base rmm-run uses by default (0x40000000,
 * realm.ld) and runs with its MMU off, so every address is an IPA and every
 * data access is Device-nGnRnE: the code is built with -mstrict-align and
 * -mgeneral-regs-only, and nothing here needs atomics.
 *
 * REC 0 enters _start with x0 = the DTB's IPA (0 without one), runs
 * realm_init() and main(); main()'s result ends the realm with realm_exit().
 * A REC started with psci_cpu_on(i, secondary_entry_ipa(), ctx) runs
 * secondary_main(ctx) on its own stack.
 */
#ifndef REALM_H
#define REALM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REALM_MAX_RECS		8
#define REALM_STACK_SIZE	16384
#define REALM_PAGE		4096UL

/* rmm-run's devices (without the unprotected bit, see realm_unprotected()). */
#define REALM_UART_BASE		0x09000000UL
#define REALM_SCRATCH_BASE	0x0a000000UL
#define REALM_NO_DEVICE		0x0b000000UL	/* nothing there: reads 0 */

/* SMC function IDs (rsi-1.0.md 2). */
#define SMCCC_VERSION		0x80000000UL
#define PSCI_VERSION		0x84000000UL
#define PSCI_CPU_OFF		0x84000002UL
#define PSCI_CPU_ON		0xC4000003UL
#define PSCI_AFFINITY_INFO	0xC4000004UL
#define PSCI_SYSTEM_OFF		0x84000008UL
#define PSCI_SYSTEM_RESET	0x84000009UL
#define PSCI_FEATURES		0x8400000AUL
#define RSI_VERSION		0xC4000190UL
#define RSI_FEATURES		0xC4000191UL
#define RSI_MEASUREMENT_READ	0xC4000192UL
#define RSI_MEASUREMENT_EXTEND	0xC4000193UL
#define RSI_ATTESTATION_TOKEN_INIT	0xC4000194UL
#define RSI_ATTESTATION_TOKEN_CONTINUE	0xC4000195UL
#define RSI_REALM_CONFIG	0xC4000196UL
#define RSI_IPA_STATE_SET	0xC4000197UL
#define RSI_IPA_STATE_GET	0xC4000198UL
#define RSI_HOST_CALL		0xC4000199UL

#define RSI_ABI_1_0		0x10000UL
#define RSI_SUCCESS		0
#define RSI_ERROR_INPUT		1
#define RSI_ERROR_STATE		2
#define RSI_INCOMPLETE		3
#define RSI_ERROR_UNKNOWN	4
#define RSI_EMPTY		0
#define RSI_RAM			1
#define RSI_ACCEPT		0
#define RSI_REJECT		1

#define PSCI_SUCCESS		0
#define PSCI_NOT_SUPPORTED	(-1L)
#define PSCI_INVALID_PARAMETERS	(-2L)
#define PSCI_DENIED		(-3L)
#define PSCI_ALREADY_ON		(-4L)
#define PSCI_INVALID_ADDRESS	(-9L)
#define PSCI_AFFINITY_ON	0
#define PSCI_AFFINITY_OFF	1

/* x0..x10 in, x0..x10 out. */
struct smc_regs {
	uint64_t x[11];
};

void smc_call(struct smc_regs *r);
/* SMC #0 with x0 = fid, x1..x4; the results in out (may be NULL); x0. */
uint64_t smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
	     struct smc_regs *out);

/* ---- the realm ------------------------------------------------------------- */

/* From RSI_REALM_CONFIG at start-up. */
extern unsigned int realm_ipa_width;
extern unsigned int realm_hash_algo;	/* 0 SHA-256, 1 SHA-512 */

/* The unprotected alias of an IPA: the top IPA bit set (rsi-1.0.md 7.1). */
uint64_t realm_unprotected(uint64_t ipa);
/* The REC index of this CPU, from MPIDR_EL1 (Aff0[3:0] | Aff1 << 4). */
unsigned int realm_rec_index(void);
/* SYSTEM_OFF when ok (rmm-run exits 0), else SYSTEM_RESET (rmm-run
 * exits 3): a payload's failure shows in rmm-run's exit status. */
void realm_exit(bool ok) __attribute__((noreturn));

/* Microseconds of the virtual counter (CNTVCT_EL0 / CNTFRQ_EL0). */
uint64_t realm_time_us(void);

/* Payload entry points. */
int main(uint64_t dtb);
void secondary_main(uint64_t ctx);
uint64_t secondary_entry_ipa(void);

/* ---- exceptions ------------------------------------------------------------ */

struct exc_frame {
	uint64_t x[31];
	uint64_t elr, spsr, esr, far;
	uint64_t pad;
};

/* Vector offsets / 0x80: 4 = synchronous from EL1h, 5 = IRQ, 6 = FIQ,
 * 7 = SError. A hook that returns true has handled the exception (it may
 * move f->elr); otherwise the exception is printed and the realm ends with
 * realm_exit(false). */
typedef bool (*exc_hook_fn)(unsigned int vector, struct exc_frame *f);
extern exc_hook_fn realm_exception_hook;

#define ESR_EC(esr)		(((esr) >> 26) & 0x3F)
#define ESR_FSC(esr)		((esr) & 0x3F)
#define ESR_WNR			(1UL << 6)
#define EC_UNKNOWN		0x00
#define EC_DABT_SAME		0x25
#define FSC_SEA			0x10

/* ---- output ---------------------------------------------------------------- */

void putc_uart(char c);
void puts_uart(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- calls ------------------------------------------------------------------- */

long psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t ctx);
long psci_affinity_info(uint64_t mpidr, uint64_t level);
void psci_cpu_off(void);

uint64_t rsi_measurement_read(unsigned int index, uint8_t out[64]);
uint64_t rsi_ipa_state_set(uint64_t base, uint64_t top, uint64_t ripas, uint64_t flags,
			   uint64_t *next, uint64_t *response);
uint64_t rsi_ipa_state_get(uint64_t base, uint64_t end, uint64_t *top, uint64_t *ripas);

/* ---- MMIO (one access instruction each) -------------------------------------- */

static inline void mmio_write8(uint64_t a, uint8_t v)
{
	__asm__ volatile("strb %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}

static inline void mmio_write16(uint64_t a, uint16_t v)
{
	__asm__ volatile("strh %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}

static inline void mmio_write32(uint64_t a, uint32_t v)
{
	__asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}

static inline void mmio_write64(uint64_t a, uint64_t v)
{
	__asm__ volatile("str %x0, [%1]" : : "r"(v), "r"(a) : "memory");
}

static inline uint8_t mmio_read8(uint64_t a)
{
	uint32_t v;

	__asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return (uint8_t)v;
}

static inline uint16_t mmio_read16(uint64_t a)
{
	uint32_t v;

	__asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return (uint16_t)v;
}

static inline uint32_t mmio_read32(uint64_t a)
{
	uint32_t v;

	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline uint64_t mmio_read64(uint64_t a)
{
	uint64_t v;

	__asm__ volatile("ldr %x0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

/* ---- checks: one line each, "PASS name" or "FAIL name: got X" ------------------ */

extern unsigned int checks_passed, checks_failed;
bool check_eq(const char *name, uint64_t got, uint64_t want);
bool check_true(const char *name, bool ok, uint64_t got);
/* "NAME: N passed, M failed"; true when none failed. */
bool checks_summary(const char *name);

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif /* REALM_H */
