#include "histogram.h"

#include <algorithm>
#include <cmath>

namespace skiff::gen {

void histogram::merge(const histogram &other) {
	for (unsigned i = 0; i < n_buckets; i++) {
		bump(_buckets[i], other._buckets[i].load(std::memory_order_relaxed));
	}
	bump(_count, other.count());
	if (other.count() != 0) {
		_max.store(std::max(max(), other.max()), std::memory_order_relaxed);
		_min.store(std::min(_min.load(std::memory_order_relaxed), other.min()),
		           std::memory_order_relaxed);
	}
}

void histogram::reset() {
	for (auto &b : _buckets) {
		b.store(0, std::memory_order_relaxed);
	}
	_count.store(0, std::memory_order_relaxed);
	_max.store(0, std::memory_order_relaxed);
	_min.store(UINT64_MAX, std::memory_order_relaxed);
}

uint64_t histogram::percentile(double p) const {
	uint64_t n = count();
	if (n == 0) {
		return 0;
	}
	p = std::clamp(p, 0.0, 100.0);
	auto rank = uint64_t(std::ceil(p / 100.0 * double(n)));
	rank = std::clamp<uint64_t>(rank, 1, n);
	uint64_t seen = 0;
	for (unsigned i = 0; i < n_buckets; i++) {
		seen += _buckets[i].load(std::memory_order_relaxed);
		if (seen >= rank) {
			return std::min(upper_of(i), max());
		}
	}
	// A concurrent reader can see count ahead of the buckets.
	return max();
}

} // namespace skiff::gen
