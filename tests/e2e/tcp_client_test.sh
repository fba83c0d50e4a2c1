#!/usr/bin/env bash
# skiff's TCP against the Linux kernel's, with skiff-nc over net_tap:
# - active open: skiff-nc --connect sends 64 MiB of the test pattern to a
#   kernel server (tcp_peer.py serve), which checks its sha256 and answers;
# - passive open: a kernel client (tcp_peer.py send) sends 64 MiB to
#   skiff-nc --listen --sha256;
# over IPv4 and IPv6, and again through impair_relay.py (2% loss, 25%
# reordering, 1% duplication, both directions).
# Usage: tcp_client_test.sh BUILD_DIR SOURCE_DIR [skiff options]

build=$1
src=$2
shift 2
source "$src/tests/e2e/lib.sh"
source "$src/tests/e2e/tcp_lib.sh"
require_tap
if [ "${1:-}" = "--lcores" ] && [ "$(nproc)" -lt 2 ]; then
	skip_all "needs 2 CPUs for --lcores $2"
fi

big=67108864
want=$(/usr/bin/python3 "$src/tests/e2e/pattern_sha256.py" $big)
peer="$src/tests/e2e/tcp_peer.py"
nc="$build/apps/skiff-nc"
NODE_WRAP="timeout -s INT 300"

# upload MODE KERNEL_ADDR [skiff options]
upload() {
	local mode=$1 addr=$2 srv spid rc=0 i
	shift 2
	new_env "$mode" || return 1
	srv=$(mktemp)
	in_kernel timeout 300 /usr/bin/python3 "$peer" serve 5001 --timeout 240 >"$srv" 2>&1 &
	spid=$!
	for i in $(seq 50); do
		grep -q listening "$srv" && break
		sleep 0.1
	done
	if ! launch_node "$nc" --connect "$addr" 5001 --send-bytes $big "$@" || ! wire_kernel; then
		echo "# setup failed"
		end_env
		return 1
	fi
	wait "$NODE_PID" || rc=$?
	NODE_PID=""
	wait "$spid"
	local got reply
	got=$(grep -v listening "$srv" | cut -d' ' -f1,2) # without the peer's address
	reply=$(grep '^received' "$NODE_LOG")
	grep '^skiff-nc: sent' "$NODE_LOG" | sed 's/^/# /'
	rm -f "$srv"
	end_env
	[ "$got" = "$big $want" ] && [ "$reply" = "received $big $want" ] && [ $rc -eq 0 ] || {
		echo "# kernel server: '$got'; skiff-nc got '$reply', exit $rc"
		grep -v '^\[' "$NODE_LOG" | tail -15 | sed 's/^/# /'
		return 1
	}
}

# download MODE SKIFF_ADDR [skiff options]
download() {
	local mode=$1 addr=$2 rc=0 i
	shift 2
	new_env "$mode" || return 1
	if ! launch_node "$nc" --listen 5002 --send-bytes 0 --sha256 "$@" || ! wire_kernel; then
		echo "# setup failed"
		end_env
		return 1
	fi
	for i in $(seq 50); do
		grep -q "listening on port" "$NODE_LOG" && break
		sleep 0.1
	done
	in_kernel timeout 300 /usr/bin/python3 "$peer" send "$addr" 5002 $big --timeout 240 >/dev/null
	local sent=$?
	wait "$NODE_PID" || rc=$?
	NODE_PID=""
	local got
	got=$(grep -E '^[0-9]+ [0-9a-f]{64}$' "$NODE_LOG")
	grep '^skiff-nc: sent' "$NODE_LOG" | sed 's/^/# /'
	end_env
	[ "$got" = "$big $want" ] && [ $rc -eq 0 ] && [ $sent -eq 0 ] || {
		echo "# skiff-nc printed '$got', exit $rc; the kernel's sender exited $sent"
		grep -v '^\[' "$NODE_LOG" | tail -15 | sed 's/^/# /'
		return 1
	}
}

echo "1..8"
check "skiff-nc --connect 198.18.0.1: 64 MiB to a Linux server, sha256 matches" upload direct 198.18.0.1 "$@"
check "skiff-nc --connect 2001:2::1: 64 MiB to a Linux server, sha256 matches" upload direct 2001:2::1 "$@"
check "a Linux client sends 64 MiB to skiff-nc --listen over IPv4, sha256 matches" download direct 198.18.0.2 "$@"
check "a Linux client sends 64 MiB to skiff-nc --listen over IPv6, sha256 matches" download direct 2001:2::2 "$@"
check "impaired (2% loss, reordering, duplication): skiff-nc --connect 198.18.0.1, 64 MiB intact" upload relay 198.18.0.1 "$@"
check "impaired: skiff-nc --connect 2001:2::1, 64 MiB intact" upload relay 2001:2::1 "$@"
check "impaired: a Linux client sends 64 MiB to skiff-nc --listen over IPv4, intact" download relay 198.18.0.2 "$@"
check "impaired: a Linux client sends 64 MiB to skiff-nc --listen over IPv6, intact" download relay 2001:2::2 "$@"
exit $tap_failed
