// Socket calls: addresses and ports, dual stack, datagram boundaries,
// connected demultiplexing, options and errors.

#include "shim_test.h"

#include "net/sockets.h"
#include "runtime/runtime.h"
#include "shim/skiff.hpp"

#include <netinet/tcp.h>
#include <rte_mbuf.h>

#include <vector>

namespace skiff::test {
namespace {

TEST(Startup, OptionsHelpAndCallsBeforeInit) {
	const startup_record &r = startup();
	EXPECT_EQ(r.socket_before_init, ENETDOWN);
	EXPECT_EQ(r.help_rc, 1);
	EXPECT_EQ(r.bad_option_rc, -1);
	EXPECT_EQ(r.bad_option_errno, EINVAL);
	EXPECT_STREQ(r.app_option, "given");
	const char *late = nullptr;
	EXPECT_EQ(skiff_add_option("--too-late", &late, "after init"), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(skiff_stopping(), 0);
}

TEST(Bind, AddressInUse) {
	sock a(AF_INET), b(AF_INET), any(AF_INET), dual(AF_INET6), only6(AF_INET6);
	ASSERT_EQ(bind_to(a, v4(my4, 5001)), 0);
	EXPECT_EQ(bind_to(b, v4(my4, 5001)), EADDRINUSE);
	EXPECT_EQ(bind_to(any, v4("0.0.0.0", 5001)), EADDRINUSE);
	EXPECT_EQ(bind_to(dual, v6("::", 5001)), EADDRINUSE) << "[::] dual stack overlaps IPv4";
	int on = 1;
	ASSERT_EQ(skiff_setsockopt(only6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)), 0);
	EXPECT_EQ(bind_to(only6, v6("::", 5001)), 0) << "a v6-only [::] does not";
	EXPECT_EQ(bind_to(b, v4(my4, 5002)), 0) << "a failed bind leaves the socket usable";
}

TEST(Bind, ReuseAddrSharesWildcardAndSpecific) {
	sock a(AF_INET), b(AF_INET);
	int on = 1;
	ASSERT_EQ(skiff_setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)), 0);
	ASSERT_EQ(skiff_setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)), 0);
	EXPECT_EQ(bind_to(a, v4("0.0.0.0", 5003)), 0);
	EXPECT_EQ(bind_to(b, v4(my4, 5003)), 0);
}

TEST(Bind, AddressNotAvailable) {
	sock a(AF_INET), b(AF_INET6), c(AF_INET6);
	EXPECT_EQ(bind_to(a, v4("198.18.0.99", 5010)), EADDRNOTAVAIL);
	EXPECT_EQ(bind_to(b, v6("2001:2::99", 5010)), EADDRNOTAVAIL);
	int on = 1;
	ASSERT_EQ(skiff_setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)), 0);
	EXPECT_EQ(bind_to(c, v6("::ffff:198.18.0.2", 5010)), EADDRNOTAVAIL)
	    << "a v4-mapped address on a v6-only socket";
}

