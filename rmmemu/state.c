/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state picture of rmm_state_format(). One walk produces both the text
 * and the JSON form. RECs are read first, each under its own granule lock;
 * then each realm under its RD lock, which guards its RTTs and measurements
 * (granule.h). No granule lock is taken while another is held, so the walk
 * needs no lock order of its own.
 *
 * RTT entries are printed as the spec models them (rmi-1.0.md 3.3): HIPAS,
 * RIPAS and the PA. Entries in their initial state (UNASSIGNED with RIPAS
 * EMPTY, UNASSIGNED_NS) are left out and runs of identical unassigned entries
 * are printed as one line, so an empty 48-bit realm is a few lines.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "granule.h"
#include "measure.h"
#include "realm.h"
#include "rec.h"
#include "s2tt.h"
#include "state.h"

#define OUT_MAX_DEPTH	32

/* The output buffer; running out of memory sticks and ends as NULL. */
struct out {
	char *buf;
	size_t len;
	size_t cap;
	bool oom;
	bool json;
	/* JSON: nesting depth, and whether each open container has members. */
	unsigned int depth;
	bool has_member[OUT_MAX_DEPTH];
};

static bool out_reserve(struct out *o, size_t need)
{
	size_t cap = o->cap;
	char *buf;

	while (cap < need)
		cap *= 2;
	if (cap == o->cap)
		return true;
	buf = realloc(o->buf, cap);
	if (buf == NULL) {
		o->oom = true;
		return false;
	}
	o->buf = buf;
	o->cap = cap;
	return true;
}

