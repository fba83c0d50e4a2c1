#include "net/iface.h"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>

namespace skiff::net {

namespace {

result<uint8_t> parse_prefix_len(std::string_view text, unsigned max) {
	unsigned len = 0;
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), len);
	if (ec != std::errc() || end != text.data() + text.size() || len > max) {
		return make_error(-EINVAL, "bad prefix length '" + std::string(text) +
		                               "': expected 0.." + std::to_string(max));
	}
	return static_cast<uint8_t>(len);
}

} // namespace

result<any_addr> parse_addr(std::string_view text) {
	if (auto v4 = ipv4_addr::parse(text)) {
		return any_addr{*v4};
	}
	if (auto v6 = ipv6_addr::parse(text)) {
		return any_addr{*v6};
	}
	return make_error(-EINVAL, "bad address '" + std::string(text) +
	                               "': expected IPv4 like 198.18.0.2 or IPv6 like 2001:2::2");
}

result<any_prefix> parse_cidr(std::string_view text) {
	size_t slash = text.find('/');
	auto addr = parse_addr(text.substr(0, slash));
	if (!addr) {
		return addr.err();
	}
	bool is_v4 = std::holds_alternative<ipv4_addr>(*addr);
	uint8_t len = is_v4 ? 32 : 128;
	if (slash != std::string_view::npos) {
		auto l = parse_prefix_len(text.substr(slash + 1), is_v4 ? 32 : 128);
		if (!l) {
			return l.err();
		}
		len = *l;
	}
	if (is_v4) {
		return any_prefix{prefix4{std::get<ipv4_addr>(*addr), len}};
	}
	return any_prefix{prefix6{std::get<ipv6_addr>(*addr), len}};
}

bool in_prefix(const prefix4 &p, ipv4_addr a) {
	if (p.len == 0) {
		return true;
	}
	uint32_t mask = ~uint32_t(0) << (32 - p.len);
	return (p.addr.host() & mask) == (a.host() & mask);
}

bool in_prefix(const prefix6 &p, const ipv6_addr &a) {
	unsigned full = p.len / 8, rest = p.len % 8;
	if (std::memcmp(p.addr.b.data(), a.b.data(), full) != 0) {
		return false;
	}
	if (rest == 0) {
		return true;
	}
	uint8_t mask = uint8_t(0xff << (8 - rest));
	return (p.addr.b[full] & mask) == (a.b[full] & mask);
}

std::string to_string(const prefix4 &p) {
	return p.addr.to_string() + "/" + std::to_string(p.len);
}
std::string to_string(const prefix6 &p) {
	return p.addr.to_string() + "/" + std::to_string(p.len);
}

ipv6_addr link_local_from_mac(const mac_addr &mac) {
	ipv6_addr a{};
	a.b[0] = 0xfe;
	a.b[1] = 0x80;
	a.b[8] = mac.b[0] ^ 0x02; // flip the universal/local bit
	a.b[9] = mac.b[1];
	a.b[10] = mac.b[2];
	a.b[11] = 0xff;
	a.b[12] = 0xfe;
	a.b[13] = mac.b[3];
	a.b[14] = mac.b[4];
	a.b[15] = mac.b[5];
	return a;
}

bool iface::owns(ipv4_addr a) const {
	for (const prefix4 &p : v4) {
		if (p.addr == a) {
			return true;
		}
	}
	return false;
}

bool iface::owns(const ipv6_addr &a) const {
	for (const prefix6 &p : v6) {
		if (p.addr == a) {
			return true;
		}
	}
	return false;
}

bool iface::is_broadcast_for_us(ipv4_addr a) const {
	if (a.is_broadcast()) {
		return true;
	}
	for (const prefix4 &p : v4) {
		if (p.len < 31 && in_prefix(p, a)) {
			uint32_t host_mask = ~(~uint32_t(0) << (32 - p.len));
			if ((a.host() & host_mask) == host_mask) {
				return true;
			}
		}
	}
	return false;
}

bool iface::joined(const ipv6_addr &group) const {
	static const ipv6_addr all_nodes = *ipv6_addr::parse("ff02::1");
	if (group == all_nodes) {
		return true;
	}
	for (const prefix6 &p : v6) {
		if (p.addr.solicited_node() == group) {
			return true;
		}
	}
	return false;
}

const ipv4_addr *iface::source_for(ipv4_addr dst) const {
	for (const prefix4 &p : v4) {
		if (in_prefix(p, dst)) {
			return &p.addr;
		}
	}
	return v4.empty() ? nullptr : &v4.front().addr;
}

const ipv6_addr *iface::source_for(const ipv6_addr &dst) const {
	// RFC 6724 in miniature: a link-local destination gets the link-local
	// source; anything else prefers a matching global prefix.
	if (dst.is_link_local() && !v6.empty()) {
		return &v6.front().addr;
	}
	const ipv6_addr *fallback = nullptr;
	for (const prefix6 &p : v6) {
		if (p.addr.is_link_local()) {
			continue;
		}
		if (in_prefix(p, dst)) {
			return &p.addr;
		}
		if (!fallback) {
			fallback = &p.addr;
		}
	}
	return fallback ? fallback : (v6.empty() ? nullptr : &v6.front().addr);
}

} // namespace skiff::net
