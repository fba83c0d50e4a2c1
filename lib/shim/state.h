#pragma once

// The shim's private state, shared by init.cc (bring-up and teardown),
// calls.cc (the socket calls) and epoll.cc. Not installed.

#include "net/socket.h"
#include "net/sockets.h"
#include "runtime/runtime.h"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace skiff::shim {

enum class phase : int {
	down,     ///< before skiff_init(), or after skiff_fini()
	up,       ///< calls are served
	stopping, ///< skiff_fini() is closing everything
};

/// An application option registered with skiff_add_option().
struct app_option {
	std::string name;
	std::string help;
	const char **value;
	std::string text; ///< the parsed value; *value points into it
};

struct state {
	std::atomic<phase> now{phase::down};
	/// Calls in progress: skiff_fini() waits for them before tearing down.
	std::atomic<int> active{0};
	std::atomic<bool> used{false}; ///< the EAL comes up once per process
	std::mutex init_mutex;
	std::unique_ptr<app::runtime> rt;
	net::socket_layer *layer = nullptr;
	std::thread main_worker; ///< polls worker 0, the main lcore's
	std::atomic<bool> stop_workers{false};
	uint64_t deadline_ns = 0; ///< --duration, CLOCK_MONOTONIC; 0: none
	unsigned stats_interval = 0;
	std::deque<app_option> options; ///< stable addresses
	std::mutex fds_mutex;
	std::set<int> fds; ///< open sockets, closed by skiff_fini()
};

state &g();

/// Enter a call: counts it as active and tells whether the stack is up.
/// skiff_fini() sets `stopping` first, then waits for `active` to drain,
/// so no call that saw `up` outlives the stack (both sides seq_cst).
class call {
public:
	call() {
		g().active.fetch_add(1, std::memory_order_seq_cst);
		_up = g().now.load(std::memory_order_seq_cst) == phase::up;
	}
	~call() { g().active.fetch_sub(1, std::memory_order_seq_cst); }
	call(const call &) = delete;
	explicit operator bool() const { return _up; }

private:
	bool _up;
};

/// -1 with errno from a negative errno; the value itself otherwise.
template <typename T> T posix(T rc) {
	if (rc < 0) {
		errno = int(-rc);
		return -1;
	}
	return rc;
}

uint64_t monotonic_ns();

/**
 * Sleep until `word` differs from `seen`, the deadline (CLOCK_MONOTONIC ns,
 * UINT64_MAX: none) passes, or a signal arrives. `sleepers` is raised around
 * the wait so that wakers know to make the futex syscall; `word` is read
 * again after raising it, so an event between the caller's check and the
 * raise is not lost (the waker bumps `word` before it reads `sleepers`).
 * @return 0 (woken or changed), -ETIMEDOUT or -EINTR.
 */
int sleep_on(std::atomic<uint32_t> &word, std::atomic<uint32_t> &sleepers, uint32_t seen,
             uint64_t deadline_ns);
void wake_all(std::atomic<uint32_t> &word);

/// Close a socket (leaving its epoll sets first); no call accounting.
int close_socket(int fd);

// Epoll (epoll.cc).
bool is_epoll_fd(int fd);
int epoll_close(int epfd);
/// Take socket `s` out of every epoll set it is in (before it is closed).
void epoll_forget(net::socket &s);
/// skiff_fini(): close every epoll instance, waking its waiters.
void epoll_close_all();
/// skiff_fini(), after the workers stopped: free the epoll instances.
void epoll_free_all();

} // namespace skiff::shim
