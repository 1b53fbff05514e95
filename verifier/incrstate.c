/* incrstate.c: the incremental state's codec (incr.h).
 *
 *   0: version        uint, HV_INCR_STATE_VERSION
 *   1: ak_name        bstr, the AK's Name (nameAlg + digest of its size)
 *   2: boot           [resetCount, restartCount], uint32 each (bootid.h)
 *   3: policy_sha256  bstr(32)
 *   4: next           uint, 1..HG_EVIDENCE_MAX_LOG_FIRST
 *   5: log_key        bstr, 1..HV_INCR_MAX_LOG_KEY: record 0's COSE_Key
 *   6: banks          [alg, ...], 1..HG_MAX_BANKS known banks, none twice
 *   7: pcrs           [[alg, pcr, value], ...]: for each PCR listed, one
 *                     value in every bank of 6, none twice
 *   8: records        [[recnum, content], ...]: recnum ascending, 1..next-1;
 *                     content a CEL content map that is not a log key
 * All keys present, ascending, each once; nothing after the map. The
 * input is the verifier's own storage, but it is decoded as hostile bytes
 * all the same: a damaged state must cost a full check, never a crash or
 * a wrong verdict.
 */
#include "incr.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/cbor_r.h"
#include "../lib/cbor_w.h"
#include "../lib/cel.h"
#include "../lib/cose.h"
#include "../lib/evidence.h"
#include "../lib/hglog.h"

#define NKEYS 9

static int bank_index(const struct hv_incr_state *st, uint16_t alg)
{
	for (size_t i = 0; i < st->nbanks; i++)
		if (st->banks[i] == alg)
			return (int)i;
	return -1;
}

/* Rules shared by both directions (so an encoding always decodes). */
static const char *check_banks(const struct hv_incr_state *st)
{
	if (st->nbanks == 0 || st->nbanks > HG_MAX_BANKS)
		return "banks: not 1..5 banks";
	for (size_t i = 0; i < st->nbanks; i++) {
		if (!hg_bank_by_alg(st->banks[i]))
			return "banks: unknown bank";
		for (size_t k = 0; k < i; k++)
			if (st->banks[k] == st->banks[i])
				return "banks: a bank is listed twice";
	}
	return NULL;
}

static const char *check_pcrs(const struct hv_incr_state *st)
{
	uint32_t touched = 0;

	if (st->pcrs.n == 0)
		return "pcrs: empty";
	for (size_t i = 0; i < st->pcrs.n; i++) {
		const struct hg_pcr_value *v = &st->pcrs.v[i];
		int b = bank_index(st, v->alg);

		if (b < 0 || v->pcr >= HG_NUM_PCRS || v->len != hg_bank_by_alg(v->alg)->size)
			return "pcrs: a bank not in banks, a PCR beyond 23 or a wrong length";
		for (size_t k = 0; k < i; k++)
			if (st->pcrs.v[k].alg == v->alg && st->pcrs.v[k].pcr == v->pcr)
				return "pcrs: a PCR value is listed twice";
		touched |= 1u << v->pcr;
	}
	if (st->pcrs.n != (size_t)__builtin_popcount(touched) * st->nbanks)
		return "pcrs: a PCR lacks a value in some bank";
	return NULL;
}

static const char *check_name(const uint8_t *n, size_t len)
{
	const struct hg_bank *b;

	if (len < 2 || len > 2 + HG_MAX_DIGEST)
		return "ak_name: not a TPM Name";
	b = hg_bank_by_alg((uint16_t)(n[0] << 8 | n[1]));
	if (!b || b->size != len - 2)
		return "ak_name: not a TPM Name";
	return NULL;
}

static const char *check_rec(const struct hv_incr_state *st, size_t i)
{
	const struct hv_incr_rec *r = &st->recs[i];
	struct hg_cel_rec rec;
	const char *why;

	if (r->recnum == 0 || r->recnum >= st->next || (i && r->recnum <= st->recs[i - 1].recnum))
		return "records: record numbers not ascending within 1..next-1";
	if (r->content_len == 0 || r->content_len > HG_LOG_MAX_RECORD ||
	    hg_cel_decode_content(r->content, r->content_len, &rec, &why) < 0)
		return "records: a content that does not decode";
	if (rec.type == HG_CT_LOG_KEY)
		return "records: a log-key record";
	return NULL;
}

static int fail(const char **why, const char *msg)
{
	*why = msg;
	return -1;
}

