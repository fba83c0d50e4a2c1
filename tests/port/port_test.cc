// Port bring-up over net_null, net_ring and (when privileged) net_tap.

#include "port/port.h"
#include "ring_fixture.h"
#include "test_env.h"

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace skiff {
namespace {

port_config config(const std::string &devargs, uint16_t n_queues = 1) {
	port_config cfg;
	cfg.devargs = devargs;
	cfg.n_queues = n_queues;
	cfg.rx_desc = 128;
	cfg.tx_desc = 128;
	cfg.pool = test::pool();
	return cfg;
}

TEST(port_open, null_device_with_one_queue) {
	auto p = port::open(config("net_null0"));
	ASSERT_TRUE(p.ok()) << p.err().message;
	EXPECT_EQ(p->info().name, "net_null0");
	EXPECT_EQ(p->info().driver, "net_null");
	EXPECT_EQ(p->info().n_queues, 1);
	EXPECT_EQ(p->info().mtu, 1500);
	EXPECT_TRUE(rte_eth_dev_is_valid_port(p->id()));
	EXPECT_TRUE(p->link().up);
	EXPECT_FALSE(p->info().offloads.rx.ipv4_cksum);
	EXPECT_FALSE(p->info().offloads.tx.tcp_cksum);

	// net_null makes up packets on RX and swallows them on TX.
	rte_mbuf *burst[8];
	uint16_t n = rte_eth_rx_burst(p->id(), 0, burst, 8);
	EXPECT_EQ(n, 8);
	EXPECT_EQ(rte_eth_tx_burst(p->id(), 0, burst, n), n);
	EXPECT_EQ(p->counters().rx_packets, 8u);
	EXPECT_EQ(p->counters().tx_packets, 8u);
}

TEST(port_open, null_device_with_two_queues_uses_symmetric_rss) {
	auto p = port::open(config("net_null1", 2));
	ASSERT_TRUE(p.ok()) << p.err().message;
	const port_info &info = p->info();
	EXPECT_EQ(info.n_queues, 2);
	ASSERT_TRUE(info.rss);
	EXPECT_NE(info.rss_hf, 0u);
	EXPECT_EQ(info.rss_hf & ~(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP), 0u);
	EXPECT_EQ(info.rss_key_len, 40u);

	uint8_t key[64] = {};
	rte_eth_rss_conf conf{};
	conf.rss_key = key;
	conf.rss_key_len = sizeof(key);
	ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(p->id(), &conf), 0);
	auto want = symmetric_rss_key(info.rss_key_len);
	EXPECT_TRUE(std::equal(want.begin(), want.end(), key));
}

TEST(port_open, probed_device_is_removed_on_close_and_can_be_probed_again) {
	uint16_t id;
	{
		auto p = port::open(config("net_null2"));
		ASSERT_TRUE(p.ok()) << p.err().message;
		id = p->id();
		p->close();
		EXPECT_FALSE(p->is_open());
		EXPECT_FALSE(rte_eth_dev_is_valid_port(id));
		p->close(); // idempotent
	}
	auto again = port::open(config("net_null2"));
	ASSERT_TRUE(again.ok()) << again.err().message;
	EXPECT_EQ(again->info().name, "net_null2");
}

TEST(port_open, existing_ethdev_is_found_by_name_and_left_to_its_owner) {
	test::ring_loopback ring("po_own", 1);
	ASSERT_TRUE(ring.ok());
	{
		auto p = port::open(config(ring.name()));
		ASSERT_TRUE(p.ok()) << p.err().message;
		EXPECT_EQ(p->id(), ring.id());
		EXPECT_EQ(p->info().driver, "net_ring");
	}
	EXPECT_TRUE(rte_eth_dev_is_valid_port(ring.id()));
	auto again = port::open(config(ring.name()));
	ASSERT_TRUE(again.ok()) << again.err().message;
}

TEST(port_counters, ring_loopback_counts_per_queue) {
	test::ring_loopback ring("po_cnt", 2);
	ASSERT_TRUE(ring.ok());
	auto p = port::open(config(ring.name(), 2));
	ASSERT_TRUE(p.ok()) << p.err().message;
	ASSERT_TRUE(p->reset_counters().ok());

	auto q0 = test::make_packets(5, 60);
	auto q1 = test::make_packets(3, 100);
	ASSERT_EQ(rte_eth_tx_burst(p->id(), 0, q0.data(), 5), 5);
	ASSERT_EQ(rte_eth_tx_burst(p->id(), 1, q1.data(), 3), 3);
	rte_mbuf *rx[16];
	uint16_t n0 = rte_eth_rx_burst(p->id(), 0, rx, 16);
	uint16_t n1 = rte_eth_rx_burst(p->id(), 1, rx + n0, 16 - n0);
	EXPECT_EQ(n0, 5);
	EXPECT_EQ(n1, 3);
	rte_pktmbuf_free_bulk(rx, n0 + n1);

	port_counters c = p->counters();
	EXPECT_EQ(c.n_queues, 2);
	EXPECT_EQ(c.tx_packets, 8u);
	EXPECT_EQ(c.rx_packets, 8u);
	// net_ring counts packets only; byte counters stay 0 on it.
	EXPECT_EQ(c.tx_queue_packets[0], 5u);
	EXPECT_EQ(c.tx_queue_packets[1], 3u);
	EXPECT_EQ(c.rx_queue_packets[0], 5u);
	EXPECT_EQ(c.rx_queue_packets[1], 3u);
	EXPECT_EQ(c.rx_queue_packets[2], 0u);
	EXPECT_EQ(c.rx_missed, 0u);
	EXPECT_EQ(c.rx_nombuf, 0u);

	auto xs = p->xstats();
	ASSERT_TRUE(xs.ok()) << xs.err().message;
	auto good = std::find_if(xs->begin(), xs->end(),
	                         [](const xstat &x) { return x.name == "rx_good_packets"; });
	ASSERT_NE(good, xs->end());
	EXPECT_EQ(good->value, 8u);

	ASSERT_TRUE(p->reset_counters().ok());
	EXPECT_EQ(p->counters().rx_packets, 0u);
	EXPECT_EQ(p->counters().tx_queue_packets[0], 0u);
}

TEST(port_errors, unknown_driver_names_the_known_ones) {
	auto p = port::open(config("net_foo0"));
	ASSERT_FALSE(p.ok());
	EXPECT_EQ(p.err().code, -ENODEV);
	EXPECT_EQ(p.err().message,
	          "unknown device 'net_foo0': no DPDK driver named net_foo; known virtual drivers: "
	          "net_tap, net_af_packet, net_ring, net_null, net_pcap, net_memif");
}

TEST(port_errors, unbound_pci_address_says_how_to_bind) {
	auto p = port::open(config("ff:1f.7"));
	ASSERT_FALSE(p.ok());
	EXPECT_NE(p.err().message.find("dpdk-devbind.py --bind=vfio-pci 0000:ff:1f.7"),
	          std::string::npos)
	    << p.err().message;
}

TEST(port_errors, too_many_queues_says_use_fewer_lcores) {
	test::ring_loopback ring("po_many", 1);
	ASSERT_TRUE(ring.ok());
	auto p = port::open(config(ring.name(), 2));
	ASSERT_FALSE(p.ok());
	EXPECT_EQ(p.err().message,
	          "device '" + ring.name() +
	              "' supports at most 1 queue; use fewer --lcores (2 requested)");
	// The failed open left the ring port usable.
	auto ok = port::open(config(ring.name(), 1));
	EXPECT_TRUE(ok.ok()) << ok.err().message;
}

TEST(port_errors, too_many_queues_on_a_probed_device_removes_it) {
	auto p = port::open(config("net_null3", 2000));
	ASSERT_FALSE(p.ok());
	EXPECT_NE(p.err().message.find("use fewer --lcores"), std::string::npos) << p.err().message;
	uint16_t id;
	EXPECT_NE(rte_eth_dev_get_port_by_name("net_null3", &id), 0);
}

TEST(port_errors, missing_pool) {
	port_config cfg = config("net_null4");
	cfg.pool = nullptr;
	auto p = port::open(cfg);
	ASSERT_FALSE(p.ok());
	EXPECT_NE(p.err().message.find("no mbuf pool"), std::string::npos) << p.err().message;
}

TEST(port_errors, empty_devargs) {
	auto p = port::open(config(""));
	ASSERT_FALSE(p.ok());
	EXPECT_NE(p.err().message.find("--port"), std::string::npos) << p.err().message;
}

TEST(port_errors, zero_queues) {
	auto p = port::open(config("net_null4", 0));
	ASSERT_FALSE(p.ok());
	EXPECT_NE(p.err().message.find("at least one queue"), std::string::npos);
}

TEST(port_errors, bad_driver_arguments) {
	auto p = port::open(config("net_null5,no_such_key=1"));
	ASSERT_FALSE(p.ok());
	EXPECT_NE(p.err().message.find("refused arguments 'no_such_key=1'"), std::string::npos)
	    << p.err().message;
	EXPECT_NE(p.err().message.find("net_null"), std::string::npos);
}

TEST(port_errors, af_packet_without_iface) {
	auto p = port::open(config("net_af_packet0"));
	ASSERT_FALSE(p.ok());
	EXPECT_EQ(p.err().message,
	          "net_af_packet needs a kernel interface: --port net_af_packet0,iface=eth0");
}

TEST(port_mtu, configured_mtu_is_applied_and_reported) {
	port_config cfg = config("net_null6");
	cfg.mtu = 9000;
	auto p = port::open(cfg);
	ASSERT_TRUE(p.ok()) << p.err().message;
	EXPECT_EQ(p->info().mtu, 9000);
	uint16_t mtu = 0;
	rte_eth_dev_get_mtu(p->id(), &mtu);
	EXPECT_EQ(mtu, 9000);
}

TEST(port_mtu, out_of_range_mtu_names_the_range) {
	port_config cfg = config("net_null7");
	cfg.mtu = 10;
	auto p = port::open(cfg);
	ASSERT_FALSE(p.ok());
	EXPECT_NE(p.err().message.find("' supports MTU "), std::string::npos) << p.err().message;
	EXPECT_NE(p.err().message.find("; pick --mtu in that range"), std::string::npos);
}

TEST(port_mtu, set_mtu_at_run_time) {
	test::ring_loopback ring("po_mtu", 1);
	ASSERT_TRUE(ring.ok());
	auto p = port::open(config(ring.name()));
	ASSERT_TRUE(p.ok()) << p.err().message;
	auto r = p->set_mtu(4000);
	if (!r.ok()) {
		// The driver may refuse; the message must say what to do instead.
		EXPECT_NE(r.err().message.find("--mtu"), std::string::npos) << r.err().message;
		return;
	}
	EXPECT_EQ(p->info().mtu, 4000);
}

TEST(port_move, moved_from_port_does_not_close_the_device) {
	auto p = port::open(config("net_null8"));
	ASSERT_TRUE(p.ok()) << p.err().message;
	port a = std::move(p.value());
	EXPECT_FALSE(p->is_open());
	p->close(); // no-op
	EXPECT_TRUE(rte_eth_dev_is_valid_port(a.id()));
	port b = std::move(a);
	EXPECT_TRUE(b.is_open());
	EXPECT_EQ(b.info().name, "net_null8");
	rte_mbuf *burst[4];
	uint16_t n = rte_eth_rx_burst(b.id(), 0, burst, 4);
	rte_pktmbuf_free_bulk(burst, n);
	EXPECT_EQ(b.counters().rx_packets, n);
}

TEST(port_link, format_link) {
	EXPECT_EQ(format_link({}), "down");
	EXPECT_EQ(format_link({true, 10000, true}), "up 10 Gbps full-duplex");
	EXPECT_EQ(format_link({true, 100, false}), "up 100 Mbps half-duplex");
	EXPECT_EQ(format_link({true, 2500, true}), "up 2500 Mbps full-duplex");
	EXPECT_EQ(format_link({true, 0, true}), "up speed unknown full-duplex");
}

bool can_create_taps() {
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		return false;
	}
	__user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
	__user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	if (syscall(SYS_capget, &hdr, data) != 0) {
		return false;
	}
	return (data[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))) != 0;
}

