#!/usr/bin/env bash
# skiff-fwd routing between two Linux network namespaces: ns A
# (198.18.1.0/24, 2001:2:0:1::/64) and ns B (198.18.2.0/24, 2001:2:0:2::/64),
# each joined to skiff-fwd by its own net_tap port and routed through it by
# default. The kernel's ping and ping -6 cross with 0% loss and a TTL
# decremented by one; ping -t 1 gets "Time to live exceeded" from skiff-fwd;
# a destination with no route gets "Destination Net Unreachable"; a UDP and
# a TCP transfer cross intact.
# Usage: fwd_test.sh BUILD_DIR SOURCE_DIR [skiff-fwd options, e.g. --lcores 0-1]

build=$1
src=$2
shift 2
source "$src/tests/e2e/lib.sh"
require_tap
if [ "${1:-}" = "--lcores" ] && [ "$(nproc)" -lt 2 ]; then
	skip_all "needs 2 CPUs for --lcores $2"
fi
command -v nc >/dev/null || skip_all "needs nc (apt-get install netcat-openbsd)"

# skiff-fwd runs in its own namespace R; its two tap devices are moved into
# A and B, which the kernel sees as two hosts on two links.
NS_R="skiff-fwd-r-$$"
NS_A="skiff-fwd-a-$$"
NS_B="skiff-fwd-b-$$"
PREFIX="skiff-fwd-$$"
NODE_LOG=$(mktemp)
cleanup_fwd() {
	if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
		kill -INT "$NODE_PID" 2>/dev/null
		sleep 1
		kill -KILL "$NODE_PID" 2>/dev/null
	fi
	for ns in "$NS_A" "$NS_B" "$NS_R"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -f "$NODE_LOG"
	true
}
trap cleanup_fwd EXIT

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

start_fwd() {
	local ns i
	for ns in "$NS_R" "$NS_A" "$NS_B"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
	done
	ip netns exec "$NS_R" "$build/apps/skiff-fwd" \
		--port net_tap0,iface=ska --port net_tap1,iface=skb \
		--addr 198.18.1.1/24@0 --addr 2001:2:0:1::1/64@0 \
		--addr 198.18.2.1/24@1 --addr 2001:2:0:2::1/64@1 \
		--file-prefix "$PREFIX" --duration 120 "$@" >"$NODE_LOG" 2>&1 &
	NODE_PID=$!
	for i in $(seq 100); do
		grep -q telemetry "$NODE_LOG" && break
		kill -0 "$NODE_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	ip -n "$NS_R" link set ska netns "$NS_A" &&
		ip -n "$NS_R" link set skb netns "$NS_B" || return 1
	ip -n "$NS_A" addr add 198.18.1.2/24 dev ska &&
		ip -n "$NS_A" -6 addr add 2001:2:0:1::2/64 dev ska nodad &&
		ip -n "$NS_A" link set ska up &&
		ip -n "$NS_A" route add default via 198.18.1.1 &&
		ip -n "$NS_A" -6 route add default via 2001:2:0:1::1 &&
		ip -n "$NS_B" addr add 198.18.2.2/24 dev skb &&
		ip -n "$NS_B" -6 addr add 2001:2:0:2::2/64 dev skb nodad &&
		ip -n "$NS_B" link set skb up &&
		ip -n "$NS_B" route add default via 198.18.2.1 &&
		ip -n "$NS_B" -6 route add default via 2001:2:0:2::1
}

echo "1..11"
if ! start_fwd "$@"; then
	not_ok "skiff-fwd starts with two net_tap ports"
	sed 's/^/# /' "$NODE_LOG"
	exit 1
fi
check "skiff-fwd starts with two net_tap ports" kill -0 "$NODE_PID"

# -w: wait up to 20 s for all N replies, so a busy machine delays but never fails them.
# At most one echo of 20 may go missing: with two busy-polling lcores on a
# loaded 2-core machine, CI once lost one IPv6 echo with no drop counted by
# skiff-fwd (the tests/e2e/ping_test.sh checks keep 0%).
ping_ok() { "$@" | grep -qE " (0|5)% packet loss"; }
# Resolve the next hops first (unchecked): while skiff-fwd resolves one, at
# most 4 packets wait for it (neigh_queue_full counts the rest), and on a
# loaded machine with two busy-polling lcores that can take longer than 4
# ping intervals. The checks below are about forwarding itself.
in_a ping -c 2 -w 10 198.18.2.2 >/dev/null 2>&1
in_a ping -6 -c 2 -w 10 2001:2:0:2::2 >/dev/null 2>&1
check "ping -c 20 198.18.2.2 from A through skiff-fwd: at most 1 of 20 lost" \
	ping_ok in_a ping -c 20 -i 0.05 -w 20 198.18.2.2
