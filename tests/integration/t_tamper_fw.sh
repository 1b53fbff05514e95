#!/bin/bash
# t_tamper_fw.sh: the firmware (UEFI event log) rules against a host that
# controls its log (issue 11 items 1-3). The verifier may believe only the
# digests extended into each quoted PCR of each quoted bank, in order, and
# the content of an event whose data hashes to such a digest. Every
# scenario here is built from good evidence: a real GCE shielded-VM log
# (sha1, sha256, sha384 declared) replayed into a fresh sha256 swtpm, as
# t_uefi_e2e.sh does; then the log is edited with tests/tools/fwlog (types,
# PCR indexes, data, digests, the Spec ID event) and, where the attacker
# would extend more after boot, a fresh swtpm gets the original digests
# plus the appended ones. Each case pins the exit code, the first failing
# check of the JSON verdict and the reason.
. "$(dirname "$0")/lib.sh"

CORPUS=${HG_UEFI_CORPUS:-$ROOT/tests/data/uefi}
LOG=$CORPUS/tpm2-software_tpm2-tools/fixtures/event-gce-ubuntu-2104-log.bin
[ -r "$LOG" ] || { fail corpus "no corpus log at $LOG"; exit 1; }
[ -x "$BUILD/tests/tools/fwlog" ] || { fail setup "fwlog not built (run make)"; exit 1; }
cp "$BUILD/tests/tools/fwlog" "$WORK/bin/"
FWLOG=$WORK/bin/fwlog
SHIM=d99c93fcb042dbe52707bbde371c75fcf081dd5b0c88a195d44cc57536f6f521
GRUB=b0a836fec2faf4a9bea0e1a5f1945bc86ddc03ac98ce0ae172ed9b1e536d7595
# Events of the GCE log: SecureBoot 3, PK 4, KEK 5, db 6, dbx 7 (PCR 7);
# separator 19 and the boot applications shim 23 and grub 27 (PCR 4);
# SbatLevel 26 (PCR 7, EV_EFI_VARIABLE_AUTHORITY); 112 events.
EV_SB=3 EV_PK=4 EV_SEP4=19 EV_SHIM=23 EV_SBAT=26 EV_GRUB=27 NEXT=112
EV_EFI_ACTION=0x80000007 EV_BSA=0x80000003 EV_DRIVER_CONFIG=0x80000001
EV_AUTHORITY=0x800000E0
GLOBAL=61dfe48bca93d211aa0d00e098032b8c   # EFI_GLOBAL_VARIABLE, on disk
IMGSEC=cbb219d73a3d9645a3bcdad00e67656f   # EFI_IMAGE_SECURITY_DATABASE_GUID
mkdir -p "$WORK/l" "$WORK/ev"

hexs() { printf '%s' "$1" | xxd -p | tr -d '\n'; }
u16() { printf '%s' "$1" | iconv -f ascii -t utf-16le | xxd -p | tr -d '\n'; }
le() { printf "%0$(($2 * 2))x" "$1" | sed 's/../& /g' | awk '{for (i = NF; i >= 1; i--) printf "%s", $i}'; }
# var GUID NAME VALUEHEX: a UEFI_VARIABLE_DATA (PFP r1.05 §10.4.2)
var() { echo "$1$(le ${#2} 8)$(le $((${#3} / 2)) 8)$(u16 "$2")$3"; }
sha256hex() { xxd -r -p | sha256sum | cut -d' ' -f1; }

