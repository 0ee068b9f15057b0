/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where rmm-run's RMI calls go: the core in this process, or the rmmemu
 * daemon through the client library. With the daemon each channel is a
 * connection of the host's session (the first one created it), so a REC
 * thread blocked in REC_ENTER holds up only itself; kicks and the state go
 * over the first connection.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmmemu/client.h>

#include "rmmemu/rmm.h"
#include "vmm.h"

/* ---- in-process ------------------------------------------------------------ */

static int inproc_share_region(void *ctx, uint64_t base, uint64_t size, int fd)
{
	return rmm_add_region(ctx, base, size, fd, 0);
}

static int inproc_channel_open(void *ctx, void **chan)
{
	*chan = ctx;
	return 0;
}

static void inproc_channel_close(void *ctx, void *chan)
{
	(void)ctx;
	(void)chan;
}

static int inproc_call(void *chan, const uint64_t x[7], uint64_t out[5])
{
	rmm_call(chan, x, out);
	return 0;
}

static int inproc_kick(void *ctx, uint64_t rec_pa)
{
	return rmm_rec_kick(ctx, rec_pa);
}

static int inproc_rim(void *ctx, uint64_t rd, uint8_t out[64], size_t *size)
{
	return rmm_realm_measurement(ctx, rd, 0, out, size);
}

static const char *inproc_error(void *ctx, int err)
{
	(void)ctx;
	return strerror(-err);
}

static void inproc_free(void *ctx)
{
	(void)ctx;
}

static const struct vmm_backend_ops inproc_ops = {
	.share_region = inproc_share_region,
	.channel_open = inproc_channel_open,
	.channel_close = inproc_channel_close,
	.call = inproc_call,
	.kick = inproc_kick,
	.rim = inproc_rim,
	.error = inproc_error,
	.free = inproc_free,
};

int vmm_backend_inproc(struct rmm *rmm, struct vmm_backend *be)
{
	be->ops = &inproc_ops;
	be->ctx = rmm;
	return 0;
}

/* ---- the daemon ------------------------------------------------------------ */

struct daemon_ctx {
	char *path;
	struct rmmemu_client *main;
	uint8_t token[RMMEMU_SESSION_TOKEN_SIZE];
};

static int daemon_share_region(void *ctx, uint64_t base, uint64_t size, int fd)
{
	struct daemon_ctx *d = ctx;

	return rmmemu_share_region(d->main, base, size, fd, 0);
}

static int daemon_channel_open(void *ctx, void **chan)
{
	struct daemon_ctx *d = ctx;

	return rmmemu_connect_join(d->path, d->token, (struct rmmemu_client **)chan);
}

static void daemon_channel_close(void *ctx, void *chan)
{
	(void)ctx;
	rmmemu_disconnect(chan);
}

static int daemon_call(void *chan, const uint64_t x[7], uint64_t out[5])
{
	return rmmemu_rmi_call(chan, x, out);
}

static int daemon_kick(void *ctx, uint64_t rec_pa)
{
	struct daemon_ctx *d = ctx;

	return rmmemu_rec_kick(d->main, rec_pa);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The block of text of one session: from "session ID:" at the start of a
 * line to the next such line. */
static const char *session_block(const char *text, uint64_t id, const char **end)
{
	char head[48];
	const char *p = text, *next;

	snprintf(head, sizeof(head), "session %" PRIu64 ":", id);
	while (p != NULL && strncmp(p, head, strlen(head)) != 0) {
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (p == NULL)
		return NULL;
	next = strstr(p + 1, "\nsession ");
	*end = next != NULL ? next : p + strlen(p);
	return p;
}

/*
 * The daemon shows RIMs in its state text (rmmemu/state.h): under the
 * session, "realm 0xRD: ..." and then "rim HEX". The host has no other way
 * to learn its realm's RIM.
 */
static int parse_rim(const char *text, uint64_t id, uint64_t rd, uint8_t out[64],
		     size_t *size)
{
	const char *end, *block = session_block(text, id, &end), *p;
	char head[48];
	size_t n = 0;

	if (block == NULL)
		return -ENOENT;
	snprintf(head, sizeof(head), "realm 0x%" PRIx64 ":", rd);
	p = strstr(block, head);
	if (p == NULL || p > end || (p = strstr(p, "rim ")) == NULL || p > end)
		return -ENOENT;
	for (p += 4; n < 128 && hex_digit(p[n]) >= 0 && hex_digit(p[n + 1]) >= 0; n += 2)
		out[n / 2] = (uint8_t)(hex_digit(p[n]) << 4 | hex_digit(p[n + 1]));
	if (n != 64 && n != 128)
		return -EPROTO;
	memset(out + n / 2, 0, 64 - n / 2);
	*size = n / 2;
	return 0;
}

static int daemon_rim(void *ctx, uint64_t rd, uint8_t out[64], size_t *size)
{
	struct daemon_ctx *d = ctx;
	char *text = NULL;
	int err = rmmemu_state(d->main, 0, &text);

	if (err != 0)
		return err;
	err = parse_rim(text, rmmemu_session_id(d->main), rd, out, size);
	free(text);
	return err;
}

static const char *daemon_error(void *ctx, int err)
{
	struct daemon_ctx *d = ctx;

	return rmmemu_client_error(d->main, err);
}

static void daemon_free(void *ctx)
{
	struct daemon_ctx *d = ctx;

	rmmemu_disconnect(d->main);
	free(d->path);
	free(d);
}

static const struct vmm_backend_ops daemon_ops = {
	.share_region = daemon_share_region,
	.channel_open = daemon_channel_open,
	.channel_close = daemon_channel_close,
	.call = daemon_call,
	.kick = daemon_kick,
	.rim = daemon_rim,
	.error = daemon_error,
	.free = daemon_free,
};

int vmm_backend_daemon(const char *path, struct vmm_backend *be, char *err,
		       size_t err_size)
{
	struct daemon_ctx *d = calloc(1, sizeof(*d));
	int ret;

	if (path == NULL)
		path = rmmemu_default_socket();
	if (d == NULL || (d->path = strdup(path)) == NULL) {
		free(d);
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	ret = rmmemu_connect(d->path, &d->main);
	if (ret != 0) {
		snprintf(err, err_size, "cannot connect to %s: %s", d->path,
			 rmmemu_client_error(NULL, ret));
		free(d->path);
		free(d);
		return ret;
	}
	rmmemu_session_token(d->main, d->token);
	be->ops = &daemon_ops;
	be->ctx = d;
	return 0;
}

void vmm_backend_free(struct vmm_backend *be)
{
	if (be->ops != NULL)
		be->ops->free(be->ctx);
	be->ops = NULL;
	be->ctx = NULL;
}
