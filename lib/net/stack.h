#pragma once

// The stack: interfaces, routes and one worker per lcore. Configured on the
// control path (add_iface, add_address, add_gateway, add_worker), then the
// workers poll; after that the configuration is read-only.

#include "base/result.h"
#include "net/counters.h"
#include "net/iface.h"
#include "net/neighbor.h"
#include "net/route.h"
#include "net/worker.h"
#include "time/clock.h"

#include <memory>
#include <string>
#include <vector>

namespace skiff::net {

struct stack_config {
	std::string name = "skiff"; ///< unique per process; names DPDK tables
	rte_mempool *pool = nullptr;
	neigh_config neigh{};
	uint8_t ttl = 64;
	uint8_t hop_limit = 64;
	/// Route packets whose destination is not ours (RFC 1812, RFC 8200)
	/// instead of dropping them as ipv4_not_for_us / ipv6_not_for_us.
	bool forwarding = false;
};

class stack {
public:
	/// `clk` must outlive the stack; tests pass a manual clock.
	static result<std::unique_ptr<stack>> create(const stack_config &cfg, const clock &clk);

	/// Register a started port. Returns the interface index.
	result<uint16_t> add_iface(uint16_t port_id, uint16_t n_queues, const mac_addr &mac,
	                           uint16_t mtu, const wire::offload_caps &offloads);

	/// Add an address and its connected route ("198.18.0.2/24" or
	/// "2001:2::2/64", optionally suffixed "@IFACE"; default interface 0).
	result<void> add_address(std::string_view cidr);

	/// Add a default route through `gateway`, which must be on a connected
	/// subnet of some interface.
	result<void> add_gateway(std::string_view gateway);

	/// Add a route "CIDR,GATEWAY[@N]" GATEWAY is an address
	/// of the same family, or `direct` for an on-link prefix. Without @N the
	/// gateway's connected subnet picks the interface (port 0 for
	/// `direct`). Errors: -EINVAL (syntax, host bits set, family mismatch),
	/// -ENODEV (no such port), -ENETUNREACH (gateway off every subnet),
	/// -EEXIST (the prefix already has a route). Control path, before the
	/// workers poll: they read the route tables without locks.
	result<void> add_route(std::string_view spec);

	/// Add a permanent neighbour "IP,MAC[@N]" to every worker's ARP or NDP
	/// cache, present and future: for next hops that cannot
	/// answer ARP/NDP, such as a net_null port. Without @N the interface
	/// of the route to IP is used. Control path, before the workers poll.
	result<void> add_static_neighbour(std::string_view spec);

	/// Create the worker that polls queue `index` of every interface.
	result<worker *> add_worker();

	const stack_config &config() const { return _cfg; }
	const clock &clk() const { return *_clock; }
	const std::vector<iface> &ifaces() const { return _ifaces; }
	const route_table &routes() const { return _routes; }
	const std::vector<std::unique_ptr<worker>> &workers() const { return _workers; }
	worker &worker_at(size_t i) { return *_workers[i]; }

	/// Counters of every worker added together.
	core_counters totals() const;

private:
	stack(const stack_config &cfg, const clock &clk, route_table routes);
	result<void> pin_static_neighbours(worker &w);

	struct static_neighbour {
		any_addr addr;
		mac_addr mac;
		uint16_t iface;
	};

	stack_config _cfg;
	const clock *_clock;
	route_table _routes;
	std::vector<iface> _ifaces;
	std::vector<std::unique_ptr<worker>> _workers;
	std::vector<static_neighbour> _static_neighbours;
};

} // namespace skiff::net
