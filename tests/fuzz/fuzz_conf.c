/* fuzz_conf.c: libFuzzer target for hostgate's configuration files, the
 * text root writes and every hostgate-attest command, the gate and the
 * agent read:
 *  - /etc/hostgate/hostgate.conf, hg_gateconf_read() (attest/gateconf.h),
 *    given the input through a memfd (/proc/self/fd/N);
 *  - the host manifest, hg_manifest_parse() (attest/manifest.h).
 * Checks beyond "no crash, no leak, no UB":
 *  - deterministic; a refusal gives one error line (gateconf: naming the
 *    file; manifest: a reason) and leaves the manifest empty;
 *  - an accepted configuration has absolute directories (at most
 *    HG_GATE_MAX_DIRS each), a PCR 0..15, and its file keys' sources name
 *    the file; written again as "key = value" lines from hg_conf_value()
 *    for the keys the file set, it reads back to the same values;
 *  - an accepted manifest has absolute paths, at most
 *    HG_MANIFEST_MAX_ENTRIES; hg_manifest_format() of it parses to the
 *    same entries.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../attest/gateconf.h"
#include "../../attest/manifest.h"

#include "fuzz_check.h"

static int memfd = -1;

static void put(const void *p, size_t n)
{
	CHECK(ftruncate(memfd, 0) == 0);
	CHECK(pwrite(memfd, p, n, 0) == (ssize_t)n);
}

static void conf(const uint8_t *data, size_t size)
{
	struct hg_gateconf c, c2, c3;
	char path[64], err[1024], err2[1024], buf[8192], *text = NULL;
	size_t tlen = 0;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	put(data, size);
	r = hg_gateconf_read(path, &c, err, sizeof(err));
	CHECK(hg_gateconf_read(path, &c2, err2, sizeof(err2)) == r);
	if (r < 0) {
		CHECK(err[0] && !strchr(err, '\n') && !strcmp(err, err2));
		return;
	}
	CHECK(c.pcr <= 15);
	CHECK(c.nimage_dirs <= HG_GATE_MAX_DIRS && c.ngolden_dirs <= HG_GATE_MAX_DIRS);
	for (size_t i = 0; i < c.nimage_dirs; i++)
		CHECK(c.image_dirs[i][0] == '/');
	for (size_t i = 0; i < c.ngolden_dirs; i++)
		CHECK(c.golden_dirs[i][0] == '/');
	f = open_memstream(&text, &tlen);
	CHECK(f != NULL);
	for (int k = 0; k < HG_K_COUNT; k++) {
		const char *v = hg_conf_value(&c, (enum hg_conf_key)k, buf, sizeof(buf));
		const char *v2 = hg_conf_value(&c2, (enum hg_conf_key)k, err2, sizeof(err2));

		CHECK(v && v2 && !strcmp(v, v2));
		if (!strncmp(c.src[k], path, strlen(path))) {
			CHECK(c.src[k][strlen(path)] == ':');
			fprintf(f, "%s = %s\n", hg_conf_key_name((enum hg_conf_key)k), v);
		} else {
			CHECK(!strcmp(c.src[k], "default"));
		}
	}
	CHECK(fclose(f) == 0);
	put(text, tlen);
	CHECK(hg_gateconf_read(path, &c3, err, sizeof(err)) == 0);
	for (int k = 0; k < HG_K_COUNT; k++) {
		const char *v = hg_conf_value(&c, (enum hg_conf_key)k, buf, sizeof(buf));
		const char *v3 = hg_conf_value(&c3, (enum hg_conf_key)k, err2, sizeof(err2));

		CHECK(!strcmp(v, v3));
	}
	free(text);
	hg_gateconf_free(&c);
	hg_gateconf_free(&c2);
	hg_gateconf_free(&c3);
}

static void manifest(const uint8_t *data, size_t size)
{
	struct hg_manifest m = { 0 }, m2 = { 0 };
	struct hg_manifest_err e = { 0 };
	char *text = NULL;
	size_t len = 0;

	if (hg_manifest_parse(data, size, &m, &e) < 0) {
		CHECK(m.n == 0 && m.e == NULL);
		CHECK(e.why[0] && !strchr(e.why, '\n'));
		return;
	}
	CHECK(m.n <= HG_MANIFEST_MAX_ENTRIES);
	for (size_t i = 0; i < m.n; i++)
		CHECK(m.e[i].path && m.e[i].path[0] == '/');
	CHECK(hg_manifest_format(&m, &text, &len) == 0);
	CHECK(hg_manifest_parse((const uint8_t *)text, len, &m2, &e) == 0);
	CHECK(m2.n == m.n);
	for (size_t i = 0; i < m.n; i++)
		CHECK(m2.e[i].kind == m.e[i].kind && !strcmp(m2.e[i].path, m.e[i].path));
	free(text);
	hg_manifest_free(&m);
	hg_manifest_free(&m2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memfd < 0)
		CHECK((memfd = memfd_create("fuzz_conf", MFD_CLOEXEC)) >= 0);
	conf(data, size);
	manifest(data, size);
	return 0;
}
