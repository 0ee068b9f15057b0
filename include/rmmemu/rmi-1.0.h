/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RMI ABI 1.0 (0x10000): function IDs, return codes, enumerations and the
 * in-memory structures the host passes by physical address.
 * Source of every value: Arm DEN0137 1.0-rel0, see shared reference rmi-1.0.md.
 * All structures are one 4 KiB granule, little-endian; every offset is pinned.
 */
#ifndef RMMEMU_RMI_1_0_H
#define RMMEMU_RMI_1_0_H

#include <stddef.h>
#include <stdint.h>

#define RMI_ABI_VERSION_1_0	0x10000UL
#define RMI_ABI_MAJOR(v)	(((v) >> 16) & 0x7fff)
#define RMI_ABI_MINOR(v)	((v) & 0xffff)

#define RMI_GRANULE_SIZE	4096UL
#define RMI_GRANULE_SHIFT	12

/* Function IDs: SMC64 fast calls, owner 4 (standard secure service). */
#define RMI_FID_BASE		0xC4000150U
#define RMI_FID_LAST		0xC400016FU
#define RMI_FID(fnum)		(0xC4000000U | (fnum))
#define RMI_FID_SVE_HINT	(1U << 16)	/* SMCCC "no live SVE state" */

#define RMI_VERSION			RMI_FID(0x150)
#define RMI_GRANULE_DELEGATE		RMI_FID(0x151)
#define RMI_GRANULE_UNDELEGATE		RMI_FID(0x152)
#define RMI_DATA_CREATE			RMI_FID(0x153)
#define RMI_DATA_CREATE_UNKNOWN		RMI_FID(0x154)
#define RMI_DATA_DESTROY		RMI_FID(0x155)
#define RMI_REALM_ACTIVATE		RMI_FID(0x157)
#define RMI_REALM_CREATE		RMI_FID(0x158)
#define RMI_REALM_DESTROY		RMI_FID(0x159)
#define RMI_REC_CREATE			RMI_FID(0x15A)
#define RMI_REC_DESTROY			RMI_FID(0x15B)
#define RMI_REC_ENTER			RMI_FID(0x15C)
#define RMI_RTT_CREATE			RMI_FID(0x15D)
#define RMI_RTT_DESTROY			RMI_FID(0x15E)
#define RMI_RTT_MAP_UNPROTECTED		RMI_FID(0x15F)
#define RMI_RTT_READ_ENTRY		RMI_FID(0x161)
#define RMI_RTT_UNMAP_UNPROTECTED	RMI_FID(0x162)
#define RMI_PSCI_COMPLETE		RMI_FID(0x164)
#define RMI_FEATURES			RMI_FID(0x165)
#define RMI_RTT_FOLD			RMI_FID(0x166)
#define RMI_REC_AUX_COUNT		RMI_FID(0x167)
#define RMI_RTT_INIT_RIPAS		RMI_FID(0x168)
#define RMI_RTT_SET_RIPAS		RMI_FID(0x169)

/* SMCCC: unknown function in a known range. */
#define SMCCC_NOT_SUPPORTED	0xFFFFFFFFFFFFFFFFULL

/* Return code: x0 = status | index << 8. */
enum rmi_status {
	RMI_SUCCESS = 0,
	RMI_ERROR_INPUT = 1,
	RMI_ERROR_REALM = 2,
	RMI_ERROR_REC = 3,
	RMI_ERROR_RTT = 4,
};
#define RMI_RETURN(status, index)	((uint64_t)(status) | ((uint64_t)(index) << 8))
#define RMI_RETURN_STATUS(ret)		((ret) & 0xff)
#define RMI_RETURN_INDEX(ret)		(((ret) >> 8) & 0xff)

enum rmi_realm_state {
	RMI_REALM_NEW = 0,
	RMI_REALM_ACTIVE = 1,
	RMI_REALM_SYSTEM_OFF = 2,
};

/* RmiRttEntryState, RTT_READ_ENTRY x2 */
enum rmi_rtt_entry_state {
	RMI_UNASSIGNED = 0,
	RMI_ASSIGNED = 1,
	RMI_TABLE = 2,
};

enum rmi_ripas {
	RMI_EMPTY = 0,
	RMI_RAM = 1,
	RMI_DESTROYED = 2,
};

enum rmi_hash_algo {
	RMI_HASH_SHA_256 = 0,
	RMI_HASH_SHA_512 = 1,
};

#define RMI_NO_MEASURE_CONTENT	0UL
#define RMI_MEASURE_CONTENT	1UL

