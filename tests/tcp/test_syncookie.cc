// syncookie_jar: RFC 4987 SYN cookies, layout in lib/tcp/syncookie.h.

#include "tcp/syncookie.h"

#include <gtest/gtest.h>

#include <array>
#include <random>

using skiff::tcp::syn_params;
using skiff::tcp::syncookie_jar;
using skiff::tcp::syncookie_mss_table;

namespace {

constexpr std::array<uint8_t, 16> key = {0xde, 0xad, 0xbe, 0xef, 1, 2,  3,  4,
                                         5,    6,    7,    8,    9, 10, 11, 12};
// 2001:2::1 port 443 <- 2001:2::2 port 50000
constexpr std::array<uint8_t, 36> tuple = {
    0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    1,    0x20, 0x01,
    0,    2,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x01, 0xbb, 0xc3, 0x50};
constexpr uint32_t peer_isn = 0x12345678;
constexpr uint64_t period = syncookie_jar::period_us;
constexpr uint64_t t0 = 1000 * period; // the start of a time counter

TEST(Syncookie, RoundTrip) {
	syncookie_jar jar(key);
	syn_params p{1460, 7, true};
	uint32_t c = jar.make(tuple, peer_isn, p, t0 + 5);
	auto got = jar.check(tuple, peer_isn, c, t0 + 1'000'000);
	ASSERT_TRUE(got.has_value());
	EXPECT_EQ(got->mss, 1460);
	EXPECT_EQ(got->wscale, 7);
	EXPECT_TRUE(got->sack_ok);
}

TEST(Syncookie, LayoutLowBits) {
	syncookie_jar jar(key);
	uint32_t c = jar.make(tuple, peer_isn, syn_params{1460, 7, true}, t0);
	EXPECT_EQ(c & 0xf, 7u);                     // wscale
	EXPECT_EQ((c >> 4) & 7, 6u);                // 1460 is table entry 6
	EXPECT_EQ((c >> 7) & 1, 1u);                // SACK
	EXPECT_EQ((c >> 8) & 1, (t0 / period) & 1); // counter parity
	uint32_t none = jar.make(tuple, peer_isn, syn_params{536, 0xff, false}, t0);
	EXPECT_EQ(none & 0xff, 0x0fu);
}

TEST(Syncookie, WscaleAndSackRoundTrip) {
	syncookie_jar jar(key);
	for (uint8_t ws : {0, 1, 9, 14}) {
		for (bool sack : {false, true}) {
			uint32_t c = jar.make(tuple, peer_isn, syn_params{1460, ws, sack}, t0);
			auto got = jar.check(tuple, peer_isn, c, t0);
			ASSERT_TRUE(got.has_value());
			EXPECT_EQ(got->wscale, ws);
			EXPECT_EQ(got->sack_ok, sack);
		}
	}
	// Not offered stays not offered; an illegal 15 is taken as 14.
	auto none = jar.check(tuple, peer_isn,
	                      jar.make(tuple, peer_isn, syn_params{1460, 0xff, false}, t0), t0);
	ASSERT_TRUE(none);
	EXPECT_EQ(none->wscale, 0xff);
	auto big = jar.check(tuple, peer_isn,
	                     jar.make(tuple, peer_isn, syn_params{1460, 15, false}, t0), t0);
	ASSERT_TRUE(big);
	EXPECT_EQ(big->wscale, 14);
}

TEST(Syncookie, MssRoundsDown) {
	syncookie_jar jar(key);
	struct {
		uint16_t in, out;
	} cases[] = {{1460, 1460}, {1459, 1452}, {1500, 1460}, {1440, 1440}, {1220, 1220},
	             {1280, 1220}, {536, 536},   {100, 536},   {9000, 8960}, {65535, 8960},
	             {8959, 1460}, {1300, 1300}, {1399, 1380}};
	for (auto tc : cases) {
		uint32_t c = jar.make(tuple, peer_isn, syn_params{tc.in, 0xff, false}, t0);
		auto got = jar.check(tuple, peer_isn, c, t0);
		ASSERT_TRUE(got) << tc.in;
		EXPECT_EQ(got->mss, tc.out) << tc.in;
	}
	for (size_t i = 0; i < syncookie_mss_table.size(); i++) {
		EXPECT_EQ(syncookie_jar::mss_index(syncookie_mss_table[i]), i);
	}
}

TEST(Syncookie, WrongInputsRejected) {
	syncookie_jar jar(key);
	uint32_t c = jar.make(tuple, peer_isn, syn_params{1460, 7, true}, t0);
	auto other = tuple;
	other[35] ^= 1; // another source port
	EXPECT_FALSE(jar.check(other, peer_isn, c, t0));
	EXPECT_FALSE(jar.check(tuple, peer_isn + 1, c, t0));
	EXPECT_FALSE(jar.check(std::span<const uint8_t>(tuple).first(35), peer_isn, c, t0));
	constexpr std::array<uint8_t, 16> other_key = {1};
	EXPECT_FALSE(syncookie_jar(other_key).check(tuple, peer_isn, c, t0));
	EXPECT_TRUE(jar.check(tuple, peer_isn, c, t0));
}

TEST(Syncookie, EveryFlippedBitRejected) {
	syncookie_jar jar(key);
	uint32_t c = jar.make(tuple, peer_isn, syn_params{1460, 7, true}, t0);
	for (int bit = 0; bit < 32; bit++) {
		// Includes the parameter bits: the MAC covers them, so a peer
		// cannot upgrade its MSS or window scale.
		EXPECT_FALSE(jar.check(tuple, peer_isn, c ^ (1u << bit), t0)) << bit;
	}
}

TEST(Syncookie, Lifetime) {
	syncookie_jar jar(key);
	uint32_t c = jar.make(tuple, peer_isn, syn_params{1460, 7, true}, t0);
	EXPECT_TRUE(jar.check(tuple, peer_isn, c, t0 + period - 1));
	EXPECT_TRUE(jar.check(tuple, peer_isn, c, t0 + period));         // after 64 s
	EXPECT_TRUE(jar.check(tuple, peer_isn, c, t0 + 2 * period - 1)); // just under 128 s
	EXPECT_FALSE(jar.check(tuple, peer_isn, c, t0 + 2 * period));
	EXPECT_FALSE(jar.check(tuple, peer_isn, c, t0 + 2 * period + 1)); // > 128 s
	EXPECT_FALSE(jar.check(tuple, peer_isn, c, t0 + 3 * period));
	// Made at the end of a period, it still lives a full period more.
	uint32_t late = jar.make(tuple, peer_isn, syn_params{1460, 7, true}, t0 + period - 1);
	EXPECT_TRUE(jar.check(tuple, peer_isn, late, t0 + 2 * period - 1));
	EXPECT_FALSE(jar.check(tuple, peer_isn, late, t0 + 2 * period));
	// Any cookie is rejected more than 128 s after it was made.
	for (uint64_t off : {uint64_t{0}, uint64_t{1}, period / 2, period - 1}) {
		uint32_t x = jar.make(tuple, peer_isn, syn_params{536, 0, false}, t0 + off);
		EXPECT_FALSE(jar.check(tuple, peer_isn, x, t0 + off + 2 * period + 1)) << off;
	}
}

TEST(Syncookie, CounterZeroHasNoPrevious) {
	syncookie_jar jar(key);
	uint32_t c = jar.make(tuple, peer_isn, syn_params{1460, 7, true}, 0);
	EXPECT_TRUE(jar.check(tuple, peer_isn, c, period - 1));
	// A cookie claiming the odd parity at counter 0 would be from counter -1.
	EXPECT_FALSE(jar.check(tuple, peer_isn, c ^ 0x100, 0));
}

TEST(Syncookie, KeyRotatesPerPeriod) {
	syncookie_jar jar(key);
	syn_params p{1460, 7, true};
	// Same inputs two periods apart: same low bits, different MAC.
	uint32_t a = jar.make(tuple, peer_isn, p, t0);
	uint32_t b = jar.make(tuple, peer_isn, p, t0 + 2 * period);
	EXPECT_EQ(a & 0x1ff, b & 0x1ff);
	EXPECT_NE(a, b);
}

TEST(Syncookie, ForgedCookiesRareAsTheMacWidth) {
	// A random guess passes with probability 2^-23 (23 MAC bits; the
	// parity bit picks the one counter to check). Over 2^22 guesses we
	// expect 0.5 acceptances; more than 6 has probability < 1e-6.
	syncookie_jar jar(key);
	std::mt19937 rng(12345);
	int accepted = 0;
	const int tries = 1 << 22;
	for (int i = 0; i < tries; i++) {
		if (jar.check(tuple, rng(), rng(), t0 + period / 2)) {
			accepted++;
		}
	}
	EXPECT_LE(accepted, 6);
	// The other side of the same claim: all 23 MAC bits are compared, so of
	// the 2^23 cookies with the right low bits exactly one passes.
	uint32_t good = jar.make(tuple, peer_isn, syn_params{1460, 7, true}, t0);
	int matches = 0;
	for (uint32_t m = 0; m < (1u << 23); m++) {
		uint32_t c = (m << 9) | (good & 0x1ff);
		if (jar.check(tuple, peer_isn, c, t0)) {
			matches++;
		}
	}
	EXPECT_EQ(matches, 1);
}

TEST(Syncookie, RandomJarsDiffer) {
	syncookie_jar a, b;
	syn_params p{1460, 7, true};
	uint32_t c = a.make(tuple, peer_isn, p, t0);
	EXPECT_TRUE(a.check(tuple, peer_isn, c, t0));
	EXPECT_FALSE(b.check(tuple, peer_isn, c, t0)); // 2^-23 chance of a false failure
}

} // namespace