TEST(port_tap, opens_a_tap_interface_with_checksum_offloads) {
	if (!can_create_taps()) {
		GTEST_SKIP()
		    << "net_tap needs /dev/net/tun and CAP_NET_ADMIN; run as root to test it";
	}
	std::string iface = "sktest" + std::to_string(getpid() % 100000);
	auto p = port::open(config("net_tap9,iface=" + iface, 2));
	ASSERT_TRUE(p.ok()) << p.err().message;
	EXPECT_EQ(p->info().driver, "net_tap");
	EXPECT_EQ(p->info().n_queues, 2);
	// net_tap computes checksums in software and says so.
	EXPECT_TRUE(p->info().offloads.tx.ipv4_cksum);
	EXPECT_TRUE(p->info().offloads.tx.udp_cksum);
	EXPECT_TRUE(p->info().offloads.tx.tcp_cksum);
	EXPECT_TRUE(p->info().offloads.rx.ipv4_cksum);
	EXPECT_TRUE(p->info().offloads.rx.l4_cksum);
}

TEST(port_tap, unprivileged_open_says_what_to_do) {
	if (can_create_taps()) {
		GTEST_SKIP()
		    << "running with CAP_NET_ADMIN; run as a normal user to test the refusal";
	}
	auto p = port::open(config("net_tap8,iface=sknope0"));
	ASSERT_FALSE(p.ok());
	EXPECT_EQ(p.err().message, "net_tap needs /dev/net/tun and CAP_NET_ADMIN: run as root, or "
	                           "use net_ring/net_null/net_pcap which need no privileges");
}

} // namespace
} // namespace skiff
