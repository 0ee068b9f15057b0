/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCA attestation token of RMM 1.0 (Arm DEN0137 1.0-rel0 A7.2, reference
 * attestation.md): CBOR tags, map keys, claim keys, COSE values, profiles
 * and sizes. Used by the token's producer (rmmemu/attest.c, platform/) and
 * rmmctl's verifier (tools/verify-token.c); the verifier in JavaScript of
 * the tests has its own copy, so that a wrong value here cannot pass.
 */
#ifndef RMMEMU_CCA_TOKEN_H
#define RMMEMU_CCA_TOKEN_H

/* 1: CBOR tag 399, a map of the platform token and the realm token. */
#define CBOR_TAG_CCA_TOKEN		399
#define CCA_PLATFORM_TOKEN		44234
#define CCA_REALM_TOKEN			44241

/* 2, 3: both are COSE_Sign1 (RFC 9052). */
#define CBOR_TAG_COSE_SIGN1		18
#define COSE_HEADER_ALG			1
#define COSE_ALG_ES256			(-7)
#define COSE_ALG_ES384			(-35)
#define COSE_ALG_ES512			(-36)
#define COSE_SIG_CONTEXT		"Signature1"

/* 2.2: the realm attestation key as a COSE_Key (RFC 9053). */
#define COSE_KEY_KTY			1
#define COSE_KEY_CRV			(-1)
#define COSE_KEY_X			(-2)
#define COSE_KEY_Y			(-3)
#define COSE_KTY_EC2			2
#define COSE_CRV_P384			2
#define CCA_P384_COORD_SIZE		48
#define CCA_COSE_KEY_P384_SIZE		107
#define CCA_ES384_SIG_SIZE		96	/* r || s (2.3) */

/* 2.1: realm claims. */
#define CCA_PROFILE			265	/* realm and platform */
#define CCA_REALM_CHALLENGE		10
#define CCA_REALM_PERSONALIZATION	44235
#define CCA_REALM_HASH_ALGO		44236
#define CCA_REALM_PUB_KEY		44237
#define CCA_REALM_RIM			44238
#define CCA_REALM_REM			44239
#define CCA_REALM_PUB_KEY_HASH_ALGO	44240
#define CCA_REALM_PROFILE		"tag:arm.com,2023:realm#1.0.0"
#define CCA_REALM_REMS			4
#define CCA_CHALLENGE_SIZE		64
#define CCA_RPV_SIZE			64

/* 3: platform claims and the keys of a software component's map. */
#define CCA_PLATFORM_PROFILE		"tag:arm.com,2023:cca_platform#1.0.0"
#define CCA_PLATFORM_PROFILE_LEGACY	"http://arm.com/CCA-SSD/1.0.0"
#define CCA_PLATFORM_CHALLENGE		10
#define CCA_PLATFORM_INSTANCE_ID	256
#define CCA_PLATFORM_LIFECYCLE		2395
#define CCA_PLATFORM_IMPLEMENTATION_ID	2396
#define CCA_PLATFORM_SW_COMPONENTS	2399
#define CCA_PLATFORM_VERIFICATION_SERVICE 2400
#define CCA_PLATFORM_CONFIG		2401
#define CCA_PLATFORM_HASH_ALGO		2402
#define CCA_SW_COMPONENT_TYPE		1
#define CCA_SW_MEASUREMENT_VALUE	2
#define CCA_SW_VERSION			4
#define CCA_SW_SIGNER_ID		5
#define CCA_SW_HASH_ALGO		6

#endif /* RMMEMU_CCA_TOKEN_H */
