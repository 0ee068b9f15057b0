/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSI 1.0 (rsi-1.0.md): the calls a realm makes to the RMM with SMC #0, as
 * rows of the realm-call table of rmi_run.c. Each handler checks the failure
 * conditions in the reference's order, then applies the success effects.
 *
 * Results (rsi-1.0.md 1): x0 = status, x1..x3 = the call's outputs or 0, x4
 * preserved, x5..x30 untouched, except MEASUREMENT_READ which writes x1..x8.
 * Calls that exit to the host (IPA_STATE_SET, HOST_CALL) get their results
 * at the next entry (rmi-1.0.md 9.2 items 5, 7).
 *
 * Realm memory (REALM_CONFIG's granule, the host-call structure, the buffer
 * of TOKEN_CONTINUE) is reached through an RTT walk with the RD granule
 * locked, held while the memory is used: the DATA granule behind the mapping
 * cannot go away meanwhile.
 */
#include <stdbool.h>
#include <string.h>

#include "attest.h"
#include "granule.h"
#include "measure.h"
#include "realm.h"
#include "rec.h"
#include "rsi.h"
#include "s2tt.h"

/* The executor reports an SMC with the PC past it (executor.h). */
#define SMC_INSN_SIZE	4

_Static_assert(RSI_MEASUREMENT_SLOTS == REALM_MEASUREMENTS, "RIM + 4 REMs");
_Static_assert(RSI_MEASUREMENT_SIZE == REALM_MEASUREMENT_SIZE, "64-byte slots");
_Static_assert(RSI_RPV_SIZE == RMI_RPV_SIZE, "the RPV of REALM_CREATE");
_Static_assert(RSI_EMPTY == (int)RMI_EMPTY && RSI_RAM == (int)RMI_RAM &&
	       RSI_DESTROYED == (int)RMI_DESTROYED, "one RIPAS encoding");
/* spec: HOST_CALL fails if the structure crosses a 4 KiB boundary; one
 * aligned to its size never does (rsi-1.0.md 9, second check). */
_Static_assert(RMI_GRANULE_SIZE % sizeof(struct rsi_host_call) == 0,
	       "an aligned host-call structure stays in one granule");

/* ---- realm memory -------------------------------------------------------- */

enum realm_page_status realm_ipa_to_page(struct realm *r, uint64_t ipa,
					 struct realm_page *page)
{
	struct rtt_walk w;
	enum rmi_ripas ripas;
	uint64_t e, pa;

	rtt_walk(r, ipa, S2TT_MAX_LEVEL, &w);
	e = w.table[w.index];
	ripas = s2tte_ripas(e, w.level);
	page->va = NULL;
	page->level = w.level;
	/* spec: EMPTY memory is not the realm's; RAM the host has not
	 * populated and DESTROYED memory are the host's to resolve
	 * (rsi-1.0.md 7.1, 9; rmi-1.0.md 9.3). */
	if (ripas == RMI_EMPTY)
		return REALM_PAGE_EMPTY;
	if (ripas != RMI_RAM || s2tte_hipas(e, w.level) != HIPAS_ASSIGNED)
		return REALM_PAGE_UNMAPPED;
	pa = s2tte_pa(e, w.level) + (ipa & (s2tt_entry_size(w.level) - 1));
	page->va = (uint8_t *)granule_priv(r->rmm, granule_find(r->rmm,
					   pa & ~(RMI_GRANULE_SIZE - 1))) +
		   (pa & (RMI_GRANULE_SIZE - 1));
	return REALM_PAGE_MAPPED;
}

/* ---- results ------------------------------------------------------------- */

static bool granule_aligned(uint64_t addr)
{
	return s2tt_aligned(addr, S2TT_MAX_LEVEL);
}

