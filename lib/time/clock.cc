#include "time/clock.h"

namespace skiff {

namespace {
constexpr uint64_t ns_per_s = 1'000'000'000;
} // namespace

clock::clock(bool manual, uint64_t hz, uint64_t start_ns)
    : _mult(1), _shift(0), _manual(manual), _now(start_ns), _hz(hz) {
	assert(hz > 0 && "TSC frequency unknown: initialise the EAL before clock::tsc()");
	if (_hz == 0) {
		_hz = ns_per_s;
	}
	// The largest shift whose multiplier still fits in 64 bits gives the
	// best precision: relative error below 2^-32 for any hz (2^-63 at
	// GHz rates). Rounding the multiplier up makes whole seconds exact.
	for (unsigned shift = 64;; shift--) {
		unsigned __int128 m =
		    ((static_cast<unsigned __int128>(ns_per_s) << shift) + _hz - 1) / _hz;
		if (m <= UINT64_MAX || shift == 0) {
			_mult = static_cast<uint64_t>(m);
			_shift = shift;
			break;
		}
	}
}

clock clock::tsc() {
	return clock(false, rte_get_tsc_hz(), 0);
}

clock clock::tsc(uint64_t hz) {
	return clock(false, hz, 0);
}

clock clock::manual(uint64_t start_ns) {
	return clock(true, ns_per_s, start_ns);
}

} // namespace skiff
