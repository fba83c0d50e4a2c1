#pragma once

// Division by a run-time constant without a divide instruction: a
// precomputed reciprocal, one 64x64->128 multiply and a shift
// (Granlund & Montgomery, "Division by invariant integers using
// multiplication", PLDI 1994, theorem 4.2 with N = 63).
//
// The timer wheel divides every expiry by its tick length; a 64-bit `div`
// costs 20 to 90 cycles depending on the core, the multiply about 3.

#include <cassert>
#include <cstdint>

namespace skiff {

class fast_div {
public:
	/// Numerators below this are divided exactly by the multiply; larger
	/// ones (292 years of ns) fall back to a real division.
	static constexpr uint64_t max_fast = uint64_t{1} << 63;

	/**
	 * Precompute the reciprocal of @p d.
	 * @param d divisor, at least 1.
	 */
	explicit fast_div(uint64_t d) : _d(d) {
		assert(d > 0);
		if (_d == 0) {
			_d = 1;
		}
		// l = ceil(log2 d); m = ceil(2^(63+l) / d) fits in 64 bits.
		unsigned l = 0;
		while (l < 64 && (uint64_t{1} << l) < _d) {
			l++;
		}
		_shift = 63 + l;
		unsigned __int128 one = 1;
		_mult = static_cast<uint64_t>(((one << _shift) + _d - 1) / _d);
	}

	/// floor(n / divisor()).
	uint64_t div(uint64_t n) const {
		if (n >= max_fast) [[unlikely]] {
			return n / _d;
		}
		return static_cast<uint64_t>((static_cast<unsigned __int128>(n) * _mult) >> _shift);
	}

	/// ceil(n / divisor()); n + divisor() - 1 must not overflow.
	uint64_t div_ceil(uint64_t n) const { return div(n + _d - 1); }

	uint64_t divisor() const { return _d; }

private:
	uint64_t _d;
	uint64_t _mult;
	unsigned _shift;
};

} // namespace skiff
