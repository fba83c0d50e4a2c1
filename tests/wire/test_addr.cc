#include "wire/bytes.h"

#include <gtest/gtest.h>

#include <unordered_set>

using namespace skiff::wire;

TEST(MacAddr, PredicatesAndText) {
	mac_addr m{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
	EXPECT_EQ(m.to_string(), "02:00:00:00:00:01");
	EXPECT_FALSE(m.is_multicast());
	EXPECT_FALSE(m.is_broadcast());
	EXPECT_TRUE(mac_addr::broadcast().is_broadcast());
	EXPECT_TRUE(mac_addr::broadcast().is_multicast());
	EXPECT_TRUE(mac_addr{}.is_zero());
	EXPECT_EQ(mac_addr::parse("02:00:00:00:00:01"), m);
	EXPECT_EQ(mac_addr::parse("AA:bb:cc:dd:ee:FF")->to_string(), "aa:bb:cc:dd:ee:ff");
	EXPECT_FALSE(mac_addr::parse("02:00:00:00:00"));
	EXPECT_FALSE(mac_addr::parse("02:00:00:00:00:0g"));
	EXPECT_FALSE(mac_addr::parse("02-00-00-00-00-01"));
	rte_ether_addr e = m.to_rte();
	EXPECT_EQ(mac_addr::from(e), m);
}

TEST(Ipv4Addr, NetworkOrderStorage) {
	ipv4_addr a = ipv4_addr::from_host(0x0a000001);
	const auto *p = reinterpret_cast<const uint8_t *>(&a.be);
	EXPECT_EQ(p[0], 10);
	EXPECT_EQ(p[3], 1);
	EXPECT_EQ(a.host(), 0x0a000001u);
	EXPECT_EQ(a, ipv4_addr::from_octets(10, 0, 0, 1));
	EXPECT_EQ(a.to_string(), "10.0.0.1");
	EXPECT_EQ(ipv4_addr::parse("10.0.0.1"), a);
}

TEST(Ipv4Addr, ParseRejects) {
	for (const char *s : {"", "10.0.0", "10.0.0.256", "10.0.0.1.2", "a.b.c.d", "10.0.0.1 ",
	                      "1111111111111111111111111"}) {
		EXPECT_FALSE(ipv4_addr::parse(s)) << s;
	}
}

TEST(Ipv4Addr, Predicates) {
	EXPECT_TRUE(ipv4_addr::parse("224.0.0.1")->is_multicast());
	EXPECT_TRUE(ipv4_addr::parse("239.255.255.255")->is_multicast());
	EXPECT_FALSE(ipv4_addr::parse("240.0.0.1")->is_multicast());
	EXPECT_TRUE(ipv4_addr::parse("255.255.255.255")->is_broadcast());
	EXPECT_TRUE(ipv4_addr::parse("0.0.0.0")->is_unspecified());
	EXPECT_TRUE(ipv4_addr::parse("127.1.2.3")->is_loopback());
	EXPECT_FALSE(ipv4_addr::parse("128.0.0.1")->is_loopback());
	EXPECT_EQ(multicast_mac(*ipv4_addr::parse("239.129.2.3")).to_string(), "01:00:5e:01:02:03");
}

TEST(Ipv6Addr, TextAndPredicates) {
	auto a = ipv6_addr::parse("fe80::ff:fe00:2");
	ASSERT_TRUE(a);
	EXPECT_EQ(a->to_string(), "fe80::ff:fe00:2");
	EXPECT_TRUE(a->is_link_local());
	EXPECT_FALSE(a->is_multicast());
	EXPECT_TRUE(ipv6_addr::parse("ff02::1")->is_multicast());
	EXPECT_EQ(*ipv6_addr::parse("ff02::1"), ipv6_addr::all_nodes());
	EXPECT_EQ(*ipv6_addr::parse("ff02::2"), ipv6_addr::all_routers());
	EXPECT_TRUE(ipv6_addr{}.is_unspecified());
	EXPECT_TRUE(ipv6_addr::parse("::1")->is_loopback());
	EXPECT_TRUE(ipv6_addr::parse("::ffff:10.0.0.1")->is_v4_mapped());
	EXPECT_FALSE(ipv6_addr::parse("::10.0.0.1")->is_v4_mapped());
	EXPECT_FALSE(ipv6_addr::parse("fec0::1")->is_link_local());
	EXPECT_FALSE(ipv6_addr::parse("fd00::1::2"));
	EXPECT_FALSE(ipv6_addr::parse("fd00::g"));
	EXPECT_FALSE(ipv6_addr::parse(std::string(100, '1')));
}

TEST(Ipv6Addr, SolicitedNodeAndMulticastMac) {
	auto a = *ipv6_addr::parse("fd00::1234:5678:9abc");
	EXPECT_EQ(a.solicited_node().to_string(), "ff02::1:ff78:9abc");
	EXPECT_EQ(multicast_mac(a.solicited_node()).to_string(), "33:33:ff:78:9a:bc");
	EXPECT_EQ(multicast_mac(ipv6_addr::all_nodes()).to_string(), "33:33:00:00:00:01");
}

TEST(Addr, Hashing) {
	std::unordered_set<ipv6_addr> s6{*ipv6_addr::parse("fd00::1"), *ipv6_addr::parse("fd00::2"),
	                                 *ipv6_addr::parse("fd00::1")};
	EXPECT_EQ(s6.size(), 2u);
	std::unordered_set<ipv4_addr> s4{ipv4_addr::from_host(1), ipv4_addr::from_host(2)};
	EXPECT_EQ(s4.count(ipv4_addr::from_host(2)), 1u);
	std::unordered_set<mac_addr> sm{mac_addr::broadcast(), mac_addr{}};
	EXPECT_EQ(sm.size(), 2u);
}
