#include "report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

using namespace skiff::gen;

namespace {

run_stats sample(double pps, bool rx) {
	run_stats r;
	r.label = "64";
	r.mean_frame = 64;
	r.duration_s = 2;
	r.tx_packets = uint64_t(pps * 2);
	r.tx_bytes = r.tx_packets * 64;
	r.rx_enabled = rx;
	r.rx_packets = r.tx_packets - 10;
	r.rx_bytes = r.rx_packets * 64;
	r.lost = 10;
	r.link_speed_bps = 10e9;
	r.line_rate_pps = 14880952.38;
	return r;
}

std::string table_of(const std::vector<run_stats> &runs) {
	char *buf = nullptr;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	run_meta m;
	m.ports.push_back({"net_null0", "net_null0", "net_null", 10000, "tx"});
	print_table(f, runs, m);
	std::fclose(f);
	std::string s(buf, len);
	free(buf);
	return s;
}

} // namespace

TEST(report, rates_l1_and_l2) {
	run_stats r = sample(1e6, true);
	EXPECT_DOUBLE_EQ(r.tx_pps(), 1e6);
	EXPECT_DOUBLE_EQ(r.tx_bps_l2(), 512e6);
	EXPECT_DOUBLE_EQ(r.tx_bps_l1(), 672e6);
	EXPECT_FALSE(r.above_line_rate());
}

TEST(report, above_line_rate_is_capped_when_printed) {
	run_stats r = sample(20e6, false);
	EXPECT_TRUE(r.above_line_rate());
	shown_rate s = cap_pps(r.tx_pps(), r.line_rate_pps);
	EXPECT_TRUE(s.capped);
	EXPECT_DOUBLE_EQ(s.value, r.line_rate_pps);
	std::string t = table_of({r});
	EXPECT_NE(t.find("14.88 Mpps*"), std::string::npos) << t;
	EXPECT_EQ(t.find("20.00 Mpps"), std::string::npos) << t;
	EXPECT_NE(t.find("warning"), std::string::npos);
	EXPECT_NE(t.find("virtual"), std::string::npos);
	EXPECT_NE(t.find("L1"), std::string::npos);
	EXPECT_NE(t.find("L2"), std::string::npos);
	std::string line = progress_line(1, r, 0, 0);
	EXPECT_NE(line.find("14.88 Mpps*"), std::string::npos) << line;
	EXPECT_NE(line.find("line-rate cap"), std::string::npos) << line;
}

TEST(report, json_has_the_documented_keys) {
	run_stats r = sample(1e6, true);
	auto h = std::make_unique<histogram>();
	h->record(1000);
	r.latency = latency_summary::of(*h);
	run_meta m;
	m.dpdk_version = "DPDK 22.11.0";
	m.ports.push_back({"net_ring0", "net_ring0", "net_ring", 10000, "tx+rx"});
	m.lcores = {0};
	m.args = {"skiff-gen", "--port", "net_ring0"};
	auto j = to_json(m, total_of({r}, *h), {r}, {});
	for (const char *k : {"tool", "dpdk_version", "ports", "lcores", "args", "duration_s",
	                      "tx_packets", "tx_pps", "tx_bps_l1", "tx_bps_l2", "rx_packets",
	                      "rx_pps", "lost", "reordered", "duplicates", "latency_ns"}) {
		EXPECT_TRUE(j.contains(k)) << k;
	}
	EXPECT_EQ(j["tool"], "skiff-gen");
	EXPECT_EQ(j["ports"][0]["devargs"], "net_ring0");
	EXPECT_EQ(j["ports"][0]["link_speed_mbps"], 10000);
	EXPECT_EQ(j["lost"], 10);
	EXPECT_DOUBLE_EQ(j["tx_pps"].get<double>(), 1e6);
	for (const char *k : {"p50", "p99", "p999", "max"}) {
		EXPECT_TRUE(j["latency_ns"].contains(k)) << k;
	}
	EXPECT_FALSE(j.contains("rfc2544"));
}

TEST(report, csv_one_line_per_run) {
	std::string csv = to_csv({sample(1e6, true), sample(2e6, false)});
	EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
	size_t header_commas = std::count(csv.begin(), csv.begin() + csv.find('\n'), ',');
	size_t pos = csv.find('\n') + 1;
	while (pos < csv.size()) {
		size_t end = csv.find('\n', pos);
		EXPECT_EQ(size_t(std::count(csv.begin() + pos, csv.begin() + end, ',')),
		          header_commas);
		pos = end + 1;
	}
}
