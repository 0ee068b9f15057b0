/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Running the realm: one host thread per REC, each a REC_ENTER loop that
 * handles every exit the way the Linux host does (linux-host.md 4): exits
 * dispatched by reason and, for SYNC, by exception class, each table with an
 * explicit default.
 *
 * REC 0 starts on; the others wait until a PSCI CPU_ON for them completes
 * (PSCI_COMPLETE makes them runnable in the RMM). A REC that calls CPU_OFF
 * waits again. SYSTEM_OFF / SYSTEM_RESET, a fatal exit or the timeout stop
 * the run: the main thread then kicks every REC still inside REC_ENTER until
 * all REC threads have returned.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "rmmemu/rmm.h"

/* PSCI function IDs (rsi-1.0.md 8). */
#define PSCI_CPU_SUSPEND_32	0x84000001U
#define PSCI_CPU_SUSPEND_64	0xC4000001U
#define PSCI_CPU_OFF		0x84000002U
#define PSCI_CPU_ON_32		0x84000003U
#define PSCI_CPU_ON_64		0xC4000003U
#define PSCI_AFFINITY_INFO_32	0x84000004U
#define PSCI_AFFINITY_INFO_64	0xC4000004U
#define PSCI_SYSTEM_OFF		0x84000008U
#define PSCI_SYSTEM_RESET	0x84000009U

/* ESR_EL2 (Arm ARM D17.2.37) as rec_exit reports it. */
#define ESR_EC(esr)		(((esr) >> 26) & 0x3F)
#define EC_WFX			0x01
#define EC_SYSREG		0x18
#define EC_IABT			0x20
#define EC_DABT			0x24
#define ESR_ISV			(1ULL << 24)
#define ESR_SAS(esr)		(((esr) >> 22) & 0x3)
#define ESR_WNR			(1ULL << 6)
#define ESR_SYSREG_READ		1ULL

/* rec_exit.gicv3_hcr carries EOIcount; rec_enter takes the host bits only
 * (rmi-1.0.md 9.1). */
#define GIC_HCR_HOST_BITS	0x40FEULL

/* How often the main thread kicks RECs that have not returned after a stop. */
#define KICK_INTERVAL_MS	10

enum action {
	CONTINUE,	/* enter again */
	STOP,		/* this REC's thread ends (the run stops) */
};

typedef enum action (*exit_fn)(struct vmm_rec *r, const struct rmi_rec_exit *exit,
			       struct rmi_rec_enter *enter);

static const char *const exit_names[] = {
	[RMI_EXIT_SYNC] = "SYNC",
	[RMI_EXIT_IRQ] = "IRQ",
	[RMI_EXIT_FIQ] = "FIQ",
	[RMI_EXIT_PSCI] = "PSCI",
	[RMI_EXIT_RIPAS_CHANGE] = "RIPAS_CHANGE",
	[RMI_EXIT_HOST_CALL] = "HOST_CALL",
	[RMI_EXIT_SERROR] = "SERROR",
};

/* ---- stopping --------------------------------------------------------------- */

