// The data-moving and option calls of the socket layer: recvfrom, sendto,
// setsockopt and getsockopt.

#include "net/sockets.h"
#include "net/tcp_sock.h"

#include "net/stack.h"
#include "net/worker.h"
#include "wire/builder.h"

#include <rte_ip.h>

#include <netinet/tcp.h>
#include <sys/time.h>

#include <cstring>

namespace skiff::net {

namespace {

constexpr size_t max_udp_payload = 65507;

// The datagram's source, from the IPv4/IPv6 header the worker left in the
// headroom in front of the payload (see worker::udp_deliver).
std::pair<any_addr, uint16_t> source_of(const rte_mbuf *m) {
	const uint8_t *payload = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *l4 = payload - m->l4_len;
	const uint8_t *l3 = l4 - m->l3_len;
	uint16_t port = uint16_t(l4[0] << 8 | l4[1]);
	if ((l3[0] >> 4) == 4) {
		return {ipv4_addr::from(l3 + 12), port};
	}
	return {ipv6_addr::from(l3 + 8), port};
}

int64_t timeval_ns(const void *val, socklen_t len) {
	if (len < sizeof(timeval)) {
		return -2;
	}
	timeval tv;
	std::memcpy(&tv, val, sizeof(tv));
	if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000) {
		return -2;
	}
	int64_t ns = int64_t(tv.tv_sec) * 1000000000 + int64_t(tv.tv_usec) * 1000;
	return ns == 0 ? -1 : ns; // 0 means "block forever"
}

int put_int(void *val, socklen_t *len, int v) {
	if (!val || !len || *len < sizeof(int)) {
		return -EINVAL;
	}
	std::memcpy(val, &v, sizeof(int));
	*len = sizeof(int);
	return 0;
}

int put_timeval(void *val, socklen_t *len, int64_t ns) {
	if (!val || !len || *len < sizeof(timeval)) {
		return -EINVAL;
	}
	timeval tv{};
	if (ns > 0) {
		tv.tv_sec = ns / 1000000000;
		tv.tv_usec = (ns % 1000000000) / 1000;
	}
	std::memcpy(val, &tv, sizeof(tv));
	*len = sizeof(tv);
	return 0;
}

} // namespace

ssize_t socket_layer::recvfrom(int fd, void *buf, size_t len, int flags, sockaddr *from,
                               socklen_t *fromlen, bool *truncated) {
	socket *s = get(fd);
	if (!s) {
		return -EBADF;
	}
	if (s->tcp) {
		ssize_t rc = stream_recv(*s, buf, len);
		put(s);
		return rc;
	}
	rte_mbuf *m;
	if (rte_ring_dequeue(s->rx, reinterpret_cast<void **>(&m)) != 0) {
		bool eof = s->shut_rd;
		put(s);
		return eof ? 0 : -EAGAIN;
	}
	uint32_t size = rte_pktmbuf_pkt_len(m);
	s->rx_bytes.fetch_sub(size, std::memory_order_relaxed);
	size_t n = std::min<size_t>(len, size);
	const void *data = rte_pktmbuf_read(m, 0, uint32_t(n), buf);
	if (data && data != buf && n) {
		std::memcpy(buf, data, n);
	}
	if (from && fromlen) {
		auto [addr, port] = source_of(m);
		*fromlen = to_sockaddr(s->domain, addr, port, from, *fromlen);
	}
	if (truncated) {
		*truncated = n < size;
	}
	put(s);
	rte_pktmbuf_free(m);
	return (flags & MSG_TRUNC) ? ssize_t(size) : ssize_t(n);
}

ssize_t socket_layer::sendto(int fd, const void *buf, size_t len, int flags, const sockaddr *to,
                             socklen_t tolen) {
	(void)flags;
	if (socket *s = get(fd); s && s->tcp) {
		ssize_t rc = stream_send(*s, buf, len);
		put(s);
		return rc;
	} else if (s) {
		put(s);
	}
	if (len > max_udp_payload) {
		return -EMSGSIZE;
	}
	any_addr dst;
	uint16_t dst_port;
	any_addr src;
	uint16_t src_port;
	uint16_t home;
	{
		std::lock_guard lock(_mutex);
		socket *s = find(fd);
		if (!s) {
			return -EBADF;
		}
		if (s->shut_wr) {
			return -EPIPE;
		}
		if (to) {
			auto ep = from_sockaddr(to, tolen);
			if (!ep || (to->sa_family == AF_INET6) != (s->domain == AF_INET6)) {
				return -EINVAL;
			}
			dst = ep->first;
			dst_port = ep->second;
		} else if (s->connected) {
			dst = s->remote;
			dst_port = s->remote_port;
		} else {
			return -EDESTADDRREQ;
		}
		if (dst_port == 0) {
			return -EINVAL;
		}
		// A dual-stack socket reaches IPv4 peers through v4-mapped
		// addresses: route them as IPv4.
		dst = effective(dst);
		if (s->domain == AF_INET6 && s->v6only && dst.index() == 0) {
			return -ENETUNREACH;
		}
		if (int rc = autobind_locked(*s); rc < 0) {
			return rc;
		}
		src = effective(s->local);
		src_port = s->local_port;
		home = s->home >= 0 ? uint16_t(s->home) : uint16_t(fd % _connected.size());
	}
	worker *here = worker::current();
	worker &out = here && &here->owner() == &_stack ? *here : _stack.worker_at(home);
	return out.udp_send_copy(buf, len, src, src_port, dst, dst_port, here == &out);
}

