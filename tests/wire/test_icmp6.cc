#include "packets.h"
#include "util.h"
#include "wire/checksum.h"
#include "wire/icmp6.h"
#include "wire/ipv6.h"

#include <set>

using namespace skiff::wire;
using namespace skiff::wire::testing;

namespace {

// The ICMPv6 bytes of a captured frame (no extension headers).
bytes icmp6_of(bytes frame) {
	return frame.subspan(14 + 40);
}

std::vector<uint8_t> options_types(const ndp_options &o) {
	std::vector<uint8_t> t;
	for (ndp_option opt : o) {
		t.push_back(opt.type);
	}
	return t;
}

// Every prefix of an NDP message: shorter than the fixed part is truncated;
// cutting inside an option is bad_option; a cut on an option boundary leaves
// a valid message with fewer options.
template <typename View> void expect_ndp_prefixes(bytes msg) {
	std::set<size_t> ok = {View::fixed_size};
	for (size_t off = View::fixed_size; off < msg.size(); off += size_t(msg[off + 1]) * 8) {
		ok.insert(off + size_t(msg[off + 1]) * 8);
	}
	for (size_t n = 0; n <= msg.size(); n++) {
		exact_copy c(msg.first(n));
		auto r = View::parse(c.get());
		if (n < View::fixed_size) {
			EXPECT_EQ(r.error(), parse_error::truncated) << n;
		} else if (ok.count(n)) {
			EXPECT_TRUE(r.ok()) << n;
		} else {
			EXPECT_EQ(r.error(), parse_error::bad_option) << n;
		}
	}
}

} // namespace

TEST(Icmp6, EveryTruncation) {
	expect_prefixes<icmp6_view>(icmp6_of(B(pkts::icmp6_echo_request)), 8);
}

TEST(Ndp, CapturedNeighborSolicitation) {
	auto ip = ipv6_view::parse(l3_of(B(pkts::ndp_ns)));
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->hop_limit(), 255);
	EXPECT_EQ(ip->dst().to_string(), "ff02::1:ff00:2");
	EXPECT_TRUE(l4_checksum_ok_v6(*ip));
	auto icmp = icmp6_view::parse(ip->upper_payload());
	ASSERT_TRUE(icmp.ok());
	EXPECT_EQ(icmp->type(), icmp6_type::neighbor_solicit);

	auto ns = ndp_ns_view::parse(ip->upper_payload());
	ASSERT_TRUE(ns.ok());
	EXPECT_EQ(ns->target().to_string(), "fd00::2");
	EXPECT_EQ(ns->target().solicited_node(), ip->dst());
	ASSERT_TRUE(ns->source_lladdr());
	EXPECT_EQ(ns->source_lladdr()->to_string(), "02:00:00:00:00:01");
	EXPECT_FALSE(ns->target_lladdr());
	EXPECT_EQ(options_types(ns->options()), std::vector<uint8_t>{ndp_opt::source_lladdr});
	auto o = *ns->options().begin();
	EXPECT_EQ(o.data.size(), 6u);
	expect_ndp_prefixes<ndp_ns_view>(ip->upper_payload());
}

TEST(Ndp, CapturedNeighborAdvertisement) {
	auto na = ndp_na_view::parse(icmp6_of(B(pkts::ndp_na)));
	ASSERT_TRUE(na.ok());
	EXPECT_FALSE(na->router());
	EXPECT_TRUE(na->solicited());
	EXPECT_TRUE(na->override_flag());
	EXPECT_EQ(na->target().to_string(), "fd00::2");
	ASSERT_TRUE(na->target_lladdr());
	EXPECT_EQ(na->target_lladdr()->to_string(), "02:00:00:00:00:02");
	EXPECT_FALSE(na->source_lladdr());
	expect_ndp_prefixes<ndp_na_view>(icmp6_of(B(pkts::ndp_na)));
}

TEST(Ndp, CapturedDadSolicitationWithNonce) {
	auto ip = ipv6_view::parse(l3_of(B(pkts::ndp_dad_ns)));
	ASSERT_TRUE(ip.ok());
	EXPECT_TRUE(ip->src().is_unspecified());
	auto ns = ndp_ns_view::parse(ip->upper_payload());
	ASSERT_TRUE(ns.ok());
	EXPECT_EQ(ns->target().to_string(), "fe80::ff:fe00:2");
	EXPECT_FALSE(ns->source_lladdr());
	auto nonce = ns->options().find(ndp_opt::nonce);
	ASSERT_TRUE(nonce);
	EXPECT_EQ(nonce->data.size(), 6u);
}

TEST(Ndp, CapturedRouterSolicitation) {
	auto rs = ndp_rs_view::parse(icmp6_of(B(pkts::ndp_rs)));
	ASSERT_TRUE(rs.ok());
	ASSERT_TRUE(rs->source_lladdr());
	EXPECT_EQ(rs->source_lladdr()->to_string(), "02:00:00:00:00:02");
	expect_ndp_prefixes<ndp_rs_view>(icmp6_of(B(pkts::ndp_rs)));
}

