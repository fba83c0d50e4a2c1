#pragma once

// The socket layer: descriptors, bind/connect/close on the control side,
// and the lock-free tables the data plane demultiplexes with.
//
// Tables: one shared table of bound sockets, keyed by (proto, family, local
// address or wildcard, local port), which every core reads; and one table
// of connected sockets per worker, keyed by the full 4-tuple, read only by
// the worker that owns the flow (the core RSS steers it to). Writers hold
// `_mutex` (control path only); readers take no lock (see socket_table.h).
//
// Calls return 0 (or a count) on success and -errno on failure; the C shim
// turns that into -1/errno and adds blocking and readiness.

#include "base/result.h"
#include "net/socket.h"
#include "net/socket_table.h"
#include "tcp/context.h"
#include "tcp/isn.h"
#include "tcp/syncookie.h"
#include "tcp/tcp_info.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

struct rte_rcu_qsbr;

namespace skiff::net {

class stack;
struct tcp_sock;

/// Descriptors start here, apart from kernel ones, to catch mix-ups.
inline constexpr int first_fd = 1000;

struct socket_config {
	uint32_t max_sockets = 4096;
	uint16_t ephemeral_lo = 49152; ///< RFC 6335 dynamic range
	uint16_t ephemeral_hi = 65535;
	uint32_t rx_ring_size = 1024;   ///< datagrams queued per socket, at most
	uint32_t unreach_per_sec = 100; ///< ICMP port unreachable rate per core
	uint32_t max_tcp = 65536;       ///< TCP connections, at most (the connection table limit)
	bool syncookies = true; ///< answer SYNs with cookies when a listener's queue is full
	tcp::settings tcp;      ///< TCP timers, buffers, congestion control default
	/// The ports' RSS: Toeplitz key and redirection table (entry -> queue =
	/// worker). Empty: the symmetric key and entry i -> queue i % workers.
	std::vector<uint8_t> rss_key;
	std::vector<uint16_t> reta;
};

class socket_layer {
public:
	/// After every worker exists (stack::add_worker), before they poll.
	static result<std::unique_ptr<socket_layer>> create(stack &s, const socket_config &cfg);
	~socket_layer();

	// Control API: thread-safe, callable from any thread.
	int open(int domain, int type, int protocol);
	int bind(int fd, const sockaddr *addr, socklen_t len);
	int connect(int fd, const sockaddr *addr, socklen_t len);
	int close(int fd);
	int shutdown(int fd, int how);
	int getsockname(int fd, sockaddr *addr, socklen_t *len);
	int getpeername(int fd, sockaddr *addr, socklen_t *len);
	int setsockopt(int fd, int level, int name, const void *val, socklen_t len);
	int getsockopt(int fd, int level, int name, void *val, socklen_t *len);
	int set_nonblock(int fd, bool on);

	/// Never blocks: -EAGAIN when nothing is queued. MSG_TRUNC in `flags`
	/// returns the datagram's real length; `*truncated` tells if it was cut.
	ssize_t recvfrom(int fd, void *buf, size_t len, int flags, sockaddr *from,
	                 socklen_t *fromlen, bool *truncated = nullptr);
	/// Never blocks: -ENOBUFS when the pool or the core's queue is full.
	ssize_t sendto(int fd, const void *buf, size_t len, int flags, const sockaddr *to,
	               socklen_t tolen);

	// Stream sockets (sockets_tcp.cc).
	int listen(int fd, int backlog);
	/// Never blocks: -EAGAIN when no connection is waiting. SOCK_NONBLOCK
	/// in @p flags makes the new socket nonblocking.
	int accept(int fd, sockaddr *addr, socklen_t *len, int flags = 0);
	/// TCP_INFO: a snapshot from the connection's core (waits up to 100 ms).
	int tcp_info(int fd, tcp::tcp_info &out);

	/// Native API: deliver this socket's datagrams to `fn` on the lcore.
	int set_native_rx(int fd, udp_rx_fn fn, void *ctx);

	/// A counted reference to the socket behind `fd`, for waiting on it;
	/// release with put().
	socket *get(int fd);
	static void put(socket *s);