#define RMI_REALM_FLAGS_LPA2	(1UL << 0)
#define RMI_REALM_FLAGS_SVE	(1UL << 1)
#define RMI_REALM_FLAGS_PMU	(1UL << 2)

#define RMI_REC_CREATE_RUNNABLE	(1UL << 0)

#define RMI_REC_ENTER_EMULATED_MMIO	(1UL << 0)
#define RMI_REC_ENTER_INJECT_SEA	(1UL << 1)
#define RMI_REC_ENTER_TRAP_WFI		(1UL << 2)
#define RMI_REC_ENTER_TRAP_WFE		(1UL << 3)
#define RMI_REC_ENTER_RIPAS_RESPONSE	(1UL << 4)	/* 0 accept, 1 reject */

enum rmi_rec_exit_reason {
	RMI_EXIT_SYNC = 0,
	RMI_EXIT_IRQ = 1,
	RMI_EXIT_FIQ = 2,
	RMI_EXIT_PSCI = 3,
	RMI_EXIT_RIPAS_CHANGE = 4,
	RMI_EXIT_HOST_CALL = 5,
	RMI_EXIT_SERROR = 6,
};

#define RMI_ACCEPT	0
#define RMI_REJECT	1

/* PSCI return codes carried by PSCI_COMPLETE x3 (64-bit two's complement). */
#define PSCI_RET_SUCCESS		0ULL
#define PSCI_RET_NOT_SUPPORTED		((uint64_t)-1)
#define PSCI_RET_INVALID_PARAMETERS	((uint64_t)-2)
#define PSCI_RET_DENIED			((uint64_t)-3)
#define PSCI_RET_ALREADY_ON		((uint64_t)-4)
#define PSCI_RET_INVALID_ADDRESS	((uint64_t)-9)

/* FeatureRegister0 (RMI_FEATURES index 0) fields: [shift, width]. */
#define RMI_FEAT0_S2SZ_SHIFT		0
#define RMI_FEAT0_S2SZ_WIDTH		8
#define RMI_FEAT0_LPA2_SHIFT		8
#define RMI_FEAT0_LPA2_WIDTH		1
#define RMI_FEAT0_SVE_EN_SHIFT		9
#define RMI_FEAT0_SVE_EN_WIDTH		1
#define RMI_FEAT0_SVE_VL_SHIFT		10
#define RMI_FEAT0_SVE_VL_WIDTH		4
#define RMI_FEAT0_NUM_BPS_SHIFT		14
#define RMI_FEAT0_NUM_BPS_WIDTH		6
#define RMI_FEAT0_NUM_WPS_SHIFT		20
#define RMI_FEAT0_NUM_WPS_WIDTH		6
#define RMI_FEAT0_PMU_EN_SHIFT		26
#define RMI_FEAT0_PMU_EN_WIDTH		1
#define RMI_FEAT0_PMU_NUM_CTRS_SHIFT	27
#define RMI_FEAT0_PMU_NUM_CTRS_WIDTH	5
#define RMI_FEAT0_HASH_SHA_256_SHIFT	32
#define RMI_FEAT0_HASH_SHA_256_WIDTH	1
#define RMI_FEAT0_HASH_SHA_512_SHIFT	33
#define RMI_FEAT0_HASH_SHA_512_WIDTH	1
#define RMI_FEAT0_GICV3_NUM_LRS_SHIFT	34
#define RMI_FEAT0_GICV3_NUM_LRS_WIDTH	4
#define RMI_FEAT0_MAX_RECS_ORDER_SHIFT	38
#define RMI_FEAT0_MAX_RECS_ORDER_WIDTH	4

