// UDP through the pipeline: checksums, demultiplexing to sockets, native
// callbacks, port unreachable and its rate limit, sending from threads.

#include "fixture.h"
#include "frames.h"

#include "net/sockets.h"

#include <arpa/inet.h>

#include <thread>

namespace skiff::test {
namespace {

constexpr uint16_t udp_port = 4000;
constexpr uint16_t peer_port = 5555;

frame udp4(ipv4_addr src, ipv4_addr dst, uint16_t sport, uint16_t dport, const frame &data,
           bool zero_checksum = false) {
	frame u;
	put16(u, sport);
	put16(u, dport);
	put16(u, uint16_t(8 + data.size()));
	put16(u, 0);
	put(u, data);
	if (!zero_checksum) {
		uint32_t pseudo = sum16(reinterpret_cast<const uint8_t *>(&src.be), 4,
		                        sum16(reinterpret_cast<const uint8_t *>(&dst.be), 4)) +
		                  proto_udp + uint32_t(u.size());
		uint16_t c = checksum(u, 0, u.size(), pseudo);
		set16(u, 6, c == 0 ? 0xffff : c);
	}
	return eth(our_mac, peer_mac, et_ipv4, ipv4(src, dst, proto_udp, u));
}

frame udp6(const ipv6_addr &src, const ipv6_addr &dst, uint16_t sport, uint16_t dport,
           const frame &data, bool zero_checksum = false) {
	frame u;
	put16(u, sport);
	put16(u, dport);
	put16(u, uint16_t(8 + data.size()));
	put16(u, 0);
	put(u, data);
	if (!zero_checksum) {
		uint16_t c =
		    checksum(u, 0, u.size(), pseudo6(src, dst, uint32_t(u.size()), proto_udp));
		set16(u, 6, c == 0 ? 0xffff : c);
	}
	return eth(our_mac, peer_mac, et_ipv6, ipv6(src, dst, proto_udp, u));
}

class udp_test : public socket_test {
protected:
	static ipv6_addr solicited(const ipv6_addr &a) { return a.solicited_node(); }

	int bound_socket(int domain, uint16_t port) {
		int fd = _sockets->open(domain, SOCK_DGRAM, 0);
		EXPECT_GE(fd, 0);
		sockaddr_storage ss{};
		socklen_t len;
		if (domain == AF_INET) {
			auto *in = reinterpret_cast<sockaddr_in *>(&ss);
			in->sin_family = AF_INET;
			in->sin_port = htons(port);
			len = sizeof(*in);
		} else {
			auto *in6 = reinterpret_cast<sockaddr_in6 *>(&ss);
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons(port);
			len = sizeof(*in6);
		}
		EXPECT_EQ(_sockets->bind(fd, reinterpret_cast<sockaddr *>(&ss), len), 0);
		return fd;
	}
};

TEST_F(udp_test, delivers_to_bound_socket_with_source) {
	int fd = bound_socket(AF_INET, udp_port);
	EXPECT_TRUE(exchange(udp4(peer4, our4, peer_port, udp_port, pattern(11))).empty());
	char buf[64];
	sockaddr_in from{};
	socklen_t fromlen = sizeof(from);
	ssize_t n = _sockets->recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr *>(&from),
	                               &fromlen);
	ASSERT_EQ(n, 11);
	EXPECT_EQ(frame(buf, buf + n), pattern(11));
	EXPECT_EQ(from.sin_addr.s_addr, peer4.be);
	EXPECT_EQ(ntohs(from.sin_port), peer_port);
	EXPECT_EQ(_sockets->recvfrom(fd, buf, sizeof(buf), 0, nullptr, nullptr), -EAGAIN);
	EXPECT_EQ(_sockets->close(fd), 0);
}

TEST_F(udp_test, truncation_reports_real_length_with_msg_trunc) {
	int fd = bound_socket(AF_INET, udp_port);
	exchange(udp4(peer4, our4, peer_port, udp_port, pattern(100)));
	exchange(udp4(peer4, our4, peer_port, udp_port, pattern(100)));
	char buf[10];
	bool truncated = false;
	EXPECT_EQ(_sockets->recvfrom(fd, buf, sizeof(buf), 0, nullptr, nullptr, &truncated), 10);
	EXPECT_TRUE(truncated);
	EXPECT_EQ(_sockets->recvfrom(fd, buf, sizeof(buf), MSG_TRUNC, nullptr, nullptr), 100);
	_sockets->close(fd);
}

TEST_F(udp_test, dual_stack_socket_gets_v4_as_mapped) {
	int fd = bound_socket(AF_INET6, udp_port);
	exchange(udp4(peer4, our4, peer_port, udp_port, pattern(4)));
	exchange(udp6(peer6, our6, peer_port, udp_port, pattern(6)));
	char buf[64];
	sockaddr_in6 from{};
	socklen_t fromlen = sizeof(from);
	ASSERT_EQ(_sockets->recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr *>(&from),
	                             &fromlen),
	          4);
	EXPECT_TRUE(IN6_IS_ADDR_V4MAPPED(&from.sin6_addr));
	ASSERT_EQ(_sockets->recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr *>(&from),
	                             &fromlen),
	          6);
	EXPECT_EQ(ipv6_addr::from(from.sin6_addr.s6_addr), peer6);
	_sockets->close(fd);
}

