#include "tcp/syncookie.h"

#include "tcp/isn.h"

#include <algorithm>
#include <cstring>
#include <sodium/crypto_shorthash_siphash24.h>

namespace skiff::tcp {

namespace {

constexpr unsigned wscale_bits = 4;
constexpr unsigned mss_shift = 4;
constexpr unsigned sack_shift = 7;
constexpr unsigned parity_shift = 8;
constexpr unsigned mac_shift = 9; // the MAC fills bits 31..9
constexpr uint32_t low_mask = (1u << mac_shift) - 1;
constexpr uint8_t wscale_none = 0xf;
constexpr uint8_t wscale_max = 14; // RFC 7323 2.3

/// Tuples longer than this (none we make: IPv6 is 36 bytes) are hashed
/// down first so the MAC input always fits on the stack.
constexpr size_t max_inline_tuple = 64;

void put_le(uint8_t *p, uint64_t v, size_t n) {
	for (size_t i = 0; i < n; i++) {
		p[i] = static_cast<uint8_t>(v >> (8 * i));
	}
}

uint32_t encode_params(const syn_params &p, uint64_t counter) {
	uint32_t ws = p.wscale == 0xff ? wscale_none : std::min(p.wscale, wscale_max);
	uint32_t low = ws;
	low |= uint32_t{syncookie_jar::mss_index(p.mss)} << mss_shift;
	low |= uint32_t{p.sack_ok} << sack_shift;
	low |= static_cast<uint32_t>(counter & 1) << parity_shift;
	return low;
}

syn_params decode_params(uint32_t cookie) {
	syn_params p;
	uint8_t ws = cookie & ((1u << wscale_bits) - 1);
	p.wscale = ws == wscale_none ? 0xff : ws;
	p.mss = syncookie_mss_table[(cookie >> mss_shift) & 7];
	p.sack_ok = (cookie >> sack_shift) & 1;
	return p;
}

} // namespace

syncookie_jar::syncookie_jar() {
	fill_random(_master);
}

syncookie_jar::syncookie_jar(std::span<const uint8_t, 16> key) {
	std::copy(key.begin(), key.end(), _master.begin());
}

uint8_t syncookie_jar::mss_index(uint16_t mss) {
	uint8_t idx = 0;
	for (uint8_t i = 0; i < syncookie_mss_table.size(); i++) {
		if (syncookie_mss_table[i] <= mss) {
			idx = i;
		}
	}
	return idx;
}

uint32_t syncookie_jar::mac(std::span<const uint8_t> tuple, uint32_t peer_isn, uint64_t counter,
                            uint32_t low_bits) const {
	// The key for this period: SipHash-128(master, counter). Deriving it per
	// call keeps the jar immutable and shareable across cores.
	uint8_t ctr[8];
	put_le(ctr, counter, sizeof(ctr));
	uint8_t key[crypto_shorthash_siphashx24_BYTES];
	static_assert(sizeof(key) == crypto_shorthash_siphashx24_KEYBYTES);
	crypto_shorthash_siphashx24(key, ctr, sizeof(ctr), _master.data());

	uint8_t msg[max_inline_tuple + 4 + 8 + 2];
	size_t n = 0;
	if (tuple.size() <= max_inline_tuple) {
		std::memcpy(msg, tuple.data(), tuple.size());
		n = tuple.size();
	} else {
		crypto_shorthash_siphashx24(msg, tuple.data(), tuple.size(), key);
		n = crypto_shorthash_siphashx24_BYTES;
	}
	put_le(msg + n, peer_isn, 4);
	n += 4;
	put_le(msg + n, counter, 8);
	n += 8;
	put_le(msg + n, low_bits, 2);
	n += 2;

	uint8_t out[crypto_shorthash_siphash24_BYTES];
	crypto_shorthash_siphash24(out, msg, n, key);
	uint64_t h = 0;
	for (size_t i = 0; i < sizeof(out); i++) {
		h |= uint64_t{out[i]} << (8 * i);
	}
	return static_cast<uint32_t>(h >> (64 - (32 - mac_shift))) << mac_shift;
}

uint32_t syncookie_jar::make(std::span<const uint8_t> tuple, uint32_t peer_isn, const syn_params &p,
                             uint64_t now_us) const {
	uint64_t counter = now_us / period_us;
	uint32_t low = encode_params(p, counter);
	return mac(tuple, peer_isn, counter, low) | low;
}

std::optional<syn_params> syncookie_jar::check(std::span<const uint8_t> tuple, uint32_t peer_isn,
                                               uint32_t cookie, uint64_t now_us) const {
	uint64_t counter = now_us / period_us;
	uint32_t parity = (cookie >> parity_shift) & 1;
	if ((counter & 1) != parity) {
		// Made in the previous period, the oldest we accept.
		if (counter == 0) {
			return std::nullopt;
		}
		counter--;
	}
	uint32_t low = cookie & low_mask;
	if (mac(tuple, peer_isn, counter, low) != (cookie & ~low_mask)) {
		return std::nullopt;
	}
	return decode_params(cookie);
}

} // namespace skiff::tcp
