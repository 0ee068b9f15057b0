/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host memory regions and the granule table. Regions are looked up under RCU
 * (urcu-bp): the table of regions is replaced whole when one is added, and a
 * region lives as long as its instance, so a granule pointer stays valid
 * after the read-side critical section.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <urcu-bp.h>

#include "granule.h"
#include "instance.h"
#include "log.h"

#define REGION_MAX_SIZE	(1ULL << 40)

struct region_table {
	unsigned int count;
	struct region *regions[];	/* sorted by base, disjoint */
};

static const char *const state_names[GRANULE_STATE_COUNT] = {
	[GRANULE_STATE_NS] = "NS",
	[GRANULE_STATE_DELEGATED] = "DELEGATED",
	[GRANULE_STATE_RD] = "RD",
	[GRANULE_STATE_REC] = "REC",
	[GRANULE_STATE_REC_AUX] = "REC_AUX",
	[GRANULE_STATE_DATA] = "DATA",
	[GRANULE_STATE_RTT] = "RTT",
};

const char *granule_state_name(enum granule_state state)
{
	return state < GRANULE_STATE_COUNT ? state_names[state] : "?";
}

int region_table_init(struct rmm *rmm)
{
	rmm->regions = calloc(1, sizeof(*rmm->regions));
	if (rmm->regions == NULL)
		return -ENOMEM;
	return pthread_mutex_init(&rmm->regions_lock, NULL) == 0 ? 0 : -ENOMEM;
}

static void region_free(struct region *r)
{
	if (r->granules != NULL) {
		for (uint64_t i = 0; i < r->size / RMI_GRANULE_SIZE; i++)
			pthread_mutex_destroy(&r->granules[i].lock);
	}
	free(r->granules);
	if (r->ns != NULL && r->ns != MAP_FAILED)
		munmap(r->ns, r->size);
	if (r->priv != NULL && r->priv != MAP_FAILED)
		munmap(r->priv, r->size);
	if (r->ns_fd >= 0)
		close(r->ns_fd);
	if (r->priv_fd >= 0)
		close(r->priv_fd);
	free(r);
}

void region_table_fini(struct rmm *rmm)
{
	struct region_table *t = rmm->regions;

	if (t == NULL)
		return;
	for (unsigned int i = 0; i < t->count; i++)
		region_free(t->regions[i]);
	free(t);
	rmm->regions = NULL;
	pthread_mutex_destroy(&rmm->regions_lock);
}

static struct region *region_new(uint8_t id, uint64_t base, uint64_t size,
				 int fd, uint64_t fd_offset, int *err)
{
	struct region *r = calloc(1, sizeof(*r));
	uint64_t n = size / RMI_GRANULE_SIZE;

	if (r == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	r->id = id;
	r->base = base;
	r->size = size;
	r->ns_fd_offset = fd_offset;
	r->priv_fd = -1;
	r->ns_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (r->ns_fd < 0)
		goto fail_errno;
	r->ns = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->ns_fd,
		     (off_t)fd_offset);
	if (r->ns == MAP_FAILED)
		goto fail_errno;
	r->priv_fd = memfd_create("rmmemu-private", MFD_CLOEXEC);
	if (r->priv_fd < 0 || ftruncate(r->priv_fd, (off_t)size) != 0)
		goto fail_errno;
	r->priv = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       r->priv_fd, 0);
	if (r->priv == MAP_FAILED)
		goto fail_errno;
	r->granules = calloc(n, sizeof(*r->granules));
	if (r->granules == NULL) {
		*err = -ENOMEM;
		goto fail;
	}
	for (uint64_t i = 0; i < n; i++) {
		pthread_mutex_init(&r->granules[i].lock, NULL);
		r->granules[i].region_id = id;
	}
	return r;

fail_errno:
	*err = -errno;
fail:
	region_free(r);
	return NULL;
}

