/* policyquery.c: see policy.h. The questions a loaded policy answers
 * (its entries, banks and firmware lists) and its release; the parser
 * is policy.c. */
#include "policy.h"

#include <stdlib.h>
#include <string.h>

void hg_policy_free(struct hg_policy *p)
{
	for (size_t i = 0; p->entries && i < p->n; i++) {
		free(p->entries[i].name);
		for (size_t b = 0; b < p->entries[i].nbanks; b++)
			free(p->entries[i].banks[b].d);
	}
	free(p->entries);
	free(p->slots);
	hg_policy_domains_free(&p->domains);
	for (int l = 0; l < HG_FW_NLISTS; l++)
		for (size_t b = 0; b < p->fw.list[l].nbanks; b++)
			free(p->fw.list[l].banks[b].d);
	memset(p, 0, sizeof(*p));
}

/* FNV-1a (64-bit) over the kind and the name: the index only spreads
 * entries, every hit is confirmed by comparing kind and name, so a
 * collision costs a probe and never a wrong entry. */
static uint64_t key_hash(enum hg_kind kind, const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)kind << 56) ^ len;
	size_t i = 0;

	/* Eight bytes a step (a path is tens of bytes): FNV's byte loop
	 * was a twentieth of a 1,000-record check. */
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, name + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 0x100000001b3ull;
	return h ^ (h >> 32);
}

int hg_policy_index(struct hg_policy *p)
{
	size_t n = 16;

	free(p->slots);
	p->slots = NULL;
	p->nslots = 0;
	if (p->n > UINT32_MAX / 4)
		return -1;
	while (n < 2 * p->n)
		n *= 2;
	p->slots = calloc(n, sizeof(*p->slots));
	if (!p->slots)
		return -1;
	p->nslots = n;
	for (size_t i = 0; i < p->n; i++) {
		const struct hg_policy_entry *e = &p->entries[i];
		size_t len = strlen(e->name);
		uint64_t h = key_hash(e->kind, e->name, len);
		size_t s = (size_t)h & (n - 1);

		while (p->slots[s].idx)
			s = (s + 1) & (n - 1);
		p->slots[s].idx = (uint32_t)i + 1;
		p->slots[s].len = (uint32_t)len;
		p->slots[s].hash = h;
	}
	return 0;
}

const struct hg_policy_entry *hg_policy_find(const struct hg_policy *p,
					     enum hg_kind kind,
					     const char *name, size_t len)
{
	size_t lo = 0, hi = p->n;

	if (p->slots) {
		uint64_t h = key_hash(kind, name, len);
		size_t s = (size_t)h & (p->nslots - 1);

		for (; p->slots[s].idx; s = (s + 1) & (p->nslots - 1)) {
			const struct hg_policy_slot *sl = &p->slots[s];
			const struct hg_policy_entry *e = &p->entries[sl->idx - 1];

			if (sl->hash == h && sl->len == len && e->kind == kind &&
			    !memcmp(e->name, name, len))
				return e;
		}
		return NULL;
	}

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct hg_policy_entry *e = &p->entries[mid];
		int c;

		if (e->kind != kind) {
			c = e->kind < kind ? -1 : 1;
		} else {
			size_t el = strlen(e->name);

			c = memcmp(e->name, name, el < len ? el : len);
			if (c == 0)
				c = el < len ? -1 : el > len ? 1 : 0;
		}
		if (c == 0)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int hg_policy_accepts_bank(const struct hg_policy *p, uint16_t alg)
{
	for (size_t i = 0; i < p->nbanks; i++)
		if (p->banks[i] == alg)
			return 1;
	return 0;
}

int hg_policy_fw_allows(const struct hg_policy *p, enum hg_fw_list l,
			const struct hg_digests *d, const struct hg_digest **bad)
{
	const struct hg_policy_fwlist *fl = &p->fw.list[l];
	int compared = 0;

	for (size_t b = 0; b < fl->nbanks; b++) {
		const struct hg_policy_digests *pd = &fl->banks[b];
		const struct hg_digest *got;
		int hit = 0;

		if (!hg_policy_accepts_bank(p, pd->alg) || !(got = hg_digests_get(d, pd->alg)))
			continue;
		compared = 1;
		for (size_t i = 0; i < pd->n && !hit; i++)
			hit = !memcmp(pd->d[i], got->d, got->len);
		if (!hit) {
			if (bad)
				*bad = got;
			return 0;
		}
	}
	return compared ? 1 : -1;
}

uint32_t hg_policy_fw_pcrs(const struct hg_policy *p)
{
	uint32_t mask = 0;

	if (!p->fw.present)
		return 0;
	if (p->fw.list[HG_FW_BOOT_APPS].nbanks)
		mask |= 1u << 4;
	if (p->fw.secure_boot != HG_FW_SB_ANY)
		mask |= 1u << 7;
	for (int l = HG_FW_PK; l <= HG_FW_DBX; l++)
		if (p->fw.list[l].nbanks)
			mask |= 1u << 7;
	return mask;
}
