/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * attest: an attestation token, asked for and handed to the host
 * (rsi-1.0.md 5.2, 6; the token's format is reference attestation.md).
 *
 * The realm extends REM0 with the 18 bytes "rmmemu attest REM0" and REM2
 * with the 64 bytes 0x00..0x3f, asks for a token with the challenge
 * 0x01, 0x04, 0x07, ... (byte i = 3 i + 1), and collects it with
 * RSI_ATTESTATION_TOKEN_CONTINUE in pieces of 1000 bytes across the
 * granules of its buffer (as Linux's loop does, with smaller pieces); a
 * new TOKEN_INIT part-way through starts the token over. It then makes four
 * pages EMPTY (shared), copies the token there through their unprotected
 * alias, and hands it over with rmm-run's save host call (immediate 1,
 * x0 = IPA, x1 = size; `rmm-run --save FILE`). It prints the token's size
 * and its RIM and REMs as RSI_MEASUREMENT_READ gives them, for the test to
 * compare with the token's claims.
 */
#include "realm.h"

#define TOKEN_PAGES	3
#define SHARED_PAGES	4
#define PIECE		1000UL
#define HOST_CALL_SAVE	1

static uint8_t token[TOKEN_PAGES * REALM_PAGE] __attribute__((aligned(REALM_PAGE)));
static uint8_t shared[SHARED_PAGES * REALM_PAGE]
	__attribute__((aligned(SHARED_PAGES * REALM_PAGE)));
static uint64_t host_call[32] __attribute__((aligned(256)));

static uint64_t extend(unsigned int index, const uint8_t *data, unsigned int size)
{
	struct smc_regs r;

	memset(&r, 0, sizeof(r));
	r.x[0] = RSI_MEASUREMENT_EXTEND;
	r.x[1] = index;
	r.x[2] = size;
	memcpy(&r.x[3], data, size);
	smc_call(&r);
	return r.x[0];
}

static uint64_t token_init(uint8_t first, uint64_t *max_size)
{
	struct smc_regs r;
	uint8_t challenge[64];

	for (unsigned int i = 0; i < sizeof(challenge); i++)
		challenge[i] = (uint8_t)(first + 3 * i);
	memset(&r, 0, sizeof(r));
	r.x[0] = RSI_ATTESTATION_TOKEN_INIT;
	memcpy(&r.x[1], challenge, sizeof(challenge));
	smc_call(&r);
	*max_size = r.x[1];
	return r.x[0];
}

/* One CONTINUE at byte offset done of the buffer; *n = bytes written. */
static uint64_t token_continue(uint64_t done, uint64_t size, uint64_t *n)
{
	uint64_t granule = (uint64_t)token + done / REALM_PAGE * REALM_PAGE;
	struct smc_regs r;

	memset(&r, 0, sizeof(r));
	r.x[0] = RSI_ATTESTATION_TOKEN_CONTINUE;
	r.x[1] = granule;
	r.x[2] = done % REALM_PAGE;
	r.x[3] = size;
	smc_call(&r);
	*n = r.x[1];
	return r.x[0];
}

/* The CONTINUE loop; the token's size, or 0 when it went wrong. */
static uint64_t token_collect(void)
{
	uint64_t done = 0, n, ret, calls = 0;

	do {
		uint64_t room = REALM_PAGE - done % REALM_PAGE;

		if (done >= sizeof(token)) {
			check_true("token_fits_buffer", false, done);
			return 0;
		}
		ret = token_continue(done, room < PIECE ? room : PIECE, &n);
		calls++;
		done += n;
	} while (ret == RSI_INCOMPLETE);
	if (!check_eq("token_continue_success", ret, RSI_SUCCESS))
		return 0;
	check_true("token_in_several_pieces", calls > 1, calls);
	return done;
}

static void print_measurements(void)
{
	unsigned int size = realm_hash_algo == 1 ? 64 : 32;
	uint8_t m[64];

	for (unsigned int i = 0; i < 5; i++) {
		check_eq("measurement_read", rsi_measurement_read(i, m), RSI_SUCCESS);
		printf(i == 0 ? "attest: RIM " : "attest: REM%u ", i - 1);
		for (unsigned int b = 0; b < size; b++)
			printf("%02x", m[b]);
		printf("\n");
	}
}

/* The token to shared memory and to the host. */
static void hand_over(uint64_t size)
{
	uint64_t base = (uint64_t)shared, next, resp, alias = realm_unprotected(base);

	while (base < (uint64_t)shared + sizeof(shared)) {
		if (!check_eq("shared_ipa_state_set",
			      rsi_ipa_state_set(base, (uint64_t)shared + sizeof(shared),
						RSI_EMPTY, 0, &next, &resp), RSI_SUCCESS) ||
		    !check_eq("shared_accepted", resp, RSI_ACCEPT))
			return;
		base = next;
	}
	for (uint64_t i = 0; i < size; i++)
		mmio_write8(alias + i, token[i]);
	host_call[0] = HOST_CALL_SAVE;
	host_call[1] = alias;
	host_call[2] = size;
	check_eq("host_call_save", smc(RSI_HOST_CALL, (uint64_t)host_call, 0, 0, 0, NULL),
		 RSI_SUCCESS);
	check_eq("host_saved_token", host_call[1], 0);
}

int main(uint64_t dtb)
{
	static const uint8_t rem0[] = "rmmemu attest REM0";
	uint8_t rem2[64];
	uint64_t max, n, size;

	(void)dtb;
	for (unsigned int i = 0; i < sizeof(rem2); i++)
		rem2[i] = (uint8_t)i;
	check_eq("extend_rem0", extend(1, rem0, sizeof(rem0) - 1), RSI_SUCCESS);
	check_eq("extend_rem2", extend(3, rem2, sizeof(rem2)), RSI_SUCCESS);
	/* A token started and abandoned: a new INIT starts over. */
	check_eq("token_init_abandoned", token_init(0x55, &max), RSI_SUCCESS);
	check_eq("token_continue_first_piece", token_continue(0, PIECE, &n), RSI_INCOMPLETE);
	check_eq("token_first_piece_size", n, PIECE);
	check_eq("token_init", token_init(1, &max), RSI_SUCCESS);
	check_true("token_max_size", max >= 1024 && max <= sizeof(token), max);
	size = token_collect();
	check_true("token_size", size > PIECE && size <= max, size);
	check_eq("token_continue_after_success", token_continue(0, PIECE, &n),
		 RSI_ERROR_STATE);
	/* CBOR tag 399, a map of two: the CCA token. */
	check_eq("token_tag_399", (uint64_t)token[0] << 16 | token[1] << 8 | token[2],
		 0xD9018F);
	check_eq("token_map_of_two", token[3], 0xA2);
	printf("attest: token %lu bytes (at most %lu)\n", size, max);
	print_measurements();
	if (size != 0)
		hand_over(size);
	return checks_summary("attest") ? 0 : 1;
}
