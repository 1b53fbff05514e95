/* enrollmsg.c: see enrollmsg.h. */
#include "enrollmsg.h"

#include <string.h>

#include "cbor_r.h"

static void put_head(struct cw *w, size_t n, unsigned type)
{
	cw_map(w, n);
	cw_uint(w, 0);
	cw_uint(w, HG_ENROLL_VERSION);
	cw_uint(w, 1);
	cw_uint(w, type);
}

static void put_bytes(struct cw *w, unsigned key, const struct hg_bytes *b)
{
	cw_uint(w, key);
	cw_bytes(w, b->p, b->n);
}

int hg_enroll_request_encode(const struct hg_enroll_request *m, struct cw *w)
{
	if (m->n_eks == 0 || m->n_eks > HG_ENROLL_MAX_EKS)
		return -1;
	put_head(w, 6, HG_ENROLL_REQUEST);
	cw_uint(w, 2);
	cw_array(w, m->n_eks);
	for (size_t i = 0; i < m->n_eks; i++) {
		cw_array(w, 2);
		cw_bytes(w, m->ek_cert[i].p, m->ek_cert[i].n);
		cw_bytes(w, m->ek_pub[i].p, m->ek_pub[i].n);
	}
	put_bytes(w, 3, &m->ak_pub);
	put_bytes(w, 4, &m->ak_name);
	cw_uint(w, 5);
	cw_text(w, (const char *)m->hostname.p, m->hostname.n);
	return w->err ? -1 : 0;
}

int hg_enroll_challenge_encode(const struct hg_enroll_challenge *m, struct cw *w)
{
	put_head(w, 7, HG_ENROLL_CHALLENGE);
	put_bytes(w, 2, &m->id);
	put_bytes(w, 3, &m->ek_name);
	put_bytes(w, 4, &m->ak_name);
	put_bytes(w, 5, &m->blob);
	put_bytes(w, 6, &m->enc_secret);
	return w->err ? -1 : 0;
}

int hg_enroll_response_encode(const struct hg_enroll_response *m, struct cw *w)
{
	put_head(w, 4, HG_ENROLL_RESPONSE);
	put_bytes(w, 2, &m->id);
	put_bytes(w, 3, &m->secret);
	return w->err ? -1 : 0;
}

/* The map head, version and type; leaves R at key 2. */
static int get_head(struct cr *r, const uint8_t *buf, size_t len,
		    unsigned want_type, size_t want_n, const char **why)
{
	uint64_t key, v;
	size_t n;

	if (len == 0) {
		*why = "empty file";
		return -1;
	}
	if (len > HG_ENROLL_MAX_SIZE) {
		*why = "larger than 64 KiB";
		return -1;
	}
	cr_init(r, buf, len);
	if (cr_map(r, &n) != CR_OK) {
		*why = "not a CBOR map";
		return -1;
	}
	if (cr_uint(r, &key) != CR_OK || key != 0 || cr_uint(r, &v) != CR_OK) {
		*why = "no version field";
		return -1;
	}
	if (v != HG_ENROLL_VERSION) {
		*why = "unsupported enrollment message version";
		return -1;
	}
	if (n < 2 || cr_uint(r, &key) != CR_OK || key != 1 ||
	    cr_uint(r, &v) != CR_OK) {
		*why = "no message type field";
		return -1;
	}
	if (v != want_type) {
		*why = v == HG_ENROLL_REQUEST || v == HG_ENROLL_CHALLENGE ||
				       v == HG_ENROLL_RESPONSE
			       ? (want_type == HG_ENROLL_REQUEST
					  ? "not an enrollment request (another enrollment message)"
				  : want_type == HG_ENROLL_CHALLENGE
					  ? "not an enrollment challenge (another enrollment message)"
					  : "not an enrollment response (another enrollment message)")
			       : "unknown enrollment message type";
		return -1;
	}
	if (n != want_n) {
		*why = want_type == HG_ENROLL_REQUEST
			       ? "an enrollment request has exactly 6 fields"
		       : want_type == HG_ENROLL_CHALLENGE
			       ? "an enrollment challenge has exactly 7 fields"
			       : "an enrollment response has exactly 4 fields";
		return -1;
	}
	return 0;
}

static int want_key(struct cr *r, uint64_t want, const char **why)
{
	uint64_t key;

	if (cr_uint(r, &key) != CR_OK || key != want) {
		*why = "fields missing, unknown or out of order";
		return -1;
	}
	return 0;
}

/* Key KEY then a byte string of MIN..MAX bytes. */
static int get_bytes(struct cr *r, uint64_t key, struct hg_bytes *b,
		     size_t min, size_t max, const char *what, const char **why)
{
	int st;

	if (want_key(r, key, why) < 0)
		return -1;
	st = cr_bytes(r, &b->p, &b->n);
	if (st != CR_OK) {
		*why = st == CR_ETYPE ? what : cr_strerror(st);
		return -1;
	}
	if (b->n < min || b->n > max) {
		*why = what;
		return -1;
	}
	return 0;
}

