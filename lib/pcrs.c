/* pcrs.c: see pcrs.h. */
#include "pcrs.h"

#include <stdlib.h>
#include <string.h>

int hg_pcr_mask_parse(const char *s, uint32_t *mask)
{
	uint32_t m = 0;
	const char *p = s;

	if (!*p)
		return -1;
	while (*p) {
		char *end;
		unsigned long a, b;

		if (*p < '0' || *p > '9')
			return -1;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -1;
			b = strtoul(end + 1, &end, 10);
		}
		if (a > b || b >= HG_NUM_PCRS)
			return -1;
		for (unsigned long i = a; i <= b; i++)
			m |= 1u << i;
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return -1;
		p = end;
	}
	*mask = m;
	return 0;
}

size_t hg_pcr_sel_count(const struct hg_pcr_sel *sel)
{
	size_t n = 0;

	for (size_t i = 0; i < sel->n; i++)
		n += (size_t)__builtin_popcount(sel->b[i].mask);
	return n;
}

const struct hg_pcr_value *hg_pcr_values_get(const struct hg_pcr_values *v,
					     uint16_t alg, unsigned pcr)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i].alg == alg && v->v[i].pcr == pcr)
			return &v->v[i];
	return NULL;
}

int hg_pcr_digest(const struct hg_pcr_sel *sel, const struct hg_pcr_values *v,
		  uint16_t alg, struct hg_digest *out)
{
	const EVP_MD *md = hg_bank_md(hg_bank_by_alg(alg));
	EVP_MD_CTX *ctx = NULL;
	unsigned int n = 0;
	int ret = -1;

	if (!md || v->n != hg_pcr_sel_count(sel))
		return -1;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, md, NULL))
		goto out;
	for (size_t i = 0, k = 0; i < sel->n; i++) {
		const struct hg_bank *b = hg_bank_by_alg(sel->b[i].alg);

		for (unsigned pcr = 0; pcr < HG_NUM_PCRS; pcr++) {
			const struct hg_pcr_value *pv;

			if (!(sel->b[i].mask & (1u << pcr)))
				continue;
			/* Exactly the selection, in its order: the k-th value
			 * is the k-th selected (bank, PCR). */
			pv = &v->v[k++];
			if (!b || pv->alg != sel->b[i].alg || pv->pcr != pcr ||
			    pv->len != b->size ||
			    !EVP_DigestUpdate(ctx, pv->d, pv->len))
				goto out;
		}
	}
	if (!EVP_DigestFinal_ex(ctx, out->d, &n))
		goto out;
	out->alg = alg;
	out->len = (uint8_t)n;
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}
