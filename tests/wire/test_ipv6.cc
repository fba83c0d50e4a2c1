#include "packets.h"
#include "util.h"
#include "wire/checksum.h"
#include "wire/icmp6.h"
#include "wire/ipv6.h"
#include "wire/tcp.h"
#include "wire/udp.h"

using namespace skiff::wire;
using namespace skiff::wire::testing;

namespace {

// An IPv6 packet fd00::1 -> fd00::2 with Next Header @p nh and @p payload.
std::vector<uint8_t> v6(uint8_t nh, std::vector<uint8_t> payload) {
	std::vector<uint8_t> v = {
	    0x60, 0, 0, 0, uint8_t(payload.size() >> 8), uint8_t(payload.size()), nh, 64};
	auto a = *ipv6_addr::parse("fd00::1");
	auto b = *ipv6_addr::parse("fd00::2");
	v.insert(v.end(), a.b.begin(), a.b.end());
	v.insert(v.end(), b.b.begin(), b.b.end());
	v.insert(v.end(), payload.begin(), payload.end());
	return v;
}

// An 8-byte extension header (hop-by-hop / dest options / routing format)
// with next header @p next and hdr ext len @p len, followed by 8*len bytes.
std::vector<uint8_t> ext(uint8_t next, uint8_t len = 0) {
	std::vector<uint8_t> e(8 + 8 * size_t(len), 0);
	e[0] = next;
	e[1] = len;
	e[2] = 1; // PadN
	e[3] = uint8_t(e.size() - 4);
	return e;
}

std::vector<uint8_t> frag(uint8_t next, uint16_t offset, bool more, uint32_t id) {
	uint16_t fd = uint16_t(offset | (more ? 1 : 0));
	return {next,
	        0,
	        uint8_t(fd >> 8),
	        uint8_t(fd),
	        uint8_t(id >> 24),
	        uint8_t(id >> 16),
	        uint8_t(id >> 8),
	        uint8_t(id)};
}

std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
	std::vector<uint8_t> v;
	for (auto &p : parts) {
		v.insert(v.end(), p.begin(), p.end());
	}
	return v;
}

const std::vector<uint8_t> udp8 = {0x12, 0x34, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00};

} // namespace

TEST(Ipv6, CapturedEchoRequest) {
	auto ip = ipv6_view::parse(l3_of(B(pkts::icmp6_echo_request)));
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->src().to_string(), "fd00::1");
	EXPECT_EQ(ip->dst().to_string(), "fd00::2");
	EXPECT_EQ(ip->hop_limit(), 64);
	EXPECT_EQ(ip->traffic_class(), 0);
	EXPECT_EQ(ip->flow_label(), 0x72f34u);
	EXPECT_EQ(ip->payload_length(), 64);
	EXPECT_EQ(ip->next_header(), ip_proto::icmpv6);
	EXPECT_EQ(ip->upper_proto(), ip_proto::icmpv6);
	EXPECT_EQ(ip->upper_offset(), 40u);
	EXPECT_EQ(ip->ext_count(), 0u);
	EXPECT_FALSE(ip->is_fragment());
	EXPECT_FALSE(ip->has_frag_header());
	EXPECT_EQ(ip->header().size(), 40u);
	EXPECT_EQ(ip->upper_payload().size(), 64u);
	EXPECT_TRUE(l4_checksum_ok_v6(*ip));

	auto icmp = icmp6_view::parse(ip->upper_payload());
	ASSERT_TRUE(icmp.ok());
	EXPECT_EQ(icmp->type(), icmp6_type::echo_request);
	EXPECT_EQ(icmp->code(), 0);
	EXPECT_EQ(icmp->checksum(), 0x040e);
	EXPECT_EQ(icmp->echo_id(), 0x21ee);
	EXPECT_EQ(icmp->echo_seq(), 1);
	EXPECT_EQ(icmp->data().size(), 56u);
}

TEST(Ipv6, EveryTruncation) {
	bytes l3 = l3_of(B(pkts::icmp6_echo_request));
	expect_prefixes<ipv6_view>(l3, l3.size());
	for (size_t n = 0; n < l3.size(); n++) {
		exact_copy c(l3.first(n));
		auto want = n < 40 ? parse_error::truncated : parse_error::bad_total_length;
		EXPECT_EQ(ipv6_view::parse(c.get()).error(), want) << n;
	}
}

TEST(Ipv6, PaddingExcludedAndVersionChecked) {
	auto v = to_vec(l3_of(B(pkts::udp6_hello)));
	v.resize(v.size() + 7, 0);
	auto ip = ipv6_view::parse(v);
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->whole().size(), 59u);
	EXPECT_EQ(ip->upper_payload().size(), 19u);
	v[0] = 0x40;
	EXPECT_EQ(ipv6_view::parse(v).error(), parse_error::bad_version);
}

