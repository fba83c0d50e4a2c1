#!/usr/bin/env bash
# skiff-tempd against the Linux kernel's UDP over net_tap: `nc -u` and a
# Python socket get "42 C" from 198.18.0.2 and from [2001:2::2] (one dual-stack
# socket serves both); an unknown request gets "ERR unknown request"; a closed
# port answers ICMP port unreachable (a connected kernel socket then sees
# ECONNREFUSED); --reading changes the answer; SIGINT stops it cleanly.
# Usage: tempd_test.sh BUILD_DIR SOURCE_DIR [skiff-tempd options]

build=$1
src=$2
shift 2
source "$src/tests/e2e/lib.sh"
require_tap
command -v nc >/dev/null || skip_all "needs nc -u (apt-get install netcat-openbsd)"
if [ "${1:-}" = "--lcores" ] && [ "$(nproc)" -lt 2 ]; then
	skip_all "needs 2 CPUs for --lcores $2"
fi

# ask ADDRESS [REQUEST] [PORT]: print the reply, or the error a connected
# kernel socket got. Retried, since the first datagram may wait for ARP/NDP.
ask() {
	in_ns /usr/bin/python3 - "$@" <<'PY'
import socket, sys
addr = sys.argv[1]
req = (sys.argv[2] if len(sys.argv) > 2 else "GET_TEMP").encode()
port = int(sys.argv[3]) if len(sys.argv) > 3 else 4000
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.connect((addr, port))
for attempt in range(3):
    try:
        s.send(req)
        print(s.recv(100).decode())
        break
    except ConnectionRefusedError:
        print("ECONNREFUSED")
        break
    except socket.timeout:
        pass
PY
}
# expect WANT COMMAND...: the command prints exactly WANT.
expect() {
	local want=$1 got
	shift
	got=$("$@" 2>&1)
	[ "$got" = "$want" ] || { echo "# got: '$got'"; return 1; }
}
nc_ask() { echo GET_TEMP | in_ns nc -u -w1 "$1" 4000; }

echo "1..10"
if ! start_node "$build/apps/skiff-tempd" "$@"; then
	not_ok "skiff-tempd starts on net_tap"
	exit 1
fi
check "skiff-tempd starts on net_tap" kill -0 "$NODE_PID"
check "python3 GET_TEMP to 198.18.0.2:4000 -> '42 C'" expect "42 C" ask 198.18.0.2
check "python3 GET_TEMP to [2001:2::2]:4000 -> '42 C'" expect "42 C" ask 2001:2::2
check "nc -u 198.18.0.2 4000 -> '42 C'" expect "42 C" nc_ask 198.18.0.2
check "nc -u 2001:2::2 4000 -> '42 C'" expect "42 C" nc_ask 2001:2::2
check "an unknown request gets 'ERR unknown request'" \
	expect "ERR unknown request" ask 198.18.0.2 GET_HUMIDITY
check "closed port 4001 over IPv4: ICMP port unreachable (ECONNREFUSED)" \
	expect ECONNREFUSED ask 198.18.0.2 GET_TEMP 4001
check "closed port 4001 over IPv6: ICMPv6 port unreachable (ECONNREFUSED)" \
	expect ECONNREFUSED ask 2001:2::2 GET_TEMP 4001
stop_node
rc=$?
check "SIGINT stops skiff-tempd cleanly (exit $rc)" test $rc -eq 0
log1=$(cat "$NODE_LOG")
rm -f "$NODE_LOG"

ip netns del "$NS"
if start_node "$build/apps/skiff-tempd" --reading "21.5 C" "$@"; then
	check "--reading '21.5 C' changes the answer" expect "21.5 C" ask 198.18.0.2
	stop_node
else
	not_ok "--reading '21.5 C' changes the answer (no start)"
fi
if [ $tap_failed -ne 0 ]; then
	echo "# skiff-tempd logs:"
	{ echo "$log1"; cat "$NODE_LOG"; } | sed 's/^/# /'
fi
exit $tap_failed
