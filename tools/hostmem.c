/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rmmemu/rmi-1.0.h>

#include "hostmem.h"

int hostmem_create(struct hostmem *m, const char *name, uint64_t size)
{
	int err;

	m->fd = -1;
	m->map = NULL;
	m->size = 0;
	if (size == 0 || size & (RMI_GRANULE_SIZE - 1) || size > (uint64_t)INT64_MAX)
		return -EINVAL;
	/* CLOEXEC: the fd leaves the process only by SCM_RIGHTS. */
	m->fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m->fd < 0)
		return -errno;
	if (ftruncate(m->fd, (off_t)size) != 0)
		goto fail;
	m->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (m->map == MAP_FAILED) {
		m->map = NULL;
		goto fail;
	}
	m->size = size;
	return 0;

fail:
	err = -errno;
	close(m->fd);
	m->fd = -1;
	return err;
}

void hostmem_destroy(struct hostmem *m)
{
	if (m->map != NULL)
		munmap(m->map, m->size);
	if (m->fd >= 0)
		close(m->fd);
	m->map = NULL;
	m->fd = -1;
	m->size = 0;
}
