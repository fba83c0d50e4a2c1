#!/usr/bin/env bash
# Two skiff stacks on two lcores, joined by net_wire, exchange UDP: every
# datagram comes back on a clean cable, and under 2% loss each way the
# client still gets echoes and counts the losses. No root needed.
# Usage: stacks_test.sh SKIFF_ECHO
echo_bin=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
lcores=0-1
[ "$(nproc)" -ge 2 ] || lcores=0
echo "1..2"
n=0
run() { # DESCRIPTION CHECK [skiff-echo args...]
	local what=$1 want=$2
	shift 2
	n=$((n + 1))
	if timeout 60 "$echo_bin" --client --lcores "$lcores" --duration 2 --warmup 0.2 \
		--file-prefix "nwst-$$-$n" "$@" >"$out" 2>&1 &&
		line=$(grep '^RESULT' "$out") && eval "$want"; then
		echo "ok $n - $what: ${line#RESULT }"
	else
		echo "not ok $n - $what"
		sed 's/^/# /' "$out"
		fail=1
	fi
}
fail=0
lost() { sed -E 's/.* lost=([0-9]+).*/\1/' <<<"$line"; }
trips() { sed -E 's/.* round_trips=([0-9]+).*/\1/' <<<"$line"; }
run "clean net_wire: nothing lost" '[ "$(trips)" -gt 100 ] && [ "$(lost)" -eq 0 ]' --wire "seed=1"
run "2% loss each way: echoes continue, losses counted" \
	'[ "$(trips)" -gt 100 ] && [ "$(lost)" -gt 0 ]' --wire "loss=2,seed=7"
exit $fail
