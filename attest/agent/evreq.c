/* evreq.c: see evreq.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../../lib/util.h"
#include "evreq.h"

#define JSON_DEPTH 4

/* A field name fit to quote in an error: printable ASCII, cut short. */
static const char *shown(const char *k, char *buf, size_t len)
{
	size_t i;

	for (i = 0; k[i] != '\0' && i + 4 < len; i++)
		buf[i] = k[i] >= 0x20 && k[i] < 0x7f ? k[i] : '?';
	if (k[i] != '\0' && i >= 3) {
		memcpy(buf + i - 3, "...", 3);
	}
	buf[i] = '\0';
	return buf;
}

/* A JSON string with no NUL inside: "\u0000" would end the C string
 * json-c hands out, and a prefix must never stand for the whole. */
static int whole_string(struct json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	       strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v);
}

static int hex_field(struct json_object *v, size_t min, size_t max, uint8_t *out,
		     size_t *outlen)
{
	uint8_t *b = NULL;
	size_t n = 0;

	if (!whole_string(v) ||
	    hg_hex_decode(json_object_get_string(v), max, &b, &n) < 0 || n < min) {
		free(b);
		return -1;
	}
	memcpy(out, b, n);
	*outlen = n;
	free(b);
	return 0;
}

static int parse_since(struct json_object *s, struct hg_since *since,
		       char *why, size_t whylen)
{
	struct json_object *boot = NULL, *recnum = NULL;
	char kb[72];

	if (!json_object_is_type(s, json_type_object)) {
		snprintf(why, whylen, "since: not an object");
		return -1;
	}
	json_object_object_foreach(s, k, v) {
		if (strcmp(k, "boot") == 0) {
			boot = v;
		} else if (strcmp(k, "recnum") == 0) {
			recnum = v;
		} else {
			snprintf(why, whylen, "since: unknown field \"%s\"", shown(k, kb, sizeof(kb)));
			return -1;
		}
	}
	if (boot == NULL || recnum == NULL) {
		snprintf(why, whylen, "since: needs both \"boot\" and \"recnum\"");
		return -1;
	}
	if (!whole_string(boot) ||
	    hg_since_set(json_object_get_string(boot), 0, since) < 0) {
		snprintf(why, whylen, "since.boot: not %d hex digits", HG_SINCE_BOOT_LEN);
		return -1;
	}
	/* json-c holds integers above INT64_MAX as uint64: both read here. */
	if (!json_object_is_type(recnum, json_type_int) || json_object_get_int64(recnum) < 0 ||
	    hg_since_set(json_object_get_string(boot),
			 (uint64_t)json_object_get_int64(recnum), since) < 0) {
		snprintf(why, whylen, "since.recnum: not an integer in 0..%u",
			 HG_SINCE_MAX_RECNUM);
		return -1;
	}
	return 0;
}

int ag_evreq_parse(const char *body, size_t len, struct ag_evreq *j,
		   char *why, size_t whylen)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL;
	char kb[72];
	int nonce = 0, ret = -1;

	memset(j, 0, sizeof(*j));
	if (whylen)
		why[0] = '\0';

	if (len == 0) {
		snprintf(why, whylen, "empty body: a JSON object {\"nonce\": HEX} is expected");
		goto out;
	}
	if (memchr(body, '\0', len) != NULL) {
		snprintf(why, whylen, "malformed JSON: a NUL byte");
		goto out;
	}
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (tok == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, body, (int)len);
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		snprintf(why, whylen, "malformed JSON: %s",
			 e == json_tokener_continue ? "unexpected end of body"
						    : json_tokener_error_desc(e));
		goto out;
	}
	/* One value and nothing after it but white space. */
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' && body[i] != '\n') {
			snprintf(why, whylen, "malformed JSON: data after the object");
			goto out;
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(why, whylen, "not a JSON object");
		goto out;
	}
	json_object_object_foreach(root, k, v) {
		if (strcmp(k, "nonce") == 0) {
			if (hex_field(v, HG_NONCE_MIN, HG_NONCE_MAX, j->nonce, &j->nonce_len) < 0) {
				snprintf(why, whylen, "nonce: not %d..%d bytes of hex",
					 HG_NONCE_MIN, HG_NONCE_MAX);
				goto out;
			}
			nonce = 1;
		} else if (strcmp(k, "since") == 0) {
			if (parse_since(v, &j->since, why, whylen) < 0)
				goto out;
			j->has_since = 1;
		} else {
			snprintf(why, whylen, "unknown field \"%s\"", shown(k, kb, sizeof(kb)));
			goto out;
		}
	}
	if (!nonce) {
		snprintf(why, whylen, "nonce: required");
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		memset(j, 0, sizeof(*j));
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	return ret;
}

