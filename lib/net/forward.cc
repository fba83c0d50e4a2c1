// Forwarding: the router's data path (RFC 1812 for IPv4, RFC 8200 and
// RFC 4443 for IPv6). A datagram that passed ipv4_input/ipv6_input's
// validation and is not for us is routed here instead of being dropped:
// TTL / hop limit decremented in place with an RFC 1624 checksum update,
// the Ethernet addresses rewritten in place, and the frame handed to the
// transmit buffer. Nothing is copied and no header is prepended on the way
// through; only a next hop still being resolved takes the host stack's
// output path (its pending queue), which prepends its own Ethernet header.
//
// ICMP errors (time exceeded, destination unreachable, too big) reuse the
// offending mbuf for the quote and share the worker's token bucket with
// port unreachable.

#include "net/stack.h"
#include "net/worker.h"
#include "wire/builder.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"

#include <rte_ether.h>
#include <rte_ip.h>

#include <algorithm>
#include <cstring>

namespace skiff::net {

namespace {

constexpr uint8_t icmp4_unreachable = 3;
constexpr uint8_t icmp4_net_unreachable = 0;
constexpr uint8_t icmp4_frag_needed = 4;
constexpr uint8_t icmp4_time_exceeded = 11;
constexpr uint8_t icmp6_unreachable = 1;
constexpr uint8_t icmp6_no_route = 0;
constexpr uint8_t icmp6_too_big = 2;
constexpr uint8_t icmp6_time_exceeded = 3;
constexpr uint8_t icmp6_first_informational = 128;
constexpr size_t icmp6_min_mtu = 1280; // RFC 4443 2.4(c)

constexpr drop_reason no_drop = drop_reason::count;

bool l2_multicast(const rte_mbuf *m) {
	return (rte_pktmbuf_mtod(m, const uint8_t *)[0] & 0x01) != 0;
}

// RFC 1812 5.3.7 and RFC 6890: what a router never forwards. Multicast and
// limited broadcast destinations never get here (they are ours to take).
drop_reason ipv4_unroutable(ipv4_addr src, ipv4_addr dst) {
	uint32_t s = src.host(), d = dst.host();
	uint8_t s0 = uint8_t(s >> 24), d0 = uint8_t(d >> 24);
	if ((s >> 16) == 0xa9fe || (d >> 16) == 0xa9fe) { // 169.254/16, RFC 3927 2.7
		return drop_reason::fwd_link_local;
	}
	if (d0 == 0 || d0 == 127 || d0 >= 240 || s0 == 0 || s0 >= 240) {
		return drop_reason::fwd_martian;
	}
	return no_drop;
}

// RFC 4291 2.5.2, 2.5.3, 2.5.6: never forwarded.
drop_reason ipv6_unroutable(const ipv6_addr &src, const ipv6_addr &dst) {
	if (dst.is_multicast()) {
		return drop_reason::fwd_multicast; // we are not a multicast router
	}
	if (src.is_link_local() || dst.is_link_local()) {
		return drop_reason::fwd_link_local;
	}
	if (src.is_unspecified() || dst.is_unspecified() || dst.is_loopback()) {
		return drop_reason::fwd_martian;
	}
	return no_drop;
}

// RFC 1812 4.3.2.7: no ICMP error about an ICMP error or about a fragment
// other than the first. (Bad sources and broadcast destinations were
// filtered before forwarding.)
bool icmp4_error_allowed(const rte_ipv4_hdr *ip, size_t len) {
	if (rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) {
		return false;
	}
	if (ip->next_proto_id != IPPROTO_ICMP) {
		return true;
	}
	size_t hl = rte_ipv4_hdr_len(ip);
	if (len <= hl) {
		return false;
	}
	uint8_t type = reinterpret_cast<const uint8_t *>(ip)[hl];
	return type != 3 && type != 4 && type != 5 && type != 11 && type != 12;
}

// RFC 4443 2.4(e): no ICMPv6 error about an ICMPv6 error.
bool icmp6_error_allowed(const wire::ipv6_view &ip) {
	if (ip.upper_proto() != IPPROTO_ICMPV6 || (ip.is_fragment() && ip.frag_offset() != 0)) {
		return true;
	}
	wire::bytes upper = ip.upper_payload();
	return !upper.empty() && upper[0] >= icmp6_first_informational;
}

// The TTL shares a 16-bit word with the protocol: RFC 1624 updates the
// header checksum for that word, so no full recomputation is needed. The
// new word is computed, not re-read after a byte store: that read would
// stall on store forwarding (it cost a third of the forwarding time).
void decrement_ttl(rte_ipv4_hdr *ip) {
	uint16_t before;
	std::memcpy(&before, &ip->time_to_live, 2);
	uint16_t after = rte_cpu_to_be_16(uint16_t(rte_be_to_cpu_16(before) - 0x0100));
	std::memcpy(&ip->time_to_live, &after, 2);
	ip->hdr_checksum = wire::cksum_update16(ip->hdr_checksum, before, after);
}

// Drop Ethernet padding (or trailing junk) past the datagram.
void trim_to(rte_mbuf *m, uint32_t l3_total) {
	uint32_t want = m->l2_len + l3_total;
	if (rte_pktmbuf_pkt_len(m) > want) {
		rte_pktmbuf_trim(m, uint16_t(rte_pktmbuf_pkt_len(m) - want));
	}
}

} // namespace

bool worker::ipv4_forward(uint16_t ifc, rte_mbuf *m, const wire::ipv4_view &ip) {
	ipv4_addr src = ip.src(), dst = ip.dst();
	if (drop_reason r = ipv4_unroutable(src, dst); r != no_drop) {
		drop(m, r);
		return true;
	}
	if (l2_multicast(m)) { // RFC 1812 5.3.4: unicast IP in a link-layer broadcast
		drop(m, drop_reason::fwd_broadcast);
		return true;
	}
	const nexthop4 *nh = _stack.routes().lookup(dst);
	if (!nh) {
		_counters.drop(drop_reason::fwd_no_route);
		icmp4_error(ifc, m, icmp4_unreachable, icmp4_net_unreachable, 0);
		return true;
	}
	const iface &out = _stack.ifaces()[nh->iface];
	if (nh->on_link()) {
		iface::addr4_kind kind = out.kind_of(dst);
		if (kind == iface::addr4_kind::ours) {
			return false;
		}
		if (kind == iface::addr4_kind::broadcast) { // RFC 2644: no directed broadcasts
			drop(m, drop_reason::fwd_broadcast);
			return true;
		}
	}
	auto *hdr = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr *, m->l2_len);
	if (hdr->time_to_live <= 1) { // RFC 1812 5.3.1
		_counters.drop(drop_reason::ttl_exceeded);
		icmp4_error(ifc, m, icmp4_time_exceeded, 0, 0);
		return true;
	}
	uint16_t total = ip.total_length();
	if (total > out.mtu) { // we do not fragment
		_counters.drop(drop_reason::fwd_too_big);
		if (ip.dont_fragment()) {
			icmp4_error(ifc, m, icmp4_unreachable, icmp4_frag_needed,
			            out.mtu); // RFC 1191
		} else {
			rte_pktmbuf_free(m);
		}
		return true;
	}
	decrement_ttl(hdr);
	trim_to(m, total);
	forward_output(nh->iface, nh->on_link() ? dst : nh->gateway, m);
	return true;
}

