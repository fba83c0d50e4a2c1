// TCP through the shim: the POSIX stream contract (listen, accept, connect,
// send, recv, shutdown, close, blocking and nonblocking, epoll, errno),
// between sockets of this process through the stack's loopback.

#include "shim_test.h"

#include <netinet/tcp.h>
#include <sys/epoll.h>

#include <numeric>
#include <thread>
#include <vector>

namespace skiff::test {
namespace {

uint16_t next_port() {
	static uint16_t p = 7000;
	return p++;
}

/// A listener on `addr`:`port` (IPv4 or IPv6 by the address).
template <typename A> int listen_on(const A &addr) {
	int fd = skiff_socket(sa(addr)->sa_family, SOCK_STREAM, 0);
	EXPECT_GE(fd, 0);
	EXPECT_EQ(skiff_bind(fd, sa(addr), sizeof(addr)), 0) << strerror(errno);
	EXPECT_EQ(skiff_listen(fd, 8), 0) << strerror(errno);
	return fd;
}

/// Read exactly n bytes (or until EOF/error).
std::string read_n(int fd, size_t n) {
	std::string out;
	char buf[4096];
	while (out.size() < n) {
		ssize_t k = skiff_recv(fd, buf, std::min(sizeof(buf), n - out.size()), 0);
		if (k <= 0) {
			break;
		}
		out.append(buf, size_t(k));
	}
	return out;
}

TEST(Stream, TemperatureServiceOverIpv4) {
	uint16_t port = next_port();
	sock l(AF_INET, SOCK_STREAM);
	sockaddr_in at = v4(my4, port);
	ASSERT_EQ(skiff_bind(l, sa(at), sizeof(at)), 0);
	ASSERT_EQ(skiff_listen(l, 4), 0);
	std::thread server([&] {
		sockaddr_in from{};
		socklen_t len = sizeof(from);
		int c = skiff_accept(l, sa(from), &len);
		ASSERT_GE(c, 0) << strerror(errno);
		EXPECT_EQ(read_n(c, 9), "GET_TEMP\n");
		EXPECT_EQ(skiff_send(c, "42 C\n", 5, 0), 5);
		skiff_close(c);
	});
	sock c(AF_INET, SOCK_STREAM);
	ASSERT_EQ(skiff_connect(c, sa(at), sizeof(at)), 0) << strerror(errno);
	EXPECT_EQ(skiff_send(c, "GET_TEMP\n", 9, 0), 9);
	EXPECT_EQ(read_n(c, 100), "42 C\n"); // then EOF
	char b;
	EXPECT_EQ(skiff_recv(c, &b, 1, 0), 0) << "EOF after the server's close";
	server.join();
}

TEST(Stream, BulkOverIpv6IsIntact) {
	uint16_t port = next_port();
	sockaddr_in6 at = v6(my6, port);
	int l = listen_on(at);
	std::vector<uint8_t> data(1 << 20);
	std::iota(data.begin(), data.end(), 0); // wraps: a position-dependent pattern
	std::thread sender([&] {
		int c = skiff_accept(l, nullptr, nullptr);
		ASSERT_GE(c, 0);
		EXPECT_EQ(skiff_send(c, data.data(), data.size(), 0), ssize_t(data.size()));
		EXPECT_EQ(skiff_shutdown(c, SHUT_WR), 0);
		char b;
		EXPECT_EQ(skiff_recv(c, &b, 1, 0), 0); // the client's FIN
		skiff_close(c);
	});
	sock c(AF_INET6, SOCK_STREAM);
	ASSERT_EQ(skiff_connect(c, sa(at), sizeof(at)), 0);
	std::string got = read_n(c, data.size() + 1);
	ASSERT_EQ(got.size(), data.size());
	EXPECT_TRUE(std::equal(data.begin(), data.end(), got.begin(),
	                       [](uint8_t a, char b) { return a == uint8_t(b); }));
	skiff_shutdown(c, SHUT_WR);
	sender.join();
	skiff_close(l);
}

TEST(Stream, ConnectToAClosedPortIsRefused) {
	sock c(AF_INET, SOCK_STREAM);
	sockaddr_in at = v4(my4, next_port());
	EXPECT_EQ(skiff_connect(c, sa(at), sizeof(at)), -1);
	EXPECT_EQ(errno, ECONNREFUSED);
}

TEST(Stream, NonblockingConnectAcceptAndReadiness) {
	uint16_t port = next_port();
	sockaddr_in at = v4(my4, port);
	int l = listen_on(at);
	int c = skiff_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_GE(c, 0);
	EXPECT_EQ(skiff_connect(c, sa(at), sizeof(at)), -1);
	EXPECT_EQ(errno, EINPROGRESS);
	int ep = skiff_epoll_create(1);
	epoll_event ev{};
	ev.events = EPOLLOUT;
	ev.data.fd = c;
	ASSERT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev), 0);
	epoll_event got{};
	ASSERT_EQ(skiff_epoll_wait(ep, &got, 1, 2000), 1) << "writable once connected";
	int err = -1;
	socklen_t len = sizeof(err);
	EXPECT_EQ(skiff_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	EXPECT_EQ(err, 0);
	int a = skiff_accept(l, nullptr, nullptr);
	ASSERT_GE(a, 0);
	ASSERT_EQ(skiff_fcntl(a, F_SETFL, O_NONBLOCK), 0);
	char b;
	EXPECT_EQ(skiff_recv(a, &b, 1, 0), -1);
	EXPECT_EQ(errno, EAGAIN);
	ASSERT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_DEL, c, nullptr), 0); // always writable now
	ev.events = EPOLLIN;
	ev.data.fd = a;
	ASSERT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev), 0);
	EXPECT_EQ(skiff_epoll_wait(ep, &got, 1, 0), 0) << "nothing to read yet";
	EXPECT_EQ(skiff_send(c, "x", 1, 0), 1);
	ASSERT_EQ(skiff_epoll_wait(ep, &got, 1, 2000), 1);
	EXPECT_EQ(got.data.fd, a);
	EXPECT_TRUE(got.events & EPOLLIN);
	EXPECT_EQ(skiff_recv(a, &b, 1, 0), 1);
	EXPECT_EQ(b, 'x');
	skiff_close(ep);
	skiff_close(a);
	skiff_close(c);
	skiff_close(l);
}

