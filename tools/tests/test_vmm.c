/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NS host of rmm-run (tools/vmm/) against the core in-process, with the
 * scripted executor of rmmemu/tests/scripted.h standing in for realm code:
 * the RMI sequence that builds the realm and its results in the RTTs, the
 * RIM (against an independent computation and a value worked out by hand),
 * the handling of every REC exit kind on REC threads (UART and scratch
 * MMIO, PSCI with PSCI_COMPLETE, RIPAS changes, host calls, SYSTEM_OFF and
 * SYSTEM_RESET), kicks, timeouts, failures, images and the daemon backend.
 *
 * The scripted executor is one script for all RECs; each step here also
 * names the REC that runs it, and a REC waits in run() until the next step
 * is its own (or it is kicked), so the interleaving of REC threads is the
 * script's.
 */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rmmemu/rsi-1.0.h>

#include "rmmemu/tests/harness.h"
#include "rmmemu/tests/scripted.h"
#include "daemon/server.h"
#include "rmmemu/granule.h"
#include "rmmemu/log.h"
#include "rmmemu/measure.h"
#include "rmmemu/realm.h"
#include "tools/vmm/internal.h"
#include "tools/vmm/vmm.h"

#define RAM_BASE	VMM_RAM_BASE
#define RAM_SIZE	(4ULL << 20)
/* s2sz 32 for 4 MiB of RAM at 1 GiB: the unprotected bit is 2^31. */
#define UNPROT		0x80000000ULL
#define UART		(VMM_UART_BASE | UNPROT)
#define SCRATCH		(VMM_SCRATCH_BASE | UNPROT)
#define IMAGE_SIZE	5000
#define HOST_CALL_IPA	(RAM_BASE + 0x1000)
#define SECONDARY_PC	(RAM_BASE + 0x800)
#define OUTSIDE_RAM	0x50000000ULL

#define ESR_DABT	(0x24ULL << 26 | 1ULL << 25 | 0x07)	/* IL, FSC level 3 */
#define ESR_ISV		(1ULL << 24)
#define ESR_SSE		(1ULL << 21)
#define ESR_SF		(1ULL << 15)
#define ESR_WNR		(1ULL << 6)
#define LR_PENDING	(1ULL << 62)
#define LR_GROUP1	(1ULL << 60)

/* ---- the executor: the scripted one, one REC at a time --------------------- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int owner[SX_MAX_STEPS];
	bool kicked[VMM_MAX_RECS];
	unsigned int kicks;
} tx;

static bool my_turn(unsigned int index)
{
	return sx.pos < sx.nsteps && tx.owner[sx.pos] == index;
}

static int tx_run(void *ctx, struct rec *rec, const struct rmi_rec_enter *enter,
		  struct rmi_rec_exit *exit, struct rec_event *ev)
{
	int ret;

	pthread_mutex_lock(&tx.lock);
	while (!tx.kicked[rec->index] && !my_turn(rec->index))
		pthread_cond_wait(&tx.cond, &tx.lock);
	if (tx.kicked[rec->index]) {
		/* The kick of executor.h: the run ends with an IRQ. */
		tx.kicked[rec->index] = false;
		pthread_mutex_unlock(&tx.lock);
		*exit = sx.report;
		memset(ev, 0, sizeof(*ev));
		ev->kind = REC_EVENT_IRQ;
		return 0;
	}
	ret = sx_ops.run(ctx, rec, enter, exit, ev);
	pthread_cond_broadcast(&tx.cond);
	pthread_mutex_unlock(&tx.lock);
	return ret;
}

static void tx_kick(void *ctx, struct rec *rec)
{
	(void)ctx;
	pthread_mutex_lock(&tx.lock);
	tx.kicked[rec->index] = true;
	tx.kicks++;
	pthread_cond_broadcast(&tx.cond);
	pthread_mutex_unlock(&tx.lock);
}

static const struct rmm_executor_ops tx_ops = {
	.name = "scripted, in turns",
	.run = tx_run,
	.kick = tx_kick,
};

/* Empties the script; the realm reports valid GIC state (two list
 * registers in use), which the host must hand back unchanged. */
static void script_reset(void)
{
	sx_reset(NULL);
	memset(sx.report.gicv3_lrs, 0, sizeof(sx.report.gicv3_lrs));
	sx.report.gicv3_lrs[0] = LR_PENDING | 27;
	sx.report.gicv3_lrs[1] = LR_PENDING | LR_GROUP1 | 30;
	memset(tx.owner, 0, sizeof(tx.owner));
	memset(tx.kicked, 0, sizeof(tx.kicked));
	tx.kicks = 0;
}

static struct sx_step *by(unsigned int rec, struct sx_step *st)
{
	tx.owner[st - sx.steps] = rec;
	return st;
}

/* A data abort at an unprotected IPA with a valid syndrome. */
static struct sx_step *mmio(unsigned int rec, uint64_t ipa, unsigned int sas, bool write,
			    unsigned int srt, uint64_t extra, uint64_t value)
{
	uint64_t esr = ESR_DABT | ESR_ISV | (uint64_t)sas << 22 | (uint64_t)srt << 16 |
		       (write ? ESR_WNR : 0) | extra;

	return by(rec, sx_push(REC_EVENT_DATA_ABORT, esr, ipa, ipa, value));
}

static struct sx_step *call(unsigned int rec, uint64_t fid, uint64_t x1, uint64_t x2,
			    uint64_t x3)
{
	return by(rec, sx_smc(fid, x1, x2, x3));
}

/* ---- a host around the vmm ------------------------------------------------- */

struct host {
	struct rmm *rmm;
	struct vmm_backend be;
	struct vmm *v;
	struct vmm_config cfg;
	char *out, *log;
	size_t out_len, log_len;
	uint8_t image[IMAGE_SIZE];
	uint8_t dtb[100];
	struct vmm_image img;
	struct vmm_blob dtb_blob;
};