TEST(Bind, InvalidArguments) {
	sock a(AF_INET), b(AF_INET6);
	sockaddr_in addr = v4(my4, 5011);
	EXPECT_EQ(skiff_bind(a, sa(addr), sizeof(addr) - 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(bind_to(b, v4(my4, 5011)), EINVAL) << "IPv4 address on an IPv6 socket";
	ASSERT_EQ(bind_to(a, v4(my4, 5011)), 0);
	EXPECT_EQ(bind_to(a, v4(my4, 5012)), EINVAL) << "bound twice";
}

TEST(Bind, EphemeralPortsFromTheRange) {
	sock a(AF_INET), b(AF_INET), c(AF_INET6), server(AF_INET);
	ASSERT_EQ(bind_to(a, v4(my4, 0)), 0);
	ASSERT_EQ(bind_to(b, v4("0.0.0.0", 0)), 0);
	ASSERT_EQ(bind_to(server, v4(my4, 5013)), 0);
	ASSERT_EQ(send_str(c, "autobind", v6("::ffff:198.18.0.2", 5013)), 8) << strerror(errno);
	for (int fd : {a.fd(), b.fd(), c.fd()}) {
		uint16_t p = local_port(fd);
		EXPECT_GE(p, 49152);
		EXPECT_LE(p, 65535);
	}
	EXPECT_NE(local_port(a), local_port(b));
	EXPECT_EQ(recv_str(server), "autobind");
}

TEST(Datagram, WildcardServerSeesTheSource) {
	sock server(AF_INET), client(AF_INET);
	ASSERT_EQ(bind_to(server, v4("0.0.0.0", 5020)), 0);
	ASSERT_EQ(send_str(client, "hello", v4(my4, 5020)), 5);
	char buf[16];
	sockaddr_in from{};
	socklen_t len = sizeof(from);
	ASSERT_EQ(skiff_recvfrom(server, buf, sizeof(buf), 0, sa(from), &len), 5);
	EXPECT_EQ(std::string(buf, 5), "hello");
	EXPECT_EQ(len, sizeof(sockaddr_in));
	EXPECT_EQ(from.sin_family, AF_INET);
	EXPECT_EQ(from.sin_addr.s_addr, v4(my4, 0).sin_addr.s_addr);
	EXPECT_EQ(ntohs(from.sin_port), local_port(client));
	// The reply goes back to where the request came from.
	ASSERT_EQ(skiff_sendto(server, "world", 5, 0, sa(from), len), 5);
	EXPECT_EQ(recv_str(client), "world");
}

TEST(Datagram, BoundariesArePreserved) {
	sock server(AF_INET6), client(AF_INET6);
	ASSERT_EQ(bind_to(server, v6(my6, 5021)), 0);
	std::vector<size_t> sizes = {1, 100, 1400, 0, 7};
	for (size_t n : sizes) {
		std::string s(n, char('a' + n % 26));
		ASSERT_EQ(send_str(client, s, v6(my6, 5021)), ssize_t(n));
	}
	for (size_t n : sizes) {
		std::vector<char> buf(2048, 0);
		ssize_t got = skiff_recv(server, buf.data(), buf.size(), 0);
		ASSERT_EQ(got, ssize_t(n)) << strerror(errno);
		EXPECT_EQ(std::string(buf.data(), n), std::string(n, char('a' + n % 26)));
	}
}

TEST(Datagram, TruncationAndMsgTrunc) {
	sock server(AF_INET), client(AF_INET);
	ASSERT_EQ(bind_to(server, v4(my4, 5022)), 0);
	std::string big(100, 'x');
	big[0] = 'A';
	ASSERT_EQ(send_str(client, big, v4(my4, 5022)), 100);
	ASSERT_EQ(send_str(client, big, v4(my4, 5022)), 100);
	ASSERT_EQ(send_str(client, "next", v4(my4, 5022)), 4);
	char buf[10];
	EXPECT_EQ(skiff_recv(server, buf, sizeof(buf), 0), 10) << "cut to the buffer";
	EXPECT_EQ(buf[0], 'A');
	EXPECT_EQ(skiff_recv(server, buf, sizeof(buf), MSG_TRUNC), 100) << "the real length";
	EXPECT_EQ(buf[0], 'A');
	EXPECT_EQ(recv_str(server), "next") << "the rest of a cut datagram is gone";
}

TEST(Datagram, DualStackSeesIPv4AsMapped) {
	sock server(AF_INET6), client4(AF_INET), client6(AF_INET6);
	int v6only = -1;
	socklen_t len = sizeof(v6only);
	ASSERT_EQ(skiff_getsockopt(server, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len), 0);
	EXPECT_EQ(v6only, 0);
	ASSERT_EQ(bind_to(server, v6("::", 5023)), 0);
	ASSERT_EQ(send_str(client4, "four", v4(my4, 5023)), 4);
	char buf[16];
	sockaddr_in6 from{};
	len = sizeof(from);
	ASSERT_EQ(skiff_recvfrom(server, buf, sizeof(buf), 0, sa(from), &len), 4);
	char text[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, &from.sin6_addr, text, sizeof(text));
	EXPECT_STREQ(text, "::ffff:198.18.0.2");
	EXPECT_EQ(ntohs(from.sin6_port), local_port(client4));
	ASSERT_EQ(skiff_sendto(server, "back", 4, 0, sa(from), len), 4) << strerror(errno);
	sockaddr_in from4{};
	socklen_t len4 = sizeof(from4);
	ASSERT_EQ(skiff_recvfrom(client4, buf, sizeof(buf), 0, sa(from4), &len4), 4);
	EXPECT_EQ(std::string(buf, 4), "back");
	EXPECT_EQ(ntohs(from4.sin_port), 5023);

	ASSERT_EQ(send_str(client6, "six", v6(my6, 5023)), 3);
	len = sizeof(from);
	ASSERT_EQ(skiff_recvfrom(server, buf, sizeof(buf), 0, sa(from), &len), 3);
	inet_ntop(AF_INET6, &from.sin6_addr, text, sizeof(text));
	EXPECT_STREQ(text, my6);
}

TEST(Datagram, V6OnlyRefusesIPv4) {
	sock only6(AF_INET6, SOCK_DGRAM), server4(AF_INET), client(AF_INET);
	int on = 1;
	ASSERT_EQ(skiff_setsockopt(only6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)), 0);
	ASSERT_EQ(bind_to(only6, v6("::", 5024)), 0);
	ASSERT_EQ(bind_to(server4, v4("0.0.0.0", 5024)), 0) << "the IPv4 side of the port is free";
	ASSERT_EQ(send_str(client, "v4", v4(my4, 5024)), 2);
	EXPECT_EQ(recv_str(server4), "v4");
	EXPECT_EQ(recv_str(only6, MSG_DONTWAIT), "");
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_EQ(skiff_setsockopt(only6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)), -1);
	EXPECT_EQ(errno, EINVAL) << "IPV6_V6ONLY after bind";
}

