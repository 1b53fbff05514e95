/* showuefi.h: 'hostgate-verify show --uefi-log FILE [--json]', and the
 * JSON form of the firmware facts that the verdict reuses.
 *
 * An unverified dump of a TCG PC Client firmware event log: every event
 * (index, byte offset, PCR, type, digests per bank, the decoded variable
 * of an EV_EFI_VARIABLE_* event and the file path of a simple device
 * path), the firmware facts (lib/uefifacts.h) and the PCR values a replay
 * gives (lib/uefilog.h). Nothing is compared with a quote here.
 *
 * JSON output:
 *   {"log": FILE, "valid": true, "format": "crypto-agile"|"sha1",
 *    "banks": ["sha1", "sha256", ...],
 *    "events": [{"event", "offset", "pcr", "type", "type_value",
 *                "digests": {"<bank>": hex}, "data_len", "data": hex,
 *                "text"?, "variable"?: {"guid", "name"},
 *                "variable_error"?, "path"?, "path_error"?,
 *                "digest_matches_data"?}],
 *    "facts": {see hv_uefi_facts_json},
 *    "startup_locality": L, "ebs_workaround_applied": bool,
 *    "pcrs": {"<bank>": {"<index>": hex}}}
 * "pcrs" holds only the (bank, PCR) pairs some extended event touched: a
 * PCR the log never extends holds whatever the platform put there (zeros,
 * all-FF, values of later software), which the log cannot say, and a bank
 * an event left out would show a reset value no event produced. The
 * facts are hg_uefi_facts()'s: every bank, nothing compared with a quote. A log that does
 * not parse prints {"log", "valid": false, "events": [those before the
 * bad one], "error": {"event", "offset", "reason"}}.
 */
#ifndef HV_SHOWUEFI_H
#define HV_SHOWUEFI_H

#include <json-c/json.h>

#include "../lib/uefifacts.h"

/* FLAGS: HG_UEFI_EBS_WORKAROUND or 0. Returns the exit code: 0 the log
 * parses, 2 unreadable, 3 with one stderr line naming the event and its
 * byte offset when it does not parse. */
int hv_show_uefi(const char *path, int json, unsigned flags);

/* {"secure_boot": true|false|null, "secure_boot_reason"?: why null,
 *  "pk", "kek", "db", "dbx": hex|null (sha256, else the log's first bank),
 *  "variables": {"SecureBoot"|"PK"|...: {"event", "digests",
 *                "digest_matches_data", "conflict"}},
 *  "pcr7_unbound_event"?: N (every variable fact is then null),
 *  "boot_apps": [{"event", "logged_type"? (not an application's type),
 *                 "<bank>": hex..., "path": text|"?", "path_reason"?}],
 *  "separators": [PCR...], "separator_kinds": {"<pcr>": "normal"|
 *                "normal-ffffffff"|"error"|"bad"},
 *  "digest_mismatches": [{"event", "pcr", "type", "bank"}]} */
json_object *hv_uefi_facts_json(const struct hg_uefi_facts *f);

#endif
