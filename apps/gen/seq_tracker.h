#pragma once

// Per-stream receive accounting from the sequence numbers in the probe
// header: duplicates and reordering, without allocation. A ring bitmap
// remembers the last `window` sequence numbers, so a late frame inside the
// window is told apart from a duplicate. A frame later than the window
// counts as reordered (it cannot be checked for duplication). Loss is not
// counted here: it is sent minus unique received, over the whole run.

#include <array>
#include <cstdint>

namespace skiff::gen {

class seq_tracker {
public:
	static constexpr uint64_t window = 1024;

	/// What one arriving sequence number was.
	enum class verdict { in_order, gap, reordered, duplicate };

	verdict record(uint64_t seq) {
		_received++;
		if (!_any || seq >= _next) {
			verdict v = (!_any || seq == _next) ? verdict::in_order : verdict::gap;
			advance_to(seq);
			return v;
		}
		uint64_t behind = _next - 1 - seq;
		if (behind < window) {
			if (test(seq)) {
				_duplicates++;
				return verdict::duplicate;
			}
			set(seq);
		}
		_reordered++;
		return verdict::reordered;
	}

	uint64_t received() const { return _received; }
	uint64_t duplicates() const { return _duplicates; }
	uint64_t reordered() const { return _reordered; }
	/// Received minus duplicates.
	uint64_t unique() const { return _received - _duplicates; }

private:
	void advance_to(uint64_t seq) {
		uint64_t from = _any ? _next : seq;
		if (seq - from + 1 >= window) {
			_bits.fill(0);
		} else {
			for (uint64_t s = from; s <= seq; s++) {
				clear(s);
			}
		}
		set(seq);
		_next = seq + 1;
		_any = true;
	}
	bool test(uint64_t s) const { return (_bits[(s % window) / 64] >> (s % 64)) & 1; }
	void set(uint64_t s) { _bits[(s % window) / 64] |= uint64_t(1) << (s % 64); }
	void clear(uint64_t s) { _bits[(s % window) / 64] &= ~(uint64_t(1) << (s % 64)); }

	std::array<uint64_t, window / 64> _bits{};
	uint64_t _next = 0; ///< one past the highest sequence number seen
	bool _any = false;
	uint64_t _received = 0;
	uint64_t _duplicates = 0;
	uint64_t _reordered = 0;
};

} // namespace skiff::gen
