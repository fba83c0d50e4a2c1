#include "wire/builder.h"

#include "wire/checksum.h"
#include "wire/ipv4.h"

#include <cstring>

namespace skiff::wire {

namespace {

// Where the checksum of an L4 header lives, and how to offload it.
struct l4_slot {
	bool ok = false;
	uint8_t cksum_off = 0;
	uint8_t hdr_len = 0;
	uint64_t offload_flag = 0; ///< 0: compute in software
};

l4_slot find_l4_slot(const rte_mbuf *m, uint8_t proto, const tx_offloads &ol) {
	const uint8_t *h = rte_pktmbuf_mtod(m, const uint8_t *);
	if (proto == ip_proto::udp && m->data_len >= sizeof(rte_udp_hdr)) {
		return {true, offsetof(rte_udp_hdr, dgram_cksum), sizeof(rte_udp_hdr),
		        ol.udp_cksum ? RTE_MBUF_F_TX_UDP_CKSUM : 0};
	}
	if (proto == ip_proto::tcp && m->data_len >= sizeof(rte_tcp_hdr)) {
		uint8_t hlen = uint8_t((h[offsetof(rte_tcp_hdr, data_off)] >> 4) * 4);
		if (hlen < sizeof(rte_tcp_hdr) || hlen > m->data_len) {
			return {};
		}
		return {true, offsetof(rte_tcp_hdr, cksum), hlen,
		        ol.tcp_cksum ? RTE_MBUF_F_TX_TCP_CKSUM : 0};
	}
	return {};
}

// @p pseudo is the partial sum of the pseudo header.
void finish_l4(rte_mbuf *m, const l4_slot &s, uint8_t proto, uint32_t pseudo) {
	uint8_t *field = rte_pktmbuf_mtod_offset(m, uint8_t *, s.cksum_off);
	m->l4_len = s.hdr_len;
	if (s.offload_flag != 0) {
		// DPDK wants the folded, NON-complemented pseudo-header sum.
		uint16_t seed = cksum_reduce(pseudo);
		std::memcpy(field, &seed, 2);
		m->ol_flags |= s.offload_flag;
		return;
	}
	std::memset(field, 0, 2);
	uint16_t c = cksum_fold(cksum_add_mbuf(m, 0, m->pkt_len, pseudo));
	if (proto == ip_proto::udp && c == 0) {
		c = 0xffff; // RFC 768: 0 would mean "no checksum"
	}
	std::memcpy(field, &c, 2);
}

} // namespace

bool append_bytes(rte_mbuf *m, bytes data) {
	if (data.size() > UINT16_MAX) {
		return false;
	}
	char *p = rte_pktmbuf_append(m, uint16_t(data.size()));
	if (p == nullptr) {
		return false;
	}
	if (!data.empty()) {
		std::memcpy(p, data.data(), data.size());
	}
	return true;
}

rte_udp_hdr *push_udp(rte_mbuf *m, uint16_t src_port, uint16_t dst_port) {
	if (m->pkt_len > UINT16_MAX - sizeof(rte_udp_hdr)) {
		return nullptr;
	}
	auto *h = reinterpret_cast<rte_udp_hdr *>(rte_pktmbuf_prepend(m, sizeof(rte_udp_hdr)));
	if (h == nullptr) {
		return nullptr;
	}
	h->src_port = rte_cpu_to_be_16(src_port);
	h->dst_port = rte_cpu_to_be_16(dst_port);
	h->dgram_len = rte_cpu_to_be_16(uint16_t(m->pkt_len));
	h->dgram_cksum = 0;
	m->l4_len = sizeof(rte_udp_hdr);
	return h;
}

rte_tcp_hdr *push_tcp(rte_mbuf *m, const tcp_header_fields &f, const tcp_options &opts) {
	size_t olen = opts.wire_size(); // <= 40 and a multiple of 4
	uint16_t hlen = uint16_t(sizeof(rte_tcp_hdr) + olen);
	auto *h = reinterpret_cast<rte_tcp_hdr *>(rte_pktmbuf_prepend(m, hlen));
	if (h == nullptr) {
		return nullptr;
	}
	h->src_port = rte_cpu_to_be_16(f.src_port);
	h->dst_port = rte_cpu_to_be_16(f.dst_port);
	h->sent_seq = rte_cpu_to_be_32(f.seq);
	h->recv_ack = rte_cpu_to_be_32(f.ack);
	h->data_off = uint8_t((hlen / 4) << 4);
	h->tcp_flags = f.flags;
	h->rx_win = rte_cpu_to_be_16(f.window);
	h->cksum = 0;
	h->tcp_urp = rte_cpu_to_be_16(f.urgent);
	opts.write(mut_bytes(reinterpret_cast<uint8_t *>(h + 1), olen));
	m->l4_len = uint8_t(hlen);
	return h;
}

bool finalize_l4_cksum_v4(rte_mbuf *m, ipv4_addr src, ipv4_addr dst, uint8_t proto,
                          const tx_offloads &ol) {
	l4_slot s = find_l4_slot(m, proto, ol);
	if (!s.ok || m->pkt_len > UINT16_MAX) {
		return false;
	}
	finish_l4(m, s, proto, ipv4_pseudo_sum(src, dst, proto, uint16_t(m->pkt_len)));
	return true;
}

bool finalize_l4_cksum_v6(rte_mbuf *m, const ipv6_addr &src, const ipv6_addr &dst, uint8_t proto,
                          const tx_offloads &ol) {
	l4_slot s = find_l4_slot(m, proto, ol);
	if (!s.ok || m->pkt_len > UINT16_MAX) {
		return false;
	}
	finish_l4(m, s, proto, ipv6_pseudo_sum(src, dst, proto, m->pkt_len));
	return true;
}

rte_icmp_hdr *push_icmp4(rte_mbuf *m, uint8_t type, uint8_t code, uint32_t rest) {
	auto *h = reinterpret_cast<rte_icmp_hdr *>(rte_pktmbuf_prepend(m, sizeof(rte_icmp_hdr)));
	if (h == nullptr) {
		return nullptr;
	}
	auto *p = reinterpret_cast<uint8_t *>(h);
	p[0] = type;
	p[1] = code;
	store_be16(p + 2, 0);
	store_be32(p + 4, rest);
	uint16_t c = cksum_fold(cksum_add_mbuf(m, 0, m->pkt_len));
	std::memcpy(p + 2, &c, 2);
	return h;
}

uint8_t *push_icmp6(rte_mbuf *m, const ipv6_addr &src, const ipv6_addr &dst, uint8_t type,
                    uint8_t code, uint32_t rest) {
	auto *p = reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(m, 8));
	if (p == nullptr) {
		return nullptr;
	}
	p[0] = type;
	p[1] = code;
	store_be16(p + 2, 0);
	store_be32(p + 4, rest);
	uint32_t pseudo = ipv6_pseudo_sum(src, dst, ip_proto::icmpv6, m->pkt_len);
	uint16_t c = cksum_fold(cksum_add_mbuf(m, 0, m->pkt_len, pseudo));
	std::memcpy(p + 2, &c, 2);
	return p;
}

