/* SPDX-License-Identifier: BSD-3-Clause */
/* What the parts of the NS host share: build.c, run.c, mmio.c. */
#ifndef TOOLS_VMM_INTERNAL_H
#define TOOLS_VMM_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <rmmemu/rmi-1.0.h>

#include "tools/hostmem.h"
#include "vmm.h"

/* x0 of a call that did not reach the RMM (the daemon went away): no RMI
 * return code has bit 62 set. */
#define VMM_RMI_LOST	(1ULL << 62)

/* PL011 and scratch state (mmio.c). */
#define VMM_UART_REGS	(VMM_DEVICE_SIZE / 4)

/* The longest UART line whose hex digits go into a console token. */
#define VMM_CONSOLE_LINE_MAX	4096

struct vmm_mmio {
	pthread_mutex_t lock;
	uint32_t uart[VMM_UART_REGS];	/* registers that keep what is written */
	uint8_t scratch[VMM_DEVICE_SIZE];
	bool sysreg_warned;
	/* The UART's current line, and the console token being read
	 * (cfg.console_token_path). */
	char line[VMM_CONSOLE_LINE_MAX];
	size_t line_len;
	bool line_long;			/* more than line[] held */
	bool in_token;
	bool token_bad;
	uint8_t *token;			/* VMM_SAVE_MAX bytes once started */
	size_t token_len;
	unsigned int tokens_saved;
};

/* One REC and the host thread that runs it (run.c). */
struct vmm_rec {
	struct vmm *v;
	unsigned int index;
	uint64_t pa;
	uint64_t run_pa;		/* its RmiRecRun page */
	struct rmi_rec_run *run;	/* the host's view of it */
	void *chan;
	pthread_t thread;
	bool started;
	/* Under v->lock: whether the host thinks the REC is on (PSCI), and
	 * how many CPU_ONs completed for it. */
	bool on;
	unsigned int on_gen;
	unsigned int gen_at_enter;	/* on_gen when the last REC_ENTER began */
	uint64_t last_fault;		/* IPA of its last RAM fault, + 1; 0: none */
	bool done;
};

struct vmm {
	struct vmm_config cfg;
	struct vmm_backend be;
	void *chan;			/* the builder's channel */
	uint64_t feat0;
	struct vmm_layout layout;
	uint64_t unprot;		/* 2^(s2sz - 1) */

	/* NS host memory: one memfd at VMM_HOST_PA_BASE holding DATA
	 * granules (data_base + (ipa - ram_base)), the staging copy of the
	 * images, and the pool of granules for RDs, RTTs, RECs and pages. */
	struct hostmem mem;
	uint64_t staging_base;
	uint64_t pool_base, pool_next, pool_end;
	uint64_t *pool_free;		/* granules given back */
	unsigned int pool_nfree, pool_cap;
	pthread_mutex_t pool_lock;

	/* RAM pages with a DATA granule (one byte a page), under
	 * populate_lock: all of them with cfg.populate_all, else the image
	 * pages and those populated on first touch (vmm_ram_fault). */
	uint8_t *populated;
	/* The host page mapped at the unprotected alias of each RAM page
	 * (vmm_shared_fault), 0: none; under populate_lock too. */
	uint64_t *shared;
	pthread_mutex_t populate_lock;

	struct vmm_rec rec[VMM_MAX_RECS];
	struct vmm_mmio mmio;

	/* The run (run.c), under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	int code;
	unsigned int threads;		/* REC threads not done */

	struct vmm_stats stats;		/* updated with atomics */
	struct timespec t0;
};

/* Messages on the log, "rmm-run: " first. */
void vmm_msg(struct vmm *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int64_t vmm_now_ns(const struct vmm *v);

/* The host's pointer to NS memory at host PA pa. */
void *vmm_host_ptr(struct vmm *v, uint64_t pa);

/* One RMI call on chan; x0 is returned (VMM_RMI_LOST if the call could not
 * be made, reported), out[0..4] = x0..x4. */
uint64_t vmm_rmi(struct vmm *v, void *chan, uint64_t out[5], uint32_t fid,
		 uint64_t x1, uint64_t x2, uint64_t x3, uint64_t x4, uint64_t x5);
/* "NAME" of the call and its x0, for messages. */
void vmm_rmi_failed(struct vmm *v, uint32_t fid, uint64_t x0, const char *what);

/* Entry size of a stage-2 level (rmi-1.0.md 6.1). */
uint64_t vmm_level_size(int level);
/* RTTs below level `from` down to level `to` at ipa, as the Linux host
 * creates them on (ERROR_RTT, from); an (ERROR_RTT, level - 1) answer
 * means another thread made it. Returns 0 or -1 (reported). */
int vmm_rtt_create_range(struct vmm *v, void *chan, uint64_t ipa, int from, int to);
/* The shallowest level whose entry at ipa lies in [ipa, top). */
int vmm_fit_level(uint64_t ipa, uint64_t top);

/*
 * A stage-2 abort of a REC at the protected IPA ipa: populates the RAM
 * around it on first touch (DATA_CREATE_UNKNOWN of the RAM_FAULT_CHUNK
 * around ipa that is not populated yet). Returns 1 when the realm can
 * retry the access, 0 when ipa is outside RAM or its page was populated
 * and the same REC faults on it again (the realm cannot go on there: its
 * RIPAS is DESTROYED), -1 on an RMI failure (reported).
 */
int vmm_ram_fault(struct vmm_rec *r, uint64_t ipa);

/*
 * An access of a REC at ipa, the unprotected alias of a RAM page: shared
 * memory. The first one maps a host page there (RTT_MAP_UNPROTECTED), so
 * the realm's later accesses reach it without exits. Returns 1 when mapped
 * (the realm retries the access), 0 when ipa is no alias of RAM (MMIO),
 * -1 on failure (reported).
 */
int vmm_shared_fault(struct vmm_rec *r, uint64_t ipa);
/* size bytes of the realm's shared memory at ipa (an unprotected alias);
 * -1 if a page of it was never mapped. */
int vmm_shared_read(struct vmm *v, uint64_t ipa, void *buf, size_t size);

/* MMIO (mmio.c), addr without the unprotected bit. */
void vmm_mmio_init(struct vmm_mmio *m);
void vmm_mmio_fini(struct vmm_mmio *m);
uint64_t vmm_mmio_read(struct vmm *v, uint64_t addr, unsigned int size);
void vmm_mmio_write(struct vmm *v, uint64_t addr, unsigned int size, uint64_t value);

#endif /* TOOLS_VMM_INTERNAL_H */
