/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the parts of the KVM executor share: kvm.c (set-up, ops), kvm-mem.c
 * (memslots), kvm-regs.c (registers), kvm-run.c (the run loop, exits),
 * kvm-stop.c (kicks, the time slice, the gate), kvm-gic.c (list
 * registers, timers) and kvm-wfx.c (WFI and WFE exits).
 *
 * Lock order: RD granule lock, memslot lock, gate lock, realm lock (vCPU
 * list, set-up, SPI lines). A vCPU belongs to the thread in REC_ENTER (or,
 * between REC_ENTERs, to the RMI call holding its REC lock); other threads
 * touch only its kick and gate fields, with atomics or the gate lock.
 */
#ifndef RMMEMU_EXECUTOR_KVM_INTERNAL_H
#define RMMEMU_EXECUTOR_KVM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "executor/kvm-uapi.h"

#include <rmmemu/rmi-1.0.h>

#include "rmmemu/rec.h"

struct realm;
struct rec_event;

struct kvm_executor {
	int kvm_fd;
	size_t run_size;		/* KVM_GET_VCPU_MMAP_SIZE */
	unsigned int ipa_max;		/* KVM_CAP_ARM_VM_IPA_SIZE */
	unsigned int max_vcpus;
	bool counter_offset;		/* KVM_CAP_COUNTER_OFFSET */
	unsigned int slice_us;
};

/* ---- memslots (kvm-mem.c) ------------------------------------------------ */

struct kvm_slot {
	uint64_t ipa, size, hva;
	uint32_t flags;			/* KVM_MEM_READONLY */
	uint32_t id;
};

struct kvm_slots {
	struct kvm_slot *v;
	unsigned int n, cap;
};

#define KVM_MEM_UNSYNCED	UINT64_MAX

struct kvm_mem {
	pthread_mutex_t lock;
	struct kvm_slots installed;	/* sorted by ipa, disjoint */
	uint64_t gen;			/* realm s2_gen they mirror (atomic) */
	uint32_t *free_ids;
	unsigned int nfree, free_cap;
	uint32_t next_id;
};

/* ---- per realm, per REC --------------------------------------------------- */

struct kvm_vcpu;

struct kvm_realm {
	struct kvm_executor *ex;
	struct realm *r;
	pthread_mutex_t lock;		/* vcpus, set-up */
	int vm_fd;			/* -1 until the first run */
	int vgic_fd;
	bool ready;			/* VM, vCPUs and vGIC set up */
	int setup_error;		/* set-up failed: every run fails */
	struct kvm_vcpu **vcpus;	/* by REC index */
	unsigned int nvcpus;
	struct kvm_mem mem;
	/*
	 * The gate of KVM_RUN (kvm-run.c): memslots change only while it is
	 * closed and no vCPU is inside KVM_RUN, since a fetch from a memslot
	 * being replaced would get an abort from KVM, not an exit.
	 */
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cond;
	unsigned int in_kvm;
	bool gate_closed;
	/* SPI lines raised for list registers, and by which vCPU (+1). */
	uint16_t spi_owner[1024];
};

/* Registers of struct rec_regs, in its order: x0..x30, pc, pstate,
 * sctlr_el1, vbar_el1, elr_el1, spsr_el1, esr_el1, far_el1. */
#define KVM_REG_X(n)		(n)
#define KVM_REG_PC		31
#define KVM_REG_PSTATE		32
#define KVM_REG_SCTLR		33
#define KVM_NUM_REGS		39
#define KVM_REGS_ALL		((1ULL << KVM_NUM_REGS) - 1)
#define KVM_REGS_GPRS		((1ULL << 31) - 1)

enum kvm_mmio_state {
	KVM_MMIO_NONE,
	KVM_MMIO_PENDING,	/* KVM holds an access; no answer yet */
	KVM_MMIO_COMPLETING,	/* answer in kvm_run: the next KVM_RUN completes it */
};

/* WFI and WFE counters of KVM's vCPU statistics (kvm-wfx.c). */
enum { KVM_WFX_WFI, KVM_WFX_WFE, KVM_WFX_KINDS };

/* How often a run the host traps WFx in stops to look at the counters. */
#define KVM_EXEC_WFX_POLL_US	1000U

struct kvm_vcpu {
	struct kvm_realm *kr;
	struct rec *rec;
	unsigned int id;		/* REC index = vCPU id */
	unsigned int kvm_index;		/* creation order (KVM_IRQ_LINE) */
	int fd;				/* -1 until the first run */
	struct kvm_run *run;

	/* What KVM holds, for the registers in known (kvm-regs.c). */
	uint64_t shadow[KVM_NUM_REGS];
	uint64_t known;
	bool loaded;			/* rec->regs went in once */
	enum kvm_mmio_state mmio;

	/* REC_ENTER state (kvm-run.c). */
	uint64_t deadline_ns;		/* end of this REC_ENTER's slice */
	uint64_t run_gen;		/* realm s2_gen the last run began with */
	pthread_t thread;		/* the thread in run(), while in_run */
	bool in_run;			/* inside the gate (atomic) */
	bool kicked;			/* atomic */
	uint64_t sigmask;		/* the kernel sigset given to KVM */
	bool sigmask_set;

	/* List registers of the last REC_ENTER (kvm-gic.c). */
	uint64_t gic_hcr;
	uint64_t gic_lrs[RMI_REC_GIC_LRS_MAX];
	uint16_t ppi_raised;		/* PPIs 16..31 raised for LRs */
	unsigned int spis_owned;	/* SPI lines it raised (kr->spi_owner) */
	uint64_t cntv_cval, cntp_cval;	/* last read */
	uint64_t cntv_ctl, cntp_ctl;	/* as the last exit reported them */
	bool timers_read;		/* an exit reported them */

