#pragma once

// The deterministic test content that skiff-httpd serves at /bytes/N and
// skiff-nc sends with --send-bytes N.
//
// The stream is a sequence of little-endian 64-bit words
//
//     w_k = (k + 1) * 0x9E3779B97F4A7C15  mod 2^64,    k = 0, 1, 2, ...
//
// and byte i of the stream is byte (i mod 8) of w_(i div 8). A body of N
// bytes is the first N bytes of the stream. The multiplier is odd, so every
// word of a transfer below 2^64 words is distinct: a segment delivered at the
// wrong offset, twice or not at all changes the sha256. It is cheap to
// compute at any offset, so a sender never keeps what it has sent: it
// regenerates the bytes at an offset when the socket takes more. Tests
// compute the expected digest independently, in Python:
//
//     words = array('Q', [((k + 1) * 0x9E3779B97F4A7C15) & (2**64 - 1) for k in ...])

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace skiff::apps {

/// The multiplier: 2^64 divided by the golden ratio, rounded to odd.
inline constexpr uint64_t pattern_multiplier = 0x9E3779B97F4A7C15ull;

/// Word k of the stream, in host order.
inline uint64_t pattern_word(uint64_t k) {
	return (k + 1) * pattern_multiplier;
}

/**
 * Fill dst with the stream's bytes [offset, offset + len).
 * @param dst    where they go
 * @param offset the position in the stream of dst[0]
 * @param len    how many bytes
 */
inline void pattern_fill(uint8_t *dst, uint64_t offset, size_t len) {
	static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "words are stored little-endian");
	uint64_t k = offset / 8;
	size_t skip = size_t(offset % 8);
	while (len > 0) {
		uint64_t w = pattern_word(k++);
		size_t n = 8 - skip < len ? 8 - skip : len;
		std::memcpy(dst, reinterpret_cast<const uint8_t *>(&w) + skip, n);
		dst += n;
		len -= n;
		skip = 0;
	}
}

} // namespace skiff::apps
