#include "pacer.h"

#include <gtest/gtest.h>

using namespace skiff::gen;

namespace {
constexpr uint64_t hz = 1'000'000'000; // a 1 GHz TSC: one cycle per ns
}

TEST(pacer, sends_exactly_the_rate_over_time) {
	pacer p;
	uint64_t gap = pacer::to_fixed(1.0 / 3e6, hz); // 3 Mpps: 333.33 cycles
	p.start(1000, gap * 32);
	uint64_t sent = 0;
	// Poll every 100 cycles for one simulated second.
	for (uint64_t now = 1000; now < 1000 + hz; now += 100) {
		unsigned burst = 0;
		while (burst < 32 && p.due(now)) {
			p.charge(gap);
			burst++;
		}
		sent += burst;
	}
	EXPECT_NEAR(double(sent), 3e6, 2);
	EXPECT_EQ(p.forgiven(), 0u);
}

TEST(pacer, bursts_grow_with_the_rate) {
	pacer slow, fast;
	uint64_t slow_gap = pacer::to_fixed(1e-3, hz); // 1 kpps
	uint64_t fast_gap = pacer::to_fixed(1e-8, hz); // 100 Mpps
	slow.start(0, slow_gap * 32);
	fast.start(0, fast_gap * 32);
	auto due_at = [](pacer &p, uint64_t now, uint64_t gap) {
		unsigned n = 0;
		while (n < 32 && p.due(now)) {
			p.charge(gap);
			n++;
		}
		return n;
	};
	EXPECT_EQ(due_at(slow, 0, slow_gap), 1u);
	EXPECT_EQ(due_at(slow, 500, slow_gap), 0u);
	EXPECT_EQ(due_at(slow, 1'000'000, slow_gap), 1u);
	EXPECT_EQ(due_at(fast, 0, fast_gap), 1u);
	EXPECT_EQ(due_at(fast, 1000, fast_gap), 32u); // 100 frames due, a full burst
}

TEST(pacer, forgives_debt_beyond_max_lag) {
	pacer p;
	uint64_t gap = pacer::to_fixed(1e-6, hz); // 1 Mpps
	p.start(0, gap * 32);
	EXPECT_TRUE(p.due(0));
	p.charge(gap);
	// A 10 ms stall: 10 000 frames late, but only 32 are caught up.
	uint64_t now = 10'000'000;
	unsigned n = 0;
	while (p.due(now)) {
		p.charge(gap);
		n++;
	}
	EXPECT_EQ(n, 33u); // the debt of 32 gaps, plus the frame due at `now` itself
	EXPECT_GT(p.forgiven(), 0u);
}

TEST(pacer, fractional_gaps_do_not_drift) {
	pacer p;
	uint64_t gap = pacer::to_fixed(1.0 / 7e6, hz); // 142.857 cycles
	p.start(0, UINT64_MAX / 4);
	uint64_t sent = 0;
	for (uint64_t now = 0; now < hz / 10; now += 1000) {
		while (p.due(now)) {
			p.charge(gap);
			sent++;
		}
	}
	EXPECT_NEAR(double(sent), 7e5, 8); // within one poll interval's frames
}
