// net_wire as a plain cable: devargs, pairing, link state, MACs, intact
// forwarding, counters, queue depth, MTU, cable pulls, stop/close hygiene.

#include "wire_fixture.h"

#include "net_wire/rte_pmd_net_wire.h"
#include "net_wire/wire_private.h"

#include <rte_cycles.h>

#include <set>
#include <string>

namespace skiff::test {
namespace {

using net_wire::parse_devargs;

TEST(NetWireDevargs, ParsesEveryKey) {
	auto r = parse_devargs("net_wire0",
	                       "link=x,loss=1.5,ge_p=1,ge_r=25,delay=2000,jitter=100,reorder=10,"
	                       "reorder_gap=2,reorder_timeout=500,dup=2,corrupt=0.5,rate_pps=10k,"
	                       "rate_bps=2.5G,mtu=9000,queue=4096,seed=0x2a,mac=02:00:00:00:00:09");
	ASSERT_TRUE(r.ok()) << r.err().message;
	const net_wire::impairments &imp = r.value();
	EXPECT_STREQ(imp.link, "x");
	EXPECT_EQ(imp.loss, 64424509u);                      // 1.5% of 2^32
	EXPECT_EQ(imp.ge_bad_loss, net_wire::chance_always); // default 1-h = 100%
	EXPECT_EQ(imp.delay_us, 2000u);
	EXPECT_EQ(imp.rate_pps, 10000u);
	EXPECT_EQ(imp.rate_bps, 2500000000u);
	EXPECT_EQ(imp.mtu, 9000);
	EXPECT_EQ(imp.depth, 4096u);
	EXPECT_EQ(imp.seed, 42u);
	EXPECT_EQ(imp.mac.addr_bytes[5], 9);
	EXPECT_EQ(imp.reorder_gap, 2u);
}

TEST(NetWireDevargs, OneLineErrors) {
	struct {
		const char *args;
		const char *message;
	} cases[] = {
	    {"", "net_wire9: needs link=NAME; both ends of a cable use the same NAME"},
	    {"loss=1", "net_wire9: needs link=NAME; both ends of a cable use the same NAME"},
	    {"link=x,loss=101", "net_wire9: loss=101: expected a percentage from 0 to 100"},
	    {"link=x,delay=-1", "net_wire9: delay=-1: expected microseconds from 0 to 60000000"},
	    {"link=x,rate_bps=10", "net_wire9: rate_bps=10: expected bits per second, 1000 to "
	                           "1e13 (suffix k, M or G)"},
	    {"link=a.b", "net_wire9: link=a.b: expected 1 to 16 of [A-Za-z0-9_-]"},
	    {"link=x,ge_p=1", "net_wire9: ge_p needs ge_r (the chance per packet to leave a "
	                      "loss burst, in %)"},
	    {"link=x,mac=zz", "net_wire9: mac=zz: expected a MAC address xx:xx:xx:xx:xx:xx"},
	};
	for (const auto &c : cases) {
		auto r = parse_devargs("net_wire9", c.args);
		ASSERT_FALSE(r.ok()) << c.args;
		EXPECT_EQ(r.err().message, c.message);
		EXPECT_EQ(r.err().code, -EINVAL);
	}
	auto r = parse_devargs("net_wire9", "link=x,lose=1");
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.err().message.rfind("net_wire9: unknown devarg 'lose'; known: link=<name>", 0),
	          0u)
	    << r.err().message;
}

class NetWire : public wire_test {};

TEST_F(NetWire, ProbeRejectsBadDevargsAndAThirdEnd) {
	EXPECT_LT(create("net_wire_bad0", ""), 0);
	EXPECT_LT(create("net_wire_bad1", "link=x,loss=abc"), 0);
	ASSERT_GE(create("net_wire_" + link_name() + "p", "link=" + link_name()), 0);
	ASSERT_GE(create("net_wire_" + link_name() + "q", "link=" + link_name()), 0);
	EXPECT_EQ(create("net_wire_" + link_name() + "r", "link=" + link_name()), -EBUSY);
}

TEST_F(NetWire, LinkIsUpOnlyWhileBothEndsRun) {
	int pa = create("net_wire_" + link_name() + "a", "link=" + link_name());
	int pb = create("net_wire_" + link_name() + "b", "link=" + link_name());
	ASSERT_GE(pa, 0);
	ASSERT_GE(pb, 0);
	rte_eth_link link;
	configure(static_cast<uint16_t>(pa), 1, false);
	ASSERT_EQ(rte_eth_link_get_nowait(static_cast<uint16_t>(pa), &link), 0);
	EXPECT_EQ(link.link_status, RTE_ETH_LINK_DOWN) << "the other end is not started";
	configure(static_cast<uint16_t>(pb), 1, false);
	for (int p : {pa, pb}) {
		ASSERT_EQ(rte_eth_link_get_nowait(static_cast<uint16_t>(p), &link), 0);
		EXPECT_EQ(link.link_status, RTE_ETH_LINK_UP);
		EXPECT_EQ(link.link_speed, RTE_ETH_SPEED_NUM_100G);
		EXPECT_EQ(link.link_duplex, RTE_ETH_LINK_FULL_DUPLEX);
	}
	ASSERT_EQ(rte_eth_dev_stop(static_cast<uint16_t>(pb)), 0);
	ASSERT_EQ(rte_eth_link_get_nowait(static_cast<uint16_t>(pa), &link), 0);
	EXPECT_EQ(link.link_status, RTE_ETH_LINK_DOWN);
}

TEST_F(NetWire, RandomLocallyAdministeredMacsOrTheDevarg) {
	open("", "mac=02:aa:bb:cc:dd:ee");
	rte_ether_addr ma, mb;
	ASSERT_EQ(rte_eth_macaddr_get(a, &ma), 0);
	ASSERT_EQ(rte_eth_macaddr_get(b, &mb), 0);
	EXPECT_TRUE(rte_is_local_admin_ether_addr(&ma));
	EXPECT_TRUE(rte_is_unicast_ether_addr(&ma));
	rte_ether_addr want = {{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}};
	EXPECT_TRUE(rte_is_same_ether_addr(&mb, &want));
	EXPECT_EQ(rte_eth_promiscuous_enable(a), 0);
	EXPECT_EQ(rte_eth_allmulticast_enable(a), 0);
}

TEST_F(NetWire, ForwardsBothWaysIntactWithReceiveFields) {
	open("", "");
	for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
		std::vector<rte_mbuf *> out;
		std::vector<std::vector<uint8_t>> want;
		for (uint32_t i = 0; i < 1000; i++) {
			rte_mbuf *m =
			    make_udp(pool, {.seq = i, .len = static_cast<uint16_t>(60 + i % 1400)});
			ASSERT_NE(m, nullptr);
			// Flags a stack or an earlier NIC left must not reach the receiver.
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
			want.push_back(bytes_of(m));
			out.push_back(m);
		}
		send(from, 0, out);
		auto got = receive(to, 1000);
		ASSERT_EQ(got.size(), 1000u);
		for (size_t i = 0; i < got.size(); i++) {
			EXPECT_EQ(bytes_of(got[i]), want[i]) << "packet " << i;
			EXPECT_EQ(got[i]->port, to);
			EXPECT_EQ(got[i]->ol_flags & ~RTE_MBUF_F_INDIRECT, 0u);
		}
		rte_pktmbuf_free_bulk(got.data(), static_cast<unsigned>(got.size()));
	}
	rte_eth_stats sa, sb;
	ASSERT_EQ(rte_eth_stats_get(a, &sa), 0);
	ASSERT_EQ(rte_eth_stats_get(b, &sb), 0);
	EXPECT_EQ(sa.opackets, 1000u);
	EXPECT_EQ(sb.ipackets, 1000u);
	EXPECT_EQ(sa.obytes, sb.ibytes);
	EXPECT_EQ(sb.obytes, sa.ibytes);
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		bytes += 60 + i % 1400;
	}
	EXPECT_EQ(sa.obytes, bytes);
	EXPECT_EQ(sa.q_opackets[0], 1000u);
	EXPECT_EQ(sb.q_ipackets[0], 1000u);
	ASSERT_EQ(rte_eth_stats_reset(a), 0);
	ASSERT_EQ(rte_eth_stats_get(a, &sa), 0);
	EXPECT_EQ(sa.opackets, 0u);
	EXPECT_EQ(sa.ipackets, 0u);
}

