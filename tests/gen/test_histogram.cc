#include "histogram.h"
#include "seq_tracker.h"

#include <gtest/gtest.h>

#include <memory>

using namespace skiff::gen;

TEST(histogram, buckets_are_contiguous_and_ordered) {
	for (unsigned i = 0; i + 1 < histogram::n_buckets; i++) {
		ASSERT_EQ(histogram::upper_of(i) + 1, histogram::lower_of(i + 1)) << i;
		ASSERT_EQ(histogram::index_of(histogram::lower_of(i)), i);
		ASSERT_EQ(histogram::index_of(histogram::upper_of(i)), i);
	}
	EXPECT_EQ(histogram::index_of(UINT64_MAX), histogram::n_buckets - 1);
}

TEST(histogram, relative_error_is_bounded) {
	for (uint64_t v : {1ull, 127ull, 128ull, 1000ull, 123456ull, 987654321ull, 1ull << 50}) {
		unsigned i = histogram::index_of(v);
		double err = double(histogram::upper_of(i) - v) / double(v);
		EXPECT_LE(err, 1.0 / 64) << v;
	}
}

TEST(histogram, percentiles_of_a_uniform_set) {
	auto h = std::make_unique<histogram>();
	for (uint64_t v = 1; v <= 10000; v++) {
		h->record(v);
	}
	EXPECT_EQ(h->count(), 10000u);
	EXPECT_EQ(h->min(), 1u);
	EXPECT_EQ(h->max(), 10000u);
	EXPECT_NEAR(double(h->percentile(50)), 5000, 5000 / 64.0);
	EXPECT_NEAR(double(h->percentile(99)), 9900, 9900 / 64.0);
	EXPECT_NEAR(double(h->percentile(99.9)), 9990, 9990 / 64.0);
	EXPECT_EQ(h->percentile(100), 10000u);
	EXPECT_GE(h->percentile(50), 5000u); // the bucket's upper bound, never below
}

TEST(histogram, small_values_are_exact_and_merge_adds) {
	auto a = std::make_unique<histogram>();
	auto b = std::make_unique<histogram>();
	a->record(3);
	a->record(5);
	b->record(100);
	b->record(7);
	a->merge(*b);
	EXPECT_EQ(a->count(), 4u);
	EXPECT_EQ(a->min(), 3u);
	EXPECT_EQ(a->max(), 100u);
	EXPECT_EQ(a->percentile(50), 5u);
	EXPECT_EQ(a->percentile(75), 7u);
	a->reset();
	EXPECT_EQ(a->count(), 0u);
	EXPECT_EQ(a->percentile(99), 0u);
	EXPECT_EQ(a->min(), 0u);
}

TEST(seq_tracker, in_order_stream) {
	seq_tracker t;
	for (uint64_t s = 0; s < 5000; s++) {
		EXPECT_EQ(t.record(s), seq_tracker::verdict::in_order);
	}
	EXPECT_EQ(t.unique(), 5000u);
	EXPECT_EQ(t.reordered(), 0u);
	EXPECT_EQ(t.duplicates(), 0u);
}

TEST(seq_tracker, late_frames_and_duplicates) {
	seq_tracker t;
	t.record(0);
	t.record(1);
	EXPECT_EQ(t.record(3), seq_tracker::verdict::gap);
	EXPECT_EQ(t.record(2), seq_tracker::verdict::reordered);
	EXPECT_EQ(t.record(2), seq_tracker::verdict::duplicate);
	EXPECT_EQ(t.record(3), seq_tracker::verdict::duplicate);
	EXPECT_EQ(t.record(4), seq_tracker::verdict::in_order);
	EXPECT_EQ(t.received(), 7u);
	EXPECT_EQ(t.unique(), 5u);
	EXPECT_EQ(t.reordered(), 1u);
	EXPECT_EQ(t.duplicates(), 2u);
}

TEST(seq_tracker, window_slides_across_big_gaps) {
	seq_tracker t;
	t.record(0);
	t.record(100000); // a gap far wider than the window
	EXPECT_EQ(t.record(100000 - 5), seq_tracker::verdict::reordered);
	EXPECT_EQ(t.record(100000 - 5), seq_tracker::verdict::duplicate);
	// Older than the window: counted as reordered, cannot be checked.
	EXPECT_EQ(t.record(1), seq_tracker::verdict::reordered);
	// A slot reused after the window moved on is not a false duplicate.
	for (uint64_t s = 100001; s < 100001 + 3 * seq_tracker::window; s++) {
		ASSERT_EQ(t.record(s), seq_tracker::verdict::in_order);
	}
	EXPECT_EQ(t.duplicates(), 1u);
}
