#pragma once

// Opt-in pcapng capture of what ports see, over DPDK's rte_pcapng. Workers
// call record() on the bursts they receive or send; each packet is copied
// into the capture's own pool and appended to the file.

#include "base/result.h"

#include <cstdint>
#include <memory>
#include <string>

struct rte_mbuf;
struct rte_mempool;

namespace skiff {

class pcap_capture {
public:
	/**
	 * Create @p path (truncated) and write the pcapng section header and
	 * one interface block per ethdev port that exists now. Open it after
	 * the ports: packets of ports created later are dropped, not
	 * misattributed.
	 *
	 * @param copy_pool pool for the copies; mbufs of at least
	 *   rte_pcapng_mbuf_size(snaplen) data room (128 B headroom for the
	 *   block header, room at the tail for options).
	 * @param snaplen bytes kept per packet.
	 */
	static result<pcap_capture> open(const std::string &path, rte_mempool *copy_pool,
	                                 uint32_t snaplen = UINT32_MAX);

	pcap_capture(pcap_capture &&) noexcept;
	pcap_capture &operator=(pcap_capture &&) noexcept;
	pcap_capture(const pcap_capture &) = delete;
	pcap_capture &operator=(const pcap_capture &) = delete;
	~pcap_capture();

	/**
	 * Copy and write a burst. Safe from several lcores at once (each write
	 * appends whole blocks); the caller keeps ownership of @p pkts. Copy or
	 * write failures are counted in dropped(), never fatal.
	 */
	void record(uint16_t port, uint16_t queue, rte_mbuf *const *pkts, uint16_t n,
	            bool outbound);

	uint64_t written() const; ///< packets written to the file
	uint64_t
	dropped() const; ///< packets not captured (no copy mbuf, write error, unknown port)

	/// Write a statistics block per interface and close the file. Idempotent.
	void close();

private:
	struct state;
	explicit pcap_capture(std::unique_ptr<state> s);
	std::unique_ptr<state> _s;
};

} // namespace skiff
