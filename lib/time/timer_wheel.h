#pragma once

// A per-core hierarchical timer wheel (Varghese & Lauck, "Hashed and
// hierarchical timing wheels", SOSP 1987; the cascading layout of the
// pre-4.8 Linux kernel wheel).
//
// 6 levels x 64 slots. Level L slot s holds timers whose expiry tick lies in
// the block of 64^L ticks that starts at the next tick after `now` with
// digit s at position L. A timer moves down at most 5 times before it
// fires, so cascading costs O(1) amortised per timer. One 64-bit occupancy
// bitmap per level lets advance() jump straight to the next tick that has
// work, whatever the gap and however many timers wait further out.
//
// Range: 64^6 ticks (79 days at the default 100 us tick). Later expiries
// park in the last level and cascade again when they get there.
//
// Timers are intrusive: embed a `timer` in the object that owns it; arm and
// cancel only relink pointers. Not thread-safe: one wheel per lcore.

#include "time/fast_div.h"

#include <cassert>
#include <climits>
#include <cstddef>
#include <cstdint>

namespace skiff {

class timer_wheel;

namespace detail {
/// Circular doubly-linked list node; a list is a sentinel node.
struct timer_node {
	timer_node *next = this;
	timer_node *prev = this;

	timer_node() = default;
	timer_node(const timer_node &) = delete;
	timer_node &operator=(const timer_node &) = delete;

	bool empty() const { return next == this; }
	void unlink() {
		prev->next = next;
		next->prev = prev;
		next = prev = this;
	}
	void push_back(timer_node *n) {
		n->prev = prev;
		n->next = this;
		prev->next = n;
		prev = n;
	}
	/// Move every node of @p from to the end of this list.
	void splice_back(timer_node &from) {
		if (from.empty()) {
			return;
		}
		from.next->prev = prev;
		from.prev->next = this;
		prev->next = from.next;
		prev = from.prev;
		from.next = from.prev = &from;
	}
};
} // namespace detail

/**
 * A timer embedded in its owner. Set `fn` and `arg` (or use the
 * constructor), then arm it on a wheel. Neither copyable nor movable: the
 * wheel points at it. Cancel it before destroying it.
 */
class timer : private detail::timer_node {
public:
	using callback = void (*)(timer *t, void *arg);

	timer() = default;
	timer(callback f, void *a) : fn(f), arg(a) {}
	~timer() { assert(!armed() && "timer destroyed while armed: cancel it first"); }

	/// True from arm() until it fires or is cancelled. False inside its
	/// own callback (which may re-arm it).
	bool armed() const { return _where != unarmed; }

	/// Expiry of the last arm(), in ns.
	uint64_t expire_ns() const { return _expire_ns; }

	callback fn = nullptr; ///< called once when the timer fires
	void *arg = nullptr;   ///< passed to fn

private:
	friend class timer_wheel;

	static constexpr uint16_t unarmed = 0xffff;
	static constexpr uint16_t off_wheel = 0xfffe; ///< due list or being fired

	uint64_t _expire_ns = 0;
	uint64_t _tick = 0;        ///< expiry tick, rounded up
	uint16_t _where = unarmed; ///< wheel slot index, or one of the above
};

class timer_wheel {
public:
	static constexpr unsigned level_bits = 6;
	static constexpr unsigned slots_per_level = 1u << level_bits;
	static constexpr unsigned levels = 6;
	/// Ticks the wheel covers without re-cascading.
	static constexpr uint64_t range_ticks = uint64_t{1} << (level_bits * levels);

	/**
	 * @param now_ns  current time; expiries at or before it are due.
	 * @param tick_ns granularity (at least 1 ns): a timer fires on the
	 *        first advance() at or after its expiry rounded up to a tick.
	 */
	explicit timer_wheel(uint64_t now_ns, uint64_t tick_ns = 100'000);
	~timer_wheel();

	timer_wheel(const timer_wheel &) = delete;
	timer_wheel &operator=(const timer_wheel &) = delete;

	/**
	 * Arm @p t to fire at @p expire_ns (re-arm it if it is armed). An
	 * expiry at or before the wheel's time fires on the next advance().
	 * O(1), no allocation. t.fn must be set.
	 */
	void arm(timer &t, uint64_t expire_ns);

	/// Disarm @p t; no-op if it is not armed. O(1).
	void cancel(timer &t);

	/**
	 * Move the wheel to @p now_ns and fire every timer due by then, in
	 * tick order, up to @p max_fire of them; the rest stay due and fire
	 * first on the next call. Callbacks may arm and cancel any timer,
	 * including the one firing; a timer armed from a callback for a tick
	 * this call has not reached yet fires within this call. Time never
	 * moves back: an earlier @p now_ns only fires what is already due.
	 * Cost: O(ticks with work + timers fired), independent of the
	 * timers not yet due and of the length of the gap.
	 * @return number of timers fired.
	 */
	unsigned advance(uint64_t now_ns, unsigned max_fire = UINT_MAX);

	/// Number of armed timers.
	size_t size() const { return _size; }

	/**
	 * The earliest time at which advance() may fire a timer: exact for
	 * timers due within 64 ticks, a lower bound (the next cascade) for
	 * later ones; at or before now_ns() if timers are already due;
	 * UINT64_MAX if none is armed. For sizing a poll loop's sleep.
	 */
	uint64_t next_expiry_hint() const;

	/// Time of the last advance() (or construction).
	uint64_t now_ns() const { return _now_ns; }

	uint64_t tick_ns() const { return _div.divisor(); }

private:
	using node = detail::timer_node;

	static timer *to_timer(node *n) { return static_cast<timer *>(n); }

	void insert(timer &t, uint64_t cur);
	uint64_t next_event_tick() const;
	void cascade(uint64_t tick);
	unsigned fire_list(node &list, unsigned budget);

	node _slots[levels * slots_per_level];
	uint64_t _occupied[levels] = {};  ///< bit s: slot s of the level is non-empty
	node _due;                        ///< due timers not yet fired
	fast_div _div;                    ///< ns -> ticks
	uint64_t _now_ns;                 ///< latest advance() time
	uint64_t _target;                 ///< tick of _now_ns, rounded down
	uint64_t _cur;                    ///< last tick processed; <= _target
	uint64_t _next_tick = UINT64_MAX; ///< no slot fires or cascades before it
	size_t _size = 0;
	bool _advancing = false;
};

} // namespace skiff
