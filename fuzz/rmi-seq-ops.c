/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rmi-seq input format (fuzz/README.md): operations, each an opcode
 * byte and operands decoded by kind, turned into RMI script lines run in a
 * world; and the encoder of RMI scripts into that format (the seeds).
 *
 * Every byte string decodes: an exhausted input reads as zeros, an opcode or
 * a selector is taken modulo the number of choices. Operand kinds make most
 * bytes name something useful (a granule of the world, an IPA on a page,
 * block or table boundary, a level) and every kind has an escape to 8 raw
 * bytes, so that any script can be encoded and any value reached.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rmmemu/rmi-1.0.h>
#include <rmmemu/rsi-1.0.h>

#include "rmmemu/rec.h"
#include "rmmemu/rmm.h"
#include "tools/script.h"
#include "rmi-seq.h"

#define PAGE		0x1000ULL
#define BLOCK_2M	(1ULL << 21)
#define BLOCK_1G	(1ULL << 30)
#define BLOCK_512G	(1ULL << 39)
/* The unprotected half of an s2sz 40 realm, the geometry of most seeds. */
#define UNPROT_40	(1ULL << 39)
/* Escape to a raw little-endian 64-bit value, in every kind. */
#define RAW		0xF0

/* ---- reading the input ---------------------------------------------------- */

struct input {
	const uint8_t *p;
	size_t n, pos;
};

static uint8_t in8(struct input *in)
{
	return in->pos < in->n ? in->p[in->pos++] : 0;
}

static uint64_t in_le(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)in8(in) << (8 * i);
	return v;
}

/* ---- operand kinds ------------------------------------------------------- */

enum kind {
	K_NONE,
	K_PA,		/* a granule address */
	K_IPA,
	K_LEVEL,
	K_VAL,		/* any value, small ones compact */
	K_DESC,		/* RTT_MAP_UNPROTECTED's host descriptor */
	K_ARG,		/* a realm's SMC argument */
};

/* 0x00-0xDF granule b of the world; 0xE0-0xEF granule (b & 0xF) << 8 | next
 * (past the world's end too); 0xF1 unaligned; 0xF2 / 0xF3 just outside. */
static uint64_t dec_pa(struct input *in)
{
	uint8_t b = in8(in);

	if (b < 0xE0)
		return WORLD_BASE + b * PAGE;
	if (b < 0xF0)
		return WORLD_BASE + (((uint64_t)(b & 0xF) << 8) | in8(in)) * PAGE;
	switch (b) {
	case RAW:
		return in_le(in, 8);
	case 0xF1:
		return WORLD_BASE + in8(in) * PAGE + (in8(in) | 1U);
	case 0xF2:
		return WORLD_BASE - PAGE;
	case 0xF3:
		return WORLD_BASE + WORLD_SIZE;
	default:
		return 0;
	}
}

/* Protected pages, 2 MB, 1 GB and 512 GB steps; unprotected ones of an
 * s2sz 40 realm; the unprotected bases of s2sz 32..39; powers of two from
 * 2^40; a 16-bit page index; unaligned; all ones. */
static uint64_t dec_ipa(struct input *in)
{
	uint8_t b = in8(in);

	if (b < 0x40)
		return b * PAGE;
	if (b < 0x60)
		return (b & 0x1F) * BLOCK_2M;
	if (b < 0x70)
		return (b & 0xF) * BLOCK_1G;
	if (b < 0x80)
		return (b & 0xF) * BLOCK_512G;
	if (b < 0xC0)
		return UNPROT_40 + (b & 0x3F) * PAGE;
	if (b < 0xE0)
		return UNPROT_40 + (b & 0x1F) * BLOCK_2M;
	if (b < 0xE8)
		return UNPROT_40 + (b & 0x7) * BLOCK_1G;
	if (b < 0xF0)
		return 1ULL << (31 + (b & 0x7));
	switch (b) {
	case RAW:
		return in_le(in, 8);
	case 0xF1:
		return in_le(in, 2) * PAGE;
	case 0xF2:
		return in8(in) * PAGE + (in8(in) | 1U);
	case 0xF3:
		return ~0ULL;
	default:
		return 1ULL << (40 + (b - 0xF4));
	}
}

/* Levels -1..4 (4 and -1 invalid without LPA2), raw. */
static uint64_t dec_level(struct input *in)
{
	uint8_t b = in8(in);

	if (b == RAW)
		return in_le(in, 8);
	if (b == 0xF1)
		return ~0ULL;
	return b % 5;
}

/* 0x00-0xDF itself; 0xE0-0xEF -1..-16 (PSCI statuses); 16 and 32 bits;
 * the RMI ABI versions. */
static uint64_t dec_val(struct input *in)
{
	uint8_t b = in8(in);

	if (b < 0xE0)
		return b;
	if (b < 0xF0)
		return (uint64_t)-(int64_t)((b & 0xF) + 1);
	switch (b) {
	case RAW:
		return in_le(in, 8);
	case 0xF1:
		return in_le(in, 2);
	case 0xF2:
		return in_le(in, 4);
	case 0xF3:
		return 0x10000;
	case 0xF4:
		return 0x20000;
	default:
		return ~0ULL;
	}
}

