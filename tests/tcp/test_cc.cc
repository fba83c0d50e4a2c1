// Congestion control: NewReno (RFC 5681 + ABC) and CUBIC (RFC 9438), with
// hand-computed expectations. MSS is 1000 bytes throughout so windows read
// as segments * 1000.

#include "tcp/cc.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace skiff::tcp;

namespace {

constexpr uint32_t mss = 1000;

/// One RTT of ACKs: one per MSS of the current window, evenly spread over
/// the RTT. Returns the time after the last.
uint64_t one_rtt(cc_state &s, uint64_t now, uint32_t rtt_us) {
	uint32_t n = s.cwnd / mss;
	for (uint32_t i = 0; i < n; i++) {
		now += rtt_us / n;
		cc_on_ack(s, mss, mss, now, rtt_us);
	}
	return now;
}

TEST(CcNewReno, Init) {
	cc_state s;
	cc_init(s, cc_algo::newreno, mss);
	EXPECT_EQ(s.cwnd, 10'000u); // RFC 6928 IW10
	EXPECT_GT(s.ssthresh, 1'000'000'000u);
	EXPECT_TRUE(cc_in_slow_start(s));
}

TEST(CcNewReno, SlowStartDoublesPerRtt) {
	cc_state s;
	cc_init(s, cc_algo::newreno, mss);
	uint64_t now = 0;
	now = one_rtt(s, now, 10'000);
	EXPECT_EQ(s.cwnd, 20'000u);
	now = one_rtt(s, now, 10'000);
	EXPECT_EQ(s.cwnd, 40'000u);
	now = one_rtt(s, now, 10'000);
	EXPECT_EQ(s.cwnd, 80'000u);
}

TEST(CcNewReno, SlowStartDoublesWithDelayedAcks) {
	cc_state s;
	cc_init(s, cc_algo::newreno, mss);
	// Five ACKs of two segments each: ABC with L = 2 counts both.
	for (int i = 0; i < 5; i++) {
		cc_on_ack(s, 2 * mss, mss, 0, 10'000);
	}
	EXPECT_EQ(s.cwnd, 20'000u);
}

TEST(CcNewReno, StretchAckLimitedToTwoSegments) {
	cc_state s;
	cc_init(s, cc_algo::newreno, mss);
	cc_on_ack(s, 10 * mss, mss, 0, 10'000);
	EXPECT_EQ(s.cwnd, 12'000u); // RFC 3465 L = 2 * SMSS
}

TEST(CcNewReno, CongestionHalvesFlight) {
	cc_state s;
	cc_init(s, cc_algo::newreno, mss);
	s.cwnd = 50'000;
	cc_on_congestion(s, 40'000, mss, 0);
	EXPECT_EQ(s.ssthresh, 20'000u); // RFC 5681 eq. 4: FlightSize / 2
	EXPECT_EQ(s.cwnd, 20'000u);
	EXPECT_FALSE(cc_in_slow_start(s));
	cc_on_congestion(s, 3'000, mss, 0);
	EXPECT_EQ(s.ssthresh, 2'000u); // floor of 2 * SMSS
}

TEST(CcNewReno, AvoidanceAddsOneMssPerRtt) {
	cc_state s;
	cc_init(s, cc_algo::newreno, mss);
	cc_on_congestion(s, 40'000, mss, 0);
	cc_on_recovery_exit(s, mss, 0);
	ASSERT_EQ(s.cwnd, 20'000u);
	for (int i = 0; i < 19; i++) {
		cc_on_ack(s, mss, mss, 0, 10'000);
	}
	EXPECT_EQ(s.cwnd, 20'000u); // 19000 bytes counted, not yet a window
	cc_on_ack(s, mss, mss, 0, 10'000);
	EXPECT_EQ(s.cwnd, 21'000u);
	EXPECT_EQ(s.bytes_acked, 0u);
	uint64_t now = one_rtt(s, 0, 10'000);
	EXPECT_EQ(s.cwnd, 22'000u);
	one_rtt(s, now, 10'000);
	EXPECT_EQ(s.cwnd, 23'000u);
}

TEST(CcNewReno, SlowStartStopsAtSsthreshAndCarriesOver) {
	cc_state s;
	cc_init(s, cc_algo::newreno, mss);
	s.ssthresh = 20'000;
	s.cwnd = 19'500;
	cc_on_ack(s, 2'000, mss, 0, 10'000);
	EXPECT_EQ(s.cwnd, 20'000u);
	EXPECT_EQ(s.bytes_acked, 1'500u); // the rest counts towards avoidance
}

TEST(CcNewReno, RtoCollapsesToOneSegment) {
	cc_state s;
	cc_init(s, cc_algo::newreno, mss);
	s.cwnd = 40'000;
	cc_on_rto(s, 40'000, mss, 0);
	EXPECT_EQ(s.cwnd, 1'000u);
	EXPECT_EQ(s.ssthresh, 20'000u);
	// The retransmission timed out too: ssthresh is held (RFC 5681 3.1).
	cc_on_rto(s, 1'000, mss, 0);
	EXPECT_EQ(s.ssthresh, 20'000u);
	EXPECT_EQ(s.cwnd, 1'000u);
	// Slow start again after new data is ACKed...
	cc_on_ack(s, 1'000, mss, 0, 10'000);
	EXPECT_EQ(s.cwnd, 2'000u);
	// ...and a later timeout computes ssthresh afresh.
	cc_on_rto(s, 8'000, mss, 0);
	EXPECT_EQ(s.ssthresh, 4'000u);
}

TEST(CcNewReno, ZeroAckIsIgnored) {
	cc_state s;
	cc_init(s, cc_algo::newreno, mss);
	cc_on_ack(s, 0, mss, 0, 10'000);
	EXPECT_EQ(s.cwnd, 10'000u);
}

TEST(CcNewReno, WindowIsCapped) {
	cc_state s;
	cc_init(s, cc_algo::newreno, mss);
	for (int i = 0; i < 2'000'000; i++) {
		cc_on_ack(s, UINT32_MAX, mss, 0, 10'000);
	}
	EXPECT_EQ(s.cwnd, 1u << 30);
}

TEST(CcNames, RoundTrip) {
	EXPECT_STREQ(cc_name(cc_algo::newreno), "newreno");
	EXPECT_STREQ(cc_name(cc_algo::cubic), "cubic");
	EXPECT_EQ(cc_from_name("newreno"), cc_algo::newreno);
	EXPECT_EQ(cc_from_name("reno"), cc_algo::newreno);
	EXPECT_EQ(cc_from_name("cubic"), cc_algo::cubic);
	EXPECT_EQ(cc_from_name("bbr"), std::nullopt);
	EXPECT_EQ(cc_from_name(""), std::nullopt);
}

/// A CUBIC connection that just recovered from a loss at 100 segments.
cc_state cubic_after_loss_at_100() {
	cc_state s;
	cc_init(s, cc_algo::cubic, mss);
	s.cwnd = 100'000;
	cc_on_congestion(s, 100'000, mss, 0);
	cc_on_recovery_exit(s, mss, 0);
	return s;
}

TEST(CcCubic, MultiplicativeDecrease) {
	cc_state s = cubic_after_loss_at_100();
	EXPECT_DOUBLE_EQ(s.w_max, 100.0);
	EXPECT_EQ(s.ssthresh, 70'000u); // beta_cubic = 0.7
	EXPECT_EQ(s.cwnd, 70'000u);
}

TEST(CcCubic, WindowCurveMatchesHandComputedValues) {
	cc_state s = cubic_after_loss_at_100();
	cc_on_ack(s, mss, mss, 10'000'000, 100'000); // starts the epoch
	EXPECT_EQ(s.epoch_start_us, 10'000'000u);
	// K = cbrt((W_max - cwnd_epoch) / C) = cbrt(30 / 0.4) = cbrt(75)
	EXPECT_NEAR(s.k, 4.2171633, 1e-6);
	// W(t) = 0.4 * (t - K)^3 + 100
	EXPECT_NEAR(cubic_window(s, 0), 70.0, 1e-9);
	EXPECT_NEAR(cubic_window(s, 1), 86.680764, 1e-5);
	EXPECT_NEAR(cubic_window(s, 2), 95.640336, 1e-5);
	EXPECT_NEAR(cubic_window(s, s.k), 100.0, 1e-9);
	EXPECT_NEAR(cubic_window(s, 6), 102.266703, 1e-5);
	EXPECT_NEAR(cubic_window(s, 8), 121.652735, 1e-5);
}

TEST(CcCubic, CwndFollowsTheCurve) {
	// 100 ms RTT: Reno would add ~0.53 segments per RTT, far below the
	// curve, so cwnd tracks W(t) through the concave and convex regions.
	cc_state s = cubic_after_loss_at_100();
	const uint32_t rtt = 100'000;
	const uint64_t t0 = 10'000'000;
	cc_on_ack(s, mss, mss, t0, rtt);
	uint64_t now = t0;
	for (double t_check : {1.0, 2.0, 4.2, 6.0, 8.0}) {
		while (now < t0 + static_cast<uint64_t>(t_check * 1e6)) {
			now = one_rtt(s, now, rtt);
		}
		double t = static_cast<double>(now - t0) / 1e6;
		double w = static_cast<double>(s.cwnd) / mss;
		// cwnd aims at W(t + RTT), and lags it by up to an RTT of ACKs.
		EXPECT_GE(w, cubic_window(s, t) - 1.0) << "t=" << t;
		EXPECT_LE(w, cubic_window(s, t + 0.1) + 1.0) << "t=" << t;
	}
	// The plateau: near W_max around t = K, above it afterwards.
	EXPECT_GT(s.cwnd, 115'000u);
}

TEST(CcCubic, RenoFriendlyRegion) {
	// Small window, 1 ms RTT: Reno's estimate outgrows the cubic curve, so
	// cwnd = W_est (RFC 9438 4.3).
	cc_state s;
	cc_init(s, cc_algo::cubic, mss);
	s.cwnd = 10'000;
	cc_on_congestion(s, 10'000, mss, 0);
	cc_on_recovery_exit(s, mss, 0);
	ASSERT_EQ(s.cwnd, 7'000u);
	const double alpha = 0.9 / 1.7; // 3 (1 - beta) / (1 + beta)
	uint64_t now = 1'000'000;
	cc_on_ack(s, mss, mss, now, 1'000);
	// W_est = 7 + alpha * 1 / 7 = 7.0756; W(0) = 7 is below it.
	EXPECT_NEAR(s.w_est, 7.0 + alpha / 7.0, 1e-9);
	EXPECT_EQ(s.cwnd, 7'076u); // rounded to the nearest byte
	cc_on_ack(s, mss, mss, now + 140, 1'000);
	EXPECT_NEAR(s.w_est, 7.0 + alpha / 7.0 + alpha / 7.076, 1e-9); // cwnd is 7076 bytes
	EXPECT_EQ(s.cwnd, 7'150u);

	// Roughly alpha segments per RTT while below the previous window...
	cc_state r = s;
	now = one_rtt(r, now + 140, 1'000);
	EXPECT_NEAR(static_cast<double>(r.cwnd - s.cwnd) / mss, alpha, 0.05);
	// ...and one segment per RTT once W_est has passed cwnd_prior = 10.
	while (r.w_est < 11.0) {
		now = one_rtt(r, now, 1'000);
	}
	uint32_t before = r.cwnd;
	now = one_rtt(r, now, 1'000);
	EXPECT_NEAR(static_cast<double>(r.cwnd - before) / mss, 1.0, 0.1);
	EXPECT_GT(r.w_est, cubic_window(r, static_cast<double>(now - r.epoch_start_us) / 1e6));
}

TEST(CcCubic, FastConvergence) {
	cc_state s = cubic_after_loss_at_100();
	s.cwnd = 80'000; // lost again before regaining W_max
	cc_on_congestion(s, 80'000, mss, 0);
	// RFC 9438 4.7: W_max = cwnd * (1 + beta) / 2 = 80 * 0.85
	EXPECT_NEAR(s.w_max, 68.0, 1e-9);
	EXPECT_NEAR(s.cwnd_prior, 80.0, 1e-9);
	EXPECT_EQ(s.ssthresh, 56'000u);
	EXPECT_EQ(s.cwnd, 56'000u);
	// Beyond the old W_max: no fast convergence, W_max is cwnd.
	s.cwnd = 90'000;
	cc_on_congestion(s, 90'000, mss, 0);
	EXPECT_NEAR(s.w_max, 90.0, 1e-9);
	EXPECT_EQ(s.ssthresh, 63'000u);
}

TEST(CcCubic, SlowStartThenPlateauStart) {
	cc_state s;
	cc_init(s, cc_algo::cubic, mss);
	uint64_t now = one_rtt(s, 0, 10'000);
	EXPECT_EQ(s.cwnd, 20'000u); // the same slow start as NewReno
	s.ssthresh = s.cwnd;        // as if slow start ended here
	cc_on_ack(s, mss, mss, now + 1, 10'000);
	// No W_max yet (RFC 9438 4.10): K = 0, W_max = cwnd at the epoch.
	EXPECT_DOUBLE_EQ(s.k, 0.0);
	EXPECT_DOUBLE_EQ(s.w_max, 20.0);
}

TEST(CcCubic, RtoResetsEpoch) {
	cc_state s = cubic_after_loss_at_100();
	cc_on_ack(s, mss, mss, 1'000'000, 100'000);
	ASSERT_NE(s.epoch_start_us, 0u);
	s.cwnd = 100'000;
	cc_on_rto(s, 100'000, mss, 2'000'000);
	EXPECT_EQ(s.cwnd, 1'000u);
	EXPECT_EQ(s.ssthresh, 70'000u); // beta_cubic, RFC 9438 4.8
	EXPECT_EQ(s.epoch_start_us, 0u);
	// Slow start back to ssthresh, then the curve starts flat (K = 0)
	// at the window the avoidance stage begins with.
	uint64_t now = 2'000'000;
	while (cc_in_slow_start(s)) {
		cc_on_ack(s, mss, mss, ++now, 100'000);
	}
	EXPECT_EQ(s.cwnd, 70'000u);
	cc_on_ack(s, mss, mss, ++now, 100'000);
	EXPECT_DOUBLE_EQ(s.k, 0.0);
	EXPECT_NEAR(s.w_max, 70.0, 1e-9);
}

} // namespace
