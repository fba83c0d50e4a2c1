// UDP (RFC 768) over IPv4 and IPv6: checksum, demultiplexing through the
// socket tables, delivery to a socket's ring or a native callback, ICMP
// port unreachable (rate-limited), and output for sockets and native apps.

#include "wire/udp.h"
#include "net/sockets.h"
#include "net/stack.h"
#include "net/worker.h"
#include "wire/builder.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_random.h>
#include <rte_udp.h>

#include <sys/epoll.h>

#include <cstring>

namespace skiff::net {

namespace {

constexpr uint8_t icmp6_dest_unreach = 1;
constexpr uint8_t icmp6_port_unreach = 4;
constexpr size_t icmp6_min_mtu = 1280; // RFC 4443 2.4(c): fit the error in the minimum MTU

} // namespace

void worker::attach_sockets(socket_layer *sockets) {
	if (_sockets && !sockets) {
		tcp_release_all();
	}
	if (_qsbr && !sockets) {
		go_offline();
	}
	_sockets = sockets;
	if (sockets) {
		_tcp.isn = &sockets->isn();
		_tcp.cfg = sockets->config().tcp;
		_tcp.counters = &_tcp_counters;
		_tcp.rng = rte_rand() | 1;
	}
	_qsbr = sockets ? sockets->qsbr() : nullptr;
	if (_qsbr) {
		rte_rcu_qsbr_thread_register(_qsbr, _index);
		rte_rcu_qsbr_thread_online(_qsbr, _index);
	}
}

void worker::go_offline() {
	if (_qsbr) {
		rte_rcu_qsbr_thread_offline(_qsbr, _index);
	}
}

void worker::udp4_input(uint16_t ifc, rte_mbuf *m, bool unicast) {
	auto ip =
	    wire::ipv4_view::parse({rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_pkt_len(m)});
	auto udp = wire::udp_view::parse(ip->payload());
	if (!udp.ok()) {
		drop(m, drop_reason::udp_truncated);
		return;
	}
	if (!l4_checksum_ok(m, wire::l4_checksum_ok_v4(*ip, udp->whole()))) {
		drop(m, drop_reason::udp_bad_checksum);
		return;
	}
	udp_accept(ifc, m, ip->src(), ip->dst(), *udp, unicast);
}

void worker::udp6_input(uint16_t ifc, rte_mbuf *m, bool unicast) {
	auto ip =
	    wire::ipv6_view::parse({rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_pkt_len(m)});
	auto udp = wire::udp_view::parse(ip->upper_payload());
	if (!udp.ok()) {
		drop(m, drop_reason::udp_truncated);
		return;
	}
	// RFC 8200 8.1: a zero UDP checksum is invalid over IPv6; the wire
	// check rejects it.
	if (!l4_checksum_ok(m, wire::l4_checksum_ok_v6(*ip, udp->whole())) ||
	    udp->checksum() == 0) {
		drop(m, drop_reason::udp_bad_checksum);
		return;
	}
	udp_accept(ifc, m, ip->src(), ip->dst(), *udp, unicast);
}

// Both families: the flow key, then delivery.
template <typename Addr>
void worker::udp_accept(uint16_t ifc, rte_mbuf *m, const Addr &src, const Addr &dst,
                        const wire::udp_view &udp, bool unicast) {
	flow_key k;
	k.proto = IPPROTO_UDP;
	set_local(k, dst, rte_cpu_to_be_16(udp.dst_port()));
	set_remote(k, src, rte_cpu_to_be_16(udp.src_port()));
	// Trim anything past the UDP length (it is bounded by the IP length).
	rte_pktmbuf_trim(m, uint16_t(rte_pktmbuf_pkt_len(m) - m->l3_len - udp.length()));
	udp_deliver(m, k, m->l3_len, unicast, ifc);
}

// The headers stay in the headroom in front of the payload (l3_len, l4_len
// tell where), so recvfrom reads the source from them: no metadata copy.
void worker::udp_deliver(rte_mbuf *m, const flow_key &key, uint16_t l4_off, bool unicast,
                         uint16_t ifc) {
	socket *s = _sockets ? _sockets->lookup_udp(_index, key) : nullptr;
	if (!s) {
		_counters.drop(drop_reason::udp_no_socket);
		if (unicast) {
			port_unreachable(ifc, m);
		} else {
			rte_pktmbuf_free(m);
		}
		return;
	}
	m->l4_len = sizeof(rte_udp_hdr);
	rte_pktmbuf_adj(m, uint16_t(l4_off + sizeof(rte_udp_hdr)));
	bump(_counters.udp_delivered);
	if (udp_rx_fn fn = __atomic_load_n(&s->native_rx, __ATOMIC_ACQUIRE)) {
		udp_meta meta;
		if (key.family == 4) {
			meta.from = ipv4_addr::from(key.remote_addr);
			meta.to = ipv4_addr::from(key.local_addr);
		} else {
			meta.from = ipv6_addr::from(key.remote_addr);
			meta.to = ipv6_addr::from(key.local_addr);
		}
		meta.from_port = rte_be_to_cpu_16(key.remote_port);
		meta.to_port = rte_be_to_cpu_16(key.local_port);
		fn(s->native_ctx, *this, m, meta);
		return;
	}
	uint32_t size = rte_pktmbuf_pkt_len(m);
	if (s->shut_rd || s->rx_bytes.load(std::memory_order_relaxed) + size > s->rcvbuf ||
	    rte_ring_enqueue(s->rx, m) != 0) {
		s->rx_dropped.fetch_add(1, std::memory_order_relaxed);
		drop(m, drop_reason::udp_rcvbuf_full);
		return;
	}
	s->rx_bytes.fetch_add(size, std::memory_order_relaxed);
	s->signal(EPOLLIN);
}

// A token bucket per core: `unreach_per_sec` tokens a second, at most that
// many banked (RFC 1812 4.3.2.8 and RFC 4443 2.4(f) ask for a limit).
bool worker::unreach_allowed() {
	uint64_t rate = _sockets ? _sockets->config().unreach_per_sec : 100;
	if (_now_ns >= _unreach_refill_ns) {
		_unreach_tokens = rate;
		_unreach_refill_ns = _now_ns + 1'000'000'000ull;
	}
	if (_unreach_tokens == 0) {
		bump(_counters.unreachables_limited);
		return false;
	}
	_unreach_tokens--;
	return true;
}

// `m` starts at the IP header of the offending datagram. The error quotes
// it (RFC 792: header + 8 bytes; RFC 4443: as much as fits in 1280) and
// reuses the mbuf: the quote is already in place.
void worker::port_unreachable(uint16_t ifc, rte_mbuf *m) {
	if (!unreach_allowed()) {
		rte_pktmbuf_free(m);
		return;
	}
	const iface &me = _stack.ifaces()[ifc];
	uint8_t version = rte_pktmbuf_mtod(m, const uint8_t *)[0] >> 4;
	if (version == 4) {
		auto *ip = rte_pktmbuf_mtod(m, const rte_ipv4_hdr *);
		ipv4_addr to{ip->src_addr}, from{ip->dst_addr};
		uint32_t quote = m->l3_len + 8u;
		rte_pktmbuf_trim(
		    m, uint16_t(rte_pktmbuf_pkt_len(m) - std::min(quote, rte_pktmbuf_pkt_len(m))));
		if (!wire::push_icmp4(m, 3 /* destination unreachable */, 3 /* port */, 0) ||
		    !wire::push_ipv4(m, from, to, IPPROTO_ICMP, _stack.config().ttl,
		                     me.offloads.tx)) {
			drop(m, drop_reason::no_headroom);
			return;
		}
		bump(_counters.unreachables_sent);
		ipv4_output(m, to);
		return;
	}
	auto *ip = rte_pktmbuf_mtod(m, const rte_ipv6_hdr *);
	ipv6_addr to = ipv6_addr::from(ip->src_addr), from = ipv6_addr::from(ip->dst_addr);
	size_t room = icmp6_min_mtu - sizeof(rte_ipv6_hdr) - 8;
	if (rte_pktmbuf_pkt_len(m) > room) {
		rte_pktmbuf_trim(m, uint16_t(rte_pktmbuf_pkt_len(m) - room));
	}
	if (!wire::push_icmp6(m, from, to, icmp6_dest_unreach, icmp6_port_unreach, 0) ||
	    !wire::push_ipv6(m, from, to, IPPROTO_ICMPV6, _stack.config().hop_limit)) {
		drop(m, drop_reason::no_headroom);
		return;
	}
	bump(_counters.unreachables_sent);
	ipv6_output(m, to, ifc);
}

// Prepend UDP and IP headers to the payload in `m`. A wildcard `src` takes
// the route's source address. Software checksums unless `offload` and the
// output interface can do them.
int worker::udp_build(rte_mbuf *m, const any_addr &src, uint16_t src_port, const any_addr &dst,
                      uint16_t dst_port, bool offload) {
	if (!wire::push_udp(m, src_port, dst_port)) {
		return -ENOBUFS;
	}
	return l4_finish(m, src, dst, IPPROTO_UDP, offload);
}

// The UDP or TCP header is in front of the payload: route, pick the source
// (for a wildcard `src`), finish the checksum and prepend the IP header.
int worker::l4_finish(rte_mbuf *m, const any_addr &src, const any_addr &dst, uint8_t proto,
                      bool offload) {
	if (const auto *d4 = std::get_if<ipv4_addr>(&dst)) {
		const nexthop4 *nh = _stack.routes().lookup(*d4);
		if (!nh) {
			return -ENETUNREACH;
		}
		const iface &out = _stack.ifaces()[nh->iface];
		const ipv4_addr *s4 = std::get_if<ipv4_addr>(&src);
		if (!s4 || s4->is_unspecified()) {
			s4 = out.source_for(*d4);
		}
		if (!s4) {
			return -EADDRNOTAVAIL;
		}
		wire::tx_offloads ol = offload ? out.offloads.tx : wire::tx_offloads{};
		if (!wire::finalize_l4_cksum_v4(m, *s4, *d4, proto, ol) ||
		    !wire::push_ipv4(m, *s4, *d4, proto, _stack.config().ttl, ol)) {
			return -ENOBUFS;
		}
		return 0;
	}
	const auto &d6 = std::get<ipv6_addr>(dst);
	const nexthop6 *nh = _stack.routes().lookup(d6);
	if (!nh && !d6.is_link_local()) {
		return -ENETUNREACH;
	}
	const iface &out = _stack.ifaces()[nh ? nh->iface : 0];
	const ipv6_addr *s6 = std::get_if<ipv6_addr>(&src);
	if (!s6 || s6->is_unspecified()) {
		s6 = out.source_for(d6);
	}
	if (!s6) {
		return -EADDRNOTAVAIL;
	}
	wire::tx_offloads ol = offload ? out.offloads.tx : wire::tx_offloads{};
	if (!wire::finalize_l4_cksum_v6(m, *s6, d6, proto, ol) ||
	    !wire::push_ipv6(m, *s6, d6, proto, _stack.config().hop_limit)) {
		return -ENOBUFS;
	}
	return 0;
}

// Route and resolve a finished IP datagram.
void worker::ip_output(rte_mbuf *m) {
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	if ((ip[0] >> 4) == 4) {
		ipv4_output(m, ipv4_addr::from(ip + 16));
	} else {
		ipv6_output(m, ipv6_addr::from(ip + 24), 0);
	}
}

int worker::udp_send(rte_mbuf *m, const any_addr &src, uint16_t src_port, const any_addr &dst,
                     uint16_t dst_port) {
	_now_ns = _clock->now_ns();
	int rc = udp_build(m, src, src_port, dst, dst_port, true);
	if (rc < 0) {
		rte_pktmbuf_free(m);
		return rc;
	}
	bump(_counters.udp_sent);
	ip_output(m);
	return 0;
}

ssize_t worker::udp_send_copy(const void *buf, size_t len, const any_addr &src, uint16_t src_port,
                              const any_addr &dst, uint16_t dst_port, bool on_lcore) {
	rte_mbuf *m = rte_pktmbuf_alloc(_pool);
	if (!m) {
		return -ENOBUFS; // the pool is exhausted: the caller sees ENOBUFS, not a crash
	}
	void *data = rte_pktmbuf_append(m, uint16_t(len));
	if (!data || len > UINT16_MAX) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE; // bigger than one mbuf: IP fragmentation is not supported
	}
	std::memcpy(data, buf, len);
	if (on_lcore) {
		int rc = udp_send(m, src, src_port, dst, dst_port);
		return rc < 0 ? rc : ssize_t(len);
	}
	// Another thread: build here (routes are read-only, so this is safe),
	// and leave neighbour resolution and transmission to the lcore.
	int rc = udp_build(m, src, src_port, dst, dst_port, false);
	if (rc < 0) {
		rte_pktmbuf_free(m);
		return rc;
	}
	if (rte_ring_mp_enqueue(_app_tx, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return ssize_t(len);
}

void worker::drain_app_tx() {
	rte_mbuf *pkts[burst_size];
	unsigned n = rte_ring_sc_dequeue_burst(_app_tx, reinterpret_cast<void **>(pkts), burst_size,
	                                       nullptr);
	for (unsigned i = 0; i < n; i++) {
		bump(_counters.udp_sent);
		ip_output(pkts[i]);
	}
}

} // namespace skiff::net
