#include "packets.h"
#include "util.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

using namespace skiff::wire;
using namespace skiff::wire::testing;

TEST(Ipv4, CapturedEchoRequest) {
	auto e = eth_view::parse(B(pkts::icmp4_echo_request));
	ASSERT_TRUE(e.ok());
	EXPECT_EQ(e->dst().to_string(), "02:00:00:00:00:02");
	EXPECT_EQ(e->src().to_string(), "02:00:00:00:00:01");
	ASSERT_EQ(e->ethertype(), ethertype::ipv4);

	auto ip = ipv4_view::parse(e->payload());
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->src().to_string(), "10.0.0.1");
	EXPECT_EQ(ip->dst().to_string(), "10.0.0.2");
	EXPECT_EQ(ip->proto(), ip_proto::icmp);
	EXPECT_EQ(ip->ttl(), 64);
	EXPECT_EQ(ip->tos(), 0);
	EXPECT_EQ(ip->id(), 0xb5ac);
	EXPECT_EQ(ip->total_length(), 84);
	EXPECT_EQ(ip->header_len(), 20u);
	EXPECT_TRUE(ip->options().empty());
	EXPECT_TRUE(ip->dont_fragment());
	EXPECT_FALSE(ip->more_fragments());
	EXPECT_EQ(ip->frag_offset(), 0u);
	EXPECT_FALSE(ip->is_fragment());
	EXPECT_EQ(rte_be_to_cpu_16(ip->checksum_raw()), 0x70fa);
	EXPECT_TRUE(ipv4_header_checksum_ok(*ip));
	EXPECT_EQ(ip->header().size(), 20u);
	EXPECT_EQ(ip->payload().size(), 64u);
	EXPECT_EQ(ip->payload().data(), pkts::icmp4_echo_request + 34);

	auto icmp = icmp4_view::parse(ip->payload());
	ASSERT_TRUE(icmp.ok());
	EXPECT_EQ(icmp->type(), icmp4_type::echo_request);
	EXPECT_EQ(icmp->code(), 0);
	EXPECT_EQ(icmp->checksum(), 0xe4f7);
	EXPECT_EQ(icmp->echo_id(), 0x21ec);
	EXPECT_EQ(icmp->echo_seq(), 1);
	EXPECT_EQ(icmp->data().size(), 56u);
	EXPECT_EQ(icmp->data()[16], 0x10); // ping's pattern after the timestamp
	EXPECT_EQ(icmp->whole().size(), 64u);
	EXPECT_EQ(internet_checksum(icmp->whole()), 0);
}

TEST(Ipv4, CapturedEchoReply) {
	auto ip = ipv4_view::parse(l3_of(B(pkts::icmp4_echo_reply)));
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->src().to_string(), "10.0.0.2");
	EXPECT_EQ(ip->id(), 0x378c);
	EXPECT_FALSE(ip->dont_fragment());
	EXPECT_TRUE(ipv4_header_checksum_ok(*ip));
	auto icmp = icmp4_view::parse(ip->payload());
	ASSERT_TRUE(icmp.ok());
	EXPECT_EQ(icmp->type(), icmp4_type::echo_reply);
	EXPECT_EQ(icmp->echo_id(), 0x21ec);
}

TEST(Ipv4, EveryTruncation) {
	bytes l3 = l3_of(B(pkts::icmp4_echo_request));
	expect_prefixes<ipv4_view>(l3, l3.size());
	for (size_t n = 0; n < l3.size(); n++) {
		exact_copy c(l3.first(n));
		auto want = n < 20 ? parse_error::truncated : parse_error::bad_total_length;
		EXPECT_EQ(ipv4_view::parse(c.get()).error(), want) << n;
	}
}

TEST(Ipv4, EthernetPaddingExcluded) {
	auto v = to_vec(l3_of(B(pkts::udp4_hello)));
	ASSERT_EQ(v.size(), 39u);
	v.resize(46, 0);
	auto ip = ipv4_view::parse(v);
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->total_length(), 39);
	EXPECT_EQ(ip->whole().size(), 39u);
	EXPECT_EQ(ip->payload().size(), 19u);
}

