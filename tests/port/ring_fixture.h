#pragma once

// Ring-backed ethdevs as fake NICs: queue q transmits into ring q and
// receives from ring q, so a burst sent on a queue comes back on it.

#include "test_env.h"

#include <rte_dev.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstring>
#include <string>
#include <vector>

namespace skiff::test {

class ring_loopback {
public:
	ring_loopback(const std::string &tag, unsigned n_queues) {
		for (unsigned q = 0; q < n_queues; q++) {
			std::string rname = tag + "_r" + std::to_string(q);
			_rings.push_back(rte_ring_create(rname.c_str(), 1024, SOCKET_ID_ANY,
			                                 RING_F_SP_ENQ | RING_F_SC_DEQ));
		}
		int id = rte_eth_from_rings(tag.c_str(), _rings.data(), n_queues, _rings.data(),
		                            n_queues, SOCKET_ID_ANY);
		if (id >= 0) {
			char name[RTE_ETH_NAME_MAX_LEN];
			rte_eth_dev_get_name_by_port(static_cast<uint16_t>(id), name);
			_name = name;
			_id = id;
		}
	}
	/// The port must be stopped (port::close() stops it).
	~ring_loopback() {
		if (_id >= 0) {
			rte_eth_dev_close(static_cast<uint16_t>(_id));
			rte_eal_hotplug_remove("vdev", _name.c_str());
		}
		for (rte_ring *r : _rings) {
			rte_ring_free(r);
		}
	}
	ring_loopback(const ring_loopback &) = delete;
	ring_loopback &operator=(const ring_loopback &) = delete;

	bool ok() const { return _id >= 0; }
	const std::string &name() const { return _name; } ///< ethdev name to pass as devargs
	uint16_t id() const { return static_cast<uint16_t>(_id); }

private:
	std::vector<rte_ring *> _rings;
	std::string _name;
	int _id = -1;
};

/// @p n mbufs of @p len bytes, byte i of packet k = k + i.
inline std::vector<rte_mbuf *> make_packets(unsigned n, uint16_t len) {
	std::vector<rte_mbuf *> pkts;
	for (unsigned k = 0; k < n; k++) {
		rte_mbuf *m = rte_pktmbuf_alloc(pool());
		if (m == nullptr) {
			break;
		}
		auto *p = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(m, len));
		for (uint16_t i = 0; i < len; i++) {
			p[i] = static_cast<uint8_t>(k + i);
		}
		pkts.push_back(m);
	}
	return pkts;
}

inline void free_packets(std::vector<rte_mbuf *> &pkts) {
	for (rte_mbuf *m : pkts) {
		rte_pktmbuf_free(m);
	}
	pkts.clear();
}

} // namespace skiff::test
