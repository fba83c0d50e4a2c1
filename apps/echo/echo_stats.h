#pragma once

// What a UDP echo run measured, and how it is printed: shared by
// `skiff-echo --client` and perf/kernel-udp-echo so that the two report the
// same metrics in the same format (perf/udp_echo_bench.sh compares them).
//
// Round-trip times go into a log-linear histogram: exact below 64 units,
// then 32 linear buckets per power of two, so a percentile is reported with
// at most 1/32 (about 3%) relative error. Adding a sample is a few integer
// operations and no allocation, fit for the data path.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

namespace skiff::echo {

class latency_histogram {
public:
	static constexpr unsigned sub_bits = 5;
	static constexpr unsigned sub_count = 1u << sub_bits;
	static constexpr unsigned n_buckets = (64 - sub_bits + 1) * sub_count;

	void add(uint64_t v) {
		_buckets[index(v)]++;
		_count++;
		_max = std::max(_max, v);
	}

	uint64_t count() const { return _count; }
	uint64_t max() const { return _max; }

	/// The smallest recorded-bucket bound at or below which a fraction `q`
	/// of the samples lie (the bucket's upper bound, capped at the maximum).
	uint64_t quantile(double q) const {
		if (_count == 0) {
			return 0;
		}
		uint64_t rank = uint64_t(q * double(_count));
		rank = std::min(std::max<uint64_t>(rank, 1), _count);
		uint64_t seen = 0;
		for (unsigned i = 0; i < n_buckets; i++) {
			seen += _buckets[i];
			if (seen >= rank) {
				return std::min(upper(i), _max);
			}
		}
		return _max;
	}

	static unsigned index(uint64_t v) {
		unsigned msb = 63u - unsigned(__builtin_clzll(v | 1));
		if (msb < sub_bits) {
			return unsigned(v);
		}
		unsigned shift = msb - sub_bits;
		return (shift + 1) * sub_count + unsigned((v >> shift) - sub_count);
	}

	static uint64_t upper(unsigned i) {
		unsigned group = i / sub_count, sub = i % sub_count;
		if (group == 0) {
			return sub;
		}
		unsigned shift = group - 1;
		return ((uint64_t(sub_count + sub) << shift) + (uint64_t(1) << shift)) - 1;
	}

private:
	std::array<uint64_t, n_buckets> _buckets{};
	uint64_t _count = 0;
	uint64_t _max = 0;
};

/// One run of an echo client.
struct run_result {
	const char *impl = "";    ///< "skiff" or "kernel"
	unsigned size = 0;        ///< UDP payload bytes
	unsigned window = 0;      ///< datagrams kept in flight
	double seconds = 0;       ///< length of the measured period
	uint64_t round_trips = 0; ///< echoes received in the period
	uint64_t lost = 0;        ///< datagrams given up on after the timeout
	latency_histogram rtt;    ///< round-trip times, in units of `unit_ns`
	double unit_ns = 1;
};

/// Two human lines and one RESULT line of key=value pairs for scripts.
inline void print_result(FILE *out, const run_result &r) {
	double rate = r.seconds > 0 ? double(r.round_trips) / r.seconds : 0;
	auto us = [&](double q) { return double(r.rtt.quantile(q)) * r.unit_ns / 1000.0; };
	double max_us = double(r.rtt.max()) * r.unit_ns / 1000.0;
	std::fprintf(out,
	             "%s: %u-byte datagrams, window %u, %.2f s: %lu echoed = %.0f datagrams/s, "
	             "%lu lost\n",
	             r.impl, r.size, r.window, r.seconds, (unsigned long)r.round_trips, rate,
	             (unsigned long)r.lost);
	std::fprintf(out, "%s: round trip p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us\n",
	             r.impl, us(0.50), us(0.99), us(0.999), max_us);
	std::fprintf(out,
	             "RESULT impl=%s size=%u window=%u seconds=%.3f round_trips=%lu dps=%.0f "
	             "p50_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.2f lost=%lu\n",
	             r.impl, r.size, r.window, r.seconds, (unsigned long)r.round_trips, rate,
	             us(0.50), us(0.99), us(0.999), max_us, (unsigned long)r.lost);
	std::fflush(out);
}

} // namespace skiff::echo
