// Benchmarks of the network layer, in ns per packet (or per lookup):
//
//  - route lookups through net::route_table (rte_lpm / rte_lpm6) at several
//    table sizes, random destinations that all hit a route;
//  - the whole receive path of a worker: a burst of 32 frames through
//    worker::input() + flush() to a net_null port, for ICMP and ICMPv6 echo
//    requests answered in place, and for frames dropped at classify;
//  - the forwarding path (skiff-fwd's): 64-byte IPv4 and 78-byte IPv6 UDP
//    frames in on one net_null port, routed through a gateway, TTL / hop
//    limit decremented, MACs rewritten, out on another net_null port.
//
// Run: build/perf/net/bench-net --benchmark_min_time=0.2

#include "net/route.h"
#include "net/stack.h"
#include "net/worker.h"
#include "time/clock.h"
#include "wire/builder.h"

#include <benchmark/benchmark.h>
#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using skiff::net::nexthop4;
using skiff::net::nexthop6;
using skiff::net::prefix4;
using skiff::net::prefix6;
using skiff::net::route_table;
using skiff::wire::ipv4_addr;
using skiff::wire::ipv6_addr;
using skiff::wire::mac_addr;

[[noreturn]] void die(const std::string &what) {
	std::fprintf(stderr, "bench-net: %s\n", what.c_str());
	std::exit(1);
}

// ---- Route lookups ----------------------------------------------------------

constexpr size_t n_dsts = 1 << 16; // destinations cycled through by the lookups

// Prefix lengths shaped like a BGP table: mostly /24, nothing longer (so no
// rte_lpm tbl8 groups are needed, as in the real Internet table).
uint8_t random_len4(std::mt19937_64 &rng) {
	unsigned r = rng() % 100;
	if (r < 55) {
		return 24;
	}
	if (r < 75) {
		return uint8_t(20 + rng() % 4);
	}
	if (r < 95) {
		return uint8_t(16 + rng() % 4);
	}
	return uint8_t(8 + rng() % 8);
}

uint32_t mask4(uint8_t len) {
	return len == 0 ? 0 : ~uint32_t(0) << (32 - len);
}

// One table at a time is alive (each rte_lpm owns a 64 MB tbl24), built on
// first use for a size and reused by every run of that size.
struct v4_table {
	size_t n = 0;
	std::optional<route_table> t;
	std::vector<ipv4_addr> dsts;
};

v4_table &v4_table_of(size_t n) {
	static v4_table cur;
	if (cur.n == n) {
		return cur;
	}
	cur.t.reset();
	std::mt19937_64 rng(n);
	auto t = route_table::create("bench4_" + std::to_string(n), uint32_t(n + 16));
	if (!t) {
		die(t.err().message);
	}
	cur.t.emplace(std::move(*t));
	std::set<std::pair<uint32_t, uint8_t>> seen;
	std::vector<prefix4> routes;
	while (routes.size() < n) {
		uint8_t len = random_len4(rng);
		uint32_t a = uint32_t(rng()) & mask4(len);
		if (!seen.insert({a, len}).second) {
			continue;
		}
		prefix4 p{ipv4_addr::from_host(a), len};
		if (auto r = cur.t->add(p, nexthop4{uint16_t(routes.size() % 8), {}}); !r) {
			die(r.err().message);
		}
		routes.push_back(p);
	}
	cur.dsts.clear();
	for (size_t i = 0; i < n_dsts; i++) {
		const prefix4 &p = routes[rng() % routes.size()];
		cur.dsts.push_back(
		    ipv4_addr::from_host(p.addr.host() | (uint32_t(rng()) & ~mask4(p.len))));
	}
	cur.n = n;
	return cur;
}

