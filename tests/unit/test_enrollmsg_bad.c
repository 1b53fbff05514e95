/* test_enrollmsg_bad.c: malformed enrollment messages (lib/enrollmsg.h).
 *
 * A bad-inputs table in the manner of libcbor's bad_inputs_test.c: every
 * malformed input, as hex, run through the decoder it targets and pinned
 * to the exact *why. Inputs whose sizes make hex unwieldy (over 64 KiB, a
 * 4097-byte certificate, a 256-byte hostname...) are built with cw_* in a
 * second table. Every prefix of a valid message of each type is refused.
 * Each input is decoded from a heap copy of exactly its size (see
 * enrollmsg_fx.h), so that ASan sees any read past its end.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/cbor_w.h"
#include "../../lib/enrollmsg.h"
#include "enrollmsg_fx.h"

#define E_EMPTY "empty file"
#define E_BIG "larger than 64 KiB"
#define E_MAP "not a CBOR map"
#define E_VER "no version field"
#define E_VERSION "unsupported enrollment message version"
#define E_TYPE "no message type field"
#define E_UNKNOWN "unknown enrollment message type"
#define E_NOT_REQ "not an enrollment request (another enrollment message)"
#define E_NOT_CHAL "not an enrollment challenge (another enrollment message)"
#define E_NOT_RESP "not an enrollment response (another enrollment message)"
#define E_N_REQ "an enrollment request has exactly 6 fields"
#define E_N_CHAL "an enrollment challenge has exactly 7 fields"
#define E_N_RESP "an enrollment response has exactly 4 fields"
#define E_KEY "fields missing, unknown or out of order"
#define E_EKS "eks: not an array of 1..4 [certificate, public key]"
#define E_PAIR "eks: entry is not [certificate, public key]"
#define E_EKSIZE "eks: certificate not 1..4096 bytes or public key not 1..1024"
#define E_AKPUB "ak_pub: not 1..1024 bytes"
#define E_AKNAME "ak_name: not 4..66 bytes"
#define E_EKNAME "ek_name: not 4..66 bytes"
#define E_ID "id: not 16 bytes"
#define E_BLOB "blob: not 1..1024 bytes"
#define E_ENC "enc_secret: not 1..1024 bytes"
#define E_SECRET "secret: not 1..64 bytes"
#define E_HOST "hostname: not a text string of 1..255 bytes"
#define E_HOSTCH "hostname: not printable ASCII without spaces"
#define E_TRAIL "trailing bytes after the message"
#define E_TRUNC "truncated CBOR"
#define E_INDEF "indefinite-length CBOR"
#define E_MALF "malformed CBOR"

static const struct {
	enum msg kind;
	const char *hex;
	const char *why;
} bad_inputs[] = {
	/* -- the head: map, version, type, field count -- */
	{ REQ, "", E_EMPTY },
	{ CHAL, "", E_EMPTY },
	{ RESP, "", E_EMPTY },
	{ RESP, "84 00 01 01 03", E_MAP },                   /* an array */
	{ RESP, "01", E_MAP },
	{ RESP, "41 a4", E_MAP },                            /* a bstr holding a map */
	{ RESP, "f6", E_MAP },                               /* null */
	{ RESP, "ff", E_MAP },                               /* a lone break */
	{ RESP, "bf 00 01 01 03 " RESP_BODY "ff", E_MAP },   /* indefinite map */
	{ RESP, "a4", E_MAP },                               /* count > what is left */
	{ RESP, "a4 00 01 01 03", E_MAP },
	{ RESP, "bc", E_MAP },                               /* reserved info 28 */
	{ RESP, "d8 18 " GOOD_RESP, E_MAP },                 /* tagged */
	{ RESP, "a0", E_VER },                               /* empty map */
	{ RESP, "a1 01 03", E_VER },                         /* type only */
	{ RESP, "a4 01 03 00 01 " RESP_BODY, E_VER },        /* type first */
	{ RESP, "a4 20 01 01 03 " RESP_BODY, E_VER },        /* key -1 */
	{ RESP, "a4 60 01 01 03 " RESP_BODY, E_VER },        /* key "" */
	{ RESP, "a4 00 41 01 01 03 " RESP_BODY, E_VER },     /* version as bstr */
	{ RESP, "a4 00 20 01 03 " RESP_BODY, E_VER },        /* version -1 */
	{ RESP, "a4 00 f5 01 03 " RESP_BODY, E_VER },        /* version true */
	{ RESP, "a4 00 fa3f800000 01 03 " RESP_BODY, E_VER }, /* version 1.0f */
	{ RESP, "a4 00 1b 00000000000000", E_VER },          /* version cut in its head */
	{ RESP, "a4 00 00 01 03 " RESP_BODY, E_VERSION },
	{ RESP, "a4 00 02 01 03 " RESP_BODY, E_VERSION },
	{ REQ, "a6 00 1b0000000100000001 01 01 " REQ_BODY, E_VERSION },
	{ RESP, "a1 00 01 01 03", E_TYPE },                  /* one field */
	{ RESP, "a4 00 01 02 03 " RESP_BODY, E_TYPE },       /* key 2 for 1 */
	{ RESP, "a4 00 01 01 63 " RESP_BODY, E_TYPE },       /* type as text */
	{ RESP, "a4 00 01 01 22 " RESP_BODY, E_TYPE },       /* type -3 */
	{ RESP, "a4 00 01 00 03 " RESP_BODY, E_TYPE },       /* key 0 twice */
	{ RESP, "a4 00 01 61 31 03 " RESP_BODY, E_TYPE },    /* key "1" */
	{ RESP, "a4 00 01 21 03 " RESP_BODY, E_TYPE },       /* key -2 */
	{ RESP, "a4 00 01 01 00 " RESP_BODY, E_UNKNOWN },
	{ RESP, "a4 00 01 01 04 " RESP_BODY, E_UNKNOWN },
	{ RESP, "a4 00 01 01 18ff " RESP_BODY, E_UNKNOWN },
	{ REQ, "a6 00 01 01 1b0000000100000001 " REQ_BODY, E_UNKNOWN },
	{ CHAL, "a7 00 01 01 04 " CHAL_BODY, E_UNKNOWN },
	/* each message read as the other two */
	{ CHAL, GOOD_REQ, E_NOT_CHAL },
	{ RESP, GOOD_REQ, E_NOT_RESP },
	{ REQ, GOOD_CHAL, E_NOT_REQ },
	{ RESP, GOOD_CHAL, E_NOT_RESP },
	{ REQ, GOOD_RESP, E_NOT_REQ },
	{ CHAL, GOOD_RESP, E_NOT_CHAL },
	/* the type key decides, whatever the count */
	{ REQ, "a7 00 01 01 02 " CHAL_BODY, E_NOT_REQ },
	/* field counts */
	{ REQ, "a5 00 01 01 01 " EKS1 AKPUB AKNAME, E_N_REQ },
	{ REQ, "a7 00 01 01 01 " REQ_BODY "06 00", E_N_REQ },
	{ REQ, "a2 00 01 01 01", E_N_REQ },
	{ CHAL, "a6 00 01 01 02 " ID EKNAME CAKNAME BLOB, E_N_CHAL },
	{ CHAL, "a8 00 01 01 02 " CHAL_BODY "07 00", E_N_CHAL },
	{ RESP, "a3 00 01 01 03 " ID, E_N_RESP },
	{ RESP, "a5 00 01 01 03 " RESP_BODY "04 00", E_N_RESP },
	{ RESP, "a2 00 01 01 03", E_N_RESP },

	/* -- keys: out of order, duplicated, unknown, of another type -- */
	{ REQ, REQ_HEAD AKPUB EKS1 AKNAME HOST, E_KEY },
	{ REQ, REQ_HEAD EKS1 AKNAME AKPUB HOST, E_KEY },
	{ REQ, REQ_HEAD EKS1 AKPUB HOST AKNAME, E_KEY },
	{ REQ, REQ_HEAD EKS1 EKS1 AKPUB AKNAME, E_KEY },     /* 2 twice */
	{ REQ, REQ_HEAD EKS1 AKPUB AKPUB HOST, E_KEY },      /* 3 twice */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "04 61 68", E_KEY }, /* 4 twice, as text */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "06 61 68", E_KEY }, /* unknown 6 */
	{ REQ, REQ_HEAD EKS1 AKPUB "07 44 000b0a0b " HOST, E_KEY },
	{ REQ, REQ_HEAD "62 6b 73 81 82 41 01 41 02 " AKPUB AKNAME HOST, E_KEY },
	{ REQ, REQ_HEAD EKS1 "23 44 0023000b " AKNAME HOST, E_KEY },  /* key -4 */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "f5 61 68", E_KEY },        /* key true */
	{ CHAL, CHAL_HEAD EKNAME ID CAKNAME BLOB ENC, E_KEY },
	{ CHAL, CHAL_HEAD ID CAKNAME EKNAME BLOB ENC, E_KEY },
	{ CHAL, CHAL_HEAD ID EKNAME CAKNAME ENC BLOB, E_KEY },
	{ CHAL, CHAL_HEAD ID ID CAKNAME BLOB ENC, E_KEY },
	{ CHAL, CHAL_HEAD ID EKNAME CAKNAME BLOB BLOB, E_KEY },
	{ CHAL, CHAL_HEAD ID EKNAME CAKNAME BLOB "07 41 bb", E_KEY },
	{ CHAL, CHAL_HEAD "18 02 50 000102030405060708090a0b0c0d0e0f " EKNAME CAKNAME BLOB "1907 41 bb", E_KEY },
	{ RESP, RESP_HEAD SECRET ID, E_KEY },
	{ RESP, RESP_HEAD ID ID, E_KEY },
	{ RESP, RESP_HEAD ID "04 41 cc", E_KEY },
	{ RESP, RESP_HEAD "42 02 00 50 000102030405060708090a0b0c0d0e0f " SECRET, E_KEY },
	{ RESP, RESP_HEAD ID "1b ff", E_KEY },               /* key cut in its head */

	/* -- the request's fields -- */
	/* eks: not an array of 1..4 */
	{ REQ, REQ_HEAD "02 80 " AKPUB AKNAME HOST, E_EKS },
	{ REQ, REQ_HEAD "02 85 82 41 01 41 02 82 41 03 41 04 82 41 05 41 06 82 41 07 41 08 "
	       "82 41 09 41 0a " AKPUB AKNAME HOST, E_EKS },
	{ REQ, REQ_HEAD "02 82 41 01 41 02 " AKPUB AKNAME HOST, E_PAIR }, /* a pair, not in a list */
	{ REQ, REQ_HEAD "02 44 30820100 " AKPUB AKNAME HOST, E_EKS },
	{ REQ, REQ_HEAD "02 a1 41 01 41 02 " AKPUB AKNAME HOST, E_EKS },
	{ REQ, REQ_HEAD "02 9f 82 41 01 41 02 ff " AKPUB AKNAME HOST, E_EKS }, /* indefinite */
	{ REQ, REQ_HEAD "02 98 ff " AKPUB AKNAME HOST, E_EKS }, /* count > what is left */
	/* eks: an entry is not [bstr, bstr] */
	{ REQ, REQ_HEAD "02 81 83 41 01 41 02 41 03 " AKPUB AKNAME HOST, E_PAIR },
	{ REQ, REQ_HEAD "02 81 81 41 01 " AKPUB AKNAME HOST, E_PAIR },
	{ REQ, REQ_HEAD "02 81 80 " AKPUB AKNAME HOST, E_PAIR },
	{ REQ, REQ_HEAD "02 81 44 30820100 " AKPUB AKNAME HOST, E_PAIR },
	{ REQ, REQ_HEAD "02 81 9f 41 01 41 02 ff " AKPUB AKNAME HOST, E_PAIR },
	{ REQ, REQ_HEAD "02 81 82 61 01 41 02 " AKPUB AKNAME HOST, E_PAIR },  /* cert text */
	{ REQ, REQ_HEAD "02 81 82 41 01 61 02 " AKPUB AKNAME HOST, E_PAIR },  /* pub text */
	{ REQ, REQ_HEAD "02 81 82 5f 41 01 ff 41 02 " AKPUB AKNAME HOST, E_PAIR },
	{ REQ, REQ_HEAD "02 81 82 41 01 f6 " AKPUB AKNAME HOST, E_PAIR },
	{ REQ, REQ_HEAD "02 82 82 41 01 41 02 82 41 03 " AKPUB AKNAME HOST, E_PAIR },
	{ REQ, REQ_HEAD "02 82 82 41 01 41 02 41 03 " AKPUB AKNAME HOST, E_PAIR },
	/* eks: sizes (the large ones are in sized_inputs) */
	{ REQ, REQ_HEAD "02 81 82 40 41 02 " AKPUB AKNAME HOST, E_EKSIZE },
	{ REQ, REQ_HEAD "02 81 82 41 01 40 " AKPUB AKNAME HOST, E_EKSIZE },
	{ REQ, REQ_HEAD "02 82 82 41 01 41 02 82 40 41 02 " AKPUB AKNAME HOST, E_EKSIZE },
	/* ak_pub, ak_name */
	{ REQ, REQ_HEAD EKS1 "03 40 " AKNAME HOST, E_AKPUB },
	{ REQ, REQ_HEAD EKS1 "03 64 0023000b " AKNAME HOST, E_AKPUB },   /* text */
	{ REQ, REQ_HEAD EKS1 "03 82 41 01 41 02 " AKNAME HOST, E_AKPUB },
	{ REQ, REQ_HEAD EKS1 "03 01 " AKNAME HOST, E_AKPUB },
	{ REQ, REQ_HEAD EKS1 "03 5f 44 0023000b ff " AKNAME HOST, E_INDEF },
	{ REQ, REQ_HEAD EKS1 AKPUB "04 40 " HOST, E_AKNAME },
	{ REQ, REQ_HEAD EKS1 AKPUB "04 43 000b0a " HOST, E_AKNAME },
	{ REQ, REQ_HEAD EKS1 AKPUB "04 64 000b0a0b " HOST, E_AKNAME },
	{ REQ, REQ_HEAD EKS1 AKPUB "04 5f 44 000b0a0b ff " HOST, E_INDEF },
	/* hostname */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 60", E_HOST },
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 41 68", E_HOST },     /* bstr */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 01", E_HOST },
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 f6", E_HOST },
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 7f 61 68 ff", E_HOST }, /* indefinite */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 62 68", E_HOST },     /* cut in the text */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05", E_HOST },           /* no value */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 63 68 20 68", E_HOSTCH },   /* space */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 61 20", E_HOSTCH },
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 62 68 09", E_HOSTCH },      /* tab */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 62 68 0a", E_HOSTCH },      /* newline */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 62 00 68", E_HOSTCH },      /* NUL */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 62 1b 5b", E_HOSTCH },      /* ESC [ */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 62 68 7f", E_HOSTCH },      /* DEL */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 62 68 80", E_HOSTCH },
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 63 68 c3 a9", E_HOSTCH },   /* UTF-8 é */
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 62 68 ff", E_HOSTCH },
	{ REQ, REQ_HEAD EKS1 AKPUB AKNAME "05 64 68 e2 80 8b", E_HOSTCH }, /* zero-width space */

	/* -- the challenge's fields -- */
	{ CHAL, CHAL_HEAD "02 4f 000102030405060708090a0b0c0d0e " EKNAME CAKNAME BLOB ENC, E_ID },
	{ CHAL, CHAL_HEAD "02 51 000102030405060708090a0b0c0d0e0f10 " EKNAME CAKNAME BLOB ENC, E_ID },
	{ CHAL, CHAL_HEAD "02 40 " EKNAME CAKNAME BLOB ENC, E_ID },
	{ CHAL, CHAL_HEAD "02 70 000102030405060708090a0b0c0d0e0f " EKNAME CAKNAME BLOB ENC, E_ID },
	{ CHAL, CHAL_HEAD "02 5f 48 0001020304050607 48 08090a0b0c0d0e0f ff " EKNAME CAKNAME BLOB ENC, E_INDEF },
	{ CHAL, CHAL_HEAD ID "03 43 000b01 " CAKNAME BLOB ENC, E_EKNAME },
	{ CHAL, CHAL_HEAD ID "03 40 " CAKNAME BLOB ENC, E_EKNAME },
	{ CHAL, CHAL_HEAD ID "03 00 " CAKNAME BLOB ENC, E_EKNAME },
	{ CHAL, CHAL_HEAD ID EKNAME "04 43 000b03 " BLOB ENC, E_AKNAME },
	{ CHAL, CHAL_HEAD ID EKNAME "04 64 000b0304 " BLOB ENC, E_AKNAME },
	{ CHAL, CHAL_HEAD ID EKNAME CAKNAME "05 40 " ENC, E_BLOB },
	{ CHAL, CHAL_HEAD ID EKNAME CAKNAME "05 a0 " ENC, E_BLOB },
	{ CHAL, CHAL_HEAD ID EKNAME CAKNAME BLOB "06 40", E_ENC },
	{ CHAL, CHAL_HEAD ID EKNAME CAKNAME BLOB "06 61 bb", E_ENC },
	{ CHAL, CHAL_HEAD ID EKNAME CAKNAME BLOB "06 5c", E_MALF },      /* reserved info 28 */
	{ CHAL, CHAL_HEAD ID EKNAME CAKNAME BLOB "06 42 bb", E_TRUNC },
	{ CHAL, CHAL_HEAD ID EKNAME CAKNAME BLOB "06 5b ffffffffffffffff", E_TRUNC },
	{ CHAL, CHAL_HEAD ID EKNAME CAKNAME BLOB "06", E_TRUNC },       /* no value */

	/* -- the response's fields -- */
	{ RESP, RESP_HEAD "02 4f 000102030405060708090a0b0c0d0e " SECRET, E_ID },
	{ RESP, RESP_HEAD "02 51 000102030405060708090a0b0c0d0e0f10 " SECRET, E_ID },
	{ RESP, RESP_HEAD "02 82 48 0001020304050607 48 08090a0b0c0d0e0f " SECRET, E_ID },
	{ RESP, RESP_HEAD ID "03 40", E_SECRET },
	{ RESP, RESP_HEAD ID "03 61 cc", E_SECRET },
	{ RESP, RESP_HEAD ID "03 f7", E_SECRET },                         /* undefined */
	{ RESP, RESP_HEAD ID "03 5f 41 cc ff", E_INDEF },
	{ RESP, RESP_HEAD ID "03 5f ff", E_INDEF },
	{ RESP, RESP_HEAD ID "03 41", E_TRUNC },
	{ RESP, RESP_HEAD ID "03 58", E_TRUNC },
	{ RESP, RESP_HEAD ID "03 1f", E_MALF },                           /* reserved */

	/* -- trailing bytes -- */
	{ REQ, GOOD_REQ "00", E_TRAIL },
	{ REQ, GOOD_REQ "ff", E_TRAIL },
	{ CHAL, GOOD_CHAL "00", E_TRAIL },
	{ CHAL, GOOD_CHAL GOOD_CHAL, E_TRAIL },
	{ RESP, GOOD_RESP "00", E_TRAIL },
	{ RESP, GOOD_RESP "a0", E_TRAIL },
	{ RESP, GOOD_RESP GOOD_RESP, E_TRAIL },
};

