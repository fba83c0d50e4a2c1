// Address resolution on the output path, shared by ARP and NDP: packets to an
// unresolved next hop wait in a small bounded queue on the neighbour entry
// while the worker solicits; aging retries and expires entries.

#include "net/stack.h"
#include "net/worker.h"

#include <cstring>

namespace skiff::net {

namespace {

uint16_t ethertype_of(const ipv4_addr &) {
	return RTE_ETHER_TYPE_IPV4;
}
uint16_t ethertype_of(const ipv6_addr &) {
	return RTE_ETHER_TYPE_IPV6;
}
uint8_t family_of(const ipv4_addr &) {
	return 4;
}
uint8_t family_of(const ipv6_addr &) {
	return 6;
}

} // namespace

template <typename Addr>
void worker::neigh_output(uint16_t ifc, const Addr &next_hop, rte_mbuf *m) {
	auto &cache = cache_for(next_hop);
	bool created;
	neigh_entry<Addr> *e = cache.find_or_create(next_hop, ifc, created);
	if (!e) {
		drop(m, drop_reason::neigh_table_full);
		return;
	}
	if (e->state == neigh_state::reachable) {
		eth_output(e->iface, m, e->mac, ethertype_of(next_hop));
		return;
	}
	if (e->n_pending == neigh_entry<Addr>::max_pending) {
		drop(m, drop_reason::neigh_queue_full);
	} else {
		e->pending[e->n_pending++] = m;
	}
	if (created) {
		e->probes = 1;
		e->expires_ns = _now_ns + cache.config().retrans_ns;
		send_solicit(ifc, next_hop);
	}
}

template <typename Addr> void worker::flush_pending(neigh_entry<Addr> &e) {
	uint8_t n = e.n_pending;
	e.n_pending = 0;
	for (uint8_t i = 0; i < n; i++) {
		eth_output(e.iface, e.pending[i], e.mac, ethertype_of(e.addr));
		e.pending[i] = nullptr;
	}
}

template <typename Addr>
void worker::learn(uint16_t ifc, const Addr &addr, const mac_addr &mac, bool create,
                   bool announce) {
	auto &cache = cache_for(addr);
	if (create || cache.find(addr)) {
		neigh_entry<Addr> *e = cache.confirm(addr, ifc, mac, _now_ns);
		if (!e) {
			_counters.drop(drop_reason::neigh_table_full);
		} else {
			flush_pending(*e);
		}
	}
	if (!announce) {
		return;
	}
	// The answer to a solicitation may land on a core other than the one
	// that asked (ARP and NDP carry no RSS-able flow), so tell every core.
	neigh_event ev{};
	ev.family = family_of(addr);
	ev.iface = ifc;
	ev.mac = mac;
	std::memcpy(ev.addr, &addr, sizeof(addr));
	for (const auto &w : _stack.workers()) {
		if (w.get() != this) {
			w->post(ev);
		}
	}
}

template <typename Addr> void worker::age(neigh_cache<Addr> &cache) {
	cache.for_each([&](neigh_entry<Addr> &e) {
		if (_now_ns < e.expires_ns) {
			return;
		}
		if (e.state == neigh_state::incomplete && e.probes < cache.config().max_probes) {
			e.probes++;
			e.expires_ns = _now_ns + cache.config().retrans_ns;
			send_solicit(e.iface, e.addr);
			return;
		}
		// Unanswered, or confirmed too long ago: forget it; the next packet
		// resolves afresh.
		_counters.drop(drop_reason::neigh_unresolved, e.n_pending);
		cache.remove(e);
	});
}

void worker::age_neighbours() {
	age(*_arp);
	age(*_nd);
}

template void worker::neigh_output(uint16_t, const ipv4_addr &, rte_mbuf *);
template void worker::neigh_output(uint16_t, const ipv6_addr &, rte_mbuf *);
template void worker::learn(uint16_t, const ipv4_addr &, const mac_addr &, bool, bool);
template void worker::learn(uint16_t, const ipv6_addr &, const mac_addr &, bool, bool);

} // namespace skiff::net
