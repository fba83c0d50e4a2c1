// IPv6, ICMPv6 echo (RFC 4443) and neighbour discovery (RFC 4861).

#include "fixture.h"

namespace skiff::test {
namespace {

using net::drop_reason;
using net::neigh_state;

using ipv6_test = net_test;

const ipv6_addr our_group = our6.solicited_node(); // ff02::1:ff00:2
const mac_addr our_group_mac = wire::multicast_mac(our_group);
const ipv6_addr all_nodes = v6("ff02::1");

frame ns_for_us(uint8_t hop_limit = 255) {
	return icmp6_frame(our_group_mac, peer_mac, peer6, our_group, icmp6_ns, 0,
	                   ns_body(our6, peer_mac), hop_limit);
}

frame na_from_peer() {
	return icmp6_frame(our_mac, peer_mac, peer6, our6, icmp6_na, 0,
	                   na_body(0x60, peer6, peer_mac), 255);
}

TEST_F(ipv6_test, solicited_node_group_and_mac) {
	EXPECT_EQ(our_group, v6("ff02::1:ff00:2"));
	EXPECT_EQ(our_group_mac, mac("33:33:ff:00:00:02"));
}

TEST_F(ipv6_test, solicitation_gets_a_solicited_override_advert) {
	auto out = exchange(ns_for_us());
	ASSERT_EQ(out.size(), 1u);
	const frame &na = out[0];
	EXPECT_EQ(na, icmp6_frame(peer_mac, our_mac, our6, peer6, icmp6_na, 0,
	                          na_body(0x60, our6, our_mac), 255));
	// The RFC 4861 7.1.2 properties one by one.
	EXPECT_EQ(na[l3 + 7], 255) << "hop limit";
	EXPECT_EQ(na[l4_v6], icmp6_na);
	EXPECT_EQ(na[l4_v6 + 4] & 0xe0, 0x60) << "S and O set, R clear";
	EXPECT_EQ(get_v6(na, l4_v6 + 8), our6) << "target";
	EXPECT_EQ(na[l4_v6 + 24], 2) << "target link-layer address option";
	EXPECT_EQ(na[l4_v6 + 25], 1);
	EXPECT_EQ(get_mac(na, l4_v6 + 26), our_mac);
	size_t len = na.size() - l4_v6;
	EXPECT_EQ(checksum(na, l4_v6, len, pseudo6(our6, peer6, uint32_t(len), proto_icmp6)), 0);

	auto *e = nd_entry(peer6);
	ASSERT_NE(e, nullptr) << "the source link-layer option teaches the sender";
	EXPECT_EQ(e->state, neigh_state::reachable);
	EXPECT_EQ(e->mac, peer_mac);
	EXPECT_EQ(total_drops(), 0u);
	EXPECT_EQ(_stack->totals().ndp_adverts_sent, 1u);
}

TEST_F(ipv6_test, solicitation_with_hop_limit_below_255_is_invalid) {
	auto out = exchange(ns_for_us(64));
	EXPECT_TRUE(out.empty());
	EXPECT_EQ(dropped(drop_reason::ndp_invalid), 1u);
	EXPECT_EQ(total_drops(), 1u);
	EXPECT_EQ(nd_entry(peer6), nullptr);
}

TEST_F(ipv6_test, duplicate_address_detection_is_answered_to_all_nodes) {
	auto out = exchange(icmp6_frame(our_group_mac, peer_mac, ipv6_addr{}, our_group, icmp6_ns,
	                                0, ns_body(our6, std::nullopt), 255));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], icmp6_frame(mac("33:33:00:00:00:01"), our_mac, our6, all_nodes, icmp6_na,
	                              0, na_body(0x20, our6, our_mac), 255));
	EXPECT_EQ(out[0][l4_v6 + 4] & 0x40, 0) << "no S flag";
	EXPECT_EQ(total_drops(), 0u);
	EXPECT_EQ(nd_entry(ipv6_addr{}), nullptr);
}

TEST_F(ipv6_test, echo_waits_for_neighbour_discovery) {
	frame data = pattern(32);
	auto out = exchange(echo6_request(0x77, 3, data));
	ASSERT_EQ(out.size(), 1u);
	const ipv6_addr peer_group = peer6.solicited_node();
	EXPECT_EQ(out[0], icmp6_frame(wire::multicast_mac(peer_group), our_mac, our6, peer_group,
	                              icmp6_ns, 0, ns_body(peer6, our_mac), 255));
	ASSERT_NE(nd_entry(peer6), nullptr);
	EXPECT_EQ(nd_entry(peer6)->state, neigh_state::incomplete);

	out = exchange(na_from_peer());
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0],
	          icmp6_frame(peer_mac, our_mac, our6, peer6, 129, 0, echo_body(0x77, 3, data)));
	size_t len = out[0].size() - l4_v6;
	EXPECT_EQ(checksum(out[0], l4_v6, len, pseudo6(our6, peer6, uint32_t(len), proto_icmp6)),
	          0);
	EXPECT_EQ(total_drops(), 0u);
	EXPECT_EQ(_stack->totals().echo_replies_sent, 1u);
}

TEST_F(ipv6_test, echo_to_a_known_neighbour_with_padding) {
	ASSERT_EQ(exchange(ns_for_us()).size(), 1u);
	frame request = echo6_request(1, 2, {});
	ASSERT_EQ(request.size(), 62u);
	request.resize(64, 0x77); // an IPv6 frame is at least 62 bytes; pad a little anyway
	auto out = exchange(request);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], icmp6_frame(peer_mac, our_mac, our6, peer6, 129, 0, echo_body(1, 2, {})));
}