	/// Readiness: EPOLLIN / EPOLLOUT / EPOLLERR bits for `s` now.
	uint32_t poll_events(const socket &s) const;
	/// The same for `fd`; EPOLLERR | EPOLLHUP when it is not open.
	uint32_t events(int fd);

	// Data side.
	socket *lookup_udp(uint16_t worker, const flow_key &key) const;
	/// The connection in any core's table (`home` = that core), else the
	/// bound socket (listener) for the local end.
	socket *lookup_tcp(uint16_t worker, const flow_key &key, uint16_t &home) const;
	/// A new connection socket with one reference, or nullptr at the limit.
	socket *make_tcp_socket(int domain, uint16_t home, const flow_key &key,
	                        const socket *listener);
	/// Add/remove a connection in worker `w`'s table (from that worker).
	int adopt(uint16_t w, const flow_key &key, socket *s);
	void forget(uint16_t w, const flow_key &key);
	/// The MSS for a peer: the route's MTU minus the IP and TCP headers.
	uint16_t mss_for(const any_addr &peer) const;
	/// Which worker the ports' RSS steers this flow to.
	uint16_t rss_worker(const flow_key &k) const;
	const tcp::isn_generator &isn() const { return _isn; }
	const tcp::syncookie_jar &cookies() const { return _cookies; }
	/// An ICMP or ICMPv6 port unreachable quoting `quote` (the IP header and
	/// first 8 bytes of a datagram we sent): the connected socket of that
	/// flow gets ECONNREFUSED as its pending error (SO_ERROR, and the next
	/// receive). Unconnected sockets ignore it, as Linux's do without
	/// IP_RECVERR (RFC 1122 4.1.3.3).
	void udp_unreachable(wire::bytes quote);
	rte_rcu_qsbr *qsbr() const { return _qsbr; }
	const socket_config &config() const { return _cfg; }
	uint32_t open_count() const;

private:
	socket_layer(stack &s, const socket_config &cfg);
	socket *find(int fd) const; // under _mutex
	int bind_locked(socket &s, const any_addr &addr, uint16_t port);
	int autobind_locked(socket &s);
	int insert_keys(socket &s, socket_table &table, const flow_key *keys, uint8_t n);
	void remove_keys(socket &s);
	bool port_in_use(int domain, uint16_t port, const any_addr &addr, const socket &self) const;
	static void release(void *value);
	void setup_tcp(socket &s, const flow_key &key);
	int connect_stream(socket &s, const any_addr &src, const any_addr &dst, uint16_t dst_port);
	int pick_port(socket &s, flow_key &k, uint16_t home);
	int accept_one(socket &l, sockaddr *addr, socklen_t *len, int flags);
	ssize_t stream_send(socket &s, const void *buf, size_t len);
	ssize_t stream_recv(socket &s, void *buf, size_t len);
	int stream_shutdown(socket &s, int how);
	void stream_close(socket &s);
	static void drain_accept_queue(tcp_sock &ts);
	uint32_t stream_events(const socket &s) const;
	int get_tcp_info(int fd, void *val, socklen_t *len);

	stack &_stack;
	socket_config _cfg;
	rte_rcu_qsbr *_qsbr = nullptr;
	std::optional<socket_table> _bound;
	std::vector<socket_table> _connected; ///< one per worker
	mutable std::mutex _mutex;
	std::vector<socket *> _fds;
	uint16_t _next_ephemeral;
	uint32_t _next_home = 0;
	tcp::isn_generator _isn;
	tcp::syncookie_jar _cookies;
	std::atomic<uint32_t> _tcp_count{0};
	std::vector<uint8_t> _rss_key;
	std::vector<uint16_t> _reta;
};

/// A sockaddr as an address and a host-order port; nullopt if malformed.
std::optional<std::pair<any_addr, uint16_t>> from_sockaddr(const sockaddr *sa, socklen_t len);
/// The address as the stack sees it: v4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4.
any_addr effective(const any_addr &a);
/// Write `addr` (v4 as v4-mapped when domain is AF_INET6) into `sa`.
socklen_t to_sockaddr(int domain, const any_addr &addr, uint16_t port, sockaddr *sa, socklen_t len);

} // namespace skiff::net
