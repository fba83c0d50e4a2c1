#pragma once

// A stack on a ring-backed fake NIC, DPDK-style: the test enqueues frames on
// the port's rx ring, polls the worker, and dequeues what the stack
// transmitted from the tx ring. One rx/tx ring pair per queue, so worker i
// owns rings i. Teardown checks that every mbuf went back to the pool.

#include "frames.h"
#include "net/sockets.h"
#include "net/stack.h"
#include "test_env.h"
#include "time/clock.h"

#include <gtest/gtest.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <memory>
#include <string>
#include <vector>

namespace skiff::test {

/// Names of DPDK objects are process-global: every test gets fresh ones.
inline std::string unique_name(const char *prefix) {
	static unsigned counter;
	return prefix + std::to_string(counter++);
}

/// An ethdev over rte_rings, configured and started.
class ring_port {
public:
	ring_port() = default;
	ring_port(const ring_port &) = delete;
	ring_port &operator=(const ring_port &) = delete;
	~ring_port() { close(); }

	/// Create, configure and start the port; returns "" or what failed.
	std::string open(uint16_t n_queues) {
		std::string tag = unique_name("t");
		for (uint16_t q = 0; q < n_queues; q++) {
			_rx.push_back(make_ring(tag + "rx" + std::to_string(q)));
			_tx.push_back(make_ring(tag + "tx" + std::to_string(q)));
			if (!_rx.back() || !_tx.back()) {
				return "rte_ring_create failed";
			}
		}
		int id = rte_eth_from_rings(tag.c_str(), _rx.data(), n_queues, _tx.data(), n_queues,
		                            SOCKET_ID_ANY);
		if (id < 0) {
			return "rte_eth_from_rings failed";
		}
		_id = id;
		_name = "net_ring_" + tag;
		rte_eth_conf conf{};
		if (rte_eth_dev_configure(port(), n_queues, n_queues, &conf) != 0) {
			return "rte_eth_dev_configure failed";
		}
		for (uint16_t q = 0; q < n_queues; q++) {
			if (rte_eth_rx_queue_setup(port(), q, 256, SOCKET_ID_ANY, nullptr,
			                           pool()) != 0 ||
			    rte_eth_tx_queue_setup(port(), q, 256, SOCKET_ID_ANY, nullptr) != 0) {
				return "queue setup failed";
			}
		}
		if (rte_eth_dev_start(port()) != 0) {
			return "rte_eth_dev_start failed";
		}
		return "";
	}

	void close() {
		if (_id >= 0) {
			rte_eth_dev_stop(port());
			rte_eth_dev_close(port());
			rte_eal_hotplug_remove("vdev", _name.c_str());
			_id = -1;
		}
		for (auto *rings : {&_rx, &_tx}) {
			for (rte_ring *r : *rings) {
				free_all(r);
				rte_ring_free(r);
			}
			rings->clear();
		}
	}

	uint16_t port() const { return uint16_t(_id); }
	rte_ring *tx_ring(uint16_t q = 0) const { return _tx.at(q); }

	/// Put one frame on queue @p q's receive ring.
	void inject(const frame &f, uint16_t q = 0) {
		rte_mbuf *m = rte_pktmbuf_alloc(pool());
		ASSERT_NE(m, nullptr);
		auto *p = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(m, uint16_t(f.size())));
		ASSERT_NE(p, nullptr);
		std::copy(f.begin(), f.end(), p);
		if (rte_ring_enqueue(_rx.at(q), m) != 0) {
			rte_pktmbuf_free(m);
			FAIL() << "rx ring full";
		}
	}

	/// Everything transmitted on queue @p q, oldest first; frees the mbufs.
	std::vector<frame> take(uint16_t q = 0) {
		std::vector<frame> out;
		void *obj;
		while (rte_ring_dequeue(_tx.at(q), &obj) == 0) {
			auto *m = static_cast<rte_mbuf *>(obj);
			frame f(rte_pktmbuf_pkt_len(m));
			// Returns the data in place when contiguous, else copies into f.
			const auto *p = static_cast<const uint8_t *>(
			    rte_pktmbuf_read(m, 0, uint32_t(f.size()), f.data()));
			if (p && p != f.data()) {
				std::copy(p, p + f.size(), f.begin());
			}
			out.push_back(std::move(f));
			rte_pktmbuf_free(m);
		}
		return out;
	}

private:
	static rte_ring *make_ring(const std::string &name) {
		return rte_ring_create(name.c_str(), 256, SOCKET_ID_ANY,
		                       RING_F_SP_ENQ | RING_F_SC_DEQ);
	}
	static void free_all(rte_ring *r) {
		void *obj;
		while (rte_ring_dequeue(r, &obj) == 0) {
			rte_pktmbuf_free(static_cast<rte_mbuf *>(obj));
		}
	}

