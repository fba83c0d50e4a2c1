// IPv4 and ICMP echo (RFC 792) through the pipeline.

#include "fixture.h"

#include <cstring>

namespace skiff::test {
namespace {

using net::drop_reason;

class ipv4_test : public net_test {
protected:
	void SetUp() override {
		net_test::SetUp();
		// Make the peer known so replies leave at once.
		ASSERT_EQ(exchange(arp_request_from_peer()).size(), 1u);
	}
};

TEST_F(ipv4_test, echo_from_a_known_neighbour_is_answered_at_once) {
	frame data = pattern(56);
	auto out = exchange(echo4_request(9, 1, data));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], eth(peer_mac, our_mac, et_ipv4,
	                      ipv4(our4, peer4, proto_icmp, icmp4(0, 9, 1, data))));
	EXPECT_EQ(total_drops(), 0u);
}

TEST_F(ipv4_test, odd_length_echo_keeps_a_valid_checksum) {
	frame data = pattern(57);
	auto out = exchange(echo4_request(0xfffe, 0xffff, data));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(checksum(out[0], l4_v4, out[0].size() - l4_v4), 0);
	EXPECT_EQ(out[0], eth(peer_mac, our_mac, et_ipv4,
	                      ipv4(our4, peer4, proto_icmp, icmp4(0, 0xfffe, 0xffff, data))));
}

// A 28-byte datagram in a minimum-size frame: 18 bytes of padding, which
// must neither be rejected nor echoed back nor summed into the checksum.
TEST_F(ipv4_test, ethernet_padding_is_accepted_and_stripped) {
	frame request = echo4_request(3, 4, {});
	ASSERT_EQ(request.size(), 42u);
	request.resize(60, 0x5a);
	auto out = exchange(request);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], eth(peer_mac, our_mac, et_ipv4,
	                      ipv4(our4, peer4, proto_icmp, icmp4(0, 3, 4, {}))));
	EXPECT_EQ(total_drops(), 0u);
}

TEST_F(ipv4_test, directed_broadcast_echo_is_ignored) {
	auto out = exchange(echo4_request(1, 1, pattern(8), v4("198.18.0.255"), bcast_mac));
	EXPECT_TRUE(out.empty());
	EXPECT_EQ(dropped(drop_reason::icmp_broadcast_echo), 1u);
	EXPECT_EQ(total_drops(), 1u);
}

TEST_F(ipv4_test, limited_broadcast_echo_is_ignored) {
	auto out = exchange(echo4_request(1, 1, pattern(8), v4("255.255.255.255"), bcast_mac));
	EXPECT_TRUE(out.empty());
	EXPECT_EQ(dropped(drop_reason::icmp_broadcast_echo), 1u);
	EXPECT_EQ(total_drops(), 1u);
}

TEST_F(ipv4_test, echo_reply_reaches_the_hook) {
	struct seen {
		int calls = 0;
		net::echo_reply last{};
	} s;
	worker().set_echo_hook(
	    [](void *ctx, const net::echo_reply &r) {
		    auto *p = static_cast<seen *>(ctx);
		    p->calls++;
		    p->last = r;
	    },
	    &s);
	uint64_t sent = 777;
	frame data(16, 0);
	std::memcpy(data.data(), &sent, sizeof(sent)); // as make_echo stores it
	auto out = exchange(
	    eth(our_mac, peer_mac, et_ipv4, ipv4(peer4, our4, proto_icmp, icmp4(0, 5, 6, data))));
	EXPECT_TRUE(out.empty());
	EXPECT_EQ(total_drops(), 0u);
	ASSERT_EQ(s.calls, 1);
	EXPECT_EQ(std::get<ipv4_addr>(s.last.from), peer4);
	EXPECT_EQ(s.last.id, 5);
	EXPECT_EQ(s.last.seq, 6);
	EXPECT_EQ(s.last.data_len, 16);
	EXPECT_EQ(s.last.sent_ns, sent);
	EXPECT_EQ(s.last.now_ns, start_ns);
	EXPECT_EQ(_stack->totals().echo_replies_received, 1u);
}

