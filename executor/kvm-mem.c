/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memslots that mirror a realm's RTTs (DESIGN.md, "Executing a REC"):
 * ASSIGNED RAM entries map rmmemu's private backing of their DATA granules
 * (a block: its contiguous private range), ASSIGNED_NS entries map the
 * host's NS memory, read-only when the host's S2AP says so. Everything else
 * has no memslot, so an access exits KVM_EXIT_MMIO (or NISV) and becomes a
 * data abort event the core judges by RIPAS.
 *
 * Runs contiguous in IPA and in host address merge into one memslot: the
 * private backing of a region is linear in PA, so a realm whose RAM was
 * populated with consecutive PAs is a few memslots. A resync walks the
 * RTTs under the RD lock, builds that list and applies the difference with
 * what is installed (deletions first: KVM memslots may not overlap). A
 * memslot never has a hole: every page of the private and NS mappings is
 * mapped read/write (granule.c), punched pages read as zeros.
 *
 * Costs and limits: a resync walks every RTT of the realm; a memslot change
 * costs 0.2-1.5 ms in the devbox, so a host that maps RAM page by page
 * while the realm runs pays one change per page when the merged run grows
 * (a window with pages remapped inside it would avoid that, DESIGN.md).
 * ASSIGNED_NS pages outside every registered region, and host descriptors
 * with S2AP none or write-only, get no memslot: accesses there are
 * emulatable aborts. MemAttr (device or normal) cannot be given to KVM. A
 * realm needs no more runs than KVM has memslots (32,767 in the devbox);
 * when a resync fails every memslot goes and runs fail until one succeeds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "executor/kvm-internal.h"
#include "rmmemu/granule.h"
#include "rmmemu/instance.h"
#include "rmmemu/log.h"
#include "rmmemu/realm.h"
#include "rmmemu/s2tt.h"

/* Host descriptor S2AP (rmi-1.0.md 5.5): bit 6 read, bit 7 write. */
#define NS_S2AP_READ	(1ULL << 6)
#define NS_S2AP_WRITE	(1ULL << 7)

void kvm_mem_init(struct kvm_mem *m)
{
	memset(m, 0, sizeof(*m));
	m->gen = KVM_MEM_UNSYNCED;
	pthread_mutex_init(&m->lock, NULL);
}

void kvm_mem_fini(struct kvm_mem *m)
{
	free(m->installed.v);
	free(m->free_ids);
	pthread_mutex_destroy(&m->lock);
}

/* ---- the wanted list -------------------------------------------------------- */

static int slots_push(struct kvm_slots *s, uint64_t ipa, uint64_t size,
		      uint64_t hva, uint32_t flags)
{
	struct kvm_slot *last = s->n > 0 ? &s->v[s->n - 1] : NULL;

	if (last != NULL && last->ipa + last->size == ipa &&
	    last->hva + last->size == hva && last->flags == flags) {
		last->size += size;
		return 0;
	}
	if (s->n == s->cap) {
		unsigned int cap = s->cap != 0 ? 2 * s->cap : 64;
		struct kvm_slot *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct kvm_slot){ .ipa = ipa, .size = size, .hva = hva,
					  .flags = flags };
	return 0;
}

/*
 * [pa, pa + size) mapped at ipa, through the private (priv) or the host's
 * (!priv) mapping of the regions holding it; parts outside every region get
 * nothing.
 */
static int map_range(struct rmm *rmm, struct kvm_slots *s, uint64_t ipa,
		     uint64_t pa, uint64_t size, bool priv, uint32_t flags)
{
	while (size > 0) {
		struct granule *g = granule_find(rmm, pa);
		struct region *reg;
		uint64_t chunk, off;
		int err;

		if (g == NULL) {
			ipa += RMI_GRANULE_SIZE;
			pa += RMI_GRANULE_SIZE;
			size -= RMI_GRANULE_SIZE;
			continue;
		}
		reg = granule_region(rmm, g);
		off = pa - reg->base;
		chunk = reg->size - off < size ? reg->size - off : size;
		err = slots_push(s, ipa, chunk,
				 (uint64_t)(uintptr_t)((priv ? reg->priv : reg->ns) + off),
				 flags);
		if (err != 0)
			return err;
		ipa += chunk;
		pa += chunk;
		size -= chunk;
	}
	return 0;
}

static int walk_entry(struct realm *r, struct kvm_slots *s, uint64_t e,
		      int level, uint64_t ipa);

static int walk_table(struct realm *r, struct kvm_slots *s, const uint64_t *table,
		      int level, uint64_t ipa)
{
	uint64_t size = s2tt_entry_size(level), top = 1ULL << r->s2sz;

	for (unsigned int i = 0; i < S2TT_ENTRIES && ipa < top; i++, ipa += size) {
		int err = walk_entry(r, s, table[i], level, ipa);

		if (err != 0)
			return err;
	}
	return 0;
}

