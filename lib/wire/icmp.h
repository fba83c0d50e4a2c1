#pragma once

// ICMP for IPv4 (RFC 792).

#include "wire/bytes.h"
#include "wire/error.h"

#include <rte_icmp.h>

namespace skiff::wire {

namespace icmp4_type {
constexpr uint8_t echo_reply = 0;
constexpr uint8_t dest_unreachable = 3;
constexpr uint8_t echo_request = 8;
constexpr uint8_t time_exceeded = 11;
} // namespace icmp4_type

/// Codes for icmp4_type::dest_unreachable.
namespace icmp4_unreach {
constexpr uint8_t net = 0;
constexpr uint8_t host = 1;
constexpr uint8_t protocol = 2;
constexpr uint8_t port = 3;
constexpr uint8_t frag_needed = 4; ///< RFC 1191: next-hop MTU in bytes 6-7
constexpr uint8_t admin_prohibited = 13;
} // namespace icmp4_unreach

/// Codes for icmp4_type::time_exceeded.
namespace icmp4_time_exceeded {
constexpr uint8_t ttl = 0;
constexpr uint8_t reassembly = 1;
} // namespace icmp4_time_exceeded

/// A validated view of an ICMPv4 message (at least the 8-byte header).
class icmp4_view {
public:
	static constexpr size_t header_size = sizeof(rte_icmp_hdr);

	/// Errors: truncated (< 8 bytes).
	static parse_result<icmp4_view> parse(bytes b) {
		if (b.size() < header_size) {
			return parse_error::truncated;
		}
		return icmp4_view(b);
	}

	uint8_t type() const { return _b[0]; }
	uint8_t code() const { return _b[1]; }
	/// Checksum in host order.
	uint16_t checksum() const { return load_be16(_b.data() + 2); }
	/// Identifier and sequence number of echo request/reply.
	uint16_t echo_id() const { return load_be16(_b.data() + 4); }
	uint16_t echo_seq() const { return load_be16(_b.data() + 6); }
	/// Next-hop MTU of a "fragmentation needed" message (RFC 1191).
	uint16_t next_hop_mtu() const { return load_be16(_b.data() + 6); }
	/// The 4 bytes after the checksum, host order.
	uint32_t rest_of_header() const { return load_be32(_b.data() + 4); }
	/// Bytes after the 8-byte header (echo data, or the offending datagram
	/// of an error message).
	bytes data() const { return _b.subspan(header_size); }
	/// The whole message, for checksumming.
	bytes whole() const { return _b; }

private:
	explicit icmp4_view(bytes b) : _b(b) {}
	bytes _b;
};

} // namespace skiff::wire
