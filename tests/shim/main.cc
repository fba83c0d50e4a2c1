// The shim suite's own main: skiff_init() brings the EAL, the stack and the
// workers up itself (no test_main), on net_null without hugepages, with a
// per-pid file prefix so suites run in parallel. skiff_fini() is tested in
// the environment's TearDown, after every test: it must wake blocked calls.

#include "shim_test.h"

#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace skiff::test {

startup_record &startup() {
	static startup_record r;
	return r;
}

namespace {

class shim_environment : public testing::Environment {
public:
	void SetUp() override {
		startup_record &r = startup();
		r.socket_before_init = skiff_socket(AF_INET, SOCK_DGRAM, 0) < 0 ? errno : 0;
		const char *help[] = {"test-shim", "--help", nullptr};
		std::fputs("# skiff_init(--help) prints the usage:\n", stdout);
		r.help_rc = skiff_init(2, const_cast<char **>(help));
		const char *bad[] = {"test-shim", "--bogus", nullptr};
		r.bad_option_rc = skiff_init(2, const_cast<char **>(bad));
		r.bad_option_errno = errno;

		r.app_option = "default";
		ASSERT_EQ(skiff_add_option("--shim-test-option", &r.app_option, "a test option"),
		          0);
		std::string prefix = "shimtest-" + std::to_string(getpid());
		std::vector<const char *> args = {"test-shim",
		                                  "--port",
		                                  "net_null0,no-rx=1",
		                                  "--addr",
		                                  "198.18.0.2/24",
		                                  "--addr",
		                                  "2001:2::2/64",
		                                  "--lcores",
		                                  "0",
		                                  "--file-prefix",
		                                  prefix.c_str(),
		                                  "--mem",
		                                  "256",
		                                  "--log-level",
		                                  "warn",
		                                  "--shim-test-option",
		                                  "given"};
		int rc = skiff_init(int(args.size()), const_cast<char **>(args.data()));
		ASSERT_EQ(rc, 0) << "skiff_init failed: " << std::strerror(errno);
	}

	// skiff_fini() wakes a thread blocked in recv and one in epoll_wait
	// (both see EBADF), and afterwards everything says the stack is gone.
	void TearDown() override {
		int fd = skiff_socket(AF_INET, SOCK_DGRAM, 0);
		sockaddr_in a = v4(my4, 4999);
		ASSERT_EQ(skiff_bind(fd, sa(a), sizeof(a)), 0);
		int ep = skiff_epoll_create1(0);
		epoll_event ev{};
		ev.events = EPOLLIN;
		ASSERT_EQ(skiff_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
		int recv_errno = 0, wait_errno = 0;
		std::thread receiver([&] {
			char buf[16];
			recv_errno = skiff_recv(fd, buf, sizeof(buf), 0) < 0 ? errno : 0;
		});
		std::thread waiter([&] {
			epoll_event out;
			wait_errno = skiff_epoll_wait(ep, &out, 1, -1) < 0 ? errno : 0;
		});
		usleep(100000);
		EXPECT_EQ(skiff_stopping(), 0);
		skiff_fini();
		receiver.join();
		waiter.join();
		EXPECT_EQ(recv_errno, EBADF) << "a receive blocked across skiff_fini()";
		EXPECT_EQ(wait_errno, EBADF) << "an epoll_wait blocked across skiff_fini()";
		EXPECT_NE(skiff_stopping(), 0);
		EXPECT_EQ(skiff_socket(AF_INET, SOCK_DGRAM, 0), -1);
		EXPECT_EQ(errno, ENETDOWN);
		EXPECT_EQ(skiff_close(fd), -1);
		EXPECT_EQ(errno, EBADF);
		const char *again[] = {"test-shim", "--port", "net_null0", nullptr};
		EXPECT_EQ(skiff_init(3, const_cast<char **>(again)), -1);
		EXPECT_EQ(errno, EALREADY);
		skiff_fini(); // twice is harmless
	}
};

} // namespace
} // namespace skiff::test

int main(int argc, char **argv) {
	testing::InitGoogleTest(&argc, argv);
	testing::AddGlobalTestEnvironment(new skiff::test::shim_environment);
	return RUN_ALL_TESTS();
}
