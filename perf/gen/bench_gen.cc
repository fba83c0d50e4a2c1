// skiff-gen's send path, in ns per frame (items_per_second = frames/s):
//
//  - fill/*: the per-frame work alone (apps/gen/tx_fill.h's fill_burst, as
//    skiff-gen's sender calls it) into the same 32 mbufs over and over:
//    64-byte IPv4 frames with one 4-tuple, with address and port ranges,
//    82-byte IPv6 frames, and an IMIX rotation (7:4:1 of 64/576/1500);
//  - send/*: the whole loop skiff-gen runs flat out, a burst of 32 at a
//    time: rte_mempool_get_bulk, fill_burst, rte_eth_tx_burst on net_null
//    (which frees every mbuf, like a NIC's completion would);
//  - send/txonly_like: the same loop writing only a fixed 42-byte
//    Ethernet/IPv4/UDP header with no probe and no checksum change, the work
//    testpmd's txonly does per frame by default: the floor skiff-gen is
//    compared with (scripts/bench runs the real testpmd).
//
// Its own main brings up a hugepage-free EAL with one net_null port.
// Run: build/perf/gen/bench-gen --benchmark_min_time=0.2

#include "tx_fill.h"

#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace skiff::gen;

constexpr unsigned burst = 32;

rte_mempool *the_pool = nullptr;
uint16_t the_port = 0;

[[noreturn]] void die(const std::string &what) {
	std::fprintf(stderr, "bench-gen: %s\n", what.c_str());
	std::exit(1);
}

flow_spec spec_of(const char *src, const char *dst, const char *sport, const char *dport) {
	flow_spec f;
	f.src_mac = {{0x02, 0, 0, 0, 0, 1}};
	f.dst_mac = {{0x02, 0x53, 0x47, 0, 0, 1}};
	f.src = *parse_addr_range(src, "--src");
	f.dst = *parse_addr_range(dst, "--dst");
	f.sport = *parse_udp_port_range(sport, "--sport");
	f.dport = *parse_udp_port_range(dport, "--dport");
	return f;
}

/// A run shape: one template per distinct size, the rotation over them
/// and the flows. Not copyable: the rotation points into the templates.
struct shape {
	flow_spec flows;
	std::vector<packet_template> templates;
	std::vector<const packet_template *> rotation;

	shape(flow_spec f, const std::vector<uint16_t> &sizes) : flows(std::move(f)) {
		std::vector<uint16_t> distinct;
		for (uint16_t sz : sizes) {
			if (std::find(distinct.begin(), distinct.end(), sz) != distinct.end()) {
				continue;
			}
			auto t = build_probe_template(flows, sz);
			if (!t) {
				die(t.err().message);
			}
			distinct.push_back(sz);
			templates.push_back(std::move(*t));
		}
		for (uint16_t sz : sizes) {
			auto i = std::find(distinct.begin(), distinct.end(), sz) - distinct.begin();
			rotation.push_back(&templates[size_t(i)]);
		}
	}
	shape(const shape &) = delete;
	shape &operator=(const shape &) = delete;
};

shape make_shape(int which) {
	switch (which) {
	case 0:
		return {spec_of("198.18.0.1", "198.19.0.1", "1024", "9"), {64}};
	case 1:
		return {spec_of("198.18.0.1-198.18.0.255", "198.19.0.1-198.19.0.16", "1024-1031",
		                "9-10"),
		        {64}};
	case 2:
		return {spec_of("2001:2::1", "2001:2::2", "1024", "9"), {82}};
	default:
		return {spec_of("198.18.0.1", "198.19.0.1", "1024", "9"), imix_pattern().sizes};
	}
}

const char *shape_name(int which) {
	static const char *names[] = {"v4_64", "v4_64_ranges", "v6_82", "imix"};
	return names[which];
}

unsigned data_room() {
	return rte_pktmbuf_data_room_size(the_pool) - RTE_PKTMBUF_HEADROOM;
}

/// The per-frame work alone, into one burst of mbufs reused every time.
void fill(benchmark::State &state) {
	shape sh = make_shape(int(state.range(0)));
	state.SetLabel(shape_name(int(state.range(0))));
	tx_slots slots(sh.rotation, 0, data_room());
	tx_cursor c;
	c.slots = slots.data();
	c.n_slots = slots.size();
	c.flows = flow_cursor(sh.flows);
	rte_mbuf *mb[burst];
	uint16_t wire_lens[burst];
	if (rte_mempool_get_bulk(the_pool, reinterpret_cast<void **>(mb), burst) != 0) {
		die("cannot allocate mbufs");
	}
	uint32_t tsc32 = 1;
	for (auto _ : state) {
		fill_burst_any(mb, burst, c, tsc32++, wire_lens);
		benchmark::DoNotOptimize(mb[burst - 1]->buf_addr);
		benchmark::ClobberMemory();
	}
	rte_mempool_put_bulk(the_pool, reinterpret_cast<void **>(mb), burst);
	state.SetItemsProcessed(int64_t(state.iterations()) * burst);
}
BENCHMARK(fill)->DenseRange(0, 3);

