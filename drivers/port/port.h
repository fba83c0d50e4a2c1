#pragma once

// Ethdev bring-up: turn a --port DEVARGS string (any DPDK ethdev: net_tap,
// net_af_packet, net_ring, net_null, net_pcap, net_memif or a PCI address)
// into a configured, started port with one RX and one TX queue per worker
// lcore. The pipeline polls the port by id with rte_eth_rx_burst() and
// rte_eth_tx_burst(); this library only does the control path: probe,
// capabilities, RSS, MTU, link, counters.

#include "base/result.h"
#include "wire/offload.h"

#include <rte_config.h>
#include <rte_ether.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

struct rte_device;
struct rte_eth_dev_info;
struct rte_mempool;

namespace skiff {

/// RSS key length used when the device does not report one.
inline constexpr size_t default_rss_key_len = 40;

/**
 * The symmetric Toeplitz key: 0x6d5a repeated. Its 16-bit period makes the
 * hash of (src, dst, sport, dport) equal that of (dst, src, dport, sport),
 * so both directions of a flow land on the same queue. The TCP layer hashes
 * with the same key (rte_softrss / rte_thash) to pick a flow's queue.
 *
 * @param len key length in bytes (dev_info.hash_key_size); at most 255.
 * @return the first @p len bytes of the key (static storage).
 */
std::span<const uint8_t> symmetric_rss_key(size_t len = default_rss_key_len);

struct port_config {
	std::string devargs;   ///< e.g. "net_tap0,iface=sk0", "net_ring0", "0000:01:00.0"
	uint16_t n_queues = 1; ///< one RX+TX queue pair per worker lcore
	uint16_t rx_desc = 512;
	uint16_t tx_desc = 512;
	uint16_t mtu = 0; ///< 0 = device default (1500)
	rte_mempool *pool = nullptr;
	bool promiscuous = true;
};

struct link_state {
	bool up = false;
	uint32_t speed_mbps = 0; ///< 0 when down or unknown
	bool full_duplex = false;
};

/// "up 10 Gbps full-duplex", "up 100 Mbps half-duplex", "down".
std::string format_link(const link_state &link);

struct port_info {
	uint16_t id = 0;
	std::string name;   ///< ethdev name, e.g. "net_tap0" or "0000:01:00.0"
	std::string driver; ///< PMD name, e.g. "net_tap"
	rte_ether_addr mac{};
	uint16_t mtu = 0;
	uint16_t n_queues = 0;
	uint16_t rx_desc = 0; ///< after rte_eth_dev_adjust_nb_rx_tx_desc()
	uint16_t tx_desc = 0;
	wire::offload_caps offloads;   ///< checksum offloads enabled on this port
	bool rss = false;              ///< RTE_ETH_MQ_RX_RSS with symmetric_rss_key()
	uint64_t rss_hf = 0;           ///< RTE_ETH_RSS_* hashed fields
	size_t rss_key_len = 0;        ///< key length programmed (0 without RSS)
	bool rss_hash_in_mbuf = false; ///< mbuf->hash.rss is valid (RTE_ETH_RX_OFFLOAD_RSS_HASH)
};

/// A snapshot of rte_eth_stats. Per-queue arrays hold the first
/// RTE_ETHDEV_QUEUE_STAT_CNTRS queues; entries past n_queues are zero.
struct port_counters {
	uint64_t rx_packets = 0;
	uint64_t rx_bytes = 0;
	uint64_t tx_packets = 0;
	uint64_t tx_bytes = 0;
	uint64_t rx_missed = 0; ///< dropped by the device: RX queue full (imissed)
	uint64_t rx_errors = 0; ///< erroneous received packets (ierrors)
	uint64_t tx_errors = 0; ///< failed transmissions (oerrors)
	uint64_t rx_nombuf = 0; ///< RX mbuf allocation failures
	uint16_t n_queues = 0;  ///< valid entries in the per-queue arrays
	std::array<uint64_t, RTE_ETHDEV_QUEUE_STAT_CNTRS> rx_queue_packets{};
	std::array<uint64_t, RTE_ETHDEV_QUEUE_STAT_CNTRS> rx_queue_bytes{};
	std::array<uint64_t, RTE_ETHDEV_QUEUE_STAT_CNTRS> tx_queue_packets{};
	std::array<uint64_t, RTE_ETHDEV_QUEUE_STAT_CNTRS> tx_queue_bytes{};
};

/// One extended statistic, as the driver names it.
struct xstat {
	std::string name;
	uint64_t value = 0;
};

/// A started ethdev. Move-only; the destructor calls close().
class port {
public:
	/**
	 * Find an existing ethdev by name (vdevs from --vdev or
	 * rte_eth_from_rings(), PCI devices probed by the EAL) or probe
	 * cfg.devargs with rte_dev_probe(), then configure RSS, offloads and
	 * MTU, set up cfg.n_queues RX/TX queue pairs from cfg.pool and start.
	 *
	 * @return the started port, or an error whose message is one line
	 *   saying what to do (unknown driver, missing privileges, bad
	 *   arguments, too many queues, missing pool, MTU out of range).
	 */
	static result<port> open(const port_config &cfg);

	port(port &&other) noexcept;
	port &operator=(port &&other) noexcept;
	port(const port &) = delete;
	port &operator=(const port &) = delete;
	~port();

	const port_info &info() const { return _info; }
	uint16_t id() const { return _info.id; }
	bool is_open() const { return _open; }

	/// Current link state; never waits (rte_eth_link_get_nowait).
	link_state link() const;

	/**
	 * Change the MTU of the running port.
	 * @return an error when the device refuses (not supported, out of
	 *   range, or only while stopped).
	 */
	result<void> set_mtu(uint16_t mtu);

	/// Basic and per-queue counters; all zero if the driver fails.
	port_counters counters() const;

	/// Every extended statistic the driver exposes, as name/value pairs.
	result<std::vector<xstat>> xstats() const;

	/// Zero basic and extended counters.
	result<void> reset_counters();

	/// Stop the port. If open() probed the device, also close the ethdev
	/// and remove the device; ethdevs that existed before open() are
	/// left stopped and can be opened again. Idempotent.
	void close();

private:
	port() = default;
	result<void> bring_up(const port_config &cfg);
	result<void> configure(const port_config &cfg, const rte_eth_dev_info &di);
	result<void> setup_queues(const port_config &cfg);
	result<void> start(const port_config &cfg);
	std::string label() const;

	port_info _info;
	rte_device *_probed = nullptr; ///< non-null when open() probed it
	bool _open = false;
	bool _started = false;
};

} // namespace skiff
