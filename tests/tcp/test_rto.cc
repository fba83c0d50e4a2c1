// rto_estimator: RFC 6298 with hand-computed values.

#include "tcp/rto.h"

#include <gtest/gtest.h>

using skiff::tcp::rto_estimator;

namespace {

TEST(Rto, InitialIsOneSecond) {
	rto_estimator r;
	EXPECT_FALSE(r.has_sample());
	EXPECT_EQ(r.rto_us(), 1'000'000u); // RFC 6298 2.1
	EXPECT_EQ(r.backoffs(), 0);
}

TEST(Rto, FirstSample) {
	rto_estimator r;
	r.on_rtt_sample(100'000);
	// 2.2: SRTT = 100 ms, RTTVAR = 50 ms, RTO = 100 + 4 * 50 = 300 ms.
	EXPECT_TRUE(r.has_sample());
	EXPECT_EQ(r.srtt_us(), 100'000u);
	EXPECT_EQ(r.rttvar_us(), 50'000u);
	EXPECT_EQ(r.rto_us(), 300'000u);
}

TEST(Rto, LaterSamples) {
	rto_estimator r;
	r.on_rtt_sample(100'000);
	r.on_rtt_sample(180'000);
	// 2.3: RTTVAR = 3/4 * 50 + 1/4 * |100 - 180| = 37.5 + 20 = 57.5 ms
	//      SRTT   = 7/8 * 100 + 1/8 * 180 = 87.5 + 22.5 = 110 ms
	//      RTO    = 110 + 4 * 57.5 = 340 ms
	EXPECT_EQ(r.rttvar_us(), 57'500u);
	EXPECT_EQ(r.srtt_us(), 110'000u);
	EXPECT_EQ(r.rto_us(), 340'000u);
	r.on_rtt_sample(110'000);
	// RTTVAR = 3/4 * 57.5 + 0 = 43.125 ms, SRTT = 110 ms.
	EXPECT_EQ(r.rttvar_us(), 43'125u);
	EXPECT_EQ(r.srtt_us(), 110'000u);
	EXPECT_EQ(r.rto_us(), 110'000u + 4 * 43'125u);
}

TEST(Rto, ConvergesToSteadyRtt) {
	rto_estimator r(0);
	for (int i = 0; i < 200; i++) {
		r.on_rtt_sample(50'000);
	}
	EXPECT_EQ(r.srtt_us(), 50'000u);
	EXPECT_LE(r.rttvar_us(), 1u);
	// With RTTVAR ~ 0 the granularity term G = 1 ms takes over.
	EXPECT_EQ(r.rto_us(), 51'000u);
}

TEST(Rto, ClampedToMinimum) {
	rto_estimator r; // min 200 ms
	r.on_rtt_sample(10'000);
	// 10 + 4 * 5 = 30 ms, below the minimum.
	EXPECT_EQ(r.rto_us(), 200'000u);
}

TEST(Rto, ClampedToMaximum) {
	rto_estimator r(200'000, 2'000'000);
	r.on_rtt_sample(1'500'000); // 1.5 + 3 = 4.5 s
	EXPECT_EQ(r.rto_us(), 2'000'000u);
}

TEST(Rto, BackoffDoublesAndCaps) {
	rto_estimator r;
	r.on_rtt_sample(100'000); // 300 ms
	r.on_timeout();
	EXPECT_EQ(r.backoffs(), 1);
	EXPECT_EQ(r.rto_us(), 600'000u);
	r.on_timeout();
	EXPECT_EQ(r.rto_us(), 1'200'000u);
	for (int i = 0; i < 300; i++) {
		r.on_timeout();
	}
	EXPECT_EQ(r.backoffs(), 255); // saturates, never wraps back to 0
	EXPECT_EQ(r.rto_us(), 60'000'000u);
}

TEST(Rto, BackoffBeforeFirstSample) {
	rto_estimator r;
	r.on_timeout(); // a lost SYN
	EXPECT_EQ(r.rto_us(), 2'000'000u);
	r.on_timeout();
	EXPECT_EQ(r.rto_us(), 4'000'000u);
}

TEST(Rto, SampleClearsBackoff) {
	rto_estimator r;
	r.on_rtt_sample(100'000);
	r.on_timeout();
	r.on_timeout();
	r.on_rtt_sample(100'000);
	EXPECT_EQ(r.backoffs(), 0);
	// RTTVAR = 3/4 * 50 = 37.5 ms; RTO = 100 + 150 = 250 ms.
	EXPECT_EQ(r.rto_us(), 250'000u);
}

TEST(Rto, HugeSampleDoesNotOverflow) {
	rto_estimator r;
	r.on_rtt_sample(UINT32_MAX);
	r.on_rtt_sample(UINT32_MAX);
	EXPECT_EQ(r.srtt_us(), UINT32_MAX);
	EXPECT_EQ(r.rto_us(), 60'000'000u);
}

} // namespace
