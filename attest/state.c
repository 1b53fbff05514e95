/* state.c: see state.h. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include "../lib/tpmpub.h"
#include "../lib/util.h"

#define TPM2B_FILE_MAX 4096

int hg_state_path(char *buf, size_t n, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, n, "%s/%s", dir, name) >= n) {
		hg_err("%s/%s: path too long", dir, name);
		return -1;
	}
	return 0;
}

int hg_state_tpm_lock(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	if (hg_state_path(path, sizeof(path), dir, "tpm.lock") < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* The agent runs unprivileged (docs/agent.md): a lock file it may
	 * only read is enough, flock() does not need write access (its unit
	 * makes the file system read-only: EROFS). */
	if (fd < 0 && (errno == EACCES || errno == EROFS))
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	/* No state directory: every caller but init (which makes it first)
	 * needs the AK that init would have put there. */
	if (fd < 0 && errno == ENOENT) {
		hg_err("%s: no AK; run 'hostgate-attest init' first", dir);
		return -1;
	}
	if (fd < 0) {
		hg_err("%s: %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			hg_err("%s: lock: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

int hg_state_has_ak(const char *dir)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (hg_state_path(a, sizeof(a), dir, HG_STATE_AK_PUB) < 0 ||
	    hg_state_path(b, sizeof(b), dir, HG_STATE_AK_PRIV) < 0)
		return -1;
	return access(a, F_OK) == 0 && access(b, F_OK) == 0;
}

/* The host holds its own AK to the verifier's rule (lib/tpmpub.h): a
 * state dir whose ak.pub a verifier would refuse (swapped for a weak or
 * unrestricted key) is refused here first, naming why. */
static int ak_sane(const char *what, const uint8_t *buf, size_t len)
{
	struct hg_ak ak;
	const char *why;

	if (hg_ak_decode(buf, len, &ak, &why) < 0) {
		hg_err("%s: not usable as an AK: %s", what, why);
		return -1;
	}
	hg_ak_free(&ak);
	return 0;
}

int hg_state_load_ak(const char *dir, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len, off;
	int ret = -1;

	if (hg_state_path(path, sizeof(path), dir, HG_STATE_AK_PUB) < 0)
		goto out;
	if (hg_read_file(path, TPM2B_FILE_MAX, 1, &buf, &len) < 0) {
		if (errno == ENOENT)
			hg_err("%s: no AK; run 'hostgate-attest init' first", path);
		else
			hg_err("%s: %s", path, hg_strerror_read(errno));
		goto out;
	}
	off = 0;
	memset(pub, 0, sizeof(*pub));
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, pub) != 0 ||
	    off != len) {
		hg_err("%s: not exactly one TPM2B_PUBLIC", path);
		goto out;
	}
	if (ak_sane(path, buf, len) < 0)
		goto out;
	free(buf);
	buf = NULL;
	if (hg_state_path(path, sizeof(path), dir, HG_STATE_AK_PRIV) < 0)
		goto out;
	if (hg_read_file(path, TPM2B_FILE_MAX, 1, &buf, &len) < 0) {
		hg_err("%s: %s", path, hg_strerror_read(errno));
		goto out;
	}
	off = 0;
	memset(priv, 0, sizeof(*priv));
	if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(buf, len, &off, priv) != 0 ||
	    off != len) {
		hg_err("%s: not exactly one TPM2B_PRIVATE", path);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

int hg_state_ak_name(const char *dir, const TPM2B_PUBLIC *pub, uint8_t *buf,
		     size_t *len, uint8_t *name, size_t *name_len)
{
	const char *why;

	*len = 0;
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(TPM2B_PUBLIC), len) != 0 ||
	    hg_ak_name(buf, *len, name, name_len, &why) < 0) {
		hg_err("%s: the AK's public area cannot be marshalled or named", dir);
		return -1;
	}
	return ak_sane(dir, buf, *len);
}

int hg_write_tpm2b_public(const char *file, const TPM2B_PUBLIC *pub)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	size_t off = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off) != 0) {
		hg_err("%s: cannot marshal TPM2B_PUBLIC", file);
		return -1;
	}
	if (hg_write_file_atomic(file, buf, off, 0644) < 0) {
		hg_err("%s: %s", file, strerror(errno));
		return -1;
	}
	return 0;
}