static void test_bad_inputs(void **state)
{
	static const char *const kinds[] = { "request", "challenge", "response" };
	uint8_t buf[512];
	const char *why;
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		size_t n = unhex(bad_inputs[i].hex, buf, sizeof(buf));
		int rc = decode(bad_inputs[i].kind, buf, n, &why);

		if (rc != -1 || !why || strcmp(why, bad_inputs[i].why)) {
			print_error("bad input %zu (%s, %s): rc %d, why \"%s\", want \"%s\"\n",
				    i, kinds[bad_inputs[i].kind], bad_inputs[i].hex, rc,
				    why ? why : "(null)", bad_inputs[i].why);
			failed++;
		}
	}
	if (failed)
		fail_msg("%d of %zu bad inputs not refused as pinned", failed,
			 sizeof(bad_inputs) / sizeof(bad_inputs[0]));
}

/* ---- inputs built with cw_: sizes too large for hex ---- */

enum sized {
	S_BIG,          /* a 64 KiB + 1 input */
	S_BIG_EXACT,    /* 64 KiB exactly: read, and refused for its padding */
	S_CERT,         /* ek_cert of N bytes */
	S_PUB,          /* ek_pub of N bytes */
	S_AKPUB,        /* request ak_pub */
	S_AKNAME,       /* request ak_name */
	S_HOST,         /* hostname of N printable bytes */
	S_C_EKNAME,
	S_C_AKNAME,
	S_C_BLOB,
	S_C_ENC,
	S_SECRET,       /* response secret */
};

