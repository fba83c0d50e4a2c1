// IPv6 in and out (RFC 8200), ICMPv6 echo (RFC 4443) and neighbour
// discovery (RFC 4861 sections 7.1 and 7.2).

#include "wire/ipv6.h"
#include "net/sockets.h"
#include "net/stack.h"
#include "net/worker.h"
#include "wire/builder.h"
#include "wire/checksum.h"
#include "wire/icmp6.h"

#include <rte_icmp.h>
#include <rte_ip.h>

#include <cstring>

namespace skiff::net {

namespace {

constexpr uint8_t ndp_hop_limit = 255; // RFC 4861: proves the sender is on-link
constexpr uint8_t icmp6_echo_request = 128;
constexpr uint8_t icmp6_echo_reply = 129;
constexpr uint8_t icmp6_neigh_solicit = 135;
constexpr uint8_t icmp6_neigh_advert = 136;
constexpr uint8_t nd_opt_source_lladdr = 1;
constexpr uint8_t nd_opt_target_lladdr = 2;
constexpr uint8_t na_flag_solicited = 0x40;
constexpr uint8_t na_flag_override = 0x20;

drop_reason ipv6_drop_reason(wire::parse_error e) {
	switch (e) {
	case wire::parse_error::bad_version:
		return drop_reason::ipv6_bad_version;
	case wire::parse_error::bad_total_length:
		return drop_reason::ipv6_bad_payload_length;
	case wire::parse_error::bad_ext_chain:
		return drop_reason::ipv6_bad_ext_chain;
	default:
		return drop_reason::ipv6_truncated;
	}
}

ipv6_addr src_of(const rte_ipv6_hdr *ip) {
	ipv6_addr a;
	std::memcpy(a.b.data(), ip->src_addr, 16);
	return a;
}

ipv6_addr dst_of(const rte_ipv6_hdr *ip) {
	ipv6_addr a;
	std::memcpy(a.b.data(), ip->dst_addr, 16);
	return a;
}

// The ICMPv6 checksum covers the pseudo-header (RFC 8200 section 8.1).
uint16_t icmp6_checksum(const rte_ipv6_hdr *ip, const uint8_t *l4, size_t len) {
	uint32_t sum = wire::ipv6_pseudo_sum(src_of(ip), dst_of(ip), IPPROTO_ICMPV6, len);
	return wire::cksum_fold(wire::cksum_add(l4, len, sum));
}

} // namespace

void worker::ipv6_input(uint16_t ifc, rte_mbuf *m) {
	const iface &me = _stack.ifaces()[ifc];
	auto ip = wire::ipv6_view::parse({rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len),
	                                  size_t(rte_pktmbuf_data_len(m) - m->l2_len)});
	if (!ip.ok()) {
		drop(m, ipv6_drop_reason(ip.error()));
		return;
	}
	ipv6_addr src = ip->src(), dst = ip->dst();
	if (src.is_multicast() || src.is_loopback() || (!_looping && me.owns(src))) {
		drop(m, drop_reason::ipv6_bad_source);
		return;
	}
	if (!me.owns(dst) && !me.joined(dst)) {
		if (!_stack.config().forwarding) {
			drop(m, drop_reason::ipv6_not_for_us);
			return;
		}
		if (ipv6_forward(ifc, m, *ip)) {
			return;
		}
	}
	if (ip->is_fragment()) {
		drop(m, drop_reason::ipv6_fragment);
		return;
	}
	uint16_t total = 40 + ip->payload_length();
	uint16_t l4_off = ip->upper_offset();
	uint8_t proto = ip->upper_proto();
	rte_pktmbuf_adj(m, m->l2_len);
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - total);
	m->l3_len = l4_off;
	switch (proto) {
	case IPPROTO_ICMPV6:
		icmp6_input(ifc, m);
		break;
	case IPPROTO_UDP:
		udp6_input(ifc, m, !dst.is_multicast());
		break;
	case IPPROTO_TCP:
		if (dst.is_multicast()) {
			drop(m, drop_reason::tcp_no_socket); // TCP is unicast only
			break;
		}
		tcp6_input(ifc, m);
		break;
	default:
		drop(m, drop_reason::ipv6_unknown_protocol);
	}
}

