// TCP through the pipeline (lib/net/tcp*.cc): segments in on a fake NIC,
// the listener, the accept ring, the application's byte rings, RSTs for
// closed ports, SYN cookies when the listener's queues are full, and drops
// under named reasons. The state machine itself is tested in tests/tcp.

#include "fixture.h"
#include "frames.h"

#include "net/sockets.h"
#include "net/tcp_sock.h"

#include <arpa/inet.h>
#include <rte_thash.h>
#include <sys/epoll.h>

namespace skiff::test {
namespace {

constexpr uint8_t proto_tcp = 6;
constexpr uint16_t srv_port = 4000;
constexpr uint16_t peer_port = 40000;
constexpr uint8_t SYN = 0x02, RST = 0x04, ACK = 0x10, FIN = 0x01, PSH = 0x08;

uint32_t get32(const frame &f, size_t off) {
	return uint32_t(get16(f, off)) << 16 | get16(f, off + 2);
}

/// A TCP segment with an MSS option on SYNs, checksummed over the pseudo
/// header of either family.
frame tcp_seg(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
              const frame &data = {}) {
	frame t;
	put16(t, sport);
	put16(t, dport);
	put32(t, seq);
	put32(t, ack);
	bool syn = flags & SYN;
	put8(t, uint8_t((syn ? 6 : 5) << 4));
	put8(t, flags);
	put16(t, 65535);
	put16(t, 0); // checksum
	put16(t, 0);
	if (syn) {
		put8(t, 2); // MSS 1460
		put8(t, 4);
		put16(t, 1460);
	}
	put(t, data);
	return t;
}

frame tcp4(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
           const frame &data = {}, bool bad_checksum = false) {
	frame t = tcp_seg(sport, dport, seq, ack, flags, data);
	uint32_t pseudo = sum16(reinterpret_cast<const uint8_t *>(&peer4.be), 4,
	                        sum16(reinterpret_cast<const uint8_t *>(&our4.be), 4)) +
	                  proto_tcp + uint32_t(t.size());
	set16(t, 16, uint16_t(checksum(t, 0, t.size(), pseudo) ^ (bad_checksum ? 0x5a : 0)));
	return eth(our_mac, peer_mac, et_ipv4, ipv4(peer4, our4, proto_tcp, t));
}

frame tcp6(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
           const frame &data = {}) {
	frame t = tcp_seg(sport, dport, seq, ack, flags, data);
	set16(t, 16, checksum(t, 0, t.size(), pseudo6(peer6, our6, uint32_t(t.size()), proto_tcp)));
	return eth(our_mac, peer_mac, et_ipv6, ipv6(peer6, our6, proto_tcp, t));
}

/// The TCP header of a frame we sent, by family.
struct seg_view {
	const frame &f;
	size_t l4;
	uint8_t flags() const { return f[l4 + 13]; }
	uint32_t seq() const { return get32(f, l4 + 4); }
	uint32_t ack() const { return get32(f, l4 + 8); }
	uint16_t dport() const { return get16(f, l4 + 2); }
	size_t payload_len() const { return f.size() - l4 - size_t(f[l4 + 12] >> 4) * 4; }
};

seg_view v4seg(const frame &f) {
	return {f, l4_v4};
}
seg_view v6seg(const frame &f) {
	return {f, l4_v6};
}

class tcp_test : public socket_test {
protected:
	int listener(int domain, int backlog = 16) {
		int fd = _sockets->open(domain, SOCK_STREAM, 0);
		EXPECT_GE(fd, 0);
		sockaddr_in6 a6{};
		sockaddr_in a4{};
		const sockaddr *sa;
		socklen_t len;
		if (domain == AF_INET) {
			a4.sin_family = AF_INET;
			a4.sin_port = htons(srv_port);
			sa = reinterpret_cast<sockaddr *>(&a4);
			len = sizeof(a4);
		} else {
			a6.sin6_family = AF_INET6;
			a6.sin6_port = htons(srv_port);
			sa = reinterpret_cast<sockaddr *>(&a6);
			len = sizeof(a6);
		}
		EXPECT_EQ(_sockets->bind(fd, sa, len), 0);
		EXPECT_EQ(_sockets->listen(fd, backlog), 0);
		return fd;
	}

