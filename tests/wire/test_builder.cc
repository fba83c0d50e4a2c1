#include "packets.h"
#include "test_env.h"
#include "util.h"
#include "wire/builder.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/icmp6.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/udp.h"

using namespace skiff::wire;
using namespace skiff::wire::testing;

namespace {

const mac_addr mac1 = *mac_addr::parse("02:00:00:00:00:01");
const mac_addr mac2 = *mac_addr::parse("02:00:00:00:00:02");
const ipv4_addr ip1 = ipv4_addr::from_octets(10, 0, 0, 1);
const ipv4_addr ip2 = ipv4_addr::from_octets(10, 0, 0, 2);
const ipv6_addr ip6_1 = *ipv6_addr::parse("fd00::1");
const ipv6_addr ip6_2 = *ipv6_addr::parse("fd00::2");
const bytes hello(reinterpret_cast<const uint8_t *>("hello skiff"), 11);

// An mbuf from the test pool, freed at scope exit.
class mbuf {
public:
	mbuf() : _m(rte_pktmbuf_alloc(skiff::test::pool())) {}
	~mbuf() { rte_pktmbuf_free(_m); }
	mbuf(const mbuf &) = delete;
	mbuf &operator=(const mbuf &) = delete;
	rte_mbuf *get() const { return _m; }
	rte_mbuf *operator->() const { return _m; }
	bytes data() const { return bytes(rte_pktmbuf_mtod(_m, const uint8_t *), _m->data_len); }

private:
	rte_mbuf *_m;
};

} // namespace

TEST(Builder, UdpIpv4MatchesCapture) {
	mbuf m;
	ASSERT_NE(m.get(), nullptr);
	ASSERT_TRUE(append_bytes(m.get(), hello));
	ASSERT_NE(push_udp(m.get(), 34299, 5353), nullptr);
	ASSERT_TRUE(finalize_l4_cksum_v4(m.get(), ip1, ip2, ip_proto::udp, {}));
	ASSERT_NE(push_ipv4(m.get(), ip1, ip2, ip_proto::udp, 64, {}, {.id = 0xe95d}), nullptr);
	ASSERT_NE(push_eth(m.get(), mac2, mac1, ethertype::ipv4), nullptr);
	EXPECT_EQ(to_vec(m.data()), to_vec(B(pkts::udp4_hello)));
	EXPECT_EQ(m->l2_len, 14u);
	EXPECT_EQ(m->l3_len, 20u);
	EXPECT_EQ(m->l4_len, 8u);
	EXPECT_EQ(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK, 0u);
}

TEST(Builder, UdpIpv6MatchesCapture) {
	mbuf m;
	ASSERT_TRUE(append_bytes(m.get(), hello));
	ASSERT_NE(push_udp(m.get(), 56941, 5353), nullptr);
	ASSERT_TRUE(finalize_l4_cksum_v6(m.get(), ip6_1, ip6_2, ip_proto::udp, {}));
	ASSERT_NE(push_ipv6(m.get(), ip6_1, ip6_2, ip_proto::udp, 64, {.flow_label = 0xcd01d}),
	          nullptr);
	ASSERT_NE(push_eth(m.get(), mac2, mac1, ethertype::ipv6), nullptr);
	EXPECT_EQ(to_vec(m.data()), to_vec(B(pkts::udp6_hello)));
	EXPECT_EQ(m->l3_len, 40u);
}

TEST(Builder, TcpSynMatchesCapture) {
	auto opts = tcp_options::parse(l3_of(B(pkts::tcp4_syn)).subspan(40, 20));
	ASSERT_TRUE(opts.ok());
	mbuf m;
	tcp_header_fields f{.src_port = 35014,
	                    .dst_port = 80,
	                    .seq = 3331708956,
	                    .flags = tcp_flags::SYN,
	                    .window = 64240};
	ASSERT_NE(push_tcp(m.get(), f, *opts), nullptr);
	EXPECT_EQ(m->l4_len, 40u);
	ASSERT_TRUE(finalize_l4_cksum_v4(m.get(), ip1, ip2, ip_proto::tcp, {}));
	ASSERT_NE(push_ipv4(m.get(), ip1, ip2, ip_proto::tcp, 64, {}, {.id = 0xdda7}), nullptr);
	ASSERT_NE(push_eth(m.get(), mac2, mac1, ethertype::ipv4), nullptr);
	EXPECT_EQ(to_vec(m.data()), to_vec(B(pkts::tcp4_syn)));
}