static int get_u32(struct cr *r, uint32_t *v)
{
	uint64_t x;

	if (cr_uint(r, &x) != CR_OK || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int get_banks(struct cr *r, struct hv_incr_state *st, const char **why)
{
	size_t n;
	uint64_t alg;

	if (cr_array(r, &n) != CR_OK || n == 0 || n > HG_MAX_BANKS)
		return fail(why, "banks: not an array of 1..5 banks");
	for (size_t i = 0; i < n; i++) {
		if (cr_uint(r, &alg) != CR_OK || alg > UINT16_MAX)
			return fail(why, "banks: not a bank");
		st->banks[i] = (uint16_t)alg;
	}
	st->nbanks = n;
	return (*why = check_banks(st)) ? -1 : 0;
}

static int get_pcrs(struct cr *r, struct hv_incr_state *st, const char **why)
{
	size_t n, m, len;
	uint64_t alg, pcr;
	const uint8_t *d;

	if (cr_array(r, &n) != CR_OK || n == 0 || n > HG_MAX_PCR_VALUES)
		return fail(why, "pcrs: not an array of 1..120 [alg, pcr, value]");
	for (size_t i = 0; i < n; i++) {
		struct hg_pcr_value *v = &st->pcrs.v[i];

		if (cr_array(r, &m) != CR_OK || m != 3 || cr_uint(r, &alg) != CR_OK ||
		    cr_uint(r, &pcr) != CR_OK || cr_bytes(r, &d, &len) != CR_OK ||
		    alg > UINT16_MAX || pcr >= HG_NUM_PCRS || len > HG_MAX_DIGEST)
			return fail(why, "pcrs: an entry is not [alg, pcr, value]");
		v->alg = (uint16_t)alg;
		v->pcr = (uint8_t)pcr;
		v->len = (uint8_t)len;
		memcpy(v->d, d, len);
	}
	st->pcrs.n = n;
	return (*why = check_pcrs(st)) ? -1 : 0;
}

static int get_recs(struct cr *r, struct hv_incr_state *st, const char **why)
{
	size_t n, m;

	if (cr_array(r, &n) != CR_OK || n > HV_INCR_MAX_KEPT)
		return fail(why, "records: not an array of at most 131072 records");
	/* Each entry takes at least 3 bytes: the count cannot outrun the input. */
	if (n > cr_left(r) / 3)
		return fail(why, "records: count exceeds the input");
	st->recs = calloc(n ? n : 1, sizeof(*st->recs));
	if (!st->recs)
		return fail(why, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct hv_incr_rec *e = &st->recs[i];

		if (cr_array(r, &m) != CR_OK || m != 2 || cr_uint(r, &e->recnum) != CR_OK ||
		    cr_bytes(r, &e->content, &e->content_len) != CR_OK)
			return fail(why, "records: an entry is not [recnum, content]");
		st->nrecs = i + 1;
		if ((*why = check_rec(st, i)))
			return -1;
	}
	return 0;
}

static int decode(struct cr *r, struct hv_incr_state *st, const char **why)
{
	size_t n, len;
	uint64_t key, version;
	const uint8_t *p;

	if (cr_map(r, &n) != CR_OK || n != NKEYS)
		return fail(why, "not a state map of 9 entries");
	for (uint64_t i = 0; i < NKEYS; i++) {
		if (cr_uint(r, &key) != CR_OK || key != i)
			return fail(why, "state keys missing, unknown, repeated or out of order");
		switch (key) {
		case 0:
			if (cr_uint(r, &version) != CR_OK)
				return fail(why, "version: not a number");
			if (version != HV_INCR_STATE_VERSION)
				return fail(why, "unsupported state version");
			break;
		case 1:
			if (cr_bytes(r, &p, &len) != CR_OK || (*why = check_name(p, len)))
				return *why ? -1 : fail(why, "ak_name: not a byte string");
			memcpy(st->ak_name, p, len);
			st->ak_name_len = len;
			break;
		case 2:
			if (cr_array(r, &len) != CR_OK || len != 2 ||
			    get_u32(r, &st->boot.reset_count) < 0 ||
			    get_u32(r, &st->boot.restart_count) < 0)
				return fail(why, "boot: not [resetCount, restartCount]");
			break;
		case 3:
			if (cr_bytes(r, &p, &len) != CR_OK || len != 32)
				return fail(why, "policy_sha256: not 32 bytes");
			memcpy(st->policy_sha256, p, 32);
			break;
		case 4:
			if (cr_uint(r, &st->next) != CR_OK || st->next == 0 ||
			    st->next > HG_EVIDENCE_MAX_LOG_FIRST)
				return fail(why, "next: not 1..4294967295");
			break;
		case 5:
			if (cr_bytes(r, &st->log_key, &st->log_key_len) != CR_OK ||
			    st->log_key_len == 0 || st->log_key_len > HV_INCR_MAX_LOG_KEY ||
			    hg_cose_key_decode(st->log_key, st->log_key_len, &st->key, why) < 0)
				return fail(why, "log_key: not a COSE_Key of the log");
			break;
		case 6:
			if (get_banks(r, st, why) < 0)
				return -1;
			break;
		case 7:
			if (get_pcrs(r, st, why) < 0)
				return -1;
			break;
		case 8:
			if (get_recs(r, st, why) < 0)
				return -1;
			break;
		}
	}
	if (cr_left(r) != 0)
		return fail(why, "trailing bytes after the state map");
	return 0;
}

int hv_incr_state_decode(const uint8_t *buf, size_t len, struct hv_incr_state *st,
			 const char **why)
{
	struct cr r;

	memset(st, 0, sizeof(*st));
	if (len == 0)
		return fail(why, "empty state");
	if (len > HV_INCR_MAX_STATE)
		return fail(why, "state larger than 32 MiB");
	st->buf = malloc(len);
	if (!st->buf)
		return fail(why, "out of memory");
	memcpy(st->buf, buf, len);
	st->len = len;
	cr_init(&r, st->buf, len);
	if (decode(&r, st, why) < 0) {
		hv_incr_state_free(st);
		return -1;
	}
	return 0;
}

int hv_incr_state_encode(const struct hv_incr_state *st, uint8_t **out, size_t *len)
{
	struct cw w;
	int ret = -1;

	cw_init(&w);
	if (check_name(st->ak_name, st->ak_name_len) || check_banks(st) || check_pcrs(st) ||
	    st->next == 0 || st->next > HG_EVIDENCE_MAX_LOG_FIRST ||
	    st->log_key_len == 0 || st->log_key_len > HV_INCR_MAX_LOG_KEY ||
	    st->nrecs > HV_INCR_MAX_KEPT)
		goto out;
	for (size_t i = 0; i < st->nrecs; i++)
		if (check_rec(st, i))
			goto out;
	cw_map(&w, NKEYS);
	cw_uint(&w, 0);
	cw_uint(&w, HV_INCR_STATE_VERSION);
	cw_uint(&w, 1);
	cw_bytes(&w, st->ak_name, st->ak_name_len);
	cw_uint(&w, 2);
	cw_array(&w, 2);
	cw_uint(&w, st->boot.reset_count);
	cw_uint(&w, st->boot.restart_count);
	cw_uint(&w, 3);
	cw_bytes(&w, st->policy_sha256, 32);
	cw_uint(&w, 4);
	cw_uint(&w, st->next);
	cw_uint(&w, 5);
	cw_bytes(&w, st->log_key, st->log_key_len);
	cw_uint(&w, 6);
	cw_array(&w, st->nbanks);
	for (size_t i = 0; i < st->nbanks; i++)
		cw_uint(&w, st->banks[i]);
	cw_uint(&w, 7);
	cw_array(&w, st->pcrs.n);
	for (size_t i = 0; i < st->pcrs.n; i++) {
		cw_array(&w, 3);
		cw_uint(&w, st->pcrs.v[i].alg);
		cw_uint(&w, st->pcrs.v[i].pcr);
		cw_bytes(&w, st->pcrs.v[i].d, st->pcrs.v[i].len);
	}
	cw_uint(&w, 8);
	cw_array(&w, st->nrecs);
	for (size_t i = 0; i < st->nrecs; i++) {
		cw_array(&w, 2);
		cw_uint(&w, st->recs[i].recnum);
		cw_bytes(&w, st->recs[i].content, st->recs[i].content_len);
	}
	if (w.err || w.len > HV_INCR_MAX_STATE)
		goto out;
	*out = cw_take(&w, len);
	ret = 0;
out:
	cw_free(&w);
	return ret;
}

void hv_incr_state_free(struct hv_incr_state *st)
{
	EVP_PKEY_free(st->key);
	free(st->recs);
	free(st->buf);
	memset(st, 0, sizeof(*st));
}