/// Send whatever the driver refused again; net_null takes everything.
void send_all(rte_mbuf **mb, unsigned n) {
	unsigned done = 0;
	while (done < n) {
		done += rte_eth_tx_burst(the_port, 0, mb + done, uint16_t(n - done));
	}
}

/// skiff-gen's flat-out send loop: allocate, fill, transmit.
void send(benchmark::State &state) {
	shape sh = make_shape(int(state.range(0)));
	state.SetLabel(shape_name(int(state.range(0))));
	tx_slots slots(sh.rotation, 0, data_room());
	tx_cursor c;
	c.slots = slots.data();
	c.n_slots = slots.size();
	c.flows = flow_cursor(sh.flows);
	rte_mbuf *mb[burst];
	uint16_t wire_lens[burst];
	for (auto _ : state) {
		if (rte_mempool_get_bulk(the_pool, reinterpret_cast<void **>(mb), burst) != 0) {
			state.SkipWithError("mbuf pool empty");
			break;
		}
		fill_burst_any(mb, burst, c, uint32_t(rte_rdtsc() >> tsc_shift), wire_lens);
		send_all(mb, burst);
	}
	state.SetItemsProcessed(int64_t(state.iterations()) * burst);
}
BENCHMARK(send)->DenseRange(0, 3);

/// The reference: testpmd txonly's default per-frame work on the same loop.
void send_txonly_like(benchmark::State &state) {
	shape sh = make_shape(0);
	const uint8_t *hdr = sh.templates[0].data.data();
	constexpr unsigned hdr_len = 14 + 20 + 8;
	rte_mbuf *mb[burst];
	for (auto _ : state) {
		if (rte_mempool_get_bulk(the_pool, reinterpret_cast<void **>(mb), burst) != 0) {
			state.SkipWithError("mbuf pool empty");
			break;
		}
		for (unsigned i = 0; i < burst; i++) {
			uint8_t *d = prepare_mbuf(mb[i], 60);
			std::memcpy(d, hdr, hdr_len);
		}
		send_all(mb, burst);
	}
	state.SetItemsProcessed(int64_t(state.iterations()) * burst);
}
BENCHMARK(send_txonly_like);

void open_null_port() {
	if (rte_eth_dev_get_port_by_name("net_null0", &the_port) != 0) {
		die("no net_null0 port");
	}
	rte_eth_conf conf{};
	if (rte_eth_dev_configure(the_port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(the_port, 0, 512, rte_socket_id(), nullptr, the_pool) != 0 ||
	    rte_eth_tx_queue_setup(the_port, 0, 512, rte_socket_id(), nullptr) != 0 ||
	    rte_eth_dev_start(the_port) != 0) {
		die("cannot start net_null0");
	}
}

} // namespace

int main(int argc, char **argv) {
	std::string prefix = "--file-prefix=bench-gen-" + std::to_string(getpid());
	const char *eal_argv[] = {argv[0],
	                          "--no-huge",
	                          "-m",
	                          "256",
	                          "--no-pci",
	                          "--no-telemetry",
	                          "-l",
	                          "0",
	                          prefix.c_str(),
	                          "--vdev=net_null0,no-rx=1",
	                          "--log-level=lib.*:error",
	                          "--log-level=pmd.*:error"};
	int eal_argc = int(sizeof(eal_argv) / sizeof(eal_argv[0]));
	if (rte_eal_init(eal_argc, const_cast<char **>(eal_argv)) < 0) {
		die(std::string("EAL init failed: ") + rte_strerror(rte_errno));
	}
	// Sized like skiff-gen's default pool (--mbufs 8191, cache 256).
	the_pool = rte_pktmbuf_pool_create("bench_gen", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                   rte_socket_id());
	if (!the_pool) {
		die(std::string("cannot create the mbuf pool: ") + rte_strerror(rte_errno));
	}
	open_null_port();
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
		return 1;
	}
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	rte_eth_dev_stop(the_port);
	rte_eth_dev_close(the_port);
	rte_eal_cleanup();
	return 0;
}