TEST_F(udp_test, closed_port_gets_icmp_port_unreachable) {
	auto out = exchange(udp4(peer4, our4, peer_port, 9, pattern(20)));
	ASSERT_EQ(out.size(), 1u);
	const frame &f = out[0];
	EXPECT_EQ(get16(f, 12), et_ipv4);
	EXPECT_EQ(f[l3 + 9], proto_icmp);
	EXPECT_EQ(get_v4(f, l3 + 16), peer4);
	EXPECT_EQ(f[l4_v4], 3);     // destination unreachable
	EXPECT_EQ(f[l4_v4 + 1], 3); // port
	EXPECT_EQ(checksum(f, l4_v4, f.size() - l4_v4), 0);
	// RFC 792: the quote is the offending IP header plus 8 bytes.
	EXPECT_EQ(f.size(), l4_v4 + 8 + 20 + 8);
	EXPECT_EQ(dropped(net::drop_reason::udp_no_socket), 1u);
}

TEST_F(udp_test, closed_port_v6_gets_icmpv6_port_unreachable) {
	auto out = exchange(udp6(peer6, our6, peer_port, 9, pattern(20)));
	ASSERT_EQ(out.size(), 1u);
	const frame &f = out[0];
	EXPECT_EQ(f[l3 + 6], proto_icmp6);
	EXPECT_EQ(f[l4_v6], 1);
	EXPECT_EQ(f[l4_v6 + 1], 4);
	size_t len = f.size() - l4_v6;
	EXPECT_EQ(checksum(f, l4_v6, len, pseudo6(our6, peer6, uint32_t(len), proto_icmp6)), 0);
}

