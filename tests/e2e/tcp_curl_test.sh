#!/usr/bin/env bash
# skiff-httpd against the Linux kernel's TCP over net_tap: curl downloads
# 64 MiB over IPv4 and IPv6 and the sha256 matches the test pattern (computed
# independently by pattern_sha256.py); GET /, HEAD, 404/400/405/431, HTTP/1.0,
# keep-alive (one connection for two URLs), pipelining, wget, concurrent
# clients; then the 64 MiB downloads again through an impaired path: 2% loss,
# 25% reordering and 1% duplication, with netem on the kernel side where the
# kernel has sch_netem, and otherwise (and also) through impair_relay.py, a
# lossy relay between skiff's tap and a second namespace, in both directions.
# Usage: tcp_curl_test.sh BUILD_DIR SOURCE_DIR [skiff-httpd options]

build=$1
src=$2
shift 2
source "$src/tests/e2e/lib.sh"
require_tap
command -v curl >/dev/null || skip_all "needs curl (apt-get install curl)"
command -v wget >/dev/null || skip_all "needs wget (apt-get install wget)"

big=67108864
want_big=$(/usr/bin/python3 "$src/tests/e2e/pattern_sha256.py" $big)
want_1m=$(/usr/bin/python3 "$src/tests/e2e/pattern_sha256.py" 1048576)

NS2=""
RELAY_PID=""
RELAY_LOG=$(mktemp)
more_cleanup() {
	[ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null
	cleanup
	[ -n "$NS2" ] && ip netns del "$NS2" 2>/dev/null
	rm -f "$RELAY_LOG"
	true
}
trap more_cleanup EXIT

# sha_of NS URL: the sha256 of the body curl got (or of nothing).
sha_of() {
	ip netns exec "$1" curl -sS --max-time 180 -o - "$2" | sha256sum | cut -d' ' -f1
}
# expect_sha WANT NS URL
expect_sha() {
	local got
	got=$(sha_of "$2" "$3")
	[ "$got" = "$1" ] || { echo "# $3: sha256 $got, want $1"; return 1; }
}
# status_of URL [curl args]: the HTTP status code.
status_of() {
	local url=$1
	shift
	in_ns curl -s --max-time 20 -o /dev/null -w '%{http_code}' "$@" "$url"
}
expect_eq() { # WANT GOT
	[ "$1" = "$2" ] || { echo "# got '$2', want '$1'"; return 1; }
}
# raw ADDR REQUEST: send REQUEST (Python escapes allowed) on one connection
# and print the status lines of everything that comes back until the close.
raw() {
	in_ns /usr/bin/python3 - "$@" <<'PY'
import re, socket, sys
addr, req = sys.argv[1], sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
s = socket.create_connection((addr, 80), timeout=10)
s.sendall(req)
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
for status in re.findall(rb"HTTP/1\.1 [0-9]{3} [^\r]*", data):
    print(status.decode())
PY
}
keepalive() {
	local out
	out=$(in_ns curl -sv --max-time 20 -o /dev/null -o /dev/null \
		"http://$1/bytes/1000" "http://$1/" 2>&1)
	echo "$out" | grep -q "Re-using existing connection" &&
		[ "$(echo "$out" | grep -c '< HTTP/1.1 200 OK')" -eq 2 ] ||
		{ echo "$out" | sed 's/^/# /' | tail -20; return 1; }
}
concurrent() {
	local i pids=() dir
	dir=$(mktemp -d)
	for i in $(seq 20); do
		in_ns curl -sS --max-time 60 -o "$dir/$i" "http://198.18.0.2/bytes/1048576" &
		pids+=($!)
	done
	wait "${pids[@]}"
	local bad=0
	for i in $(seq 20); do
		[ "$(sha256sum <"$dir/$i" | cut -d' ' -f1)" = "$want_1m" ] || bad=$((bad + 1))
	done
	rm -rf "$dir"
	[ $bad -eq 0 ] || { echo "# $bad of 20 downloads differ"; return 1; }
}
head_request() {
	local out
	out=$(in_ns curl -sSI --max-time 20 "http://198.18.0.2/bytes/$big")
	echo "$out" | grep -q "^HTTP/1.1 200" && echo "$out" | grep -qi "^Content-Length: $big"
}
http10() {
	local out
	out=$(in_ns curl -sS -0 -D - -o /dev/null --max-time 20 "http://198.18.0.2/")
	echo "$out" | grep -qi "^Connection: close" || { echo "# $out"; return 1; }
}

# start_impaired: skiff-httpd on a tap in $NS, the kernel's curl in $NS2,
# impair_relay.py between them with loss, reordering and duplication.
start_impaired() {
	NS="skiff-e2e-$$-i"
	NS2="skiff-e2e-$$-k"
	NODE_LOG=$(mktemp)
	ip netns add "$NS" && ip netns add "$NS2" || return 1
	ip -n "$NS" link set lo up
	ip -n "$NS2" link set lo up
	ip netns exec "$NS" "$build/apps/skiff-httpd" --port net_tap0,iface=sk0 \
		--addr 198.18.0.2/24 --addr 2001:2::2/64 --file-prefix "skiff-e2e-$$-i" \
		--duration 600 "$@" >"$NODE_LOG" 2>&1 &
	NODE_PID=$!
	local i
	for i in $(seq 100); do
		ip -n "$NS" link show sk0 >/dev/null 2>&1 && grep -q telemetry "$NODE_LOG" && break
		kill -0 "$NODE_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	# The kernel end of skiff's tap only carries frames: no addresses, no IPv6.
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.sk0.disable_ipv6=1
	ip -n "$NS" link set sk0 up
	ip netns exec "$NS" /usr/bin/python3 "$src/tests/e2e/impair_relay.py" --skiff-if sk0 \
		--kernel-tap kt0 --kernel-netns "$NS2" --loss 0.02 --reorder 0.25 --dup 0.01 \
		--seed 7 --duration 500 >"$RELAY_LOG" 2>&1 &
	RELAY_PID=$!
	for i in $(seq 100); do
		grep -q ready "$RELAY_LOG" && break
		kill -0 "$RELAY_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	ip -n "$NS2" addr add 198.18.0.1/24 dev kt0 &&
		ip -n "$NS2" -6 addr add 2001:2::1/64 dev kt0 nodad &&
		ip -n "$NS2" link set kt0 up
}

echo "1..22"
if ! start_node "$build/apps/skiff-httpd" "$@"; then
	not_ok "skiff-httpd starts on net_tap"
	exit 1
fi
check "skiff-httpd starts on net_tap" kill -0 "$NODE_PID"
check "GET / over IPv4 is the index page" \
	bash -c "ip netns exec $NS curl -sS --max-time 20 http://198.18.0.2/ | grep -q '<h1>skiff-httpd</h1>'"
check "curl: 64 MiB over IPv4, sha256 matches" expect_sha "$want_big" "$NS" "http://198.18.0.2/bytes/$big"
check "curl: 64 MiB over IPv6, sha256 matches" expect_sha "$want_big" "$NS" "http://[2001:2::2]/bytes/$big"
check "keep-alive: two URLs on one connection (Re-using existing connection)" keepalive 198.18.0.2
check "keep-alive over IPv6" keepalive "[2001:2::2]"
check "HEAD /bytes/$big: 200 and its Content-Length, no body" head_request
check "GET /nope: 404" expect_eq 404 "$(status_of http://198.18.0.2/nope)"
check "GET /bytes/1073741825 (over 1 GiB): 400" expect_eq 400 "$(status_of http://198.18.0.2/bytes/1073741825)"
check "GET /bytes/12x: 400" expect_eq 400 "$(status_of http://198.18.0.2/bytes/12x)"
check "DELETE /: 405" expect_eq 405 "$(status_of http://198.18.0.2/ -X DELETE)"
check "POST / with a body: 405" expect_eq 405 "$(status_of http://198.18.0.2/ -d hello)"
check "a 9 KB header: 431" expect_eq 431 "$(status_of http://198.18.0.2/ -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)")"
check "HTTP/1.0 without keep-alive: Connection: close" http10
check "two pipelined requests in one write get two answers" \
	expect_eq $'HTTP/1.1 200 OK\nHTTP/1.1 200 OK' \
	"$(raw 198.18.0.2 'GET /bytes/5 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')"
