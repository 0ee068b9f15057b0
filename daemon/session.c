/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host sessions. The table's lock guards the list and the counts only: RMI
 * calls never take it, so calls of all sessions (and of all connections of
 * one session) run concurrently on the thread-safe core.
 *
 * A session is held by its connections and, briefly, by STATE formatting;
 * rmm_free() runs once nobody holds it, so no call of the session is in
 * flight then.
 *
 * Limits (struct session_limits) bound what one host can make the daemon
 * hold: threads (connections), address space and granule tables (regions),
 * realms. They are counted here, next to what they count.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <rmmemu/client.h>
#include <rmmemu/rmi-1.0.h>

#include "daemon/recorder.h"
#include "daemon/session.h"
#include "platform/platform.h"
#ifdef HAVE_KVM_EXECUTOR
#include "executor/kvm.h"
#endif
#include "rmmemu/executor.h"
#include "rmmemu/log.h"
#include "rmmemu/rmm.h"
#include "rmmemu/state.h"

/* The file bytes a region maps: a memfd range has one physical address. */
struct shared_file {
	dev_t dev;
	ino_t ino;
	uint64_t offset, size;
	uint64_t base;
	struct shared_file *next;
};

struct session {
	uint64_t id;
	uint8_t token[RMMEMU_TOKEN_SIZE];
	struct rmm *rmm;
	struct recorder *rec;		/* NULL unless recording */
	unsigned int conns;		/* connections; 0: ended, not joinable */
	unsigned int refs;		/* connections + STATE formatters */
	struct session *next;

	const struct session_limits *limits;	/* the table's */
	pthread_mutex_t share_lock;	/* one SHARE_REGION at a time: these */
	unsigned int regions;
	uint64_t region_bytes;
	struct shared_file *files;	/* what each region maps, for aliases */
	atomic_uint realms;		/* live realms + REALM_CREATEs in flight */
};

struct session_table {
	pthread_mutex_t lock;
	struct session *head;
	uint64_t next_id;
	char *record_dir;
	struct session_limits limits;
	const struct rmm_executor_ops *exec_ops;	/* NULL: the build's */
	void *exec_ctx;
	const struct platform *platform;		/* NULL: no tokens */
};

struct session_limits session_limits_resolve(const struct session_limits *limits)
{
	struct session_limits l = limits != NULL ? *limits : (struct session_limits){ 0 };

	if (l.connections == 0)
		l.connections = SESSION_DEFAULT_CONNECTIONS;
	if (l.regions == 0)
		l.regions = SESSION_DEFAULT_REGIONS;
	if (l.region_bytes == 0)
		l.region_bytes = SESSION_DEFAULT_REGION_BYTES;
	if (l.realms == 0)
		l.realms = SESSION_DEFAULT_REALMS;
	return l;
}

struct session_table *session_table_new(const char *record_dir,
					const struct session_limits *limits)
{
	struct session_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->limits = session_limits_resolve(limits);
	if (record_dir != NULL && (t->record_dir = strdup(record_dir)) == NULL) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->next_id = 1;
	return t;
}

const struct session_limits *session_table_limits(const struct session_table *t)
{
	return &t->limits;
}

void session_table_set_executor(struct session_table *t, const struct rmm_executor_ops *ops,
				void *ctx)
{
	t->exec_ops = ops;
	t->exec_ctx = ctx;
}

void session_table_set_platform(struct session_table *t, const struct platform *p)
{
	t->platform = p;
}

void session_table_free(struct session_table *t)
{
	if (t == NULL)
		return;
	if (t->head != NULL)
		rmm_log(RMM_LOG_ERROR, "session table freed with session %" PRIu64 " alive",
			t->head->id);
	pthread_mutex_destroy(&t->lock);
	free(t->record_dir);
	free(t);
}

