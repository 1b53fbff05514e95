/* enrtool.c: enrollment message surgery for t_enroll (a test tool).
 *
 *   enrtool show FILE                     one line per field, for tests
 *   enrtool req-set-ak REQ AKPUB OUT      AK replaced (Name recomputed)
 *   enrtool req-set-cert REQ I DER OUT    EK I's certificate replaced
 *   enrtool req-set-ekpub REQ I PUB OUT   EK I's public area replaced
 *   enrtool ch-flip CH FIELD OUT          flip a byte in the middle of
 *                                         blob|enc_secret
 *   enrtool ch-to-tpm2 CH OUT             blob+enc_secret in tpm2-tools'
 *                                         credential file format
 *   enrtool ch-from-tpm2 CH CRED OUT      CH's id and Names, CRED's
 *                                         (tpm2_makecredential) blob+seed
 *   enrtool resp-set-secret RESP HEX OUT  the response's secret replaced
 *   enrtool resp-secret RESP              print the secret, hex
 *
 * It decodes with lib/enrollmsg.c and re-encodes, so what it writes is a
 * well-formed message whose content is wrong: the verifier's refusal is
 * then about the content, not the format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/enrollmsg.h"
#include "../../lib/tpmpub.h"
#include "../../lib/util.h"


static uint8_t *slurp(const char *path, size_t *n)
{
	uint8_t *buf = NULL;

	if (hg_read_file(path, 1u << 20, 0, &buf, n) < 0) {
		fprintf(stderr, "enrtool: cannot read %s\n", path);
		exit(1);
	}
	return buf;
}

static int put(const char *path, struct cw *w)
{
	size_t n;
	uint8_t *p;
	FILE *f;

	if (w->err) {
		fprintf(stderr, "enrtool: encode failed\n");
		cw_free(w);
		return 1;
	}
	p = cw_take(w, &n);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "enrtool: cannot write %s\n", path);
		free(p);
		return 1;
	}
	free(p);
	return 0;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "enrtool: %s: %s\n", what, why);
	exit(1);
}

static void hex(const char *k, struct hg_bytes b)
{
	printf("%s ", k);
	for (size_t i = 0; i < b.n; i++)
		printf("%02x", b.p[i]);
	printf("\n");
}

/* What the command read, freed by main() after it: the commands return
 * from the middle. */
static uint8_t *a, *b, *sec, *copy;

