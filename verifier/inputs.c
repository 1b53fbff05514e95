/* inputs.c: see inputs.h. */
#include "inputs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/evidence.h"
#include "../lib/text.h"
#include "../lib/util.h"
#include "cmds.h"
#include "registry/registry.h"
#include "vstate.h"

int hv_load_ak(const char *path, struct hg_ak *ak)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *why;
	int ret = -1;

	if (hg_read_file(path, HV_AK_MAX_SIZE, 0, &buf, &len) < 0) {
		hg_err("%s: %s", path, errno == EFBIG ? "larger than a TPM2B_PUBLIC can be"
						      : hg_strerror_read(errno));
		goto out;
	}
	if (hg_ak_decode(buf, len, ak, &why) < 0) {
		hg_err("%s: not usable as an AK: %s", path, why);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

int hv_host_ak(const char *state, const char *host, struct hg_ak *ak)
{
	struct hv_reg *reg = NULL;
	struct hv_host h = { 0 };
	const char *why;
	char path[4096], *shown = NULL;
	int r, ret = -1;

	if (!hv_host_name_ok(host)) {
		char *e = hg_escape((const uint8_t *)host, strlen(host));

		hg_err("--host \"%s\": not a host name", e ? e : "?");
		free(e);
		goto out;
	}
	if (hv_registry_path(hv_state_dir(state), 0, path, sizeof(path)) < 0 ||
	    hv_reg_open(path, HV_REG_RDONLY, &reg) < 0 ||
	    (r = hv_reg_host_get(reg, host, &h)) < 0)
		goto out;
	if (r == 0) {
		shown = hv_registry_display(path);
		hg_err("--host %s: not enrolled in %s (hostgate-verify enroll)",
		       host, shown ? shown : "the registry");
		goto out;
	}
	if (hg_ak_decode(h.ak_pub, h.ak_pub_len, ak, &why) < 0) {
		shown = hv_registry_display(path);
		hg_err("%s: host %s: the registry's AK is not usable: %s",
		       shown ? shown : "the registry", host, why);
		goto out;
	}
	ret = 0;
out:
	free(shown);
	hv_host_free(&h);
	hv_reg_close(reg);
	return ret;
}

int hv_parse_nonce_min(const char *hex, size_t min, uint8_t **nonce, size_t *len)
{
	*nonce = NULL;
	*len = 0;
	if (hg_hex_decode(hex, HG_NONCE_MAX, nonce, len) < 0 || *len < min) {
		if (*nonce) {
			free(*nonce);
			*nonce = NULL;
		}
		hg_err("--nonce: not %zu..%d bytes of hex", min, HG_NONCE_MAX);
		return -1;
	}
	return 0;
}

int hv_parse_nonce(const char *hex, uint8_t **nonce, size_t *len)
{
	return hv_parse_nonce_min(hex, HG_NONCE_MIN, nonce, len);
}

int hv_read_evidence(const char *path, uint8_t **buf, size_t *len)
{
	if (hg_read_file(path, HG_EVIDENCE_MAX_SIZE + 1, 0, buf, len) < 0) {
		if (errno == EFBIG) {
			/* Larger than cap + 1: hand decode an over-cap length
			 * without reading it all. */
			*buf = malloc(1);
			*len = (size_t)HG_EVIDENCE_MAX_SIZE + 1;
			if (*buf)
				return 0;
		}
		hg_err("%s: %s", path, hg_strerror_read(errno));
		return -1;
	}
	return 0;
}

int hv_read_log(const char *path, size_t cap, uint8_t **buf, size_t *len)
{
	/* One byte over the cap: "larger than the cap" is then an invalid
	 * log (exit 3), not an unreadable file. */
	if (hg_read_file(path, cap + 1, 0, buf, len) == 0)
		return 0;
	if (errno == EFBIG) {
		hg_err("%s: log larger than %zu MiB", path, cap >> 20);
		return HV_EXIT_INVALID;
	}
	hg_err("%s: %s", path, hg_strerror_read(errno));
	return HV_EXIT_USAGE;
}
