// ARP (RFC 826): answer requests for our addresses, learn senders, and
// solicit next hops for the output path.

#include "wire/arp.h"
#include "net/stack.h"
#include "net/worker.h"

#include <rte_arp.h>

#include <cstring>

namespace skiff::net {

namespace {

void fill_arp(rte_arp_hdr *arp, uint16_t op, const mac_addr &sha, ipv4_addr spa,
              const mac_addr &tha, ipv4_addr tpa) {
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = rte_cpu_to_be_16(op);
	std::memcpy(&arp->arp_data.arp_sha, &sha, RTE_ETHER_ADDR_LEN);
	std::memcpy(&arp->arp_data.arp_sip, &spa, sizeof(uint32_t));
	std::memcpy(&arp->arp_data.arp_tha, &tha, RTE_ETHER_ADDR_LEN);
	std::memcpy(&arp->arp_data.arp_tip, &tpa, sizeof(uint32_t));
}

} // namespace

void worker::arp_input(uint16_t ifc, rte_mbuf *m) {
	const iface &me = _stack.ifaces()[ifc];
	auto arp = wire::arp_view::parse({rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len),
	                                  size_t(rte_pktmbuf_data_len(m) - m->l2_len)});
	if (!arp.ok()) {
		drop(m, drop_reason::arp_malformed);
		return;
	}
	ipv4_addr spa = arp->spa(), tpa = arp->tpa();
	mac_addr sha = arp->sha();
	if (sha.is_multicast() || spa.is_multicast() || spa.is_broadcast() || me.owns(spa)) {
		drop(m, drop_reason::arp_bad_sender);
		return;
	}
	bool for_us = me.owns(tpa);
	// RFC 826's merge: refresh a sender we know; add it if it talks to us.
	// A probe's unspecified sender (RFC 5227) teaches nothing.
	if (!spa.is_unspecified()) {
		learn(ifc, spa, sha, for_us, true);
	}
	if (!for_us) {
		drop(m, drop_reason::arp_not_for_us);
		return;
	}
	if (arp->op() != RTE_ARP_OP_REQUEST) {
		rte_pktmbuf_free(m); // a reply: learning it was the whole job
		return;
	}
	// Turn the request into the reply in place.
	rte_pktmbuf_adj(m, m->l2_len);
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - sizeof(rte_arp_hdr));
	fill_arp(rte_pktmbuf_mtod(m, rte_arp_hdr *), RTE_ARP_OP_REPLY, me.mac, tpa, sha, spa);
	bump(_counters.arp_replies_sent);
	eth_output(ifc, m, sha, RTE_ETHER_TYPE_ARP);
}

void worker::send_arp_request(uint16_t ifc, ipv4_addr target) {
	const iface &me = _stack.ifaces()[ifc];
	const ipv4_addr *src = me.source_for(target);
	if (!src) {
		return;
	}
	rte_mbuf *m = alloc();
	if (!m) {
		return;
	}
	auto *arp = reinterpret_cast<rte_arp_hdr *>(rte_pktmbuf_append(m, sizeof(rte_arp_hdr)));
	if (!arp) {
		drop(m, drop_reason::no_headroom);
		return;
	}
	fill_arp(arp, RTE_ARP_OP_REQUEST, me.mac, *src, mac_addr{}, target);
	bump(_counters.arp_requests_sent);
	eth_output(ifc, m, mac_addr::broadcast(), RTE_ETHER_TYPE_ARP);
}

} // namespace skiff::net
