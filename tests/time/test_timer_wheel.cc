#include "time/timer_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <vector>

namespace skiff {
namespace {

constexpr uint64_t us = 1'000;
constexpr uint64_t ms = 1'000'000;
constexpr uint64_t sec = 1'000'000'000;
constexpr uint64_t minute = 60 * sec;
constexpr uint64_t hour = 60 * minute;
constexpr uint64_t tick = 100 * us;

uint64_t round_up(uint64_t v, uint64_t to) {
	return (v + to - 1) / to * to;
}

// Drives a wheel and records what fired, when, in which order. Declare the
// probes before the wheel so the wheel goes first on destruction.
struct harness;

struct probe {
	timer t;
	harness *h = nullptr;
	int id = 0;
	int fires = 0;
	uint64_t fired_at = 0;
};

struct harness {
	uint64_t now = 0;
	std::vector<int> order;
	std::function<void(probe &)> on_fire;

	static void cb(timer *t, void *arg) {
		auto *p = static_cast<probe *>(arg);
		EXPECT_EQ(&p->t, t);
		EXPECT_FALSE(t->armed());
		p->fires++;
		p->fired_at = p->h->now;
		p->h->order.push_back(p->id);
		if (p->h->on_fire) {
			p->h->on_fire(*p);
		}
	}

	std::unique_ptr<probe[]> make(size_t n) {
		std::unique_ptr<probe[]> ps(new probe[n]);
		for (size_t i = 0; i < n; i++) {
			ps[i].t.fn = cb;
			ps[i].t.arg = &ps[i];
			ps[i].h = this;
			ps[i].id = static_cast<int>(i);
		}
		return ps;
	}

