#pragma once

// Byte spans and strong address types shared by every wire format.
//
// Byte order: address types keep their bytes exactly as they appear on the
// wire (ipv4_addr::be is the 32-bit word in NETWORK order). Every other
// accessor in skiff::wire returns HOST order unless its name or comment says
// otherwise.

#include <rte_byteorder.h>
#include <rte_ether.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace skiff::wire {

using bytes = std::span<const uint8_t>;
using mut_bytes = std::span<uint8_t>;

/// Big-endian loads/stores at a byte offset. No bounds check: callers are
/// views whose parse() already proved the offset is in range.
inline uint16_t load_be16(const uint8_t *p) {
	uint16_t v;
	std::memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}
inline uint32_t load_be32(const uint8_t *p) {
	uint32_t v;
	std::memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}
inline void store_be16(uint8_t *p, uint16_t host) {
	uint16_t v = rte_cpu_to_be_16(host);
	std::memcpy(p, &v, sizeof(v));
}
inline void store_be32(uint8_t *p, uint32_t host) {
	uint32_t v = rte_cpu_to_be_32(host);
	std::memcpy(p, &v, sizeof(v));
}

/// An Ethernet MAC address, in wire order.
struct mac_addr {
	std::array<uint8_t, 6> b{};

	static constexpr mac_addr broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
	static mac_addr from(const uint8_t *p) {
		mac_addr m;
		std::memcpy(m.b.data(), p, 6);
		return m;
	}
	static mac_addr from(const rte_ether_addr &e) { return from(e.addr_bytes); }
	rte_ether_addr to_rte() const {
		rte_ether_addr e;
		std::memcpy(e.addr_bytes, b.data(), 6);
		return e;
	}
	/// Parses "aa:bb:cc:dd:ee:ff" (hex, either case); nullopt otherwise.
	static std::optional<mac_addr> parse(std::string_view s);

	constexpr bool is_multicast() const { return (b[0] & 0x01) != 0; }
	constexpr bool is_broadcast() const { return *this == broadcast(); }
	constexpr bool is_zero() const { return *this == mac_addr{}; }
	std::string to_string() const;

	constexpr bool operator==(const mac_addr &) const = default;
};

/// An IPv4 address. `be` holds the address in NETWORK byte order, exactly as
/// it is stored in a packet, so copying it in or out of a header is a plain
/// 4-byte copy.
struct ipv4_addr {
	uint32_t be = 0;

	static ipv4_addr from_host(uint32_t host) { return {rte_cpu_to_be_32(host)}; }
	static constexpr ipv4_addr from_octets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
		// Built byte by byte, so it is the same on either endianness.
		std::array<uint8_t, 4> o{a, b, c, d};
		return {std::bit_cast<uint32_t>(o)};
	}
	static ipv4_addr from(const uint8_t *p) {
		ipv4_addr a;
		std::memcpy(&a.be, p, 4);
		return a;
	}
	uint32_t host() const { return rte_be_to_cpu_32(be); }
	/// Parses dotted-quad "a.b.c.d"; nullopt otherwise.
	static std::optional<ipv4_addr> parse(std::string_view s);
	std::string to_string() const;

	bool is_multicast() const { return (host() & 0xf0000000u) == 0xe0000000u; }
	bool is_broadcast() const { return be == 0xffffffffu; }
	bool is_unspecified() const { return be == 0; }
	bool is_loopback() const { return (host() & 0xff000000u) == 0x7f000000u; }

	constexpr bool operator==(const ipv4_addr &) const = default;
};

/// An IPv6 address, in wire order.
struct ipv6_addr {
	std::array<uint8_t, 16> b{};

	static ipv6_addr from(const uint8_t *p) {
		ipv6_addr a;
		std::memcpy(a.b.data(), p, 16);
		return a;
	}
	/// Parses any textual form inet_pton(AF_INET6) accepts; nullopt otherwise.
	static std::optional<ipv6_addr> parse(std::string_view s);
	std::string to_string() const;

	/// ff02::1 and ff02::2.
	static constexpr ipv6_addr all_nodes() {
		return {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
	}
	static constexpr ipv6_addr all_routers() {
		return {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
	}

	constexpr bool is_multicast() const { return b[0] == 0xff; }
	constexpr bool is_unspecified() const { return *this == ipv6_addr{}; }
	constexpr bool is_link_local() const { return b[0] == 0xfe && (b[1] & 0xc0) == 0x80; }
	constexpr bool is_loopback() const {
		return *this == ipv6_addr{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
	}
	/// ::ffff:a.b.c.d
	constexpr bool is_v4_mapped() const {
		for (int i = 0; i < 10; i++) {
			if (b[i] != 0) {
				return false;
			}
		}
		return b[10] == 0xff && b[11] == 0xff;
	}
	/// The solicited-node multicast group ff02::1:ffXX:XXXX (RFC 4291 2.7.1).
	constexpr ipv6_addr solicited_node() const {
		return {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, b[13], b[14], b[15]}};
	}

	constexpr bool operator==(const ipv6_addr &) const = default;
};

/// Ethernet group address for an IPv6 multicast address: 33:33 + low 32
/// bits (RFC 2464 section 7).
constexpr mac_addr multicast_mac(const ipv6_addr &a) {
	return {{0x33, 0x33, a.b[12], a.b[13], a.b[14], a.b[15]}};
}

/// Ethernet group address for an IPv4 multicast address: 01:00:5e + low 23
/// bits (RFC 1112 section 6.4).
inline mac_addr multicast_mac(ipv4_addr a) {
	uint32_t h = a.host();
	return {{0x01, 0x00, 0x5e, uint8_t((h >> 16) & 0x7f), uint8_t(h >> 8), uint8_t(h)}};
}

} // namespace skiff::wire

template <> struct std::hash<skiff::wire::mac_addr> {
	size_t operator()(const skiff::wire::mac_addr &m) const noexcept {
		uint64_t v = 0;
		std::memcpy(&v, m.b.data(), 6);
		return std::hash<uint64_t>{}(v);
	}
};

template <> struct std::hash<skiff::wire::ipv4_addr> {
	size_t operator()(const skiff::wire::ipv4_addr &a) const noexcept {
		return std::hash<uint32_t>{}(a.be);
	}
};

template <> struct std::hash<skiff::wire::ipv6_addr> {
	size_t operator()(const skiff::wire::ipv6_addr &a) const noexcept {
		uint64_t hi, lo;
		std::memcpy(&hi, a.b.data(), 8);
		std::memcpy(&lo, a.b.data() + 8, 8);
		// Mix the halves so that addresses differing only in the prefix
		// or only in the interface id do not collide.
		return std::hash<uint64_t>{}(hi ^ (lo * 0x9e3779b97f4a7c15ull));
	}
};