int hg_state_save_ak(const char *dir, const TPM2B_PUBLIC *pub,
		     const TPM2B_PRIVATE *priv)
{
	char path[PATH_MAX];
	uint8_t buf[sizeof(TPM2B_PRIVATE)];
	size_t off = 0;

	if (hg_state_path(path, sizeof(path), dir, HG_STATE_AK_PRIV) < 0)
		return -1;
	if (Tss2_MU_TPM2B_PRIVATE_Marshal(priv, buf, sizeof(buf), &off) != 0) {
		hg_err("%s: cannot marshal TPM2B_PRIVATE", path);
		return -1;
	}
	if (hg_write_file_atomic(path, buf, off, 0600) < 0) {
		hg_err("%s: %s", path, strerror(errno));
		return -1;
	}
	/* ak.pub last: its presence with ak.priv marks a complete AK. */
	if (hg_state_path(path, sizeof(path), dir, HG_STATE_AK_PUB) < 0)
		return -1;
	return hg_write_tpm2b_public(path, pub);
}

int hg_state_load_ak_handle(const char *dir, uint32_t *handle)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t h = 0;
	int ret = -1;

	*handle = 0;
	if (hg_state_path(path, sizeof(path), dir, HG_STATE_AK_HANDLE) < 0)
		goto out;
	if (hg_read_file(path, 64, 1, &buf, &len) < 0) {
		if (errno == ENOENT)
			ret = 0;
		else
			hg_err("%s: %s", path, hg_strerror_read(errno));
		goto out;
	}
	/* Exactly "0x" + 8 hex digits + "\n": nothing to guess. */
	if (len != 11 || buf[0] != '0' || buf[1] != 'x' || buf[10] != '\n')
		goto bad;
	for (size_t i = 2; i < 10; i++) {
		int c = buf[i], v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			goto bad;
		h = h << 4 | (uint32_t)v;
	}
	if (h < HG_OWNER_PERSISTENT_FIRST || h > HG_OWNER_PERSISTENT_LAST)
		goto bad;
	*handle = h;
	ret = 1;
	goto out;
bad:
	hg_err("%s: not one persistent handle of the owner's range (0x81000000..0x817fffff) "
	       "as 0x + 8 lower-case hex digits; run 'hostgate-attest init' after removing it",
	       path);
out:
	free(buf);
	return ret;
}

int hg_state_save_ak_handle(const char *dir, uint32_t handle)
{
	char path[PATH_MAX], line[16];

	if (hg_state_path(path, sizeof(path), dir, HG_STATE_AK_HANDLE) < 0)
		return -1;
	if (!handle) {
		if (unlink(path) < 0 && errno != ENOENT) {
			hg_err("%s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	snprintf(line, sizeof(line), "0x%08x\n", handle);
	if (hg_write_file_atomic(path, line, strlen(line), 0644) < 0) {
		hg_err("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int is_p256(EVP_PKEY *key)
{
	char group[32];

	return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	       EVP_PKEY_get_utf8_string_param(key, "group", group,
					      sizeof(group), NULL) &&
	       !strcmp(group, "prime256v1");
}

static int create_log_key(const char *path)
{
	EVP_PKEY *key = NULL;
	BIO *mem = NULL;
	char *pem;
	long len;
	int ret = -1;

	key = EVP_EC_gen("P-256");
	mem = BIO_new(BIO_s_mem());
	if (!key || !mem ||
	    !PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL)) {
		hg_err("%s: cannot generate the log key", path);
		goto out;
	}
	len = BIO_get_mem_data(mem, &pem);
	if (len <= 0 || hg_write_file_atomic(path, pem, (size_t)len, 0600) < 0) {
		hg_err("%s: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	/* The PEM buffer held the private key: wipe before freeing. */
	if (mem) {
		len = BIO_get_mem_data(mem, &pem);
		if (len > 0)
			OPENSSL_cleanse(pem, (size_t)len);
	}
	BIO_free(mem);
	EVP_PKEY_free(key);
	return ret;
}

int hg_state_log_key(const char *dir, int create, EVP_PKEY **key)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *mem = NULL;
	int ret = -1;

	*key = NULL;
	if (hg_state_path(path, sizeof(path), dir, HG_STATE_LOGKEY) < 0)
		goto out;
	if (access(path, F_OK) < 0) {
		if (!create) {
			hg_err("%s: no log key; run 'hostgate-attest init' first",
			       path);
			goto out;
		}
		if (create_log_key(path) < 0)
			goto out;
	}
	if (hg_read_file(path, 16384, 1, &buf, &len) < 0) {
		hg_err("%s: %s", path, hg_strerror_read(errno));
		goto out;
	}
	mem = BIO_new_mem_buf(buf, (int)len);
	if (!mem || !(*key = PEM_read_bio_PrivateKey(mem, NULL, NULL, NULL))) {
		hg_err("%s: not a PEM private key", path);
		goto out;
	}
	if (!is_p256(*key)) {
		hg_err("%s: log key is not ECDSA P-256", path);
		EVP_PKEY_free(*key);
		*key = NULL;
		goto out;
	}
	ret = 0;
out:
	BIO_free(mem);
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return ret;
}
