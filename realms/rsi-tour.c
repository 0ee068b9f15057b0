/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rsi-tour: every RSI call, its failure conditions and the realm-side SMCCC
 * and PSCI discovery calls, with the results the reference RMM gives
 * (rsi-1.0.md). One line per check, "PASS name" or "FAIL name: got X", then
 * a summary; SYSTEM_OFF if every check passed, else SYSTEM_RESET.
 *
 * From the host it needs what rmm-run does: RAM populated, RIPAS changes
 * accepted and applied, host calls answered with the registers unchanged
 * but x0 = 0.
 */
#include "realm.h"

#define SZ_4K		REALM_PAGE

/* Buffers in protected RAM, each in a granule of its own. */
static uint8_t config_buf[SZ_4K] __attribute__((aligned(SZ_4K)));
static uint8_t token_buf[SZ_4K] __attribute__((aligned(SZ_4K)));
static uint8_t ripas_page[SZ_4K] __attribute__((aligned(SZ_4K)));
static uint64_t host_call[32] __attribute__((aligned(256)));

/* REM0 after EXTEND(1, 8, 0x1122334455667788) from zero: H(zeros || 88 77
 * 66 55 44 33 22 11). SHA-512 from measurement.md 4; SHA-256 computed the
 * same way with Python's hashlib. */
static const uint8_t rem0_sha256[32] = {
	0x00, 0xa9, 0x1a, 0x9c, 0xf7, 0xe5, 0x14, 0xcf, 0x4d, 0x35, 0x46, 0x22,
	0x1b, 0x68, 0xe6, 0x1d, 0x9f, 0x75, 0xf7, 0xa2, 0x22, 0x88, 0x63, 0x6b,
	0xcc, 0x06, 0x30, 0x81, 0xdd, 0xca, 0xab, 0x3e,
};
static const uint8_t rem0_sha512[64] = {
	0xf3, 0x61, 0xc6, 0x27, 0xea, 0x51, 0x41, 0x0c, 0xb5, 0xf6, 0xd3, 0xc5,
	0x35, 0x34, 0x27, 0xfe, 0x42, 0xcc, 0xe8, 0x2d, 0xe4, 0x7b, 0x93, 0xaa,
	0xb7, 0x24, 0xd8, 0x24, 0x68, 0x56, 0x81, 0x54, 0xf8, 0x91, 0x9a, 0x53,
	0x34, 0xcd, 0xa0, 0x1b, 0xd8, 0xfe, 0x5a, 0xae, 0xb5, 0x6d, 0xa3, 0x70,
	0x67, 0x88, 0x2f, 0x71, 0x5e, 0x7c, 0x08, 0x2a, 0x5f, 0x99, 0x6d, 0xfc,
	0x22, 0x9e, 0x6b, 0x90,
};

static uint64_t unprot(uint64_t ipa)
{
	return realm_unprotected(ipa);
}

static uint64_t par_top(void)
{
	return 1UL << (realm_ipa_width - 1);
}

/* ---- SMCCC, PSCI discovery, unknown calls -------------------------------------- */

static void tour_discovery(void)
{
	{
		uint64_t v = smc(SMCCC_VERSION, 0, 0, 0, 0, NULL);

		/* The KVM executor cannot forward the SMCCC architecture range:
		 * KVM itself answers 1.1 there (executor/kvm.h). */
		if (v == 0x10001)
			printf("SKIP smccc_version: 0x10001 from KVM, the RMM would say 0x10002\n");
		else
			check_eq("smccc_version", v, 0x10002);
	}
	check_eq("psci_version", smc(PSCI_VERSION, 0, 0, 0, 0, NULL), 0x10001);
	check_eq("psci_features_cpu_on", smc(PSCI_FEATURES, PSCI_CPU_ON, 0, 0, 0, NULL), 0);
	check_eq("psci_features_psci_version",
		 smc(PSCI_FEATURES, PSCI_VERSION, 0, 0, 0, NULL), (uint64_t)PSCI_NOT_SUPPORTED);
	check_eq("psci_features_rsi_version",
		 smc(PSCI_FEATURES, RSI_VERSION, 0, 0, 0, NULL), (uint64_t)PSCI_NOT_SUPPORTED);
	check_eq("unknown_rsi_fid", smc(0xC40001AFUL, 0, 0, 0, 0, NULL), ~0UL);
	check_eq("rsi_version_smc32", smc(0x84000190UL, RSI_ABI_1_0, 0, 0, 0, NULL), ~0UL);
	check_eq("smccc_arch_features", smc(0x80000001UL, 0, 0, 0, 0, NULL), ~0UL);
}

