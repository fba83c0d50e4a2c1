// seq32: modular sequence arithmetic (RFC 9293 section 3.4).

#include "tcp/seq.h"

#include <gtest/gtest.h>

using skiff::tcp::in_window;
using skiff::tcp::seq32;

namespace {

// Everything is constexpr: the comparisons compile to nothing on the hot path.
static_assert(seq32{1} < seq32{2});
static_assert(seq32{0xffffffff} < seq32{0});
static_assert(seq32{0xffffffff} + 1 == seq32{0});
static_assert(seq32{5} - seq32{0xfffffffb} == 10);
static_assert(in_window(seq32{0}, seq32{0xfffffff0}, 0x20));

TEST(Seq, OrderAndDistance) {
	seq32 a{100}, b{200};
	EXPECT_TRUE(a < b);
	EXPECT_TRUE(a <= b);
	EXPECT_TRUE(b > a);
	EXPECT_TRUE(b >= a);
	EXPECT_FALSE(a == b);
	EXPECT_TRUE(a != b);
	EXPECT_TRUE(a <= a);
	EXPECT_TRUE(a >= a);
	EXPECT_FALSE(a < a);
	EXPECT_EQ(b - a, 100);
	EXPECT_EQ(a - b, -100);
}

TEST(Seq, WrapAround) {
	seq32 hi{0xfffffff0};
	seq32 lo = hi + 0x20; // wraps to 0x10
	EXPECT_EQ(lo.v, 0x10u);
	EXPECT_TRUE(hi < lo);
	EXPECT_TRUE(lo > hi);
	EXPECT_EQ(lo - hi, 0x20);
	EXPECT_EQ(hi - lo, -0x20);
	EXPECT_EQ((lo - 0x20u).v, 0xfffffff0u);
	seq32 c{0xffffffff};
	c += 2;
	EXPECT_EQ(c.v, 1u);
}

TEST(Seq, HalfSpaceBoundary) {
	// Exactly 2^31 apart is "before" in one direction only by the signed
	// distance convention; 2^31 - 1 apart is still ordered both ways.
	seq32 a{0};
	EXPECT_TRUE(a < seq32{0x7fffffff});
	EXPECT_TRUE(seq32{0x7fffffff} > a);
	EXPECT_EQ(seq32{0x80000000} - a, INT32_MIN);
	EXPECT_TRUE(seq32{0x80000001} < a); // more than half way round: before
}

TEST(Seq, MinMax) {
	seq32 hi{0xfffffff0}, lo{0x10};
	EXPECT_EQ(skiff::tcp::seq_max(hi, lo), lo);
	EXPECT_EQ(skiff::tcp::seq_min(hi, lo), hi);
}

TEST(Seq, InWindow) {
	seq32 lo{1000};
	EXPECT_TRUE(in_window(seq32{1000}, lo, 10));
	EXPECT_TRUE(in_window(seq32{1009}, lo, 10));
	EXPECT_FALSE(in_window(seq32{1010}, lo, 10));
	EXPECT_FALSE(in_window(seq32{999}, lo, 10));
	EXPECT_FALSE(in_window(seq32{1000}, lo, 0));
	// Across the wrap.
	seq32 w{0xfffffffe};
	EXPECT_TRUE(in_window(seq32{0xfffffffe}, w, 4));
	EXPECT_TRUE(in_window(seq32{0xffffffff}, w, 4));
	EXPECT_TRUE(in_window(seq32{0}, w, 4));
	EXPECT_TRUE(in_window(seq32{1}, w, 4));
	EXPECT_FALSE(in_window(seq32{2}, w, 4));
	EXPECT_FALSE(in_window(seq32{0xfffffffd}, w, 4));
}

} // namespace
