/* tpmtrace.c: the TPM commands one process sent, and the time the TPM
 * took, from tpm2-tss's pcap TCTI trace (issue 16 item 3).
 *
 *   tpmtrace TRACE.pcapng
 *
 * How to take the trace: run the process with the TCTI "pcap:" + its own
 * TCTI (e.g. pcap:swtpm:host=127.0.0.1,port=2321) and TCTI_PCAP_FILE=
 * TRACE.pcapng. libtss2-tcti-pcap (tpm2-tss) passes every command on and
 * writes each command and each response as one TCP packet to or from port
 * 2321, timestamped when it was sent and when it came back.
 *
 * Prints, for tools/bench-gate.sh:
 *   tpm-commands N
 *   tpm-us T            the sum, over commands, of response time minus
 *                       command time (what the process waited on the TPM,
 *                       transport included)
 *   sequence NAME NAME ...   in the order sent
 *   NAME COUNT US       one line per command code, by first use
 * Exit: 0 ok, 1 a trace that is not what the pcap TCTI writes (a command
 * without its response, a block that overruns the file), 2 usage or an
 * unreadable file.
 *
 * Bounds: the file is read whole (at most 64 MiB); every block length and
 * packet length is checked against what holds it before it is read.
 * pcapng: draft-ietf-opsawg-pcapng, little-endian sections only (the pcap
 * TCTI writes the host's order; this runs where the trace was taken).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/util.h"

#define TPM_PORT 2321
#define MAX_CC 64

static const struct {
	uint32_t cc;
	const char *name;
} cc_names[] = {
	{ 0x11f, "NV_UndefineSpace" }, { 0x120, "EvictControl" },
	{ 0x121, "HierarchyControl" }, { 0x126, "Clear" },
	{ 0x12a, "NV_DefineSpace" }, { 0x131, "CreatePrimary" },
	{ 0x144, "Startup" }, { 0x151, "PolicySecret" }, { 0x153, "Create" },
	{ 0x157, "Load" }, { 0x158, "Quote" }, { 0x14e, "NV_Read" },
	{ 0x147, "ActivateCredential" }, { 0x15d, "Sign" },
	{ 0x165, "FlushContext" }, { 0x169, "NV_ReadPublic" },
	{ 0x173, "ReadPublic" }, { 0x176, "StartAuthSession" },
	{ 0x17a, "GetCapability" }, { 0x17b, "GetRandom" },
	{ 0x17e, "PCR_Read" }, { 0x182, "PCR_Extend" },
};

static const char *cc_name(uint32_t cc, char *buf, size_t n)
{
	for (size_t i = 0; i < sizeof(cc_names) / sizeof(cc_names[0]); i++)
		if (cc_names[i].cc == cc)
			return cc_names[i].name;
	snprintf(buf, n, "CC_0x%x", cc);
	return buf;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* The TCP payload of raw IPv4 packet P (LEN bytes): 0 with *DPORT,
 * *PAY, *PAYLEN; -1 if it is not IPv4/TCP or overruns. */
static int tcp_payload(const uint8_t *p, size_t len, uint16_t *dport,
		       const uint8_t **pay, size_t *paylen)
{
	size_t ihl, doff, total;

	if (len < 20 || p[0] >> 4 != 4 || p[9] != 6)
		return -1;
	ihl = (size_t)(p[0] & 0xf) * 4;
	total = be16(p + 2);
	if (ihl < 20 || total > len || ihl + 20 > total)
		return -1;
	doff = (size_t)(p[ihl + 12] >> 4) * 4;
	if (doff < 20 || ihl + doff > total)
		return -1;
	*dport = be16(p + ihl + 2);
	*pay = p + ihl + doff;
	*paylen = total - ihl - doff;
	return 0;
}

int main(int argc, char **argv)
{
	struct {
		uint32_t cc;
		unsigned n;
		uint64_t us;
	} per[MAX_CC];
	size_t nper = 0, off = 0, len = 0, ncmd = 0;
	uint8_t *buf = NULL;
	uint64_t total_us = 0, sent_at = 0;
	uint32_t pending = 0;
	int have_pending = 0, ret = 2;
	char *seq = NULL, nb[32];
	size_t seqlen = 0;

	if (argc != 2) {
		fprintf(stderr, "Usage: tpmtrace TRACE.pcapng\n");
		goto out;
	}
	if (hg_read_file(argv[1], 64u << 20, 0, &buf, &len) < 0) {
		fprintf(stderr, "tpmtrace: %s: %s\n", argv[1], hg_strerror_read(errno));
		goto out;
	}
	ret = 1;
	seq = calloc(1, 1);
	if (!seq)
		goto out;
	if (len < 12 || le32(buf) != 0x0a0d0d0a || le32(buf + 8) != 0x1a2b3c4d) {
		fprintf(stderr, "tpmtrace: %s: not a little-endian pcapng file\n", argv[1]);
		goto out;
	}
	while (off < len) {
		uint32_t type, blen;

		if (len - off < 12)
			goto bad;
		type = le32(buf + off);
		blen = le32(buf + off + 4);
		if (blen < 12 || blen % 4 || blen > len - off)
			goto bad;
		/* Enhanced Packet Block: interface, timestamp (high, low; the
		 * pcap TCTI's interface keeps the default resolution, 1 us),
		 * captured length, original length, data. */
		if (type == 6) {
			const uint8_t *b = buf + off + 8, *pay;
			size_t cap, paylen;
			uint16_t dport;
			uint64_t ts;

			if (blen < 32)
				goto bad;
			ts = (uint64_t)le32(b + 4) << 32 | le32(b + 8);
			cap = le32(b + 12);
			if (cap > blen - 32 || tcp_payload(b + 20, cap, &dport, &pay, &paylen) < 0)
				goto bad;
			if (paylen < 10 || be32(pay + 2) != paylen)
				goto bad;  /* one whole TPM command or response */
			if (dport == TPM_PORT) {
				char *grown;
				const char *nm;

				if (have_pending)
					goto bad;
				pending = be32(pay + 6);
				sent_at = ts;
				have_pending = 1;
				nm = cc_name(pending, nb, sizeof(nb));
				grown = realloc(seq, seqlen + strlen(nm) + 2);
				if (!grown)
					goto out;
				seq = grown;
				seqlen += (size_t)sprintf(seq + seqlen, " %s", nm);
			} else {
				size_t i;

				if (!have_pending || ts < sent_at)
					goto bad;
				for (i = 0; i < nper && per[i].cc != pending; i++)
					;
				if (i == nper) {
					if (nper == MAX_CC)
						goto bad;
					per[nper++] = (typeof(per[0])){ .cc = pending };
				}
				per[i].n++;
				per[i].us += ts - sent_at;
				total_us += ts - sent_at;
				ncmd++;
				have_pending = 0;
			}
		}
		off += blen;
	}
	if (have_pending)
		goto bad;
	printf("tpm-commands %zu\ntpm-us %llu\nsequence%s\n", ncmd,
	       (unsigned long long)total_us, seq);
	for (size_t i = 0; i < nper; i++)
		printf("%s %u %llu\n", cc_name(per[i].cc, nb, sizeof(nb)), per[i].n,
		       (unsigned long long)per[i].us);
	ret = 0;
	goto out;
bad:
	fprintf(stderr, "tpmtrace: %s: block at offset %zu is not what the pcap TCTI writes\n",
		argv[1], off);
out:
	free(buf);
	free(seq);
	return ret;
}
