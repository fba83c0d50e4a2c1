// The router's control path: static routes ("CIDR,GATEWAY[@N]") and
// permanent neighbours ("IP,MAC[@N]"), parsed and checked before the
// workers start.

#include "net/stack.h"

#include <charconv>
#include <optional>
#include <type_traits>
#include <variant>

namespace skiff::net {

namespace {

struct split_spec {
	std::string_view left;  ///< before the comma
	std::string_view right; ///< between the comma and '@'
	std::optional<uint16_t> port;
};

// "LEFT,RIGHT[@N]", where `form` names the syntax for error messages.
result<split_spec> split(std::string_view spec, const char *form) {
	auto bad = [&](const std::string &why) {
		return make_error(-EINVAL, "bad '" + std::string(spec) + "': " + why +
		                               " (expected " + form + ")");
	};
	split_spec s;
	size_t comma = spec.find(',');
	if (comma == std::string_view::npos) {
		return bad("no comma");
	}
	s.left = spec.substr(0, comma);
	s.right = spec.substr(comma + 1);
	size_t at = s.right.find('@');
	if (at != std::string_view::npos) {
		std::string_view n = s.right.substr(at + 1);
		uint16_t port = 0;
		auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), port);
		if (n.empty() || ec != std::errc() || end != n.data() + n.size()) {
			return bad("bad port index '" + std::string(n) + "'");
		}
		s.port = port;
		s.right = s.right.substr(0, at);
	}
	return s;
}

bool host_bits_clear(const prefix4 &p) {
	uint32_t host_mask = p.len == 0 ? ~uint32_t(0) : ~(~uint32_t(0) << (32 - p.len));
	return (p.addr.host() & host_mask) == 0;
}

bool host_bits_clear(const prefix6 &p) {
	for (unsigned bit = p.len; bit < 128; bit++) {
		if (p.addr.b[bit / 8] & (0x80u >> (bit % 8))) {
			return false;
		}
	}
	return true;
}

template <typename Addr> bool usable_unicast(const Addr &a) {
	return !a.is_unspecified() && !a.is_multicast() && !a.is_loopback();
}

} // namespace

// One template for both families: the prefix, then the gateway.
template <typename Addr>
static result<void> add_route_of(route_table &routes, const std::vector<iface> &ifaces,
                                 const prefix<Addr> &dst, std::string_view gw_text,
                                 std::optional<uint16_t> port, std::string_view spec) {
	std::string what = "route '" + std::string(spec) + "'";
	if (!host_bits_clear(dst)) {
		return make_error(-EINVAL, what + ": " + to_string(dst) +
		                               " has host bits set; give the network address");
	}
	const auto &existing = [&]() -> const auto & {
		if constexpr (std::is_same_v<Addr, ipv4_addr>) {
			return routes.routes4();
		} else {
			return routes.routes6();
		}
	}
	();
	for (const auto &r : existing) {
		if (r.dst.len == dst.len && r.dst.addr == dst.addr) {
			return make_error(-EEXIST,
			                  what + ": " + to_string(dst) +
			                      " already has a route (connected or given twice)");
		}
	}
	if (port && *port >= ifaces.size()) {
		return make_error(-ENODEV, what + ": port " + std::to_string(*port) + " but only " +
		                               std::to_string(ifaces.size()) + " --port given");
	}
	nexthop<Addr> nh;
	if (gw_text == "direct") {
		nh.iface = port.value_or(0);
		return routes.add(dst, nh);
	}
	auto gw = parse_addr(gw_text);
	if (!gw) {
		return make_error(-EINVAL, what + ": " + gw.err().message + ", or 'direct'");
	}
	const Addr *g = std::get_if<Addr>(&*gw);
	if (!g) {
		return make_error(-EINVAL, what + ": the gateway is not of the prefix's family");
	}
	if (!usable_unicast(*g)) {
		return make_error(-EINVAL, what + ": the gateway must be a unicast address");
	}
	nh.gateway = *g;
	if (port) {
		nh.iface = *port;
	} else if (const nexthop<Addr> *via = routes.lookup(*g); via && via->on_link()) {
		nh.iface = via->iface;
	} else {
		return make_error(-ENETUNREACH,
		                  what + ": gateway " + std::string(gw_text) +
		                      " is not on any --addr subnet: add an address in its "
		                      "subnet, or give the port with @N");
	}
	return routes.add(dst, nh);
}

result<void> stack::add_route(std::string_view spec) {
	auto s = split(spec, "CIDR,GATEWAY[@N] or CIDR,direct[@N]");
	if (!s) {
		return s.err();
	}
	auto dst = parse_cidr(s->left);
	if (!dst) {
		return make_error(-EINVAL,
		                  "route '" + std::string(spec) + "': " + dst.err().message);
	}
	if (const auto *p4 = std::get_if<prefix4>(&*dst)) {
		return add_route_of(_routes, _ifaces, *p4, s->right, s->port, spec);
	}
	return add_route_of(_routes, _ifaces, std::get<prefix6>(*dst), s->right, s->port, spec);
}

result<void> stack::add_static_neighbour(std::string_view spec) {
	auto s = split(spec, "IP,MAC[@N]");
	if (!s) {
		return s.err();
	}
	std::string what = "neighbour '" + std::string(spec) + "'";
	auto addr = parse_addr(s->left);
	if (!addr) {
		return make_error(-EINVAL, what + ": " + addr.err().message);
	}
	auto mac = mac_addr::parse(s->right);
	if (!mac || mac->is_multicast() || mac->is_zero()) {
		return make_error(-EINVAL,
		                  what + ": expected a unicast MAC like 02:00:00:00:00:01");
	}
	bool unicast = std::visit([](const auto &a) { return usable_unicast(a); }, *addr);
	if (!unicast) {
		return make_error(-EINVAL, what + ": the address must be unicast");
	}
	uint16_t ifc = 0;
	if (s->port) {
		if (*s->port >= _ifaces.size()) {
			return make_error(
			    -ENODEV, what + ": port " + std::to_string(*s->port) + " but only " +
			                 std::to_string(_ifaces.size()) + " --port given");
		}
		ifc = *s->port;
	} else {
		auto via = std::visit(
		    [&](const auto &a) -> std::optional<uint16_t> {
			    const auto *nh = _routes.lookup(a);
			    return nh ? std::optional<uint16_t>(nh->iface) : std::nullopt;
		    },
		    *addr);
		if (!via) {
			return make_error(-ENETUNREACH,
			                  what + ": no route to it; give the port with @N");
		}
		ifc = *via;
	}
	_static_neighbours.push_back({*addr, *mac, ifc});
	for (auto &w : _workers) {
		if (auto r = pin_static_neighbours(*w); !r) {
			return r;
		}
	}
	return {};
}

result<void> stack::pin_static_neighbours(worker &w) {
	for (const static_neighbour &n : _static_neighbours) {
		bool ok;
		if (const auto *a4 = std::get_if<ipv4_addr>(&n.addr)) {
			ok = w.arp_cache().pin(*a4, n.iface, n.mac) != nullptr;
		} else {
			ok = w.nd_cache().pin(std::get<ipv6_addr>(n.addr), n.iface, n.mac) !=
			     nullptr;
		}
		if (!ok) {
			return make_error(-ENOSPC,
			                  "neighbour table full: too many static neighbours");
		}
	}
	return {};
}

} // namespace skiff::net