static const struct {
	enum sized what;
	size_t n;
	const char *why;        /* NULL: accepted */
} sized_inputs[] = {
	{ S_BIG, 0, E_BIG },
	{ S_BIG_EXACT, 0, E_TRAIL },
	{ S_CERT, 4096, NULL },
	{ S_CERT, 4097, E_EKSIZE },
	{ S_CERT, 8192, E_EKSIZE },
	{ S_PUB, 1024, NULL },
	{ S_PUB, 1025, E_EKSIZE },
	{ S_AKPUB, 1024, NULL },
	{ S_AKPUB, 1025, E_AKPUB },
	{ S_AKNAME, 66, NULL },
	{ S_AKNAME, 67, E_AKNAME },
	{ S_HOST, 255, NULL },
	{ S_HOST, 256, E_HOST },
	{ S_HOST, 1000, E_HOST },
	{ S_C_EKNAME, 66, NULL },
	{ S_C_EKNAME, 67, E_EKNAME },
	{ S_C_AKNAME, 66, NULL },
	{ S_C_AKNAME, 67, E_AKNAME },
	{ S_C_BLOB, 1024, NULL },
	{ S_C_BLOB, 1025, E_BLOB },
	{ S_C_ENC, 1024, NULL },
	{ S_C_ENC, 1025, E_ENC },
	{ S_SECRET, 64, NULL },
	{ S_SECRET, 65, E_SECRET },
};