TEST(Builder, IcmpEchoMatchesCapture) {
	mbuf m;
	ASSERT_TRUE(append_bytes(m.get(), l3_of(B(pkts::icmp4_echo_request)).subspan(28)));
	ASSERT_NE(push_icmp4(m.get(), icmp4_type::echo_request, 0, 0x21ec0001), nullptr);
	ASSERT_NE(push_ipv4(m.get(), ip1, ip2, ip_proto::icmp, 64, {}, {.id = 0xb5ac}), nullptr);
	ASSERT_NE(push_eth(m.get(), mac2, mac1, ethertype::ipv4), nullptr);
	EXPECT_EQ(to_vec(m.data()), to_vec(B(pkts::icmp4_echo_request)));
}

TEST(Builder, Icmp6EchoAndNeighborSolicitationMatchCapture) {
	mbuf echo;
	ASSERT_TRUE(append_bytes(echo.get(), l3_of(B(pkts::icmp6_echo_request)).subspan(48)));
	ASSERT_NE(push_icmp6(echo.get(), ip6_1, ip6_2, icmp6_type::echo_request, 0, 0x21ee0001),
	          nullptr);
	ASSERT_NE(
	    push_ipv6(echo.get(), ip6_1, ip6_2, ip_proto::icmpv6, 64, {.flow_label = 0x72f34}),
	    nullptr);
	ASSERT_NE(push_eth(echo.get(), mac2, mac1, ethertype::ipv6), nullptr);
	EXPECT_EQ(to_vec(echo.data()), to_vec(B(pkts::icmp6_echo_request)));

	mbuf ns;
	const uint8_t slla[] = {ndp_opt::source_lladdr, 1, 2, 0, 0, 0, 0, 1};
	ASSERT_TRUE(append_bytes(ns.get(), ip6_2.b));
	ASSERT_TRUE(append_bytes(ns.get(), B(slla)));
	ipv6_addr group = ip6_2.solicited_node();
	ASSERT_NE(push_icmp6(ns.get(), ip6_1, group, icmp6_type::neighbor_solicit, 0, 0), nullptr);
	ASSERT_NE(push_ipv6(ns.get(), ip6_1, group, ip_proto::icmpv6, 255), nullptr);
	ASSERT_NE(push_eth(ns.get(), multicast_mac(group), mac1, ethertype::ipv6), nullptr);
	EXPECT_EQ(to_vec(ns.data()), to_vec(B(pkts::ndp_ns)));
}

TEST(Builder, FullOffloadSetsFlagsAndSeed) {
	tx_offloads ol{.ipv4_cksum = true, .udp_cksum = true, .tcp_cksum = true};
	mbuf m;
	ASSERT_TRUE(append_bytes(m.get(), hello));
	ASSERT_NE(push_udp(m.get(), 1000, 2000), nullptr);
	ASSERT_TRUE(finalize_l4_cksum_v4(m.get(), ip1, ip2, ip_proto::udp, ol));
	auto *ip = push_ipv4(m.get(), ip1, ip2, ip_proto::udp, 64, ol);
	ASSERT_NE(ip, nullptr);
	ASSERT_NE(push_eth(m.get(), mac2, mac1, ethertype::ipv4), nullptr);
	EXPECT_EQ(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK,
	          RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM);
	EXPECT_EQ(m->l2_len, 14u);
	EXPECT_EQ(m->l3_len, 20u);
	EXPECT_EQ(m->l4_len, 8u);
	EXPECT_EQ(ip->hdr_checksum, 0);
	auto *udp = reinterpret_cast<rte_udp_hdr *>(ip + 1);
	EXPECT_EQ(udp->dgram_cksum, rte_ipv4_phdr_cksum(ip, m->ol_flags));
}

TEST(Builder, TcpOffloadOverIpv6) {
	tx_offloads ol{.tcp_cksum = true};
	mbuf m;
	ASSERT_NE(push_tcp(m.get(), {.src_port = 1, .dst_port = 2, .flags = tcp_flags::SYN}),
	          nullptr);
	EXPECT_EQ(m->l4_len, 20u);
	ASSERT_TRUE(finalize_l4_cksum_v6(m.get(), ip6_1, ip6_2, ip_proto::tcp, ol));
	auto *ip = push_ipv6(m.get(), ip6_1, ip6_2, ip_proto::tcp, 64);
	ASSERT_NE(ip, nullptr);
	EXPECT_EQ(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK,
	          RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM);
	auto *tcp = reinterpret_cast<rte_tcp_hdr *>(ip + 1);
	EXPECT_EQ(tcp->cksum, rte_ipv6_phdr_cksum(ip, m->ol_flags));
}

TEST(Builder, IpChecksumOffloadOnly) {
	tx_offloads ol{.ipv4_cksum = true};
	mbuf m;
	ASSERT_TRUE(append_bytes(m.get(), hello));
	ASSERT_NE(push_udp(m.get(), 1000, 2000), nullptr);
	ASSERT_TRUE(finalize_l4_cksum_v4(m.get(), ip1, ip2, ip_proto::udp, ol));
	ASSERT_NE(push_ipv4(m.get(), ip1, ip2, ip_proto::udp, 64, ol), nullptr);
	EXPECT_EQ(m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK,
	          RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM);
	auto v = ipv4_view::parse(m.data());
	ASSERT_TRUE(v.ok());
	EXPECT_TRUE(l4_checksum_ok_v4(*v));
}

