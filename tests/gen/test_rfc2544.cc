#include "rfc2544.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace skiff::gen;

namespace {

/// A device that forwards everything up to `capacity` pps, and drops the
/// excess; a generator that offers at most `gen_max` pps.
struct fake_device {
	double capacity;
	double gen_max = 1e12;
	double seconds = 1;
	unsigned calls = 0;

	trial_outcome operator()(double rate) {
		calls++;
		trial_outcome o;
		o.requested_pps = rate;
		o.offered_pps = std::min(rate, gen_max);
		o.tx = uint64_t(o.offered_pps * seconds);
		double through = std::min(o.offered_pps, capacity);
		o.rx = uint64_t(through * seconds);
		return o;
	}
};

} // namespace

TEST(rfc2544, device_at_line_rate_needs_one_trial) {
	fake_device dev{20e6};
	search_config cfg{14.88e6, 0.1, 0.5, 30};
	auto r = rfc2544_search(cfg, [&](double pps) { return dev(pps); });
	EXPECT_DOUBLE_EQ(r.ndr.rate_pps, 14.88e6);
	EXPECT_EQ(r.ndr.trials, 1u);
	EXPECT_DOUBLE_EQ(r.pdr.rate_pps, 14.88e6);
	EXPECT_EQ(r.trials.size(), 1u);
	EXPECT_FALSE(r.ndr.generator_limited);
}

TEST(rfc2544, binary_search_finds_the_capacity_within_precision) {
	fake_device dev{6e6};
	search_config cfg{14.88e6, 0, 0.5, 30};
	auto r = rfc2544_search(cfg, [&](double pps) { return dev(pps); });
	EXPECT_LE(r.ndr.rate_pps, 6e6);
	EXPECT_GE(r.ndr.rate_pps, 6e6 - 14.88e6 * 0.005);
	EXPECT_EQ(r.ndr.loss_pct, 0);
	EXPECT_LE(r.ndr.trials, 10u);                     // log2(200) + 1
	EXPECT_DOUBLE_EQ(r.pdr.rate_pps, r.ndr.rate_pps); // no tolerance: PDR = NDR
}

TEST(rfc2544, pdr_allows_the_tolerated_loss) {
	fake_device dev{6e6};
	search_config cfg{14.88e6, 5.0, 0.1, 40};
	auto r = rfc2544_search(cfg, [&](double pps) { return dev(pps); });
	// 5% loss is allowed up to 6e6 / 0.95 = 6.316 Mpps offered.
	EXPECT_GT(r.pdr.rate_pps, r.ndr.rate_pps);
	EXPECT_LE(r.pdr.rate_pps, 6e6 / 0.95 + 1);
	EXPECT_GE(r.pdr.rate_pps, 6e6 / 0.95 - 14.88e6 * 0.001);
	EXPECT_LE(r.pdr.loss_pct, 5.0);
	EXPECT_EQ(r.trials.size(), r.ndr.trials + r.pdr.trials);
}

TEST(rfc2544, generator_limit_is_reported_not_hidden) {
	fake_device dev{20e6, 4e6};
	search_config cfg{14.88e6, 0.1, 0.5, 30};
	auto r = rfc2544_search(cfg, [&](double pps) { return dev(pps); });
	EXPECT_DOUBLE_EQ(r.ndr.rate_pps, 4e6); // what was offered, not what was asked
	EXPECT_TRUE(r.ndr.generator_limited);
	EXPECT_EQ(dev.calls, 1u);
}

TEST(rfc2544, nothing_passes) {
	fake_device dev{0};
	search_config cfg{1e6, 0, 1, 30};
	auto r = rfc2544_search(cfg, [&](double pps) { return dev(pps); });
	EXPECT_EQ(r.ndr.rate_pps, 0);
	EXPECT_LE(r.ndr.trials, 8u);
	EXPECT_EQ(rfc2544_search({0, 0, 1, 30}, [&](double pps) { return dev(pps); }).trials.size(),
	          0u);
}