TEST_F(udp_test, port_unreachable_is_rate_limited) {
	size_t replies = 0;
	for (int i = 0; i < 150; i++) {
		replies += exchange(udp4(peer4, our4, peer_port, 9, pattern(4))).size();
	}
	EXPECT_EQ(replies, _sockets->config().unreach_per_sec);
	EXPECT_EQ(_stack->totals().unreachables_limited, 150 - replies);
	EXPECT_EQ(dropped(net::drop_reason::udp_no_socket), 150u);
	_clock.advance_ns(1'000'000'000);
	EXPECT_EQ(exchange(udp4(peer4, our4, peer_port, 9, pattern(4))).size(), 1u);
}

TEST_F(udp_test, checksum_rules) {
	int fd4 = bound_socket(AF_INET, udp_port);
	int fd6 = bound_socket(AF_INET6, udp_port + 1);
	frame bad = udp4(peer4, our4, peer_port, udp_port, pattern(8));
	bad[bad.size() - 1] ^= 1;
	EXPECT_TRUE(exchange(bad).empty());
	EXPECT_EQ(dropped(net::drop_reason::udp_bad_checksum), 1u);
	// A zero checksum means "none" over IPv4 but is invalid over IPv6.
	exchange(udp4(peer4, our4, peer_port, udp_port, pattern(8), true));
	char buf[16];
	EXPECT_EQ(_sockets->recvfrom(fd4, buf, sizeof(buf), 0, nullptr, nullptr), 8);
	exchange(udp6(peer6, our6, peer_port, udp_port + 1, pattern(8), true));
	EXPECT_EQ(dropped(net::drop_reason::udp_bad_checksum), 2u);
	EXPECT_EQ(_sockets->recvfrom(fd6, buf, sizeof(buf), 0, nullptr, nullptr), -EAGAIN);
	_sockets->close(fd4);
	_sockets->close(fd6);
}

TEST_F(udp_test, truncated_udp_header_is_dropped) {
	frame f = udp4(peer4, our4, peer_port, udp_port, pattern(8));
	set16(f, l4_v4 + 4, 200); // length beyond the datagram
	EXPECT_TRUE(exchange(f).empty());
	EXPECT_EQ(dropped(net::drop_reason::udp_truncated), 1u);
}

TEST_F(udp_test, connected_socket_only_hears_its_peer) {
	int server = bound_socket(AF_INET, udp_port);
	int client = bound_socket(AF_INET, udp_port + 1);
	sockaddr_in peer{};
	peer.sin_family = AF_INET;
	peer.sin_port = htons(peer_port);
	peer.sin_addr.s_addr = peer4.be;
	ASSERT_EQ(_sockets->connect(client, reinterpret_cast<sockaddr *>(&peer), sizeof(peer)), 0);
	exchange(udp4(peer4, our4, peer_port, udp_port + 1, pattern(3)));
	exchange(udp4(peer4, our4, peer_port + 1, udp_port + 1, pattern(5))); // another peer
	char buf[16];
	EXPECT_EQ(_sockets->recvfrom(client, buf, sizeof(buf), 0, nullptr, nullptr), 3);
	EXPECT_EQ(_sockets->recvfrom(client, buf, sizeof(buf), 0, nullptr, nullptr), -EAGAIN);
	EXPECT_EQ(dropped(net::drop_reason::udp_no_socket), 1u);
	_sockets->close(server);
	_sockets->close(client);
}

TEST_F(udp_test, native_callback_echoes_in_place) {
	int fd = bound_socket(AF_INET, 7);
	auto echo = [](void *, net::worker &w, rte_mbuf *m, const net::udp_meta &meta) {
		w.udp_send(m, meta.to, meta.to_port, meta.from, meta.from_port);
	};
	ASSERT_EQ(_sockets->set_native_rx(fd, echo, nullptr), 0);
	auto out = exchange(udp4(peer4, our4, peer_port, 7, pattern(32)));
	ASSERT_EQ(out.size(), 1u);
	const frame &f = out[0];
	EXPECT_EQ(get_mac(f, 0), peer_mac);
	EXPECT_EQ(get_v4(f, l3 + 12), our4);
	EXPECT_EQ(get_v4(f, l3 + 16), peer4);
	EXPECT_EQ(get16(f, l4_v4), 7);
	EXPECT_EQ(get16(f, l4_v4 + 2), peer_port);
	EXPECT_EQ(frame(f.begin() + l4_v4 + 8, f.end()), pattern(32));
	_sockets->close(fd);
}

TEST_F(udp_test, sendto_from_another_thread_crosses_to_the_worker) {
	int fd = bound_socket(AF_INET6, udp_port);
	sockaddr_in6 to{};
	to.sin6_family = AF_INET6;
	to.sin6_port = htons(peer_port);
	std::memcpy(to.sin6_addr.s6_addr, peer6.b.data(), 16);
	ssize_t rc = 0;
	std::thread t([&] {
		rc = _sockets->sendto(fd, "hello", 5, 0, reinterpret_cast<sockaddr *>(&to),
		                      sizeof(to));
	});
	t.join();
	ASSERT_EQ(rc, 5);
	auto out = poll();
	ASSERT_EQ(out.size(), 1u);
	const frame &f = out[0];
	EXPECT_EQ(get_v6(f, l3 + 24), peer6);
	EXPECT_EQ(get16(f, l4_v6), udp_port);
	size_t len = f.size() - l4_v6;
	EXPECT_EQ(checksum(f, l4_v6, len, pseudo6(our6, peer6, uint32_t(len), proto_udp)), 0);
	EXPECT_EQ(frame(f.begin() + l4_v6 + 8, f.end()), (frame{'h', 'e', 'l', 'l', 'o'}));
	_sockets->close(fd);
}

TEST_F(udp_test, bind_errors) {
	int a = bound_socket(AF_INET, udp_port);
	int b = _sockets->open(AF_INET, SOCK_DGRAM, 0);
	sockaddr_in sin{};
	sin.sin_family = AF_INET;
	sin.sin_port = htons(udp_port);
	EXPECT_EQ(_sockets->bind(b, reinterpret_cast<sockaddr *>(&sin), sizeof(sin)), -EADDRINUSE);
	sin.sin_port = htons(udp_port + 10);
	sin.sin_addr.s_addr = ipv4_addr::from_octets(198, 19, 9, 9).be;
	EXPECT_EQ(_sockets->bind(b, reinterpret_cast<sockaddr *>(&sin), sizeof(sin)),
	          -EADDRNOTAVAIL);
	EXPECT_EQ(_sockets->bind(12345, reinterpret_cast<sockaddr *>(&sin), sizeof(sin)), -EBADF);
	EXPECT_EQ(_sockets->open(AF_INET, SOCK_RAW, 0), -EPROTONOSUPPORT);
	_sockets->close(a);
	_sockets->close(b);
}

TEST_F(udp_test, full_socket_drops_and_counts) {
	int fd = bound_socket(AF_INET, udp_port);
	int small = 1024; // Linux doubles it: 2048 bytes of payload
	ASSERT_EQ(_sockets->setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	for (int i = 0; i < 5; i++) {
		exchange(udp4(peer4, our4, peer_port, udp_port, pattern(1000)));
	}
	EXPECT_EQ(dropped(net::drop_reason::udp_rcvbuf_full), 3u);
	_sockets->close(fd);
}

} // namespace
} // namespace skiff::test