static void image_fill(struct host *t)
{
	for (unsigned int i = 0; i < IMAGE_SIZE; i++)
		t->image[i] = (uint8_t)(i * 7 + 3);
	for (unsigned int i = 0; i < sizeof(t->dtb); i++)
		t->dtb[i] = (uint8_t)(0xD0 + i);
	t->dtb_blob = (struct vmm_blob){ t->dtb, sizeof(t->dtb) };
}

/* The host-call structure in the image's second page: imm, then gprs. */
static void image_host_call(struct host *t)
{
	uint64_t hc[32];

	hc[0] = 0x1234;
	for (unsigned int i = 0; i < 31; i++)
		hc[1 + i] = 0xA000 + i;
	memcpy(t->image + 0x1000, hc, sizeof(hc));
}

static struct host *host_new(unsigned int recs)
{
	struct host *t = calloc(1, sizeof(*t));
	char err[128];

	assert_non_null(t);
	image_fill(t);
	assert_int_equal(vmm_image_parse(t->image, sizeof(t->image), RAM_BASE, &t->img,
					 err, sizeof(err)), 0);
	t->rmm = rmm_new(NULL);
	assert_non_null(t->rmm);
	rmm_set_executor(t->rmm, &tx_ops, &sx);
	assert_int_equal(vmm_backend_inproc(t->rmm, &t->be), 0);
	vmm_config_default(&t->cfg);
	t->cfg.ram_size = RAM_SIZE;
	t->cfg.num_recs = recs;
	/* Most tests want all RAM there; test_run_ram_fault the default. */
	t->cfg.populate_all = true;
	t->cfg.out = open_memstream(&t->out, &t->out_len);
	t->cfg.log = open_memstream(&t->log, &t->log_len);
	assert_non_null(t->cfg.out);
	assert_non_null(t->cfg.log);
	script_reset();
	return t;
}

/* vmm_new and vmm_build with the image and, if asked, the DTB. */
static int host_build(struct host *t, bool dtb)
{
	t->v = vmm_new(&t->cfg, &t->be);
	assert_non_null(t->v);
	return vmm_build(t->v, &t->img, dtb ? &t->dtb_blob : NULL, NULL);
}

static int host_run(struct host *t)
{
	int code = vmm_run(t->v);

	fflush(t->cfg.out);
	fflush(t->cfg.log);
	return code;
}

static void host_free(struct host *t)
{
	vmm_free(t->v);
	vmm_backend_free(&t->be);
	rmm_free(t->rmm);
	fclose(t->cfg.out);
	fclose(t->cfg.log);
	free(t->out);
	free(t->log);
	free(t);
}

static void assert_log(struct host *t, const char *text)
{
	fflush(t->cfg.log);
	if (t->log == NULL || strstr(t->log, text) == NULL)
		fail_msg("log \"%s\" does not say \"%s\"", t->log ? t->log : "", text);
}

static uint64_t rmi(struct host *t, uint32_t fid, uint64_t x1, uint64_t x2, uint64_t x3,
		    uint64_t out[5])
{
	uint64_t x[7] = { fid, x1, x2, x3 };

	rmm_call(t->rmm, x, out);
	return out[0];
}

/* RTT_READ_ENTRY at level 3: state, PA, RIPAS. */
static void assert_entry(struct host *t, uint64_t ipa, uint64_t state, uint64_t pa,
			 uint64_t ripas)
{
	uint64_t out[5];

	assert_int_equal(rmi(t, RMI_RTT_READ_ENTRY, vmm_layout(t->v)->rd, ipa, 3, out),
			 RMI_SUCCESS);
	assert_int_equal(out[1], 3);
	assert_int_equal(out[2], state);
	assert_int_equal(out[3], pa);
	assert_int_equal(out[4], ripas);
}

static struct realm *realm_of_host(struct host *t)
{
	return granule_find(t->rmm, vmm_layout(t->v)->rd)->realm;
}

static bool rec_running(struct host *t, unsigned int i)
{
	struct granule *g = granule_find(t->rmm, vmm_layout(t->v)->rec[i]);
	bool running;

	granule_lock(g);
	running = g->refcount != 0;
	granule_unlock(g);
	return running;
}

/* ---- building the realm ------------------------------------------------------- */

