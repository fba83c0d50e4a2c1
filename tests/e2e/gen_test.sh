#!/usr/bin/env bash
# skiff-gen end to end, without root or NICs: it sends on one end of a
# net_wire cable and its own receiver counts on the other end.
#   - N frames at a fixed rate arrive with 0 loss, 0 duplicates, and latency;
#   - the JSON (--json) is valid and holds the documented keys; CSV too;
#   - IPv6 with address and port ranges, IMIX, a size sweep;
#   - a lossy cable's loss is measured within its model;
#   - pcap replay sends every frame of a capture;
#   - an RFC 2544 search finishes with a loss-free NDR;
#   - startup problems are one line each.
# The TCP mode has its own tests: gen_tcp_test.sh, gen_tcp_kernel_test.sh.
# Usage: gen_test.sh BUILD_DIR SOURCE_DIR

build=$1
src=$2
source "$src/tests/e2e/lib.sh"
gen="$build/apps/skiff-gen"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n_run=0

[ -x "$gen" ] || skip_all "build $gen first"

# gen ARGS...: one run on a fresh cable with its own EAL prefix.
# A deep cable (queue=65536): on a loaded machine the receiving lcore can be
# descheduled for tens of ms, and a clean cable must not tail-drop then.
gen() {
	n_run=$((n_run + 1))
	local cable="gen$$x$n_run"
	timeout 120 "$gen" --no-huge --mem 256 --file-prefix "skiff-gen-e2e-$$-$n_run" --quiet \
		--port "net_wire0,link=$cable,queue=65536${WIRE0:-}" --port "net_wire1,link=$cable" "$@"
}

# Pacing: the rate asked for is a ceiling the generator must never pass
# (+1%); below it, a descheduled sender on a shared machine only loses time,
# so the floor here is a sanity check (paced, not free-running). Pacing
# precision is measured in perf/, not asserted on a noisy machine.

# jcheck FILE PYTHON-EXPRESSION (on d, the parsed JSON): true when it holds.
jcheck() {
	"$py" -c "import json,sys; d=json.load(open('$1')); sys.exit(0 if ($2) else 1)"
}

# 1. N frames at a fixed rate, 0 loss, valid JSON.
if gen --size 64 --rate 100kpps --count 20000 --json "$tmp/a.json" --csv "$tmp/a.csv" \
	>"$tmp/a.out" 2>&1; then
	ok "20000 frames at 100 kpps over a net_wire cable"
else
	not_ok "20000 frames at 100 kpps over a net_wire cable"
	sed 's/^/# /' "$tmp/a.out"
fi
check "the JSON is valid (python3 -m json.tool)" "$py" -m json.tool "$tmp/a.json" /dev/null
check "every frame was sent and received: 0 lost, 0 duplicates" jcheck "$tmp/a.json" \
	"d['tx_packets'] == 20000 and d['rx_packets'] == 20000 and d['lost'] == 0 and d['duplicates'] == 0 and d['reordered'] == 0"
check "JSON has the documented keys" jcheck "$tmp/a.json" \
	"all(k in d for k in ['tool','dpdk_version','ports','lcores','args','duration_s','tx_packets','tx_pps','tx_bps_l1','tx_bps_l2','rx_packets','rx_pps','lost','reordered','duplicates','latency_ns']) and d['tool'] == 'skiff-gen' and d['ports'][0]['devargs'].startswith('net_wire0') and 'link_speed_mbps' in d['ports'][0]"
check "paced: at most 101 kpps (and over 20), L1 > L2" jcheck "$tmp/a.json" \
	"20e3 <= d['tx_pps'] <= 101e3 and d['tx_bps_l1'] > d['tx_bps_l2'] and abs(d['tx_bps_l2'] - d['tx_pps'] * 512) < 1e3"
check "latency percentiles measured for every frame" jcheck "$tmp/a.json" \
	"d['latency_ns']['samples'] == 20000 and 0 < d['latency_ns']['p50'] <= d['latency_ns']['p99'] <= d['latency_ns']['p999'] <= d['latency_ns']['max']"
check "CSV: header and one row" test "$(wc -l <"$tmp/a.csv")" -eq 2
check "the table says L1 and L2" grep -q "L1.*L2" "$tmp/a.out"

# 2. IPv6, ranges, a size sweep, IMIX.
# One lcore: a sweep measures each size in its own window, and on a shared
# 2-core machine a second busy lcore can be descheduled for a second, which
# moves its frames into the next window. Two lanes are covered by the unit
# tests and by scripts/bench.
lcores=0
if gen --lcores "$lcores" --src 2001:2::1-2001:2::8 --dst 2001:2::100 \
	--sport 1000-1003 --dport 9-10 --size 82-1518:500 --count 4000 --rate 50kpps \
	--json "$tmp/b.json" >"$tmp/b.out" 2>&1 &&
	jcheck "$tmp/b.json" "len(d['runs']) == 4 and all(r['lost'] == 0 and r['tx_packets'] == 4000 for r in d['runs']) and d['flows'] == 64"; then
	ok "IPv6 sweep 82-1518:500 with 64 flows: 0 loss"
else
	not_ok "IPv6 sweep with 64 flows"
	sed 's/^/# /' "$tmp/b.out"
