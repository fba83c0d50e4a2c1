#include "net/neighbor.h"

#include <rte_errno.h>
#include <rte_hash_crc.h>

#include <utility>

namespace skiff::net {

namespace {

// rte_hash_crc() reads keys 8 bytes at a time through uint64_t pointers, so
// hand it an aligned copy: callers' addresses need not be aligned (a
// nexthop6's gateway sits at offset 2).
template <typename Addr> struct hash_key {
	explicit hash_key(const Addr &a) : addr(a) {}
	alignas(8) Addr addr;
};

} // namespace

template <typename Addr>
result<neigh_cache<Addr>> neigh_cache<Addr>::create(const std::string &name,
                                                    const neigh_config &cfg) {
	neigh_cache c;
	c._cfg = cfg;
	rte_hash_parameters params{};
	params.name = name.c_str();
	params.entries = cfg.capacity;
	params.key_len = sizeof(Addr);
	params.hash_func = rte_hash_crc;
	params.socket_id = SOCKET_ID_ANY;
	c._hash = rte_hash_create(&params);
	if (!c._hash) {
		return make_error(-rte_errno, "cannot create neighbour table " + name + ": " +
		                                  rte_strerror(rte_errno) + " (raise --mem)");
	}
	// rte_hash may hand out positions up to its rounded-up internal size.
	c._entries = std::make_unique<entry[]>(rte_hash_max_key_id(c._hash) + 1);
	return c;
}

template <typename Addr> neigh_cache<Addr>::neigh_cache(neigh_cache &&o) noexcept {
	*this = std::move(o);
}

template <typename Addr> neigh_cache<Addr> &neigh_cache<Addr>::operator=(neigh_cache &&o) noexcept {
	std::swap(_hash, o._hash);
	std::swap(_entries, o._entries);
	std::swap(_cfg, o._cfg);
	return *this;
}

template <typename Addr> neigh_cache<Addr>::~neigh_cache() {
	if (_hash) {
		for_each([this](entry &e) { remove(e); });
		rte_hash_free(_hash);
	}
}

template <typename Addr> neigh_entry<Addr> *neigh_cache<Addr>::find(const Addr &addr) {
	hash_key<Addr> key(addr);
	int32_t pos = rte_hash_lookup(_hash, &key.addr);
	return pos >= 0 ? &_entries[pos] : nullptr;
}

template <typename Addr>
neigh_entry<Addr> *neigh_cache<Addr>::find_or_create(const Addr &addr, uint16_t iface,
                                                     bool &created) {
	created = false;
	hash_key<Addr> key(addr);
	int32_t pos = rte_hash_lookup(_hash, &key.addr);
	if (pos >= 0) {
		return &_entries[pos];
	}
	pos = rte_hash_add_key(_hash, &key.addr);
	if (pos < 0) {
		return nullptr;
	}
	entry &e = _entries[pos];
	e = entry{};
	e.addr = addr;
	e.iface = iface;
	created = true;
	return &e;
}

template <typename Addr>
neigh_entry<Addr> *neigh_cache<Addr>::confirm(const Addr &addr, uint16_t iface, const mac_addr &mac,
                                              uint64_t now_ns) {
	bool created;
	entry *e = find_or_create(addr, iface, created);
	if (!e || e->permanent) {
		return e;
	}
	e->mac = mac;
	e->iface = iface;
	e->state = neigh_state::reachable;
	e->probes = 0;
	e->expires_ns = now_ns + _cfg.reachable_ns;
	return e;
}

template <typename Addr>
neigh_entry<Addr> *neigh_cache<Addr>::pin(const Addr &addr, uint16_t iface, const mac_addr &mac) {
	bool created;
	entry *e = find_or_create(addr, iface, created);
	if (!e) {
		return nullptr;
	}
	e->permanent = false; // so that confirm() writes it
	confirm(addr, iface, mac, 0);
	e->permanent = true;
	e->expires_ns = UINT64_MAX; // aging skips it
	return e;
}

template <typename Addr> void neigh_cache<Addr>::remove(entry &e) {
	rte_pktmbuf_free_bulk(e.pending, e.n_pending);
	e.n_pending = 0;
	// The slot outlives the key: a pointer kept to it (the worker's
	// forwarding memo) must see that it is no longer reachable.
	e.state = neigh_state::incomplete;
	hash_key<Addr> key(e.addr);
	rte_hash_del_key(_hash, &key.addr);
}

template <typename Addr> uint32_t neigh_cache<Addr>::size() const {
	return static_cast<uint32_t>(rte_hash_count(_hash));
}

template class neigh_cache<ipv4_addr>;
template class neigh_cache<ipv6_addr>;

} // namespace skiff::net
