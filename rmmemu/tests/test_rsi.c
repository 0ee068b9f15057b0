/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSI 1.0 (rsi-1.0.md; rmi-1.0.md 9.2, 9.3; measurement.md 4-6): every call's
 * failure conditions in the reference's order and its effects, made by a
 * realm through REC_ENTER with the scripted executor of scripted.h, with the
 * host's side through real RMI calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmmemu/rsi-1.0.h>

#include "harness.h"
#include "scripted.h"
#include "rmmemu/granule.h"
#include "rmmemu/measure.h"
#include "rmmemu/realm.h"
#include "rmmemu/rec.h"
#include "rmmemu/s2tt.h"

#define PAR_TOP		IPA_UNPROT		/* 2^39 */
#define SZ_2M		0x200000ULL
#define SZ_1G		0x40000000ULL
#define ESR_SMC64	0x5E000000ULL
#define SRC_BYTE	0x5A
/* What the realm leaves in the registers a call does not take. */
#define REG_PATTERN(i)	(0xA5A5000000000000ULL | (uint64_t)(i) << 8 | (uint64_t)(i))
#define ESR_S2_ABORT(l)	(0x90000000ULL | (0x04ULL + (uint64_t)(l)))
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- realms --------------------------------------------------------------- */

static void rtt_init_ripas(struct harness *h, const struct h_realm *r,
			   uint64_t base, uint64_t top)
{
	assert_rmi(h_call(h, RMI_RTT_INIT_RIPAS, r->rd, base, top, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[1], top);
}

static uint64_t src_page(struct harness *h, unsigned int mul, unsigned int add)
{
	uint64_t src = h_alloc(h);
	uint8_t *p = h_ns(h, src);

	for (unsigned int i = 0; i < RMI_GRANULE_SIZE; i++)
		p[i] = (uint8_t)((i * mul + add) % 256);
	return src;
}

static void data_create(struct harness *h, const struct h_realm *r, uint64_t ipa,
			uint64_t src, uint64_t flags)
{
	assert_rmi(h_call(h, RMI_DATA_CREATE, r->rd, h_delegated(h), ipa, src, flags),
		   RMI_SUCCESS, 0);
}

static void data_create_unknown(struct harness *h, const struct h_realm *r,
				uint64_t pa, uint64_t ipa)
{
	assert_rmi(h_call(h, RMI_DATA_CREATE_UNKNOWN, r->rd, pa, ipa, 0, 0),
		   RMI_SUCCESS, 0);
}

static void data_destroy(struct harness *h, const struct h_realm *r, uint64_t ipa)
{
	assert_rmi(h_call(h, RMI_DATA_DESTROY, r->rd, ipa, 0, 0, 0), RMI_SUCCESS, 0);
}

/* REALM_CREATE with s2sz 40 at level_start; the harness gives it the RPV
 * rpv[i] = H_RPV_FIRST + i. */
static void realm_create(struct harness *h, struct h_realm *r, int level_start,
			 enum rmi_hash_algo algo)
{
	h_realm_create_at(h, r, S2SZ, level_start, algo);
}

/* A NEW realm the test populates, then fx_start(). */
static struct fx *fx_alloc(int level_start, enum rmi_hash_algo algo)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->h = h_new(NULL);
	f->num_lrs = (unsigned int)RMI_FIELD_GET(rmm_feature_register0(f->h->rmm),
						 GICV3_NUM_LRS) + 1;
	realm_create(f->h, &f->r, level_start, algo);
	return f;
}

/* RECs (unless the test made REC 0), ACTIVE, a rec_run page, the executor. */
static void fx_start(struct fx *f)
{
	if (f->rec[0] == 0)
		fx_recs(f);
	assert_rmi(h_call(f->h, RMI_REALM_ACTIVATE, f->r.rd, 0, 0, 0, 0), RMI_SUCCESS, 0);
	f->run = h_alloc(f->h);
	memset(h_ns(f->h, f->run), 0, RMI_GRANULE_SIZE);
	sx_reset(f->h);
	rmm_set_executor(f->h->rmm, &sx_ops, &sx);
}

/*
 * The RTT layout of the memory tests (level-1 root of 2 RTTs, s2sz 40):
 *   L3 RTT over [0, 2 MB): RAM unassigned at 0x0000 and 0x3000, RAM assigned
 *     at 0x1000 (content SRC_BYTE), DESTROYED at 0x2000, EMPTY assigned at
 *     0x5000, DESTROYED assigned at 0x6000, the rest EMPTY;
 *   L2 entries: [2 MB, 4 MB) RAM unassigned, [4 MB, 6 MB) a RAM assigned
 *     2 MB block (folded), [8 MB, 10 MB) a TABLE of EMPTY entries;
 *   L1 entry [1 GB, 2 GB) RAM unassigned; everything else EMPTY.
 */
#define IPA_RAM			0x0000ULL
#define IPA_DATA		0x1000ULL
#define IPA_DESTROYED		0x2000ULL
#define IPA_RAM2		0x3000ULL
#define IPA_EMPTY		0x4000ULL
#define IPA_ASSIGNED_EMPTY	0x5000ULL
#define IPA_ASSIGNED_DESTROYED	0x6000ULL
#define IPA_L2_RAM		0x200000ULL
#define IPA_BLOCK		0x400000ULL
#define IPA_L2_TABLE		0x800000ULL
#define IPA_L1_RAM		SZ_1G

static void layout_block(struct harness *h, const struct h_realm *r)
{
	uint64_t pa = h_alloc_n(h, S2TT_ENTRIES, SZ_2M);

	h_rtt_create_to(h, r, IPA_BLOCK, 3);
	rtt_init_ripas(h, r, IPA_BLOCK, IPA_BLOCK + SZ_2M);
	for (uint64_t i = 0; i < S2TT_ENTRIES; i++) {
		uint64_t g = pa + i * RMI_GRANULE_SIZE;

		assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, g, 0, 0, 0, 0), RMI_SUCCESS, 0);
		data_create_unknown(h, r, g, IPA_BLOCK + i * RMI_GRANULE_SIZE);
	}
	assert_rmi(h_call(h, RMI_RTT_FOLD, r->rd, IPA_BLOCK, 3, 0, 0), RMI_SUCCESS, 0);
}

static struct fx *fx_layout(enum rmi_hash_algo algo)
{
	struct fx *f = fx_alloc(1, algo);
	struct harness *h = f->h;
	const struct h_realm *r = &f->r;
	uint64_t src = src_page(h, 0, SRC_BYTE);

	h_rtt_create_to(h, r, 0, 3);
	rtt_init_ripas(h, r, 0, 0x4000);
	data_create(h, r, IPA_DATA, src, 0);
	data_create(h, r, IPA_DESTROYED, src, 0);
	data_destroy(h, r, IPA_DESTROYED);
	data_create_unknown(h, r, h_delegated(h), IPA_ASSIGNED_EMPTY);
	data_create(h, r, IPA_ASSIGNED_DESTROYED, src, 0);
	data_destroy(h, r, IPA_ASSIGNED_DESTROYED);
	data_create_unknown(h, r, h_delegated(h), IPA_ASSIGNED_DESTROYED);
	rtt_init_ripas(h, r, IPA_L2_RAM, IPA_L2_RAM + SZ_2M);
	layout_block(h, r);
	h_rtt_create_to(h, r, IPA_L2_TABLE, 3);
	rtt_init_ripas(h, r, IPA_L1_RAM, IPA_L1_RAM + SZ_1G);
	fx_start(f);
	return f;
}

