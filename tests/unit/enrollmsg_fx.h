/* enrollmsg_fx.h: what the two enrollment message tests share: a
 * decoder driver that copies each input to a buffer of exactly its size
 * (so ASan sees any read past it), hex input, and valid messages as hex
 * pieces that the bad-inputs rows edit. */
#ifndef HG_ENROLLMSG_FX_H
#define HG_ENROLLMSG_FX_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/enrollmsg.h"

enum msg { REQ, CHAL, RESP };

/* Decode LEN bytes of BUF (copied to a buffer of exactly LEN bytes) as
 * message KIND; returns the decoder's result, *WHY its reason. */
int decode(enum msg kind, const uint8_t *buf, size_t len, const char **why);
/* Hex with optional spaces to bytes; returns the length. */
size_t unhex(const char *hex, uint8_t *out, size_t cap);
struct hg_bytes B(const void *p, size_t n);

/* ---- valid messages, as hex pieces ---- */

/* request: {0: 1, 1: 1, 2: [[cert, pub]], 3: ak_pub, 4: ak_name, 5: "h"} */
#define REQ_HEAD "a6 00 01 01 01 "
#define EKS1 "02 81 82 44 30820100 44 0001000b "
#define AKPUB "03 44 0023000b "
#define AKNAME "04 44 000b0a0b "
#define HOST "05 61 68 "
#define REQ_BODY EKS1 AKPUB AKNAME HOST
#define GOOD_REQ REQ_HEAD REQ_BODY

/* challenge: {0: 1, 1: 2, 2: id, 3: ek_name, 4: ak_name, 5: blob,
 * 6: enc_secret} */
#define CHAL_HEAD "a7 00 01 01 02 "
#define ID "02 50 000102030405060708090a0b0c0d0e0f "
#define EKNAME "03 44 000b0102 "
#define CAKNAME "04 44 000b0304 "
#define BLOB "05 41 aa "
#define ENC "06 41 bb "
#define CHAL_BODY ID EKNAME CAKNAME BLOB ENC
#define GOOD_CHAL CHAL_HEAD CHAL_BODY

/* response: {0: 1, 1: 3, 2: id, 3: secret} */
#define RESP_HEAD "a4 00 01 01 03 "
#define SECRET "03 41 cc "
#define RESP_BODY ID SECRET
#define GOOD_RESP RESP_HEAD RESP_BODY

#endif
