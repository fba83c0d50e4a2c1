#!/usr/bin/env bash
# skiff-tempd's TCP service on port 4000 against the Linux kernel over
# net_tap: `printf 'GET_TEMP\n' | nc -N` prints "42 C" over IPv4 and IPv6,
# CRLF and a request without a newline are answered too, anything else gets
# "ERR unknown request", the server closes after its answer, concurrent
# clients are all answered, and UDP port 4000 still answers alongside.
# Usage: tcp_tempd_test.sh BUILD_DIR SOURCE_DIR [skiff-tempd options]

build=$1
src=$2
shift 2
source "$src/tests/e2e/lib.sh"
require_tap
command -v nc >/dev/null || skip_all "needs nc (apt-get install netcat-openbsd)"
if [ "${1:-}" = "--lcores" ] && [ "$(nproc)" -lt 2 ]; then
	skip_all "needs 2 CPUs for --lcores $2"
fi

expect() { # WANT COMMAND...: the command prints exactly WANT
	local want=$1 got
	shift
	got=$("$@" 2>&1)
	[ "$got" = "$want" ] || { echo "# got: '$got'"; return 1; }
}
# tcp_ask ADDRESS REQUEST: the kernel's nc sends REQUEST (printf format),
# half-closes (-N) and prints the answer until skiff-tempd closes.
tcp_ask() { printf "$2" | in_ns timeout 10 nc -N -w 5 "$1" 4000; }
# Ten clients at once, over both families; each must get "42 C" and the
# server's FIN (recv returns b"" after the answer).
concurrent() {
	in_ns /usr/bin/python3 - <<'PY'
import socket
socks = []
for i in range(10):
    addr = "198.18.0.2" if i % 2 else "2001:2::2"
    s = socket.create_connection((addr, 4000), timeout=5)
    socks.append(s)
for s in socks:
    s.sendall(b"GET_TEMP\n")
answers = []
for s in socks:
    data = b""
    while True:
        b = s.recv(100)
        if not b:
            break
        data += b
    answers.append(data)
    s.close()
print(sum(a == b"42 C\n" for a in answers))
PY
}

echo "1..9"
if ! start_node "$build/apps/skiff-tempd" "$@"; then
	not_ok "skiff-tempd starts on net_tap"
	exit 1
fi
check "skiff-tempd starts on net_tap" kill -0 "$NODE_PID"
check "nc -N 198.18.0.2 4000, GET_TEMP\\n -> '42 C'" expect "42 C" tcp_ask 198.18.0.2 'GET_TEMP\n'
check "nc -N 2001:2::2 4000, GET_TEMP\\n -> '42 C'" expect "42 C" tcp_ask 2001:2::2 'GET_TEMP\n'
check "GET_TEMP\\r\\n -> '42 C'" expect "42 C" tcp_ask 198.18.0.2 'GET_TEMP\r\n'
check "GET_TEMP without a newline, then FIN -> '42 C'" expect "42 C" tcp_ask 2001:2::2 'GET_TEMP'
check "an unknown request -> 'ERR unknown request'" expect "ERR unknown request" tcp_ask 198.18.0.2 'GET_HUMIDITY\n'
check "10 concurrent TCP clients all get '42 C' and the server's close" expect 10 concurrent
check "UDP port 4000 still answers: nc -u -> '42 C'" \
	expect "42 C" bash -c "echo GET_TEMP | ip netns exec $NS nc -u -w1 198.18.0.2 4000"
stop_node
rc=$?
check "SIGINT stops skiff-tempd cleanly (exit $rc)" test $rc -eq 0
if [ $tap_failed -ne 0 ]; then
	echo "# skiff-tempd logs:"
	grep -v '^\s*$' "$NODE_LOG" | tail -40 | sed 's/^/# /'
fi
exit $tap_failed
