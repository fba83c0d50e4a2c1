#include "flows.h"

#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/udp.h"

#include <gtest/gtest.h>

#include <set>
#include <tuple>

using namespace skiff::gen;
namespace wire = skiff::wire;

namespace {

flow_spec v4_spec(const char *src, const char *dst, const char *sport, const char *dport) {
	flow_spec f;
	f.src_mac = {{0x02, 0, 0, 0, 0, 1}};
	f.dst_mac = {{0x02, 0, 0, 0, 0, 2}};
	f.src = *parse_addr_range(src, "--src");
	f.dst = *parse_addr_range(dst, "--dst");
	f.sport = *parse_udp_port_range(sport, "--sport");
	f.dport = *parse_udp_port_range(dport, "--dport");
	return f;
}

/// Parse @p frame with lib/wire and check every checksum; return the 4-tuple.
struct seen {
	uint32_t src_low = 0, dst_low = 0;
	uint16_t sport = 0, dport = 0;
};
seen verify(const std::vector<uint8_t> &frame, bool v6) {
	seen s;
	auto eth = wire::eth_view::parse(frame);
	EXPECT_TRUE(eth.ok());
	if (!v6) {
		auto ip = wire::ipv4_view::parse(eth->payload());
		EXPECT_TRUE(ip.ok());
		EXPECT_TRUE(wire::ipv4_header_checksum_ok(*ip));
		auto udp = wire::udp_view::parse(ip->payload());
		EXPECT_TRUE(udp.ok());
		EXPECT_NE(udp->checksum(), 0);
		EXPECT_TRUE(wire::l4_checksum_ok_v4(*ip, udp->whole()));
		s.src_low = ip->src().host();
		s.dst_low = ip->dst().host();
		s.sport = udp->src_port();
		s.dport = udp->dst_port();
	} else {
		auto ip = wire::ipv6_view::parse(eth->payload());
		EXPECT_TRUE(ip.ok());
		auto udp = wire::udp_view::parse(ip->upper_payload());
		EXPECT_TRUE(udp.ok());
		EXPECT_TRUE(wire::l4_checksum_ok_v6(*ip, udp->whole()));
		s.src_low = wire::load_be32(ip->src().b.data() + 12);
		s.dst_low = wire::load_be32(ip->dst().b.data() + 12);
		s.sport = udp->src_port();
		s.dport = udp->dst_port();
	}
	return s;
}

} // namespace

TEST(flows, minimum_frames) {
	EXPECT_EQ(min_probe_frame(false), 64u);
	EXPECT_EQ(min_probe_frame(true), 82u);
	auto v6 = v4_spec("2001:2::1", "2001:2::2", "1", "2");
	EXPECT_FALSE(build_probe_template(v6, 64).ok());
	EXPECT_TRUE(build_probe_template(v6, 82).ok());
	auto mixed = v4_spec("198.18.0.1", "2001:2::2", "1", "2");
	EXPECT_FALSE(build_probe_template(mixed, 128).ok());
}

TEST(flows, template_is_the_frame_without_fcs) {
	auto spec = v4_spec("198.18.0.1", "198.19.0.1", "1024", "9");
	auto t = build_probe_template(spec, 64);
	ASSERT_TRUE(t.ok());
	EXPECT_EQ(t->data.size(), 60u);
	EXPECT_EQ(t->wire_len, 64u);
	EXPECT_EQ(t->probe_off, 42u);
	seen s = verify(t->data, false);
	EXPECT_EQ(s.src_low, 0xc6120001u);
	EXPECT_EQ(s.sport, 1024);
	EXPECT_EQ(s.dport, 9);
	auto big = build_probe_template(spec, 1518);
	ASSERT_TRUE(big.ok());
	EXPECT_EQ(big->data.size(), 1514u);
	verify(big->data, false);
}

