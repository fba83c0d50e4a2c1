# Helpers for the TCP scenarios, on top of lib.sh (source that first).
#
# A scenario has a skiff app on a tap (sk0) in namespace $NS, and the Linux
# kernel's end in namespace $KSIDE:
#
#   new_env direct   the kernel uses sk0 itself: KSIDE=$NS;
#   new_env relay    the kernel is in its own namespace behind impair_relay.py
#                    (loss, reordering, duplication both ways): KSIDE=$NS-k.
#
# Then start the kernel's server in $KSIDE if the app connects, launch_node
# APP [options] to start the app, and wire_kernel to give the kernel its
# addresses (198.18.0.1, 2001:2::1; skiff is 198.18.0.2, 2001:2::2).
# Everything made here is torn down at exit.

env_n=0
ENVS=()
BG_PIDS=()
RELAY_LOG=""
KSIDE=""
MODE=""
NODE_WRAP=""
IMPAIR="--loss 0.02 --reorder 0.25 --dup 0.01 --seed 7"

tcp_cleanup() {
	local p n
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	cleanup
	for n in "${ENVS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	[ -n "$RELAY_LOG" ] && rm -f "$RELAY_LOG"
	true
}
trap tcp_cleanup EXIT

# new_env direct|relay
new_env() {
	MODE=$1
	env_n=$((env_n + 1))
	NS="skiff-e2e-$$-$env_n"
	PREFIX="$NS"
	ip netns add "$NS" || return 1
	ip -n "$NS" link set lo up
	ENVS+=("$NS")
	KSIDE=$NS
	if [ "$MODE" = relay ]; then
		KSIDE="$NS-k"
		ip netns add "$KSIDE" || return 1
		ip -n "$KSIDE" link set lo up
		ENVS+=("$KSIDE")
	fi
}

in_kernel() { ip netns exec "$KSIDE" "$@"; }

# launch_node APP [options]: the app on net_tap sk0 in $NS (under $NODE_WRAP,
# e.g. "timeout -s INT 200"); waits for the tap and the stack (the telemetry
# line), fails if the app died first.
launch_node() {
	local app=$1
	shift
	[ -n "$NODE_LOG" ] && rm -f "$NODE_LOG"
	NODE_LOG=$(mktemp)
	ip netns exec "$NS" $NODE_WRAP "$app" --port net_tap0,iface=sk0 --addr 198.18.0.2/24 \
		--addr 2001:2::2/64 --file-prefix "$PREFIX" "$@" >"$NODE_LOG" 2>&1 &
	NODE_PID=$!
	local i
	for i in $(seq 150); do
		ip -n "$NS" link show sk0 >/dev/null 2>&1 && grep -q telemetry "$NODE_LOG" && return 0
		kill -0 "$NODE_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wire_kernel: the kernel's addresses, on sk0 (direct) or behind the relay.
wire_kernel() {
	local dev=sk0
	if [ "$MODE" = relay ]; then
		dev=kt0
		# The kernel end of skiff's tap only carries frames: no addresses, no IPv6.
		ip netns exec "$NS" sysctl -qw net.ipv6.conf.sk0.disable_ipv6=1
		ip -n "$NS" link set sk0 up
		RELAY_LOG=${RELAY_LOG:-$(mktemp)}
		ip netns exec "$NS" /usr/bin/python3 "$src/tests/e2e/impair_relay.py" --skiff-if sk0 \
			--kernel-tap kt0 --kernel-netns "$KSIDE" $IMPAIR --duration 500 \
			>"$RELAY_LOG" 2>&1 &
		BG_PIDS+=($!)
		local i
		for i in $(seq 100); do
			grep -q ready "$RELAY_LOG" && break
			sleep 0.1
		done
		grep -q ready "$RELAY_LOG" || return 1
	fi
	ip -n "$KSIDE" addr add 198.18.0.1/24 dev $dev &&
		ip -n "$KSIDE" -6 addr add 2001:2::1/64 dev $dev nodad &&
		ip -n "$KSIDE" link set $dev up
}

# relay_stats: the relay's counters as TAP comments (after it stopped).
relay_stats() {
	[ -n "$RELAY_LOG" ] && grep impair_relay: "$RELAY_LOG" | sed 's/^/# /'
	true
}

# end_env: stop the relay and the app (SIGINT), delete the namespaces.
end_env() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	BG_PIDS=()
	relay_stats
	if [ -n "$NODE_PID" ]; then
		kill -INT "$NODE_PID" 2>/dev/null
		wait "$NODE_PID" 2>/dev/null
		NODE_PID=""
	fi
	ip netns del "$NS" 2>/dev/null
	[ "$KSIDE" != "$NS" ] && ip netns del "$KSIDE" 2>/dev/null
	[ -n "$RELAY_LOG" ] && : >"$RELAY_LOG"
	true
}
