#pragma once

// Interfaces: one per port, with the L2 identity and the L3 addresses the
// stack answers for. Built on the control path before workers start and
// read-only afterwards, so workers read it without synchronisation.

#include "base/result.h"
#include "wire/bytes.h"
#include "wire/offload.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace skiff::net {

using wire::ipv4_addr;
using wire::ipv6_addr;
using wire::mac_addr;

template <typename Addr> struct prefix {
	Addr addr;
	uint8_t len = 0;
};

using prefix4 = prefix<ipv4_addr>;
using prefix6 = prefix<ipv6_addr>;
using any_prefix = std::variant<prefix4, prefix6>;
using any_addr = std::variant<ipv4_addr, ipv6_addr>;

/// Parse "198.18.0.2/24" or "2001:2::2/64"; a bare address gets /32 or /128.
result<any_prefix> parse_cidr(std::string_view text);

/// Parse a bare IPv4 or IPv6 address.
result<any_addr> parse_addr(std::string_view text);

bool in_prefix(const prefix4 &p, ipv4_addr a);
bool in_prefix(const prefix6 &p, const ipv6_addr &a);
std::string to_string(const prefix4 &p);
std::string to_string(const prefix6 &p);

/// The RFC 4291 link-local address with a modified EUI-64 interface ID.
ipv6_addr link_local_from_mac(const mac_addr &mac);

struct iface {
	uint16_t index = 0;   ///< position in the stack's interface table
	uint16_t port_id = 0; ///< DPDK ethdev port
	uint16_t n_queues = 1;
	mac_addr mac{};
	uint16_t mtu = 1500;
	wire::offload_caps offloads{};
	std::vector<prefix4> v4;
	std::vector<prefix6> v6; ///< the link-local address comes first

	bool owns(ipv4_addr a) const;
	bool owns(const ipv6_addr &a) const;
	/// Directed broadcast of one of our IPv4 subnets, or 255.255.255.255.
	bool is_broadcast_for_us(ipv4_addr a) const;

	/// What an IPv4 address is to this interface.
	enum class addr4_kind : uint8_t {
		other,     ///< neither of the two below
		ours,      ///< owns(a); wins over broadcast when both hold
		broadcast, ///< is_broadcast_for_us(a)
	};
	/// owns() and is_broadcast_for_us() in one pass, inline: the receive
	/// path asks both about every datagram's source and destination.
	addr4_kind kind_of(ipv4_addr a) const {
		bool bcast = a.is_broadcast();
		uint32_t h = a.host();
		for (const prefix4 &p : v4) {
			if (p.addr.be == a.be) {
				return addr4_kind::ours;
			}
			if (p.len != 0 && p.len < 31) {
				uint32_t net_mask = ~uint32_t(0) << (32 - p.len);
				bcast |= (h | net_mask) == ~uint32_t(0) &&
				         (h & net_mask) == (p.addr.host() & net_mask);
			}
		}
		return bcast ? addr4_kind::broadcast : addr4_kind::other;
	}
	/// ff02::1, or the solicited-node group of one of our addresses.
	bool joined(const ipv6_addr &group) const;
	/// Source address to use towards `dst` on this interface, if any.
	const ipv4_addr *source_for(ipv4_addr dst) const;
	const ipv6_addr *source_for(const ipv6_addr &dst) const;
};

} // namespace skiff::net
