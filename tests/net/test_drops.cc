// Every drop reason a crafted frame can trigger, one frame each: the frame
// is counted under exactly that reason, nothing else is counted, and
// nothing is transmitted.

#include "fixture.h"

#include <ostream>

namespace skiff::test {
namespace {

using net::drop_reason;

struct drop_case {
	const char *name;
	frame (*make)();
	drop_reason reason;
};

void PrintTo(const drop_case &c, std::ostream *os) {
	*os << c.name;
}

// A valid echo request from the peer, to be broken one field at a time.
frame good4() {
	return echo4_request(1, 1, pattern(8));
}
frame good6() {
	return echo6_request(1, 1, pattern(8));
}

frame edit4(void (*fn)(frame &), bool fix_checksum = true) {
	frame f = good4();
	fn(f);
	if (fix_checksum) {
		fix_ipv4_checksum(f);
	}
	return f;
}

frame icmp6_with(const ipv6_addr &src, const ipv6_addr &dst, uint8_t type, const frame &body,
                 uint8_t hop_limit = 64) {
	return icmp6_frame(our_mac, peer_mac, src, dst, type, 0, body, hop_limit);
}

frame ns_with(const ipv6_addr &src, const ipv6_addr &dst, const ipv6_addr &target,
              std::optional<mac_addr> slla, uint8_t code = 0) {
	return icmp6_frame(wire::multicast_mac(dst), peer_mac, src, dst, icmp6_ns, code,
	                   ns_body(target, slla), 255);
}

frame ipv6_with_payload(uint8_t nh, const frame &payload) {
	return eth(our_mac, peer_mac, et_ipv6, ipv6(peer6, our6, nh, payload));
}

const drop_case cases[] = {
    // Ethernet
    {"eth_truncated", [] { return frame(10, 0); }, drop_reason::eth_truncated},
    {"eth_not_for_us",
     [] {
	     frame f = good4();
	     f[5] = 0x77;
	     return f;
     },
     drop_reason::eth_not_for_us},
    {"eth_unknown_type", [] { return eth(our_mac, peer_mac, 0x88cc, pattern(46)); },
     drop_reason::eth_unknown_type},
    {"eth_vlan",
     [] {
	     frame tagged = eth(our_mac, peer_mac, 0x8100, {0x00, 0x0a, 0x08, 0x00});
	     put(tagged, ipv4(peer4, our4, proto_icmp, icmp4(8, 1, 1, pattern(8))));
	     return tagged;
     },
     drop_reason::eth_vlan},
    // ARP
    {"arp_truncated", [] { return eth(bcast_mac, peer_mac, et_arp, pattern(20)); },
     drop_reason::arp_malformed},
    {"arp_not_ethernet",
     [] {
	     frame f = arp_request_from_peer();
	     set16(f, l3, 6); // IEEE 802
	     return f;
     },
     drop_reason::arp_malformed},
    {"arp_multicast_sender",
     [] {
	     return eth(bcast_mac, peer_mac, et_arp,
	                arp(1, mac("01:00:5e:00:00:01"), peer4, mac_addr{}, our4));
     },
     drop_reason::arp_bad_sender},
    {"arp_broadcast_sender_ip",
     [] {
	     return eth(bcast_mac, peer_mac, et_arp,
	                arp(1, peer_mac, v4("255.255.255.255"), mac_addr{}, our4));
     },
     drop_reason::arp_bad_sender},
    {"arp_own_sender_ip",
     [] { return eth(bcast_mac, peer_mac, et_arp, arp(1, peer_mac, our4, mac_addr{}, our4)); },
     drop_reason::arp_bad_sender},
    {"arp_not_for_us", [] { return arp_request_from_peer(v4("198.18.0.3")); },
     drop_reason::arp_not_for_us},
    // IPv4
    {"ipv4_truncated", [] { return eth(our_mac, peer_mac, et_ipv4, pattern(19)); },
     drop_reason::ipv4_truncated},
    {"ipv4_bad_checksum",
     [] {
	     frame f = good4();
	     f[l3 + 10] ^= 0x01;
	     return f;
     },
     drop_reason::ipv4_bad_checksum},
    {"ipv4_bad_version", [] { return edit4([](frame &f) { f[l3] = 0x55; }); },
     drop_reason::ipv4_bad_version},
    {"ipv4_version_6_in_ipv4_frame", [] { return edit4([](frame &f) { f[l3] = 0x65; }); },
     drop_reason::ipv4_bad_version},
    {"ipv4_ihl_below_5", [] { return edit4([](frame &f) { f[l3] = 0x44; }); },
     drop_reason::ipv4_bad_header_length},
    {"ipv4_ihl_beyond_frame", [] { return edit4([](frame &f) { f[l3] = 0x4f; }, false); },
     drop_reason::ipv4_bad_header_length},
    {"ipv4_total_length_beyond_frame",
     [] { return edit4([](frame &f) { set16(f, l3 + 2, uint16_t(f.size() - l3 + 1)); }); },
     drop_reason::ipv4_bad_total_length},
    {"ipv4_total_length_below_header", [] { return edit4([](frame &f) { set16(f, l3 + 2, 19); }); },
     drop_reason::ipv4_bad_total_length},
    {"ipv4_multicast_source", [] { return edit4([](frame &f) { f[l3 + 12] = 224; }); },
     drop_reason::ipv4_bad_source},
    {"ipv4_own_source",
     [] {
	     return eth(our_mac, peer_mac, et_ipv4,
	                ipv4(our4, our4, proto_icmp, icmp4(8, 1, 1, pattern(8))));
     },
     drop_reason::ipv4_bad_source},
    {"ipv4_subnet_broadcast_source",
     [] {
	     return eth(our_mac, peer_mac, et_ipv4,
	                ipv4(v4("198.18.0.255"), our4, proto_icmp, icmp4(8, 1, 1, pattern(8))));
     },
     drop_reason::ipv4_bad_source},
    {"ipv4_loopback_source",
     [] {
	     return eth(our_mac, peer_mac, et_ipv4,
	                ipv4(v4("127.0.0.1"), our4, proto_icmp, icmp4(8, 1, 1, pattern(8))));
     },
     drop_reason::ipv4_bad_source},
    {"ipv4_not_for_us", [] { return echo4_request(1, 1, pattern(8), v4("198.18.0.3")); },
     drop_reason::ipv4_not_for_us},
    {"ipv4_more_fragments", [] { return edit4([](frame &f) { set16(f, l3 + 6, 0x2000); }); },
     drop_reason::ipv4_fragment},
    {"ipv4_fragment_offset", [] { return edit4([](frame &f) { set16(f, l3 + 6, 0x0010); }); },
     drop_reason::ipv4_fragment},
    {"ipv4_unknown_protocol",
     [] {
	     return eth(our_mac, peer_mac, et_ipv4,
	                ipv4(peer4, our4, proto_experiment, pattern(16)));
     },
     drop_reason::ipv4_unknown_protocol},
    {"icmp_truncated",
     [] { return eth(our_mac, peer_mac, et_ipv4, ipv4(peer4, our4, proto_icmp, pattern(4))); },
     drop_reason::icmp_truncated},
    {"icmp_bad_checksum",
     [] {
	     frame f = good4();
	     f[l4_v4 + 2] ^= 0x80;
	     return f;
     },
     drop_reason::icmp_bad_checksum},
    {"icmp_unhandled_type",
     [] {
	     return eth(our_mac, peer_mac, et_ipv4,
	                ipv4(peer4, our4, proto_icmp, icmp4(13, 1, 1, pattern(12))));
     },
     drop_reason::icmp_unhandled_type},
    {"icmp_multicast_echo",
     [] { return echo4_request(1, 1, pattern(8), v4("224.0.0.1"), mac("01:00:5e:00:00:01")); },
     drop_reason::icmp_broadcast_echo},
    // IPv6
    {"ipv6_truncated", [] { return eth(our_mac, peer_mac, et_ipv6, pattern(39)); },
     drop_reason::ipv6_truncated},
    {"ipv6_bad_version",
     [] {
	     frame f = good6();
	     f[l3] = 0x40;
	     return f;
     },
     drop_reason::ipv6_bad_version},
    {"ipv6_payload_length_beyond_frame",
     [] {
	     frame f = good6();
	     set16(f, l3 + 4, uint16_t(f.size() - l4_v6 + 1));
	     return f;
     },
     drop_reason::ipv6_bad_payload_length},
    {"ipv6_ext_header_overruns",
     [] {
	     return ipv6_with_payload(60, {proto_icmp6, 1, 1, 4, 0, 0, 0, 0});
     },
     drop_reason::ipv6_bad_ext_chain},
    {"ipv6_hop_by_hop_not_first",
     [] {
	     return ipv6_with_payload(60,
	                              {0, 0, 1, 4, 0, 0, 0, 0, proto_icmp6, 0, 1, 4, 0, 0, 0, 0});
     },
     drop_reason::ipv6_bad_ext_chain},
    {"ipv6_multicast_source",
     [] { return icmp6_with(v6("ff02::9"), our6, 128, echo_body(1, 1, pattern(8))); },
     drop_reason::ipv6_bad_source},
    {"ipv6_loopback_source",
     [] { return icmp6_with(v6("::1"), our6, 128, echo_body(1, 1, pattern(8))); },
     drop_reason::ipv6_bad_source},
    {"ipv6_own_source", [] { return icmp6_with(our6, our6, 128, echo_body(1, 1, pattern(8))); },
     drop_reason::ipv6_bad_source},
    {"ipv6_not_for_us",
     [] { return icmp6_with(peer6, v6("2001:2::3"), 128, echo_body(1, 1, pattern(8))); },
     drop_reason::ipv6_not_for_us},
    {"ipv6_group_not_joined",
     [] { return icmp6_with(peer6, v6("ff02::1:ff00:3"), 128, echo_body(1, 1, pattern(8))); },
     drop_reason::ipv6_not_for_us},
    {"ipv6_fragment",
     [] {
	     frame payload{proto_icmp6, 0, 0x00, 0x01, 0, 0, 0, 7}; // offset 0, M set
	     put(payload, icmp6(peer6, our6, 128, 0, echo_body(1, 1, pattern(8))));
	     return ipv6_with_payload(44, payload);
     },
     drop_reason::ipv6_fragment},
    {"ipv6_unknown_protocol", [] { return ipv6_with_payload(proto_experiment, pattern(16)); },
     drop_reason::ipv6_unknown_protocol},
    {"icmp6_truncated", [] { return ipv6_with_payload(proto_icmp6, pattern(4)); },
     drop_reason::icmp6_truncated},
    {"icmp6_bad_checksum",
     [] {
	     frame f = good6();
	     f[l4_v6 + 3] ^= 0x01;
	     return f;
     },
     drop_reason::icmp6_bad_checksum},
    {"icmp6_unhandled_type", [] { return icmp6_with(peer6, our6, 200, pattern(8)); },
     drop_reason::icmp6_unhandled_type},
    // NDP (RFC 4861 7.1.1 and 7.1.2)
    {"ndp_ns_hop_limit_64",
     [] { return icmp6_with(peer6, our6, icmp6_ns, ns_body(our6, peer_mac), 64); },
     drop_reason::ndp_invalid},
    {"ndp_ns_code_1", [] { return ns_with(peer6, our6.solicited_node(), our6, peer_mac, 1); },
     drop_reason::ndp_invalid},
    {"ndp_ns_truncated", [] { return icmp6_with(peer6, our6, icmp6_ns, pattern(12), 255); },
     drop_reason::ndp_invalid},
    {"ndp_ns_zero_length_option",
     [] {
	     frame body = ns_body(our6, std::nullopt);
	     put(body, frame{1, 0, 0, 0, 0, 0, 0, 0});
	     return icmp6_with(peer6, our6, icmp6_ns, body, 255);
     },
     drop_reason::ndp_invalid},
    {"ndp_ns_multicast_target",
     [] { return icmp6_with(peer6, our6, icmp6_ns, ns_body(v6("ff02::1"), peer_mac), 255); },
     drop_reason::ndp_invalid},
    {"ndp_dad_with_source_lladdr",
     [] { return ns_with(ipv6_addr{}, our6.solicited_node(), our6, peer_mac); },
     drop_reason::ndp_invalid},
    {"ndp_dad_to_unicast",
     [] { return icmp6_with(ipv6_addr{}, our6, icmp6_ns, ns_body(our6, std::nullopt), 255); },
     drop_reason::ndp_invalid},
    {"ndp_na_hop_limit_64",
     [] { return icmp6_with(peer6, our6, icmp6_na, na_body(0x60, peer6, peer_mac), 64); },
     drop_reason::ndp_invalid},
    {"ndp_ns_not_for_us",
     [] { return icmp6_with(peer6, our6, icmp6_ns, ns_body(v6("2001:2::3"), peer_mac), 255); },
     drop_reason::ndp_not_for_us},
};

class drop_test : public net_test, public testing::WithParamInterface<drop_case> {};

TEST_P(drop_test, counted_under_exactly_its_reason) {
	const drop_case &c = GetParam();
	auto out = exchange(c.make());
	EXPECT_TRUE(out.empty()) << out.size() << " frames transmitted";
	EXPECT_EQ(dropped(c.reason), 1u) << "expected " << net::drop_name(c.reason);
	EXPECT_EQ(total_drops(), 1u);
	for (size_t i = 0; i < net::n_drop_reasons; i++) {
		auto r = drop_reason(i);
		if (r != c.reason) {
			EXPECT_EQ(dropped(r), 0u) << "also counted under " << net::drop_name(r);
		}
	}
	EXPECT_EQ(_stack->totals().rx_packets, 1u);
	EXPECT_EQ(_stack->totals().tx_packets, 0u);
	EXPECT_EQ(arp_entry(peer4), nullptr) << "a dropped frame teaches nothing";
	EXPECT_EQ(nd_entry(peer6), nullptr) << "a dropped frame teaches nothing";
}

INSTANTIATE_TEST_SUITE_P(crafted, drop_test, testing::ValuesIn(cases),
                         [](const testing::TestParamInfo<drop_case> &i) { return i.param.name; });

} // namespace
} // namespace skiff::test
