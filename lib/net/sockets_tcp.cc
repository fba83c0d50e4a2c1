// Stream sockets: listen, accept, connect, send, receive, shutdown and
// close over TCP connections that live on a worker core. Nothing here
// touches a connection: requests go to its home core through tcp_sock's
// request bits and kick ring, data through its SPSC byte rings.

#include "net/sockets.h"
#include "net/stack.h"
#include "net/tcp_sock.h"
#include "net/worker.h"

#include <rte_malloc.h>
#include <rte_thash.h>

#include <netinet/tcp.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cstring>

namespace skiff::net {

namespace {

constexpr uint32_t max_backlog = 4096;
constexpr uint16_t tcp_ip4_overhead = 20 + 20;
constexpr uint16_t tcp_ip6_overhead = 40 + 20;

bool synchronizing(tcp::tcp_state st) {
	return st == tcp::tcp_state::syn_sent || st == tcp::tcp_state::syn_received;
}

bool can_send_in(tcp::tcp_state st) {
	return st == tcp::tcp_state::established || st == tcp::tcp_state::close_wait;
}

} // namespace

// Which worker receives this flow: the queue the port's RSS picks with its
// key and redirection table, as the NIC computes it (rte_thash's software
// Toeplitz over the tuple the NIC hashes: source = the peer).
uint16_t socket_layer::rss_worker(const flow_key &k) const {
	uint16_t n = uint16_t(_connected.size());
	if (n == 1) {
		return 0;
	}
	union rte_thash_tuple t {};
	uint32_t words;
	if (k.family == 4) {
		uint32_t la, ra;
		std::memcpy(&la, k.local_addr, 4);
		std::memcpy(&ra, k.remote_addr, 4);
		t.v4.src_addr = rte_be_to_cpu_32(ra);
		t.v4.dst_addr = rte_be_to_cpu_32(la);
		t.v4.sport = rte_be_to_cpu_16(k.remote_port);
		t.v4.dport = rte_be_to_cpu_16(k.local_port);
		words = RTE_THASH_V4_L4_LEN;
	} else {
		for (int i = 0; i < 16; i++) {
			t.v6.src_addr[i] = k.remote_addr[i];
			t.v6.dst_addr[i] = k.local_addr[i];
		}
		// rte_softrss wants host-order words: swap the addresses in place.
		auto *w = reinterpret_cast<uint32_t *>(&t.v6);
		for (int i = 0; i < 8; i++) {
			w[i] = rte_be_to_cpu_32(w[i]);
		}
		t.v6.sport = rte_be_to_cpu_16(k.remote_port);
		t.v6.dport = rte_be_to_cpu_16(k.local_port);
		words = RTE_THASH_V6_L4_LEN;
	}
	uint32_t hash = rte_softrss(reinterpret_cast<uint32_t *>(&t), words, _rss_key.data());
	return _reta[hash % _reta.size()] % n;
}

uint16_t socket_layer::mss_for(const any_addr &peer) const {
	uint16_t mtu = 1500;
	bool v4 = peer.index() == 0;
	if (v4) {
		if (const nexthop4 *nh = _stack.routes().lookup(std::get<ipv4_addr>(peer))) {
			mtu = _stack.ifaces()[nh->iface].mtu;
		}
	} else if (const nexthop6 *nh = _stack.routes().lookup(std::get<ipv6_addr>(peer))) {
		mtu = _stack.ifaces()[nh->iface].mtu;
	}
	return uint16_t(mtu - (v4 ? tcp_ip4_overhead : tcp_ip6_overhead));
}

// Buffers, timer and parameters of a connection; control path or the
// worker accepting it. Returns a socket with one reference (the worker's).
socket *socket_layer::make_tcp_socket(int domain, uint16_t home, const flow_key &key,
                                      const socket *listener) {
	if (_tcp_count.fetch_add(1, std::memory_order_relaxed) >= _cfg.max_tcp) {
		_tcp_count.fetch_sub(1, std::memory_order_relaxed);
		return nullptr;
	}
	auto *s = new (std::nothrow) socket;
	auto *ts = s ? new (std::nothrow) tcp_sock(s) : nullptr;
	if (!ts) {
		delete s;
		_tcp_count.fetch_sub(1, std::memory_order_relaxed);
		return nullptr;
	}
	s->tcp = ts;
	s->tcp_count = &_tcp_count;
	s->domain = domain;
	s->type = SOCK_STREAM;
	if (listener) {
		s->nodelay = listener->nodelay;
		s->rcvbuf = listener->rcvbuf;
		s->sndbuf = listener->sndbuf;
		s->nonblock = false;
	}
	s->bound = s->connected = true;
	s->local = key.family == 4 ? any_addr{ipv4_addr::from(key.local_addr)}
	                           : any_addr{ipv6_addr::from(key.local_addr)};
	s->remote = key.family == 4 ? any_addr{ipv4_addr::from(key.remote_addr)}
	                            : any_addr{ipv6_addr::from(key.remote_addr)};
	s->local_port = rte_be_to_cpu_16(key.local_port);
	s->remote_port = rte_be_to_cpu_16(key.remote_port);
	s->home = int16_t(home);
	setup_tcp(*s, key);
	return s;
}

void socket_layer::setup_tcp(socket &s, const flow_key &key) {
	tcp_sock &ts = *s.tcp;
	ts.key = key;
	ts.home = uint16_t(s.home);
	ts.home_worker = &_stack.worker_at(ts.home);
	ts.params.tuple = {reinterpret_cast<const uint8_t *>(&ts.key), sizeof(ts.key)};
	ts.params.ipv6 = key.family == 6;
	ts.params.mss = mss_for(s.remote);
	ts.params.rcvbuf = s.rcvbuf;
	ts.params.sndbuf = s.sndbuf;
	ts.params.nodelay = s.nodelay;
	ts.params.cc = s.cc;
	// The application's rings stage data between it and the connection's
	// own buffers, which set the windows.
	ts.rx.allocate(std::max<uint32_t>(s.rcvbuf / 2, 4096));
	ts.tx.allocate(std::max<uint32_t>(s.sndbuf / 2, 4096));
}

int socket_layer::adopt(uint16_t w, const flow_key &key, socket *s) {
	std::lock_guard lock(_mutex); // orders it with the control path's own writes
	s->refs.fetch_add(1, std::memory_order_relaxed);
	int rc = _connected[w].insert(key, s);
	if (rc < 0) {
		s->refs.fetch_sub(1, std::memory_order_relaxed);
	}
	return rc;
}

void socket_layer::forget(uint16_t w, const flow_key &key) {
	std::lock_guard lock(_mutex);
	_connected[w].remove(key);
}

socket *socket_layer::lookup_tcp(uint16_t w, const flow_key &key, uint16_t &home) const {
	if (auto *s = static_cast<socket *>(_connected[w].lookup(key))) {
		home = w;
		return s;
	}
	for (uint16_t i = 0; i < _connected.size(); i++) {
		if (i != w) {
			if (auto *s = static_cast<socket *>(_connected[i].lookup(key))) {
				home = i;
				return s;
			}
		}
	}
	home = w;
	if (auto *s = static_cast<socket *>(_bound->lookup(bound_of(key)))) {
		return s;
	}
	return static_cast<socket *>(_bound->lookup(wildcard_of(key)));
}

int socket_layer::listen(int fd, int backlog) {
	std::lock_guard lock(_mutex);
	socket *s = find(fd);
	if (!s) {
		return -EBADF;
	}
	if (s->type != SOCK_STREAM) {
		return -EOPNOTSUPP;
	}
	if (s->connected) {
		return -EINVAL;
	}
	tcp_sock &ts = *s->tcp;
	uint32_t n = std::clamp<int>(backlog, 1, int(max_backlog));
	if (ts.accept_q) {
		// listen() again: Linux changes the backlog; ours is bounded by the ring.
		ts.backlog = std::min(n, rte_ring_get_capacity(ts.accept_q));
		return 0;
	}
	if (int rc = autobind_locked(*s); rc < 0) {
		return rc;
	}
	// Unnamed (no memzone): a descriptor number may come back while an old
	// listener's ring still exists. Room for the backlog, at least 128.
	uint32_t slots = rte_align32pow2(std::max<uint32_t>(n, 128) + 1);
	auto *ring = static_cast<rte_ring *>(
	    rte_zmalloc(nullptr, rte_ring_get_memsize(slots), RTE_CACHE_LINE_SIZE));
	if (!ring) {
		return -ENOBUFS;
	}
	rte_ring_init(ring, "accept", slots, 0);
	ts.accept_q = ring;
	ts.backlog = n;
	return 0;
}

int socket_layer::accept(int fd, sockaddr *addr, socklen_t *len, int flags) {
	socket *l = get(fd);
	if (!l) {
		return -EBADF;
	}
	int rc = l->type != SOCK_STREAM ? -EOPNOTSUPP : -EINVAL; // as Linux: not listening
	if (l->type == SOCK_STREAM && l->tcp->accept_q) {
		rc = accept_one(*l, addr, len, flags);
	}
	put(l);
	return rc;
}

int socket_layer::accept_one(socket &l, sockaddr *addr, socklen_t *len, int flags) {
	void *p;
	if (rte_ring_dequeue(l.tcp->accept_q, &p) != 0) {
		return -EAGAIN;
	}
	l.tcp->pending.fetch_sub(1, std::memory_order_relaxed);
	auto *c = static_cast<socket *>(p); // the ring's reference becomes the descriptor's
	std::lock_guard lock(_mutex);
	auto slot = std::find(_fds.begin(), _fds.end(), nullptr);
	int fd = first_fd + int(slot - _fds.begin());
	if (slot == _fds.end()) {
		_fds.push_back(c);
	} else {
		*slot = c;
	}
	c->fd = fd;
	c->nonblock = (flags & SOCK_NONBLOCK) != 0;
	if (addr && len) {
		*len = to_sockaddr(l.domain, c->remote, c->remote_port, addr, *len);
	}
	return fd;
}

// An active open (RFC 9293 3.10.1), under _mutex: pick the home core and a
// source port RSS maps back to it, register the 4-tuple there, and ask the
// core to send the SYN. The caller waits for the handshake, or not.
int socket_layer::connect_stream(socket &s, const any_addr &src, const any_addr &dst,
                                 uint16_t dst_port) {
	tcp_sock &ts = *s.tcp;
	if (ts.accept_q) {
		return -EINVAL;
	}
	if (s.connected) {
		return synchronizing(ts.state.load()) || !ts.established_once ? -EALREADY
		                                                              : -EISCONN;
	}
	flow_key k;
	k.proto = IPPROTO_TCP;
	std::visit([&](const auto &a) { set_remote(k, a, rte_cpu_to_be_16(dst_port)); }, dst);
	std::visit([&](const auto &a) { set_local(k, a, 0); }, src);
	uint16_t home = uint16_t(_next_home++ % _connected.size());
	if (s.bound) {
		k.local_port = rte_cpu_to_be_16(s.local_port);
		home = rss_worker(k); // the port is given: so is the core
	} else if (int rc = pick_port(s, k, home); rc < 0) {
		return rc;
	}
	if (_tcp_count.fetch_add(1, std::memory_order_relaxed) >= _cfg.max_tcp) {
		_tcp_count.fetch_sub(1, std::memory_order_relaxed);
		return -ENOBUFS;
	}
	s.tcp_count = &_tcp_count;
	remove_keys(s);
	if (int rc = insert_keys(s, _connected[home], &k, 1); rc < 0) {
		return rc;
	}
	s.n_keys = 0; // the 4-tuple is the home core's to forget, when the connection ends
	s.home = int16_t(home);
	s.connected = true;
	s.remote = dst;
	s.remote_port = dst_port;
	s.local = src;
	setup_tcp(s, k);
	ts.in_table = true;
	ts.tmr.fn = nullptr; // set by the worker when it takes the connection
	s.refs.fetch_add(1, std::memory_order_relaxed); // the worker's
	tcp_request(ts, tcp_req::open);
	return -EINPROGRESS;
}

// A free ephemeral port whose 4-tuple RSS steers to `home` (with one
// worker, the first free port).
int socket_layer::pick_port(socket &s, flow_key &k, uint16_t home) {
	uint32_t span = uint32_t(_cfg.ephemeral_hi - _cfg.ephemeral_lo) + 1;
	for (uint32_t i = 0; i < span; i++) {
		uint16_t p = _next_ephemeral;
		_next_ephemeral = p == _cfg.ephemeral_hi ? _cfg.ephemeral_lo : uint16_t(p + 1);
		k.local_port = rte_cpu_to_be_16(p);
		if (!port_in_use(s.domain, p, s.local, s) && rss_worker(k) == home) {
			s.bound = true;
			s.local_port = p;
			return 0;
		}
	}
	return -EADDRNOTAVAIL; // as Linux's connect() when the range is exhausted
}

ssize_t socket_layer::stream_send(socket &s, const void *buf, size_t len) {
	if (!s.connected || !s.tcp || s.tcp->accept_q) {
		return -ENOTCONN;
	}
	tcp_sock &ts = *s.tcp;
	if (s.shut_wr) {
		return -EPIPE;
	}
	if (int err = s.so_error.load(std::memory_order_acquire); err != 0) {
		return -s.so_error.exchange(0);
	}
	tcp::tcp_state st = ts.state.load(std::memory_order_acquire);
	if (!can_send_in(st)) {
		if (synchronizing(st) || !ts.established_once) {
			return -EAGAIN; // still connecting
		}
		return -EPIPE;
	}
	size_t n = ts.tx.push({static_cast<const uint8_t *>(buf), len});
	if (n == 0) {
		// Full, and the core cannot send because the mbuf pool is empty:
		// say so, rather than let the caller wait without knowing why.
		return ts.starved.load(std::memory_order_relaxed) ? -ENOBUFS : -EAGAIN;
	}
	tcp_request(ts, tcp_req::data);
	return ssize_t(n);
}

ssize_t socket_layer::stream_recv(socket &s, void *buf, size_t len) {
	if (!s.tcp || s.tcp->accept_q || !s.connected) {
		return -ENOTCONN;
	}
	tcp_sock &ts = *s.tcp;
	size_t n = ts.rx.pop({static_cast<uint8_t *>(buf), len});
	if (n > 0) {
		tcp_request(ts,
		            tcp_req::data); // more may wait in the connection, and the window opens
		return ssize_t(n);
	}
	if (s.shut_rd || ts.eof.load(std::memory_order_acquire)) {
		return ts.rx.empty() ? 0 : stream_recv(s, buf, len);
	}
	if (int err = s.so_error.load(std::memory_order_acquire); err != 0) {
		return -s.so_error.exchange(0);
	}
	if (ts.state.load(std::memory_order_acquire) == tcp::tcp_state::closed &&
	    ts.established_once) {
		return 0;
	}
	return -EAGAIN;
}

int socket_layer::stream_shutdown(socket &s, int how) {
	if (!s.connected || !s.tcp) {
		return -ENOTCONN;
	}
	s.shut_rd |= how != SHUT_WR;
	if (how != SHUT_RD && !s.shut_wr) {
		s.shut_wr = true;
		tcp_request(*s.tcp, tcp_req::shutdown);
	}
	s.signal(EPOLLIN | EPOLLOUT);
	return 0;
}

// close(): a connection finishes on its core (FIN, or RST with unread
// data); a listener stops accepting and resets what it had not handed out.
void socket_layer::stream_close(socket &s) {
	tcp_sock &ts = *s.tcp;
	if (ts.accept_q) {
		ts.closed.store(true, std::memory_order_release);
		drain_accept_queue(ts);
	} else if (s.connected) {
		tcp_request(ts, tcp_req::close);
	}
}

void socket_layer::drain_accept_queue(tcp_sock &ts) {
	void *p;
	while (rte_ring_dequeue(ts.accept_q, &p) == 0) {
		auto *c = static_cast<socket *>(p);
		ts.pending.fetch_sub(1, std::memory_order_relaxed);
		tcp_request(*c->tcp, tcp_req::close | tcp_req::abort); // as Linux: RST
		put(c);
	}
}

uint32_t socket_layer::stream_events(const socket &s) const {
	const tcp_sock &ts = *s.tcp;
	if (ts.accept_q) {
		return rte_ring_count(ts.accept_q) ? uint32_t(EPOLLIN) : 0u;
	}
	if (!s.connected) {
		return EPOLLOUT | EPOLLHUP; // as Linux reports an unconnected stream socket
	}
	uint32_t ev = 0;
	tcp::tcp_state st = ts.state.load(std::memory_order_acquire);
	bool eof = ts.eof.load(std::memory_order_acquire);
	bool dead = st == tcp::tcp_state::closed && ts.established_once;
	if (!ts.rx.empty() || eof || s.shut_rd || dead) {
		ev |= EPOLLIN;
	}
	if (eof) {
		ev |= EPOLLRDHUP;
	}
	if (can_send_in(st) && !s.shut_wr && ts.tx.free_space() > 0) {
		ev |= EPOLLOUT;
	}
	if (s.so_error.load(std::memory_order_relaxed) != 0) {
		ev |= EPOLLERR;
	}
	if (dead || (eof && s.shut_wr)) {
		ev |= EPOLLHUP;
	}
	return ev;
}

int socket_layer::tcp_info(int fd, tcp::tcp_info &out) {
	socket *s = get(fd);
	if (!s) {
		return -EBADF;
	}
	int rc = -ENOPROTOOPT;
	if (s->tcp && s->connected && !s->tcp->accept_q) {
		tcp_sock &ts = *s->tcp;
		uint32_t seen = ts.info_seq.load(std::memory_order_acquire);
		tcp_request(ts, tcp_req::info);
		uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() / 10;
		rc = -EAGAIN;
		while (rte_get_timer_cycles() < deadline) {
			if (ts.info_seq.load(std::memory_order_acquire) != seen) {
				out = ts.info;
				rc = 0;
				break;
			}
			sched_yield();
		}
		if (rc != 0 && ts.finished_once.load(std::memory_order_acquire)) {
			out = ts.info; // the core let go of it: its last snapshot
			rc = 0;
		}
	} else if (s->tcp) {
		out = {};
		out.state = s->tcp->accept_q ? tcp::tcp_state::listen : tcp::tcp_state::closed;
		rc = 0;
	}
	put(s);
	return rc;
}

namespace {

uint8_t linux_state(tcp::tcp_state st) {
	using enum tcp::tcp_state;
	switch (st) {
	case established:
		return TCP_ESTABLISHED;
	case syn_sent:
		return TCP_SYN_SENT;
	case syn_received:
		return TCP_SYN_RECV;
	case fin_wait_1:
		return TCP_FIN_WAIT1;
	case fin_wait_2:
		return TCP_FIN_WAIT2;
	case time_wait:
		return TCP_TIME_WAIT;
	case close_wait:
		return TCP_CLOSE_WAIT;
	case last_ack:
		return TCP_LAST_ACK;
	case listen:
		return TCP_LISTEN;
	case closing:
		return TCP_CLOSING;
	case closed:
		break;
	}
	return TCP_CLOSE;
}

} // namespace

// getsockopt(TCP_INFO) in Linux's struct tcp_info (<netinet/tcp.h>).
int socket_layer::get_tcp_info(int fd, void *val, socklen_t *len) {
	if (!val || !len) {
		return -EFAULT;
	}
	tcp::tcp_info i;
	if (int rc = tcp_info(fd, i); rc < 0) {
		return rc;
	}
	struct ::tcp_info li {};
	li.tcpi_state = linux_state(i.state);
	li.tcpi_retransmits = uint8_t(std::min<uint32_t>(i.retransmits, 255));
	li.tcpi_backoff = i.backoff;
	li.tcpi_options =
	    uint8_t(((i.options & tcp::opt_bits::timestamps) ? TCPI_OPT_TIMESTAMPS : 0) |
	            ((i.options & tcp::opt_bits::sack) ? TCPI_OPT_SACK : 0) |
	            ((i.options & tcp::opt_bits::wscale) ? TCPI_OPT_WSCALE : 0));
	li.tcpi_snd_wscale = i.snd_wscale & 0xf;
	li.tcpi_rcv_wscale = i.rcv_wscale & 0xf;
	li.tcpi_rto = i.rto_us;
	li.tcpi_snd_mss = i.snd_mss;
	li.tcpi_rcv_mss = i.rcv_mss;
	li.tcpi_unacked = i.snd_mss ? i.unacked / i.snd_mss : 0;
	li.tcpi_rtt = i.srtt_us;
	li.tcpi_rttvar = i.rttvar_us;
	li.tcpi_snd_ssthresh = i.snd_mss ? i.ssthresh / i.snd_mss : 0;
	li.tcpi_snd_cwnd = i.snd_mss ? i.cwnd / i.snd_mss : 0;
	li.tcpi_advmss = i.rcv_mss;
	li.tcpi_rcv_space = i.rcv_wnd;
	li.tcpi_total_retrans = i.total_retrans;
	size_t n = std::min<size_t>(*len, sizeof(li));
	std::memcpy(val, &li, n);
	*len = socklen_t(n);
	return 0;
}

} // namespace skiff::net
