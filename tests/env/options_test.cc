// Common options: CLI11 parsing with argv arrays, syntax checks, validate().
#include "env/options.h"

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace skiff {
namespace {

// Parse argv through CLI11 the way an app does; returns "" or CLI11's error text.
std::string parse(options &o, std::initializer_list<const char *> args) {
	CLI::App app{"test"};
	add_common_options(app, o);
	std::vector<const char *> argv = {"prog"};
	argv.insert(argv.end(), args.begin(), args.end());
	try {
		app.parse(int(argv.size()), argv.data());
	} catch (const CLI::ParseError &e) {
		return e.what();
	}
	return "";
}

std::string validate_msg(const options &o) {
	auto r = validate(o);
	return r ? std::string() : r.err().message;
}

TEST(options, defaults) {
	options o;
	ASSERT_EQ(parse(o, {}), "");
	EXPECT_TRUE(o.ports.empty());
	EXPECT_EQ(o.lcores, "0");
	EXPECT_EQ(o.log_level, "info");
	EXPECT_EQ(o.stats_interval, 0u);
	EXPECT_EQ(o.duration, 0.0);
	EXPECT_EQ(o.mem_mb, 256u);
	EXPECT_EQ(o.huge, huge_mode::automatic);
	EXPECT_EQ(o.file_prefix, "");
	EXPECT_EQ(o.mbufs, 8191u);
	EXPECT_TRUE(validate(o).ok());
}

TEST(options, repeatable_port_and_addr) {
	options o;
	ASSERT_EQ(parse(o, {"--port", "net_ring0", "--port", "0000:01:00.0,rxq=2", "--addr",
	                    "198.18.0.2/24", "--addr", "2001:2::2/64", "--gateway", "198.18.0.1",
	                    "--gateway", "2001:2::1"}),
	          "");
	EXPECT_EQ(o.ports, (std::vector<std::string>{"net_ring0", "0000:01:00.0,rxq=2"}));
	EXPECT_EQ(o.addrs, (std::vector<std::string>{"198.18.0.2/24", "2001:2::2/64"}));
	EXPECT_EQ(o.gateways, (std::vector<std::string>{"198.18.0.1", "2001:2::1"}));
	EXPECT_TRUE(validate(o).ok()) << validate_msg(o);
}

TEST(options, one_value_per_occurrence) {
	options o;
	EXPECT_NE(parse(o, {"--port", "net_ring0", "net_ring1"}), "");
}

TEST(options, scalars) {
	options o;
	ASSERT_EQ(parse(o, {"--lcores", "0-1", "--log-level", "debug", "--stats", "5", "--duration",
	                    "2.5", "--pcap", "out.pcap", "--mem", "512", "--file-prefix", "node1",
	                    "--mbufs", "16383"}),
	          "");
	EXPECT_EQ(o.lcores, "0-1");
	EXPECT_EQ(o.log_level, "debug");
	EXPECT_EQ(o.stats_interval, 5u);
	EXPECT_DOUBLE_EQ(o.duration, 2.5);
	EXPECT_EQ(o.pcap, "out.pcap");
	EXPECT_EQ(o.mem_mb, 512u);
	EXPECT_EQ(o.file_prefix, "node1");
	EXPECT_EQ(o.mbufs, 16383u);
	EXPECT_TRUE(validate(o).ok()) << validate_msg(o);
}

TEST(options, huge_flags) {
	options a, b, c;
	ASSERT_EQ(parse(a, {"--huge"}), "");
	EXPECT_EQ(a.huge, huge_mode::on);
	ASSERT_EQ(parse(b, {"--no-huge"}), "");
	EXPECT_EQ(b.huge, huge_mode::off);
	EXPECT_NE(parse(c, {"--huge", "--no-huge"}), "");
}

TEST(options, eal_passthrough_keeps_one_string) {
	options o;
	ASSERT_EQ(parse(o, {"--eal", "--vdev=net_null0 --log-level=debug"}), "");
	EXPECT_EQ(o.eal, "--vdev=net_null0 --log-level=debug");
	options p;
	ASSERT_EQ(parse(p, {"--eal=--vdev=net_null0"}), "");
	EXPECT_EQ(p.eal, "--vdev=net_null0");
}

TEST(options, bad_cidr_rejected_by_parser) {
	options o;
	std::string err = parse(o, {"--addr", "198.18.0.2/33"});
	EXPECT_NE(err.find("--addr"), std::string::npos) << err;
	EXPECT_NE(err.find("prefix length must be 1-32 for IPv4"), std::string::npos) << err;

	options p;
	err = parse(p, {"--addr", "2001:2::2/129"});
	EXPECT_NE(err.find("prefix length must be 1-128 for IPv6"), std::string::npos) << err;

	options q;
	err = parse(q, {"--addr", "198.18.0.300/24"});
	EXPECT_NE(err.find("is not an IPv4 or IPv6 address"), std::string::npos) << err;

	options r;
	err = parse(r, {"--addr", "198.18.0.2"});
	EXPECT_NE(err.find("missing prefix length: write it as 198.18.0.2/24"), std::string::npos)
	    << err;
}

TEST(options, bad_values_rejected_by_parser) {
	options a, b, c, d, e, f;
	EXPECT_NE(parse(a, {"--gateway", "nope"}).find("not an IPv4 or IPv6 address"),
	          std::string::npos);
	EXPECT_NE(parse(b, {"--log-level", "loud"}).find("use trace, debug"), std::string::npos);
	EXPECT_NE(parse(c, {"--lcores", "0-"}).find("use a list like"), std::string::npos);
	EXPECT_NE(parse(d, {"--mem", "10"}).find("at least 64"), std::string::npos);
	EXPECT_NE(parse(e, {"--eal", "-l 0-1"}).find("use --lcores"), std::string::npos);
	EXPECT_NE(parse(f, {"--file-prefix", "a/b"}).find("use only letters"), std::string::npos);
}

TEST(options, validate_messages) {
	options o;
	o.addrs = {"198.18.0.2/24"};
	o.gateways = {"198.18.0.1", "198.18.0.254"};
	EXPECT_EQ(validate_msg(o), "--gateway given twice for IPv4: keep one per address family");

	o.gateways = {"2001:2::1"};
	EXPECT_EQ(validate_msg(o), "--gateway 2001:2::1 has no IPv6 --addr to reach it: add one, "
	                           "e.g. --addr 2001:2::2/64");

	options m;
	m.mem_mb = 32;
	EXPECT_EQ(validate_msg(m), "--mem 32 is too small: use at least 64");
	m.mem_mb = 256;
	m.mbufs = 500000;
	EXPECT_EQ(validate_msg(m), "--mbufs 500000 needs about 1221 MB but --mem is 256 MB: raise "
	                           "--mem to 1253 or lower --mbufs");

	options p;
	p.ports = {"net_ring0", "net_ring0"};
	EXPECT_EQ(validate_msg(p), "--port net_ring0 given twice: list each port once");

	options e;
	e.eal = "--vdev=net_null0 -m 512";
	EXPECT_EQ(validate_msg(e), "--eal '-m': use --mem");
	e.eal = "--no-telemetry";
	EXPECT_NE(validate_msg(e).find("telemetry"), std::string::npos);
	e.eal = "--vdev='net_tap0";
	EXPECT_EQ(validate_msg(e), "--eal unterminated ' quote in '--vdev='net_tap0'");

	options d;
	d.duration = -1;
	EXPECT_NE(validate_msg(d).find("--duration"), std::string::npos);

	options l;
	l.lcores = "0,0";
	EXPECT_EQ(validate_msg(l), "--lcores '0,0': lcore 0 is listed twice");
	l.lcores = "1-0";
	EXPECT_EQ(validate_msg(l), "--lcores '1-0': use a list like 0, 0-1 or 0,2 (no spaces)");
}

TEST(options, lcore_lists) {
	EXPECT_EQ(parse_lcore_list("0").value(), (std::vector<unsigned>{0}));
	EXPECT_EQ(parse_lcore_list("0-1").value(), (std::vector<unsigned>{0, 1}));
	EXPECT_EQ(parse_lcore_list("0,2").value(), (std::vector<unsigned>{0, 2}));
	EXPECT_EQ(parse_lcore_list("4,0-2").value(), (std::vector<unsigned>{4, 0, 1, 2}));
	for (const char *bad : {"", ",", "0,", "a", "-1", "0 1", "1-", "0-1-2", "1000"}) {
		EXPECT_FALSE(parse_lcore_list(bad).ok()) << bad;
	}
	EXPECT_NE(parse_lcore_list("0-200").err().message.find("above DPDK's limit"),
	          std::string::npos);
}

TEST(options, cpu_list_format) {
	EXPECT_EQ(format_cpu_list({}), "");
	EXPECT_EQ(format_cpu_list({0}), "0");
	EXPECT_EQ(format_cpu_list({0, 1}), "0-1");
	EXPECT_EQ(format_cpu_list({5, 0, 1, 2, 7, 8}), "0-2,5,7-8");
}

TEST(options, split_args) {
	using v = std::vector<std::string>;
	EXPECT_EQ(split_args("").value(), v{});
	EXPECT_EQ(split_args("  ").value(), v{});
	EXPECT_EQ(split_args("--vdev=net_null0 --log-level=debug").value(),
	          (v{"--vdev=net_null0", "--log-level=debug"}));
	EXPECT_EQ(split_args(" -a\t0000:01:00.0 ").value(), (v{"-a", "0000:01:00.0"}));
	EXPECT_EQ(split_args("--vdev='net_tap0,iface=a b' x").value(),
	          (v{"--vdev=net_tap0,iface=a b", "x"}));
	EXPECT_EQ(split_args("\"a \\\"b\\\"\" c\\ d ''").value(), (v{"a \"b\"", "c d", ""}));
	EXPECT_FALSE(split_args("'abc").ok());
	EXPECT_FALSE(split_args("\"abc").ok());
	EXPECT_FALSE(split_args("abc\\").ok());
}

TEST(options, addresses) {
	EXPECT_TRUE(check_cidr("198.18.0.2/24").ok());
	EXPECT_TRUE(check_cidr("10.0.0.1/32").ok());
	EXPECT_TRUE(check_cidr("2001:2::2/64").ok());
	EXPECT_TRUE(check_cidr("fe80::1/128").ok());
	EXPECT_TRUE(check_cidr("198.18.0.2/24@1").ok());
	EXPECT_TRUE(check_cidr("2001:2::2/64@0").ok());
	EXPECT_FALSE(check_cidr("198.18.0.2/24@").ok());
	EXPECT_FALSE(check_cidr("198.18.0.2/24@x").ok());
	EXPECT_FALSE(check_cidr("198.18.0.2/33@1").ok());
	EXPECT_FALSE(check_cidr("198.18.0.2/0").ok());
	EXPECT_FALSE(check_cidr("198.18.0.2/").ok());
	EXPECT_FALSE(check_cidr("198.18.0.2/24x").ok());
	EXPECT_FALSE(check_cidr("0.0.0.0/8").ok());
	EXPECT_FALSE(check_cidr("224.0.0.1/4").ok());
	EXPECT_FALSE(check_cidr("ff02::1/16").ok());
	EXPECT_FALSE(check_cidr("::/0").ok());
	EXPECT_TRUE(check_ip("198.18.0.1").ok());
	EXPECT_TRUE(check_ip("2001:2::1").ok());
	EXPECT_FALSE(check_ip("198.18.0.1/24").ok());
	EXPECT_FALSE(check_ip("255.255.255.255").ok());
	EXPECT_TRUE(is_ipv6("2001:2::2/64"));
	EXPECT_FALSE(is_ipv6("198.18.0.2/24"));
}

TEST(options, pci_addresses) {
	EXPECT_TRUE(is_pci_address("0000:01:00.0"));
	EXPECT_TRUE(is_pci_address("0000:af:1f.7,rxq_pkt_pad_en=1"));
	EXPECT_TRUE(is_pci_address("01:00.1"));
	EXPECT_FALSE(is_pci_address("net_ring0"));
	EXPECT_FALSE(is_pci_address("net_tap0,iface=tap0"));
	EXPECT_FALSE(is_pci_address("0000:01:00.8"));
	EXPECT_FALSE(is_pci_address("000:01:00.0"));
	EXPECT_FALSE(is_pci_address("01:00"));
}

} // namespace
} // namespace skiff

TEST(options, ephemeral_port_range) {
	uint16_t lo = 0, hi = 0;
	ASSERT_TRUE(skiff::parse_port_range("40000-40010", lo, hi).ok());
	EXPECT_EQ(lo, 40000);
	EXPECT_EQ(hi, 40010);
	for (const char *bad : {"", "5", "0-10", "10-5", "1-70000", "a-b", "1-"}) {
		EXPECT_FALSE(skiff::parse_port_range(bad, lo, hi).ok()) << bad;
	}
}