/* An address and the low bits (MemAttr, S2AP: 0xD8 is what Linux uses). */
static uint64_t dec_desc(struct input *in)
{
	uint64_t pa = dec_pa(in);

	return pa | dec_val(in);
}

/* Small values (MPIDRs, RIPAS, flags, indices), IPAs, powers of two. */
static uint64_t dec_arg(struct input *in)
{
	uint8_t b = in8(in);

	if (b < 0x40)
		return b;
	if (b < 0x80)
		return (b - 0x40) * PAGE;
	if (b < 0xA0)
		return (b & 0x1F) * BLOCK_2M;
	if (b < 0xC0)
		return UNPROT_40 + (b & 0x1F) * PAGE;
	if (b < 0xF0)
		return 1ULL << (b - 0xC0);
	if (b == RAW)
		return in_le(in, 8);
	return (uint64_t)-(int64_t)(b - RAW);
}

static uint64_t decode(enum kind k, struct input *in)
{
	switch (k) {
	case K_PA:
		return dec_pa(in);
	case K_IPA:
		return dec_ipa(in);
	case K_LEVEL:
		return dec_level(in);
	case K_DESC:
		return dec_desc(in);
	case K_ARG:
		return dec_arg(in);
	default:
		return dec_val(in);
	}
}

/* ---- RMI commands -------------------------------------------------------- */

#define CMD_ARGS	5

static const struct cmd {
	uint32_t fid;
	enum kind kinds[CMD_ARGS];
} cmds[] = {
	{ RMI_VERSION, { K_VAL } },
	{ RMI_GRANULE_DELEGATE, { K_PA } },
	{ RMI_GRANULE_UNDELEGATE, { K_PA } },
	{ RMI_DATA_CREATE, { K_PA, K_PA, K_IPA, K_PA, K_VAL } },
	{ RMI_DATA_CREATE_UNKNOWN, { K_PA, K_PA, K_IPA } },
	{ RMI_DATA_DESTROY, { K_PA, K_IPA } },
	{ RMI_REALM_ACTIVATE, { K_PA } },
	{ RMI_REALM_CREATE, { K_PA, K_PA } },
	{ RMI_REALM_DESTROY, { K_PA } },
	{ RMI_REC_CREATE, { K_PA, K_PA, K_PA } },
	{ RMI_REC_DESTROY, { K_PA } },
	{ RMI_REC_ENTER, { K_PA, K_PA } },
	{ RMI_RTT_CREATE, { K_PA, K_PA, K_IPA, K_LEVEL } },
	{ RMI_RTT_DESTROY, { K_PA, K_IPA, K_LEVEL } },
	{ RMI_RTT_MAP_UNPROTECTED, { K_PA, K_IPA, K_LEVEL, K_DESC } },
	{ RMI_RTT_READ_ENTRY, { K_PA, K_IPA, K_LEVEL } },
	{ RMI_RTT_UNMAP_UNPROTECTED, { K_PA, K_IPA, K_LEVEL } },
	{ RMI_PSCI_COMPLETE, { K_PA, K_PA, K_VAL } },
	{ RMI_FEATURES, { K_VAL } },
	{ RMI_RTT_FOLD, { K_PA, K_IPA, K_LEVEL } },
	{ RMI_REC_AUX_COUNT, { K_PA } },
	{ RMI_RTT_INIT_RIPAS, { K_PA, K_IPA, K_IPA } },
	{ RMI_RTT_SET_RIPAS, { K_PA, K_PA, K_IPA, K_IPA } },
};

#define NUM_CMDS	(sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *cmd_of(uint32_t fid, unsigned int *index)
{
	for (unsigned int i = 0; i < NUM_CMDS; i++) {
		if (cmds[i].fid == fid) {
			*index = i;
			return &cmds[i];
		}
	}
	return NULL;
}

/* ---- operations ----------------------------------------------------------- */

/*
 * Opcode bytes below OP_FIRST_OTHER are OP_CALL (the most useful operation
 * gets a quarter of them); the others are taken modulo OP_COUNT.
 */
enum op {
	OP_CALL,	/* command index, operands by kind */
	OP_CALL_RAW,	/* FID, x1..x6 */
	OP_WRITE64,	/* granule, offset (16 bits), value */
	OP_FILL,	/* granule, offset, length, byte */
	OP_REALM_PARAMS,	/* page, realm parameter selectors */
	OP_REC_PARAMS,	/* page, REC parameter selectors */
	OP_RUN_PAGE,	/* page, rec_enter selectors */
	OP_REALM,	/* RD, root RTTs, params page, realm parameter selectors */
	OP_REC,		/* RD, REC, params page, first aux, flags, MPIDR */
	OP_RTTS,	/* RD, IPA, deepest level, first RTT granule */
	OP_DATA,	/* RD, first DATA granule, IPA, count, mode, source */
	OP_DELEGATE,	/* first granule, count and direction */
	OP_ENTER,	/* REC, run page, rec_enter selectors, realm steps */
	OP_REALM_STEPS,	/* the realm's steps for the REC_ENTER calls that follow */
	OP_COUNT
};

#define OP_FIRST_OTHER	0x40

struct decoder {
	struct world *w;
	struct input in;
};

static bool budget_left(struct decoder *d)
{
	return world_calls(d->w) < WORLD_MAX_CALLS;
}

