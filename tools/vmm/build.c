/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building a realm with the RMI sequence of the Linux CCA host (reference
 * linux-host.md 3, in the v10 order the RIM depends on): RD and root RTTs,
 * REALM_CREATE with the root level Linux derives from s2sz, REC_AUX_COUNT,
 * RTT_INIT_RIPAS over all RAM (RTTs created on (ERROR_RTT, L)), DATA_CREATE
 * of every image page (RTTs created on demand), DATA_CREATE_UNKNOWN of the
 * rest of RAM, REC_CREATE in index order, REALM_ACTIVATE.
 *
 * The image pages are populated before the realm runs; the rest of RAM
 * too with cfg.populate_all, else on first touch (vmm_ram_fault): a
 * stage-2 abort at an unpopulated RAM IPA populates the chunk around it
 * and the realm retries the access. Either way the RIM is the same
 * (DATA_CREATE_UNKNOWN measures nothing). DATA granules
 * are one run of host PAs in IPA order (data_base + ipa - ram_base, with
 * data_base congruent to ram_base modulo 1 GiB): an executor maps RAM with
 * few memslots and the RTT entries could be folded into blocks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "rmmemu/rmm.h"

#define GRANULE		RMI_GRANULE_SIZE
#define SZ_2M		(2ULL << 20)
#define SZ_1G		(1ULL << 30)
/* RTT granules kept for RIPAS changes of the running realm. */
#define POOL_SPARE_RTTS	256
/* Host pages the realm may share (vmm_shared_fault): 1 MiB. */
#define POOL_SHARED	256
/* RTT_MAP_UNPROTECTED's attributes: MemAttr normal write-back, S2AP
 * read/write, as Linux gives them (rmi-1.0.md 5.5). */
#define NS_DESC_ATTRS	0xD8ULL

static uint64_t align_down(uint64_t x, uint64_t a)
{
	return x & ~(a - 1);
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* ---- messages, calls ----------------------------------------------------- */

void vmm_msg(struct vmm *v, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line: REC threads report at the same time. */
	fprintf(v->cfg.log, "rmm-run: %s\n", line);
}

int64_t vmm_now_ns(const struct vmm *v)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - v->t0.tv_sec) * 1000000000 +
	       (now.tv_nsec - v->t0.tv_nsec);
}

void *vmm_host_ptr(struct vmm *v, uint64_t pa)
{
	return v->mem.map + (pa - VMM_HOST_PA_BASE);
}

uint64_t vmm_rmi(struct vmm *v, void *chan, uint64_t out[5], uint32_t fid,
		 uint64_t x1, uint64_t x2, uint64_t x3, uint64_t x4, uint64_t x5)
{
	uint64_t x[7] = { fid, x1, x2, x3, x4, x5, 0 };
	int err = v->be.ops->call(chan, x, out);

	__atomic_add_fetch(&v->stats.rmi_calls, 1, __ATOMIC_RELAXED);
	if (err != 0) {
		vmm_msg(v, "RMI %s could not be made: %s", rmi_command_name(fid),
			v->be.ops->error(v->be.ctx, err));
		out[0] = VMM_RMI_LOST;
	}
	return out[0];
}

void vmm_rmi_failed(struct vmm *v, uint32_t fid, uint64_t x0, const char *what)
{
	if (x0 == VMM_RMI_LOST)
		return;		/* reported by vmm_rmi() */
	vmm_msg(v, "%s: RMI %s returned 0x%" PRIx64 " (status %u, index %u)", what,
		rmi_command_name(fid), x0, (unsigned int)RMI_RETURN_STATUS(x0),
		(unsigned int)RMI_RETURN_INDEX(x0));
}

/* ---- the granule pool ---------------------------------------------------- */

static uint64_t pool_alloc(struct vmm *v)
{
	uint64_t pa = 0;

	pthread_mutex_lock(&v->pool_lock);
	if (v->pool_nfree > 0) {
		pa = v->pool_free[--v->pool_nfree];
	} else if (v->pool_next < v->pool_end) {
		pa = v->pool_next;
		v->pool_next += GRANULE;
	}
	pthread_mutex_unlock(&v->pool_lock);
	if (pa == 0)
		vmm_msg(v, "out of host granules for RTTs and RECs");
	return pa;
}

static void pool_put(struct vmm *v, uint64_t pa)
{
	pthread_mutex_lock(&v->pool_lock);
	if (v->pool_nfree < v->pool_cap)
		v->pool_free[v->pool_nfree++] = pa;
	pthread_mutex_unlock(&v->pool_lock);
}

/* A pool granule, delegated; 0 on failure (reported). */
static uint64_t granule_delegated(struct vmm *v, void *chan)
{
	uint64_t out[5], pa = pool_alloc(v), x0;

	if (pa == 0)
		return 0;
	x0 = vmm_rmi(v, chan, out, RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0);
	if (x0 != RMI_SUCCESS) {
		vmm_rmi_failed(v, RMI_GRANULE_DELEGATE, x0, "delegating a granule");
		pool_put(v, pa);
		return 0;
	}
	return pa;
}