# host LOGFILE: a fresh swtpm (sha256) holding what LOGFILE's events on
# PCRs 0-9 extended in sha256, then hostgate-attest init and a measure.
NH=0
host() {
	local specs i
	NH=$((NH + 1))
	start_tpm sha256 --no-ek-certs
	export HOSTGATE_STATE=$WORK/h$NH/state HOSTGATE_LOG=$WORK/h$NH/run/measurements.cel
	"$HG_VERIFY" show --uefi-log "$1" --json >"$WORK/h$NH.json" 2>/dev/null ||
		{ fail "host$NH" "show failed"; exit 1; }
	mapfile -t specs < <(jq -r '.events[] | select(.type != "EV_NO_ACTION" and .pcr < 10)
		| select(.digests.sha256) | "\(.pcr):sha256=\(.digests.sha256)"' "$WORK/h$NH.json")
	for ((i = 0; i < ${#specs[@]}; i += 16)); do
		tpm2_pcrextend -T "$TCTI" "${specs[@]:i:16}" || { fail "host$NH" "pcrextend"; exit 1; }
	done
	"$HG_ATTEST" init >/dev/null 2>&1 || { fail "host$NH" "init failed"; exit 1; }
	"$HG_ATTEST" measure --kind hypervisor /usr/bin/qemu-system-x86_64 >/dev/null
}
drop_host() { "$ROOT/swtpm-fixtures/swtpm-stop.sh" "$SWTPM_DIR" >/dev/null 2>&1 || true; }

# case NAME EXIT CHECK REASON POLICY LOGFILE: quote the current host with
# LOGFILE as its firmware log, check under POLICY; the exit code, the
# first failing check ("-" when trusted) and a reason line must be these.
NQ=0
case_() {
	local name=$1 want=$2 check=$3 reason=$4 policy=$5 log=$6 nonce got
	NQ=$((NQ + 1))
	nonce=$(openssl rand -hex 16)
	"$HG_ATTEST" quote --nonce "$nonce" --uefi-log "$log" -o "$WORK/ev/$NQ.cbor" >/dev/null 2>&1 ||
		{ fail "$name" "quote failed"; return; }
	"$HG_VERIFY" check --ak "$HOSTGATE_STATE/ak.pub" --nonce "$nonce" --policy "$policy" \
		"$WORK/ev/$NQ.cbor" >"$WORK/last.out" 2>"$WORK/last.err"
	got=$?
	local first
	first=$(jq -r '[.failures[]?.check] | first // "-"' "$WORK/last.out" 2>/dev/null)
	if [ "$got" != "$want" ]; then
		fail "$name" "exit $got, want $want: $(head -c 400 "$WORK/last.err")"
	elif [ "$first" != "$check" ]; then
		fail "$name" "first failing check $first, want $check"
	elif [ -n "$reason" ] && ! grep -qF -- "$reason" "$WORK/last.err" &&
		! jq -r '.failures[]?.reason' "$WORK/last.out" | grep -qF -- "$reason"; then
		fail "$name" "no reason \"$reason\": $(head -c 400 "$WORK/last.err")"
	else
		pass "$name"
	fi
}
edit() { local out=$1; shift; "$FWLOG" "$@" >"$out" || { fail "edit-$(basename "$out")" "fwlog $*"; exit 1; }; }

# ---- the good host and its policies --------------------------------------
host "$LOG"
G_TCTI=$TCTI G_STATE=$HOSTGATE_STATE G_LOG=$HOSTGATE_LOG G_DIR=$SWTPM_DIR
on_g() { TCTI=$G_TCTI HOSTGATE_TCTI=$G_TCTI HOSTGATE_STATE=$G_STATE HOSTGATE_LOG=$G_LOG; export HOSTGATE_TCTI HOSTGATE_STATE HOSTGATE_LOG; SWTPM_DIR=$G_DIR; }
NONCE=$(openssl rand -hex 16)
"$HG_ATTEST" quote --nonce "$NONCE" --uefi-log "$LOG" -o "$WORK/good.cbor" >/dev/null
"$HG_VERIFY" learn --ak "$HOSTGATE_STATE/ak.pub" --nonce "$NONCE" "$WORK/good.cbor" \
	>"$WORK/learned.json" 2>"$WORK/learn.err" || { fail learn "$(head -c 300 "$WORK/learn.err")"; exit 1; }
jq 'del(.pcrs)' "$WORK/learned.json" >"$WORK/full.json"            # secure_boot false, shim+grub, pk..dbx
jq --arg s "$SHIM" '.firmware.boot_apps.sha256 = [$s]' "$WORK/full.json" >"$WORK/shim.json"
jq '.firmware.secure_boot = true' "$WORK/full.json" >"$WORK/sb.json"
P=$WORK/full.json PSHIM=$WORK/shim.json PSB=$WORK/sb.json
[ "$(jq -c '.firmware.boot_apps.sha256' "$P")" = "[\"$SHIM\",\"$GRUB\"]" ] &&
	pass learned-boot-apps || fail learned-boot-apps "$(jq -c .firmware "$P")"

case_ good-trusted 0 - "" "$P" "$LOG"
case_ grub-unapproved 1 policy \
	"firmware: boot application (event 27, \\EFI\\ubuntu\\grubx64.efi) sha256:$GRUB is not allowed" "$PSHIM" "$LOG"

# ---- item 1: a type is not extended, so a rule must not trust it ---------
# grub's EV_EFI_BOOT_SERVICES_APPLICATION retyped: the same digest was
# extended into PCR 4, so it is judged whatever the log calls it.
for t in EV_EFI_ACTION:0x80000007 EV_SEPARATOR:4 EV_POST_CODE:1 EV_EFI_BOOT_SERVICES_DRIVER:0x80000004 \
	EV_IPL:0xd EV_EFI_VARIABLE_AUTHORITY:0x800000E0 "type 0xdeadbeef:0xdeadbeef"; do
	tn=${t%%:*} tv=${t##*:}
	edit "$WORK/l/grub-$tv.bin" "$LOG" retype $EV_GRUB "$tv"
	case_ "grub-retyped-${tn// /-}-refused" 1 policy \
		"firmware: boot application (event 27, logged as $tn, \\EFI\\ubuntu\\grubx64.efi) sha256:$GRUB is not allowed" \
		"$PSHIM" "$WORK/l/grub-$tv.bin"
done
# ... and given a harmless action string as data: the data does not hash
# to the digest, so it says nothing.
edit "$WORK/l/grub-act.bin" "$WORK/l/grub-0x80000007.bin" data $EV_GRUB \
	"$(hexs 'Calling EFI Application from Boot Option')"
case_ grub-as-action-with-action-text-refused 1 policy \
	"firmware: boot application (event 27, logged as EV_EFI_ACTION, path unknown: " "$PSHIM" "$WORK/l/grub-act.bin"
# EV_NO_ACTION is not replayed: the log then misses a digest the TPM holds.
edit "$WORK/l/grub-noaction.bin" "$LOG" retype $EV_GRUB 3
case_ grub-as-no-action-invalid 3 firmware \
	"PCR 4 sha256: the firmware log replays to a value the quote does not hold" "$PSHIM" "$WORK/l/grub-noaction.bin"
# the PCR index is bound by the replay: grub moved to PCR 5 breaks PCR 4
edit "$WORK/l/grub-pcr5.bin" "$LOG" setpcr $EV_GRUB 5
case_ grub-moved-to-pcr5-invalid 3 firmware \
	"PCR 4 sha256: the firmware log replays to a value the quote does not hold" "$PSHIM" "$WORK/l/grub-pcr5.bin"
# a separator typed as an application: its digest says nothing ran
edit "$WORK/l/sep-as-app.bin" "$LOG" retype $EV_SEP4 $EV_BSA
case_ separator-typed-as-app-trusted 0 - "" "$P" "$WORK/l/sep-as-app.bin"

# An unapproved application the attacker extends into PCR 4 after boot,
# logged with a harmless-looking type and data.
EVIL=$(hexs 'an unapproved boot loader image' | sha256hex)
edit "$WORK/l/evil-action.bin" "$LOG" append 4 $EV_EFI_ACTION \
	"$(hexs 'Returning from EFI Application from Boot Option')" sha256="$EVIL"
host "$WORK/l/evil-action.bin"
case_ unapproved-app-as-action-refused 1 policy \
	"firmware: boot application (event $NEXT, logged as EV_EFI_ACTION, path unknown: LengthOfDevicePath runs past the end of the event data) sha256:$EVIL is not allowed" \
	"$P" "$WORK/l/evil-action.bin"
drop_host
edit "$WORK/l/evil-sep.bin" "$LOG" append 4 4 00000000 sha256="$EVIL"
host "$WORK/l/evil-sep.bin"
case_ unapproved-app-as-separator-refused 1 policy \
	"firmware: boot application (event $NEXT, logged as EV_SEPARATOR, path unknown: " "$P" "$WORK/l/evil-sep.bin"
drop_host
# the real "Returning from EFI Application" action (PFP): harmless
edit "$WORK/l/returning.bin" "$LOG" append 4 $EV_EFI_ACTION \
	"$(hexs 'Returning from EFI Application from Boot Option')"
host "$WORK/l/returning.bin"
case_ harmless-action-appended-trusted 0 - "" "$P" "$WORK/l/returning.bin"
drop_host
# "UEFI Debug Mode" is a PFP action string, but it says something about the
# platform: not harmless on PCR 4.
edit "$WORK/l/debug.bin" "$LOG" append 4 $EV_EFI_ACTION "$(hexs 'UEFI Debug Mode')"
host "$WORK/l/debug.bin"
case_ debug-mode-action-on-pcr4-refused 1 policy \
	"firmware: boot application (event $NEXT, logged as EV_EFI_ACTION, " "$P" "$WORK/l/debug.bin"
drop_host

# ---- item 2: facts only from quoted banks, every bank declared ----------
on_g
# an event that omits a bank the Spec ID event declares (PFP §10.2.2)
edit "$WORK/l/shim-nosha256.bin" "$LOG" dropbank $EV_SHIM sha256
case_ missing-quoted-bank-invalid 3 firmware \
	"firmware log: event 23 (offset " "$P" "$WORK/l/shim-nosha256.bin"
grep -qF "no sha256 digest, which the Spec ID event declares" "$WORK/last.err" &&
	pass missing-quoted-bank-named || fail missing-quoted-bank-named "$(head -c 300 "$WORK/last.err")"
edit "$WORK/l/pk-nosha1.bin" "$LOG" dropbank $EV_PK sha1
case_ missing-unquoted-bank-invalid 3 firmware \
	"event 4 (offset 572): no sha1 digest, which the Spec ID event declares" "$P" "$WORK/l/pk-nosha1.bin"
# an injected event in the unquoted banks only
edit "$WORK/l/inject-unquoted.bin" "$LOG" append 4 $EV_BSA "$(hexs evil)" sha256=none
case_ injected-unquoted-only-invalid 3 firmware \
	"event $NEXT (offset " "$P" "$WORK/l/inject-unquoted.bin"
grep -qF "no sha256 digest" "$WORK/last.err" && pass injected-unquoted-only-named ||
	fail injected-unquoted-only-named "$(head -c 300 "$WORK/last.err")"
# the Spec ID event declares one more bank than the events carry
edit "$WORK/l/specid-sha512.bin" "$LOG" specid-add sha512
case_ specid-extra-bank-invalid 3 firmware \
	"event 1 (offset " "$P" "$WORK/l/specid-sha512.bin"
grep -qF "no sha512 digest, which the Spec ID event declares" "$WORK/last.err" &&
	pass specid-extra-bank-named || fail specid-extra-bank-named "$(head -c 300 "$WORK/last.err")"
# SecureBoot = 1 in the data, with sha1 and sha384 digests that hash it:
# only sha256 is quoted, and that one is the real (SecureBoot = 0) digest.
SB1=$(var $GLOBAL SecureBoot 01) SB0=$(var $GLOBAL SecureBoot 00)
edit "$WORK/l/a.bin" "$LOG" data $EV_SB "$SB1"
edit "$WORK/l/b.bin" "$WORK/l/a.bin" hashdata $EV_SB sha1
edit "$WORK/l/sb-unquoted.bin" "$WORK/l/b.bin" hashdata $EV_SB sha384
case_ secureboot-forged-in-unquoted-banks-refused 1 policy \
	"firmware: Secure Boot state is unknown (an event on PCR 7 is not bound to its data" "$PSB" "$WORK/l/sb-unquoted.bin"
# the unquoted-bank injection of an application: sha256 extended a
# separator, sha1 and sha384 claim an application. Only sha256 is quoted.
edit "$WORK/l/app-unquoted.bin" "$LOG" append 4 $EV_BSA "$(hexs evil)" \
	sha256="$(printf '00000000' | sha256hex)"
host "$WORK/l/app-unquoted.bin"
case_ app-in-unquoted-banks-counts-for-nothing 0 - "" "$P" "$WORK/l/app-unquoted.bin"
[ "$(jq '.firmware.boot_apps | length' "$WORK/last.out")" = 2 ] &&
	pass app-in-unquoted-banks-not-a-fact || fail app-in-unquoted-banks-not-a-fact "$(jq -c .firmware.boot_apps "$WORK/last.out")"
drop_host

# SecureBoot data under another event type: the data says what it is.
on_g
edit "$WORK/l/sb-action.bin" "$LOG" retype $EV_SB $EV_EFI_ACTION
case_ secureboot-retyped-still-disabled 1 policy \
	"firmware: Secure Boot is disabled (event 3); the policy requires it enabled" "$PSB" "$WORK/l/sb-action.bin"
case_ secureboot-retyped-known 0 - "" "$P" "$WORK/l/sb-action.bin"
[ "$(jq -r '.firmware.secure_boot' "$WORK/last.out")" = false ] &&
	pass secureboot-retyped-reported-false || fail secureboot-retyped-reported-false "$(jq -c .firmware.secure_boot "$WORK/last.out")"
# data that does not hash to its digest gives no fact, and on PCR 7 it
# could be any variable: every PCR 7 fact becomes unknown.
edit "$WORK/l/pk-data.bin" "$LOG" data $EV_PK "$(var $GLOBAL PK "")"
case_ pk-data-unbound-refused 1 policy \
	"firmware: PK cannot be judged: event 4 on PCR 7 is not bound to its data" "$P" "$WORK/l/pk-data.bin"
# ... even under a type whose data no rule says must hash (no mismatch)
edit "$WORK/l/a.bin" "$LOG" data $EV_SBAT "$(hexs garbage)"
edit "$WORK/l/sbat-hidden.bin" "$WORK/l/a.bin" retype $EV_SBAT 1
case_ pcr7-unbound-post-code-refused 1 policy \
	"firmware: Secure Boot state is unknown (an event on PCR 7 is not bound to its data" "$P" "$WORK/l/sbat-hidden.bin"

# Conflicting SecureBoot events: the attacker extends SecureBoot = 1 after
# boot. Two disagreeing events make the fact unknown.
edit "$WORK/l/sb-twice.bin" "$LOG" append 7 $EV_DRIVER_CONFIG "$SB1"
host "$WORK/l/sb-twice.bin"
case_ secureboot-conflict-refused 1 policy \
	"firmware: Secure Boot state is unknown (SecureBoot is logged more than once, with different digests)" \
	"$PSB" "$WORK/l/sb-twice.bin"
drop_host
# ... the real one retyped as an authority event, to hide it
edit "$WORK/l/a.bin" "$LOG" retype $EV_SB $EV_AUTHORITY
edit "$WORK/l/sb-hide-type.bin" "$WORK/l/a.bin" append 7 $EV_DRIVER_CONFIG "$SB1"
host "$WORK/l/sb-hide-type.bin"
case_ secureboot-hidden-by-type-refused 1 policy \
	"firmware: Secure Boot state is unknown (SecureBoot is logged more than once, with different digests)" \
	"$PSB" "$WORK/l/sb-hide-type.bin"
NONCE=$(openssl rand -hex 16)
"$HG_ATTEST" quote --nonce "$NONCE" --uefi-log "$WORK/l/sb-hide-type.bin" -o "$WORK/hide.cbor" >/dev/null
"$HG_VERIFY" learn --ak "$HOSTGATE_STATE/ak.pub" --nonce "$NONCE" "$WORK/hide.cbor" \
	>"$WORK/learn-hide.json" 2>"$WORK/learn-hide.err"
[ "$(jq -r '.firmware | has("secure_boot")' "$WORK/learn-hide.json")" = false ] &&
	grep -qF "Secure Boot state is unknown" "$WORK/learn-hide.err" &&
	pass learn-skips-conflicting-secureboot || fail learn-skips-conflicting-secureboot "$(head -c 300 "$WORK/learn-hide.err")"
drop_host
# ... the real one's data replaced (unbound) and retyped, a forged one after
edit "$WORK/l/a.bin" "$LOG" data $EV_SB "$(var $GLOBAL SecureBooX 00)"
edit "$WORK/l/b.bin" "$WORK/l/a.bin" retype $EV_SB 1
edit "$WORK/l/sb-hide-data.bin" "$WORK/l/b.bin" append 7 $EV_DRIVER_CONFIG "$SB1"
host "$WORK/l/sb-hide-data.bin"
case_ secureboot-hidden-by-data-refused 1 policy \
	"firmware: Secure Boot state is unknown (an event on PCR 7 is not bound to its data" "$PSB" "$WORK/l/sb-hide-data.bin"
drop_host
# ... the forged one under an action type
edit "$WORK/l/sb-forged-action.bin" "$LOG" append 7 $EV_EFI_ACTION "$SB1"
host "$WORK/l/sb-forged-action.bin"
case_ secureboot-forged-as-action-refused 1 policy \
	"firmware: Secure Boot state is unknown (SecureBoot is logged more than once, with different digests)" \
	"$PSB" "$WORK/l/sb-forged-action.bin"
drop_host
# a second db (an EFI_SIGNATURE_LIST of one SHA-256) conflicts with the first
ESL=2616c4c14c509240aca941f936934328$(le 76 4)$(le 0 4)$(le 48 4)$(hexs OWNER-GUID-16byt)$(hexs 'a db the policy never saw' | sha256hex)
edit "$WORK/l/db-twice.bin" "$LOG" append 7 $EV_AUTHORITY "$(var $IMGSEC db "$ESL")"
host "$WORK/l/db-twice.bin"
case_ db-second-list-conflict-refused 1 policy \
	"firmware: db is logged more than once with different digests (first at event 6)" "$P" "$WORK/l/db-twice.bin"
drop_host
# an authority event's EFI_SIGNATURE_DATA under the name db is not the db
edit "$WORK/l/db-authority.bin" "$LOG" append 7 $EV_AUTHORITY \
	"$(var $IMGSEC db "$(hexs OWNER-GUID-16byt)$(hexs 'a certificate')")"
host "$WORK/l/db-authority.bin"
case_ db-authority-entry-not-the-db 0 - "" "$P" "$WORK/l/db-authority.bin"
drop_host

# ---- item 3: only (bank, PCR) pairs some event extended -----------------
# a log whose PCR 11 event carries sha256 only: no sha1 or sha384 value
# is made up for PCR 11.
edit "$WORK/l/pcr11.bin" "$LOG" append 11 0xd "$(hexs 'sd-stub')" sha1=none sha384=none
"$HG_VERIFY" show --uefi-log "$WORK/l/pcr11.bin" --json >"$WORK/pcr11.json" 2>/dev/null
[ "$(jq -c '[(.pcrs.sha1 | has("11")), (.pcrs.sha384 | has("11")), (.pcrs.sha256 | has("11"))]' "$WORK/pcr11.json")" = \
	'[false,false,true]' ] && pass show-json-only-extended-pairs ||
	fail show-json-only-extended-pairs "$(jq -c '.pcrs | map_values(keys)' "$WORK/pcr11.json")"
"$HG_VERIFY" show --uefi-log "$WORK/l/pcr11.bin" >"$WORK/pcr11.txt" 2>/dev/null
! grep -qE '^    (sha1|sha384) +11 ' "$WORK/pcr11.txt" && grep -qE '^    sha256 +11 ' "$WORK/pcr11.txt" &&
	pass show-text-only-extended-pairs || fail show-text-only-extended-pairs "$(grep -E ' 11 ' "$WORK/pcr11.txt")"
echo "fwlog scenarios: $NQ quotes, $NH hosts"
