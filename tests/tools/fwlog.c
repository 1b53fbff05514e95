/* fwlog.c: firmware event log surgery for the firmware tamper suite
 * (tests/integration/t_tamper_fw.sh).
 *
 *   fwlog LOG retype N TYPE           event N's type (a number) changed
 *   fwlog LOG setpcr N PCR            event N's PCR index changed
 *   fwlog LOG data N HEX              event N's data replaced, digests kept
 *   fwlog LOG digest N BANK HEX       event N's BANK digest set to HEX
 *   fwlog LOG hashdata N BANK         event N's BANK digest set to H(data)
 *   fwlog LOG dropbank N BANK         event N's BANK digest left out
 *   fwlog LOG append PCR TYPE HEX [BANK=HEX|BANK=data|BANK=none]...
 *                                     a new last event with data HEX; every
 *                                     declared bank's digest is H(data)
 *                                     unless given ("none": left out)
 *   fwlog LOG specid-add BANK         the Spec ID event declares BANK too
 *   fwlog LOG find-var NAME           the first event whose data decodes as
 *                                     UEFI_VARIABLE_DATA named NAME
 * The new log goes to stdout (find-var prints the event number). Only
 * crypto-agile logs whose algorithms are all known are handled. This is a
 * test tool: it trusts its input and exits 1 with a line on a misuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/uefifacts.h"
#include "../../lib/uefilog.h"
#include "../../lib/util.h"

#define MAX_EVENTS 4096

struct ev {
	uint32_t pcr, type;
	struct hg_digests d;
	uint8_t *data;
	uint32_t len;
};

static struct ev evs[MAX_EVENTS];
static size_t nev;
static const uint8_t *ev0;
static size_t ev0_len;
static struct hg_uefi_iter it;

static void die(const char *msg)
{
	fprintf(stderr, "fwlog: %s\n", msg);
	exit(1);
}

static void put_le(uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		putchar((int)((v >> (8 * i)) & 0xff));
}

static uint8_t *unhex(const char *hex, uint32_t *len)
{
	uint8_t *p = NULL;
	size_t n = 0;

	if (!*hex)
		return *len = 0, (uint8_t *)"";
	if (hg_hex_decode(hex, 16u << 20, &p, &n) < 0)
		die("bad hex");
	*len = (uint32_t)n;
	return p;
}

static const struct hg_bank *bank(const char *name)
{
	const struct hg_bank *b = hg_bank_by_name(name);

	if (!b)
		die("unknown bank");
	return b;
}

static void set_digest(struct hg_digests *d, uint16_t alg, const uint8_t *v, size_t len)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].alg == alg) {
			memcpy(d->v[i].d, v, len);
			return;
		}
	d->v[d->n].alg = alg;
	d->v[d->n].len = (uint8_t)len;
	memcpy(d->v[d->n].d, v, len);
	d->n++;
}

static void drop_digest(struct hg_digests *d, uint16_t alg)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].alg == alg) {
			memmove(&d->v[i], &d->v[i + 1], (d->n - i - 1) * sizeof(d->v[0]));
			d->n--;
			return;
		}
}

static void hash_into(struct hg_digests *d, uint16_t alg, const uint8_t *p, size_t n)
{
	struct hg_digest h;

	if (hg_hash(alg, p, n, &h) < 0)
		die("hash failed");
	set_digest(d, alg, h.d, h.len);
}

static void emit(const uint8_t *specid_extra)
{
	if (specid_extra) {
		/* event 0 again, with one more algorithm: eventSize + 4,
		 * numberOfAlgorithms + 1, the entry before vendorInfoSize. */
		uint32_t size = (uint32_t)(ev0[28] | ev0[29] << 8 | ev0[30] << 16 |
					   (uint32_t)ev0[31] << 24);
		const uint8_t *d = ev0 + 32;
		uint32_t nalg = (uint32_t)(d[24] | d[25] << 8);

		fwrite(ev0, 1, 28, stdout);
		put_le(size + 4, 4);
		fwrite(d, 1, 24, stdout);
		put_le(nalg + 1, 4);
		fwrite(d + 28, 1, 4 * nalg, stdout);
		fwrite(specid_extra, 1, 4, stdout);
		fwrite(d + 28 + 4 * nalg, 1, size - 28 - 4 * nalg, stdout);
	} else {
		fwrite(ev0, 1, ev0_len, stdout);
	}
	for (size_t i = 1; i < nev; i++) {
		const struct ev *e = &evs[i];

		put_le(e->pcr, 4);
		put_le(e->type, 4);
		put_le(e->d.n, 4);
		for (size_t k = 0; k < e->d.n; k++) {
			put_le(e->d.v[k].alg, 2);
			fwrite(e->d.v[k].d, 1, e->d.v[k].len, stdout);
		}
		put_le(e->len, 4);
		fwrite(e->data, 1, e->len, stdout);
	}
}

