#pragma once

// ARP for IPv4 over Ethernet (RFC 826).

#include "wire/bytes.h"
#include "wire/error.h"

#include <rte_arp.h>

#include <cstddef>

namespace skiff::wire {

namespace arp_op {
constexpr uint16_t request = 1;
constexpr uint16_t reply = 2;
} // namespace arp_op

/// A validated view of an Ethernet/IPv4 ARP packet (28 bytes; trailing
/// Ethernet padding is ignored).
///
/// rte_arp_hdr is declared 2-byte aligned and packet bytes need not be, so
/// fields are read by offset rather than through a struct pointer.
class arp_view {
public:
	/// Errors: truncated (< 28 bytes), unsupported (htype != 1,
	/// ptype != 0x0800, hlen != 6 or plen != 4).
	static parse_result<arp_view> parse(bytes b) {
		if (b.size() < sizeof(rte_arp_hdr)) {
			return parse_error::truncated;
		}
		const uint8_t *p = b.data();
		if (load_be16(p + offsetof(rte_arp_hdr, arp_hardware)) != RTE_ARP_HRD_ETHER ||
		    load_be16(p + offsetof(rte_arp_hdr, arp_protocol)) != RTE_ETHER_TYPE_IPV4 ||
		    p[offsetof(rte_arp_hdr, arp_hlen)] != RTE_ETHER_ADDR_LEN ||
		    p[offsetof(rte_arp_hdr, arp_plen)] != 4) {
			return parse_error::unsupported;
		}
		return arp_view(p);
	}

	uint16_t op() const { return load_be16(_p + offsetof(rte_arp_hdr, arp_opcode)); }
	mac_addr sha() const { return mac_addr::from(_p + sha_off); }
	ipv4_addr spa() const { return ipv4_addr::from(_p + spa_off); }
	mac_addr tha() const { return mac_addr::from(_p + tha_off); }
	ipv4_addr tpa() const { return ipv4_addr::from(_p + tpa_off); }

private:
	static constexpr size_t data_off = offsetof(rte_arp_hdr, arp_data);
	static constexpr size_t sha_off = data_off + offsetof(rte_arp_ipv4, arp_sha);
	static constexpr size_t spa_off = data_off + offsetof(rte_arp_ipv4, arp_sip);
	static constexpr size_t tha_off = data_off + offsetof(rte_arp_ipv4, arp_tha);
	static constexpr size_t tpa_off = data_off + offsetof(rte_arp_ipv4, arp_tip);

	explicit arp_view(const uint8_t *p) : _p(p) {}
	const uint8_t *_p;
};

} // namespace skiff::wire
