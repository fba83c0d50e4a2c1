// libFuzzer target over the whole receive path. Each input is one Ethernet
// frame, fed to a worker exactly as a NIC burst would be (worker::input, then
// flush), so every parser and handler from classify to the in-place replies
// and the neighbour queues sees it. Then, depending on the input: the
// neighbours the stack is resolving answer (so parked packets leave), the
// clock moves on and the worker polls (so aging retries and expires).
//
// The stack under test: one worker, one net_null port (no-rx=1, so poll()
// receives nothing and transmitted frames are simply freed), addresses
// 198.18.0.2/24 and 2001:2::2/64, MAC 02:00:00:00:00:02, default gateways
// 198.18.0.1 and 2001:2::1 already resolved, and a manual clock.
//
// A unicast destination MAC that is not the stack's is rewritten to it in
// 7 of 8 inputs, so mutations of the MAC bytes do not keep the fuzzer at L2,
// while broadcast and multicast frames (ARP requests, NDP) stay as they are.
// That choice and the others in `choices` come from a hash of the input.
//
// What makes a bug visible beyond a crash:
//  - Every frame lives in a malloc'd external buffer exactly as long as the
//    headroom plus the frame, so ASan reports a read past the frame's end
//    (mempool buffers would hide it: the bytes after a frame are valid
//    memory there).
//  - Every transmitted frame must be well formed; see check_tx_frame().
//  - mbuf accounting is exact after every step; see check_mbufs().
//  - Aging must empty the neighbour tables in a bounded number of passes.
//
// Each input starts from the same state (empty tables but for the two
// gateways), so any crash reproduces from its input file alone.
//
// Run: meson test -C build-fuzz --suite fuzz, or by hand (the first
// directory receives new inputs; keep it out of the source tree):
//   build-fuzz/tests/fuzz/fuzz-rx -max_len=2048 -max_total_time=600 /tmp/work tests/fuzz/corpus
// Reproduce a crash: build-fuzz/tests/fuzz/fuzz-rx crash-<sha1>

#include "net/stack.h"
#include "net/worker.h"
#include "time/clock.h"
#include "wire/arp.h"
#include "wire/builder.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/udp.h"

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>

