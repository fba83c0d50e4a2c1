#include "time/clock.h"
#include "time/fast_div.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

namespace skiff {
namespace {

TEST(clock, manual_starts_where_told_and_stands_still) {
	auto c = clock::manual(1234);
	EXPECT_TRUE(c.is_manual());
	EXPECT_EQ(c.now_ns(), 1234u);
	EXPECT_EQ(c.now_ns(), 1234u);
	EXPECT_EQ(clock::manual().now_ns(), 0u);
}

TEST(clock, manual_set_and_advance) {
	auto c = clock::manual();
	c.advance_ns(1500);
	EXPECT_EQ(c.now_ns(), 1500u);
	EXPECT_EQ(c.now_us(), 1u);
	c.set_ns(5'000'000);
	EXPECT_EQ(c.now_ns(), 5'000'000u);
	EXPECT_EQ(c.now_us(), 5000u);
	c.advance_ns(0);
	EXPECT_EQ(c.now_ns(), 5'000'000u);
}

TEST(clock, tsc_is_not_manual_and_knows_its_frequency) {
	auto c = clock::tsc();
	EXPECT_FALSE(c.is_manual());
	EXPECT_EQ(c.hz(), rte_get_tsc_hz());
	EXPECT_GT(c.hz(), 0u);
}

TEST(clock, tsc_is_monotonic) {
	auto c = clock::tsc();
	uint64_t prev = c.now_ns();
	for (int i = 0; i < 100'000; i++) {
		uint64_t t = c.now_ns();
		ASSERT_GE(t, prev);
		prev = t;
	}
}

TEST(clock, tsc_clocks_agree) {
	auto a = clock::tsc();
	auto b = clock::tsc();
	uint64_t ta = a.now_ns();
	uint64_t tb = b.now_ns();
	EXPECT_LE(ta, tb);
	EXPECT_LT(tb - ta, 1'000'000'000u);
}

// Loose on purpose: the machine is shared, so sleep can overshoot; a wrong
// frequency or shift would be off by orders of magnitude.
TEST(clock, tsc_tracks_steady_clock) {
	auto c = clock::tsc();
	auto s0 = std::chrono::steady_clock::now();
	uint64_t t0 = c.now_ns();
	std::this_thread::sleep_for(std::chrono::milliseconds(50));
	uint64_t t1 = c.now_ns();
	auto s1 = std::chrono::steady_clock::now();
	double tsc_ns = static_cast<double>(t1 - t0);
	double ref_ns = static_cast<double>(
	    std::chrono::duration_cast<std::chrono::nanoseconds>(s1 - s0).count());
	EXPECT_GE(tsc_ns, 45e6);
	EXPECT_NEAR(tsc_ns / ref_ns, 1.0, 0.2);
}

TEST(clock, cycles_to_ns_is_exact_to_a_nanosecond) {
	std::mt19937_64 rng(7);
	for (uint64_t hz :
	     {uint64_t{1}, uint64_t{1'000'000}, uint64_t{1'000'000'000}, uint64_t{2'100'000'000},
	      uint64_t{2'994'375'000}, uint64_t{3'333'333'333}, uint64_t{5'000'000'001}}) {
		auto c = clock::tsc(hz);
		EXPECT_EQ(c.cycles_to_ns(hz), 1'000'000'000u) << hz;
		EXPECT_EQ(c.cycles_to_ns(0), 0u);
		for (int i = 0; i < 10'000; i++) {
			// Up to ~1000 days of cycles at this frequency.
			uint64_t cycles = rng() % (hz * 86'400'000 + 1);
			auto exact = static_cast<uint64_t>(static_cast<unsigned __int128>(cycles) *
			                                   1'000'000'000 / hz);
			uint64_t got = c.cycles_to_ns(cycles);
			ASSERT_GE(got + 1, exact) << hz << " " << cycles;
			ASSERT_LE(got, exact + 1) << hz << " " << cycles;
		}
	}
}

TEST(clock, manual_clock_converts_cycles_one_to_one) {
	auto c = clock::manual();
	EXPECT_EQ(c.cycles_to_ns(123'456'789'012), 123'456'789'012u);
}

TEST(fast_div, matches_division) {
	std::mt19937_64 rng(42);
	std::vector<uint64_t> divisors = {1,
	                                  2,
	                                  3,
	                                  7,
	                                  10,
	                                  100'000,
	                                  1'000'000,
	                                  1'000'000'000,
	                                  65'537,
	                                  1ull << 40,
	                                  (1ull << 40) + 1};
	for (int i = 0; i < 50; i++) {
		divisors.push_back(rng() >> (rng() % 64));
	}
	for (uint64_t d : divisors) {
		if (d == 0) {
			continue;
		}
		fast_div f(d);
		EXPECT_EQ(f.divisor(), d);
		for (uint64_t n : {uint64_t{0}, d - 1, d, d + 1, fast_div::max_fast - 1,
		                   fast_div::max_fast, UINT64_MAX}) {
			ASSERT_EQ(f.div(n), n / d) << n << " / " << d;
		}
		for (int j = 0; j < 20'000; j++) {
			uint64_t n = rng() >> (rng() % 64);
			ASSERT_EQ(f.div(n), n / d) << n << " / " << d;
		}
	}
}

TEST(fast_div, ceil) {
	fast_div f(100'000);
	EXPECT_EQ(f.div_ceil(0), 0u);
	EXPECT_EQ(f.div_ceil(1), 1u);
	EXPECT_EQ(f.div_ceil(100'000), 1u);
	EXPECT_EQ(f.div_ceil(100'001), 2u);
}

} // namespace
} // namespace skiff
