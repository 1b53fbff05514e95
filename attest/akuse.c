/* akuse.c: see akuse.h. */
#include "akuse.h"

#include <stdio.h>
#include <string.h>

#include "../lib/util.h"
#include "state.h"

/* Is NAME (as the TPM reports it) the Name of PUB? */
static int same_name(const char *state, const TPM2B_PUBLIC *pub,
		     const TPM2B_NAME *name, int *eq)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC)], ours[2 + 64];
	size_t len = 0, ours_len = 0;

	if (hg_state_ak_name(state, pub, buf, &len, ours, &ours_len) < 0)
		return -1;
	*eq = name->size == ours_len && !memcmp(name->name, ours, ours_len);
	return 0;
}

/* The persistent object at H: 1 it is the AK PUB (*TR held, when TR is
 * not NULL), 0 nothing there, 2 another key, -1 error. */
static int at_handle(struct hg_tpm *t, const char *state, const TPM2B_PUBLIC *pub,
		     uint32_t h, ESYS_TR *tr)
{
	ESYS_TR got = ESYS_TR_NONE;
	TPM2B_NAME name;
	int r, eq = 0;

	if ((r = hg_tpm_persistent_name(t, h, &got, &name)) <= 0)
		return r;
	if (same_name(state, pub, &name, &eq) < 0) {
		hg_tpm_tr_close(t, &got);
		return -1;
	}
	if (eq && tr)
		*tr = got;
	else
		hg_tpm_tr_close(t, &got);
	return eq ? 1 : 2;
}

int hg_akuse_open(struct hg_tpm *t, const char *state, struct hg_akuse *a)
{
	TPM2B_PRIVATE priv;
	uint32_t h = 0;
	int r, ret = -1;

	memset(a, 0, sizeof(*a));
	a->ak = a->ek = ESYS_TR_NONE;
	if (hg_state_load_ak(state, &a->pub, &priv) < 0 ||
	    (r = hg_state_load_ak_handle(state, &h)) < 0)
		goto out;
	if (r == 0) {
		if (hg_tpm_ek_create(t, &a->ek) < 0 ||
		    hg_tpm_ak_load(t, a->ek, &a->pub, &priv, &a->ak) < 0)
			goto out;
		ret = 0;
		goto out;
	}
	switch (at_handle(t, state, &a->pub, h, &a->ak)) {
	case 1:
		a->handle = h;
		ret = 0;
		break;
	case 0:
		hg_err("%s: the AK's persistent handle 0x%08x holds nothing (evicted, or the TPM "
		       "was cleared): run 'hostgate-attest init' to make it persistent again",
		       state, h);
		break;
	case 2:
		hg_err("%s: persistent handle 0x%08x holds another key, not the AK of %s: "
		       "refusing to use it", state, h, HG_STATE_AK_PUB);
		break;
	default:
		hg_err("%s: cannot read the AK's persistent handle 0x%08x", state, h);
		break;
	}
out:
	explicit_bzero(&priv, sizeof(priv));
	if (ret < 0)
		hg_akuse_close(t, a);
	return ret;
}

void hg_akuse_close(struct hg_tpm *t, struct hg_akuse *a)
{
	if (!t->esys)
		return;
	if (a->handle)
		hg_tpm_tr_close(t, &a->ak);  /* never flush a persistent object */
	else
		hg_tpm_flush(t, a->ak);
	hg_tpm_flush(t, a->ek);
	a->ak = a->ek = ESYS_TR_NONE;
	a->handle = 0;
}

/* The TPM would not keep the AK: say so, and keep quoting as before. */
static int stay_transient(const char *state, const char *why)
{
	fprintf(stderr, "hostgate-attest: warning: %s: the AK stays transient (%s): "
		"every quote loads it under the EK\n", state, why);
	return hg_state_save_ak_handle(state, 0) < 0 ? -1 : 0;
}

#define RANGE_MAX (HG_AK_HANDLE_LAST - HG_AK_HANDLE_FIRST + 1)

int hg_akuse_persist(struct hg_tpm *t, const char *state, ESYS_TR ak,
		     const TPM2B_PUBLIC *pub, uint32_t *handle, const char **how)
{
	uint32_t h = 0, used[RANGE_MAX];
	size_t n = 0;
	int r;

	*handle = 0;
	*how = NULL;
	if ((r = hg_state_load_ak_handle(state, &h)) < 0)
		return -1;
	if (r == 1) {
		switch (at_handle(t, state, pub, h, NULL)) {
		case 1:
			*how = "kept";
			break;
		case 0:
			if (hg_tpm_evict(t, ak, h) < 0)
				return stay_transient(state, "the TPM refused TPM2_EvictControl");
			*how = "restored";
			break;
		case 2:
			hg_err("%s: persistent handle 0x%08x (%s) holds another key, not this AK: "
			       "refusing it; evict it if it is not in use "
			       "(tpm2_evictcontrol -C o -c 0x%08x) or remove %s to choose another handle",
			       state, h, HG_STATE_AK_HANDLE, h, HG_STATE_AK_HANDLE);
			return -1;
		default:
			return -1;
		}
		*handle = h;
		return 1;
	}
	if (hg_tpm_handles(t, HG_AK_HANDLE_FIRST, HG_AK_HANDLE_LAST, used, RANGE_MAX, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((r = at_handle(t, state, pub, used[i], NULL)) < 0)
			return -1;
		if (r == 1) {
			*how = "adopted";
			h = used[i];
			goto record;
		}
	}
	/* USED is ascending: the first gap is the lowest free handle. */
	h = HG_AK_HANDLE_FIRST;
	for (size_t i = 0; i < n && used[i] == h; i++)
		h++;
	if (h > HG_AK_HANDLE_LAST)
		return stay_transient(state, "no free persistent handle in 0x81020000..0x810200ff");
	if (hg_tpm_evict(t, ak, h) < 0)
		return stay_transient(state, "the TPM refused TPM2_EvictControl");
	*how = "made";
record:
	if (hg_state_save_ak_handle(state, h) < 0)
		return -1;
	*handle = h;
	return 1;
}