bool worker::ipv6_forward(uint16_t ifc, rte_mbuf *m, const wire::ipv6_view &ip) {
	ipv6_addr src = ip.src(), dst = ip.dst();
	if (drop_reason r = ipv6_unroutable(src, dst); r != no_drop) {
		drop(m, r);
		return true;
	}
	if (l2_multicast(m)) {
		drop(m, drop_reason::fwd_broadcast);
		return true;
	}
	const nexthop6 *nh = _stack.routes().lookup(dst);
	if (!nh) {
		_counters.drop(drop_reason::fwd_no_route);
		icmp6_error(ifc, m, ip, icmp6_unreachable, icmp6_no_route, 0);
		return true;
	}
	const iface &out = _stack.ifaces()[nh->iface];
	if (nh->on_link() && out.owns(dst)) {
		return false;
	}
	auto *hdr = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr *, m->l2_len);
	if (hdr->hop_limits <= 1) { // RFC 8200 3, RFC 4443 3.3
		_counters.drop(drop_reason::ttl_exceeded);
		icmp6_error(ifc, m, ip, icmp6_time_exceeded, 0, 0);
		return true;
	}
	uint32_t total = uint32_t(ip.whole().size());
	if (total > out.mtu) { // RFC 8200 5: routers never fragment
		_counters.drop(drop_reason::fwd_too_big);
		icmp6_error(ifc, m, ip, icmp6_too_big, 0, out.mtu);
		return true;
	}
	hdr->hop_limits--; // no header checksum in IPv6
	trim_to(m, total);
	forward_output(nh->iface, nh->on_link() ? dst : nh->gateway, m);
	return true;
}

