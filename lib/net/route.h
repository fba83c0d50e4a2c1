#pragma once

// Longest-prefix-match routing for IPv4 and IPv6 over DPDK's rte_lpm and
// rte_lpm6. Routes are added on the control path before the workers start;
// lookups from any number of workers are then lock-free reads.

#include "base/result.h"
#include "net/iface.h"

#include <cstdint>
#include <string>
#include <vector>

struct rte_lpm;
struct rte_lpm6;

namespace skiff::net {

template <typename Addr> struct nexthop {
	uint16_t iface = 0;
	Addr gateway{}; ///< unspecified: the destination is on-link
	bool on_link() const { return gateway.is_unspecified(); }
};

using nexthop4 = nexthop<ipv4_addr>;
using nexthop6 = nexthop<ipv6_addr>;

class route_table {
public:
	/// `name` must be unique in the process (rte_lpm names are global).
	static result<route_table> create(const std::string &name, uint32_t max_routes = 1024);

	route_table(route_table &&other) noexcept;
	route_table &operator=(route_table &&other) noexcept;
	route_table(const route_table &) = delete;
	~route_table();

	result<void> add(const prefix4 &dst, const nexthop4 &nh);
	result<void> add(const prefix6 &dst, const nexthop6 &nh);

	/// The next hop for `dst`, or nullptr when there is no route.
	const nexthop4 *lookup(ipv4_addr dst) const;
	const nexthop6 *lookup(const ipv6_addr &dst) const;
	/// lookup() for `n` destinations at once, in host byte order: `out[i]`
	/// is the next hop for `dst_host[i]`, or nullptr. One call per burst,
	/// with the table reads of all the destinations overlapped.
	void lookup_bulk(const uint32_t *dst_host, const nexthop4 **out, uint16_t n) const;

	struct entry4 {
		prefix4 dst;
		nexthop4 nh;
	};
	struct entry6 {
		prefix6 dst;
		nexthop6 nh;
	};
	const std::vector<entry4> &routes4() const { return _routes4; }
	const std::vector<entry6> &routes6() const { return _routes6; }

private:
	route_table() = default;

	rte_lpm *_lpm = nullptr;
	rte_lpm6 *_lpm6 = nullptr;
	// The LPM next-hop value indexes these; entries are never removed while
	// workers run, so the indexes stay valid.
	std::vector<nexthop4> _nh4;
	std::vector<nexthop6> _nh6;
	// rte_lpm and rte_lpm6 reject depth 0, so the /0 route lives here and
	// answers when the LPM has no match: an index into _nh4/_nh6.
	static constexpr uint32_t no_default = UINT32_MAX;
	uint32_t _default4 = no_default;
	uint32_t _default6 = no_default;
	std::vector<entry4> _routes4;
	std::vector<entry6> _routes6;
};

} // namespace skiff::net
