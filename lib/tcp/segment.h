#pragma once

// Segments as the connection state machine sees them: header fields and
// options as values, already parsed (and checksum-verified) by the caller
// for input, and to be serialised by the caller for output. No DPDK here:
// the worker converts between these and lib/wire/tcp.h.

#include "tcp/sack.h"
#include "tcp/seq.h"
#include "wire/tcp_flags.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace skiff::tcp {

/// TCP flag bits: the wire's own (byte 13 of the header), so the caller
/// converts with a plain copy.
namespace flag = wire::tcp_flags;
/// RFC 7323 timestamps option.
struct timestamps {
	uint32_t tsval = 0;
	uint32_t tsecr = 0;
	bool operator==(const timestamps &) const = default;
};

/// The options the state machine understands; the same shape as
/// wire::tcp_options (field for field), with SACK blocks as seq32.
struct seg_options {
	static constexpr size_t max_sack_blocks = 4;

	std::optional<uint16_t> mss;         ///< SYN only
	std::optional<uint8_t> window_scale; ///< SYN only, <= 14
	bool sack_permitted = false;         ///< SYN only
	std::optional<timestamps> ts;
	std::array<sack_block, max_sack_blocks> sack{};
	uint8_t sack_count = 0;
};

/// An incoming segment, parsed and checksum-verified by the caller. The
/// payload must stay valid for the duration of connection::input() only:
/// the connection copies what it keeps into its receive buffer.
struct segment {
	seq32 seq;
	seq32 ack;
	uint8_t flags = 0;
	uint16_t window = 0; ///< raw header value, not yet scaled
	seg_options opt;
	std::span<const uint8_t> payload;

	bool has(uint8_t f) const { return (flags & f) != 0; }
	/// RFC 9293 3.3.1 SEG.LEN: payload plus one for SYN and one for FIN.
	uint32_t seg_len() const {
		return uint32_t(payload.size()) + (has(flag::SYN) ? 1 : 0) +
		       (has(flag::FIN) ? 1 : 0);
	}
};

/// An outgoing segment. The payload is not copied: it is @c payload_len
/// bytes of the send buffer starting @c payload_offset bytes after SND.UNA,
/// which the caller copies into its packet with connection::copy_payload()
/// (or reads in place with connection::payload_view()) before calling
/// input(), on_timer() or abort() again on that connection.
struct segment_out {
	seq32 seq;
	seq32 ack;
	uint8_t flags = 0;
	uint16_t window = 0; ///< already scaled down: write it as is
	seg_options opt;
	uint32_t payload_offset = 0;
	uint32_t payload_len = 0;

	bool has(uint8_t f) const { return (flags & f) != 0; }
};

/**
 * The RST to answer a segment that reached no connection (RFC 9293 3.10.7.1,
 * CLOSED state; also used by listeners for unacceptable segments):
 * if the segment has ACK, <SEQ=SEG.ACK><CTL=RST>; otherwise
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 * @return nullopt when the segment itself is a RST (never answer a RST).
 */
std::optional<segment_out> reset_for(const segment &in);

} // namespace skiff::tcp
