#include "spec.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace skiff::gen;

TEST(rate, parses_pps_with_prefixes) {
	auto r = parse_rate("1Mpps");
	ASSERT_TRUE(r.ok());
	EXPECT_EQ(r->unit, rate_spec::kind::pps);
	EXPECT_DOUBLE_EQ(r->value, 1e6);
	EXPECT_DOUBLE_EQ(parse_rate("250kpps")->value, 250e3);
	EXPECT_DOUBLE_EQ(parse_rate("1.5Mpps")->value, 1.5e6);
	EXPECT_DOUBLE_EQ(parse_rate("1000pps")->value, 1000);
}

TEST(rate, bit_rates_are_l2_unless_told) {
	auto l2 = parse_rate("5Gbps");
	ASSERT_TRUE(l2.ok());
	EXPECT_EQ(l2->unit, rate_spec::kind::bps);
	EXPECT_FALSE(l2->l1);
	EXPECT_DOUBLE_EQ(l2->value, 5e9);
	EXPECT_TRUE(parse_rate("5Gbps-l1")->l1);
	EXPECT_FALSE(parse_rate("5Gbps-l2")->l1);
	EXPECT_TRUE(parse_rate("5Gbps", true)->l1);
	EXPECT_FALSE(parse_rate("5Gbps-l2", true).ok());
}

TEST(rate, percent_and_unlimited) {
	auto p = parse_rate("50%");
	ASSERT_TRUE(p.ok());
	EXPECT_EQ(p->unit, rate_spec::kind::percent);
	EXPECT_TRUE(p->l1);
	EXPECT_EQ(parse_rate("")->unit, rate_spec::kind::unlimited);
	EXPECT_FALSE(parse_rate("0%").ok());
	EXPECT_FALSE(parse_rate("101%").ok());
}

TEST(rate, rejects_garbage_in_one_line) {
	for (const char *bad : {"fast", "10", "10xps", "-1Mpps", "0pps", "Mpps", "1.2.3pps"}) {
		auto r = parse_rate(bad);
		ASSERT_FALSE(r.ok()) << bad;
		EXPECT_EQ(r.err().message.find('\n'), std::string::npos);
	}
}

TEST(rate, line_rate_of_64_byte_frames) {
	EXPECT_NEAR(line_rate_pps(10e9, 64), 14880952.38, 0.01);
	EXPECT_NEAR(line_rate_pps(100e9, 64), 148809523.8, 0.1);
	EXPECT_NEAR(line_rate_pps(10e9, 1518), 812743.8, 0.1);
}

TEST(rate, gaps_follow_the_unit) {
	EXPECT_DOUBLE_EQ(frame_gap_seconds(*parse_rate("1Mpps"), 64, 0), 1e-6);
	// 64-byte frames at 512 Mbit/s L2: 512 bits each, 1 Mpps.
	EXPECT_DOUBLE_EQ(frame_gap_seconds(*parse_rate("512Mbps"), 64, 0), 1e-6);
	// At L1 each frame is 84 bytes.
	EXPECT_DOUBLE_EQ(frame_gap_seconds(*parse_rate("672Mbps-l1"), 64, 0), 1e-6);
	// 100% of 10G is the line rate.
	EXPECT_NEAR(1.0 / frame_gap_seconds(*parse_rate("100%"), 64, 10e9), 14880952.38, 0.01);
	EXPECT_EQ(frame_gap_seconds(rate_spec{}, 64, 10e9), 0);
}

TEST(sizes, fixed_and_bounds) {
	auto p = parse_sizes("64");
	ASSERT_TRUE(p.ok());
	EXPECT_FALSE(p->sweep);
	ASSERT_EQ(p->runs.size(), 1u);
	EXPECT_EQ(p->runs[0].sizes, std::vector<uint16_t>{64});
	EXPECT_FALSE(parse_sizes("63").ok());
	EXPECT_FALSE(parse_sizes("9019").ok());
	EXPECT_FALSE(parse_sizes("abc").ok());
	EXPECT_FALSE(parse_sizes("128-64").ok());
	EXPECT_FALSE(parse_sizes("64-128:0").ok());
}

