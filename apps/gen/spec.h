#pragma once

// What to send, as the user writes it: rates, frame sizes and ranges of
// addresses and ports. Pure parsing and arithmetic, no DPDK, so every rule
// here is unit-tested without an EAL.
//
// Frame sizes are Ethernet frame sizes INCLUDING the 4-byte FCS, as in
// RFC 2544 section 9: a "64-byte frame" is 60 bytes handed to the NIC plus
// the FCS the NIC appends. On the wire each frame also costs 20 more bytes
// (7 preamble + 1 start-of-frame delimiter + 12 inter-frame gap): that is
// the L1 size. L2 rates count frame bytes with FCS; L1 rates add the 20.

#include "base/result.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::gen {

/// Preamble + SFD + inter-frame gap, per frame on the wire.
inline constexpr unsigned l1_overhead = 20;
/// The Ethernet FCS, part of the L2 frame size but not of the mbuf.
inline constexpr unsigned fcs_len = 4;
/// Smallest Ethernet frame (with FCS).
inline constexpr unsigned min_frame = 64;

/// A rate as given by --rate.
struct rate_spec {
	enum class kind { unlimited, pps, bps, percent };
	kind unit = kind::unlimited;
	double value = 0; ///< packets/s, bits/s, or percent of line rate
	bool l1 = false;  ///< bit/s counted at L1 (always true for percent)

	/// "unlimited", "1000000 pps", "5e9 bit/s L2", "50% of line rate (L1)".
	std::string describe() const;
};

/**
 * Parse a --rate value: "1Mpps", "250kpps", "1000pps", "5Gbps" (L2),
 * "5Gbps-l1", "5Gbps-l2", "800Mbps", "50%" (of the L1 line rate). Prefixes
 * k, M, G, T are powers of 1000. @p force_l1 (--rate-l1) makes a bit rate L1.
 * @return the rate, or -EINVAL with a one-line message.
 */
result<rate_spec> parse_rate(std::string_view s, bool force_l1 = false);

/// Bits a frame of @p frame bytes (with FCS) costs at L1 or L2.
constexpr double frame_bits(unsigned frame, bool l1) {
	return double(frame + (l1 ? l1_overhead : 0)) * 8.0;
}

/// Frames per second a link of @p speed_bps carries at frame size @p frame:
/// 14 880 952 for 64-byte frames at 10 Gbit/s.
constexpr double line_rate_pps(double speed_bps, double frame) {
	return speed_bps / ((frame + l1_overhead) * 8.0);
}

/**
 * Seconds between two frames of @p frame bytes sent at @p rate on a link of
 * @p speed_bps (needed only for percent). A bit rate spaces frames by their
 * own size, so a mix of sizes keeps the bit rate exact.
 * @return the gap, 0 for unlimited.
 */
double frame_gap_seconds(const rate_spec &rate, unsigned frame, double speed_bps);

/// One measured run sends this pattern of frame sizes over and over.
struct size_pattern {
	std::string label;           ///< "64", "imix"
	std::vector<uint16_t> sizes; ///< frame sizes with FCS, in send order
	/// Mean frame size of the pattern.
	double mean() const;
};

/// The runs a --size value asks for: one pattern for a fixed size or IMIX,
/// one per size for a sweep.
struct size_plan {
	bool sweep = false;
	std::vector<size_pattern> runs;
};

/// RFC 2544 section 9.1's frame sizes for Ethernet.
inline constexpr std::array<uint16_t, 7> rfc2544_sizes = {64, 128, 256, 512, 1024, 1280, 1518};

/**
 * The classic simple IMIX: 7 frames of 64 bytes, 4 of 576 and 1 of 1500
 * (7:4:1, mean 354.33 bytes), interleaved so equal sizes do not bunch up.
 * (The classic definition uses IP packet sizes 40/576/1500, mean 340; skiff-gen
 * uses 64-byte frames, Ethernet's minimum, for the small ones.)
 */
size_pattern imix_pattern();

/**
 * Parse --size: "64" (fixed), "imix", "LO-HI" (a sweep over RFC 2544's sizes
 * in [LO, HI], plus LO and HI), "LO-HI:STEP" (LO, LO+STEP, ..., and HI).
 * Sizes must be in [64, 9018]; the port's MTU is checked later.
 * @return the plan, or -EINVAL with a one-line message.
 */
result<size_plan> parse_sizes(std::string_view s);

/// A range of IPv4 or IPv6 addresses that differ only in their last 32 bits.
struct addr_range {
	bool v6 = false;
	std::array<uint8_t, 16> base{}; ///< first address, wire order (IPv4 in the first 4 bytes)
	uint32_t count = 1;             ///< addresses in the range, >= 1

	/// Low 32 bits of the first address, host order.
	uint32_t base_low32() const;
};

/**
 * Parse "IP" or "IP-IP" (both the same family, first <= last; IPv6 ends
 * must share their first 96 bits, and a range holds at most 2^32-1 addresses).
 * @return the range, or -EINVAL naming @p what (e.g. "--src").
 */
result<addr_range> parse_addr_range(std::string_view s, std::string_view what);

/// An inclusive range of UDP ports.
struct port_range {
	uint16_t lo = 0;
	uint16_t hi = 0;
	uint32_t count() const { return uint32_t(hi) - lo + 1; }
};

/// Parse "P" or "P-P", 0 <= P <= 65535, first <= last.
result<port_range> parse_udp_port_range(std::string_view s, std::string_view what);

/// Format a rate with an SI prefix: 14.88 Mpps, 9.52 Gbit/s.
std::string si(double v, std::string_view unit, int precision = 2);

} // namespace skiff::gen