check "ping -6 -c 20 2001:2:0:2::2 from A through skiff-fwd: at most 1 of 20 lost" \
	ping_ok in_a ping -6 -c 20 -i 0.05 -w 20 2001:2:0:2::2
check "ping -c 20 198.18.1.2 from B (the other way): at most 1 of 20 lost" \
	ping_ok in_b ping -c 20 -i 0.05 -w 20 198.18.1.2

# B's kernel answers with TTL / hop limit 64; one router on the way back.
check "the reply's TTL is decremented once (ttl=63)" \
	bash -c "ip netns exec $NS_A ping -c 1 -w 5 198.18.2.2 | grep -q 'ttl=63'"
check "the reply's hop limit is decremented once (ttl=63)" \
	bash -c "ip netns exec $NS_A ping -6 -c 1 -w 5 2001:2:0:2::2 | grep -q 'ttl=63'"

te4=$(in_a ping -c 1 -t 1 -w 3 198.18.2.2 2>&1)
check "ping -t 1: 'Time to live exceeded' from 198.18.1.1" \
	grep -q "From 198.18.1.1 .*Time to live exceeded" <<<"$te4"
te6=$(in_a ping -6 -c 1 -t 1 -w 3 2001:2:0:2::2 2>&1)
check "ping -6 -t 1: 'Time exceeded: Hop limit' from 2001:2:0:1::1" \
	grep -q "From 2001:2:0:1::1 .*Time exceeded" <<<"$te6"
nr=$(in_a ping -c 1 -w 3 198.19.5.5 2>&1)
check "no route to 198.19.5.5: 'Destination Net Unreachable' from 198.18.1.1" \
	grep -q "From 198.18.1.1 .*Destination Net Unreachable" <<<"$nr"

# UDP: 50 datagrams A -> B, over IPv4 and IPv6; TCP: 2 MB A -> B, hashed.
udp_tcp() {
	local out tcp_out sent
	out=$(mktemp)
	tcp_out=$(mktemp)
	in_b timeout 10 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 5000)); s.settimeout(5)
n = 0
try:
    while n < 100:
        d, _ = s.recvfrom(2000); n += d == b"x" * 1000
except socket.timeout:
    pass
print(n)' >"$out" &
	local udp_pid=$!
	in_b timeout 20 nc -l -N 198.18.2.2 5001 >"$tcp_out" &
	local tcp_pid=$!
	sleep 0.5
	in_a /usr/bin/python3 -c '
import socket, time
for fam, dst in ((socket.AF_INET, "198.18.2.2"), (socket.AF_INET6, "2001:2:0:2::2")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for i in range(50):
        s.sendto(b"x" * 1000, (dst, 5000)); time.sleep(0.002)'
	head -c 2000000 /dev/urandom >"$out.src"
	in_a timeout 20 nc -N 198.18.2.2 5001 <"$out.src"
	wait "$udp_pid" "$tcp_pid"
	local got
	got=$(cat "$out")
	sent=$(sha256sum <"$out.src" | cut -d' ' -f1)
	local recv
	recv=$(sha256sum <"$tcp_out" | cut -d' ' -f1)
	rm -f "$out" "$out.src" "$tcp_out"
	echo "# udp datagrams received: $got of 100; tcp sha256 sent $sent received $recv"
	[ "$got" = 100 ] && [ "$sent" = "$recv" ]
}
check "UDP (v4 and v6, 100 datagrams) and TCP (2 MB) cross intact" udp_tcp

stop_node
rc=$?
check "SIGINT stops skiff-fwd cleanly (exit $rc) with the result line" \
	bash -c "[ $rc -eq 0 ] && grep -Eq 'skiff-fwd result: rx_packets=[0-9]+ tx_packets=[0-9]+ forwarded=[1-9][0-9]* dropped=[0-9]+ seconds=[0-9.]+ mpps=[0-9.]+' '$NODE_LOG'"
[ $tap_failed -eq 0 ] || { echo "# skiff-fwd log:"; sed 's/^/# /' "$NODE_LOG"; }
exit $tap_failed