/* A call line; the command's name where it stands for exactly fid. */
static void call(struct decoder *d, uint64_t fid, const uint64_t *x,
		 unsigned int n)
{
	const char *name = fid <= UINT32_MAX && !(fid & RMI_FID_SVE_HINT) ?
			   rmi_command_name((uint32_t)fid) : NULL;
	char line[512];
	int len;

	if (!budget_left(d))
		return;
	if (name != NULL)
		len = snprintf(line, sizeof(line), "call %s", name);
	else
		len = snprintf(line, sizeof(line), "call 0x%" PRIx64, fid);
	for (unsigned int i = 0; i < n; i++)
		len += snprintf(line + len, sizeof(line) - (size_t)len,
				" 0x%" PRIx64, x[i]);
	world_line(d->w, "%s", line);
}

static void call1(struct decoder *d, uint32_t fid, uint64_t x1)
{
	call(d, fid, &x1, 1);
}

/* Host memory writes go only where a host can write (rmi-seq.h). */
static void write64(struct decoder *d, uint64_t pa, uint64_t value)
{
	if (world_host_writable(d->w, pa, 8))
		world_line(d->w, "write64 0x%" PRIx64 " 0x%" PRIx64, pa, value);
}

static void fill(struct decoder *d, uint64_t pa, uint64_t len, uint8_t byte)
{
	if (world_host_writable(d->w, pa, len != 0 ? len : 1))
		world_line(d->w, "fill 0x%" PRIx64 " 0x%" PRIx64 " 0x%x", pa, len, byte);
}

static void op_call(struct decoder *d)
{
	const struct cmd *c = &cmds[in8(&d->in) % NUM_CMDS];
	uint64_t x[CMD_ARGS];
	unsigned int n = 0;

	while (n < CMD_ARGS && c->kinds[n] != K_NONE) {
		x[n] = decode(c->kinds[n], &d->in);
		n++;
	}
	call(d, c->fid, x, n);
}

static void op_call_raw(struct decoder *d)
{
	uint64_t fid = dec_val(&d->in);
	uint64_t x[6];

	for (unsigned int i = 0; i < 6; i++)
		x[i] = dec_val(&d->in);
	call(d, fid, x, 6);
}

static void op_write64(struct decoder *d)
{
	uint64_t page = dec_pa(&d->in);
	uint64_t off = in_le(&d->in, 2) & (PAGE - 1);

	write64(d, page + off, dec_val(&d->in));
}

static void op_fill(struct decoder *d)
{
	uint64_t page = dec_pa(&d->in);
	uint64_t off = in_le(&d->in, 2) & (PAGE - 1);
	uint64_t len = dec_val(&d->in);

	fill(d, page + off, len, in8(&d->in));
}

/* ---- structures in host memory ------------------------------------------- */

/* Realm geometries that REALM_CREATE accepts (rmi-1.0.md 6.2), and one
 * made of input bytes. */
static const struct geometry {
	unsigned int s2sz;
	int level;
	unsigned int num;
} geometries[] = {
	{ 40, 0, 1 }, { 40, 1, 2 }, { 32, 1, 1 }, { 33, 2, 8 },
	{ 39, 1, 1 }, { 48, 0, 1 }, { 43, 1, 16 },
};

#define NUM_GEOMETRIES	(sizeof(geometries) / sizeof(geometries[0]))

struct realm_choice {
	uint64_t flags;
	uint64_t s2sz, level, num;
	uint64_t num_bps, num_wps, pmu_ctrs, hash, vmid;
};

static void dec_realm_choice(struct decoder *d, struct realm_choice *c)
{
	uint8_t g = in8(&d->in), f = in8(&d->in);

	if (g % (NUM_GEOMETRIES + 1) < NUM_GEOMETRIES) {
		const struct geometry *geo = &geometries[g % (NUM_GEOMETRIES + 1)];

		c->s2sz = geo->s2sz;
		c->level = (uint64_t)(int64_t)geo->level;
		c->num = geo->num;
	} else {
		c->s2sz = in8(&d->in);
		c->level = dec_level(&d->in);
		c->num = in8(&d->in);
	}
	/* f: flags LPA2, SVE, PMU in bits 0..2 (only PMU is valid here),
	 * SHA-512 in bit 3, breakpoints / watchpoints 0 or 2 in bits 4, 5. */
	c->flags = f & 0x7;
	c->pmu_ctrs = (f & 0x4) ? 1 + (f >> 6) * 10 : 0;
	c->hash = (f >> 3) & 1;
	c->num_bps = (f & 0x10) ? 2 * ((f >> 6) & 1) : 1;
	c->num_wps = (f & 0x20) ? 2 * ((f >> 7) & 1) : 1;
	c->vmid = in8(&d->in);
}

