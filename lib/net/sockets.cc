#include "net/sockets.h"

#include "net/stack.h"
#include "net/tcp_sock.h"
#include "net/worker.h"
#include "wire/builder.h"

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <linux/futex.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace skiff::net {

namespace {

void futex_wake_all(std::atomic<uint32_t> *word) {
	syscall(SYS_futex, reinterpret_cast<uint32_t *>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
	        nullptr, 0);
}

bool is_wildcard(const any_addr &a) {
	return std::visit([](const auto &x) { return x.is_unspecified(); }, a);
}

// An IPv4 address carried in an AF_INET6 socket as ::ffff:a.b.c.d.
std::optional<ipv4_addr> unmapped(const ipv6_addr &a) {
	if (!a.is_v4_mapped()) {
		return std::nullopt;
	}
	ipv4_addr v4;
	std::memcpy(&v4.be, a.b.data() + 12, 4);
	return v4;
}

flow_key key_for(const any_addr &local, uint16_t port, int type) {
	flow_key k;
	k.proto = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	std::visit([&](const auto &a) { set_local(k, a, rte_cpu_to_be_16(port)); }, local);
	return k;
}

} // namespace

any_addr effective(const any_addr &a) {
	if (const auto *v6 = std::get_if<ipv6_addr>(&a)) {
		if (auto v4 = unmapped(*v6)) {
			return *v4;
		}
	}
	return a;
}

void socket::signal(uint32_t events) {
	seq.fetch_add(1, std::memory_order_seq_cst);
	if (sleepers.load(std::memory_order_seq_cst) != 0) {
		futex_wake_all(&seq);
	}
	for (auto &w : watchers) {
		if (socket_watcher *sw = w.load(std::memory_order_acquire)) {
			sw->notify(sw, fd, events);
		}
	}
}

std::optional<std::pair<any_addr, uint16_t>> from_sockaddr(const sockaddr *sa, socklen_t len) {
	if (!sa) {
		return std::nullopt;
	}
	if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
		const auto *in = reinterpret_cast<const sockaddr_in *>(sa);
		return std::pair<any_addr, uint16_t>{ipv4_addr{in->sin_addr.s_addr},
		                                     rte_be_to_cpu_16(in->sin_port)};
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
		const auto *in6 = reinterpret_cast<const sockaddr_in6 *>(sa);
		return std::pair<any_addr, uint16_t>{ipv6_addr::from(in6->sin6_addr.s6_addr),
		                                     rte_be_to_cpu_16(in6->sin6_port)};
	}
	return std::nullopt;
}

socklen_t to_sockaddr(int domain, const any_addr &addr, uint16_t port, sockaddr *sa,
                      socklen_t len) {
	sockaddr_storage ss{};
	socklen_t size;
	if (domain == AF_INET) {
		auto *in = reinterpret_cast<sockaddr_in *>(&ss);
		in->sin_family = AF_INET;
		in->sin_port = rte_cpu_to_be_16(port);
		if (const auto *v4 = std::get_if<ipv4_addr>(&addr)) {
			in->sin_addr.s_addr = v4->be;
		}
		size = sizeof(sockaddr_in);
	} else {
		auto *in6 = reinterpret_cast<sockaddr_in6 *>(&ss);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = rte_cpu_to_be_16(port);
		if (const auto *v6 = std::get_if<ipv6_addr>(&addr)) {
			std::memcpy(in6->sin6_addr.s6_addr, v6->b.data(), 16);
		} else {
			const auto &v4 = std::get<ipv4_addr>(addr); // as ::ffff:a.b.c.d
			in6->sin6_addr.s6_addr[10] = 0xff;
			in6->sin6_addr.s6_addr[11] = 0xff;
			std::memcpy(in6->sin6_addr.s6_addr + 12, &v4.be, 4);
		}
		size = sizeof(sockaddr_in6);
	}
	if (sa) {
		std::memcpy(sa, &ss, std::min(len, size));
	}
	return size;
}

socket_layer::socket_layer(stack &s, const socket_config &cfg)
    : _stack(s), _cfg(cfg), _next_ephemeral(cfg.ephemeral_lo) {}

