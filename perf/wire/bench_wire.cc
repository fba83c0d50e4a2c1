// Per-packet cost of the wire parsers and checksums.
#include "packets.h" // tests/wire: captured packets
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#include <benchmark/benchmark.h>
#include <rte_ip.h>

#include <random>
#include <vector>

using namespace skiff::wire;

namespace {

template <size_t N> bytes B(const uint8_t (&a)[N]) {
	return bytes(a, N);
}

// Ethernet + IPv4 + UDP, as the receive path does it (header checksum
// included, since not every NIC verifies it).
void BM_parse_eth_ipv4_udp(benchmark::State &state) {
	bytes frame = B(pkts::udp4_hello);
	for (auto _ : state) {
		benchmark::DoNotOptimize(frame);
		benchmark::ClobberMemory();
		auto e = eth_view::parse(frame);
		if (!e || e->ethertype() != ethertype::ipv4) {
			state.SkipWithError("eth");
			break;
		}
		auto ip = ipv4_view::parse(e->payload());
		if (!ip || !ipv4_header_checksum_ok(*ip) || ip->proto() != ip_proto::udp) {
			state.SkipWithError("ipv4");
			break;
		}
		auto udp = udp_view::parse(ip->payload());
		if (!udp) {
			state.SkipWithError("udp");
			break;
		}
		uint32_t v = udp->dst_port() + udp->payload().size() + ip->src().be;
		benchmark::DoNotOptimize(v);
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_parse_eth_ipv4_udp);

// Ethernet + IPv6 with hop-by-hop and destination options + TCP SYN with
// MSS, SACK-permitted, timestamps and window scale.
void BM_parse_eth_ipv6_ext_tcp_opts(benchmark::State &state) {
	bytes frame = B(pkts::tcp6_syn_ext);
	for (auto _ : state) {
		benchmark::DoNotOptimize(frame);
		benchmark::ClobberMemory();
		auto e = eth_view::parse(frame);
		if (!e || e->ethertype() != ethertype::ipv6) {
			state.SkipWithError("eth");
			break;
		}
		auto ip = ipv6_view::parse(e->payload());
		if (!ip || ip->upper_proto() != ip_proto::tcp) {
			state.SkipWithError("ipv6");
			break;
		}
		auto tcp = tcp_view::parse(ip->upper_payload());
		if (!tcp) {
			state.SkipWithError("tcp");
			break;
		}
		auto opts = tcp_options::parse(tcp->options());
		if (!opts) {
			state.SkipWithError("tcp options");
			break;
		}
		uint32_t v = tcp->seq() + opts->mss.value_or(0) + opts->window_scale.value_or(0);
		benchmark::DoNotOptimize(v);
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_parse_eth_ipv6_ext_tcp_opts);

std::vector<uint8_t> random_bytes(size_t n) {
	std::mt19937 rng(1);
	std::vector<uint8_t> v(n);
	for (auto &b : v) {
		b = uint8_t(rng());
	}
	return v;
}

void BM_cksum_skiff(benchmark::State &state) {
	auto buf = random_bytes(size_t(state.range(0)));
	for (auto _ : state) {
		benchmark::DoNotOptimize(buf.data());
		benchmark::ClobberMemory();
		uint16_t c = internet_checksum(buf);
		benchmark::DoNotOptimize(c);
	}
	state.SetItemsProcessed(state.iterations());
	state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_cksum_skiff)->Arg(64)->Arg(512)->Arg(1500);

void BM_cksum_dpdk_raw(benchmark::State &state) {
	auto buf = random_bytes(size_t(state.range(0)));
	for (auto _ : state) {
		benchmark::DoNotOptimize(buf.data());
		benchmark::ClobberMemory();
		uint16_t c = uint16_t(~rte_raw_cksum(buf.data(), buf.size()));
		benchmark::DoNotOptimize(c);
	}
	state.SetItemsProcessed(state.iterations());
	state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_cksum_dpdk_raw)->Arg(64)->Arg(512)->Arg(1500);

// NAT-style rewrite: a 32-bit address and a 16-bit port, IP and L4 checksums.
void BM_cksum_incremental(benchmark::State &state) {
	uint16_t ip_ck = 0x1234, l4_ck = 0x5678;
	uint32_t old_addr = 0x0100000a, new_addr = 0xfe4da8c0;
	uint16_t old_port = 0x5000, new_port = 0x409c;
	for (auto _ : state) {
		benchmark::DoNotOptimize(old_addr);
		benchmark::DoNotOptimize(old_port);
		ip_ck = cksum_update32(ip_ck, old_addr, new_addr);
		l4_ck = cksum_update32(l4_ck, old_addr, new_addr);
		l4_ck = cksum_update16(l4_ck, old_port, new_port);
		benchmark::DoNotOptimize(ip_ck);
		benchmark::DoNotOptimize(l4_ck);
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_cksum_incremental);

} // namespace

BENCHMARK_MAIN();