namespace skiff::test {
namespace {

TEST_F(udp_test, ephemeral_ports_come_from_the_configured_range) {
	_sockets.reset();
	net::socket_config cfg;
	cfg.ephemeral_lo = 40000;
	cfg.ephemeral_hi = 40001;
	auto l = net::socket_layer::create(*_stack, cfg);
	ASSERT_TRUE(l) << l.err().message;
	_sockets = std::move(*l);
	std::vector<uint16_t> ports;
	std::vector<int> fds;
	for (int i = 0; i < 3; i++) {
		int fd = _sockets->open(AF_INET, SOCK_DGRAM, 0);
		fds.push_back(fd);
		sockaddr_in sin{};
		sin.sin_family = AF_INET;
		int rc = _sockets->bind(fd, reinterpret_cast<sockaddr *>(&sin), sizeof(sin));
		if (i < 2) {
			ASSERT_EQ(rc, 0);
			socklen_t len = sizeof(sin);
			ASSERT_EQ(
			    _sockets->getsockname(fd, reinterpret_cast<sockaddr *>(&sin), &len), 0);
			ports.push_back(ntohs(sin.sin_port));
		} else {
			EXPECT_EQ(rc, -EADDRINUSE); // the range is used up
		}
	}
	EXPECT_EQ(ports, (std::vector<uint16_t>{40000, 40001}));
	for (int fd : fds) {
		_sockets->close(fd);
	}
}

} // namespace
} // namespace skiff::test