result<std::unique_ptr<socket_layer>> socket_layer::create(stack &s, const socket_config &cfg) {
	if (s.workers().empty()) {
		return make_error(-EINVAL, "sockets need at least one worker");
	}
	if (cfg.ephemeral_lo == 0 || cfg.ephemeral_lo > cfg.ephemeral_hi) {
		return make_error(-EINVAL,
		                  "bad ephemeral port range: give LOW-HIGH with 0 < LOW <= HIGH");
	}
	std::unique_ptr<socket_layer> l(new socket_layer(s, cfg));
	uint32_t n = uint32_t(s.workers().size());
	l->_rss_key = cfg.rss_key;
	if (l->_rss_key.empty()) {
		for (int i = 0; i < 20; i++) { // the symmetric key the ports use (drivers/port)
			l->_rss_key.push_back(0x6d);
			l->_rss_key.push_back(0x5a);
		}
	}
	l->_reta = cfg.reta;
	if (l->_reta.empty()) {
		for (uint16_t i = 0; i < 128; i++) { // rte_ethdev's default spread
			l->_reta.push_back(uint16_t(i % n));
		}
	}
	size_t sz = rte_rcu_qsbr_get_memsize(n);
	l->_qsbr = static_cast<rte_rcu_qsbr *>(rte_zmalloc("skiff_qsbr", sz, RTE_CACHE_LINE_SIZE));
	if (!l->_qsbr || rte_rcu_qsbr_init(l->_qsbr, n) != 0) {
		return make_error(-ENOMEM,
		                  "cannot allocate the RCU state for sockets (raise --mem)");
	}
	std::string base = s.config().name + "_sk";
	auto bound = socket_table::create(base + "_bound", cfg.max_sockets * 2, l->_qsbr, release);
	if (!bound) {
		return bound.err();
	}
	l->_bound.emplace(std::move(*bound));
	for (uint32_t i = 0; i < n; i++) {
		// Multi-writer: each worker adds the connections it accepts.
		auto t =
		    socket_table::create(base + "_c" + std::to_string(i),
		                         cfg.max_sockets + cfg.max_tcp, l->_qsbr, release, true);
		if (!t) {
			return t.err();
		}
		l->_connected.push_back(std::move(*t));
	}
	for (const auto &w : s.workers()) {
		w->attach_sockets(l.get());
	}
	return l;
}

socket_layer::~socket_layer() {
	for (const auto &w : _stack.workers()) {
		w->attach_sockets(nullptr);
	}
	{
		std::lock_guard lock(_mutex);
		for (socket *s : _fds) {
			if (s) {
				remove_keys(*s);
				put(s);
			}
		}
		_fds.clear();
	}
	// The tables release what they still hold; their defer queues drain
	// because the workers have gone offline.
	_connected.clear();
	_bound.reset();
	rte_free(_qsbr);
}

void socket_layer::release(void *value) {
	put(static_cast<socket *>(value));
}

void socket_layer::put(socket *s) {
	if (s->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) {
		return;
	}
	if (s->rx) {
		rte_mbuf *m;
		while (rte_ring_dequeue(s->rx, reinterpret_cast<void **>(&m)) == 0) {
			rte_pktmbuf_free(m);
		}
		rte_free(s->rx);
	}
	if (tcp_sock *ts = s->tcp) {
		if (ts->accept_q) {
			drain_accept_queue(*ts);
			rte_free(ts->accept_q);
		}
		delete ts;
	}
	if (s->tcp_count) {
		s->tcp_count->fetch_sub(1, std::memory_order_relaxed);
	}
	delete s;
}

socket *socket_layer::find(int fd) const {
	size_t i = size_t(fd - first_fd);
	return fd >= first_fd && i < _fds.size() ? _fds[i] : nullptr;
}

socket *socket_layer::get(int fd) {
	std::lock_guard lock(_mutex);
	socket *s = find(fd);
	if (s) {
		s->refs.fetch_add(1, std::memory_order_relaxed);
	}
	return s;
}

uint32_t socket_layer::open_count() const {
	std::lock_guard lock(_mutex);
	return uint32_t(std::count_if(_fds.begin(), _fds.end(), [](socket *s) { return s; }));
}