static void test_sized_inputs(void **state)
{
	static uint8_t fillb[HG_ENROLL_MAX_SIZE + 1];
	static const uint8_t id[16];
	const uint8_t nm[4] = { 0, 0x0b, 1, 2 };
	const char *why;

	(void)state;
	memset(fillb, 'a', sizeof(fillb));
	for (size_t i = 0; i < sizeof(sized_inputs) / sizeof(sized_inputs[0]); i++) {
		size_t n = sized_inputs[i].n;
		struct hg_enroll_request q = {
			.n_eks = 1, .ek_cert = { B(fillb, 4) }, .ek_pub = { B(fillb, 4) },
			.ak_pub = B(fillb, 4), .ak_name = B(nm, 4), .hostname = B("h", 1),
		};
		struct hg_enroll_challenge c = {
			.id = B(id, 16), .ek_name = B(nm, 4), .ak_name = B(nm, 4),
			.blob = B(fillb, 1), .enc_secret = B(fillb, 1),
		};
		struct hg_enroll_response r = { .id = B(id, 16), .secret = B(fillb, 1) };
		enum msg kind = REQ;
		struct cw w;
		int rc;

		cw_init(&w);
		switch (sized_inputs[i].what) {
		case S_BIG:
		case S_BIG_EXACT:
			kind = RESP;
			assert_int_equal(hg_enroll_response_encode(&r, &w), 0);
			cw_raw(&w, fillb, HG_ENROLL_MAX_SIZE - w.len +
					  (sized_inputs[i].what == S_BIG));
			break;
		case S_CERT: q.ek_cert[0] = B(fillb, n); break;
		case S_PUB: q.ek_pub[0] = B(fillb, n); break;
		case S_AKPUB: q.ak_pub = B(fillb, n); break;
		case S_AKNAME: q.ak_name = B(fillb, n); break;
		case S_HOST: q.hostname = B(fillb, n); break;
		case S_C_EKNAME: kind = CHAL; c.ek_name = B(fillb, n); break;
		case S_C_AKNAME: kind = CHAL; c.ak_name = B(fillb, n); break;
		case S_C_BLOB: kind = CHAL; c.blob = B(fillb, n); break;
		case S_C_ENC: kind = CHAL; c.enc_secret = B(fillb, n); break;
		case S_SECRET: kind = RESP; r.secret = B(fillb, n); break;
		}
		if (sized_inputs[i].what != S_BIG && sized_inputs[i].what != S_BIG_EXACT) {
			if (kind == REQ)
				rc = hg_enroll_request_encode(&q, &w);
			else if (kind == CHAL)
				rc = hg_enroll_challenge_encode(&c, &w);
			else
				rc = hg_enroll_response_encode(&r, &w);
			assert_int_equal(rc, 0);
		}
		assert_false(w.err);
		if (sized_inputs[i].what == S_BIG)
			assert_int_equal(w.len, HG_ENROLL_MAX_SIZE + 1);
		if (sized_inputs[i].what == S_BIG_EXACT)
			assert_int_equal(w.len, HG_ENROLL_MAX_SIZE);
		rc = decode(kind, w.buf, w.len, &why);
		if (sized_inputs[i].why == NULL) {
			if (rc != 0)
				fail_msg("sized input %zu (size %zu) refused: %s", i, n,
					 why ? why : "(null)");
		} else if (rc != -1 || !why || strcmp(why, sized_inputs[i].why)) {
			fail_msg("sized input %zu (size %zu): rc %d, why \"%s\", want \"%s\"",
				 i, n, rc, why ? why : "(null)", sized_inputs[i].why);
		}
		cw_free(&w);
	}
}