TEST_F(NetWire, XstatsNameEveryImpairmentCounter) {
	open("", "");
	int n = rte_eth_xstats_get_names(a, nullptr, 0);
	ASSERT_GT(n, 0);
	std::vector<rte_eth_xstat_name> names(static_cast<size_t>(n));
	ASSERT_EQ(rte_eth_xstats_get_names(a, names.data(), static_cast<unsigned>(n)), n);
	std::set<std::string> have;
	for (const auto &x : names) {
		have.insert(x.name);
	}
	for (const char *want :
	     {"dropped_loss", "dropped_burst", "dropped_rate", "dropped_mtu", "dropped_queue_full",
	      "dropped_link_down", "corrupted", "duplicated", "reordered", "delayed", "rx_held",
	      "rx_q0_packets", "tx_q0_bytes"}) {
		EXPECT_TRUE(have.count(want)) << want;
	}
}

TEST_F(NetWire, QueueDepthTailDrops) {
	open("queue=64", "");
	std::vector<rte_mbuf *> out;
	for (uint32_t i = 0; i < 100; i++) {
		out.push_back(make_udp(pool, {.seq = i}));
	}
	send(a, 0, out); // nobody polls b: the cable fills up
	EXPECT_EQ(xstat(a, "dropped_queue_full"), 36u);
	EXPECT_EQ(xstat(b, "rx_held"), 64u);
	auto got = receive(b, 100);
	ASSERT_EQ(got.size(), 64u);
	for (uint32_t i = 0; i < 64; i++) {
		EXPECT_EQ(seq_of(got[i]), i) << "tail drop keeps the head";
	}
	rte_pktmbuf_free_bulk(got.data(), static_cast<unsigned>(got.size()));
	EXPECT_EQ(xstat(b, "rx_held"), 0u);
}