static int random_token(uint8_t token[RMMEMU_TOKEN_SIZE])
{
	size_t done = 0;

	while (done < RMMEMU_TOKEN_SIZE) {
		ssize_t n = getrandom(token + done, RMMEMU_TOKEN_SIZE - done, 0);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			done += (size_t)n;
	}
	return 0;
}

/* The session's last holder is gone and nobody can find it any more. */
static void session_destroy(struct session *s)
{
	recorder_close(s->rec);
	rmm_free(s->rmm);
	rmm_log(RMM_LOG_INFO, "session %" PRIu64 " ended: realms destroyed, granules scrubbed",
		s->id);
	while (s->files != NULL) {
		struct shared_file *f = s->files;

		s->files = f->next;
		free(f);
	}
	pthread_mutex_destroy(&s->share_lock);
	free(s);
}

static void session_unlink(struct session_table *t, struct session *s)
{
	for (struct session **p = &t->head; *p != NULL; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			return;
		}
	}
}

/* Drops one hold; returns true if it was the last (s is then unlinked and
 * the caller destroys it). Called with the lock held. */
static bool session_unhold(struct session_table *t, struct session *s, bool conn)
{
	if (conn)
		s->conns--;
	if (--s->refs > 0)
		return false;
	session_unlink(t, s);
	return true;
}

static int session_open_recorder(struct session_table *t, struct session *s,
				 char *why, size_t why_size)
{
	int err = 0;

	if (t->record_dir == NULL)
		return 0;
	s->rec = recorder_open(t->record_dir, s->id, &err);
	if (s->rec == NULL)
		snprintf(why, why_size, "cannot record session %" PRIu64 " in %s: %s",
			 s->id, t->record_dir, strerror(-err));
	return s->rec != NULL ? 0 : err;
}

#ifdef HAVE_KVM_EXECUTOR
static struct kvm_executor *kvm_exec;
static pthread_once_t kvm_exec_once = PTHREAD_ONCE_INIT;

static void kvm_exec_open(void)
{
	if (kvm_executor_create(&kvm_exec) == 0)
		rmm_log(RMM_LOG_INFO, "realms run under the KVM executor");
	else
		kvm_exec = NULL;
}
#endif

/*
 * Realm code runs under the table's executor when a test plugged one, else
 * under the KVM executor when this build has it and the machine has a usable
 * /dev/kvm (one executor for all sessions, opened with the first); otherwise
 * REC_ENTER returns IRQ exits (rmmemu/executor.h). Returns the executor's
 * name.
 */
static const char *session_plug_executor(struct session_table *t, struct rmm *rmm)
{
	if (t->exec_ops != NULL) {
		rmm_set_executor(rmm, t->exec_ops, t->exec_ctx);
		return t->exec_ops->name;
	}
#ifdef HAVE_KVM_EXECUTOR
	pthread_once(&kvm_exec_once, kvm_exec_open);
	if (kvm_exec != NULL) {
		rmm_set_executor(rmm, kvm_executor_ops(), kvm_exec);
		return "kvm";
	}
#else
	(void)rmm;
#endif
	return "none";
}

