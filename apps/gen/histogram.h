#pragma once

// An HDR-style log-linear latency histogram with a fixed bucket array, so
// recording a sample on the data path is a few integer operations and never
// allocates. Values below 128 are exact; above, each power of two is split
// into 64 linear buckets, so a reported percentile (the upper bound of its
// bucket, capped at the exact maximum) is at most 1/64 (1.6%) above the true
// value. Any uint64_t value fits.
//
// The owning lcore records; another thread (the progress display) may read
// it at the same time. Counters are relaxed atomics written with a plain
// load+store by their single writer, which costs the same as a plain
// increment on x86 and keeps the concurrent read well defined.

#include <array>
#include <atomic>
#include <cstdint>

namespace skiff::gen {

class histogram {
public:
	static constexpr unsigned sub_bits = 7;               ///< exact below 2^7
	static constexpr unsigned sub_count = 1u << sub_bits; ///< 128
	static constexpr unsigned half_count = sub_count / 2; ///< linear buckets per octave
	static constexpr unsigned n_buckets = sub_count + (64 - sub_bits) * half_count;

	/// Bucket index of @p v.
	static constexpr unsigned index_of(uint64_t v) {
		if (v < sub_count) {
			return unsigned(v);
		}
		unsigned msb = 63u - unsigned(__builtin_clzll(v));
		unsigned shift = msb - (sub_bits - 1); // >= 1
		unsigned top = unsigned(v >> shift);   // in [64, 127]
		return sub_count + (shift - 1) * half_count + (top - half_count);
	}
	/// Smallest value that falls into bucket @p i.
	static constexpr uint64_t lower_of(unsigned i) {
		if (i < sub_count) {
			return i;
		}
		unsigned shift = (i - sub_count) / half_count + 1;
		uint64_t top = (i - sub_count) % half_count + half_count;
		return top << shift;
	}
	/// Largest value that falls into bucket @p i.
	static constexpr uint64_t upper_of(unsigned i) {
		return i + 1 == n_buckets ? UINT64_MAX : lower_of(i + 1) - 1;
	}

	/// Record one sample. Single writer only.
	void record(uint64_t v) {
		bump(_buckets[index_of(v)], 1);
		bump(_count, 1);
		if (v > _max.load(std::memory_order_relaxed)) {
			_max.store(v, std::memory_order_relaxed);
		}
		if (v < _min.load(std::memory_order_relaxed)) {
			_min.store(v, std::memory_order_relaxed);
		}
	}

	/// Add every sample of @p other (control path).
	void merge(const histogram &other);
	/// Forget every sample (control path, while no one records).
	void reset();

	uint64_t count() const { return _count.load(std::memory_order_relaxed); }
	/// Exact largest sample, 0 when empty.
	uint64_t max() const { return _max.load(std::memory_order_relaxed); }
	/// Exact smallest sample, 0 when empty.
	uint64_t min() const { return count() == 0 ? 0 : _min.load(std::memory_order_relaxed); }

	/**
	 * The value at percentile @p p (0-100]: the upper bound of the bucket
	 * that holds the ceil(p% * count)-th smallest sample, capped at max().
	 * @return 0 when empty.
	 */
	uint64_t percentile(double p) const;

private:
	static void bump(std::atomic<uint64_t> &c, uint64_t n) {
		c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
	}

	std::array<std::atomic<uint64_t>, n_buckets> _buckets{};
	std::atomic<uint64_t> _count{0};
	std::atomic<uint64_t> _max{0};
	std::atomic<uint64_t> _min{UINT64_MAX};
};

} // namespace skiff::gen