TEST_F(NetWire, MtuDropsBiggerFramesButAllowsOneVlanTag) {
	open("mtu=1000", "");
	uint16_t mtu = 0;
	ASSERT_EQ(rte_eth_dev_get_mtu(a, &mtu), 0);
	EXPECT_EQ(mtu, 1000);
	send(a, 0,
	     {make_udp(pool, {.seq = 1, .len = 1014}), make_udp(pool, {.seq = 2, .len = 1015}),
	      make_udp(pool, {.seq = 3, .len = 1018, .vlan = true}),
	      make_udp(pool, {.seq = 4, .len = 1019, .vlan = true})});
	auto got = receive(b, 4);
	ASSERT_EQ(got.size(), 2u);
	EXPECT_EQ(seq_of(got[0]), 1u);
	EXPECT_EQ(seq_of(got[1]), 3u);
	rte_pktmbuf_free_bulk(got.data(), 2);
	EXPECT_EQ(xstat(a, "dropped_mtu"), 2u);
	rte_eth_stats st;
	ASSERT_EQ(rte_eth_stats_get(a, &st), 0);
	EXPECT_EQ(st.oerrors, 2u);
	// The MTU can change at run time.
	ASSERT_EQ(rte_eth_dev_set_mtu(a, 1500), 0);
	send(a, 0, {make_udp(pool, {.seq = 5, .len = 1514})});
	got = receive(b, 1);
	ASSERT_EQ(got.size(), 1u);
	rte_pktmbuf_free(got[0]);
}

int lsc_events(uint16_t, rte_eth_event_type, void *arg, void *) {
	++*static_cast<int *>(arg);
	return 0;
}