	/* WFx the host traps (kvm-wfx.c). */
	struct {
		int fd;			/* KVM_GET_STATS_FD; -1 until needed */
		bool unavailable;	/* KVM has no such statistics */
		bool trapping;		/* this run looks for WFx */
		uint64_t off[KVM_WFX_KINDS];	/* counters in fd */
		uint64_t base[KVM_WFX_KINDS];	/* at the run's start */
	} wfx;
};

/* kvm.c */
int kvm_realm_setup(struct kvm_realm *kr);
uint64_t kvm_now_ns(void);

/* kvm-mem.c */
void kvm_mem_init(struct kvm_mem *m);
void kvm_mem_fini(struct kvm_mem *m);
/* Mirrors the RTTs if the realm's stage 2 changed; rd_locked: the caller
 * holds the RD lock. Returns 0 or a negative errno. */
int kvm_mem_sync(struct kvm_realm *kr, bool rd_locked);
/* Whether ipa is inside an installed memslot (an abort there is stale). */
bool kvm_mem_covers(struct kvm_realm *kr, uint64_t ipa);
bool kvm_mem_read32(struct kvm_realm *kr, uint64_t ipa, uint32_t *word);
void kvm_exec_s2_changed(void *ctx, struct realm *r);

/* kvm-regs.c */
int kvm_get_reg(struct kvm_vcpu *v, uint64_t id, uint64_t *val);
int kvm_set_reg(struct kvm_vcpu *v, uint64_t id, uint64_t val);
/* Before a run: what the core changed in rec->regs goes to KVM. */
int kvm_regs_load(struct kvm_vcpu *v);
/* After a run: nothing is known; then the registers in mask are read. */
void kvm_regs_forget(struct kvm_vcpu *v);
int kvm_regs_read(struct kvm_vcpu *v, uint64_t mask);
/* Register i (KVM_REG_*) = val, in KVM and in rec->regs. */
int kvm_regs_write(struct kvm_vcpu *v, unsigned int i, uint64_t val);
/* MMIO access KVM holds: drop it (the realm re-executes the instruction) /
 * let KVM complete it now. */
void kvm_mmio_cancel(struct kvm_vcpu *v);
int kvm_mmio_settle(struct kvm_vcpu *v);
void kvm_exec_sync_regs(void *ctx, struct rec *rec);
int kvm_exec_inject_serror(void *ctx, struct rec *rec, uint64_t iss);

/* kvm-run.c */
int kvm_exec_run(void *ctx, struct rec *rec, const struct rmi_rec_enter *enter,
		 struct rmi_rec_exit *exit, struct rec_event *ev);
void kvm_exec_complete_mmio(void *ctx, struct rec *rec, uint64_t value);
/* One KVM_RUN with immediate_exit: completes what KVM holds, runs nothing. */
int kvm_run_immediate(struct kvm_vcpu *v);

/* kvm-stop.c */
int kvm_run_init(void);
void kvm_exec_kick(void *ctx, struct rec *rec);
/* Stops this thread's run at *deadline_ns (or sooner: then *deadline_ns
 * says when); with poll_us, also that often until kvm_slice_end. */
int kvm_slice_start(uint64_t *deadline_ns, unsigned int poll_us);
/* A run with poll_us is over: no more stops. */
void kvm_slice_end(void);
/* The signal mask of KVM_RUN for this thread, given to the vCPU. */
int kvm_vcpu_sigmask(struct kvm_vcpu *v);
/* The signals that interrupted KVM_RUN, or wait for the next one. */
void kvm_signals_consume(void);
/* Inside the gate, unless the memslots must be synced first (false). */
bool kvm_gate_enter(struct kvm_vcpu *v);
void kvm_gate_leave(struct kvm_vcpu *v);
/* Closes the gate, stopping the vCPUs inside KVM_RUN (they run again once
 * it opens, without an event); then it is theirs to wait for. */
void kvm_gate_close(struct kvm_realm *kr);
void kvm_gate_open(struct kvm_realm *kr);
/* Whether a vCPU is inside the gate now. */
bool kvm_gate_busy(struct kvm_realm *kr);

/* kvm-gic.c */
int kvm_gic_create(struct kvm_realm *kr);
int kvm_gic_init(struct kvm_realm *kr);
void kvm_gic_enter(struct kvm_vcpu *v, const struct rmi_rec_enter *enter);
int kvm_gic_exit(struct kvm_vcpu *v, struct rmi_rec_exit *exit);
/* rmi-1.0.md 9.4 at REC entry: whether a timer output asserted or
 * deasserted since the last exit reported it. */
bool kvm_timer_changed(struct kvm_vcpu *v);
/* When the first enabled, unmasked timer asserts, on kvm_now_ns()'s clock;
 * UINT64_MAX: none within seconds. */
uint64_t kvm_timer_deadline_ns(struct kvm_vcpu *v);

/* kvm-wfx.c */
/* At the start of a run: whether the host traps WFI or WFE and the counters
 * can tell, from now on. */
bool kvm_wfx_begin(struct kvm_vcpu *v);
/* At a stop the realm can go on from: a WFx the host traps since the run
 * began, as ev. */
bool kvm_wfx_event(struct kvm_vcpu *v, struct rec_event *ev);
void kvm_wfx_fini(struct kvm_vcpu *v);

#endif /* RMMEMU_EXECUTOR_KVM_INTERNAL_H */