/* The first reason to stop wins; every waiting thread wakes up. */
static void run_stop(struct vmm *v, int code)
{
	pthread_mutex_lock(&v->lock);
	if (!v->stop) {
		v->stop = true;
		v->code = code;
	}
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

static enum action fatal(struct vmm_rec *r)
{
	run_stop(r->v, VMM_EXIT_ERROR);
	return STOP;
}

/* ---- SYNC exits ------------------------------------------------------------- */

/* IPA of a stage-2 abort: HPFAR holds IPA[51:12] in bits 43:4 (rmi-1.0.md
 * 9.3), FAR the offset in the page. */
static uint64_t abort_ipa(const struct rmi_rec_exit *exit)
{
	return ((exit->hpfar & ~0xFULL) << 8) | (exit->far & 0xFFF);
}

/*
 * spec: an emulatable abort carries SAS and WnR with SRT cleared, the data
 * of a write in gprs[0]; the host answers a read in enter.gprs[0] and asks
 * the RMM to complete the access with EMULATED_MMIO (rmi-1.0.md 9.2, 9.3).
 */
static enum action sync_data_abort(struct vmm_rec *r, const struct rmi_rec_exit *exit,
				   struct rmi_rec_enter *enter)
{
	struct vmm *v = r->v;
	uint64_t ipa = abort_ipa(exit);
	unsigned int size = 1U << ESR_SAS(exit->esr);

	if (!(ipa & v->unprot)) {
		int ret = vmm_ram_fault(r, ipa);

		if (ret == 1)
			return CONTINUE;	/* populated: the realm retries */
		if (ret == 0)
			vmm_msg(v, "REC %u: stage-2 abort at the protected IPA 0x%" PRIx64
				" (ESR 0x%" PRIx64 "): %s", r->index, ipa, exit->esr,
				ipa >= v->cfg.ram_base && ipa - v->cfg.ram_base < v->cfg.ram_size ?
				"a populated RAM page the realm still cannot access "
				"(its RIPAS is DESTROYED)" : "outside RAM");
		return fatal(r);
	}
	switch (vmm_shared_fault(r, ipa)) {
	case 1:
		return CONTINUE;	/* shared memory now: the realm retries */
	case -1:
		return fatal(r);
	default:
		break;
	}
	if (!(exit->esr & ESR_ISV)) {
		/* As Linux: no syndrome to emulate with, the realm gets an SEA. */
		vmm_msg(v, "REC %u: MMIO access at 0x%" PRIx64 " without a valid syndrome "
			"(ESR 0x%" PRIx64 "): injecting an SEA", r->index, ipa, exit->esr);
		enter->flags |= RMI_REC_ENTER_INJECT_SEA;
		return CONTINUE;
	}
	__atomic_add_fetch(&v->stats.mmio, 1, __ATOMIC_RELAXED);
	if (exit->esr & ESR_WNR)
		vmm_mmio_write(v, ipa & ~v->unprot, size, exit->gprs[0]);
	else
		enter->gprs[0] = vmm_mmio_read(v, ipa & ~v->unprot, size);
	enter->flags |= RMI_REC_ENTER_EMULATED_MMIO;
	return CONTINUE;
}

static enum action sync_instr_abort(struct vmm_rec *r, const struct rmi_rec_exit *exit,
				    struct rmi_rec_enter *enter)
{
	(void)enter;
	vmm_msg(r->v, "REC %u: instruction fetch from the unmapped IPA 0x%" PRIx64
		" (ESR 0x%" PRIx64 ")", r->index, abort_ipa(exit), exit->esr);
	return fatal(r);
}

/*
 * GIC SGI and DIR writes reach the host (rmi-1.0.md 9.3). rmm-run has no
 * interrupt controller yet: writes are dropped and reads answer 0, which is
 * said once.
 */
static enum action sync_sysreg(struct vmm_rec *r, const struct rmi_rec_exit *exit,
			       struct rmi_rec_enter *enter)
{
	struct vmm *v = r->v;

	if (!__atomic_exchange_n(&v->mmio.sysreg_warned, true, __ATOMIC_RELAXED))
		vmm_msg(v, "REC %u: system register trap (ESR 0x%" PRIx64 ") ignored: "
			"no interrupt controller is emulated", r->index, exit->esr);
	if (exit->esr & ESR_SYSREG_READ)
		enter->gprs[0] = 0;
	return CONTINUE;
}

/* rmm-run never asks for WFI / WFE exits; one that comes is a no-op. */
static enum action sync_wfx(struct vmm_rec *r, const struct rmi_rec_exit *exit,
			    struct rmi_rec_enter *enter)
{
	(void)r;
	(void)exit;
	(void)enter;
	return CONTINUE;
}

static enum action sync_unknown(struct vmm_rec *r, const struct rmi_rec_exit *exit,
				struct rmi_rec_enter *enter)
{
	(void)enter;
	vmm_msg(r->v, "REC %u: SYNC exit with exception class 0x%x (ESR 0x%" PRIx64
		") that no host handles", r->index, (unsigned int)ESR_EC(exit->esr), exit->esr);
	return fatal(r);
}

static const exit_fn sync_handlers[64] = {
	[EC_WFX] = sync_wfx,
	[EC_SYSREG] = sync_sysreg,
	[EC_IABT] = sync_instr_abort,
	[EC_DABT] = sync_data_abort,
};

static enum action exit_sync(struct vmm_rec *r, const struct rmi_rec_exit *exit,
			     struct rmi_rec_enter *enter)
{
	exit_fn fn = sync_handlers[ESR_EC(exit->esr)];

	return (fn != NULL ? fn : sync_unknown)(r, exit, enter);
}

/* ---- PSCI ------------------------------------------------------------------- */

/* REC index of a PSCI target MPIDR (rsi-1.0.md 8). */
static unsigned int mpidr_index(uint64_t mpidr)
{
	return (unsigned int)((mpidr & 0xF) | ((mpidr >> 8) & 0xFF) << 4 |
			      ((mpidr >> 16) & 0xFF) << 12 | ((mpidr >> 32) & 0xFF) << 20);
}

/* spec: the RMM takes the result from PSCI_COMPLETE; Linux answers CPU_ON
 * (also for a REC already on) and AFFINITY_INFO with SUCCESS (linux-host.md
 * 4, 7 item 13). Returns the target, or NULL after a fatal error. */
static struct vmm_rec *psci_complete(struct vmm_rec *r, const struct rmi_rec_exit *exit)
{
	struct vmm *v = r->v;
	unsigned int target = mpidr_index(exit->gprs[1]);
	uint64_t out[5], x0;

	if (target >= v->cfg.num_recs) {
		vmm_msg(v, "REC %u: PSCI call for MPIDR 0x%" PRIx64 ", which is no REC",
			r->index, exit->gprs[1]);
		return NULL;
	}
	x0 = vmm_rmi(v, r->chan, out, RMI_PSCI_COMPLETE, r->pa, v->rec[target].pa,
		     PSCI_RET_SUCCESS, 0, 0);
	if (x0 != RMI_SUCCESS) {
		vmm_rmi_failed(v, RMI_PSCI_COMPLETE, x0, "completing a PSCI call");
		return NULL;
	}
	return &v->rec[target];
}

static void rec_power_on(struct vmm_rec *t)
{
	struct vmm *v = t->v;

	pthread_mutex_lock(&v->lock);
	t->on = true;
	t->on_gen++;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

/* The REC is off in the RMM (CPU_OFF, or not runnable at REC_ENTER) unless
 * a CPU_ON completed since its REC_ENTER began. */
static void rec_power_off(struct vmm_rec *r)
{
	struct vmm *v = r->v;

	pthread_mutex_lock(&v->lock);
	if (r->on_gen == r->gen_at_enter)
		r->on = false;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

static enum action exit_psci(struct vmm_rec *r, const struct rmi_rec_exit *exit,
			     struct rmi_rec_enter *enter)
{
	uint32_t fid = (uint32_t)exit->gprs[0];
	struct vmm_rec *t;

	(void)enter;
	switch (fid) {
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
		t = psci_complete(r, exit);
		if (t == NULL)
			return fatal(r);
		rec_power_on(t);
		return CONTINUE;
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
		return psci_complete(r, exit) != NULL ? CONTINUE : fatal(r);
	case PSCI_CPU_OFF:
		rec_power_off(r);
		return CONTINUE;
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
		return CONTINUE;
	case PSCI_SYSTEM_OFF:
		r->v->stats.system_off_ns = vmm_now_ns(r->v);
		run_stop(r->v, VMM_EXIT_OFF);
		return STOP;
	case PSCI_SYSTEM_RESET:
		run_stop(r->v, VMM_EXIT_RESET);
		return STOP;
	default:
		vmm_msg(r->v, "REC %u: PSCI exit for function 0x%x ignored", r->index, fid);
		return CONTINUE;
	}
}

/* ---- RIPAS change, host call, the rest -------------------------------------- */

/*
 * The Linux loop (linux-host.md 4): RTT_SET_RIPAS from ripas_base on, the
 * RMM keeping the progress; on (ERROR_RTT, L) the RTTs below L, as for
 * INIT_RIPAS. Whatever stops the loop early is the realm's to see in the
 * progress address it gets back.
 */
static void set_ripas(struct vmm_rec *r, uint64_t base, uint64_t top)
{
	struct vmm *v = r->v;
	uint64_t addr = base, out[5], x0 = 0;

	while (addr < top) {
		int level;

		x0 = vmm_rmi(v, r->chan, out, RMI_RTT_SET_RIPAS, v->layout.rd, r->pa,
			     addr, top, 0);
		if (x0 == RMI_SUCCESS && out[1] > addr) {
			addr = out[1];
			continue;
		}
		level = (int)RMI_RETURN_INDEX(x0);
		if (RMI_RETURN_STATUS(x0) != RMI_ERROR_RTT || x0 == VMM_RMI_LOST ||
		    level >= vmm_fit_level(addr, top) ||
		    vmm_rtt_create_range(v, r->chan, addr, level, vmm_fit_level(addr, top)) != 0)
			break;
	}
	if (v->cfg.trace && addr < top)
		vmm_msg(v, "REC %u: RIPAS change stopped at 0x%" PRIx64 " (0x%" PRIx64 ")",
			r->index, addr, x0);
}

static enum action exit_ripas_change(struct vmm_rec *r, const struct rmi_rec_exit *exit,
				     struct rmi_rec_enter *enter)
{
	if (r->v->cfg.reject_ripas) {
		enter->flags |= RMI_REC_ENTER_RIPAS_RESPONSE;
		return CONTINUE;
	}
	set_ripas(r, exit->ripas_base, exit->ripas_top);
	return CONTINUE;
}

/* rmm-run's answer to a host call: the realm's registers back, x0 = 0. */
/* VMM_HOST_CALL_SAVE: the realm's shared bytes to cfg.save_path; 0 or 1. */
static uint64_t host_call_save(struct vmm_rec *r, uint64_t ipa, uint64_t size)
{
	struct vmm *v = r->v;
	uint8_t *buf;
	FILE *f;
	int ok;

	if (v->cfg.save_path == NULL) {
		vmm_msg(v, "REC %u: the realm asks to save %" PRIu64 " bytes: no --save "
			"file given", r->index, size);
		return 1;
	}
	if (size > VMM_SAVE_MAX || (buf = malloc(size ? size : 1)) == NULL) {
		vmm_msg(v, "REC %u: cannot save %" PRIu64 " bytes (at most %llu)", r->index,
			size, (unsigned long long)VMM_SAVE_MAX);
		return 1;
	}
	if (vmm_shared_read(v, ipa, buf, size) != 0) {
		vmm_msg(v, "REC %u: save of [0x%" PRIx64 ", +0x%" PRIx64 "): not shared "
			"memory the realm wrote", r->index, ipa, size);
		free(buf);
		return 1;
	}
	f = fopen(v->cfg.save_path, "wb");
	ok = f != NULL && fwrite(buf, 1, size, f) == size;
	if (f != NULL && fclose(f) != 0)
		ok = 0;
	free(buf);
	if (!ok) {
		vmm_msg(v, "cannot write %s: %s", v->cfg.save_path, strerror(errno));
		return 1;
	}
	vmm_msg(v, "REC %u: saved %" PRIu64 " bytes of the realm's to %s", r->index, size,
		v->cfg.save_path);
	return 0;
}

static enum action exit_host_call(struct vmm_rec *r, const struct rmi_rec_exit *exit,
				  struct rmi_rec_enter *enter)
{
	memcpy(enter->gprs, exit->gprs, sizeof(enter->gprs));
	enter->gprs[0] = exit->imm == VMM_HOST_CALL_SAVE ?
			 host_call_save(r, exit->gprs[0], exit->gprs[1]) : 0;
	return CONTINUE;
}

static enum action exit_interrupt(struct vmm_rec *r, const struct rmi_rec_exit *exit,
				  struct rmi_rec_enter *enter)
{
	(void)r;
	(void)exit;
	(void)enter;
	return CONTINUE;
}

static enum action exit_serror(struct vmm_rec *r, const struct rmi_rec_exit *exit,
			       struct rmi_rec_enter *enter)
{
	(void)enter;
	vmm_msg(r->v, "REC %u: SError (ESR 0x%" PRIx64 ")", r->index, exit->esr);
	return fatal(r);
}

static const exit_fn exit_handlers[] = {
	[RMI_EXIT_SYNC] = exit_sync,
	[RMI_EXIT_IRQ] = exit_interrupt,
	[RMI_EXIT_FIQ] = exit_interrupt,
	[RMI_EXIT_PSCI] = exit_psci,
	[RMI_EXIT_RIPAS_CHANGE] = exit_ripas_change,
	[RMI_EXIT_HOST_CALL] = exit_host_call,
	[RMI_EXIT_SERROR] = exit_serror,
};

static void trace_exit(struct vmm_rec *r, const struct rmi_rec_exit *exit)
{
	vmm_msg(r->v, "REC %u: %s esr 0x%" PRIx64 " far 0x%" PRIx64 " hpfar 0x%" PRIx64
		" x0 0x%" PRIx64 " x1 0x%" PRIx64, r->index, exit_names[exit->exit_reason],
		exit->esr, exit->far, exit->hpfar, exit->gprs[0], exit->gprs[1]);
}

static enum action handle_exit(struct vmm_rec *r)
{
	const struct rmi_rec_exit *exit = &r->run->exit;
	struct rmi_rec_enter *enter = &r->run->enter;
	uint64_t reason = exit->exit_reason;

	/* The next entry starts clean, with the GIC state the realm left
	 * (interrupt injection is the executor's matter). */
	enter->flags = 0;
	memset(enter->gprs, 0, sizeof(enter->gprs));
	enter->gicv3_hcr = exit->gicv3_hcr & GIC_HCR_HOST_BITS;
	memcpy(enter->gicv3_lrs, exit->gicv3_lrs, sizeof(enter->gicv3_lrs));
	if (reason >= sizeof(exit_handlers) / sizeof(exit_handlers[0])) {
		vmm_msg(r->v, "REC %u: unknown exit reason %" PRIu64, r->index, reason);
		return fatal(r);
	}
	__atomic_add_fetch(&r->v->stats.exits[reason], 1, __ATOMIC_RELAXED);
	if (r->v->cfg.trace)
		trace_exit(r, exit);
	return exit_handlers[reason](r, exit, enter);
}

/* ---- the REC threads ---------------------------------------------------------- */

/* Waits until the REC is on; false when the run stops instead. */
static bool rec_wait_on(struct vmm_rec *r)
{
	struct vmm *v = r->v;
	bool go;

	pthread_mutex_lock(&v->lock);
	while (!r->on && !v->stop)
		pthread_cond_wait(&v->cond, &v->lock);
	go = !v->stop;
	r->gen_at_enter = r->on_gen;
	pthread_mutex_unlock(&v->lock);
	return go;
}

static void note_first_enter(struct vmm *v)
{
	int64_t none = -1;

	__atomic_compare_exchange_n(&v->stats.first_enter_ns, &none, vmm_now_ns(v), false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* One REC_ENTER and what follows; false when this thread is done. */
static bool rec_step(struct vmm_rec *r)
{
	struct vmm *v = r->v;
	uint64_t out[5], x0;

	note_first_enter(v);
	x0 = vmm_rmi(v, r->chan, out, RMI_REC_ENTER, r->pa, r->run_pa, 0, 0, 0);
	/* spec: (ERROR_REALM, 1) once another REC turned the realm off
	 * (linux-host.md 7 item 3); that REC's thread stops the run. */
	if (x0 == RMI_RETURN(RMI_ERROR_REALM, 1))
		return false;
	/* Not runnable: a CPU_OFF the host has not seen yet. */
	if (x0 == RMI_ERROR_REC) {
		if (v->cfg.trace)
			vmm_msg(v, "REC %u: REC_ENTER says ERROR_REC: taken as off", r->index);
		rec_power_off(r);
		return true;
	}
	if (x0 != RMI_SUCCESS) {
		vmm_rmi_failed(v, RMI_REC_ENTER, x0, "entering a REC");
		fatal(r);
		return false;
	}
	return handle_exit(r) == CONTINUE;
}

static void *rec_thread(void *arg)
{
	struct vmm_rec *r = arg;
	struct vmm *v = r->v;

	while (rec_wait_on(r) && rec_step(r))
		;
	pthread_mutex_lock(&v->lock);
	r->done = true;
	v->threads--;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

/* ---- the main thread ------------------------------------------------------------ */

static bool any_rec_on(const struct vmm *v)
{
	for (unsigned int i = 0; i < v->cfg.num_recs; i++) {
		if (v->rec[i].on && !v->rec[i].done)
			return true;
	}
	return false;
}

static void deadline_in(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Until something stops the run: a REC, the timeout, or every REC off with
 * none left to turn one on. Called with v->lock held. */
static void wait_for_stop(struct vmm *v)
{
	struct timespec deadline;

	deadline_in(&deadline, v->cfg.timeout_ms);
	while (!v->stop) {
		if (!any_rec_on(v)) {
			vmm_msg(v, "every REC is off: nothing can turn one on again");
			v->stop = true;
			v->code = VMM_EXIT_ERROR;
			break;
		}
		if (v->cfg.timeout_ms == 0) {
			pthread_cond_wait(&v->cond, &v->lock);
		} else if (pthread_cond_timedwait(&v->cond, &v->lock, &deadline) == ETIMEDOUT &&
			   !v->stop) {
			vmm_msg(v, "timed out after %u ms", v->cfg.timeout_ms);
			v->stop = true;
			v->code = VMM_EXIT_TIMEOUT;
		}
	}
	pthread_cond_broadcast(&v->cond);
}

/* Kicks every REC whose thread has not returned, again and again: a kick is
 * not remembered, and a REC may be between two REC_ENTERs when it comes.
 * Called with v->lock held; the kicks are made without it. */
static void kick_until_done(struct vmm *v)
{
	while (v->threads > 0) {
		uint64_t pa[VMM_MAX_RECS];
		unsigned int n = 0;
		struct timespec next;

		for (unsigned int i = 0; i < v->cfg.num_recs; i++) {
			if (v->rec[i].started && !v->rec[i].done)
				pa[n++] = v->rec[i].pa;
		}
		pthread_mutex_unlock(&v->lock);
		for (unsigned int i = 0; i < n; i++)
			v->be.ops->kick(v->be.ctx, pa[i]);
		pthread_mutex_lock(&v->lock);
		deadline_in(&next, KICK_INTERVAL_MS);
		if (v->threads > 0)
			pthread_cond_timedwait(&v->cond, &v->lock, &next);
	}
}

static int start_threads(struct vmm *v)
{
	for (unsigned int i = 0; i < v->cfg.num_recs; i++) {
		struct vmm_rec *r = &v->rec[i];
		int err;

		if (v->be.ops->channel_open(v->be.ctx, &r->chan) != 0) {
			vmm_msg(v, "cannot open a channel to the RMM for REC %u", i);
			return -1;
		}
		pthread_mutex_lock(&v->lock);
		v->threads++;
		pthread_mutex_unlock(&v->lock);
		err = pthread_create(&r->thread, NULL, rec_thread, r);
		if (err != 0) {
			vmm_msg(v, "cannot start the thread of REC %u: %s", i, strerror(err));
			pthread_mutex_lock(&v->lock);
			v->threads--;
			pthread_mutex_unlock(&v->lock);
			return -1;
		}
		r->started = true;
	}
	return 0;
}

int vmm_run(struct vmm *v)
{
	int err = start_threads(v);

	pthread_mutex_lock(&v->lock);
	if (err != 0) {
		v->stop = true;
		v->code = VMM_EXIT_ERROR;
		pthread_cond_broadcast(&v->cond);
	} else {
		wait_for_stop(v);
	}
	kick_until_done(v);
	pthread_mutex_unlock(&v->lock);
	for (unsigned int i = 0; i < v->cfg.num_recs; i++) {
		struct vmm_rec *r = &v->rec[i];

		if (r->started)
			pthread_join(r->thread, NULL);
		if (r->chan != NULL)
			v->be.ops->channel_close(v->be.ctx, r->chan);
		r->chan = NULL;
		r->started = false;
	}
	fflush(v->cfg.out);
	return v->code;
}

const struct vmm_stats *vmm_stats(const struct vmm *v)
{
	return &v->stats;
}

/* " NAME MS", or " NAME -" for what did not happen. */
static void print_time(FILE *f, const char *name, int64_t ns)
{
	if (ns < 0)
		fprintf(f, " %s -", name);
	else
		fprintf(f, " %s %.3f", name, (double)ns / 1e6);
}

/* The run's milestones on one line, in the order they happen (what
 * bench/realm-bench reads). */
static void print_times(const struct vmm_stats *s, FILE *f)
{
	fprintf(f, "rmm-run: times (ms after start):");
	print_time(f, "built", s->built_ns);
	fprintf(f, " (%" PRIu64 " RMI calls),", s->build_rmi_calls);
	print_time(f, "first REC_ENTER", s->first_enter_ns);
	fputc(',', f);
	print_time(f, "first UART byte", s->first_uart_ns);
	fputc(',', f);
	print_time(f, "last line", s->last_line_ns);
	fputc(',', f);
	print_time(f, "SYSTEM_OFF", s->system_off_ns);
	fprintf(f, "; %" PRIu64 " RMI calls in all\n", s->rmi_calls);
}

/* --mark: when the realm's output first had the text, or that it never did. */
static void print_mark(const struct vmm *v, FILE *f)
{
	if (v->cfg.mark == NULL)
		return;
	if (v->stats.mark_ns < 0)
		fprintf(f, "rmm-run: mark \"%s\" never seen\n", v->cfg.mark);
	else
		fprintf(f, "rmm-run: mark \"%s\" %.3f ms after start\n", v->cfg.mark,
			(double)v->stats.mark_ns / 1e6);
}

void vmm_print_stats(const struct vmm *v, FILE *f)
{
	const struct vmm_stats *s = &v->stats;
	uint64_t total = 0;

	for (unsigned int i = 0; i <= RMI_EXIT_SERROR; i++)
		total += s->exits[i];
	fprintf(f, "rmm-run: REC exits: %" PRIu64 " (", total);
	for (unsigned int i = 0; i <= RMI_EXIT_SERROR; i++)
		fprintf(f, "%s%s %" PRIu64, i ? ", " : "", exit_names[i], s->exits[i]);
	fprintf(f, ")\nrmm-run: MMIO: %" PRIu64 " emulated, %" PRIu64 " UART bytes, %"
		PRIu64 " reads and %" PRIu64 " writes at no device\n", s->mmio,
		s->uart_bytes, s->mmio_unknown_reads, s->mmio_unknown_writes);
	fprintf(f, "rmm-run: RAM: %" PRIu64 " first touches populated %" PRIu64
		" pages\n", s->ram_faults, v->layout.unknown_pages);
	if (s->first_uart_ns < 0)
		fprintf(f, "rmm-run: no UART output\n");
	else
		fprintf(f, "rmm-run: first UART byte %.3f ms after start (%.3f ms after "
			"the first REC_ENTER)\n", (double)s->first_uart_ns / 1e6,
			(double)(s->first_uart_ns - s->first_enter_ns) / 1e6);
	print_times(s, f);
	print_mark(v, f);
}
