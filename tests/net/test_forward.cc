// Forwarding (lib/net/forward.cc) through two ring-backed fake NICs: a
// router with port A (198.18.1.1/24, 2001:2:0:1::1/64) and port B
// (198.18.2.1/24, 2001:2:0:2::1/64), a route to 198.19.0.0/16 and
// 2001:2:0:99::/64 through host B, and hosts A and B pinned as static
// neighbours. Frames go in on one ring and the test checks, byte for byte,
// what comes out of each port.

#include "fixture.h"

#include <random>

namespace skiff::test {
namespace {

using net::drop_reason;
using net::neigh_state;

const mac_addr mac_a = mac("02:00:00:00:01:01"); // the router on port A
const mac_addr mac_b = mac("02:00:00:00:02:01"); // the router on port B
const mac_addr host_a_mac = mac("02:00:00:00:01:09");
const mac_addr host_b_mac = mac("02:00:00:00:02:09");
const ipv4_addr router_a4 = v4("198.18.1.1");
const ipv4_addr router_b4 = v4("198.18.2.1");
const ipv4_addr host_a4 = v4("198.18.1.9");
const ipv4_addr host_b4 = v4("198.18.2.9");
const ipv4_addr far4 = v4("198.19.7.7"); // through host B
const ipv6_addr router_a6 = v6("2001:2:0:1::1");
const ipv6_addr router_b6 = v6("2001:2:0:2::1");
const ipv6_addr host_a6 = v6("2001:2:0:1::9");
const ipv6_addr host_b6 = v6("2001:2:0:2::9");
const ipv6_addr far6 = v6("2001:2:0:99::7"); // through host B

/// 8 bytes of UDP-like header then data: forwarding never looks at it.
frame l4_payload(size_t n = 24) {
	frame f;
	put16(f, 40000);
	put16(f, 9);
	put16(f, uint16_t(n));
	put16(f, 0);
	put(f, pattern(n - 8));
	return f;
}

frame v4_from_a(ipv4_addr dst, uint8_t ttl = 64, const frame &payload = l4_payload(),
                ipv4_addr src = host_a4) {
	ip4_opts o;
	o.ttl = ttl;
	return eth(mac_a, host_a_mac, et_ipv4, ipv4(src, dst, proto_udp, payload, o));
}

frame v6_from_a(const ipv6_addr &dst, uint8_t hop_limit = 64, const frame &payload = l4_payload(),
                const ipv6_addr &src = host_a6) {
	return eth(mac_a, host_a_mac, et_ipv6, ipv6(src, dst, proto_udp, payload, hop_limit));
}

/// The IPv4 header the router sends its own packets with.
ip4_opts router_opts() {
	ip4_opts o;
	o.id = 0;
	return o;
}

/// Bytes [l3, l3 + n) of a frame: the quote an ICMP error carries.
frame quote_of(const frame &f, size_t n) {
	return frame(f.begin() + l3, f.begin() + long(l3 + n));
}

/// ICMPv6 error body: the 4-byte field after the checksum, then the quote.
frame icmp6_error_body(uint32_t rest, const frame &quote) {
	frame b;
	put32(b, rest);
	put(b, quote);
	return b;
}

class forward_test : public testing::Test {
protected:
	virtual bool forwarding() const { return true; }
	virtual uint16_t mtu_b() const { return 1500; }
	virtual std::vector<const char *> extra_addresses() const { return {}; }

	void SetUp() override {
		_avail = rte_mempool_avail_count(pool());
		ASSERT_EQ(_a.open(1), "");
		ASSERT_EQ(_b.open(1), "");
		net::stack_config cfg;
		cfg.name = unique_name("f");
		cfg.pool = pool();
		cfg.forwarding = forwarding();
		auto s = net::stack::create(cfg, _clock);
		ASSERT_TRUE(s) << s.err().message;
		_stack = std::move(*s);
		ASSERT_TRUE(_stack->add_iface(_a.port(), 1, mac_a, 1500, {}));
		ASSERT_TRUE(_stack->add_iface(_b.port(), 1, mac_b, mtu_b(), {}));
		for (const char *spec : {"198.18.1.1/24@0", "2001:2:0:1::1/64@0", "198.18.2.1/24@1",
		                         "2001:2:0:2::1/64@1"}) {
			auto r = _stack->add_address(spec);
			ASSERT_TRUE(r) << r.err().message;
		}
		for (const char *spec : extra_addresses()) {
			auto r = _stack->add_address(spec);
			ASSERT_TRUE(r) << r.err().message;
		}
		for (const char *spec :
		     {"198.19.0.0/16,198.18.2.9", "2001:2:0:99::/64,2001:2:0:2::9"}) {
			auto r = _stack->add_route(spec);
			ASSERT_TRUE(r) << r.err().message;
		}
		for (const char *spec :
		     {"198.18.1.9,02:00:00:00:01:09", "2001:2:0:1::9,02:00:00:00:01:09",
		      "198.18.2.9,02:00:00:00:02:09@1", "2001:2:0:2::9,02:00:00:00:02:09"}) {
			auto r = _stack->add_static_neighbour(spec);
			ASSERT_TRUE(r) << r.err().message;
		}
		auto w = _stack->add_worker();
		ASSERT_TRUE(w) << w.err().message;
	}