static void granule_undelegate(struct vmm *v, void *chan, uint64_t pa)
{
	uint64_t out[5];

	if (vmm_rmi(v, chan, out, RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0) == RMI_SUCCESS)
		pool_put(v, pa);
}

/* ---- RTTs ---------------------------------------------------------------- */

uint64_t vmm_level_size(int level)
{
	return 1ULL << (12 + 9 * (3 - level));
}

int vmm_fit_level(uint64_t ipa, uint64_t top)
{
	for (int level = 1; level < 3; level++) {
		uint64_t size = vmm_level_size(level);

		if ((ipa & (size - 1)) == 0 && top - ipa >= size)
			return level;
	}
	return 3;
}

static int rtt_create(struct vmm *v, void *chan, uint64_t ipa, int level)
{
	uint64_t out[5], rtt = granule_delegated(v, chan), x0;

	if (rtt == 0)
		return -1;
	x0 = vmm_rmi(v, chan, out, RMI_RTT_CREATE, v->layout.rd, rtt,
		     align_down(ipa, vmm_level_size(level - 1)), (uint64_t)level, 0);
	if (x0 == RMI_SUCCESS) {
		__atomic_add_fetch(&v->layout.rtts, 1, __ATOMIC_RELAXED);
		return 0;
	}
	granule_undelegate(v, chan, rtt);
	/* spec: (ERROR_RTT, level - 1) is "the parent is a table already"
	 * (linux-host.md 7 item 2). */
	if (x0 == RMI_RETURN(RMI_ERROR_RTT, level - 1))
		return 0;
	vmm_rmi_failed(v, RMI_RTT_CREATE, x0, "creating an RTT");
	return -1;
}

int vmm_rtt_create_range(struct vmm *v, void *chan, uint64_t ipa, int from, int to)
{
	for (int level = from + 1; level <= to; level++) {
		if (rtt_create(v, chan, ipa, level) != 0)
			return -1;
	}
	return 0;
}

/* ---- configuration ------------------------------------------------------- */

void vmm_config_default(struct vmm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_base = VMM_RAM_BASE;
	cfg->ram_size = VMM_RAM_SIZE_DEFAULT;
	cfg->num_recs = 1;
	cfg->hash_algo = RMI_HASH_SHA_256;
	cfg->measure = true;
	cfg->out = stdout;
	cfg->log = stderr;
}

static bool config_valid(const struct vmm_config *c)
{
	return c->ram_size != 0 && (c->ram_size & (GRANULE - 1)) == 0 &&
	       (c->ram_base & (GRANULE - 1)) == 0 &&
	       c->ram_base + c->ram_size > c->ram_base &&
	       c->num_recs >= 1 && c->num_recs <= VMM_MAX_RECS &&
	       (c->hash_algo == RMI_HASH_SHA_256 || c->hash_algo == RMI_HASH_SHA_512);
}

struct vmm *vmm_new(const struct vmm_config *cfg, const struct vmm_backend *be)
{
	FILE *log = cfg->log != NULL ? cfg->log : stderr;
	pthread_condattr_t attr;
	struct vmm *v;

	if (!config_valid(cfg)) {
		fprintf(log, "rmm-run: bad realm configuration\n");
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL) {
		fprintf(log, "rmm-run: out of memory\n");
		return NULL;
	}
	v->cfg = *cfg;
	v->cfg.log = log;
	if (v->cfg.out == NULL)
		v->cfg.out = stdout;
	v->be = *be;
	v->mem.fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &v->t0);
	v->stats.first_enter_ns = -1;
	v->stats.first_uart_ns = -1;
	v->stats.built_ns = -1;
	v->stats.last_line_ns = -1;
	v->stats.mark_ns = -1;
	v->stats.system_off_ns = -1;
	pthread_mutex_init(&v->pool_lock, NULL);
	pthread_mutex_init(&v->populate_lock, NULL);
	pthread_mutex_init(&v->lock, NULL);
	/* run.c waits with timeouts on the monotonic clock. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&v->cond, &attr);
	pthread_condattr_destroy(&attr);
	vmm_mmio_init(&v->mmio);
	v->populated = calloc(cfg->ram_size / GRANULE, 1);
	v->shared = calloc(cfg->ram_size / GRANULE, sizeof(*v->shared));
	if (v->populated == NULL || v->shared == NULL) {
		vmm_msg(v, "out of memory");
		vmm_free(v);
		return NULL;
	}
	if (be->ops->channel_open(be->ctx, &v->chan) != 0) {
		vmm_msg(v, "cannot open a channel to the RMM");
		v->chan = NULL;
		vmm_free(v);
		return NULL;
	}
	return v;
}

void vmm_free(struct vmm *v)
{
	if (v == NULL)
		return;
	if (v->chan != NULL)
		v->be.ops->channel_close(v->be.ctx, v->chan);
	hostmem_destroy(&v->mem);
	free(v->pool_free);
	free(v->populated);
	free(v->shared);
	vmm_mmio_fini(&v->mmio);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	pthread_mutex_destroy(&v->pool_lock);
	pthread_mutex_destroy(&v->populate_lock);
	free(v);
}

const struct vmm_layout *vmm_layout(const struct vmm *v)
{
	return &v->layout;
}

/* ---- the RMM and the realm's geometry ------------------------------------ */