TEST(Builder, UdpChecksumZeroIsSentAsAllOnes) {
	auto build = [](const uint8_t *payload) {
		auto m = std::make_unique<mbuf>();
		EXPECT_TRUE(append_bytes(m->get(), bytes(payload, 2)));
		EXPECT_NE(push_udp(m->get(), 1000, 2000), nullptr);
		EXPECT_TRUE(finalize_l4_cksum_v4(m->get(), ip1, ip2, ip_proto::udp, {}));
		return m;
	};
	const uint8_t zero[2] = {0, 0};
	auto first = build(zero);
	// Payload equal to that checksum makes the sum 0xffff: checksum 0.
	uint8_t fix[2];
	std::memcpy(fix, first->data().data() + 6, 2);
	auto second = build(fix);
	EXPECT_EQ(second->data()[6], 0xff);
	EXPECT_EQ(second->data()[7], 0xff);
	ASSERT_NE(push_ipv4(second->get(), ip1, ip2, ip_proto::udp, 64, {}), nullptr);
	auto v = ipv4_view::parse((*second).data());
	ASSERT_TRUE(v.ok());
	EXPECT_TRUE(l4_checksum_ok_v4(*v));
}

TEST(Builder, NoHeadroomFailsCleanly) {
	mbuf m;
	m->data_off = 0;
	EXPECT_EQ(push_eth(m.get(), mac2, mac1, ethertype::ipv4), nullptr);
	EXPECT_EQ(push_ipv4(m.get(), ip1, ip2, ip_proto::udp, 64, {}), nullptr);
	EXPECT_EQ(push_ipv6(m.get(), ip6_1, ip6_2, ip_proto::udp, 64), nullptr);
	EXPECT_EQ(push_udp(m.get(), 1, 2), nullptr);
	EXPECT_EQ(push_tcp(m.get(), {}), nullptr);
	EXPECT_EQ(push_icmp4(m.get(), 8, 0, 0), nullptr);
	EXPECT_EQ(push_icmp6(m.get(), ip6_1, ip6_2, 128, 0, 0), nullptr);
	EXPECT_EQ(m->data_off, 0);
	EXPECT_EQ(m->pkt_len, 0u);

	// One byte short of each header.
	m->data_off = 13;
	EXPECT_EQ(push_eth(m.get(), mac2, mac1, ethertype::ipv4), nullptr);
	m->data_off = 19;
	EXPECT_EQ(push_ipv4(m.get(), ip1, ip2, ip_proto::udp, 64, {}), nullptr);
	m->data_off = 7;
	EXPECT_EQ(push_udp(m.get(), 1, 2), nullptr);
	m->data_off = 8;
	EXPECT_NE(push_udp(m.get(), 1, 2), nullptr);
	EXPECT_EQ(m->data_off, 0);
}

TEST(Builder, NoTailroomAndBadArguments) {
	mbuf m;
	std::vector<uint8_t> big(rte_pktmbuf_tailroom(m.get()) + 1, 0);
	EXPECT_FALSE(append_bytes(m.get(), big));
	EXPECT_EQ(m->pkt_len, 0u);
	// Nothing to finalize: shorter than a UDP header, or an unknown proto.
	EXPECT_FALSE(finalize_l4_cksum_v4(m.get(), ip1, ip2, ip_proto::udp, {}));
	ASSERT_NE(push_udp(m.get(), 1, 2), nullptr);
	EXPECT_FALSE(finalize_l4_cksum_v4(m.get(), ip1, ip2, ip_proto::icmp, {}));
	EXPECT_FALSE(finalize_l4_cksum_v6(m.get(), ip6_1, ip6_2, 99, {}));
	EXPECT_TRUE(finalize_l4_cksum_v6(m.get(), ip6_1, ip6_2, ip_proto::udp, {}));
}

TEST(Builder, LengthOverflowRefused) {
	mbuf m;
	uint16_t off = m->data_off;
	// Claim a near-64 KiB packet: the length fields cannot hold it plus a header.
	m->pkt_len = 65530;
	EXPECT_EQ(push_ipv4(m.get(), ip1, ip2, ip_proto::udp, 64, {}), nullptr);
	EXPECT_EQ(push_udp(m.get(), 1, 2), nullptr);
	m->pkt_len = 65536;
	EXPECT_EQ(push_ipv6(m.get(), ip6_1, ip6_2, ip_proto::udp, 64), nullptr);
	EXPECT_EQ(m->data_off, off);
	m->pkt_len = 0;
}
