/* SPDX-License-Identifier: BSD-3-Clause */
/* Realm measurements (reference measurement.md): RIM and REMs. */
#ifndef RMMEMU_MEASURE_H
#define RMMEMU_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rmmemu/rmi-1.0.h>

struct realm;

#define MEASURE_MAX_DIGEST	64

size_t measure_digest_size(enum rmi_hash_algo algo);
/* out receives the digest zero padded to 64 bytes. */
void measure_hash(enum rmi_hash_algo algo, const void *data, size_t len,
		  uint8_t out[MEASURE_MAX_DIGEST]);

/* RIM := H(measured realm params) (measurement.md 2). */
void measure_rim_init(struct realm *r, const struct rmi_realm_params *p);
/* DATA descriptor; content is the 4 KiB copied, hashed if flags = 1. */
void measure_extend_data(struct realm *r, uint64_t ipa, uint64_t flags,
			 const void *content);
/* Copies the 4 KiB src to dst and extends the RIM as measure_extend_data()
 * with dst as the content: the hash reads each piece of dst right after it
 * was copied, so what is measured is what the realm gets. */
void measure_copy_data(struct realm *r, uint64_t ipa, uint64_t flags,
		       void *dst, const void *src);
/* REC descriptor over the measured REC params. */
void measure_extend_rec(struct realm *r, const struct rmi_rec_params *p);
/* RIPAS descriptor for one RTT entry [base, top). */
void measure_extend_ripas(struct realm *r, uint64_t base, uint64_t top);
/* REM[index - 1] := H(REM || data[0..size)), index 1..4, size <= 64. */
void measure_extend_rem(struct realm *r, unsigned int index,
			const uint8_t *data, size_t size);

#endif /* RMMEMU_MEASURE_H */
