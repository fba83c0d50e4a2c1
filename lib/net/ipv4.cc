// IPv4 in and out with the receive checks of RFC 1122 section 3.2.1 and
// RFC 6274, and ICMP echo (RFC 792).

#include "wire/ipv4.h"
#include "net/ipv4_checks.h"
#include "net/sockets.h"
#include "net/stack.h"
#include "net/worker.h"
#include "wire/builder.h"
#include "wire/checksum.h"
#include "wire/icmp.h"

#include <rte_icmp.h>
#include <rte_ip.h>

#include <cstring>

namespace skiff::net {

namespace {

drop_reason ipv4_drop_reason(wire::parse_error e) {
	switch (e) {
	case wire::parse_error::bad_version:
		return drop_reason::ipv4_bad_version;
	case wire::parse_error::bad_header_length:
		return drop_reason::ipv4_bad_header_length;
	case wire::parse_error::bad_total_length:
		return drop_reason::ipv4_bad_total_length;
	default:
		return drop_reason::ipv4_truncated;
	}
}

bool ipv4_checksum_ok(const rte_mbuf *m, const wire::ipv4_view &ip) {
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
		return true;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		return false;
	default: // the device did not check: do it in software
		if (ip.header_len() == sizeof(rte_ipv4_hdr)) [[likely]] {
			return header20_checksum_ok(ip.header().data());
		}
		return wire::ipv4_header_checksum_ok(ip);
	}
}

} // namespace

void worker::ipv4_input(uint16_t ifc, rte_mbuf *m) {
	const iface &me = _stack.ifaces()[ifc];
	auto ip = wire::ipv4_view::parse({rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len),
	                                  size_t(rte_pktmbuf_data_len(m) - m->l2_len)});
	if (!ip.ok()) {
		drop(m, ipv4_drop_reason(ip.error()));
		return;
	}
	if (!ipv4_checksum_ok(m, *ip)) {
		drop(m, drop_reason::ipv4_bad_checksum);
		return;
	}
	if (!_looping && bad_source(me, ip->src())) {
		drop(m, drop_reason::ipv4_bad_source);
		return;
	}
	// RFC 1122 3.2.1.7: a host must not discard a datagram for a low TTL,
	// so TTL is checked only when forwarding.
	iface::addr4_kind to = me.kind_of(ip->dst());
	bool unicast = to == iface::addr4_kind::ours;
	if (to == iface::addr4_kind::other && !ip->dst().is_multicast()) {
		if (!_stack.config().forwarding) {
			drop(m, drop_reason::ipv4_not_for_us);
			return;
		}
		if (ipv4_forward(ifc, m, *ip)) {
			return;
		}
		unicast = true; // an address of another of our interfaces
	}
	if (ip->is_fragment()) {
		drop(m, drop_reason::ipv4_fragment);
		return;
	}
	// Strip L2 and any Ethernet padding: from here the mbuf is the datagram.
	uint16_t total = ip->total_length();
	uint16_t l3_len = ip->header_len();
	uint8_t proto = ip->proto();
	rte_pktmbuf_adj(m, m->l2_len);
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - total);
	m->l3_len = l3_len;
	switch (proto) {
	case IPPROTO_ICMP:
		icmp4_input(ifc, m, unicast);
		break;
	case IPPROTO_UDP:
		udp4_input(ifc, m, unicast);
		break;
	case IPPROTO_TCP:
		if (!unicast) {
			drop(m,
			     drop_reason::tcp_no_socket); // TCP is unicast only (RFC 1122 4.2.3.10)
			break;
		}
		tcp4_input(ifc, m);
		break;
	default:
		drop(m, drop_reason::ipv4_unknown_protocol);
	}
}

