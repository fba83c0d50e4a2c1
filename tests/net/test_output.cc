// Packets the stack originates (send_echo_request), routing through a
// gateway, and neighbours shared between workers over event rings.

#include "fixture.h"

#include <cstring>

namespace skiff::test {
namespace {

using net::any_addr;
using net::drop_reason;
using net::neigh_state;

using output_test = net_test;

const ipv4_addr gw4 = v4("198.18.0.1");
const mac_addr gw_mac = mac("02:00:00:00:00:01");
const ipv4_addr far4 = v4("198.19.1.1");

/// The payload make_echo() writes: the send time, then bytes 8, 9, ...
frame echo_data(uint64_t sent_ns, uint16_t len) {
	frame d(len);
	std::memcpy(d.data(), &sent_ns, sizeof(sent_ns));
	for (uint16_t i = sizeof(sent_ns); i < len; i++) {
		d[i] = uint8_t(i);
	}
	return d;
}

TEST_F(output_test, echo_off_link_goes_through_the_gateway) {
	ASSERT_TRUE(_stack->add_gateway("198.18.0.1"));
	ASSERT_EQ(worker().send_echo_request(any_addr(far4), 0x99, 1, 16), 0);

	auto out = poll();
	ASSERT_EQ(out.size(), 1u) << "the gateway is resolved first";
	EXPECT_EQ(out[0], eth(bcast_mac, our_mac, et_arp, arp(1, our_mac, our4, mac_addr{}, gw4)));
	EXPECT_EQ(arp_entry(far4), nullptr) << "resolve the next hop, not the destination";

	out = exchange(arp_reply_from(gw_mac, gw4));
	ASSERT_EQ(out.size(), 1u);
	ip4_opts o;
	o.id = 0;
	EXPECT_EQ(out[0],
	          eth(gw_mac, our_mac, et_ipv4,
	              ipv4(our4, far4, proto_icmp, icmp4(8, 0x99, 1, echo_data(start_ns, 16)), o)));
	EXPECT_EQ(checksum(out[0], l3, 20), 0);
	EXPECT_EQ(checksum(out[0], l4_v4, out[0].size() - l4_v4), 0);
	EXPECT_EQ(total_drops(), 0u);
}

TEST_F(output_test, echo_off_link_without_a_gateway_is_unreachable) {
	EXPECT_EQ(worker().send_echo_request(any_addr(far4), 1, 1, 16), -ENETUNREACH);
	EXPECT_EQ(worker().send_echo_request(any_addr(v6("2001:3::1")), 1, 1, 16), -ENETUNREACH);
	EXPECT_TRUE(poll().empty());
	EXPECT_EQ(total_drops(), 0u);
}

TEST_F(output_test, echo_on_link_v4_to_a_known_neighbour_goes_at_once) {
	ASSERT_EQ(exchange(arp_request_from_peer()).size(), 1u);
	ASSERT_EQ(worker().send_echo_request(any_addr(peer4), 2, 3, 8), 0);
	auto out = poll();
	ASSERT_EQ(out.size(), 1u);
	ip4_opts o;
	o.id = 0;
	EXPECT_EQ(out[0],
	          eth(peer_mac, our_mac, et_ipv4,
	              ipv4(our4, peer4, proto_icmp, icmp4(8, 2, 3, echo_data(start_ns, 8)), o)));
}

TEST_F(output_test, echo_on_link_v6_sends_a_solicitation_first) {
	ASSERT_EQ(worker().send_echo_request(any_addr(peer6), 0x66, 9, 12), 0);
	auto out = poll();
	ASSERT_EQ(out.size(), 1u);
	const ipv6_addr group = peer6.solicited_node();
	EXPECT_EQ(out[0], icmp6_frame(mac("33:33:ff:00:00:09"), our_mac, our6, group, icmp6_ns, 0,
	                              ns_body(peer6, our_mac), 255));
	ASSERT_NE(nd_entry(peer6), nullptr);
	EXPECT_EQ(nd_entry(peer6)->state, neigh_state::incomplete);

	out = exchange(icmp6_frame(our_mac, peer_mac, peer6, our6, icmp6_na, 0,
	                           na_body(0x60, peer6, peer_mac), 255));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], icmp6_frame(peer_mac, our_mac, our6, peer6, 128, 0,
	                              echo_body(0x66, 9, echo_data(start_ns, 12))));
	EXPECT_EQ(total_drops(), 0u);
}