void worker::icmp6_input(uint16_t ifc, rte_mbuf *m) {
	auto *ip = rte_pktmbuf_mtod(m, rte_ipv6_hdr *);
	uint8_t *l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l3_len);
	size_t len = rte_pktmbuf_pkt_len(m) - m->l3_len;
	auto icmp = wire::icmp6_view::parse({l4, len});
	if (!icmp.ok()) {
		drop(m, drop_reason::icmp6_truncated);
		return;
	}
	if (icmp6_checksum(ip, l4, len) != 0) {
		drop(m, drop_reason::icmp6_bad_checksum);
		return;
	}
	switch (icmp->type()) {
	case icmp6_echo_request:
		echo6_reply(ifc, m);
		return;
	case icmp6_echo_reply:
		deliver_echo_reply(any_addr{src_of(ip)}, icmp->echo_id(), icmp->echo_seq(),
		                   icmp->data());
		rte_pktmbuf_free(m);
		return;
	case icmp6_neigh_solicit:
		ns_input(ifc, m);
		return;
	case icmp6_neigh_advert:
		na_input(ifc, m);
		return;
	case wire::icmp6_type::dest_unreachable:
		if (icmp->code() == wire::icmp6_unreach::port && _sockets) { // RFC 4443 3.1
			_sockets->udp_unreachable(icmp->data());
			rte_pktmbuf_free(m);
			return;
		}
		drop(m, drop_reason::icmp6_unhandled_type);
		return;
	default:
		drop(m, drop_reason::icmp6_unhandled_type);
	}
}

// Reply in place. Extension headers are not echoed: the fixed header moves
// up over them so the reply is header + ICMPv6 only.
void worker::echo6_reply(uint16_t ifc, rte_mbuf *m) {
	const iface &me = _stack.ifaces()[ifc];
	uint16_t ext_len = m->l3_len - sizeof(rte_ipv6_hdr);
	if (ext_len) {
		uint8_t *base = rte_pktmbuf_mtod(m, uint8_t *);
		std::memmove(base + ext_len, base, sizeof(rte_ipv6_hdr));
		rte_pktmbuf_adj(m, ext_len);
		m->l3_len = sizeof(rte_ipv6_hdr);
	}
	auto *ip = rte_pktmbuf_mtod(m, rte_ipv6_hdr *);
	ipv6_addr peer = src_of(ip), to = dst_of(ip);
	// An echo sent to a group is answered from our unicast address. One
	// from the unspecified address has nowhere to go (RFC 4291 2.5.2).
	const ipv6_addr *from = to.is_multicast() ? me.source_for(peer) : &to;
	if (!from || peer.is_unspecified()) {
		drop(m, drop_reason::ipv6_bad_source);
		return;
	}
	std::memcpy(ip->src_addr, from->b.data(), 16);
	std::memcpy(ip->dst_addr, peer.b.data(), 16);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = _stack.config().hop_limit;
	ip->payload_len = rte_cpu_to_be_16(rte_pktmbuf_pkt_len(m) - sizeof(rte_ipv6_hdr));
	auto *icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr *, sizeof(rte_ipv6_hdr));
	icmp->icmp_type = icmp6_echo_reply;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = icmp6_checksum(ip, reinterpret_cast<uint8_t *>(icmp),
	                                  rte_pktmbuf_pkt_len(m) - sizeof(rte_ipv6_hdr));
	bump(_counters.echo_replies_sent);
	ipv6_output(m, peer, ifc);
}

void worker::ipv6_output(rte_mbuf *m, const ipv6_addr &dst, uint16_t ifc_hint) {
	m->l3_len = sizeof(rte_ipv6_hdr);
	for (const iface &ifc : _stack.ifaces()) {
		if (ifc.owns(dst)) {
			loopback(ifc.index, m);
			return;
		}
	}
	if (dst.is_multicast()) {
		eth_output(ifc_hint, m, wire::multicast_mac(dst), RTE_ETHER_TYPE_IPV6);
		return;
	}
	// Link-local destinations are never routed (RFC 4291 2.5.6), not even
	// by a default route: they are on the link the conversation came in on.
	if (dst.is_link_local()) {
		neigh_output(ifc_hint, dst, m);
		return;
	}
	const nexthop6 *nh = _stack.routes().lookup(dst);
	if (!nh) {
		drop(m, drop_reason::no_route);
		return;
	}
	neigh_output(nh->iface, nh->on_link() ? dst : nh->gateway, m);
}

// RFC 4861 7.1.1 validation, then 7.2.3: answer for our addresses.
void worker::ns_input(uint16_t ifc, rte_mbuf *m) {
	const iface &me = _stack.ifaces()[ifc];
	auto *ip = rte_pktmbuf_mtod(m, rte_ipv6_hdr *);
	size_t len = rte_pktmbuf_pkt_len(m) - m->l3_len;
	auto ns =
	    wire::ndp_ns_view::parse({rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l3_len), len});
	ipv6_addr src = src_of(ip), dst = dst_of(ip);
	if (!ns.ok() || ip->hop_limits != ndp_hop_limit || ns->target().is_multicast()) {
		drop(m, drop_reason::ndp_invalid);
		return;
	}
	std::optional<mac_addr> slla = ns->source_lladdr();
	bool dad = src.is_unspecified();
	if (dad && (!dst.is_multicast() || dst != ns->target().solicited_node() || slla)) {
		drop(m, drop_reason::ndp_invalid);
		return;
	}
	ipv6_addr target = ns->target();
	if (!me.owns(target)) {
		drop(m, drop_reason::ndp_not_for_us);
		return;
	}
	if (!dad && slla) {
		learn(ifc, src, *slla, true, true);
	}
	rte_pktmbuf_free(m);
	send_neigh_advert(ifc, target, dad ? *ipv6_addr::parse("ff02::1") : src, !dad);
}