void route_lookup_v4(benchmark::State &state) {
	v4_table &v = v4_table_of(size_t(state.range(0)));
	const route_table &t = *v.t;
	size_t i = 0;
	for (auto _ : state) {
		const nexthop4 *nh = t.lookup(v.dsts[i++ & (n_dsts - 1)]);
		benchmark::DoNotOptimize(nh);
	}
	state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(route_lookup_v4)->Arg(10)->Arg(1000)->Arg(100000);

// route_table::create gives rte_lpm6 a fixed 1024 tbl8 groups, and every
// byte of prefix past the first three needs a group per distinct parent, so
// 10K prefixes spread over the whole space do not fit. The table is shaped
// like a provider's instead: /32 to /48 under three /32 aggregates (at most
// 1 + 3 + 3 * 256 groups). Lookups of a /48 walk tbl24 and three tbl8s.
struct v6_table {
	size_t n = 0;
	std::optional<route_table> t;
	std::vector<ipv6_addr> dsts;
};

ipv6_addr masked6(ipv6_addr a, uint8_t len) {
	for (unsigned bit = len; bit < 128; bit++) {
		a.b[bit / 8] &= uint8_t(~(0x80u >> (bit % 8)));
	}
	return a;
}

v6_table &v6_table_of(size_t n) {
	static v6_table cur;
	if (cur.n == n) {
		return cur;
	}
	cur.t.reset();
	std::mt19937_64 rng(n);
	auto t = route_table::create("bench6_" + std::to_string(n), uint32_t(n + 16));
	if (!t) {
		die(t.err().message);
	}
	cur.t.emplace(std::move(*t));
	auto random_addr = [&] {
		ipv6_addr a{{0x20, 0x01, 0x0d, uint8_t(0xb8 + rng() % 3)}};
		for (size_t i = 4; i < 16; i++) {
			a.b[i] = uint8_t(rng());
		}
		return a;
	};
	std::set<std::pair<std::array<uint8_t, 16>, uint8_t>> seen;
	std::vector<prefix6> routes;
	while (routes.size() < n) {
		uint8_t len = rng() % 10 < 8 ? 48 : uint8_t(32 + rng() % 16);
		prefix6 p{masked6(random_addr(), len), len};
		if (!seen.insert({p.addr.b, len}).second) {
			continue;
		}
		if (auto r = cur.t->add(p, nexthop6{uint16_t(routes.size() % 8), {}}); !r) {
			die(r.err().message);
		}
		routes.push_back(p);
	}
	cur.dsts.clear();
	for (size_t i = 0; i < n_dsts; i++) {
		const prefix6 &p = routes[rng() % routes.size()];
		ipv6_addr host = random_addr(), d = p.addr;
		for (unsigned bit = p.len; bit < 128; bit++) {
			d.b[bit / 8] |= host.b[bit / 8] & uint8_t(0x80u >> (bit % 8));
		}
		cur.dsts.push_back(d);
	}
	cur.n = n;
	return cur;
}

void route_lookup_v6(benchmark::State &state) {
	v6_table &v = v6_table_of(size_t(state.range(0)));
	const route_table &t = *v.t;
	size_t i = 0;
	for (auto _ : state) {
		const nexthop6 *nh = t.lookup(v.dsts[i++ & (n_dsts - 1)]);
		benchmark::DoNotOptimize(nh);
	}
	state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(route_lookup_v6)->Arg(10)->Arg(1000)->Arg(10000);

// ---- The receive path -------------------------------------------------------

constexpr mac_addr stack_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
constexpr mac_addr peer_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
constexpr uint16_t burst = skiff::net::burst_size;
constexpr unsigned bursts_per_round = 64; // 2048 frames between timing pauses

// One stack over net_null (no-rx=1: polls receive nothing; tx frees), with
// 198.18.0.2/24 and 2001:2::2/64 and the peer .1 / ::1 resolved by feeding
// it the peer's ARP request and neighbour solicitation.
struct pipeline {
	rte_mempool *pool = nullptr;
	skiff::clock clk = skiff::clock::manual(1'000'000'000);
	std::unique_ptr<skiff::net::stack> st;
	skiff::net::worker *w = nullptr;
	std::vector<uint8_t> echo4, echo6, alien; ///< frame templates
	std::vector<uint8_t> fwd4, fwd6;          ///< for the router
};

rte_mbuf *alloc_or_die(rte_mempool *pool) {
	rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (!m) {
		die("mbuf pool exhausted");
	}
	return m;
}

std::vector<uint8_t> bytes_of(rte_mbuf *m) {
	std::vector<uint8_t> v(rte_pktmbuf_mtod(m, uint8_t *),
	                       rte_pktmbuf_mtod(m, uint8_t *) + rte_pktmbuf_data_len(m));
	rte_pktmbuf_free(m);
	return v;
}

const ipv4_addr me4 = ipv4_addr::from_octets(198, 18, 0, 2);
const ipv4_addr peer4 = ipv4_addr::from_octets(198, 18, 0, 1);
const ipv6_addr me6 = *ipv6_addr::parse("2001:2::2");
const ipv6_addr peer6 = *ipv6_addr::parse("2001:2::1");

// A 98-byte ICMP echo request (56 bytes of data, like ping), peer -> stack.
std::vector<uint8_t> make_echo4(rte_mempool *pool) {
	rte_mbuf *m = alloc_or_die(pool);
	uint8_t data[56];
	for (unsigned i = 0; i < sizeof(data); i++) {
		data[i] = uint8_t(i);
	}
	if (!skiff::wire::append_bytes(m, {data, sizeof(data)}) ||
	    !skiff::wire::push_icmp4(m, RTE_IP_ICMP_ECHO_REQUEST, 0, 0x00070001) ||
	    !skiff::wire::push_ipv4(m, peer4, me4, IPPROTO_ICMP, 64, {}) ||
	    !skiff::wire::push_eth(m, stack_mac, peer_mac, RTE_ETHER_TYPE_IPV4)) {
		die("cannot build the ICMP echo request");
	}
	return bytes_of(m);
}

// A 118-byte ICMPv6 echo request, peer -> stack.
std::vector<uint8_t> make_echo6(rte_mempool *pool) {
	rte_mbuf *m = alloc_or_die(pool);
	uint8_t data[56];
	for (unsigned i = 0; i < sizeof(data); i++) {
		data[i] = uint8_t(i);
	}
	if (!skiff::wire::append_bytes(m, {data, sizeof(data)}) ||
	    !skiff::wire::push_icmp6(m, peer6, me6, 128, 0, 0x00070001) ||
	    !skiff::wire::push_ipv6(m, peer6, me6, IPPROTO_ICMPV6, 64) ||
	    !skiff::wire::push_eth(m, stack_mac, peer_mac, RTE_ETHER_TYPE_IPV6)) {
		die("cannot build the ICMPv6 echo request");
	}
	return bytes_of(m);
}

// The peer's broadcast ARP request for 198.18.0.2: teaches the stack .1.
rte_mbuf *make_arp_request(rte_mempool *pool) {
	rte_mbuf *m = alloc_or_die(pool);
	auto *arp = reinterpret_cast<rte_arp_hdr *>(rte_pktmbuf_append(m, sizeof(rte_arp_hdr)));
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = peer_mac.to_rte();
	arp->arp_data.arp_sip = peer4.be;
	arp->arp_data.arp_tha = mac_addr{}.to_rte();
	arp->arp_data.arp_tip = me4.be;
	if (!skiff::wire::push_eth(m, mac_addr::broadcast(), peer_mac, RTE_ETHER_TYPE_ARP)) {
		die("cannot build the ARP request");
	}
	return m;
}

// The peer's neighbour solicitation for 2001:2::2 with its link-layer
// address: teaches the stack 2001:2::1.
rte_mbuf *make_neigh_solicit(rte_mempool *pool) {
	rte_mbuf *m = alloc_or_die(pool);
	ipv6_addr group = me6.solicited_node();
	uint8_t body[24] = {};
	std::memcpy(body, me6.b.data(), 16);
	body[16] = 1; // source link-layer address option, 8 bytes
	body[17] = 1;
	std::memcpy(body + 18, peer_mac.b.data(), 6);
	if (!skiff::wire::append_bytes(m, {body, sizeof(body)}) ||
	    !skiff::wire::push_icmp6(m, peer6, group, 135, 0, 0) ||
	    !skiff::wire::push_ipv6(m, peer6, group, IPPROTO_ICMPV6, 255) ||
	    !skiff::wire::push_eth(m, skiff::wire::multicast_mac(group), peer_mac,
	                           RTE_ETHER_TYPE_IPV6)) {
		die("cannot build the neighbour solicitation");
	}
	return m;
}

uint16_t start_null_port(rte_mempool *pool, const char *name = "net_null0") {
	uint16_t port;
	if (rte_eth_dev_get_port_by_name(name, &port) != 0) {
		die(std::string(name) + " was not probed: is the net_null PMD installed?");
	}
	rte_eth_conf conf{};
	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 64, SOCKET_ID_ANY, nullptr, pool) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 64, SOCKET_ID_ANY, nullptr) != 0 ||
	    rte_eth_dev_start(port) != 0) {
		die(std::string("cannot start ") + name + ": " + rte_strerror(rte_errno));
	}
	return port;
}

