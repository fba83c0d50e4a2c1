// ARP (RFC 826) through the whole pipeline: replies, learning, and the
// neighbour entry life cycle (pending queue, retries, expiry).

#include "fixture.h"

namespace skiff::test {
namespace {

using net::drop_reason;
using net::neigh_state;

using arp_test = net_test;

TEST_F(arp_test, request_for_us_gets_one_reply_and_teaches_the_sender) {
	auto out = exchange(arp_request_from_peer());

	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], eth(peer_mac, our_mac, et_arp, arp(2, our_mac, our4, peer_mac, peer4)));
	// Field by field too, so a failure says which one.
	EXPECT_EQ(get16(out[0], l3 + 6), 2);           // op: reply
	EXPECT_EQ(get_mac(out[0], l3 + 8), our_mac);   // sha
	EXPECT_EQ(get_v4(out[0], l3 + 14), our4);      // spa
	EXPECT_EQ(get_mac(out[0], l3 + 18), peer_mac); // tha
	EXPECT_EQ(get_v4(out[0], l3 + 24), peer4);     // tpa
	auto *e = arp_entry(peer4);
	ASSERT_NE(e, nullptr);
	EXPECT_EQ(e->state, neigh_state::reachable);
	EXPECT_EQ(e->mac, peer_mac);
	EXPECT_EQ(total_drops(), 0u);
	EXPECT_EQ(_stack->totals().arp_replies_sent, 1u);
	EXPECT_EQ(_stack->totals().tx_packets, 1u);
}

TEST_F(arp_test, padded_request_gets_an_unpadded_reply) {
	frame req = arp_request_from_peer();
	req.resize(60, 0xee);
	auto out = exchange(req);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], eth(peer_mac, our_mac, et_arp, arp(2, our_mac, our4, peer_mac, peer4)));
}

TEST_F(arp_test, request_for_another_address_is_not_answered) {
	auto out = exchange(arp_request_from_peer(v4("198.18.0.3")));
	EXPECT_TRUE(out.empty());
	EXPECT_EQ(dropped(drop_reason::arp_not_for_us), 1u);
	EXPECT_EQ(total_drops(), 1u);
	// RFC 826: only refresh senders we know; this one we did not.
	EXPECT_EQ(arp_entry(peer4), nullptr);
}

TEST_F(arp_test, request_for_another_address_refreshes_a_known_sender) {
	ASSERT_EQ(exchange(arp_request_from_peer()).size(), 1u);
	mac_addr moved = mac("02:00:00:00:00:99");
	auto out = exchange(
	    eth(bcast_mac, moved, et_arp, arp(1, moved, peer4, mac_addr{}, v4("198.18.0.3"))));
	EXPECT_TRUE(out.empty());
	ASSERT_NE(arp_entry(peer4), nullptr);
	EXPECT_EQ(arp_entry(peer4)->mac, moved);
}

TEST_F(arp_test, multicast_sender_mac_is_a_bad_sender) {
	mac_addr group = mac("01:00:5e:00:00:01");
	auto out =
	    exchange(eth(bcast_mac, peer_mac, et_arp, arp(1, group, peer4, mac_addr{}, our4)));
	EXPECT_TRUE(out.empty());
	EXPECT_EQ(dropped(drop_reason::arp_bad_sender), 1u);
	EXPECT_EQ(total_drops(), 1u);
	EXPECT_EQ(arp_entry(peer4), nullptr);
}

TEST_F(arp_test, our_own_address_as_sender_is_a_bad_sender) {
	auto out =
	    exchange(eth(bcast_mac, peer_mac, et_arp, arp(1, peer_mac, our4, mac_addr{}, our4)));
	EXPECT_TRUE(out.empty());
	EXPECT_EQ(dropped(drop_reason::arp_bad_sender), 1u);
	EXPECT_EQ(total_drops(), 1u);
	EXPECT_EQ(arp_entry(our4), nullptr);
}

