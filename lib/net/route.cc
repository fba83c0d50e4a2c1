#include "net/route.h"

#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>

#include <utility>

namespace skiff::net {

namespace {

std::string lpm_failure(const char *what, int err) {
	return std::string(what) + ": " + rte_strerror(err) +
	       (err == ENOMEM ? " (not enough DPDK memory: raise --mem)" : "");
}

} // namespace

result<route_table> route_table::create(const std::string &name, uint32_t max_routes) {
	route_table t;
	rte_lpm_config cfg4{};
	cfg4.max_rules = max_routes;
	cfg4.number_tbl8s = 256;
	t._lpm = rte_lpm_create(("r4_" + name).c_str(), SOCKET_ID_ANY, &cfg4);
	if (!t._lpm) {
		return make_error(-rte_errno,
		                  lpm_failure("cannot create the IPv4 route table", rte_errno));
	}
	rte_lpm6_config cfg6{};
	cfg6.max_rules = max_routes;
	cfg6.number_tbl8s = 1024;
	t._lpm6 = rte_lpm6_create(("r6_" + name).c_str(), SOCKET_ID_ANY, &cfg6);
	if (!t._lpm6) {
		return make_error(-rte_errno,
		                  lpm_failure("cannot create the IPv6 route table", rte_errno));
	}
	return t;
}

route_table::route_table(route_table &&other) noexcept {
	*this = std::move(other);
}

route_table &route_table::operator=(route_table &&other) noexcept {
	std::swap(_lpm, other._lpm);
	std::swap(_lpm6, other._lpm6);
	std::swap(_nh4, other._nh4);
	std::swap(_nh6, other._nh6);
	std::swap(_default4, other._default4);
	std::swap(_default6, other._default6);
	std::swap(_routes4, other._routes4);
	std::swap(_routes6, other._routes6);
	return *this;
}

route_table::~route_table() {
	rte_lpm_free(_lpm);
	rte_lpm6_free(_lpm6);
}

result<void> route_table::add(const prefix4 &dst, const nexthop4 &nh) {
	uint32_t index = static_cast<uint32_t>(_nh4.size());
	int rc = dst.len == 0 ? 0 : rte_lpm_add(_lpm, dst.addr.host(), dst.len, index);
	if (rc < 0) {
		return make_error(rc,
		                  lpm_failure(("cannot add route " + to_string(dst)).c_str(), -rc));
	}
	_nh4.push_back(nh);
	if (dst.len == 0) {
		_default4 = index;
	}
	_routes4.push_back({dst, nh});
	return {};
}

result<void> route_table::add(const prefix6 &dst, const nexthop6 &nh) {
	uint32_t index = static_cast<uint32_t>(_nh6.size());
	int rc = dst.len == 0 ? 0 : rte_lpm6_add(_lpm6, dst.addr.b.data(), dst.len, index);
	if (rc < 0) {
		return make_error(rc,
		                  lpm_failure(("cannot add route " + to_string(dst)).c_str(), -rc));
	}
	_nh6.push_back(nh);
	if (dst.len == 0) {
		_default6 = index;
	}
	_routes6.push_back({dst, nh});
	return {};
}

const nexthop4 *route_table::lookup(ipv4_addr dst) const {
	uint32_t index;
	if (rte_lpm_lookup(_lpm, dst.host(), &index) != 0) {
		if (_default4 == no_default) {
			return nullptr;
		}
		index = _default4;
	}
	return &_nh4[index];
}

void route_table::lookup_bulk(const uint32_t *dst_host, const nexthop4 **out, uint16_t n) const {
	// rte_lpm_lookup inline in a loop without dependencies between
	// iterations: the CPU overlaps the table reads as rte_lpm_lookup_bulk
	// would (whose variable-length array C++ does not have).
	for (uint16_t i = 0; i < n; i++) {
		uint32_t index;
		if (rte_lpm_lookup(_lpm, dst_host[i], &index) != 0) {
			index = _default4;
		}
		out[i] = index == no_default ? nullptr : &_nh4[index];
	}
}

const nexthop6 *route_table::lookup(const ipv6_addr &dst) const {
	uint32_t index;
	if (rte_lpm6_lookup(_lpm6, dst.b.data(), &index) != 0) {
		if (_default6 == no_default) {
			return nullptr;
		}
		index = _default6;
	}
	return &_nh6[index];
}

} // namespace skiff::net