void must(const skiff::result<void> &r) {
	if (!r) {
		die(r.err().message);
	}
}

pipeline &the_pipeline() {
	static pipeline *p = nullptr;
	if (p) {
		return *p;
	}
	p = new pipeline;
	// A per-lcore cache, as in production: alloc and free hit the cache.
	p->pool = rte_pktmbuf_pool_create("bench_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                  SOCKET_ID_ANY);
	if (!p->pool) {
		die(std::string("mbuf pool: ") + rte_strerror(rte_errno));
	}
	uint16_t port = start_null_port(p->pool);
	skiff::net::stack_config cfg;
	cfg.name = "bench";
	cfg.pool = p->pool;
	auto st = skiff::net::stack::create(cfg, p->clk);
	if (!st) {
		die(st.err().message);
	}
	p->st = std::move(*st);
	if (auto r = p->st->add_iface(port, 1, stack_mac, 1500, {}); !r) {
		die(r.err().message);
	}
	must(p->st->add_address("198.18.0.2/24"));
	must(p->st->add_address("2001:2::2/64"));
	auto w = p->st->add_worker();
	if (!w) {
		die(w.err().message);
	}
	p->w = *w;
	rte_mbuf *teach[2] = {make_arp_request(p->pool), make_neigh_solicit(p->pool)};
	p->w->input(0, teach, 2);
	p->w->flush();
	const auto *n4 = p->w->arp_cache().find(peer4);
	const auto *n6 = p->w->nd_cache().find(peer6);
	if (!n4 || n4->state != skiff::net::neigh_state::reachable || !n6 ||
	    n6->state != skiff::net::neigh_state::reachable) {
		die("the peer's ARP request / neighbour solicitation did not resolve it");
	}
	p->echo4 = make_echo4(p->pool);
	p->echo6 = make_echo6(p->pool);
	p->alien = p->echo4;
	p->alien[5] = 0x99; // another host's MAC: dropped at classify
	return *p;
}

// Fresh mbufs holding `frame`, as a NIC would hand them over.
void fill(rte_mempool *pool, const std::vector<uint8_t> &frame, rte_mbuf **pkts, unsigned n) {
	if (rte_pktmbuf_alloc_bulk(pool, pkts, n) != 0) {
		die("mbuf pool exhausted");
	}
	for (unsigned i = 0; i < n; i++) {
		auto *d = rte_pktmbuf_append(pkts[i], uint16_t(frame.size()));
		std::memcpy(d, frame.data(), frame.size());
	}
}

// Runs rounds of 64 bursts of 32 copies of `frame` through input() + flush()
// and returns how many frames went through. The frames are copied into fresh
// mbufs while the timer is paused, so the time covers classify, the protocol
// handlers, the in-place reply, route and neighbour lookups, the tx burst
// and net_null freeing the mbufs back to the pool - not the allocation or
// the copy. The frames are warm in cache (just written), as after a NIC's
// DDIO write to the LLC, only closer.
uint64_t run_bursts(benchmark::State &state, const std::vector<uint8_t> &frame,
                    pipeline &p = the_pipeline(), uint16_t iface = 0) {
	static rte_mbuf *pkts[bursts_per_round * burst];
	const auto stages_before = p.w->counters().stages;
	for (auto _ : state) {
		state.PauseTiming();
		fill(p.pool, frame, pkts, bursts_per_round * burst);
		state.ResumeTiming();
		for (unsigned b = 0; b < bursts_per_round; b++) {
			p.w->input(iface, &pkts[b * burst], burst);
			p.w->flush();
		}
	}
	uint64_t frames = uint64_t(state.iterations()) * bursts_per_round * burst;
	state.SetItemsProcessed(int64_t(frames));
	state.counters["ns_per_pkt"] = benchmark::Counter(
	    double(frames), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
	// The worker's own per-stage TSC counters, as cycles per frame of the
	// burst: where the time goes.
	const auto &stages = p.w->counters().stages;
	for (size_t i = 0; i < skiff::net::n_stages; i++) {
		uint64_t cycles = stages[i].cycles - stages_before[i].cycles;
		if (cycles != 0 && frames != 0) {
			state.counters[std::string(skiff::net::stage_name(skiff::net::stage(i))) +
			               "_cyc"] = double(cycles) / double(frames);
		}
	}
	return frames;
}

// Echo requests, each answered in place and transmitted.
void rx_echo(benchmark::State &state, const std::vector<uint8_t> &frame) {
	const skiff::net::core_counters &c = the_pipeline().w->counters();
	uint64_t tx = c.tx_packets, replies = c.echo_replies_sent, drops = c.total_drops();
	uint64_t frames = run_bursts(state, frame);
	if (c.tx_packets - tx != frames || c.echo_replies_sent - replies != frames ||
	    c.total_drops() != drops) {
		state.SkipWithError("not every request was answered");
	}
}

void rx_icmp_echo(benchmark::State &state) {
	rx_echo(state, the_pipeline().echo4);
}
BENCHMARK(rx_icmp_echo);

void rx_icmp6_echo(benchmark::State &state) {
	rx_echo(state, the_pipeline().echo6);
}
BENCHMARK(rx_icmp6_echo);

// Frames for another host's MAC: classify drops them and frees the mbufs.
void rx_drop_wrong_mac(benchmark::State &state) {
	const skiff::net::core_counters &c = the_pipeline().w->counters();
	uint64_t before = c.dropped(skiff::net::drop_reason::eth_not_for_us);
	uint64_t frames = run_bursts(state, the_pipeline().alien);
	if (c.dropped(skiff::net::drop_reason::eth_not_for_us) - before != frames) {
		state.SkipWithError("the frames were not dropped as not for us");
	}
}
BENCHMARK(rx_drop_wrong_mac);

// ---- The forwarding path ----------------------------------------------------

constexpr mac_addr fwd_mac_in{{0x02, 0x00, 0x00, 0x00, 0x01, 0x01}};
constexpr mac_addr fwd_mac_out{{0x02, 0x00, 0x00, 0x00, 0x02, 0x01}};
constexpr mac_addr sender_mac{{0x02, 0x00, 0x00, 0x00, 0x01, 0x09}};

// A router over net_null1 (in, iface 0) and net_null2 (out, iface 1), with
// routes to 198.19.0.0/16 and 2001:2:0:99::/64 through 198.18.2.9 /
// 2001:2:0:2::9, pinned as static neighbours as skiff-fwd's --neigh does.
pipeline &the_router() {
	static pipeline *p = nullptr;
	if (p) {
		return *p;
	}
	p = new pipeline;
	p->pool = the_pipeline().pool;
	uint16_t in = start_null_port(p->pool, "net_null1");
	uint16_t out = start_null_port(p->pool, "net_null2");
	skiff::net::stack_config cfg;
	cfg.name = "bench_fwd";
	cfg.pool = p->pool;
	cfg.forwarding = true;
	auto st = skiff::net::stack::create(cfg, p->clk);
	if (!st) {
		die(st.err().message);
	}
	p->st = std::move(*st);
	if (auto r = p->st->add_iface(in, 1, fwd_mac_in, 1500, {}); !r) {
		die(r.err().message);
	}
	if (auto r = p->st->add_iface(out, 1, fwd_mac_out, 1500, {}); !r) {
		die(r.err().message);
	}
	for (const char *a :
	     {"198.18.1.1/24@0", "2001:2:0:1::1/64@0", "198.18.2.1/24@1", "2001:2:0:2::1/64@1"}) {
		must(p->st->add_address(a));
	}
	must(p->st->add_route("198.19.0.0/16,198.18.2.9"));
	must(p->st->add_route("2001:2:0:99::/64,2001:2:0:2::9"));
	must(p->st->add_static_neighbour("198.18.2.9,02:00:00:00:02:09"));
	must(p->st->add_static_neighbour("2001:2:0:2::9,02:00:00:00:02:09"));
	auto w = p->st->add_worker();
	if (!w) {
		die(w.err().message);
	}
	p->w = *w;

	// 64 bytes on the wire (60 + FCS): Ethernet, IPv4, UDP, 18 bytes.
	rte_mbuf *m = alloc_or_die(p->pool);
	uint8_t data[18] = {};
	ipv4_addr src4 = ipv4_addr::from_octets(198, 18, 1, 9);
	ipv4_addr dst4 = ipv4_addr::from_octets(198, 19, 7, 7);
	if (!skiff::wire::append_bytes(m, {data, sizeof(data)}) ||
	    !skiff::wire::push_udp(m, 1024, 1024) ||
	    !skiff::wire::finalize_l4_cksum_v4(m, src4, dst4, IPPROTO_UDP, {}) ||
	    !skiff::wire::push_ipv4(m, src4, dst4, IPPROTO_UDP, 64, {}) ||
	    !skiff::wire::push_eth(m, fwd_mac_in, sender_mac, RTE_ETHER_TYPE_IPV4)) {
		die("cannot build the IPv4 frame");
	}
	p->fwd4 = bytes_of(m);
	// 78 bytes: Ethernet, IPv6, UDP, 16 bytes.
	m = alloc_or_die(p->pool);
	ipv6_addr src6 = *ipv6_addr::parse("2001:2:0:1::9");
	ipv6_addr dst6 = *ipv6_addr::parse("2001:2:0:99::7");
	if (!skiff::wire::append_bytes(m, {data, 16}) || !skiff::wire::push_udp(m, 1024, 1024) ||
	    !skiff::wire::finalize_l4_cksum_v6(m, src6, dst6, IPPROTO_UDP, {}) ||
	    !skiff::wire::push_ipv6(m, src6, dst6, IPPROTO_UDP, 64) ||
	    !skiff::wire::push_eth(m, fwd_mac_in, sender_mac, RTE_ETHER_TYPE_IPV6)) {
		die("cannot build the IPv6 frame");
	}
	p->fwd6 = bytes_of(m);
	return *p;
}

// Every frame routed and transmitted, nothing dropped.
void forward(benchmark::State &state, const std::vector<uint8_t> &frame) {
	pipeline &p = the_router();
	const skiff::net::core_counters &c = p.w->counters();
	uint64_t tx = c.tx_packets, fwd = c.forwarded, drops = c.total_drops();
	uint64_t frames = run_bursts(state, frame, p, 0);
	if (c.tx_packets - tx != frames || c.forwarded - fwd != frames ||
	    c.total_drops() != drops) {
		state.SkipWithError("not every frame was forwarded");
	}
}

void fwd_ipv4(benchmark::State &state) {
	forward(state, the_router().fwd4);
}
BENCHMARK(fwd_ipv4);

void fwd_ipv6(benchmark::State &state) {
	forward(state, the_router().fwd6);
}
BENCHMARK(fwd_ipv6);

} // namespace

int main(int argc, char **argv) {
	std::string prefix = "--file-prefix=bench-net-" + std::to_string(getpid());
	const char *eal_argv[] = {argv[0],
	                          "--no-huge",
	                          "-m",
	                          "512",
	                          "--no-pci",
	                          "--no-telemetry",
	                          "-l",
	                          "0",
	                          prefix.c_str(),
	                          "--vdev=net_null0,no-rx=1",
	                          "--vdev=net_null1,no-rx=1",
	                          "--vdev=net_null2,no-rx=1",
	                          "--log-level=lib.*:error",
	                          "--log-level=pmd.*:error"};
	int eal_argc = int(sizeof(eal_argv) / sizeof(eal_argv[0]));
	if (rte_eal_init(eal_argc, const_cast<char **>(eal_argv)) < 0) {
		die(std::string("EAL init failed: ") + rte_strerror(rte_errno));
	}
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
		return 1;
	}
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	// The pipeline and tables are left to the process exit: tearing down a
	// stack and its port gains nothing in a benchmark.
	return 0;
}
