#pragma once

// TCP sequence numbers as a strong type. Comparisons are modular (RFC 9293
// section 3.4): a < b when the signed 32-bit distance b - a is positive, so
// the order is only meaningful for values less than 2^31 apart, which the
// window limits guarantee.

#include <cstdint>

namespace skiff::tcp {

/// A 32-bit TCP sequence number with wrap-around arithmetic.
struct seq32 {
	uint32_t v = 0;
};

/// Advance a sequence number by @p n bytes, wrapping at 2^32.
constexpr seq32 operator+(seq32 a, uint32_t n) {
	return seq32{a.v + n};
}

/// Move a sequence number back by @p n bytes, wrapping at 2^32.
constexpr seq32 operator-(seq32 a, uint32_t n) {
	return seq32{a.v - n};
}

/// Signed distance a - b: positive when @p a is after @p b.
constexpr int32_t operator-(seq32 a, seq32 b) {
	// Two's-complement conversion is well defined in C++20.
	return static_cast<int32_t>(a.v - b.v);
}

constexpr seq32 &operator+=(seq32 &a, uint32_t n) {
	a.v += n;
	return a;
}

constexpr bool operator==(seq32 a, seq32 b) {
	return a.v == b.v;
}
constexpr bool operator!=(seq32 a, seq32 b) {
	return a.v != b.v;
}
constexpr bool operator<(seq32 a, seq32 b) {
	return (a - b) < 0;
}
constexpr bool operator<=(seq32 a, seq32 b) {
	return (a - b) <= 0;
}
constexpr bool operator>(seq32 a, seq32 b) {
	return (a - b) > 0;
}
constexpr bool operator>=(seq32 a, seq32 b) {
	return (a - b) >= 0;
}

/// The later of two sequence numbers.
constexpr seq32 seq_max(seq32 a, seq32 b) {
	return a < b ? b : a;
}

/// The earlier of two sequence numbers.
constexpr seq32 seq_min(seq32 a, seq32 b) {
	return a < b ? a : b;
}

/// True when lo <= x < lo + len, modulo 2^32. An empty window holds nothing.
constexpr bool in_window(seq32 x, seq32 lo, uint32_t len) {
	// Unsigned offset from lo: one comparison covers both bounds and wrap.
	return x.v - lo.v < len;
}

} // namespace skiff::tcp