TEST(Stream, TcpInfoAndOptions) {
	uint16_t port = next_port();
	sockaddr_in at = v4(my4, port);
	int l = listen_on(at);
	sock c(AF_INET, SOCK_STREAM);
	int one = 1;
	EXPECT_EQ(skiff_setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	EXPECT_EQ(skiff_setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
	EXPECT_EQ(skiff_setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "bbr9", 4), -1);
	EXPECT_EQ(errno, ENOENT);
	ASSERT_EQ(skiff_connect(c, sa(at), sizeof(at)), 0);
	int a = skiff_accept(l, nullptr, nullptr);
	ASSERT_GE(a, 0);
	tcp_info info{};
	socklen_t len = sizeof(info);
	ASSERT_EQ(skiff_getsockopt(c, IPPROTO_TCP, TCP_INFO, &info, &len), 0) << strerror(errno);
	EXPECT_EQ(info.tcpi_state, TCP_ESTABLISHED);
	EXPECT_GT(info.tcpi_snd_mss, 0u);
	EXPECT_GT(info.tcpi_snd_cwnd, 0u);
	char name[16] = {};
	len = sizeof(name);
	EXPECT_EQ(skiff_getsockopt(c, IPPROTO_TCP, TCP_CONGESTION, name, &len), 0);
	EXPECT_STREQ(name, "newreno");
	EXPECT_EQ(skiff_accept(c, nullptr, nullptr), -1);
	EXPECT_EQ(errno, EINVAL) << "accept on a connected stream";
	skiff_close(a);
	skiff_close(l);
}

TEST(Stream, BindingTheSamePortTwiceFails) {
	uint16_t port = next_port();
	sockaddr_in at = v4(my4, port);
	int l = listen_on(at);
	sock other(AF_INET, SOCK_STREAM);
	EXPECT_EQ(skiff_bind(other, sa(at), sizeof(at)), -1);
	EXPECT_EQ(errno, EADDRINUSE);
	sock udp(AF_INET); // TCP and UDP ports are separate spaces
	EXPECT_EQ(bind_to(udp, at), 0);
	skiff_close(l);
}

} // namespace
} // namespace skiff::test