TEST(Connect, FourTupleDemultiplexing) {
	sock conn(AF_INET), peer(AF_INET), stranger(AF_INET);
	ASSERT_EQ(bind_to(conn, v4(my4, 5030)), 0);
	ASSERT_EQ(bind_to(peer, v4(my4, 5031)), 0);
	ASSERT_EQ(bind_to(stranger, v4(my4, 5032)), 0);
	sockaddr_in to = v4(my4, 5031);
	ASSERT_EQ(skiff_connect(conn, sa(to), sizeof(to)), 0);
	sockaddr_in got{};
	socklen_t len = sizeof(got);
	ASSERT_EQ(skiff_getpeername(conn, sa(got), &len), 0);
	EXPECT_EQ(ntohs(got.sin_port), 5031);
	EXPECT_EQ(got.sin_addr.s_addr, to.sin_addr.s_addr);

	// The stranger's datagram is sent first: had it been delivered, it
	// would be first in the queue.
	ASSERT_EQ(send_str(stranger, "not for you", v4(my4, 5030)), 11);
	ASSERT_EQ(send_str(peer, "from peer", v4(my4, 5030)), 9);
	EXPECT_EQ(recv_str(conn), "from peer");
	EXPECT_EQ(recv_str(conn, MSG_DONTWAIT), "");
	ASSERT_EQ(skiff_send(conn, "reply", 5, 0), 5);
	EXPECT_EQ(recv_str(peer), "reply");
}

TEST(Connect, ShutdownEndsReceivingAndSending) {
	sock conn(AF_INET), peer(AF_INET);
	ASSERT_EQ(bind_to(peer, v4(my4, 5033)), 0);
	sockaddr_in to = v4(my4, 5033);
	EXPECT_EQ(skiff_shutdown(conn, SHUT_RD), -1);
	EXPECT_EQ(errno, ENOTCONN);
	ASSERT_EQ(skiff_connect(conn, sa(to), sizeof(to)), 0);
	ASSERT_EQ(skiff_shutdown(conn, SHUT_RD), 0);
	char buf[8];
	EXPECT_EQ(skiff_recv(conn, buf, sizeof(buf), 0), 0) << "end of file, without blocking";
	ASSERT_EQ(skiff_shutdown(conn, SHUT_WR), 0);
	EXPECT_EQ(skiff_send(conn, "x", 1, 0), -1);
	EXPECT_EQ(errno, EPIPE);
}

// The stack answers a datagram to a closed port of its own with ICMP port
// unreachable, which loops back to the sender: a connected socket sees
// ECONNREFUSED once, on its next receive, and epoll reports EPOLLERR.
TEST(Connect, PortUnreachableIsConnectionRefused) {
	for (int domain : {AF_INET, AF_INET6}) {
		sock conn(domain);
		sockaddr_in to4 = v4(my4, 5060);
		sockaddr_in6 to6 = v6(my6, 5060);
		const sockaddr *to = domain == AF_INET ? sa(to4) : sa(to6);
		socklen_t len = domain == AF_INET ? sizeof(to4) : sizeof(to6);
		ASSERT_EQ(skiff_connect(conn, to, len), 0);
		ASSERT_EQ(skiff_send(conn, "anyone?", 7, 0), 7);
		char buf[8];
		EXPECT_EQ(skiff_recv(conn, buf, sizeof(buf), 0), -1);
		EXPECT_EQ(errno, ECONNREFUSED) << "domain " << domain;
		EXPECT_EQ(skiff_recv(conn, buf, sizeof(buf), MSG_DONTWAIT), -1);
		EXPECT_EQ(errno, EAGAIN) << "reported once";

		int ep = skiff_epoll_create1(0);
		epoll_event ev{};
		ev.events = EPOLLIN;
		ASSERT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_ADD, conn, &ev), 0);
		ASSERT_EQ(skiff_send(conn, "again", 5, 0), 5);
		ASSERT_EQ(skiff_epoll_wait(ep, &ev, 1, 2000), 1);
		EXPECT_EQ(ev.events, uint32_t(EPOLLERR));
		int err = 0;
		socklen_t elen = sizeof(err);
		ASSERT_EQ(skiff_getsockopt(conn, SOL_SOCKET, SO_ERROR, &err, &elen), 0);
		EXPECT_EQ(err, ECONNREFUSED);
		ASSERT_EQ(skiff_getsockopt(conn, SOL_SOCKET, SO_ERROR, &err, &elen), 0);
		EXPECT_EQ(err, 0) << "SO_ERROR clears it";
		skiff_close(ep);
	}
}

