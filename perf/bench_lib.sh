# The frame shared by perf/udp_echo_bench.sh and perf/tcp_bench.sh, which
# both run skiff-echo and its Linux kernel counterpart back to back on the
# same machine. Sourced, not run:
#
#   . "$(dirname "$0")/bench_lib.sh"
#
# POSIX sh (the scripts run under dash). Functions name their own variables
# _bench_*, so that they never overwrite the caller's.
# shellcheck shell=sh

# The caller's header comment (its lines 2 up to the first line that is not
# a comment), without the "# ", as its usage; then exit 2.
bench_usage() {
	awk 'NR > 1 { if (!/^#/) exit; sub(/^# ?/, ""); print }' "$0"
	exit 2
}

# bench_setup NAME BUILD KERNEL_TARGET, after the caller's options: exit 1,
# saying how to build them, unless BUILD holds skiff-echo and the kernel tool
# (NAME says who complains). Sets echo_bin and kernel_bin, and picks the
# CPUs: one core per side when there are two, otherwise everything on CPU 0.
# That is server_cpu and client_cpu for the kernel tool's threads and, unless
# the caller set it already (-l), lcores for skiff's.
# shellcheck disable=SC2034 # set for the caller
bench_setup() {
	echo_bin=$2/apps/skiff-echo
	kernel_bin=$2/$3
	for _bench_bin in "$echo_bin" "$kernel_bin"; do
		if [ ! -x "$_bench_bin" ]; then
			echo "$1: $_bench_bin is missing: ninja -C $2 apps/skiff-echo $3" >&2
			exit 1
		fi
	done
	if [ "$(nproc)" -ge 2 ]; then
		server_cpu=0 client_cpu=1
		lcores=${lcores:-0-1}
	else
		server_cpu=0 client_cpu=0
		lcores=${lcores:-0}
	fi
}

# "load average: 1.00 0.50 0.25", for the header line: a loaded machine
# explains noisy numbers.
bench_load_average() {
	echo "load average:$(cut -d' ' -f1-3 /proc/loadavg | sed 's/^/ /')"
}

# bench_in_order RUN_SKIFF RUN_KERNEL: call both, skiff's first unless
# $kernel_first is set (-k: scripts/bench alternates the order between
# repetitions, so that neither side always goes first).
# shellcheck disable=SC2317 # the caller's functions are called from here
bench_in_order() {
	if [ -n "$kernel_first" ]; then
		"$2"
		"$1"
	else
		"$1"
		"$2"
	fi
}