TEST(flows, probe_round_trips_with_valid_checksums) {
	for (bool v6 : {false, true}) {
		auto spec = v6 ? v4_spec("2001:2::1", "2001:2::2", "1024", "9")
		               : v4_spec("198.18.0.1", "198.19.0.1", "1024", "9");
		auto t = build_probe_template(spec, 128);
		ASSERT_TRUE(t.ok());
		flow_cursor fc(spec);
		std::vector<uint8_t> frame(t->data.size());
		for (uint64_t seq : {0ull, 1ull, 0xfffeull, 0x123456789abcdefull, ~0ull}) {
			fill_packet(frame.data(), *t, fc, 7, seq, uint32_t(seq * 31));
			verify(frame, v6);
			probe_fields pf;
			ASSERT_TRUE(parse_probe(frame.data(), uint32_t(frame.size()), pf));
			EXPECT_EQ(pf.stream, 7u);
			EXPECT_EQ(pf.seq, seq);
			EXPECT_EQ(pf.tsc32, uint32_t(seq * 31));
		}
	}
}

TEST(flows, ranges_walk_every_tuple_with_incremental_checksums) {
	for (bool v6 : {false, true}) {
		auto spec = v6 ? v4_spec("2001:2::1-2001:2::3", "2001:2::fffe-2001:2::1:1",
		                         "65534-65535", "0-2")
		               : v4_spec("198.18.0.254-198.18.1.1", "198.19.255.255-198.20.0.0",
		                         "65534-65535", "0-2");
		uint64_t n = spec.flows();
		auto t = build_probe_template(spec, 100);
		ASSERT_TRUE(t.ok());
		flow_cursor fc(spec);
		ASSERT_TRUE(fc.varies());
		std::vector<uint8_t> frame(t->data.size());
		std::set<std::tuple<uint32_t, uint32_t, uint16_t, uint16_t>> tuples;
		for (uint64_t i = 0; i < 2 * n; i++) {
			fill_packet(frame.data(), *t, fc, 1, i, 0xdeadbeef);
			seen s = verify(frame, v6);
			EXPECT_EQ(s.src_low, fc.src_low32());
			EXPECT_EQ(s.dport, fc.dport());
			tuples.insert({s.src_low, s.dst_low, s.sport, s.dport});
			fc.advance();
		}
		EXPECT_EQ(tuples.size(), n) << "v6=" << v6;
	}
}

TEST(flows, skip_is_advance_repeated) {
	auto spec = v4_spec("198.18.0.1-198.18.0.3", "198.19.0.1-198.19.0.2", "1-5", "7-9");
	flow_cursor a(spec), b(spec);
	for (int i = 0; i < 77; i++) {
		a.advance();
	}
	b.skip(77);
	EXPECT_EQ(a.src_low32(), b.src_low32());
	EXPECT_EQ(a.dst_low32(), b.dst_low32());
	EXPECT_EQ(a.sport(), b.sport());
	EXPECT_EQ(a.dport(), b.dport());
}

TEST(flows, parse_probe_rejects_other_frames_at_every_length) {
	auto spec = v4_spec("198.18.0.1", "198.19.0.1", "1024", "9");
	auto t = build_probe_template(spec, 64);
	ASSERT_TRUE(t.ok());
	std::vector<uint8_t> frame(t->data.size());
	fill_packet(frame.data(), *t, flow_cursor(spec), 3, 42, 1);
	probe_fields pf;
	for (uint32_t len = 0; len < 58; len++) {
		EXPECT_FALSE(parse_probe(frame.data(), len, pf)) << len;
	}
	EXPECT_TRUE(parse_probe(frame.data(), 58, pf));
	auto bad_magic = frame;
	bad_magic[42] ^= 0x01;
	EXPECT_FALSE(parse_probe(bad_magic.data(), 60, pf));
	auto arp = frame;
	arp[12] = 0x08, arp[13] = 0x06;
	EXPECT_FALSE(parse_probe(arp.data(), 60, pf));
	auto frag = frame;
	frag[14 + 7] = 0x10; // fragment offset 16
	EXPECT_FALSE(parse_probe(frag.data(), 60, pf));
	// A raw template is sent verbatim.
	auto raw = raw_template(wire::bytes(frame.data(), 60));
	std::vector<uint8_t> out(60);
	fill_packet(out.data(), raw, flow_cursor(spec), 9, 9, 9);
	EXPECT_EQ(out, frame);
}