static void test_build(void **state)
{
	struct host *t = host_new(2);
	const struct vmm_layout *l;
	struct realm *r;
	uint64_t out[5];

	(void)state;
	assert_int_equal(host_build(t, true), 0);
	l = vmm_layout(t->v);
	/* Linux's geometry for s2sz 32: root level 2, four root RTTs. */
	assert_int_equal(l->s2sz, 32);
	assert_int_equal(l->rtt_level_start, 2);
	assert_int_equal(l->rtt_num_start, 4);
	assert_int_equal(l->entry, RAM_BASE);
	/* The DTB at the top 2 MiB block of RAM. */
	assert_int_equal(l->dtb, RAM_BASE + 0x200000);
	assert_int_equal(l->image_pages, 3);
	assert_int_equal(l->unknown_pages, RAM_SIZE / 4096 - 3);
	/* One level-3 RTT per 2 MiB of RAM, made for DATA_CREATE. */
	assert_int_equal(l->rtts, 2);
	r = realm_of_host(t);
	assert_int_equal(r->state, RMI_REALM_ACTIVE);
	assert_int_equal(r->s2sz, 32);
	assert_int_equal(r->rec_index_next, 2);
	/* Every RAM page ASSIGNED with RIPAS RAM, at consecutive PAs. */
	for (uint64_t off = 0; off < RAM_SIZE; off += 0x1000)
		assert_entry(t, RAM_BASE + off, RMI_ASSIGNED, l->data_base + off, RMI_RAM);
	assert_int_equal(l->data_base & 0x3FFFFFFF, RAM_BASE & 0x3FFFFFFF);
	/* The image's bytes are the realm's. */
	{
		struct granule *g = granule_find(t->rmm, l->data_base + 0x1000);

		assert_memory_equal(granule_priv(t->rmm, g), t->image + 0x1000,
				    IMAGE_SIZE - 0x1000);
	}
	/* REC 0 runnable at the entry with x0 = DTB; REC 1 waits for CPU_ON. */
	{
		struct rec *r0 = granule_find(t->rmm, l->rec[0])->rec;
		struct rec *r1 = granule_find(t->rmm, l->rec[1])->rec;

		assert_true(r0->runnable);
		assert_int_equal(r0->regs.pc, RAM_BASE);
		assert_int_equal(r0->regs.gprs[0], l->dtb);
		assert_false(r1->runnable);
		assert_int_equal(r1->index, 1);
	}
	/* Outside RAM nothing was touched: RIPAS EMPTY at the root level. */
	assert_int_equal(rmi(t, RMI_RTT_READ_ENTRY, l->rd, OUTSIDE_RAM, 3, out), RMI_SUCCESS);
	assert_int_equal(out[1], 2);
	assert_int_equal(out[4], RMI_EMPTY);
	host_free(t);
}

static void test_build_ipa_bits(void **state)
{
	struct host *t = host_new(1);

	(void)state;
	t->cfg.ipa_bits = 40;
	assert_int_equal(host_build(t, false), 0);
	assert_int_equal(vmm_layout(t->v)->rtt_level_start, 1);
	assert_int_equal(vmm_layout(t->v)->rtt_num_start, 2);
	/* Level-1 root: one level-2 RTT for RIPAS, then two level-3 RTTs. */
	assert_int_equal(vmm_layout(t->v)->rtts, 3);
	host_free(t);

	t = host_new(1);
	t->cfg.ipa_bits = 31 + 1;
	t->cfg.ram_size = 2ULL << 30;	/* RAM up to 3 GiB needs 33 bits */
	assert_int_not_equal(host_build(t, false), 0);
	assert_log(t, "IPA width of 32 bits does not fit");
	host_free(t);
}

static void test_build_does_not_fit(void **state)
{
	struct host *t = host_new(1);
	uint8_t big_dtb[8192];
	struct vmm_blob blob = { big_dtb, sizeof(big_dtb) };
	char err[128];

	(void)state;
	assert_int_equal(vmm_image_parse(t->image, sizeof(t->image), RAM_BASE + RAM_SIZE - 4096,
					 &t->img, err, sizeof(err)), 0);
	assert_int_not_equal(host_build(t, false), 0);
	assert_log(t, "does not fit in RAM");
	host_free(t);

	/* Two pages of RAM hold the image or the DTB, not both. */
	memset(big_dtb, 1, sizeof(big_dtb));
	t = host_new(1);
	t->cfg.ram_size = 8192;
	t->v = vmm_new(&t->cfg, &t->be);
	assert_int_not_equal(vmm_build(t->v, &t->img, &blob, NULL), 0);
	assert_log(t, "the DTB (8192 bytes) does not fit");
	host_free(t);
}

/*
 * The RIM rmm-run shows equals the RIM of the same sequence computed with
 * the measurement functions directly: params, one RIPAS descriptor per
 * 2 MiB entry of RAM (RTT_INIT_RIPAS at the level-2 root), DATA descriptors
 * for the image's two pages and the DTB's page in IPA order, the REC
 * descriptor of REC 0 (REC 1 is not runnable: not measured).
 */