TEST_F(arp_test, unsolicited_reply_for_us_is_learned_silently) {
	auto out = exchange(arp_reply_from(peer_mac, peer4));
	EXPECT_TRUE(out.empty());
	EXPECT_EQ(total_drops(), 0u);
	ASSERT_NE(arp_entry(peer4), nullptr);
	EXPECT_EQ(arp_entry(peer4)->mac, peer_mac);
}

// An echo request from a neighbour we do not know makes the stack resolve it
// before it can answer; the answer waits on the entry, then goes out.
TEST_F(arp_test, echo_reply_waits_for_resolution) {
	frame data = pattern(24);
	frame request = echo4_request(0x4242, 7, data);
	auto out = exchange(request);

	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0],
	          eth(bcast_mac, our_mac, et_arp, arp(1, our_mac, our4, mac_addr{}, peer4)));
	auto *e = arp_entry(peer4);
	ASSERT_NE(e, nullptr);
	EXPECT_EQ(e->state, neigh_state::incomplete);
	EXPECT_EQ(e->n_pending, 1);

	out = exchange(arp_reply_from(peer_mac, peer4));
	ASSERT_EQ(out.size(), 1u);
	const frame &r = out[0];
	// The request turned round: same IP id and flags, TTL 64, addresses
	// swapped, type 0, same id/seq/data.
	EXPECT_EQ(r, eth(peer_mac, our_mac, et_ipv4,
	                 ipv4(our4, peer4, proto_icmp, icmp4(0, 0x4242, 7, data))));
	ASSERT_EQ(r.size(), l4_v4 + 8 + data.size());
	EXPECT_EQ(get_v4(r, l3 + 12), our4);
	EXPECT_EQ(get_v4(r, l3 + 16), peer4);
	EXPECT_EQ(checksum(r, l3, 20), 0) << "IPv4 header checksum";
	EXPECT_EQ(r[l4_v4], 0) << "ICMP type";
	EXPECT_EQ(checksum(r, l4_v4, r.size() - l4_v4), 0) << "ICMP checksum";
	EXPECT_EQ(get16(r, l4_v4 + 4), 0x4242);
	EXPECT_EQ(get16(r, l4_v4 + 6), 7);
	EXPECT_TRUE(std::equal(data.begin(), data.end(), r.begin() + l4_v4 + 8));
	EXPECT_EQ(arp_entry(peer4)->state, neigh_state::reachable);
	EXPECT_EQ(total_drops(), 0u);
	EXPECT_EQ(_stack->totals().echo_replies_sent, 1u);
}

TEST_F(arp_test, pending_queue_is_bounded) {
	constexpr unsigned max = net::neigh_entry<ipv4_addr>::max_pending;
	constexpr unsigned extra = 3;
	std::vector<frame> out;
	for (uint16_t seq = 0; seq < max + extra; seq++) { // more than one receive burst
		for (frame &f : exchange(echo4_request(1, seq, pattern(8)))) {
			out.push_back(std::move(f));
		}
	}
	ASSERT_EQ(out.size(), 1u) << "one ARP request, however many packets wait";
	EXPECT_EQ(get16(out[0], 12), et_arp);
	EXPECT_EQ(dropped(drop_reason::neigh_queue_full), extra);
	EXPECT_EQ(total_drops(), extra);
	ASSERT_NE(arp_entry(peer4), nullptr);
	EXPECT_EQ(arp_entry(peer4)->n_pending, max);

	// The ones that waited go out in order once the peer answers.
	out = exchange(arp_reply_from(peer_mac, peer4));
	ASSERT_EQ(out.size(), max);
	for (uint16_t seq = 0; seq < max; seq++) {
		EXPECT_EQ(get16(out[seq], l4_v4 + 6), seq);
	}
}

