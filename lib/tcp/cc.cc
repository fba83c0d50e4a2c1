#include "tcp/cc.h"

#include <algorithm>
#include <cmath>

namespace skiff::tcp {

namespace {

/// A window of 1 GiB is far beyond any buffer we allocate; capping there
/// keeps every sum below 2^32.
constexpr uint32_t cwnd_cap = 1u << 30;

/// RFC 3465 2.2: slow start may count up to L = 2 * SMSS per ACK, which
/// keeps doubling per RTT when the receiver delays every other ACK.
constexpr uint32_t abc_limit_segments = 2;

/// RFC 9438 4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta).
constexpr double cubic_alpha = 3.0 * (1.0 - cubic_beta) / (1.0 + cubic_beta);

uint32_t add_capped(uint32_t a, uint32_t b) {
	return static_cast<uint32_t>(std::min<uint64_t>(uint64_t{a} + b, cwnd_cap));
}

/// Segments (CUBIC's unit) to bytes, rounded to nearest so that repeated
/// conversions do not drift downwards.
uint32_t bytes_of(double segments, uint32_t mss) {
	double b = segments * mss;
	return b >= cwnd_cap ? cwnd_cap : static_cast<uint32_t>(std::lround(b));
}

/// RFC 5681 3.1 slow start with ABC. Returns the bytes left over once cwnd
/// reaches ssthresh, for congestion avoidance to use.
uint32_t slow_start(cc_state &s, uint32_t acked, uint32_t mss) {
	uint32_t inc = std::min(acked, abc_limit_segments * mss);
	uint32_t room = s.ssthresh - s.cwnd;
	if (inc < room) {
		s.cwnd = add_capped(s.cwnd, inc);
		return 0;
	}
	s.cwnd = add_capped(s.cwnd, room);
	return acked - room;
}

/// RFC 5681 3.1 congestion avoidance, byte counting: one SMSS per cwnd of
/// ACKed data, i.e. one SMSS per RTT.
void reno_avoidance(cc_state &s, uint32_t acked, uint32_t mss) {
	s.bytes_acked = add_capped(s.bytes_acked, acked);
	if (s.bytes_acked >= s.cwnd) {
		s.bytes_acked -= s.cwnd;
		s.cwnd = add_capped(s.cwnd, mss);
	}
}

/// RFC 9438 4.2, 4.8 and 4.10: a congestion avoidance stage begins. With
/// no W_max yet (after slow start or a timeout), or a cwnd already past it,
/// the curve starts at its plateau: K = 0, W_max = cwnd.
void cubic_start_epoch(cc_state &s, double cwnd_seg, uint64_t now_us) {
	s.epoch_start_us = std::max<uint64_t>(now_us, 1); // 0 means "no epoch"
	s.cwnd_epoch = cwnd_seg;
	s.w_est = cwnd_seg;
	if (s.w_max <= cwnd_seg) {
		s.w_max = cwnd_seg;
		s.k = 0;
	} else {
		s.k = std::cbrt((s.w_max - cwnd_seg) / cubic_c); // equation 2
	}
}

/// RFC 9438 4.2-4.5, per ACK in congestion avoidance.
void cubic_avoidance(cc_state &s, uint32_t acked, uint32_t mss, uint64_t now_us, uint32_t srtt_us) {
	double cwnd_seg = static_cast<double>(s.cwnd) / mss;
	double segs_acked = static_cast<double>(acked) / mss;
	if (s.epoch_start_us == 0) {
		cubic_start_epoch(s, cwnd_seg, now_us);
	}
	double t = static_cast<double>(now_us - std::min(now_us, s.epoch_start_us)) / 1e6;

	// 4.3: Reno's growth at the same loss rate; alpha becomes 1 once the
	// estimate is back where the last reduction started.
	double alpha = s.w_est >= s.cwnd_prior ? 1.0 : cubic_alpha;
	s.w_est += alpha * segs_acked / cwnd_seg;

	if (cubic_window(s, t) < s.w_est) {
		// Reno-friendly region: never slower than Reno.
		s.cwnd = std::max(s.cwnd, bytes_of(s.w_est, mss));
		return;
	}
	// 4.4 and 4.5, concave and convex regions: move towards where the curve
	// will be one RTT from now, at most by half a window per RTT.
	double w_next = cubic_window(s, t + static_cast<double>(srtt_us) / 1e6);
	double target = std::clamp(w_next, cwnd_seg, 1.5 * cwnd_seg);
	double next = cwnd_seg + (target - cwnd_seg) / cwnd_seg * segs_acked;
	s.cwnd = std::max(s.cwnd, bytes_of(next, mss));
}

/// RFC 9438 4.6 and 4.7: remember W_max (with fast convergence) and the
/// multiplicatively decreased ssthresh.
void cubic_reduce(cc_state &s, uint32_t mss) {
	double cwnd_seg = static_cast<double>(s.cwnd) / mss;
	if (cwnd_seg < s.w_max) {
		// Fast convergence: the window shrank since the last event, so
		// another flow is arriving; release bandwidth to it sooner.
		s.w_max = cwnd_seg * (1.0 + cubic_beta) / 2.0;
	} else {
		s.w_max = cwnd_seg;
	}
	s.cwnd_prior = cwnd_seg;
	// In integers, so 0.7 * 90000 is 63000, not 62999.
	uint32_t reduced = static_cast<uint32_t>(uint64_t{s.cwnd} * 7 / 10);
	static_assert(cubic_beta == 0.7, "the integer form above hard-codes beta");
	s.ssthresh = std::max(reduced, 2 * mss);
	s.epoch_start_us = 0;
}

/// RFC 5681 equation 4.
uint32_t reno_ssthresh(uint32_t flight_bytes, uint32_t mss) {
	return std::max(flight_bytes / 2, 2 * mss);
}

} // namespace

double cubic_window(const cc_state &s, double t_s) {
	double d = t_s - s.k;
	return cubic_c * d * d * d + s.w_max;
}

void cc_init(cc_state &s, cc_algo algo, uint32_t mss) {
	s = cc_state{};
	s.algo = algo;
	s.cwnd = cc_initial_window(mss);
	s.ssthresh = cwnd_cap; // RFC 5681 3.1: "arbitrarily high"
}

void cc_on_ack(cc_state &s, uint32_t acked_bytes, uint32_t mss, uint64_t now_us, uint32_t srtt_us) {
	if (acked_bytes == 0 || mss == 0) {
		return;
	}
	s.rto_pending = false;
	if (cc_in_slow_start(s)) {
		acked_bytes = slow_start(s, acked_bytes, mss);
		if (acked_bytes == 0) {
			return;
		}
	}
	switch (s.algo) {
	case cc_algo::newreno:
		reno_avoidance(s, acked_bytes, mss);
		break;
	case cc_algo::cubic:
		cubic_avoidance(s, acked_bytes, mss, now_us, srtt_us);
		break;
	}
}

void cc_on_congestion(cc_state &s, uint32_t flight_bytes, uint32_t mss, uint64_t now_us) {
	(void)now_us; // the CUBIC epoch restarts on the first ACK after recovery
	switch (s.algo) {
	case cc_algo::newreno:
		s.ssthresh = reno_ssthresh(flight_bytes, mss);
		break;
	case cc_algo::cubic:
		// RFC 9438 4.6 reduces from cwnd, not FlightSize: W_max must be
		// the window the curve is measured in.
		cubic_reduce(s, mss);
		break;
	}
	s.cwnd = s.ssthresh;
	s.bytes_acked = 0;
}

void cc_on_rto(cc_state &s, uint32_t flight_bytes, uint32_t mss, uint64_t now_us) {
	(void)now_us;
	if (!s.rto_pending) {
		switch (s.algo) {
		case cc_algo::newreno:
			s.ssthresh = reno_ssthresh(flight_bytes, mss);
			break;
		case cc_algo::cubic:
			cubic_reduce(s, mss);
			// RFC 9438 4.8: the first avoidance stage after a timeout
			// starts its curve at the window it begins with (K = 0).
			s.w_max = 0;
			break;
		}
	}
	s.rto_pending = true;
	s.cwnd = mss; // RFC 5681 3.1: the loss window
	s.bytes_acked = 0;
	s.epoch_start_us = 0;
}

void cc_on_recovery_exit(cc_state &s, uint32_t mss, uint64_t now_us) {
	(void)now_us;
	// RFC 6582 3.2 step 3 "full deflation"; never below 2 segments, the
	// smallest ssthresh either algorithm sets.
	s.cwnd = std::max(s.ssthresh, 2 * mss);
	s.bytes_acked = 0;
	s.epoch_start_us = 0;
}

const char *cc_name(cc_algo a) {
	switch (a) {
	case cc_algo::newreno:
		return "newreno";
	case cc_algo::cubic:
		return "cubic";
	}
	return "unknown";
}

std::optional<cc_algo> cc_from_name(std::string_view name) {
	if (name == "newreno" || name == "reno") {
		return cc_algo::newreno;
	}
	if (name == "cubic") {
		return cc_algo::cubic;
	}
	return std::nullopt;
}

} // namespace skiff::tcp
