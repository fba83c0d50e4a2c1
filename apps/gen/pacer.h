#pragma once

// Software pacing on the TSC: a virtual-clock token bucket (GCRA) in TSC
// cycles with 16 fractional bits. Each frame is charged its own gap, so a
// mix of frame sizes at a bit rate, or a pcap's own timing, stays exact.
// The sender busy-polls: it asks how many frames are due now and sends
// exactly those, so at low rates a burst is one frame and at high rates it
// fills up to 32. No sleep, no division per packet.
//
// If the sender falls behind (descheduled, queue full), the clock may owe
// at most `max_lag` of schedule, which is then caught up in full bursts;
// older debt is forgiven rather than sent as one huge burst, and the
// achieved rate (which is what gets reported) drops. skiff-gen allows 20 ms
// (or 32 frames if longer), so a scheduler time slice on a shared core
// does not lower the average rate.

#include <algorithm>
#include <cstdint>

namespace skiff::gen {

class pacer {
public:
	static constexpr unsigned frac_bits = 16;

	/// Convert seconds to fixed-point cycles for a TSC of @p hz.
	static uint64_t to_fixed(double seconds, uint64_t hz) {
		return uint64_t(seconds * double(hz) * double(1u << frac_bits) + 0.5);
	}

	/// Start the clock at TSC @p now: the first frame is due at once.
	/// @p max_lag_fixed bounds the debt (fixed-point cycles).
	void start(uint64_t now, uint64_t max_lag_fixed) {
		_t0 = now;
		_next = 0;
		_max_lag = max_lag_fixed;
	}

	/// True when the next frame may go at TSC @p now. Forgives debt older
	/// than max_lag first.
	bool due(uint64_t now) {
		uint64_t t = (now - _t0) << frac_bits;
		if (t > _next + _max_lag) {
			_forgiven += t - _max_lag - _next;
			_next = t - _max_lag;
		}
		return t >= _next;
	}

	/// A frame was sent: the next one is due @p gap_fixed later.
	void charge(uint64_t gap_fixed) { _next += gap_fixed; }

	/// Fixed-point cycles of schedule dropped because the sender lagged.
	uint64_t forgiven() const { return _forgiven; }

private:
	uint64_t _t0 = 0;
	uint64_t _next = 0; ///< due time of the next frame, fixed point, relative to _t0
	uint64_t _max_lag = 0;
	uint64_t _forgiven = 0;
};

} // namespace skiff::gen
