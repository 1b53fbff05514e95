/* domxml.h: the canonical form of a libvirt domain XML, for measurement.
 *
 * The same domain must measure the same whether its XML comes from
 * `virsh dumpxml --inactive` or from the qemu hook's stdin (the live XML,
 * with ids, aliases, PCI addresses and runtime paths filled in), and any
 * security-relevant change must measure differently. The rules, and why
 * each dropped item is safe to drop, are in docs/domain-canonical.md.
 *
 * Contract:
 *  - XML is LEN bytes, not NUL-terminated, untrusted. More than
 *    HG_DOMXML_MAX bytes is refused before parsing. It is parsed by
 *    libxml2 without network access and without entity substitution; a
 *    document with a DOCTYPE (and so any entity declaration) is refused
 *    outright. Nesting deeper than HG_DOMXML_MAX_DEPTH and a canonical
 *    form larger than HG_DOMXML_MAX_OUT are refused, so the output is
 *    bounded whatever the input.
 *  - On success returns 0; *out is a fresh NUL-terminated buffer of
 *    *outlen bytes (the NUL not counted), *name a fresh copy of the
 *    domain's <name>; the caller frees both with free(). *why is untouched.
 *  - On failure returns -1, sets *why to a static one-line reason and
 *    leaves *out, *outlen and *name untouched. Nothing leaks.
 *  - The form is text, one line per kept attribute or text value:
 *    "path=value\n". A path never contains '=' and a value never contains
 *    a newline (a value with a control character other than tab is
 *    refused), so each line splits unambiguously at its first '='.
 *  - Thread safety: as libxml2's; call xmlInitParser() once before using
 *    this from several threads.
 */
#ifndef HG_DOMXML_H
#define HG_DOMXML_H

#include <stddef.h>

#define HG_DOMXML_MAX (1u << 20)        /* input bytes */
#define HG_DOMXML_MAX_OUT (4u << 20)    /* canonical form bytes */
#define HG_DOMXML_MAX_DEPTH 64          /* element nesting */

int hg_domxml_canonical(const char *xml, size_t len, char **out,
			size_t *outlen, char **name, const char **why);

#endif