void worker::icmp4_input(uint16_t ifc, rte_mbuf *m, bool unicast) {
	uint8_t *l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l3_len);
	size_t len = rte_pktmbuf_pkt_len(m) - m->l3_len;
	auto icmp = wire::icmp4_view::parse({l4, len});
	if (!icmp.ok()) {
		drop(m, drop_reason::icmp_truncated);
		return;
	}
	if (wire::internet_checksum({l4, len}) != 0) {
		drop(m, drop_reason::icmp_bad_checksum);
		return;
	}
	switch (icmp->type()) {
	case RTE_IP_ICMP_ECHO_REQUEST:
		if (!unicast) {
			// Like Linux's icmp_echo_ignore_broadcasts: no smurf amplifier.
			drop(m, drop_reason::icmp_broadcast_echo);
			return;
		}
		echo4_reply(ifc, m);
		return;
	case RTE_IP_ICMP_ECHO_REPLY:
		deliver_echo_reply(
		    any_addr{ipv4_addr{rte_pktmbuf_mtod(m, rte_ipv4_hdr *)->src_addr}},
		    icmp->echo_id(), icmp->echo_seq(), icmp->data());
		rte_pktmbuf_free(m);
		return;
	case wire::icmp4_type::dest_unreachable: // RFC 792
		if (icmp->code() == wire::icmp4_unreach::port && _sockets) {
			_sockets->udp_unreachable(icmp->data());
			rte_pktmbuf_free(m);
			return;
		}
		drop(m, drop_reason::icmp_unhandled_type);
		return;
	default:
		drop(m, drop_reason::icmp_unhandled_type);
	}
}

// Turn the request into the reply in place: zero copy.
void worker::echo4_reply(uint16_t ifc, rte_mbuf *m) {
	(void)ifc;
	auto *ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr *);
	auto *icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr *, m->l3_len);
	uint16_t old_type = *reinterpret_cast<uint16_t *>(icmp);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum =
	    wire::cksum_update16(icmp->icmp_cksum, old_type, *reinterpret_cast<uint16_t *>(icmp));
	// RFC 1624's eqn. 3 gives 0x0000 where the full sum gives 0xffff when the
	// reply is all zeros (id 0, seq 0, zero data): receivers reject that. A
	// 0 result is rare, so recompute then (found by tests/fuzz).
	if (icmp->icmp_cksum == 0) {
		icmp->icmp_cksum = wire::internet_checksum(
		    {reinterpret_cast<const uint8_t *>(icmp), rte_pktmbuf_pkt_len(m) - m->l3_len});
	}
	uint32_t peer = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = peer;
	ip->time_to_live = _stack.config().ttl;
	bump(_counters.echo_replies_sent);
	ipv4_output(m, ipv4_addr{ip->dst_addr});
}

// `m` holds a complete IPv4 datagram whose header checksum is left to here,
// because only the route knows the interface and so its offloads.
void worker::ipv4_output(rte_mbuf *m, ipv4_addr dst) {
	const nexthop4 *nh = _stack.routes().lookup(dst);
	if (!nh) {
		drop(m, drop_reason::no_route);
		return;
	}
	const iface &out = _stack.ifaces()[nh->iface];
	if (out.owns(dst)) {
		loopback(nh->iface, m);
		return;
	}
	auto *ip = rte_pktmbuf_mtod(m, rte_ipv4_hdr *);
	m->l3_len = rte_ipv4_hdr_len(ip);
	ip->hdr_checksum = 0;
	if (out.offloads.tx.ipv4_cksum) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	neigh_output(nh->iface, nh->on_link() ? dst : nh->gateway, m);
}

int worker::send_echo4(ipv4_addr dst, uint16_t id, uint16_t seq, uint16_t data_len) {
	const nexthop4 *nh = _stack.routes().lookup(dst);
	if (!nh) {
		return -ENETUNREACH;
	}
	const ipv4_addr *src = _stack.ifaces()[nh->iface].source_for(dst);
	if (!src) {
		return -EADDRNOTAVAIL;
	}
	rte_mbuf *m = make_echo(RTE_IP_ICMP_ECHO_REQUEST, id, seq, data_len);
	if (!m) {
		return -ENOBUFS;
	}
	auto *icmp = rte_pktmbuf_mtod(m, rte_icmp_hdr *);
	icmp->icmp_cksum = wire::internet_checksum(
	    {rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m)});
	if (!wire::push_ipv4(m, *src, dst, IPPROTO_ICMP, _stack.config().ttl,
	                     wire::tx_offloads{})) {
		drop(m, drop_reason::no_headroom);
		return -ENOBUFS;
	}
	ipv4_output(m, dst);
	return 0;
}

} // namespace skiff::net