/* ---- every prefix ---- */

/* No cut of a valid message decodes, as any of the three; each names a
 * reason. Each prefix is its own heap buffer (see decode()). */
static void test_every_prefix_refused(void **state)
{
	static const char *const msgs[] = {
		GOOD_REQ,
		GOOD_CHAL,
		GOOD_RESP,
		REQ_HEAD "02 84 82 41 01 41 02 82 41 03 41 04 82 41 05 41 06 82 41 07 41 08 "
			AKPUB AKNAME "05 6e 686f73742d312e6578616d706c65",
		"a4 1800 01 01 1803 02 5810 000102030405060708090a0b0c0d0e0f 03 590001 cc",
	};
	uint8_t buf[512];
	const char *why;
	size_t cuts = 0;

	(void)state;
	for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		size_t n = unhex(msgs[m], buf, sizeof(buf));

		for (size_t cut = 0; cut < n; cut++) {
			for (enum msg k = REQ; k <= RESP; k++) {
				if (decode(k, buf, cut, &why) != -1)
					fail_msg("message %zu cut at %zu decoded as kind %d",
						 m, cut, k);
				assert_non_null(why);
				assert_true(why[0] != '\0');
			}
			cuts++;
		}
	}
	assert_true(cuts > 150);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_sized_inputs),
		cmocka_unit_test(test_every_prefix_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
