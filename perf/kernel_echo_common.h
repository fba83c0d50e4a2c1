#pragma once

// What perf/kernel-udp-echo and perf/kernel-tcp-echo share. Both are the
// Linux kernel's side of a skiff-echo comparison: a server thread and a
// client thread over loopback, each pinned to its CPU, either blocking in
// the kernel or busy-polling, timed on CLOCK_MONOTONIC. The options that
// set this up mean the same in both tools, so they are declared once here.

#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace skiff::kernel_echo {

/// Where the two threads run, how they wait, and which loopback they use.
struct loopback_options {
	int server_cpu = 0;
	int client_cpu = 1;
	bool ipv6 = false;
	bool busy_poll = false;
};

/// Add --server-cpu, --client-cpu, --ipv6 and --busy-poll to @p app, filling @p opt.
inline void add_loopback_options(CLI::App &app, loopback_options &opt) {
	app.add_option("--server-cpu", opt.server_cpu, "Pin the server thread (-1: no pinning)")
	    ->capture_default_str();
	app.add_option("--client-cpu", opt.client_cpu, "Pin the client thread (-1: no pinning)")
	    ->capture_default_str();
	app.add_flag("--ipv6", opt.ipv6, "Use ::1 instead of 127.0.0.1");
	app.add_flag("--busy-poll", opt.busy_poll, "Spin with MSG_DONTWAIT instead of blocking");
}

inline uint64_t now_ns() {
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

inline uint64_t ns_of(double seconds) {
	return uint64_t(seconds * 1e9);
}

/// Pin the calling thread to @p cpu (-1: leave it where it is). A failure
/// is said on stderr, naming @p prog and the thread (@p who), and is not
/// fatal: an unpinned run still measures, only less steadily.
inline void pin_thread(const char *prog, int cpu, const char *who) {
	if (cpu < 0) {
		return;
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (rc != 0) {
		std::fprintf(stderr, "%s: cannot pin the %s to CPU %d: %s (running unpinned)\n",
		             prog, who, cpu, strerror(rc));
	}
}

/// 127.0.0.1 (or ::1 with @p ipv6) and @p port, in host byte order (0: any port).
inline sockaddr_storage loopback(bool ipv6, uint16_t port) {
	sockaddr_storage ss{};
	if (ipv6) {
		auto *in6 = reinterpret_cast<sockaddr_in6 *>(&ss);
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons(port);
	} else {
		auto *in = reinterpret_cast<sockaddr_in *>(&ss);
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons(port);
	}
	return ss;
}

/// The length of what loopback() fills in.
inline socklen_t addr_len(bool ipv6) {
	return ipv6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

} // namespace skiff::kernel_echo
