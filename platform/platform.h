/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated platform: what EL3 and the platform security processor give
 * a real RMM at boot for attestation (attestation.md 3, 4, 8). Two ECC P-384
 * keys, the platform attestation key (CPAK) and the realm attestation key
 * (RAK), kept as PEM files in a state directory, and the platform token: a
 * COSE_Sign1 signed with the CPAK whose claims describe rmmemu itself and
 * whose challenge binds the RAK.
 *
 * This is not the core (which does no I/O): the daemon, rmm-run and rmmctl
 * use it and hand the RAK and the token to the core (rmm_set_attestation).
 */
#ifndef RMMEMU_PLATFORM_H
#define RMMEMU_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include <rmmemu/cca-token.h>

struct rmm;
struct evp_pkey_st;	/* OpenSSL's EVP_PKEY */
struct platform;

#define PLATFORM_KEY_FILE	"platform-key.pem"
#define PLATFORM_REALM_KEY_FILE	"realm-key.pem"
#define PLATFORM_ID_SIZE	32	/* implementation ID, signer ID, digests */
#define PLATFORM_INSTANCE_ID_SIZE 33	/* UEID: type byte + 32 */

/*
 * Security lifecycle "secured" (0x3000..0x30FF; the low byte is
 * implementation defined, rmmemu has no sub-states). It is the state a
 * production platform reports, the one verifiers accept as a platform whose
 * security is in force. rmmemu is no such platform; a verifier trusts its
 * tokens only by being told to trust its platform key (rmmctl keys).
 */
#define CCA_LIFECYCLE_SECURED		0x3000
#define CCA_UEID_TYPE_RAND		0x01

struct platform_opts {
	const char *state_dir;		/* NULL: platform_default_state_dir() */
	const char *platform_key;	/* PEM file of the CPAK instead of
					 * STATE_DIR/platform-key.pem */
	const char *realm_key;		/* PEM file of the RAK instead of
					 * STATE_DIR/realm-key.pem */
};

/*
 * $XDG_STATE_HOME/rmmemu when XDG_STATE_HOME is an absolute path, else
 * $HOME/.local/state/rmmemu (HOME from the password database when unset).
 * Returns 0 or -ENAMETOOLONG / -ENOENT (no home directory).
 */
int platform_default_state_dir(char *buf, size_t size);

/*
 * The CPAK and the RAK: each from the PEM file the options name, else from
 * the state directory, where a missing key is generated (P-384) and stored
 * (directory 0700, file 0600; created only if missing, and a key another
 * process stored first is used). Keys in the state directory must be
 * private to their owner. On failure returns a negative errno and says why
 * (file name and reason) in why.
 */
int platform_keys_load(const struct platform_opts *o, struct evp_pkey_st **cpak,
		       struct evp_pkey_st **rak, char *why, size_t why_size);
/* A new P-384 key; NULL when OpenSSL fails. */
struct evp_pkey_st *platform_key_generate(void);
/* The state directory the options choose; 0 or a negative errno. */
int platform_state_dir(const struct platform_opts *o, char *buf, size_t size);

/*
 * A platform with these keys (the platform takes its own references): the
 * platform token is built and signed here. Returns 0 or a negative errno
 * with why set.
 */
int platform_new(struct evp_pkey_st *cpak, struct evp_pkey_st *rak,
		 struct platform **out, char *why, size_t why_size);
/* platform_keys_load() then platform_new(). */
int platform_open(const struct platform_opts *o, struct platform **out,
		  char *why, size_t why_size);
void platform_free(struct platform *p);

/* rmm_set_attestation() with the RAK and the platform token. */
int platform_attach(const struct platform *p, struct rmm *rmm);

struct evp_pkey_st *platform_cpak(const struct platform *p);
struct evp_pkey_st *platform_rak(const struct platform *p);
const uint8_t *platform_token(const struct platform *p, size_t *len);

/* Claim values, for verifiers to be configured with (rmmctl keys). */
void platform_implementation_id(uint8_t out[PLATFORM_ID_SIZE]);
/* 0x01 (random UEID) || SHA-256 of the CPAK's COSE_Key. 0 or -EINVAL. */
int platform_instance_id(struct evp_pkey_st *cpak,
			 uint8_t out[PLATFORM_INSTANCE_ID_SIZE]);

#endif /* RMMEMU_PLATFORM_H */
