#!/usr/bin/env bash
# skiff-httpd against the Linux kernel's TCP over net_tap: curl downloads
# 64 MiB over IPv4 and IPv6 and the sha256 matches the test pattern (computed
# independently by pattern_sha256.py); GET /, HEAD, 404/400/405/431, HTTP/1.0,
# keep-alive (one connection for two URLs), pipelining, wget, concurrent
# clients, wrk; then the 64 MiB downloads again through an impaired path: 2% loss,
# 25% reordering and 1% duplication, with netem on the kernel side where the
# kernel has sch_netem, and otherwise (and also) through impair_relay.py, a
# lossy relay between skiff's tap and a second namespace, in both directions.
# Usage: tcp_curl_test.sh BUILD_DIR SOURCE_DIR [skiff-httpd options]

build=$1
src=$2
shift 2
source "$src/tests/e2e/lib.sh"
source "$src/tests/e2e/tcp_lib.sh"
require_tap
if [ "${1:-}" = "--lcores" ] && [ "$(nproc)" -lt 2 ]; then
	skip_all "needs 2 CPUs for --lcores $2"
fi
command -v curl >/dev/null || skip_all "needs curl (apt-get install curl)"
command -v wget >/dev/null || skip_all "needs wget (apt-get install wget)"

big=67108864
want_big=$(/usr/bin/python3 "$src/tests/e2e/pattern_sha256.py" $big)
want_1m=$(/usr/bin/python3 "$src/tests/e2e/pattern_sha256.py" 1048576)

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
# wrk: 50 keep-alive connections for 3 s; every answer a 200, no socket error.
wrk_load() {
	local out n
	out=$(in_ns timeout 30 wrk -t1 -c50 -d3s "http://198.18.0.2/bytes/64" 2>&1)
	n=$(echo "$out" | awk '/requests in/ {print $1}')
	echo "$out" | grep -E 'requests in|Requests/sec' | sed 's/^ */# wrk: /'
	[ "${n:-0}" -gt 100 ] && ! echo "$out" | grep -qE 'Non-2xx|Socket errors' ||
		{ echo "$out" | sed 's/^/# /'; return 1; }
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

echo "1..23"
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
if command -v wrk >/dev/null; then
	check "wrk, 50 keep-alive connections for 3 s: only 200s, no socket errors" wrk_load
else
	ok "wrk load # SKIP needs wrk (apt-get install wrk)"
fi

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
impaired() {
	new_env relay && launch_node "$build/apps/skiff-httpd" "$@" && wire_kernel || {
		echo "# setup failed"
		return 1
	}
	local rc=0
	expect_sha "$want_big" "$KSIDE" "http://198.18.0.2/bytes/$big" || rc=1
	expect_sha "$want_big" "$KSIDE" "http://[2001:2::2]/bytes/$big" || rc=1
	end_env
	return $rc
}
check "impaired path (2% loss, 25% reordering, 1% duplication both ways): 64 MiB over IPv4 and IPv6, sha256 matches" impaired "$@"
if [ $tap_failed -ne 0 ]; then
	echo "# skiff-httpd logs:"
	{ echo "$log1"; cat "$NODE_LOG"; } | grep -v '^\s*$' | tail -60 | sed 's/^/# /'
fi
exit $tap_failed
