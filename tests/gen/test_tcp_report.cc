// The TCP mode's pure parts: option checks and what the reports say.

#include "tcp_report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

using namespace skiff::gen;

namespace {

tcp_summary sample() {
	tcp_client_stats c;
	c.opened = c.established = 1010;
	c.completed = 1000;
	c.failed[size_t(tcp_failure::timeout)] = 7;
	c.failed[size_t(tcp_failure::reset)] = 3;
	c.transactions = 1000;
	c.bytes_sent = 64000;
	c.bytes_received = 1000000;
	c.max_open = 16;
	c.seconds = 2;
	for (uint64_t ns : {1000, 2000, 3000}) {
		c.connect_ns.record(ns);
		c.transaction_ns.record(2 * ns);
	}
	tcp_server_stats s;
	s.accepted = 1010;
	s.transactions = 1000;
	tcp_profile p;
	p.response = 1000;
	p.conns = 16;
	tcp_summary sum = tcp_summary::of(p, &c, &s);
	sum.client_retransmits = 5;
	return sum;
}

std::string table_of(const tcp_summary &s) {
	char *buf = nullptr;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	print_tcp_table(f, s);
	std::fclose(f);
	std::string text(buf, len);
	free(buf);
	return text;
}

} // namespace

TEST(TcpProfile, PatternNames) {
	EXPECT_EQ(*parse_tcp_pattern("short"), tcp_pattern::short_conns);
	EXPECT_EQ(*parse_tcp_pattern("long"), tcp_pattern::long_flows);
	auto bad = parse_tcp_pattern("bulk");
	ASSERT_FALSE(bad);
	EXPECT_NE(bad.err().message.find("say short"), std::string::npos);
}

TEST(TcpProfile, Limits) {
	tcp_profile p;
	p.duration = 1;
	EXPECT_TRUE(check_tcp_profile(p, true));
	p.request = 0;
	EXPECT_FALSE(check_tcp_profile(p, true)); // a transaction sends something
	p.request = 1;
	p.response = tcp_max_message + 1;
	EXPECT_FALSE(check_tcp_profile(p, true));
	p.response = 0; // upload only
	EXPECT_TRUE(check_tcp_profile(p, true));
	p.conns = 0;
	EXPECT_FALSE(check_tcp_profile(p, true));
	p.conns = 1;
	p.timeout = 0;
	EXPECT_FALSE(check_tcp_profile(p, true));
}

TEST(TcpProfile, ClientRunsNeedAnEnd) {
	tcp_profile p;
	p.duration = 0;
	EXPECT_FALSE(check_tcp_profile(p, true));
	p.count = 100; // short: --count alone ends the run
	EXPECT_TRUE(check_tcp_profile(p, true));
	p.pattern = tcp_pattern::long_flows; // long flows only end with time
	EXPECT_FALSE(check_tcp_profile(p, true));
	EXPECT_TRUE(check_tcp_profile(p, false)); // a server serves until stopped
}

TEST(TcpReport, RatesOverTheRun) {
	tcp_summary s = sample();
	EXPECT_EQ(s.failures(), 10u);
	EXPECT_DOUBLE_EQ(s.per_second(s.completed), 500);
	EXPECT_DOUBLE_EQ(s.upload_bps(), 8.0 * 64000 / 2);
	EXPECT_DOUBLE_EQ(s.download_bps(), 8.0 * 1000000 / 2);
	EXPECT_EQ(s.connect.samples, 3u);
	EXPECT_EQ(s.connect.max, 3000u);
	EXPECT_EQ(s.transaction.max, 6000u);
}

TEST(TcpReport, TableNamesEveryFailure) {
	std::string t = table_of(sample());
	EXPECT_NE(t.find("1000 completed (500.00 /s), 10 failed"), std::string::npos) << t;
	EXPECT_NE(t.find("timeout 7"), std::string::npos) << t;
	EXPECT_NE(t.find("reset 3"), std::string::npos) << t;
	EXPECT_NE(t.find("1010 accepted"), std::string::npos) << t;
	EXPECT_NE(t.find("client 5, server 0"), std::string::npos) << t;
}

TEST(TcpReport, TableSaysWhyConnectionsWereHeldBack) {
	tcp_summary s = sample();
	EXPECT_EQ(table_of(s).find("--ephemeral-ports"), std::string::npos);
	s.open_waits = 12;
	s.paced_out = 4;
	std::string t = table_of(s);
	EXPECT_NE(t.find("waited 12 times"), std::string::npos) << t;
	EXPECT_NE(t.find("4 connections the --cps schedule asked for"), std::string::npos) << t;
}

TEST(TcpReport, JsonHasTheDocumentedKeys) {
	run_meta m;
	m.mode = "tcp-short";
	m.ports.push_back({"net_wire0,link=a", "net_wire0", "net_wire", 10000, "tcp-client"});
	nlohmann::json j = tcp_to_json(m, sample());
	EXPECT_EQ(j["tool"], "skiff-gen");
	EXPECT_EQ(j["mode"], "tcp-short");
	EXPECT_EQ(j["profile"]["response_bytes"], 1000);
	EXPECT_EQ(j["client"]["completed"], 1000);
	EXPECT_EQ(j["client"]["failed"]["timeout"], 7);
	EXPECT_EQ(j["client"]["failures"], 10);
	EXPECT_EQ(j["client"]["connect_ns"]["samples"], 3);
	EXPECT_EQ(j["server"]["accepted"], 1010);
	EXPECT_EQ(j["ports"][0]["role"], "tcp-client");
}

TEST(TcpReport, JsonLeavesOutARoleThatDidNotRun) {
	tcp_server_stats s;
	tcp_summary sum = tcp_summary::of(tcp_profile{}, nullptr, &s);
	nlohmann::json j = tcp_to_json(run_meta{}, sum);
	EXPECT_FALSE(j.contains("client"));
	EXPECT_TRUE(j.contains("server"));
}

TEST(TcpReport, CsvIsAHeaderAndOneRow) {
	std::string csv = tcp_to_csv(sample());
	std::istringstream in(csv);
	std::string header, row, extra;
	ASSERT_TRUE(std::getline(in, header));
	ASSERT_TRUE(std::getline(in, row));
	EXPECT_FALSE(std::getline(in, extra));
	auto fields = [](const std::string &l) { return std::count(l.begin(), l.end(), ','); };
	EXPECT_EQ(fields(header), fields(row));
	EXPECT_EQ(row.rfind("short,64,1000,16,2,1010,1010,1000,500,10,", 0), 0u) << row;
}

TEST(TcpReport, ProgressLine) {
	std::string l = tcp_progress_line(3, 1, 30000, 10000, 64, 1250000, 2500000, 2, 81000);
	EXPECT_EQ(l.rfind("[3s] conns ", 0), 0u) << l;
	EXPECT_NE(l.find("open 64"), std::string::npos) << l;
	EXPECT_NE(l.find("tx 10.00 Mbit/s"), std::string::npos) << l;
	EXPECT_NE(l.find("rx 20.00 Mbit/s"), std::string::npos) << l;
	EXPECT_NE(l.find("failed 2"), std::string::npos) << l;
	EXPECT_NE(l.find("p99 81.0 us"), std::string::npos) << l;
}