int socket_layer::open(int domain, int type, int protocol) {
	if (domain != AF_INET && domain != AF_INET6) {
		return -EAFNOSUPPORT;
	}
	bool nonblock = type & SOCK_NONBLOCK;
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	bool stream = type == SOCK_STREAM;
	if ((type != SOCK_DGRAM && !stream) ||
	    (protocol != 0 && protocol != (stream ? IPPROTO_TCP : IPPROTO_UDP))) {
		return -EPROTONOSUPPORT;
	}
	rte_ring *rx = nullptr;
	if (!stream) {
		size_t ring_bytes = rte_ring_get_memsize(_cfg.rx_ring_size);
		rx = static_cast<rte_ring *>(rte_zmalloc(nullptr, ring_bytes, RTE_CACHE_LINE_SIZE));
		if (!rx) {
			return -ENOBUFS;
		}
	}
	std::lock_guard lock(_mutex);
	auto slot = std::find(_fds.begin(), _fds.end(), nullptr);
	if (slot == _fds.end() && _fds.size() >= _cfg.max_sockets) {
		rte_free(rx);
		return -EMFILE;
	}
	int fd = first_fd + int(slot - _fds.begin());
	// Several cores may deliver to one bound socket and several threads may
	// read it: a multi-producer, multi-consumer ring.
	if (rx) {
		rte_ring_init(rx, ("sk" + std::to_string(fd)).c_str(), _cfg.rx_ring_size, 0);
	}
	auto *s = new socket;
	if (stream) {
		s->tcp = new tcp_sock(s);
	}
	s->fd = fd;
	s->domain = domain;
	s->type = type;
	s->nonblock = nonblock;
	s->rx = rx;
	s->local = domain == AF_INET ? any_addr{ipv4_addr{}} : any_addr{ipv6_addr{}};
	s->remote = s->local;
	if (slot == _fds.end()) {
		_fds.push_back(s);
	} else {
		*slot = s;
	}
	return fd;
}

int socket_layer::close(int fd) {
	socket *s;
	{
		std::lock_guard lock(_mutex);
		s = find(fd);
		if (!s) {
			return -EBADF;
		}
		_fds[size_t(fd - first_fd)] = nullptr;
		if (s->tcp) {
			stream_close(*s);
		}
		remove_keys(*s); // a connection's 4-tuple is its core's to forget
	}
	s->shut_rd = s->shut_wr = true;
	s->signal(EPOLLHUP);
	put(s);
	return 0;
}

int socket_layer::shutdown(int fd, int how) {
	std::lock_guard lock(_mutex);
	socket *s = find(fd);
	if (!s) {
		return -EBADF;
	}
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) {
		return -EINVAL;
	}
	if (!s->connected) {
		return -ENOTCONN;
	}
	if (s->tcp) {
		return stream_shutdown(*s, how);
	}
	s->shut_rd |= how != SHUT_WR;
	s->shut_wr |= how != SHUT_RD;
	s->signal(EPOLLIN | EPOLLOUT);
	return 0;
}

bool socket_layer::port_in_use(int domain, uint16_t port, const any_addr &addr,
                               const socket &self) const {
	(void)domain;
	for (const socket *o : _fds) {
		if (!o || o == &self || !o->bound || o->local_port != port ||
		    o->type != self.type) {
			continue;
		}
		any_addr a = effective(addr), b = effective(o->local);
		bool same_family = a.index() == b.index();
		bool dual = (o->domain == AF_INET6 && !o->v6only && is_wildcard(o->local)) ||
		            (self.domain == AF_INET6 && !self.v6only && is_wildcard(addr));
		if (!same_family && !dual) {
			continue;
		}
		bool overlap = !same_family || a == b || is_wildcard(a) || is_wildcard(b);
		// SO_REUSEADDR on both lets a wildcard and a specific address
		// share a port; an identical binding is never shared.
		bool shareable = self.reuseaddr && o->reuseaddr && same_family && !(a == b);
		if (overlap && !shareable) {
			return true;
		}
	}
	return false;
}

int socket_layer::insert_keys(socket &s, socket_table &table, const flow_key *keys, uint8_t n) {
	for (uint8_t i = 0; i < n; i++) {
		s.refs.fetch_add(1, std::memory_order_relaxed); // the table's reference
		int rc = table.insert(keys[i], &s);
		if (rc < 0) {
			s.refs.fetch_sub(1, std::memory_order_relaxed);
			for (uint8_t j = 0; j < i; j++) {
				table.remove(keys[j]);
			}
			return rc == -EEXIST ? -EADDRINUSE : -ENOBUFS;
		}
		s.keys[i] = keys[i];
	}
	s.n_keys = n;
	return 0;
}

void socket_layer::remove_keys(socket &s) {
	socket_table &table = s.home >= 0 ? _connected[size_t(s.home)] : *_bound;
	for (uint8_t i = 0; i < s.n_keys; i++) {
		table.remove(s.keys[i]); // drops the table's reference after the grace period
	}
	s.n_keys = 0;
	s.home = -1;
}

