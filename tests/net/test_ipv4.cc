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

} // namespace
} // namespace skiff::test
