#pragma once

// Receiver-side out-of-order tracking: which byte ranges beyond the
// in-order point (RCV.NXT) have arrived, as up to assembler::capacity
// disjoint ranges. The data itself lives in the caller's receive buffer;
// this only tracks where it is. Offsets are relative to RCV.NXT, so the
// assembler never deals with sequence wrap-around except in sack_blocks().

#include "tcp/sack.h"
#include "tcp/seq.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace skiff::tcp {

/// Fixed-capacity set of received ranges. No allocation.
class assembler {
public:
	static constexpr size_t capacity = 32;

	/// Record that [offset, offset + len) arrived, merging with
	/// overlapping or adjacent ranges.
	/// @return false (and no change) when the data would need a new range
	///         and all are in use, or when offset + len overflows; the
	///         caller drops the segment and counts it.
	bool add(uint32_t offset, uint32_t len);

	/// Consume the bytes now contiguous from offset 0 and shift the rest
	/// down. Returns how many; the caller advances RCV.NXT by that.
	uint32_t remove_front();

	/// True when nothing is held.
	bool empty() const { return _count == 0; }

	/// Number of disjoint ranges held.
	size_t range_count() const { return _count; }

	/// Bytes held beyond the in-order point.
	uint32_t held_bytes() const;

	/// SACK blocks for the ranges held, at most out.size() of them, the
	/// range most recently added to first (RFC 2018 section 4: the first
	/// block reports the most recent segment, the rest repeat recent
	/// ones). Returns how many were written.
	size_t sack_blocks(seq32 rcv_nxt, std::span<sack_block> out) const;

	/// Forget everything.
	void reset();

private:
	struct range {
		uint32_t start;
		uint32_t end;     ///< exclusive
		uint64_t touched; ///< _clock value when last added to
	};

	void erase(size_t i, size_t n);

	std::array<range, capacity> _ranges{};
	size_t _count = 0;
	uint64_t _clock = 0;
};

} // namespace skiff::tcp
