/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The call recorder (see recorder.h). One lock per recorder: the lines of one
 * call's inputs and its call line stay together when connections of the
 * session call concurrently. The lock is never held while the call runs, so
 * recording does not serialise calls; a result that does not follow its call
 * line names the line of its call.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rmmemu/rmi-1.0.h>

#include "daemon/recorder.h"
#include "rmmemu/log.h"
#include "rmmemu/rmm.h"

struct rec_region {
	uint64_t base, size, offset;
	int fd;				/* -1 if it could not be kept */
};

struct recorder {
	pthread_mutex_t lock;
	FILE *f;
	char *path;
	uint64_t line;			/* lines written so far */
	bool failed;			/* a write failed; reported once */
	unsigned int nregions;
	struct rec_region *regions;
};

/* The NS memory a command reads, by the register holding its PA
 * (rmi-1.0.md 7 and 5.1-5.3): replay must see the same bytes. */
static const struct ns_input {
	uint32_t fid;
	unsigned int reg;
	size_t len;
} ns_inputs[] = {
	{ RMI_REALM_CREATE, 2, sizeof(struct rmi_realm_params) },
	{ RMI_REC_CREATE, 3, sizeof(struct rmi_rec_params) },
	{ RMI_DATA_CREATE, 4, RMI_GRANULE_SIZE },
	/* Only RmiRecEnter: RmiRecExit is the RMM's output. */
	{ RMI_REC_ENTER, 2, sizeof(struct rmi_rec_enter) },
};

__attribute__((format(printf, 2, 3)))
static void rec_line(struct recorder *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(r->f, fmt, ap);
	va_end(ap);
	fputc('\n', r->f);
	r->line++;
}

/* Pushes the lines to the file now, so that a crash of the daemon keeps them. */
static void rec_flush(struct recorder *r)
{
	if ((fflush(r->f) != 0 || ferror(r->f)) && !r->failed) {
		r->failed = true;
		rmm_log(RMM_LOG_ERROR, "recording to %s failed: %s", r->path, strerror(errno));
	}
}