	unsigned advance(timer_wheel &w, uint64_t to, unsigned max_fire = UINT_MAX) {
		now = to;
		return w.advance(to, max_fire);
	}
};

TEST(timer_wheel, fires_once_not_early_within_one_tick) {
	harness h;
	auto p = h.make(3);
	timer_wheel w(0, tick);
	w.arm(p[0].t, 1'234'567);
	w.arm(p[1].t, 2 * ms); // on a tick boundary
	w.arm(p[2].t, 1);
	EXPECT_EQ(w.size(), 3u);
	EXPECT_TRUE(p[0].t.armed());
	EXPECT_EQ(p[0].t.expire_ns(), 1'234'567u);
	for (uint64_t now = 0; now <= 5 * ms; now += 10 * us) {
		h.advance(w, now);
	}
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(p[i].fires, 1) << i;
		EXPECT_FALSE(p[i].t.armed());
		EXPECT_GE(p[i].fired_at, p[i].t.expire_ns());
		EXPECT_LT(p[i].fired_at, p[i].t.expire_ns() + tick);
		EXPECT_EQ(p[i].fired_at, round_up(p[i].t.expire_ns(), tick));
	}
	EXPECT_EQ(w.size(), 0u);
	EXPECT_EQ(h.order, (std::vector<int>{2, 0, 1}));
}

TEST(timer_wheel, wheel_starting_mid_tick_does_not_fire_early) {
	harness h;
	auto p = h.make(1);
	uint64_t start = 7 * sec + 123;
	timer_wheel w(start, tick);
	w.arm(p[0].t, start + 50 * us);
	for (uint64_t now = start; now < start + 2 * ms; now += 7 * us) {
		h.advance(w, now);
		if (p[0].fires) {
			break;
		}
	}
	EXPECT_EQ(p[0].fires, 1);
	EXPECT_GE(p[0].fired_at, start + 50 * us);
	EXPECT_LT(p[0].fired_at, start + 50 * us + tick + 7 * us);
}

TEST(timer_wheel, cancel_before_fire) {
	harness h;
	auto p = h.make(2);
	timer_wheel w(0, tick);
	w.arm(p[0].t, 1 * ms);
	w.arm(p[1].t, 1 * ms);
	w.cancel(p[0].t);
	EXPECT_FALSE(p[0].t.armed());
	EXPECT_EQ(w.size(), 1u);
	w.cancel(p[0].t); // idempotent
	EXPECT_EQ(w.size(), 1u);
	EXPECT_EQ(h.advance(w, 10 * ms), 1u);
	EXPECT_EQ(p[0].fires, 0);
	EXPECT_EQ(p[1].fires, 1);
	w.cancel(p[1].t); // after firing: no-op
	EXPECT_EQ(w.size(), 0u);
}

TEST(timer_wheel, cancel_far_timer_clears_its_slot) {
	harness h;
	auto p = h.make(1);
	timer_wheel w(0, tick);
	w.arm(p[0].t, 1 * hour);
	EXPECT_LE(w.next_expiry_hint(), 1 * hour);
	w.cancel(p[0].t);
	EXPECT_EQ(w.next_expiry_hint(), UINT64_MAX);
	EXPECT_EQ(h.advance(w, 2 * hour), 0u);
}

TEST(timer_wheel, rearm_moves_the_timer) {
	harness h;
	auto p = h.make(1);
	timer_wheel w(0, tick);
	w.arm(p[0].t, 5 * ms);
	w.arm(p[0].t, 2 * ms);
	EXPECT_EQ(w.size(), 1u);
	h.advance(w, 3 * ms);
	EXPECT_EQ(p[0].fires, 1);
	EXPECT_EQ(p[0].fired_at, 3 * ms);
	w.arm(p[0].t, 10 * ms);
	w.arm(p[0].t, 1 * hour);
	h.advance(w, 20 * ms);
	EXPECT_EQ(p[0].fires, 1);
	h.advance(w, 1 * hour);
	EXPECT_EQ(p[0].fires, 2);
}

TEST(timer_wheel, periodic_rearm_from_callback_small_steps) {
	harness h;
	auto p = h.make(1);
	timer_wheel w(0, tick);
	h.on_fire = [&](probe &pr) { w.arm(pr.t, pr.t.expire_ns() + 1 * ms); };
	w.arm(p[0].t, 1 * ms);
	for (uint64_t now = 0; now <= 10 * ms; now += tick) {
		h.advance(w, now);
	}
	EXPECT_EQ(p[0].fires, 10);
	EXPECT_EQ(p[0].fired_at, 10 * ms);
	EXPECT_TRUE(p[0].t.armed());
	w.cancel(p[0].t);
}

// A timer armed from a callback for a tick the call has not reached yet
// fires within the same advance().
TEST(timer_wheel, periodic_rearm_from_callback_one_big_step) {
	harness h;
	auto p = h.make(1);
	timer_wheel w(0, tick);
	std::vector<uint64_t> expiries;
	h.on_fire = [&](probe &pr) {
		expiries.push_back(pr.t.expire_ns());
		w.arm(pr.t, pr.t.expire_ns() + 1 * ms);
	};
	w.arm(p[0].t, 1 * ms);
	EXPECT_EQ(h.advance(w, 10 * ms), 10u);
	ASSERT_EQ(expiries.size(), 10u);
	for (size_t i = 0; i < expiries.size(); i++) {
		EXPECT_EQ(expiries[i], (i + 1) * ms);
	}
	EXPECT_EQ(p[0].t.expire_ns(), 11 * ms);
	w.cancel(p[0].t);
}

TEST(timer_wheel, rearm_into_the_past_from_callback_fires_next_advance) {
	harness h;
	auto p = h.make(1);
	timer_wheel w(0, tick);
	h.on_fire = [&](probe &pr) {
		if (pr.fires < 3) {
			w.arm(pr.t, 0);
		}
	};
	w.arm(p[0].t, 1 * ms);
	EXPECT_EQ(h.advance(w, 2 * ms), 1u);
	EXPECT_TRUE(p[0].t.armed());
	EXPECT_EQ(h.advance(w, 2 * ms), 1u);
	EXPECT_EQ(h.advance(w, 2 * ms), 1u);
	EXPECT_EQ(h.advance(w, 2 * ms), 0u);
	EXPECT_EQ(p[0].fires, 3);
	EXPECT_EQ(w.size(), 0u);
}

TEST(timer_wheel, callback_cancels_another_due_timer_in_same_slot) {
	harness h;
	auto p = h.make(2);
	timer_wheel w(0, tick);
	h.on_fire = [&](probe &pr) { w.cancel(p[1 - pr.id].t); };
	w.arm(p[0].t, 1 * ms);
	w.arm(p[1].t, 1 * ms);
	EXPECT_EQ(h.advance(w, 1 * ms), 1u);
	EXPECT_EQ(p[0].fires + p[1].fires, 1);
	EXPECT_FALSE(p[0].t.armed());
	EXPECT_FALSE(p[1].t.armed());
	EXPECT_EQ(w.size(), 0u);
}

TEST(timer_wheel, callback_cancels_a_later_timer_due_in_same_advance) {
	harness h;
	auto p = h.make(3);
	timer_wheel w(0, tick);
	h.on_fire = [&](probe &pr) {
		if (pr.id == 0) {
			w.cancel(p[1].t);
		}
	};
	w.arm(p[0].t, 1 * ms);
	w.arm(p[1].t, 2 * sec); // another level
	w.arm(p[2].t, 3 * sec);
	EXPECT_EQ(h.advance(w, 1 * minute), 2u);
	EXPECT_EQ(p[0].fires, 1);
	EXPECT_EQ(p[1].fires, 0);
	EXPECT_EQ(p[2].fires, 1);
}

TEST(timer_wheel, callback_cancels_and_rearms_itself) {
	harness h;
	auto p = h.make(2);
	timer_wheel w(0, tick);
	h.on_fire = [&](probe &pr) {
		w.arm(pr.t, 5 * ms);
		w.cancel(pr.t);
		w.arm(p[1].t, 3 * ms); // another timer, from inside
	};
	w.arm(p[0].t, 1 * ms);
	EXPECT_EQ(h.advance(w, 1 * ms), 1u);
	EXPECT_FALSE(p[0].t.armed());
	EXPECT_TRUE(p[1].t.armed());
	h.on_fire = nullptr;
	EXPECT_EQ(h.advance(w, 10 * ms), 1u);
	EXPECT_EQ(p[1].fired_at, 10 * ms);
	EXPECT_EQ(p[0].fires, 1);
}

// 1 ms, 1 s, 1 min and 1 h sit on different levels; whatever the step, each
// fires at the first advance at or after its expiry, in expiry order.
class timer_wheel_steps : public testing::TestWithParam<uint64_t> {};

TEST_P(timer_wheel_steps, levels_fire_in_order_at_the_right_time) {
	const uint64_t step = GetParam();
	const std::vector<uint64_t> expiries = {
	    1 * hour,
	    1 * ms,
	    1 * minute,
	    1 * sec,
	    59 * sec + 999 * ms + 1,
	    1 * ms + 1,
	    1 * hour + 1,
	    26 * sec + 214 * ms + 400 * us, // 64^3 ticks
	};
	harness h;
	auto p = h.make(expiries.size());
	timer_wheel w(0, tick);
	for (size_t i = 0; i < expiries.size(); i++) {
		w.arm(p[i].t, expiries[i]);
	}
	uint64_t now = 0;
	while (w.size() > 0) {
		now += step;
		h.advance(w, now);
		ASSERT_LE(now, 3 * hour);
	}
	std::vector<int> expect(expiries.size());
	for (size_t i = 0; i < expect.size(); i++) {
		expect[i] = static_cast<int>(i);
	}
	std::stable_sort(expect.begin(), expect.end(), [&](int a, int b) {
		return round_up(expiries[a], tick) < round_up(expiries[b], tick);
	});
	EXPECT_EQ(h.order, expect);
	for (size_t i = 0; i < expiries.size(); i++) {
		EXPECT_EQ(p[i].fires, 1);
		EXPECT_EQ(p[i].fired_at, round_up(round_up(expiries[i], tick), step)) << i;
	}
}

INSTANTIATE_TEST_SUITE_P(steps, timer_wheel_steps,
                         testing::Values(tick, 1 * ms, 700 * ms, 7 * sec, 10 * minute, 2 * hour));

TEST(timer_wheel, past_expiry_fires_on_next_advance) {
	harness h;
	auto p = h.make(5);
	uint64_t start = 10 * sec + 50 * us; // mid-tick
	timer_wheel w(start, tick);
	w.arm(p[0].t, 1 * sec);
	w.arm(p[1].t, 10 * sec);
	w.arm(p[2].t, start);
	w.arm(p[3].t, 0);
	EXPECT_EQ(w.next_expiry_hint(), start);
	EXPECT_EQ(h.advance(w, start), 4u);
	EXPECT_EQ(h.advance(w, 20 * sec), 0u);
	w.arm(p[4].t, 15 * sec);
	EXPECT_EQ(h.advance(w, 20 * sec), 1u);
	EXPECT_EQ(h.advance(w, 5 * sec), 0u); // time does not go back
	EXPECT_EQ(w.now_ns(), 20 * sec);
}

TEST(timer_wheel, max_fire_carries_on_in_order) {
	harness h;
	auto p = h.make(300);
	timer_wheel w(0, tick);
	for (int i = 0; i < 300; i++) {
		w.arm(p[i].t, (1 + i / 100) * ms); // 100 at 1 ms, 100 at 2, 100 at 3
	}
	unsigned total = 0;
	int calls = 0;
	while (total < 300) {
		unsigned n = h.advance(w, 10 * ms, 30);
		EXPECT_EQ(n, 30u);
		total += n;
		calls++;
		ASSERT_LT(calls, 20);
	}
	EXPECT_EQ(calls, 10);
	EXPECT_EQ(h.advance(w, 10 * ms, 30), 0u);
	EXPECT_EQ(w.size(), 0u);
	ASSERT_EQ(h.order.size(), 300u);
	for (int i = 0; i < 300; i++) {
		EXPECT_EQ(h.order[i] / 100, i / 100) << i;
	}
	EXPECT_EQ(h.advance(w, 10 * ms, 0), 0u);
}

TEST(timer_wheel, long_gap_fires_exactly_the_due_set) {
	constexpr size_t n = 100'000;
	harness h;
	auto p = h.make(n);
	timer_wheel w(0, tick);
	std::mt19937_64 rng(1);
	for (size_t i = 0; i < n; i++) {
		w.arm(p[i].t, rng() % (40 * sec));
	}
	h.advance(w, 10 * sec);
	size_t due = 0;
	for (size_t i = 0; i < n; i++) {
		bool should = round_up(p[i].t.expire_ns(), tick) <= 10 * sec;
		due += should;
		ASSERT_EQ(p[i].fires, should ? 1 : 0) << p[i].t.expire_ns();
		ASSERT_EQ(p[i].t.armed(), !should);
	}
	EXPECT_EQ(h.order.size(), due);
	EXPECT_EQ(w.size(), n - due);
	h.advance(w, 1 * hour);
	EXPECT_EQ(h.order.size(), n);
	for (size_t i = 1; i < n; i++) {
		ASSERT_LE(round_up(p[h.order[i - 1]].t.expire_ns(), tick),
		          round_up(p[h.order[i]].t.expire_ns(), tick));
	}
}

// With a 1 ns tick the wheel covers 64^6 ns = 68.7 s: later expiries park in
// the last level and cascade again.
TEST(timer_wheel, expiries_beyond_range_cascade_again) {
	for (uint64_t step : {uint64_t{1} * sec, 10 * minute, 3 * hour}) {
		harness h;
		auto p = h.make(4);
		timer_wheel w(0, 1);
		w.arm(p[0].t, 1 * hour);
		w.arm(p[1].t, 100 * sec);
		w.arm(p[2].t, 2 * hour + 1);
		w.arm(p[3].t, 1 * sec);
		uint64_t now = 0;
		while (w.size() > 0) {
			now += step;
			h.advance(w, now);
			ASSERT_LT(now, 4 * hour);
		}
		EXPECT_EQ(h.order, (std::vector<int>{3, 1, 0, 2})) << step;
		for (int i = 0; i < 4; i++) {
			EXPECT_EQ(p[i].fires, 1);
			EXPECT_EQ(p[i].fired_at, round_up(p[i].t.expire_ns(), step)) << step;
		}
	}
}

TEST(timer_wheel, default_tick_beyond_79_days) {
	constexpr uint64_t day = 24 * hour;
	harness h;
	auto p = h.make(2);
	timer_wheel w(0);
	EXPECT_EQ(w.tick_ns(), 100 * us);
	w.arm(p[0].t, 200 * day + 5);
	w.arm(p[1].t, 80 * day);
	for (uint64_t now = 0; now <= 201 * day; now += day) {
		h.advance(w, now);
	}
	EXPECT_EQ(p[0].fired_at, 201 * day);
	EXPECT_EQ(p[1].fired_at, 80 * day);
}

TEST(timer_wheel, next_expiry_hint) {
	harness h;
	auto p = h.make(2);
	timer_wheel w(0, tick);
	EXPECT_EQ(w.next_expiry_hint(), UINT64_MAX);
	w.arm(p[0].t, 5 * ms);
	EXPECT_EQ(w.next_expiry_hint(), 5 * ms);
	w.arm(p[1].t, 3 * ms + 1);
	EXPECT_EQ(w.next_expiry_hint(), 3 * ms + tick);
	w.cancel(p[1].t);
	w.cancel(p[0].t);
	w.arm(p[0].t, 1 * hour);
	uint64_t hint = w.next_expiry_hint();
	EXPECT_GT(hint, 0u);
	EXPECT_LE(hint, 1 * hour);
	// Following the hint reaches the timer without firing it early.
	int hops = 0;
	while (p[0].fires == 0) {
		hint = w.next_expiry_hint();
		ASSERT_NE(hint, UINT64_MAX);
		ASSERT_LE(hint, 1 * hour);
		h.advance(w, hint);
		ASSERT_LT(++hops, 20);
	}
	EXPECT_EQ(p[0].fired_at, 1 * hour);
	EXPECT_EQ(w.next_expiry_hint(), UINT64_MAX);
}

TEST(timer_wheel, destroying_the_wheel_disarms_its_timers) {
	harness h;
	auto p = h.make(2);
	{
		timer_wheel w(0, tick);
		w.arm(p[0].t, 1 * ms);
		w.arm(p[1].t, 0);
	}
	EXPECT_FALSE(p[0].t.armed());
	EXPECT_FALSE(p[1].t.armed());
}

// One million timers with log-uniform expiries from 1 us to 2 h against a
// std::multimap oracle: every timer fires exactly once, never early, and by
// the first advance() that reaches its tick.
struct oracle_entry {
	timer t;
	uint64_t expire = 0;
	uint32_t fires = 0;
};

struct oracle_ctx {
	uint64_t now = 0;
	uint64_t early = 0;
	uint64_t fired = 0;
};
oracle_ctx g_octx;

void oracle_cb(timer *, void *arg) {
	auto *e = static_cast<oracle_entry *>(arg);
	e->fires++;
	g_octx.fired++;
	if (g_octx.now < e->expire) {
		g_octx.early++;
	}
}

TEST(timer_wheel, one_million_random_timers_match_oracle) {
	constexpr size_t n = 1'000'000;
	g_octx = {};
	std::vector<oracle_entry> es(n);
	timer_wheel w(0, tick);
	std::multimap<uint64_t, uint32_t> oracle;
	std::mt19937_64 rng(2024);
	std::uniform_real_distribution<double> logu(std::log(1e3), std::log(2.0 * hour));
	for (size_t i = 0; i < n; i++) {
		uint64_t e =
		    (i % 20 == 0) ? (i % 7) * ms : static_cast<uint64_t>(std::exp(logu(rng)));
		es[i].t.fn = oracle_cb;
		es[i].t.arg = &es[i];
		es[i].expire = e;
		w.arm(es[i].t, e);
		oracle.emplace(e, static_cast<uint32_t>(i));
	}
	ASSERT_EQ(w.size(), n);
	uint64_t now = 0;
	uint64_t checked = 0;
	size_t calls = 0;
	while (!oracle.empty()) {
		uint64_t scale = std::max<uint64_t>(tick, now / 2000);
		uint64_t step =
		    (rng() % 1000 == 0) ? rng() % (10 * minute) : 1 + rng() % (3 * scale);
		now += step;
		g_octx.now = now;
		w.advance(now);
		calls++;
		uint64_t reached = now / tick * tick;
		auto end = oracle.upper_bound(reached);
		for (auto it = oracle.begin(); it != end; ++it) {
			ASSERT_EQ(es[it->second].fires, 1u)
			    << "expiry " << it->first << " now " << now;
			checked++;
		}
		oracle.erase(oracle.begin(), end);
		ASSERT_EQ(g_octx.fired, checked) << "a timer fired before its tick, at " << now;
		ASSERT_EQ(w.size(), n - checked);
	}
	EXPECT_EQ(g_octx.early, 0u);
	EXPECT_EQ(checked, n);
	EXPECT_EQ(w.size(), 0u);
	EXPECT_GT(calls, 1000u) << "steps too coarse to test much";
	RecordProperty("advance_calls", static_cast<int>(calls));
}

// Random arms and cancels from inside and outside callbacks, with a random
// max_fire, against an oracle of what must be armed.
struct churn_entry {
	timer t;
	bool expected = false; ///< the oracle believes it armed
	std::multimap<uint64_t, uint32_t>::iterator it;
};

struct churn_ctx {
	timer_wheel *w = nullptr;
	std::vector<churn_entry> *es = nullptr;
	std::multimap<uint64_t, uint32_t> oracle;
	std::mt19937_64 rng{99};
	uint64_t now = 0;
	uint64_t errors = 0;