int rmm_add_region(struct rmm *rmm, uint64_t base, uint64_t size, int fd,
		   uint64_t fd_offset)
{
	struct region_table *old, *t;
	struct region *r;
	unsigned int pos;
	int err = 0;

	if (size == 0 || size > REGION_MAX_SIZE ||
	    (base | size | fd_offset) & (RMI_GRANULE_SIZE - 1) ||
	    base + size < base)
		return -EINVAL;

	pthread_mutex_lock(&rmm->regions_lock);
	old = rmm->regions;
	for (pos = 0; pos < old->count; pos++) {
		struct region *o = old->regions[pos];

		if (base < o->base + o->size && o->base < base + size) {
			pthread_mutex_unlock(&rmm->regions_lock);
			return -EEXIST;
		}
		if (base < o->base)
			break;
	}
	if (rmm->num_regions == RMM_MAX_REGIONS) {
		pthread_mutex_unlock(&rmm->regions_lock);
		return -ENOSPC;
	}
	r = region_new((uint8_t)rmm->num_regions, base, size, fd, fd_offset, &err);
	if (r == NULL) {
		pthread_mutex_unlock(&rmm->regions_lock);
		return err;
	}
	t = malloc(sizeof(*t) + (old->count + 1) * sizeof(t->regions[0]));
	if (t == NULL) {
		pthread_mutex_unlock(&rmm->regions_lock);
		region_free(r);
		return -ENOMEM;
	}
	t->count = old->count + 1;
	memcpy(t->regions, old->regions, pos * sizeof(t->regions[0]));
	t->regions[pos] = r;
	memcpy(&t->regions[pos + 1], &old->regions[pos],
	       (old->count - pos) * sizeof(t->regions[0]));
	rmm->region_by_id[rmm->num_regions++] = r;
	rcu_assign_pointer(rmm->regions, t);
	pthread_mutex_unlock(&rmm->regions_lock);
	synchronize_rcu();
	free(old);
	rmm_log(RMM_LOG_INFO, "region [0x%llx, 0x%llx) registered",
		(unsigned long long)base, (unsigned long long)(base + size));
	return 0;
}

static struct region *region_of_pa(struct region_table *t, uint64_t pa)
{
	unsigned int lo = 0, hi = t->count;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		struct region *r = t->regions[mid];

		if (pa < r->base)
			hi = mid;
		else if (pa - r->base >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

struct granule *granule_find(struct rmm *rmm, uint64_t pa)
{
	struct granule *g = NULL;
	struct region *r;

	if (pa & (RMI_GRANULE_SIZE - 1))
		return NULL;
	rcu_read_lock();
	r = region_of_pa(rcu_dereference(rmm->regions), pa);
	if (r != NULL)
		g = &r->granules[(pa - r->base) / RMI_GRANULE_SIZE];
	rcu_read_unlock();
	return g;
}

struct region *granule_region(struct rmm *rmm, const struct granule *g)
{
	return rmm->region_by_id[g->region_id];
}

static uint64_t granule_offset(const struct region *r, const struct granule *g)
{
	return (uint64_t)(g - r->granules) * RMI_GRANULE_SIZE;
}

uint64_t granule_pa(struct rmm *rmm, const struct granule *g)
{
	struct region *r = granule_region(rmm, g);

	return r->base + granule_offset(r, g);
}

void granule_lock(struct granule *g)
{
	pthread_mutex_lock(&g->lock);
}

void granule_unlock(struct granule *g)
{
	pthread_mutex_unlock(&g->lock);
}

struct granule *granule_find_lock(struct rmm *rmm, uint64_t pa,
				  enum granule_state state)
{
	struct granule *g = granule_find(rmm, pa);

	if (g == NULL)
		return NULL;
	granule_lock(g);
	if (__atomic_load_n(&g->state, __ATOMIC_ACQUIRE) != state) {
		granule_unlock(g);
		return NULL;
	}
	return g;
}

bool granule_find_lock_two(struct rmm *rmm,
			   uint64_t pa1, enum granule_state s1, struct granule **g1,
			   uint64_t pa2, enum granule_state s2, struct granule **g2)
{
	bool swapped = pa1 > pa2;
	uint64_t lo_pa = swapped ? pa2 : pa1, hi_pa = swapped ? pa1 : pa2;
	enum granule_state lo_s = swapped ? s2 : s1, hi_s = swapped ? s1 : s2;
	struct granule *lo, *hi;

	if (pa1 == pa2)
		return false;
	lo = granule_find_lock(rmm, lo_pa, lo_s);
	if (lo == NULL)
		return false;
	hi = granule_find_lock(rmm, hi_pa, hi_s);
	if (hi == NULL) {
		granule_unlock(lo);
		return false;
	}
	*g1 = swapped ? hi : lo;
	*g2 = swapped ? lo : hi;
	return true;
}

void granule_set_state(struct granule *g, enum granule_state state)
{
	/* Stored atomically: ns_read() reads the state without the lock. */
	__atomic_store_n(&g->state, (uint8_t)state, __ATOMIC_RELEASE);
}

void *granule_priv(struct rmm *rmm, const struct granule *g)
{
	struct region *r = granule_region(rmm, g);

	return r->priv + granule_offset(r, g);
}

/* Zeroes one page of a shared mapping, giving its memory back when the file
 * allows it. */
static void zero_page(int fd, uint64_t fd_offset, uint8_t *p)
{
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)fd_offset, RMI_GRANULE_SIZE) != 0)
		memset(p, 0, RMI_GRANULE_SIZE);
}

