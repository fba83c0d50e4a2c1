#pragma once

// The one clock of the stack. Production reads the TSC and converts cycles
// to ns with a precomputed multiply and shift; tests use a manual clock they
// set and advance. No virtual call and no syscall: now_ns() is one
// predictable branch plus rdtsc and a 64x64->128 multiply.
//
// A clock is neither copyable nor movable: a copy of a manual clock would
// silently stop following the test's clock. Make one per process (or per
// core) and hand out `const clock &`.

#include <rte_cycles.h>

#include <cassert>
#include <cstdint>

namespace skiff {

class clock {
public:
	/**
	 * A clock on the TSC at rte_get_tsc_hz(). The EAL must be initialised.
	 * ns count from the TSC's origin (usually boot), so every tsc() clock
	 * on the machine agrees.
	 */
	static clock tsc();

	/**
	 * A TSC clock at an explicit frequency (for tests of the conversion,
	 * or before the EAL is up when the frequency is known).
	 * @param hz TSC frequency, at least 1.
	 */
	static clock tsc(uint64_t hz);

	/// A test clock that stands still until set_ns() or advance_ns().
	static clock manual(uint64_t start_ns = 0);

	clock(const clock &) = delete;
	clock &operator=(const clock &) = delete;

	/// Monotonic time in ns.
	uint64_t now_ns() const {
		if (_manual) {
			return _now;
		}
		return cycles_to_ns(rte_rdtsc());
	}

	uint64_t now_us() const { return now_ns() / 1000; }

	/// Convert a TSC cycle count to ns (0 cycles per ns on a manual clock:
	/// returns @p cycles unchanged, as if the TSC ran at 1 GHz).
	uint64_t cycles_to_ns(uint64_t cycles) const {
		return static_cast<uint64_t>((static_cast<unsigned __int128>(cycles) * _mult) >>
		                             _shift);
	}

	/// Manual clocks only: jump to @p ns, which must not be in the past.
	void set_ns(uint64_t ns) {
		assert(_manual && "set_ns() on a TSC clock");
		assert(ns >= _now && "a clock must not go backwards");
		if (_manual && ns >= _now) {
			_now = ns;
		}
	}

	/// Manual clocks only: move forward by @p delta ns.
	void advance_ns(uint64_t delta) {
		assert(_manual && "advance_ns() on a TSC clock");
		if (_manual) {
			_now += delta;
		}
	}

	bool is_manual() const { return _manual; }

	/// The TSC frequency this clock converts with (1 GHz for manual clocks).
	uint64_t hz() const { return _hz; }

private:
	clock(bool manual, uint64_t hz, uint64_t start_ns);

	uint64_t _mult; ///< ns = cycles * _mult >> _shift
	unsigned _shift;
	bool _manual;
	uint64_t _now; ///< manual clocks only
	uint64_t _hz;
};

} // namespace skiff
