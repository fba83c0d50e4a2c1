#!/bin/sh
# Build DPDK's l3fwd example, from Debian's dpdk-doc package, into DEST for
# scripts/bench. Usage: perf/bench/build_l3fwd.sh DEST
#
# The source is copied from /usr/share/dpdk/examples/{l3fwd,common} and built
# with its own Makefile (pkg-config libdpdk, -O3, shared DPDK). One change is
# made, and nothing else: the receive offloads are masked to what the device
# offers. Upstream asks for RTE_ETH_RX_OFFLOAD_CHECKSUM unconditionally, which
# rte_eth_dev_configure() refuses on virtual devices such as net_pcap, which
# offer no receive offload at all. Two lines of main.c change:
#
#   + local_port_conf.rxmode.offloads &= dev_info.rx_offload_capa;
#     ret = rte_eth_dev_configure(portid, nb_rx_queue, ...
#   - rxq_conf.offloads = port_conf.rxmode.offloads;
#   + rxq_conf.offloads = port_conf.rxmode.offloads & dev_info.rx_offload_capa;
#
# RSS needs no change: l3fwd already masks rss_hf with the device's
# flow_type_rss_offloads. Packet types come from l3fwd's own --parse-ptype
# (net_pcap reports none), which scripts/bench passes. The resulting diff is
# kept in DEST/l3fwd.patch.
set -eu

dest=${1:?usage: build_l3fwd.sh DEST}
examples=/usr/share/dpdk/examples
if [ ! -f "$examples/l3fwd/main.c" ]; then
	echo "build_l3fwd: $examples/l3fwd is missing: apt-get install dpdk-doc" >&2
	exit 1
fi

rm -rf "$dest/src" "$dest/common"
mkdir -p "$dest"
cp -r "$examples/l3fwd" "$dest/src"
cp -r "$examples/common" "$dest/common"

main=$dest/src/main.c
sed -i \
	-e 's/^\(\t*\)ret = rte_eth_dev_configure(portid, nb_rx_queue,$/\1local_port_conf.rxmode.offloads \&= dev_info.rx_offload_capa;\n&/' \
	-e 's/rxq_conf.offloads = port_conf.rxmode.offloads;/rxq_conf.offloads = port_conf.rxmode.offloads \& dev_info.rx_offload_capa;/' \
	"$main"
# Refuse to build an unpatched copy: a new dpdk-doc may have moved the lines.
if [ "$(grep -c 'dev_info.rx_offload_capa' "$main")" -ne 2 ]; then
	echo "build_l3fwd: the offload patch did not apply to $main (new dpdk-doc?)" >&2
	exit 1
fi
diff -u "$examples/l3fwd/main.c" "$main" >"$dest/l3fwd.patch" || true

make -C "$dest/src" -s -j"$(nproc)" >"$dest/build.log" 2>&1 || {
	tail -20 "$dest/build.log" >&2
	echo "build_l3fwd: make failed, see $dest/build.log" >&2
	exit 1
}
ln -sf src/build/l3fwd-shared "$dest/l3fwd"
echo "build_l3fwd: built $dest/l3fwd"