static void expected_rim(struct host *t, enum rmi_hash_algo algo, uint8_t rim[64])
{
	struct rmi_realm_params *p = calloc(1, sizeof(*p));
	struct rmi_rec_params *rp = calloc(1, sizeof(*rp));
	struct realm *r = calloc(1, sizeof(*r));
	uint8_t page[4096];

	assert_non_null(p);
	assert_non_null(rp);
	assert_non_null(r);
	r->hash_algo = algo;
	p->s2sz = 32;
	p->num_bps = 1;
	p->num_wps = 1;
	p->hash_algo = algo;
	measure_rim_init(r, p);
	measure_extend_ripas(r, RAM_BASE, RAM_BASE + 0x200000);
	measure_extend_ripas(r, RAM_BASE + 0x200000, RAM_BASE + 0x400000);
	measure_extend_data(r, RAM_BASE, RMI_MEASURE_CONTENT, t->image);
	memset(page, 0, sizeof(page));
	memcpy(page, t->image + 4096, IMAGE_SIZE - 4096);
	measure_extend_data(r, RAM_BASE + 0x1000, RMI_MEASURE_CONTENT, page);
	memset(page, 0, sizeof(page));
	memcpy(page, t->dtb, sizeof(t->dtb));
	measure_extend_data(r, RAM_BASE + 0x200000, RMI_MEASURE_CONTENT, page);
	rp->flags = RMI_REC_CREATE_RUNNABLE;
	rp->pc = RAM_BASE;
	rp->gprs[0] = RAM_BASE + 0x200000;
	measure_extend_rec(r, rp);
	memcpy(rim, r->measurements[0], 64);
	free(p);
	free(rp);
	free(r);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_rim(void **state)
{
	enum rmi_hash_algo algos[] = { RMI_HASH_SHA_256, RMI_HASH_SHA_512 };

	(void)state;
	for (unsigned int i = 0; i < 2; i++) {
		struct host *t = host_new(2);
		size_t n = algos[i] == RMI_HASH_SHA_256 ? 32 : 64;
		char got[129], want[129];
		uint8_t rim[64], slot[64];
		size_t size;

		t->cfg.hash_algo = algos[i];
		assert_int_equal(host_build(t, true), 0);
		assert_int_equal(vmm_rim_hex(t->v, got), 0);
		expected_rim(t, algos[i], rim);
		hex(rim, n, want);
		assert_string_equal(got, want);
		/* The core's accessor: the slot, the digest size, its errors. */
		assert_int_equal(rmm_realm_measurement(t->rmm, vmm_layout(t->v)->rd, 0, slot,
						       &size), 0);
		assert_int_equal(size, n);
		assert_memory_equal(slot, rim, 64);
		assert_int_equal(rmm_realm_measurement(t->rmm, vmm_layout(t->v)->rd, 5, slot,
						       &size), -EINVAL);
		assert_int_equal(rmm_realm_measurement(t->rmm, vmm_layout(t->v)->rec[0], 0,
						       slot, &size), -ENOENT);
		host_free(t);
	}
}

/*
 * The same realm's RIM worked out by hand from measurement.md with Python's
 * hashlib (the script rebuilds the params page, the 256-byte RIPAS, DATA
 * and REC descriptors and chains SHA-256 over them; it reproduces the
 * worked example of measurement.md 5 exactly):
 *   params: flags 0, s2sz 32, num_bps 1, num_wps 1, hash_algo 0
 *   RIPAS [0x40000000, 0x40200000), [0x40200000, 0x40400000)
 *   DATA 0x40000000, 0x40001000 (byte i of the image = (7 i + 3) mod 256,
 *     5000 bytes), 0x40200000 (byte i of the DTB = 0xD0 + i, 100 bytes);
 *     flags 1, pages zero-filled
 *   REC flags 1, pc 0x40000000, gprs[0] 0x40200000
 * With --no-measure the DATA descriptors have flags 0 and no content hash.
 */
#define RIM_BY_HAND	"ce42bf8409d436093200af8305702477c7d454d50324d6d60c112e55809c06e4"

static void test_rim_by_hand(void **state)
{
	struct host *t = host_new(1);
	char got[129];

	(void)state;
	assert_int_equal(host_build(t, true), 0);
	assert_int_equal(vmm_rim_hex(t->v, got), 0);
	assert_string_equal(got, RIM_BY_HAND);
	host_free(t);

	/* Unmeasured contents change the RIM. */
	t = host_new(1);
	t->cfg.measure = false;
	assert_int_equal(host_build(t, true), 0);
	assert_int_equal(vmm_rim_hex(t->v, got), 0);
	assert_string_not_equal(got, RIM_BY_HAND);
	host_free(t);
}

/* ---- running: every exit kind --------------------------------------------------- */

/* Waits (inside REC 0's run) until REC 1 has left REC_ENTER after its
 * CPU_OFF, so that AFFINITY_INFO sees it off. */
static struct host *hook_host;

static void hook_wait_rec1_idle(struct sx *s, struct rec *rec)
{
	(void)s;
	(void)rec;
	for (unsigned int i = 0; i < 5000 && rec_running(hook_host, 1); i++)
		usleep(1000);
}

static void script_full(void)
{
	/* REC 0: "hi\n" on the UART, its flag register, the scratch device,
	 * a sign-extended load, a read at no device, CPU_ON of REC 1. */
	mmio(0, UART, 0, true, 5, 0, 'h');
	mmio(0, UART, 0, true, 5, 0, 'i');
	mmio(0, UART, 2, true, 5, 0, '\n');
	mmio(0, UART + 0x18, 2, false, 3, 0, 0);
	mmio(0, SCRATCH + 8, 3, true, 4, ESR_SF, 0x11223344556677F0ULL);
	mmio(0, SCRATCH + 8, 0, false, 7, ESR_SSE | ESR_SF, 0);
	sx_set(mmio(0, VMM_SCRATCH_BASE + 0x01000000 + UNPROT, 2, false, 9, 0, 0), 9, 0x1234);
	call(0, PSCI_CPU_ON_64, 1, SECONDARY_PC, 0x77);
	/* REC 1: a byte, a host call, RIPAS EMPTY for three pages, reading
	 * it back, AFFINITY_INFO of REC 0, CPU_OFF. */
	mmio(1, UART, 0, true, 1, 0, '1');
	call(1, RSI_HOST_CALL, HOST_CALL_IPA, 0, 0);
	by(1, sx_smc(RSI_IPA_STATE_SET, RAM_BASE + 0x200000, RAM_BASE + 0x203000, RSI_EMPTY));
	call(1, RSI_IPA_STATE_GET, RAM_BASE + 0x200000, RAM_BASE + 0x203000, 0);
	call(1, PSCI_AFFINITY_INFO_64, 0, 0, 0);
	call(1, PSCI_CPU_OFF_FID, 0, 0, 0);
	/* REC 0: AFFINITY_INFO of REC 1, now off; SYSTEM_OFF. */
	call(0, PSCI_AFFINITY_INFO_64, 1, 0, 0)->hook = hook_wait_rec1_idle;
	call(0, PSCI_SYSTEM_OFF_FID, 0, 0, 0);
}

static void check_full_mmio(void)
{
	/* Each emulated access completes: PC + 4, read data into Rt. */
	for (unsigned int i = 1; i <= 7; i++) {
		assert_true(sx.seen[i].has_enter);
		assert_int_equal(sx.seen[i].enter.flags, RMI_REC_ENTER_EMULATED_MMIO);
		assert_int_equal(sx.seen[i].regs.pc, RAM_BASE + 4 * i);
	}
	assert_int_equal(sx.seen[4].regs.gprs[3], 0x90);	/* FR: TXFE | RXFE */
	assert_int_equal(sx.seen[6].regs.gprs[7], 0xFFFFFFFFFFFFFFF0ULL);
	assert_int_equal(sx.seen[7].regs.gprs[9], 0);		/* no device: 0 */
	/* The GIC state of the exit comes back at the next entry. */
	assert_int_equal(sx.seen[1].enter.gicv3_hcr, 0x40FE);
	assert_memory_equal(sx.seen[1].enter.gicv3_lrs, sx.report.gicv3_lrs,
			    sizeof(sx.report.gicv3_lrs));
}

static void check_full_rec1(struct host *t)
{
	/* REC 1 started where CPU_ON said, with the context id in x0. */
	assert_ptr_equal(sx.seen[8].rec, granule_find(t->rmm, vmm_layout(t->v)->rec[1])->rec);
	assert_int_equal(sx.seen[8].regs.pc, SECONDARY_PC);
	assert_int_equal(sx.seen[8].regs.gprs[0], 0x77);
	/* Host call: the realm's registers back with x0 = 0. */
	assert_int_equal(sx.seen[10].enter.gprs[0], 0);
	for (unsigned int i = 1; i < 31; i++)
		assert_int_equal(sx.seen[10].enter.gprs[i], 0xA000 + i);
	assert_int_equal(sx.seen[10].regs.gprs[0], RSI_SUCCESS);
	/* RIPAS change accepted and done to the top. */
	assert_int_equal(sx.seen[11].regs.gprs[0], RSI_SUCCESS);
	assert_int_equal(sx.seen[11].regs.gprs[1], RAM_BASE + 0x203000);
	assert_int_equal(sx.seen[11].regs.gprs[2], RSI_ACCEPT);
	/* IPA_STATE_GET, answered by the RMM in the same REC_ENTER. */
	assert_int_equal(sx.seen[12].regs.gprs[1], RAM_BASE + 0x203000);
	assert_int_equal(sx.seen[12].regs.gprs[2], RSI_EMPTY);
	assert_int_equal(sx.seen[13].regs.gprs[0], PSCI_AFFINITY_ON);
}

static void test_run_full(void **state)
{
	struct host *t = host_new(2);
	const struct vmm_stats *s;
	const struct vmm_layout *l;

	(void)state;
	image_host_call(t);
	t->cfg.mark = "hi";
	assert_int_equal(host_build(t, false), 0);
	hook_host = t;
	script_full();
	assert_int_equal(host_run(t), VMM_EXIT_OFF);
	assert_int_equal(t->out_len, 4);
	assert_memory_equal(t->out, "hi\n1", 4);
	assert_int_equal(sx.pos, sx.nsteps);
	assert_int_equal(sx.nruns, 16);
	check_full_mmio();
	check_full_rec1(t);
	/* CPU_ON completed with SUCCESS, AFFINITY_INFO saw REC 1 off. */
	assert_int_equal(sx.seen[14].regs.gprs[0], PSCI_RET_SUCCESS);
	assert_int_equal(sx.seen[15].regs.gprs[0], PSCI_AFFINITY_OFF);
	l = vmm_layout(t->v);
	assert_entry(t, RAM_BASE + 0x200000, RMI_ASSIGNED, l->data_base + 0x200000, RMI_EMPTY);
	assert_entry(t, RAM_BASE + 0x202000, RMI_ASSIGNED, l->data_base + 0x202000, RMI_EMPTY);
	assert_entry(t, RAM_BASE + 0x203000, RMI_ASSIGNED, l->data_base + 0x203000, RMI_RAM);
	assert_int_equal(realm_of_host(t)->state, RMI_REALM_SYSTEM_OFF);
	s = vmm_stats(t->v);
	assert_int_equal(s->exits[RMI_EXIT_SYNC], 8);
	assert_int_equal(s->exits[RMI_EXIT_PSCI], 5);
	assert_int_equal(s->exits[RMI_EXIT_HOST_CALL], 1);
	assert_int_equal(s->exits[RMI_EXIT_RIPAS_CHANGE], 1);
	assert_int_equal(s->mmio, 8);
	assert_int_equal(s->uart_bytes, 4);
	assert_int_equal(s->mmio_unknown_reads, 1);
	assert_true(s->first_uart_ns >= s->first_enter_ns && s->first_enter_ns >= 0);
	/* The milestones bench/realm-bench reads, in their order. */
	assert_true(s->built_ns >= 0 && s->built_ns <= s->first_enter_ns);
	assert_true(s->build_rmi_calls > 0 && s->rmi_calls > s->build_rmi_calls);
	assert_true(s->last_line_ns >= s->first_uart_ns);
	assert_true(s->system_off_ns >= s->last_line_ns);
	/* "hi" is the first line: it is the mark. */
	assert_true(s->mark_ns >= s->last_line_ns && s->mark_ns <= s->system_off_ns);
	vmm_print_stats(t->v, t->cfg.log);
	assert_log(t, "rmm-run: mark \"hi\" ");
	host_free(t);
}

static void test_run_reset(void **state)
{
	struct host *t = host_new(3);

	(void)state;
	t->cfg.mark = "r";
	assert_int_equal(host_build(t, false), 0);
	mmio(0, UART, 0, true, 0, 0, 'r');
	call(0, PSCI_SYSTEM_RESET_FID, 0, 0, 0);
	assert_int_equal(host_run(t), VMM_EXIT_RESET);
	assert_memory_equal(t->out, "r", 1);
	/* No newline, no SYSTEM_OFF, no line with the mark. */
	assert_int_equal(vmm_stats(t->v)->last_line_ns, -1);
	assert_int_equal(vmm_stats(t->v)->system_off_ns, -1);
	assert_int_equal(vmm_stats(t->v)->mark_ns, -1);
	vmm_print_stats(t->v, t->cfg.log);
	assert_log(t, "rmm-run: mark \"r\" never seen");
	assert_int_equal(realm_of_host(t)->state, RMI_REALM_SYSTEM_OFF);
	host_free(t);
}

/* The realm never stops: the timeout kicks REC 0 out of its run. */
static void test_run_timeout_kicks(void **state)
{
	struct host *t = host_new(2);
	uint64_t rec0;

	(void)state;
	t->cfg.timeout_ms = 50;
	assert_int_equal(host_build(t, false), 0);
	mmio(0, UART, 0, true, 0, 0, 'x');
	assert_int_equal(host_run(t), VMM_EXIT_TIMEOUT);
	assert_log(t, "timed out after 50 ms");
	assert_true(tx.kicks >= 1);
	assert_true(vmm_stats(t->v)->exits[RMI_EXIT_IRQ] >= 1);
	/* rmm_rec_kick: an idle REC is left alone, a non-REC is unknown. */
	rec0 = vmm_layout(t->v)->rec[0];
	assert_int_equal(rmm_rec_kick(t->rmm, rec0), 0);
	assert_int_equal(rmm_rec_kick(t->rmm, vmm_layout(t->v)->rd), -ENOENT);
	assert_int_equal(rmm_rec_kick(t->rmm, rec0 + 8), -ENOENT);
	host_free(t);
}

static void hook_kick_self(struct sx *s, struct rec *rec)
{
	s->hook_ret[0] = (uint64_t)rmm_rec_kick(hook_host->rmm, rec->pa);
}

/* A kick of a REC inside REC_ENTER reaches the executor. */
static void test_kick_running(void **state)
{
	struct host *t = host_new(1);
	unsigned int kicks;

	(void)state;
	assert_int_equal(host_build(t, false), 0);
	hook_host = t;
	mmio(0, UART, 0, true, 0, 0, 'k')->hook = hook_kick_self;
	call(0, PSCI_SYSTEM_OFF_FID, 0, 0, 0);
	assert_int_equal(host_run(t), VMM_EXIT_OFF);
	assert_int_equal(sx.hook_ret[0], 1);
	kicks = tx.kicks;
	assert_true(kicks >= 1);
	/* That kick is the IRQ exit before SYSTEM_OFF. */
	assert_int_equal(vmm_stats(t->v)->exits[RMI_EXIT_IRQ], 1);
	host_free(t);
}

static void test_run_all_off(void **state)
{
	struct host *t = host_new(2);

	(void)state;
	assert_int_equal(host_build(t, false), 0);
	call(0, PSCI_CPU_OFF_FID, 0, 0, 0);
	assert_int_equal(host_run(t), VMM_EXIT_ERROR);
	assert_log(t, "every REC is off");
	host_free(t);
}

/* RAM outside RAM: the host makes it RIPAS RAM (creating the level-3 RTT
 * the unaligned range needs), the realm touches it: a non-emulatable
 * abort, which stops rmm-run. */
static void test_run_abort_outside_ram(void **state)
{
	struct host *t = host_new(1);
	uint64_t esr = 0x24ULL << 26 | 0x07;

	(void)state;
	assert_int_equal(host_build(t, false), 0);
	call(0, RSI_IPA_STATE_SET, OUTSIDE_RAM, OUTSIDE_RAM + 0x2000, RSI_RAM);
	by(0, sx_push(REC_EVENT_DATA_ABORT, esr, OUTSIDE_RAM + 0x1010, OUTSIDE_RAM + 0x1010, 0));
	assert_int_equal(host_run(t), VMM_EXIT_ERROR);
	assert_int_equal(sx.seen[1].regs.gprs[1], OUTSIDE_RAM + 0x2000);
	assert_int_equal(vmm_layout(t->v)->rtts, 2 + 1);
	assert_log(t, "stage-2 abort at the protected IPA 0x50001000");
	host_free(t);
}

/*
 * Populated on first touch (the default): only the image before the run;
 * an abort at an unpopulated RAM page populates its 2 MiB chunk and the
 * realm goes on; a second abort of the same REC at a page populated for it
 * ends the run.
 */
static void test_run_ram_fault(void **state)
{
	struct host *t = host_new(1);
	uint64_t esr = 0x24ULL << 26 | 0x07, page = RAM_BASE + 0x234000;
	const struct vmm_layout *l;

	(void)state;
	t->cfg.populate_all = false;
	assert_int_equal(host_build(t, false), 0);
	l = vmm_layout(t->v);
	assert_int_equal(l->image_pages, 2);
	assert_int_equal(l->unknown_pages, 0);
	assert_entry(t, RAM_BASE + 0x2000, RMI_UNASSIGNED, 0, RMI_RAM);
	by(0, sx_push(REC_EVENT_DATA_ABORT, esr, page + 0x18, page + 0x18, 0));
	by(0, sx_push(REC_EVENT_DATA_ABORT, esr, page + 0x18, page + 0x18, 0));
	assert_int_equal(host_run(t), VMM_EXIT_ERROR);
	/* The second 2 MiB of RAM, all of it, and nothing else. */
	assert_int_equal(l->unknown_pages, 512);
	assert_int_equal(vmm_stats(t->v)->ram_faults, 1);
	assert_entry(t, RAM_BASE + 0x200000, RMI_ASSIGNED, l->data_base + 0x200000, RMI_RAM);
	assert_entry(t, page, RMI_ASSIGNED, l->data_base + 0x234000, RMI_RAM);
	assert_entry(t, RAM_BASE + 0x3FF000, RMI_ASSIGNED, l->data_base + 0x3FF000, RMI_RAM);
	assert_entry(t, RAM_BASE + 0x1FF000, RMI_UNASSIGNED, 0, RMI_RAM);
	assert_log(t, "a populated RAM page the realm still cannot access");
	host_free(t);
}

/* The shared page of test_run_shared_save, as the realm writes it. */
#define SHARED		((RAM_BASE + 0x300000) | UNPROT)

static void hook_realm_writes_shared(struct sx *s, struct rec *rec)
{
	struct vmm *v = hook_host->v;
	uint64_t out[5];

	(void)s;
	(void)rec;
	assert_int_equal(rmi(hook_host, RMI_RTT_READ_ENTRY, v->layout.rd, SHARED, 3, out),
			 RMI_SUCCESS);
	assert_int_equal(out[2], RMI_ASSIGNED);
	memcpy((uint8_t *)vmm_host_ptr(v, out[3] & ~0xFFFULL) + 0x10, "token", 5);
}

/*
 * Shared memory and the save host call: a save of memory never shared
 * fails; the realm's first access to the unprotected alias of RAM maps a
 * host page there (no emulation: the access is retried); then the save
 * writes what the realm put there to cfg.save_path.
 */
static void test_run_shared_save(void **state)
{
	struct host *t = host_new(1);
	char path[] = "/tmp/rmm-run-save-XXXXXX", got[8] = { 0 };
	uint64_t hc[32] = { VMM_HOST_CALL_SAVE, SHARED + 0x10, 5 };
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	t->cfg.save_path = path;
	/* Two host-call structures: the answer overwrites the first's x0. */
	memcpy(t->image + 0x1000, hc, sizeof(hc));
	memcpy(t->image + 0x1100, hc, sizeof(hc));
	assert_int_equal(host_build(t, false), 0);
	hook_host = t;
	call(0, RSI_HOST_CALL, HOST_CALL_IPA, 0, 0);
	mmio(0, SHARED + 0x10, 2, true, 1, 0, 0x656b6f74);
	call(0, RSI_HOST_CALL, HOST_CALL_IPA + 0x100, 0, 0)->hook = hook_realm_writes_shared;
	call(0, PSCI_SYSTEM_OFF_FID, 0, 0, 0);
	assert_int_equal(host_run(t), VMM_EXIT_OFF);
	assert_int_equal(sx.seen[1].enter.gprs[0], 1);
	assert_log(t, "not shared memory the realm wrote");
	assert_int_equal(sx.seen[2].enter.flags, 0);	/* retried, not emulated */
	assert_int_equal(sx.seen[3].enter.gprs[0], 0);
	assert_int_equal(vmm_stats(t->v)->mmio, 0);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, sizeof(got), f), 5);
	fclose(f);
	unlink(path);
	assert_string_equal(got, "token");
	assert_log(t, "saved 5 bytes");
	host_free(t);
}

