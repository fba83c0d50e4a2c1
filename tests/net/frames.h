#pragma once

// Frame builders for the pipeline tests: plain byte vectors, written
// field by field in network order so a test reads like the RFC diagram.
// The Internet checksum here is a separate, naive RFC 1071 implementation,
// so the tests do not check lib/wire's checksum code against itself.

#include "wire/bytes.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace skiff::test {

using frame = std::vector<uint8_t>;
using wire::ipv4_addr;
using wire::ipv6_addr;
using wire::mac_addr;

inline ipv4_addr v4(std::string_view s) {
	return *ipv4_addr::parse(s);
}
inline ipv6_addr v6(std::string_view s) {
	return *ipv6_addr::parse(s);
}
inline mac_addr mac(std::string_view s) {
	return *mac_addr::parse(s);
}

// The addresses every test uses.
inline constexpr mac_addr our_mac{{0x02, 0, 0, 0, 0, 0x02}};
inline constexpr mac_addr peer_mac{{0x02, 0, 0, 0, 0, 0x09}};
inline constexpr mac_addr bcast_mac = mac_addr::broadcast();
inline constexpr ipv4_addr our4 = ipv4_addr::from_octets(198, 18, 0, 2);
inline constexpr ipv4_addr peer4 = ipv4_addr::from_octets(198, 18, 0, 9);
inline const ipv6_addr our6 = v6("2001:2::2");
inline const ipv6_addr peer6 = v6("2001:2::9");

// Ethertypes, IP protocols and ICMP types, spelled out for the tests.
inline constexpr uint16_t et_ipv4 = 0x0800;
inline constexpr uint16_t et_arp = 0x0806;
inline constexpr uint16_t et_ipv6 = 0x86dd;
inline constexpr uint8_t proto_icmp = 1;
inline constexpr uint8_t proto_udp = 17;
inline constexpr uint8_t proto_icmp6 = 58;
inline constexpr uint8_t proto_experiment = 253; // RFC 3692: never handled
inline constexpr uint8_t icmp6_ns = 135;
inline constexpr uint8_t icmp6_na = 136;

// Offsets into an Ethernet + IPv4/IPv6 frame.
inline constexpr size_t l3 = 14;
inline constexpr size_t l4_v4 = l3 + 20;
inline constexpr size_t l4_v6 = l3 + 40;

inline void put8(frame &f, uint8_t v) {
	f.push_back(v);
}
inline void put16(frame &f, uint16_t v) {
	f.push_back(uint8_t(v >> 8));
	f.push_back(uint8_t(v));
}
inline void put32(frame &f, uint32_t v) {
	put16(f, uint16_t(v >> 16));
	put16(f, uint16_t(v));
}
inline void put(frame &f, const mac_addr &m) {
	f.insert(f.end(), m.b.begin(), m.b.end());
}
inline void put(frame &f, const ipv6_addr &a) {
	f.insert(f.end(), a.b.begin(), a.b.end());
}
inline void put(frame &f, ipv4_addr a) {
	const auto *p = reinterpret_cast<const uint8_t *>(&a.be); // already network order
	f.insert(f.end(), p, p + 4);
}
inline void put(frame &f, const frame &b) {
	f.insert(f.end(), b.begin(), b.end());
}

inline uint16_t get16(const frame &f, size_t off) {
	return uint16_t(f.at(off) << 8 | f.at(off + 1));
}
inline void set16(frame &f, size_t off, uint16_t v) {
	f.at(off) = uint8_t(v >> 8);
	f.at(off + 1) = uint8_t(v);
}
inline mac_addr get_mac(const frame &f, size_t off) {
	return mac_addr::from(&f.at(off));
}
inline ipv4_addr get_v4(const frame &f, size_t off) {
	return ipv4_addr::from(&f.at(off));
}
inline ipv6_addr get_v6(const frame &f, size_t off) {
	return ipv6_addr::from(&f.at(off));
}

/// One's-complement sum of big-endian 16-bit words, not folded.
inline uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum = 0) {
	for (size_t i = 0; i + 1 < n; i += 2) {
		sum += uint32_t(p[i] << 8 | p[i + 1]);
	}
	if (n % 2) {
		sum += uint32_t(p[n - 1] << 8);
	}
	return sum;
}
/// Folded and complemented, host order: store with put16/set16. Over a
/// buffer that includes a correct checksum the result is 0.
inline uint16_t fold(uint32_t sum) {
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return uint16_t(~sum);
}
inline uint16_t checksum(const frame &f, size_t off, size_t len, uint32_t sum = 0) {
	return fold(sum16(f.data() + off, len, sum));
}
inline uint32_t pseudo6(const ipv6_addr &src, const ipv6_addr &dst, uint32_t len, uint8_t nh) {
	uint32_t s = sum16(src.b.data(), 16, sum16(dst.b.data(), 16));
	return s + (len >> 16) + (len & 0xffff) + nh;
}

inline frame eth(const mac_addr &dst, const mac_addr &src, uint16_t type, const frame &payload) {
	frame f;
	put(f, dst);
	put(f, src);
	put16(f, type);
	put(f, payload);
	return f;
}

inline frame arp(uint16_t op, const mac_addr &sha, ipv4_addr spa, const mac_addr &tha,
                 ipv4_addr tpa) {
	frame f;
	put16(f, 1); // Ethernet
	put16(f, et_ipv4);
	put8(f, 6);
	put8(f, 4);
	put16(f, op);
	put(f, sha);
	put(f, spa);
	put(f, tha);
	put(f, tpa);
	return f;
}