static int run(int argc, char **argv)
{
	struct hg_enroll_request rq;
	struct hg_enroll_challenge ch;
	struct hg_enroll_response rs;
	uint8_t name[2 + 64];
	size_t an = 0, bn = 0, name_len;
	const char *why, *cmd = argc > 1 ? argv[1] : "";
	struct cw w;

	hg_progname = "enrtool";
	cw_init(&w);
	if (!strcmp(cmd, "show") && argc == 3) {
		a = slurp(argv[2], &an);
		if (hg_enroll_request_decode(a, an, &rq, &why) == 0) {
			printf("type request\neks %zu\n", rq.n_eks);
			hex("ak_name", rq.ak_name);
			printf("hostname %.*s\n", (int)rq.hostname.n, rq.hostname.p);
		} else if (hg_enroll_challenge_decode(a, an, &ch, &why) == 0) {
			printf("type challenge\n");
			hex("id", ch.id);
			hex("ek_name", ch.ek_name);
			hex("ak_name", ch.ak_name);
		} else if (hg_enroll_response_decode(a, an, &rs, &why) == 0) {
			printf("type response\n");
			hex("id", rs.id);
		} else {
			die(argv[2], why);
		}
		return 0;
	}
	if (!strcmp(cmd, "req-set-ak") && argc == 5) {
		a = slurp(argv[2], &an);
		b = slurp(argv[3], &bn);
		if (hg_enroll_request_decode(a, an, &rq, &why) < 0)
			die(argv[2], why);
		if (hg_ak_name(b, bn, name, &name_len, &why) < 0)
			die(argv[3], why);
		rq.ak_pub = (struct hg_bytes){ b, bn };
		rq.ak_name = (struct hg_bytes){ name, name_len };
		hg_enroll_request_encode(&rq, &w);
		return put(argv[4], &w);
	}
	if ((!strcmp(cmd, "req-set-cert") || !strcmp(cmd, "req-set-ekpub")) && argc == 6) {
		unsigned long i = strtoul(argv[3], NULL, 10);

		a = slurp(argv[2], &an);
		b = slurp(argv[4], &bn);
		if (hg_enroll_request_decode(a, an, &rq, &why) < 0)
			die(argv[2], why);
		if (i >= rq.n_eks)
			die(argv[3], "no such EK");
		if (cmd[8] == 'c')
			rq.ek_cert[i] = (struct hg_bytes){ b, bn };
		else
			rq.ek_pub[i] = (struct hg_bytes){ b, bn };
		hg_enroll_request_encode(&rq, &w);
		return put(argv[5], &w);
	}
	if (!strcmp(cmd, "ch-flip") && argc == 5) {
		struct hg_bytes *f;

		a = slurp(argv[2], &an);
		if (hg_enroll_challenge_decode(a, an, &ch, &why) < 0)
			die(argv[2], why);
		f = !strcmp(argv[3], "blob") ? &ch.blob : &ch.enc_secret;
		copy = malloc(f->n);
		memcpy(copy, f->p, f->n);
		copy[f->n / 2] ^= 0x5a;
		f->p = copy;
		hg_enroll_challenge_encode(&ch, &w);
		return put(argv[4], &w);
	}
	if (!strcmp(cmd, "ch-to-tpm2") && argc == 4) {
		static const uint8_t head[8] = { 0xba, 0xdc, 0xc0, 0xde, 0, 0, 0, 1 };
		FILE *f;

		a = slurp(argv[2], &an);
		if (hg_enroll_challenge_decode(a, an, &ch, &why) < 0)
			die(argv[2], why);
		f = fopen(argv[3], "wb");
		if (!f || fwrite(head, 1, 8, f) != 8 ||
		    fwrite(ch.blob.p, 1, ch.blob.n, f) != ch.blob.n ||
		    fwrite(ch.enc_secret.p, 1, ch.enc_secret.n, f) != ch.enc_secret.n ||
		    fclose(f) != 0)
			die(argv[3], "cannot write");
		return 0;
	}
	if (!strcmp(cmd, "ch-from-tpm2") && argc == 5) {
		size_t bl;

		a = slurp(argv[2], &an);
		b = slurp(argv[3], &bn);
		if (hg_enroll_challenge_decode(a, an, &ch, &why) < 0)
			die(argv[2], why);
		/* magic, version, then two TPM2Bs: 2-byte big-endian sizes. */
		if (bn < 12 || memcmp(b, "\xba\xdc\xc0\xde\0\0\0\1", 8))
			die(argv[3], "not a tpm2-tools credential file");
		bl = 2 + ((size_t)b[8] << 8 | b[9]);
		if (8 + bl + 2 > bn || 8 + bl + 2 + ((size_t)b[8 + bl] << 8 | b[9 + bl]) != bn)
			die(argv[3], "bad sizes");
		ch.blob = (struct hg_bytes){ b + 8, bl };
		ch.enc_secret = (struct hg_bytes){ b + 8 + bl, bn - 8 - bl };
		hg_enroll_challenge_encode(&ch, &w);
		return put(argv[4], &w);
	}
	if (!strcmp(cmd, "resp-set-secret") && argc == 5) {
		size_t sn;

		a = slurp(argv[2], &an);
		if (hg_enroll_response_decode(a, an, &rs, &why) < 0)
			die(argv[2], why);
		if (hg_hex_decode(argv[3], 64, &sec, &sn) < 0)
			die(argv[3], "not hex");
		rs.secret = (struct hg_bytes){ sec, sn };
		hg_enroll_response_encode(&rs, &w);
		return put(argv[4], &w);
	}
	if (!strcmp(cmd, "resp-secret") && argc == 3) {
		a = slurp(argv[2], &an);
		if (hg_enroll_response_decode(a, an, &rs, &why) < 0)
			die(argv[2], why);
		hex("secret", rs.secret);
		return 0;
	}
	fprintf(stderr, "usage: see tests/tools/enrtool.c\n");
	return 2;
}

int main(int argc, char **argv)
{
	int rc = run(argc, argv);

	free(a);
	free(b);
	free(sec);
	free(copy);
	return rc;
}
