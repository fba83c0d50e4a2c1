#!/usr/bin/env bash
# Every foreseeable startup problem ends with exit status 1 and one line
# "skiff-node: <what to do>" on stderr: no DPDK panic, no usage dump, no
# stack trace. Also: the demo runs as an unprivileged user.
# Usage: startup_errors.sh BUILD_DIR SOURCE_DIR

build=$1
src=$2
source "$src/tests/e2e/lib.sh"
node="$build/apps/skiff-node"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# expect_error DESCRIPTION PATTERN ARGS...
expect_error() {
	local what=$1 pattern=$2
	shift 2
	local rc=0
	timeout 20 "$node" --duration 1 "$@" >"$out" 2>&1 || rc=$?
	local lines
	lines=$(grep -c '^skiff-node: ' "$out")
	if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -q "^skiff-node: .*$pattern" "$out" &&
		! grep -qiE 'panic|backtrace|aborted|core dumped' "$out"; then
		ok "$what"
	else
		not_ok "$what (exit $rc)"
		sed 's/^/# /' "$out"
	fi
}

echo "1..8"
expect_error "unknown driver" "no DPDK driver named net_foo" --port net_foo0
expect_error "lcore that does not exist" "lcore 4000" --port net_null0 --lcores 0,4000
expect_error "no --port" "no --port given" --addr 198.18.0.2/24
expect_error "more memory than the machine has" "lower --mem" --port net_null0 --mem 99999999
expect_error "gateway off every subnet" "gateway" --port net_null0 --addr 198.18.0.2/24 --gateway 198.19.0.1
expect_error "address for a port that does not exist" "only 1 --port" --port net_null0 --addr 198.18.0.2/24@3

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	rc=0
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$node" --duration 1 \
		--port net_tap0,iface=skiffnp$$ >"$out" 2>&1 || rc=$?
	if [ $rc -eq 1 ] && grep -q "^skiff-node: net_tap needs" "$out"; then
		ok "net_tap without CAP_NET_ADMIN says what to do"
	else
		not_ok "net_tap without CAP_NET_ADMIN (exit $rc)"
		sed 's/^/# /' "$out"
	fi
	# The demo needs no privileges at all.
	if (cd /tmp && setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env HOME=/tmp "$build/apps/skiff-demo" --count 2) >"$out" 2>&1; then
		ok "skiff-demo runs as an unprivileged user"
	else
		not_ok "skiff-demo runs as an unprivileged user"
		sed 's/^/# /' "$out"
	fi
else
	ok "# SKIP net_tap privilege check needs root and setpriv"
	ok "# SKIP unprivileged demo check needs root and setpriv"
fi
exit $tap_failed