int socket_layer::bind_locked(socket &s, const any_addr &addr, uint16_t port) {
	any_addr eff = effective(addr);
	bool mapped = eff.index() != addr.index();
	if (mapped && s.v6only) {
		return -EADDRNOTAVAIL;
	}
	if (!is_wildcard(eff)) {
		bool ours = false;
		for (const iface &ifc : _stack.ifaces()) {
			ours |= std::visit([&](const auto &a) { return ifc.owns(a); }, eff);
		}
		if (!ours) {
			return -EADDRNOTAVAIL;
		}
	}
	if (port == 0) {
		uint32_t span = uint32_t(_cfg.ephemeral_hi - _cfg.ephemeral_lo) + 1;
		for (uint32_t i = 0; i < span && port == 0; i++) {
			uint16_t p = _next_ephemeral;
			_next_ephemeral =
			    p == _cfg.ephemeral_hi ? _cfg.ephemeral_lo : uint16_t(p + 1);
			if (!port_in_use(s.domain, p, addr, s)) {
				port = p;
			}
		}
		if (port == 0) {
			return -EADDRINUSE; // Linux says EADDRINUSE when the range is exhausted
		}
	} else if (port_in_use(s.domain, port, addr, s)) {
		return -EADDRINUSE;
	}
	flow_key keys[2];
	uint8_t n = 0;
	keys[n++] = key_for(eff, port, s.type);
	if (s.domain == AF_INET6 && !s.v6only && is_wildcard(eff)) {
		keys[n++] = key_for(any_addr{ipv4_addr{}}, port, s.type); // dual stack
	}
	int rc = insert_keys(s, *_bound, keys, n);
	if (rc < 0) {
		return rc;
	}
	s.bound = true;
	s.local = addr;
	s.local_port = port;
	return 0;
}

int socket_layer::autobind_locked(socket &s) {
	if (s.bound) {
		return 0;
	}
	any_addr any = s.domain == AF_INET ? any_addr{ipv4_addr{}} : any_addr{ipv6_addr{}};
	return bind_locked(s, any, 0);
}

int socket_layer::bind(int fd, const sockaddr *addr, socklen_t len) {
	auto ep = from_sockaddr(addr, len);
	std::lock_guard lock(_mutex);
	socket *s = find(fd);
	if (!s) {
		return -EBADF;
	}
	if (!ep || (addr->sa_family == AF_INET6) != (s->domain == AF_INET6)) {
		return addr && addr->sa_family != AF_INET && addr->sa_family != AF_INET6
		           ? -EAFNOSUPPORT
		           : -EINVAL;
	}
	if (s->bound) {
		return -EINVAL;
	}
	return bind_locked(*s, ep->first, ep->second);
}

int socket_layer::connect(int fd, const sockaddr *addr, socklen_t len) {
	auto ep = from_sockaddr(addr, len);
	std::lock_guard lock(_mutex);
	socket *s = find(fd);
	if (!s) {
		return -EBADF;
	}
	if (!ep || (addr->sa_family == AF_INET6) != (s->domain == AF_INET6) || ep->second == 0) {
		return -EINVAL;
	}
	any_addr dst = effective(ep->first);
	if (dst.index() == 0 && s->domain == AF_INET6 && s->v6only) {
		return -ENETUNREACH;
	}
	// The local address of the flow: the bound one, or the source the route
	// picks.
	any_addr src = effective(s->local);
	if (is_wildcard(src) || src.index() != dst.index()) {
		const ipv4_addr *s4 = nullptr;
		const ipv6_addr *s6 = nullptr;
		if (const auto *d4 = std::get_if<ipv4_addr>(&dst)) {
			const nexthop4 *nh = _stack.routes().lookup(*d4);
			s4 = nh ? _stack.ifaces()[nh->iface].source_for(*d4) : nullptr;
		} else {
			const auto &d6 = std::get<ipv6_addr>(dst);
			const nexthop6 *nh = _stack.routes().lookup(d6);
			s6 = nh ? _stack.ifaces()[nh->iface].source_for(d6) : nullptr;
		}
		if (!s4 && !s6) {
			return -ENETUNREACH;
		}
		src = s4 ? any_addr{*s4} : any_addr{*s6};
	}
	if (s->tcp) {
		return connect_stream(*s, src, dst, ep->second);
	}
	if (!s->bound) {
		int rc = autobind_locked(*s);
		if (rc < 0) {
			return rc;
		}
	}
	flow_key k = key_for(src, s->local_port, s->type);
	std::visit([&](const auto &a) { set_remote(k, a, rte_cpu_to_be_16(ep->second)); }, dst);
	remove_keys(*s);
	uint16_t home = rss_worker(k);
	int rc = insert_keys(*s, _connected[home], &k, 1);
	if (rc < 0) {
		return rc;
	}
	s->home = int16_t(home);
	s->connected = true;
	s->remote = ep->first;
	s->remote_port = ep->second;
	return 0;
}

