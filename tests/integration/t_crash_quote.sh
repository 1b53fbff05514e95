#!/bin/bash
# t_crash_quote.sh: kill -9 `quote` and `init` at random instants
# (tests/integration/crash.sh; issue 16 item 5).
#
# quote -o FILE, FILE holding the evidence of the last complete quote:
# after each kill FILE is that old evidence or the new one, whole (check
# finds it trusted under the old nonce or the new one), never a torn or
# mixed file; the next quote succeeds. HG_CRASH_QUOTE trials (default 40).
#
# init, HG_CRASH_INIT trials (default 30), alternately on a state that
# holds an AK and on an empty one: after the kill the next init succeeds,
# a state that held an AK and a log key still holds the same ones (a kill
# never silently replaces the AK a verifier enrolled), and a quote by the
# resulting AK is trusted under the ak.pub the state holds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/crash.sh"
start_tpm sha256
cd "$WORK" || exit 1
"$HG_ATTEST" init --ak-out ak.pub >/dev/null &&
	"$HG_ATTEST" measure --kind image "$HG_ATTEST" >/dev/null ||
	{ fail setup "init/measure failed"; exit 1; }
nonce() { printf '%08x%08x%016x' "$CRASH_SEED" "$1" "$2"; }

# --- quote ----------------------------------------------------------------
TRIALS=${HG_CRASH_QUOTE:-40}
OLD=$(nonce 1 0)
"$HG_ATTEST" quote --nonce "$OLD" -o ev.cbor >/dev/null &&
	"$HG_VERIFY" learn --ak ak.pub --nonce "$OLD" ev.cbor >p.json ||
	{ fail setup "quote/learn failed"; exit 1; }
crash_span "$HG_ATTEST" quote --nonce "$OLD" -o span.cbor
echo "  quote: one run takes ~$SPAN us"
bad=0
for t in $(seq 1 "$TRIALS"); do
	N=$(nonce 1 "$t")
	crash_kill "$SPAN" "$HG_ATTEST" quote --nonce "$N" -o ev.cbor
	crash_flush
	if "$HG_VERIFY" check --quiet --policy p.json --ak ak.pub --nonce "$N" ev.cbor 2>/dev/null; then
		crash_tally new
		OLD=$N
	elif "$HG_VERIFY" check --quiet --policy p.json --ak ak.pub --nonce "$OLD" ev.cbor 2>/dev/null; then
		crash_tally old
		[ "$KILLED" = 1 ] || { bad=$((bad + 1)); echo "  trial $t: quote exited $CRASH_RC but left the old file"; }
	else
		crash_tally bad
		bad=$((bad + 1))
		echo "  trial $t: ev.cbor is neither evidence: $("$HG_VERIFY" check --policy p.json --ak ak.pub --nonce "$N" ev.cbor 2>&1 >/dev/null | head -1)"
	fi
done
litter=$(crash_litter "$WORK")
crash_summary quote "$TRIALS"
[ "$bad" -eq 0 ] && pass "quote-kill-9-x$TRIALS-old-or-new-evidence-whole" ||
	fail "quote-kill-9-x$TRIALS-old-or-new-evidence-whole" "$bad bad trials"
N=$(nonce 1 999)
if "$HG_ATTEST" quote --nonce "$N" -o ev.cbor >/dev/null 2>"$WORK/q.err" &&
	"$HG_VERIFY" check --quiet --policy p.json --ak ak.pub --nonce "$N" ev.cbor; then
	pass quote-after-kills-trusted
else
	fail quote-after-kills-trusted "$(head -c 300 "$WORK/q.err")"
fi
echo "  quote: temporary files left by killed writers: $litter"

# --- init -----------------------------------------------------------------
TRIALS=${HG_CRASH_INIT:-30}
S=(--state "$WORK/s2" --log "$WORK/s2.cel")
"$HG_ATTEST" init "${S[@]}" >/dev/null &&
	"$HG_ATTEST" quote "${S[@]}" --nonce "$OLD" -o ev2.cbor >/dev/null &&
	"$HG_VERIFY" learn --ak "$WORK/s2/ak.pub" --nonce "$OLD" ev2.cbor >p2.json ||
	{ fail setup "init/quote/learn of s2 failed"; exit 1; }
