#include "runtime/host.h"

#include <rte_eth_ring.h>
#include <rte_malloc.h>
#include <rte_ring.h>

namespace skiff::app {

result<std::unique_ptr<host>> host::create(const host_config &cfg, const clock &clk) {
	std::unique_ptr<host> h(new host());
	port_config pc;
	pc.devargs = cfg.devargs;
	pc.pool = cfg.pool;
	auto p = port::open(pc);
	if (!p) {
		return p.err();
	}
	h->_port = std::make_unique<port>(std::move(*p));
	net::stack_config sc;
	sc.name = cfg.name;
	sc.pool = cfg.pool;
	auto st = net::stack::create(sc, clk);
	if (!st) {
		return st.err();
	}
	h->_stack = std::move(*st);
	const port_info &i = h->_port->info();
	if (auto r = h->_stack->add_iface(i.id, 1, wire::mac_addr::from(i.mac), i.mtu, i.offloads);
	    !r) {
		return r.err();
	}
	for (const std::string &a : cfg.addrs) {
		if (auto r = h->_stack->add_address(a); !r) {
			return r.err();
		}
	}
	if (auto w = h->_stack->add_worker(); !w) {
		return w.err();
	}
	size_t before = rte_heap_in_use();
	auto sl = net::socket_layer::create(*h->_stack, cfg.sockets);
	if (!sl) {
		return sl.err();
	}
	h->_socket_table_bytes = rte_heap_in_use() - before;
	h->_sockets = std::move(*sl);
	return h;
}

host::~host() {
	_sockets.reset();
	_stack.reset();
	_port.reset();
}

result<std::pair<std::string, std::string>> make_ring_cable(const std::string &tag,
                                                            unsigned depth) {
	unsigned size = rte_align32pow2(depth);
	rte_ring *ab = rte_ring_create((tag + "_ab").c_str(), size, SOCKET_ID_ANY,
	                               RING_F_SP_ENQ | RING_F_SC_DEQ);
	rte_ring *ba = rte_ring_create((tag + "_ba").c_str(), size, SOCKET_ID_ANY,
	                               RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!ab || !ba) {
		rte_ring_free(ab);
		rte_ring_free(ba);
		return make_error(-ENOMEM,
		                  "cannot create the rings of cable " + tag + ": raise --mem");
	}
	std::string a = tag + "_a", b = tag + "_b";
	if (rte_eth_from_rings(a.c_str(), &ba, 1, &ab, 1, SOCKET_ID_ANY) < 0 ||
	    rte_eth_from_rings(b.c_str(), &ab, 1, &ba, 1, SOCKET_ID_ANY) < 0) {
		return make_error(-ENODEV, "cannot create the ring ports of cable " + tag);
	}
	// rte_eth_from_rings() names the ports net_ring_<name>.
	return std::pair{"net_ring_" + a, "net_ring_" + b};
}

size_t rte_heap_in_use() {
	size_t total = 0;
	for (unsigned i = 0; i < rte_socket_count(); i++) {
		rte_malloc_socket_stats st{};
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0) {
			total += st.heap_allocsz_bytes;
		}
	}
	return total;
}

} // namespace skiff::app
