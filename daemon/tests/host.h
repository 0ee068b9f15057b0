/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's side of a realm, for the daemon's robustness tests: memfds,
 * a realm with its RECs built through the client library, REC entries. No
 * cmocka asserts: the stress threads and forked hosts call these too, so
 * every function returns what went wrong.
 */
#ifndef RMMEMU_DAEMON_TESTS_HOST_H
#define RMMEMU_DAEMON_TESTS_HOST_H

#include <stdbool.h>
#include <stdint.h>

struct rmmemu_client;

#define HOST_PAGE	4096UL
#define HOST_BASE	0x80000000ULL
#define HOST_MAX_RECS	4

/* A memfd of pages pages that can be sealed; -1 on failure. */
int host_memfd(unsigned int pages);
/* fd mapped shared, read-write; NULL on failure. */
uint8_t *host_map(int fd, unsigned int pages);

/* x0 of one call, or UINT64_MAX if the connection failed. */
uint64_t host_rmi(struct rmmemu_client *c, uint64_t fid, uint64_t x1, uint64_t x2,
		  uint64_t x3);
/* The calls host_rmi() made so far, on every thread. */
unsigned long host_rmi_calls(void);

/*
 * A realm built in a window of the host's memory: the NS pages it needs
 * (realm params, REC params, a run page per REC) and the granules it
 * delegates (RD, root RTT, and per REC the REC and its 16 aux granules). s2sz 39: one root
 * RTT at level 1 (rmi-1.0.md 6.2).
 */
struct host_realm {
	uint8_t *ns;			/* the host's view of the window */
	uint64_t pa;			/* the window's first PA */
	uint64_t params, rd, rtt, rec_params;
	unsigned int vmid;
	uint64_t rec[HOST_MAX_RECS];
	unsigned int nrecs;
};

/* The window's size in pages for nrecs RECs. */
unsigned int host_realm_pages(unsigned int nrecs);

/*
 * Lays the realm out over the window [pa, ...) that ns maps, delegates its
 * granules, creates it (with vmid, unique in the session) and its nrecs
 * runnable RECs and activates it if activate. Returns 0, or the x0 of the first call that failed (UINT64_MAX:
 * the connection failed), with step naming it.
 */
uint64_t host_realm_create(struct rmmemu_client *c, struct host_realm *r, uint8_t *ns,
			   uint64_t pa, unsigned int nrecs, unsigned int vmid,
			   bool activate, const char **step);

/* The run page of REC i (its rec_enter and rec_exit). */
uint64_t host_rec_run(const struct host_realm *r, unsigned int i);

/* REC_ENTER of REC i with a clean rec_enter; x0 of the call. */
uint64_t host_rec_enter(struct rmmemu_client *c, struct host_realm *r, unsigned int i);

/* RECs destroyed, then the realm, then every granule undelegated; 0 or the
 * x0 of the first call that failed. */
uint64_t host_realm_destroy(struct rmmemu_client *c, struct host_realm *r);

void host_sleep_ms(unsigned int ms);

/*
 * A host thread that calls until its connection ends (the daemon stopped):
 * REC_ENTER of REC 0 of r, then, with spare, GRANULE_DELEGATE and
 * UNDELEGATE of that granule, again and again. calls counts the calls that
 * succeeded, err is the client library's error that ended it.
 */
struct host_caller {
	struct rmmemu_client *c;
	struct host_realm r;
	uint64_t spare;			/* 0: none */
	unsigned long calls;
	int err;
};

void *host_caller_main(void *arg);

#endif /* RMMEMU_DAEMON_TESTS_HOST_H */