	/// Three-way handshake from the peer on IPv4; returns our ISS.
	uint32_t handshake4(uint16_t sport, uint32_t peer_iss) {
		auto out = exchange(tcp4(sport, srv_port, peer_iss, 0, SYN));
		EXPECT_EQ(out.size(), 1u);
		if (out.empty()) {
			return 0;
		}
		seg_view sa = v4seg(out[0]);
		EXPECT_EQ(sa.flags(), SYN | ACK);
		EXPECT_EQ(sa.ack(), peer_iss + 1);
		exchange(tcp4(sport, srv_port, peer_iss + 1, sa.seq() + 1, ACK));
		return sa.seq();
	}
};

TEST_F(tcp_test, syn_to_closed_port_gets_rst_ack) {
	auto out = exchange(tcp4(peer_port, srv_port, 1000, 0, SYN));
	ASSERT_EQ(out.size(), 1u);
	seg_view r = v4seg(out[0]);
	EXPECT_EQ(r.flags(), RST | ACK); // RFC 9293 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
	EXPECT_EQ(r.seq(), 0u);
	EXPECT_EQ(r.ack(), 1001u);
	EXPECT_EQ(dropped(net::drop_reason::tcp_no_socket), 1u);
}

TEST_F(tcp_test, rst_to_closed_port_is_not_answered) {
	EXPECT_TRUE(exchange(tcp4(peer_port, srv_port, 1000, 0, RST)).empty());
}

TEST_F(tcp_test, bad_checksum_is_dropped_and_counted) {
	int l = listener(AF_INET);
	EXPECT_TRUE(exchange(tcp4(peer_port, srv_port, 1000, 0, SYN, {}, true)).empty());
	EXPECT_EQ(dropped(net::drop_reason::tcp_bad_checksum), 1u);
	EXPECT_EQ(_sockets->close(l), 0);
}

TEST_F(tcp_test, accept_receive_and_send_over_ipv4) {
	int l = listener(AF_INET);
	EXPECT_EQ(_sockets->accept(l, nullptr, nullptr), -EAGAIN);
	uint32_t iss = handshake4(peer_port, 5000);
	sockaddr_in from{};
	socklen_t len = sizeof(from);
	int c = _sockets->accept(l, reinterpret_cast<sockaddr *>(&from), &len);
	ASSERT_GE(c, 0);
	EXPECT_EQ(ntohs(from.sin_port), peer_port);
	EXPECT_EQ(from.sin_addr.s_addr, peer4.be);

	frame req = {'G', 'E', 'T', '_', 'T', 'E', 'M', 'P', '\n'};
	exchange(tcp4(peer_port, srv_port, 5001, iss + 1, PSH | ACK, req));
	char buf[32];
	ASSERT_EQ(_sockets->recvfrom(c, buf, sizeof(buf), 0, nullptr, nullptr), 9);
	EXPECT_EQ(std::string(buf, 9), "GET_TEMP\n");

	ASSERT_EQ(_sockets->sendto(c, "42 C\n", 5, 0, nullptr, 0), 5);
	auto out = poll(); // the kick is served on the next poll
	ASSERT_FALSE(out.empty());
	seg_view d = v4seg(out.back());
	EXPECT_EQ(d.payload_len(), 5u);
	EXPECT_EQ(d.seq(), iss + 1);
	EXPECT_EQ(d.ack(), 5010u);
	EXPECT_EQ(_sockets->close(c), 0);
	out = poll();
	ASSERT_FALSE(out.empty());
	EXPECT_TRUE(v4seg(out.back()).flags() & FIN);
	EXPECT_EQ(_sockets->close(l), 0);
}

TEST_F(tcp_test, accept_over_ipv6_on_a_dual_stack_listener) {
	int l = listener(AF_INET6);
	auto out = exchange(tcp6(peer_port, srv_port, 77, 0, SYN));
	ASSERT_EQ(out.size(), 1u);
	seg_view sa = v6seg(out[0]);
	EXPECT_EQ(sa.flags(), SYN | ACK);
	exchange(tcp6(peer_port, srv_port, 78, sa.seq() + 1, ACK));
	int c = _sockets->accept(l, nullptr, nullptr);
	EXPECT_GE(c, 0);
	// And IPv4 reaches the same listener as v4-mapped.
	handshake4(peer_port + 1, 9000);
	sockaddr_in6 from{};
	socklen_t len = sizeof(from);
	int c4 = _sockets->accept(l, reinterpret_cast<sockaddr *>(&from), &len);
	ASSERT_GE(c4, 0);
	EXPECT_EQ(from.sin6_addr.s6_addr[10], 0xff);
	EXPECT_EQ(from.sin6_addr.s6_addr[11], 0xff);
	for (int fd : {c, c4, l}) {
		EXPECT_EQ(_sockets->close(fd), 0);
	}
	poll();
}

TEST_F(tcp_test, readiness_follows_the_connection) {
	int l = listener(AF_INET);
	net::socket *ls = _sockets->get(l);
	EXPECT_EQ(_sockets->poll_events(*ls), 0u);
	uint32_t iss = handshake4(peer_port, 1);
	EXPECT_EQ(_sockets->poll_events(*ls), uint32_t(EPOLLIN));
	net::socket_layer::put(ls);
	int c = _sockets->accept(l, nullptr, nullptr);
	net::socket *cs = _sockets->get(c);
	EXPECT_EQ(_sockets->poll_events(*cs), uint32_t(EPOLLOUT));
	exchange(tcp4(peer_port, srv_port, 2, iss + 1, FIN | ACK));
	uint32_t ev = _sockets->poll_events(*cs);
	EXPECT_TRUE(ev & EPOLLIN);
	EXPECT_TRUE(ev & EPOLLRDHUP);
	char b;
	EXPECT_EQ(_sockets->recvfrom(c, &b, 1, 0, nullptr, nullptr), 0); // EOF
	net::socket_layer::put(cs);
	EXPECT_EQ(_sockets->close(c), 0);
	EXPECT_EQ(_sockets->close(l), 0);
	poll();
}

TEST_F(tcp_test, syn_cookies_when_the_backlog_is_full) {
	int l = listener(AF_INET, 1);
	auto first = exchange(tcp4(peer_port, srv_port, 100, 0, SYN)); // takes the backlog
	ASSERT_EQ(first.size(), 1u);
	auto out = exchange(tcp4(peer_port + 1, srv_port, 200, 0, SYN));
	ASSERT_EQ(out.size(), 1u);
	seg_view sa = v4seg(out[0]);
	EXPECT_EQ(sa.flags(), SYN | ACK);
	EXPECT_EQ(_stack->totals().tcp_cookies_sent, 1u);
	// The ACK carrying the cookie back opens the connection: no state was kept.
	exchange(tcp4(peer_port + 1, srv_port, 201, sa.seq() + 1, ACK));
	int c = _sockets->accept(l, nullptr, nullptr);
	EXPECT_GE(c, 0);
	// A forged cookie gets a RST and a named drop.
	out = exchange(tcp4(peer_port + 2, srv_port, 301, 0xdeadbeef, ACK));
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(v4seg(out[0]).flags(), RST);
	EXPECT_EQ(dropped(net::drop_reason::tcp_bad_cookie), 1u);
	EXPECT_EQ(_sockets->close(c), 0);
	EXPECT_EQ(_sockets->close(l), 0);
	poll();
}

TEST_F(tcp_test, listener_close_resets_unaccepted_connections) {
	int l = listener(AF_INET);
	uint32_t iss = handshake4(peer_port, 10);
	EXPECT_EQ(_sockets->close(l), 0);
	auto out = poll();
	ASSERT_EQ(out.size(), 1u);
	seg_view r = v4seg(out[0]);
	EXPECT_TRUE(r.flags() & RST);
	EXPECT_EQ(r.seq(), iss + 1);
	EXPECT_EQ(_sockets->open_count(), 0u);
}

TEST_F(tcp_test, active_open_sends_syn_from_an_ephemeral_port) {
	int c = _sockets->open(AF_INET, SOCK_STREAM, 0);
	sockaddr_in to{};
	to.sin_family = AF_INET;
	to.sin_port = htons(80);
	to.sin_addr.s_addr = peer4.be;
	EXPECT_EQ(_sockets->connect(c, reinterpret_cast<sockaddr *>(&to), sizeof(to)),
	          -EINPROGRESS);
	auto out = poll();
	ASSERT_EQ(out.size(), 1u);
	seg_view syn = v4seg(out[0]);
	EXPECT_EQ(syn.flags(), SYN);
	sockaddr_in me{};
	socklen_t len = sizeof(me);
	ASSERT_EQ(_sockets->getsockname(c, reinterpret_cast<sockaddr *>(&me), &len), 0);
	EXPECT_GE(ntohs(me.sin_port), 49152);
	// The peer refuses: the socket learns ECONNREFUSED.
	exchange(tcp4(80, ntohs(me.sin_port), 0, syn.seq() + 1, RST | ACK));
	int err = 0;
	socklen_t elen = sizeof(err);
	EXPECT_EQ(_sockets->getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &elen), 0);
	EXPECT_EQ(err, ECONNREFUSED);
	EXPECT_EQ(_sockets->close(c), 0);
	poll();
}

// Two workers: an active open picks a source port whose RSS hash (the
// symmetric key, entry i -> queue i % 2) brings the replies to the core that
// owns the connection, and that core sends the SYN.
class tcp_rss_test : public tcp_test {
protected:
	uint16_t n_workers() const override { return 2; }
};

uint16_t queue_of_reply(uint16_t our_port, uint16_t their_port) {
	uint8_t key[40];
	for (int i = 0; i < 40; i += 2) {
		key[i] = 0x6d;
		key[i + 1] = 0x5a;
	}
	rte_ipv4_tuple t{};
	t.src_addr = rte_be_to_cpu_32(peer4.be); // the reply comes from the peer
	t.dst_addr = rte_be_to_cpu_32(our4.be);
	t.sport = their_port;
	t.dport = our_port;
	return uint16_t(rte_softrss(reinterpret_cast<uint32_t *>(&t), RTE_THASH_V4_L4_LEN, key) %
	                128 % 2);
}

TEST_F(tcp_rss_test, active_opens_pick_ports_that_rss_steers_home) {
	inject(arp_request_from_peer(), 1); // worker 1 learns the peer's MAC too
	poll(1);
	std::vector<int> fds;
	unsigned per_core[2] = {};
	for (int i = 0; i < 8; i++) {
		int c = _sockets->open(AF_INET, SOCK_STREAM, 0);
		sockaddr_in to{};
		to.sin_family = AF_INET;
		to.sin_port = htons(80);
		to.sin_addr.s_addr = peer4.be;
		ASSERT_EQ(_sockets->connect(c, reinterpret_cast<sockaddr *>(&to), sizeof(to)),
		          -EINPROGRESS);
		fds.push_back(c);
		for (uint16_t w = 0; w < 2; w++) {
			for (const frame &f : poll(w)) {
				ASSERT_EQ(get16(f, 12), et_ipv4);
				ASSERT_EQ(f[l3 + 9], proto_tcp);
				seg_view syn = v4seg(f);
				ASSERT_EQ(syn.flags(), SYN);
				uint16_t sport = get16(f, l4_v4);
				EXPECT_EQ(queue_of_reply(sport, 80), w) << "port " << sport;
				per_core[w]++;
			}
		}
	}
	EXPECT_EQ(per_core[0] + per_core[1], 8u);
	EXPECT_GT(per_core[0], 0u); // spread over both cores
	EXPECT_GT(per_core[1], 0u);
	for (int c : fds) {
		EXPECT_EQ(_sockets->close(c), 0);
	}
	poll(0);
	poll(1);
}

} // namespace
} // namespace skiff::test