static int layout_setup(void **state)
{
	*state = fx_layout(RMI_HASH_SHA_256);
	return 0;
}

/* ---- realm calls ----------------------------------------------------------- */

/* REC 0 executes SMC #0 with x0..x4 given and x5..x30 = REG_PATTERN. */
static void realm_smc(struct fx *f, uint64_t fid, uint64_t x1, uint64_t x2,
		      uint64_t x3, uint64_t x4)
{
	struct rec *rec = rec_of(f, 0);
	const uint64_t x[5] = { fid, x1, x2, x3, x4 };

	for (unsigned int i = 0; i < RMI_REC_GPRS; i++)
		rec->regs.gprs[i] = i < 5 ? x[i] : REG_PATTERN(i);
	sx.nsteps = sx.pos = sx.nruns = 0;
	sx_push(REC_EVENT_SMC, ESR_SMC64, 0, 0, 0)->pc_add = 4;
}

/* The RMM answers without an exit: the realm runs again past the SMC (and
 * the scripted IRQ ends REC_ENTER). */
static void answered(struct fx *f)
{
	sx_push(REC_EVENT_IRQ, 0, 0, 0, 0);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 2);
	assert_exit_reason(f, RMI_EXIT_IRQ);
	assert_int_equal(sx.seen[1].regs.pc, sx.seen[0].regs.pc + 4);
}

/* The realm's registers after the answer. */
static const uint64_t *after(void)
{
	return sx.seen[1].regs.gprs;
}

/* spec: x0..x2 as given, x3 = 0, x4..x30 as the realm left them
 * (rsi-1.0.md 1). */
static void assert_result(uint64_t x0, uint64_t x1, uint64_t x2)
{
	const uint64_t *before = sx.seen[0].regs.gprs;

	assert_int_equal(after()[0], x0);
	assert_int_equal(after()[1], x1);
	assert_int_equal(after()[2], x2);
	assert_int_equal(after()[3], 0);
	for (unsigned int i = 4; i < RMI_REC_GPRS; i++)
		assert_int_equal(after()[i], before[i]);
}

static void rsi_expect(struct fx *f, uint64_t fid, uint64_t x1, uint64_t x2,
		       uint64_t x3, uint64_t x4, uint64_t r0, uint64_t r1, uint64_t r2)
{
	realm_smc(f, fid, x1, x2, x3, x4);
	answered(f);
	assert_result(r0, r1, r2);
}

static void rsi_error(struct fx *f, uint64_t fid, uint64_t x1, uint64_t x2,
		      uint64_t x3, uint64_t x4, uint64_t status)
{
	rsi_expect(f, fid, x1, x2, x3, x4, status, 0, 0);
}

/* The call exits to the host at once. */
static void exits(struct fx *f)
{
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 1);
}

/* spec: the emulated stage-2 data abort of an RSI call touching an unmapped
 * page: EC 0x24, translation fault at the walk's level, hpfar = x1 >> 8, the
 * realm's registers unchanged and the PC back on the SMC (rmi-1.0.md 9.3). */
static void assert_unmapped_exit(struct fx *f, int level)
{
	const struct rec_regs *before = &sx.seen[0].regs;
	struct rec *rec = rec_of(f, 0);
	struct rmi_rec_exit e;

	expected_exit(f, &e, RMI_EXIT_SYNC);
	e.esr = ESR_S2_ABORT(level);
	e.hpfar = before->gprs[1] >> 8;
	assert_exit(f, &e);
	assert_int_equal(rec->regs.pc, before->pc);
	assert_memory_equal(rec->regs.gprs, before->gprs, sizeof(before->gprs));
}

/* The realm re-executes the SMC with the registers it has. */
static void realm_smc_again(void)
{
	sx.nsteps = sx.pos = sx.nruns = 0;
	sx_push(REC_EVENT_SMC, ESR_SMC64, 0, 0, 0)->pc_add = 4;
}

/* ---- version, features, unknown calls (rsi-1.0.md 1-4) -------------------- */

static void test_version(void **state)
{
	struct fx *f = *state;
	const uint64_t bad[] = {
		0, 0x10001, 0x20000, 0xFFFF, 0x110000, 0x10000ULL | 1ULL << 32, ~0ULL,
	};

	rsi_expect(f, RSI_VERSION, 0x10000, 0, 0, 0x44, RSI_SUCCESS, 0x10000, 0x10000);
	/* Failure too reports 1.0 as lower and higher (rsi-1.0.md 3). */
	for (unsigned int i = 0; i < ARRAY_LEN(bad); i++)
		rsi_expect(f, RSI_VERSION, bad[i], 7, 8, 9, RSI_ERROR_INPUT,
			   0x10000, 0x10000);
	/* The FID is the low 32 bits of x0 without the SVE hint (bit 16). */
	rsi_expect(f, 0xFFFFFFFF00000000ULL | RSI_VERSION, 0x10000, 0, 0, 0,
		   RSI_SUCCESS, 0x10000, 0x10000);
	rsi_expect(f, RSI_VERSION | 1U << 16, 0x10000, 0, 0, 0,
		   RSI_SUCCESS, 0x10000, 0x10000);
}

static void test_features(void **state)
{
	struct fx *f = *state;
	const uint64_t index[] = { 0, 1, 2, 0xFFFFFFFF, ~0ULL };

	for (unsigned int i = 0; i < ARRAY_LEN(index); i++)
		rsi_expect(f, RSI_FEATURES, index[i], 5, 6, 7, RSI_SUCCESS, 0, 0);
	rsi_expect(f, RSI_FEATURES | 1U << 16, 0, 5, 6, 7, RSI_SUCCESS, 0, 0);
}

/* spec: anything else, including the SMC32 forms of RSI FIDs and the rest
 * of the reserved RSI range, is NOT_SUPPORTED without an exit (rsi-1.0.md
 * 1). */
static void test_unknown_fids(void **state)
{
	struct fx *f = *state;
	const uint64_t fids[] = {
		0x84000190, 0x84000191, 0x84000192, 0x84000193, 0x84000194,
		0x84000195, 0x84000196, 0x84000197, 0x84000198, 0x84000199,
		0xC400018F, 0xC400019A, 0xC40001AF, 0xC40001B0, 0x84010190,
		0xC4000290, 0xC5000190, 0x04000190,
	};

	for (unsigned int i = 0; i < ARRAY_LEN(fids); i++)
		rsi_error(f, fids[i], 0x10000, 0x1000, 3, 4, SMCCC_NOT_SUPPORTED);
}

/* spec: PSCI_FEATURES reports only the PSCI functions and SMCCC_VERSION
 * (rsi-1.0.md 8): every RSI FID reads NOT_SUPPORTED. */
static void test_psci_features_rsi(void **state)
{
	struct fx *f = *state;

	for (uint32_t fid = RSI_VERSION; fid <= RSI_HOST_CALL; fid++)
		rsi_error(f, 0x8400000A, fid, 0, 0, 0, PSCI_RET_NOT_SUPPORTED);
	rsi_error(f, 0x8400000A, 0xC4000003, 0, 0, 0, PSCI_RET_SUCCESS);
}

/* ---- measurements (rsi-1.0.md 5, measurement.md 4-6) ------------------------ */

