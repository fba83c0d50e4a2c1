#pragma once

// SYN cookies (RFC 4987 section 3.6): under a SYN flood the listener keeps
// no state for a SYN; it encodes what it must remember into its own ISN and
// recovers it from the ACK that completes the handshake.
//
// Cookie layout (32 bits, most significant first):
//
//   31                                 9   8   7   6     4 3       0
//  +------------------------------------+---+---+-------+---------+
//  |              MAC (23 bits)         | P | S |  MSS  | WSCALE  |
//  +------------------------------------+---+---+-------+---------+
//
//   WSCALE  4 bits  window scale the peer offered (0-14), 0xf = not offered
//   MSS     3 bits  index into syncookie_mss_table, the peer's MSS rounded down
//   S       1 bit   SACK-permitted was offered
//   P       1 bit   parity of the time counter the cookie was made in
//   MAC    23 bits  the top 23 bits of SipHash-2-4 over (tuple, peer ISN,
//                   time counter, the low 9 bits above), keyed per counter
//
// The time counter is now / 64 s. A cookie is accepted in the counter it
// was made in and in the next one, so it lives between 64 and 128 s. The
// parity bit tells check() which of the two counters to try, so a check
// costs one MAC, not two. The MAC key changes with every counter: it is
// SipHash-128(master secret, counter), so the secret rotates every 64 s
// without shared mutable state between cores, and a key recovered for one
// period says nothing about the next. A forged cookie is accepted with
// probability 2^-23 per attempt (each cookie value names one counter).
//
// What a cookie cannot carry is lost: timestamps, and a window scale or MSS
// outside the tables. RFC 4987 3.6 discusses the trade-off; that is why a
// listener should fall back to cookies only while its SYN queue is full.

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace skiff::tcp {

/// What the listener must remember from the peer's SYN.
struct syn_params {
	uint16_t mss = 536;    ///< peer's MSS option (536 when absent, RFC 9293 3.7.1)
	uint8_t wscale = 0xff; ///< peer's window scale, 0xff = not offered
	bool sack_ok = false;  ///< peer sent SACK-permitted
};

/// MSS values a cookie can carry, ascending. An MSS is rounded down to the
/// largest entry not above it; anything below 536 becomes 536 (RFC 9293's
/// default, below which no sane peer goes).
inline constexpr std::array<uint16_t, 8> syncookie_mss_table = {
    536,  // IPv4 default
    1220, // IPv6 minimum MTU 1280 - 60
    1300, // tunnels
    1380, // tunnels, some VPNs
    1440, // IPv6 over Ethernet, 1500 - 60
    1452, // IPv4 over PPPoE, 1492 - 40
    1460, // IPv4 over Ethernet, 1500 - 40
    8960, // IPv4 jumbo frames, 9000 - 40
};

/// Makes and checks SYN cookies. Immutable after construction: one
/// instance may be shared read-only by every core.
class syncookie_jar {
public:
	/// Draw the master secret from getrandom(2).
	syncookie_jar();

	/// Use a fixed master secret (tests).
	explicit syncookie_jar(std::span<const uint8_t, 16> key);

	/// The cookie to send as our ISN in the SYN-ACK.
	/// @param tuple the caller's packed 4-tuple, as for check()
	/// @param peer_isn the sequence number of the peer's SYN
	/// @param p the peer's options; MSS rounded down to the table, window
	///        scale above 14 taken as 14 (RFC 7323 2.3)
	/// @param now_us a monotonic clock in microseconds
	uint32_t make(std::span<const uint8_t> tuple, uint32_t peer_isn, const syn_params &p,
	              uint64_t now_us) const;

	/// Validate a cookie returned by the peer.
	/// @param cookie the ACK number of the handshake's final ACK, minus 1
	/// @param peer_isn the ACK's sequence number minus 1
	/// @return the decoded options, or nullopt when the MAC does not match or
	///         the cookie is older than the previous time counter
	std::optional<syn_params> check(std::span<const uint8_t> tuple, uint32_t peer_isn,
	                                uint32_t cookie, uint64_t now_us) const;

	/// Length of one time counter period.
	static constexpr uint64_t period_us = 64'000'000;

	/// Index into syncookie_mss_table for @p mss, rounding down.
	static uint8_t mss_index(uint16_t mss);

private:
	uint32_t mac(std::span<const uint8_t> tuple, uint32_t peer_isn, uint64_t counter,
	             uint32_t low_bits) const;

	std::array<uint8_t, 16> _master;
};

} // namespace skiff::tcp