static int rmm_check(struct vmm *v)
{
	uint64_t out[5], x0;

	x0 = vmm_rmi(v, v->chan, out, RMI_VERSION, RMI_ABI_VERSION_1_0, 0, 0, 0, 0);
	if (x0 != RMI_SUCCESS) {
		vmm_msg(v, "the RMM does not speak RMI 1.0 (RMI_VERSION: 0x%" PRIx64
			", versions 0x%" PRIx64 "..0x%" PRIx64 ")", x0, out[1], out[2]);
		return -1;
	}
	x0 = vmm_rmi(v, v->chan, out, RMI_FEATURES, 0, 0, 0, 0, 0);
	if (x0 != RMI_SUCCESS) {
		vmm_rmi_failed(v, RMI_FEATURES, x0, "reading FeatureRegister0");
		return -1;
	}
	v->feat0 = out[1];
	if ((v->cfg.hash_algo == RMI_HASH_SHA_256 && !RMI_FIELD_GET(v->feat0, HASH_SHA_256)) ||
	    (v->cfg.hash_algo == RMI_HASH_SHA_512 && !RMI_FIELD_GET(v->feat0, HASH_SHA_512))) {
		vmm_msg(v, "the RMM does not offer the requested hash algorithm");
		return -1;
	}
	return 0;
}

static unsigned int bits_for(uint64_t x)
{
	return x == 0 ? 0 : 64 - (unsigned int)__builtin_clzll(x);
}

unsigned int vmm_ipa_bits_needed(const struct vmm_config *cfg)
{
	uint64_t top = cfg->ram_base + cfg->ram_size;
	unsigned int need;

	if (top < VMM_SCRATCH_BASE + VMM_DEVICE_SIZE)
		top = VMM_SCRATCH_BASE + VMM_DEVICE_SIZE;
	need = bits_for(top - 1) + 1;
	return need < 32 ? 32 : need;
}

/*
 * s2sz: the IPA width of a VM whose memory map fits (as a VMM sizes its
 * VM's IPA space), plus the top bit that selects the unprotected half.
 * Linux then derives the root level and count from it (linux-host.md 3,
 * rmi-1.0.md 6.2).
 */
static int realm_geometry(struct vmm *v)
{
	unsigned int max = (unsigned int)RMI_FIELD_GET(v->feat0, S2SZ);
	unsigned int need, s2sz, lookup;

	/* spec: 48 bits at most without LPA2, which rmm-run does not use. */
	if (max > 48)
		max = 48;
	need = vmm_ipa_bits_needed(&v->cfg);
	s2sz = v->cfg.ipa_bits != 0 ? v->cfg.ipa_bits : need;
	if (s2sz < need || s2sz > max) {
		vmm_msg(v, "an IPA width of %u bits does not fit: the memory map needs "
			"%u to %u bits", s2sz, need, max);
		return -1;
	}
	v->layout.s2sz = s2sz;
	v->layout.rtt_level_start = 4 - (int)((s2sz - 8) / 9);
	lookup = 9 * (unsigned int)(3 - v->layout.rtt_level_start) + 21;
	v->layout.rtt_num_start = s2sz > lookup ? 1U << (s2sz - lookup) : 1;
	v->unprot = 1ULL << (s2sz - 1);
	return 0;
}

/* ---- placing the images ---------------------------------------------------- */

struct placement {
	const struct vmm_image *kernel;
	const struct vmm_blob *dtb, *initrd;
	uint32_t *slot;			/* per RAM page: staging slot + 1, or 0 */
	uint64_t nslots;
};

static bool overlaps_kernel(const struct vmm_image *k, uint64_t a, uint64_t size)
{
	for (unsigned int i = 0; i < k->nseg; i++) {
		const struct vmm_segment *s = &k->seg[i];

		if (a < s->ipa + s->memsz && s->ipa < a + size)
			return true;
	}
	return false;
}

static int check_kernel(struct vmm *v, const struct vmm_image *k)
{
	uint64_t base = v->cfg.ram_base, end = base + v->cfg.ram_size;

	for (unsigned int i = 0; i < k->nseg; i++) {
		const struct vmm_segment *s = &k->seg[i];

		if (s->ipa < base || s->ipa + s->memsz > end || s->ipa + s->memsz < s->ipa) {
			vmm_msg(v, "the image does not fit in RAM: [0x%" PRIx64 ", 0x%" PRIx64
				") is outside RAM [0x%" PRIx64 ", 0x%" PRIx64 ") (see --ram, --load-addr)",
				s->ipa, s->ipa + s->memsz, base, end);
			return -1;
		}
	}
	if (k->entry < base || k->entry >= end) {
		vmm_msg(v, "the image's entry point 0x%" PRIx64 " is outside RAM", k->entry);
		return -1;
	}
	return 0;
}