static void hex_bytes(const char *hex, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(hex), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* spec: MEASUREMENT_READ returns the 64-byte slot in x1..x8, x0 = SUCCESS,
 * x9..x30 untouched (rsi-1.0.md 1, 5.1). */
static void assert_measurement(struct fx *f, uint64_t index, const uint8_t slot[64])
{
	const uint64_t *before;

	realm_smc(f, RSI_MEASUREMENT_READ, index, 2, 3, 4);
	answered(f);
	before = sx.seen[0].regs.gprs;
	assert_int_equal(after()[0], RSI_SUCCESS);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(after()[1 + i], le64(slot + 8 * i));
	for (unsigned int i = 9; i < RMI_REC_GPRS; i++)
		assert_int_equal(after()[i], before[i]);
}

static void assert_measurement_hex(struct fx *f, uint64_t index, const char *hex)
{
	uint8_t slot[64] = { 0 };

	hex_bytes(hex, slot, strlen(hex) / 2);
	assert_measurement(f, index, slot);
}

/* REC 0 of the worked examples: RUNNABLE, PC 0x80000000, x0, x1 given. */
static void example_rec(struct fx *f, uint64_t x0, uint64_t x1)
{
	struct harness *h = f->h;
	uint64_t params = h_alloc(h);
	struct rmi_rec_params *p = h_ns(h, params);

	memset(p, 0, sizeof(*p));
	p->flags = RMI_REC_CREATE_RUNNABLE;
	p->pc = 0x80000000;
	p->gprs[0] = x0;
	p->gprs[1] = x1;
	p->num_aux = 16;
	for (unsigned int i = 0; i < 16; i++)
		p->aux[i] = h_delegated(h);
	f->rec[0] = h_delegated(h);
	assert_rmi(h_call(h, RMI_REC_CREATE, f->r.rd, f->rec[0], params, 0, 0),
		   RMI_SUCCESS, 0);
}

/* measurement.md 5: the SHA-256 worked example, built by RMI calls (one
 * level-0 root), and the RIM read back by the realm; x5..x8 = 0. */
static void test_measurement_read_sha256_rim(void **state)
{
	struct fx *f = fx_alloc(0, RMI_HASH_SHA_256);
	struct harness *h = f->h;

	(void)state;
	h_rtt_create_to(h, &f->r, 0, 3);
	rtt_init_ripas(h, &f->r, 0, 0x2000);
	data_create(h, &f->r, 0x1000, src_page(h, 31, 0x5A), RMI_MEASURE_CONTENT);
	data_create_unknown(h, &f->r, h_delegated(h), 0x3000);
	example_rec(f, 0x11, 0x22);
	fx_start(f);
	assert_measurement_hex(f, 0,
		"5630645cb895f1c894e6319edf4b289881eb301ee505dc28a02ca57b6de01bd7");
	assert_int_equal(after()[5], 0);
	assert_int_equal(after()[8], 0);
	/* The bytes the realm's RIM holds. */
	assert_measurement(f, 0, realm_of(f)->measurements[0]);
	/* REMs start as zeros. */
	for (uint64_t i = 1; i < 5; i++)
		assert_measurement_hex(f, i, "");
	fx_teardown((void **)&f);
}

/* measurement.md 6 and 4: the SHA-512 example (RIM read as x1 =
 * 0x94e1067c90a40121), then EXTEND(1, 8, 0x1122334455667788) and REM0 read
 * as x1 = 0x0c4151ea27c661f3. */
static struct fx *fx_sha512_example(void)
{
	struct fx *f = fx_alloc(1, RMI_HASH_SHA_512);
	struct harness *h = f->h;

	h_rtt_create_to(h, &f->r, 0, 2);
	rtt_init_ripas(h, &f->r, 0x200000, 0x400000);
	h_rtt_create_to(h, &f->r, 0, 3);
	rtt_init_ripas(h, &f->r, 0, 0x3000);
	data_create(h, &f->r, 0, src_page(h, 31, 1), RMI_MEASURE_CONTENT);
	data_create(h, &f->r, 0x1000, src_page(h, 0, 0x77), RMI_NO_MEASURE_CONTENT);
	example_rec(f, 0x1234, 0);
	fx_start(f);
	return f;
}

#define SHA512_RIM \
	"2101a4907c06e19425ad8e83bd9f4eda18ed66cf7a581d699c2652d63f565454" \
	"9812fef1802e7c12aa94cb061bcd64f617edfd82ba009b9eb380d6a639bab620"
#define SHA512_REM0 \
	"f361c627ea51410cb5f6d3c5353427fe42cce82de47b93aab724d82468568154" \
	"f8919a5334cda01bd8fe5aaeb56da37067882f715e7c082a5f996dfc229e6b90"

static void test_measurement_sha512_example(void **state)
{
	struct fx *f = fx_sha512_example();

	(void)state;
	assert_measurement_hex(f, 0, SHA512_RIM);
	assert_int_equal(after()[1], 0x94e1067c90a40121ULL);
	rsi_expect(f, RSI_MEASUREMENT_EXTEND, 1, 8, 0x1122334455667788ULL, 0x99,
		   RSI_SUCCESS, 0, 0);
	assert_measurement_hex(f, 1, SHA512_REM0);
	assert_int_equal(after()[1], 0x0c4151ea27c661f3ULL);
	/* The RIM and the other REMs did not move. */
	assert_measurement_hex(f, 0, SHA512_RIM);
	for (uint64_t i = 2; i < 5; i++)
		assert_measurement_hex(f, i, "");
	fx_teardown((void **)&f);
}

static void test_measurement_read_checks(void **state)
{
	struct fx *f = *state;
	const uint64_t bad[] = { 5, 6, 0x100000000ULL, 0x8000000000000000ULL, ~0ULL };

	/* spec: a failed READ writes x0..x3 only; x4..x8 stay (rsi-1.0.md 1). */
	for (unsigned int i = 0; i < ARRAY_LEN(bad); i++)
		rsi_error(f, RSI_MEASUREMENT_READ, bad[i], 2, 3, 4, RSI_ERROR_INPUT);
	assert_int_equal(after()[5], REG_PATTERN(5));
	assert_int_equal(after()[8], REG_PATTERN(8));
}

/* REM[index] as the realm reads it. */
static void read_slot(struct fx *f, uint64_t index, uint8_t slot[64])
{
	realm_smc(f, RSI_MEASUREMENT_READ, index, 0, 0, 0);
	answered(f);
	assert_int_equal(after()[0], RSI_SUCCESS);
	for (unsigned int i = 0; i < 8; i++)
		for (unsigned int b = 0; b < 8; b++)
			slot[8 * i + b] = (uint8_t)(after()[1 + i] >> (8 * b));
}

/* The realm extends REM index with x3..x10 = value(i) and size bytes. */
static void extend(struct fx *f, uint64_t index, uint64_t size, uint64_t base)
{
	struct rec *rec;

	realm_smc(f, RSI_MEASUREMENT_EXTEND, index, size, base, base + 1);
	rec = rec_of(f, 0);
	for (unsigned int i = 5; i <= 10; i++)
		rec->regs.gprs[i] = base + i - 3;
	answered(f);
	assert_result(RSI_SUCCESS, 0, 0);
}

/* REM := H(REM || the first size bytes of x3..x10), H the realm's algorithm,
 * REM contributing the digest size. */
static void expect_extend(enum rmi_hash_algo algo, uint8_t rem[64],
			  uint64_t size, uint64_t base)
{
	uint8_t buf[128];
	size_t d = measure_digest_size(algo);

	memcpy(buf, rem, d);
	for (unsigned int i = 0; i < 8; i++)
		for (unsigned int b = 0; b < 8; b++)
			buf[d + 8 * i + b] = (uint8_t)((base + i) >> (8 * b));
	measure_hash(algo, buf, d + size, rem);
}

static void check_extends(struct fx *f, enum rmi_hash_algo algo)
{
	const uint64_t sizes[] = { 0, 1, 7, 8, 33, 63, 64 };
	uint8_t want[5][64] = { { 0 } }, got[64];

	for (unsigned int i = 0; i < ARRAY_LEN(sizes); i++) {
		uint64_t index = 1 + i % 4, base = 0x0102030405060708ULL * (i + 1);

		extend(f, index, sizes[i], base);
		expect_extend(algo, want[index], sizes[i], base);
		for (uint64_t k = 1; k < 5; k++) {
			read_slot(f, k, got);
			assert_memory_equal(got, want[k], 64);
		}
	}
}

static void test_measurement_extend(void **state)
{
	struct fx *f = *state;
	struct fx *f512 = fx_sha512_example();

	check_extends(f, RMI_HASH_SHA_256);
	check_extends(f512, RMI_HASH_SHA_512);
	fx_teardown((void **)&f512);
}

/* spec: index 0 (the RIM) and index >= 5, then size > 64, all
 * RSI_ERROR_INPUT and nothing measured (rsi-1.0.md 5.2). */
static void test_measurement_extend_checks(void **state)
{
	struct fx *f = *state;
	uint8_t before[5][64];
	const struct {
		uint64_t index, size;
	} bad[] = {
		{ 0, 8 }, { 0, 65 }, { 5, 8 }, { 6, 0 }, { 0x100000001ULL, 8 },
		{ ~0ULL, 8 }, { 1, 65 }, { 4, 0x100000000ULL }, { 2, ~0ULL },
	};

	for (uint64_t k = 0; k < 5; k++)
		read_slot(f, k, before[k]);
	for (unsigned int i = 0; i < ARRAY_LEN(bad); i++)
		rsi_error(f, RSI_MEASUREMENT_EXTEND, bad[i].index, bad[i].size,
			  0x1111, 0x2222, RSI_ERROR_INPUT);
	for (uint64_t k = 0; k < 5; k++) {
		uint8_t now[64];

		read_slot(f, k, now);
		assert_memory_equal(now, before[k], 64);
	}
}

/* ---- attestation (rsi-1.0.md 6) --------------------------------------------- */

/* No attestation key in this instance (rmm_set_attestation; tokens are
 * tested in test_attest.c): INIT fails as the reference does internally
 * (RSI_ERROR_UNKNOWN, x1 = 0); the challenge in x4..x8 stays. */
static void test_attestation_token_init(void **state)
{
	struct fx *f = *state;

	realm_smc(f, RSI_ATTESTATION_TOKEN_INIT, 0x1111, 0x2222, 0x3333, 0x4444);
	for (unsigned int i = 5; i <= 8; i++)
		rec_of(f, 0)->regs.gprs[i] = 0x5555 * i;
	answered(f);
	assert_result(RSI_ERROR_UNKNOWN, 0, 0);
	assert_int_equal(after()[4], 0x4444);
	assert_int_equal(after()[8], 0x5555 * 8);
}

/* spec: the input checks, then the PAR, then RSI_ERROR_STATE since no INIT
 * has succeeded, before anything about the granule (rsi-1.0.md 6.2). */
static void test_attestation_token_continue(void **state)
{
	struct fx *f = *state;
	const struct {
		uint64_t ipa, offset, size;
	} input[] = {
		{ IPA_DATA + 8, 0, 8 }, { IPA_DATA + 0x800, 0, 8 },
		{ IPA_DATA, 4096, 0 }, { IPA_DATA, ~0ULL, 0 },
		{ IPA_DATA, 4095, 2 }, { IPA_DATA, 0, 4097 },
		{ IPA_DATA, 8, ~0ULL - 3 },	/* offset + size overflows */
		{ IPA_DATA, 1, ~0ULL },
		{ PAR_TOP, 0, 8 }, { PAR_TOP + IPA_DATA, 0, 4096 },
		{ ~0xFFFULL, 0, 0 },
	};
	const uint64_t state_ipas[] = {
		IPA_DATA, IPA_RAM, IPA_EMPTY, IPA_DESTROYED, IPA_L1_RAM,
		PAR_TOP - 0x1000,
	};

	for (unsigned int i = 0; i < ARRAY_LEN(input); i++)
		rsi_error(f, RSI_ATTESTATION_TOKEN_CONTINUE, input[i].ipa,
			  input[i].offset, input[i].size, 0x44, RSI_ERROR_INPUT);
	for (unsigned int i = 0; i < ARRAY_LEN(state_ipas); i++)
		rsi_error(f, RSI_ATTESTATION_TOKEN_CONTINUE, state_ipas[i], 0, 4096,
			  0x44, RSI_ERROR_STATE);
	rsi_error(f, RSI_ATTESTATION_TOKEN_CONTINUE, IPA_DATA, 4095, 1, 0, RSI_ERROR_STATE);
	rsi_error(f, RSI_ATTESTATION_TOKEN_CONTINUE, IPA_DATA, 0, 0, 0, RSI_ERROR_STATE);
	/* An INIT attempt changes nothing. */
	rsi_error(f, RSI_ATTESTATION_TOKEN_INIT, 1, 2, 3, 4, RSI_ERROR_UNKNOWN);
	rsi_error(f, RSI_ATTESTATION_TOKEN_CONTINUE, IPA_DATA, 0, 4096, 0, RSI_ERROR_STATE);
}

/* ---- REALM_CONFIG (rsi-1.0.md 7.1) ------------------------------------------- */

static void assert_config(struct fx *f, uint64_t ipa, uint8_t fill, uint8_t hash)
{
	const uint8_t *p = fx_realm_mem(f, ipa);

	assert_int_equal(le64(p), S2SZ);
	assert_int_equal(p[8], hash);
	for (unsigned int i = 0; i < RMI_GRANULE_SIZE; i++) {
		if (i < 9)
			continue;
		if (i >= 0x200 && i < 0x240)
			assert_int_equal(p[i], H_RPV_FIRST + i - 0x200);	/* rpv */
		else
			assert_int_equal(p[i], fill);
	}
}

static void test_realm_config(void **state)
{
	struct fx *f = *state;

	rsi_expect(f, RSI_REALM_CONFIG, IPA_DATA, 2, 3, 4, RSI_SUCCESS, 0, 0);
	/* The granule held SRC_BYTE: only the written bytes changed, the
	 * upper 7 bytes of the hash_algo slot included. */
	assert_config(f, IPA_DATA, SRC_BYTE, RSI_HASH_SHA_256);
	/* Again over other content: still only those bytes. */
	memset(fx_realm_mem(f, IPA_DATA), 0x3C, RMI_GRANULE_SIZE);
	rsi_expect(f, RSI_REALM_CONFIG, IPA_DATA, 0, 0, 0, RSI_SUCCESS, 0, 0);
	assert_config(f, IPA_DATA, 0x3C, RSI_HASH_SHA_256);
}

/* Inside an ASSIGNED 2 MB block: the granule at the IPA's offset. */
static void test_realm_config_block(void **state)
{
	struct fx *f = *state;
	uint64_t ipa = IPA_BLOCK + 0x5000;

	rsi_expect(f, RSI_REALM_CONFIG, ipa, 0, 0, 0, RSI_SUCCESS, 0, 0);
	assert_config(f, ipa, 0, RSI_HASH_SHA_256);
	/* The neighbours are untouched. */
	assert_int_equal(le64(fx_realm_mem(f, ipa - 0x1000)), 0);
	assert_int_equal(le64(fx_realm_mem(f, ipa + 0x1000)), 0);
	assert_int_equal(le64(fx_realm_mem(f, IPA_BLOCK)), 0);
}

static void test_realm_config_sha512(void **state)
{
	struct fx *f = fx_layout(RMI_HASH_SHA_512);

	(void)state;
	memset(fx_realm_mem(f, IPA_DATA), 0xEE, RMI_GRANULE_SIZE);
	rsi_expect(f, RSI_REALM_CONFIG, IPA_DATA, 0, 0, 0, RSI_SUCCESS, 0, 0);
	assert_config(f, IPA_DATA, 0xEE, RSI_HASH_SHA_512);
	fx_teardown((void **)&f);
}

/* spec: alignment / PAR, then EMPTY, all RSI_ERROR_INPUT, nothing written. */
static void test_realm_config_checks(void **state)
{
	struct fx *f = *state;
	const uint64_t input[] = {
		IPA_DATA + 8, IPA_DATA + 0x800, IPA_DATA + 1, PAR_TOP,
		PAR_TOP + IPA_DATA, (1ULL << S2SZ) + IPA_DATA, ~0xFFFULL,
		/* RIPAS EMPTY, unassigned or assigned */
		IPA_EMPTY, IPA_ASSIGNED_EMPTY, IPA_BLOCK + SZ_2M + 0x3000,
		IPA_L2_TABLE + 0x1000, 2 * SZ_1G, PAR_TOP - 0x1000,
	};

	for (unsigned int i = 0; i < ARRAY_LEN(input); i++)
		rsi_error(f, RSI_REALM_CONFIG, input[i], 2, 3, 4, RSI_ERROR_INPUT);
	assert_int_equal(le64(fx_realm_mem(f, IPA_ASSIGNED_EMPTY)), 0);
	assert_int_equal(fx_realm_mem(f, IPA_DATA)[0], SRC_BYTE);
}

/*
 * spec: RAM not populated or DESTROYED: the emulated stage-2 abort at the
 * level the walk stopped; the realm retries the SMC once the host has
 * mapped the page (rsi-1.0.md 7.1, rmi-1.0.md 9.3).
 */
static void test_realm_config_unmapped(void **state)
{
	struct fx *f = *state;
	const struct {
		uint64_t ipa;
		int level;
	} cases[] = {
		{ IPA_RAM, 3 }, { IPA_DESTROYED, 3 }, { IPA_ASSIGNED_DESTROYED, 3 },
		{ IPA_L2_RAM + 0x7000, 2 }, { IPA_L1_RAM + 0x12345000, 1 },
	};

	for (unsigned int i = 0; i < ARRAY_LEN(cases); i++) {
		realm_smc(f, RSI_REALM_CONFIG, cases[i].ipa, 2, 3, 4);
		exits(f);
		assert_unmapped_exit(f, cases[i].level);
		/* Not an unprotected abort: no SEA, no MMIO completion. */
		assert_rmi(enter(f, 0, RMI_REC_ENTER_INJECT_SEA), RMI_ERROR_REC, 0);
		assert_rmi(enter(f, 0, RMI_REC_ENTER_EMULATED_MMIO), RMI_ERROR_REC, 0);
	}
}

/* The whole flow: abort exit, the host maps RAM (DATA_CREATE_UNKNOWN keeps
 * RIPAS RAM), the realm's SMC runs again and succeeds. */
static void test_realm_config_retry(void **state)
{
	struct fx *f = *state;
	struct rec_regs regs;

	realm_smc(f, RSI_REALM_CONFIG, IPA_RAM2, 0x22, 0x33, 0x44);
	exits(f);
	assert_unmapped_exit(f, 3);
	regs = sx.seen[0].regs;
	data_create_unknown(f->h, &f->r, h_delegated(f->h), IPA_RAM2);
	realm_smc_again();
	answered(f);
	/* The retried SMC is the realm's original call. */
	assert_int_equal(sx.seen[0].regs.pc, regs.pc);
	assert_memory_equal(sx.seen[0].regs.gprs, regs.gprs, sizeof(regs.gprs));
	assert_result(RSI_SUCCESS, 0, 0);
	assert_config(f, IPA_RAM2, 0, RSI_HASH_SHA_256);
}

/* ---- IPA_STATE_SET (rsi-1.0.md 7.2, 7.3; rmi-1.0.md 9.2 item 5) ------------- */

static void assert_ripas_exit(struct fx *f, uint64_t base, uint64_t top,
			      uint64_t ripas)
{
	struct rmi_rec_exit e;

	expected_exit(f, &e, RMI_EXIT_RIPAS_CHANGE);
	e.ripas_base = base;
	e.ripas_top = top;
	e.ripas_value = ripas;
	assert_exit(f, &e);
}

/* The realm asks; REC_ENTER returns the RIPAS_CHANGE exit. */
static void ipa_state_set(struct fx *f, uint64_t base, uint64_t top,
			  uint64_t ripas, uint64_t flags)
{
	realm_smc(f, RSI_IPA_STATE_SET, base, top, ripas, flags);
	exits(f);
	assert_ripas_exit(f, base, top, ripas & 0xFFFFFFFF);
	/* PC advanced; the results come at the next entry. */
	assert_int_equal(rec_of(f, 0)->regs.pc, sx.seen[0].regs.pc + 4);
}

/* The host's RTT_SET_RIPAS from addr to top; returns its x1. */
static uint64_t set_ripas(struct fx *f, uint64_t addr, uint64_t top)
{
	assert_rmi(h_call(f->h, RMI_RTT_SET_RIPAS, f->r.rd, f->rec[0], addr, top, 0),
		   RMI_SUCCESS, 0);
	return f->h->last_out[1];
}

/* The next entry with RIPAS_RESPONSE: the realm's results in x0..x2. */
static void ripas_response(struct fx *f, bool reject, uint64_t progress,
			   uint64_t response)
{
	const uint64_t *call = sx.seen[0].regs.gprs;
	uint64_t x[RMI_REC_GPRS];

	memcpy(x, call, sizeof(x));
	sx.nsteps = sx.pos = sx.nruns = 0;
	assert_rmi(enter(f, 0, reject ? RMI_REC_ENTER_RIPAS_RESPONSE : 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(sx.seen[0].regs.gprs[0], RSI_SUCCESS);
	assert_int_equal(sx.seen[0].regs.gprs[1], progress);
	assert_int_equal(sx.seen[0].regs.gprs[2], response);
	/* x3 is no output; x4 (flags) and above are the realm's. */
	assert_int_equal(sx.seen[0].regs.gprs[3], 0);
	for (unsigned int i = 4; i < RMI_REC_GPRS; i++)
		assert_int_equal(sx.seen[0].regs.gprs[i], x[i]);
	assert_false(rec_of(f, 0)->ripas.pending);
}

static void assert_read_ripas(struct fx *f, uint64_t ipa, uint64_t ripas)
{
	assert_rmi(h_call(f->h, RMI_RTT_READ_ENTRY, f->r.rd, ipa, 3, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(f->h->last_out[4], ripas);
}

static void test_ipa_state_set_flow(void **state)
{
	struct fx *f = *state;
	struct rec *rec = rec_of(f, 0);

	/* Accept, all of it done: EMPTY -> RAM over [0x8000, 0xC000). */
	ipa_state_set(f, 0x8000, 0xC000, RSI_RAM, 0);
	assert_true(rec->ripas.pending);
	assert_int_equal(rec->ripas.base, 0x8000);
	assert_int_equal(rec->ripas.top, 0xC000);
	assert_int_equal(rec->ripas.addr, 0x8000);
	assert_int_equal(rec->ripas.ripas, RMI_RAM);
	assert_false(rec->ripas.change_destroyed);
	/* The host goes in steps; it must continue at the progress address. */
	assert_int_equal(set_ripas(f, 0x8000, 0xA000), 0xA000);
	assert_rmi(h_call(f->h, RMI_RTT_SET_RIPAS, f->r.rd, f->rec[0], 0x8000, 0xC000, 0),
		   RMI_ERROR_INPUT, 0);
	assert_int_equal(set_ripas(f, 0xA000, 0xC000), 0xC000);
	ripas_response(f, false, 0xC000, RSI_ACCEPT);
	for (uint64_t a = 0x8000; a < 0xC000; a += 0x1000)
		assert_read_ripas(f, a, RMI_RAM);
	assert_read_ripas(f, 0xC000, RMI_EMPTY);
	/* The request is gone: the host can change nothing more. */
	assert_rmi(h_call(f->h, RMI_RTT_SET_RIPAS, f->r.rd, f->rec[0], 0xC000, 0xD000, 0),
		   RMI_ERROR_INPUT, 0);

	/* Reject of a RAM request the host did part of. */
	ipa_state_set(f, 0xC000, 0x10000, RSI_RAM, 0);
	assert_int_equal(set_ripas(f, 0xC000, 0xE000), 0xE000);
	ripas_response(f, true, 0xE000, RSI_REJECT);
	/* ... or nothing of: progress = base. */
	ipa_state_set(f, 0xE000, 0x10000, RSI_RAM, 0);
	ripas_response(f, true, 0xE000, RSI_REJECT);
	/* Accept of a partial change. */
	ipa_state_set(f, 0xE000, 0x10000, RSI_RAM, 0);
	assert_int_equal(set_ripas(f, 0xE000, 0xF000), 0xF000);
	ripas_response(f, false, 0xF000, RSI_ACCEPT);
	/* A reject after the whole range is done is an accept. */
	ipa_state_set(f, 0xF000, 0x10000, RSI_RAM, 0);
	assert_int_equal(set_ripas(f, 0xF000, 0x10000), 0x10000);
	ripas_response(f, true, 0x10000, RSI_ACCEPT);
	/* spec: a reject of an EMPTY request is reported as ACCEPT (9.2 item 5). */
	ipa_state_set(f, 0x8000, 0xC000, RSI_EMPTY, 0);
	assert_int_equal(set_ripas(f, 0x8000, 0x9000), 0x9000);
	ripas_response(f, true, 0x9000, RSI_ACCEPT);
	assert_read_ripas(f, 0x8000, RMI_EMPTY);
	assert_read_ripas(f, 0x9000, RMI_RAM);
}

/* spec: CHANGE_DESTROYED only when the low 32 bits of x4 are 1 (7.2); a
 * DESTROYED entry changes only with it (rmi-1.0.md 8.23). */
static void test_ipa_state_set_destroyed(void **state)
{
	struct fx *f = *state;
	const struct {
		uint64_t flags;
		bool change;
	} cases[] = {
		{ 0, false }, { 2, false }, { 3, false }, { 0xFFFFFFFF, false },
		{ 0x100000000ULL, false }, { 0x100000001ULL, true },
		{ 0xFFFFFFFF00000001ULL, true }, { 1, true },
	};

	for (unsigned int i = 0; i < ARRAY_LEN(cases); i++) {
		ipa_state_set(f, IPA_DESTROYED, IPA_DESTROYED + 0x1000, RSI_RAM,
			      cases[i].flags);
		assert_int_equal(rec_of(f, 0)->ripas.change_destroyed, cases[i].change);
		if (!cases[i].change) {
			assert_rmi(h_call(f->h, RMI_RTT_SET_RIPAS, f->r.rd, f->rec[0],
					  IPA_DESTROYED, IPA_DESTROYED + 0x1000, 0),
				   RMI_ERROR_RTT, 3);
			ripas_response(f, false, IPA_DESTROYED, RSI_ACCEPT);
			assert_read_ripas(f, IPA_DESTROYED, RMI_DESTROYED);
			continue;
		}
		assert_int_equal(set_ripas(f, IPA_DESTROYED, IPA_DESTROYED + 0x1000),
				 IPA_DESTROYED + 0x1000);
		ripas_response(f, false, IPA_DESTROYED + 0x1000, RSI_ACCEPT);
		assert_read_ripas(f, IPA_DESTROYED, RMI_RAM);
		break;
	}
}

/* spec: x3 > 1 (low 32 bits), alignment, top <= base, outside the PAR: all
 * RSI_ERROR_INPUT without an exit and nothing recorded (7.2). */
static void test_ipa_state_set_checks(void **state)
{
	struct fx *f = *state;
	const struct {
		uint64_t base, top, ripas;
	} bad[] = {
		{ 0x8000, 0x9000, 2 }, { 0x8000, 0x9000, 3 },
		{ 0x8000, 0x9000, 0xFFFFFFFF }, { 0x8000, 0x9000, 0x100000002ULL },
		{ 0x8001, 0x9000, 2 },			/* ripas first, all INPUT */
		{ 0x8800, 0x9000, 1 }, { 0x8000, 0x9010, 1 }, { 0x8000, 0x9FFF, 0 },
		{ 0x9000, 0x9000, 1 }, { 0x9000, 0x8000, 0 }, { 0x9000, 0, 1 },
		{ PAR_TOP - 0x1000, PAR_TOP + 0x1000, 1 }, { PAR_TOP, PAR_TOP + 0x1000, 0 },
		{ 0, 1ULL << S2SZ, 1 }, { 0, ~0xFFFULL, 1 },
	};

	for (unsigned int i = 0; i < ARRAY_LEN(bad); i++) {
		rsi_error(f, RSI_IPA_STATE_SET, bad[i].base, bad[i].top, bad[i].ripas,
			  1, RSI_ERROR_INPUT);
		assert_false(rec_of(f, 0)->ripas.pending);
	}
	/* The boundaries that pass: the low 32 bits of x3, top = PAR end. */
	ipa_state_set(f, PAR_TOP - 0x2000, PAR_TOP, 0x100000001ULL, 0);
	assert_int_equal(rec_of(f, 0)->ripas.ripas, RMI_RAM);
	ripas_response(f, true, PAR_TOP - 0x2000, RSI_REJECT);
	ipa_state_set(f, 0, PAR_TOP, 0xFFFFFFFF00000000ULL, 0);
	assert_int_equal(rec_of(f, 0)->ripas.ripas, RMI_EMPTY);
	ripas_response(f, false, 0, RSI_ACCEPT);
}

/* ---- IPA_STATE_GET (rsi-1.0.md 7.4) ------------------------------------------ */

static void state_get(struct fx *f, uint64_t base, uint64_t end, uint64_t top,
		      uint64_t ripas)
{
	rsi_expect(f, RSI_IPA_STATE_GET, base, end, 0x33, 0x44, RSI_SUCCESS, top, ripas);
}

/* The observed example: INIT_RIPAS of [0, 0x3000) in a level-3 RTT, then
 * GET(0, 0x400000) -> 0x3000, RAM; the scan never leaves the RTT. */
static void test_ipa_state_get_observed(void **state)
{
	struct fx *f = fx_alloc(1, RMI_HASH_SHA_256);

	(void)state;
	h_rtt_create_to(f->h, &f->r, 0, 3);
	rtt_init_ripas(f->h, &f->r, 0, 0x3000);
	fx_start(f);
	state_get(f, 0, 0x400000, 0x3000, RSI_RAM);
	state_get(f, 0x1000, 0x400000, 0x3000, RSI_RAM);
	state_get(f, 0, 0x2000, 0x2000, RSI_RAM);
	/* The rest of the L3 RTT is EMPTY, and so is the next L2 entry. */
	state_get(f, 0x3000, 0x400000, SZ_2M, RSI_EMPTY);
	state_get(f, SZ_2M, 0x400000, 0x400000, RSI_EMPTY);
	state_get(f, SZ_2M, 0x600000, 0x600000, RSI_EMPTY);
	/* The rest of the L2 RTT is EMPTY, and so is the next L1 entry. */
	state_get(f, SZ_2M, PAR_TOP, SZ_1G, RSI_EMPTY);
	fx_teardown((void **)&f);
}

static void test_ipa_state_get(void **state)
{
	struct fx *f = *state;

	/* ASSIGNED + RAM is RAM: [0, 0x2000) has one RIPAS. */
	state_get(f, IPA_RAM, 0x10000, IPA_DESTROYED, RSI_RAM);
	state_get(f, IPA_DATA, 0x10000, IPA_DESTROYED, RSI_RAM);
	state_get(f, IPA_DESTROYED, 0x10000, IPA_RAM2, RSI_DESTROYED);
	state_get(f, IPA_RAM2, 0x10000, IPA_EMPTY, RSI_RAM);
	/* EMPTY, assigned or not, then DESTROYED assigned. */
	state_get(f, IPA_EMPTY, 0x10000, IPA_ASSIGNED_DESTROYED, RSI_EMPTY);
	state_get(f, IPA_ASSIGNED_EMPTY, 0x10000, IPA_ASSIGNED_DESTROYED, RSI_EMPTY);
	state_get(f, IPA_ASSIGNED_DESTROYED, 0x10000, 0x7000, RSI_DESTROYED);
	state_get(f, 0x7000, SZ_2M, SZ_2M, RSI_EMPTY);
	state_get(f, 0x7000, 0x8000, 0x8000, RSI_EMPTY);
	/* Level 2: a RAM entry and the RAM block after it; a TABLE stops the
	 * scan even though its entries are EMPTY like the entry before. */
	state_get(f, IPA_L2_RAM, SZ_1G, IPA_BLOCK + SZ_2M, RSI_RAM);
	state_get(f, IPA_L2_RAM + 0x5000, IPA_L2_RAM + 0x6000, IPA_L2_RAM + 0x6000,
		  RSI_RAM);
	state_get(f, IPA_BLOCK + 0x3000, SZ_1G, IPA_BLOCK + SZ_2M, RSI_RAM);
	state_get(f, IPA_BLOCK + SZ_2M, SZ_1G, IPA_L2_TABLE, RSI_EMPTY);
	state_get(f, IPA_L2_TABLE + 0x1000, SZ_1G, IPA_L2_TABLE + SZ_2M, RSI_EMPTY);
	state_get(f, IPA_L2_TABLE + SZ_2M, SZ_1G, SZ_1G, RSI_EMPTY);
	/* Level 1: the RAM GB, from inside it. */
	state_get(f, IPA_L1_RAM + 0x123000, PAR_TOP, 2 * SZ_1G, RSI_RAM);
	state_get(f, 2 * SZ_1G, PAR_TOP, PAR_TOP, RSI_EMPTY);
	state_get(f, PAR_TOP - 0x1000, PAR_TOP, PAR_TOP, RSI_EMPTY);
}

/* spec: base alignment / PAR, end alignment / end - 1 in the PAR, base <
 * end; all RSI_ERROR_INPUT (7.4). */
static void test_ipa_state_get_checks(void **state)
{
	struct fx *f = *state;
	const struct {
		uint64_t base, end;
	} bad[] = {
		{ 0x10, 0x2000 }, { 0x800, 0x2000 }, { PAR_TOP, PAR_TOP + 0x1000 },
		{ ~0xFFFULL, 0 }, { 0x1000, 0x2008 }, { 0x1000, 0x1FFF },
		{ 0x1000, PAR_TOP + 0x1000 }, { 0x1000, 0 }, { 0, 0 },
		{ 0x2000, 0x2000 }, { 0x3000, 0x2000 }, { PAR_TOP - 0x1000, 0x1000 },
	};

	for (unsigned int i = 0; i < ARRAY_LEN(bad); i++)
		rsi_error(f, RSI_IPA_STATE_GET, bad[i].base, bad[i].end, 3, 4,
			  RSI_ERROR_INPUT);
}

/* ---- HOST_CALL (rsi-1.0.md 9; rmi-1.0.md 9.2 item 7) ------------------------ */

static struct rsi_host_call *host_call_struct(struct fx *f, uint64_t ipa)
{
	return (struct rsi_host_call *)fx_realm_mem(f, ipa);
}

static void host_call_fill(struct rsi_host_call *hc, uint64_t imm)
{
	hc->imm = imm;
	for (unsigned int i = 0; i < RSI_HOST_CALL_NUM_GPRS; i++)
		hc->gprs[i] = 0xB000 + i;
}

/* The realm calls; REC_ENTER returns the HOST_CALL exit. */
static void host_call_exit(struct fx *f, uint64_t ipa, uint64_t imm)
{
	struct rmi_rec_exit e;

	realm_smc(f, RSI_HOST_CALL, ipa, 0x22, 0x33, 0x44);
	exits(f);
	expected_exit(f, &e, RMI_EXIT_HOST_CALL);
	e.imm = imm;
	for (unsigned int i = 0; i < RMI_REC_GPRS; i++)
		e.gprs[i] = 0xB000 + i;
	assert_exit(f, &e);
	/* PC past the SMC, registers as the realm left them. */
	assert_int_equal(rec_of(f, 0)->regs.pc, sx.seen[0].regs.pc + 4);
	assert_memory_equal(rec_of(f, 0)->regs.gprs, sx.seen[0].regs.gprs,
			    sizeof(sx.seen[0].regs.gprs));
	assert_true(rec_of(f, 0)->host_call.pending);
}

/* The host answers with enter.gprs = 0xC000 + i: they land in the
 * structure and the realm gets x0 = RSI_SUCCESS, x1..x30 unchanged. */
static void host_call_complete(struct fx *f, uint64_t ipa, uint64_t imm)
{
	struct rmi_rec_enter *en = enter_of(f, f->run);
	struct rsi_host_call *hc = host_call_struct(f, ipa);
	uint64_t call[RMI_REC_GPRS], pc = rec_of(f, 0)->regs.pc;

	memcpy(call, sx.seen[0].regs.gprs, sizeof(call));
	for (unsigned int i = 0; i < RMI_REC_GPRS; i++)
		en->gprs[i] = 0xC000 + i;
	sx.nsteps = sx.pos = sx.nruns = 0;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 1);
	assert_false(rec_of(f, 0)->host_call.pending);
	assert_int_equal(sx.seen[0].regs.pc, pc);
	assert_int_equal(sx.seen[0].regs.gprs[0], RSI_SUCCESS);
	for (unsigned int i = 1; i < RMI_REC_GPRS; i++)
		assert_int_equal(sx.seen[0].regs.gprs[i], call[i]);
	assert_int_equal(hc->imm, imm);
	for (unsigned int i = 0; i < RSI_HOST_CALL_NUM_GPRS; i++)
		assert_int_equal(hc->gprs[i], 0xC000 + i);
	memset(en->gprs, 0, sizeof(en->gprs));
}

static void test_host_call(void **state)
{
	struct fx *f = *state;
	const uint64_t ipas[] = {
		IPA_DATA, IPA_DATA + 0x100, IPA_DATA + 0xF00, IPA_BLOCK + 0x1FFF00,
	};

	for (unsigned int i = 0; i < ARRAY_LEN(ipas); i++) {
		struct rsi_host_call *hc = host_call_struct(f, ipas[i]);
		/* spec: imm is 16 bits in an 8-byte slot; the reference reads
		 * 4 bytes into exit.imm (rsi-1.0.md 9). */
		uint64_t imm = 0xDEADBEEF00000000ULL | (0x12340 + i);

		host_call_fill(hc, imm);
		host_call_exit(f, ipas[i], imm & 0xFFFFFFFF);
		host_call_complete(f, ipas[i], imm);
	}
	/* The neighbour of a structure is untouched. */
	assert_int_equal(host_call_struct(f, IPA_DATA + 0x200)->gprs[0],
			 0x5A5A5A5A5A5A5A5AULL);
}

/* spec: 256-byte alignment, PAR, EMPTY: RSI_ERROR_INPUT, no exit (9). */
static void test_host_call_checks(void **state)
{
	struct fx *f = *state;
	const uint64_t bad[] = {
		IPA_DATA + 8, IPA_DATA + 0x80, IPA_DATA + 0xFF, IPA_DATA + 0x1,
		PAR_TOP, PAR_TOP + IPA_DATA, (1ULL << S2SZ) + IPA_DATA, ~0xFFULL,
		IPA_EMPTY, IPA_EMPTY + 0x100, IPA_ASSIGNED_EMPTY + 0x200,
		IPA_L2_TABLE + 0x100, PAR_TOP - 0x100,
	};

	for (unsigned int i = 0; i < ARRAY_LEN(bad); i++) {
		rsi_error(f, RSI_HOST_CALL, bad[i], 2, 3, 4, RSI_ERROR_INPUT);
		assert_false(rec_of(f, 0)->host_call.pending);
	}
}

/* spec: an unmapped structure page: the emulated stage-2 abort, hpfar =
 * x1 >> 8 (the structure's IPA, not only its page); retried after the host
 * maps the page. */
static void test_host_call_unmapped(void **state)
{
	struct fx *f = *state;
	const struct {
		uint64_t ipa;
		int level;
	} cases[] = {
		{ IPA_RAM + 0x100, 3 }, { IPA_DESTROYED + 0xF00, 3 },
		{ IPA_ASSIGNED_DESTROYED, 3 }, { IPA_L2_RAM + 0x1300, 2 },
		{ IPA_L1_RAM + 0x500, 1 },
	};

	for (unsigned int i = 0; i < ARRAY_LEN(cases); i++) {
		realm_smc(f, RSI_HOST_CALL, cases[i].ipa, 2, 3, 4);
		exits(f);
		assert_unmapped_exit(f, cases[i].level);
		assert_false(rec_of(f, 0)->host_call.pending);
	}
	/* The host maps 0x3000 (RAM); the retried call exits HOST_CALL. */
	realm_smc(f, RSI_HOST_CALL, IPA_RAM2 + 0x700, 2, 3, 4);
	exits(f);
	assert_unmapped_exit(f, 3);
	data_create_unknown(f->h, &f->r, h_delegated(f->h), IPA_RAM2);
	host_call_fill(host_call_struct(f, IPA_RAM2 + 0x700), 7);
	realm_smc_again();
	exits(f);
	assert_int_equal(exit_of(f, f->run)->exit_reason, RMI_EXIT_HOST_CALL);
	assert_int_equal(exit_of(f, f->run)->imm, 7);
	assert_int_equal(exit_of(f, f->run)->gprs[30], 0xB000 + 30);
	assert_int_equal(sx.seen[0].regs.gprs[1], IPA_RAM2 + 0x700);
	host_call_complete(f, IPA_RAM2 + 0x700, 7);
}

/* Completion when the host took the page away meanwhile (rmi-1.0.md 9.2 item
 * 7): the abort exit at entry, without running the realm and with only the
 * abort fields; the call stays pending while the page is not usable. */
static void test_host_call_page_destroyed(void **state)
{
	struct fx *f = *state;
	uint64_t ipa = IPA_BLOCK + 0x2000;
	struct rmi_rec_exit e;

	host_call_fill(host_call_struct(f, ipa), 9);
	host_call_exit(f, ipa, 9);
	/* The host unfolds the block and destroys the page: DESTROYED. */
	h_rtt_create_to(f->h, &f->r, IPA_BLOCK, 3);
	assert_rmi(h_call(f->h, RMI_DATA_DESTROY, f->r.rd, ipa, 0, 0, 0), RMI_SUCCESS, 0);
	sx.nsteps = sx.pos = sx.nruns = 0;
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 0);
	memset(&e, 0, sizeof(e));
	e.exit_reason = RMI_EXIT_SYNC;
	e.esr = ESR_S2_ABORT(3);
	e.hpfar = ipa >> 8;
	assert_exit(f, &e);
	assert_true(rec_of(f, 0)->host_call.pending);
	/* Mapped again it is ASSIGNED but still DESTROYED: not usable. */
	data_create_unknown(f->h, &f->r, h_delegated(f->h), ipa);
	assert_rmi(enter(f, 0, 0), RMI_SUCCESS, 0);
	assert_int_equal(sx.nruns, 0);
	assert_exit(f, &e);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
#define L(fn) cmocka_unit_test_setup_teardown(fn, layout_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_version),
		T(test_features),
		T(test_unknown_fids),
		T(test_psci_features_rsi),
		cmocka_unit_test(test_measurement_read_sha256_rim),
		cmocka_unit_test(test_measurement_sha512_example),
		T(test_measurement_read_checks),
		T(test_measurement_extend),
		T(test_measurement_extend_checks),
		L(test_attestation_token_init),
		L(test_attestation_token_continue),
		L(test_realm_config),
		L(test_realm_config_block),
		cmocka_unit_test(test_realm_config_sha512),
		L(test_realm_config_checks),
		L(test_realm_config_unmapped),
		L(test_realm_config_retry),
		L(test_ipa_state_set_flow),
		L(test_ipa_state_set_destroyed),
		L(test_ipa_state_set_checks),
		cmocka_unit_test(test_ipa_state_get_observed),
		L(test_ipa_state_get),
		L(test_ipa_state_get_checks),
		L(test_host_call),
		L(test_host_call_checks),
		L(test_host_call_unmapped),
		L(test_host_call_page_destroyed),
	};
#undef L
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