__attribute__((format(printf, 2, 3)))
static void out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->oom = true;
		return;
	}
	if ((size_t)n >= o->cap - o->len) {
		if (!out_reserve(o, o->len + (size_t)n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
	}
	o->len += (size_t)n;
}

/* --- JSON writer: two-space indentation, one member a line ------------------ */

static void json_key(struct out *o, const char *key)
{
	if (o->depth > 0) {
		out_printf(o, "%s\n%*s", o->has_member[o->depth] ? "," : "",
			   (int)(2 * o->depth), "");
		o->has_member[o->depth] = true;
	}
	if (key != NULL)
		out_printf(o, "\"%s\": ", key);
}

static void json_open(struct out *o, const char *key, char bracket)
{
	json_key(o, key);
	out_printf(o, "%c", bracket);
	if (o->depth + 1 < OUT_MAX_DEPTH)
		o->depth++;
	o->has_member[o->depth] = false;
}

static void json_close(struct out *o, char bracket)
{
	bool had = o->has_member[o->depth];

	if (o->depth > 0)
		o->depth--;
	if (had)
		out_printf(o, "\n%*s", (int)(2 * o->depth), "");
	out_printf(o, "%c", bracket);
}

static void json_str(struct out *o, const char *key, const char *value)
{
	json_key(o, key);
	out_printf(o, "\"%s\"", value);
}

static void json_hex(struct out *o, const char *key, uint64_t value)
{
	/* 64-bit values as strings: JSON numbers are doubles for most readers. */
	json_key(o, key);
	out_printf(o, "\"0x%" PRIx64 "\"", value);
}

static void json_int(struct out *o, const char *key, long long value)
{
	json_key(o, key);
	out_printf(o, "%lld", value);
}

static void json_bool(struct out *o, const char *key, bool value)
{
	json_key(o, key);
	out_printf(o, "%s", value ? "true" : "false");
}

/* --- names ------------------------------------------------------------------- */

static const char *realm_state_name(enum rmi_realm_state s)
{
	switch (s) {
	case RMI_REALM_NEW:
		return "NEW";
	case RMI_REALM_ACTIVE:
		return "ACTIVE";
	case RMI_REALM_SYSTEM_OFF:
		return "SYSTEM_OFF";
	}
	return "?";
}

static const char *hash_name(enum rmi_hash_algo algo)
{
	return algo == RMI_HASH_SHA_512 ? "SHA-512" : "SHA-256";
}

static const char *hipas_name(enum s2tte_hipas h)
{
	static const char *const names[] = {
		[HIPAS_UNASSIGNED] = "UNASSIGNED",
		[HIPAS_ASSIGNED] = "ASSIGNED",
		[HIPAS_UNASSIGNED_NS] = "UNASSIGNED_NS",
		[HIPAS_ASSIGNED_NS] = "ASSIGNED_NS",
		[HIPAS_TABLE] = "TABLE",
	};

	return (unsigned int)h < sizeof(names) / sizeof(names[0]) ? names[h] : "?";
}

static const char *ripas_name(enum rmi_ripas r)
{
	switch (r) {
	case RMI_EMPTY:
		return "EMPTY";
	case RMI_RAM:
		return "RAM";
	case RMI_DESTROYED:
		return "DESTROYED";
	}
	return "?";
}

/* --- granule counts ---------------------------------------------------------- */

static void emit_counts(struct out *o, struct rmm *rmm)
{
	uint64_t counts[GRANULE_STATE_COUNT];

	granule_count_states(rmm, counts);
	if (o->json)
		json_open(o, "granules", '{');
	else
		out_printf(o, "granules:");
	for (int s = 0; s < GRANULE_STATE_COUNT; s++) {
		const char *name = granule_state_name((enum granule_state)s);

		if (o->json)
			json_int(o, name, (long long)counts[s]);
		else
			out_printf(o, " %s %" PRIu64, name, counts[s]);
	}
	if (o->json)
		json_close(o, '}');
	else
		out_printf(o, "\n");
}

/* --- RECs -------------------------------------------------------------------- */

struct rec_info {
	const struct realm *realm;	/* compared, never dereferenced */
	uint64_t pa;
	unsigned int index;
	uint64_t mpidr;
	bool runnable;
	bool running;
};

/* What the first pass over the granules collects. */
struct collect {
	struct rec_info *recs;
	size_t num_recs;
	struct granule **rds;
	size_t num_rds;
	bool oom;
};

static bool grow(void **array, size_t count, size_t size)
{
	void *p;

	/* Double at powers of two. */
	if (count == 0 || (count & (count - 1)) != 0)
		return true;
	p = realloc(*array, 2 * count * size);
	if (p == NULL)
		return false;
	*array = p;
	return true;
}

static void collect_rec(struct rmm *rmm, struct granule *g, struct collect *c)
{
	struct rec_info info;
	bool found = false;

	granule_lock(g);
	if (g->state == GRANULE_STATE_REC && g->rec != NULL) {
		info.realm = g->rec->realm;
		info.pa = granule_pa(rmm, g);
		info.index = g->rec->index;
		info.mpidr = g->rec->mpidr;
		info.runnable = g->rec->runnable;
		info.running = g->refcount != 0;
		found = true;
	}
	granule_unlock(g);
	if (!found)
		return;
	if (!grow((void **)&c->recs, c->num_recs, sizeof(*c->recs))) {
		c->oom = true;
		return;
	}
	c->recs[c->num_recs++] = info;
}

static void collect_one(struct rmm *rmm, struct granule *g, void *arg)
{
	struct collect *c = arg;
	uint8_t state = __atomic_load_n(&g->state, __ATOMIC_ACQUIRE);

	if (c->oom)
		return;
	if (state == GRANULE_STATE_REC) {
		collect_rec(rmm, g, c);
	} else if (state == GRANULE_STATE_RD) {
		if (!grow((void **)&c->rds, c->num_rds, sizeof(*c->rds))) {
			c->oom = true;
			return;
		}
		c->rds[c->num_rds++] = g;
	}
}

static void emit_recs(struct out *o, const struct collect *c,
		      const struct realm *r)
{
	if (o->json)
		json_open(o, "recs", '[');
	for (size_t i = 0; i < c->num_recs; i++) {
		const struct rec_info *rec = &c->recs[i];

		if (rec->realm != r)
			continue;
		if (o->json) {
			json_open(o, NULL, '{');
			json_hex(o, "pa", rec->pa);
			json_int(o, "index", rec->index);
			json_hex(o, "mpidr", rec->mpidr);
			json_bool(o, "runnable", rec->runnable);
			json_bool(o, "running", rec->running);
			json_close(o, '}');
		} else {
			out_printf(o, "  rec 0x%" PRIx64 ": index %u, mpidr 0x%" PRIx64
				   ", %s%s\n", rec->pa, rec->index, rec->mpidr,
				   rec->runnable ? "runnable" : "not runnable",
				   rec->running ? ", running" : "");
		}
	}
	if (o->json)
		json_close(o, ']');
}

/* --- RTTs -------------------------------------------------------------------- */

static bool entry_is_initial(enum s2tte_hipas h, enum rmi_ripas ripas)
{
	return (h == HIPAS_UNASSIGNED && ripas == RMI_EMPTY) ||
	       h == HIPAS_UNASSIGNED_NS;
}

/* One leaf entry, or a run of count identical unassigned entries. */
static void emit_leaf(struct out *o, unsigned int indent, uint64_t base,
		      uint64_t top, unsigned int count, uint64_t e, int level)
{
	enum s2tte_hipas h = s2tte_hipas(e, level);
	enum rmi_ripas ripas = s2tte_ripas(e, level);

	if (o->json) {
		json_open(o, NULL, '{');
		json_hex(o, "base", base);
		json_hex(o, "top", top);
		json_str(o, "state", hipas_name(h));
		if (h == HIPAS_UNASSIGNED || h == HIPAS_ASSIGNED)
			json_str(o, "ripas", ripas_name(ripas));
		if (h == HIPAS_ASSIGNED)
			json_hex(o, "pa", s2tte_pa(e, level));
		else if (h == HIPAS_ASSIGNED_NS)
			json_hex(o, "desc", s2tte_ns_host_bits(e, level));
		else
			json_int(o, "count", count);
		json_close(o, '}');
		return;
	}
	out_printf(o, "%*s[0x%" PRIx64 ", 0x%" PRIx64 ") %s", (int)indent, "",
		   base, top, hipas_name(h));
	if (h == HIPAS_UNASSIGNED || h == HIPAS_ASSIGNED)
		out_printf(o, " %s", ripas_name(ripas));
	if (h == HIPAS_ASSIGNED)
		out_printf(o, " 0x%" PRIx64, s2tte_pa(e, level));
	else if (h == HIPAS_ASSIGNED_NS)
		out_printf(o, " 0x%" PRIx64, s2tte_ns_host_bits(e, level));
	else if (count > 1)
		out_printf(o, " (%u entries)", count);
	out_printf(o, "\n");
}

static void emit_rtt(struct out *o, struct rmm *rmm, struct granule *g,
		     int level, uint64_t base, unsigned int indent);

/* Number of entries from i on that are unassigned like entry i. */
static unsigned int unassigned_run(const uint64_t *table, unsigned int i,
				   int level)
{
	enum s2tte_hipas h = s2tte_hipas(table[i], level);
	enum rmi_ripas ripas = s2tte_ripas(table[i], level);
	unsigned int j = i + 1;

	while (j < S2TT_ENTRIES && s2tte_hipas(table[j], level) == h &&
	       s2tte_ripas(table[j], level) == ripas)
		j++;
	return j - i;
}

static void emit_entries(struct out *o, struct rmm *rmm, const uint64_t *table,
			 int level, uint64_t base, unsigned int indent)
{
	uint64_t size = s2tt_entry_size(level);
	unsigned int i = 0;

	while (i < S2TT_ENTRIES) {
		uint64_t e = table[i], at = base + i * size;
		enum s2tte_hipas h = s2tte_hipas(e, level);
		unsigned int n = 1;

		if (h == HIPAS_TABLE) {
			struct granule *child = granule_find(rmm, s2tte_pa(e, level));

			emit_rtt(o, rmm, child, level + 1, at, indent);
		} else if (h == HIPAS_UNASSIGNED || h == HIPAS_UNASSIGNED_NS) {
			n = unassigned_run(table, i, level);
			if (!entry_is_initial(h, s2tte_ripas(e, level)))
				emit_leaf(o, indent, at, at + n * size, n, e, level);
		} else {
			emit_leaf(o, indent, at, at + size, 1, e, level);
		}
		i += n;
	}
}

/* The RTT g at level mapping [base, base + 512 entries), and below it. */
static void emit_rtt(struct out *o, struct rmm *rmm, struct granule *g,
		     int level, uint64_t base, unsigned int indent)
{
	uint64_t top = base + S2TT_ENTRIES * s2tt_entry_size(level);
	uint64_t pa = g != NULL ? granule_pa(rmm, g) : 0;

	if (o->json) {
		json_open(o, NULL, '{');
		json_hex(o, "pa", pa);
		json_int(o, "level", level);
		json_hex(o, "base", base);
		json_hex(o, "top", top);
		json_open(o, "entries", '[');
	} else {
		out_printf(o, "%*srtt 0x%" PRIx64 ": level %d, [0x%" PRIx64
			   ", 0x%" PRIx64 ")%s\n", (int)indent, "", pa, level,
			   base, top, g == NULL ? " (not a tracked granule)" : "");
	}
	if (g != NULL)
		emit_entries(o, rmm, granule_priv(rmm, g), level, base, indent + 2);
	if (o->json) {
		json_close(o, ']');
		json_close(o, '}');
	}
}

/* --- realms ------------------------------------------------------------------ */

static void hex_digest(char *dst, const uint8_t *src, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 0xf];
	}
	dst[2 * n] = '\0';
}