/* ---- RSI_VERSION, RSI_FEATURES ------------------------------------------------- */

static void tour_version(void)
{
	struct smc_regs r;

	check_eq("version", smc(RSI_VERSION, RSI_ABI_1_0, 0, 0, 0, &r), RSI_SUCCESS);
	check_eq("version_lower", r.x[1], RSI_ABI_1_0);
	check_eq("version_higher", r.x[2], RSI_ABI_1_0);
	check_eq("version_2_0", smc(RSI_VERSION, 0x20000, 0, 0, 0, &r), RSI_ERROR_INPUT);
	check_eq("version_2_0_lower", r.x[1], RSI_ABI_1_0);
	check_eq("version_1_1", smc(RSI_VERSION, 0x10001, 0, 0, 0, &r), RSI_ERROR_INPUT);
	check_eq("features_0", smc(RSI_FEATURES, 0, 0, 0, 0, &r), RSI_SUCCESS);
	check_eq("features_0_value", r.x[1], 0);
	check_eq("features_1", smc(RSI_FEATURES, 1, 0, 0, 0, &r), RSI_SUCCESS);
	check_eq("features_1_value", r.x[1], 0);
}

/* ---- RSI_REALM_CONFIG ------------------------------------------------------------ */

static void tour_realm_config(void)
{
	uint64_t cfg = (uint64_t)config_buf;

	check_eq("realm_config", smc(RSI_REALM_CONFIG, cfg, 0, 0, 0, NULL), RSI_SUCCESS);
	check_eq("realm_config_ipa_width", *(volatile uint64_t *)config_buf, realm_ipa_width);
	check_true("realm_config_hash_algo", config_buf[8] <= 1, config_buf[8]);
	check_eq("realm_config_unaligned", smc(RSI_REALM_CONFIG, cfg + 8, 0, 0, 0, NULL),
		 RSI_ERROR_INPUT);
	check_eq("realm_config_unprotected",
		 smc(RSI_REALM_CONFIG, unprot(cfg), 0, 0, 0, NULL), RSI_ERROR_INPUT);
	check_eq("realm_config_empty",
		 smc(RSI_REALM_CONFIG, REALM_SCRATCH_BASE, 0, 0, 0, NULL), RSI_ERROR_INPUT);
}

/* ---- measurements ---------------------------------------------------------------- */

static bool all_zero(const uint8_t *p, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (p[i] != 0)
			return false;
	}
	return true;
}

static void tour_measurement_read(void)
{
	unsigned int size = realm_hash_algo == 1 ? 64 : 32;
	uint8_t m[64];

	check_eq("measurement_read_rim", rsi_measurement_read(0, m), RSI_SUCCESS);
	check_true("measurement_rim_set", !all_zero(m, size), m[0]);
	check_true("measurement_rim_padding", all_zero(m + size, 64 - size), m[63]);
	for (unsigned int i = 1; i <= 4; i++) {
		check_eq("measurement_read_rem", rsi_measurement_read(i, m), RSI_SUCCESS);
		check_true("measurement_rem_zero", all_zero(m, 64), m[0]);
	}
	check_eq("measurement_read_index_5", rsi_measurement_read(5, m), RSI_ERROR_INPUT);
	check_eq("measurement_read_index_big", rsi_measurement_read(~0U, m), RSI_ERROR_INPUT);
}