static void test_run_reject_ripas(void **state)
{
	struct host *t = host_new(1);
	uint64_t out[5];

	(void)state;
	t->cfg.reject_ripas = true;
	assert_int_equal(host_build(t, false), 0);
	call(0, RSI_IPA_STATE_SET, OUTSIDE_RAM, OUTSIDE_RAM + 0x2000, RSI_RAM);
	call(0, PSCI_SYSTEM_OFF_FID, 0, 0, 0);
	assert_int_equal(host_run(t), VMM_EXIT_OFF);
	assert_true(sx.seen[1].enter.flags & RMI_REC_ENTER_RIPAS_RESPONSE);
	assert_int_equal(sx.seen[1].regs.gprs[0], RSI_SUCCESS);
	assert_int_equal(sx.seen[1].regs.gprs[1], OUTSIDE_RAM);
	assert_int_equal(sx.seen[1].regs.gprs[2], RSI_REJECT);
	/* Nothing changed in the RTTs. */
	assert_int_equal(rmi(t, RMI_RTT_READ_ENTRY, vmm_layout(t->v)->rd, OUTSIDE_RAM, 3, out),
			 RMI_SUCCESS);
	assert_int_equal(out[1], 2);
	assert_int_equal(out[4], RMI_EMPTY);
	host_free(t);
}

