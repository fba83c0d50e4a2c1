#include "net/stack.h"

#include <charconv>

namespace skiff::net {

stack::stack(const stack_config &cfg, const clock &clk, route_table routes)
    : _cfg(cfg), _clock(&clk), _routes(std::move(routes)) {}

result<std::unique_ptr<stack>> stack::create(const stack_config &cfg, const clock &clk) {
	if (!cfg.pool) {
		return make_error(-EINVAL, "stack " + cfg.name + ": no mbuf pool given");
	}
	auto routes = route_table::create(cfg.name);
	if (!routes) {
		return routes.err();
	}
	return std::unique_ptr<stack>(new stack(cfg, clk, std::move(*routes)));
}

result<uint16_t> stack::add_iface(uint16_t port_id, uint16_t n_queues, const mac_addr &mac,
                                  uint16_t mtu, const wire::offload_caps &offloads) {
	if (!_workers.empty()) {
		return make_error(-EBUSY, "add interfaces before workers");
	}
	if (_ifaces.size() == max_ifaces) {
		return make_error(-ENOSPC, "at most " + std::to_string(max_ifaces) + " ports");
	}
	iface ifc;
	ifc.index = uint16_t(_ifaces.size());
	ifc.port_id = port_id;
	ifc.n_queues = n_queues;
	ifc.mac = mac;
	ifc.mtu = mtu;
	ifc.offloads = offloads;
	ifc.v6.push_back({link_local_from_mac(mac), 64});
	_ifaces.push_back(std::move(ifc));
	return _ifaces.back().index;
}

result<void> stack::add_address(std::string_view text) {
	uint16_t index = 0;
	size_t at = text.find('@');
	if (at != std::string_view::npos) {
		std::string_view n = text.substr(at + 1);
		auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), index);
		if (ec != std::errc() || end != n.data() + n.size()) {
			return make_error(
			    -EINVAL, "bad port index in '" + std::string(text) +
			                 "': use ADDR/LEN@N with N counting --port options from 0");
		}
		text = text.substr(0, at);
	}
	if (index >= _ifaces.size()) {
		return make_error(-ENODEV, "address " + std::string(text) + " is for port " +
		                               std::to_string(index) + " but only " +
		                               std::to_string(_ifaces.size()) + " --port given");
	}
	auto p = parse_cidr(text);
	if (!p) {
		return p.err();
	}
	iface &ifc = _ifaces[index];
	if (const auto *p4 = std::get_if<prefix4>(&*p)) {
		ifc.v4.push_back(*p4);
		prefix4 net = *p4;
		return _routes.add(net, nexthop4{index, {}});
	}
	const prefix6 &p6 = std::get<prefix6>(*p);
	ifc.v6.push_back(p6);
	return _routes.add(p6, nexthop6{index, {}});
}

result<void> stack::add_gateway(std::string_view text) {
	auto a = parse_addr(text);
	if (!a) {
		return a.err();
	}
	auto no_subnet = [&] {
		return make_error(-ENETUNREACH,
		                  "gateway " + std::string(text) +
		                      " is not on any --addr subnet: add an address in its subnet");
	};
	if (const auto *g4 = std::get_if<ipv4_addr>(&*a)) {
		const nexthop4 *via = _routes.lookup(*g4);
		if (!via) {
			return no_subnet();
		}
		return _routes.add(prefix4{ipv4_addr{}, 0}, nexthop4{via->iface, *g4});
	}
	const ipv6_addr &g6 = std::get<ipv6_addr>(*a);
	const nexthop6 *via = _routes.lookup(g6);
	if (!via) {
		return no_subnet();
	}
	return _routes.add(prefix6{ipv6_addr{}, 0}, nexthop6{via->iface, g6});
}

result<worker *> stack::add_worker() {
	uint16_t index = uint16_t(_workers.size());
	for (const iface &ifc : _ifaces) {
		if (index >= ifc.n_queues) {
			return make_error(-EINVAL, "port " + std::to_string(ifc.port_id) + " has " +
			                               std::to_string(ifc.n_queues) +
			                               " queues: one per worker is needed");
		}
	}
	auto w = std::make_unique<worker>(*this, index);
	if (auto r = w->init(); !r) {
		return r.err();
	}
	if (auto r = pin_static_neighbours(*w); !r) {
		return r.err();
	}
	_workers.push_back(std::move(w));
	return _workers.back().get();
}

core_counters stack::totals() const {
	std::vector<const core_counters *> all;
	for (const auto &w : _workers) {
		all.push_back(&w->counters());
	}
	return sum(all.data(), all.size());
}

} // namespace skiff::net