rte_ipv4_hdr *push_ipv4(rte_mbuf *m, ipv4_addr src, ipv4_addr dst, uint8_t proto, uint8_t ttl,
                        const tx_offloads &ol, const ipv4_params &prm) {
	if (m->pkt_len > UINT16_MAX - sizeof(rte_ipv4_hdr)) {
		return nullptr;
	}
	auto *h = reinterpret_cast<rte_ipv4_hdr *>(rte_pktmbuf_prepend(m, sizeof(rte_ipv4_hdr)));
	if (h == nullptr) {
		return nullptr;
	}
	h->version_ihl = 0x45; // version 4, IHL 5
	h->type_of_service = prm.tos;
	h->total_length = rte_cpu_to_be_16(uint16_t(m->pkt_len));
	h->packet_id = rte_cpu_to_be_16(prm.id);
	h->fragment_offset = prm.dont_fragment ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	h->time_to_live = ttl;
	h->next_proto_id = proto;
	h->hdr_checksum = 0;
	h->src_addr = src.be;
	h->dst_addr = dst.be;
	m->l3_len = sizeof(rte_ipv4_hdr);
	if (ol.ipv4_cksum) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		h->hdr_checksum = cksum_fold(cksum_add(h, sizeof(*h)));
		if (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) {
			m->ol_flags |= RTE_MBUF_F_TX_IPV4;
		}
	}
	return h;
}

rte_ipv6_hdr *push_ipv6(rte_mbuf *m, const ipv6_addr &src, const ipv6_addr &dst,
                        uint8_t next_header, uint8_t hop_limit, const ipv6_params &prm) {
	if (m->pkt_len > UINT16_MAX) {
		return nullptr;
	}
	uint16_t plen = uint16_t(m->pkt_len);
	auto *h = reinterpret_cast<rte_ipv6_hdr *>(rte_pktmbuf_prepend(m, sizeof(rte_ipv6_hdr)));
	if (h == nullptr) {
		return nullptr;
	}
	uint32_t vtc = (6u << 28) | (uint32_t(prm.traffic_class) << RTE_IPV6_HDR_TC_SHIFT) |
	               (prm.flow_label & RTE_IPV6_HDR_FL_MASK);
	h->vtc_flow = rte_cpu_to_be_32(vtc);
	h->payload_len = rte_cpu_to_be_16(plen);
	h->proto = next_header;
	h->hop_limits = hop_limit;
	std::memcpy(h->src_addr, src.b.data(), 16);
	std::memcpy(h->dst_addr, dst.b.data(), 16);
	m->l3_len = sizeof(rte_ipv6_hdr);
	if (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV6;
	}
	return h;
}

rte_ether_hdr *push_eth(rte_mbuf *m, mac_addr dst, mac_addr src, uint16_t ethertype) {
	auto *p = reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN));
	if (p == nullptr) {
		return nullptr;
	}
	std::memcpy(p, dst.b.data(), 6);
	std::memcpy(p + 6, src.b.data(), 6);
	store_be16(p + 12, ethertype);
	m->l2_len = RTE_ETHER_HDR_LEN;
	return reinterpret_cast<rte_ether_hdr *>(p);
}

} // namespace skiff::wire
