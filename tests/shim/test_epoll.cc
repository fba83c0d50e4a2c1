// Readiness through skiff_epoll_*: level- and edge-triggered, one-shot,
// sleeping waits, and the error cases.

#include "shim_test.h"

#include <memory>
#include <set>

#include <unistd.h>

#include <thread>
#include <vector>

namespace skiff::test {
namespace {

using clk = std::chrono::steady_clock;

class epoll_fd {
public:
	epoll_fd() : _fd(skiff_epoll_create1(0)) {}
	~epoll_fd() {
		if (_fd >= 0) {
			skiff_close(_fd);
		}
	}
	operator int() const { return _fd; }

	int add(int fd, uint32_t events, uint64_t tag) {
		return ctl(EPOLL_CTL_ADD, fd, events, tag);
	}
	int ctl(int op, int fd, uint32_t events, uint64_t tag) {
		epoll_event ev{};
		ev.events = events;
		ev.data.u64 = tag;
		return skiff_epoll_ctl(_fd, op, fd, &ev);
	}
	/// Events reported within `timeout_ms`.
	std::vector<epoll_event> wait(int timeout_ms) {
		std::vector<epoll_event> out(8);
		int n = skiff_epoll_wait(_fd, out.data(), int(out.size()), timeout_ms);
		out.resize(n < 0 ? 0 : size_t(n));
		return out;
	}

private:
	int _fd;
};

struct fixture : testing::Test {
	// Send one datagram to the server and wait until it is queued.
	void deliver(const std::string &msg) {
		ASSERT_EQ(send_str(client, msg, v4(my4, port)), ssize_t(msg.size()));
		ASSERT_EQ(send_str(client, "marker", v4(my4, port + 1)), 6);
		ASSERT_EQ(recv_str(marker), "marker");
	}
	void SetUp() override {
		static uint16_t next = 7000;
		port = next;
		next += 2;
		ASSERT_EQ(bind_to(server, v4(my4, port)), 0);
		ASSERT_EQ(bind_to(marker, v4(my4, uint16_t(port + 1))), 0);
	}

	uint16_t port = 0;
	sock server{AF_INET, SOCK_DGRAM, 500};
	sock marker{AF_INET};
	sock client{AF_INET};
	epoll_fd ep;
};

using Epoll = fixture;

TEST_F(Epoll, LevelTriggeredReportsWhileReadable) {
	ASSERT_EQ(ep.add(server, EPOLLIN, 42), 0);
	EXPECT_TRUE(ep.wait(0).empty());
	deliver("one");
	auto ev = ep.wait(1000);
	ASSERT_EQ(ev.size(), 1u);
	EXPECT_EQ(ev[0].events, uint32_t(EPOLLIN));
	EXPECT_EQ(ev[0].data.u64, 42u);
	EXPECT_EQ(ep.wait(0).size(), 1u) << "still readable: reported again";
	EXPECT_EQ(recv_str(server), "one");
	EXPECT_TRUE(ep.wait(0).empty());
}

TEST_F(Epoll, EdgeTriggeredReportsEachNewEventOnce) {
	ASSERT_EQ(ep.add(server, EPOLLIN | EPOLLET, 7), 0);
	EXPECT_TRUE(ep.wait(0).empty());
	deliver("one");
	ASSERT_EQ(ep.wait(1000).size(), 1u);
	EXPECT_TRUE(ep.wait(0).empty()) << "no new event, although 'one' is unread";
	deliver("two");
	auto ev = ep.wait(1000);
	ASSERT_EQ(ev.size(), 1u) << "a new datagram is a new edge";
	EXPECT_EQ(ev[0].events, uint32_t(EPOLLIN));
	EXPECT_EQ(recv_str(server), "one");
	EXPECT_EQ(recv_str(server), "two");
	EXPECT_TRUE(ep.wait(0).empty());
}

TEST_F(Epoll, OneShotDisarmsUntilModified) {
	ASSERT_EQ(ep.add(server, EPOLLIN | EPOLLONESHOT, 1), 0);
	deliver("one");
	ASSERT_EQ(ep.wait(1000).size(), 1u);
	EXPECT_TRUE(ep.wait(0).empty()) << "disarmed";
	ASSERT_EQ(ep.ctl(EPOLL_CTL_MOD, server, EPOLLIN, 2), 0);
	auto ev = ep.wait(0);
	ASSERT_EQ(ev.size(), 1u) << "re-armed, still readable";
	EXPECT_EQ(ev[0].data.u64, 2u);
}

TEST_F(Epoll, WritableAndManySockets) {
	sock other(AF_INET6);
	ASSERT_EQ(ep.add(server, EPOLLIN | EPOLLOUT, 1), 0);
	ASSERT_EQ(ep.add(other, EPOLLOUT, 2), 0);
	auto ev = ep.wait(0);
	ASSERT_EQ(ev.size(), 2u);
	for (const epoll_event &e : ev) {
		EXPECT_EQ(e.events, uint32_t(EPOLLOUT)) << e.data.u64;
	}
	std::vector<epoll_event> one(1);
	EXPECT_EQ(skiff_epoll_wait(ep, one.data(), 1, 0), 1) << "maxevents is respected";
}

// One wait reports each ready socket once, and the next wait goes on from
// where the last stopped (round robin), never repeating within a batch.
TEST_F(Epoll, EachReadySocketOncePerWait) {
	std::vector<std::unique_ptr<sock>> socks;
	for (uint64_t i = 0; i < 8; i++) {
		socks.push_back(std::make_unique<sock>(AF_INET));
		ASSERT_EQ(ep.add(*socks.back(), EPOLLOUT, i), 0);
	}
	auto ev = ep.wait(0);
	ASSERT_EQ(ev.size(), 8u);
	std::set<uint64_t> seen;
	for (const epoll_event &e : ev) {
		EXPECT_TRUE(seen.insert(e.data.u64).second) << "reported twice: " << e.data.u64;
	}
	std::vector<epoll_event> three(3);
	std::set<uint64_t> batch;
	ASSERT_EQ(skiff_epoll_wait(ep, three.data(), 3, 0), 3);
	for (const epoll_event &e : three) {
		EXPECT_TRUE(batch.insert(e.data.u64).second) << "reported twice: " << e.data.u64;
	}
}

TEST_F(Epoll, WaitSleepsUntilAnEventThenTimesOut) {
	ASSERT_EQ(ep.add(server, EPOLLIN, 5), 0);
	size_t got = 0;
	double cpu_ms = -1, waited_ms = -1;
	std::thread waiter([&] {
		double cpu0 = thread_cpu_ms();
		auto t0 = clk::now();
		got = ep.wait(-1).size();
		waited_ms = since_ms(t0);
		cpu_ms = thread_cpu_ms() - cpu0;
	});
	usleep(200000);
	ASSERT_EQ(send_str(client, "wake", v4(my4, port)), 4);
	waiter.join();
	EXPECT_EQ(got, 1u);
	EXPECT_GE(waited_ms, 150);
	EXPECT_LT(cpu_ms, 20) << "epoll_wait must sleep, not spin";
	EXPECT_EQ(recv_str(server), "wake");
	auto t0 = clk::now();
	EXPECT_TRUE(ep.wait(100).empty());
	EXPECT_GE(since_ms(t0), 90);
}

TEST_F(Epoll, ClosedSocketLeavesTheSetAndHangupIsReported) {
	sock conn(AF_INET);
	sockaddr_in to = v4(my4, port);
	ASSERT_EQ(skiff_connect(conn, sa(to), sizeof(to)), 0);
	ASSERT_EQ(ep.add(conn, EPOLLIN, 9), 0);
	ASSERT_EQ(skiff_shutdown(conn, SHUT_RDWR), 0);
	auto ev = ep.wait(1000);
	ASSERT_EQ(ev.size(), 1u);
	EXPECT_TRUE(ev[0].events & EPOLLHUP);
	EXPECT_TRUE(ev[0].events & EPOLLIN) << "reads return end of file";
	int fd = conn.fd();
	ASSERT_EQ(conn.close(), 0);
	EXPECT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr), -1);
	EXPECT_EQ(errno, ENOENT) << "close took it out of the set";
	EXPECT_TRUE(ep.wait(0).empty());
}