TEST_F(ipv4_test, capture_hook_sees_both_directions) {
	struct seen {
		unsigned in = 0, out = 0;
		uint16_t port = UINT16_MAX;
	} c;
	worker().set_capture_hook(
	    [](void *ctx, uint16_t port, uint16_t queue, rte_mbuf *const *, uint16_t n,
	       bool outbound) {
		    auto *p = static_cast<seen *>(ctx);
		    (outbound ? p->out : p->in) += n;
		    p->port = port;
		    EXPECT_EQ(queue, 0);
	    },
	    &c);
	inject(echo4_request(1, 1, pattern(8)));
	inject(echo4_request(1, 2, pattern(8)));
	EXPECT_EQ(poll().size(), 2u);
	EXPECT_EQ(c.in, 2u);
	EXPECT_EQ(c.out, 2u);
	EXPECT_EQ(c.port, _port.port());
}

// The reply keeps the request's IP options, and its header checksum must
// cover them.
TEST_F(ipv4_test, echo_with_ip_options_keeps_them_and_a_valid_checksum) {
	auto with_options = [](frame f) {
		f.insert(f.begin() + l4_v4, {1, 1, 1, 1}); // four NOPs: IHL 6
		f[l3] = 0x46;
		set16(f, l3 + 2, uint16_t(get16(f, l3 + 2) + 4));
		fix_ipv4_checksum(f);
		return f;
	};
	frame data = pattern(8);
	auto out = exchange(with_options(echo4_request(1, 2, data)));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0], with_options(eth(peer_mac, our_mac, et_ipv4,
	                                   ipv4(our4, peer4, proto_icmp, icmp4(0, 1, 2, data)))));
	EXPECT_EQ(checksum(out[0], l3, 24), 0);
}

// A full transmit queue drops what does not fit, counts it, and leaks nothing.
TEST_F(ipv4_test, full_tx_queue_counts_tx_full) {
	rte_ring *tx = _port.tx_ring();
	while (rte_ring_free_count(tx) > 0) {
		rte_mbuf *m = rte_pktmbuf_alloc(pool());
		ASSERT_NE(m, nullptr);
		ASSERT_EQ(rte_ring_enqueue(tx, m), 0);
	}
	exchange(echo4_request(1, 1, pattern(8))); // returns the filler frames
	EXPECT_EQ(dropped(drop_reason::tx_full), 1u);
	EXPECT_EQ(total_drops(), 1u);
	EXPECT_EQ(_stack->totals().tx_packets, 1u) << "only the ARP reply of SetUp";
	EXPECT_TRUE(exchange(echo4_request(1, 2, pattern(8))).size() == 1) << "room again";
}

// With the pool empty the stack degrades to counted drops and recovers
// once mbufs come back.
TEST_F(ipv4_test, pool_exhaustion_is_counted_and_recovered_from) {
	inject(echo4_request(1, 1, pattern(8)), 0);
	std::vector<rte_mbuf *> hoard;
	while (rte_mbuf *m = rte_pktmbuf_alloc(pool())) {
		hoard.push_back(m);
	}
	EXPECT_EQ(worker().send_echo_request(net::any_addr(peer6), 1, 1, 8), -ENOBUFS);
	EXPECT_EQ(dropped(drop_reason::no_mbuf), 1u);
	// The echo request from the peer is answered in place: no allocation.
	auto out = poll();
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(get16(out[0], 12), et_ipv4);
	for (rte_mbuf *m : hoard) {
		rte_pktmbuf_free(m);
	}
	EXPECT_EQ(worker().send_echo_request(net::any_addr(peer4), 1, 1, 8), 0);
	EXPECT_EQ(poll().size(), 1u);
}

} // namespace
} // namespace skiff::test