// The fast path rewrites the Ethernet addresses in place and queues the
// frame for transmission. An unresolved next hop goes through the host
// stack's neigh_output (pending queue, solicitation) without its L2 header.
template <typename Addr>
void worker::forward_output(uint16_t ifc, const Addr &next_hop, rte_mbuf *m) {
	bump(_counters.forwarded);
	neigh_entry<Addr> *&memo = fwd_memo(next_hop);
	neigh_entry<Addr> *e = memo;
	if (!e || !(e->addr == next_hop) || e->state != neigh_state::reachable) [[unlikely]] {
		e = cache_for(next_hop).find(next_hop);
		memo = e;
	}
	if (e && e->state == neigh_state::reachable) [[likely]] {
		auto *eth = rte_pktmbuf_mtod(m, rte_ether_hdr *);
		std::memcpy(&eth->dst_addr, e->mac.b.data(), RTE_ETHER_ADDR_LEN);
		std::memcpy(&eth->src_addr, _stack.ifaces()[e->iface].mac.b.data(),
		            RTE_ETHER_ADDR_LEN);
		// tx(), without the call: it is out of line in worker.cc.
		tx_buffer &b = _tx[e->iface];
		b.pkts[b.n++] = m;
		if (b.n == burst_size) {
			flush();
		}
		return;
	}
	rte_pktmbuf_adj(m, m->l2_len);
	m->l2_len = 0;
	neigh_output(ifc, next_hop, m);
}

// `m` is the offending frame. The error quotes its IP header and the first
// 8 bytes after it (RFC 792), from the address of the interface it came in
// on (RFC 1812 4.3.2.4), and goes back through the normal output path.
void worker::icmp4_error(uint16_t ifc, rte_mbuf *m, uint8_t type, uint8_t code, uint32_t rest) {
	const auto *ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr *, m->l2_len);
	size_t len = rte_pktmbuf_data_len(m) - m->l2_len;
	ipv4_addr to{ip->src_addr};
	const ipv4_addr *from = _stack.ifaces()[ifc].source_for(to);
	if (!from || !icmp4_error_allowed(ip, len) || !unreach_allowed()) {
		rte_pktmbuf_free(m);
		return;
	}
	uint32_t quote =
	    std::min<uint32_t>(rte_ipv4_hdr_len(ip) + 8u, rte_be_to_cpu_16(ip->total_length));
	rte_pktmbuf_adj(m, m->l2_len);
	m->l2_len = 0;
	rte_pktmbuf_trim(m, uint16_t(rte_pktmbuf_pkt_len(m) - quote));
	if (!wire::push_icmp4(m, type, code, rest) ||
	    !wire::push_ipv4(m, *from, to, IPPROTO_ICMP, _stack.config().ttl, {})) {
		drop(m, drop_reason::no_headroom);
		return;
	}
	bump(_counters.icmp_errors_sent);
	ipv4_output(m, to);
}

// As icmp4_error, quoting as much of the packet as fits in the minimum MTU
// (RFC 4443 2.4(c)), from a global address when we have one.
void worker::icmp6_error(uint16_t ifc, rte_mbuf *m, const wire::ipv6_view &ip, uint8_t type,
                         uint8_t code, uint32_t rest) {
	ipv6_addr to = ip.src();
	const ipv6_addr *from = _stack.ifaces()[ifc].source_for(to);
	for (const iface &other : _stack.ifaces()) {
		if (from && !from->is_link_local()) {
			break;
		}
		from = other.source_for(to);
	}
	if (!from || from->is_link_local() || !icmp6_error_allowed(ip) || !unreach_allowed()) {
		rte_pktmbuf_free(m);
		return;
	}
	uint32_t quote = std::min<uint32_t>(uint32_t(ip.whole().size()),
	                                    icmp6_min_mtu - sizeof(rte_ipv6_hdr) - 8);
	rte_pktmbuf_adj(m, m->l2_len);
	m->l2_len = 0;
	rte_pktmbuf_trim(m, uint16_t(rte_pktmbuf_pkt_len(m) - quote));
	if (!wire::push_icmp6(m, *from, to, type, code, rest) ||
	    !wire::push_ipv6(m, *from, to, IPPROTO_ICMPV6, _stack.config().hop_limit)) {
		drop(m, drop_reason::no_headroom);
		return;
	}
	bump(_counters.icmp_errors_sent);
	ipv6_output(m, to, ifc);
}

template void worker::forward_output(uint16_t, const ipv4_addr &, rte_mbuf *);
template void worker::forward_output(uint16_t, const ipv6_addr &, rte_mbuf *);

} // namespace skiff::net