/* Top-down below *top: 2 MiB aligned if that fits, else 4 KiB aligned. */
static int place_blob(const struct vmm_config *cfg, const struct vmm_image *k,
		      const char *what, uint64_t size, bool prefer_2m, uint64_t *top,
		      uint64_t *at, char *err, size_t err_size)
{
	uint64_t base = cfg->ram_base;

	if (size > *top - base) {
		snprintf(err, err_size, "the %s (%" PRIu64 " bytes) does not fit in RAM "
			 "(see --ram)", what, size);
		return -1;
	}
	*at = align_down(*top - size, prefer_2m ? SZ_2M : GRANULE);
	if (*at < base || overlaps_kernel(k, *at, size))
		*at = align_down(*top - size, GRANULE);
	if (*at < base || overlaps_kernel(k, *at, size)) {
		snprintf(err, err_size, "the %s (%" PRIu64 " bytes) does not fit in RAM "
			 "beside the image (see --ram)", what, size);
		return -1;
	}
	*top = *at;
	return 0;
}

int vmm_place_blobs(const struct vmm_config *cfg, const struct vmm_image *kernel,
		    uint64_t dtb_size, uint64_t initrd_size, uint64_t *dtb,
		    uint64_t *initrd, char *err, size_t err_size)
{
	uint64_t top = cfg->ram_base + cfg->ram_size;

	*dtb = 0;
	*initrd = 0;
	/* The arm64 boot protocol: the DTB within one 2 MiB block, up to 2 MiB
	 * large; the initrd anywhere below it. */
	if (dtb_size > VMM_DTB_MAX_SIZE) {
		snprintf(err, err_size, "the DTB must be 1 byte to 2 MiB large");
		return -1;
	}
	if (dtb_size != 0 &&
	    place_blob(cfg, kernel, "DTB", dtb_size, true, &top, dtb, err, err_size) != 0)
		return -1;
	if (initrd_size != 0 &&
	    place_blob(cfg, kernel, "initrd", initrd_size, false, &top, initrd, err,
		       err_size) != 0)
		return -1;
	return 0;
}

static int place_images(struct vmm *v, struct placement *p)
{
	char err[256];

	if (check_kernel(v, p->kernel) != 0)
		return -1;
	v->layout.entry = p->kernel->entry;
	if (p->dtb != NULL && p->dtb->size == 0) {
		vmm_msg(v, "the DTB must be 1 byte to 2 MiB large");
		return -1;
	}
	if (p->initrd != NULL && p->initrd->size == 0) {
		vmm_msg(v, "the initrd is empty");
		return -1;
	}
	if (vmm_place_blobs(&v->cfg, p->kernel, p->dtb != NULL ? p->dtb->size : 0,
			    p->initrd != NULL ? p->initrd->size : 0, &v->layout.dtb,
			    &v->layout.initrd, err, sizeof(err)) != 0) {
		vmm_msg(v, "%s", err);
		return -1;
	}
	v->layout.dtb_size = p->dtb != NULL ? p->dtb->size : 0;
	v->layout.initrd_size = p->initrd != NULL ? p->initrd->size : 0;
	return 0;
}

static void mark_pages(struct vmm *v, struct placement *p, uint64_t ipa, uint64_t size)
{
	uint64_t first = (ipa - v->cfg.ram_base) / GRANULE;
	uint64_t last = (ipa + size - 1 - v->cfg.ram_base) / GRANULE;

	for (uint64_t i = first; i <= last; i++)
		p->slot[i] = 1;
}

static void stage_bytes(struct vmm *v, struct placement *p, uint64_t ipa,
			const uint8_t *data, uint64_t size)
{
	while (size > 0) {
		uint64_t page = (ipa - v->cfg.ram_base) / GRANULE;
		uint64_t off = ipa & (GRANULE - 1);
		uint64_t n = GRANULE - off < size ? GRANULE - off : size;
		uint8_t *dst = vmm_host_ptr(v, v->staging_base +
					    (p->slot[page] - 1) * GRANULE);

		memcpy(dst + off, data, n);
		ipa += n;
		data += n;
		size -= n;
	}
}

/* Every page an image touches gets a staging granule, in IPA order. */
static void mark_images(struct vmm *v, struct placement *p)
{
	uint64_t pages = v->cfg.ram_size / GRANULE;

	for (unsigned int i = 0; i < p->kernel->nseg; i++)
		mark_pages(v, p, p->kernel->seg[i].ipa, p->kernel->seg[i].memsz);
	if (p->dtb != NULL)
		mark_pages(v, p, v->layout.dtb, p->dtb->size);
	if (p->initrd != NULL)
		mark_pages(v, p, v->layout.initrd, p->initrd->size);
	p->nslots = 0;
	for (uint64_t i = 0; i < pages; i++) {
		if (p->slot[i] != 0)
			p->slot[i] = (uint32_t)++p->nslots;
	}
}