	void TearDown() override {
		_stack.reset();
		_a.close();
		_b.close();
		EXPECT_EQ(rte_mempool_avail_count(pool()), _avail) << "mbufs leaked";
	}

	net::worker &worker() { return _stack->worker_at(0); }

	struct sent {
		std::vector<frame> a, b;
	};

	/// Poll once; what the router sent on each port.
	sent poll() {
		worker().poll();
		return {_a.take(), _b.take()};
	}

	sent from_a(const frame &f) {
		_a.inject(f);
		return poll();
	}
	sent from_b(const frame &f) {
		_b.inject(f);
		return poll();
	}

	/// What one frame from A did: what came out, and every counter it moved.
	struct outcome {
		sent out;
		std::array<uint64_t, net::n_drop_reasons> drops{};
		uint64_t forwarded = 0;
		uint64_t errors = 0; ///< ICMP errors and port unreachables sent
	};
	outcome run(const frame &f) {
		net::core_counters before = totals();
		outcome o;
		o.out = from_a(f);
		net::core_counters after = totals();
		for (size_t r = 0; r < net::n_drop_reasons; r++) {
			o.drops[r] = after.drops[r] - before.drops[r];
		}
		o.forwarded = after.forwarded - before.forwarded;
		o.errors = after.icmp_errors_sent - before.icmp_errors_sent +
		           after.unreachables_sent - before.unreachables_sent;
		return o;
	}
	void expect_fast_and_full_paths_agree(uint32_t seed);

	uint64_t dropped(drop_reason r) const { return _stack->totals().dropped(r); }
	uint64_t total_drops() const { return _stack->totals().total_drops(); }
	net::core_counters totals() const { return _stack->totals(); }

