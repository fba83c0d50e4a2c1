#pragma once

// TCP header (RFC 9293) and the options a modern stack negotiates:
// MSS (RFC 9293 3.2), window scale and timestamps (RFC 7323), SACK (RFC 2018).

#include "wire/bytes.h"
#include "wire/error.h"
#include "wire/tcp_flags.h"

#include <rte_tcp.h>

#include <array>
#include <optional>

namespace skiff::wire {

/// A validated view of a TCP segment. TCP has no length field: the segment
/// is the whole buffer given to parse(), i.e. the IP payload.
class tcp_view {
public:
	static constexpr size_t min_header_len = sizeof(rte_tcp_hdr);

	/// Errors: truncated (< 20 bytes), bad_header_length (data offset < 5
	/// or data offset * 4 > buffer).
	static parse_result<tcp_view> parse(bytes b) {
		if (b.size() < min_header_len) {
			return parse_error::truncated;
		}
		auto *h = reinterpret_cast<const rte_tcp_hdr *>(b.data());
		size_t hlen = size_t(h->data_off >> 4) * 4;
		if (hlen < min_header_len || hlen > b.size()) {
			return parse_error::bad_header_length;
		}
		return tcp_view(b, uint8_t(hlen));
	}

	uint16_t src_port() const { return rte_be_to_cpu_16(hdr()->src_port); }
	uint16_t dst_port() const { return rte_be_to_cpu_16(hdr()->dst_port); }
	uint32_t seq() const { return rte_be_to_cpu_32(hdr()->sent_seq); }
	uint32_t ack() const { return rte_be_to_cpu_32(hdr()->recv_ack); }
	/// The 8 flag bits; test with tcp_flags::*.
	uint8_t flags() const { return hdr()->tcp_flags; }
	bool has(uint8_t flag) const { return (flags() & flag) != 0; }
	uint16_t window() const { return rte_be_to_cpu_16(hdr()->rx_win); }
	/// Checksum in host order.
	uint16_t checksum() const { return rte_be_to_cpu_16(hdr()->cksum); }
	uint16_t urgent() const { return rte_be_to_cpu_16(hdr()->tcp_urp); }
	size_t header_len() const { return _hlen; }
	/// Option bytes (not yet validated: see tcp_options::parse).
	bytes options() const { return _b.subspan(min_header_len, _hlen - min_header_len); }
	bytes payload() const { return _b.subspan(_hlen); }
	bytes whole() const { return _b; }

private:
	tcp_view(bytes b, uint8_t hlen) : _b(b), _hlen(hlen) {}
	const rte_tcp_hdr *hdr() const { return reinterpret_cast<const rte_tcp_hdr *>(_b.data()); }
	bytes _b;
	uint8_t _hlen;
};

/// TCP option kinds.
namespace tcp_opt {
constexpr uint8_t eol = 0;
constexpr uint8_t nop = 1;
constexpr uint8_t mss = 2;
constexpr uint8_t window_scale = 3;
constexpr uint8_t sack_permitted = 4;
constexpr uint8_t sack = 5;
constexpr uint8_t timestamps = 8;
} // namespace tcp_opt

struct tcp_sack_block {
	uint32_t left = 0;  ///< first sequence number of the block
	uint32_t right = 0; ///< sequence number just after the block
	bool operator==(const tcp_sack_block &) const = default;
};

struct tcp_timestamps {
	uint32_t tsval = 0;
	uint32_t tsecr = 0;
	bool operator==(const tcp_timestamps &) const = default;
};

/// The TCP options we understand, as a value: parsed from a segment's option
/// bytes, or filled in by the stack and written into an outgoing header.
struct tcp_options {
	static constexpr size_t max_len = 40;
	static constexpr size_t max_sack_blocks = 4;
	static constexpr uint8_t max_window_scale = 14; ///< RFC 7323 2.3

	std::optional<uint16_t> mss;
	std::optional<uint8_t> window_scale; ///< clamped to 14 when parsed
	bool sack_permitted = false;
	std::optional<tcp_timestamps> timestamps;
	std::array<tcp_sack_block, max_sack_blocks> sack{};
	uint8_t sack_count = 0;

	/// Parses @p opts (tcp_view::options()). NOP is skipped, EOL ends the
	/// list, unknown kinds are skipped by their length. A repeated option
	/// overwrites the earlier one.
	/// Errors: bad_option (a length byte missing, < 2 or past the end, or
	/// the wrong length for MSS(4), WS(3), SACK-permitted(2),
	/// timestamps(10), SACK(2 + 8n, 1 <= n <= 4)).
	static parse_result<tcp_options> parse(bytes opts);

	/// Bytes write() emits: a multiple of 4, at most 40 (SACK blocks that
	/// do not fit are left out).
	size_t wire_size() const;

	/// Writes the options into @p out, NOP-padded so that the result is a
	/// multiple of 4 and 32-bit fields are aligned as in RFC 7323 App. A.
	/// @return bytes written, or 0 (nothing written) if @p out is shorter
	/// than wire_size().
	size_t write(mut_bytes out) const;

	bool operator==(const tcp_options &) const = default;

private:
	size_t size_without_sack() const;
	size_t sack_blocks_that_fit() const;
};

} // namespace skiff::wire
