#pragma once

// Builders that write headers into an mbuf's headroom.
//
// Build a packet from the inside out, so that every length is known when
// its header is written:
//   1. payload         append_bytes()
//   2. L4              push_udp() / push_tcp() then finalize_l4_cksum_v4/v6(),
//                      or push_icmp4() / push_icmp6() (checksum included)
//   3. L3              push_ipv4() / push_ipv6()   (sets m->l3_len)
//   4. L2              push_eth()                  (sets m->l2_len)
// Each push reads the packet length so far (m->pkt_len) for its length
// field. With TX checksum offload, finalize_l4_cksum_* stores the pseudo-
// header seed and sets RTE_MBUF_F_TX_{UDP,TCP}_CKSUM and l4_len; push_ipv*
// then adds RTE_MBUF_F_TX_IPV4/IPV6 (and RTE_MBUF_F_TX_IP_CKSUM when the
// IPv4 header checksum is offloaded) and l3_len; push_eth adds l2_len.
//
// Every function returns nullptr/false, leaving the mbuf unchanged, when
// there is not enough headroom/tailroom or a length would overflow its
// field. Ports and other integers are host order.

#include "wire/bytes.h"
#include "wire/offload.h"
#include "wire/tcp.h"

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

namespace skiff::wire {

/// Copies @p data to the end of @p m. False if the last segment lacks tailroom.
bool append_bytes(rte_mbuf *m, bytes data);

/// Prepends a UDP header; length = 8 + pkt_len, checksum 0 (see
/// finalize_l4_cksum_*). Sets m->l4_len.
rte_udp_hdr *push_udp(rte_mbuf *m, uint16_t src_port, uint16_t dst_port);

/// The fields of a TCP header push_tcp() writes.
struct tcp_header_fields {
	uint16_t src_port = 0;
	uint16_t dst_port = 0;
	uint32_t seq = 0;
	uint32_t ack = 0;
	uint8_t flags = 0; ///< tcp_flags::*
	uint16_t window = 0;
	uint16_t urgent = 0;
};

/// Prepends a TCP header followed by @p opts (NOP-padded). Checksum 0 (see
/// finalize_l4_cksum_*). Sets m->l4_len.
rte_tcp_hdr *push_tcp(rte_mbuf *m, const tcp_header_fields &f, const tcp_options &opts = {});

/// Finishes the checksum of the UDP (@p proto 17) or TCP (6) header at the
/// start of @p m's data, for an IPv4 pseudo header: in software, or, when
/// @p ol offloads it, by storing the pseudo-header seed and setting the
/// mbuf's TX flags. A software UDP checksum of 0 is sent as 0xffff.
/// False for another proto, a header shorter than its minimum, or > 64 KiB.
bool finalize_l4_cksum_v4(rte_mbuf *m, ipv4_addr src, ipv4_addr dst, uint8_t proto,
                          const tx_offloads &ol);
/// As finalize_l4_cksum_v4 with the IPv6 pseudo header.
bool finalize_l4_cksum_v6(rte_mbuf *m, const ipv6_addr &src, const ipv6_addr &dst, uint8_t proto,
                          const tx_offloads &ol);

/// Prepends an ICMPv4 header and computes the checksum over the message.
/// @p rest is the 4 bytes after the checksum, host order (for echo:
/// id << 16 | seq).
rte_icmp_hdr *push_icmp4(rte_mbuf *m, uint8_t type, uint8_t code, uint32_t rest);

/// Prepends an ICMPv6 header (type, code, checksum, @p rest) and computes
/// the checksum including the IPv6 pseudo header (next header 58).
uint8_t *push_icmp6(rte_mbuf *m, const ipv6_addr &src, const ipv6_addr &dst, uint8_t type,
                    uint8_t code, uint32_t rest);

struct ipv4_params {
	uint8_t tos = 0;
	uint16_t id = 0;
	/// DF with id 0 is an atomic datagram (RFC 6864), which is fine; set
	/// dont_fragment = false only with a real, varying id.
	bool dont_fragment = true;
};

/// Prepends a 20-byte IPv4 header; total length = 20 + pkt_len. The header
/// checksum is computed in software unless @p ol.ipv4_cksum. Sets l3_len.
rte_ipv4_hdr *push_ipv4(rte_mbuf *m, ipv4_addr src, ipv4_addr dst, uint8_t proto, uint8_t ttl,
                        const tx_offloads &ol, const ipv4_params &p = {});

struct ipv6_params {
	uint8_t traffic_class = 0;
	uint32_t flow_label = 0; ///< low 20 bits used
};

/// Prepends a 40-byte IPv6 header; payload length = pkt_len. Sets l3_len.
rte_ipv6_hdr *push_ipv6(rte_mbuf *m, const ipv6_addr &src, const ipv6_addr &dst,
                        uint8_t next_header, uint8_t hop_limit, const ipv6_params &p = {});

/// Prepends an Ethernet header. Sets l2_len.
rte_ether_hdr *push_eth(rte_mbuf *m, mac_addr dst, mac_addr src, uint16_t ethertype);

} // namespace skiff::wire