check "a malformed request line: 400" expect_eq "HTTP/1.1 400 Bad Request" "$(raw 198.18.0.2 'GARBAGE\r\n\r\n')"
check "wget: 1 MiB, sha256 matches" \
	expect_eq "$want_1m" "$(in_ns wget -q -T 20 -O - http://198.18.0.2/bytes/1048576 | sha256sum | cut -d' ' -f1)"
check "20 concurrent curl downloads of 1 MiB all match" concurrent

# netem on the kernel side, where this kernel has it: it impairs what the
# kernel sends (requests and ACKs).
if in_ns tc qdisc add dev sk0 root netem loss 2% reorder 25% 50% duplicate 1% delay 1ms 2>/dev/null; then
	check "netem (2% loss, reordering, duplication): 64 MiB over IPv4, sha256 matches" \
		expect_sha "$want_big" "$NS" "http://198.18.0.2/bytes/$big"
	check "netem: 64 MiB over IPv6, sha256 matches" \
		expect_sha "$want_big" "$NS" "http://[2001:2::2]/bytes/$big"
	in_ns tc qdisc del dev sk0 root 2>/dev/null
else
	ok "netem: 64 MiB over IPv4 # SKIP this kernel has no sch_netem"
	ok "netem: 64 MiB over IPv6 # SKIP this kernel has no sch_netem"
fi
stop_node
rc=$?
check "SIGINT stops skiff-httpd cleanly (exit $rc)" test $rc -eq 0
log1=$(cat "$NODE_LOG")
rm -f "$NODE_LOG"
ip netns del "$NS"

# The same downloads through impair_relay.py: both directions lose 2% of
# frames, reorder 25% and duplicate 1%.
if start_impaired "$@"; then
	check "impaired path (2% loss, 25% reordering, 1% duplication both ways): 64 MiB over IPv4 and IPv6, sha256 matches" \
		bash -c "[ \"\$(ip netns exec $NS2 curl -sS --max-time 180 http://198.18.0.2/bytes/$big | sha256sum | cut -d' ' -f1)\" = $want_big ] &&
			[ \"\$(ip netns exec $NS2 curl -sS --max-time 180 'http://[2001:2::2]/bytes/$big' | sha256sum | cut -d' ' -f1)\" = $want_big ]"
	kill "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
	RELAY_PID=""
	sed 's/^/# /' "$RELAY_LOG"
	stop_node
else
	not_ok "impaired path: setup failed"
fi
if [ $tap_failed -ne 0 ]; then
	echo "# skiff-httpd logs:"
	{ echo "$log1"; cat "$NODE_LOG"; } | grep -v '^\s*$' | tail -60 | sed 's/^/# /'
fi
exit $tap_failed