static void write_realm_params(struct decoder *d, uint64_t page,
			       const struct realm_choice *c, uint64_t rtt_base)
{
	const struct {
		size_t off;
		uint64_t value;
	} fields[] = {
		{ offsetof(struct rmi_realm_params, flags), c->flags },
		{ offsetof(struct rmi_realm_params, s2sz), c->s2sz },
		{ offsetof(struct rmi_realm_params, num_bps), c->num_bps },
		{ offsetof(struct rmi_realm_params, num_wps), c->num_wps },
		{ offsetof(struct rmi_realm_params, pmu_num_ctrs), c->pmu_ctrs },
		{ offsetof(struct rmi_realm_params, hash_algo), c->hash },
		{ offsetof(struct rmi_realm_params, vmid), c->vmid },
		{ offsetof(struct rmi_realm_params, rtt_base), rtt_base },
		{ offsetof(struct rmi_realm_params, rtt_level_start), c->level },
		{ offsetof(struct rmi_realm_params, rtt_num_start), c->num },
	};

	if (!world_host_writable(d->w, page, PAGE))
		return;
	fill(d, page, PAGE, 0);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].value != 0)
			write64(d, page + fields[i].off, fields[i].value);
	}
}

static void op_realm_params(struct decoder *d)
{
	uint64_t page = dec_pa(&d->in), rtt_base = dec_pa(&d->in);
	struct realm_choice c;

	dec_realm_choice(d, &c);
	write_realm_params(d, page, &c, rtt_base);
}

/* RmiRecParams: aux[i] = aux0 + i granules. */
static void write_rec_params(struct decoder *d, uint64_t page, uint64_t flags,
			     uint64_t mpidr, uint64_t pc, uint64_t num_aux,
			     uint64_t aux0)
{
	if (!world_host_writable(d->w, page, PAGE))
		return;
	fill(d, page, PAGE, 0);
	if (flags != 0)
		write64(d, page + offsetof(struct rmi_rec_params, flags), flags);
	if (mpidr != 0)
		write64(d, page + offsetof(struct rmi_rec_params, mpidr), mpidr);
	if (pc != 0)
		write64(d, page + offsetof(struct rmi_rec_params, pc), pc);
	write64(d, page + offsetof(struct rmi_rec_params, num_aux), num_aux);
	for (unsigned int i = 0; i < RMI_REC_AUX_GRANULES; i++)
		write64(d, page + offsetof(struct rmi_rec_params, aux) + 8 * i,
			aux0 + i * PAGE);
}

static void op_rec_params(struct decoder *d)
{
	uint64_t page = dec_pa(&d->in), aux0 = dec_pa(&d->in);
	uint8_t f = in8(&d->in);
	uint64_t mpidr = dec_val(&d->in), pc = dec_ipa(&d->in);
	/* num_aux: 16 unless the selector asks for another count. */
	uint64_t num_aux = (f & 0x80) ? dec_val(&d->in) : RMI_REC_AUX_GRANULES;

	write_rec_params(d, page, f & 1, mpidr, pc, num_aux, aux0);
}

/* rec_enter: flags; with sel bit 0 gprs[0], with bit 1 the GIC state. */
static void write_run_page(struct decoder *d, uint64_t page, uint64_t flags,
			   uint8_t sel)
{
	write64(d, page + offsetof(struct rmi_rec_enter, flags), flags);
	if (sel & 1)
		write64(d, page + offsetof(struct rmi_rec_enter, gprs), dec_val(&d->in));
	if (sel & 2) {
		write64(d, page + offsetof(struct rmi_rec_enter, gicv3_hcr),
			dec_val(&d->in));
		for (unsigned int i = 0; i < 2; i++)
			write64(d, page + offsetof(struct rmi_rec_enter, gicv3_lrs) + 8 * i,
				dec_val(&d->in));
	}
}

static void op_run_page(struct decoder *d)
{
	uint64_t page = dec_pa(&d->in);
	uint8_t flags = in8(&d->in);

	write_run_page(d, page, flags & 0x1F, in8(&d->in));
}

/* ---- building blocks ------------------------------------------------------- */

static void op_realm(struct decoder *d)
{
	uint64_t rd = dec_pa(&d->in), rtt_base = dec_pa(&d->in);
	uint64_t params = dec_pa(&d->in);
	struct realm_choice c;
	uint64_t x[2] = { rd, params };

	dec_realm_choice(d, &c);
	for (uint64_t i = 0; i < c.num && i < 16; i++)
		call1(d, RMI_GRANULE_DELEGATE, rtt_base + i * PAGE);
	call1(d, RMI_GRANULE_DELEGATE, rd);
	write_realm_params(d, params, &c, rtt_base);
	call(d, RMI_REALM_CREATE, x, 2);
}

static void op_rec(struct decoder *d)
{
	uint64_t rd = dec_pa(&d->in), rec = dec_pa(&d->in);
	uint64_t params = dec_pa(&d->in), aux0 = dec_pa(&d->in);
	uint8_t flags = in8(&d->in);
	uint64_t mpidr = dec_val(&d->in);
	uint64_t x[3] = { rd, rec, params };

	call1(d, RMI_GRANULE_DELEGATE, rec);
	for (unsigned int i = 0; i < RMI_REC_AUX_GRANULES; i++)
		call1(d, RMI_GRANULE_DELEGATE, aux0 + i * PAGE);
	write_rec_params(d, params, flags & 1, mpidr, 0x1000ULL * (flags >> 1),
			 RMI_REC_AUX_GRANULES, aux0);
	call(d, RMI_REC_CREATE, x, 3);
}