TEST(Names, SocknameAndPeername) {
	sock a(AF_INET), b(AF_INET6);
	ASSERT_EQ(bind_to(a, v4(my4, 5040)), 0);
	sockaddr_in got{};
	socklen_t len = sizeof(got);
	ASSERT_EQ(skiff_getsockname(a, sa(got), &len), 0);
	EXPECT_EQ(len, sizeof(sockaddr_in));
	EXPECT_EQ(got.sin_family, AF_INET);
	EXPECT_EQ(ntohs(got.sin_port), 5040);
	EXPECT_EQ(got.sin_addr.s_addr, v4(my4, 0).sin_addr.s_addr);
	len = sizeof(got);
	EXPECT_EQ(skiff_getpeername(a, sa(got), &len), -1);
	EXPECT_EQ(errno, ENOTCONN);

	sockaddr_in6 got6;
	std::memset(&got6, 0xee, sizeof(got6));
	len = 4; // too short: cut, and told the full size
	ASSERT_EQ(skiff_getsockname(b, sa(got6), &len), 0);
	EXPECT_EQ(len, sizeof(sockaddr_in6));
	EXPECT_EQ(got6.sin6_family, AF_INET6);
	EXPECT_EQ(got6.sin6_port, 0);
	EXPECT_EQ(got6.sin6_addr.s6_addr[0], 0xee) << "nothing written past len";
}

