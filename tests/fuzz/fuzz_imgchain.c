/* fuzz_imgchain.c: the qcow2 header parser (attest/qcow2hdr.c, included
 * whole in the manner of wireguard-tools' fuzz targets) on arbitrary
 * bytes. The header of a VM image is written by whoever can write the
 * image directory; hostgate reads it as root before the VM starts.
 *
 * Beyond memory safety, checks the contract in attest/imgchain.h: an
 * accepted header is one hostgate can follow (version, cluster size, no
 * data file, a bounded control-free backing name that is the input's
 * bytes, a known backing format), a refusal has a one-line reason, and
 * only the first cluster matters.
 */
#include "../../attest/qcow2hdr.c"

#include "fuzz_check.h"

static void check_accepted(const uint8_t *data, size_t size,
			   const struct hg_qcow2_hdr *h)
{
	size_t lim;

	CHECK(h->version == 2 || h->version == 3);
	CHECK(h->cluster_bits >= 9 && h->cluster_bits <= 21);
	CHECK(!h->has_data_file);
	CHECK(!h->has_backing_fmt || h->backing_fmt == HG_FMT_RAW ||
	      h->backing_fmt == HG_FMT_QCOW2);
	lim = (size_t)1 << h->cluster_bits;
	if (size < lim)
		lim = size;
	if (!h->backing_off) {
		CHECK(h->backing_len == 0 && h->backing[0] == '\0');
		return;
	}
	CHECK(h->backing_len >= 1 && h->backing_len <= HG_QCOW2_MAX_BACKING);
	CHECK(h->backing_off >= (h->version == 2 ? 72 : 104));
	CHECK(h->backing_off <= lim && h->backing_len <= lim - h->backing_off);
	CHECK(strlen(h->backing) == h->backing_len);
	CHECK(!memcmp(h->backing, data + h->backing_off, h->backing_len));
	for (size_t i = 0; i < h->backing_len; i++)
		CHECK((unsigned char)h->backing[i] >= 0x20 &&
		      h->backing[i] != 0x7f);
	/* libvirt 9.0's unpadded reading agrees (issue 12 item 1). */
	CHECK(h->lv_has_backing_fmt == h->has_backing_fmt);
	CHECK(!h->has_backing_fmt || h->lv_backing_fmt == h->backing_fmt);
	CHECK(h->backing_off + h->backing_len <= 0x8200);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_qcow2_hdr h, h2;
	const char *why = NULL, *why2 = NULL;
	int rc = hg_qcow2_parse(data, size, &h, &why);

	if (rc == 0) {
		CHECK(why == NULL);
		check_accepted(data, size, &h);
	} else {
		CHECK(rc == -1);
		CHECK(why && why[0] && !strchr(why, '\n'));
	}
	/* Bytes past the first cluster change nothing. */
	if (size >= 24) {
		uint32_t cb = be32(data + 20);

		if (cb >= 9 && cb <= 21 && size > ((size_t)1 << cb)) {
			int rc2 = hg_qcow2_parse(data, (size_t)1 << cb, &h2, &why2);

			CHECK(rc2 == rc && why2 == why);
			CHECK(!memcmp(&h, &h2, sizeof(h)));
		}
	}
	return 0;
}
