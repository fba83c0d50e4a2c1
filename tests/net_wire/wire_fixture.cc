#include "wire_fixture.h"

#include "test_env.h"

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>
#include <netinet/in.h>

namespace skiff::test {
namespace {

unsigned g_next_id = 0;

constexpr size_t payload_off(bool vlan) {
	return sizeof(rte_ether_hdr) + (vlan ? sizeof(rte_vlan_hdr) : 0) + sizeof(rte_ipv4_hdr) +
	       sizeof(rte_udp_hdr);
}

size_t payload_start(const rte_mbuf *m) {
	auto *eth = rte_pktmbuf_mtod(m, const rte_ether_hdr *);
	return payload_off(eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN));
}

} // namespace

double tsc_us(uint64_t from, uint64_t to) {
	return (static_cast<double>(to) - static_cast<double>(from)) * 1e6 /
	       static_cast<double>(rte_get_tsc_hz());
}

rte_mbuf *make_udp(rte_mempool *pool, const frame_spec &s) {
	rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (m == nullptr) {
		return nullptr;
	}
	auto *p = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(m, s.len));
	if (p == nullptr) {
		rte_pktmbuf_free(m);
		return nullptr;
	}
	std::memset(p, 0, s.len);
	auto *eth = reinterpret_cast<rte_ether_hdr *>(p);
	eth->dst_addr = {{0x02, 0, 0, 0, 0, 0x02}};
	eth->src_addr = {{0x02, 0, 0, 0, 0, 0x01}};
	size_t l3 = sizeof(rte_ether_hdr);
	if (s.vlan) {
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		auto *vh = reinterpret_cast<rte_vlan_hdr *>(p + l3);
		vh->vlan_tci = rte_cpu_to_be_16(7);
		vh->eth_proto = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		l3 += sizeof(rte_vlan_hdr);
	} else {
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	}
	auto *ip = reinterpret_cast<rte_ipv4_hdr *>(p + l3);
	uint16_t ip_len = static_cast<uint16_t>(s.len - l3);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(ip_len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(s.src);
	ip->dst_addr = rte_cpu_to_be_32(s.dst);
	auto *udp = reinterpret_cast<rte_udp_hdr *>(ip + 1);
	udp->src_port = rte_cpu_to_be_16(s.sport);
	udp->dst_port = rte_cpu_to_be_16(s.dport);
	udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(ip_len - sizeof(rte_ipv4_hdr)));
	uint8_t *payload = reinterpret_cast<uint8_t *>(udp + 1);
	uint32_t seq_be = rte_cpu_to_be_32(s.seq);
	uint64_t tsc = s.stamp ? rte_rdtsc() : 0;
	std::memcpy(payload, &seq_be, 4);
	std::memcpy(payload + 4, &tsc, 8);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return m;
}

uint32_t seq_of(const rte_mbuf *m) {
	uint32_t v;
	std::memcpy(&v, rte_pktmbuf_mtod_offset(m, const uint8_t *, payload_start(m)), 4);
	return rte_be_to_cpu_32(v);
}

uint64_t tsc_of(const rte_mbuf *m) {
	uint64_t v;
	std::memcpy(&v, rte_pktmbuf_mtod_offset(m, const uint8_t *, payload_start(m) + 4), 8);
	return v;
}

std::vector<uint8_t> bytes_of(const rte_mbuf *m) {
	std::vector<uint8_t> out(m->pkt_len);
	const void *p = rte_pktmbuf_read(m, 0, m->pkt_len, out.data());
	if (p != out.data()) {
		std::memcpy(out.data(), p, m->pkt_len);
	}
	return out;
}

void wire_test::SetUp() {
	pool = skiff::test::pool();
	_avail_before = rte_mempool_avail_count(pool);
	_link = "t" + std::to_string(g_next_id++);
}

void wire_test::TearDown() {
	for (uint16_t p : _ports) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	for (const std::string &v : _vdevs) {
		rte_vdev_uninit(v.c_str());
	}
	_ports.clear();
	_vdevs.clear();
	EXPECT_EQ(rte_mempool_avail_count(pool), _avail_before) << "mbufs leaked";
}

int wire_test::create(const std::string &name, const std::string &args) {
	int rc = rte_vdev_init(name.c_str(), args.c_str());
	if (rc != 0) {
		return rc;
	}
	_vdevs.push_back(name);
	uint16_t port;
	rc = rte_eth_dev_get_port_by_name(name.c_str(), &port);
	if (rc != 0) {
		return rc;
	}
	_ports.push_back(port);
	return port;
}