fi
if gen --size imix --count 12000 --rate 100Mbps-l1 --json "$tmp/c.json" >"$tmp/c.out" 2>&1 &&
	jcheck "$tmp/c.json" "d['lost'] == 0 and abs(d['mean_frame_bytes'] - 354.333) < 0.01 and 20e6 <= d['tx_bps_l1'] <= 101e6"; then
	ok "IMIX at 100 Mbit/s L1: mean 354.33 bytes, at most 101 Mbit/s, 0 loss"
else
	not_ok "IMIX at 100 Mbit/s L1"
	sed 's/^/# /' "$tmp/c.out"
fi

# 3. A cable that drops 10% of frames: the meter sees about that.
if WIRE0=",loss=10,seed=7" gen --size 64 --count 20000 --rate 200kpps --json "$tmp/d.json" \
	>"$tmp/d.out" 2>&1 &&
	jcheck "$tmp/d.json" "1500 <= d['lost'] <= 2500 and d['rx_packets'] + d['lost'] == 20000"; then
	ok "10% loss on the cable is measured (1500-2500 of 20000 lost)"
else
	not_ok "10% loss on the cable is measured"
	sed 's/^/# /' "$tmp/d.out"
	cat "$tmp/d.json" | sed 's/^/# /'
fi

# 4. Pcap replay: the frames of test 1's kind, 3 loops.
if command -v tshark >/dev/null || true; then
	"$py" - "$tmp/in.pcap" <<'PY'
import struct, sys
frames = []
for i in range(10):
    eth = bytes.fromhex('020000000002020000000001') + b'\x08\x00'
    ip = bytes.fromhex('4500002e000040004011') + b'\x00\x00' + bytes([198,18,0,1,198,19,0,1])
    udp = struct.pack('!HHHH', 1024, 9, 26, 0) + bytes(18)
    frames.append(eth + ip + udp)
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack('<IIII', 1, i * 1000, len(fr), len(fr)) + fr)
PY
	if gen --pcap-replay "$tmp/in.pcap" --loop 3 --pcap-timing --json "$tmp/e.json" \
		>"$tmp/e.out" 2>&1 &&
		jcheck "$tmp/e.json" "d['tx_packets'] == 30 and d['rx_packets'] == 30 and d['lost'] == 0 and d['mode'] == 'pcap-replay'"; then
		ok "pcap replay: 10 frames x 3 loops at the capture's timing, all received"
	else
		not_ok "pcap replay"
		sed 's/^/# /' "$tmp/e.out"
	fi
fi

# 5. RFC 2544 over a clean cable. On a shared, loaded machine a rate-limited
# cable makes the NDR depend on scheduling, so this checks the search itself:
# it finishes, reports a loss-free NDR, and records every trial; the search
# logic is unit-tested against a fake device in tests/gen/test_rfc2544.cc.
if gen --rfc2544 --size 64 --trial-seconds 0.3 --precision 1 --loss-tolerance 0 \
	--json "$tmp/f.json" >"$tmp/f.out" 2>&1 &&
	jcheck "$tmp/f.json" "len(d['rfc2544']) == 1 and d['rfc2544'][0]['ndr']['pps'] > 0 and d['rfc2544'][0]['ndr']['loss_pct'] == 0 and len(d['rfc2544'][0]['trials']) >= 1 and d['mode'] == 'rfc2544'" &&
	grep -q "NDR" "$tmp/f.out"; then
	ok "RFC 2544 search reports a loss-free NDR and its trials"
else
	not_ok "RFC 2544 search"
	sed 's/^/# /' "$tmp/f.out"
fi

# 6. One line per startup problem.
expect_error() { # DESCRIPTION PATTERN ARGS...
	local what=$1 pattern=$2
	shift 2
	local rc=0
	gen "$@" >"$tmp/err.out" 2>&1 || rc=$?
	if [ "$rc" -eq 1 ] && [ "$(grep -c '^skiff-gen: ' "$tmp/err.out")" -eq 1 ] &&
		grep -q "^skiff-gen: .*$pattern" "$tmp/err.out" &&
		! grep -qiE 'panic|backtrace|aborted|core dumped' "$tmp/err.out"; then
		ok "$what"
	else
		not_ok "$what (exit $rc)"
		sed 's/^/# /' "$tmp/err.out"
	fi
}
expect_error "bad rate" "bad --rate 'fast'" --count 10 --rate fast
expect_error "bad range" "bad --src" --count 10 --src 198.18.0.9-198.18.0.1
expect_error "size above the port MTU" "above the largest frame" --count 10 --size 1600
expect_error "IPv6 frame too small" "82-byte minimum" --count 10 --src 2001:2::1 --size 64
expect_error "unknown port index" "--rx-port 5: there is no such --port" --count 10 --rx-port 5
expect_error "an unknown TCP pattern" "--tcp 'fast': say short" --tcp fast --duration 1
expect_error "TCP mode: --tx-port names a port that is not there" \
	"--tx-port 5: there is no such --port" --tcp short --count 10 --tx-port 5
expect_error "a UDP option in the TCP mode" "--size is for the UDP mode" --tcp short --size 128 \
	--duration 1
expect_error "a sweep needs a length" "needs --duration" --size 64-128

echo "1..$tap_n"
exit $tap_failed
