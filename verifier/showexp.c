/* showexp.c: 'show EVIDENCE --export DIR': the quote's parts as files
 * for tpm2-tools (see showev.h for the file list). */
#include "showev.h"

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tss2/tss2_mu.h>

#include "../lib/digest.h"
#include "../lib/util.h"

static int put_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		hg_err("%s/%s: path too long", dir, name);
		return -1;
	}
	if (hg_write_file_atomic(path, data, len, 0644) < 0) {
		hg_err("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* tpm2-tools' "serialized" PCR file (tpm2_quote -o FILE -F serialized,
 * the form tpm2_checkquote reads without -l): TPML_PCR_SELECTION, a
 * UINT32 count of TPML_DIGEST lists, the lists (8 digests each at most),
 * all as the tss2 structs lie in memory, integers little endian. It is
 * the quote's own selection, so checkquote's selection compare passes.
 * tpm2-tools 5.4 needs it: its "-l SELECTION" reader of a values file
 * drops every 8th digest, so it fails from 8 quoted values on. */
static int serialize_pcrs(const struct hv_evdump *d, uint8_t **out, size_t *len)
{
	const TPML_PCR_SELECTION *sel = &d->attest.attested.quote.pcrSelect;
	TPML_PCR_SELECTION s;
	TPML_DIGEST *lists = NULL;
	size_t nlists = 0, cap = (d->ev.pcrs.n + 7) / 8 + 1;
	uint32_t n32;
	uint8_t *buf = NULL;
	int ret = -1;

	lists = calloc(cap, sizeof(*lists));
	if (!lists)
		goto out;
	memset(&s, 0, sizeof(s));
	s.count = htole32(sel->count);
	for (UINT32 i = 0; i < sel->count; i++) {
		const TPMS_PCR_SELECTION *ps = &sel->pcrSelections[i];

		s.pcrSelections[i].hash = htole16(ps->hash);
		s.pcrSelections[i].sizeofSelect = ps->sizeofSelect;
		memcpy(s.pcrSelections[i].pcrSelect, ps->pcrSelect, sizeof(ps->pcrSelect));
		for (unsigned p = 0; p < hv_evdump_sel_bits(ps); p++) {
			const struct hg_pcr_value *v;
			TPML_DIGEST *l;

			if (!(ps->pcrSelect[p / 8] & (1u << (p % 8))))
				continue;
			/* layout_pcrs() found every value: none is missing. */
			v = hg_pcr_values_get(&d->ev.pcrs, ps->hash, p);
			if (!v)
				goto out;
			if (nlists == 0 || lists[nlists - 1].count == 8) {
				if (nlists == cap)
					goto out;
				nlists++;
			}
			l = &lists[nlists - 1];
			l->digests[l->count].size = v->len;
			memcpy(l->digests[l->count].buffer, v->d, v->len);
			l->count++;
		}
	}
	for (size_t i = 0; i < nlists; i++) {
		for (UINT32 k = 0; k < lists[i].count; k++)
			lists[i].digests[k].size = htole16(lists[i].digests[k].size);
		lists[i].count = htole32(lists[i].count);
	}
	*len = sizeof(s) + sizeof(n32) + nlists * sizeof(*lists);
	buf = malloc(*len);
	if (!buf)
		goto out;
	n32 = htole32((uint32_t)nlists);
	memcpy(buf, &s, sizeof(s));
	memcpy(buf + sizeof(s), &n32, sizeof(n32));
	memcpy(buf + sizeof(s) + sizeof(n32), lists, nlists * sizeof(*lists));
	*out = buf;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	free(lists);
	return ret;
}

int hv_evdump_export(const struct hv_evdump *d, const char *dir)
{
	char *nonce = malloc(2 * d->ev.nonce_len + 2);
	uint8_t *ser = NULL;
	size_t ser_len = 0;
	int ret = -1;

	if (!nonce) {
		hg_err("out of memory");
		goto out;
	}
	if (hg_mkdir_p(dir, 0755) < 0) {
		hg_err("%s: %s", dir, strerror(errno));
		goto out;
	}
	hg_hex_encode(d->ev.nonce, d->ev.nonce_len, nonce);
	strcat(nonce, "\n");
	if (put_file(dir, "attest.bin", d->ev.attest, d->ev.attest_len) < 0 ||
	    put_file(dir, "sig.bin", d->ev.sig, d->ev.sig_len) < 0 ||
	    put_file(dir, "ak.pub", d->ev.ak, d->ev.ak_len) < 0 ||
	    put_file(dir, "pcrs.bin", d->pcrs_bin, d->pcrs_bin_len) < 0 ||
	    put_file(dir, "nonce.hex", nonce, strlen(nonce)) < 0 ||
	    put_file(dir, "log.cel", d->ev.log, d->ev.log_len) < 0)
		goto out;
	/* Only a quote whose values cover its selection has a serialized
	 * form; the dump already said why otherwise. */
	if (hv_evdump_is_quote(d) && !d->pcrs_why) {
		if (serialize_pcrs(d, &ser, &ser_len) < 0) {
			hg_err("out of memory");
			goto out;
		}
		if (put_file(dir, "pcrs.serialized", ser, ser_len) < 0)
			goto out;
	}
	ret = 0;
out:
	free(ser);
	free(nonce);
	return ret;
}

void hv_evdump_print_checkquote(const struct hv_evdump *d, const char *dir, FILE *f)
{
	uint16_t hash = hv_evdump_quote_hash(d);
	const struct hg_bank *b = hash ? hg_bank_by_alg(hash) : NULL;

	if (!hv_evdump_is_quote(d) || d->pcrs_why) {
		fputs("(no pcrs.serialized: the attest is not a quote whose values"
		      " the bundle covers)\n", f);
		return;
	}
	fprintf(f, "tpm2_checkquote -u %s/ak.pub -m %s/attest.bin -s %s/sig.bin"
		   " -f %s/pcrs.serialized -g %s -q $(cat %s/nonce.hex)\n",
		dir, dir, dir, dir, b ? b->name : "HASH", dir);
}