void wire_test::configure(uint16_t port, uint16_t nq, bool rss) {
	rte_eth_conf conf{};
	if (rss) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
		    RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP;
		conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_RSS_HASH;
	}
	ASSERT_EQ(rte_eth_dev_configure(port, nq, nq, &conf), 0);
	for (uint16_t q = 0; q < nq; q++) {
		ASSERT_EQ(rte_eth_rx_queue_setup(port, q, 512, SOCKET_ID_ANY, nullptr, pool), 0);
		ASSERT_EQ(rte_eth_tx_queue_setup(port, q, 512, SOCKET_ID_ANY, nullptr), 0);
	}
	ASSERT_EQ(rte_eth_dev_start(port), 0);
}

void wire_test::open(const std::string &args_a, const std::string &args_b, uint16_t nq, bool rss) {
	std::string base = "link=" + _link;
	int pa = create("net_wire_" + _link + "a", args_a.empty() ? base : base + "," + args_a);
	ASSERT_GE(pa, 0) << args_a;
	int pb = create("net_wire_" + _link + "b", args_b.empty() ? base : base + "," + args_b);
	ASSERT_GE(pb, 0) << args_b;
	a = static_cast<uint16_t>(pa);
	b = static_cast<uint16_t>(pb);
	configure(a, nq, rss || nq > 1);
	configure(b, nq, rss || nq > 1);
}

void wire_test::send(uint16_t port, uint16_t q, std::vector<rte_mbuf *> pkts) {
	size_t done = 0;
	while (done < pkts.size()) {
		uint16_t k = static_cast<uint16_t>(std::min<size_t>(32, pkts.size() - done));
		uint16_t sent = rte_eth_tx_burst(port, q, pkts.data() + done, k);
		ASSERT_EQ(sent, k) << "net_wire takes every packet it is given";
		done += k;
	}
}

std::vector<rte_mbuf *> wire_test::receive(uint16_t port, size_t want, unsigned idle_ms,
                                           std::vector<uint16_t> *queues) {
	rte_eth_dev_info info;
	rte_eth_dev_info_get(port, &info);
	uint16_t nq = info.nb_rx_queues;
	std::vector<rte_mbuf *> got;
	uint64_t idle = idle_ms * rte_get_tsc_hz() / 1000;
	uint64_t last = rte_rdtsc();
	while (got.size() < want && rte_rdtsc() - last < idle) {
		for (uint16_t q = 0; q < nq; q++) {
			rte_mbuf *m[32];
			uint16_t k = rte_eth_rx_burst(port, q, m, 32);
			for (uint16_t i = 0; i < k; i++) {
				got.push_back(m[i]);
				if (queues != nullptr) {
					queues->push_back(q);
				}
			}
			if (k > 0) {
				last = rte_rdtsc();
			}
		}
	}
	return got;
}

std::vector<arrival> wire_test::pump(uint16_t from, uint16_t to, uint32_t n,
                                     const std::function<frame_spec(uint32_t)> &spec_of,
                                     const std::function<void(rte_mbuf *)> &on_rx,
                                     unsigned idle_ms) {
	rte_eth_dev_info info;
	rte_eth_dev_info_get(to, &info);
	uint16_t nq = info.nb_rx_queues;
	std::vector<arrival> got;
	auto poll = [&]() {
		bool any = false;
		for (uint16_t q = 0; q < nq; q++) {
			uint16_t k;
			do { // until the queue is empty
				rte_mbuf *m[32];
				k = rte_eth_rx_burst(to, q, m, 32);
				uint64_t now = rte_rdtsc();
				for (uint16_t i = 0; i < k; i++) {
					got.push_back({seq_of(m[i]), q, tsc_of(m[i]), now});
					if (on_rx) {
						on_rx(m[i]);
					}
				}
				rte_pktmbuf_free_bulk(m, k);
				any |= k > 0;
			} while (k == 32);
		}
		return any;
	};
	uint32_t seq = 0;
	while (seq < n) {
		rte_mbuf *burst[32];
		uint16_t k = 0;
		while (k < 32 && seq < n) {
			frame_spec s = spec_of ? spec_of(seq) : frame_spec{};
			s.seq = seq;
			rte_mbuf *m = make_udp(pool, s);
			if (m == nullptr) {
				break; // pool empty: poll to get some back
			}
			burst[k++] = m;
			seq++;
		}
		EXPECT_EQ(rte_eth_tx_burst(from, 0, burst, k), k);
		poll();
	}
	uint64_t idle = idle_ms * rte_get_tsc_hz() / 1000;
	uint64_t last = rte_rdtsc();
	while (rte_rdtsc() - last < idle) {
		if (poll()) {
			last = rte_rdtsc();
		}
	}
	return got;
}

uint64_t wire_test::xstat(uint16_t port, const std::string &name) {
	uint64_t id, value = 0;
	EXPECT_EQ(rte_eth_xstats_get_id_by_name(port, name.c_str(), &id), 0) << name;
	EXPECT_EQ(rte_eth_xstats_get_by_id(port, &id, &value, 1), 1) << name;
	return value;
}

} // namespace skiff::test
