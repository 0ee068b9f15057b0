/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

struct harness *h_new(const struct rmm_config *cfg)
{
	struct harness *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->base = H_REGION_BASE;
	h->size = H_REGION_SIZE;
	h->next = h->base;
	h->fd = memfd_create("harness-host", MFD_CLOEXEC);
	assert_true(h->fd >= 0);
	assert_int_equal(ftruncate(h->fd, (off_t)h->size), 0);
	h->ns = mmap(NULL, h->size, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, 0);
	assert_true(h->ns != MAP_FAILED);
	h->rmm = rmm_new(cfg);
	assert_non_null(h->rmm);
	assert_int_equal(rmm_add_region(h->rmm, h->base, h->size, h->fd, 0), 0);
	return h;
}

void h_add_region(struct harness *h, uint64_t base, uint64_t size)
{
	int fd = memfd_create("harness-extra", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	assert_int_equal(rmm_add_region(h->rmm, base, size, fd, 0), 0);
	close(fd);
}

void h_free(struct harness *h)
{
	rmm_free(h->rmm);
	munmap(h->ns, h->size);
	close(h->fd);
	free(h);
}

int h_setup(void **state)
{
	*state = h_new(NULL);
	return 0;
}

int h_teardown(void **state)
{
	h_free(*state);
	return 0;
}

void *h_ns(struct harness *h, uint64_t pa)
{
	assert_true(pa >= h->base && pa < h->base + h->size);
	return h->ns + (pa - h->base);
}

uint64_t h_alloc_n(struct harness *h, unsigned int n, uint64_t align)
{
	uint64_t pa = (h->next + align - 1) & ~(align - 1);

	assert_true(pa + n * RMI_GRANULE_SIZE <= h->base + h->size);
	h->next = pa + n * RMI_GRANULE_SIZE;
	return pa;
}

uint64_t h_alloc(struct harness *h)
{
	return h_alloc_n(h, 1, RMI_GRANULE_SIZE);
}

uint64_t h_call(struct harness *h, uint32_t fid, uint64_t x1, uint64_t x2,
		uint64_t x3, uint64_t x4, uint64_t x5)
{
	uint64_t x[7] = { fid, x1, x2, x3, x4, x5, 0 };

	rmm_call(h->rmm, x, h->last_out);
	return h->last_out[0];
}

uint64_t h_delegated(struct harness *h)
{
	uint64_t pa = h_alloc(h);

	assert_rmi(h_call(h, RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0), RMI_SUCCESS, 0);
	return pa;
}

/* Root level and count as Linux chooses them (linux-host.md 3). */
static void root_geometry(unsigned int s2sz, int *level, unsigned int *num)
{
	int l = 4 - (int)((s2sz - 8) / 9);
	unsigned int lookup_bits = 9 * (unsigned int)(3 - l) + 21;

	*level = l;
	*num = s2sz > lookup_bits ? 1U << (s2sz - lookup_bits) : 1;
}

void h_realm_params(struct rmi_realm_params *p, unsigned int s2sz,
		    enum rmi_hash_algo algo)
{
	int level;
	unsigned int num;

	root_geometry(s2sz, &level, &num);
	memset(p, 0, sizeof(*p));
	p->s2sz = s2sz;
	p->num_bps = 1;
	p->num_wps = 1;
	p->hash_algo = algo;
	p->rtt_level_start = level;
	p->rtt_num_start = num;
}

void h_realm_create(struct harness *h, struct h_realm *r, unsigned int s2sz,
		    enum rmi_hash_algo algo)
{
	int level;
	unsigned int num;

	root_geometry(s2sz, &level, &num);
	h_realm_create_at(h, r, s2sz, level, algo);
}

void h_realm_create_at(struct harness *h, struct h_realm *r, unsigned int s2sz,
		       int level_start, enum rmi_hash_algo algo)
{
	unsigned int lookup_bits = 9 * (unsigned int)(3 - level_start) + 21;
	struct rmi_realm_params *p;
	static uint16_t vmid;

	memset(r, 0, sizeof(*r));
	r->s2sz = s2sz;
	r->params = h_alloc(h);
	p = h_ns(h, r->params);
	h_realm_params(p, s2sz, algo);
	for (unsigned int i = 0; i < RMI_RPV_SIZE; i++)
		p->rpv[i] = (uint8_t)(H_RPV_FIRST + i);
	p->rtt_level_start = level_start;
	p->rtt_num_start = s2sz > lookup_bits ? 1U << (s2sz - lookup_bits) : 1;
	p->vmid = vmid++ % 256;
	r->level_start = (int)p->rtt_level_start;
	r->num_root = (unsigned int)p->rtt_num_start;
	r->rtt_base = h_alloc_n(h, r->num_root, r->num_root * RMI_GRANULE_SIZE);
	for (unsigned int i = 0; i < r->num_root; i++)
		assert_rmi(h_call(h, RMI_GRANULE_DELEGATE,
				  r->rtt_base + i * RMI_GRANULE_SIZE, 0, 0, 0, 0),
			   RMI_SUCCESS, 0);
	p->rtt_base = r->rtt_base;
	r->rd = h_delegated(h);
	assert_rmi(h_call(h, RMI_REALM_CREATE, r->rd, r->params, 0, 0, 0),
		   RMI_SUCCESS, 0);
}

void h_rtt_create_to(struct harness *h, const struct h_realm *r, uint64_t ipa,
		     int level)
{
	for (int l = r->level_start + 1; l <= level; l++) {
		uint64_t size = 1ULL << (12 + 9 * (3 - (l - 1)));
		uint64_t rtt = h_delegated(h);
		uint64_t ret = h_call(h, RMI_RTT_CREATE, r->rd, rtt, ipa & ~(size - 1),
				      (uint64_t)l, 0);

		if (ret == RMI_RETURN(RMI_ERROR_RTT, l - 1)) {
			/* Already there. */
			assert_rmi(h_call(h, RMI_GRANULE_UNDELEGATE, rtt, 0, 0, 0, 0),
				   RMI_SUCCESS, 0);
			continue;
		}
		assert_rmi(ret, RMI_SUCCESS, 0);
	}
}