static void stage_images(struct vmm *v, struct placement *p)
{
	for (unsigned int i = 0; i < p->kernel->nseg; i++)
		stage_bytes(v, p, p->kernel->seg[i].ipa, p->kernel->seg[i].data,
			    p->kernel->seg[i].filesz);
	if (p->dtb != NULL)
		stage_bytes(v, p, v->layout.dtb, p->dtb->data, p->dtb->size);
	if (p->initrd != NULL)
		stage_bytes(v, p, v->layout.initrd, p->initrd->data, p->initrd->size);
}

/* ---- host memory ------------------------------------------------------------ */

/* Granules for the RD, root and other RTTs, RECs with their aux granules,
 * rec_run pages, parameter pages; plus spare RTTs for the running realm. */
static uint64_t pool_pages(const struct vmm *v)
{
	uint64_t ram = v->cfg.ram_size;
	uint64_t rtts = 16 + 2 + 2 + (ram >> 30) + 2 + (ram >> 21) + POOL_SPARE_RTTS;

	return 3 + rtts + POOL_SHARED +
	       (uint64_t)v->cfg.num_recs * (1 + RMI_REC_AUX_GRANULES + 1);
}

static int host_memory(struct vmm *v, uint64_t staging_pages)
{
	uint64_t data_base = VMM_HOST_PA_BASE + (v->cfg.ram_base & (SZ_1G - 1));
	uint64_t npool = pool_pages(v), size;
	int err;

	v->layout.data_base = data_base;
	v->staging_base = align_up(data_base + v->cfg.ram_size, SZ_2M);
	v->pool_base = align_up(v->staging_base + staging_pages * GRANULE, SZ_2M);
	v->pool_next = v->pool_base;
	v->pool_end = v->pool_base + npool * GRANULE;
	v->pool_cap = (unsigned int)npool;
	v->pool_free = calloc(npool, sizeof(*v->pool_free));
	if (v->pool_free == NULL) {
		vmm_msg(v, "out of memory");
		return -1;
	}
	size = v->pool_end - VMM_HOST_PA_BASE;
	err = hostmem_create(&v->mem, "rmm-run", size);
	if (err == 0)
		err = v->be.ops->share_region(v->be.ctx, VMM_HOST_PA_BASE, size, v->mem.fd);
	if (err != 0) {
		vmm_msg(v, "cannot give the RMM %" PRIu64 " MiB of host memory: %s",
			size >> 20, v->be.ops->error(v->be.ctx, err));
		return -1;
	}
	return 0;
}

/* ---- the RMI sequence ----------------------------------------------------- */

static int realm_create(struct vmm *v)
{
	struct rmi_realm_params *p;
	uint64_t out[5], params, x0;
	unsigned int n = v->layout.rtt_num_start;

	/* The root RTTs at the pool's start, which is aligned to any count
	 * (spec rtt_align, rmi-1.0.md 6.2); delegated after the RD, as Linux
	 * does (linux-host.md 3). */
	v->pool_next = v->pool_base + n * GRANULE;
	v->layout.rd = granule_delegated(v, v->chan);
	if (v->layout.rd == 0)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		x0 = vmm_rmi(v, v->chan, out, RMI_GRANULE_DELEGATE,
			     v->pool_base + i * GRANULE, 0, 0, 0, 0);
		if (x0 != RMI_SUCCESS) {
			vmm_rmi_failed(v, RMI_GRANULE_DELEGATE, x0, "delegating a root RTT");
			return -1;
		}
	}
	params = pool_alloc(v);
	if (params == 0)
		return -1;
	p = vmm_host_ptr(v, params);
	memset(p, 0, sizeof(*p));
	p->s2sz = v->layout.s2sz;
	/* Raw "count - 1" fields, as Linux copies the VM's ID_AA64DFR0. */
	p->num_bps = RMI_FIELD_GET(v->feat0, NUM_BPS);
	p->num_wps = RMI_FIELD_GET(v->feat0, NUM_WPS);
	p->hash_algo = v->cfg.hash_algo;
	p->vmid = 0;
	p->rtt_base = v->pool_base;
	p->rtt_level_start = v->layout.rtt_level_start;
	p->rtt_num_start = n;
	x0 = vmm_rmi(v, v->chan, out, RMI_REALM_CREATE, v->layout.rd, params, 0, 0, 0);
	if (x0 != RMI_SUCCESS) {
		vmm_rmi_failed(v, RMI_REALM_CREATE, x0, "creating the realm");
		return -1;
	}
	pool_put(v, params);
	return 0;
}