/* No syndrome at an unprotected IPA: as Linux, an SEA for the realm. */
static void test_run_no_syndrome(void **state)
{
	struct host *t = host_new(1);

	(void)state;
	assert_int_equal(host_build(t, false), 0);
	by(0, sx_push(REC_EVENT_DATA_ABORT, ESR_DABT | ESR_WNR, UART, UART, 0));
	call(0, PSCI_SYSTEM_OFF_FID, 0, 0, 0);
	assert_int_equal(host_run(t), VMM_EXIT_OFF);
	assert_int_equal(sx.seen[1].enter.flags, RMI_REC_ENTER_INJECT_SEA);
	/* The SEA vector (VBAR 0, from EL1h). */
	assert_int_equal(sx.seen[1].regs.pc, 0x200);
	assert_int_equal(t->out_len, 0);
	assert_log(t, "without a valid syndrome");
	host_free(t);
}

static void test_run_serror(void **state)
{
	struct host *t = host_new(1);

	(void)state;
	assert_int_equal(host_build(t, false), 0);
	by(0, sx_push(REC_EVENT_SERROR, 0xBE000000ULL | 1ULL << 24, 0, 0, 0));
	assert_int_equal(host_run(t), VMM_EXIT_ERROR);
	assert_log(t, "SError");
	host_free(t);
}