/* The private page stays resident while the granule belongs to the realm
 * side, so a DATA_CREATE does not pay a page fault. */
void granule_scrub(struct rmm *rmm, const struct granule *g)
{
	struct region *r = granule_region(rmm, g);

	memset(r->priv + granule_offset(r, g), 0, RMI_GRANULE_SIZE);
}

void granule_priv_populate(struct rmm *rmm, const struct granule *g)
{
	struct region *r = granule_region(rmm, g);
	uint8_t *p = r->priv + granule_offset(r, g);

	if (madvise(p, RMI_GRANULE_SIZE, MADV_POPULATE_WRITE) != 0)
		memset(p, 0, RMI_GRANULE_SIZE);
}

void granule_priv_release(struct rmm *rmm, const struct granule *g)
{
	struct region *r = granule_region(rmm, g);
	uint64_t off = granule_offset(r, g);

	zero_page(r->priv_fd, off, r->priv + off);
}

void granule_scrub_ns(struct rmm *rmm, const struct granule *g)
{
	struct region *r = granule_region(rmm, g);
	uint64_t off = granule_offset(r, g);

	zero_page(r->ns_fd, r->ns_fd_offset + off, r->ns + off);
}

static uint8_t *ns_ptr(struct rmm *rmm, uint64_t pa, size_t len)
{
	struct granule *g = granule_find(rmm, pa);
	struct region *r;

	if (g == NULL || len > RMI_GRANULE_SIZE ||
	    __atomic_load_n(&g->state, __ATOMIC_ACQUIRE) != GRANULE_STATE_NS)
		return NULL;
	r = granule_region(rmm, g);
	return r->ns + (pa - r->base);
}

const void *ns_granule(struct rmm *rmm, uint64_t pa)
{
	return ns_ptr(rmm, pa, RMI_GRANULE_SIZE);
}

bool ns_read(struct rmm *rmm, uint64_t pa, void *dst, size_t len)
{
	uint8_t *p = ns_ptr(rmm, pa, len);

	if (p == NULL)
		return false;
	memcpy(dst, p, len);
	return true;
}

bool ns_write(struct rmm *rmm, uint64_t pa, const void *src, size_t len)
{
	uint8_t *p = ns_ptr(rmm, pa, len);

	if (p == NULL)
		return false;
	memcpy(p, src, len);
	return true;
}

bool ns_write_at(struct rmm *rmm, uint64_t pa, size_t offset, const void *src,
		 size_t len)
{
	uint8_t *p;

	if (offset > RMI_GRANULE_SIZE || len > RMI_GRANULE_SIZE - offset)
		return false;
	p = ns_ptr(rmm, pa, offset + len);
	if (p == NULL)
		return false;
	memcpy(p + offset, src, len);
	return true;
}

void granule_for_each(struct rmm *rmm,
		      void (*fn)(struct rmm *rmm, struct granule *g, void *arg),
		      void *arg)
{
	struct region_table *t;

	rcu_read_lock();
	t = rcu_dereference(rmm->regions);
	for (unsigned int i = 0; i < t->count; i++) {
		struct region *r = t->regions[i];

		for (uint64_t j = 0; j < r->size / RMI_GRANULE_SIZE; j++)
			fn(rmm, &r->granules[j], arg);
	}
	rcu_read_unlock();
}

static void count_state(struct rmm *rmm, struct granule *g, void *arg)
{
	uint64_t *counts = arg;

	(void)rmm;
	counts[__atomic_load_n(&g->state, __ATOMIC_RELAXED)]++;
}

void granule_count_states(struct rmm *rmm, uint64_t counts[GRANULE_STATE_COUNT])
{
	memset(counts, 0, GRANULE_STATE_COUNT * sizeof(counts[0]));
	granule_for_each(rmm, count_state, counts);
}
