#pragma once

// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
// Byte-order convention (the same as DPDK's rte_raw_cksum): sums are
// one's-complement sums of 16-bit words loaded from memory in NATIVE order.
// One's-complement addition commutes with byte swapping, so the folded
// result, stored back with memcpy (or assigned to an rte_be16_t field), puts
// the right bytes on the wire on either endianness. Every uint16_t checksum
// or checksummed 16-bit value in this header is therefore "network order, as
// stored in the packet": pass what you read from the header unconverted, and
// store what you get back unconverted. Use rte_be_to_cpu_16() only to print.
//
// Sums are uint32_t partial sums; chain them with cksum_add(..., sum). Only
// the last buffer of a chain may have an odd length (an odd buffer is padded
// with a zero byte, as the RFC says for the end of the data).

#include "wire/bytes.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"

#include <rte_mbuf.h>

namespace skiff::wire {

/// Adds the 16-bit words of @p buf to @p sum (no complement, not folded).
uint32_t cksum_add(const void *buf, size_t len, uint32_t sum = 0);
inline uint32_t cksum_add(bytes b, uint32_t sum = 0) {
	return cksum_add(b.data(), b.size(), sum);
}

/// Adds @p len bytes of @p m's packet data from @p off, across segments.
/// Segments of odd length are handled. @p off + @p len must be <= pkt_len.
uint32_t cksum_add_mbuf(const rte_mbuf *m, uint32_t off, uint32_t len, uint32_t sum = 0);

/// Folds a partial sum to 16 bits with end-around carry, WITHOUT the final
/// complement: the form DPDK wants as the pseudo-header seed in the L4
/// checksum field for TX checksum offload.
inline uint16_t cksum_reduce(uint32_t sum) {
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return uint16_t(sum);
}

/// Folds and complements a partial sum: the final checksum, network order,
/// ready to store. Verifying a buffer that includes its checksum field
/// gives 0 when the checksum is right.
inline uint16_t cksum_fold(uint32_t sum) {
	return uint16_t(~cksum_reduce(sum));
}

/// The Internet checksum of @p b (network order, ready to store).
inline uint16_t internet_checksum(bytes b) {
	return cksum_fold(cksum_add(b));
}

/// Partial sum of the IPv4 pseudo header (RFC 9293 3.1, RFC 768).
/// @p l4_len is the L4 length in host order.
inline uint32_t ipv4_pseudo_sum(ipv4_addr src, ipv4_addr dst, uint8_t proto, uint16_t l4_len) {
	return (src.be & 0xffff) + (src.be >> 16) + (dst.be & 0xffff) + (dst.be >> 16) +
	       rte_cpu_to_be_16(uint16_t(proto)) + rte_cpu_to_be_16(l4_len);
}

/// Partial sum of the IPv6 pseudo header (RFC 8200 8.1).
/// @p l4_len is the upper-layer length in host order.
uint32_t ipv6_pseudo_sum(const ipv6_addr &src, const ipv6_addr &dst, uint8_t proto,
                         uint32_t l4_len);

/// True if the IPv4 header checksum of @p ip is right. Separate from
/// parse() because the pipeline skips it when the NIC has verified it.
inline bool ipv4_header_checksum_ok(const ipv4_view &ip) {
	return internet_checksum(ip.header()) == 0;
}

/// True if the TCP/UDP/... checksum over @p l4 with the IPv4 pseudo header
/// of @p ip (its src, dst, proto) is right. A UDP checksum of 0 means "not
/// computed" over IPv4 and is accepted. Pass the UDP view's whole() for
/// UDP, so that the length field bounds the sum.
bool l4_checksum_ok_v4(const ipv4_view &ip, bytes l4);
inline bool l4_checksum_ok_v4(const ipv4_view &ip) {
	return l4_checksum_ok_v4(ip, ip.payload());
}

/// As l4_checksum_ok_v4, with the IPv6 pseudo header (src, dst,
/// upper_proto). A UDP checksum of 0 is invalid over IPv6 (RFC 8200 8.1).
/// With a Routing header the pseudo header should use the final
/// destination; this uses dst() (we do not act as a routing-header host).
bool l4_checksum_ok_v6(const ipv6_view &ip, bytes l4);
inline bool l4_checksum_ok_v6(const ipv6_view &ip) {
	return l4_checksum_ok_v6(ip, ip.upper_payload());
}

/// RFC 1624 eqn. 3: the new checksum after a 16-bit field changes from
/// @p old_val to @p new_val: HC' = ~(~HC + ~m + m'). All three values and the
/// result are as stored in the packet (network order). Eqn. 3 (unlike eqn. 2)
/// never yields 0xffff for data that is not all zero, so it matches a full
/// recomputation. For UDP, the caller must keep a 0 ("none") checksum as is
/// and store a result of 0 as 0xffff.
inline uint16_t cksum_update16(uint16_t old_cksum, uint16_t old_val, uint16_t new_val) {
	uint32_t sum = uint16_t(~old_cksum) + uint32_t(uint16_t(~old_val)) + new_val;
	return cksum_fold(sum);
}

/// As cksum_update16 for a 32-bit field (an IPv4 address, a sequence
/// number), both values as stored in the packet.
inline uint16_t cksum_update32(uint16_t old_cksum, uint32_t old_val, uint32_t new_val) {
	uint32_t sum = uint16_t(~old_cksum) + uint32_t(uint16_t(~(old_val >> 16))) +
	               uint16_t(~old_val) + (new_val >> 16) + (new_val & 0xffff);
	return cksum_fold(sum);
}

} // namespace skiff::wire