	void arm(uint32_t i, uint64_t expire) {
		churn_entry &e = (*es)[i];
		disarm(i);
		w->arm(e.t, expire);
		e.expected = true;
		e.it = oracle.emplace(expire, i);
	}
	void disarm(uint32_t i) {
		churn_entry &e = (*es)[i];
		w->cancel(e.t);
		if (e.expected) {
			oracle.erase(e.it);
			e.expected = false;
		}
	}
};
churn_ctx *g_churn;

void churn_cb(timer *t, void *arg) {
	churn_ctx &c = *g_churn;
	auto i = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(arg));
	churn_entry &e = (*c.es)[i];
	if (&e.t != t || !e.expected || e.it->first > c.now) {
		c.errors++; // fired while cancelled, or early
		return;
	}
	c.oracle.erase(e.it);
	e.expected = false;
	// Only arm strictly after `now` here: an expiry inside the current
	// call's window would be legal but makes the oracle's check racy.
	auto other = static_cast<uint32_t>(c.rng() % c.es->size());
	switch (c.rng() % 4) {
	case 0:
		c.arm(i, c.now + 1 + c.rng() % (10 * sec));
		break;
	case 1:
		c.disarm(other);
		break;
	case 2:
		if (other != i) {
			c.arm(other, c.now + 1 + c.rng() % (10 * minute));
		}
		break;
	default:
		break;
	}
}

