#pragma once

// A per-core neighbour cache, shared by ARP (IPv4) and NDP (IPv6) through the
// address type. Each worker owns its caches and is their only reader and
// writer, so there are no locks; what one core learns reaches the others as
// events over lock-free rings (see worker.h).
//
// Entries live in an array indexed by the rte_hash key position, so lookups
// cost one hash probe and nothing is allocated after creation.

#include "base/result.h"
#include "net/iface.h"

#include <rte_hash.h>
#include <rte_mbuf.h>

#include <memory>
#include <string>

namespace skiff::net {

enum class neigh_state : uint8_t {
	incomplete, ///< resolution in progress; packets wait in `pending`
	reachable,  ///< confirmed; valid until `expires_ns`
};

struct neigh_config {
	uint32_t capacity = 1024;
	uint64_t reachable_ns = 30'000'000'000ull; ///< RFC 4861 REACHABLE_TIME
	uint64_t retrans_ns = 1'000'000'000ull;    ///< RFC 4861 RETRANS_TIMER
	uint8_t max_probes = 3;                    ///< RFC 4861 MAX_MULTICAST_SOLICIT
};

template <typename Addr> struct neigh_entry {
	/// Packets that wait for resolution. A burst of new connections, or a
	/// forwarded flow's first burst, all wait at once: Linux queues about
	/// 100 (unres_qlen); 4 cost a one-second SYN retransmission to every
	/// connection but the first four opened towards a new neighbour.
	static constexpr unsigned max_pending = 64;

	Addr addr{};
	mac_addr mac{};
	neigh_state state = neigh_state::incomplete;
	uint16_t iface = 0;
	uint8_t probes = 0;
	uint8_t n_pending = 0;
	bool permanent = false;  ///< configured by hand: never aged, never relearned
	uint64_t expires_ns = 0; ///< reachable: end of validity; incomplete: next probe
	rte_mbuf *pending[max_pending] = {};
};

template <typename Addr> class neigh_cache {
public:
	using entry = neigh_entry<Addr>;

	static result<neigh_cache> create(const std::string &name, const neigh_config &cfg);

	neigh_cache(neigh_cache &&) noexcept;
	neigh_cache &operator=(neigh_cache &&) noexcept;
	neigh_cache(const neigh_cache &) = delete;
	~neigh_cache();

	/// The entry for `addr`, or nullptr.
	entry *find(const Addr &addr);

	/// The entry for `addr`, created incomplete if absent; nullptr when full.
	entry *find_or_create(const Addr &addr, uint16_t iface, bool &created);

	/// Record a confirmed link-layer address. Returns the entry (so the caller
	/// can flush its pending packets) or nullptr when the table is full. A
	/// permanent entry is returned unchanged: what ARP/NDP says cannot
	/// override what the operator configured.
	entry *confirm(const Addr &addr, uint16_t iface, const mac_addr &mac, uint64_t now_ns);

	/// Add or overwrite a permanent entry (a static neighbour): reachable
	/// for ever, never aged, never changed by ARP/NDP. Control path, before
	/// the owning worker polls. Returns nullptr when the table is full.
	entry *pin(const Addr &addr, uint16_t iface, const mac_addr &mac);

	/// Free the entry's pending packets and forget it.
	void remove(entry &e);

	/// Visit every entry; `fn(entry&)` may call remove() on the entry it gets.
	template <typename Fn> void for_each(Fn &&fn);

	const neigh_config &config() const { return _cfg; }
	uint32_t size() const;

private:
	neigh_cache() = default;

	rte_hash *_hash = nullptr;
	std::unique_ptr<entry[]> _entries;
	neigh_config _cfg;
};

template <typename Addr> template <typename Fn> void neigh_cache<Addr>::for_each(Fn &&fn) {
	const void *key;
	void *data;
	uint32_t next = 0;
	int32_t pos;
	while ((pos = rte_hash_iterate(_hash, &key, &data, &next)) >= 0) {
		fn(_entries[pos]);
	}
}

extern template class neigh_cache<ipv4_addr>;
extern template class neigh_cache<ipv6_addr>;

} // namespace skiff::net