/* RTT_CREATE for levels 1..deepest at ipa, each RTT a new granule. */
static void op_rtts(struct decoder *d)
{
	uint64_t rd = dec_pa(&d->in), ipa = dec_ipa(&d->in);
	unsigned int deepest = 1 + in8(&d->in) % 3;
	uint64_t rtt = dec_pa(&d->in);

	for (unsigned int level = 1; level <= deepest; level++, rtt += PAGE) {
		uint64_t parent = 1ULL << (12 + 9 * (4 - level));
		uint64_t x[4] = { rd, rtt, ipa & ~(parent - 1), level };

		call1(d, RMI_GRANULE_DELEGATE, rtt);
		call(d, RMI_RTT_CREATE, x, 4);
	}
}

/* count pages from ipa: DATA_CREATE_UNKNOWN, or DATA_CREATE from src with
 * or without the content measured. 512: a whole 2 MB block. */
static void op_data(struct decoder *d)
{
	uint64_t rd = dec_pa(&d->in), data = dec_pa(&d->in), ipa = dec_ipa(&d->in);
	uint8_t c = in8(&d->in), mode = in8(&d->in) % 3;
	unsigned int count = c >= 0xF8 ? 512 : c % 16 + 1;
	uint64_t src = mode != 0 ? dec_pa(&d->in) : 0;

	for (unsigned int i = 0; i < count && budget_left(d); i++) {
		uint64_t x[5] = { rd, data + i * PAGE, ipa + i * PAGE, src, mode - 1 };

		call1(d, RMI_GRANULE_DELEGATE, x[1]);
		if (mode == 0)
			call(d, RMI_DATA_CREATE_UNKNOWN, x, 3);
		else
			call(d, RMI_DATA_CREATE, x, 5);
	}
}

static void op_delegate(struct decoder *d)
{
	uint64_t first = dec_pa(&d->in);
	uint8_t c = in8(&d->in);
	uint32_t fid = (c & 0x80) ? RMI_GRANULE_UNDELEGATE : RMI_GRANULE_DELEGATE;

	for (unsigned int i = 0; i < (c & 0x1FU) + 1; i++)
		call1(d, fid, first + i * PAGE);
}

/* ---- the realm's steps ------------------------------------------------------ */

static const uint32_t realm_fids[] = {
	SMCCC_VERSION_FID, PSCI_VERSION_FID, PSCI_CPU_SUSPEND_64,
	PSCI_CPU_OFF_FID, PSCI_CPU_ON_64, PSCI_CPU_ON_32, PSCI_AFFINITY_INFO_64,
	PSCI_AFFINITY_INFO_32, PSCI_SYSTEM_OFF_FID, PSCI_SYSTEM_RESET_FID,
	PSCI_FEATURES_FID, RSI_VERSION, RSI_FEATURES, RSI_MEASUREMENT_READ,
	RSI_MEASUREMENT_EXTEND, RSI_ATTESTATION_TOKEN_INIT,
	RSI_ATTESTATION_TOKEN_CONTINUE, RSI_REALM_CONFIG, RSI_IPA_STATE_SET,
	RSI_IPA_STATE_GET, RSI_HOST_CALL,
};

#define NUM_REALM_FIDS	(sizeof(realm_fids) / sizeof(realm_fids[0]))
#define ESR_IL_BIT	(1ULL << 25)
#define ESR_SMC64	(0x17ULL << ESR_EC_SHIFT | ESR_IL_BIT)
#define SMC_ARGS	4

static void step_set(struct realm_step *s, unsigned int reg, uint64_t val)
{
	if (s->nset == REALM_STEP_REGS)
		return;
	s->reg[s->nset] = reg;
	s->val[s->nset++] = val;
}

/* SMC #0: a realm call of the table (with the SVE hint if sel bit 7), any
 * other FID; x1..x4 as realm arguments. */
static void dec_smc(struct decoder *d, struct realm_step *s)
{
	uint8_t sel = in8(&d->in);
	unsigned int i = sel & 0x7F;
	uint64_t fid;

	if (i % (NUM_REALM_FIDS + 1) < NUM_REALM_FIDS)
		fid = realm_fids[i % (NUM_REALM_FIDS + 1)];
	else
		fid = dec_val(&d->in);
	if (sel & 0x80)
		fid |= SMCCC_SVE_HINT;
	s->ev.kind = REC_EVENT_SMC;
	s->ev.esr = ESR_SMC64;
	s->pc_add = 4;
	step_set(s, 0, fid);
	for (unsigned int r = 1; r <= SMC_ARGS; r++)
		step_set(s, r, dec_arg(&d->in));
}

/* A data abort at ipa; s1, s2 select the syndrome: ISV with SAS, SSE, SF
 * and SRT, WnR, the fault (translation at a level, or external), flags. */
static void dec_data_abort(struct decoder *d, struct realm_step *s)
{
	uint64_t ipa = dec_ipa(&d->in);
	uint8_t s1 = in8(&d->in), s2 = in8(&d->in);
	uint64_t esr = (uint64_t)ESR_EC_DABT_LOWER << ESR_EC_SHIFT | ESR_IL_BIT;

	if (s1 & 1)
		esr |= ESR_DABT_ISV | (uint64_t)((s1 >> 1) & 3) << 22 |
		       (uint64_t)((s1 >> 3) & 1) << 21 | (uint64_t)(s2 & 0x1F) << 16 |
		       (uint64_t)((s1 >> 4) & 1) << 15;
	if (s1 & 0x20)
		esr |= ESR_DABT_WNR;
	if (s1 & 0x40)
		esr |= (s1 & 0x80) ? ESR_FSC_SEA | (uint64_t)((s2 >> 5) & 3) << 11 :
				     0x13ULL + ((s2 >> 5) & 3);
	else
		esr |= 0x04ULL + ((s2 >> 5) & 3);
	s->ev.kind = REC_EVENT_DATA_ABORT;
	s->ev.esr = esr;
	s->ev.ipa = ipa;
	s->ev.far = ipa | ((uint64_t)(s2 & 0x1F) << 3);
	s->ev.value = dec_val(&d->in);
	s->ev.flags = s2 >> 7;
}