/* ---- images ---------------------------------------------------------------------- */

static size_t elf_build(uint8_t *buf, uint16_t machine)
{
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
			     EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = machine, .e_version = EV_CURRENT,
		.e_entry = RAM_BASE + 0x2008, .e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 3,
	};
	Elf64_Phdr ph[3] = {
		{ .p_type = PT_LOAD, .p_offset = 0x100, .p_paddr = RAM_BASE + 0x2000,
		  .p_vaddr = 0xFFFF000000000000ULL, .p_filesz = 0x10, .p_memsz = 0x10 },
		{ .p_type = PT_NOTE, .p_offset = 0x110, .p_filesz = 4, .p_memsz = 4 },
		{ .p_type = PT_LOAD, .p_offset = 0x110, .p_paddr = RAM_BASE + 0x5000,
		  .p_filesz = 0x8, .p_memsz = 0x3000 },
	};

	memset(buf, 0, 0x200);
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), ph, sizeof(ph));
	for (unsigned int i = 0x100; i < 0x118; i++)
		buf[i] = (uint8_t)i;
	return 0x118;
}

static void test_image_elf(void **state)
{
	uint8_t buf[0x200];
	struct vmm_image img;
	size_t n = elf_build(buf, EM_AARCH64);
	char err[128];

	(void)state;
	assert_true(vmm_image_is_elf(buf, n));
	assert_int_equal(vmm_image_parse(buf, n, 0x1234, &img, err, sizeof(err)), 0);
	assert_int_equal(img.entry, RAM_BASE + 0x2008);
	assert_int_equal(img.nseg, 2);
	/* Loaded at the physical address. */
	assert_int_equal(img.seg[0].ipa, RAM_BASE + 0x2000);
	assert_ptr_equal(img.seg[0].data, buf + 0x100);
	assert_int_equal(img.seg[1].ipa, RAM_BASE + 0x5000);
	assert_int_equal(img.seg[1].filesz, 8);
	assert_int_equal(img.seg[1].memsz, 0x3000);

	n = elf_build(buf, EM_X86_64);
	assert_int_not_equal(vmm_image_parse(buf, n, 0, &img, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "AArch64"));
	n = elf_build(buf, EM_AARCH64);
	assert_int_not_equal(vmm_image_parse(buf, 0x100, 0, &img, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "outside the file"));
	assert_int_not_equal(vmm_image_parse(buf, 0, 0, &img, err, sizeof(err)), 0);
	/* Anything else is flat. */
	assert_int_equal(vmm_image_parse((const uint8_t *)"flat", 4, 0x40100000, &img, err,
					 sizeof(err)), 0);
	assert_int_equal(img.nseg, 1);
	assert_int_equal(img.entry, 0x40100000);
}

