// The socket calls: POSIX errno conventions over the socket layer, whose
// calls return -errno and never block. Blocking is added here: a receiver
// with nothing queued sleeps on the socket's futex word (socket::seq), which
// the data plane bumps on every delivery.

#include "net/tcp_sock.h"
#include "shim/skiff.h"
#include "shim/state.h"

#include <cstdarg>
#include <cstdint>

namespace skiff::shim {

namespace {

bool nonblocking(const net::socket &s) {
	return __atomic_load_n(&s.nonblock, __ATOMIC_RELAXED);
}

// When a blocking receive on `fd` gives up: now + SO_RCVTIMEO, or never.
uint64_t receive_deadline(int fd) {
	timeval tv{};
	socklen_t len = sizeof(tv);
	if (g().layer->getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) != 0 ||
	    (tv.tv_sec == 0 && tv.tv_usec == 0)) {
		return UINT64_MAX;
	}
	return monotonic_ns() + uint64_t(tv.tv_sec) * 1'000'000'000ull +
	       uint64_t(tv.tv_usec) * 1000;
}

// A connected socket reports a peer's ICMP error (port unreachable:
// ECONNREFUSED) once, to the next receive, as Linux does.
int pending_error(net::socket &s) {
	if (!s.connected || s.so_error.load(std::memory_order_relaxed) == 0) {
		return 0;
	}
	return s.so_error.exchange(0);
}

// The first attempt takes no reference and no snapshot: the common case,
// a datagram already queued, costs one socket-layer call. Only when it
// would block do we hold the socket and sleep on its sequence word.
ssize_t receive(int fd, void *buf, size_t len, int flags, sockaddr *from, socklen_t *fromlen) {
	if (flags & (MSG_PEEK | MSG_OOB | MSG_ERRQUEUE)) {
		return -EOPNOTSUPP;
	}
	net::socket_layer &layer = *g().layer;
	int layer_flags = flags & MSG_TRUNC;
	ssize_t rc = layer.recvfrom(fd, buf, len, layer_flags, from, fromlen);
	if (rc != -EAGAIN) {
		return rc;
	}
	net::socket *s = layer.get(fd);
	if (!s) {
		return -EBADF;
	}
	uint64_t deadline = 0;
	for (;;) {
		if (int err = pending_error(*s)) {
			rc = -err;
			break;
		}
		if ((flags & MSG_DONTWAIT) || nonblocking(*s)) {
			break;
		}
		if (deadline == 0) {
			deadline = receive_deadline(fd);
		}
		if (g().now.load(std::memory_order_seq_cst) != phase::up) {
			rc = -EBADF; // skiff_fini() is closing everything
			break;
		}
		uint32_t seen = s->seq.load(std::memory_order_acquire);
		rc = layer.recvfrom(fd, buf, len, layer_flags, from, fromlen);
		if (rc != -EAGAIN) {
			break;
		}
		if (int w = sleep_on(s->seq, s->sleepers, seen, deadline); w != 0) {
			rc = w == -ETIMEDOUT ? -EAGAIN : w;
			break;
		}
		rc = -EAGAIN;
	}
	net::socket_layer::put(s);
	return rc;
}

// Retry `attempt` while it says -EAGAIN, sleeping on the socket's sequence
// word in between, for a blocking socket and until `timeout_ns` (<= 0:
// forever; then -EAGAIN, as Linux's SO_RCVTIMEO/SO_SNDTIMEO).
template <typename F> ssize_t wait_for(net::socket &s, int flags, int64_t timeout_ns, F &&attempt) {
	uint64_t deadline = timeout_ns <= 0 ? UINT64_MAX : monotonic_ns() + uint64_t(timeout_ns);
	for (;;) {
		uint32_t seen = s.seq.load(std::memory_order_acquire);
		ssize_t rc = attempt();
		if (rc != -EAGAIN || (flags & MSG_DONTWAIT) || nonblocking(s)) {
			return rc;
		}
		if (g().now.load(std::memory_order_seq_cst) != phase::up) {
			return -EBADF; // skiff_fini() is closing everything
		}
		if (int w = sleep_on(s.seq, s.sleepers, seen, deadline); w != 0) {
			return w == -ETIMEDOUT ? -EAGAIN : w;
		}
	}
}

// A blocking send on a stream takes everything (or fails); a nonblocking
// one takes what fits.
ssize_t send_stream(int fd, net::socket &s, const void *buf, size_t len, int flags) {
	net::socket_layer &layer = *g().layer;
	const auto *p = static_cast<const uint8_t *>(buf);
	size_t done = 0;
	while (done < len || len == 0) {
		ssize_t rc = wait_for(s, flags, s.sndtimeo_ns, [&] {
			return layer.sendto(fd, p + done, len - done, 0, nullptr, 0);
		});
		if (rc < 0) {
			return done > 0 ? ssize_t(done) : rc;
		}
		done += size_t(rc);
		if (len == 0 || (flags & MSG_DONTWAIT) || nonblocking(s)) {
			break;
		}
	}
	return ssize_t(done);
}

// connect() on a stream: the handshake runs on the connection's core;
// a blocking caller waits for its outcome.
int connect_stream(int fd, net::socket &s, int rc) {
	if (rc != -EINPROGRESS || nonblocking(s)) {
		return rc;
	}
	net::tcp_sock &ts = *s.tcp;
	return int(wait_for(s, 0, s.sndtimeo_ns, [&]() -> ssize_t {
		if (ts.established_once.load(std::memory_order_acquire)) {
			return 0;
		}
		if (int err = s.so_error.load(std::memory_order_acquire); err != 0) {
			return -s.so_error.exchange(0);
		}
		if (ts.finished_once.load(std::memory_order_acquire)) {
			return -ECONNREFUSED;
		}
		(void)fd;
		return -EAGAIN;
	}));
}

} // namespace