static uint64_t extend(uint64_t index, uint64_t size, uint64_t value)
{
	struct smc_regs r;

	memset(&r, 0, sizeof(r));
	r.x[0] = RSI_MEASUREMENT_EXTEND;
	r.x[1] = index;
	r.x[2] = size;
	r.x[3] = value;
	smc_call(&r);
	return r.x[0];
}

static void tour_measurement_extend(void)
{
	const uint8_t *want = realm_hash_algo == 1 ? rem0_sha512 : rem0_sha256;
	unsigned int size = realm_hash_algo == 1 ? 64 : 32;
	uint8_t m[64];

	check_eq("measurement_extend_index_0", extend(0, 8, 1), RSI_ERROR_INPUT);
	check_eq("measurement_extend_index_5", extend(5, 8, 1), RSI_ERROR_INPUT);
	check_eq("measurement_extend_size_65", extend(1, 65, 1), RSI_ERROR_INPUT);
	rsi_measurement_read(1, m);
	check_true("measurement_extend_failures_change_nothing", all_zero(m, 64), m[0]);
	check_eq("measurement_extend", extend(1, 8, 0x1122334455667788UL), RSI_SUCCESS);
	rsi_measurement_read(1, m);
	check_true("measurement_extend_rem0_value", memcmp(m, want, size) == 0, m[0]);
	check_eq("measurement_extend_size_0", extend(4, 0, 0), RSI_SUCCESS);
	rsi_measurement_read(4, m);
	check_true("measurement_extend_size_0_value", !all_zero(m, size), m[0]);
	rsi_measurement_read(2, m);
	check_true("measurement_extend_other_rems_zero", all_zero(m, 64), m[0]);
}

/* ---- attestation ---------------------------------------------------------------- */

static void tour_attestation(void)
{
	uint64_t buf = (uint64_t)token_buf, total = 0, ret;
	struct smc_regs r;

	check_eq("attestation_continue_unaligned",
		 smc(RSI_ATTESTATION_TOKEN_CONTINUE, buf + 8, 0, 64, 0, NULL), RSI_ERROR_INPUT);
	check_eq("attestation_continue_offset_4096",
		 smc(RSI_ATTESTATION_TOKEN_CONTINUE, buf, 4096, 0, 0, NULL), RSI_ERROR_INPUT);
	check_eq("attestation_continue_overflow",
		 smc(RSI_ATTESTATION_TOKEN_CONTINUE, buf, 8, 4096, 0, NULL), RSI_ERROR_INPUT);
	check_eq("attestation_continue_unprotected",
		 smc(RSI_ATTESTATION_TOKEN_CONTINUE, unprot(buf), 0, 64, 0, NULL), RSI_ERROR_INPUT);
	check_eq("attestation_continue_before_init",
		 smc(RSI_ATTESTATION_TOKEN_CONTINUE, buf, 0, 4096, 0, NULL), RSI_ERROR_STATE);
	ret = smc(RSI_ATTESTATION_TOKEN_INIT, 0x11, 0x22, 0x33, 0x44, &r);
	if (ret == RSI_ERROR_UNKNOWN) {
		/* spec: the RMM could not prepare a token (rsi-1.0.md 6.1). */
		printf("SKIP attestation_token: TOKEN_INIT says RSI_ERROR_UNKNOWN "
		       "(the RMM produces no token)\n");
		return;
	}
	if (!check_eq("attestation_token_init", ret, RSI_SUCCESS))
		return;
	check_true("attestation_token_max_size", r.x[1] > 0, r.x[1]);
	do {
		ret = smc(RSI_ATTESTATION_TOKEN_CONTINUE, buf, total, SZ_4K - total, 0, &r);
		if (ret == RSI_SUCCESS || ret == RSI_INCOMPLETE)
			total += r.x[1];
	} while (ret == RSI_INCOMPLETE && total < SZ_4K);
	check_eq("attestation_token_continue", ret, RSI_SUCCESS);
	/* A CCA token is CBOR tag 399 (attestation.md). */
	check_true("attestation_token_tag_399", token_buf[0] == 0xd9 && token_buf[1] == 0x01 &&
		   token_buf[2] == 0x8f, token_buf[0]);
	check_eq("attestation_continue_after_end",
		 smc(RSI_ATTESTATION_TOKEN_CONTINUE, buf, 0, 4096, 0, NULL), RSI_ERROR_STATE);
}

