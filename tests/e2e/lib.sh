# Shared helpers for the end-to-end scenarios: TAP output, a private network
# namespace with a skiff node on a tap device, and cleanup. Addresses come
# only from the benchmarking ranges 198.18.0.0/15 and 2001:2::/48, and live
# only inside the namespace this script creates.

set -uo pipefail

tap_n=0
tap_failed=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=1; echo "not ok $tap_n - $*"; }
check() { # DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# Skip (with one clear line) where a tap device cannot be made.
require_tap() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root for net_tap and network namespaces (run as root)"
	[ -c /dev/net/tun ] || skip_all "needs /dev/net/tun for net_tap"
	command -v ip >/dev/null || skip_all "needs iproute2 (apt-get install iproute2)"
}

NS=""
NODE_PID=""
NODE_LOG=""
PREFIX=""

cleanup() {
	if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
		kill -INT "$NODE_PID" 2>/dev/null
		sleep 1
		kill -KILL "$NODE_PID" 2>/dev/null
	fi
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	[ -n "$NODE_LOG" ] && rm -f "$NODE_LOG"
	true
}
trap cleanup EXIT

# start_node NODE_BINARY [extra skiff-node args...]
# Creates namespace $NS with tap sk0: the kernel side is 198.18.0.1 and
# 2001:2::1, skiff is 198.18.0.2 and 2001:2::2.
start_node() {
	local node=$1
	shift
	NS="skiff-e2e-$$"
	PREFIX="skiff-e2e-$$"
	NODE_LOG=$(mktemp)
	ip netns add "$NS" || return 1
	ip -n "$NS" link set lo up
	ip netns exec "$NS" "$node" --port net_tap0,iface=sk0 --addr 198.18.0.2/24 \
		--addr 2001:2::2/64 --file-prefix "$PREFIX" --duration 120 "$@" \
		>"$NODE_LOG" 2>&1 &
	NODE_PID=$!
	local i
	for i in $(seq 100); do
		ip -n "$NS" link show sk0 >/dev/null 2>&1 && grep -q telemetry "$NODE_LOG" && break
		kill -0 "$NODE_PID" 2>/dev/null || break
		sleep 0.1
	done
	ip -n "$NS" addr add 198.18.0.1/24 dev sk0 &&
		ip -n "$NS" -6 addr add 2001:2::1/64 dev sk0 nodad &&
		ip -n "$NS" link set sk0 up
}

in_ns() { ip netns exec "$NS" "$@"; }

# Stop the node with SIGINT and wait for it; returns its exit status.
stop_node() {
	kill -INT "$NODE_PID" 2>/dev/null
	local rc=0
	wait "$NODE_PID" || rc=$?
	NODE_PID=""
	return $rc
}
