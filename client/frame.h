/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sending one frame of the daemon's protocol with the file descriptors that
 * go with it (SCM_RIGHTS, include/rmmemu/protocol.h): the client library's
 * way, which the daemon's tests and the wire fuzzer share to send frames of
 * their own, malformed ones too. Not part of the library's API.
 */
#ifndef RMMEMU_CLIENT_FRAME_H
#define RMMEMU_CLIENT_FRAME_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#define FRAME_MAX_FDS	8

/* sendmsg of the len bytes at buf with nfds descriptors (at most
 * FRAME_MAX_FDS), again after EINTR: what it returns (-1 with errno). */
static inline ssize_t frame_send(int sock, const void *buf, size_t len, const int *fds,
				 unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(FRAME_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > FRAME_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n;
}

#endif /* RMMEMU_CLIENT_FRAME_H */
