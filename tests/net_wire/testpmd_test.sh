#!/usr/bin/env bash
# dpdk-testpmd loads librte_net_wire.so with -d and forwards over a cable
# between two net_wire ports (io forwarding, --tx-first, a few seconds).
# Cabled to each other, the two ports form two loops: what port 0 sends
# comes back in on port 0 through port 1 (rx 1 -> tx 0 -> rx 1 ...), and
# the other way round. With loss=50 on port 0 its loop dies out while the
# other keeps running.
# Usage: testpmd_test.sh PATH/TO/librte_net_wire.so
set -uo pipefail
so=$1
echo "1..5"
n=0
failed=0
check() { # DESCRIPTION SHELL-CONDITION
	n=$((n + 1))
	if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=1; fi
}
if ! command -v dpdk-testpmd >/dev/null; then
	for i in 1 2 3 4 5; do echo "ok $i # SKIP dpdk-testpmd missing (apt-get install dpdk)"; done
	exit 0
fi
prefix="nw-testpmd-$$"
# The EAL refuses plugins under a world-writable directory such as /tmp,
# where a clone may well live: load a copy from a private directory.
private=$(mktemp -d -p "$([ -w /run ] && echo /run || echo "${HOME:-.}")" nw-plugin.XXXXXX)
cp "$so" "$private/" && so="$private/$(basename "$so")"
trap 'rm -rf "/var/run/dpdk/$prefix" "$private"' EXIT

# Without -i, testpmd forwards until Enter (or a signal), then prints totals.
# Enter goes in 3 s after it says it is forwarding ("Press enter to exit"),
# not 3 s after launch: on a loaded machine the EAL can take that long to
# come up, and an early Enter would stop forwarding after a few bursts.
# stdbuf: into a file, testpmd's stdout would sit in its buffer unseen.
run_testpmd() { # extra devargs for port 0
	local log="$private/testpmd.log"
	: >"$log"
	(
		for _ in $(seq 300); do
			grep -q "Press enter to exit" "$log" && break
			sleep 0.2
		done
		sleep 3
		echo
	) | timeout 90 stdbuf -oL dpdk-testpmd -l 0,1 --no-huge -m 512 --no-pci \
		--file-prefix "$prefix" -d "$so" --log-level=pmd.net.wire:info \
		--vdev "net_wire0,link=x$1" --vdev net_wire1,link=x -- \
		--forward-mode=io --auto-start --tx-first --total-num-mbufs=8192 >"$log" 2>&1
	cat "$log"
}
rx_of() { # OUTPUT PORT: RX-packets in testpmd's final forward statistics
	grep -A1 "Forward statistics for port $2 " <<<"$1" | awk '/RX-packets/{print $2}'
}

out=$(run_testpmd "")
grep -qE "net_wire|Link" <<<"$out" || sed 's/^/# /' <<<"$out" | head -20
grep -E "net_wire|Link|Forward statistics|RX-packets" <<<"$out" | sed 's/^/# /'
check "testpmd loaded librte_net_wire.so and probed both ends of link x" \
	'grep -q "port 0 is end 0 of link x" <<<"$out" && grep -q "port 1 is end 1 of link x" <<<"$out"'
check "both links came up" '[ "$(grep -c "Link up" <<<"$out")" -ge 2 ]'
rx0=$(rx_of "$out" 0)
rx1=$(rx_of "$out" 1)
check "io forwarding moved packets both ways (rx ${rx0:-0} on port 0, ${rx1:-0} on port 1)" \
	'[ "${rx0:-0}" -gt 100000 ] && [ "${rx1:-0}" -gt 100000 ]'

out=$(run_testpmd ",loss=50,seed=1")
rx0=$(rx_of "$out" 0)
rx1=$(rx_of "$out" 1)
check "loss=50 on port 0 kills what port 0 sends (port 1 received ${rx1:-?})" \
	'[ -n "$rx1" ] && [ "$rx1" -lt 1000 ]'
check "the other direction is untouched (port 0 received ${rx0:-?})" \
	'[ "${rx0:-0}" -gt 100000 ]'
exit $failed
