#pragma once

// The key of the socket tables: protocol, family and both endpoints, laid
// out with no padding holes so that rte_hash can hash and compare raw bytes.
// A bound (listening, unconnected) socket has zero remote fields; a wildcard
// bind has a zero local address.

#include "net/iface.h"

#include <cstdint>
#include <cstring>

namespace skiff::net {

// 8-byte aligned: rte_hash_crc reads keys 8 bytes at a time.
struct alignas(8) flow_key {
	uint8_t proto = 0;        ///< IPPROTO_UDP, IPPROTO_TCP
	uint8_t family = 0;       ///< 4 or 6
	uint16_t local_port = 0;  ///< network order, as on the wire
	uint16_t remote_port = 0; ///< network order
	uint16_t zero = 0;
	uint8_t local_addr[16] = {}; ///< IPv4 in the first 4 bytes
	uint8_t remote_addr[16] = {};

	bool operator==(const flow_key &o) const {
		return std::memcmp(this, &o, sizeof(*this)) == 0;
	}
};
static_assert(sizeof(flow_key) == 40, "flow_key must have no padding");

/// A key from an address and a port in network order.
inline void set_local(flow_key &k, const ipv4_addr &a, uint16_t port_be) {
	k.family = 4;
	std::memcpy(k.local_addr, &a.be, 4);
	k.local_port = port_be;
}
inline void set_local(flow_key &k, const ipv6_addr &a, uint16_t port_be) {
	k.family = 6;
	std::memcpy(k.local_addr, a.b.data(), 16);
	k.local_port = port_be;
}
inline void set_remote(flow_key &k, const ipv4_addr &a, uint16_t port_be) {
	std::memcpy(k.remote_addr, &a.be, 4);
	k.remote_port = port_be;
}
inline void set_remote(flow_key &k, const ipv6_addr &a, uint16_t port_be) {
	std::memcpy(k.remote_addr, a.b.data(), 16);
	k.remote_port = port_be;
}

/// The same key with the remote side and the local address cleared.
inline flow_key wildcard_of(const flow_key &k) {
	flow_key w;
	w.proto = k.proto;
	w.family = k.family;
	w.local_port = k.local_port;
	return w;
}

/// The same key with the remote side cleared: a bound socket's key.
inline flow_key bound_of(const flow_key &k) {
	flow_key b = wildcard_of(k);
	std::memcpy(b.local_addr, k.local_addr, sizeof(b.local_addr));
	return b;
}

} // namespace skiff::net
