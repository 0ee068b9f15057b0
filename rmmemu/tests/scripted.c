/* SPDX-License-Identifier: BSD-3-Clause */
/* The scripted executor and the REC_ENTER fixture of scripted.h. */
#include <stdlib.h>
#include <string.h>

#include "scripted.h"
#include "rmmemu/granule.h"
#include "rmmemu/realm.h"

struct sx sx;

static int sx_run(void *ctx, struct rec *rec, const struct rmi_rec_enter *enter,
		  struct rmi_rec_exit *exit, struct rec_event *ev)
{
	struct sx *s = ctx;
	struct sx_seen *seen;
	struct sx_step *st;

	assert_ptr_equal(s, &sx);
	assert_true(s->nruns < SX_MAX_RUNS);
	/* The REC is marked running and no lock is held while it runs. */
	assert_int_equal(rec->g_rec->refcount, 1);
	seen = &s->seen[s->nruns++];
	seen->rec = rec;
	seen->has_enter = enter != NULL;
	if (enter != NULL)
		seen->enter = *enter;
	seen->regs = rec->regs;
	seen->trap_wfi = rec->trap_wfi;
	seen->trap_wfe = rec->trap_wfe;
	*exit = s->report;
	if (s->error != 0)
		return s->error;
	if (s->pos >= s->nsteps) {
		memset(ev, 0, sizeof(*ev));
		ev->kind = REC_EVENT_IRQ;
		return 0;
	}
	st = &s->steps[s->pos++];
	for (unsigned int i = 0; i < st->nset; i++)
		rec->regs.gprs[st->reg[i]] = st->val[i];
	rec->regs.pc += st->pc_add;
	if (st->hook != NULL)
		st->hook(s, rec);
	*ev = st->ev;
	return 0;
}

static int sx_inject_serror(void *ctx, struct rec *rec, uint64_t iss)
{
	struct sx *s = ctx;

	(void)rec;
	s->serrors++;
	s->serror_iss = iss;
	return 0;
}

const struct rmm_executor_ops sx_ops = {
	.name = "scripted",
	.run = sx_run,
	.inject_serror = sx_inject_serror,
};

/* GIC, timer and PMU values run() reports, with junk everywhere else that
 * the core must not pass on. */
void sx_reset(struct harness *h)
{
	memset(&sx, 0, sizeof(sx));
	sx.h = h;
	memset(&sx.report, 0xEE, sizeof(sx.report));
	sx.report.gicv3_hcr = ~0ULL;
	for (unsigned int i = 0; i < RMI_REC_GIC_LRS_MAX; i++)
		sx.report.gicv3_lrs[i] = 0xA000000000000000ULL | (i + 1);
	sx.report.gicv3_misr = 0x33;
	sx.report.gicv3_vmcr = 0x44;
	sx.report.cntp_ctl = 5;
	sx.report.cntp_cval = 0x666;
	sx.report.cntv_ctl = 1;
	sx.report.cntv_cval = 0x888;
	sx.report.pmu_ovf_status = 1;
}

struct sx_step *sx_push(enum rec_event_kind kind, uint64_t esr,
			uint64_t far, uint64_t ipa, uint64_t value)
{
	struct sx_step *st;

	assert_true(sx.nsteps < SX_MAX_STEPS);
	st = &sx.steps[sx.nsteps++];
	memset(st, 0, sizeof(*st));
	st->ev.kind = kind;
	st->ev.esr = esr;
	st->ev.far = far;
	st->ev.ipa = ipa;
	st->ev.value = value;
	return st;
}

void sx_set(struct sx_step *st, unsigned int reg, uint64_t val)
{
	assert_true(st->nset < SX_MAX_SETS);
	st->reg[st->nset] = reg;
	st->val[st->nset++] = val;
}

/* The realm executes SMC #0 with x0..x3: the executor reports it with the PC
 * past the SMC. */
struct sx_step *sx_smc(uint64_t fid, uint64_t x1, uint64_t x2, uint64_t x3)
{
	struct sx_step *st = sx_push(REC_EVENT_SMC, 0x5E000000, 0, 0, 0);

	sx_set(st, 0, fid);
	sx_set(st, 1, x1);
	sx_set(st, 2, x2);
	sx_set(st, 3, x3);
	st->pc_add = 4;
	return st;
}

struct sx_seen *sx_last_seen(void)
{
	assert_true(sx.nruns > 0);
	return &sx.seen[sx.nruns - 1];
}

struct granule *gr(struct harness *h, uint64_t pa)
{
	return granule_find(h->rmm, pa);
}

uint8_t *fx_realm_mem(struct fx *f, uint64_t ipa)
{
	struct harness *h = f->h;
	uint64_t size, pa;

	assert_rmi(h_call(h, RMI_RTT_READ_ENTRY, f->r.rd, ipa & ~0xFFFULL, 3, 0, 0),
		   RMI_SUCCESS, 0);
	assert_int_equal(h->last_out[2], RMI_ASSIGNED);
	size = 1ULL << (12 + 9 * (3 - h->last_out[1]));
	pa = h->last_out[3] + (ipa & (size - 1));
	return (uint8_t *)granule_priv(h->rmm, gr(h, pa & ~0xFFFULL)) + (pa & 0xFFF);
}

struct rec *rec_of(struct fx *f, unsigned int i)
{
	return gr(f->h, f->rec[i])->rec;
}