	static constexpr uint64_t ms = 1'000'000;
	skiff::clock _clock = skiff::clock::manual(1'000 * ms);
	ring_port _a, _b;
	std::unique_ptr<net::stack> _stack;
	unsigned _avail = 0;
};

// ---- The fast path ----------------------------------------------------------

TEST_F(forward_test, v4_is_forwarded_with_ttl_decremented_and_macs_rewritten) {
	auto out = from_a(v4_from_a(host_b4, 64));
	EXPECT_TRUE(out.a.empty());
	ASSERT_EQ(out.b.size(), 1u);
	ip4_opts o;
	o.ttl = 63; // and the builder computes the checksum from scratch
	EXPECT_EQ(out.b[0], eth(host_b_mac, mac_b, et_ipv4,
	                        ipv4(host_a4, host_b4, proto_udp, l4_payload(), o)));
	EXPECT_EQ(checksum(out.b[0], l3, 20), 0);
	EXPECT_EQ(totals().forwarded, 1u);
	EXPECT_EQ(total_drops(), 0u);
}

TEST_F(forward_test, v4_through_a_gateway_goes_to_the_gateways_mac) {
	auto out = from_a(v4_from_a(far4, 2));
	ASSERT_EQ(out.b.size(), 1u);
	ip4_opts o;
	o.ttl = 1;
	EXPECT_EQ(out.b[0],
	          eth(host_b_mac, mac_b, et_ipv4, ipv4(host_a4, far4, proto_udp, l4_payload(), o)));
}

TEST_F(forward_test, v6_is_forwarded_with_hop_limit_decremented) {
	auto out = from_a(v6_from_a(host_b6, 64));
	EXPECT_TRUE(out.a.empty());
	ASSERT_EQ(out.b.size(), 1u);
	EXPECT_EQ(out.b[0], eth(host_b_mac, mac_b, et_ipv6,
	                        ipv6(host_a6, host_b6, proto_udp, l4_payload(), 63)));
	out = from_a(v6_from_a(far6, 2));
	ASSERT_EQ(out.b.size(), 1u);
	EXPECT_EQ(out.b[0],
	          eth(host_b_mac, mac_b, et_ipv6, ipv6(host_a6, far6, proto_udp, l4_payload(), 1)));
	EXPECT_EQ(totals().forwarded, 2u);
	EXPECT_EQ(total_drops(), 0u);
}

TEST_F(forward_test, both_directions) {
	auto out = from_b(
	    eth(mac_b, host_b_mac, et_ipv4, ipv4(host_b4, host_a4, proto_udp, l4_payload())));
	ASSERT_EQ(out.a.size(), 1u);
	EXPECT_EQ(get_mac(out.a[0], 0), host_a_mac);
	EXPECT_EQ(get_mac(out.a[0], 6), mac_a);
	EXPECT_EQ(out.a[0][l3 + 8], 63);
}

TEST_F(forward_test, ethernet_padding_is_not_forwarded) {
	frame f = v4_from_a(host_b4, 64, l4_payload(8)); // 42 bytes: padded to 60
	size_t real = f.size();
	f.resize(60, 0xee);
	auto out = from_a(f);
	ASSERT_EQ(out.b.size(), 1u);
	EXPECT_EQ(out.b[0].size(), real);
}

// The RFC 1624 update against a full recomputation, over random headers:
// every TTL, flags, ids, type-of-service values and addresses.
TEST_F(forward_test, incremental_checksum_matches_a_full_recomputation) {
	std::mt19937 rng(1624);
	for (int round = 0; round < 64; round++) {
		std::vector<frame> sent_frames;
		for (int i = 0; i < 16; i++) {
			ip4_opts o;
			o.ttl = uint8_t(2 + rng() % 254);
			o.id = uint16_t(rng());
			o.frag = uint16_t(rng() & 0x4000);
			ipv4_addr dst =
			    ipv4_addr::from_host(0xc6130000u | (rng() & 0xffff)); // 198.19/16
			ipv4_addr src = ipv4_addr::from_host(0xc6120100u | (2 + rng() % 252));
			frame f = eth(mac_a, host_a_mac, et_ipv4,
			              ipv4(src, dst, proto_udp, l4_payload(8 + rng() % 40), o));
			f[l3 + 1] = uint8_t(rng()); // TOS
			fix_ipv4_checksum(f);
			sent_frames.push_back(f);
			_a.inject(f);
		}
		auto out = poll();
		ASSERT_EQ(out.b.size(), sent_frames.size());
		for (size_t i = 0; i < out.b.size(); i++) {
			frame expect = sent_frames[i];
			expect[l3 + 8]--;
			fix_ipv4_checksum(expect);
			std::copy(host_b_mac.b.begin(), host_b_mac.b.end(), expect.begin());
			std::copy(mac_b.b.begin(), mac_b.b.end(), expect.begin() + 6);
			ASSERT_EQ(out.b[i], expect) << "round " << round << " frame " << i;
		}
	}
	EXPECT_EQ(total_drops(), 0u);
}

TEST_F(forward_test, fragments_are_forwarded_not_reassembled) {
	ip4_opts first;
	first.frag = 0x2000; // MF
	ip4_opts later;
	later.frag = 0x0003; // offset 24
	for (const ip4_opts &o : {first, later}) {
		ip4_opts fwd = o;
		fwd.ttl = 63;
		auto out = from_a(eth(mac_a, host_a_mac, et_ipv4,
		                      ipv4(host_a4, host_b4, proto_udp, l4_payload(), o)));
		ASSERT_EQ(out.b.size(), 1u);
		EXPECT_EQ(out.b[0], eth(host_b_mac, mac_b, et_ipv4,
		                        ipv4(host_a4, host_b4, proto_udp, l4_payload(), fwd)));
	}
	EXPECT_EQ(total_drops(), 0u);
}

TEST_F(forward_test, a_burst_is_forwarded_in_order) {
	for (uint16_t i = 0; i < 40; i++) {
		_a.inject(v4_from_a(host_b4, 64, l4_payload(8 + i)));
	}
	auto out = poll(); // the worker takes 32 per poll
	auto rest = poll();
	out.b.insert(out.b.end(), rest.b.begin(), rest.b.end());
	ASSERT_EQ(out.b.size(), 40u);
	for (uint16_t i = 0; i < 40; i++) {
		EXPECT_EQ(out.b[i].size(), 14u + 20 + 8 + i);
	}
}

// ---- The burst fast path ---------------------------------------------------
//
// The router checks the plain IPv4 transit frames of a burst in one pass and
// routes them with one lookup; every other frame takes the full receive path.
// These tests hold the two to the same decisions.

/// `f` (an IPv4 frame) with 4 bytes of NOP options: the full path only.
frame with_options(const frame &f) {
	frame g(f.begin(), f.begin() + long(l4_v4));
	g.insert(g.end(), {1, 1, 1, 1});
	g.insert(g.end(), f.begin() + long(l4_v4), f.end());
	g[l3] = 0x46;
	set16(g, l3 + 2, uint16_t(get16(g, l3 + 2) + 4));
	fix_ipv4_checksum(g);
	return g;
}

/// The reverse of with_options(), on a forwarded frame.
frame without_options(const frame &g) {
	frame f(g.begin(), g.begin() + long(l4_v4));
	f.insert(f.end(), g.begin() + long(l4_v4 + 4), g.end());
	f[l3] = 0x45;
	set16(f, l3 + 2, uint16_t(get16(f, l3 + 2) - 4));
	fix_ipv4_checksum(f);
	return f;
}

frame bad_checksum(frame f) {
	f[l3 + 10] ^= 0x40;
	return f;
}

/// What a port sent for a frame and for its twin with options: forwarded
/// datagrams the same but for the options, ICMP errors (the only ICMP
/// here: the frames carry UDP) of the same type and code, since their quote
/// holds the options.
void expect_same_output(const std::vector<frame> &plain, const std::vector<frame> &full,
                        const std::string &what) {
	ASSERT_EQ(plain.size(), full.size()) << what;
	for (size_t k = 0; k < plain.size(); k++) {
		if (plain[k][l3 + 9] == proto_icmp) {
			EXPECT_EQ(get16(plain[k], l4_v4), get16(full[k], l4_v4)) << what;
		} else {
			EXPECT_EQ(plain[k], without_options(full[k])) << what;
		}
	}
}

TEST_F(forward_test, a_mixed_burst_forwards_exactly_the_good_frames_in_order) {
	auto good = [](ipv4_addr dst, size_t n) { return v4_from_a(dst, 64, l4_payload(8 + n)); };
	frame l2_bcast = good(host_b4, 7);
	std::copy(bcast_mac.b.begin(), bcast_mac.b.end(), l2_bcast.begin());
	frame bad_version = good(host_b4, 8);
	bad_version[l3] = 0x55;
	fix_ipv4_checksum(bad_version);
	frame too_long = good(host_b4, 9);
	set16(too_long, l3 + 2, uint16_t(get16(too_long, l3 + 2) + 1));
	fix_ipv4_checksum(too_long);
	frame ttl_1 = v4_from_a(far4, 1);
	frame echo_to_b = eth(mac_a, host_a_mac, et_ipv4,
	                      ipv4(host_a4, router_b4, proto_icmp, icmp4(8, 1, 1, pattern(8))));
	const std::vector<frame> burst = {
	    good(host_b4, 0),                                         // forwarded
	    bad_checksum(good(host_b4, 1)),                           // ipv4_bad_checksum
	    good(far4, 2),                                            // forwarded
	    ttl_1,                                                    // time exceeded
	    with_options(good(far4, 3)),                              // forwarded, full path
	    bad_version,                                              // ipv4_bad_version
	    too_long,                                                 // ipv4_bad_total_length
	    v4_from_a(host_b4, 64, l4_payload(), router_a4),          // ipv4_bad_source
	    v4_from_a(host_b4, 64, l4_payload(), v4("198.18.1.255")), // ipv4_bad_source
	    v4_from_a(v4("198.18.2.255")),                            // fwd_broadcast
	    l2_bcast,                                                 // fwd_broadcast
	    echo_to_b,                                                // answered
	    good(far4, 4),                                            // forwarded
	};
	ASSERT_LE(burst.size(), 32u) << "one poll";
	for (const frame &f : burst) {
		_a.inject(f);
	}
	auto out = poll();

	auto routed = [](frame f) {
		f[l3 + 8]--;
		fix_ipv4_checksum(f);
		std::copy(host_b_mac.b.begin(), host_b_mac.b.end(), f.begin());
		std::copy(mac_b.b.begin(), mac_b.b.end(), f.begin() + 6);
		return f;
	};
	ASSERT_EQ(out.b.size(), 4u);
	EXPECT_EQ(out.b[0], routed(burst[0]));
	EXPECT_EQ(out.b[1], routed(burst[2]));
	EXPECT_EQ(out.b[2], routed(burst[4]));
	EXPECT_EQ(out.b[3], routed(burst[12]));
	ASSERT_EQ(out.a.size(), 2u);
	EXPECT_EQ(out.a[0], eth(host_a_mac, mac_a, et_ipv4,
	                        ipv4(router_a4, host_a4, proto_icmp,
	                             icmp4(11, 0, 0, quote_of(ttl_1, 20 + 8)), router_opts())));
	EXPECT_EQ(out.a[1][l4_v4], 0) << "echo reply";

	EXPECT_EQ(totals().forwarded, 4u);
	EXPECT_EQ(dropped(drop_reason::ipv4_bad_checksum), 1u);
	EXPECT_EQ(dropped(drop_reason::ttl_exceeded), 1u);
	EXPECT_EQ(dropped(drop_reason::ipv4_bad_version), 1u);
	EXPECT_EQ(dropped(drop_reason::ipv4_bad_total_length), 1u);
	EXPECT_EQ(dropped(drop_reason::ipv4_bad_source), 2u);
	EXPECT_EQ(dropped(drop_reason::fwd_broadcast), 2u);
	EXPECT_EQ(total_drops(), 8u);
	EXPECT_EQ(totals().icmp_errors_sent, 1u);
}

// Each frame and its twin with IP options (which the fast path never takes)
// must meet the same fate: the same port, the same drop reason, the same
// ICMP error, and byte for byte the same datagram forwarded.
void forward_test::expect_fast_and_full_paths_agree(uint32_t seed) {
	std::mt19937 rng(seed);
	// No address whose neighbour would need resolving: the first twin
	// would send the ARP request and the second find it pending.
	const ipv4_addr sources[] = {
	    host_a4,          router_a4,        v4("198.18.1.255"),    v4("127.0.0.1"),
	    v4("0.0.0.0"),    v4("224.0.0.5"),  v4("255.255.255.255"), v4("169.254.3.3"),
	    v4("240.0.0.1"),  v4("198.19.1.1"), v4("203.0.113.9"),     v4("198.18.3.255"),
	    v4("198.18.5.0"), v4("198.18.6.1")};
	const ipv4_addr dests[] = {host_b4,
	                           far4,
	                           router_b4,
	                           router_a4,
	                           v4("198.18.2.255"),
	                           v4("198.18.1.255"),
	                           v4("224.0.0.9"),
	                           v4("255.255.255.255"),
	                           v4("127.0.0.1"),
	                           v4("0.1.2.3"),
	                           v4("169.254.1.1"),
	                           v4("240.0.0.1"),
	                           v4("198.18.200.1"),
	                           v4("198.18.3.255"),
	                           v4("198.18.4.1"),
	                           v4("198.18.5.0"),
	                           v4("198.18.6.1")};
	const uint8_t ttls[] = {0, 1, 2, 64};
	for (int i = 0; i < 40; i++) {
		ipv4_addr src = sources[rng() % std::size(sources)];
		ipv4_addr dst = dests[rng() % std::size(dests)];
		frame f =
		    v4_from_a(dst, ttls[rng() % std::size(ttls)], l4_payload(8 + rng() % 16), src);
		if (rng() % 8 == 0) {
			std::copy(bcast_mac.b.begin(), bcast_mac.b.end(), f.begin());
		}
		frame g = with_options(f);
		if (rng() % 8 == 0) {
			f = bad_checksum(f);
			g = bad_checksum(g);
		}
		outcome plain = run(f);
		outcome full = run(g);
		std::string what = "frame " + std::to_string(i) + ": " + src.to_string() + " -> " +
		                   dst.to_string() + " ttl " + std::to_string(f[l3 + 8]);
		EXPECT_EQ(plain.drops, full.drops) << what;
		EXPECT_EQ(plain.forwarded, full.forwarded) << what;
		EXPECT_EQ(plain.errors, full.errors) << what;
		expect_same_output(plain.out.a, full.out.a, what + ", port A");
		expect_same_output(plain.out.b, full.out.b, what + ", port B");
	}
}

TEST_F(forward_test, the_fast_path_decides_as_the_full_path) {
	expect_fast_and_full_paths_agree(1812);
}

// As many prefixes as the fast path's own table of local addresses holds,
// with a /31 (RFC 3021: no broadcast) and a /32.
class four_prefixes_test : public forward_test {
protected:
	std::vector<const char *> extra_addresses() const override {
		return {"198.18.3.1/24@0", "198.18.5.0/31@0", "198.18.6.1/32@0"};
	}
};

TEST_F(four_prefixes_test, the_fast_path_decides_as_the_full_path) {
	expect_fast_and_full_paths_agree(1122);
}

// More prefixes than that table holds: the fast path asks the interface
// instead, with the same answers.
class many_prefixes_test : public forward_test {
protected:
	std::vector<const char *> extra_addresses() const override {
		return {"198.18.3.1/24@0", "198.18.4.1/24@0", "198.18.5.0/31@0", "198.18.6.1/32@0"};
	}
};

TEST_F(many_prefixes_test, the_fast_path_decides_as_the_full_path) {
	expect_fast_and_full_paths_agree(3021);
}

// ---- ICMP errors ------------------------------------------------------------

TEST_F(forward_test, v4_ttl_1_gets_time_exceeded_quoting_header_and_8_bytes) {
	frame f = v4_from_a(host_b4, 1);
	auto out = from_a(f);
	EXPECT_TRUE(out.b.empty());
	ASSERT_EQ(out.a.size(), 1u);
	EXPECT_EQ(out.a[0], eth(host_a_mac, mac_a, et_ipv4,
	                        ipv4(router_a4, host_a4, proto_icmp,
	                             icmp4(11, 0, 0, quote_of(f, 20 + 8)), router_opts())));
	EXPECT_EQ(dropped(drop_reason::ttl_exceeded), 1u);
	EXPECT_EQ(totals().icmp_errors_sent, 1u);
	EXPECT_EQ(totals().forwarded, 0u);
}

TEST_F(forward_test, v4_ttl_0_gets_time_exceeded_too) {
	auto out = from_a(v4_from_a(host_b4, 0));
	EXPECT_TRUE(out.b.empty());
	ASSERT_EQ(out.a.size(), 1u);
	EXPECT_EQ(out.a[0][l4_v4], 11);
}

TEST_F(forward_test, v6_hop_limit_1_gets_time_exceeded_quoting_the_packet) {
	frame f = v6_from_a(host_b6, 1);
	auto out = from_a(f);
	EXPECT_TRUE(out.b.empty());
	ASSERT_EQ(out.a.size(), 1u);
	EXPECT_EQ(out.a[0], icmp6_frame(host_a_mac, mac_a, router_a6, host_a6, 3, 0,
	                                icmp6_error_body(0, quote_of(f, f.size() - l3))));
	EXPECT_EQ(dropped(drop_reason::ttl_exceeded), 1u);
}

TEST_F(forward_test, v4_no_route_gets_net_unreachable) {
	frame f = v4_from_a(v4("198.18.200.1"));
	auto out = from_a(f);
	EXPECT_TRUE(out.b.empty());
	ASSERT_EQ(out.a.size(), 1u);
	EXPECT_EQ(out.a[0], eth(host_a_mac, mac_a, et_ipv4,
	                        ipv4(router_a4, host_a4, proto_icmp,
	                             icmp4(3, 0, 0, quote_of(f, 28)), router_opts())));
	EXPECT_EQ(dropped(drop_reason::fwd_no_route), 1u);
}

TEST_F(forward_test, v6_no_route_gets_no_route_to_destination) {
	frame f = v6_from_a(v6("2001:2:0:77::1"));
	auto out = from_a(f);
	ASSERT_EQ(out.a.size(), 1u);
	EXPECT_EQ(out.a[0], icmp6_frame(host_a_mac, mac_a, router_a6, host_a6, 1, 0,
	                                icmp6_error_body(0, quote_of(f, f.size() - l3))));
	EXPECT_EQ(dropped(drop_reason::fwd_no_route), 1u);
}

TEST_F(forward_test, v6_quote_is_cut_to_fit_1280_bytes) {
	frame f = v6_from_a(host_b6, 1, l4_payload(1400));
	auto out = from_a(f);
	ASSERT_EQ(out.a.size(), 1u);
	EXPECT_EQ(out.a[0].size(), 14u + 1280);
	EXPECT_EQ(out.a[0], icmp6_frame(host_a_mac, mac_a, router_a6, host_a6, 3, 0,
	                                icmp6_error_body(0, quote_of(f, 1280 - 48))));
}

TEST_F(forward_test, no_error_about_an_icmp_error_or_a_later_fragment) {
	frame err = eth(mac_a, host_a_mac, et_ipv4,
	                ipv4(host_a4, host_b4, proto_icmp, icmp4(3, 0, 0, pattern(28)), [] {
		                ip4_opts o;
		                o.ttl = 1;
		                return o;
	                }()));
	EXPECT_TRUE(from_a(err).a.empty());
	ip4_opts frag;
	frag.ttl = 1;
	frag.frag = 0x0010; // offset 128 bytes
	EXPECT_TRUE(from_a(eth(mac_a, host_a_mac, et_ipv4,
	                       ipv4(host_a4, host_b4, proto_udp, l4_payload(), frag)))
	                .a.empty());
	frame err6 = icmp6_frame(mac_a, host_a_mac, host_a6, host_b6, 1, 4, pattern(48), 1);
	EXPECT_TRUE(from_a(err6).a.empty());
	EXPECT_EQ(dropped(drop_reason::ttl_exceeded), 3u);
	EXPECT_EQ(totals().icmp_errors_sent, 0u);
	// An echo request (informational) does get one.
	frame echo6 = icmp6_frame(mac_a, host_a_mac, host_a6, host_b6, 128, 0, pattern(8), 1);
	EXPECT_EQ(from_a(echo6).a.size(), 1u);
}

TEST_F(forward_test, icmp_errors_are_rate_limited) {
	unsigned errors = 0;
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 30; i++) {
			_a.inject(v4_from_a(host_b4, 1));
		}
		errors += unsigned(poll().a.size());
	}
	EXPECT_EQ(errors, 100u) << "100 tokens a second";
	EXPECT_EQ(totals().unreachables_limited, 50u);
	EXPECT_EQ(dropped(drop_reason::ttl_exceeded), 150u);
	_clock.advance_ns(1'000 * ms);
	_a.inject(v6_from_a(v6("2001:2:0:77::1")));
	EXPECT_EQ(poll().a.size(), 1u) << "the bucket refills after a second";
}

class small_mtu_test : public forward_test {
protected:
	uint16_t mtu_b() const override { return 1280; }
};

TEST_F(small_mtu_test, too_big_gets_frag_needed_or_packet_too_big) {
	frame f = v4_from_a(host_b4, 64, l4_payload(1300)); // DF set
	auto out = from_a(f);
	EXPECT_TRUE(out.b.empty());
	ASSERT_EQ(out.a.size(), 1u);
	frame msg;
	put8(msg, 3);
	put8(msg, 4);
	put16(msg, 0);
	put16(msg, 0);
	put16(msg, 1280); // RFC 1191: the next-hop MTU
	put(msg, quote_of(f, 28));
	set16(msg, 2, checksum(msg, 0, msg.size()));
	EXPECT_EQ(out.a[0], eth(host_a_mac, mac_a, et_ipv4,
	                        ipv4(router_a4, host_a4, proto_icmp, msg, router_opts())));

	ip4_opts may_fragment;
	may_fragment.frag = 0;
	out = from_a(eth(mac_a, host_a_mac, et_ipv4,
	                 ipv4(host_a4, host_b4, proto_udp, l4_payload(1300), may_fragment)));
	EXPECT_TRUE(out.a.empty() && out.b.empty()) << "no fragmentation, no error";

	frame f6 = v6_from_a(host_b6, 64, l4_payload(1300));
	out = from_a(f6);
	ASSERT_EQ(out.a.size(), 1u);
	EXPECT_EQ(out.a[0], icmp6_frame(host_a_mac, mac_a, router_a6, host_a6, 2, 0,
	                                icmp6_error_body(1280, quote_of(f6, 1280 - 48))));
	EXPECT_EQ(dropped(drop_reason::fwd_too_big), 3u);
	// What fits still goes.
	EXPECT_EQ(from_a(v6_from_a(host_b6, 64, l4_payload(1240))).b.size(), 1u);
}

// ---- Neighbours -------------------------------------------------------------

TEST_F(forward_test, v4_next_hop_is_resolved_while_packets_wait) {
	const ipv4_addr host = v4("198.18.2.10");
	const mac_addr host_mac = mac("02:00:00:00:02:10");
	constexpr unsigned max = net::neigh_entry<ipv4_addr>::max_pending;
	for (unsigned i = 0; i <= max; i++) {
		_a.inject(v4_from_a(host, 64, l4_payload(8 + i)));
	}
	std::vector<frame> sent_b;
	for (unsigned p = 0; p <= max / net::burst_size; p++) { // the worker takes a burst a poll
		auto out = poll();
		sent_b.insert(sent_b.end(), out.b.begin(), out.b.end());
	}
	ASSERT_EQ(sent_b.size(), 1u) << "one ARP request, however many packets wait";
	EXPECT_EQ(sent_b[0],
	          eth(bcast_mac, mac_b, et_arp, arp(1, mac_b, router_b4, mac_addr{}, host)));
	EXPECT_EQ(dropped(drop_reason::neigh_queue_full), 1u)
	    << max << " wait, the next is dropped";

	auto out = from_b(eth(mac_b, host_mac, et_arp, arp(2, host_mac, host, mac_b, router_b4)));
	ASSERT_EQ(out.b.size(), max);
	for (unsigned i = 0; i < max; i++) {
		ip4_opts o;
		o.ttl = 63;
		EXPECT_EQ(out.b[i], eth(host_mac, mac_b, et_ipv4,
		                        ipv4(host_a4, host, proto_udp, l4_payload(8 + i), o)));
	}
	// Resolved: the next one takes the fast path.
	out = from_a(v4_from_a(host));
	ASSERT_EQ(out.b.size(), 1u);
	EXPECT_EQ(get_mac(out.b[0], 0), host_mac);
}

// The worker remembers the last neighbour it forwarded to; once that
// neighbour ages out, the next packet must resolve again, not reuse its MAC.
TEST_F(forward_test, a_remembered_neighbour_that_aged_out_is_resolved_again) {
	const ipv4_addr host = v4("198.18.2.11");
	const mac_addr host_mac = mac("02:00:00:00:02:11");
	from_a(v4_from_a(host));
	from_b(eth(mac_b, host_mac, et_arp, arp(2, host_mac, host, mac_b, router_b4)));
	auto out = from_a(v4_from_a(host));
	ASSERT_EQ(out.b.size(), 1u);
	ASSERT_EQ(get_mac(out.b[0], 0), host_mac); // remembered now
	for (int i = 0; i < 400 && worker().arp_cache().find(host); i++) {
		_clock.advance_ns(100 * ms); // REACHABLE_TIME, then the unanswered probes
		poll();
	}
	ASSERT_EQ(worker().arp_cache().find(host), nullptr) << "aged out";
	out = from_a(v4_from_a(host));
	ASSERT_EQ(out.b.size(), 1u);
	EXPECT_EQ(out.b[0],
	          eth(bcast_mac, mac_b, et_arp, arp(1, mac_b, router_b4, mac_addr{}, host)))
	    << "an ARP request, not a frame to the old MAC";
}

TEST_F(forward_test, v6_next_hop_is_resolved_while_packets_wait) {
	const ipv6_addr host = v6("2001:2:0:2::10");
	const mac_addr host_mac = mac("02:00:00:00:02:10");
	frame f = v6_from_a(host);
	auto out = from_a(f);
	ASSERT_EQ(out.b.size(), 1u);
	EXPECT_EQ(out.b[0],
	          icmp6_frame(mac("33:33:ff:00:00:10"), mac_b, router_b6, host.solicited_node(),
	                      icmp6_ns, 0, ns_body(host, mac_b), 255));
	out = from_b(icmp6_frame(mac_b, host_mac, host, router_b6, icmp6_na, 0,
	                         na_body(0x60, host, host_mac), 255));
	ASSERT_EQ(out.b.size(), 1u);
	EXPECT_EQ(out.b[0],
	          eth(host_mac, mac_b, et_ipv6, ipv6(host_a6, host, proto_udp, l4_payload(), 63)));
}

TEST_F(forward_test, static_neighbours_are_permanent) {
	// ARP cannot change a static entry, and aging never removes it.
	from_b(eth(mac_b, mac("02:00:00:00:06:66"), et_arp,
	           arp(2, mac("02:00:00:00:06:66"), host_b4, mac_b, router_b4)));
	_clock.advance_ns(600'000 * ms);
	for (int i = 0; i < 20; i++) {
		_clock.advance_ns(100 * ms);
		ASSERT_TRUE(poll().b.empty()) << "no ARP request for a static neighbour";
	}
	auto *e = worker().arp_cache().find(host_b4);
	ASSERT_NE(e, nullptr);
	EXPECT_TRUE(e->permanent);
	EXPECT_EQ(e->state, neigh_state::reachable);
	auto out = from_a(v4_from_a(host_b4));
	ASSERT_EQ(out.b.size(), 1u);
	EXPECT_EQ(get_mac(out.b[0], 0), host_b_mac);
	EXPECT_EQ(totals().arp_requests_sent, 0u);
}

TEST_F(forward_test, static_neighbour_specs_are_checked) {
	EXPECT_FALSE(_stack->add_static_neighbour("198.18.2.9"));
	EXPECT_FALSE(_stack->add_static_neighbour("198.18.2.9,ff:ff:ff:ff:ff:ff"));
	EXPECT_FALSE(_stack->add_static_neighbour("198.18.2.9,02:00:00:00:00:01@7"));
	EXPECT_FALSE(_stack->add_static_neighbour("224.0.0.1,02:00:00:00:00:01@0"));
	EXPECT_FALSE(_stack->add_static_neighbour("198.20.0.1,02:00:00:00:00:01"))
	    << "no route and no @N";
	EXPECT_TRUE(_stack->add_static_neighbour("198.20.0.1,02:00:00:00:00:01@1"));
	EXPECT_EQ(worker().arp_cache().find(v4("198.20.0.1"))->iface, 1);
}

// ---- What is never forwarded ------------------------------------------------

TEST_F(forward_test, not_forwarded_link_local_multicast_broadcast_martians) {
	struct never {
		frame f;
		drop_reason why;
	};
	frame l2_bcast = v4_from_a(host_b4);
	std::copy(bcast_mac.b.begin(), bcast_mac.b.end(), l2_bcast.begin());
	const never cases[] = {
	    {v6_from_a(host_b6, 64, l4_payload(), v6("fe80::9")), drop_reason::fwd_link_local},
	    {v6_from_a(v6("fe80::1234")), drop_reason::fwd_link_local},
	    {v6_from_a(v6("ff0e::1")), drop_reason::fwd_multicast},
	    {v6_from_a(v6("::1")), drop_reason::fwd_martian},
	    {v6_from_a(host_b6, 64, l4_payload(), v6("::")), drop_reason::fwd_martian},
	    {v4_from_a(v4("198.18.2.255")), drop_reason::fwd_broadcast},
	    {l2_bcast, drop_reason::fwd_broadcast},
	    {v4_from_a(v4("169.254.1.1")), drop_reason::fwd_link_local},
	    {v4_from_a(host_b4, 64, l4_payload(), v4("169.254.1.1")), drop_reason::fwd_link_local},
	    {v4_from_a(v4("127.0.0.1")), drop_reason::fwd_martian},
	    {v4_from_a(v4("0.1.2.3")), drop_reason::fwd_martian},
	    {v4_from_a(v4("240.0.0.1")), drop_reason::fwd_martian},
	};
	for (const never &c : cases) {
		uint64_t before = dropped(c.why), all = total_drops();
		auto out = from_a(c.f);
		EXPECT_TRUE(out.a.empty() && out.b.empty()) << net::drop_name(c.why);
		EXPECT_EQ(dropped(c.why), before + 1) << net::drop_name(c.why);
		EXPECT_EQ(total_drops(), all + 1) << net::drop_name(c.why);
	}
	// Multicast IPv4 is ours to take (and here nobody listens): never routed.
	auto out = from_a(v4_from_a(v4("224.0.0.9")));
	EXPECT_TRUE(out.a.empty() && out.b.empty());
	EXPECT_EQ(totals().forwarded, 0u);
}

TEST_F(forward_test, our_other_interfaces_address_is_answered_not_forwarded) {
	auto out = from_a(eth(mac_a, host_a_mac, et_ipv4,
	                      ipv4(host_a4, router_b4, proto_icmp, icmp4(8, 1, 1, pattern(8)))));
	EXPECT_TRUE(out.b.empty());
	ASSERT_EQ(out.a.size(), 1u);
	EXPECT_EQ(out.a[0][l4_v4], 0) << "echo reply";
	out =
	    from_a(icmp6_frame(mac_a, host_a_mac, host_a6, router_b6, 128, 0, echo_body(1, 1, {})));
	EXPECT_TRUE(out.b.empty());
	ASSERT_EQ(out.a.size(), 1u);
	EXPECT_EQ(out.a[0][l4_v6], 129) << "echo reply";
	EXPECT_EQ(totals().forwarded, 0u);
}

// ---- Routes -----------------------------------------------------------------

TEST_F(forward_test, routes_are_checked) {
	EXPECT_TRUE(_stack->add_route("198.20.0.0/16,direct@1"));
	EXPECT_TRUE(_stack->add_route("2001:2:0:98::/64,2001:2:0:2::9"));
	EXPECT_TRUE(_stack->add_route("0.0.0.0/0,198.18.1.9"));
	for (const char *bad :
	     {"198.21.0.0/16", "198.21.0.1/16,198.18.2.9", "198.21.0.0/16,2001:2:0:2::9",
	      "198.21.0.0/16,198.30.0.1", "198.21.0.0/16,198.18.2.9@9", "198.21.0.0/16,direct@x",
	      "198.19.0.0/16,198.18.2.9", "198.21.0.0/33,198.18.2.9", "198.21.0.0/16,224.0.0.1",
	      "nonsense,direct"}) {
		EXPECT_FALSE(_stack->add_route(bad)) << bad;
	}
	// The default route now catches what had no route.
	auto out = from_a(v4_from_a(v4("198.18.200.1")));
	ASSERT_EQ(out.a.size(), 1u);
	EXPECT_EQ(get_mac(out.a[0], 0), host_a_mac);
	EXPECT_EQ(out.a[0][l3 + 8], 63);
}

// ---- Off by default ---------------------------------------------------------

class host_only_test : public forward_test {
protected:
	bool forwarding() const override { return false; }
};

TEST_F(host_only_test, a_host_stack_does_not_forward) {
	auto out = from_a(v4_from_a(host_b4));
	EXPECT_TRUE(out.a.empty() && out.b.empty());
	EXPECT_EQ(dropped(drop_reason::ipv4_not_for_us), 1u);
	out = from_a(v6_from_a(host_b6));
	EXPECT_TRUE(out.a.empty() && out.b.empty());
	EXPECT_EQ(dropped(drop_reason::ipv6_not_for_us), 1u);
	out = from_a(v4_from_a(host_b4, 1));
	EXPECT_TRUE(out.a.empty()) << "no time exceeded from a host";
	EXPECT_EQ(totals().forwarded, 0u);
}

TEST(forward_config, forwarding_is_off_by_default) {
	EXPECT_FALSE(net::stack_config{}.forwarding);
}

} // namespace
} // namespace skiff::test
