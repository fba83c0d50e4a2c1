#pragma once

// IPv4 receive checks shared by the full receive path (ipv4.cc) and the
// router's burst fast path (classify() in worker.cc, then forward.cc), so
// that both ask the same questions. Private to lib/net.

#include "net/iface.h"
#include "wire/checksum.h"

#include <rte_ip.h>
#include <rte_mbuf.h>

#include <array>
#include <cstring>

namespace skiff::net {

/// RFC 1071 over a header without options, summed as five native 32-bit
/// words: 2^16 = 1 (mod 2^16 - 1), so folding the 32-bit sum gives the sum
/// of the 16-bit words. Inline and branch-free, where the generic sum is a
/// call and a loop; it runs on every datagram the device did not check.
inline bool header20_checksum_ok(const uint8_t *h) {
	uint64_t sum = 0;
	for (size_t off = 0; off < sizeof(rte_ipv4_hdr); off += 4) {
		uint32_t w; // one load each: a copy to the stack would be reloaded
		std::memcpy(&w, h + off, 4);
		sum += w;
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return wire::cksum_fold(uint32_t(sum)) == 0;
}

/// The device's verdict on the header checksum of `m`, or the software sum
/// of `h`, a header known to be 20 bytes long, when the device did not check.
inline bool header20_checksum_ok(const rte_mbuf *m, const uint8_t *h) {
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
		return true;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		return false;
	default:
		return header20_checksum_ok(h);
	}
}

/// RFC 1122 3.2.1.3 and RFC 6274 3.2.1.12: a source that cannot have sent
/// this packet. Our own address as source means a loop or a spoof.
inline bool bad_source(const iface &me, ipv4_addr src) {
	return src.is_multicast() || src.is_broadcast() || src.is_loopback() ||
	       src.is_unspecified() || me.kind_of(src) != iface::addr4_kind::other;
}

/// The addresses of an interface that a transit datagram can neither come
/// from nor go to: its own and its subnets' directed broadcasts. This is
/// iface::kind_of() != other, with the masks worked out once per burst
/// instead of twice per datagram.
class local_addrs4 {
public:
	explicit local_addrs4(const iface &ifc) : _ifc(ifc) {
		if (ifc.v4.size() > max_prefixes) {
			_general = true; // rare: ask the interface itself
			return;
		}
		for (const prefix4 &p : ifc.v4) {
			uint32_t a = p.addr.host();
			_host[_n++] = a;
			// /0, /31 (RFC 3021) and /32 have no directed broadcast.
			_host[_n++] = p.len != 0 && p.len < 31 ? a | (~uint32_t(0) >> p.len) : a;
		}
	}

	/// Whether `a` or `b` (host order) is one of the addresses, or the
	/// limited broadcast, which kind_of() calls a broadcast too.
	[[gnu::always_inline]] bool contains_either(uint32_t a, uint32_t b) const {
		if (_general) [[unlikely]] {
			return contains_general(a) || contains_general(b);
		}
		bool hit = (a == ~uint32_t(0)) | (b == ~uint32_t(0));
		for (unsigned i = 0; i < _n; i++) {
			hit |= (a == _host[i]) | (b == _host[i]);
		}
		return hit;
	}

private:
	static constexpr unsigned max_prefixes = 4;

	[[gnu::noinline]] bool contains_general(uint32_t host) const {
		return _ifc.kind_of(ipv4_addr::from_host(host)) != iface::addr4_kind::other;
	}

	const iface &_ifc;
	bool _general = false;
	unsigned _n = 0;
	std::array<uint32_t, 2 * max_prefixes> _host;
};

/// The first octet of an address no transit datagram has as source or
/// destination: 0/8, 127/8, and 224/3 (multicast, reserved, broadcast).
inline bool special_first_octet(uint32_t host) {
	uint32_t first = host >> 24;
	return first == 0 || first == 127 || first >= 224;
}

/// Whether a frame (`ip` its IPv4 header, `l3_room` the bytes from there to
/// the end of its data, `l2_multicast` its destination MAC's group bit)
/// is one that ipv4_input() would hand to ipv4_forward() and that
/// ipv4_forward() would route, as far as can be told before the route
/// lookup: its total length if so, else 0. The common case only: a 20-byte
/// header, lengths within the frame, a good checksum, a unicast source and
/// destination that are nobody's special address (bad_source(),
/// ipv4_unroutable() and not ours, folded into a few compares), a TTL that
/// survives the decrement, a unicast frame. Whatever fails here takes the
/// full path, which finds out (and counts) why: the fast path may be
/// narrower than the full one, but it never decides differently.
[[gnu::always_inline]] inline uint16_t plain_transit(const local_addrs4 &in, const rte_mbuf *m,
                                                     const rte_ipv4_hdr *ip, uint32_t l3_room,
                                                     bool l2_multicast) {
	if (l3_room < sizeof(rte_ipv4_hdr) || l2_multicast) {
		return 0;
	}
	uint16_t total = rte_be_to_cpu_16(ip->total_length);
	if (ip->version_ihl != RTE_IPV4_VHL_DEF || total < sizeof(rte_ipv4_hdr) ||
	    total > l3_room || ip->time_to_live <= 1) {
		return 0;
	}
	if (!header20_checksum_ok(m, reinterpret_cast<const uint8_t *>(ip))) {
		return 0;
	}
	uint32_t src = rte_be_to_cpu_32(ip->src_addr), dst = rte_be_to_cpu_32(ip->dst_addr);
	if (special_first_octet(src) || special_first_octet(dst) || (src >> 16) == 0xa9fe ||
	    (dst >> 16) == 0xa9fe) {
		return 0;
	}
	return in.contains_either(src, dst) ? 0 : total;
}

} // namespace skiff::net