TEST_F(Epoll, Errors) {
	EXPECT_EQ(skiff_epoll_create(0), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(skiff_epoll_create1(12345), -1);
	EXPECT_EQ(errno, EINVAL);
	epoll_event ev{};
	ev.events = EPOLLIN;
	EXPECT_EQ(skiff_epoll_ctl(server, EPOLL_CTL_ADD, server, &ev), -1) << "not an epoll fd";
	EXPECT_EQ(errno, EBADF);
	EXPECT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_ADD, 12345, &ev), -1);
	EXPECT_EQ(errno, EBADF);
	EXPECT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(skiff_epoll_ctl(ep, 99, server, &ev), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_MOD, server, &ev), -1);
	EXPECT_EQ(errno, ENOENT);
	EXPECT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_DEL, server, &ev), -1);
	EXPECT_EQ(errno, ENOENT);
	ASSERT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_ADD, server, &ev), 0);
	EXPECT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_ADD, server, &ev), -1);
	EXPECT_EQ(errno, EEXIST);
	epoll_event out;
	EXPECT_EQ(skiff_epoll_wait(ep, &out, 0, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(skiff_epoll_wait(server, &out, 1, 0), -1);
	EXPECT_EQ(errno, EBADF);
	EXPECT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_DEL, server, nullptr), 0);
}

TEST_F(Epoll, AtMostFourSetsPerSocket) {
	epoll_fd more[4];
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(more[i].add(server, EPOLLIN, 0), 0);
	}
	ASSERT_EQ(ep.add(server, EPOLLIN, 0), 0);
	EXPECT_EQ(more[3].add(server, EPOLLIN, 0), -1);
	EXPECT_EQ(errno, ENOSPC);
	int closed = more[0];
	ASSERT_EQ(skiff_close(closed), 0) << "closing a set frees its slot";
	EXPECT_EQ(more[3].add(server, EPOLLIN, 0), 0);
	EXPECT_EQ(skiff_close(closed), -1);
	EXPECT_EQ(errno, EBADF);
	deliver("all");
	EXPECT_EQ(more[1].wait(1000).size(), 1u);
	EXPECT_EQ(more[3].wait(1000).size(), 1u);
	EXPECT_EQ(ep.wait(1000).size(), 1u);
}

} // namespace
} // namespace skiff::test
