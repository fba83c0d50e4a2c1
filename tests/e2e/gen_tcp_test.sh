#!/usr/bin/env bash
# skiff-gen --tcp in one process, without root or NICs: its client stack on
# one end of a net_wire cable, its server stack on the other.
#   - short connections over IPv4: every one completes, the server saw
#     every request, the JSON holds the documented keys, CSV too;
#   - --count opens exactly N connections; --cps paces them;
#   - long download flows over IPv6, and upload flows, every byte checked;
#   - over a lossy, reordering cable, the bytes still arrive intact
#     (retransmissions counted);
#   - a server that is not there: every connection fails, and the exit
#     status says so.
# Usage: gen_tcp_test.sh BUILD_DIR SOURCE_DIR

build=$1
src=$2
source "$src/tests/e2e/lib.sh"
gen="$build/apps/skiff-gen"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n_run=0

[ -x "$gen" ] || skip_all "build $gen first"

# gen_tcp [WIRE_ARGS] -- ARGS...: one run on a fresh cable, its own EAL prefix.
gen_tcp() {
	local wire=""
	if [ "$1" != "--" ]; then
		wire=",$1"
		shift
	fi
	shift
	n_run=$((n_run + 1))
	local cable="gtcp$$x$n_run"
	timeout 120 "$gen" --no-huge --file-prefix "skiff-gen-tcp-$$-$n_run" --quiet \
		--port "net_wire0,link=$cable$wire" --port "net_wire1,link=$cable$wire" "$@"
}

# jcheck FILE PYTHON-EXPRESSION (on d, the parsed JSON): true when it holds.
jcheck() {
	"$py" -c "import json,sys; d=json.load(open('$1')); sys.exit(0 if ($2) else 1)"
}

# run_ok DESCRIPTION OUT ARGS...: gen_tcp exits 0.
run_ok() {
	local what=$1 out=$2
	shift 2
	if gen_tcp "$@" >"$out" 2>&1; then
		ok "$what"
	else
		not_ok "$what"
		sed 's/^/# /' "$out"
	fi
}

# 1. Short connections, IPv4.
run_ok "tcp short over IPv4 for 2 s" "$tmp/a.out" -- --tcp short --conns 32 --duration 2 \
	--json "$tmp/a.json" --csv "$tmp/a.csv"
check "the JSON is valid and names the mode" jcheck "$tmp/a.json" \
	"d['tool'] == 'skiff-gen' and d['mode'] == 'tcp-short' and d['profile']['request_bytes'] == 64 and [p['role'] for p in d['ports']] == ['tcp-client', 'tcp-server']"
check "connections completed, none failed" jcheck "$tmp/a.json" \
	"d['client']['completed'] > 100 and d['client']['failures'] == 0 and d['client']['opened'] == d['client']['established'] == d['client']['completed']"
check "one transaction per connection; the server answered each" jcheck "$tmp/a.json" \
	"d['client']['transactions'] == d['client']['completed'] == d['server']['transactions'] == d['server']['accepted']"
check "payload counted both ways, every byte" jcheck "$tmp/a.json" \
	"d['client']['bytes_sent'] == 64 * d['client']['completed'] == d['server']['bytes_received'] and d['client']['bytes_received'] == d['server']['bytes_sent']"
check "connect and transaction latency percentiles" jcheck "$tmp/a.json" \
	"all(0 < d['client'][k]['p50'] <= d['client'][k]['p99'] <= d['client'][k]['max'] and d['client'][k]['samples'] == d['client']['completed'] for k in ['connect_ns', 'transaction_ns'])"
check "the CSV has a header and one row" test "$(wc -l <"$tmp/a.csv")" -eq 2
check "the table reports connections and goodput" grep -q "completed (.*/s), 0 failed" "$tmp/a.out"

# 2. --count N opens exactly N, paced by --cps.
run_ok "tcp short --count 300 --cps 1000" "$tmp/b.out" -- --tcp short --count 300 --cps 1000 \
	--conns 16 --request 10 --response 2000 --json "$tmp/b.json"
check "exactly 300 connections, all completed" jcheck "$tmp/b.json" \
	"d['client']['opened'] == 300 and d['client']['completed'] == 300 and d['server']['accepted'] == 300"
check "--cps paced them: 300 at 1000/s took at least 0.29 s" jcheck "$tmp/b.json" \
	"d['duration_s'] >= 0.29"
check "2000-byte responses, every byte checked" jcheck "$tmp/b.json" \
	"d['client']['bytes_received'] == 300 * 2000"

# 3. Long download flows over IPv6.
run_ok "tcp long: 4 download flows over IPv6" "$tmp/c.out" -- --tcp long --conns 4 \
	--request 100 --response 1048576 --duration 2 --src 2001:2::1 --dst 2001:2::2 \
	--json "$tmp/c.json"
check "4 flows, many 1 MiB transactions, intact" jcheck "$tmp/c.json" \
	"d['client']['opened'] == 4 and d['client']['failures'] == 0 and d['client']['transactions'] >= 4 and d['client']['bytes_received'] >= 4 * 1048576 and d['client']['download_bps'] > 0"

# 4. Upload flows.
run_ok "tcp long: 2 upload flows" "$tmp/d.out" -- --tcp long --conns 2 --request 65536 \
	--response 0 --duration 1 --json "$tmp/d.json"
check "the server received and checked what the client sent" jcheck "$tmp/d.json" \
	"0 < d['server']['bytes_received'] <= d['client']['bytes_sent'] and d['server']['transactions'] >= 1 and d['server']['bytes_received'] >= 65536 * d['server']['transactions'] and d['server']['corrupted'] == 0 and d['client']['bytes_received'] == 0"

# 5. An impaired cable: retransmissions, intact bytes.
run_ok "tcp short over a cable with 2% loss and reordering" "$tmp/e.out" \
	"loss=2,reorder=10,seed=3" -- --tcp short --count 200 --conns 16 --request 3000 \
	--response 20000 --timeout 20 --json "$tmp/e.json"
check "every connection completed, intact, with retransmissions" jcheck "$tmp/e.json" \
	"d['client']['completed'] == 200 and d['client']['failures'] == 0 and d['client']['retransmits'] + d['server']['retransmits'] > 0 and d['server']['corrupted'] == 0"

# 6. The client alone, on a cable with nobody at the other end: every
# connection fails (no ARP answer, so no handshake), and the exit status
# says so.
rc=0
timeout 60 "$gen" --no-huge --file-prefix "skiff-gen-tcp-$$-alone" --quiet \
	--port "net_wire0,link=alone$$" --tcp short --count 5 --conns 5 --timeout 2 \
	--json "$tmp/f.json" >"$tmp/f.out" 2>&1 || rc=$?
if [ $rc -eq 1 ] && grep -q "no connection completed" "$tmp/f.out" &&
	jcheck "$tmp/f.json" "d['client']['completed'] == 0 and d['client']['failures'] == 5 and 'server' not in d"; then
	ok "no server: 5 connections fail, exit status 1"
else
	not_ok "no server: 5 connections fail, exit status 1 (exit $rc)"
	sed 's/^/# /' "$tmp/f.out"
fi

echo "1..$tap_n"
exit $tap_failed
