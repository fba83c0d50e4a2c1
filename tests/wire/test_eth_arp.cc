#include "packets.h"
#include "util.h"
#include "wire/arp.h"
#include "wire/eth.h"

using namespace skiff::wire;
using namespace skiff::wire::testing;

namespace {

// arp_request with tags inserted after the MAC addresses.
std::vector<uint8_t> tagged(std::initializer_list<uint8_t> tags) {
	std::vector<uint8_t> v(pkts::arp_request, pkts::arp_request + 12);
	v.insert(v.end(), tags);
	v.insert(v.end(), pkts::arp_request + 12, std::end(pkts::arp_request));
	return v;
}

} // namespace

TEST(Eth, CapturedArpFrame) {
	auto e = eth_view::parse(B(pkts::arp_request));
	ASSERT_TRUE(e.ok());
	EXPECT_EQ(e->dst(), mac_addr::broadcast());
	EXPECT_EQ(e->src().to_string(), "02:00:00:00:00:01");
	EXPECT_EQ(e->ethertype(), ethertype::arp);
	EXPECT_EQ(e->vlan_count(), 0u);
	EXPECT_EQ(e->vlan_tci(0), 0);
	EXPECT_EQ(e->header_len(), 14u);
	EXPECT_EQ(e->payload().size(), 28u);
	EXPECT_EQ(e->payload().data(), pkts::arp_request + 14);
}

TEST(Eth, EveryTruncation) {
	expect_prefixes<eth_view>(B(pkts::arp_request), 14);
}

TEST(Eth, SingleVlanTag) {
	auto f = tagged({0x81, 0x00, 0x20, 0x64}); // PCP 1, VID 100
	auto e = eth_view::parse(f);
	ASSERT_TRUE(e.ok());
	EXPECT_EQ(e->ethertype(), ethertype::arp);
	EXPECT_EQ(e->vlan_count(), 1u);
	EXPECT_EQ(e->vlan_tci(0), 0x2064);
	EXPECT_EQ(e->vlan_id(0), 100);
	EXPECT_EQ(e->header_len(), 18u);
	EXPECT_EQ(e->payload().size(), 28u);
	expect_prefixes<eth_view>(f, 18);
	// Cut inside the tag: truncated, not a bogus EtherType.
	EXPECT_EQ(eth_view::parse(bytes(f).first(16)).error(), parse_error::truncated);
}

TEST(Eth, QinQ) {
	auto f = tagged({0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x05});
	auto e = eth_view::parse(f);
	ASSERT_TRUE(e.ok());
	EXPECT_EQ(e->ethertype(), ethertype::arp);
	EXPECT_EQ(e->vlan_count(), 2u);
	EXPECT_EQ(e->vlan_id(0), 100);
	EXPECT_EQ(e->vlan_id(1), 5);
	EXPECT_EQ(e->header_len(), 22u);
	EXPECT_TRUE(arp_view::parse(e->payload()).ok());
	expect_prefixes<eth_view>(f, 22);
}

TEST(Eth, ThirdTagUnsupported) {
	auto f = tagged({0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x05, 0x81, 0x00, 0x00, 0x06});
	EXPECT_EQ(eth_view::parse(f).error(), parse_error::unsupported);
}

TEST(Arp, CapturedRequestAndReply) {
	auto a = arp_view::parse(l3_of(B(pkts::arp_request)));
	ASSERT_TRUE(a.ok());
	EXPECT_EQ(a->op(), arp_op::request);
	EXPECT_EQ(a->sha().to_string(), "02:00:00:00:00:01");
	EXPECT_EQ(a->spa(), ipv4_addr::from_octets(10, 0, 0, 1));
	EXPECT_TRUE(a->tha().is_zero());
	EXPECT_EQ(a->tpa(), ipv4_addr::from_octets(10, 0, 0, 2));

	auto r = arp_view::parse(l3_of(B(pkts::arp_reply)));
	ASSERT_TRUE(r.ok());
	EXPECT_EQ(r->op(), arp_op::reply);
	EXPECT_EQ(r->sha().to_string(), "02:00:00:00:00:02");
	EXPECT_EQ(r->spa().to_string(), "10.0.0.2");
	EXPECT_EQ(r->tha().to_string(), "02:00:00:00:00:01");
	EXPECT_EQ(r->tpa().to_string(), "10.0.0.1");
}

TEST(Arp, EveryTruncationAndPadding) {
	expect_prefixes<arp_view>(l3_of(B(pkts::arp_request)), 28);
	auto v = to_vec(l3_of(B(pkts::arp_request)));
	v.resize(46, 0); // minimum Ethernet payload
	EXPECT_TRUE(arp_view::parse(v).ok());
}

TEST(Arp, UnsupportedHardwareOrProtocol) {
	struct {
		size_t off;
		uint8_t val;
	} cases[] = {{1, 6}, {2, 0x86}, {4, 8}, {5, 16}};
	for (auto c : cases) {
		auto v = to_vec(l3_of(B(pkts::arp_request)));
		v[c.off] = c.val;
		EXPECT_EQ(arp_view::parse(v).error(), parse_error::unsupported) << c.off;
	}
}