TEST(sizes, sweep_defaults_to_rfc2544_sizes) {
	auto p = parse_sizes("64-1518");
	ASSERT_TRUE(p.ok());
	EXPECT_TRUE(p->sweep);
	std::vector<uint16_t> got;
	for (const auto &r : p->runs) {
		ASSERT_EQ(r.sizes.size(), 1u);
		got.push_back(r.sizes[0]);
	}
	EXPECT_EQ(got, (std::vector<uint16_t>{64, 128, 256, 512, 1024, 1280, 1518}));
	auto q = parse_sizes("100-300");
	ASSERT_TRUE(q.ok());
	ASSERT_EQ(q->runs.size(), 4u); // 100, 128, 256 and 300
}

TEST(sizes, sweep_with_step_ends_at_hi) {
	auto p = parse_sizes("64-300:100");
	ASSERT_TRUE(p.ok());
	std::vector<std::string> labels;
	for (const auto &r : p->runs) {
		labels.push_back(r.label);
	}
	EXPECT_EQ(labels, (std::vector<std::string>{"64", "164", "264", "300"}));
}

TEST(sizes, imix_is_7_4_1_interleaved) {
	size_pattern p = imix_pattern();
	ASSERT_EQ(p.sizes.size(), 12u);
	EXPECT_EQ(std::count(p.sizes.begin(), p.sizes.end(), 64), 7);
	EXPECT_EQ(std::count(p.sizes.begin(), p.sizes.end(), 576), 4);
	EXPECT_EQ(std::count(p.sizes.begin(), p.sizes.end(), 1500), 1);
	EXPECT_NEAR(p.mean(), (7 * 64 + 4 * 576 + 1500) / 12.0, 1e-9);
	// Never more than two small frames in a row, wrapping around.
	for (size_t i = 0; i < 12; i++) {
		bool three =
		    p.sizes[i] == 64 && p.sizes[(i + 1) % 12] == 64 && p.sizes[(i + 2) % 12] == 64;
		EXPECT_FALSE(three) << i;
	}
	EXPECT_EQ(parse_sizes("imix")->runs[0].label, "imix");
}

TEST(ranges, ipv4_and_ipv6) {
	auto a = parse_addr_range("198.18.0.1-198.18.1.0", "--src");
	ASSERT_TRUE(a.ok());
	EXPECT_FALSE(a->v6);
	EXPECT_EQ(a->count, 256u);
	EXPECT_EQ(a->base_low32(), 0xc6120001u);
	auto b = parse_addr_range("2001:2::1-2001:2::1:0", "--dst");
	ASSERT_TRUE(b.ok());
	EXPECT_TRUE(b->v6);
	EXPECT_EQ(b->count, 0x10000u);
	auto one = parse_addr_range("198.19.0.1", "--dst");
	ASSERT_TRUE(one.ok());
	EXPECT_EQ(one->count, 1u);
}

TEST(ranges, bad_ranges_name_the_option) {
	for (const char *bad : {"198.18.0.2-198.18.0.1", "198.18.0.1-2001:2::1",
	                        "2001:2::1-2001:3::1", "host", "0.0.0.0-255.255.255.255"}) {
		auto r = parse_addr_range(bad, "--src");
		ASSERT_FALSE(r.ok()) << bad;
		EXPECT_NE(r.err().message.find("--src"), std::string::npos);
	}
	EXPECT_EQ(parse_udp_port_range("1000-1009", "--sport")->count(), 10u);
	EXPECT_FALSE(parse_udp_port_range("10-9", "--sport").ok());
	EXPECT_FALSE(parse_udp_port_range("65536", "--dport").ok());
}

TEST(format, si_prefixes) {
	EXPECT_EQ(si(14880952.38, "pps"), "14.88 Mpps");
	EXPECT_EQ(si(999, "pps"), "999.00 pps");
	EXPECT_EQ(si(9.52e9, "bit/s L1"), "9.52 Gbit/s L1");
}