TEST(Options, RoundTrip) {
	sock s(AF_INET6, SOCK_DGRAM, 0);
	int v = 0;
	socklen_t len = sizeof(v);
	int on = 1;
	for (int name : {SO_REUSEADDR, SO_REUSEPORT}) {
		ASSERT_EQ(skiff_setsockopt(s, SOL_SOCKET, name, &on, sizeof(on)), 0);
		len = sizeof(v);
		ASSERT_EQ(skiff_getsockopt(s, SOL_SOCKET, name, &v, &len), 0);
		EXPECT_EQ(v, 1);
	}
	int bytes = 4096;
	ASSERT_EQ(skiff_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)), 0);
	ASSERT_EQ(skiff_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)), 0);
	len = sizeof(v);
	ASSERT_EQ(skiff_getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
	EXPECT_EQ(v, 8192) << "doubled, as Linux";
	len = sizeof(v);
	ASSERT_EQ(skiff_getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &len), 0);
	EXPECT_EQ(v, 8192);
	ASSERT_EQ(skiff_setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)), 0);
	len = sizeof(v);
	ASSERT_EQ(skiff_getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
	EXPECT_EQ(v, 1);
	len = sizeof(v);
	ASSERT_EQ(skiff_getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	EXPECT_EQ(v, 0);
	len = sizeof(v);
	ASSERT_EQ(skiff_getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len), 0);
	EXPECT_EQ(v, SOCK_DGRAM);
	timeval tv{1, 500000}, back{};
	ASSERT_EQ(skiff_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	len = sizeof(back);
	ASSERT_EQ(skiff_getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &back, &len), 0);
	EXPECT_EQ(back.tv_sec, 1);
	EXPECT_EQ(back.tv_usec, 500000);
	EXPECT_EQ(skiff_setsockopt(s, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)), -1);
	EXPECT_EQ(errno, ENOPROTOOPT);
	EXPECT_EQ(skiff_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, 1), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST(Errors, BadDescriptorsAndArguments) {
	char buf[8];
	for (int fd : {-1, 0, 5, 999, 1000 + 4095, SKIFF_EPOLL_FD_BASE - 1}) {
		EXPECT_EQ(skiff_recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1) << fd;
		EXPECT_EQ(errno, EBADF);
		EXPECT_EQ(skiff_send(fd, buf, 1, 0), -1);
		EXPECT_EQ(errno, EBADF);
		EXPECT_EQ(skiff_close(fd), -1);
		EXPECT_EQ(errno, EBADF);
		EXPECT_EQ(skiff_listen(fd, 1), -1);
		EXPECT_EQ(errno, EBADF);
		EXPECT_EQ(skiff_fcntl(fd, F_GETFL), -1);
		EXPECT_EQ(errno, EBADF);
	}
	EXPECT_EQ(skiff_socket(AF_UNIX, SOCK_DGRAM, 0), -1);
	EXPECT_EQ(errno, EAFNOSUPPORT);
	EXPECT_EQ(skiff_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), -1);
	EXPECT_EQ(errno, EPROTONOSUPPORT);
	EXPECT_EQ(skiff_socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), -1);
	EXPECT_EQ(errno, EPROTONOSUPPORT);

	sock s(AF_INET);
	EXPECT_EQ(skiff_listen(s, 16), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
	EXPECT_EQ(skiff_accept(s, nullptr, nullptr), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
	EXPECT_EQ(skiff_send(s, "x", 1, 0), -1);
	EXPECT_EQ(errno, EDESTADDRREQ);
	sockaddr_in zero_port = v4(my4, 0);
	EXPECT_EQ(skiff_sendto(s, "x", 1, 0, sa(zero_port), sizeof(zero_port)), -1);
	EXPECT_EQ(errno, EINVAL);
	sockaddr_in6 wrong_family = v6(my6, 9);
	EXPECT_EQ(skiff_sendto(s, "x", 1, 0, sa(wrong_family), sizeof(wrong_family)), -1);
	EXPECT_EQ(errno, EINVAL);
	std::vector<char> huge(70000);
	sockaddr_in to = v4(my4, 9);
	EXPECT_EQ(skiff_sendto(s, huge.data(), huge.size(), 0, sa(to), sizeof(to)), -1);
	EXPECT_EQ(errno, EMSGSIZE);
	EXPECT_EQ(skiff_recv(s, buf, sizeof(buf), MSG_PEEK), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
	EXPECT_EQ(skiff_fcntl(s, F_GETFD), -1);
	EXPECT_EQ(errno, EINVAL);
	int fd = s.fd();
	EXPECT_EQ(s.close(), 0);
	EXPECT_EQ(skiff_close(fd), -1) << "closed twice";
	EXPECT_EQ(errno, EBADF);
}

// Hold every mbuf of the pool: a send has nothing to build its datagram in
// and says ENOBUFS (instead of blocking or crashing); it works again once
// they are back.
TEST(Errors, NoBuffersWhenThePoolIsExhausted) {
	sock server(AF_INET), client(AF_INET);
	ASSERT_EQ(bind_to(server, v4(my4, 5050)), 0);
	rte_mempool *pool = shim::runtime().stack().config().pool;
	std::vector<rte_mbuf *> held;
	while (rte_mbuf *m = rte_pktmbuf_alloc(pool)) {
		held.push_back(m);
	}
	ASSERT_GT(held.size(), 1000u);
	sockaddr_in to = v4(my4, 5050);
	EXPECT_EQ(skiff_sendto(client, "x", 1, 0, sa(to), sizeof(to)), -1);
	EXPECT_EQ(errno, ENOBUFS);
	for (rte_mbuf *m : held) {
		rte_pktmbuf_free(m);
	}
	ASSERT_EQ(skiff_sendto(client, "y", 1, 0, sa(to), sizeof(to)), 1);
	EXPECT_EQ(recv_str(server), "y");
}

// A receive queue holds at most SO_RCVBUF bytes; what does not fit is
// dropped and counted, and the socket keeps working.
TEST(Errors, ReceiveBufferLimitsTheQueue) {
	sock server(AF_INET), client(AF_INET), marker(AF_INET);
	int bytes = 1024; // doubled: 2048 bytes of queue
	ASSERT_EQ(skiff_setsockopt(server, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)), 0);
	ASSERT_EQ(bind_to(server, v4(my4, 5051)), 0);
	ASSERT_EQ(bind_to(marker, v4(my4, 5052)), 0);
	std::string kilo(1000, 'k');
	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(send_str(client, kilo, v4(my4, 5051)), 1000);
	}
	// Sent after them on the same path: once it is here, so are they.
	ASSERT_EQ(send_str(client, "done", v4(my4, 5052)), 4);
	ASSERT_EQ(recv_str(marker), "done");
	int got = 0;
	while (recv_str(server, MSG_DONTWAIT).size() == 1000) {
		got++;
	}
	EXPECT_EQ(got, 2);
	net::socket *s = shim::sockets().get(server);
	ASSERT_NE(s, nullptr);
	EXPECT_EQ(s->rx_dropped.load(), 3u);
	net::socket_layer::put(s);
}

} // namespace
} // namespace skiff::test