// NS and NA share their layout (RFC 4861 4.3, 4.4): type, code, checksum,
// a flags/reserved word, the target, then one link-layer address option.
bool worker::send_ndp(uint16_t ifc, uint8_t type, uint8_t flags, const ipv6_addr &target,
                      const ipv6_addr &src, const ipv6_addr &to, uint8_t lladdr_option) {
	rte_mbuf *m = alloc();
	if (!m) {
		return false;
	}
	constexpr size_t len = 24 + 8;
	uint8_t *msg = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(m, len));
	if (!msg) {
		drop(m, drop_reason::no_headroom);
		return false;
	}
	std::memset(msg, 0, len);
	msg[0] = type;
	msg[4] = flags;
	std::memcpy(msg + 8, target.b.data(), 16);
	msg[24] = lladdr_option;
	msg[25] = 1; // in units of 8 bytes
	std::memcpy(msg + 26, _stack.ifaces()[ifc].mac.b.data(), 6);
	if (!wire::push_ipv6(m, src, to, IPPROTO_ICMPV6, ndp_hop_limit)) {
		drop(m, drop_reason::no_headroom);
		return false;
	}
	uint16_t cksum = icmp6_checksum(rte_pktmbuf_mtod(m, rte_ipv6_hdr *), msg, len);
	std::memcpy(msg + 2, &cksum, 2);
	ipv6_output(m, to, ifc);
	return true;
}

void worker::send_neigh_advert(uint16_t ifc, const ipv6_addr &target, const ipv6_addr &to,
                               bool solicited) {
	uint8_t flags = na_flag_override | (solicited ? na_flag_solicited : 0);
	if (send_ndp(ifc, icmp6_neigh_advert, flags, target, target, to, nd_opt_target_lladdr)) {
		bump(_counters.ndp_adverts_sent);
	}
}

// RFC 4861 7.1.2 validation, then 7.2.5: complete a pending resolution.
void worker::na_input(uint16_t ifc, rte_mbuf *m) {
	auto *ip = rte_pktmbuf_mtod(m, rte_ipv6_hdr *);
	size_t len = rte_pktmbuf_pkt_len(m) - m->l3_len;
	auto na =
	    wire::ndp_na_view::parse({rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l3_len), len});
	if (!na.ok() || ip->hop_limits != ndp_hop_limit || na->target().is_multicast() ||
	    (dst_of(ip).is_multicast() && na->solicited())) {
		drop(m, drop_reason::ndp_invalid);
		return;
	}
	if (std::optional<mac_addr> tlla = na->target_lladdr()) {
		learn(ifc, na->target(), *tlla, false, true);
	}
	rte_pktmbuf_free(m);
}

void worker::send_neigh_solicit(uint16_t ifc, const ipv6_addr &target) {
	const ipv6_addr *src = _stack.ifaces()[ifc].source_for(target);
	if (src && send_ndp(ifc, icmp6_neigh_solicit, 0, target, *src, target.solicited_node(),
	                    nd_opt_source_lladdr)) {
		bump(_counters.ndp_solicits_sent);
	}
}

int worker::send_echo6(const ipv6_addr &dst, uint16_t id, uint16_t seq, uint16_t data_len) {
	const nexthop6 *nh = _stack.routes().lookup(dst);
	if (!nh) {
		return -ENETUNREACH;
	}
	const ipv6_addr *src = _stack.ifaces()[nh->iface].source_for(dst);
	if (!src) {
		return -EADDRNOTAVAIL;
	}
	rte_mbuf *m = make_echo(icmp6_echo_request, id, seq, data_len);
	if (!m) {
		return -ENOBUFS;
	}
	if (!wire::push_ipv6(m, *src, dst, IPPROTO_ICMPV6, _stack.config().hop_limit)) {
		drop(m, drop_reason::no_headroom);
		return -ENOBUFS;
	}
	auto *ip = rte_pktmbuf_mtod(m, rte_ipv6_hdr *);
	auto *icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr *, sizeof(rte_ipv6_hdr));
	icmp->icmp_cksum = icmp6_checksum(ip, reinterpret_cast<uint8_t *>(icmp),
	                                  rte_pktmbuf_pkt_len(m) - sizeof(rte_ipv6_hdr));
	ipv6_output(m, dst, nh->iface);
	return 0;
}

} // namespace skiff::net