struct realm *realm_of(struct fx *f)
{
	return gr(f->h, f->r.rd)->realm;
}

uint64_t rec_create(struct harness *h, const struct h_realm *r,
		    unsigned int index, uint64_t flags)
{
	uint64_t params = h_alloc(h), rec = h_delegated(h);
	struct rmi_rec_params *p = h_ns(h, params);

	memset(p, 0, sizeof(*p));
	p->flags = flags;
	p->mpidr = index;	/* indices below 16: Aff0 */
	p->pc = PC0;
	p->gprs[0] = 0x100 + index;
	p->num_aux = 16;
	for (unsigned int i = 0; i < 16; i++)
		p->aux[i] = h_delegated(h);
	assert_rmi(h_call(h, RMI_REC_CREATE, r->rd, rec, params, 0, 0), RMI_SUCCESS, 0);
	return rec;
}

void fx_recs(struct fx *f)
{
	for (unsigned int i = 0; i < NUM_RECS; i++) {
		f->rec[i] = rec_create(f->h, &f->r, i,
				       i == 0 ? RMI_REC_CREATE_RUNNABLE : 0);
		rec_of(f, i)->regs.vbar_el1 = VBAR;
	}
}

struct fx *fx_new(const struct rmm_config *cfg, bool activate)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->h = h_new(cfg);
	f->num_lrs = (unsigned int)RMI_FIELD_GET(rmm_feature_register0(f->h->rmm),
						 GICV3_NUM_LRS) + 1;
	h_realm_create(f->h, &f->r, S2SZ, RMI_HASH_SHA_256);
	fx_recs(f);
	if (activate)
		assert_rmi(h_call(f->h, RMI_REALM_ACTIVATE, f->r.rd, 0, 0, 0, 0),
			   RMI_SUCCESS, 0);
	f->run = h_alloc(f->h);
	memset(h_ns(f->h, f->run), 0, RMI_GRANULE_SIZE);
	sx_reset(f->h);
	rmm_set_executor(f->h->rmm, &sx_ops, &sx);
	return f;
}

int fx_setup(void **state)
{
	*state = fx_new(NULL, true);
	return 0;
}

int fx_teardown(void **state)
{
	struct fx *f = *state;

	h_free(f->h);
	free(f);
	return 0;
}

struct rmi_rec_enter *enter_of(struct fx *f, uint64_t run)
{
	return h_ns(f->h, run);
}

struct rmi_rec_exit *exit_of(struct fx *f, uint64_t run)
{
	return h_ns(f->h, run + 0x800);
}

/* REC_ENTER of REC i with the given enter flags (the rest of rec_enter as
 * the test left it). */
uint64_t enter(struct fx *f, unsigned int i, uint64_t flags)
{
	enter_of(f, f->run)->flags = flags;
	return h_call(f->h, RMI_REC_ENTER, f->rec[i], f->run, 0, 0, 0);
}

/* The rec_exit every exit that ran the realm has, before the reason's own
 * fields (9.3). */
void expected_exit(const struct fx *f, struct rmi_rec_exit *e, uint64_t reason)
{
	memset(e, 0, sizeof(*e));
	e->exit_reason = reason;
	e->gicv3_hcr = 0xF80040FEULL;
	for (unsigned int i = 0; i < f->num_lrs; i++)
		e->gicv3_lrs[i] = sx.report.gicv3_lrs[i];
	e->gicv3_misr = 0x33;
	e->gicv3_vmcr = 0x44;
	e->cntp_ctl = 5;
	e->cntp_cval = 0x666;
	e->cntv_ctl = 1;
	e->cntv_cval = 0x888;
	e->pmu_ovf_status = 1;
}

/* Field by field for readable failures, then every byte of the 0x800. */
void assert_exit(struct fx *f, const struct rmi_rec_exit *want)
{
	const struct rmi_rec_exit *got = exit_of(f, f->run);

	assert_int_equal(got->exit_reason, want->exit_reason);
	assert_int_equal(got->esr, want->esr);
	assert_int_equal(got->far, want->far);
	assert_int_equal(got->hpfar, want->hpfar);
	for (unsigned int i = 0; i < RMI_REC_GPRS; i++)
		assert_int_equal(got->gprs[i], want->gprs[i]);
	assert_int_equal(got->gicv3_hcr, want->gicv3_hcr);
	for (unsigned int i = 0; i < RMI_REC_GIC_LRS_MAX; i++)
		assert_int_equal(got->gicv3_lrs[i], want->gicv3_lrs[i]);
	assert_int_equal(got->ripas_base, want->ripas_base);
	assert_int_equal(got->ripas_top, want->ripas_top);
	assert_int_equal(got->ripas_value, want->ripas_value);
	assert_int_equal(got->imm, want->imm);
	assert_memory_equal(got, want, sizeof(*got));
}

void assert_exit_reason(struct fx *f, uint64_t reason)
{
	struct rmi_rec_exit e;

	expected_exit(f, &e, reason);
	assert_exit(f, &e);
}

void fill_exit(struct fx *f, uint8_t byte)
{
	memset(exit_of(f, f->run), byte, sizeof(struct rmi_rec_exit));
}

void assert_exit_untouched(struct fx *f, uint8_t byte)
{
	const uint8_t *p = (const uint8_t *)exit_of(f, f->run);

	for (size_t i = 0; i < sizeof(struct rmi_rec_exit); i++)
		assert_int_equal(p[i], byte);
}
