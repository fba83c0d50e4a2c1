#pragma once

// IPv4 header (RFC 791).

#include "wire/bytes.h"
#include "wire/error.h"

#include <rte_ip.h>

namespace skiff::wire {

/// IP protocol numbers (shared by IPv4 proto and IPv6 next header).
namespace ip_proto {
constexpr uint8_t hopopts = 0;
constexpr uint8_t icmp = 1;
constexpr uint8_t tcp = 6;
constexpr uint8_t udp = 17;
constexpr uint8_t routing = 43;
constexpr uint8_t fragment = 44;
constexpr uint8_t esp = 50;
constexpr uint8_t ah = 51;
constexpr uint8_t icmpv6 = 58;
constexpr uint8_t none = 59;
constexpr uint8_t dstopts = 60;
} // namespace ip_proto

/// A validated view of an IPv4 datagram. The view covers exactly
/// total_length bytes: Ethernet padding after it is excluded.
class ipv4_view {
public:
	static constexpr size_t min_header_len = sizeof(rte_ipv4_hdr);

	/// Validates @p b (the L3 bytes, possibly with trailing padding).
	/// Errors: truncated (< 20 bytes), bad_version, bad_header_length
	/// (IHL < 5 or IHL*4 > buffer), bad_total_length (total length <
	/// IHL*4 or > buffer).
	static parse_result<ipv4_view> parse(bytes b) {
		if (b.size() < min_header_len) {
			return parse_error::truncated;
		}
		auto *h = reinterpret_cast<const rte_ipv4_hdr *>(b.data());
		if ((h->version_ihl >> 4) != 4) {
			return parse_error::bad_version;
		}
		size_t hlen = size_t(h->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4;
		if (hlen < min_header_len || hlen > b.size()) {
			return parse_error::bad_header_length;
		}
		size_t total = rte_be_to_cpu_16(h->total_length);
		if (total < hlen || total > b.size()) {
			return parse_error::bad_total_length;
		}
		return ipv4_view(b.first(total), uint8_t(hlen));
	}

	ipv4_addr src() const { return {hdr()->src_addr}; }
	ipv4_addr dst() const { return {hdr()->dst_addr}; }
	uint8_t proto() const { return hdr()->next_proto_id; }
	uint8_t ttl() const { return hdr()->time_to_live; }
	uint8_t tos() const { return hdr()->type_of_service; }
	uint16_t id() const { return rte_be_to_cpu_16(hdr()->packet_id); }
	uint16_t total_length() const { return uint16_t(_b.size()); }
	size_t header_len() const { return _hlen; }
	/// Header checksum as stored (network order).
	uint16_t checksum_raw() const { return hdr()->hdr_checksum; }

	/// Fragment offset in bytes (the field counts 8-byte units).
	size_t frag_offset() const { return size_t(frag_field() & RTE_IPV4_HDR_OFFSET_MASK) * 8; }
	bool more_fragments() const { return (frag_field() & RTE_IPV4_HDR_MF_FLAG) != 0; }
	bool dont_fragment() const { return (frag_field() & RTE_IPV4_HDR_DF_FLAG) != 0; }
	bool is_fragment() const { return more_fragments() || frag_offset() != 0; }

	/// The header including options.
	bytes header() const { return _b.first(_hlen); }
	/// Option bytes (empty when IHL == 5). Not validated.
	bytes options() const { return _b.subspan(min_header_len, _hlen - min_header_len); }
	/// Bytes after the header, up to total_length.
	bytes payload() const { return _b.subspan(_hlen); }
	/// Header and payload, exactly total_length bytes.
	bytes whole() const { return _b; }

private:
	ipv4_view(bytes b, uint8_t hlen) : _b(b), _hlen(hlen) {}
	const rte_ipv4_hdr *hdr() const {
		return reinterpret_cast<const rte_ipv4_hdr *>(_b.data());
	}
	uint16_t frag_field() const { return rte_be_to_cpu_16(hdr()->fragment_offset); }

	bytes _b;
	uint8_t _hlen;
};

} // namespace skiff::wire