/// ICMP (v4) message with a correct checksum.
inline frame icmp4(uint8_t type, uint16_t id, uint16_t seq, const frame &data) {
	frame f;
	put8(f, type);
	put8(f, 0);
	put16(f, 0);
	put16(f, id);
	put16(f, seq);
	put(f, data);
	set16(f, 2, checksum(f, 0, f.size()));
	return f;
}

struct ip4_opts {
	uint8_t ttl = 64;
	uint16_t id = 0x1234;
	uint16_t frag = 0x4000; ///< flags and offset: DF
};

/// IPv4 header (IHL 5) with a correct checksum, then @p payload.
inline frame ipv4(ipv4_addr src, ipv4_addr dst, uint8_t proto, const frame &payload,
                  const ip4_opts &o = {}) {
	frame f;
	put8(f, 0x45);
	put8(f, 0);
	put16(f, uint16_t(20 + payload.size()));
	put16(f, o.id);
	put16(f, o.frag);
	put8(f, o.ttl);
	put8(f, proto);
	put16(f, 0);
	put(f, src);
	put(f, dst);
	set16(f, 10, checksum(f, 0, 20));
	put(f, payload);
	return f;
}

/// Recompute the IPv4 header checksum of the frame's IPv4 header after a
/// test edits a field.
inline void fix_ipv4_checksum(frame &f) {
	size_t hlen = size_t(f.at(l3) & 0x0f) * 4;
	set16(f, l3 + 10, 0);
	set16(f, l3 + 10, checksum(f, l3, hlen < 20 ? 20 : hlen));
}

/// IPv6 header, then @p payload (payload length = its size).
inline frame ipv6(const ipv6_addr &src, const ipv6_addr &dst, uint8_t nh, const frame &payload,
                  uint8_t hop_limit = 64) {
	frame f;
	put32(f, 6u << 28);
	put16(f, uint16_t(payload.size()));
	put8(f, nh);
	put8(f, hop_limit);
	put(f, src);
	put(f, dst);
	put(f, payload);
	return f;
}

/// ICMPv6 message: type, code, checksum over the pseudo header, then
/// @p body (everything after the checksum).
inline frame icmp6(const ipv6_addr &src, const ipv6_addr &dst, uint8_t type, uint8_t code,
                   const frame &body) {
	frame f;
	put8(f, type);
	put8(f, code);
	put16(f, 0);
	put(f, body);
	set16(f, 2, checksum(f, 0, f.size(), pseudo6(src, dst, uint32_t(f.size()), proto_icmp6)));
	return f;
}

/// Echo id, seq and data: the body of an ICMPv6 echo.
inline frame echo_body(uint16_t id, uint16_t seq, const frame &data) {
	frame f;
	put16(f, id);
	put16(f, seq);
	put(f, data);
	return f;
}

/// NS body: reserved, target, then a source link-layer option if given.
inline frame ns_body(const ipv6_addr &target, std::optional<mac_addr> slla) {
	frame f;
	put32(f, 0);
	put(f, target);
	if (slla) {
		put8(f, 1);
		put8(f, 1);
		put(f, *slla);
	}
	return f;
}

/// NA body: flags (R 0x80, S 0x40, O 0x20), target, target link-layer option.
inline frame na_body(uint8_t flags, const ipv6_addr &target, std::optional<mac_addr> tlla) {
	frame f;
	put8(f, flags);
	put8(f, 0);
	put16(f, 0);
	put(f, target);
	if (tlla) {
		put8(f, 2);
		put8(f, 1);
		put(f, *tlla);
	}
	return f;
}

/// Ethernet + IPv6 + ICMPv6, addressed from @p src to @p dst.
inline frame icmp6_frame(const mac_addr &eth_dst, const mac_addr &eth_src, const ipv6_addr &src,
                         const ipv6_addr &dst, uint8_t type, uint8_t code, const frame &body,
                         uint8_t hop_limit = 64) {
	return eth(eth_dst, eth_src, et_ipv6,
	           ipv6(src, dst, proto_icmp6, icmp6(src, dst, type, code, body), hop_limit));
}

/// `n` bytes of a recognisable pattern.
inline frame pattern(size_t n, uint8_t seed = 0xa0) {
	frame f(n);
	for (size_t i = 0; i < n; i++) {
		f[i] = uint8_t(seed + i);
	}
	return f;
}

// Whole frames from the peer to us.
inline frame arp_request_from_peer(ipv4_addr target = our4) {
	return eth(bcast_mac, peer_mac, et_arp, arp(1, peer_mac, peer4, mac_addr{}, target));
}
inline frame arp_reply_from(const mac_addr &m, ipv4_addr a) {
	return eth(our_mac, m, et_arp, arp(2, m, a, our_mac, our4));
}
inline frame echo4_request(uint16_t id, uint16_t seq, const frame &data, ipv4_addr dst = our4,
                           const mac_addr &eth_dst = our_mac) {
	return eth(eth_dst, peer_mac, et_ipv4,
	           ipv4(peer4, dst, proto_icmp, icmp4(8, id, seq, data)));
}
inline frame echo6_request(uint16_t id, uint16_t seq, const frame &data) {
	return icmp6_frame(our_mac, peer_mac, peer6, our6, 128, 0, echo_body(id, seq, data));
}

} // namespace skiff::test
