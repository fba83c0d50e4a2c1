#!/usr/bin/env bash
# scripts/bench's smoke test: the fast benchmarks (UDP echo against the
# kernel, skiff-gen against testpmd txonly) with --quick, then checks that
# bench.json and bench.svg are well-formed and say what ran. It checks the
# plumbing, not the numbers: --quick trials are too short to measure.
# Usage: bench_smoke.sh BUILD_DIR SOURCE_DIR

build=$1
src=$2
source "$src/tests/e2e/lib.sh"
command -v dpdk-testpmd >/dev/null || skip_all "needs dpdk-testpmd (apt-get install dpdk)"
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null ||
	skip_all "needs python3-matplotlib (apt-get install python3-matplotlib)"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "1..5"

# meson test has built the tree already: --no-build keeps ninja out of it.
# Its own pid names its EAL file prefixes (checked at the end); a 170 s limit
# bounds it, and SIGTERM is what makes it stop its children and clean up.
"$src/scripts/bench" --build "$build" --no-build --quick \
	--only udp-echo,gen-txonly,tcp --out "$out" >"$out/stdout" 2>"$out/stderr" &
bench_pid=$!
for _ in $(seq 170); do
	kill -0 "$bench_pid" 2>/dev/null || break
	sleep 1
done
kill -TERM "$bench_pid" 2>/dev/null
wait "$bench_pid"
rc=$?
check "scripts/bench --quick exits 0 (got $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$out/stderr" | tail -20

check "the table has a header and a row per benchmark" \
	grep -q '^udp-echo .*| datagrams/s' "$out/stdout"

# The JSON: every row present, measured rows with positive medians and a
# ratio, a sample per repetition, TCP rows measured (or reported failed).
check "bench.json is well-formed and complete" /usr/bin/python3 - "$out/bench.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "skiff-bench/1"
for k in ("date", "git_rev", "cpu_model", "cores", "kernel", "dpdk_version"):
    assert k in d["meta"], k
rows = {r["name"]: r for r in d["rows"]}
want = {"udp-echo", "udp-echo-p50", "gen-txonly", "tcp-rr", "tcp-crr", "tcp-bulk", "tcp-idle-mem"}
assert want <= set(rows), set(rows)
reps = d["meta"]["reps"]
for name in ("udp-echo", "udp-echo-p50", "gen-txonly"):
    r = rows[name]
    assert r["status"] in ("ok", "skipped"), (name, r["status"], r["note"])
    if r["status"] == "skipped":  # a binary is not built: said so, and no ratio
        print("# %s: %s" % (name, r["note"]))
        assert "missing" in r["note"] and r["ratio"] is None, name
    for side in ("skiff", "baseline") if r["status"] == "ok" else ("baseline",):
        if r["status"] == "skipped" and r[side] is None:
            continue
        assert r[side]["median"] > 0, (name, side)
        # A trial may fail on a loaded machine (an echo stalled past 1 s):
        # it is counted, not hidden.
        assert len(r[side]["samples"]) + r[side + "_failed_trials"] == reps, (name, side)
        if r[side + "_failed_trials"]:
            print("# %s: %d %s trial(s) failed" % (name, r[side + "_failed_trials"], side))
    if r["status"] == "ok":
        assert r["ratio"] > 0, name
for name in ("tcp-rr", "tcp-crr", "tcp-bulk", "tcp-idle-mem"):
    r = rows[name]
    assert r["status"] in ("ok", "failed"), (name, r["status"], r.get("note"))
    if r["status"] == "ok":
        assert r["ratio"] is not None and r["ratio"] > 0, name
    else:  # a trial that failed on a loaded machine is reported, not hidden
        print("# %s: %s" % (name, r.get("note")))
assert all("value" in run or "error" in run for run in d["runs"])
PY

check "bench.svg is well-formed SVG naming every row" /usr/bin/python3 - "$out/bench.svg" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag.endswith("svg"), root.tag
text = " ".join(t for t in root.itertext())
for name in ("udp-echo", "gen-txonly", "tcp-rr"):
    assert name in text, name
PY

check "no DPDK process or runtime dir is left behind" \
	bash -c "! pgrep -f '[f]ile-prefix skiff-bench-$bench_pid-' >/dev/null &&
		! ls -d /var/run/dpdk/skiff-bench-$bench_pid-* \
			${XDG_RUNTIME_DIR:-/tmp}/dpdk/skiff-bench-$bench_pid-* 2>/dev/null | grep -q ."
exit "$tap_failed"