TEST_F(output_test, echo_payload_is_at_least_the_timestamp) {
	ASSERT_EQ(exchange(arp_request_from_peer()).size(), 1u);
	ASSERT_EQ(worker().send_echo_request(any_addr(peer4), 1, 1, 0), 0);
	auto out = poll();
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0].size(), l4_v4 + 8 + 8);
}

class two_workers_test : public net_test {
protected:
	uint16_t n_workers() const override { return 2; }
};

// Worker 1 asks for the peer; the peer's ARP request lands on queue 0 (ARP
// carries no flow RSS could spread). Worker 0 learns it and tells worker 1
// over its event ring, which releases worker 1's waiting packet.
TEST_F(two_workers_test, neighbour_learned_on_one_core_resolves_the_other) {
	ASSERT_EQ(worker(1).send_echo_request(any_addr(peer4), 5, 5, 8), 0);
	auto out1 = poll(1);
	ASSERT_EQ(out1.size(), 1u);
	EXPECT_EQ(get16(out1[0], 12), et_arp);
	ASSERT_NE(arp_entry(peer4, 1), nullptr);
	EXPECT_EQ(arp_entry(peer4, 1)->state, neigh_state::incomplete);

	inject(arp_request_from_peer(), 0);
	auto out0 = poll(0);
	ASSERT_EQ(out0.size(), 1u) << "worker 0 answers the request";
	EXPECT_EQ(get16(out0[0], l3 + 6), 2);
	ASSERT_NE(arp_entry(peer4, 0), nullptr);

	out1 = poll(1);
	ASSERT_EQ(out1.size(), 1u) << "worker 1 releases its echo request on the poll that "
	                              "receives the event";
	EXPECT_EQ(get_mac(out1[0], 0), peer_mac);
	EXPECT_EQ(get16(out1[0], 12), et_ipv4);
	EXPECT_EQ(get_v4(out1[0], l3 + 16), peer4);
	EXPECT_EQ(out1[0][l4_v4], 8);
	ASSERT_NE(arp_entry(peer4, 1), nullptr);
	EXPECT_EQ(arp_entry(peer4, 1)->state, neigh_state::reachable);
	EXPECT_EQ(arp_entry(peer4, 1)->mac, peer_mac);
	EXPECT_EQ(total_drops(), 0u);
}

TEST_F(two_workers_test, events_do_not_create_entries_on_other_cores) {
	inject(arp_request_from_peer(), 0);
	ASSERT_EQ(poll(0).size(), 1u);
	EXPECT_TRUE(poll(1).empty());
	EXPECT_EQ(arp_entry(peer4, 1), nullptr) << "worker 1 never asked for the peer";
}

TEST_F(two_workers_test, v6_neighbour_learned_on_one_core_resolves_the_other) {
	ASSERT_EQ(worker(1).send_echo_request(any_addr(peer6), 5, 5, 8), 0);
	ASSERT_EQ(poll(1).size(), 1u);
	inject(icmp6_frame(our_mac, peer_mac, peer6, our6, icmp6_na, 0,
	                   na_body(0x60, peer6, peer_mac), 255),
	       0);
	EXPECT_TRUE(poll(0).empty());
	auto out1 = poll(1);
	ASSERT_EQ(out1.size(), 1u);
	EXPECT_EQ(get_mac(out1[0], 0), peer_mac);
	EXPECT_EQ(out1[0][l4_v6], 128);
}

} // namespace
} // namespace skiff::test
