#!/usr/bin/env bash
# net_wire (no impairment) against net_ring, side by side in one run:
# dpdk-testpmd forwarding with one forwarding lcore over each pair of
# ports, for each forwarding mode given. Prints Mpps (both ports' Rx-pps
# added up, averaged over the samples after the first) and the ratio.
#
# Usage: perf/net_wire_vs_ring.sh [BUILD_DIR] [SECONDS] [MODES]
#   BUILD_DIR  where drivers/librte_net_wire.so is (default: build)
#   SECONDS    per run (default: 6)
#   MODES      testpmd forward modes (default: "io macswap"): io never
#              touches a packet, macswap reads and writes each one, as a
#              real application does.
#
# net_ring ports loop back to themselves; two net_wire ports are cabled
# to each other. Either way every packet is received and sent once per hop
# by the same lcore. Runs without hugepages (--no-huge), as CI does: each
# first touch of an mbuf then costs more than with hugepages, which weighs
# on net_wire (it writes the receive fields a NIC writes) and not on
# net_ring (it never touches an mbuf).
set -euo pipefail
build=${1:-build}
secs=${2:-6}
modes=${3:-io macswap}
so="$build/drivers/librte_net_wire.so"
[ -f "$so" ] || { echo "no $so: build first (ninja -C $build)"; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "no dpdk-testpmd: apt-get install dpdk"; exit 1; }

mpps() { # MODE VDEV-ARGS...: mean forwarded Mpps
	local mode=$1 prefix="nw-perf-$$-$RANDOM"
	shift
	local out
	out=$(timeout -s INT "$secs" dpdk-testpmd -l 0,1 --no-huge \
		-m 512 --no-pci --file-prefix "$prefix" "$@" -- --forward-mode="$mode" \
		--auto-start --tx-first --total-num-mbufs=8192 --stats-period 1 </dev/null 2>&1 || true)
	rm -rf "/var/run/dpdk/$prefix"
	# Each stats period prints one "Rx-pps:" line per port, port 0 first.
	grep -o "Rx-pps: *[0-9]*" <<<"$out" | awk '{print $2}' | paste - - |
		awk 'NR > 2 { s += $1 + $2; n++ } END { if (n) printf "%.1f", s / n / 1e6; else print "nan" }'
}

printf "%-8s %12s %12s %8s\n" mode "net_ring" "net_wire" "ratio"
for mode in $modes; do
	ring=$(mpps "$mode" --vdev net_ring0 --vdev net_ring1)
	wire=$(mpps "$mode" -d "$so" --vdev net_wire0,link=perf --vdev net_wire1,link=perf)
	ratio=$(awk -v w="$wire" -v r="$ring" 'BEGIN { if (r > 0) printf "%.2f", w / r; else print "nan" }')
	printf "%-8s %9s Mpps %7s Mpps %8s\n" "$mode" "$ring" "$wire" "$ratio"
done