TEST_F(ipv6_test, echo_with_destination_options_is_answered_without_them) {
	ASSERT_EQ(exchange(ns_for_us()).size(), 1u);
	frame data = pattern(8);
	frame icmp = icmp6(peer6, our6, 128, 0, echo_body(4, 5, data));
	frame dstopts{proto_icmp6, 0, 1, 4, 0, 0, 0, 0}; // PadN over 6 bytes
	frame payload = dstopts;
	put(payload, icmp);
	auto out = exchange(eth(our_mac, peer_mac, et_ipv6, ipv6(peer6, our6, 60, payload)));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0],
	          icmp6_frame(peer_mac, our_mac, our6, peer6, 129, 0, echo_body(4, 5, data)));
	EXPECT_EQ(total_drops(), 0u);
}

TEST_F(ipv6_test, unsolicited_advert_does_not_create_an_entry) {
	auto out = exchange(icmp6_frame(mac("33:33:00:00:00:01"), peer_mac, peer6, all_nodes,
	                                icmp6_na, 0, na_body(0x20, peer6, peer_mac), 255));
	EXPECT_TRUE(out.empty());
	EXPECT_EQ(total_drops(), 0u);
	EXPECT_EQ(nd_entry(peer6), nullptr);
}

TEST_F(ipv6_test, solicited_advert_to_a_group_is_invalid) {
	auto out = exchange(icmp6_frame(mac("33:33:00:00:00:01"), peer_mac, peer6, all_nodes,
	                                icmp6_na, 0, na_body(0x60, peer6, peer_mac), 255));
	EXPECT_TRUE(out.empty());
	EXPECT_EQ(dropped(drop_reason::ndp_invalid), 1u);
	EXPECT_EQ(total_drops(), 1u);
}

TEST_F(ipv6_test, link_local_solicitation_is_answered_from_link_local) {
	const ipv6_addr our_ll = net::link_local_from_mac(our_mac);
	const ipv6_addr peer_ll = v6("fe80::9");
	EXPECT_EQ(our_ll, v6("fe80::ff:fe00:2"));
	auto out = exchange(icmp6_frame(wire::multicast_mac(our_ll.solicited_node()), peer_mac,
	                                peer_ll, our_ll.solicited_node(), icmp6_ns, 0,
	                                ns_body(our_ll, peer_mac), 255));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], icmp6_frame(peer_mac, our_mac, our_ll, peer_ll, icmp6_na, 0,
	                              na_body(0x60, our_ll, our_mac), 255));
}

// RFC 4291 2.5.6: link-local addresses are never routed, so a default
// route must not capture replies to a link-local peer.
TEST_F(ipv6_test, link_local_peer_is_answered_on_link_despite_a_default_route) {
	ASSERT_TRUE(_stack->add_gateway("2001:2::1"));
	const ipv6_addr our_ll = net::link_local_from_mac(our_mac);
	const ipv6_addr peer_ll = v6("fe80::9");
	auto out = exchange(icmp6_frame(wire::multicast_mac(our_ll.solicited_node()), peer_mac,
	                                peer_ll, our_ll.solicited_node(), icmp6_ns, 0,
	                                ns_body(our_ll, peer_mac), 255));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], icmp6_frame(peer_mac, our_mac, our_ll, peer_ll, icmp6_na, 0,
	                              na_body(0x60, our_ll, our_mac), 255));

	out = exchange(
	    icmp6_frame(our_mac, peer_mac, peer_ll, our_ll, 128, 0, echo_body(1, 2, pattern(8))));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], icmp6_frame(peer_mac, our_mac, our_ll, peer_ll, 129, 0,
	                              echo_body(1, 2, pattern(8))));
	EXPECT_EQ(nd_entry(v6("2001:2::1")), nullptr) << "the gateway was never involved";
	EXPECT_EQ(total_drops(), 0u);
}

TEST_F(ipv6_test, echo_to_all_nodes_is_answered_from_our_unicast_address) {
	ASSERT_EQ(exchange(ns_for_us()).size(), 1u);
	auto out = exchange(icmp6_frame(mac("33:33:00:00:00:01"), peer_mac, peer6, all_nodes, 128,
	                                0, echo_body(8, 9, pattern(8))));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0],
	          icmp6_frame(peer_mac, our_mac, our6, peer6, 129, 0, echo_body(8, 9, pattern(8))));
}

TEST_F(ipv6_test, echo_off_link_goes_through_the_v6_gateway) {
	ASSERT_TRUE(_stack->add_gateway("2001:2::1"));
	const ipv6_addr far6 = v6("2001:3::1");
	ASSERT_EQ(worker().send_echo_request(net::any_addr(far6), 1, 1, 8), 0);
	auto out = poll();
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(get_v6(out[0], l4_v6 + 8), v6("2001:2::1")) << "NS for the gateway";
	EXPECT_EQ(nd_entry(far6), nullptr);
}

// RFC 4291 2.5.2: the unspecified address is never a destination, so an
// echo "from" it cannot be answered, with or without a default route.
TEST_F(ipv6_test, echo_from_the_unspecified_address_is_not_answered) {
	ASSERT_TRUE(_stack->add_gateway("2001:2::1"));
	auto out = exchange(
	    icmp6_frame(our_mac, peer_mac, ipv6_addr{}, our6, 128, 0, echo_body(1, 1, pattern(8))));
	EXPECT_TRUE(out.empty());
	EXPECT_EQ(dropped(drop_reason::ipv6_bad_source), 1u);
	EXPECT_EQ(total_drops(), 1u);
	EXPECT_EQ(nd_entry(v6("2001:2::1")), nullptr);
}

} // namespace
} // namespace skiff::test
