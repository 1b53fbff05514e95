# shellcheck shell=bash
# bench-result.sh: the one line every benchmark prints per goal, for
# tools/bench-table.sh (sourced by tools/bench-*.sh, not run).
#
# A result line, on stdout, after the benchmark's own report:
#
#   BENCH-RESULT goal=ID what=TEXT value=N unit=U peer=TEXT peer_value=N
#                [peer_unit=U] ratio=N target=TEXT met=yes|no [note=TEXT]
#   BENCH-RESULT goal=ID what=TEXT skipped=REASON
#
# Fields are KEY=VALUE separated by one space; a value holding a space is
# in double quotes and never holds one itself ('"' becomes "'"). ID is
# [a-z0-9-]+ and names the goal across runs (bench-table.sh knows which
# benchmark owns which ID). value and peer_value are hostgate's figure and
# the peer's, both measured in the same run (peer_unit when the peer's
# unit differs); ratio is hostgate's figure over the peer's (for rates
# and speed-ups: above 1 is faster; for times and sizes: below 1 is
# smaller), as the benchmark defines it (what and note say how). target is
# the goal as text ("ratio >= 0.8", "<= 25 ms added"); met is computed here
# by bench_met, never typed in.
#
# A figure that is not a number (a measurement that failed) never becomes
# a row: bench_result prints the goal as skipped, naming the field.

# _bench_q VALUE: VALUE as a field value, quoted when it must be.
_bench_q() {
	local v=${1//\"/\'}
	v=${v//$'\n'/ }
	v=${v//$'\t'/ }
	if [ -z "$v" ] || [[ $v == *' '* ]]; then
		printf '"%s"' "$v"
	else
		printf '%s' "$v"
	fi
}

# _bench_norm VALUE: bc's ".96" and "-.5" as 0.96 and -0.5; anything
# else unchanged.
_bench_norm() {
	if [[ $1 =~ ^(-?)\.([0-9]+)$ ]]; then
		echo "${BASH_REMATCH[1]}0.${BASH_REMATCH[2]}"
	else
		echo "$1"
	fi
}

# _bench_num VALUE: VALUE is a plain decimal number (no sign but -, no
# exponent, no "nan").
_bench_num() { [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; }

# bench_met VALUE OP LIMIT: yes when "VALUE OP LIMIT" holds (OP one of
# >= > <= <), no otherwise; "no" too when VALUE is not a number.
bench_met() {
	set -- "$(_bench_norm "$1")" "$2" "$(_bench_norm "$3")"
	if ! _bench_num "$1" || ! _bench_num "$3"; then echo no; return; fi
	case $2 in '>=' | '>' | '<=' | '<') ;; *) echo no; return ;; esac
	if [ "$(echo "$1 $2 $3" | bc)" = 1 ]; then echo yes; else echo no; fi
}

# bench_ratio A B [SCALE]: A / B to SCALE (2) decimals, or "-" when B is 0
# or either is not a number.
bench_ratio() {
	set -- "$(_bench_norm "$1")" "$(_bench_norm "$2")" "${3:-2}"
	if ! _bench_num "$1" || ! _bench_num "$2"; then echo -; return; fi
	[ "$(echo "$2 != 0" | bc)" = 1 ] || { echo -; return; }
	printf "%.${3:-2}f" "$(echo "scale=6; $1 / $2" | bc)"
}

# bench_result KEY=VALUE...: print a result line (the fields above, in
# the order given). goal and what are required; then either skipped, or
# value, unit, peer, peer_value, ratio, target and met, with value,
# peer_value and ratio numbers.
bench_result() {
	local kv k v out='BENCH-RESULT' goal='' what='' skipped='' bad=''
	local -A f=()
	local -a args=()
	for kv; do
		k=${kv%%=*} v=${kv#*=}
		case $k in value | peer_value | ratio) v=$(_bench_norm "$v") ;; esac
		f[$k]=$v
		args+=("$k=$v")
	done
	set -- "${args[@]}"
	goal=${f[goal]:-} what=${f[what]:-} skipped=${f[skipped]:-}
	if ! [[ $goal =~ ^[a-z0-9-]+$ ]] || [ -z "$what" ]; then
		echo "bench_result: goal '$goal' or what '$what' missing or malformed" >&2
		return 1
	fi
	if [ -z "$skipped" ]; then
		for k in value unit peer peer_value ratio target met; do
			[ -n "${f[$k]:-}" ] || bad="$bad $k missing;"
		done
		for k in value peer_value ratio; do
			[ -z "${f[$k]:-}" ] || _bench_num "${f[$k]}" || bad="$bad $k '${f[$k]}' is not a number;"
		done
		case ${f[met]:-} in yes | no | '') ;; *) bad="$bad met '${f[met]}' is not yes or no;" ;; esac
		if [ -n "$bad" ]; then
			bench_skip "$goal" "$what" "measurement failed:${bad%;}"
			return 0
		fi
	fi
	for kv; do
		k=${kv%%=*}
		[ -z "$skipped" ] || case $k in goal | what | skipped) ;; *) continue ;; esac
		out="$out $k=$(_bench_q "${kv#*=}")"
	done
	echo "$out"
}

# bench_skip GOAL WHAT REASON: the goal could not be measured here.
bench_skip() {
	echo "BENCH-RESULT goal=$1 what=$(_bench_q "$2") skipped=$(_bench_q "$3")"
}
