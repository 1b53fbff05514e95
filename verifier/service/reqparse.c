/* reqparse.c: see reqparse.h. */
#include "reqparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "../../lib/cel.h"
#include "../../lib/text.h"
#include "../../lib/util.h"

int hv_req_assign(const char *body, size_t len, int *group, char **target)
{
	struct json_tokener *tok = NULL;
	json_object *in = NULL, *h = NULL, *g = NULL, *v;
	int ret = HV_REQ_BAD_JSON;

	*group = 0;
	*target = NULL;
	if (len > (size_t)INT32_MAX || !(tok = json_tokener_new_ex(8)))
		goto out;
	in = json_tokener_parse_ex(tok, body, (int)len);
	if (!in || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(in, json_type_object) ||
	    json_object_object_length(in) != 1 ||
	    (!json_object_object_get_ex(in, "host", &h) &&
	     !json_object_object_get_ex(in, "group", &g)))
		goto out;
	v = h ? h : g;
	if (!json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		goto out;
	if (!(*target = strdup(json_object_get_string(v)))) {
		ret = HV_REQ_NOMEM;
		goto out;
	}
	*group = g != NULL;
	ret = HV_REQ_OK;
out:
	if (tok)
		json_tokener_free(tok);
	json_object_put(in);
	return ret;
}

void hv_req_push_query_free(struct hv_push_query *q)
{
	for (size_t i = 0; i < q->nwl && i < HV_REQ_MAX_SCOPE; i++)
		free(q->names[i]);
	memset(q, 0, sizeof(*q));
}

int hv_req_push_query(const char *query, struct hv_push_query *q, char *why,
		      size_t whylen)
{
	struct evkeyvalq kv;
	struct evkeyval *e;
	const char *hex = NULL, *bad;
	char *shown = NULL;
	uint8_t *nonce = NULL;
	size_t nonce_len = 0;
	int parsed = 0, ret = HV_REQ_BAD_NONCE;

	memset(q, 0, sizeof(*q));
	why[0] = '\0';
	/* evhttp decodes "%00" into a NUL that ends the value early: what
	 * is read would be a prefix of what was sent. */
	if (query && strstr(query, "%00")) {
		ret = HV_REQ_BAD_QUERY;
		snprintf(why, whylen, "the query holds an encoded NUL (%%00)");
		goto out;
	}
	if (query && evhttp_parse_query_str(query, &kv) == 0)
		parsed = 1;
	else if (query) {
		ret = HV_REQ_BAD_QUERY;
		snprintf(why, whylen, "the query does not parse");
		goto out;
	}
	if (parsed)
		hex = evhttp_find_header(&kv, "nonce");
	if (!hex || hg_hex_decode(hex, HV_REQ_NONCE_BYTES, &nonce, &nonce_len) < 0 ||
	    nonce_len != HV_REQ_NONCE_BYTES) {
		snprintf(why, whylen, "the query needs nonce=HEX (%d bytes, from GET /v1/nonce)",
			 HV_REQ_NONCE_BYTES);
		goto out;
	}
	memcpy(q->nonce, nonce, HV_REQ_NONCE_BYTES);
	ret = HV_REQ_BAD_WORKLOAD;
	TAILQ_FOREACH(e, &kv, next) {
		const char *colon;
		size_t nl;

		if (strcmp(e->key, "workload"))
			continue;
		if (q->nwl == HV_REQ_MAX_SCOPE) {
			snprintf(why, whylen, "more than %d workload parameters", HV_REQ_MAX_SCOPE);
			goto out;
		}
		/* A refused value is shown escaped (lib/text.h): it is the
		 * client's, and the error line reaches logs and terminals. */
		free(shown);
		if (!(shown = hg_escape((const uint8_t *)e->value, strlen(e->value)))) {
			ret = HV_REQ_NOMEM;
			snprintf(why, whylen, "out of memory");
			goto out;
		}
		colon = strchr(e->value, ':');
		q->wl[q->nwl].kind = colon ? hg_kind_parse(e->value, (size_t)(colon - e->value))
					   : HG_KIND_NONE;
		if (!hg_kind_is_workload(q->wl[q->nwl].kind)) {
			snprintf(why, whylen, "workload \"%.300s\": not KIND:NAME with KIND"
				 " config, image or overlay", shown);
			goto out;
		}
		nl = strlen(colon + 1);
		if (colon[1] != '/' || nl > HG_CEL_MAX_NAME ||
		    hg_name_check((const uint8_t *)colon + 1, nl, &bad) < 0) {
			snprintf(why, whylen, "workload \"%.300s\": NAME is not an absolute"
				 " path of at most %d bytes", shown, HG_CEL_MAX_NAME);
			goto out;
		}
		if (!(q->names[q->nwl] = strdup(colon + 1))) {
			ret = HV_REQ_NOMEM;
			snprintf(why, whylen, "out of memory");
			goto out;
		}
		q->wl[q->nwl].name = q->names[q->nwl];
		q->nwl++;
	}
	ret = HV_REQ_OK;
out:
	if (parsed)
		evhttp_clear_headers(&kv);
	if (ret != HV_REQ_OK)
		hv_req_push_query_free(q);
	free(nonce);
	free(shown);
	return ret;
}