	std::vector<rte_ring *> _rx, _tx;
	std::string _name;
	int _id = -1;
};

/// One interface with 198.18.0.2/24 and 2001:2::2/64, `n_workers()`
/// workers, and a manual clock.
class net_test : public testing::Test {
protected:
	virtual uint16_t n_workers() const { return 1; }
	virtual net::neigh_config neigh() const { return {}; }

	void SetUp() override {
		_avail = rte_mempool_avail_count(pool());
		ASSERT_EQ(_port.open(n_workers()), "");
		net::stack_config cfg;
		cfg.name = unique_name("s");
		cfg.pool = pool();
		cfg.neigh = neigh();
		auto s = net::stack::create(cfg, _clock);
		ASSERT_TRUE(s) << s.err().message;
		_stack = std::move(*s);
		auto ifc = _stack->add_iface(_port.port(), n_workers(), our_mac, 1500, {});
		ASSERT_TRUE(ifc) << ifc.err().message;
		for (const char *a : {"198.18.0.2/24", "2001:2::2/64"}) {
			auto r = _stack->add_address(a);
			ASSERT_TRUE(r) << r.err().message;
		}
		for (uint16_t i = 0; i < n_workers(); i++) {
			auto w = _stack->add_worker();
			ASSERT_TRUE(w) << w.err().message;
		}
	}

	void TearDown() override {
		_stack.reset(); // frees packets waiting for resolution or transmission
		_port.close();  // frees whatever is left on the rings
		EXPECT_EQ(rte_mempool_avail_count(pool()), _avail) << "mbufs leaked";
	}

	net::worker &worker(uint16_t i = 0) { return _stack->worker_at(i); }

	void inject(const frame &f, uint16_t q = 0) { _port.inject(f, q); }

	/// Poll worker @p w once and return what it transmitted on its queue.
	std::vector<frame> poll(uint16_t w = 0) {
		worker(w).poll();
		return _port.take(w);
	}

	/// Inject one frame on queue 0 and poll worker 0.
	std::vector<frame> exchange(const frame &f) {
		inject(f);
		return poll();
	}

	/// Let @p ns of clock time pass, polling worker 0 every 100 ms (the
	/// aging interval, as a busy worker would); everything it transmitted.
	std::vector<frame> run_for(uint64_t ns) {
		std::vector<frame> all;
		while (ns > 0) {
			uint64_t step = ns < 100 * ms ? ns : 100 * ms;
			_clock.advance_ns(step);
			ns -= step;
			for (frame &f : poll()) {
				all.push_back(std::move(f));
			}
		}
		return all;
	}

	uint64_t dropped(net::drop_reason r) const { return _stack->totals().dropped(r); }
	uint64_t total_drops() const { return _stack->totals().total_drops(); }

	net::neigh_entry<ipv4_addr> *arp_entry(ipv4_addr a, uint16_t w = 0) {
		return worker(w).arp_cache().find(a);
	}
	net::neigh_entry<ipv6_addr> *nd_entry(const ipv6_addr &a, uint16_t w = 0) {
		return worker(w).nd_cache().find(a);
	}

	static constexpr uint64_t ms = 1'000'000;
	static constexpr uint64_t start_ns = 1'000 * ms;

	skiff::clock _clock = skiff::clock::manual(start_ns);
	ring_port _port;
	std::unique_ptr<net::stack> _stack;
	unsigned _avail = 0;
};

/// net_test with a socket layer, and the peer's MAC already known to worker
/// 0 (over ARP and NDP) so that replies leave at once.
class socket_test : public net_test {
protected:
	void SetUp() override {
		net_test::SetUp();
		auto l = net::socket_layer::create(*_stack, net::socket_config{});
		ASSERT_TRUE(l) << l.err().message;
		_sockets = std::move(*l);
		exchange(arp_request_from_peer());
		exchange(icmp6_frame(multicast_mac(our6.solicited_node()), peer_mac, peer6,
		                     our6.solicited_node(), 135, 0, ns_body(our6, peer_mac), 255));
	}
	void TearDown() override {
		_sockets.reset();
		net_test::TearDown();
	}

	std::unique_ptr<net::socket_layer> _sockets;
};

} // namespace skiff::test
