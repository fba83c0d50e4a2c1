#pragma once

// UDP header (RFC 768).

#include "wire/bytes.h"
#include "wire/error.h"

#include <rte_udp.h>

namespace skiff::wire {

/// A validated view of a UDP datagram. The view covers exactly `length`
/// bytes, even if the IP payload it was given is longer.
class udp_view {
public:
	static constexpr size_t header_size = sizeof(rte_udp_hdr);

	/// Validates @p b (the IP payload). Errors: truncated (< 8 bytes),
	/// bad_total_length (length field < 8 or > buffer; the IPv6 jumbogram
	/// form, length 0, is not supported).
	static parse_result<udp_view> parse(bytes b) {
		if (b.size() < header_size) {
			return parse_error::truncated;
		}
		auto *h = reinterpret_cast<const rte_udp_hdr *>(b.data());
		size_t len = rte_be_to_cpu_16(h->dgram_len);
		if (len < header_size || len > b.size()) {
			return parse_error::bad_total_length;
		}
		return udp_view(b.first(len));
	}

	uint16_t src_port() const { return rte_be_to_cpu_16(hdr()->src_port); }
	uint16_t dst_port() const { return rte_be_to_cpu_16(hdr()->dst_port); }
	uint16_t length() const { return uint16_t(_b.size()); }
	/// Checksum in host order (0 means "none" over IPv4).
	uint16_t checksum() const { return rte_be_to_cpu_16(hdr()->dgram_cksum); }
	bytes payload() const { return _b.subspan(header_size); }
	bytes whole() const { return _b; }

private:
	explicit udp_view(bytes b) : _b(b) {}
	const rte_udp_hdr *hdr() const { return reinterpret_cast<const rte_udp_hdr *>(_b.data()); }
	bytes _b;
};

} // namespace skiff::wire
