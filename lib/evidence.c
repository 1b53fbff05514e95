/* evidence.c: see evidence.h. */
#include "evidence.h"

#include <string.h>

#include "cbor_r.h"

int hg_evidence_encode(const struct hg_evidence *e, struct cw *w)
{
	size_t n = 7 + (e->uefi ? 1 : 0) + (e->n_ek_certs ? 1 : 0) + (e->log_first ? 1 : 0);

	cw_map(w, n);
	cw_uint(w, 0);
	cw_uint(w, HG_EVIDENCE_VERSION);
	cw_uint(w, 1);
	cw_bytes(w, e->nonce, e->nonce_len);
	cw_uint(w, 2);
	cw_bytes(w, e->attest, e->attest_len);
	cw_uint(w, 3);
	cw_bytes(w, e->sig, e->sig_len);
	cw_uint(w, 4);
	cw_bytes(w, e->ak, e->ak_len);
	cw_uint(w, 5);
	cw_array(w, e->pcrs.n);
	for (size_t i = 0; i < e->pcrs.n; i++) {
		cw_array(w, 3);
		cw_uint(w, e->pcrs.v[i].alg);
		cw_uint(w, e->pcrs.v[i].pcr);
		cw_bytes(w, e->pcrs.v[i].d, e->pcrs.v[i].len);
	}
	cw_uint(w, 6);
	cw_bytes(w, e->log, e->log_len);
	if (e->uefi) {
		cw_uint(w, 7);
		cw_bytes(w, e->uefi, e->uefi_len);
	}
	if (e->n_ek_certs) {
		cw_uint(w, 8);
		cw_array(w, e->n_ek_certs);
		for (size_t i = 0; i < e->n_ek_certs; i++)
			cw_bytes(w, e->ek_cert[i], e->ek_cert_len[i]);
	}
	if (e->log_first) {
		cw_uint(w, 9);
		cw_uint(w, e->log_first);
	}
	return w->err ? -1 : 0;
}

static int get_pcrs(struct cr *r, struct hg_pcr_values *v, const char **why)
{
	size_t n, m, len;
	uint64_t alg, pcr;
	const uint8_t *d;

	if (cr_array(r, &n) != CR_OK || n == 0 || n > HG_MAX_PCR_VALUES) {
		*why = "pcrs: not an array of 1..120 [alg, pcr, value]";
		return -1;
	}
	v->n = 0;
	for (size_t i = 0; i < n; i++) {
		const struct hg_bank *b;

		if (cr_array(r, &m) != CR_OK || m != 3 ||
		    cr_uint(r, &alg) != CR_OK || cr_uint(r, &pcr) != CR_OK ||
		    cr_bytes(r, &d, &len) != CR_OK) {
			*why = "pcrs: entry is not [alg, pcr, value]";
			return -1;
		}
		b = alg <= UINT16_MAX ? hg_bank_by_alg((uint16_t)alg) : NULL;
		if (!b || pcr >= HG_NUM_PCRS || len != b->size) {
			*why = "pcrs: unknown bank, PCR beyond 23, or wrong value length";
			return -1;
		}
		if (hg_pcr_values_get(v, (uint16_t)alg, (unsigned)pcr)) {
			*why = "pcrs: a PCR value is listed twice";
			return -1;
		}
		v->v[v->n].alg = (uint16_t)alg;
		v->v[v->n].pcr = (uint8_t)pcr;
		v->v[v->n].len = (uint8_t)len;
		memcpy(v->v[v->n].d, d, len);
		v->n++;
	}
	return 0;
}

int hg_evidence_decode(const uint8_t *buf, size_t len, struct hg_evidence *e,
		       const char **why)
{
	struct cr r;
	size_t n;
	int64_t prev = -1;

	memset(e, 0, sizeof(*e));
	if (len == 0) {
		*why = "empty file";
		return -1;
	}
	if (len > HG_EVIDENCE_MAX_SIZE) {
		*why = "evidence larger than 96 MiB";
		return -1;
	}
	cr_init(&r, buf, len);
	if (cr_map(&r, &n) != CR_OK || n < 7 || n > 10) {
		*why = "not an evidence map of 7..10 entries";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t key;
		size_t m;
		int st = CR_OK;

		if (cr_uint(&r, &key) != CR_OK || (int64_t)key <= prev || key > 9) {
			*why = "evidence keys unknown, repeated or out of order";
			return -1;
		}
		if (key != (uint64_t)i && key < 7) {
			*why = "evidence lacks a required field";
			return -1;
		}
		prev = (int64_t)key;
		switch (key) {
		case 0:
			st = cr_uint(&r, &e->version);
			if (st == CR_OK && e->version != HG_EVIDENCE_VERSION) {
				*why = "unsupported evidence version";
				return -1;
			}
			break;
		case 1:
			st = cr_bytes(&r, &e->nonce, &e->nonce_len);
			break;
		case 2:
			st = cr_bytes(&r, &e->attest, &e->attest_len);
			break;
		case 3:
			st = cr_bytes(&r, &e->sig, &e->sig_len);
			break;
		case 4:
			st = cr_bytes(&r, &e->ak, &e->ak_len);
			break;
		case 5:
			if (get_pcrs(&r, &e->pcrs, why) < 0)
				return -1;
			break;
		case 6:
			st = cr_bytes(&r, &e->log, &e->log_len);
			break;
		case 7:
			st = cr_bytes(&r, &e->uefi, &e->uefi_len);
			break;
		case 8:
			if (cr_array(&r, &m) != CR_OK || m == 0 || m > HG_MAX_EK_CERTS) {
				*why = "ek_certs: not an array of 1..4 certificates";
				return -1;
			}
			for (size_t j = 0; j < m && st == CR_OK; j++)
				st = cr_bytes(&r, &e->ek_cert[j], &e->ek_cert_len[j]);
			e->n_ek_certs = m;
			break;
		case 9:
			st = cr_uint(&r, &e->log_first);
			if (st == CR_OK && (e->log_first == 0 ||
					    e->log_first > HG_EVIDENCE_MAX_LOG_FIRST)) {
				*why = "log_first: not 1..4294967295 (0 is written by leaving the key out)";
				return -1;
			}
			break;
		}
		if (st != CR_OK) {
			*why = st == CR_ETYPE ? "evidence field has the wrong CBOR type"
					      : cr_strerror(st);
			return -1;
		}
	}
	if (cr_left(&r) != 0) {
		*why = "trailing bytes after the evidence map";
		return -1;
	}
	if (e->nonce_len < HG_NONCE_MIN || e->nonce_len > HG_NONCE_MAX) {
		*why = "nonce is not 8..64 bytes";
		return -1;
	}
	return 0;
}
