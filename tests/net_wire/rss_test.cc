// Multi-queue: RSS with the symmetric key spreads flows and keeps both
// directions of a flow on the same queue index; RETA and key updates take
// effect; senders and receivers on other threads lose nothing they do not
// count.

#include "wire_fixture.h"

#include <rte_cycles.h>
#include <rte_thash.h>

#include <atomic>
#include <map>
#include <pthread.h>
#include <sched.h>
#include <thread>
#include <unistd.h>

namespace skiff::test {
namespace {

class NetWireRss : public wire_test {
protected:
	/// Send one packet per flow (sport = 1024 + flow) and map flow -> queue.
	std::map<uint16_t, uint16_t> spread(uint16_t from, uint16_t to, bool reverse,
	                                    unsigned flows = 512) {
		std::vector<rte_mbuf *> out;
		for (uint16_t f = 0; f < flows; f++) {
			frame_spec s{.seq = f, .sport = static_cast<uint16_t>(1024 + f)};
			if (reverse) {
				std::swap(s.sport, s.dport);
				std::swap(s.src, s.dst);
			}
			out.push_back(make_udp(pool, s));
		}
		send(from, 0, out);
		std::vector<uint16_t> queues;
		auto got = receive(to, flows, 50, &queues);
		EXPECT_EQ(got.size(), flows);
		std::map<uint16_t, uint16_t> q_of;
		for (size_t i = 0; i < got.size(); i++) {
			EXPECT_TRUE(got[i]->ol_flags & RTE_MBUF_F_RX_RSS_HASH);
			q_of[static_cast<uint16_t>(seq_of(got[i]))] = queues[i];
			hashes[static_cast<uint16_t>(seq_of(got[i]))] = got[i]->hash.rss;
		}
		rte_pktmbuf_free_bulk(got.data(), static_cast<unsigned>(got.size()));
		return q_of;
	}
	std::map<uint16_t, uint32_t> hashes; ///< flow -> mbuf hash.rss
};

uint32_t toeplitz(const uint8_t *key, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
	rte_ipv4_tuple t{};
	t.src_addr = src;
	t.dst_addr = dst;
	t.sport = sport;
	t.dport = dport;
	return rte_softrss(reinterpret_cast<uint32_t *>(&t), RTE_THASH_V4_L4_LEN, key);
}

TEST_F(NetWireRss, SpreadsFlowsAndKeepsBothDirectionsOnOneQueueIndex) {
	open("", "", 4);
	auto there = spread(a, b, false);
	auto back = spread(b, a, true);
	ASSERT_EQ(there.size(), 512u);
	std::map<uint16_t, int> per_queue;
	for (auto [flow, q] : there) {
		per_queue[q]++;
		EXPECT_EQ(back[flow], q) << "flow " << flow << " comes back on another queue";
	}
	ASSERT_EQ(per_queue.size(), 4u);
	for (auto [q, n] : per_queue) {
		EXPECT_GT(n, 512 / 4 * 6 / 10) << "queue " << q; // 25% +- 10 points
		EXPECT_LT(n, 512 / 4 * 14 / 10) << "queue " << q;
	}
	// The hash is the Toeplitz one over the default symmetric key.
	uint8_t key[40];
	rte_eth_rss_conf conf{.rss_key = key, .rss_key_len = 40, .rss_hf = 0};
	ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(b, &conf), 0);
	for (unsigned i = 0; i < 40; i++) {
		ASSERT_EQ(key[i], i % 2 ? 0x5a : 0x6d);
	}
	EXPECT_EQ(hashes[0], toeplitz(key, 0xc6120001, 0xc6120002, 1024 + 0, 2000));
}

TEST_F(NetWireRss, RetaAndKeyUpdatesTakeEffect) {
	open("", "", 4);
	rte_eth_rss_reta_entry64 reta[128 / RTE_ETH_RETA_GROUP_SIZE] = {};
	for (auto &g : reta) {
		g.mask = ~0ull;
		for (auto &q : g.reta) {
			q = 2;
		}
	}
	ASSERT_EQ(rte_eth_dev_rss_reta_update(b, reta, 128), 0);
	for (auto [flow, q] : spread(a, b, false, 64)) {
		EXPECT_EQ(q, 2) << "flow " << flow;
	}
	for (auto &g : reta) {
		g.reta[0] = 9; // no such queue
	}
	EXPECT_EQ(rte_eth_dev_rss_reta_update(b, reta, 128), -EINVAL);
	ASSERT_EQ(rte_eth_dev_rss_reta_query(b, reta, 128), 0);
	EXPECT_EQ(reta[0].reta[0], 2);

	uint8_t key[40];
	for (unsigned i = 0; i < 40; i++) {
		key[i] = static_cast<uint8_t>(i * 7 + 1);
	}
	rte_eth_rss_conf conf{
	    .rss_key = key, .rss_key_len = 40, .rss_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP};
	ASSERT_EQ(rte_eth_dev_rss_hash_update(b, &conf), 0);
	hashes.clear();
	spread(a, b, false, 1);
	ASSERT_EQ(hashes.size(), 1u);
	EXPECT_EQ(hashes[0], toeplitz(key, 0xc6120001, 0xc6120002, 1024, 2000));
	conf.rss_key_len = 52;
	EXPECT_EQ(rte_eth_dev_rss_hash_update(b, &conf), -EINVAL);
}

/// Threads inherit the test EAL's single-CPU affinity (-l 0); let them use
/// every CPU, as lcores on different cores would.
void any_cpu() {
	cpu_set_t all;
	CPU_ZERO(&all);
	for (long c = 0; c < sysconf(_SC_NPROCESSORS_ONLN); c++) {
		CPU_SET(static_cast<int>(c), &all);
	}
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
}

TEST_F(NetWireRss, SendersAndReceiverOnOtherThreads) {
	// Two tx queues on two threads into one receive queue (multi-producer
	// lanes), a third thread receiving: every packet arrives or is counted
	// as a tail drop, and each sender's packets keep their order.
	open("queue=512", "", 1);
	ASSERT_EQ(rte_eth_dev_stop(a), 0);
	rte_eth_conf conf{};
	ASSERT_EQ(rte_eth_dev_configure(a, 1, 2, &conf), 0);
	ASSERT_EQ(rte_eth_rx_queue_setup(a, 0, 64, SOCKET_ID_ANY, nullptr, pool), 0);
	for (uint16_t q = 0; q < 2; q++) {
		ASSERT_EQ(rte_eth_tx_queue_setup(a, q, 64, SOCKET_ID_ANY, nullptr), 0);
	}
	ASSERT_EQ(rte_eth_dev_start(a), 0);

	// rte_ring (the lanes, the mempool) spins when a producer is preempted
	// mid-enqueue: threads yield when idle, as CI shares two CPUs.
	const uint32_t per_sender = 100000;
	std::atomic<int> senders_left{2};
	std::atomic<uint64_t> received{0};
	std::atomic<bool> in_order{true};
	auto sender = [&](uint16_t q) {
		any_cpu();
		uint32_t seq = 0;
		while (seq < per_sender) {
			rte_mbuf *m[32];
			uint16_t k = 0;
			while (k < 32 && seq < per_sender) {
				m[k] = make_udp(pool, {.seq = seq, .sport = q, .stamp = false});
				if (m[k] == nullptr) {
					break;
				}
				k++;
				seq++;
			}
			rte_eth_tx_burst(a, q, m, k);
			if (k < 32) {
				sched_yield(); // the pool is empty: let the receiver free some
			}
		}
		senders_left--;
	};
	std::thread receiver([&] {
		any_cpu();
		int64_t last[2] = {-1, -1};
		uint64_t quiet_since = 0;
		for (;;) {
			rte_mbuf *m[32];
			uint16_t k = rte_eth_rx_burst(b, 0, m, 32);
			for (uint16_t i = 0; i < k; i++) {
				auto *udp = rte_pktmbuf_mtod_offset(m[i], const uint8_t *, 34);
				uint16_t from = static_cast<uint16_t>(udp[0] << 8 | udp[1]);
				int64_t seq = seq_of(m[i]);
				if (from > 1 || seq <= last[from]) {
					in_order = false;
				}
				last[from & 1] = seq;
			}
			rte_pktmbuf_free_bulk(m, k);
			received += k;
			if (k > 0) {
				quiet_since = 0;
				continue;
			}
			sched_yield();
			if (senders_left == 0) {
				quiet_since = quiet_since ? quiet_since : rte_rdtsc();
				if (rte_rdtsc() - quiet_since > rte_get_tsc_hz() / 20) {
					return;
				}
			}
		}
	});
	std::thread s0(sender, 0), s1(sender, 1);
	s0.join();
	s1.join();
	receiver.join();
	EXPECT_TRUE(in_order);
	uint64_t dropped = xstat(a, "dropped_queue_full");
	EXPECT_EQ(received + dropped, 2ull * per_sender);
	EXPECT_GT(received, 0u);
	rte_eth_stats st;
	ASSERT_EQ(rte_eth_stats_get(a, &st), 0);
	EXPECT_EQ(st.opackets, received.load());
	EXPECT_EQ(st.q_opackets[0] + st.q_opackets[1], received.load());
}

} // namespace
} // namespace skiff::test