static size_t evno(const char *s)
{
	size_t n = strtoul(s, NULL, 0);

	if (n == 0 || n >= nev)
		die("no such event");
	return n;
}

int main(int argc, char **argv)
{
	struct hg_uefi_event ev;
	uint8_t *buf;
	size_t len;
	int r;

	if (argc < 3)
		die("usage: fwlog LOG OP ARGS...");
	if (hg_read_file(argv[1], 64u << 20, 0, &buf, &len) < 0)
		die("cannot read the log");
	hg_uefi_iter_init(&it, buf, len);
	while ((r = hg_uefi_iter_next(&it, &ev)) == 1) {
		if (nev == MAX_EVENTS)
			die("too many events");
		if (ev.index == 0) {
			ev0 = buf + ev.offset;
			ev0_len = ev.size;
		}
		evs[nev++] = (struct ev){ .pcr = ev.pcr, .type = ev.type, .d = ev.digests,
					  .data = (uint8_t *)ev.data, .len = ev.data_len };
	}
	if (r < 0 || !it.crypto_agile)
		die("not a crypto-agile log that parses");
	for (size_t i = 0; i < it.nalgs; i++)
		if (!hg_bank_by_alg(it.algs[i]))
			die("the log has an unknown algorithm");

	if (!strcmp(argv[2], "retype") && argc == 5) {
		evs[evno(argv[3])].type = (uint32_t)strtoul(argv[4], NULL, 0);
	} else if (!strcmp(argv[2], "setpcr") && argc == 5) {
		evs[evno(argv[3])].pcr = (uint32_t)strtoul(argv[4], NULL, 0);
	} else if (!strcmp(argv[2], "data") && argc == 5) {
		struct ev *e = &evs[evno(argv[3])];

		e->data = unhex(argv[4], &e->len);
	} else if (!strcmp(argv[2], "digest") && argc == 6) {
		const struct hg_bank *b = bank(argv[4]);
		uint32_t n;
		uint8_t *v = unhex(argv[5], &n);

		if (n != b->size)
			die("digest of the wrong size");
		set_digest(&evs[evno(argv[3])].d, b->alg, v, n);
	} else if (!strcmp(argv[2], "hashdata") && argc == 5) {
		struct ev *e = &evs[evno(argv[3])];

		hash_into(&e->d, bank(argv[4])->alg, e->data, e->len);
	} else if (!strcmp(argv[2], "dropbank") && argc == 5) {
		drop_digest(&evs[evno(argv[3])].d, bank(argv[4])->alg);
	} else if (!strcmp(argv[2], "append") && argc >= 6) {
		struct ev *e = &evs[nev];

		if (nev == MAX_EVENTS)
			die("too many events");
		memset(e, 0, sizeof(*e));
		e->pcr = (uint32_t)strtoul(argv[3], NULL, 0);
		e->type = (uint32_t)strtoul(argv[4], NULL, 0);
		e->data = unhex(argv[5], &e->len);
		for (size_t i = 0; i < it.nalgs; i++)
			hash_into(&e->d, it.algs[i], e->data, e->len);
		for (int a = 6; a < argc; a++) {
			char *eq = strchr(argv[a], '=');
			const struct hg_bank *b;

			if (!eq)
				die("BANK=HEX|data|none");
			*eq = '\0';
			b = bank(argv[a]);
			if (!strcmp(eq + 1, "none")) {
				drop_digest(&e->d, b->alg);
			} else if (strcmp(eq + 1, "data")) {
				uint32_t n;
				uint8_t *v = unhex(eq + 1, &n);

				if (n != b->size)
					die("digest of the wrong size");
				set_digest(&e->d, b->alg, v, n);
			}
		}
		nev++;
	} else if (!strcmp(argv[2], "specid-add") && argc == 4) {
		const struct hg_bank *b = bank(argv[3]);
		uint8_t entry[4] = { (uint8_t)b->alg, (uint8_t)(b->alg >> 8),
				     (uint8_t)b->size, (uint8_t)(b->size >> 8) };

		emit(entry);
		return 0;
	} else if (!strcmp(argv[2], "find-var") && argc == 4) {
		for (size_t i = 1; i < nev; i++) {
			struct hg_uefi_var v;
			const char *why;
			char name[64];
			size_t k;

			if (hg_uefi_var_decode(evs[i].data, evs[i].len, &v, &why) < 0 ||
			    v.name_units >= sizeof(name))
				continue;
			for (k = 0; k < v.name_units; k++)
				name[k] = (char)v.name[2 * k];
			name[k] = '\0';
			if (!strcmp(name, argv[3])) {
				printf("%zu\n", i);
				return 0;
			}
		}
		die("no such variable");
	} else {
		die("unknown operation or wrong arguments");
	}
	emit(NULL);
	return 0;
}