TEST_F(NetWire, CablePullDropsAndCountsThenRecovers) {
	open("", "");
	int events = 0;
	ASSERT_EQ(rte_eth_dev_callback_register(a, RTE_ETH_EVENT_INTR_LSC, lsc_events, &events), 0);
	ASSERT_EQ(rte_pmd_net_wire_set_link(b, 0), 0);
	rte_eth_link link;
	for (uint16_t p : {a, b}) {
		ASSERT_EQ(rte_eth_link_get_nowait(p, &link), 0);
		EXPECT_EQ(link.link_status, RTE_ETH_LINK_DOWN);
	}
	std::vector<rte_mbuf *> out;
	for (uint32_t i = 0; i < 50; i++) {
		out.push_back(make_udp(pool, {.seq = i}));
	}
	send(a, 0, out);
	EXPECT_TRUE(receive(b, 1, 20).empty());
	EXPECT_EQ(xstat(a, "dropped_link_down"), 50u);
	ASSERT_EQ(rte_pmd_net_wire_set_link(a, 1), 0);
	send(a, 0, {make_udp(pool, {.seq = 99})});
	auto got = receive(b, 1);
	ASSERT_EQ(got.size(), 1u);
	EXPECT_EQ(seq_of(got[0]), 99u);
	rte_pktmbuf_free(got[0]);

	// dev_set_link_down on either end does the same.
	ASSERT_EQ(rte_eth_dev_set_link_down(b), 0);
	ASSERT_EQ(rte_eth_link_get_nowait(a, &link), 0);
	EXPECT_EQ(link.link_status, RTE_ETH_LINK_DOWN);
	ASSERT_EQ(rte_eth_dev_set_link_up(b), 0);
	ASSERT_EQ(rte_eth_link_get_nowait(a, &link), 0);
	EXPECT_EQ(link.link_status, RTE_ETH_LINK_UP);
	rte_eth_dev_callback_unregister(a, RTE_ETH_EVENT_INTR_LSC, lsc_events, &events);
	EXPECT_EQ(rte_pmd_net_wire_set_link(RTE_MAX_ETHPORTS - 1, 0), -ENODEV);
}

TEST_F(NetWire, LscEventsReachAppsThatAskForThem) {
	int pa = create("net_wire_" + link_name() + "a", "link=" + link_name());
	int pb = create("net_wire_" + link_name() + "b", "link=" + link_name());
	ASSERT_GE(pa, 0);
	ASSERT_GE(pb, 0);
	a = static_cast<uint16_t>(pa);
	b = static_cast<uint16_t>(pb);
	int events = 0;
	ASSERT_EQ(rte_eth_dev_callback_register(a, RTE_ETH_EVENT_INTR_LSC, lsc_events, &events), 0);
	rte_eth_conf conf{};
	conf.intr_conf.lsc = 1;
	for (uint16_t p : {a, b}) {
		ASSERT_EQ(rte_eth_dev_configure(p, 1, 1, &conf), 0);
		ASSERT_EQ(rte_eth_rx_queue_setup(p, 0, 64, SOCKET_ID_ANY, nullptr, pool), 0);
		ASSERT_EQ(rte_eth_tx_queue_setup(p, 0, 64, SOCKET_ID_ANY, nullptr), 0);
		ASSERT_EQ(rte_eth_dev_start(p), 0);
	}
	EXPECT_EQ(events, 1) << "up when the second end started";
	ASSERT_EQ(rte_pmd_net_wire_set_link(a, 0), 0);
	EXPECT_EQ(events, 2);
	ASSERT_EQ(rte_pmd_net_wire_set_link(a, 1), 0);
	EXPECT_EQ(events, 3);
	rte_eth_dev_callback_unregister(a, RTE_ETH_EVENT_INTR_LSC, lsc_events, &events);
}

TEST_F(NetWire, StopAndCloseFreePacketsStillOnTheCable) {
	open("delay=100000", "queue=16");
	std::vector<rte_mbuf *> out;
	for (uint32_t i = 0; i < 100; i++) {
		out.push_back(make_udp(pool, {.seq = i}));
	}
	send(a, 0, out);                  // held 100 ms in b's lanes
	send(b, 0, {make_udp(pool, {})}); // sits in a's ring, never polled
	EXPECT_TRUE(receive(b, 1, 5).empty());
	EXPECT_EQ(xstat(b, "rx_held"), 100u);
	// TearDown stops and closes both ports, then checks every mbuf is back.
}

TEST_F(NetWire, RestartsAndReconfiguresQueues) {
	open("", "");
	ASSERT_EQ(rte_eth_dev_stop(b), 0);
	configure(b, 2, true);
	send(a, 0, {make_udp(pool, {.seq = 7})});
	auto got = receive(b, 1);
	ASSERT_EQ(got.size(), 1u);
	EXPECT_EQ(seq_of(got[0]), 7u);
	rte_pktmbuf_free(got[0]);
}

} // namespace
} // namespace skiff::test