int close_socket(int fd) {
	net::socket_layer &layer = *g().layer;
	if (net::socket *s = layer.get(fd)) {
		epoll_forget(*s);
		net::socket_layer::put(s);
	}
	int rc = layer.close(fd);
	if (rc == 0) {
		std::lock_guard lock(g().fds_mutex);
		g().fds.erase(fd);
	}
	return rc;
}

} // namespace skiff::shim

using namespace skiff::shim;
namespace net = skiff::net;

extern "C" int skiff_socket(int domain, int type, int protocol) {
	call c;
	if (!c) {
		return posix(-ENETDOWN);
	}
	int fd = g().layer->open(domain, type, protocol);
	if (fd >= 0) {
		std::lock_guard lock(g().fds_mutex);
		g().fds.insert(fd);
	}
	return posix(fd);
}

extern "C" int skiff_bind(int fd, const struct sockaddr *addr, socklen_t len) {
	call c;
	return posix(c ? g().layer->bind(fd, addr, len) : -EBADF);
}

extern "C" int skiff_listen(int fd, int backlog) {
	call c;
	return posix(c ? g().layer->listen(fd, backlog) : -EBADF);
}

extern "C" int skiff_accept(int fd, struct sockaddr *addr, socklen_t *len) {
	call c;
	net::socket *s = c ? g().layer->get(fd) : nullptr;
	if (!s) {
		return posix(-EBADF);
	}
	ssize_t rc = wait_for(*s, 0, s->rcvtimeo_ns,
	                      [&]() -> ssize_t { return g().layer->accept(fd, addr, len); });
	net::socket_layer::put(s);
	return posix(int(rc));
}

extern "C" int skiff_connect(int fd, const struct sockaddr *addr, socklen_t len) {
	call c;
	net::socket *s = c ? g().layer->get(fd) : nullptr;
	if (!s) {
		return posix(-EBADF);
	}
	int rc = g().layer->connect(fd, addr, len);
	if (s->tcp) {
		rc = connect_stream(fd, *s, rc);
	}
	net::socket_layer::put(s);
	return posix(rc);
}

extern "C" ssize_t skiff_sendto(int fd, const void *buf, size_t len, int flags,
                                const struct sockaddr *to, socklen_t tolen) {
	call c;
	if (!c) {
		return posix<ssize_t>(-EBADF);
	}
	if (!buf && len) {
		return posix<ssize_t>(-EFAULT);
	}
	net::socket *s = g().layer->get(fd);
	if (!s) {
		return posix<ssize_t>(-EBADF);
	}
	ssize_t rc = s->tcp ? send_stream(fd, *s, buf, len, flags)
	                    : g().layer->sendto(fd, buf, len, flags, to, tolen);
	net::socket_layer::put(s);
	return posix(rc);
}

extern "C" ssize_t skiff_send(int fd, const void *buf, size_t len, int flags) {
	return skiff_sendto(fd, buf, len, flags, nullptr, 0);
}

extern "C" ssize_t skiff_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                                  socklen_t *fromlen) {
	call c;
	if (!c) {
		return posix<ssize_t>(-EBADF);
	}
	if (!buf && len) {
		return posix<ssize_t>(-EFAULT);
	}
	return posix(receive(fd, buf, len, flags, from, fromlen));
}

extern "C" ssize_t skiff_recv(int fd, void *buf, size_t len, int flags) {
	return skiff_recvfrom(fd, buf, len, flags, nullptr, nullptr);
}

extern "C" int skiff_close(int fd) {
	call c;
	if (!c) {
		return posix(-EBADF);
	}
	return posix(is_epoll_fd(fd) ? epoll_close(fd) : close_socket(fd));
}

extern "C" int skiff_shutdown(int fd, int how) {
	call c;
	return posix(c ? g().layer->shutdown(fd, how) : -EBADF);
}

extern "C" int skiff_getsockname(int fd, struct sockaddr *addr, socklen_t *len) {
	call c;
	return posix(c ? g().layer->getsockname(fd, addr, len) : -EBADF);
}

extern "C" int skiff_getpeername(int fd, struct sockaddr *addr, socklen_t *len) {
	call c;
	return posix(c ? g().layer->getpeername(fd, addr, len) : -EBADF);
}

extern "C" int skiff_setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
	call c;
	return posix(c ? g().layer->setsockopt(fd, level, name, val, len) : -EBADF);
}

extern "C" int skiff_getsockopt(int fd, int level, int name, void *val, socklen_t *len) {
	call c;
	return posix(c ? g().layer->getsockopt(fd, level, name, val, len) : -EBADF);
}

extern "C" int skiff_fcntl(int fd, int cmd, ...) {
	call c;
	net::socket *s = c ? g().layer->get(fd) : nullptr;
	if (!s) {
		return posix(-EBADF);
	}
	int rc = -EINVAL;
	if (cmd == F_GETFL) {
		rc = O_RDWR | (nonblocking(*s) ? O_NONBLOCK : 0);
	} else if (cmd == F_SETFL) {
		va_list ap;
		va_start(ap, cmd);
		int flags = va_arg(ap, int);
		va_end(ap);
		rc = g().layer->set_nonblock(fd, (flags & O_NONBLOCK) != 0);
	}
	net::socket_layer::put(s);
	return posix(rc);
}