/* Any step, field by field: what the encoder writes for "# realm step". */
static void dec_raw_step(struct decoder *d, struct realm_step *s)
{
	unsigned int n;

	s->ev.kind = (enum rec_event_kind)in8(&d->in);
	s->ev.esr = dec_val(&d->in);
	s->ev.far = dec_val(&d->in);
	s->ev.ipa = dec_val(&d->in);
	s->ev.value = dec_val(&d->in);
	s->ev.flags = in8(&d->in);
	s->pc_add = in8(&d->in);
	n = in8(&d->in) % (REALM_STEP_REGS + 1);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int reg = in8(&d->in) % 31;

		step_set(s, reg, dec_val(&d->in));
	}
}

#define STEP_RAW	10

static void dec_step(struct decoder *d, struct realm_step *s)
{
	uint8_t k = in8(&d->in), sel;

	memset(s, 0, sizeof(*s));
	switch (k % (STEP_RAW + 1)) {
	case 0:
		s->ev.kind = REC_EVENT_IRQ;
		break;
	case 1:
		s->ev.kind = REC_EVENT_FIQ;
		break;
	case 2:
		s->ev.kind = REC_EVENT_SERROR;
		s->ev.esr = dec_val(&d->in);
		break;
	case 3:
		s->ev.kind = REC_EVENT_WFX;
		s->ev.esr = (uint64_t)ESR_EC_WFX << ESR_EC_SHIFT | (in8(&d->in) & 1);
		s->pc_add = 4;
		break;
	case 4:
		dec_data_abort(d, s);
		break;
	case 5:
		s->ev.kind = REC_EVENT_INSTR_ABORT;
		s->ev.ipa = dec_ipa(&d->in);
		s->ev.far = s->ev.ipa;
		sel = in8(&d->in);
		s->ev.esr = (uint64_t)ESR_EC_IABT_LOWER << ESR_EC_SHIFT | ESR_IL_BIT |
			    ((sel & 1) ? ESR_FSC_SEA : 0x04ULL + ((sel >> 1) & 3));
		break;
	case 6:
		sel = in8(&d->in);
		s->ev.kind = REC_EVENT_SYSREG;
		s->ev.esr = (uint64_t)ESR_EC_SYSREG << ESR_EC_SHIFT | ESR_IL_BIT |
			    (uint64_t)((sel >> 1) & 0x1F) << 5 | (sel & 1);
		s->ev.value = dec_val(&d->in);
		s->pc_add = 4;
		break;
	case 7:
		dec_smc(d, s);
		break;
	case 8:
		s->ev.kind = REC_EVENT_HVC;
		s->pc_add = 4;
		break;
	case STEP_RAW:
		dec_raw_step(d, s);
		break;
	default:
		/* An event kind the core does not know. */
		s->ev.kind = (enum rec_event_kind)(REC_EVENT_HVC + 1 + (k >> 4));
		break;
	}
}

static void op_realm_steps(struct decoder *d)
{
	struct realm_step steps[WORLD_MAX_STEPS];
	unsigned int n = in8(&d->in) % (WORLD_MAX_STEPS + 1);

	for (unsigned int i = 0; i < n; i++)
		dec_step(d, &steps[i]);
	world_realm(d->w, steps, n);
}

static void op_enter(struct decoder *d)
{
	uint64_t rec = dec_pa(&d->in), run = dec_pa(&d->in);
	uint8_t flags = in8(&d->in), sel = in8(&d->in);
	struct realm_step steps[WORLD_MAX_STEPS];
	unsigned int n;
	uint64_t x[2] = { rec, run };

	write_run_page(d, run, flags & 0x1F, sel);
	n = in8(&d->in) % (WORLD_MAX_STEPS + 1);
	for (unsigned int i = 0; i < n; i++)
		dec_step(d, &steps[i]);
	world_realm(d->w, steps, n);
	call(d, RMI_REC_ENTER, x, 2);
}

static void (*const ops[OP_COUNT])(struct decoder *d) = {
	[OP_CALL] = op_call,
	[OP_CALL_RAW] = op_call_raw,
	[OP_WRITE64] = op_write64,
	[OP_FILL] = op_fill,
	[OP_REALM_PARAMS] = op_realm_params,
	[OP_REC_PARAMS] = op_rec_params,
	[OP_RUN_PAGE] = op_run_page,
	[OP_REALM] = op_realm,
	[OP_REC] = op_rec,
	[OP_RTTS] = op_rtts,
	[OP_DATA] = op_data,
	[OP_DELEGATE] = op_delegate,
	[OP_ENTER] = op_enter,
	[OP_REALM_STEPS] = op_realm_steps,
};

