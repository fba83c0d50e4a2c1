#pragma once

// A fixture for net_wire tests: a cable between two fresh vdev ports on the
// test EAL, UDP/IPv4 frames that carry a sequence number and a send TSC, a
// pump that sends and receives on one thread, and an mbuf leak check at the
// end of every test.

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace skiff::test {

/// What make_udp() puts in a frame.
struct frame_spec {
	uint32_t seq = 0;
	uint16_t len = 64; ///< frame length without FCS, >= 60
	uint16_t sport = 1000;
	uint16_t dport = 2000;
	uint32_t src = 0xc6120001; ///< 198.18.0.1
	uint32_t dst = 0xc6120002; ///< 198.18.0.2
	bool vlan = false;         ///< one 802.1Q tag
	bool stamp = true;         ///< put the TSC in; false: 0, for byte-identical runs
};

/// A UDP/IPv4 frame with valid checksums; the payload starts with seq
/// (big-endian) and the TSC at creation.
rte_mbuf *make_udp(rte_mempool *pool, const frame_spec &spec);
uint32_t seq_of(const rte_mbuf *m);
uint64_t tsc_of(const rte_mbuf *m);
/// The frame's bytes, flattened.
std::vector<uint8_t> bytes_of(const rte_mbuf *m);

/// One received packet, as the pump saw it.
struct arrival {
	uint32_t seq;
	uint16_t queue;
	uint64_t sent_tsc;
	uint64_t rx_tsc;
};

class wire_test : public testing::Test {
protected:
	void SetUp() override;
	void TearDown() override;

	/**
	 * Create two net_wire ports on a fresh link ("link=" is prepended),
	 * configure each with nq queues (RSS when nq > 1 or rss), start both.
	 * Sets a and b; fails the test on any error.
	 */
	void open(const std::string &args_a, const std::string &args_b, uint16_t nq = 1,
	          bool rss = false);
	/// Only create the vdev (no configure/start); returns its port or -errno.
	int create(const std::string &name, const std::string &args);
	void configure(uint16_t port, uint16_t nq, bool rss);

	/// tx_burst all of pkts on (port, q); the cable always takes everything.
	void send(uint16_t port, uint16_t q, std::vector<rte_mbuf *> pkts);
	/// Poll every queue of port until `want` packets or `idle_ms` without any.
	std::vector<rte_mbuf *> receive(uint16_t port, size_t want, unsigned idle_ms = 50,
	                                std::vector<uint16_t> *queues = nullptr);

	/**
	 * Send n frames (seq 0..n-1 from spec_of) from port `from`, queue 0, in
	 * bursts of 32 while polling `to`, then keep polling until `idle_ms`
	 * pass without a packet. Each arrival is recorded, passed to on_rx if
	 * set, and freed.
	 */
	std::vector<arrival> pump(uint16_t from, uint16_t to, uint32_t n,
	                          const std::function<frame_spec(uint32_t)> &spec_of = nullptr,
	                          const std::function<void(rte_mbuf *)> &on_rx = nullptr,
	                          unsigned idle_ms = 100);

	uint64_t xstat(uint16_t port, const std::string &name);
	std::string link_name() const { return _link; }

	uint16_t a = 0;
	uint16_t b = 0;
	rte_mempool *pool = nullptr;

private:
	std::vector<std::string> _vdevs;
	std::vector<uint16_t> _ports;
	std::string _link;
	unsigned _avail_before = 0;
};

/// Microseconds between two TSC readings.
double tsc_us(uint64_t from, uint64_t to);

} // namespace skiff::test