socket *socket_layer::lookup_udp(uint16_t w, const flow_key &key) const {
	if (auto *s = static_cast<socket *>(_connected[w].lookup(key))) {
		return s;
	}
	// RSS normally brings a connected flow to its home core; a device
	// without RSS (or another key) may not, so look on the others too.
	for (size_t i = 0; i < _connected.size(); i++) {
		if (i != w) {
			if (auto *s = static_cast<socket *>(_connected[i].lookup(key))) {
				return s;
			}
		}
	}
	flow_key b = bound_of(key);
	if (auto *s = static_cast<socket *>(_bound->lookup(b))) {
		return s;
	}
	return static_cast<socket *>(_bound->lookup(wildcard_of(key)));
}

void socket_layer::udp_unreachable(wire::bytes q) {
	// The quoted datagram is one we sent: its source is our end of the flow.
	flow_key k;
	k.proto = IPPROTO_UDP;
	uint16_t ports[2];
	if (q.size() >= 20 && (q[0] >> 4) == 4) {
		size_t l4 = size_t(q[0] & 0xf) * 4;
		if (l4 < 20 || q.size() < l4 + 8 || q[9] != IPPROTO_UDP) {
			return;
		}
		std::memcpy(ports, q.data() + l4, sizeof(ports));
		set_local(k, ipv4_addr::from(q.data() + 12), ports[0]);
		set_remote(k, ipv4_addr::from(q.data() + 16), ports[1]);
	} else if (q.size() >= 40 + 8 && (q[0] >> 4) == 6 && q[6] == IPPROTO_UDP) {
		std::memcpy(ports, q.data() + 40, sizeof(ports));
		set_local(k, ipv6_addr::from(q.data() + 8), ports[0]);
		set_remote(k, ipv6_addr::from(q.data() + 24), ports[1]);
	} else {
		return; // too short, or extension headers: not worth parsing for this
	}
	for (const socket_table &t : _connected) {
		if (auto *s = static_cast<socket *>(t.lookup(k))) {
			s->so_error.store(ECONNREFUSED, std::memory_order_relaxed);
			s->signal(EPOLLERR);
			return;
		}
	}
}

int socket_layer::getsockname(int fd, sockaddr *addr, socklen_t *len) {
	std::lock_guard lock(_mutex);
	socket *s = find(fd);
	if (!s) {
		return -EBADF;
	}
	if (!len) {
		return -EFAULT;
	}
	*len = to_sockaddr(s->domain, s->local, s->local_port, addr, *len);
	return 0;
}

int socket_layer::getpeername(int fd, sockaddr *addr, socklen_t *len) {
	std::lock_guard lock(_mutex);
	socket *s = find(fd);
	if (!s) {
		return -EBADF;
	}
	if (!s->connected) {
		return -ENOTCONN;
	}
	if (!len) {
		return -EFAULT;
	}
	*len = to_sockaddr(s->domain, s->remote, s->remote_port, addr, *len);
	return 0;
}

int socket_layer::set_nonblock(int fd, bool on) {
	std::lock_guard lock(_mutex);
	socket *s = find(fd);
	if (!s) {
		return -EBADF;
	}
	s->nonblock = on;
	return 0;
}

int socket_layer::set_native_rx(int fd, udp_rx_fn fn, void *ctx) {
	std::lock_guard lock(_mutex);
	socket *s = find(fd);
	if (!s) {
		return -EBADF;
	}
	s->native_ctx = ctx;
	__atomic_store_n(&s->native_rx, fn, __ATOMIC_RELEASE);
	return 0;
}

uint32_t socket_layer::events(int fd) {
	socket *s = get(fd);
	if (!s) {
		return EPOLLERR | EPOLLHUP;
	}
	uint32_t ev = poll_events(*s);
	put(s);
	return ev;
}

uint32_t socket_layer::poll_events(const socket &s) const {
	if (s.tcp) {
		return stream_events(s);
	}
	uint32_t ev = EPOLLOUT;
	if (rte_ring_count(s.rx) != 0 || s.shut_rd) {
		ev |= EPOLLIN;
	}
	if (s.so_error.load(std::memory_order_relaxed) != 0) {
		ev |= EPOLLERR;
	}
	if (s.shut_rd && s.shut_wr) {
		ev |= EPOLLHUP;
	}
	return ev;
}

} // namespace skiff::net
