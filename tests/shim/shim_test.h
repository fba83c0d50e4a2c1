#pragma once

// Helpers for the shim suite. The stack runs on net_null (no-rx) with
// 198.18.0.2/24 and 2001:2::2/64; datagrams to those addresses come back
// through the worker's loopback, so client and server sockets in this one
// process talk through the real UDP receive path.

#include "shim/skiff.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace skiff::test {

inline constexpr const char *my4 = "198.18.0.2";
inline constexpr const char *my6 = "2001:2::2";

inline sockaddr_in v4(const char *ip, uint16_t port) {
	sockaddr_in a{};
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

inline sockaddr_in6 v6(const char *ip, uint16_t port) {
	sockaddr_in6 a{};
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

template <typename A> const sockaddr *sa(const A &a) {
	return reinterpret_cast<const sockaddr *>(&a);
}
template <typename A> sockaddr *sa(A &a) {
	return reinterpret_cast<sockaddr *>(&a);
}

/// A skiff socket closed at scope exit, with SO_RCVTIMEO set so that a
/// test that goes wrong fails instead of hanging.
class sock {
public:
	explicit sock(int domain, int type = SOCK_DGRAM, int timeout_ms = 2000)
	    : _fd(skiff_socket(domain, type, 0)) {
		if (_fd >= 0 && timeout_ms > 0) {
			timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
			skiff_setsockopt(_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		}
	}
	~sock() {
		if (_fd >= 0) {
			skiff_close(_fd);
		}
	}
	sock(const sock &) = delete;
	int fd() const { return _fd; }
	operator int() const { return _fd; }
	/// Close now (the destructor then does nothing).
	int close() { return skiff_close(std::exchange(_fd, -1)); }

private:
	int _fd;
};

/// Bind `fd` to `a`; 0 or errno.
template <typename A> int bind_to(int fd, const A &a) {
	return skiff_bind(fd, sa(a), sizeof(a)) == 0 ? 0 : errno;
}

inline uint16_t local_port(int fd) {
	sockaddr_in6 a{};
	socklen_t len = sizeof(a);
	if (skiff_getsockname(fd, sa(a), &len) != 0) {
		return 0;
	}
	return ntohs(a.sin6_port); // same offset as sin_port
}

template <typename A> ssize_t send_str(int fd, const std::string &s, const A &to) {
	return skiff_sendto(fd, s.data(), s.size(), 0, sa(to), sizeof(to));
}

/// Receive one datagram as a string ("" and errno on failure).
inline std::string recv_str(int fd, int flags = 0) {
	char buf[2048];
	ssize_t n = skiff_recv(fd, buf, sizeof(buf), flags);
	return n < 0 ? std::string() : std::string(buf, size_t(n));
}

inline double thread_cpu_ms() {
	timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

inline double since_ms(std::chrono::steady_clock::time_point t0) {
	return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
	    .count();
}

/// Results of the calls the test main made before and during skiff_init().
struct startup_record {
	int socket_before_init = 0; ///< errno of skiff_socket() before init
	int help_rc = 0;            ///< skiff_init(--help)
	int bad_option_rc = 0;      ///< skiff_init(--bogus)
	int bad_option_errno = 0;
	const char *app_option = nullptr; ///< set by --shim-test-option
};
startup_record &startup();

} // namespace skiff::test
