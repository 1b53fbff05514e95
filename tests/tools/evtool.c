/* evtool.c: evidence surgery for the tamper suite.
 *
 *   evtool get FIELD EVIDENCE            raw bytes of FIELD to stdout
 *   evtool set FIELD FILE EVIDENCE       EVIDENCE with FIELD replaced by
 *                                        FILE's bytes, to stdout
 * FIELD: nonce attest sig ak log uefi pcrs. For "pcrs", the bytes are
 * lines "alg pcr hex" (alg as a bank name), in order: the way a test edits
 * PCR values (swap banks, flip a byte) and writes them back.
 *
 * The output is encoded with the project's own encoder, so an edited
 * field is the only change: the verifier must catch the edit itself, not
 * an encoding accident. This is a test tool: it trusts its input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/evidence.h"
#include "../../lib/util.h"

static int field_ptr(struct hg_evidence *e, const char *f, const uint8_t ***p,
		     size_t **n)
{
	if (!strcmp(f, "nonce")) { *p = &e->nonce; *n = &e->nonce_len; }
	else if (!strcmp(f, "attest")) { *p = &e->attest; *n = &e->attest_len; }
	else if (!strcmp(f, "sig")) { *p = &e->sig; *n = &e->sig_len; }
	else if (!strcmp(f, "ak")) { *p = &e->ak; *n = &e->ak_len; }
	else if (!strcmp(f, "log")) { *p = &e->log; *n = &e->log_len; }
	else if (!strcmp(f, "uefi")) { *p = &e->uefi; *n = &e->uefi_len; }
	else return -1;
	return 0;
}

static void print_pcrs(const struct hg_evidence *e)
{
	for (size_t i = 0; i < e->pcrs.n; i++) {
		char hex[2 * HG_MAX_DIGEST + 1];

		hg_hex_encode(e->pcrs.v[i].d, e->pcrs.v[i].len, hex);
		printf("%s %u %s\n", hg_bank_by_alg(e->pcrs.v[i].alg)->name,
		       e->pcrs.v[i].pcr, hex);
	}
}

static int parse_pcrs(char *text, struct hg_pcr_values *v)
{
	char *save = NULL;

	v->n = 0;
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char bank[16], hex[2 * HG_MAX_DIGEST + 2];
		unsigned pcr;
		uint8_t *d = NULL;
		size_t len;
		const struct hg_bank *b;

		if (sscanf(line, "%15s %u %129s", bank, &pcr, hex) != 3 ||
		    !(b = hg_bank_by_name(bank)) || v->n >= HG_MAX_PCR_VALUES ||
		    hg_hex_decode(hex, HG_MAX_DIGEST, &d, &len) < 0)
			return -1;
		v->v[v->n].alg = b->alg;
		v->v[v->n].pcr = (uint8_t)pcr;
		v->v[v->n].len = (uint8_t)len;
		memcpy(v->v[v->n].d, d, len);
		v->n++;
		free(d);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct hg_evidence e;
	uint8_t *buf = NULL, *repl = NULL, *out = NULL;
	size_t len, rlen = 0, olen;
	const uint8_t **p;
	size_t *n;
	const char *why;
	struct cw w;
	int set, ret = 1;

	hg_progname = "evtool";
	cw_init(&w);
	if (argc < 4 || (strcmp(argv[1], "get") && strcmp(argv[1], "set")) ||
	    (set = !strcmp(argv[1], "set"), argc != (set ? 5 : 4))) {
		fprintf(stderr, "usage: evtool get FIELD EVIDENCE | set FIELD FILE EVIDENCE\n");
		return 2;
	}
	if (hg_read_file(argv[argc - 1], HG_EVIDENCE_MAX_SIZE, 0, &buf, &len) < 0 ||
	    hg_evidence_decode(buf, len, &e, &why) < 0) {
		hg_err("%s: unreadable evidence", argv[argc - 1]);
		goto out;
	}
	if (!set) {
		if (!strcmp(argv[2], "pcrs")) {
			print_pcrs(&e);
			ret = 0;
		} else if (field_ptr(&e, argv[2], &p, &n) == 0 && *p) {
			ret = hg_write_all(STDOUT_FILENO, *p, *n) < 0;
		}
		goto out;
	}
	if (hg_read_file(argv[3], HG_EVIDENCE_MAX_SIZE, 0, &repl, &rlen) < 0) {
		hg_err("%s: unreadable", argv[3]);
		goto out;
	}
	if (!strcmp(argv[2], "pcrs")) {
		char *text = strndup((const char *)repl, rlen);
		int bad = !text || parse_pcrs(text, &e.pcrs) < 0;

		free(text);
		if (bad) {
			hg_err("%s: not lines of \"bank pcr hex\"", argv[3]);
			goto out;
		}
	} else {
		if (field_ptr(&e, argv[2], &p, &n) < 0) {
			ret = 2;
			goto out;
		}
		*p = repl;
		*n = rlen;
	}
	if (hg_evidence_encode(&e, &w) < 0)
		goto out;
	out = cw_take(&w, &olen);
	ret = hg_write_all(STDOUT_FILENO, out, olen) < 0;
out:
	free(buf);
	free(repl);
	free(out);
	cw_free(&w);
	return ret;
}
