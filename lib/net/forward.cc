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

#include "net/ipv4_checks.h"
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

// The TTL shares a 16-bit word with the protocol: RFC 1624 eqn. 3 updates
// the header checksum for that word, HC' = ~(~HC + ~m + m'). The word m
// drops by one TTL unit, so ~m + m' is the constant 0xffff - unit: no need
// to read the word or to swap bytes (this runs on every forwarded packet).
void decrement_ttl(rte_ipv4_hdr *ip) {
	constexpr uint32_t ttl_unit = RTE_BE16(0x0100); // the TTL's 1 in the word as loaded
	ip->time_to_live--;
	uint32_t sum = uint16_t(~ip->hdr_checksum) + (0xffff - ttl_unit);
	ip->hdr_checksum = wire::cksum_fold(sum);
}

// Drop Ethernet padding (or trailing junk) past the datagram.
void trim_frame(rte_mbuf *m, uint32_t frame_len) {
	if (rte_pktmbuf_pkt_len(m) > frame_len) {
		rte_pktmbuf_trim(m, uint16_t(rte_pktmbuf_pkt_len(m) - frame_len));
	}
}

void trim_to(rte_mbuf *m, uint32_t l3_total) {
	trim_frame(m, m->l2_len + l3_total);
}

} // namespace

// A gateway next hop of the burst, resolved once: where its frames go and
// the Ethernet addresses they get.
struct worker::fwd_hop {
	const nexthop4 *nh = nullptr;
	tx_buffer *tx = nullptr; ///< of the interface the neighbour is on
	uint16_t mtu = 0;        ///< of the route's interface
	uint8_t macs[2 * RTE_ETHER_ADDR_LEN];
};

void worker::ipv4_forward_burst(uint16_t ifc, rte_mbuf **pkts, const uint32_t *plain_dst,
                                const uint16_t *plain_len, uint16_t n) {
	const nexthop4 *nh[burst_size];
	_stack.routes().lookup_bulk(plain_dst, nh, n);
	// In burst order, the others through the full path: output, drops and
	// ICMP errors come in the order they would have one frame at a time.
	fwd_hop hop;
	uint64_t forwarded = 0;
	for (uint16_t i = 0; i < n; i++) {
		rte_mbuf *m = pkts[i];
		const nexthop4 *h = nh[i];
		if (plain_len[i] != 0 && h != nullptr) [[likely]] {
			// The common case inline: a gateway already resolved. A plain
			// frame has no VLAN tag: its IPv4 header follows 14 bytes.
			uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
			auto *ip = reinterpret_cast<rte_ipv4_hdr *>(frame + sizeof(rte_ether_hdr));
			uint16_t total = plain_len[i];
			if ((h == hop.nh || (!h->on_link() && resolve_hop(h, hop))) &&
			    total <= hop.mtu) [[likely]] {
				decrement_ttl(ip);
				trim_frame(m, sizeof(rte_ether_hdr) + total);
				std::memcpy(frame, hop.macs, sizeof(hop.macs));
				if (hop.tx->add(m)) {
					flush();
				}
				forwarded++;
				continue;
			}
			if (ipv4_forward_plain(m, h)) {
				forwarded++;
				continue;
			}
		}
		// The full path may change what `hop` remembers (a neighbour).
		hop.nh = nullptr;
		ipv4_input(ifc, m);
	}
	bump(_counters.forwarded, forwarded);
}

// Resolve a gateway next hop into `hop`; false when its neighbour is not
// reachable yet (forward_to() then queues the frame and solicits it).
bool worker::resolve_hop(const nexthop4 *nh, fwd_hop &hop) {
	neigh_entry<ipv4_addr> *&memo = _fwd_memo4;
	neigh_entry<ipv4_addr> *e = memo;
	if (!e || !(e->addr == nh->gateway) || e->state != neigh_state::reachable) {
		e = _arp->find(nh->gateway);
		memo = e;
	}
	if (!e || e->state != neigh_state::reachable) {
		return false;
	}
	hop.nh = nh;
	hop.tx = &_tx[e->iface];
	hop.mtu = _stack.ifaces()[nh->iface].mtu;
	std::memcpy(hop.macs, e->mac.b.data(), RTE_ETHER_ADDR_LEN);
	std::memcpy(hop.macs + RTE_ETHER_ADDR_LEN, _stack.ifaces()[e->iface].mac.b.data(),
	            RTE_ETHER_ADDR_LEN);
	return true;
}

// ipv4_forward() after the lookup, for a frame plain_transit() passed and
// whose next hop is not a resolved gateway: false, without touching `m`,
// when the route asks a question only the full path answers (our own
// address or a broadcast on the way out, a datagram over the output MTU).
bool worker::ipv4_forward_plain(rte_mbuf *m, const nexthop4 *nh) {
	const iface &out = _stack.ifaces()[nh->iface];
	auto *ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr *, m->l2_len);
	ipv4_addr dst{ip->dst_addr};
	if (nh->on_link() && out.kind_of(dst) != iface::addr4_kind::other) {
		return false;
	}
	uint16_t total = rte_be_to_cpu_16(ip->total_length);
	if (total > out.mtu) {
		return false;
	}
	decrement_ttl(ip);
	trim_to(m, total);
	forward_to(nh->iface, nh->on_link() ? dst : nh->gateway, m);
	return true;
}

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
	forward_to(ifc, next_hop, m);
}

// forward_output() without the count, which a burst makes once.
template <typename Addr> void worker::forward_to(uint16_t ifc, const Addr &next_hop, rte_mbuf *m) {
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
		if (_tx[e->iface].add(m)) {
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
