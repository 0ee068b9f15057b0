/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The platform's keys: the CPAK and the RAK, ECC P-384 (attestation.md 2.2,
 * 3, 8), as unencrypted PKCS#8 PEM files. A real platform derives them in
 * its security processor; here they are generated once and kept in a state
 * directory private to the user, so that tokens made on one day verify with
 * the keys a verifier was given the day before.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "platform/platform.h"
#include "rmmemu/attest.h"
#include "rmmemu/log.h"

#define KEY_DIR_MODE	0700
#define KEY_FILE_MODE	0600
#define OTHERS_MASK	0077

__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t why_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_size, fmt, ap);
	va_end(ap);
}

int platform_default_state_dir(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	/* XDG base directories: a relative XDG_STATE_HOME is to be ignored. */
	if (xdg != NULL && xdg[0] == '/') {
		n = snprintf(buf, size, "%s/rmmemu", xdg);
	} else {
		if (home == NULL || home[0] == '\0') {
			struct passwd *pw = getpwuid(geteuid());

			home = pw != NULL ? pw->pw_dir : NULL;
		}
		if (home == NULL || home[0] == '\0')
			return -ENOENT;
		n = snprintf(buf, size, "%s/.local/state/rmmemu", home);
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int platform_state_dir(const struct platform_opts *o, char *buf, size_t size)
{
	if (o->state_dir == NULL)
		return platform_default_state_dir(buf, size);
	if (strlen(o->state_dir) >= size)
		return -ENAMETOOLONG;
	strcpy(buf, o->state_dir);
	return 0;
}

/* ---- the state directory --------------------------------------------------- */

/* dir and its missing parents, each created 0700 (the XDG base directory
 * rule for the state home; the last one holds private keys). */
static int mkdirs(const char *dir)
{
	char path[PATH_MAX];

	if (strlen(dir) >= sizeof(path))
		return -ENAMETOOLONG;
	strcpy(path, dir);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, KEY_DIR_MODE) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, KEY_DIR_MODE) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Private keys live only where nobody else can read or replace them. */
static int state_dir_prepare(const char *dir, char *why, size_t why_size)
{
	struct stat st;
	int err = mkdirs(dir);

	if (err == 0 && stat(dir, &st) != 0)
		err = -errno;
	if (err) {
		say(why, why_size, "cannot create the state directory %s: %s", dir,
		    strerror(-err));
		return err;
	}
	if (!S_ISDIR(st.st_mode)) {
		say(why, why_size, "state directory %s is not a directory", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid() || (st.st_mode & OTHERS_MASK) != 0) {
		say(why, why_size, "state directory %s holds private keys but is open to "
		    "other users (owner uid %u, mode %04o): it must be yours, mode 0700",
		    dir, (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* ---- reading a key ----------------------------------------------------------- */

/* Encrypted keys are refused rather than prompted for. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static void key_describe(EVP_PKEY *key, char *buf, size_t size)
{
	const char *type = EVP_PKEY_get0_type_name(key);
	char group[64];

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
					   sizeof(group), NULL))
		snprintf(buf, size, "EC %s", group);
	else
		snprintf(buf, size, "%s", type != NULL ? type : "unknown");
}

/* A key file of the state directory: a regular file only its owner (us)
 * can read. */
static int key_file_check(int fd, const char *path, bool private_only,
			  char *why, size_t why_size)
{
	struct stat st;
	int err;

	if (fstat(fd, &st) != 0) {
		err = -errno;
		say(why, why_size, "%s: %s", path, strerror(-err));
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		say(why, why_size, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (private_only && (st.st_uid != geteuid() || (st.st_mode & OTHERS_MASK) != 0)) {
		say(why, why_size, "%s: a private key open to other users (owner uid %u, "
		    "mode %04o): it must be yours, mode 0600", path,
		    (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* Returns 0 or a negative errno (-ENOENT: no such file) with why set. */
static int key_read(const char *path, bool private_only, EVP_PKEY **out,
		    char *why, size_t why_size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	EVP_PKEY *key;
	char what[96];
	FILE *f;

	if (fd < 0) {
		err = -errno;
		say(why, why_size, "%s: %s", path, strerror(errno));
		return err;
	}
	err = key_file_check(fd, path, private_only, why, why_size);
	f = err == 0 ? fdopen(fd, "r") : NULL;
	if (f == NULL) {
		close(fd);
		return err != 0 ? err : -ENOMEM;
	}
	key = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	fclose(f);
	if (key == NULL) {
		say(why, why_size, "%s: not an unencrypted PEM private key", path);
		return -EINVAL;
	}
	if (!attest_key_is_p384(key, true)) {
		key_describe(key, what, sizeof(what));
		say(why, why_size, "%s: a key of type %s, not an ECC P-384 (secp384r1) "
		    "private key", path, what);
		EVP_PKEY_free(key);
		return -EINVAL;
	}
	*out = key;
	return 0;
}

/* ---- storing a new key -------------------------------------------------------- */

EVP_PKEY *platform_key_generate(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
}

static int pem_write(int fd, EVP_PKEY *key)
{
	FILE *f = fdopen(fd, "w");
	bool ok;

	if (f == NULL) {
		close(fd);
		return -ENOMEM;
	}
	ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1 &&
	     fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = false;
	return ok ? 0 : -EIO;
}

/* Written to a temporary file, then linked to its name: the file appears
 * complete or not at all, and a key another process linked first is kept
 * (-EEXIST). */
static int key_store(const char *dir, const char *path, EVP_PKEY *key)
{
	char tmp[PATH_MAX];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s/.key.XXXXXX", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	err = fchmod(fd, KEY_FILE_MODE) != 0 ? -errno : 0;
	if (err)
		close(fd);
	else
		err = pem_write(fd, key);
	if (err == 0 && link(tmp, path) != 0)
		err = -errno;
	unlink(tmp);
	return err;
}

/* dir/name, generated and stored when there is none. */
static int state_key(const char *dir, const char *name, EVP_PKEY **out,
		     char *why, size_t why_size)
{
	char path[PATH_MAX];
	EVP_PKEY *key;
	int err;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		say(why, why_size, "%s/%s: name too long", dir, name);
		return -ENAMETOOLONG;
	}
	err = key_read(path, true, out, why, why_size);
	if (err != -ENOENT)
		return err;
	key = platform_key_generate();
	if (key == NULL) {
		say(why, why_size, "cannot generate a P-384 key for %s", path);
		return -ENOMEM;
	}
	err = key_store(dir, path, key);
	if (err == 0) {
		rmm_log(RMM_LOG_INFO, "generated %s", path);
		*out = key;
		return 0;
	}
	EVP_PKEY_free(key);
	if (err == -EEXIST)
		return key_read(path, true, out, why, why_size);
	say(why, why_size, "cannot store a new key in %s: %s", path, strerror(-err));
	return err;
}

/* The key file the user named, else the state directory's. */
static int key_get(const char *file, const char *dir, const char *name,
		   EVP_PKEY **out, char *why, size_t why_size)
{
	if (file != NULL)
		return key_read(file, false, out, why, why_size);
	return state_key(dir, name, out, why, why_size);
}

int platform_keys_load(const struct platform_opts *o, EVP_PKEY **cpak,
		       EVP_PKEY **rak, char *why, size_t why_size)
{
	char dir[PATH_MAX] = "";
	int err;

	*cpak = *rak = NULL;
	if (o->platform_key == NULL || o->realm_key == NULL) {
		err = platform_state_dir(o, dir, sizeof(dir));
		if (err) {
			say(why, why_size, "no state directory for the keys (%s): give one "
			    "with --state-dir", strerror(-err));
			return err;
		}
		err = state_dir_prepare(dir, why, why_size);
		if (err)
			return err;
	}
	err = key_get(o->platform_key, dir, PLATFORM_KEY_FILE, cpak, why, why_size);
	if (err == 0)
		err = key_get(o->realm_key, dir, PLATFORM_REALM_KEY_FILE, rak, why,
			      why_size);
	if (err) {
		EVP_PKEY_free(*cpak);
		*cpak = NULL;
	}
	return err;
}
