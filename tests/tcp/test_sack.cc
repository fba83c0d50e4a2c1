// sack_scoreboard: RFC 6675 scoreboard, IsLost, SetPipe and NextSeg.
// Segments are 1000 bytes; data in flight is [1000, 11000) unless stated.

#include "tcp/sack.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <random>
#include <vector>

using namespace skiff::tcp;

namespace {

constexpr uint32_t mss = 1000;
constexpr seq32 una{1000};
constexpr seq32 nxt{11000};

sack_block blk(uint32_t l, uint32_t r) {
	return sack_block{seq32{l}, seq32{r}};
}

/// A scoreboard holding the given blocks, with una/nxt as above.
sack_scoreboard board(std::initializer_list<sack_block> blocks) {
	sack_scoreboard sb;
	std::vector<sack_block> v(blocks);
	sb.on_ack(una, v, nxt);
	return sb;
}

void expect_ranges(const sack_scoreboard &sb, std::initializer_list<sack_block> want) {
	ASSERT_EQ(sb.ranges().size(), want.size());
	size_t i = 0;
	for (const sack_block &w : want) {
		EXPECT_EQ(sb.ranges()[i].left.v, w.left.v) << "range " << i;
		EXPECT_EQ(sb.ranges()[i].right.v, w.right.v) << "range " << i;
		i++;
	}
}

TEST(Sack, EmptyBoard) {
	sack_scoreboard sb;
	EXPECT_TRUE(sb.empty());
	EXPECT_EQ(sb.sacked_bytes(), 0u);
	EXPECT_FALSE(sb.is_sacked(una));
	EXPECT_FALSE(sb.is_lost(una, mss));
	EXPECT_EQ(sb.pipe(una, nxt, una, mss), 10'000u);
	EXPECT_EQ(sb.next_seg(una, nxt, una, mss), std::nullopt);
	EXPECT_EQ(sb.next_seg_rescue(una, nxt, una), std::nullopt);
}

TEST(Sack, OneBlock) {
	auto sb = board({blk(3000, 4000)});
	expect_ranges(sb, {blk(3000, 4000)});
	EXPECT_TRUE(sb.is_sacked(seq32{3000}));
	EXPECT_TRUE(sb.is_sacked(seq32{3999}));
	EXPECT_FALSE(sb.is_sacked(seq32{2999}));
	EXPECT_FALSE(sb.is_sacked(seq32{4000}));
	EXPECT_EQ(sb.sacked_bytes(), 1000u);
	EXPECT_EQ(sb.highest_sacked().v, 4000u);
	EXPECT_FALSE(sb.empty());
}

TEST(Sack, MergesOverlappingAndAdjacent) {
	auto sb = board({blk(3000, 4000), blk(5000, 6000)});
	expect_ranges(sb, {blk(3000, 4000), blk(5000, 6000)});
	sack_block more[] = {blk(4000, 5000)}; // fills the gap exactly
	sb.on_ack(una, more, nxt);
	expect_ranges(sb, {blk(3000, 6000)});
	sack_block over[] = {blk(2500, 3500), blk(5500, 7000)};
	sb.on_ack(una, over, nxt);
	expect_ranges(sb, {blk(2500, 7000)});
	sack_block inside[] = {blk(4000, 4500)}; // already known
	sb.on_ack(una, inside, nxt);
	expect_ranges(sb, {blk(2500, 7000)});
	sack_block spanning[] = {blk(8000, 9000), blk(1500, 9500)};
	sb.on_ack(una, spanning, nxt);
	expect_ranges(sb, {blk(1500, 9500)});
}

TEST(Sack, IgnoresInvalidBlocks) {
	auto sb = board({
	    blk(500, 900),     // D-SACK below SND.UNA
	    blk(500, 1000),    // ends exactly at SND.UNA: still old data
	    blk(10000, 12000), // beyond SND.NXT
	    blk(4000, 4000),   // empty
	    blk(5000, 4000),   // reversed
	});
	EXPECT_TRUE(sb.empty());
	auto clipped = board({blk(500, 1500)}); // straddles SND.UNA
	expect_ranges(clipped, {blk(1000, 1500)});
	auto edge = board({blk(10000, 11000)}); // right == SND.NXT is fine
	expect_ranges(edge, {blk(10000, 11000)});
}

TEST(Sack, CumulativeAckDropsRanges) {
	auto sb = board({blk(3000, 6000), blk(7000, 8000)});
	sb.on_ack(seq32{4000}, {}, nxt);
	expect_ranges(sb, {blk(4000, 6000), blk(7000, 8000)});
	sb.on_ack(seq32{6000}, {}, nxt);
	expect_ranges(sb, {blk(7000, 8000)});
	sb.on_ack(seq32{9000}, {}, nxt);
	EXPECT_TRUE(sb.empty());
	sb.on_ack(seq32{9000}, std::vector<sack_block>{blk(10000, 11000)}, nxt);
	sb.reset();
	EXPECT_TRUE(sb.empty());
}

TEST(Sack, WrapAround) {
	seq32 w_una{0xfffff000};
	seq32 w_nxt{0x2000};
	sack_scoreboard sb;
	sack_block blocks[] = {{seq32{0xfffff800}, seq32{0x400}}, {seq32{0x800}, seq32{0xc00}}};
	sb.on_ack(w_una, blocks, w_nxt);
	ASSERT_EQ(sb.ranges().size(), 2u);
	EXPECT_EQ(sb.ranges()[0].left.v, 0xfffff800u);
	EXPECT_EQ(sb.ranges()[1].left.v, 0x800u);
	EXPECT_TRUE(sb.is_sacked(seq32{0xffffffff}));
	EXPECT_TRUE(sb.is_sacked(seq32{0}));
	EXPECT_FALSE(sb.is_sacked(seq32{0x400}));
	EXPECT_EQ(sb.sacked_bytes(), 0xc00u + 0x400u);
	EXPECT_EQ(sb.highest_sacked().v, 0xc00u);
	// Holes: [una, 0xfffff800) has 0xc00 + 0x400 = 4096 bytes SACKed above
	// (> 2 * 1000): lost. [0x400, 0x800) has one range of 1024 bytes above:
	// not lost, in the pipe, like [0xc00, 0x2000).
	EXPECT_EQ(sb.pipe(w_una, w_nxt, w_una, mss), 0x400u + 0x1400u);
	EXPECT_EQ(sb.next_seg(w_una, w_nxt, w_una, mss)->v, 0xfffff000u);
	sb.on_ack(seq32{0x200}, {}, w_nxt);
	ASSERT_EQ(sb.ranges().size(), 2u);
	EXPECT_EQ(sb.ranges()[0].left.v, 0x200u);
}

TEST(Sack, CapacityDropsHighest) {
	sack_scoreboard sb;
	seq32 far{1'000'000};
	std::vector<sack_block> v;
	for (uint32_t i = 0; i < sack_scoreboard::capacity + 1; i++) {
		v.push_back(blk(2000 + i * 2000, 2000 + i * 2000 + 1000));
	}
	sb.on_ack(una, v, far);
	EXPECT_EQ(sb.ranges().size(), sack_scoreboard::capacity);
	EXPECT_EQ(sb.overflows(), 1u);
	EXPECT_EQ(sb.highest_sacked().v, 2000u + 31 * 2000 + 1000);
	// A new low range when full pushes out the current highest.
	sack_block low[] = {blk(1000, 1500)};
	sb.on_ack(una, low, far);
	EXPECT_EQ(sb.overflows(), 2u);
	EXPECT_EQ(sb.ranges()[0].left.v, 1000u);
	EXPECT_EQ(sb.highest_sacked().v, 2000u + 30 * 2000 + 1000);
	// Merging needs no new range, so it works while full.
	sack_block merge[] = {blk(1500, 2000)};
	sb.on_ack(una, merge, far);
	EXPECT_EQ(sb.overflows(), 2u);
	EXPECT_EQ(sb.ranges()[0].right.v, 3000u);
	EXPECT_EQ(sb.ranges().size(), sack_scoreboard::capacity - 1);
}

TEST(Sack, IsLostByBytes) {
	// RFC 6675: lost when more than (DupThresh - 1) * SMSS = 2000 bytes
	// above are SACKed.
	auto two = board({blk(2000, 4000)});
	EXPECT_FALSE(two.is_lost(una, mss)); // exactly 2000: not more
	auto more = board({blk(2000, 4001)});
	EXPECT_TRUE(more.is_lost(una, mss));
	EXPECT_FALSE(more.is_lost(seq32{4001}, mss)); // nothing above
	EXPECT_TRUE(more.is_lost(seq32{1999}, mss));  // 2001 bytes above
	// Inside a SACKed range only the bytes after seq count.
	EXPECT_FALSE(more.is_lost(seq32{2000}, mss)); // 2001..4000: 2000 bytes
	auto longer = board({blk(2000, 4002)});
	EXPECT_TRUE(longer.is_lost(seq32{2000}, mss)); // 2001 bytes
	EXPECT_FALSE(longer.is_lost(seq32{2001}, mss));
	// dup_thresh is a parameter.
	EXPECT_TRUE(two.is_lost(una, mss, 2));
}

TEST(Sack, IsLostByDiscontiguousRanges) {
	auto two = board({blk(2000, 2100), blk(3000, 3100)});
	EXPECT_FALSE(two.is_lost(una, mss));
	auto three = board({blk(2000, 2100), blk(3000, 3100), blk(4000, 4100)});
	EXPECT_TRUE(three.is_lost(una, mss));          // 3 ranges, only 300 bytes
	EXPECT_FALSE(three.is_lost(seq32{2100}, mss)); // 2 ranges above
	EXPECT_TRUE(three.is_lost(seq32{1999}, mss));
}

TEST(Sack, PipeCountsUnsackedNotLost) {
	// [2000, 5000) SACKed: the hole below has 3000 SACKed bytes above it,
	// so it is lost and leaves the pipe; [5000, 11000) is still in flight.
	auto sb = board({blk(2000, 5000)});
	EXPECT_EQ(sb.pipe(una, nxt, una, mss), 6'000u);
	// Retransmitting [1000, 2000) puts it back, once (RFC 6675 SetPipe b).
	EXPECT_EQ(sb.pipe(una, nxt, seq32{2000}, mss), 7'000u);
	// Two small ranges: no hole is lost; pipe = flight - SACKed.
	auto two = board({blk(2000, 3000), blk(4000, 5000)});
	EXPECT_EQ(two.pipe(una, nxt, una, mss), 8'000u);
	// A retransmitted byte that is not lost counts twice (a and b).
	EXPECT_EQ(two.pipe(una, nxt, seq32{1500}, mss), 8'500u);
	// high_rxt beyond SND.NXT is clipped.
	EXPECT_EQ(two.pipe(una, nxt, seq32{20000}, mss), 16'000u);
}

TEST(Sack, PipeWithMixedHoles) {
	// Holes: [1000,2000) lost (3 ranges above), [3000,4000) not lost
	// (2 ranges, 2000 bytes), [5000,6000) not, [7000,11000) not.
	auto sb = board({blk(2000, 3000), blk(4000, 5000), blk(6000, 7000)});
	EXPECT_EQ(sb.pipe(una, nxt, una, mss), 1000u + 1000u + 4000u);
	EXPECT_EQ(sb.pipe(una, nxt, seq32{3500}, mss), 6000u + 1000u + 500u);
}

TEST(Sack, NextSegRule1) {
	auto sb = board({blk(2000, 5000)});
	auto s = sb.next_seg(una, nxt, una, mss);
	ASSERT_TRUE(s);
	EXPECT_EQ(s->v, 1000u);
	EXPECT_EQ(sb.next_seg_len(*s, nxt, mss), 1000u);
	EXPECT_EQ(sb.next_seg_len(*s, nxt, 1460), 1000u); // stops at the SACKed range
	// Once [1000, 2000) is retransmitted nothing below the highest SACK is
	// left: rule 1 and rule 3 both give nothing (the caller sends new data).
	EXPECT_EQ(sb.next_seg(una, nxt, seq32{2000}, mss), std::nullopt);
	EXPECT_EQ(sb.next_seg_rescue(una, nxt, seq32{2000}), std::nullopt);
	// Part of the hole retransmitted: the rest is next.
	EXPECT_EQ(sb.next_seg(una, nxt, seq32{1500}, mss)->v, 1500u);
	EXPECT_EQ(sb.next_seg_len(seq32{1500}, nxt, mss), 500u);
}

TEST(Sack, NextSegSkipsHolesNotYetLost) {
	auto sb = board({blk(2000, 3000), blk(4000, 5000), blk(6000, 7000)});
	EXPECT_EQ(sb.next_seg(una, nxt, una, mss)->v, 1000u);
	// [3000, 4000) has only 2 ranges / 2000 bytes above: not lost yet.
	EXPECT_EQ(sb.next_seg(una, nxt, seq32{2000}, mss), std::nullopt);
	// Rule 3 would send it anyway when there is no new data.
	EXPECT_EQ(sb.next_seg_rescue(una, nxt, seq32{2000})->v, 3000u);
	EXPECT_EQ(sb.next_seg_rescue(una, nxt, seq32{3000})->v, 3000u);
	EXPECT_EQ(sb.next_seg_rescue(una, nxt, seq32{5000})->v, 5000u);
	EXPECT_EQ(sb.next_seg_rescue(una, nxt, seq32{6000}), std::nullopt);
	// More SACKs arrive: now it is lost.
	sack_block later[] = {blk(8000, 9000)};
	sb.on_ack(una, later, nxt);
	EXPECT_EQ(sb.next_seg(una, nxt, seq32{2000}, mss)->v, 3000u);
}

TEST(Sack, NextSegLen) {
	auto sb = board({blk(2000, 3000)});
	EXPECT_EQ(sb.next_seg_len(seq32{1000}, nxt, 1460), 1000u);
	EXPECT_EQ(sb.next_seg_len(seq32{2500}, nxt, 1460), 0u); // SACKed
	EXPECT_EQ(sb.next_seg_len(seq32{3000}, nxt, 1460), 1460u);
	EXPECT_EQ(sb.next_seg_len(seq32{10500}, nxt, 1460), 500u); // SND.NXT
	EXPECT_EQ(sb.next_seg_len(nxt, nxt, 1460), 0u);
}

/// RFC 6675 IsLost, straight from the text, over a list of ranges.
bool model_is_lost(const sack_scoreboard &sb, seq32 seq, uint32_t dup_thresh = 3) {
	uint32_t ranges = 0, bytes = 0;
	for (const sack_block &r : sb.ranges()) {
		if (r.left > seq) {
			ranges++;
		}
		// Octets of [left, right) greater than seq.
		seq32 from = seq_max(r.left, seq + 1);
		bytes += from < r.right ? static_cast<uint32_t>(r.right - from) : 0;
	}
	return ranges >= dup_thresh || bytes > (dup_thresh - 1) * mss;
}

TEST(Sack, MatchesPerOctetDefinitions) {
	// SetPipe and NextSeg are defined octet by octet; ours work per hole.
	// Compare on random boards, across the sequence wrap.
	std::mt19937 rng(7);
	for (int round = 0; round < 300; round++) {
		seq32 u{0xffffe000u + static_cast<uint32_t>(rng() % 0x4000)};
		seq32 n = u + (1000 + rng() % 12000);
		sack_scoreboard sb;
		std::vector<sack_block> blocks;
		int nblocks = rng() % 8;
		for (int i = 0; i < nblocks; i++) {
			uint32_t l = rng() % static_cast<uint32_t>(n - u);
			uint32_t len = 1 + rng() % 1500;
			blocks.push_back({u + l, seq_min(u + l + len, n)});
		}
		sb.on_ack(u, blocks, n);
		seq32 hr = u + static_cast<uint32_t>(rng() % static_cast<uint32_t>(n - u + 1));

		uint32_t pipe = 0;
		std::optional<seq32> rule1, rule3;
		for (seq32 s = u; s < n; s += 1) {
			bool sacked = false;
			for (const sack_block &b : blocks) {
				sacked |=
				    in_window(s, b.left, static_cast<uint32_t>(b.right - b.left));
			}
			ASSERT_EQ(sb.is_sacked(s), sacked);
			bool lost = model_is_lost(sb, s);
			ASSERT_EQ(sb.is_lost(s, mss), lost) << round;
			if (sacked) {
				continue;
			}
			pipe += lost ? 0 : 1;
			pipe += s < hr ? 1 : 0;
			bool below_high = !sb.empty() && s < sb.highest_sacked();
			if (s >= hr && below_high && lost && !rule1) {
				rule1 = s;
			}
			if (s >= hr && below_high && !rule3) {
				rule3 = s;
			}
		}
		ASSERT_EQ(sb.pipe(u, n, hr, mss), pipe) << round;
		ASSERT_EQ(sb.next_seg(u, n, hr, mss).has_value(), rule1.has_value()) << round;
		if (rule1) {
			ASSERT_EQ(sb.next_seg(u, n, hr, mss)->v, rule1->v) << round;
		}
		ASSERT_EQ(sb.next_seg_rescue(u, n, hr).has_value(), rule3.has_value()) << round;
		if (rule3) {
			ASSERT_EQ(sb.next_seg_rescue(u, n, hr)->v, rule3->v) << round;
		}
	}
}

} // namespace