int session_create(struct session_table *t, struct session **out,
		   char *why, size_t why_size)
{
	const char *executor;
	struct session *s = calloc(1, sizeof(*s)), **p;
	int err;

	if (s == NULL) {
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	err = random_token(s->token);
	if (err) {
		snprintf(why, why_size, "no random token: %s", strerror(-err));
		free(s);
		return err;
	}
	s->rmm = rmm_new(NULL);
	if (s->rmm == NULL) {
		err = -errno;
		snprintf(why, why_size, "cannot create an RMM instance: %s", strerror(errno));
		free(s);
		return err;
	}
	if (t->platform != NULL && (err = platform_attach(t->platform, s->rmm)) != 0) {
		snprintf(why, why_size, "cannot give the RMM its attestation key: %s",
			 strerror(-err));
		rmm_free(s->rmm);
		free(s);
		return err;
	}
	s->limits = &t->limits;
	pthread_mutex_init(&s->share_lock, NULL);
	atomic_init(&s->realms, 0);
	executor = session_plug_executor(t, s->rmm);
	pthread_mutex_lock(&t->lock);
	s->id = t->next_id++;
	pthread_mutex_unlock(&t->lock);
	err = session_open_recorder(t, s, why, why_size);
	if (err) {
		rmm_free(s->rmm);
		pthread_mutex_destroy(&s->share_lock);
		free(s);
		return err;
	}
	s->conns = s->refs = 1;
	pthread_mutex_lock(&t->lock);
	/* Appended, so that STATE lists sessions oldest first. */
	for (p = &t->head; *p != NULL; p = &(*p)->next)
		;
	*p = s;
	pthread_mutex_unlock(&t->lock);
	rmm_log(RMM_LOG_INFO, "session %" PRIu64 " created (executor: %s)", s->id, executor);
	*out = s;
	return 0;
}

/* Compares without an early exit: the token is the session's only secret. */
static bool token_equal(const uint8_t *a, const uint8_t *b)
{
	uint8_t diff = 0;

	for (unsigned int i = 0; i < RMMEMU_TOKEN_SIZE; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

int session_join(struct session_table *t, const uint8_t token[RMMEMU_TOKEN_SIZE],
		 struct session **out)
{
	struct session *s;
	uint64_t id = 0;
	bool full = false;

	pthread_mutex_lock(&t->lock);
	for (s = t->head; s != NULL; s = s->next) {
		if (s->conns > 0 && token_equal(s->token, token))
			break;
	}
	if (s != NULL && s->conns >= t->limits.connections) {
		full = true;
		id = s->id;
	} else if (s != NULL) {
		s->conns++;
		s->refs++;
	}
	pthread_mutex_unlock(&t->lock);
	if (s == NULL)
		return -ENOENT;
	if (full) {
		rmm_log(RMM_LOG_WARN, "session %" PRIu64 ": a connection more refused: %u "
			"connections is its limit", id, t->limits.connections);
		return -EUSERS;
	}
	rmm_log(RMM_LOG_INFO, "session %" PRIu64 " joined (%u connections)", s->id, s->conns);
	*out = s;
	return 0;
}

void session_leave(struct session_table *t, struct session *s)
{
	bool last;

	pthread_mutex_lock(&t->lock);
	last = session_unhold(t, s, true);
	pthread_mutex_unlock(&t->lock);
	if (last)
		session_destroy(s);
}

uint64_t session_id(const struct session *s)
{
	return s->id;
}

const uint8_t *session_token(const struct session *s)
{
	return s->token;
}

/*
 * A host that shrank the memfd under the daemon's mapping would crash the
 * daemon (SIGBUS on the next touch) and with it every other host: the memfd
 * must be sealed against shrinking, by the host or here, before its size is
 * read, or the host could shrink it between the check and the seal.
 */
static int region_fd_seal(int fd, int seals, char *why, size_t why_size)
{
	if (seals & F_SEAL_SHRINK)
		return 0;
	if ((seals & F_SEAL_SEAL) || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) {
		snprintf(why, why_size, "the memfd cannot be sealed against shrinking: "
			 "create it with MFD_ALLOW_SEALING");
		return -EINVAL;
	}
	return 0;
}

/*
 * The core maps fd as the host's memory; an fd that is not a memfd covering
 * the region would make the daemon fault (SIGBUS) on first touch instead of
 * failing now. The seal stays on a memfd whose region is then refused. The
 * memfd's identity is left in st.
 */
static int region_fd_check(int fd, uint64_t size, uint64_t offset, struct stat *out,
			   char *why, size_t why_size)
{
	struct stat st;
	int seals, err;

	if (fstat(fd, &st) != 0) {
		snprintf(why, why_size, "cannot fstat the fd: %s", strerror(errno));
		return -EBADF;
	}
	seals = S_ISREG(st.st_mode) ? fcntl(fd, F_GET_SEALS) : -1;
	if (seals < 0) {
		snprintf(why, why_size, "the fd is not a memfd");
		return -EINVAL;
	}
	if (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) {
		snprintf(why, why_size, "the memfd is sealed against writes");
		return -EINVAL;
	}
	err = region_fd_seal(fd, seals, why, why_size);
	if (err)
		return err;
	/* The size the seal froze from below. */
	if (fstat(fd, &st) != 0) {
		snprintf(why, why_size, "cannot fstat the fd: %s", strerror(errno));
		return -EBADF;
	}
	if (offset + size < offset || offset + size > (uint64_t)st.st_size) {
		snprintf(why, why_size,
			 "the memfd holds 0x%" PRIx64 " bytes, the region needs 0x%" PRIx64
			 " bytes from offset 0x%" PRIx64,
			 (uint64_t)st.st_size, size, offset);
		return -EINVAL;
	}
	*out = st;
	return 0;
}

/*
 * With share_lock held. Memory the session shares already, at another PA:
 * one page at two physical addresses would let the host write, through the
 * NS one, a granule it delegated through the other, which the granule
 * protection check forbids on real hardware (rmi-1.0.md 3.1). A range that
 * overlaps in PA is left to rmm_add_region(), which refuses it.
 */
static int region_alias_check(struct session *s, const struct stat *st, uint64_t base,
			      uint64_t size, uint64_t offset, char *why, size_t why_size)
{
	for (const struct shared_file *f = s->files; f != NULL; f = f->next) {
		if (base < f->base + f->size && f->base < base + size)
			return 0;
		if (f->dev == st->st_dev && f->ino == st->st_ino &&
		    offset < f->offset + f->size && f->offset < offset + size) {
			snprintf(why, why_size, "the memfd's bytes [0x%" PRIx64 ", 0x%" PRIx64
				 ") are shared already, at 0x%" PRIx64 ": a page of host memory "
				 "has one physical address", f->offset, f->offset + f->size,
				 f->base);
			return -EEXIST;
		}
	}
	return 0;
}

static int region_remember(struct session *s, const struct stat *st, uint64_t base,
			   uint64_t size, uint64_t offset)
{
	struct shared_file *f = malloc(sizeof(*f));

	if (f == NULL)
		return -ENOMEM;
	*f = (struct shared_file){ .dev = st->st_dev, .ino = st->st_ino, .offset = offset,
				   .size = size, .base = base, .next = s->files };
	s->files = f;
	return 0;
}

/* With share_lock held. The region count and size are the daemon's costs: a
 * mapping, a private memfd and a granule table of 1/64 of the size. */
static int region_limits_check(struct session *s, uint64_t size, char *why, size_t why_size)
{
	const struct session_limits *l = s->limits;

	if (s->regions >= l->regions) {
		snprintf(why, why_size, "the session shares %u regions, its limit "
			 "(rmmemu --session-regions)", s->regions);
		return -EDQUOT;
	}
	if (size > l->region_bytes - s->region_bytes) {
		snprintf(why, why_size, "the session shares 0x%" PRIx64 " bytes; 0x%" PRIx64
			 " more would pass its limit of 0x%" PRIx64
			 " (rmmemu --session-memory)", s->region_bytes, size, l->region_bytes);
		return -EDQUOT;
	}
	return 0;
}

static int session_add_region(struct session *s, uint64_t base, uint64_t size,
			      int fd, uint64_t offset, char *why, size_t why_size)
{
	struct stat st;
	int err = region_limits_check(s, size, why, why_size);

	if (err)
		return err;
	err = region_fd_check(fd, size, offset, &st, why, why_size);
	if (err)
		return err;
	err = region_alias_check(s, &st, base, size, offset, why, why_size);
	if (err)
		return err;
	/* Before the region exists: a region the session could not remember
	 * would let an alias of it through. */
	err = region_remember(s, &st, base, size, offset);
	if (err) {
		snprintf(why, why_size, "out of memory");
		return err;
	}
	err = rmm_add_region(s->rmm, base, size, fd, offset);
	if (err == -EINVAL)
		snprintf(why, why_size, "unaligned, empty or too large");
	else if (err == -EEXIST)
		snprintf(why, why_size, "overlaps a region the session already shares");
	else if (err == -ENOSPC)
		snprintf(why, why_size, "the session shares as many regions as an RMM "
			 "instance holds");
	else if (err)
		snprintf(why, why_size, "cannot map the memfd: %s", strerror(-err));
	if (err) {
		struct shared_file *f = s->files;

		s->files = f->next;
		free(f);
		return err;
	}
	s->regions++;
	s->region_bytes += size;
	return 0;
}

int session_share_region(struct session *s, uint64_t base, uint64_t size,
			 int fd, uint64_t offset, char *why, size_t why_size)
{
	int err;

	pthread_mutex_lock(&s->share_lock);
	err = session_add_region(s, base, size, fd, offset, why, why_size);
	pthread_mutex_unlock(&s->share_lock);
	if (err)
		return err;
	if (s->rec != NULL)
		recorder_region(s->rec, base, size, fd, offset);
	rmm_log(RMM_LOG_INFO, "session %" PRIu64 ": region [0x%" PRIx64 ", 0x%" PRIx64
		") shared, memfd offset 0x%" PRIx64, s->id, base, base + size, offset);
	return 0;
}

/* Takes one of the session's realm slots; false if none is free. */
static bool realm_slot_take(struct session *s)
{
	unsigned int n = atomic_load(&s->realms);

	do {
		if (n >= s->limits->realms)
			return false;
	} while (!atomic_compare_exchange_weak(&s->realms, &n, n + 1));
	return true;
}

/*
 * A REALM_CREATE past the limit fails with ERROR_INPUT, the only status
 * REALM_CREATE has (spec: "every failure is ERROR_INPUT", rmi-1.0.md 8.7),
 * and the one a host already meets when the RMM runs out of VMIDs (step 10).
 * An RMI status, not a protocol ERROR: the host's connection, its session and
 * its other realms go on, and nothing changed. x1..x3 are zero and x4 kept,
 * as the core returns a failure. Not recorded: a replay without the limit
 * would create the realm.
 */
static bool realm_create_refused(struct session *s, const uint64_t x[7], uint64_t out[5])
{
	if (realm_slot_take(s))
		return false;
	out[0] = RMI_ERROR_INPUT;
	out[1] = out[2] = out[3] = 0;
	out[4] = x[4];
	rmm_log(RMM_LOG_WARN, "session %" PRIu64 ": REALM_CREATE refused (ERROR_INPUT): %u "
		"realms is its limit (rmmemu --session-realms)", s->id, s->limits->realms);
	return true;
}

void session_call(struct session *s, const uint64_t x[7], uint64_t out[5])
{
	/* The core's FID: the SVE hint bit is not part of it. */
	uint32_t fid = (uint32_t)x[0] & ~RMI_FID_SVE_HINT;
	uint64_t line = 0;

	if (fid == RMI_REALM_CREATE && realm_create_refused(s, x, out))
		return;
	if (s->rec != NULL)
		line = recorder_call_begin(s->rec, x);
	rmm_call(s->rmm, x, out);
	if (s->rec != NULL)
		recorder_call_end(s->rec, line, out);
	if ((fid == RMI_REALM_CREATE && out[0] != RMI_SUCCESS) ||
	    (fid == RMI_REALM_DESTROY && out[0] == RMI_SUCCESS))
		atomic_fetch_sub(&s->realms, 1);
}

/* The wire's event numbers are the core's (rmm.h). */
_Static_assert(RMMEMU_PHYS_IRQ == RMM_PHYS_IRQ && RMMEMU_PHYS_FIQ == RMM_PHYS_FIQ &&
	       RMMEMU_PHYS_SERROR == RMM_PHYS_SERROR, "RMMEMU_PHYS_* are enum rmm_phys_event");

int session_raise(struct session *s, uint64_t rec_pa, unsigned int event, uint64_t esr)
{
	/* The core refuses a number the enum has no value for (-EINVAL). */
	return rmm_rec_raise(s->rmm, rec_pa, (enum rmm_phys_event)event, esr);
}

struct held {
	struct session *s;
	unsigned int conns;
};

/* Holds every live session for formatting without the table lock. */
static struct held *session_hold_all(struct session_table *t, size_t *count)
{
	struct held *v;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&t->lock);
	for (struct session *s = t->head; s != NULL; s = s->next)
		cap++;
	v = calloc(cap ? cap : 1, sizeof(*v));
	for (struct session *s = t->head; v != NULL && s != NULL; s = s->next) {
		if (s->conns == 0)
			continue;
		s->refs++;
		v[n++] = (struct held){ .s = s, .conns = s->conns };
	}
	pthread_mutex_unlock(&t->lock);
	*count = n;
	return v;
}

static void session_release_all(struct session_table *t, struct held *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool last;

		pthread_mutex_lock(&t->lock);
		last = session_unhold(t, v[i].s, false);
		pthread_mutex_unlock(&t->lock);
		if (last)
			session_destroy(v[i].s);
	}
	free(v);
}

/* The core's view of one instance, indented under its session in text. */
static void format_rmm(FILE *f, struct session *s, int json)
{
	char *text = rmm_state_format(s->rmm, json);

	if (text == NULL) {
		fputs(json ? ",\"rmm\":null" : "  (state unavailable)\n", f);
		return;
	}
	if (json) {
		fprintf(f, ",\"rmm\":%s", text);
	} else {
		for (const char *line = text; *line != '\0'; ) {
			const char *end = strchrnul(line, '\n');

			fprintf(f, "  %.*s\n", (int)(end - line), line);
			line = *end != '\0' ? end + 1 : end;
		}
	}
	free(text);
}

char *session_state_format(struct session_table *t, int json)
{
	size_t n, len;
	struct held *v = session_hold_all(t, &n);
	char *text = NULL;
	FILE *f;

	if (v == NULL)
		return NULL;
	f = open_memstream(&text, &len);
	if (f == NULL) {
		session_release_all(t, v, n);
		return NULL;
	}
	if (json)
		fputs("{\"sessions\":[", f);
	for (size_t i = 0; i < n; i++) {
		if (json)
			fprintf(f, "%s{\"id\":%" PRIu64 ",\"connections\":%u", i ? "," : "",
				v[i].s->id, v[i].conns);
		else
			fprintf(f, "session %" PRIu64 ": %u connections\n", v[i].s->id,
				v[i].conns);
		format_rmm(f, v[i].s, json);
		if (json)
			fputc('}', f);
	}
	if (json)
		fputs("]}\n", f);
	session_release_all(t, v, n);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int session_table_check_invariants(struct session_table *t, char *report, size_t len)
{
	size_t n, used = 0;
	struct held *v = session_hold_all(t, &n);
	int violations = 0;

	if (len > 0)
		report[0] = '\0';
	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n && violations >= 0; i++) {
		size_t mark = used;
		int found;

		if (used < len)
			used += (size_t)snprintf(report + used, len - used, "session %" PRIu64 ":\n",
						 v[i].s->id);
		found = rmm_check_invariants(v[i].s->rmm, used < len ? report + used : NULL,
					     used < len ? len - used : 0);
		if (found < 0) {
			violations = -1;
		} else if (found == 0) {
			used = mark;
			if (used < len)
				report[used] = '\0';
		} else {
			violations += found;
			used = used < len ? used + strlen(report + used) : used;
		}
	}
	session_release_all(t, v, n);
	return violations;
}
