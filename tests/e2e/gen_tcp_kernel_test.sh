#!/usr/bin/env bash
# skiff-gen --tcp against the Linux kernel's TCP, over net_tap in a network
# namespace (tcp_lib.sh); the kernel's end is gen_tcp_peer.py:
#   - skiff-gen as the client: short connections to a kernel server, over
#     IPv4 and IPv6; the kernel checks every request, skiff-gen every
#     response; both count the same connections;
#   - skiff-gen as the server (--tcp-role server): a kernel client's
#     connections, each answered and checked.
# Usage: gen_tcp_kernel_test.sh BUILD_DIR SOURCE_DIR

build=$1
src=$2
shift 2
source "$src/tests/e2e/lib.sh"
source "$src/tests/e2e/tcp_lib.sh"
require_tap
gen="$build/apps/skiff-gen"
peer="$src/tests/e2e/gen_tcp_peer.py"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; tcp_cleanup' EXIT
[ -x "$gen" ] || skip_all "build $gen first"

jcheck() {
	"$py" -c "import json,sys; d=json.load(open('$1')); sys.exit(0 if ($2) else 1)"
}

# launch_gen LOG ARGS...: skiff-gen on net_tap sk0 in $NS; returns once the
# tap exists and the kernel side has its addresses.
launch_gen() {
	local log=$1 i
	shift
	ip netns exec "$NS" timeout -s INT 120 "$gen" --no-huge --file-prefix "$PREFIX" --quiet \
		--port net_tap0,iface=sk0 "$@" >"$log" 2>&1 &
	NODE_PID=$!
	for i in $(seq 150); do
		ip -n "$NS" link show sk0 >/dev/null 2>&1 && break
		kill -0 "$NODE_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	wire_kernel
}

# client FAMILY SRC DST: skiff-gen connects 200 times to the kernel.
client() {
	local what="skiff-gen client -> kernel server over $1" srv rc=0 spid
	new_env direct || return 1
	srv="$tmp/srv-$1.log"
	in_kernel timeout 120 "$py" "$peer" serve 5003 64 1000 --conns 200 --duration 100 >"$srv" 2>&1 &
	spid=$!
	for i in $(seq 50); do
		grep -q listening "$srv" && break
		sleep 0.1
	done
	if ! launch_gen "$tmp/gen-$1.log" --src "$2" --dst "$3" --dport 5003 --tcp short \
		--count 200 --conns 8 --request 64 --response 1000 --timeout 10 \
		--json "$tmp/c-$1.json"; then
		not_ok "$what (setup failed)"
		end_env
		return
	fi
	wait "$NODE_PID" || rc=$?
	NODE_PID=""
	wait "$spid"
	if [ $rc -eq 0 ] && jcheck "$tmp/c-$1.json" \
		"d['client']['completed'] == 200 and d['client']['failures'] == 0 and d['client']['bytes_received'] == 200 * 1000" &&
		grep -q "^accepted 200 transactions 200 corrupted 0" "$srv"; then
		ok "$what: 200 connections, every byte checked on both ends"
	else
		not_ok "$what (exit $rc)"
		sed 's/^/# /' "$tmp/gen-$1.log" "$srv"
	fi
	end_env
}

client IPv4 198.18.0.2/24 198.18.0.1
client IPv6 2001:2::2/64 2001:2::1

# skiff-gen as the server: a kernel client connects 100 times.
server() {
	local what="kernel client -> skiff-gen server (--tcp-role server)" out rc=0
	new_env direct || return 1
	if ! launch_gen "$tmp/gen-srv.log" --tcp-role server --tcp short --dst 198.18.0.2/24 \
		--dport 5004 --request 64 --response 1000 --json "$tmp/s.json"; then
		not_ok "$what (setup failed)"
		end_env
		return
	fi
	out=$(in_kernel timeout 60 "$py" "$peer" client 198.18.0.2 5004 64 1000 --count 100)
	# To skiff-gen itself: timeout(1) would pass SIGINT on to its process
	# group as well, and a second SIGINT means "die now".
	kill -INT $(pgrep -P "$NODE_PID")
	wait "$NODE_PID" || rc=$?
	NODE_PID=""
	if [ "$out" = "completed 100 failed 0" ] && [ $rc -eq 0 ] && jcheck "$tmp/s.json" \
		"d['server']['accepted'] == 100 and d['server']['transactions'] == 100 and d['server']['corrupted'] == 0 and 'client' not in d"; then
		ok "$what: 100 connections answered"
	else
		not_ok "$what: kernel client said '$out', exit $rc"
		sed 's/^/# /' "$tmp/gen-srv.log"
	fi
	end_env
}
server

echo "1..$tap_n"
exit $tap_failed