int recorder_prepare_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	if (stat(dir, &st) != 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

struct recorder *recorder_open(const char *dir, uint64_t session_id, int *err)
{
	struct recorder *r = calloc(1, sizeof(*r));
	int fd;

	if (r == NULL || asprintf(&r->path, "%s/session-%" PRIu64 ".rmi", dir, session_id) < 0) {
		free(r);
		*err = -ENOMEM;
		return NULL;
	}
	/* 0600: the recording holds the host's memory contents. */
	fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || (r->f = fdopen(fd, "w")) == NULL) {
		*err = -errno;
		if (fd >= 0)
			close(fd);
		free(r->path);
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	rec_line(r, "# rmmemu %s: RMI calls of host session %" PRIu64 ", for rmmctl replay",
		 PACKAGE_VERSION, session_id);
	rec_flush(r);
	rmm_log(RMM_LOG_INFO, "session %" PRIu64 ": recording to %s", session_id, r->path);
	return r;
}

void recorder_close(struct recorder *r)
{
	if (r == NULL)
		return;
	rec_flush(r);
	if (fclose(r->f) != 0 && !r->failed)
		rmm_log(RMM_LOG_ERROR, "recording to %s failed: %s", r->path, strerror(errno));
	for (unsigned int i = 0; i < r->nregions; i++) {
		if (r->regions[i].fd >= 0)
			close(r->regions[i].fd);
	}
	free(r->regions);
	free(r->path);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void recorder_region(struct recorder *r, uint64_t base, uint64_t size, int fd,
		     uint64_t offset)
{
	struct rec_region *v;

	pthread_mutex_lock(&r->lock);
	rec_line(r, "region 0x%" PRIx64 " 0x%" PRIx64, base, size);
	v = realloc(r->regions, (r->nregions + 1) * sizeof(*v));
	if (v != NULL) {
		r->regions = v;
		v[r->nregions++] = (struct rec_region){
			.base = base, .size = size, .offset = offset,
			.fd = fcntl(fd, F_DUPFD_CLOEXEC, 3),
		};
	}
	if (v == NULL || v[r->nregions - 1].fd < 0)
		rec_line(r, "# the memory of this region can not be recorded: %s",
			 strerror(v == NULL ? ENOMEM : errno));
	rec_flush(r);
	pthread_mutex_unlock(&r->lock);
}

static const struct rec_region *region_of(struct recorder *r, uint64_t pa, size_t len)
{
	for (unsigned int i = 0; i < r->nregions; i++) {
		const struct rec_region *g = &r->regions[i];

		if (pa >= g->base && pa - g->base < g->size && g->size - (pa - g->base) >= len)
			return g->fd >= 0 ? g : NULL;
	}
	return NULL;
}

/* The bytes as the RMM reads them: little-endian 64-bit words. */
static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void record_ns_input(struct recorder *r, const struct ns_input *in, uint64_t pa)
{
	uint8_t buf[RMI_GRANULE_SIZE];
	const struct rec_region *g = region_of(r, pa, in->len);

	if ((pa & (RMI_GRANULE_SIZE - 1)) != 0 || g == NULL) {
		rec_line(r, "# x%u = 0x%" PRIx64 " is not recorded memory of this host",
			 in->reg, pa);
		return;
	}
	if (pread(g->fd, buf, in->len, (off_t)(g->offset + (pa - g->base))) != (ssize_t)in->len) {
		rec_line(r, "# x%u = 0x%" PRIx64 ": cannot read the host's memory", in->reg, pa);
		return;
	}
	rec_line(r, "fill 0x%" PRIx64 " %zu 0", pa, in->len);
	for (size_t i = 0; i < in->len; i += 8) {
		uint64_t v = le64(buf + i);

		if (v != 0)
			rec_line(r, "write64 0x%" PRIx64 " 0x%" PRIx64, pa + i, v);
	}
}

static void record_call_line(struct recorder *r, const uint64_t x[7])
{
	uint32_t fid = (uint32_t)x[0] & ~RMI_FID_SVE_HINT;
	/* A name only for the exact FID: the SVE hint and the upper bits of x0
	 * are replayed as they came. */
	const char *name = x[0] == fid ? rmi_command_name(fid) : NULL;
	char line[256];
	size_t n;
	int last = 6;

	while (last > 0 && x[last] == 0)
		last--;
	if (name != NULL)
		n = (size_t)snprintf(line, sizeof(line), "call %s", name);
	else
		n = (size_t)snprintf(line, sizeof(line), "call 0x%" PRIx64, x[0]);
	for (int i = 1; i <= last && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " 0x%" PRIx64, x[i]);
	rec_line(r, "%s", line);
}

uint64_t recorder_call_begin(struct recorder *r, const uint64_t x[7])
{
	uint32_t fid = (uint32_t)x[0] & ~RMI_FID_SVE_HINT;
	uint64_t line;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < sizeof(ns_inputs) / sizeof(ns_inputs[0]); i++) {
		if (ns_inputs[i].fid == fid)
			record_ns_input(r, &ns_inputs[i], x[ns_inputs[i].reg]);
	}
	record_call_line(r, x);
	line = r->line;
	rec_flush(r);
	pthread_mutex_unlock(&r->lock);
	return line;
}

void recorder_call_end(struct recorder *r, uint64_t call_line, const uint64_t out[5])
{
	char results[128];

	snprintf(results, sizeof(results), "# -> 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64
		 " 0x%" PRIx64 " 0x%" PRIx64, out[0], out[1], out[2], out[3], out[4]);
	pthread_mutex_lock(&r->lock);
	if (r->line == call_line)
		rec_line(r, "%s", results);
	else
		rec_line(r, "%s (call on line %" PRIu64 ")", results, call_line);
	rec_flush(r);
	pthread_mutex_unlock(&r->lock);
}