static int rec_aux_count(struct vmm *v, uint64_t *count)
{
	uint64_t out[5], x0;

	x0 = vmm_rmi(v, v->chan, out, RMI_REC_AUX_COUNT, v->layout.rd, 0, 0, 0, 0);
	if (x0 == RMI_SUCCESS && out[1] <= RMI_REC_PARAMS_AUX_MAX) {
		*count = out[1];
		return 0;
	}
	if (x0 == RMI_SUCCESS)
		vmm_msg(v, "REC_AUX_COUNT asks for %" PRIu64 " granules, more than 16", out[1]);
	else
		vmm_rmi_failed(v, RMI_REC_AUX_COUNT, x0, "reading the REC aux count");
	/* As Linux: a realm without RECs is destroyed at once. */
	vmm_rmi(v, v->chan, out, RMI_REALM_DESTROY, v->layout.rd, 0, 0, 0, 0);
	return -1;
}

/* The Linux INIT_RIPAS loop: on (ERROR_RTT, L) create the RTTs from L + 1
 * down to the shallowest level whose entry fits the rest of the range. */
static int init_ripas(struct vmm *v)
{
	uint64_t ipa = v->cfg.ram_base, end = ipa + v->cfg.ram_size;
	uint64_t out[5], x0;

	while (ipa < end) {
		int level, fit;

		x0 = vmm_rmi(v, v->chan, out, RMI_RTT_INIT_RIPAS, v->layout.rd, ipa, end, 0, 0);
		if (x0 == RMI_SUCCESS && out[1] > ipa && out[1] <= end) {
			ipa = out[1];
			continue;
		}
		level = (int)RMI_RETURN_INDEX(x0);
		fit = vmm_fit_level(ipa, end);
		if (RMI_RETURN_STATUS(x0) != RMI_ERROR_RTT || x0 == VMM_RMI_LOST || level >= fit) {
			vmm_rmi_failed(v, RMI_RTT_INIT_RIPAS, x0, "setting the RIPAS of RAM");
			return -1;
		}
		if (vmm_rtt_create_range(v, v->chan, ipa, level, fit) != 0)
			return -1;
	}
	return 0;
}

/* DATA_CREATE (image pages, from staging) or DATA_CREATE_UNKNOWN of one RAM
 * page; on (ERROR_RTT, L) the RTTs down to level 3 and one retry. */
static int data_create(struct vmm *v, void *chan, uint64_t ipa, const uint32_t *slot)
{
	uint64_t page = (ipa - v->cfg.ram_base) / GRANULE;
	uint64_t data = v->layout.data_base + page * GRANULE;
	bool image = slot != NULL && slot[page] != 0;
	uint32_t fid = image ? RMI_DATA_CREATE : RMI_DATA_CREATE_UNKNOWN;
	uint64_t src = image ? v->staging_base + (slot[page] - 1ULL) * GRANULE : 0;
	uint64_t flags = v->cfg.measure ? RMI_MEASURE_CONTENT : RMI_NO_MEASURE_CONTENT;
	uint64_t out[5], x0;

	x0 = vmm_rmi(v, chan, out, RMI_GRANULE_DELEGATE, data, 0, 0, 0, 0);
	if (x0 != RMI_SUCCESS) {
		vmm_rmi_failed(v, RMI_GRANULE_DELEGATE, x0, "delegating a DATA granule");
		return -1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		x0 = image ? vmm_rmi(v, chan, out, fid, v->layout.rd, data, ipa, src, flags) :
			     vmm_rmi(v, chan, out, fid, v->layout.rd, data, ipa, 0, 0);
		if (x0 == RMI_SUCCESS)
			return 0;
		if (RMI_RETURN_STATUS(x0) != RMI_ERROR_RTT || x0 == VMM_RMI_LOST ||
		    RMI_RETURN_INDEX(x0) >= 3 ||
		    vmm_rtt_create_range(v, chan, ipa, (int)RMI_RETURN_INDEX(x0), 3) != 0)
			break;
	}
	vmm_rmi_failed(v, fid, x0, "populating RAM");
	return -1;
}

/* Image pages first, in IPA order (the RIM sees them in that order), then
 * with cfg.populate_all the rest of RAM, which DATA_CREATE_UNKNOWN does not
 * measure. */
static int populate(struct vmm *v, const uint32_t *slot)
{
	uint64_t pages = v->cfg.ram_size / GRANULE;
	int passes = v->cfg.populate_all ? 2 : 1;

	for (int pass = 0; pass < passes; pass++) {
		for (uint64_t i = 0; i < pages; i++) {
			if ((slot[i] != 0) != (pass == 0))
				continue;
			if (data_create(v, v->chan, v->cfg.ram_base + i * GRANULE, slot) != 0)
				return -1;
			v->populated[i] = 1;
			if (pass == 0)
				v->layout.image_pages++;
			else
				v->layout.unknown_pages++;
		}
	}
	return 0;
}

/* DATA_CREATE_UNKNOWN of the pages of [base, top) not populated yet,
 * under populate_lock. */