crash_span "$HG_ATTEST" init "${S[@]}"
SPAN_LOAD=$SPAN
# A new state is a new host: a TPM reset (a reboot: PCRs start over) and
# an empty /run, so the new log key's record starts a new log. An orderly
# one (TPM2_Shutdown first): an unorderly reset counts as a dictionary-
# attack failure, and a few lock the AK out (issue 16 report).
P=${TCTI##*port=}
reboot() {
	rm -rf "$WORK/s2" "$WORK/s2.cel"
	tpm2_shutdown -c -T "$TCTI" >/dev/null 2>&1
	swtpm_ioctl --tcp "127.0.0.1:$((P + 1))" -i >/dev/null &&
		tpm2_startup -c -T "$TCTI" >/dev/null 2>&1 ||
		{ fail tpm-reset "swtpm_ioctl -i / tpm2_startup failed"; exit 1; }
}
reboot
crash_span "$HG_ATTEST" init "${S[@]}"
reboot
t0=$(date +%s%N)
"$HG_ATTEST" init "${S[@]}" >/dev/null 2>&1
SPAN_NEW=$((($(date +%s%N) - t0) / 1000))
SPAN_NEW=$((SPAN_NEW > SPAN ? SPAN_NEW : SPAN))
echo "  init: one run takes ~$SPAN_LOAD us (AK exists), ~$SPAN_NEW us (new state)"
bad=0
for t in $(seq 1 "$TRIALS"); do
	had=0
	if [ $((t % 2)) = 1 ] && [ -s "$WORK/s2/ak.pub" ]; then
		had=1
		cp "$WORK/s2/ak.pub" prev.pub && cp "$WORK/s2/logkey.pem" prev.key
		crash_kill "$SPAN_LOAD" "$HG_ATTEST" init "${S[@]}"
	else
		reboot
		crash_kill "$SPAN_NEW" "$HG_ATTEST" init "${S[@]}"
	fi
	crash_flush
	if ! "$HG_ATTEST" init "${S[@]}" >/dev/null 2>"$WORK/init.err"; then
		crash_tally refused
		bad=$((bad + 1))
		echo "  trial $t: the next init failed: $(head -c 300 "$WORK/init.err")"
		rm -rf "$WORK/s2"
		continue
	fi
	crash_flush
	if [ "$had" = 1 ] && ! { cmp -s prev.pub "$WORK/s2/ak.pub" && cmp -s prev.key "$WORK/s2/logkey.pem"; }; then
		crash_tally replaced
		bad=$((bad + 1))
		echo "  trial $t: a killed init replaced the AK or the log key"
		continue
	fi
	N=$(nonce 2 "$t")
	if "$HG_ATTEST" quote "${S[@]}" --nonce "$N" -o ev2.cbor 2>"$WORK/q.err" &&
		"$HG_VERIFY" check --policy p2.json --ak "$WORK/s2/ak.pub" --nonce "$N" ev2.cbor >/dev/null 2>>"$WORK/q.err"; then
		crash_tally "$([ "$had" = 1 ] && echo kept || echo created)"
	else
		crash_tally untrusted
		bad=$((bad + 1))
		echo "  trial $t: quote after init not trusted: $(tr '\n' ' ' <"$WORK/q.err" | head -c 300)"
	fi
	crash_flush
done
litter=$(crash_litter "$WORK/s2")
crash_summary init "$TRIALS"
[ "$bad" -eq 0 ] && pass "init-kill-9-x$TRIALS-next-init-works-ak-kept" ||
	fail "init-kill-9-x$TRIALS-next-init-works-ak-kept" "$bad bad trials"
echo "  init: temporary files left by killed writers: $litter"