/* ---- IPA state ------------------------------------------------------------------- */

static void tour_ipa_state_get(void)
{
	uint64_t page = (uint64_t)ripas_page, top, ripas;

	check_eq("ipa_state_get_ram", rsi_ipa_state_get(page, page + SZ_4K, &top, &ripas),
		 RSI_SUCCESS);
	check_eq("ipa_state_get_ram_ripas", ripas, RSI_RAM);
	check_eq("ipa_state_get_ram_top", top, page + SZ_4K);
	/* The devices' protected addresses are not RAM: never RIPAS RAM. */
	check_eq("ipa_state_get_empty",
		 rsi_ipa_state_get(REALM_SCRATCH_BASE, REALM_SCRATCH_BASE + SZ_4K, &top, &ripas),
		 RSI_SUCCESS);
	check_eq("ipa_state_get_empty_ripas", ripas, RSI_EMPTY);
	check_eq("ipa_state_get_unaligned",
		 rsi_ipa_state_get(page + 8, page + SZ_4K, &top, &ripas), RSI_ERROR_INPUT);
	check_eq("ipa_state_get_end_unaligned",
		 rsi_ipa_state_get(page, page + 8, &top, &ripas), RSI_ERROR_INPUT);
	check_eq("ipa_state_get_empty_range", rsi_ipa_state_get(page, page, &top, &ripas),
		 RSI_ERROR_INPUT);
	check_eq("ipa_state_get_beyond_par",
		 rsi_ipa_state_get(par_top() - SZ_4K, par_top() + SZ_4K, &top, &ripas),
		 RSI_ERROR_INPUT);
	check_eq("ipa_state_get_unprotected",
		 rsi_ipa_state_get(unprot(page), unprot(page) + SZ_4K, &top, &ripas),
		 RSI_ERROR_INPUT);
}

static void tour_ipa_state_set_checks(void)
{
	uint64_t page = (uint64_t)ripas_page, next, resp;

	check_eq("ipa_state_set_ripas_destroyed",
		 rsi_ipa_state_set(page, page + SZ_4K, 2, 0, &next, &resp), RSI_ERROR_INPUT);
	check_eq("ipa_state_set_unaligned",
		 rsi_ipa_state_set(page + 8, page + SZ_4K, RSI_EMPTY, 0, &next, &resp),
		 RSI_ERROR_INPUT);
	check_eq("ipa_state_set_top_unaligned",
		 rsi_ipa_state_set(page, page + 8, RSI_EMPTY, 0, &next, &resp), RSI_ERROR_INPUT);
	check_eq("ipa_state_set_empty_range",
		 rsi_ipa_state_set(page, page, RSI_EMPTY, 0, &next, &resp), RSI_ERROR_INPUT);
	check_eq("ipa_state_set_beyond_par",
		 rsi_ipa_state_set(par_top() - SZ_4K, par_top() + SZ_4K, RSI_EMPTY, 0, &next,
				   &resp), RSI_ERROR_INPUT);
}

/* One page to EMPTY and back: each is a RIPAS_CHANGE exit the host
 * accepts (rsi-1.0.md 7.3). */