TEST(Ipv4, RecordRouteOptions) {
	bytes l3 = l3_of(B(pkts::ipv4_record_route));
	auto ip = ipv4_view::parse(l3);
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->header_len(), 60u);
	ASSERT_EQ(ip->options().size(), 40u);
	EXPECT_EQ(ip->options()[0], 1);  // NOP
	EXPECT_EQ(ip->options()[1], 7);  // record route
	EXPECT_EQ(ip->options()[2], 39); // its length
	EXPECT_EQ(ip->total_length(), 124);
	EXPECT_TRUE(ipv4_header_checksum_ok(*ip));
	auto icmp = icmp4_view::parse(ip->payload());
	ASSERT_TRUE(icmp.ok());
	EXPECT_EQ(icmp->type(), icmp4_type::echo_request);
	for (size_t n = 0; n < l3.size(); n++) {
		exact_copy c(l3.first(n));
		auto want = n < 20   ? parse_error::truncated
		            : n < 60 ? parse_error::bad_header_length
		                     : parse_error::bad_total_length;
		EXPECT_EQ(ipv4_view::parse(c.get()).error(), want) << n;
	}
}

TEST(Ipv4, Fragments) {
	auto f2 = ipv4_view::parse(l3_of(B(pkts::ipv4_frag2)));
	ASSERT_TRUE(f2.ok());
	EXPECT_EQ(f2->id(), 0x718b);
	EXPECT_TRUE(f2->is_fragment());
	EXPECT_FALSE(f2->more_fragments());
	EXPECT_EQ(f2->frag_offset(), 1480u);
	EXPECT_EQ(f2->payload().size(), 128u);
	EXPECT_TRUE(ipv4_header_checksum_ok(*f2));

	// The first fragment: the captured headers, then ping's 'A' pattern.
	const uint8_t head[] = {0x45, 0x00, 0x05, 0xdc, 0x71, 0x8b, 0x20, 0x00, 0x40, 0x01,
	                        0xcf, 0x93, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02};
	std::vector<uint8_t> f1(head, std::end(head));
	f1.resize(1500, 0x41);
	auto ip = ipv4_view::parse(f1);
	ASSERT_TRUE(ip.ok());
	EXPECT_TRUE(ip->is_fragment());
	EXPECT_TRUE(ip->more_fragments());
	EXPECT_EQ(ip->frag_offset(), 0u);
	EXPECT_TRUE(ipv4_header_checksum_ok(*ip));
}

TEST(Ipv4, ImpossibleLengthFields) {
	auto base = to_vec(l3_of(B(pkts::icmp4_echo_request)));
	auto with = [&](size_t off, uint8_t val) {
		auto v = base;
		v[off] = val;
		return ipv4_view::parse(v).error();
	};
	EXPECT_EQ(with(0, 0x65), parse_error::bad_version);
	EXPECT_EQ(with(0, 0x44), parse_error::bad_header_length); // IHL 4
	EXPECT_EQ(with(0, 0x40), parse_error::bad_header_length); // IHL 0
	// total length 19 (< header) and 85 (> buffer)
	EXPECT_EQ(with(3, 19), parse_error::bad_total_length);
	EXPECT_EQ(with(3, 85), parse_error::bad_total_length);
	// IHL 15 claims 60 bytes of header in a 40-byte buffer.
	auto v = base;
	v[0] = 0x4f;
	v.resize(40);
	EXPECT_EQ(ipv4_view::parse(v).error(), parse_error::bad_header_length);
	// total length 0xffff in a short buffer.
	v = base;
	v[2] = 0xff;
	v[3] = 0xff;
	EXPECT_EQ(ipv4_view::parse(v).error(), parse_error::bad_total_length);
}

TEST(Ipv4, HeaderChecksumDetectsCorruption) {
	auto v = to_vec(l3_of(B(pkts::icmp4_echo_request)));
	v[8] = 63; // TTL
	auto ip = ipv4_view::parse(v);
	ASSERT_TRUE(ip.ok());
	EXPECT_FALSE(ipv4_header_checksum_ok(*ip));
}

TEST(Icmp4, PortUnreachableQuotesDatagram) {
	auto ip = ipv4_view::parse(l3_of(B(pkts::icmp4_port_unreach)));
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->tos(), 0xc0);
	auto icmp = icmp4_view::parse(ip->payload());
	ASSERT_TRUE(icmp.ok());
	EXPECT_EQ(icmp->type(), icmp4_type::dest_unreachable);
	EXPECT_EQ(icmp->code(), icmp4_unreach::port);
	EXPECT_EQ(internet_checksum(icmp->whole()), 0);
	auto inner = ipv4_view::parse(icmp->data());
	ASSERT_TRUE(inner.ok());
	EXPECT_EQ(inner->proto(), ip_proto::udp);
	EXPECT_EQ(inner->src().to_string(), "10.0.0.1");
}

TEST(Icmp4, EveryTruncation) {
	bytes msg = l3_of(B(pkts::icmp4_echo_request)).subspan(20);
	expect_prefixes<icmp4_view>(msg, 8);
}