int socket_layer::setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
	std::lock_guard lock(_mutex);
	socket *s = find(fd);
	if (!s) {
		return -EBADF;
	}
	if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
		if (!val) {
			return -EFAULT;
		}
		std::string_view want(static_cast<const char *>(val),
		                      strnlen(static_cast<const char *>(val), len));
		auto algo =
		    want == "reno" ? std::optional(tcp::cc_algo::newreno) : tcp::cc_from_name(want);
		if (!algo) {
			return -ENOENT; // as Linux for an unknown algorithm
		}
		s->cc = algo;
		return 0;
	}
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		int64_t ns = val ? timeval_ns(val, len) : -2;
		if (ns == -2) {
			return -EINVAL;
		}
		(name == SO_RCVTIMEO ? s->rcvtimeo_ns : s->sndtimeo_ns) = ns;
		return 0;
	}
	if (!val || len < sizeof(int)) {
		return -EINVAL;
	}
	int v;
	std::memcpy(&v, val, sizeof(v));
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR:
			s->reuseaddr = v != 0;
			return 0;
		case SO_REUSEPORT:
			s->reuseport = v != 0;
			return 0;
		case SO_KEEPALIVE:
			s->keepalive = v != 0;
			if (s->tcp && s->connected) {
				tcp_request(*s->tcp, tcp_req::options);
			}
			return 0;
		case SO_RCVBUF:
		case SO_SNDBUF: {
			// Like Linux: the kernel doubles the value for bookkeeping.
			uint32_t bytes = uint32_t(std::max(v, 1024)) * 2;
			(name == SO_RCVBUF ? s->rcvbuf : s->sndbuf) = bytes;
			return 0;
		}
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY) {
		if (s->domain != AF_INET6) {
			return -ENOPROTOOPT;
		}
		if (s->bound) {
			return -EINVAL;
		}
		s->v6only = v != 0;
		return 0;
	}
	if (level == IPPROTO_TCP && name == TCP_NODELAY) {
		s->nodelay = v != 0; // UDP ignores it
		if (s->tcp && s->connected) {
			tcp_request(*s->tcp, tcp_req::options);
		}
		return 0;
	}
	return -ENOPROTOOPT;
}

int socket_layer::getsockopt(int fd, int level, int name, void *val, socklen_t *len) {
	if (level == IPPROTO_TCP && name == TCP_INFO) {
		return get_tcp_info(fd, val, len); // asks the connection's core: not under _mutex
	}
	std::lock_guard lock(_mutex);
	socket *s = find(fd);
	if (!s) {
		return -EBADF;
	}
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR:
			return put_int(val, len, s->reuseaddr);
		case SO_REUSEPORT:
			return put_int(val, len, s->reuseport);
		case SO_RCVBUF:
			return put_int(val, len, int(s->rcvbuf));
		case SO_SNDBUF:
			return put_int(val, len, int(s->sndbuf));
		case SO_RCVTIMEO:
			return put_timeval(val, len, s->rcvtimeo_ns);
		case SO_SNDTIMEO:
			return put_timeval(val, len, s->sndtimeo_ns);
		case SO_ERROR:
			return put_int(val, len, s->so_error.exchange(0));
		case SO_TYPE:
			return put_int(val, len, s->type);
		case SO_KEEPALIVE:
			return put_int(val, len, s->keepalive);
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY && s->domain == AF_INET6) {
		return put_int(val, len, s->v6only);
	}
	if (level == IPPROTO_TCP && name == TCP_NODELAY) {
		return put_int(val, len, s->nodelay);
	}
	if (level == IPPROTO_TCP && name == TCP_CONGESTION && val && len) {
		const char *name_of = tcp::cc_name(s->cc.value_or(_cfg.tcp.default_cc));
		size_t n = std::min<size_t>(*len, std::strlen(name_of) + 1);
		std::memcpy(val, name_of, n);
		*len = socklen_t(n);
		return 0;
	}
	return -ENOPROTOOPT;
}

} // namespace skiff::net
