// Waiting: blocking calls sleep (no CPU while blocked) and wake on arrival,
// on close and on SO_RCVTIMEO; nonblocking calls say EAGAIN; calls come from
// any thread, including a stack lcore.

#include "shim_test.h"

#include "net/sockets.h"
#include "net/worker.h"
#include "shim/skiff.hpp"

#include <rte_mbuf.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace skiff::test {
namespace {

using clk = std::chrono::steady_clock;

TEST(Blocking, ReceiveSleepsAndWakesOnArrival) {
	sock server(AF_INET, SOCK_DGRAM, 0), client(AF_INET);
	ASSERT_EQ(bind_to(server, v4(my4, 6001)), 0);
	std::string got;
	double cpu_ms = -1, waited_ms = -1;
	std::thread receiver([&] {
		double cpu0 = thread_cpu_ms();
		auto t0 = clk::now();
		got = recv_str(server);
		waited_ms = since_ms(t0);
		cpu_ms = thread_cpu_ms() - cpu0;
	});
	usleep(200000);
	ASSERT_EQ(send_str(client, "wake up", v4(my4, 6001)), 7);
	receiver.join();
	EXPECT_EQ(got, "wake up");
	EXPECT_GE(waited_ms, 150);
	EXPECT_LT(cpu_ms, 20) << "a blocked receive must sleep, not spin";
}

TEST(Blocking, ReceiveTimeout) {
	sock s(AF_INET, SOCK_DGRAM, 150);
	ASSERT_EQ(bind_to(s, v4(my4, 6002)), 0);
	char buf[8];
	auto t0 = clk::now();
	double cpu0 = thread_cpu_ms();
	EXPECT_EQ(skiff_recv(s, buf, sizeof(buf), 0), -1);
	EXPECT_EQ(errno, EAGAIN);
	double waited = since_ms(t0);
	EXPECT_GE(waited, 140);
	EXPECT_LT(waited, 1000);
	EXPECT_LT(thread_cpu_ms() - cpu0, 20);
}

TEST(Blocking, CloseWakesABlockedReceive) {
	sock s(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(bind_to(s, v4(my4, 6003)), 0);
	int err = 0;
	std::thread receiver([&] {
		char buf[8];
		err = skiff_recv(s.fd(), buf, sizeof(buf), 0) < 0 ? errno : 0;
	});
	usleep(100000);
	ASSERT_EQ(s.close(), 0);
	receiver.join();
	EXPECT_EQ(err, EBADF);
}

TEST(Nonblocking, EagainThreeWays) {
	sock nb(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), b(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(bind_to(nb, v4(my4, 6004)), 0);
	ASSERT_EQ(bind_to(b, v4(my4, 6005)), 0);
	char buf[8];
	auto t0 = clk::now();
	EXPECT_EQ(skiff_recv(nb, buf, sizeof(buf), 0), -1) << "SOCK_NONBLOCK";
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_EQ(skiff_fcntl(nb, F_GETFL), O_RDWR | O_NONBLOCK);
	EXPECT_EQ(skiff_recv(b, buf, sizeof(buf), MSG_DONTWAIT), -1) << "MSG_DONTWAIT";
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_EQ(skiff_fcntl(b, F_GETFL), O_RDWR);
	ASSERT_EQ(skiff_fcntl(b, F_SETFL, O_NONBLOCK), 0);
	EXPECT_EQ(skiff_recv(b, buf, sizeof(buf), 0), -1) << "fcntl O_NONBLOCK";
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_LT(since_ms(t0), 50);
	ASSERT_EQ(skiff_fcntl(nb, F_SETFL, 0), 0);
	EXPECT_EQ(skiff_fcntl(nb, F_GETFL), O_RDWR);
}

TEST(Nonblocking, DataIsReturnedWithoutWaiting) {
	sock server(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0), client(AF_INET6);
	ASSERT_EQ(bind_to(server, v6(my6, 6006)), 0);
	ASSERT_EQ(send_str(client, "ready", v6(my6, 6006)), 5);
	std::string got;
	auto t0 = clk::now();
	while (got.empty() && since_ms(t0) < 2000) {
		got = recv_str(server);
		if (got.empty()) {
			ASSERT_EQ(errno, EAGAIN);
			usleep(1000);
		}
	}
	EXPECT_EQ(got, "ready");
}

// Application threads that are not stack lcores: their sends cross to the
// worker over its ring; ping-pong between two of them.
TEST(Threads, PingPongBetweenApplicationThreads) {
	sock a(AF_INET), b(AF_INET6);
	ASSERT_EQ(bind_to(a, v4(my4, 6010)), 0);
	ASSERT_EQ(bind_to(b, v6("::", 6011)), 0);
	constexpr int rounds = 200;
	std::atomic<int> errors{0};
	std::thread ponger([&] {
		for (int i = 0; i < rounds; i++) {
			char buf[32];
			sockaddr_in6 from{};
			socklen_t len = sizeof(from);
			ssize_t n = skiff_recvfrom(b, buf, sizeof(buf), 0, sa(from), &len);
			if (n <= 0 || skiff_sendto(b, buf, size_t(n), 0, sa(from), len) != n) {
				errors++;
			}
		}
	});
	std::thread pinger([&] {
		for (int i = 0; i < rounds; i++) {
			std::string msg = "ping " + std::to_string(i);
			if (send_str(a, msg, v4(my4, 6011)) != ssize_t(msg.size()) ||
			    recv_str(a) != msg) {
				errors++;
			}
		}
	});
	pinger.join();
	ponger.join();
	EXPECT_EQ(errors.load(), 0);
}

// Code on a stack lcore (here a native receive callback) makes the same
// calls; its sends go straight out, without the ring.
struct relay {
	int out_fd;
	std::atomic<int> sent{0};
	std::atomic<bool> on_lcore{false};
};

void relay_rx(void *ctx, net::worker &w, rte_mbuf *m, const net::udp_meta &meta) {
	(void)meta;
	auto *r = static_cast<relay *>(ctx);
	r->on_lcore = net::worker::current() == &w;
	sockaddr_in to = v4(my4, 6022);
	ssize_t n = skiff_sendto(r->out_fd, rte_pktmbuf_mtod(m, const char *),
	                         rte_pktmbuf_data_len(m), 0, sa(to), sizeof(to));
	if (n > 0) {
		r->sent++;
	}
	rte_pktmbuf_free(m);
}

TEST(Threads, CallsFromAStackLcore) {
	sock in(AF_INET), out(AF_INET), sink(AF_INET), client(AF_INET);
	ASSERT_EQ(bind_to(in, v4(my4, 6020)), 0);
	ASSERT_EQ(bind_to(out, v4(my4, 6021)), 0);
	ASSERT_EQ(bind_to(sink, v4(my4, 6022)), 0);
	relay r;
	r.out_fd = out;
	ASSERT_EQ(shim::sockets().set_native_rx(in, relay_rx, &r), 0);
	ASSERT_EQ(send_str(client, "relayed", v4(my4, 6020)), 7);
	EXPECT_EQ(recv_str(sink), "relayed");
	EXPECT_EQ(r.sent.load(), 1);
	EXPECT_TRUE(r.on_lcore.load());
	ASSERT_EQ(shim::sockets().set_native_rx(in, nullptr, nullptr), 0);
}

} // namespace
} // namespace skiff::test