/* Registers hold memory little-endian (x3 = bytes 0..7, rsi-1.0.md 5). */
static uint64_t le64_load(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void le64_store(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* spec: x0 = status, x1..x3 = outputs, 0 when the call has no such output;
 * no RSI call has an output in x3 (rsi-1.0.md 1, 2). */
static enum rec_action rsi_return(struct rec *rec, uint64_t x0, uint64_t x1,
				  uint64_t x2)
{
	rec->regs.gprs[0] = x0;
	rec->regs.gprs[1] = x1;
	rec->regs.gprs[2] = x2;
	rec->regs.gprs[3] = 0;
	return REC_RESUME;
}

static enum rec_action rsi_error(struct rec *rec, enum rsi_status status)
{
	return rsi_return(rec, status, 0, 0);
}

/* spec: a call touching a realm page the host has not mapped becomes an
 * emulated stage-2 data abort at x1 with the realm's registers unchanged and
 * the PC back on the SMC, which runs again once the host has mapped the page
 * (rmi-1.0.md 9.3). */
static enum rec_action rsi_exit_unmapped(struct rec_run *run, int level)
{
	struct rec *rec = run->rec;

	rec->regs.pc -= SMC_INSN_SIZE;
	exit_unmapped_realm_page(run, rec->regs.gprs[1], level);
	return REC_EXIT;
}

typedef void (*realm_page_fn)(struct rec_run *run, void *va, void *arg);

/*
 * A call's access to the realm page at ipa: fn on rmmemu's view of it, under
 * the RD lock, when it is mapped (returns true). Otherwise *action is the
 * call's answer: RSI_ERROR_INPUT for RIPAS EMPTY, the emulated abort for a
 * page the host has not mapped (rsi-1.0.md 6.2, 7.1, 9).
 */
static bool realm_page_access(struct rec_run *run, uint64_t ipa, realm_page_fn fn,
			      void *arg, enum rec_action *action)
{
	struct realm *r = run->realm;
	enum realm_page_status status;
	struct realm_page page;

	granule_lock(r->g_rd);
	status = realm_ipa_to_page(r, ipa, &page);
	if (status == REALM_PAGE_MAPPED)
		fn(run, page.va, arg);
	granule_unlock(r->g_rd);
	switch (status) {
	case REALM_PAGE_MAPPED:
		return true;
	case REALM_PAGE_EMPTY:
		*action = rsi_error(run->rec, RSI_ERROR_INPUT);
		return false;
	default:
		*action = rsi_exit_unmapped(run, page.level);
		return false;
	}
}

/* ---- version and features ------------------------------------------------ */

/* spec: only 1.0 is accepted; either way x1 (lower) and x2 (higher) report
 * 1.0 (rsi-1.0.md 3). */
enum rec_action rsi_version(struct rec_run *run, uint32_t fid)
{
	struct rec *rec = run->rec;
	uint64_t status = rec->regs.gprs[1] == RSI_ABI_VERSION_1_0 ?
			  RSI_SUCCESS : RSI_ERROR_INPUT;

	(void)fid;
	return rsi_return(rec, status, RSI_ABI_VERSION_1_0, RSI_ABI_VERSION_1_0);
}

/* spec: RSI 1.0 defines no features: every index reads 0 (rsi-1.0.md 4). */
enum rec_action rsi_features(struct rec_run *run, uint32_t fid)
{
	(void)fid;
	return rsi_return(run->rec, RSI_SUCCESS, 0, 0);
}

/* ---- measurements (rsi-1.0.md 5, measurement.md 4) ---------------------- */

/* spec: the 64-byte slot as eight words; with SHA-256 only the first four
 * carry the digest and x5..x8 = 0, which the zero padding of the slot gives
 * (rsi-1.0.md 5.1, measurement.md 1). */
enum rec_action rsi_measurement_read(struct rec_run *run, uint32_t fid)
{
	struct rec *rec = run->rec;
	struct realm *r = run->realm;
	uint64_t index = rec->regs.gprs[1];
	uint64_t words[RSI_MEASUREMENT_SIZE / 8];

	(void)fid;
	if (index >= RSI_MEASUREMENT_SLOTS)
		return rsi_error(rec, RSI_ERROR_INPUT);
	/* The RD lock orders this against EXTEND from another REC. */
	granule_lock(r->g_rd);
	for (size_t i = 0; i < RSI_MEASUREMENT_SIZE / 8; i++)
		words[i] = le64_load(&r->measurements[index][8 * i]);
	granule_unlock(r->g_rd);
	rec->regs.gprs[0] = RSI_SUCCESS;
	for (size_t i = 0; i < RSI_MEASUREMENT_SIZE / 8; i++)
		rec->regs.gprs[1 + i] = words[i];
	return REC_RESUME;
}

/* spec: REM[x1] := H(REM[x1] || the first x2 bytes of x3..x10); the RIM
 * (index 0) cannot be extended (rsi-1.0.md 5.2). */
enum rec_action rsi_measurement_extend(struct rec_run *run, uint32_t fid)
{
	struct rec *rec = run->rec;
	struct realm *r = run->realm;
	uint64_t index = rec->regs.gprs[1], size = rec->regs.gprs[2];
	uint8_t data[RSI_EXTEND_MAX_SIZE];

	(void)fid;
	if (index == 0 || index >= RSI_MEASUREMENT_SLOTS)
		return rsi_error(rec, RSI_ERROR_INPUT);
	if (size > RSI_EXTEND_MAX_SIZE)
		return rsi_error(rec, RSI_ERROR_INPUT);
	for (unsigned int i = 0; i < RSI_EXTEND_MAX_SIZE / 8; i++)
		le64_store(&data[8 * i], rec->regs.gprs[3 + i]);
	granule_lock(r->g_rd);
	measure_extend_rem(r, (unsigned int)index, data, (size_t)size);
	granule_unlock(r->g_rd);
	return rsi_return(rec, RSI_SUCCESS, 0, 0);
}

/* ---- attestation (rsi-1.0.md 6) ------------------------------------------ */

/* spec: the challenge is x1..x8, each register little-endian; the RIM and
 * REMs are taken as they are at INIT (rsi-1.0.md 6.1, attestation.md 2.1). */
static void token_claims(struct rec *rec, struct realm *r, struct attest_claims *c)
{
	for (unsigned int i = 0; i < CCA_CHALLENGE_SIZE / 8; i++)
		le64_store(&c->challenge[8 * i], rec->regs.gprs[1 + i]);
	/* The RD lock orders this against EXTEND from another REC. */
	granule_lock(r->g_rd);
	memcpy(c->rpv, r->rpv, sizeof(c->rpv));
	c->hash_algo = r->hash_algo;
	memcpy(c->rim, r->measurements[0], sizeof(c->rim));
	for (unsigned int i = 0; i < CCA_REALM_REMS; i++)
		memcpy(c->rem[i], r->measurements[1 + i], sizeof(c->rem[i]));
	granule_unlock(r->g_rd);
}

/*
 * spec: no input checks; any token in progress is abandoned; x1 = the upper
 * bound of the token size, the reference's one buffer page per REC. An
 * instance without an attestation key (rmm_set_attestation) fails as the
 * reference does internally: RSI_ERROR_UNKNOWN (rsi-1.0.md 6.1).
 */
enum rec_action rsi_attestation_token_init(struct rec_run *run, uint32_t fid)
{
	struct rec *rec = run->rec;
	struct attest_claims c;

	(void)fid;
	token_claims(rec, run->realm, &c);
	if (attest_token_init(&rec->attest, run->rmm, &c) != 0)
		return rsi_error(rec, RSI_ERROR_UNKNOWN);
	return rsi_return(rec, RSI_SUCCESS, ATTEST_TOKEN_MAX, 0);
}

/* spec: signing is not finished and an interrupt is pending: no bytes, and
 * the interrupt's exit; the realm calls CONTINUE again (rsi-1.0.md 6.2). */
static enum rec_action token_preempted(struct rec_run *run, unsigned int pending)
{
	rsi_return(run->rec, RSI_INCOMPLETE, 0, 0);
	return exit_physical(run, pending);
}

/* spec: EMPTY, then not mapped, then the copy of at most size bytes at
 * granule + offset: INCOMPLETE while bytes are left (also for size 0),
 * SUCCESS with the last one (rsi-1.0.md 6.2). */
struct token_piece {
	uint64_t offset, size;
	size_t copied;
};

static void token_piece_copy(struct rec_run *run, void *va, void *arg)
{
	struct token_piece *p = arg;

	p->copied = attest_token_copy(&run->rec->attest, (uint8_t *)va + p->offset,
				      (size_t)p->size);
}

static enum rec_action token_copy(struct rec_run *run, uint64_t ipa,
				  uint64_t offset, uint64_t size)
{
	struct token_piece piece = { .offset = offset, .size = size };
	struct rec *rec = run->rec;
	enum rec_action action;

	if (!realm_page_access(run, ipa, token_piece_copy, &piece, &action))
		return action;
	return rsi_return(rec, rec->attest.state == ATTEST_TOKEN_NONE ?
			  RSI_SUCCESS : RSI_INCOMPLETE, piece.copied, 0);
}

enum rec_action rsi_attestation_token_continue(struct rec_run *run, uint32_t fid)
{
	struct rec *rec = run->rec;
	struct attest_token *t = &rec->attest;
	uint64_t ipa = rec->regs.gprs[1];
	uint64_t offset = rec->regs.gprs[2], size = rec->regs.gprs[3];

	(void)fid;
	/* spec: [offset, offset + size) within the granule, without overflow;
	 * with offset < 4096 that is size <= 4096 - offset. */
	if (!granule_aligned(ipa) || offset >= RMI_GRANULE_SIZE ||
	    size > RMI_GRANULE_SIZE - offset)
		return rsi_error(rec, RSI_ERROR_INPUT);
	if (!realm_ipa_in_par(run->realm, ipa))
		return rsi_error(rec, RSI_ERROR_INPUT);
	if (t->state == ATTEST_TOKEN_NONE)
		return rsi_error(rec, RSI_ERROR_STATE);
	/* spec: the reference signs here, stopping for a pending interrupt;
	 * the token is complete once signed (rsi-1.0.md 6.2). A signing
	 * failure is internal: RSI_ERROR_UNKNOWN, as for INIT. */
	if (t->state == ATTEST_TOKEN_INIT) {
		unsigned int pending = rec_take_phys(rec);

		if (pending != 0)
			return token_preempted(run, pending);
		if (attest_token_sign(t, run->rmm) != 0)
			return rsi_error(rec, RSI_ERROR_UNKNOWN);
	}
	return token_copy(run, ipa, offset, size);
}

/* ---- memory (rsi-1.0.md 7) ----------------------------------------------- */

/* spec: ipa_width, one byte of hash_algo and the RPV; every other byte of the
 * granule keeps its content (rsi-1.0.md 7.1, observed). */
static void realm_config_write(struct rec_run *run, void *va, void *arg)
{
	const struct realm *r = run->realm;
	struct rsi_realm_config *cfg = va;

	(void)arg;
	cfg->ipa_width = r->s2sz;
	cfg->hash_algo = r->hash_algo == RMI_HASH_SHA_512 ? RSI_HASH_SHA_512 :
							    RSI_HASH_SHA_256;
	memcpy(cfg->rpv, r->rpv, RSI_RPV_SIZE);
}

enum rec_action rsi_realm_config(struct rec_run *run, uint32_t fid)
{
	struct rec *rec = run->rec;
	struct realm *r = run->realm;
	uint64_t ipa = rec->regs.gprs[1];
	enum rec_action action;

	(void)fid;
	if (!granule_aligned(ipa) || !realm_ipa_in_par(r, ipa))
		return rsi_error(rec, RSI_ERROR_INPUT);
	if (!realm_page_access(run, ipa, realm_config_write, NULL, &action))
		return action;
	return rsi_return(rec, RSI_SUCCESS, 0, 0);
}

/*
 * spec: the request is recorded in the REC (progress = base) and the host
 * gets a RIPAS_CHANGE exit (rsi-1.0.md 7.2). x3 is read as the reference's
 * 32-bit enum, and x4 means CHANGE_DESTROYED only when its low 32 bits are 1.
 */
enum rec_action rsi_ipa_state_set(struct rec_run *run, uint32_t fid)
{
	struct rec *rec = run->rec;
	uint64_t base = rec->regs.gprs[1], top = rec->regs.gprs[2];
	uint32_t ripas = (uint32_t)rec->regs.gprs[3];

	(void)fid;
	if (ripas > RSI_RAM)
		return rsi_error(rec, RSI_ERROR_INPUT);
	if (!granule_aligned(base) || !granule_aligned(top))
		return rsi_error(rec, RSI_ERROR_INPUT);
	if (top <= base)
		return rsi_error(rec, RSI_ERROR_INPUT);
	if (!realm_ipa_in_par(run->realm, top - 1))
		return rsi_error(rec, RSI_ERROR_INPUT);
	rec->ripas.pending = true;
	rec->ripas.base = base;
	rec->ripas.top = top;
	rec->ripas.addr = base;
	rec->ripas.ripas = (enum rmi_ripas)ripas;
	rec->ripas.change_destroyed =
		(uint32_t)rec->regs.gprs[4] == RSI_CHANGE_DESTROYED;
	run->exit.exit_reason = RMI_EXIT_RIPAS_CHANGE;
	run->exit.ripas_base = base;
	run->exit.ripas_top = top;
	run->exit.ripas_value = ripas;
	/* x0..x2 are written again at the next entry (rmi-1.0.md 9.2 item
	 * 5); x3 is no output and reads 0. */
	rsi_return(rec, RSI_SUCCESS, 0, 0);
	return REC_EXIT;
}

/* RIPAS of an entry as IPA_STATE_GET reports it (ASSIGNED + RAM is RAM);
 * false for an entry without one (TABLE). */
static bool ipa_state_ripas(uint64_t e, int level, enum rmi_ripas *ripas)
{
	enum s2tte_hipas h = s2tte_hipas(e, level);

	if (h != HIPAS_UNASSIGNED && h != HIPAS_ASSIGNED)
		return false;
	*ripas = s2tte_ripas(e, level);
	return true;
}

/*
 * spec: the RIPAS of the deepest entry covering base, and how far the
 * following entries of that one RTT share it, capped at end (rsi-1.0.md
 * 7.4). In the PAR the walk stops at an UNASSIGNED or ASSIGNED entry.
 */
static uint64_t ipa_state_scan(struct realm *r, uint64_t base, uint64_t end,
			       enum rmi_ripas *ripas)
{
	struct rtt_walk w;
	enum rmi_ripas next;
	uint64_t size, addr;

	rtt_walk(r, base, S2TT_MAX_LEVEL, &w);
	size = s2tt_entry_size(w.level);
	*ripas = s2tte_ripas(w.table[w.index], w.level);
	addr = (base & ~(size - 1)) + size;
	for (unsigned int i = w.index + 1; i < S2TT_ENTRIES && addr < end; i++) {
		if (!ipa_state_ripas(w.table[i], w.level, &next) || next != *ripas)
			break;
		addr += size;
	}
	return addr < end ? addr : end;
}

enum rec_action rsi_ipa_state_get(struct rec_run *run, uint32_t fid)
{
	struct rec *rec = run->rec;
	struct realm *r = run->realm;
	uint64_t base = rec->regs.gprs[1], end = rec->regs.gprs[2], top;
	enum rmi_ripas ripas;

	(void)fid;
	if (!granule_aligned(base) || !realm_ipa_in_par(r, base))
		return rsi_error(rec, RSI_ERROR_INPUT);
	if (!granule_aligned(end) || !realm_ipa_in_par(r, end - 1))
		return rsi_error(rec, RSI_ERROR_INPUT);
	if (base >= end)
		return rsi_error(rec, RSI_ERROR_INPUT);
	granule_lock(r->g_rd);
	top = ipa_state_scan(r, base, end, &ripas);
	granule_unlock(r->g_rd);
	return rsi_return(rec, RSI_SUCCESS, top, ripas);
}

/* ---- host call (rsi-1.0.md 9) -------------------------------------------- */

/* spec: exit.imm and gprs from the structure; the reference reads imm as 4
 * bytes. The realm's registers stay as they are until the next entry. */
static void host_call_exit(struct rec_run *run, void *va, void *arg)
{
	const struct rsi_host_call *hc = va;

	(void)arg;
	run->exit.exit_reason = RMI_EXIT_HOST_CALL;
	run->exit.imm = (uint32_t)hc->imm;
	memcpy(run->exit.gprs, hc->gprs, sizeof(hc->gprs));
}

enum rec_action rsi_host_call(struct rec_run *run, uint32_t fid)
{
	struct rec *rec = run->rec;
	struct realm *r = run->realm;
	uint64_t ipa = rec->regs.gprs[1];
	enum rec_action action;

	(void)fid;
	if (ipa & (sizeof(struct rsi_host_call) - 1))
		return rsi_error(rec, RSI_ERROR_INPUT);
	if (!realm_ipa_in_par(r, ipa))
		return rsi_error(rec, RSI_ERROR_INPUT);
	if (!realm_page_access(run, ipa, host_call_exit, NULL, &action))
		return action;
	/* spec: completed at the next entry (rmi-1.0.md 9.2 item 7). */
	rec->host_call.pending = true;
	rec->host_call.ipa = ipa;
	return REC_EXIT;
}
