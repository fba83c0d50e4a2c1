#!/usr/bin/env bash
# The Linux kernel's own ping against skiff over net_tap, IPv4 and IPv6;
# malformed frames from scapy counted under named drop reasons; the stack
# still answering afterwards; telemetry readable with dpdk-telemetry.py.
# Usage: ping_test.sh BUILD_DIR SOURCE_DIR [skiff-node options, e.g. --lcores 0-1]

build=$1
src=$2
shift 2
source "$src/tests/e2e/lib.sh"
require_tap
if [ "${1:-}" = "--lcores" ] && [ "$(nproc)" -lt 2 ]; then
	skip_all "needs 2 CPUs for --lcores $2"
fi

echo "1..10"
PCAP=$(mktemp --suffix=.pcapng)
if ! start_node "$build/apps/skiff-node" --pcap "$PCAP" "$@"; then
	not_ok "skiff-node starts on net_tap"
	exit 1
fi
check "skiff-node starts on net_tap" kill -0 "$NODE_PID"

# -w: wait up to 20 s for all N replies, so a busy machine delays but never fails them.
ping4() { in_ns ping -c "$1" -i 0.05 -w 20 198.18.0.2 | grep -q " 0% packet loss"; }
ping6() { in_ns ping -6 -c "$1" -i 0.05 -w 20 2001:2::2 | grep -q " 0% packet loss"; }
check "kernel ping -c 20 198.18.0.2: 0% loss" ping4 20
check "kernel ping -6 -c 20 2001:2::2: 0% loss" ping6 20

mac=$(in_ns ip neigh show 198.18.0.2 | awk '{print $5}')
check "kernel learned skiff's MAC by ARP ($mac)" test -n "$mac"

check "malformed frames are each counted under their drop reason" \
	in_ns /usr/bin/python3 "$src/tests/e2e/malformed.py" sk0 "$mac" "$PREFIX"
check "skiff still alive after malformed frames" kill -0 "$NODE_PID"
check "kernel ping still answered after malformed frames (IPv4 and IPv6)" \
	bash -c "$(declare -f in_ns ping4 ping6); NS=$NS; ping4 5 && ping6 5"

tel=$(echo /skiff/stats | timeout 10 dpdk-telemetry.py -f "$PREFIX" 2>&1)
check "dpdk-telemetry.py reads /skiff/stats" grep -q '"echo_replies_sent"' <<<"$tel"

stop_node
rc=$?
check "SIGINT stops skiff-node cleanly (exit $rc) with final stats" \
	bash -c "[ $rc -eq 0 ] && grep -q 'drop ipv4_bad_checksum' '$NODE_LOG'"
replies=$(tshark -r "$PCAP" -Y "icmp.type == 0 || icmpv6.type == 129" 2>/dev/null | wc -l)
check "tshark reads the --pcap capture ($replies echo replies)" test "$replies" -ge 50
rm -f "$PCAP"
[ $tap_failed -eq 0 ] || { echo "# skiff-node log:"; sed 's/^/# /' "$NODE_LOG"; }
exit $tap_failed
