// The control path: route lookups, address parsing, stack configuration
// errors, and the stats text.

#include "fixture.h"
#include "net/report.h"

namespace skiff::test {
namespace {

using net::any_addr;
using net::any_prefix;
using net::drop_reason;
using net::nexthop4;
using net::nexthop6;
using net::prefix4;
using net::prefix6;
using net::route_table;

prefix4 p4(std::string_view cidr) {
	return std::get<prefix4>(*net::parse_cidr(cidr));
}
prefix6 p6(std::string_view cidr) {
	return std::get<prefix6>(*net::parse_cidr(cidr));
}

class route_test : public testing::Test {
protected:
	void SetUp() override {
		auto t = route_table::create(unique_name("rt"), 64);
		ASSERT_TRUE(t) << t.err().message;
		_t = std::make_unique<route_table>(std::move(*t));
	}
	std::unique_ptr<route_table> _t;
};

TEST_F(route_test, v4_longest_prefix_wins) {
	ASSERT_TRUE(_t->add(p4("10.1.0.0/16"), nexthop4{1, {}}));
	ASSERT_TRUE(_t->add(p4("10.1.2.0/24"), nexthop4{2, {}}));
	EXPECT_EQ(_t->lookup(v4("10.2.0.1")), nullptr) << "no default route yet";
	ASSERT_TRUE(_t->add(p4("0.0.0.0/0"), nexthop4{3, v4("10.1.2.1")}));

	const nexthop4 *nh = _t->lookup(v4("10.1.2.77"));
	ASSERT_NE(nh, nullptr);
	EXPECT_EQ(nh->iface, 2);
	EXPECT_TRUE(nh->on_link());
	nh = _t->lookup(v4("10.1.3.77"));
	ASSERT_NE(nh, nullptr);
	EXPECT_EQ(nh->iface, 1);
	nh = _t->lookup(v4("10.2.0.1"));
	ASSERT_NE(nh, nullptr);
	EXPECT_EQ(nh->iface, 3);
	EXPECT_FALSE(nh->on_link());
	EXPECT_EQ(nh->gateway, v4("10.1.2.1"));
	EXPECT_EQ(_t->routes4().size(), 3u);
}

TEST_F(route_test, v6_longest_prefix_wins) {
	ASSERT_TRUE(_t->add(p6("2001:db8::/32"), nexthop6{1, {}}));
	ASSERT_TRUE(_t->add(p6("2001:db8:1::/48"), nexthop6{2, {}}));
	EXPECT_EQ(_t->lookup(v6("2001:db9::1")), nullptr);
	ASSERT_TRUE(_t->add(p6("::/0"), nexthop6{3, v6("2001:db8:1::1")}));

	const nexthop6 *nh = _t->lookup(v6("2001:db8:1::42"));
	ASSERT_NE(nh, nullptr);
	EXPECT_EQ(nh->iface, 2);
	nh = _t->lookup(v6("2001:db8:2::42"));
	ASSERT_NE(nh, nullptr);
	EXPECT_EQ(nh->iface, 1);
	nh = _t->lookup(v6("2001:db9::1"));
	ASSERT_NE(nh, nullptr);
	EXPECT_EQ(nh->iface, 3);
	EXPECT_EQ(nh->gateway, v6("2001:db8:1::1"));
	EXPECT_EQ(_t->routes6().size(), 3u);
}

TEST_F(route_test, v4_and_v6_tables_are_separate) {
	ASSERT_TRUE(_t->add(p4("0.0.0.0/0"), nexthop4{1, v4("10.0.0.1")}));
	EXPECT_NE(_t->lookup(v4("192.0.2.1")), nullptr);
	EXPECT_EQ(_t->lookup(v6("2001:db8::1")), nullptr);
}

TEST(parse_test, cidr_accepts) {
	auto a = net::parse_cidr("198.18.0.2/24");
	ASSERT_TRUE(a) << a.err().message;
	EXPECT_EQ(std::get<prefix4>(*a).addr, v4("198.18.0.2"));
	EXPECT_EQ(std::get<prefix4>(*a).len, 24);

	auto b = net::parse_cidr("2001:2::2/64");
	ASSERT_TRUE(b) << b.err().message;
	EXPECT_EQ(std::get<prefix6>(*b).addr, v6("2001:2::2"));
	EXPECT_EQ(std::get<prefix6>(*b).len, 64);

	EXPECT_EQ(std::get<prefix4>(*net::parse_cidr("10.0.0.1")).len, 32);
	EXPECT_EQ(std::get<prefix6>(*net::parse_cidr("fe80::1")).len, 128);
	EXPECT_EQ(std::get<prefix4>(*net::parse_cidr("0.0.0.0/0")).len, 0);
	EXPECT_EQ(std::get<prefix6>(*net::parse_cidr("::/0")).len, 0);
	EXPECT_EQ(std::get<prefix4>(*net::parse_cidr("10.0.0.0/32")).len, 32);
	EXPECT_EQ(std::get<prefix6>(*net::parse_cidr("::/128")).len, 128);
}

TEST(parse_test, cidr_rejects_with_a_message) {
	struct bad {
		const char *text;
		const char *message; // a substring of the error
	};
	for (const bad &c :
	     {bad{"198.18.0.2/33", "bad prefix length"}, bad{"2001:2::2/129", "bad prefix length"},
	      bad{"198.18.0.2/", "bad prefix length"}, bad{"198.18.0.2/x", "bad prefix length"},
	      bad{"198.18.0.2/-1", "bad prefix length"}, bad{"198.18.0.2/24 ", "bad prefix length"},
	      bad{"198.18.0/24", "bad address"}, bad{"/24", "bad address"}, bad{"", "bad address"},
	      bad{"2001:2::2::1/64", "bad address"}, bad{"host.example/24", "bad address"}}) {
		auto r = net::parse_cidr(c.text);
		ASSERT_FALSE(r) << c.text;
		EXPECT_EQ(r.err().code, -EINVAL) << c.text;
		EXPECT_NE(r.err().message.find(c.message), std::string::npos)
		    << c.text << ": " << r.err().message;
		EXPECT_EQ(r.err().message.find('\n'), std::string::npos) << "one line";
	}
}

TEST(parse_test, addr_accepts_and_rejects) {
	auto a = net::parse_addr("198.18.0.1");
	ASSERT_TRUE(a);
	EXPECT_EQ(std::get<ipv4_addr>(*a), v4("198.18.0.1"));
	auto b = net::parse_addr("2001:2::1");
	ASSERT_TRUE(b);
	EXPECT_EQ(std::get<ipv6_addr>(*b), v6("2001:2::1"));
	for (const char *text : {"", "198.18.0", "198.18.0.256", "1.2.3.4.5", "198.18.0.1/24",
	                         "2001:2::1/64", "fe80::1%eth0", "gateway"}) {
		auto r = net::parse_addr(text);
		ASSERT_FALSE(r) << text;
		EXPECT_EQ(r.err().code, -EINVAL) << text;
		EXPECT_NE(r.err().message.find("bad address"), std::string::npos)
		    << r.err().message;
		EXPECT_NE(r.err().message.find(text), std::string::npos)
		    << "names what it rejected: " << r.err().message;
	}
}

using control_test = net_test;

TEST_F(control_test, stack_rejects_bad_configuration) {
	auto r = _stack->add_address("198.19.0.2/24@3");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.err().code, -ENODEV);
	r = _stack->add_address("198.19.0.2/24@x");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.err().code, -EINVAL);
	r = _stack->add_address("198.19.0.2/40");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.err().code, -EINVAL);
	r = _stack->add_gateway("203.0.113.1");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.err().code, -ENETUNREACH);
	EXPECT_NE(r.err().message.find("203.0.113.1"), std::string::npos);
	auto w = _stack->add_worker();
	ASSERT_FALSE(w) << "one queue: one worker";
	EXPECT_EQ(w.err().code, -EINVAL);
	auto i = _stack->add_iface(_port.port(), 1, our_mac, 1500, {});
	ASSERT_FALSE(i) << "interfaces come before workers";
	EXPECT_EQ(i.err().code, -EBUSY);
}

