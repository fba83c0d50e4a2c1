#!/bin/sh
# TCP: skiff against the Linux kernel, on the same machine in the same run.
#
#   skiff:  build/apps/skiff-echo --client --tcp MODE: a server stack on
#           lcore 0 and a client stack on lcore 1, joined by a DPDK ring pair.
#           Each side's application runs on its stack's lcore between polls,
#           on the socket layer's nonblocking calls (one core per side,
#           busy-polling).
#   kernel: build/perf/kernel-tcp-echo --mode MODE: a server thread (epoll)
#           pinned to CPU 0 and a client thread pinned to CPU 1, over
#           loopback, blocking in the kernel (-p: busy-polling).
#
# Rows (each side prints one "RESULT impl=... mode=..." line):
#   tcp-rr        64-byte request/response on one persistent connection,
#                 transactions/s
#   tcp-crr       connect, one 64-byte exchange, close: connections/s (skiff
#                 runs with a 50 ms MSL: Linux recycles loopback TIME_WAIT
#                 ports with tcp_tw_reuse=2, skiff keeps TIME_WAIT in full)
#   tcp-bulk      BYTES on one connection, content checked: Gbit/s
#   tcp-idle-mem  bytes per idle established connection end, buffers
#                 excluded (skiff: heap growth per socket minus the buffers
#                 it allocates up front, plus one slot of the preallocated
#                 connection table; kernel: /proc/slabinfo growth per socket),
#                 and connections per GiB
# The table shows skiff/kernel ratios: above 1 is better for skiff, except
# in the memory row, where lower is better. Then one line per row:
#   RESULT bench=tcp row=NAME unit=UNIT skiff=X kernel=Y ratio=X/Y
#
# Usage: perf/tcp_bench.sh [-b BUILD_DIR] [-d SECONDS] [-s SIZE] [-B BYTES]
#                          [-n IDLE_CONNS] [-l LCORES] [-o ROWS] [-k] [-p]
# -o: comma-separated subset of rr,crr,bulk,idle. -k: run the kernel first.
set -eu
# shellcheck source=perf/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"

build=build
secs=5
size=64
bytes=268435456
idle=4000
lcores=""
only=rr,crr,bulk,idle
kernel_first=""
busy=""
while getopts b:d:s:B:n:l:o:kph opt; do
	case $opt in
	b) build=$OPTARG ;;
	d) secs=$OPTARG ;;
	s) size=$OPTARG ;;
	B) bytes=$OPTARG ;;
	n) idle=$OPTARG ;;
	l) lcores=$OPTARG ;;
	o) only=$OPTARG ;;
	k) kernel_first=1 ;;
	p) busy=--busy-poll ;;
	*) bench_usage ;;
	esac
done

bench_setup tcp_bench "$build" perf/kernel-tcp-echo

results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "tcp_bench: $size-byte messages, $secs s per run, bulk $bytes bytes, $idle idle connections; $(bench_load_average)"

# CMD: one side's command line, its output, its RESULT lines.
run_side() {
	echo
	echo "\$ $1"
	out=$(timeout 300 $1 2>&1) || echo "tcp_bench: exit status $? from: $1"
	echo "$out"
	echo "$out" | grep '^RESULT ' >>"$results" || true
}
run_skiff() { run_side "$skiff_cmd"; }
run_kernel() { run_side "$kernel_cmd"; }

# MODE SKIFF_ARGS... -- KERNEL_ARGS...: both sides, their output, their RESULT lines.
run_pair() {
	mode=$1
	shift
	skiff_args=""
	while [ "$1" != "--" ]; do
		skiff_args="$skiff_args $1"
		shift
	done
	shift
	skiff_cmd="$echo_bin --client --tcp $mode --lcores $lcores --log-level warn --file-prefix tcpbench-$$-$mode$skiff_args"
	kernel_cmd="$kernel_bin --mode $mode --server-cpu $server_cpu --client-cpu $client_cpu $busy $*"
	bench_in_order run_skiff run_kernel
}

case ",$only," in *,rr,*)
	run_pair rr --duration "$secs" --size "$size" -- --duration "$secs" --size "$size" ;;
esac
case ",$only," in *,crr,*)
	run_pair crr --duration "$secs" --size "$size" -- --duration "$secs" --size "$size" ;;
esac
case ",$only," in *,bulk,*)
	run_pair bulk --bytes "$bytes" -- --bytes "$bytes" ;;
esac
case ",$only," in *,idle,*)
	run_pair idle --conns "$idle" -- --conns "$idle" ;;
esac
echo

awk '
	{
		delete kv
		for (i = 2; i <= NF; i++) {
			split($i, p, "=")
			kv[p[1]] = p[2]
		}
		v[kv["impl"], kv["mode"], "tps"] = kv["tps"]
		v[kv["impl"], kv["mode"], "cps"] = kv["cps"]
		v[kv["impl"], kv["mode"], "gbps"] = kv["gbps"]
		v[kv["impl"], kv["mode"], "bytes"] = kv["bytes_per_conn"]
		v[kv["impl"], kv["mode"], "fit"] = kv["conns_per_gib"]
		v[kv["impl"], kv["mode"], "p50"] = kv["p50_us"]
		v[kv["impl"], kv["mode"], "ok"] = kv["intact"]
		seen[kv["mode"]] = 1
	}
	function row(name, label, mode, key, unit, fmt) {
		if (!(mode in seen)) {
			return
		}
		s = v["skiff", mode, key]; k = v["kernel", mode, key]
		ratio = (s != "" && k > 0) ? sprintf("%.3g", s / k) : "-"
		if (s == "") s = "-"
		if (k == "") k = "-"
		printf "%-34s %14" fmt " %14" fmt " %14s\n", label, s, k, ratio
		lines[++n] = sprintf("RESULT bench=tcp row=%s unit=%s skiff=%s kernel=%s ratio=%s", name, unit, s, k, ratio)
	}
	END {
		printf "%-34s %14s %14s %14s\n", "", "skiff", "kernel", "skiff/kernel"
		row("tcp-rr", "request/response (transactions/s)", "rr", "tps", "transactions/s", "s")
		row("tcp-rr-p50", "  round trip p50 (us)", "rr", "p50", "us", "s")
		row("tcp-crr", "connection setups (connections/s)", "crr", "cps", "connections/s", "s")
		row("tcp-bulk", "bulk, 1 connection (Gbit/s)", "bulk", "gbps", "Gbit/s", "s")
		row("tcp-bulk-intact", "  delivered intact (1 = yes)", "bulk", "ok", "bool", "s")
		row("tcp-idle-mem", "idle connection (bytes, no buffers)", "idle", "bytes", "bytes", "s")
		row("tcp-idle-per-gib", "  idle connections per GiB", "idle", "fit", "connections", "s")
		print ""
		for (i = 1; i <= n; i++) {
			print lines[i]
		}
	}' "$results"