static int get_end(const struct cr *r, const char **why)
{
	if (cr_left(r) != 0) {
		*why = "trailing bytes after the message";
		return -1;
	}
	return 0;
}

/* Sizes: a TPM2B_PUBLIC is at most sizeof(TPMT_PUBLIC) + 2 (well under
 * 1 KiB marshalled); a Name is a 2-byte algorithm and up to 64 bytes of
 * digest; an EK certificate fits the NV cap of hostgate-attest (4 KiB). */
#define PUB_MAX 1024
#define NAME_MIN 4
#define NAME_MAX 66
#define CERT_MAX 4096

int hg_enroll_request_decode(const uint8_t *buf, size_t len,
			     struct hg_enroll_request *m, const char **why)
{
	struct cr r;
	size_t n, pair;
	const char *host;
	int st;

	memset(m, 0, sizeof(*m));
	if (get_head(&r, buf, len, HG_ENROLL_REQUEST, 6, why) < 0 ||
	    want_key(&r, 2, why) < 0)
		return -1;
	if (cr_array(&r, &n) != CR_OK || n == 0 || n > HG_ENROLL_MAX_EKS) {
		*why = "eks: not an array of 1..4 [certificate, public key]";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (cr_array(&r, &pair) != CR_OK || pair != 2 ||
		    cr_bytes(&r, &m->ek_cert[i].p, &m->ek_cert[i].n) != CR_OK ||
		    cr_bytes(&r, &m->ek_pub[i].p, &m->ek_pub[i].n) != CR_OK) {
			*why = "eks: entry is not [certificate, public key]";
			return -1;
		}
		if (m->ek_cert[i].n == 0 || m->ek_cert[i].n > CERT_MAX ||
		    m->ek_pub[i].n == 0 || m->ek_pub[i].n > PUB_MAX) {
			*why = "eks: certificate not 1..4096 bytes or public key not 1..1024";
			return -1;
		}
	}
	m->n_eks = n;
	if (get_bytes(&r, 3, &m->ak_pub, 1, PUB_MAX, "ak_pub: not 1..1024 bytes", why) < 0 ||
	    get_bytes(&r, 4, &m->ak_name, NAME_MIN, NAME_MAX, "ak_name: not 4..66 bytes", why) < 0 ||
	    want_key(&r, 5, why) < 0)
		return -1;
	st = cr_text(&r, &host, &m->hostname.n);
	if (st != CR_OK || m->hostname.n == 0 ||
	    m->hostname.n > HG_ENROLL_HOSTNAME_MAX) {
		*why = "hostname: not a text string of 1..255 bytes";
		return -1;
	}
	m->hostname.p = (const uint8_t *)host;
	for (size_t i = 0; i < m->hostname.n; i++)
		if (host[i] < 0x21 || host[i] > 0x7e) {
			*why = "hostname: not printable ASCII without spaces";
			return -1;
		}
	return get_end(&r, why);
}

int hg_enroll_challenge_decode(const uint8_t *buf, size_t len,
			       struct hg_enroll_challenge *m, const char **why)
{
	struct cr r;

	memset(m, 0, sizeof(*m));
	if (get_head(&r, buf, len, HG_ENROLL_CHALLENGE, 7, why) < 0 ||
	    get_bytes(&r, 2, &m->id, HG_ENROLL_ID_LEN, HG_ENROLL_ID_LEN, "id: not 16 bytes", why) < 0 ||
	    get_bytes(&r, 3, &m->ek_name, NAME_MIN, NAME_MAX, "ek_name: not 4..66 bytes", why) < 0 ||
	    get_bytes(&r, 4, &m->ak_name, NAME_MIN, NAME_MAX, "ak_name: not 4..66 bytes", why) < 0 ||
	    get_bytes(&r, 5, &m->blob, 1, PUB_MAX, "blob: not 1..1024 bytes", why) < 0 ||
	    get_bytes(&r, 6, &m->enc_secret, 1, PUB_MAX, "enc_secret: not 1..1024 bytes", why) < 0)
		return -1;
	return get_end(&r, why);
}

int hg_enroll_response_decode(const uint8_t *buf, size_t len,
			      struct hg_enroll_response *m, const char **why)
{
	struct cr r;

	memset(m, 0, sizeof(*m));
	if (get_head(&r, buf, len, HG_ENROLL_RESPONSE, 4, why) < 0 ||
	    get_bytes(&r, 2, &m->id, HG_ENROLL_ID_LEN, HG_ENROLL_ID_LEN, "id: not 16 bytes", why) < 0 ||
	    get_bytes(&r, 3, &m->secret, 1, HG_ENROLL_SECRET_MAX, "secret: not 1..64 bytes", why) < 0)
		return -1;
	return get_end(&r, why);
}
