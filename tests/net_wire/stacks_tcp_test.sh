#!/usr/bin/env bash
# Two skiff stacks, joined by net_wire, move a TCP stream under loss,
# reordering and duplication (each way): skiff-echo --client --tcp bulk sends
# BYTES of a pattern, the server checks every byte and reports what it got.
# Each case must arrive complete and intact within its time bound; the
# retransmissions it took are reported. No root needed.
# Usage: stacks_tcp_test.sh SKIFF_ECHO [BYTES]
echo_bin=$1
bytes=${2:-8388608}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
lcores=0-1
[ "$(nproc)" -ge 2 ] || lcores=0
cases=(
	"clean net_wire|seed=1"
	"1% loss each way|loss=1,seed=1"
	"5% loss each way|loss=5,seed=2"
	"2% loss, 10% reordering, 1% duplication each way|loss=2,reorder=10,dup=1,seed=3"
)
echo "1..${#cases[@]}"
fail=0
n=0
for c in "${cases[@]}"; do
	what=${c%%|*} wire=${c#*|}
	n=$((n + 1))
	# The bound is generous for a loaded CI machine; a healthy run takes
	# well under a tenth of it.
	if timeout 150 "$echo_bin" --client --tcp bulk --bytes "$bytes" --timeout 120 \
		--lcores "$lcores" --wire "$wire" --file-prefix "nwtcp-$$-$n" --log-level warn \
		>"$out" 2>&1 &&
		line=$(grep '^RESULT' "$out") &&
		grep -q " intact=1 " <<<"$line" && grep -q " received=$bytes " <<<"$line" &&
		grep -q " mismatches=0 " <<<"$line"; then
		echo "ok $n - $what: ${line#RESULT }"
		grep '^skiff-echo: .* tcp:' "$out" | sed 's/^/# /'
	else
		echo "not ok $n - $what ($wire)"
		sed 's/^/# /' "$out"
		fail=1
	fi
done
exit $fail
