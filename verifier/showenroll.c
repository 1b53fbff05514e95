/* showenroll.c: see showenroll.h. */
#include "showenroll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <tss2/tss2_mu.h>

#include "../lib/enrollmsg.h"
#include "../lib/evidence.h"
#include "../lib/tpmpub.h"
#include "../lib/text.h"
#include "../lib/util.h"
#include "cmds.h"
#include "showek.h"

static json_object *hexj(const struct hg_bytes *b)
{
	char buf[2 * HG_ENROLL_SECRET_MAX + 2 * 66 + 1];

	if (b->n * 2 + 1 > sizeof(buf))
		return json_object_new_string("?");
	hg_hex_encode(b->p, b->n, buf);
	return json_object_new_string(buf);
}

static void hex_line(const char *label, const struct hg_bytes *b)
{
	printf("%-10s ", label);
	for (size_t i = 0; i < b->n; i++)
		printf("%02x", b->p[i]);
	printf("\n");
}

/* "RSA-2048 name 000b..." of a TPM2B_PUBLIC, or why it does not decode. */
static void pub_desc(const struct hg_bytes *b, char *kd, size_t kdn,
		     struct hg_bytes *name, uint8_t *namebuf)
{
	TPM2B_PUBLIC pub;
	size_t off = 0;
	const char *why;

	memset(&pub, 0, sizeof(pub));
	name->p = namebuf;
	name->n = 0;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(b->p, b->n, &off, &pub) != 0 || off != b->n) {
		snprintf(kd, kdn, "not exactly one TPM2B_PUBLIC");
		return;
	}
	hg_tpm_pub_desc(&pub.publicArea, kd, kdn);
	if (hg_ak_name(b->p, b->n, namebuf, &name->n, &why) < 0)
		name->n = 0;
}

static int show_request(const char *path, const struct hg_enroll_request *m, int json)
{
	struct hg_evidence certs = { 0 };
	char kd[32];
	uint8_t nb[2 + 64];
	struct hg_bytes name;

	certs.n_ek_certs = m->n_eks;
	for (size_t i = 0; i < m->n_eks; i++) {
		certs.ek_cert[i] = m->ek_cert[i].p;
		certs.ek_cert_len[i] = m->ek_cert[i].n;
	}
	if (json) {
		json_object *o = json_object_new_object(), *eks = json_object_new_array();
		json_object *c = hv_ekcerts_json(&certs);

		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "type", json_object_new_string("enroll-request"));
		json_object_object_add(o, "verified", json_object_new_boolean(0));
		json_object_object_add(o, "hostname", json_object_new_string_len(
					       (const char *)m->hostname.p, (int)m->hostname.n));
		pub_desc(&m->ak_pub, kd, sizeof(kd), &name, nb);
		json_object_object_add(o, "ak_key", json_object_new_string(kd));
		json_object_object_add(o, "ak_name", hexj(&m->ak_name));
		for (size_t i = 0; i < m->n_eks; i++) {
			json_object *e = json_object_new_object();

			pub_desc(&m->ek_pub[i], kd, sizeof(kd), &name, nb);
			json_object_object_add(e, "ek_key", json_object_new_string(kd));
			json_object_object_add(e, "ek_name", hexj(&name));
			json_object_object_add(e, "certificate",
					       json_object_get(json_object_array_get_idx(c, i)));
			json_object_array_add(eks, e);
		}
		json_object_put(c);
		json_object_object_add(o, "eks", eks);
		printf("%s\n", json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return HV_EXIT_TRUSTED;
	}
	printf("%s: enrollment request (unverified)\n", path);
	{
		char *e = hg_escape(m->hostname.p, m->hostname.n);

		printf("%-10s %s (the host's word)\n", "hostname", e ? e : "?");
		free(e);
	}
	pub_desc(&m->ak_pub, kd, sizeof(kd), &name, nb);
	printf("%-10s %s\n", "ak", kd);
	hex_line("ak name", &m->ak_name);
	for (size_t i = 0; i < m->n_eks; i++) {
		pub_desc(&m->ek_pub[i], kd, sizeof(kd), &name, nb);
		printf("ek %zu:      %s\n", i, kd);
		hex_line("  name", &name);
	}
	hv_ekcerts_print(&certs, stdout);
	return HV_EXIT_TRUSTED;
}

int hv_show_enroll(const char *path, const uint8_t *buf, size_t len, int json)
{
	struct hg_enroll_request rq;
	struct hg_enroll_challenge ch;
	struct hg_enroll_response rs;
	json_object *o;
	const char *why;

	if (hg_enroll_request_decode(buf, len, &rq, &why) == 0)
		return show_request(path, &rq, json);
	if (hg_enroll_challenge_decode(buf, len, &ch, &why) == 0) {
		if (!json) {
			printf("%s: enrollment challenge (unverified)\n", path);
			hex_line("id", &ch.id);
			hex_line("ek name", &ch.ek_name);
			hex_line("ak name", &ch.ak_name);
			printf("%-10s %zu bytes\n%-10s %zu bytes\n", "blob", ch.blob.n,
			       "seed", ch.enc_secret.n);
			return HV_EXIT_TRUSTED;
		}
		o = json_object_new_object();
		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "type", json_object_new_string("enroll-challenge"));
		json_object_object_add(o, "id", hexj(&ch.id));
		json_object_object_add(o, "ek_name", hexj(&ch.ek_name));
		json_object_object_add(o, "ak_name", hexj(&ch.ak_name));
		json_object_object_add(o, "blob_size", json_object_new_int64((int64_t)ch.blob.n));
		json_object_object_add(o, "enc_secret_size",
				       json_object_new_int64((int64_t)ch.enc_secret.n));
	} else if (hg_enroll_response_decode(buf, len, &rs, &why) == 0) {
		if (!json) {
			printf("%s: enrollment response (unverified)\n", path);
			hex_line("id", &rs.id);
			printf("%-10s %zu bytes\n", "secret", rs.secret.n);
			return HV_EXIT_TRUSTED;
		}
		o = json_object_new_object();
		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "type", json_object_new_string("enroll-response"));
		json_object_object_add(o, "id", hexj(&rs.id));
		json_object_object_add(o, "secret_size", json_object_new_int64((int64_t)rs.secret.n));
	} else {
		return -1;
	}
	printf("%s\n", json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return HV_EXIT_TRUSTED;
}