TEST(timer_wheel, random_arm_cancel_churn_matches_oracle) {
	constexpr size_t n = 100'000;
	std::vector<churn_entry> es(n);
	timer_wheel w(0, tick);
	churn_ctx c;
	c.w = &w;
	c.es = &es;
	g_churn = &c;
	for (size_t i = 0; i < n; i++) {
		es[i].t.fn = churn_cb;
		es[i].t.arg = reinterpret_cast<void *>(i);
		c.arm(static_cast<uint32_t>(i), c.rng() % (1 * minute));
	}
	for (int round = 0; round < 20'000; round++) {
		for (int k = 0; k < 5; k++) { // outside callbacks, past expiries allowed
			auto i = static_cast<uint32_t>(c.rng() % n);
			if (c.rng() % 2) {
				c.disarm(i);
			} else {
				uint64_t lo = c.now > 10 * sec ? c.now - 10 * sec : 0;
				c.arm(i, lo + c.rng() % (2 * minute));
			}
		}
		uint64_t step = (c.rng() % 50 == 0) ? c.rng() % (5 * minute) : c.rng() % (2 * ms);
		c.now += step;
		auto budget = static_cast<unsigned>(1 + c.rng() % 64);
		while (w.advance(c.now, budget) == budget) {
		}
		ASSERT_EQ(c.errors, 0u) << "round " << round;
		uint64_t reached = c.now / tick * tick;
		ASSERT_TRUE(c.oracle.empty() || c.oracle.begin()->first > reached)
		    << "expiry " << c.oracle.begin()->first << " missed at " << c.now;
		ASSERT_EQ(w.size(), c.oracle.size());
	}
	g_churn = nullptr;
}

} // namespace
} // namespace skiff
