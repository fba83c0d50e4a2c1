#pragma once

// The per-queue random stream behind every fate: SplitMix64, one 64-bit
// word of state, so a seed reproduces the fates of a packet sequence.

#include "net_wire/wire_private.h"

#include <cstdint>

namespace skiff::net_wire {

/// State for queue `qid` of a port seeded with `seed`.
inline uint64_t rng_seed(uint64_t seed, uint16_t qid) {
	return seed ^ (0xd1b54a32d192ed03ull * (qid + 1u));
}

inline uint64_t rng_next(uint64_t &state) {
	uint64_t z = (state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/// True with probability c (see `chance`). Draws once whatever c is, so
/// the stream stays aligned however the dice fall.
inline bool rng_hit(uint64_t &state, chance c) {
	return (rng_next(state) >> 32) < c;
}

/// Uniform in [0, n).
inline uint64_t rng_below(uint64_t &state, uint64_t n) {
	return n ? rng_next(state) % n : 0;
}

} // namespace skiff::net_wire