void rmi_seq_decode(struct world *w, const uint8_t *data, size_t size)
{
	struct decoder d = { .w = w, .in = { .p = data, .n = size } };

	world_line(w, "region 0x%llx 0x%llx", WORLD_BASE, WORLD_SIZE);
	while (d.in.pos < d.in.n && budget_left(&d)) {
		uint8_t b = in8(&d.in);

		ops[b < OP_FIRST_OTHER ? OP_CALL : (b - OP_FIRST_OTHER) % OP_COUNT](&d);
	}
}

/* ---- encoding scripts ----------------------------------------------------- */

struct encoder {
	uint8_t buf[16];
	size_t len;
};

static void put8(struct encoder *e, uint8_t b)
{
	e->buf[e->len++] = b;
}

static void put_le(struct encoder *e, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		put8(e, (uint8_t)(v >> (8 * i)));
}

/* The compact forms tried for v, in order; raw if none decodes to v. */
static void enc_compact(enum kind k, struct encoder *e, uint64_t v)
{
	switch (k) {
	case K_PA:
		if (v >= WORLD_BASE && !(v & (PAGE - 1)) &&
		    (v - WORLD_BASE) / PAGE < 0x1000) {
			uint64_t i = (v - WORLD_BASE) / PAGE;

			if (i < 0xE0) {
				put8(e, (uint8_t)i);
			} else {
				put8(e, (uint8_t)(0xE0 | (i >> 8)));
				put8(e, (uint8_t)i);
			}
		}
		break;
	case K_IPA:
		if (!(v & (PAGE - 1)) && v / PAGE < 0x40) {
			put8(e, (uint8_t)(v / PAGE));
		} else if (!(v & (BLOCK_2M - 1)) && v / BLOCK_2M < 0x20) {
			put8(e, (uint8_t)(0x40 | v / BLOCK_2M));
		} else if (!(v & (PAGE - 1)) && v >= UNPROT_40 &&
			   (v - UNPROT_40) / PAGE < 0x40) {
			put8(e, (uint8_t)(0x80 | (v - UNPROT_40) / PAGE));
		} else if (!(v & (PAGE - 1)) && v / PAGE < 0x10000) {
			put8(e, 0xF1);
			put_le(e, v / PAGE, 2);
		}
		break;
	case K_LEVEL:
		if (v < 5)
			put8(e, (uint8_t)v);
		break;
	case K_VAL:
		if (v < 0xE0) {
			put8(e, (uint8_t)v);
		} else if (v < 0x10000) {
			put8(e, 0xF1);
			put_le(e, v, 2);
		} else if (v < 0x100000000ULL) {
			put8(e, 0xF2);
			put_le(e, v, 4);
		}
		break;
	default:
		break;
	}
}

/* Appends v's encoding as kind k to out: a compact form if one decodes back
 * to v, else the raw escape. */
static void encode(enum kind k, uint64_t v, FILE *out)
{
	struct encoder e = { .len = 0 };
	struct input in;

	if (k == K_DESC) {
		encode(K_PA, v & ~(PAGE - 1), out);
		encode(K_VAL, v & (PAGE - 1), out);
		return;
	}
	enc_compact(k, &e, v);
	in = (struct input){ .p = e.buf, .n = e.len };
	if (e.len == 0 || decode(k, &in) != v || in.pos != e.len) {
		e.len = 0;
		put8(&e, RAW);
		put_le(&e, v, 8);
	}
	fwrite(e.buf, 1, e.len, out);
}

struct enc_script {
	const char *name;
	unsigned int line;
	FILE *out;
	/* "# realm: N steps" read, steps to come */
	unsigned int want, have;
	struct realm_step steps[WORLD_MAX_STEPS];
};

static int enc_error(struct enc_script *s, const char *msg, const char *tok)
{
	fprintf(stderr, "%s:%u: %s%s%s\n", s->name, s->line, msg,
		tok != NULL ? ": " : "", tok != NULL ? tok : "");
	return -1;
}

static int enc_numbers(struct enc_script *s, char **tok, unsigned int n,
		       uint64_t *v)
{
	for (unsigned int i = 0; i < n; i++) {
		if (tok[i] == NULL || script_parse_u64(tok[i], &v[i]) != 0)
			return enc_error(s, "bad number", tok[i]);
	}
	return 0;
}

static void put_op(FILE *out, enum op op)
{
	fputc(op == OP_CALL ? 0 : OP_FIRST_OTHER + op, out);
}

static int enc_region(struct enc_script *s, char **tok)
{
	uint64_t v[2];

	if (enc_numbers(s, tok, 2, v) != 0)
		return -1;
	/* The world has one region: the script's must lie in it. */
	if (v[0] != WORLD_BASE || v[1] > WORLD_SIZE)
		return enc_error(s, "region outside the fuzzer's world", NULL);
	return 0;
}

static int enc_write(struct enc_script *s, char **tok, bool is_fill)
{
	uint64_t v[3];

	if (enc_numbers(s, tok, is_fill ? 3 : 2, v) != 0)
		return -1;
	put_op(s->out, is_fill ? OP_FILL : OP_WRITE64);
	encode(K_PA, v[0] & ~(PAGE - 1), s->out);
	fputc((int)(v[0] & 0xFF), s->out);
	fputc((int)((v[0] >> 8) & 0xF), s->out);
	encode(K_VAL, v[1], s->out);
	if (is_fill)
		fputc((int)(v[2] & 0xFF), s->out);
	return 0;
}

