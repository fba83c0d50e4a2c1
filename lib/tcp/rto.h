#pragma once

// Retransmission timeout estimation per RFC 6298, in microseconds.
// Karn's rule (RFC 6298 section 3) is the caller's job: feed only samples
// from segments that were never retransmitted, or from timestamps.

#include <cstdint>

namespace skiff::tcp {

/// RFC 6298 smoothed RTT / RTT variance estimator with exponential backoff.
class rto_estimator {
public:
	/// @param min_rto_us lower clamp (RFC 6298 2.4 says 1 s; Linux and we use 200 ms)
	/// @param max_rto_us upper clamp (RFC 6298 2.5 allows >= 60 s)
	/// @param initial_rto_us RTO before the first sample (RFC 6298 2.1: 1 s)
	explicit rto_estimator(uint32_t min_rto_us = 200'000, uint32_t max_rto_us = 60'000'000,
	                       uint32_t initial_rto_us = 1'000'000);

	/// Take an RTT measurement (RFC 6298 2.2 for the first, 2.3 for later
	/// ones: alpha 1/8, beta 1/4, clock granularity G = 1 ms). Clears the
	/// timeout backoff, since a fresh sample means the path delivers again.
	void on_rtt_sample(uint32_t rtt_us);

	/// The retransmission timer expired (RFC 6298 5.5): double the RTO,
	/// capped at the maximum.
	void on_timeout();

	/// Current RTO including backoff, clamped to [min, max].
	uint32_t rto_us() const;

	/// Smoothed RTT (0 before the first sample).
	uint32_t srtt_us() const { return _srtt_us; }
	/// RTT variance (0 before the first sample).
	uint32_t rttvar_us() const { return _rttvar_us; }
	/// True once on_rtt_sample() has been called.
	bool has_sample() const { return _has_sample; }
	/// Timeouts since the last RTT sample (saturates at 255).
	uint8_t backoffs() const { return _backoffs; }

	/// RFC 6298 clock granularity G.
	static constexpr uint32_t granularity_us = 1'000;

private:
	uint32_t base_rto_us() const;

	uint32_t _min_rto_us;
	uint32_t _max_rto_us;
	uint32_t _initial_rto_us;
	uint32_t _srtt_us = 0;
	uint32_t _rttvar_us = 0;
	bool _has_sample = false;
	uint8_t _backoffs = 0;
};

} // namespace skiff::tcp