static void tour_ipa_state_set(void)
{
	uint64_t page = (uint64_t)ripas_page, next, resp, top, ripas;
	static const struct { const char *name; uint64_t ripas; } steps[] = {
		{ "ipa_state_set_empty", RSI_EMPTY },
		{ "ipa_state_set_ram", RSI_RAM },
	};

	for (unsigned int i = 0; i < 2; i++) {
		uint64_t ret = rsi_ipa_state_set(page, page + SZ_4K, steps[i].ripas, 0, &next,
						 &resp);

		check_eq(steps[i].name, ret, RSI_SUCCESS);
		check_eq("ipa_state_set_progress", next, page + SZ_4K);
		check_eq("ipa_state_set_accepted", resp, RSI_ACCEPT);
		rsi_ipa_state_get(page, page + SZ_4K, &top, &ripas);
		check_eq("ipa_state_set_result", ripas, steps[i].ripas);
	}
	ripas_page[0] = 0x5a;
	check_eq("ipa_state_set_ram_usable", ripas_page[0], 0x5a);
}

/* ---- host call ------------------------------------------------------------------ */

static void tour_host_call(void)
{
	uint64_t hc = (uint64_t)host_call;
	bool same = true;

	host_call[0] = 0x1234;			/* imm */
	for (unsigned int i = 0; i < 31; i++)
		host_call[1 + i] = 0x100 + i;	/* gprs[i] */
	check_eq("host_call", smc(RSI_HOST_CALL, hc, 0, 0, 0, NULL), RSI_SUCCESS);
	check_eq("host_call_x0", host_call[1], 0);
	for (unsigned int i = 1; i < 31; i++)
		same = same && host_call[1 + i] == 0x100 + i;
	check_true("host_call_x1_x30_unchanged", same, host_call[2]);
	check_eq("host_call_unaligned", smc(RSI_HOST_CALL, hc + 8, 0, 0, 0, NULL),
		 RSI_ERROR_INPUT);
	check_eq("host_call_unprotected", smc(RSI_HOST_CALL, unprot(hc), 0, 0, 0, NULL),
		 RSI_ERROR_INPUT);
	check_eq("host_call_empty", smc(RSI_HOST_CALL, REALM_SCRATCH_BASE, 0, 0, 0, NULL),
		 RSI_ERROR_INPUT);
}

/* ---- HVC: UNDEFINED for a realm (rsi-1.0.md 1) ------------------------------------ */

static volatile uint64_t undef_esr = ~0UL, undef_elr;

static bool undef_hook(unsigned int vector, struct exc_frame *f)
{
	if (vector != 4 || ESR_EC(f->esr) != EC_UNKNOWN)
		return false;
	undef_esr = f->esr;
	undef_elr = f->elr;
	f->elr += 4;
	return true;
}

/* x0 holds an RSI function ID: an executor that forwards the RSI range of
 * both conduits sees this HVC too, and must not answer it. */
static void tour_hvc(void)
{
	register uint64_t x0 __asm__("x0") = RSI_VERSION;
	uint64_t at;

	realm_exception_hook = undef_hook;
	__asm__ volatile("adr %0, 1f\n1: hvc #0" : "=&r"(at), "+r"(x0) : : "memory");
	realm_exception_hook = NULL;
	check_eq("hvc_undefined", undef_esr, 0x02000000);
	check_eq("hvc_undefined_elr", undef_elr, at);
}

int main(uint64_t dtb)
{
	(void)dtb;
	printf("rsi-tour: IPA width %u, %s\n", realm_ipa_width,
	       realm_hash_algo == 1 ? "SHA-512" : "SHA-256");
	tour_discovery();
	tour_version();
	tour_realm_config();
	tour_measurement_read();
	tour_measurement_extend();
	tour_attestation();
	tour_ipa_state_get();
	tour_ipa_state_set_checks();
	tour_ipa_state_set();
	tour_host_call();
	tour_hvc();
	return checks_summary("rsi-tour") ? 0 : 1;
}
