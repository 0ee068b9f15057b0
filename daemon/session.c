/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host sessions. The table's lock guards the list and the counts only: RMI
 * calls never take it, so calls of all sessions (and of all connections of
 * one session) run concurrently on the thread-safe core.
 *
 * A session is held by its connections and, briefly, by STATE formatting;
 * rmm_free() runs once nobody holds it, so no call of the session is in
 * flight then.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "daemon/recorder.h"
#include "daemon/session.h"
#ifdef HAVE_KVM_EXECUTOR
#include "executor/kvm.h"
#endif
#include "rmmemu/log.h"
#include "rmmemu/rmm.h"
#include "rmmemu/state.h"

struct session {
	uint64_t id;
	uint8_t token[RMMEMU_TOKEN_SIZE];
	struct rmm *rmm;
	struct recorder *rec;		/* NULL unless recording */
	unsigned int conns;		/* connections; 0: ended, not joinable */
	unsigned int refs;		/* connections + STATE formatters */
	struct session *next;
};

struct session_table {
	pthread_mutex_t lock;
	struct session *head;
	uint64_t next_id;
	char *record_dir;
};

struct session_table *session_table_new(const char *record_dir)
{
	struct session_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (record_dir != NULL && (t->record_dir = strdup(record_dir)) == NULL) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->next_id = 1;
	return t;
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
 * Realm code runs under the KVM executor when this build has it and the
 * machine has a usable /dev/kvm (one executor for all sessions, opened with
 * the first); otherwise REC_ENTER returns IRQ exits (rmmemu/executor.h).
 * Returns the executor's name.
 */
static const char *session_plug_executor(struct rmm *rmm)
{
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
	executor = session_plug_executor(s->rmm);
	pthread_mutex_lock(&t->lock);
	s->id = t->next_id++;
	pthread_mutex_unlock(&t->lock);
	err = session_open_recorder(t, s, why, why_size);
	if (err) {
		rmm_free(s->rmm);
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

	pthread_mutex_lock(&t->lock);
	for (s = t->head; s != NULL; s = s->next) {
		if (s->conns > 0 && token_equal(s->token, token))
			break;
	}
	if (s != NULL) {
		s->conns++;
		s->refs++;
	}
	pthread_mutex_unlock(&t->lock);
	if (s == NULL)
		return -ENOENT;
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
 * The core maps fd as the host's memory; an fd that is not a memfd covering
 * the region would make the daemon fault (SIGBUS) on first touch instead of
 * failing now.
 */
static int region_fd_check(int fd, uint64_t size, uint64_t offset,
			   char *why, size_t why_size)
{
	struct stat st;
	int seals;

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
	if (offset + size < offset || offset + size > (uint64_t)st.st_size) {
		snprintf(why, why_size,
			 "the memfd holds 0x%" PRIx64 " bytes, the region needs 0x%" PRIx64
			 " bytes from offset 0x%" PRIx64,
			 (uint64_t)st.st_size, size, offset);
		return -EINVAL;
	}
	/* A host that shrank the memfd under the daemon's mapping would crash
	 * the daemon (SIGBUS) and with it every other host: the memfd must be
	 * sealed against shrinking, by the host or here. */
	if (seals & F_SEAL_SHRINK)
		return 0;
	if ((seals & F_SEAL_SEAL) || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) {
		snprintf(why, why_size, "the memfd cannot be sealed against shrinking: "
			 "create it with MFD_ALLOW_SEALING");
		return -EINVAL;
	}
	return 0;
}

int session_share_region(struct session *s, uint64_t base, uint64_t size,
			 int fd, uint64_t offset, char *why, size_t why_size)
{
	int err = region_fd_check(fd, size, offset, why, why_size);

	if (err)
		return err;
	err = rmm_add_region(s->rmm, base, size, fd, offset);
	if (err == -EINVAL)
		snprintf(why, why_size, "unaligned, empty or too large");
	else if (err == -EEXIST)
		snprintf(why, why_size, "overlaps a region the session already shares");
	else if (err)
		snprintf(why, why_size, "cannot map the memfd: %s", strerror(-err));
	if (err)
		return err;
	if (s->rec != NULL)
		recorder_region(s->rec, base, size, fd, offset);
	rmm_log(RMM_LOG_INFO, "session %" PRIu64 ": region [0x%" PRIx64 ", 0x%" PRIx64
		") shared, memfd offset 0x%" PRIx64, s->id, base, base + size, offset);
	return 0;
}

void session_call(struct session *s, const uint64_t x[7], uint64_t out[5])
{
	uint64_t line = 0;

	if (s->rec != NULL)
		line = recorder_call_begin(s->rec, x);
	rmm_call(s->rmm, x, out);
	if (s->rec != NULL)
		recorder_call_end(s->rec, line, out);
}

int session_kick(struct session *s, uint64_t rec_pa)
{
	return rmm_rec_kick(s->rmm, rec_pa);
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