TEST(Ipv6, CapturedMldBehindHopByHop) {
	auto ip = ipv6_view::parse(l3_of(B(pkts::mld2_report)));
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->hop_limit(), 1);
	EXPECT_EQ(ip->next_header(), ip_proto::hopopts);
	EXPECT_EQ(ip->upper_proto(), ip_proto::icmpv6);
	EXPECT_EQ(ip->upper_offset(), 48u);
	EXPECT_EQ(ip->ext_count(), 1u);
	EXPECT_EQ(ip->upper_payload().size(), 28u);
	EXPECT_TRUE(l4_checksum_ok_v6(*ip));
	auto icmp = icmp6_view::parse(ip->upper_payload());
	ASSERT_TRUE(icmp.ok());
	EXPECT_EQ(icmp->type(), 143); // MLDv2 report
}

TEST(Ipv6, TwoExtensionHeadersThenTcp) {
	auto ip = ipv6_view::parse(l3_of(B(pkts::tcp6_syn_ext)));
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->ext_count(), 2u);
	EXPECT_EQ(ip->upper_proto(), ip_proto::tcp);
	EXPECT_EQ(ip->upper_offset(), 56u);
	EXPECT_TRUE(l4_checksum_ok_v6(*ip));
	auto tcp = tcp_view::parse(ip->upper_payload());
	ASSERT_TRUE(tcp.ok());
	EXPECT_EQ(tcp->dst_port(), 443);
}

TEST(Ipv6, ExtensionOverrunsPayload) {
	// hdr ext len 1 claims 16 bytes, only 8 present.
	auto v = v6(ip_proto::hopopts, cat({ext(ip_proto::udp, 0)}));
	v[41] = 1;
	EXPECT_EQ(ipv6_view::parse(v).error(), parse_error::bad_ext_chain);
	// Fewer than 8 bytes where an extension header must be.
	EXPECT_EQ(ipv6_view::parse(v6(ip_proto::dstopts, {17, 0, 1, 2})).error(),
	          parse_error::bad_ext_chain);
	EXPECT_EQ(ipv6_view::parse(v6(ip_proto::routing, {})).error(), parse_error::bad_ext_chain);
	// hdr ext len 255 (2048 bytes) in a small packet.
	v = v6(ip_proto::dstopts, cat({ext(ip_proto::udp), udp8}));
	v[41] = 255;
	EXPECT_EQ(ipv6_view::parse(v).error(), parse_error::bad_ext_chain);
}

TEST(Ipv6, ExtensionChainLimits) {
	std::vector<uint8_t> chain;
	for (int i = 0; i < 7; i++) {
		chain = cat({chain, ext(ip_proto::dstopts)});
	}
	auto eight = v6(ip_proto::dstopts, cat({chain, ext(ip_proto::udp), udp8}));
	auto ip = ipv6_view::parse(eight);
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->ext_count(), 8u);
	EXPECT_EQ(ip->upper_proto(), ip_proto::udp);
	EXPECT_EQ(ip->upper_offset(), 40u + 64u);

	auto nine =
	    v6(ip_proto::dstopts, cat({chain, ext(ip_proto::dstopts), ext(ip_proto::udp), udp8}));
	EXPECT_EQ(ipv6_view::parse(nine).error(), parse_error::bad_ext_chain);
}

TEST(Ipv6, HopByHopMustBeFirst) {
	auto v = v6(ip_proto::dstopts, cat({ext(ip_proto::hopopts), ext(ip_proto::udp), udp8}));
	EXPECT_EQ(ipv6_view::parse(v).error(), parse_error::bad_ext_chain);
}

TEST(Ipv6, AuthenticationHeaderLengthUnit) {
	// AH: payload len 4 -> (4 + 2) * 4 = 24 bytes (RFC 4302 2.2).
	std::vector<uint8_t> ah(24, 0);
	ah[0] = ip_proto::udp;
	ah[1] = 4;
	auto pkt = v6(ip_proto::ah, cat({ah, udp8}));
	auto ip = ipv6_view::parse(pkt);
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->upper_proto(), ip_proto::udp);
	EXPECT_EQ(ip->upper_offset(), 64u);
	ah[1] = 5; // 28 bytes: overruns by 4
	EXPECT_EQ(ipv6_view::parse(v6(ip_proto::ah, cat({ah}))).error(),
	          parse_error::bad_ext_chain);
}