TEST_F(control_test, stack_needs_a_pool) {
	net::stack_config cfg;
	cfg.name = unique_name("s");
	auto s = net::stack::create(cfg, _clock);
	ASSERT_FALSE(s);
	EXPECT_EQ(s.err().code, -EINVAL);
}

// Not on the fixture: each stack's IPv4 LPM takes 64 MiB (DIR-24-8) and
// the test EAL has 256 MiB, so one stack at a time. No worker polls here,
// so the port ids need no ethdev behind them.
TEST(stack_config_test, address_on_a_second_interface) {
	skiff::clock clk = skiff::clock::manual();
	net::stack_config cfg;
	cfg.name = unique_name("s");
	cfg.pool = pool();
	auto s = net::stack::create(cfg, clk);
	ASSERT_TRUE(s) << s.err().message;
	ASSERT_TRUE((*s)->add_iface(0, 1, our_mac, 1500, {}));
	ASSERT_TRUE((*s)->add_iface(1, 1, peer_mac, 1500, {}));
	ASSERT_TRUE((*s)->add_address("198.18.0.2/24@0"));
	ASSERT_TRUE((*s)->add_address("198.19.0.2/24@1"));
	const net::nexthop4 *nh = (*s)->routes().lookup(v4("198.19.0.7"));
	ASSERT_NE(nh, nullptr);
	EXPECT_EQ(nh->iface, 1);
	EXPECT_TRUE((*s)->ifaces()[1].owns(v4("198.19.0.2")));
	EXPECT_FALSE((*s)->ifaces()[0].owns(v4("198.19.0.2")));
}

TEST_F(control_test, format_stats_names_nonzero_drop_reasons) {
	frame bad = echo4_request(1, 1, pattern(8));
	bad[l3 + 10] ^= 0xff;
	inject(bad);
	inject(bad);
	inject(eth(our_mac, peer_mac, 0x88cc, pattern(46)));
	ASSERT_TRUE(poll().empty());
	std::string text = net::format_stats(*_stack);
	EXPECT_NE(text.find("ipv4_bad_checksum"), std::string::npos) << text;
	EXPECT_NE(text.find("eth_unknown_type"), std::string::npos) << text;
	EXPECT_NE(text.find("IPv4 header checksum wrong"), std::string::npos) << text;
	EXPECT_NE(text.find("dropped 3"), std::string::npos) << text;
	EXPECT_EQ(text.find("ipv6_fragment"), std::string::npos) << "zero counters stay quiet";
	EXPECT_EQ(text.find("arp_not_for_us"), std::string::npos);
	// The line for ipv4_bad_checksum carries its count.
	size_t at = text.find("ipv4_bad_checksum");
	ASSERT_NE(at, std::string::npos);
	std::string line = text.substr(at, text.find('\n', at) - at);
	EXPECT_NE(line.find(" 2 "), std::string::npos) << line;
}

TEST(drop_names, every_reason_has_a_name_and_a_description) {
	for (size_t i = 0; i < net::n_drop_reasons; i++) {
		auto r = drop_reason(i);
		EXPECT_NE(std::string(net::drop_name(r)), "");
		EXPECT_NE(std::string(net::drop_description(r)), "");
	}
	EXPECT_STREQ(net::drop_name(drop_reason::neigh_queue_full), "neigh_queue_full");
}

} // namespace
} // namespace skiff::test