#define RMI_FIELD_GET(reg, f) \
	(((reg) >> RMI_FEAT0_##f##_SHIFT) & ((1ULL << RMI_FEAT0_##f##_WIDTH) - 1))
#define RMI_FIELD_PREP(f, v) \
	(((uint64_t)(v) & ((1ULL << RMI_FEAT0_##f##_WIDTH) - 1)) << RMI_FEAT0_##f##_SHIFT)

#define RMI_REC_AUX_GRANULES	16
#define RMI_REC_PARAMS_AUX_MAX	16
#define RMI_REC_GPRS_PARAMS	8
#define RMI_REC_GPRS		31
#define RMI_REC_GIC_LRS_MAX	16
#define RMI_RPV_SIZE		64

/* RmiRealmParams (REALM_CREATE x2). Fields are u64 slots; the RMM reads the
 * width noted in the reference (s2sz etc.: 4 bytes, hash_algo: 1 byte). */
struct rmi_realm_params {
	uint64_t flags;			/* 0x000 */
	uint64_t s2sz;			/* 0x008, 4 bytes read */
	uint64_t sve_vl;		/* 0x010, 4 bytes read */
	uint64_t num_bps;		/* 0x018, 4 bytes read */
	uint64_t num_wps;		/* 0x020, 4 bytes read */
	uint64_t pmu_num_ctrs;		/* 0x028, 4 bytes read */
	uint64_t hash_algo;		/* 0x030, 1 byte read */
	uint8_t pad0[0x400 - 0x038];
	uint8_t rpv[RMI_RPV_SIZE];	/* 0x400 */
	uint8_t pad1[0x800 - 0x440];
	uint64_t vmid;			/* 0x800, 2 bytes read */
	uint64_t rtt_base;		/* 0x808 */
	int64_t rtt_level_start;	/* 0x810 */
	uint64_t rtt_num_start;		/* 0x818, 4 bytes read */
	uint8_t pad2[0x1000 - 0x820];
};

/* RmiRecParams (REC_CREATE x3). */
struct rmi_rec_params {
	uint64_t flags;			/* 0x000 */
	uint8_t pad0[0x100 - 0x008];
	uint64_t mpidr;			/* 0x100 */
	uint8_t pad1[0x200 - 0x108];
	uint64_t pc;			/* 0x200 */
	uint8_t pad2[0x300 - 0x208];
	uint64_t gprs[RMI_REC_GPRS_PARAMS];	/* 0x300 */
	uint8_t pad3[0x800 - 0x340];
	uint64_t num_aux;		/* 0x800, low 32 bits used */
	uint64_t aux[RMI_REC_PARAMS_AUX_MAX];	/* 0x808 */
	uint8_t pad4[0x1000 - 0x888];
};

/* RmiRecEnter: written by the host, read by the RMM. */
struct rmi_rec_enter {
	uint64_t flags;			/* 0x000 */
	uint8_t pad0[0x200 - 0x008];
	uint64_t gprs[RMI_REC_GPRS];	/* 0x200 */
	uint8_t pad1[0x300 - 0x2F8];
	uint64_t gicv3_hcr;		/* 0x300 */
	uint64_t gicv3_lrs[RMI_REC_GIC_LRS_MAX];	/* 0x308 */
	uint8_t pad2[0x800 - 0x388];
};

/* RmiRecExit: written by the RMM on every successful REC_ENTER, whole. */
struct rmi_rec_exit {
	uint64_t exit_reason;		/* 0x000 */
	uint8_t pad0[0x100 - 0x008];
	uint64_t esr;			/* 0x100 */
	uint64_t far;			/* 0x108 */
	uint64_t hpfar;			/* 0x110 */
	uint8_t pad1[0x200 - 0x118];
	uint64_t gprs[RMI_REC_GPRS];	/* 0x200 */
	uint8_t pad2[0x300 - 0x2F8];
	uint64_t gicv3_hcr;		/* 0x300 */
	uint64_t gicv3_lrs[RMI_REC_GIC_LRS_MAX];	/* 0x308 */
	uint64_t gicv3_misr;		/* 0x388 */
	uint64_t gicv3_vmcr;		/* 0x390 */
	uint8_t pad3[0x400 - 0x398];
	uint64_t cntp_ctl;		/* 0x400 */
	uint64_t cntp_cval;		/* 0x408 */
	uint64_t cntv_ctl;		/* 0x410 */
	uint64_t cntv_cval;		/* 0x418 */
	uint8_t pad4[0x500 - 0x420];
	uint64_t ripas_base;		/* 0x500 */
	uint64_t ripas_top;		/* 0x508 */
	uint64_t ripas_value;		/* 0x510, 1 byte meaningful */
	uint8_t pad5[0x600 - 0x518];
	uint64_t imm;			/* 0x600, written as 32 bits */
	uint8_t pad6[0x700 - 0x608];
	uint64_t pmu_ovf_status;	/* 0x700 */
	uint8_t pad7[0x800 - 0x708];
};

/* RmiRecRun: REC_ENTER x2. */
struct rmi_rec_run {
	struct rmi_rec_enter enter;	/* 0x000 */
	struct rmi_rec_exit exit;	/* 0x800 */
};

#define RMI_CHECK_OFFSET(type, field, off) \
	_Static_assert(offsetof(struct type, field) == (off), #type "." #field)

RMI_CHECK_OFFSET(rmi_realm_params, flags, 0x000);
RMI_CHECK_OFFSET(rmi_realm_params, s2sz, 0x008);
RMI_CHECK_OFFSET(rmi_realm_params, sve_vl, 0x010);
RMI_CHECK_OFFSET(rmi_realm_params, num_bps, 0x018);
RMI_CHECK_OFFSET(rmi_realm_params, num_wps, 0x020);
RMI_CHECK_OFFSET(rmi_realm_params, pmu_num_ctrs, 0x028);
RMI_CHECK_OFFSET(rmi_realm_params, hash_algo, 0x030);
RMI_CHECK_OFFSET(rmi_realm_params, rpv, 0x400);
RMI_CHECK_OFFSET(rmi_realm_params, vmid, 0x800);
RMI_CHECK_OFFSET(rmi_realm_params, rtt_base, 0x808);
RMI_CHECK_OFFSET(rmi_realm_params, rtt_level_start, 0x810);
RMI_CHECK_OFFSET(rmi_realm_params, rtt_num_start, 0x818);
_Static_assert(sizeof(struct rmi_realm_params) == 0x1000, "rmi_realm_params size");

RMI_CHECK_OFFSET(rmi_rec_params, flags, 0x000);
RMI_CHECK_OFFSET(rmi_rec_params, mpidr, 0x100);
RMI_CHECK_OFFSET(rmi_rec_params, pc, 0x200);
RMI_CHECK_OFFSET(rmi_rec_params, gprs, 0x300);
RMI_CHECK_OFFSET(rmi_rec_params, num_aux, 0x800);
RMI_CHECK_OFFSET(rmi_rec_params, aux, 0x808);
_Static_assert(sizeof(struct rmi_rec_params) == 0x1000, "rmi_rec_params size");

RMI_CHECK_OFFSET(rmi_rec_enter, flags, 0x000);
RMI_CHECK_OFFSET(rmi_rec_enter, gprs, 0x200);
RMI_CHECK_OFFSET(rmi_rec_enter, gicv3_hcr, 0x300);
RMI_CHECK_OFFSET(rmi_rec_enter, gicv3_lrs, 0x308);
_Static_assert(sizeof(struct rmi_rec_enter) == 0x800, "rmi_rec_enter size");

RMI_CHECK_OFFSET(rmi_rec_exit, exit_reason, 0x000);
RMI_CHECK_OFFSET(rmi_rec_exit, esr, 0x100);
RMI_CHECK_OFFSET(rmi_rec_exit, far, 0x108);
RMI_CHECK_OFFSET(rmi_rec_exit, hpfar, 0x110);
RMI_CHECK_OFFSET(rmi_rec_exit, gprs, 0x200);
RMI_CHECK_OFFSET(rmi_rec_exit, gicv3_hcr, 0x300);
RMI_CHECK_OFFSET(rmi_rec_exit, gicv3_lrs, 0x308);
RMI_CHECK_OFFSET(rmi_rec_exit, gicv3_misr, 0x388);
RMI_CHECK_OFFSET(rmi_rec_exit, gicv3_vmcr, 0x390);
RMI_CHECK_OFFSET(rmi_rec_exit, cntp_ctl, 0x400);
RMI_CHECK_OFFSET(rmi_rec_exit, cntp_cval, 0x408);
RMI_CHECK_OFFSET(rmi_rec_exit, cntv_ctl, 0x410);
RMI_CHECK_OFFSET(rmi_rec_exit, cntv_cval, 0x418);
RMI_CHECK_OFFSET(rmi_rec_exit, ripas_base, 0x500);
RMI_CHECK_OFFSET(rmi_rec_exit, ripas_top, 0x508);
RMI_CHECK_OFFSET(rmi_rec_exit, ripas_value, 0x510);
RMI_CHECK_OFFSET(rmi_rec_exit, imm, 0x600);
RMI_CHECK_OFFSET(rmi_rec_exit, pmu_ovf_status, 0x700);
_Static_assert(sizeof(struct rmi_rec_exit) == 0x800, "rmi_rec_exit size");

RMI_CHECK_OFFSET(rmi_rec_run, enter, 0x000);
RMI_CHECK_OFFSET(rmi_rec_run, exit, 0x800);
_Static_assert(sizeof(struct rmi_rec_run) == 0x1000, "rmi_rec_run size");

/* Host descriptor of RTT_MAP_UNPROTECTED (x4): only MemAttr[4:2], S2AP[7:6]
 * and the output address may be set. */
#define RMI_NS_DESC_MEMATTR_SHIFT	2
#define RMI_NS_DESC_MEMATTR_MASK	(0x7UL << 2)
#define RMI_NS_DESC_MEMATTR_INVALID	0x4UL	/* 0b100 is rejected */
#define RMI_NS_DESC_S2AP_MASK		(0x3UL << 6)
#define RMI_NS_DESC_OA_MASK		0x0000FFFFFFFFF000UL	/* 47:12 */

#endif /* RMMEMU_RMI_1_0_H */