namespace {

using skiff::net::neigh_entry;
using skiff::wire::ipv4_addr;
using skiff::wire::ipv6_addr;
using skiff::wire::mac_addr;

constexpr mac_addr stack_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
constexpr mac_addr gateway_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
constexpr uint16_t max_frame = RTE_MBUF_DEFAULT_DATAROOM;
constexpr unsigned pool_size = 1023;

[[noreturn]] void die(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	std::fprintf(stderr, "fuzz-rx: ");
	std::vfprintf(stderr, fmt, ap);
	std::fprintf(stderr, "\n");
	va_end(ap);
	std::abort();
}

// The process-wide harness; created once by LLVMFuzzerInitialize and never
// freed (libFuzzer exits the process).
struct harness {
	rte_mempool *pool = nullptr;
	uint16_t port = 0;
	skiff::clock clk = skiff::clock::manual(1'000'000'000);
	std::unique_ptr<skiff::net::stack> st;
	skiff::net::worker *w = nullptr;
	unsigned idle_in_use = 0; ///< mbufs held when no packet is in flight
	unsigned live_ext = 0;    ///< external frame buffers not yet freed
};

harness *g;

rte_mbuf *alloc_or_die() {
	rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
	if (!m) {
		die("mbuf pool exhausted with %u mbufs in use: a leak the checks missed",
		    rte_mempool_in_use_count(g->pool));
	}
	return m;
}

// An external buffer for one segment, freed by DPDK through ext_free when
// the last mbuf attached to it is freed.
struct ext_buf {
	rte_mbuf_ext_shared_info shinfo;
	uint8_t *mem;
};

void ext_free(void *, void *opaque) {
	auto *e = static_cast<ext_buf *>(opaque);
	std::free(e->mem);
	delete e;
	g->live_ext--;
}

// An mbuf holding `len` bytes of `data` in a fresh malloc'd buffer of
// headroom + `room` bytes (room >= len): with room == len, the byte after the
// frame is an ASan redzone.
rte_mbuf *ext_segment(const uint8_t *data, uint16_t len, uint16_t room) {
	rte_mbuf *m = alloc_or_die();
	uint16_t buf_len = RTE_PKTMBUF_HEADROOM + room;
	auto *e = new ext_buf{};
	e->mem = static_cast<uint8_t *>(std::malloc(buf_len));
	std::memset(e->mem, 0xa5, buf_len);
	e->shinfo.free_cb = ext_free;
	e->shinfo.fcb_opaque = e;
	rte_mbuf_ext_refcnt_set(&e->shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, e->mem, RTE_BAD_IOVA, buf_len, &e->shinfo);
	g->live_ext++;
	std::memcpy(rte_pktmbuf_append(m, len), data, len);
	return m;
}

// Harness choices that are not part of the frame. They come from a hash of
// the input, so they are deterministic per input (a crash reproduces from
// its file) while every mutation of a frame is tried under all of them.
struct choices {
	bool rewrite_mac;   ///< unicast dst MAC that is not ours becomes ours
	bool fix_checksums; ///< recompute IPv4/ICMP/ICMPv6 checksums
	uint64_t rx_cksum;  ///< RTE_MBUF_F_RX_{IP,L4}_CKSUM_* as a NIC would set them
	uint16_t split;     ///< 0: one segment; else the first segment's length
	bool split_room;    ///< the first segment has tailroom for linearize
	bool resolve;       ///< answer every pending resolution afterwards
	uint64_t advance_ns;
	bool poll;
};

choices decide(const uint8_t *data, size_t size) {
	uint64_t h = 0xcbf29ce484222325ull; // FNV-1a, then a splitmix finaliser
	for (size_t i = 0; i < size; i++) {
		h = (h ^ data[i]) * 0x100000001b3ull;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	choices c{};
	c.rewrite_mac = (h & 7) != 0;
	c.fix_checksums = (h >> 3 & 1) != 0;
	static constexpr uint64_t ip_cksum[4] = {
	    RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN,
	    RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_BAD};
	static constexpr uint64_t l4_cksum[4] = {
	    RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN,
	    RTE_MBUF_F_RX_L4_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_BAD};
	c.rx_cksum = ip_cksum[h >> 4 & 3] | l4_cksum[h >> 14 & 3];
	if (size >= 2 && (h >> 6 & 7) == 0) {
		c.split = uint16_t(1 + (h >> 16) % (size - 1));
		c.split_room = (h >> 9 & 3) != 0;
	}
	c.advance_ns = (h >> 32 & 0xffff) * 50'000; // up to ~3.3 s
	c.poll = (h >> 11 & 3) == 0;
	c.resolve = (h >> 13 & 1) != 0;
	return c;
}

// Stores the right checksum, at `off`, for the `len` bytes of L4 message at
// `l4` (`pseudo`: the pseudo-header sum; 0 for ICMP over IPv4).
void fix_l4(uint8_t *l4, size_t len, size_t off, uint32_t pseudo, bool udp) {
	std::memset(l4 + off, 0, 2);
	uint16_t c = skiff::wire::cksum_fold(skiff::wire::cksum_add(l4, len, pseudo));
	if (udp && c == 0) {
		c = 0xffff; // RFC 768: 0 means "no checksum"
	}
	std::memcpy(l4 + off, &c, 2);
}

void fix_ipv4(uint8_t *l3, size_t l3_len) {
	namespace w = skiff::wire;
	auto ip = w::ipv4_view::parse({l3, l3_len});
	if (!ip.ok()) {
		return;
	}
	fix_l4(l3, ip->header_len(), 10, 0, false);
	uint8_t *l4 = l3 + ip->header_len();
	size_t l4_len = ip->payload().size();
	if (ip->is_fragment()) {
		return;
	}
	if (ip->proto() == IPPROTO_ICMP && l4_len >= 4) {
		fix_l4(l4, l4_len, 2, 0, false);
	} else if (auto udp = w::udp_view::parse({l4, l4_len}); ip->proto() == IPPROTO_UDP && udp) {
		uint16_t n = udp->length();
		fix_l4(l4, n, 6, w::ipv4_pseudo_sum(ip->src(), ip->dst(), IPPROTO_UDP, n), true);
	}
}

void fix_ipv6(uint8_t *l3, size_t l3_len) {
	namespace w = skiff::wire;
	auto ip = w::ipv6_view::parse({l3, l3_len});
	if (!ip.ok() || ip->is_fragment()) {
		return;
	}
	uint8_t *l4 = l3 + ip->upper_offset();
	size_t l4_len = ip->upper_payload().size();
	if (ip->upper_proto() == IPPROTO_ICMPV6 && l4_len >= 4) {
		fix_l4(l4, l4_len, 2,
		       w::ipv6_pseudo_sum(ip->src(), ip->dst(), IPPROTO_ICMPV6, uint32_t(l4_len)),
		       false);
	} else if (auto udp = w::udp_view::parse({l4, l4_len});
	           ip->upper_proto() == IPPROTO_UDP && udp) {
		uint16_t n = udp->length();
		fix_l4(l4, n, 6, w::ipv6_pseudo_sum(ip->src(), ip->dst(), IPPROTO_UDP, n), true);
	}
}

// Random mutations break checksums, which would keep the fuzzer out of
// everything past the checksum checks; a frame that asks for it gets correct
// IPv4 header, ICMP, ICMPv6 and UDP checksums (the unfixed half still covers
// the bad-checksum drops).
void fix_checksums(uint8_t *f, size_t len) {
	auto eth = skiff::wire::eth_view::parse({f, len});
	if (!eth.ok()) {
		return;
	}
	uint8_t *l3 = f + eth->header_len();
	size_t l3_len = len - eth->header_len();
	if (eth->ethertype() == skiff::wire::ethertype::ipv4) {
		fix_ipv4(l3, l3_len);
	} else if (eth->ethertype() == skiff::wire::ethertype::ipv6) {
		fix_ipv6(l3, l3_len);
	}
}

rte_mbuf *make_frame(uint8_t *f, uint16_t len, const choices &c) {
	if (c.rewrite_mac && len >= 6 && (f[0] & 1) == 0) {
		std::memcpy(f, stack_mac.b.data(), 6);
	}
	if (c.fix_checksums) {
		fix_checksums(f, len);
	}
	rte_mbuf *m;
	if (c.split == 0) {
		m = ext_segment(f, len, len);
	} else {
		m = ext_segment(f, c.split, c.split_room ? len : c.split);
		rte_mbuf *tail =
		    ext_segment(f + c.split, uint16_t(len - c.split), uint16_t(len - c.split));
		if (rte_pktmbuf_chain(m, tail) != 0) {
			die("cannot chain two segments");
		}
	}
	m->ol_flags |= c.rx_cksum;
	return m;
}

// The output oracle: whatever the input, every frame the stack transmits
// must be well formed - our source MAC and address, lengths that match the
// frame exactly (no stale padding, nothing cut), correct checksums.
void check_tx_frame(const rte_mbuf *m) {
	static uint8_t copy[RTE_MBUF_DEFAULT_BUF_SIZE];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	if (len > sizeof(copy)) {
		die("transmitted a %u-byte frame", len);
	}
	const auto *f = static_cast<const uint8_t *>(rte_pktmbuf_read(m, 0, len, copy));
	auto eth = skiff::wire::eth_view::parse({f, len});
	if (!eth.ok() || eth->vlan_count() != 0 || eth->src() != stack_mac) {
		die("transmitted a frame with a bad Ethernet header (%u bytes)", len);
	}
	const skiff::net::iface &me = g->st->ifaces()[0];
	skiff::wire::bytes l3 = eth->payload();
	switch (eth->ethertype()) {
	case skiff::wire::ethertype::arp: {
		auto arp = skiff::wire::arp_view::parse(l3);
		if (!arp.ok() || l3.size() != sizeof(rte_arp_hdr) || !me.owns(arp->spa())) {
			die("transmitted a malformed ARP message (%zu bytes)", l3.size());
		}
		return;
	}
	case skiff::wire::ethertype::ipv4: {
		auto ip = skiff::wire::ipv4_view::parse(l3);
		if (!ip.ok() || ip->total_length() != l3.size() || !me.owns(ip->src()) ||
		    !skiff::wire::ipv4_header_checksum_ok(*ip)) {
			die("transmitted a malformed IPv4 datagram (%zu bytes)", l3.size());
		}
		if (ip->proto() == IPPROTO_ICMP &&
		    skiff::wire::internet_checksum(ip->payload()) != 0) {
			die("transmitted an ICMP message with a bad checksum");
		}
		return;
	}
	case skiff::wire::ethertype::ipv6: {
		auto ip = skiff::wire::ipv6_view::parse(l3);
		if (!ip.ok() || ip->whole().size() != l3.size() || !me.owns(ip->src())) {
			die("transmitted a malformed IPv6 packet (%zu bytes)", l3.size());
		}
		if (ip->upper_proto() == IPPROTO_ICMPV6) {
			skiff::wire::bytes l4 = ip->upper_payload();
			uint32_t sum = skiff::wire::ipv6_pseudo_sum(
			    ip->src(), ip->dst(), IPPROTO_ICMPV6, uint32_t(l4.size()));
			if (skiff::wire::cksum_fold(skiff::wire::cksum_add(l4, sum)) != 0) {
				die("transmitted an ICMPv6 message with a bad checksum");
			}
		}
		return;
	}
	default:
		die("transmitted ethertype 0x%04x", eth->ethertype());
	}
}

void on_burst(void *, uint16_t, uint16_t, rte_mbuf *const *pkts, uint16_t n, bool outbound) {
	for (uint16_t i = 0; outbound && i < n; i++) {
		check_tx_frame(pkts[i]);
	}
}

// Packets waiting in neighbour entries for address resolution: the only
// mbufs the stack may legitimately hold between bursts.
unsigned parked() {
	unsigned n = 0;
	g->w->arp_cache().for_each([&](neigh_entry<ipv4_addr> &e) { n += e.n_pending; });
	g->w->nd_cache().for_each([&](neigh_entry<ipv6_addr> &e) { n += e.n_pending; });
	return n;
}

// Leak and double-free detection. After flush(), or poll() (which flushes
// last), the transmit buffers are empty and net_null has freed everything, so every mbuf out of
// the pool is either held when idle (measured at start-up, before any input)
// or parked in a neighbour queue. The count must match exactly: more is a
// leak, fewer a double free. There are no false positives because the
// parked count is read from the neighbour entries themselves rather than
// estimated, and the pool has no per-lcore cache, so the count is exact.
void check_mbufs(const char *when) {
	unsigned in_use = rte_mempool_in_use_count(g->pool);
	unsigned waiting = parked();
	unsigned expect = g->idle_in_use + waiting;
	if (in_use != expect) {
		die("%s: %u mbufs out of the pool, expected %u (%u idle + %u awaiting resolution): "
		    "%s",
		    when, in_use, expect, g->idle_in_use, waiting,
		    in_use > expect ? "an mbuf leaked" : "an mbuf was freed twice");
	}
	if (g->live_ext > waiting) {
		die("%s: %u frame buffers still attached, at most %u may wait for resolution", when,
		    g->live_ext, waiting);
	}
}

constexpr mac_addr neighbour_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x09}};

// `a`'s owner answering our ARP request.
rte_mbuf *arp_reply_from(ipv4_addr a) {
	rte_mbuf *m = alloc_or_die();
	auto *arp = reinterpret_cast<rte_arp_hdr *>(rte_pktmbuf_append(m, sizeof(rte_arp_hdr)));
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_sha = neighbour_mac.to_rte();
	arp->arp_data.arp_sip = a.be;
	arp->arp_data.arp_tha = stack_mac.to_rte();
	arp->arp_data.arp_tip = ipv4_addr::from_octets(198, 18, 0, 2).be;
	skiff::wire::push_eth(m, stack_mac, neighbour_mac, RTE_ETHER_TYPE_ARP);
	return m;
}

// `a`'s owner answering our neighbour solicitation (solicited, override,
// with its link-layer address).
rte_mbuf *neigh_advert_from(const ipv6_addr &a) {
	rte_mbuf *m = alloc_or_die();
	ipv6_addr to = *ipv6_addr::parse("2001:2::2");
	uint8_t body[24] = {};
	std::memcpy(body, a.b.data(), 16);
	body[16] = 2; // target link-layer address, 8 bytes
	body[17] = 1;
	std::memcpy(body + 18, neighbour_mac.b.data(), 6);
	if (!skiff::wire::append_bytes(m, {body, sizeof(body)}) ||
	    !skiff::wire::push_icmp6(m, a, to, 136, 0, 0x60000000) ||
	    !skiff::wire::push_ipv6(m, a, to, IPPROTO_ICMPV6, 255) ||
	    !skiff::wire::push_eth(m, stack_mac, neighbour_mac, RTE_ETHER_TYPE_IPV6)) {
		die("cannot build a neighbour advertisement");
	}
	return m;
}

// Answer every resolution in progress, as the neighbours would: the packets
// the fuzzed frame left waiting (its reply, or a solicitation's) then leave
// through flush_pending, which one frame alone can never reach.
void resolve_pending() {
	constexpr unsigned max = 8;
	rte_mbuf *pkts[2 * max];
	unsigned n4 = 0, n6 = 0;
	g->w->arp_cache().for_each([&](neigh_entry<ipv4_addr> &e) {
		if (e.state == skiff::net::neigh_state::incomplete && n4 < max) {
			pkts[n4++] = arp_reply_from(e.addr);
		}
	});
	g->w->nd_cache().for_each([&](neigh_entry<ipv6_addr> &e) {
		if (e.state == skiff::net::neigh_state::incomplete && n6 < max) {
			pkts[n4 + n6++] = neigh_advert_from(e.addr);
		}
	});
	if (n4 + n6 != 0) {
		g->w->input(0, pkts, uint16_t(n4 + n6));
		g->w->flush();
	}
}

// Age every neighbour out. One pass with the clock past both timers expires
// every reachable entry and sends one more probe for every incomplete one,
// so max_probes + 1 passes must empty the tables and free what waited.
void quiesce() {
	const skiff::net::neigh_config &nc = g->st->config().neigh;
	auto &arp = g->w->arp_cache();
	auto &nd = g->w->nd_cache();
	for (unsigned pass = 0; arp.size() + nd.size() != 0; pass++) {
		if (pass > nc.max_probes + 1u) {
			die("%u ARP and %u ND entries left after %u aging passes", arp.size(),
			    nd.size(), pass);
		}
		g->clk.advance_ns(nc.reachable_ns + nc.retrans_ns);
		g->w->poll();
	}
	check_mbufs("after aging out every neighbour");
	if (g->live_ext != 0) {
		die("%u frame buffers never freed", g->live_ext);
	}
}

// The gateways are resolved at the start of every input, so frames from them
// are answered straight away and the rest exercise resolution.
void seed_neighbours() {
	uint64_t now = g->clk.now_ns();
	if (!g->w->arp_cache().confirm(ipv4_addr::from_octets(198, 18, 0, 1), 0, gateway_mac,
	                               now) ||
	    !g->w->nd_cache().confirm(*ipv6_addr::parse("2001:2::1"), 0, gateway_mac, now)) {
		die("cannot seed the neighbour tables");
	}
}

void must(const skiff::result<void> &r, const char *what) {
	if (!r) {
		die("%s: %s", what, r.err().message.c_str());
	}
}

uint16_t start_port() {
	uint16_t port;
	if (rte_eth_dev_get_port_by_name("net_null0", &port) != 0) {
		die("net_null0 was not probed: is the net_null PMD installed?");
	}
	rte_eth_conf conf{};
	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 64, SOCKET_ID_ANY, nullptr, g->pool) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 64, SOCKET_ID_ANY, nullptr) != 0 ||
	    rte_eth_dev_start(port) != 0) {
		die("cannot start net_null0: %s", rte_strerror(rte_errno));
	}
	return port;
}

