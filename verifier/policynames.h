/* policynames.h: the rules for a policy's measurement names.
 * Reference: policies/README.md "Parsing rules".
 *
 * Contract:
 *  - hg_policy_name_why() returns NULL for a name a log record can carry
 *    and the attester writes: absolute, 1..4096 bytes (HG_CEL_MAX_NAME),
 *    no control character (lib/cel.c name_ok(); C1 too), no character
 *    that displays as nothing or reorders the text (Unicode
 *    Default_Ignorable_Code_Point, Bidi_Control: U+200B, U+00AD, U+FEFF,
 *    U+202E; the name would look like another), and canonical as
 *    realpath() returns it (attest/measure.c): no trailing "/", no "//",
 *    no "." or ".." component. Otherwise the reason. Any other spelling
 *    never matches a record, so its entry would be inert while reading as
 *    a rule ("/usr/bin/qemu/" pinned, while the host's "/usr/bin/qemu"
 *    falls to the "unknown" rule).
 *  - hg_policy_names_clash() finds two entries that name one file: the
 *    same name under two kinds, or two names equal once Unicode-normalised
 *    (NFC, UAX #15, by libunistring's u8_normalize(): "caf\u00e9" and
 *    "cafe\u0301" display alike). A reviewer would read one rule where
 *    the policy has two. 1 and *A, *B (entry indexes, *B the one to name
 *    in the message), 0 none, -1 out of memory.
 */
#ifndef HG_POLICYNAMES_H
#define HG_POLICYNAMES_H

#include <stddef.h>

#include "policy.h"

const char *hg_policy_name_why(const char *name);
int hg_policy_names_clash(const struct hg_policy *p, size_t *a, size_t *b);

#endif