TEST_F(arp_test, pending_packets_are_freed_with_the_stack) {
	for (uint16_t seq = 0; seq < 3; seq++) {
		inject(echo4_request(1, seq, pattern(8)));
	}
	EXPECT_EQ(poll().size(), 1u);
	EXPECT_EQ(arp_entry(peer4)->n_pending, 3);
	// TearDown destroys the stack with three packets waiting: no leak.
}

class arp_retry_test : public net_test {
protected:
	net::neigh_config neigh() const override {
		net::neigh_config c;
		c.retrans_ns = 1000 * ms;
		c.max_probes = 3;
		return c;
	}
};

TEST_F(arp_retry_test, unanswered_resolution_retries_then_drops) {
	const frame probe =
	    eth(bcast_mac, our_mac, et_arp, arp(1, our_mac, our4, mac_addr{}, peer4));
	inject(echo4_request(1, 1, pattern(8)));
	inject(echo4_request(1, 2, pattern(8)));
	auto out = poll();
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], probe);

	// Nothing before the retransmission timer runs out.
	EXPECT_TRUE(run_for(900 * ms).empty());
	out = run_for(100 * ms);
	ASSERT_EQ(out.size(), 1u) << "second probe";
	EXPECT_EQ(out[0], probe);
	out = run_for(1000 * ms);
	ASSERT_EQ(out.size(), 1u) << "third probe";
	EXPECT_EQ(out[0], probe);
	EXPECT_EQ(_stack->totals().arp_requests_sent, 3u);
	EXPECT_EQ(total_drops(), 0u);

	// max_probes sent: the next timeout gives up.
	out = run_for(1000 * ms);
	EXPECT_TRUE(out.empty());
	EXPECT_EQ(dropped(drop_reason::neigh_unresolved), 2u);
	EXPECT_EQ(total_drops(), 2u);
	EXPECT_EQ(arp_entry(peer4), nullptr);
	EXPECT_EQ(_stack->totals().arp_requests_sent, 3u);

	// A new packet starts resolution afresh.
	out = exchange(echo4_request(1, 3, pattern(8)));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], probe);
}

TEST_F(arp_retry_test, solicitation_lost_to_an_empty_pool_is_retried) {
	inject(echo4_request(1, 1, pattern(8)));
	std::vector<rte_mbuf *> hoard;
	while (rte_mbuf *m = rte_pktmbuf_alloc(pool())) {
		hoard.push_back(m);
	}
	EXPECT_TRUE(poll().empty()) << "no mbuf for the ARP request";
	EXPECT_EQ(dropped(drop_reason::no_mbuf), 1u);
	ASSERT_NE(arp_entry(peer4), nullptr);
	EXPECT_EQ(arp_entry(peer4)->n_pending, 1);
	for (rte_mbuf *m : hoard) {
		rte_pktmbuf_free(m);
	}
	auto out = run_for(1000 * ms);
	ASSERT_EQ(out.size(), 1u) << "the retry timer sends it";
	EXPECT_EQ(get16(out[0], 12), et_arp);
	out = exchange(arp_reply_from(peer_mac, peer4));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0][l4_v4], 0) << "the echo reply that waited";
}

TEST_F(arp_test, reachable_entry_expires) {
	const uint64_t reachable = net::neigh_config{}.reachable_ns;
	ASSERT_EQ(exchange(arp_request_from_peer()).size(), 1u);
	ASSERT_NE(arp_entry(peer4), nullptr);

	EXPECT_TRUE(run_for(reachable - 100 * ms).empty());
	EXPECT_NE(arp_entry(peer4), nullptr) << "still valid before reachable_ns";
	EXPECT_TRUE(run_for(100 * ms).empty());
	EXPECT_EQ(arp_entry(peer4), nullptr) << "gone at reachable_ns";
	EXPECT_EQ(total_drops(), 0u);

	// The next reply needs resolution again.
	auto out = exchange(echo4_request(1, 1, pattern(8)));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(get16(out[0], 12), et_arp);
}

} // namespace
} // namespace skiff::test
