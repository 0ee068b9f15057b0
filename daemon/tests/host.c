/* SPDX-License-Identifier: BSD-3-Clause */
/* The host's side of a realm for the daemon's robustness tests (host.h). */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rmmemu/client.h>
#include <rmmemu/rmi-1.0.h>

#include "host.h"

/* Window layout, in pages from its start. */
#define W_PARAMS	0
#define W_RD		1
#define W_RTT		2
#define W_REC_PARAMS	3
#define W_RECS		4	/* per REC: run page, REC, 16 aux */
#define W_PER_REC	(2 + RMI_REC_AUX_GRANULES)

int host_memfd(unsigned int pages)
{
	int fd = memfd_create("rmmemu-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd >= 0 && ftruncate(fd, (off_t)(pages * HOST_PAGE)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

uint8_t *host_map(int fd, unsigned int pages)
{
	void *p = mmap(NULL, pages * HOST_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static unsigned long rmi_calls;

unsigned long host_rmi_calls(void)
{
	return __atomic_load_n(&rmi_calls, __ATOMIC_RELAXED);
}

uint64_t host_rmi(struct rmmemu_client *c, uint64_t fid, uint64_t x1, uint64_t x2,
		  uint64_t x3)
{
	uint64_t x[7] = { fid, x1, x2, x3 }, out[5];

	__atomic_add_fetch(&rmi_calls, 1, __ATOMIC_RELAXED);
	if (rmmemu_rmi_call(c, x, out) != 0)
		return UINT64_MAX;
	return out[0];
}

unsigned int host_realm_pages(unsigned int nrecs)
{
	return W_RECS + nrecs * W_PER_REC;
}

static uint64_t page_pa(const struct host_realm *r, unsigned int page)
{
	return r->pa + page * HOST_PAGE;
}

/* Each REC has its own run page: the RMM writes rec_exit there, and two RECs
 * of one run page entered at once would race on it. */
static void realm_layout(struct host_realm *r, uint8_t *ns, uint64_t pa, unsigned int nrecs)
{
	memset(r, 0, sizeof(*r));
	r->ns = ns;
	r->pa = pa;
	r->params = page_pa(r, W_PARAMS);
	r->rd = page_pa(r, W_RD);
	r->rtt = page_pa(r, W_RTT);
	r->rec_params = page_pa(r, W_REC_PARAMS);
	r->nrecs = nrecs;
	for (unsigned int i = 0; i < nrecs; i++)
		r->rec[i] = page_pa(r, W_RECS + i * W_PER_REC + 1);
}

uint64_t host_rec_run(const struct host_realm *r, unsigned int i)
{
	return r->rec[i] - HOST_PAGE;
}

static uint64_t delegate_all(struct rmmemu_client *c, struct host_realm *r)
{
	uint64_t ret = host_rmi(c, RMI_GRANULE_DELEGATE, r->rd, 0, 0);

	if (ret == RMI_SUCCESS)
		ret = host_rmi(c, RMI_GRANULE_DELEGATE, r->rtt, 0, 0);
	for (unsigned int i = 0; ret == RMI_SUCCESS && i < r->nrecs; i++) {
		for (unsigned int g = 0; ret == RMI_SUCCESS && g <= RMI_REC_AUX_GRANULES; g++)
			ret = host_rmi(c, RMI_GRANULE_DELEGATE, r->rec[i] + g * HOST_PAGE, 0, 0);
	}
	return ret;
}

static uint64_t realm_create(struct rmmemu_client *c, struct host_realm *r)
{
	struct rmi_realm_params *p = (void *)(r->ns + W_PARAMS * HOST_PAGE);

	memset(p, 0, sizeof(*p));
	p->s2sz = 39;
	p->num_bps = 1;
	p->num_wps = 1;
	p->vmid = r->vmid;
	p->rtt_base = r->rtt;
	p->rtt_level_start = 1;
	p->rtt_num_start = 1;
	return host_rmi(c, RMI_REALM_CREATE, r->rd, r->params, 0);
}

static uint64_t rec_create(struct rmmemu_client *c, struct host_realm *r, unsigned int i)
{
	struct rmi_rec_params *p = (void *)(r->ns + W_REC_PARAMS * HOST_PAGE);

	memset(p, 0, sizeof(*p));
	p->flags = RMI_REC_CREATE_RUNNABLE;
	p->mpidr = i;
	p->num_aux = RMI_REC_AUX_GRANULES;
	for (unsigned int g = 0; g < RMI_REC_AUX_GRANULES; g++)
		p->aux[g] = r->rec[i] + (g + 1) * HOST_PAGE;
	return host_rmi(c, RMI_REC_CREATE, r->rd, r->rec[i], r->rec_params);
}

uint64_t host_realm_create(struct rmmemu_client *c, struct host_realm *r, uint8_t *ns,
			   uint64_t pa, unsigned int nrecs, unsigned int vmid,
			   bool activate, const char **step)
{
	uint64_t ret;

	realm_layout(r, ns, pa, nrecs > HOST_MAX_RECS ? HOST_MAX_RECS : nrecs);
	r->vmid = vmid;
	*step = "GRANULE_DELEGATE";
	ret = delegate_all(c, r);
	if (ret != RMI_SUCCESS)
		return ret;
	*step = "REALM_CREATE";
	ret = realm_create(c, r);
	for (unsigned int i = 0; ret == RMI_SUCCESS && i < r->nrecs; i++) {
		*step = "REC_CREATE";
		ret = rec_create(c, r, i);
	}
	if (ret == RMI_SUCCESS && activate) {
		*step = "REALM_ACTIVATE";
		ret = host_rmi(c, RMI_REALM_ACTIVATE, r->rd, 0, 0);
	}
	return ret;
}

uint64_t host_rec_enter(struct rmmemu_client *c, struct host_realm *r, unsigned int i)
{
	uint64_t run = host_rec_run(r, i);

	memset(r->ns + (run - r->pa), 0, sizeof(struct rmi_rec_enter));
	return host_rmi(c, RMI_REC_ENTER, r->rec[i], run, 0);
}

uint64_t host_realm_destroy(struct rmmemu_client *c, struct host_realm *r)
{
	uint64_t ret = RMI_SUCCESS;

	for (unsigned int i = 0; ret == RMI_SUCCESS && i < r->nrecs; i++)
		ret = host_rmi(c, RMI_REC_DESTROY, r->rec[i], 0, 0);
	if (ret == RMI_SUCCESS)
		ret = host_rmi(c, RMI_REALM_DESTROY, r->rd, 0, 0);
	if (ret == RMI_SUCCESS)
		ret = host_rmi(c, RMI_GRANULE_UNDELEGATE, r->rd, 0, 0);
	if (ret == RMI_SUCCESS)
		ret = host_rmi(c, RMI_GRANULE_UNDELEGATE, r->rtt, 0, 0);
	for (unsigned int i = 0; ret == RMI_SUCCESS && i < r->nrecs; i++) {
		for (unsigned int g = 0; ret == RMI_SUCCESS && g <= RMI_REC_AUX_GRANULES; g++)
			ret = host_rmi(c, RMI_GRANULE_UNDELEGATE, r->rec[i] + g * HOST_PAGE, 0, 0);
	}
	return ret;
}

void *host_caller_main(void *arg)
{
	struct host_caller *k = arg;
	uint64_t enter[7] = { RMI_REC_ENTER, k->r.rec[0], host_rec_run(&k->r, 0) };
	uint64_t deleg[7] = { RMI_GRANULE_DELEGATE, k->spare };
	uint64_t undeleg[7] = { RMI_GRANULE_UNDELEGATE, k->spare }, out[5];
	const uint64_t *calls[3] = { enter, deleg, undeleg };

	for (unsigned int i = 0;; i = k->spare != 0 ? (i + 1) % 3 : 0) {
		k->err = rmmemu_rmi_call(k->c, calls[i], out);
		if (k->err)
			return NULL;
		k->calls++;
	}
}

void host_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}