static void emit_measurements(struct out *o, const struct realm *r)
{
	size_t size = measure_digest_size(r->hash_algo);
	char hex[2 * REALM_MEASUREMENT_SIZE + 1];

	hex_digest(hex, r->measurements[0], size);
	if (o->json) {
		json_str(o, "rim", hex);
		json_open(o, "rems", '[');
	} else {
		out_printf(o, "  rim %s\n", hex);
	}
	for (unsigned int i = 1; i < REALM_MEASUREMENTS; i++) {
		hex_digest(hex, r->measurements[i], size);
		if (o->json)
			json_str(o, NULL, hex);
		else
			out_printf(o, "  rem%u %s\n", i - 1, hex);
	}
	if (o->json)
		json_close(o, ']');
}

static void emit_realm_header(struct out *o, const struct realm *r,
			      uint32_t num_recs)
{
	if (o->json) {
		json_hex(o, "rd", r->rd_pa);
		json_str(o, "state", realm_state_name(r->state));
		json_int(o, "vmid", r->vmid);
		json_int(o, "s2sz", r->s2sz);
		json_str(o, "hash_algo", hash_name(r->hash_algo));
		json_hex(o, "flags", r->flags);
		json_int(o, "rtt_level_start", r->rtt_level_start);
		json_int(o, "rtt_num_start", r->rtt_num_start);
		json_int(o, "num_recs", num_recs);
		return;
	}
	out_printf(o, "realm 0x%" PRIx64 ": %s, vmid %u, s2sz %u, %s, flags 0x%"
		   PRIx64 ", %u root RTT%s at level %d, %u REC%s\n", r->rd_pa,
		   realm_state_name(r->state), r->vmid, r->s2sz,
		   hash_name(r->hash_algo), r->flags, r->rtt_num_start,
		   r->rtt_num_start == 1 ? "" : "s", r->rtt_level_start,
		   num_recs, num_recs == 1 ? "" : "s");
}

