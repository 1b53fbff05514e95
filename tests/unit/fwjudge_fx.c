/* fwjudge_fx.c: the helpers test_fwjudge.c and test_fwjudge_learn.c
 * share (see fwjudge_fx.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/util.h"
#include "../../verifier/fwjudge.h"
#include "fwjudge_fx.h"

void add(void *arg, json_object *failure, const char *reason)
{
	struct sink *s = arg;

	assert_true(s->n < MAXF);
	if (!s->want_json)
		assert_null(failure);
	snprintf(s->why[s->n], sizeof(s->why[0]), "%s", reason);
	s->f[s->n++] = failure;
}

void sink_free(struct sink *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_object_put(s->f[i]);
	memset(s, 0, sizeof(*s));
}

void cap_start(struct cap *c)
{
	snprintf(c->path, sizeof(c->path), "/tmp/hg-fwjudge-XXXXXX");
	c->fd = mkstemp(c->path);
	c->saved = dup(2);
	assert_true(c->fd >= 0 && c->saved >= 0);
	fflush(stderr);
	dup2(c->fd, 2);
}

/* Stop capturing; the text (at most N - 1 bytes) in OUT. */
void cap_end(struct cap *c, char *out, size_t n)
{
	ssize_t got;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	lseek(c->fd, 0, SEEK_SET);
	got = read(c->fd, out, n - 1);
	out[got > 0 ? got : 0] = '\0';
	close(c->fd);
	unlink(c->path);
}

void parse(const char *text, struct hg_policy *p)
{
	struct cap c;
	char err[512];
	int rc;

	cap_start(&c);
	rc = hg_policy_parse("p.json", text, strlen(text), p);
	cap_end(&c, err, sizeof(err));
	if (rc < 0)
		fail_msg("policy does not parse: %s", err);
}

/* Judge F by the policy TEXT into S. */
size_t judge(const char *text, const struct hg_uefi_facts *f, int want_json,
		    struct sink *s)
{
	struct hg_policy p;
	size_t n;

	memset(s, 0, sizeof(*s));
	s->want_json = want_json;
	parse(text, &p);
	n = hv_judge_firmware(&p, f, want_json, add, s);
	assert_int_equal(n, s->n);
	hg_policy_free(&p);
	return n;
}

const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no \"%s\" in %s", key, json_object_to_json_string(o));
	return json_object_get_string(v);
}

void dg(struct hg_digests *d, uint16_t alg, uint8_t byte)
{
	struct hg_digest *x = &d->v[d->n++];

	x->alg = alg;
	x->len = (uint8_t)hg_bank_by_alg(alg)->size;
	memset(x->d, byte, x->len);
}

/* Secure Boot on (event 12); PK, KEK, db, dbx at events 13-16 with
 * sha256 11.., 12.., 13.., 14..; boot applications at events 27
 * (\EFI\BOOT\BOOTX64.EFI, 21..), 30 (\EFI\ubuntu\grubx64.efi, 22..) and
 * 40 (no simple path, 23..); no digest mismatch. */
void hand_facts(struct hand *h)
{
	static const uint8_t sb_on = 1;

	memset(h, 0, sizeof(*h));
	for (int i = 0; i < HG_SBVAR_N; i++)
		h->f.var[i].event = 12 + i;
	for (int i = HG_SBVAR_PK; i <= HG_SBVAR_DBX; i++) {
		dg(&h->f.var[i].digests, HG_ALG_SHA256, (uint8_t)(0x10 + i));
		h->f.var[i].matches_data = 1;
	}
	h->f.var[HG_SBVAR_SECUREBOOT].value = &sb_on;
	h->f.var[HG_SBVAR_SECUREBOOT].value_len = 1;
	h->f.secure_boot = 1;
	strcpy(h->path0, "\\EFI\\BOOT\\BOOTX64.EFI");
	strcpy(h->path1, "\\EFI\\ubuntu\\grubx64.efi");
	h->apps[0] = (struct hg_uefi_bootapp){ .event = 27, .path = h->path0 };
	h->apps[1] = (struct hg_uefi_bootapp){ .event = 30, .path = h->path1 };
	h->apps[2] = (struct hg_uefi_bootapp){ .event = 40, .path_why = "empty device path" };
	for (int i = 0; i < 3; i++) {
		h->apps[i].type = HG_EV_EFI_BOOT_SERVICES_APPLICATION;
		dg(&h->apps[i].digests, HG_ALG_SHA256, (uint8_t)(0x21 + i));
	}
	h->f.pcr7_unbound = -1;
	h->f.apps = h->apps;
	h->f.napps = 3;
	h->f.mismatch = h->mis;
	for (int p = 0; p < 8; p++)
		h->f.sep[p] = HG_SEP_NORMAL;
}