/* An ELF realm: its segments' pages are measured where they go; the rest
 * of the bss-like tail is zero. */
static void test_build_elf(void **state)
{
	struct host *t = host_new(1);
	uint8_t buf[0x200];
	size_t n = elf_build(buf, EM_AARCH64);
	char err[128];

	(void)state;
	assert_int_equal(vmm_image_parse(buf, n, 0, &t->img, err, sizeof(err)), 0);
	assert_int_equal(host_build(t, false), 0);
	/* 0x2000 and 0x5000..0x8000 */
	assert_int_equal(vmm_layout(t->v)->image_pages, 4);
	assert_int_equal(granule_find(t->rmm, vmm_layout(t->v)->rec[0])->rec->regs.pc,
			 RAM_BASE + 0x2008);
	{
		struct granule *g = granule_find(t->rmm, vmm_layout(t->v)->data_base + 0x5000);
		const uint8_t *p = granule_priv(t->rmm, g);

		assert_memory_equal(p, buf + 0x110, 8);
		assert_int_equal(p[8], 0);
	}
	host_free(t);
}

/* ---- the daemon ------------------------------------------------------------------ */

/* The same realm through the daemon: the RIM from its state text equals the
 * in-process one; without an executor there the realm never gets to
 * anything, the timeout stops it and the kicks travel as KICK messages. */
static void test_daemon(void **state)
{
	struct server_opts opts = { 0 };
	struct server *srv;
	struct host *t = host_new(2), *ref = host_new(2);
	char dir[] = "/tmp/rmm-run-test-XXXXXX", sock[64], err[128], got[129], want[129];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	opts.socket_path = sock;
	assert_int_equal(server_start(&opts, &srv), 0);
	vmm_backend_free(&t->be);
	if (vmm_backend_daemon(sock, &t->be, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	t->cfg.timeout_ms = 100;
	assert_int_equal(host_build(t, true), 0);
	assert_int_equal(vmm_rim_hex(t->v, got), 0);
	assert_int_equal(host_build(ref, true), 0);
	assert_int_equal(vmm_rim_hex(ref->v, want), 0);
	assert_string_equal(got, want);
	assert_int_equal(host_run(t), VMM_EXIT_TIMEOUT);
	assert_true(vmm_stats(t->v)->exits[RMI_EXIT_IRQ] > 0);
	host_free(t);
	host_free(ref);
	server_stop(srv);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_ipa_bits),
		cmocka_unit_test(test_build_does_not_fit),
		cmocka_unit_test(test_rim),
		cmocka_unit_test(test_rim_by_hand),
		cmocka_unit_test(test_run_full),
		cmocka_unit_test(test_run_reset),
		cmocka_unit_test(test_run_timeout_kicks),
		cmocka_unit_test(test_kick_running),
		cmocka_unit_test(test_run_all_off),
		cmocka_unit_test(test_run_abort_outside_ram),
		cmocka_unit_test(test_run_ram_fault),
		cmocka_unit_test(test_run_shared_save),
		cmocka_unit_test(test_run_reject_ripas),
		cmocka_unit_test(test_run_no_syndrome),
		cmocka_unit_test(test_run_serror),
		cmocka_unit_test(test_image_elf),
		cmocka_unit_test(test_build_elf),
		cmocka_unit_test(test_daemon),
	};

	pthread_mutexattr_t attr;

	/* Recursive: a hook inside run() may kick its own REC. */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&tx.lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_cond_init(&tx.cond, NULL);
	rmm_log_set_level(RMM_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