static int walk_entry(struct realm *r, struct kvm_slots *s, uint64_t e,
		      int level, uint64_t ipa)
{
	struct rmm *rmm = r->rmm;
	uint64_t size = s2tt_entry_size(level);

	switch (s2tte_hipas(e, level)) {
	case HIPAS_TABLE:
		return walk_table(r, s, granule_priv(rmm, granule_find(rmm, s2tte_pa(e, level))),
				  level + 1, ipa);
	case HIPAS_ASSIGNED:
		/* spec: only RAM is mapped for the realm (rmi-1.0.md 3.3). */
		if (s2tte_ripas(e, level) != RMI_RAM)
			return 0;
		return map_range(rmm, s, ipa, s2tte_pa(e, level), size, true, 0);
	case HIPAS_ASSIGNED_NS:
		if (!(e & NS_S2AP_READ))
			return 0;
		return map_range(rmm, s, ipa, s2tte_pa(e, level), size, false,
				 (e & NS_S2AP_WRITE) ? 0 : KVM_MEM_READONLY);
	default:
		return 0;
	}
}

/* The memslots the RTTs ask for, sorted by IPA; RD lock held. */
static int wanted_slots(struct realm *r, struct kvm_slots *s)
{
	int level = r->rtt_level_start;
	uint64_t root_span = S2TT_ENTRIES * s2tt_entry_size(level);

	for (unsigned int i = 0; i < r->rtt_num_start; i++) {
		const uint64_t *table = granule_priv(r->rmm, r->g_rtt_root[i]);
		int err = walk_table(r, s, table, level, i * root_span);

		if (err != 0)
			return err;
	}
	return 0;
}

/* ---- applying the difference -------------------------------------------------- */

static int slot_set(struct kvm_realm *kr, const struct kvm_slot *sl, uint64_t size)
{
	struct kvm_userspace_memory_region m = {
		.slot = sl->id,
		.flags = sl->flags,
		.guest_phys_addr = sl->ipa,
		.memory_size = size,
		.userspace_addr = sl->hva,
	};

	if (ioctl(kr->vm_fd, KVM_SET_USER_MEMORY_REGION, &m) != 0) {
		int err = errno;

		rmm_log(RMM_LOG_ERROR, "kvm executor: memslot %u [0x%llx, +0x%llx) %s: %s",
			sl->id, (unsigned long long)sl->ipa, (unsigned long long)sl->size,
			size != 0 ? "add" : "delete", strerror(err));
		return -err;
	}
	return 0;
}

static int id_free(struct kvm_mem *m, uint32_t id)
{
	if (m->nfree == m->free_cap) {
		unsigned int cap = m->free_cap != 0 ? 2 * m->free_cap : 64;
		uint32_t *v = realloc(m->free_ids, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		m->free_ids = v;
		m->free_cap = cap;
	}
	m->free_ids[m->nfree++] = id;
	return 0;
}

static uint32_t id_alloc(struct kvm_mem *m)
{
	return m->nfree > 0 ? m->free_ids[--m->nfree] : m->next_id++;
}

static bool slot_same(const struct kvm_slot *a, const struct kvm_slot *b)
{
	return a->ipa == b->ipa && a->size == b->size && a->hva == b->hva &&
	       a->flags == b->flags;
}

/* The slot of the sorted list s that starts at ipa, or NULL. */
static const struct kvm_slot *slots_find(const struct kvm_slots *s, uint64_t ipa)
{
	unsigned int lo = 0, hi = s->n;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (s->v[mid].ipa < ipa)
			lo = mid + 1;
		else if (s->v[mid].ipa > ipa)
			hi = mid;
		else
			return &s->v[mid];
	}
	return NULL;
}

static bool slots_have(const struct kvm_slots *s, const struct kvm_slot *sl)
{
	const struct kvm_slot *found = slots_find(s, sl->ipa);

	return found != NULL && slot_same(found, sl);
}

/*
 * Installed memslots not wanted go; wanted ones not installed come (their
 * added flag set); kept ones take the installed one's id.
 */
static int mem_apply(struct kvm_realm *kr, struct kvm_slots *want, bool *added)
{
	struct kvm_mem *m = &kr->mem;
	int err;

	for (unsigned int i = 0; i < m->installed.n; i++) {
		struct kvm_slot *sl = &m->installed.v[i];

		if (slots_have(want, sl))
			continue;
		err = slot_set(kr, sl, 0);
		if (err == 0)
			err = id_free(m, sl->id);
		if (err != 0)
			return err;
		sl->size = 0;	/* gone */
	}
	for (unsigned int i = 0; i < want->n; i++) {
		struct kvm_slot *sl = &want->v[i];
		const struct kvm_slot *old = slots_find(&m->installed, sl->ipa);

		/* Kept: still installed (deleted ones have size 0), the same. */
		if (old != NULL && old->size != 0 && slot_same(old, sl)) {
			sl->id = old->id;
			continue;
		}
		sl->id = id_alloc(m);
		err = slot_set(kr, sl, sl->size);
		if (err != 0)
			return err;
		added[i] = true;
	}
	return 0;
}