TEST(Ipv6, EspAndNoNextHeaderEndTheWalk) {
	std::vector<uint8_t> esp(16, 0xee);
	auto with_esp = v6(ip_proto::dstopts, cat({ext(ip_proto::esp), esp}));
	auto ip = ipv6_view::parse(with_esp);
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->upper_proto(), ip_proto::esp);
	EXPECT_EQ(ip->upper_payload().size(), 16u);

	auto with_none = v6(ip_proto::dstopts, cat({ext(ip_proto::none), {0, 0, 0}}));
	ip = ipv6_view::parse(with_none);
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->upper_proto(), ip_proto::none);
	EXPECT_EQ(ip->upper_payload().size(), 3u);
}

TEST(Ipv6, AtomicFragmentIsWalkedThrough) {
	auto pkt = v6(ip_proto::fragment, cat({frag(ip_proto::udp, 0, false, 7), udp8}));
	auto ip = ipv6_view::parse(pkt);
	ASSERT_TRUE(ip.ok());
	EXPECT_TRUE(ip->has_frag_header());
	EXPECT_FALSE(ip->is_fragment());
	EXPECT_EQ(ip->upper_proto(), ip_proto::udp);
	EXPECT_EQ(ip->upper_offset(), 48u);
	EXPECT_TRUE(udp_view::parse(ip->upper_payload()).ok());
}

TEST(Ipv6, TwoFragmentHeadersRejected) {
	auto v = v6(ip_proto::fragment, cat({frag(ip_proto::fragment, 0, false, 7),
	                                     frag(ip_proto::udp, 0, false, 8), udp8}));
	EXPECT_EQ(ipv6_view::parse(v).error(), parse_error::bad_ext_chain);
}

TEST(Ipv6, CapturedSecondFragment) {
	auto ip = ipv6_view::parse(l3_of(B(pkts::ipv6_frag2)));
	ASSERT_TRUE(ip.ok());
	EXPECT_TRUE(ip->is_fragment());
	EXPECT_FALSE(ip->more_fragments());
	EXPECT_EQ(ip->frag_offset(), 1448u);
	EXPECT_EQ(ip->frag_id(), 0x639c7acfu);
	EXPECT_EQ(ip->upper_proto(), ip_proto::icmpv6);
	EXPECT_EQ(ip->upper_offset(), 48u);
	EXPECT_EQ(ip->upper_payload().size(), 160u);
}

TEST(Ipv6, FirstFragmentStopsTheWalk) {
	const uint8_t head[] = {0x60, 0x07, 0x2f, 0x34, 0x05, 0xb0, 0x2c, 0x40};
	std::vector<uint8_t> v(head, std::end(head));
	auto a = *ipv6_addr::parse("fd00::1");
	auto b = *ipv6_addr::parse("fd00::2");
	v.insert(v.end(), a.b.begin(), a.b.end());
	v.insert(v.end(), b.b.begin(), b.b.end());
	auto f = frag(ip_proto::icmpv6, 0, true, 0x639c7acf);
	v.insert(v.end(), f.begin(), f.end());
	v.resize(40 + 0x5b0, 0x41);
	auto ip = ipv6_view::parse(v);
	ASSERT_TRUE(ip.ok());
	EXPECT_TRUE(ip->is_fragment());
	EXPECT_TRUE(ip->more_fragments());
	EXPECT_EQ(ip->frag_offset(), 0u);
	EXPECT_EQ(ip->upper_proto(), ip_proto::icmpv6);
	EXPECT_EQ(ip->upper_offset(), 48u);
}

TEST(Ipv6, FragmentDataIsNotParsedAsHeaders) {
	// A later fragment whose "next header" is hop-by-hop: the bytes after
	// the fragment header are data and must not be walked.
	std::vector<uint8_t> junk(16, 0xff);
	auto pkt = v6(ip_proto::fragment, cat({frag(ip_proto::hopopts, 1448, false, 1), junk}));
	auto ip = ipv6_view::parse(pkt);
	ASSERT_TRUE(ip.ok());
	EXPECT_TRUE(ip->is_fragment());
	EXPECT_EQ(ip->upper_proto(), ip_proto::hopopts);
	EXPECT_EQ(ip->upper_payload().size(), 16u);
}

TEST(Ipv6, ExtensionChainPrefixes) {
	// Keep payload length consistent with the buffer, so the chain walk
	// itself sees every cut.
	auto full = cat({ext(ip_proto::dstopts, 1), ext(ip_proto::udp), udp8});
	for (size_t n = 0; n < full.size(); n++) {
		auto v =
		    v6(ip_proto::hopopts, std::vector<uint8_t>(full.begin(), full.begin() + n));
		exact_copy c(v);
		auto r = ipv6_view::parse(c.get());
		if (n < 24) {
			EXPECT_EQ(r.error(), parse_error::bad_ext_chain) << n;
		} else {
			// The chain is complete; UDP is cut, which is UDP's problem.
			ASSERT_TRUE(r.ok()) << n;
			EXPECT_EQ(r->upper_proto(), ip_proto::udp);
		}
	}
}
