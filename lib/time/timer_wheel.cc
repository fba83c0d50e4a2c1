#include "time/timer_wheel.h"

#include <algorithm>
#include <bit>

namespace skiff {

namespace {
// Later expiries are clamped here (146 years): keeps tick arithmetic and
// fast_div far from overflow.
constexpr uint64_t max_expire_ns = uint64_t{1} << 62;
constexpr uint64_t slot_mask = timer_wheel::slots_per_level - 1;
} // namespace

timer_wheel::timer_wheel(uint64_t now_ns, uint64_t tick_ns)
    : _div(std::max<uint64_t>(tick_ns, 1)), _now_ns(std::min(now_ns, max_expire_ns)) {
	assert(tick_ns > 0 && tick_ns < max_expire_ns);
	_target = _div.div(_now_ns);
	_cur = _target;
}

timer_wheel::~timer_wheel() {
	// Detach what is left so the owners can still cancel or destroy it.
	auto drop = [](node &list) {
		while (!list.empty()) {
			timer *t = to_timer(list.next);
			t->unlink();
			t->_where = timer::unarmed;
		}
	};
	for (node &slot : _slots) {
		drop(slot);
	}
	drop(_due);
}

void timer_wheel::arm(timer &t, uint64_t expire_ns) {
	assert(t.fn != nullptr && "timer armed without a callback");
	cancel(t);
	expire_ns = std::min(expire_ns, max_expire_ns);
	t._expire_ns = expire_ns;
	t._tick = _div.div_ceil(expire_ns);
	_size++;
	// Already processed, or in the past but in a tick the wheel only reaches
	// later: due on the next advance().
	if (t._tick <= _cur || (expire_ns <= _now_ns && t._tick > _target)) {
		t._where = timer::off_wheel;
		_due.push_back(&t);
		return;
	}
	insert(t, _cur);
}

void timer_wheel::cancel(timer &t) {
	if (!t.armed()) {
		return;
	}
	uint16_t where = t._where;
	t.unlink();
	t._where = timer::unarmed;
	_size--;
	// A timer being fired may still name the slot it was taken from; the
	// bit tracks whether the slot list is empty, so checking is always right.
	if (where < levels * slots_per_level && _slots[where].empty()) {
		_occupied[where / slots_per_level] &= ~(uint64_t{1} << (where % slots_per_level));
	}
}

// Put t in the slot whose block holds its expiry, relative to tick `cur`
// (t._tick >= cur). A block at level L starts more than `cur` and at most
// 64^(L+1) ticks after it, which is what next_event_tick() relies on.
void timer_wheel::insert(timer &t, uint64_t cur) {
	assert(t._tick >= cur);
	uint64_t tick = t._tick;
	uint64_t delta = tick - cur;
	if (delta >= range_ticks) {
		delta = range_ticks - 1;
		tick = cur + delta;
	}
	unsigned level = delta < slots_per_level ? 0 : (std::bit_width(delta) - 1) / level_bits;
	unsigned slot = (tick >> (level * level_bits)) & slot_mask;
	unsigned idx = level * slots_per_level + slot;
	_slots[idx].push_back(&t);
	t._where = static_cast<uint16_t>(idx);
	_occupied[level] |= uint64_t{1} << slot;
	uint64_t block_start = tick >> (level * level_bits) << (level * level_bits);
	_next_tick = std::min(_next_tick, block_start);
}

// The first tick after _cur at which some slot fires or cascades. For each
// level, rotate the bitmap so the slot of the next block comes first and
// count trailing zeros: O(levels), whatever the gap.
uint64_t timer_wheel::next_event_tick() const {
	uint64_t best = UINT64_MAX;
	for (unsigned level = 0; level < levels; level++) {
		uint64_t occ = _occupied[level];
		if (occ == 0) {
			continue;
		}
		unsigned shift = level * level_bits;
		uint64_t block = (_cur >> shift) + 1;
		unsigned skip =
		    std::countr_zero(std::rotr(occ, static_cast<int>(block & slot_mask)));
		best = std::min(best, (block + skip) << shift);
	}
	return best;
}

// Move the timers of every level whose block starts at `tick` one or more
// levels down, highest level first, so that the level-0 slot of `tick`
// then holds everything due at `tick`.
void timer_wheel::cascade(uint64_t tick) {
	unsigned top = std::min<unsigned>(std::countr_zero(tick) / level_bits, levels - 1);
	for (unsigned level = top; level >= 1; level--) {
		unsigned slot = (tick >> (level * level_bits)) & slot_mask;
		uint64_t bit = uint64_t{1} << slot;
		if (!(_occupied[level] & bit)) {
			continue;
		}
		_occupied[level] &= ~bit;
		node moving;
		moving.splice_back(_slots[level * slots_per_level + slot]);
		while (!moving.empty()) {
			timer *t = to_timer(moving.next);
			t->unlink();
			insert(*t, tick);
		}
	}
}

unsigned timer_wheel::fire_list(node &list, unsigned budget) {
	unsigned n = 0;
	while (n < budget && !list.empty()) {
		timer *t = to_timer(list.next);
		t->unlink();
		t->_where = timer::unarmed;
		_size--;
		n++;
		t->fn(t, t->arg);
	}
	if (!list.empty()) {
		// Out of budget: the rest go first in line for the next call.
		list.splice_back(_due);
		_due.splice_back(list);
	}
	return n;
}

unsigned timer_wheel::advance(uint64_t now_ns, unsigned max_fire) {
	assert(!_advancing && "timer_wheel::advance() called from a timer callback");
	_advancing = true;
	now_ns = std::min(now_ns, max_expire_ns);
	if (now_ns > _now_ns) {
		_now_ns = now_ns;
		_target = _div.div(now_ns);
	}
	// Fire from a private list: a callback that arms a timer for the past
	// adds to _due for the next call instead of looping here.
	node firing;
	firing.splice_back(_due);
	unsigned fired = fire_list(firing, max_fire);
	while (fired < max_fire && _cur < _target) {
		// Cheap exit for the common call: nothing can be due yet.
		if (_next_tick > _target) {
			_cur = _target;
			break;
		}
		uint64_t next = next_event_tick();
		_next_tick = next;
		if (next > _target) {
			_cur = _target;
			break;
		}
		_cur = next;
		cascade(next);
		uint64_t bit = uint64_t{1} << (next & slot_mask);
		if (_occupied[0] & bit) {
			_occupied[0] &= ~bit;
			firing.splice_back(_slots[next & slot_mask]);
			fired += fire_list(firing, max_fire - fired);
		}
		// Everything left in the wheel is now after `next`.
		_next_tick = std::max(_next_tick, next + 1);
	}
	_advancing = false;
	return fired;
}

uint64_t timer_wheel::next_expiry_hint() const {
	if (!_due.empty()) {
		return _now_ns;
	}
	uint64_t tick = next_event_tick();
	if (tick == UINT64_MAX) {
		return UINT64_MAX;
	}
	return tick * _div.divisor();
}

} // namespace skiff
