/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSI ABI 1.0 (0x10000): the calls a realm makes with SMC #0, their status
 * codes and enumerations, and the structures the realm passes by IPA.
 * Source of every value: Arm DEN0137 1.0-rel0, see shared reference
 * rsi-1.0.md. Structures are little-endian; every offset is pinned.
 */
#ifndef RMMEMU_RSI_1_0_H
#define RMMEMU_RSI_1_0_H

#include <stddef.h>
#include <stdint.h>

#define RSI_ABI_VERSION_1_0	0x10000UL

/* Function IDs: SMC64 fast calls, owner 4. The FNUM range 0x190..0x1AF is
 * reserved for RSI; the SMC32 forms are not RSI calls (rsi-1.0.md 1). */
#define RSI_FID_BASE		0xC4000190U
#define RSI_FID_LAST		0xC40001AFU
#define RSI_FID(fnum)		(0xC4000000U | (fnum))

#define RSI_VERSION			RSI_FID(0x190)
#define RSI_FEATURES			RSI_FID(0x191)
#define RSI_MEASUREMENT_READ		RSI_FID(0x192)
#define RSI_MEASUREMENT_EXTEND		RSI_FID(0x193)
#define RSI_ATTESTATION_TOKEN_INIT	RSI_FID(0x194)
#define RSI_ATTESTATION_TOKEN_CONTINUE	RSI_FID(0x195)
#define RSI_REALM_CONFIG		RSI_FID(0x196)
#define RSI_IPA_STATE_SET		RSI_FID(0x197)
#define RSI_IPA_STATE_GET		RSI_FID(0x198)
#define RSI_HOST_CALL			RSI_FID(0x199)

/* RsiCommandReturnCode (x0). */
enum rsi_status {
	RSI_SUCCESS = 0,
	RSI_ERROR_INPUT = 1,
	RSI_ERROR_STATE = 2,
	RSI_INCOMPLETE = 3,
	RSI_ERROR_UNKNOWN = 4,
};

/* RsiRipas */
enum rsi_ripas {
	RSI_EMPTY = 0,
	RSI_RAM = 1,
	RSI_DESTROYED = 2,
};

/* RsiRipasChangeFlags (IPA_STATE_SET x4), bit 0. */
#define RSI_NO_CHANGE_DESTROYED	0UL
#define RSI_CHANGE_DESTROYED	1UL

/* RsiResponse (IPA_STATE_SET x2) */
enum rsi_response {
	RSI_ACCEPT = 0,
	RSI_REJECT = 1,
};

/* RsiHashAlgorithm (RsiRealmConfig.hash_algo) */
enum rsi_hash_algo {
	RSI_HASH_SHA_256 = 0,
	RSI_HASH_SHA_512 = 1,
};

/* MEASUREMENT_READ / EXTEND: index 0 = RIM, 1..4 = REM0..REM3. */
#define RSI_MEASUREMENT_SLOTS	5
#define RSI_MEASUREMENT_SIZE	64	/* x1..x8 */
#define RSI_EXTEND_MAX_SIZE	64	/* x3..x10 */
#define RSI_CHALLENGE_SIZE	64	/* ATTESTATION_TOKEN_INIT x1..x8 */
#define RSI_RPV_SIZE		64
#define RSI_HOST_CALL_NUM_GPRS	31

/* RsiRealmConfig (REALM_CONFIG x1): one 4 KiB granule. The RMM writes
 * ipa_width, one byte of hash_algo and rpv; every other byte keeps what the
 * realm left there (rsi-1.0.md 7.1). */
struct rsi_realm_config {
	uint64_t ipa_width;		/* 0x000 */
	uint8_t hash_algo;		/* 0x008; Linux reads 8 bytes */
	uint8_t pad0[0x200 - 0x009];
	uint8_t rpv[RSI_RPV_SIZE];	/* 0x200 */
	uint8_t pad1[0x1000 - 0x240];
};

/* RsiHostCall (HOST_CALL x1): 256 bytes, 256-byte aligned, in protected
 * memory. imm is 16 bits in an 8-byte slot (the reference reads 4 bytes). */
struct rsi_host_call {
	uint64_t imm;			/* 0x000 */
	uint64_t gprs[RSI_HOST_CALL_NUM_GPRS];	/* 0x008 */
};

#define RSI_CHECK_OFFSET(type, field, off) \
	_Static_assert(offsetof(struct type, field) == (off), #type "." #field)

RSI_CHECK_OFFSET(rsi_realm_config, ipa_width, 0x000);
RSI_CHECK_OFFSET(rsi_realm_config, hash_algo, 0x008);
RSI_CHECK_OFFSET(rsi_realm_config, rpv, 0x200);
_Static_assert(sizeof(struct rsi_realm_config) == 0x1000, "rsi_realm_config size");

RSI_CHECK_OFFSET(rsi_host_call, imm, 0x000);
RSI_CHECK_OFFSET(rsi_host_call, gprs, 0x008);
_Static_assert(sizeof(struct rsi_host_call) == 0x100, "rsi_host_call size");

#endif /* RMMEMU_RSI_1_0_H */
