// assembler: out-of-order ranges beyond RCV.NXT and the SACK blocks that
// report them.

#include "tcp/assembler.h"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <vector>

using namespace skiff::tcp;

namespace {

TEST(Assembler, InOrder) {
	assembler a;
	EXPECT_TRUE(a.empty());
	EXPECT_EQ(a.remove_front(), 0u);
	EXPECT_TRUE(a.add(0, 100));
	EXPECT_EQ(a.remove_front(), 100u);
	EXPECT_TRUE(a.empty());
	EXPECT_EQ(a.remove_front(), 0u);
}

TEST(Assembler, ZeroLengthIsNoOp) {
	assembler a;
	EXPECT_TRUE(a.add(50, 0));
	EXPECT_TRUE(a.empty());
}

TEST(Assembler, FillTheHole) {
	assembler a;
	EXPECT_TRUE(a.add(100, 50));
	EXPECT_EQ(a.remove_front(), 0u); // still a hole at [0, 100)
	EXPECT_EQ(a.held_bytes(), 50u);
	EXPECT_TRUE(a.add(0, 100));
	EXPECT_EQ(a.range_count(), 1u);
	EXPECT_EQ(a.remove_front(), 150u);
	EXPECT_TRUE(a.empty());
}

TEST(Assembler, OverlapsAndAdjacency) {
	assembler a;
	EXPECT_TRUE(a.add(10, 10));
	EXPECT_TRUE(a.add(15, 10)); // overlaps: [10, 25)
	EXPECT_EQ(a.range_count(), 1u);
	EXPECT_EQ(a.held_bytes(), 15u);
	EXPECT_TRUE(a.add(30, 5));
	EXPECT_EQ(a.range_count(), 2u);
	EXPECT_TRUE(a.add(25, 5)); // touches both: [10, 35)
	EXPECT_EQ(a.range_count(), 1u);
	EXPECT_EQ(a.held_bytes(), 25u);
	EXPECT_TRUE(a.add(12, 3)); // duplicate inside
	EXPECT_EQ(a.held_bytes(), 25u);
	EXPECT_TRUE(a.add(40, 10));
	EXPECT_TRUE(a.add(60, 10));
	EXPECT_TRUE(a.add(5, 100)); // swallows all three
	EXPECT_EQ(a.range_count(), 1u);
	EXPECT_EQ(a.held_bytes(), 100u);
	EXPECT_EQ(a.remove_front(), 0u);
	EXPECT_TRUE(a.add(0, 5));
	EXPECT_EQ(a.remove_front(), 105u);
}

TEST(Assembler, RemoveFrontShiftsOffsets) {
	assembler a;
	EXPECT_TRUE(a.add(0, 10));
	EXPECT_TRUE(a.add(20, 10));
	EXPECT_EQ(a.remove_front(), 10u);
	// The in-order point moved by 10: the held range is now [10, 20).
	EXPECT_TRUE(a.add(0, 10));
	EXPECT_EQ(a.remove_front(), 20u);
	EXPECT_TRUE(a.empty());
}

TEST(Assembler, CapacityRefusesNewRanges) {
	assembler a;
	for (uint32_t i = 0; i < assembler::capacity; i++) {
		ASSERT_TRUE(a.add(10 + 10 * i, 5)) << i;
	}
	EXPECT_EQ(a.range_count(), assembler::capacity);
	EXPECT_FALSE(a.add(1000, 5));                       // a 33rd range
	EXPECT_FALSE(a.add(0, 5));                          // also new, at the front
	EXPECT_FALSE(a.add(16, 3));                         // inside a gap
	EXPECT_EQ(a.held_bytes(), 5 * assembler::capacity); // refused ones changed nothing
	// Data that merges still fits.
	EXPECT_TRUE(a.add(12, 3));
	EXPECT_TRUE(a.add(15, 5)); // bridges [10,15) and [20,25)
	EXPECT_EQ(a.range_count(), assembler::capacity - 1);
	EXPECT_TRUE(a.add(1000, 5));
	EXPECT_TRUE(a.add(0, 10)); // [0, 25): [30, 35) is still apart
	EXPECT_EQ(a.remove_front(), 25u);
	EXPECT_EQ(a.range_count(), assembler::capacity - 1);
}

TEST(Assembler, OverflowingOffsetRefused) {
	assembler a;
	EXPECT_FALSE(a.add(0xffffff00, 0x200));
	EXPECT_TRUE(a.empty());
	EXPECT_TRUE(a.add(0xffffff00, 0xff));
}

TEST(Assembler, SackBlocksMostRecentFirst) {
	assembler a;
	seq32 rcv_nxt{0xfffffff0}; // the blocks cross the wrap
	ASSERT_TRUE(a.add(100, 10));
	ASSERT_TRUE(a.add(200, 10));
	ASSERT_TRUE(a.add(300, 10));
	ASSERT_TRUE(a.add(400, 10));
	ASSERT_TRUE(a.add(205, 10)); // extends the second: now the newest
	std::array<sack_block, 4> out{};
	ASSERT_EQ(a.sack_blocks(rcv_nxt, out), 4u);
	EXPECT_EQ(out[0].left.v, 0xfffffff0u + 200);
	EXPECT_EQ(out[0].right.v, 0xfffffff0u + 215);
	EXPECT_EQ(out[0].left.v, 0xb8u); // wrapped
	EXPECT_EQ(out[1].left.v, 0xfffffff0u + 400);
	EXPECT_EQ(out[2].left.v, 0xfffffff0u + 300);
	EXPECT_EQ(out[3].left.v, 0xfffffff0u + 100);
	EXPECT_EQ(out[3].right.v, 0xfffffff0u + 110);
	// Fewer slots than ranges: the newest ones.
	std::array<sack_block, 3> three{};
	ASSERT_EQ(a.sack_blocks(rcv_nxt, three), 3u);
	EXPECT_EQ(three[2].left.v, 0xfffffff0u + 300);
	// More slots than ranges.
	std::array<sack_block, 8> many{};
	EXPECT_EQ(a.sack_blocks(rcv_nxt, many), 4u);
	EXPECT_EQ(a.sack_blocks(rcv_nxt, {}), 0u);
}

TEST(Assembler, SackBlocksAfterRemoveFront) {
	assembler a;
	ASSERT_TRUE(a.add(100, 10));
	ASSERT_TRUE(a.add(0, 50));
	EXPECT_EQ(a.remove_front(), 50u);
	std::array<sack_block, 4> out{};
	// RCV.NXT advanced by 50; the held range is reported in sequence space.
	ASSERT_EQ(a.sack_blocks(seq32{1050}, out), 1u);
	EXPECT_EQ(out[0].left.v, 1100u);
	EXPECT_EQ(out[0].right.v, 1110u);
	a.reset();
	EXPECT_EQ(a.sack_blocks(seq32{1050}, out), 0u);
}

/// Disjoint runs of set bits in a byte map.
size_t runs(const std::vector<bool> &m) {
	size_t n = 0;
	for (size_t i = 0; i < m.size(); i++) {
		n += m[i] && (i == 0 || !m[i - 1]) ? 1 : 0;
	}
	return n;
}

TEST(Assembler, MatchesByteMapModel) {
	// Random segments against a map of which bytes arrived. A refusal must
	// leave the map alone and happen only when a new run was needed.
	std::mt19937 rng(3);
	for (int round = 0; round < 50; round++) {
		assembler a;
		std::vector<bool> model(4000, false);
		for (int step = 0; step < 300; step++) {
			uint32_t off = rng() % 3000;
			uint32_t len = rng() % 60;
			std::vector<bool> next = model;
			for (uint32_t i = off; i < off + len; i++) {
				next[i] = true;
			}
			bool ok = a.add(off, len);
			if (ok) {
				model = next;
			} else {
				ASSERT_EQ(runs(model), assembler::capacity);
				ASSERT_GT(runs(next), assembler::capacity);
			}
			ASSERT_EQ(a.range_count(), runs(model));
			if (rng() % 8 == 0) {
				uint32_t front = 0;
				while (front < model.size() && model[front]) {
					front++;
				}
				ASSERT_EQ(a.remove_front(), front);
				model.erase(model.begin(), model.begin() + front);
				model.resize(4000, false);
			}
			uint32_t held = 0;
			for (bool b : model) {
				held += b ? 1 : 0;
			}
			ASSERT_EQ(a.held_bytes(), held);
		}
	}
}

} // namespace