static int populate_range(struct vmm_rec *r, uint64_t base, uint64_t top)
{
	struct vmm *v = r->v;

	for (uint64_t ipa = base; ipa < top; ipa += GRANULE) {
		uint64_t page = (ipa - v->cfg.ram_base) / GRANULE;

		if (v->populated[page])
			continue;
		if (data_create(v, r->chan, ipa, NULL) != 0)
			return -1;
		v->populated[page] = 1;
		__atomic_add_fetch(&v->layout.unknown_pages, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

int vmm_ram_fault(struct vmm_rec *r, uint64_t ipa)
{
	struct vmm *v = r->v;
	uint64_t base = v->cfg.ram_base, top = base + v->cfg.ram_size;
	uint64_t page, lo, hi;
	int ret = 1;

	if (ipa < base || ipa >= top)
		return 0;
	page = (ipa - base) / GRANULE;
	lo = align_down(ipa, VMM_RAM_FAULT_CHUNK);
	hi = lo + VMM_RAM_FAULT_CHUNK;
	lo = lo < base ? base : lo;
	hi = hi > top ? top : hi;
	pthread_mutex_lock(&v->populate_lock);
	if (!v->populated[page]) {
		ret = populate_range(r, lo, hi) == 0 ? 1 : -1;
		__atomic_add_fetch(&v->stats.ram_faults, 1, __ATOMIC_RELAXED);
	} else if (r->last_fault == align_down(ipa, GRANULE) + 1) {
		/* Populated, and this REC faulted here before: another REC's
		 * population it had not seen would not fault twice. */
		ret = 0;
	}
	pthread_mutex_unlock(&v->populate_lock);
	r->last_fault = ret == 1 ? align_down(ipa, GRANULE) + 1 : 0;
	return ret;
}

/* RTT_MAP_UNPROTECTED of host page pa at ipa, with the RTTs down to
 * level 3 made on (ERROR_RTT, L) as Linux does (rmi-1.0.md 8.16). */
static int map_unprotected(struct vmm_rec *r, uint64_t ipa, uint64_t pa)
{
	struct vmm *v = r->v;
	uint64_t out[5], x0 = 0;

	for (int attempt = 0; attempt < 2; attempt++) {
		x0 = vmm_rmi(v, r->chan, out, RMI_RTT_MAP_UNPROTECTED, v->layout.rd, ipa, 3,
			     pa | NS_DESC_ATTRS, 0);
		if (x0 == RMI_SUCCESS)
			return 0;
		if (RMI_RETURN_STATUS(x0) != RMI_ERROR_RTT || x0 == VMM_RMI_LOST ||
		    RMI_RETURN_INDEX(x0) >= 3 ||
		    vmm_rtt_create_range(v, r->chan, ipa, (int)RMI_RETURN_INDEX(x0), 3) != 0)
			break;
	}
	vmm_rmi_failed(v, RMI_RTT_MAP_UNPROTECTED, x0, "mapping a shared page");
	return -1;
}

int vmm_shared_fault(struct vmm_rec *r, uint64_t ipa)
{
	struct vmm *v = r->v;
	uint64_t gpa = ipa & ~v->unprot, page, pa;
	int ret = 1;

	if (gpa < v->cfg.ram_base || gpa - v->cfg.ram_base >= v->cfg.ram_size)
		return 0;
	page = (gpa - v->cfg.ram_base) / GRANULE;
	pthread_mutex_lock(&v->populate_lock);
	if (v->shared[page] == 0) {
		pa = pool_alloc(v);
		if (pa == 0 || map_unprotected(r, align_down(ipa, GRANULE), pa) != 0) {
			ret = -1;
		} else {
			memset(vmm_host_ptr(v, pa), 0, GRANULE);
			v->shared[page] = pa;
		}
	}
	pthread_mutex_unlock(&v->populate_lock);
	return ret;
}

int vmm_shared_read(struct vmm *v, uint64_t ipa, void *buf, size_t size)
{
	uint8_t *out = buf;
	int ret = 0;

	pthread_mutex_lock(&v->populate_lock);
	while (size > 0 && ret == 0) {
		uint64_t gpa = ipa & ~v->unprot, off = ipa & (GRANULE - 1);
		size_t n = GRANULE - off < size ? GRANULE - off : size;

		if (!(ipa & v->unprot) || gpa < v->cfg.ram_base ||
		    gpa - v->cfg.ram_base >= v->cfg.ram_size ||
		    v->shared[(gpa - v->cfg.ram_base) / GRANULE] == 0) {
			ret = -1;
			break;
		}
		memcpy(out, (uint8_t *)vmm_host_ptr(v, v->shared[(gpa - v->cfg.ram_base) /
								 GRANULE]) + off, n);
		out += n;
		ipa += n;
		size -= n;
	}
	pthread_mutex_unlock(&v->populate_lock);
	return ret;
}

/* KVM's default vCPU MPIDR for vCPU index i. */
uint64_t vmm_rec_mpidr(unsigned int i)
{
	return (uint64_t)(i & 0xF) | (uint64_t)((i >> 4) & 0xFF) << 8 |
	       (uint64_t)((i >> 12) & 0xFF) << 16;
}

/* REC 0 runnable at the entry point with x0 = the DTB (arm64 boot
 * protocol); the others wait for PSCI CPU_ON (linux-host.md 7 item 9). */
static int rec_create(struct vmm *v, unsigned int i, uint64_t naux, uint64_t params)
{
	struct rmi_rec_params *p = vmm_host_ptr(v, params);
	struct vmm_rec *r = &v->rec[i];
	uint64_t out[5], x0;

	memset(p, 0, sizeof(*p));
	p->flags = i == 0 ? RMI_REC_CREATE_RUNNABLE : 0;
	p->mpidr = vmm_rec_mpidr(i);
	p->pc = i == 0 ? v->layout.entry : 0;
	p->gprs[0] = i == 0 ? v->layout.dtb : 0;
	p->num_aux = naux;
	for (uint64_t a = 0; a < naux; a++) {
		p->aux[a] = granule_delegated(v, v->chan);
		if (p->aux[a] == 0)
			return -1;
	}
	r->pa = granule_delegated(v, v->chan);
	r->run_pa = pool_alloc(v);
	if (r->pa == 0 || r->run_pa == 0)
		return -1;
	r->run = vmm_host_ptr(v, r->run_pa);
	memset(r->run, 0, sizeof(*r->run));
	x0 = vmm_rmi(v, v->chan, out, RMI_REC_CREATE, v->layout.rd, r->pa, params, 0, 0);
	if (x0 != RMI_SUCCESS) {
		vmm_rmi_failed(v, RMI_REC_CREATE, x0, "creating a REC");
		return -1;
	}
	r->v = v;
	r->index = i;
	r->on = i == 0;
	v->layout.rec[i] = r->pa;
	return 0;
}

static int recs_create(struct vmm *v, uint64_t naux)
{
	uint64_t params = pool_alloc(v);

	if (params == 0)
		return -1;
	for (unsigned int i = 0; i < v->cfg.num_recs; i++) {
		if (rec_create(v, i, naux, params) != 0)
			return -1;
	}
	pool_put(v, params);
	return 0;
}

static int realm_activate(struct vmm *v)
{
	uint64_t out[5], x0;

	x0 = vmm_rmi(v, v->chan, out, RMI_REALM_ACTIVATE, v->layout.rd, 0, 0, 0, 0);
	if (x0 != RMI_SUCCESS) {
		vmm_rmi_failed(v, RMI_REALM_ACTIVATE, x0, "activating the realm");
		return -1;
	}
	return 0;
}

static int build_steps(struct vmm *v, struct placement *p)
{
	uint64_t naux;

	if (rmm_check(v) != 0 || realm_geometry(v) != 0 || place_images(v, p) != 0)
		return -1;
	mark_images(v, p);
	if (host_memory(v, p->nslots) != 0)
		return -1;
	stage_images(v, p);
	/* REC_AUX_COUNT right after REALM_CREATE, the RECs after RAM: the
	 * v10 order (linux-host.md 3). */
	if (realm_create(v) != 0 || rec_aux_count(v, &naux) != 0)
		return -1;
	if (init_ripas(v) != 0 || populate(v, p->slot) != 0 || recs_create(v, naux) != 0)
		return -1;
	return realm_activate(v);
}

int vmm_build(struct vmm *v, const struct vmm_image *kernel,
	      const struct vmm_blob *dtb, const struct vmm_blob *initrd)
{
	struct placement p = { .kernel = kernel, .dtb = dtb, .initrd = initrd };
	int ret;

	p.slot = calloc(v->cfg.ram_size / GRANULE, sizeof(*p.slot));
	if (p.slot == NULL) {
		vmm_msg(v, "out of memory");
		return -1;
	}
	ret = build_steps(v, &p);
	free(p.slot);
	if (ret == 0) {
		v->stats.built_ns = vmm_now_ns(v);
		v->stats.build_rmi_calls = __atomic_load_n(&v->stats.rmi_calls,
							   __ATOMIC_RELAXED);
	}
	return ret;
}

int vmm_rim_hex(struct vmm *v, char hex[129])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t rim[64];
	size_t size;
	int err = v->be.ops->rim(v->be.ctx, v->layout.rd, rim, &size);

	if (err != 0 || size > sizeof(rim)) {
		vmm_msg(v, "cannot read the RIM: %s",
			err ? v->be.ops->error(v->be.ctx, err) : "bad digest size");
		return -1;
	}
	for (size_t i = 0; i < size; i++) {
		hex[2 * i] = digits[rim[i] >> 4];
		hex[2 * i + 1] = digits[rim[i] & 0xF];
	}
	hex[2 * size] = '\0';
	return 0;
}
