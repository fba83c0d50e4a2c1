#pragma once

// A socket: the application's handle on the stack. The control side (the
// socket layer) creates, binds, connects and closes it under its mutex; the
// data plane finds it through the socket tables and delivers datagrams to
// its receive ring (or, for the native API, straight to a callback on the
// lcore). Application threads consume the ring.

#include "net/flow_key.h"
#include "net/iface.h"

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "tcp/cc.h"

#include <atomic>
#include <cstdint>
#include <optional>

namespace skiff::net {

class worker;
struct tcp_sock;

/// What the data plane knows about a received datagram.
struct udp_meta {
	any_addr from;
	uint16_t from_port; ///< host order
	any_addr to;
	uint16_t to_port; ///< host order
};

/// Native zero-copy API: called on the lcore that received the datagram.
/// `m`'s data is the UDP payload; the callback owns `m` (send it back with
/// worker::udp_send, keep it, or free it).
using udp_rx_fn = void (*)(void *ctx, worker &w, rte_mbuf *m, const udp_meta &meta);

/// Something that wants to hear about a socket becoming readable or
/// writable (an epoll instance). Called from data-plane cores: must not
/// block.
struct socket_watcher {
	void (*notify)(socket_watcher *self, int fd, uint32_t events);
};

inline constexpr unsigned max_watchers = 4;

struct socket {
	int fd = -1;
	int domain = 0; ///< AF_INET or AF_INET6
	int type = 0;   ///< SOCK_DGRAM or SOCK_STREAM
	std::atomic<int> refs{1};

	// Options.
	bool v6only = false;
	bool reuseaddr = false;
	bool reuseport = false;
	bool nonblock = false;
	bool nodelay = false;
	bool keepalive = false;
	uint32_t rcvbuf = 212992; ///< bytes, as Linux's default
	uint32_t sndbuf = 212992;
	int64_t rcvtimeo_ns = -1; ///< -1: block forever
	int64_t sndtimeo_ns = -1;
	std::optional<tcp::cc_algo> cc; ///< TCP_CONGESTION; nullopt = the stack's default

	// Endpoints, host order ports.
	bool bound = false;
	bool connected = false;
	bool shut_rd = false;
	bool shut_wr = false;
	any_addr local{};
	uint16_t local_port = 0;
	any_addr remote{};
	uint16_t remote_port = 0;
	flow_key keys[2]{}; ///< the table keys this socket holds
	uint8_t n_keys = 0;
	int16_t home = -1; ///< the worker whose table holds a connected socket

	// A stream socket's TCP side; null for datagram sockets.
	tcp_sock *tcp = nullptr;
	std::atomic<uint32_t> *tcp_count =
	    nullptr; ///< the layer's count of connections, if counted

	// Receive side (datagram sockets).
	rte_ring *rx = nullptr; ///< mbufs, payload at data_off
	std::atomic<uint32_t> rx_bytes{0};
	std::atomic<uint64_t> rx_dropped{0};
	udp_rx_fn native_rx = nullptr;
	void *native_ctx = nullptr;

	// Waiting: `seq` changes on every event; sleepers futex-wait on it.
	std::atomic<uint32_t> seq{0};
	std::atomic<uint32_t> sleepers{0};
	std::atomic<socket_watcher *> watchers[max_watchers] = {};
	std::atomic<int> so_error{0};

	/// Wake sleepers and watchers: data-plane safe, no syscall unless
	/// someone sleeps.
	void signal(uint32_t events);
};

} // namespace skiff::net
