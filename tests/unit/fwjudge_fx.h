/* fwjudge_fx.h: what test_fwjudge.c and test_fwjudge_learn.c share:
 * policy text by hand (H(), POL(), ALL_FW), a sink for what the judge
 * (verifier/fwjudge.h) reports, stderr captured into a string, and the
 * firmware facts hand_facts() builds by hand.
 *
 * A helper that fails aborts the test through cmocka's asserts.
 */
#ifndef HG_TEST_FWJUDGE_FX_H
#define HG_TEST_FWJUDGE_FX_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "../../lib/uefifacts.h"
#include "../../verifier/policy.h"

/* 64 hex digits of one repeated byte: H("11") is sha256 11..11. */
#define R8(x) x x x x x x x x
#define H(x) R8(x) R8(x) R8(x) R8(x)
#define H20(x) R8(x) R8(x) x x x x

#define POL(fw) "{\"version\":1,\"banks\":[\"sha256\"],\"firmware\":" fw "}"

/* ---- capturing what the judge reports and stderr ---- */

#define MAXF 32
struct sink {
	size_t n;
	char why[MAXF][320];
	json_object *f[MAXF];
	int want_json;
};

/* The hv_judge_firmware() callback: ARG is a struct sink. */
void add(void *arg, json_object *failure, const char *reason);
void sink_free(struct sink *s);

/* stderr into a file while a test step runs. */
struct cap {
	char path[32];
	int fd, saved;
};

void cap_start(struct cap *c);
/* Stop capturing; the text (at most N - 1 bytes) in OUT. */
void cap_end(struct cap *c, char *out, size_t n);

/* Parse TEXT into P, failing the test with the parser's stderr. */
void parse(const char *text, struct hg_policy *p);
/* Judge F by the policy TEXT into S. */
size_t judge(const char *text, const struct hg_uefi_facts *f, int want_json,
	     struct sink *s);
/* The string at KEY of O; fails the test if there is none. */
const char *jstr(json_object *o, const char *key);

/* ---- facts by hand ---- */

void dg(struct hg_digests *d, uint16_t alg, uint8_t byte);

struct hand {
	struct hg_uefi_facts f;
	struct hg_uefi_bootapp apps[3];
	struct hg_uefi_mismatch mis[2];
	char path0[32], path1[32];
};

/* Secure Boot on (event 12); PK, KEK, db, dbx at events 13-16 with
 * sha256 11.., 12.., 13.., 14..; boot applications at events 27
 * (\EFI\BOOT\BOOTX64.EFI, 21..), 30 (\EFI\ubuntu\grubx64.efi, 22..) and
 * 40 (no simple path, 23..); no digest mismatch. */
void hand_facts(struct hand *h);


/* A policy that allows exactly hand_facts(). */
#define ALL_FW \
	"{\"secure_boot\":true," \
	" \"boot_apps\":{\"sha256\":[\"" H("21") "\",\"" H("22") "\",\"" H("23") "\"]}," \
	" \"pk\":{\"sha256\":[\"" H("11") "\"]},\"kek\":{\"sha256\":[\"" H("12") "\"]}," \
	" \"db\":{\"sha256\":[\"" H("13") "\"]},\"dbx\":{\"sha256\":[\"" H("14") "\"]}}"

#endif
