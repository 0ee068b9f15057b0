/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host memory for the tools: the NS host's physical memory is one memfd per
 * region, mapped into the tool. The same fd is registered with an in-process
 * RMM or shared with the daemon, so what the tool writes through the mapping
 * is what the RMM reads at that PA. The one way the tools get host memory.
 */
#ifndef TOOLS_HOSTMEM_H
#define TOOLS_HOSTMEM_H

#include <stdint.h>

struct hostmem {
	int fd;
	uint8_t *map;		/* size bytes, shared with the RMM */
	uint64_t size;
};

/* Creates and maps a zero-filled memfd of size bytes (a multiple of 4 KiB).
 * Returns 0 or a negative errno; on failure m is left closed. */
int hostmem_create(struct hostmem *m, const char *name, uint64_t size);
/* Unmaps and closes; safe on a closed or never-created hostmem. */
void hostmem_destroy(struct hostmem *m);

#endif /* TOOLS_HOSTMEM_H */