TEST(Ndp, RouterAdvertisementWithPrefix) {
	auto ip = ipv6_view::parse(l3_of(B(pkts::ndp_ra)));
	ASSERT_TRUE(ip.ok());
	EXPECT_TRUE(l4_checksum_ok_v6(*ip));
	auto ra = ndp_ra_view::parse(ip->upper_payload());
	ASSERT_TRUE(ra.ok());
	EXPECT_EQ(ra->cur_hop_limit(), 64);
	EXPECT_FALSE(ra->managed());
	EXPECT_TRUE(ra->other_config());
	EXPECT_EQ(ra->router_lifetime(), 1800);
	EXPECT_EQ(ra->reachable_time(), 30000u);
	EXPECT_EQ(ra->retrans_timer(), 1000u);
	EXPECT_EQ(ra->source_lladdr()->to_string(), "02:00:00:00:00:fe");
	EXPECT_EQ(ra->mtu(), 1500u);
	EXPECT_EQ(
	    options_types(ra->options()),
	    (std::vector<uint8_t>{ndp_opt::source_lladdr, ndp_opt::mtu, ndp_opt::prefix_info}));

	auto opt = ra->options().find(ndp_opt::prefix_info);
	ASSERT_TRUE(opt);
	auto pi = ndp_prefix_info::parse(*opt);
	ASSERT_TRUE(pi.ok());
	EXPECT_EQ(pi->prefix_len(), 64);
	EXPECT_TRUE(pi->on_link());
	EXPECT_TRUE(pi->autonomous());
	EXPECT_EQ(pi->valid_lifetime(), 86400u);
	EXPECT_EQ(pi->preferred_lifetime(), 14400u);
	EXPECT_EQ(pi->prefix().to_string(), "fd00:1::");
	expect_ndp_prefixes<ndp_ra_view>(ip->upper_payload());
}

TEST(Ndp, PrefixInfoRejectsBadSizes) {
	auto ra = ndp_ra_view::parse(icmp6_of(B(pkts::ndp_ra)));
	ASSERT_TRUE(ra.ok());
	ndp_option pi = *ra->options().find(ndp_opt::prefix_info);
	EXPECT_EQ(ndp_prefix_info::parse({pi.type, pi.data.first(22)}).error(),
	          parse_error::bad_option);
	EXPECT_EQ(ndp_prefix_info::parse(*ra->options().find(ndp_opt::mtu)).error(),
	          parse_error::bad_option);
	auto v = to_vec(pi.data);
	v[0] = 129;
	EXPECT_EQ(ndp_prefix_info::parse({pi.type, v}).error(), parse_error::bad_field);
}

TEST(Ndp, OptionLengthZeroRejected) {
	auto v = to_vec(icmp6_of(B(pkts::ndp_ns)));
	v[25] = 0; // the SLLA option's length
	EXPECT_EQ(ndp_ns_view::parse(v).error(), parse_error::bad_option);
}

TEST(Ndp, OptionOverrunRejected) {
	auto v = to_vec(icmp6_of(B(pkts::ndp_ns)));
	v[25] = 2; // claims 16 bytes, 8 present
	EXPECT_EQ(ndp_ns_view::parse(v).error(), parse_error::bad_option);
	v[25] = 255;
	EXPECT_EQ(ndp_ns_view::parse(v).error(), parse_error::bad_option);
	// A lone trailing byte cannot even hold a length.
	v = to_vec(icmp6_of(B(pkts::ndp_ns)));
	v.push_back(1);
	EXPECT_EQ(ndp_ns_view::parse(v).error(), parse_error::bad_option);
}

TEST(Ndp, TypeCodeAndTargetChecked) {
	auto v = to_vec(icmp6_of(B(pkts::ndp_ns)));
	EXPECT_EQ(ndp_na_view::parse(v).error(), parse_error::bad_field); // NS is not an NA
	EXPECT_EQ(ndp_rs_view::parse(v).error(), parse_error::bad_field);
	v[1] = 1; // code
	EXPECT_EQ(ndp_ns_view::parse(v).error(), parse_error::bad_field);
	v = to_vec(icmp6_of(B(pkts::ndp_ns)));
	v[8] = 0xff; // multicast target
	EXPECT_EQ(ndp_ns_view::parse(v).error(), parse_error::bad_field);
}

TEST(Icmp6, PortUnreachableQuotesPacket) {
	// The kernel's answer to udp6_hello, captured in the same session:
	// this header, then the whole offending packet.
	const uint8_t head[] = {0x01, 0x04, 0xc3, 0x20, 0x00, 0x00, 0x00, 0x00};
	std::vector<uint8_t> v(head, std::end(head));
	auto inner = l3_of(B(pkts::udp6_hello));
	v.insert(v.end(), inner.begin(), inner.end());
	uint32_t pseudo =
	    ipv6_pseudo_sum(*ipv6_addr::parse("fd00::2"), *ipv6_addr::parse("fd00::1"),
	                    ip_proto::icmpv6, uint32_t(v.size()));
	EXPECT_EQ(cksum_fold(cksum_add(v, pseudo)), 0);
	auto icmp = icmp6_view::parse(v);
	ASSERT_TRUE(icmp.ok());
	EXPECT_EQ(icmp->type(), icmp6_type::dest_unreachable);
	EXPECT_EQ(icmp->code(), icmp6_unreach::port);
	auto ip = ipv6_view::parse(icmp->data());
	ASSERT_TRUE(ip.ok());
	EXPECT_EQ(ip->upper_proto(), ip_proto::udp);
}
