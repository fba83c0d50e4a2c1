#!/bin/sh
# UDP echo at speed: skiff against the Linux kernel, on the same machine in
# the same run, with the same window, datagram size and duration.
#
#   skiff:  build/apps/skiff-echo --client: an echo server stack on lcore 0
#           and a client stack on lcore 1, joined by a DPDK ring pair, both
#           on the native zero-copy API, busy-polling.
#   kernel: build/perf/kernel-udp-echo: an echo server thread (recvmmsg/
#           sendmmsg on 127.0.0.1) pinned to CPU 0 and a client thread
#           pinned to CPU 1, blocking in recvmmsg (-p: busy-polling).
#
# Both clients keep WINDOW datagrams of SIZE bytes in flight for SECONDS
# (after a 0.5 s warm-up) and time each round trip. The table shows echoed
# datagrams per second and round-trip percentiles, and skiff/kernel ratios:
# above 1 is better for skiff in the datagrams/s row, below 1 in the
# latency rows.
#
# Usage: perf/udp_echo_bench.sh [-b BUILD_DIR] [-d SECONDS] [-w WINDOW] [-s SIZE] [-6] [-p]
#                                [-l LCORES] [-k]
# -6: IPv6 on both sides. -l 0: skiff's two stacks share one lcore (what to
# compare with when the machine has fewer than two idle cores). -k: run the
# kernel first (scripts/bench alternates the order between repetitions).
# Each side prints one "RESULT impl=skiff|kernel key=value..." line.
set -eu
# shellcheck source=perf/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"

build=build
secs=5
window=32
size=64
ipv6=""
busy=""
lcores=""
kernel_first=""
while getopts b:d:w:s:6pl:kh opt; do
	case $opt in
	b) build=$OPTARG ;;
	d) secs=$OPTARG ;;
	w) window=$OPTARG ;;
	s) size=$OPTARG ;;
	6) ipv6=--ipv6 ;;
	p) busy=--busy-poll ;;
	l) lcores=$OPTARG ;;
	k) kernel_first=1 ;;
	*) bench_usage ;;
	esac
done

bench_setup udp_echo_bench "$build" perf/kernel-udp-echo

echo "udp_echo_bench: $size-byte datagrams, window $window, $secs s each; $(bench_load_average)"
# A side that fails (for example, every datagram of the window lost while a
# busy machine deschedules an lcore) still shows its output and its RESULT
# line, then one "udp_echo_bench: IMPL failed with status N" line, and the
# script exits 1 at the end.
failed=0
# shellcheck disable=SC2317 # called through bench_in_order
run_skiff() {
	rc=0
	skiff_out=$("$echo_bin" --client --lcores "$lcores" --duration "$secs" --window "$window" \
		--size "$size" $ipv6 --log-level warn) || rc=$?
	echo
	echo "$skiff_out"
	if [ "$rc" -ne 0 ]; then
		echo "udp_echo_bench: skiff failed with status $rc" >&2
		failed=1
	fi
}
# shellcheck disable=SC2317 # called through bench_in_order
run_kernel() {
	rc=0
	kernel_out=$("$kernel_bin" --duration "$secs" --window "$window" --size "$size" $ipv6 $busy \
		--server-cpu "$server_cpu" --client-cpu "$client_cpu") || rc=$?
	echo
	echo "$kernel_out"
	if [ "$rc" -ne 0 ]; then
		echo "udp_echo_bench: kernel failed with status $rc" >&2
		failed=1
	fi
}
bench_in_order run_skiff run_kernel
echo

{
	echo "$skiff_out" | grep '^RESULT '
	echo "$kernel_out" | grep '^RESULT '
} | awk '
	{
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			v[NR, kv[1]] = kv[2]
		}
	}
	function row(label, key, fmt) {
		s = v[1, key]; k = v[2, key]
		ratio = (k > 0) ? sprintf("%.3g", s / k) : "-"
		printf "%-22s %14" fmt " %14" fmt " %14s\n", label, s, k, ratio
	}
	END {
		if (NR != 2) {
			print "udp_echo_bench: a run did not report a RESULT line" > "/dev/stderr"
			exit 1
		}
		printf "%-22s %14s %14s %14s\n", "", "skiff", "kernel", "skiff/kernel"
		row("datagrams/s", "dps", ".0f")
		row("round trip p50 (us)", "p50_us", ".1f")
		row("round trip p99 (us)", "p99_us", ".1f")
		row("round trip p99.9 (us)", "p999_us", ".1f")
		row("round trip max (us)", "max_us", ".1f")
		row("lost", "lost", "d")
	}'
exit "$failed"
