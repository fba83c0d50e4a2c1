#pragma once

// Ethernet II framing with up to two stacked VLAN tags (802.1Q / 802.1ad).

#include "wire/bytes.h"
#include "wire/error.h"

#include <rte_ether.h>

namespace skiff::wire {

/// EtherType values we dispatch on (host order).
namespace ethertype {
constexpr uint16_t ipv4 = 0x0800;
constexpr uint16_t arp = 0x0806;
constexpr uint16_t vlan = 0x8100; ///< 802.1Q C-tag
constexpr uint16_t qinq = 0x88a8; ///< 802.1ad S-tag
constexpr uint16_t ipv6 = 0x86dd;
} // namespace ethertype

/// A validated view of an Ethernet frame (without FCS).
class eth_view {
public:
	static constexpr size_t max_vlans = 2;

	/// Validates @p frame: 14 bytes of header plus 4 per VLAN tag.
	/// Errors: truncated (too short for the header and its tags),
	/// unsupported (a third VLAN tag).
	static parse_result<eth_view> parse(bytes frame) {
		if (frame.size() < sizeof(rte_ether_hdr)) {
			return parse_error::truncated;
		}
		eth_view v;
		v._b = frame;
		size_t off = offsetof(rte_ether_hdr, ether_type);
		uint16_t type = load_be16(frame.data() + off);
		while (is_vlan(type)) {
			if (v._vlans == max_vlans) {
				return parse_error::unsupported;
			}
			// A tag is TPID(2) TCI(2); the TPID was just read, the
			// next EtherType follows the TCI.
			if (frame.size() < off + 2 + sizeof(rte_vlan_hdr)) {
				return parse_error::truncated;
			}
			v._vlans++;
			off += sizeof(rte_vlan_hdr);
			type = load_be16(frame.data() + off);
		}
		v._type = type;
		v._hlen = uint8_t(off + 2);
		return v;
	}

	mac_addr dst() const { return mac_addr::from(_b.data()); }
	mac_addr src() const { return mac_addr::from(_b.data() + 6); }
	/// EtherType after the VLAN tags (host order).
	uint16_t ethertype() const { return _type; }
	size_t vlan_count() const { return _vlans; }
	/// TCI (PCP, DEI, VID) of tag @p i, outermost first; 0 if i >= vlan_count().
	uint16_t vlan_tci(size_t i) const {
		if (i >= _vlans) {
			return 0;
		}
		return load_be16(_b.data() + 14 + 4 * i);
	}
	/// VLAN id (low 12 bits of the TCI) of tag @p i.
	uint16_t vlan_id(size_t i) const { return vlan_tci(i) & 0x0fff; }
	size_t header_len() const { return _hlen; }
	bytes header() const { return _b.first(_hlen); }
	/// Everything after the L2 header (may include Ethernet padding).
	bytes payload() const { return _b.subspan(_hlen); }

private:
	eth_view() = default;
	static constexpr bool is_vlan(uint16_t t) {
		return t == ethertype::vlan || t == ethertype::qinq;
	}

	bytes _b;
	uint16_t _type = 0;
	uint8_t _hlen = 0;
	uint8_t _vlans = 0;
};

} // namespace skiff::wire