static void emit_realm(struct out *o, struct rmm *rmm, const struct collect *c,
		       struct granule *g_rd)
{
	const struct realm *r;
	uint64_t root_span;

	granule_lock(g_rd);
	r = g_rd->realm;
	if (g_rd->state != GRANULE_STATE_RD || r == NULL) {
		/* Destroyed since it was collected. */
		granule_unlock(g_rd);
		return;
	}
	if (o->json)
		json_open(o, NULL, '{');
	emit_realm_header(o, r, g_rd->refcount);
	emit_measurements(o, r);
	emit_recs(o, c, r);
	if (o->json)
		json_open(o, "rtts", '[');
	root_span = S2TT_ENTRIES * s2tt_entry_size(r->rtt_level_start);
	for (unsigned int i = 0; i < r->rtt_num_start; i++)
		emit_rtt(o, rmm, r->g_rtt_root[i], r->rtt_level_start,
			 i * root_span, 2);
	if (o->json) {
		json_close(o, ']');
		json_close(o, '}');
	}
	granule_unlock(g_rd);
}

char *rmm_state_format(struct rmm *rmm, int json)
{
	struct out o = { .json = json != 0, .cap = 4096 };
	struct collect c = { 0 };

	o.buf = malloc(o.cap);
	c.recs = malloc(sizeof(*c.recs));
	c.rds = malloc(sizeof(*c.rds));
	if (o.buf == NULL || c.recs == NULL || c.rds == NULL)
		goto fail;
	o.buf[0] = '\0';
	granule_for_each(rmm, collect_one, &c);
	if (c.oom)
		goto fail;
	if (o.json)
		json_open(&o, NULL, '{');
	emit_counts(&o, rmm);
	if (o.json)
		json_open(&o, "realms", '[');
	else
		out_printf(&o, "realms: %zu\n", c.num_rds);
	for (size_t i = 0; i < c.num_rds; i++)
		emit_realm(&o, rmm, &c, c.rds[i]);
	if (o.json) {
		json_close(&o, ']');
		json_close(&o, '}');
		out_printf(&o, "\n");
	}
	if (o.oom)
		goto fail;
	free(c.recs);
	free(c.rds);
	return o.buf;

fail:
	free(c.recs);
	free(c.rds);
	free(o.buf);
	return NULL;
}
