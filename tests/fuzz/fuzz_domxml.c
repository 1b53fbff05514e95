/* fuzz_domxml.c: what the libvirt qemu hook reads from stdin, end to end
 * up to the file system: the domain XML canonicalised by
 * attest/domxml.c (libxml2 underneath), then planned by attest/domplan.c
 * (disk and <os> lines, attest/imgchain.c, realpath). libvirt hands the
 * hook whatever XML the domain's definer wrote, and the hook runs as root.
 *
 * The sources are linked, not included (domplan.c and imgchain.c each
 * have a static check_backing()); run.sh adds them and libxml-2.0 for
 * this target only.
 *
 * The plan runs with image and golden directories that cannot exist
 * (below /dev/null), so every disk chain is refused by the directory rule
 * before any image is opened, and no <os> kernel/initrd/dtb is accepted:
 * the fuzzer exercises the parsing of disk and os lines and the refusals,
 * never a read of a file it names. Loader, nvram template and nvram have
 * no directory rule, so those succeed on whatever path exists.
 *
 * Checks, beyond memory safety and leaks:
 *  - hg_domxml_canonical (domxml.h): on success the form is
 *    NUL-terminated, outlen == strlen, at most HG_DOMXML_MAX_OUT, ends
 *    with a newline, every line is "domain...=value" with no control byte
 *    but tab, the name is non-empty and control-free; on failure a
 *    one-line reason and the outputs untouched. The same input gives the
 *    same bytes (or the same reason) twice. libxml2's generic error
 *    handler is the caller's again afterwards (and anything libxml2 did
 *    print shows in the log).
 *  - hg_domain_config_name: the path it builds or a reason.
 *  - hg_domplan (domplan.h): on success unique paths (a path is never two
 *    kinds either), absolute, canonical unless an nvram that does not
 *    exist yet, no image outside the image directories; on failure an
 *    empty plan and a one-line reason.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>

#include "../../attest/domplan.h"
#include "../../attest/domxml.h"
#include "../../attest/gateconf.h"

#include "fuzz_check.h"

/* Under a character device: no directory can ever be there (ENOTDIR). */
static char image_dir[] = "/dev/null/hostgate-fuzz-images";
static char golden_dir[] = "/dev/null/hostgate-fuzz-images/golden";
static struct hg_gateconf cfg;
static struct hg_plan plan;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The hook calls it once too (via its first parse); doing it here
	 * keeps libxml2's one-time global allocations out of the runs. */
	xmlInitParser();
	cfg.image_dirs[0] = image_dir;
	cfg.nimage_dirs = 1;
	cfg.golden_dirs[0] = golden_dir;
	cfg.ngolden_dirs = 1;
	CHECK(realpath(image_dir, NULL) == NULL);
	return 0;
}

static int one_line(const char *s)
{
	return s && s[0] && !strchr(s, '\n') && !strchr(s, '\r');
}

static void check_form(const char *out, size_t outlen, const char *name)
{
	const char *s = out, *end = out + outlen;

	CHECK(out[outlen] == '\0');
	CHECK(strlen(out) == outlen);
	CHECK(outlen <= HG_DOMXML_MAX_OUT);
	CHECK(outlen > 0 && out[outlen - 1] == '\n');
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eq;

		CHECK(nl != NULL);
		eq = memchr(s, '=', (size_t)(nl - s));
		CHECK(eq != NULL);
		/* The root is <domain> in no namespace: every path is
		 * "domain", "domain/..." or "domain@...". */
		CHECK(eq - s >= 6 && !memcmp(s, "domain", 6) &&
		      (s[6] == '=' || s[6] == '/' || s[6] == '@'));
		for (const char *c = s; c < nl; c++)
			CHECK(((unsigned char)*c >= 0x20 || *c == '\t') && *c != 0x7f);
		s = nl + 1;
	}
	CHECK(name[0] != '\0');
	for (const char *c = name; *c; c++)
		CHECK(((unsigned char)*c >= 0x20 || *c == '\t') && *c != 0x7f);
}

static void check_config_name(const char *name)
{
	char buf[PATH_MAX];
	const char *why = NULL;

	if (hg_domain_config_name(name, buf, sizeof(buf), &why) == 0) {
		CHECK(why == NULL);
		CHECK(!strncmp(buf, "/etc/libvirt/qemu/", 18));
		CHECK(!strchr(buf + 18, '/'));
	} else {
		CHECK(one_line(why));
	}
}

static void check_plan(const char *canon, size_t len)
{
	char why[1024] = "";
	int rc = hg_domplan(canon, len, &cfg, &plan, why, sizeof(why));

	if (rc == 0) {
		CHECK(plan.n <= HG_PLAN_MAX);
		for (size_t i = 0; i < plan.n; i++) {
			const struct hg_plan_item *it = &plan.v[i];
			char *real;

			CHECK(it->path && it->path[0] == '/');
			CHECK(it->kind == HG_KIND_IMAGE || it->kind == HG_KIND_OVERLAY ||
			      it->kind == HG_KIND_FIRMWARE);
			for (size_t j = 0; j < i; j++)
				CHECK(strcmp(plan.v[j].path, it->path) != 0);
			if (it->kind == HG_KIND_IMAGE)
				CHECK(hg_path_under(it->path, cfg.image_dirs,
						    cfg.nimage_dirs));
			/* Hashed files are canonical paths; only an overlay (an
			 * nvram libvirt has not created yet) may not resolve. */
			real = realpath(it->path, NULL);
			CHECK(real ? !strcmp(real, it->path) : it->kind == HG_KIND_OVERLAY);
			free(real);
		}
	} else {
		CHECK(rc == -1);
		CHECK(plan.n == 0);
		CHECK(one_line(why));
	}
	hg_plan_free(&plan);
	CHECK(plan.n == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char untouched;
	char *out = &untouched, *name = &untouched;
	char *out2 = &untouched, *name2 = &untouched;
	size_t outlen = 1234567, outlen2 = 1234567;
	const char *why = NULL, *why2 = NULL;
	xmlGenericErrorFunc err = xmlGenericError;
	int rc, rc2;

	rc = hg_domxml_canonical((const char *)data, size, &out, &outlen, &name, &why);
	rc2 = hg_domxml_canonical((const char *)data, size, &out2, &outlen2, &name2, &why2);
	/* libxml2's error handler is the caller's again. */
	CHECK(xmlGenericError == err);
	CHECK(rc == rc2);
	if (rc != 0) {
		CHECK(rc == -1);
		CHECK(one_line(why));
		CHECK(why2 == why);
		CHECK(out == &untouched && name == &untouched && outlen == 1234567);
		return 0;
	}
	CHECK(why == NULL);
	CHECK(out != &untouched && name != &untouched);
	check_form(out, outlen, name);
	/* Deterministic: same bytes, same name. */
	CHECK(outlen2 == outlen && !memcmp(out2, out, outlen + 1));
	CHECK(!strcmp(name2, name));
	free(out2);
	free(name2);

	check_config_name(name);
	check_plan(out, outlen);
	free(out);
	free(name);
	return 0;
}