static int enc_fid(struct enc_script *s, const char *tok, uint64_t *fid)
{
	char name[64];
	uint32_t f;
	size_t i;

	if (isdigit((unsigned char)tok[0])) {
		if (script_parse_u64(tok, fid) != 0)
			return enc_error(s, "bad function ID", tok);
		return 0;
	}
	for (i = 0; tok[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = (char)toupper((unsigned char)tok[i]);
	name[i] = '\0';
	if (rmi_command_fid(name, &f) != 0)
		return enc_error(s, "unknown RMI command", tok);
	*fid = f;
	return 0;
}

static int enc_call(struct enc_script *s, char **tok)
{
	uint64_t x[6] = { 0 };
	const struct cmd *c;
	unsigned int n = 0, index = 0, kinds = 0;
	uint64_t fid;

	if (tok[0] == NULL || enc_fid(s, tok[0], &fid) != 0)
		return -1;
	while (n < 6 && tok[n + 1] != NULL)
		n++;
	if (enc_numbers(s, tok + 1, n, x) != 0)
		return -1;
	c = fid <= UINT32_MAX ? cmd_of((uint32_t)fid, &index) : NULL;
	while (c != NULL && kinds < CMD_ARGS && c->kinds[kinds] != K_NONE)
		kinds++;
	for (unsigned int i = kinds; c != NULL && i < 6; i++) {
		if (x[i] != 0)
			c = NULL;	/* arguments the command table has no kind for */
	}
	if (c == NULL) {
		put_op(s->out, OP_CALL_RAW);
		encode(K_VAL, fid, s->out);
		for (unsigned int i = 0; i < 6; i++)
			encode(K_VAL, x[i], s->out);
		return 0;
	}
	put_op(s->out, OP_CALL);
	fputc((int)index, s->out);
	for (unsigned int i = 0; i < kinds; i++)
		encode(c->kinds[i], x[i], s->out);
	return 0;
}

/* The realm's steps, each as a raw step, once all announced are read. */
static void enc_realm_steps(struct enc_script *s)
{
	put_op(s->out, OP_REALM_STEPS);
	fputc((int)s->have, s->out);
	for (unsigned int i = 0; i < s->have; i++) {
		const struct realm_step *st = &s->steps[i];

		fputc(STEP_RAW, s->out);
		fputc((int)st->ev.kind, s->out);
		encode(K_VAL, st->ev.esr, s->out);
		encode(K_VAL, st->ev.far, s->out);
		encode(K_VAL, st->ev.ipa, s->out);
		encode(K_VAL, st->ev.value, s->out);
		fputc((int)st->ev.flags, s->out);
		fputc((int)st->pc_add, s->out);
		fputc((int)st->nset, s->out);
		for (unsigned int j = 0; j < st->nset; j++) {
			fputc((int)st->reg[j], s->out);
			encode(K_VAL, st->val[j], s->out);
		}
	}
}

static int enc_realm_line(struct enc_script *s, char *line)
{
	if (strncmp(line, "# realm step", strlen("# realm step")) == 0) {
		if (s->have == s->want ||
		    realm_step_parse(line, &s->steps[s->have]) != 0)
			return enc_error(s, "bad realm step", NULL);
		s->have++;
	} else {
		char *end;
		unsigned long n = strtoul(line + strlen("# realm:"), &end, 10);

		if (end == line + strlen("# realm:") || n > WORLD_MAX_STEPS)
			return enc_error(s, "bad '# realm: N steps' line", NULL);
		s->want = (unsigned int)n;
		s->have = 0;
	}
	if (s->have == s->want)
		enc_realm_steps(s);
	return 0;
}

static int enc_line(struct enc_script *s, char *line)
{
	char *tok[9] = { NULL }, *save = NULL, *hash = strchr(line, '#');
	unsigned int n = 0;

	if (hash != NULL)
		*hash = '\0';
	for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL && n < 8;
	     t = strtok_r(NULL, " \t\r\n", &save))
		tok[n++] = t;
	if (n == 0 || strcmp(tok[0], "state") == 0)
		return 0;
	if (strcmp(tok[0], "region") == 0)
		return enc_region(s, tok + 1);
	if (strcmp(tok[0], "write64") == 0)
		return enc_write(s, tok + 1, false);
	if (strcmp(tok[0], "fill") == 0)
		return enc_write(s, tok + 1, true);
	if (strcmp(tok[0], "call") == 0)
		return enc_call(s, tok + 1);
	return enc_error(s, "unknown statement", tok[0]);
}

int rmi_seq_encode(FILE *in, const char *name, FILE *out)
{
	struct enc_script s = { .name = name, .out = out };
	char *line = NULL;
	size_t cap = 0;
	int ret = 0;

	while (ret == 0 && getline(&line, &cap, in) >= 0) {
		s.line++;
		if (strncmp(line, "# realm", strlen("# realm")) == 0)
			ret = enc_realm_line(&s, line);
		else
			ret = enc_line(&s, line);
	}
	free(line);
	return ret;
}