void build_stack() {
	skiff::net::stack_config cfg;
	cfg.name = "fuzz";
	cfg.pool = g->pool;
	auto st = skiff::net::stack::create(cfg, g->clk);
	if (!st) {
		die("stack: %s", st.err().message.c_str());
	}
	g->st = std::move(*st);
	auto ifc = g->st->add_iface(g->port, 1, stack_mac, 1500, skiff::wire::offload_caps{});
	if (!ifc) {
		die("interface: %s", ifc.err().message.c_str());
	}
	must(g->st->add_address("198.18.0.2/24"), "address");
	must(g->st->add_address("2001:2::2/64"), "address");
	must(g->st->add_gateway("198.18.0.1"), "gateway");
	must(g->st->add_gateway("2001:2::1"), "gateway");
	auto w = g->st->add_worker();
	if (!w) {
		die("worker: %s", w.err().message.c_str());
	}
	g->w = *w;
	g->w->set_capture_hook(on_burst, nullptr);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
	(void)argc;
	std::string prefix = "fuzz-" + std::to_string(getpid());
	const char *eal_argv[] = {(*argv)[0],
	                          "--no-huge",
	                          "-m",
	                          "256",
	                          "--no-pci",
	                          "--no-telemetry",
	                          "-l",
	                          "0",
	                          "--file-prefix",
	                          prefix.c_str(),
	                          "--vdev=net_null0,no-rx=1",
	                          "--log-level=lib.*:error",
	                          "--log-level=pmd.*:error"};
	int eal_argc = int(sizeof(eal_argv) / sizeof(eal_argv[0]));
	if (rte_eal_init(eal_argc, const_cast<char **>(eal_argv)) < 0) {
		die("EAL init failed: %s", rte_strerror(rte_errno));
	}
	g = new harness;
	// No per-lcore cache: the in-use count is then exact at every moment.
	g->pool = rte_pktmbuf_pool_create("fuzz_pool", pool_size, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                  SOCKET_ID_ANY);
	if (!g->pool) {
		die("mbuf pool: %s", rte_strerror(rte_errno));
	}
	g->port = start_port();
	build_stack();
	g->w->poll();
	g->idle_in_use = rte_mempool_in_use_count(g->pool);
	quiesce();
	seed_neighbours();
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static uint8_t frame[max_frame];
	if (size > max_frame) {
		return -1; // would not fit one mbuf; keep it out of the corpus
	}
	choices c = decide(data, size);
	std::memcpy(frame, data, size);
	rte_mbuf *m = make_frame(frame, uint16_t(size), c);
	g->w->input(0, &m, 1);
	g->w->flush();
	check_mbufs("after the frame");
	if (c.resolve) {
		resolve_pending();
		check_mbufs("after answering the resolutions");
	}
	g->clk.advance_ns(c.advance_ns);
	if (c.poll) {
		g->w->poll();
		check_mbufs("after a poll");
	}
	quiesce();
	seed_neighbours();
	return 0;
}