/* After a failed resync: no memslot at all, so that the next run starts
 * from a known state (and resyncs). */
static void mem_flush(struct kvm_realm *kr, struct kvm_slots *want, const bool *added)
{
	struct kvm_mem *m = &kr->mem;

	for (unsigned int i = 0; i < m->installed.n; i++) {
		if (m->installed.v[i].size != 0)
			(void)slot_set(kr, &m->installed.v[i], 0);
	}
	for (unsigned int i = 0; added != NULL && i < want->n; i++) {
		if (added[i])
			(void)slot_set(kr, &want->v[i], 0);
	}
	m->installed.n = 0;
	m->nfree = 0;
	m->next_id = 0;
	__atomic_store_n(&m->gen, KVM_MEM_UNSYNCED, __ATOMIC_RELEASE);
}

/* With the RD lock and the memslot lock held. */
static int mem_resync(struct kvm_realm *kr, uint64_t gen)
{
	struct kvm_mem *m = &kr->mem;
	struct kvm_slots want = { 0 };
	bool *added = NULL;
	int err;

	err = wanted_slots(kr->r, &want);
	if (err == 0 && want.n > 0) {
		added = calloc(want.n, sizeof(*added));
		if (added == NULL)
			err = -ENOMEM;
	}
	if (err == 0) {
		kvm_gate_close(kr);
		err = mem_apply(kr, &want, added);
		if (err != 0)
			mem_flush(kr, &want, added);
		kvm_gate_open(kr);
	}
	if (err != 0) {
		free(added);
		free(want.v);
		return err;
	}
	free(added);
	free(m->installed.v);
	m->installed = want;
	__atomic_store_n(&m->gen, gen, __ATOMIC_RELEASE);
	return 0;
}

int kvm_mem_sync(struct kvm_realm *kr, bool rd_locked)
{
	struct realm *r = kr->r;
	uint64_t gen = __atomic_load_n(&r->s2_gen, __ATOMIC_ACQUIRE);
	int err = 0;

	if (__atomic_load_n(&kr->mem.gen, __ATOMIC_ACQUIRE) == gen)
		return 0;
	if (!rd_locked)
		granule_lock(r->g_rd);
	pthread_mutex_lock(&kr->mem.lock);
	/* Under the RD lock the generation cannot move. */
	gen = __atomic_load_n(&r->s2_gen, __ATOMIC_ACQUIRE);
	if (kr->mem.gen != gen)
		err = mem_resync(kr, gen);
	pthread_mutex_unlock(&kr->mem.lock);
	if (!rd_locked)
		granule_unlock(r->g_rd);
	return err;
}

/* The installed memslot holding ipa, copied into *out; false if none. */
static bool mem_lookup(struct kvm_realm *kr, uint64_t ipa, struct kvm_slot *out)
{
	struct kvm_mem *m = &kr->mem;
	unsigned int lo = 0, hi;
	bool found = false;

	pthread_mutex_lock(&m->lock);
	hi = m->installed.n;
	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		const struct kvm_slot *sl = &m->installed.v[mid];

		if (ipa < sl->ipa) {
			hi = mid;
		} else if (ipa - sl->ipa >= sl->size) {
			lo = mid + 1;
		} else {
			*out = *sl;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return found;
}

bool kvm_mem_covers(struct kvm_realm *kr, uint64_t ipa)
{
	struct kvm_slot sl;

	return mem_lookup(kr, ipa, &sl);
}

/* A 32-bit word of realm memory at ipa (4-byte aligned), as the realm's
 * memslots map it; false if none does. */
bool kvm_mem_read32(struct kvm_realm *kr, uint64_t ipa, uint32_t *word)
{
	struct kvm_slot sl;

	if ((ipa & 3) != 0 || !mem_lookup(kr, ipa, &sl))
		return false;
	memcpy(word, (const void *)(uintptr_t)(sl.hva + (ipa - sl.ipa)), sizeof(*word));
	return true;
}

/*
 * A change under the RD lock (executor.h). While no vCPU of the realm is in
 * KVM_RUN the next run resyncs; otherwise the memslots change now, so that a
 * running REC loses a mapping before the RMI command scrubs or reuses the
 * page. The core bumps the generation before calling here and a vCPU reads
 * it inside the gate: either it is in the gate now, or it sees the change.
 */
void kvm_exec_s2_changed(void *ctx, struct realm *r)
{
	struct kvm_realm *kr = r->exec;

	(void)ctx;
	if (kr == NULL || !__atomic_load_n(&kr->ready, __ATOMIC_ACQUIRE) ||
	    !kvm_gate_busy(kr))
		return;
	if (kvm_mem_sync(kr, true) != 0)
		rmm_log(RMM_LOG_ERROR, "kvm executor: realm 0x%llx: memslots not updated "
			"while RECs run", (unsigned long long)r->rd_pa);
}
