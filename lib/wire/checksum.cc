#include "wire/checksum.h"

#include "wire/udp.h"

namespace skiff::wire {

namespace {

// End-around-carry fold of a 64-bit accumulator to 32 bits. 2^32 - 1 is a
// multiple of 0xffff, so the value is unchanged modulo 0xffff.
inline uint32_t fold64(uint64_t s) {
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return uint32_t(s);
}

inline uint32_t load32(const uint8_t *p) {
	uint32_t v;
	std::memcpy(&v, p, 4);
	return v;
}

inline uint16_t bswap16(uint16_t v) {
	return uint16_t(v << 8 | v >> 8);
}

bool udp_zero_checksum(uint8_t proto, bytes l4) {
	return proto == ip_proto::udp && l4.size() >= udp_view::header_size && l4[6] == 0 &&
	       l4[7] == 0;
}

} // namespace

// A 32-bit word loaded in native order is the sum of its two 16-bit words
// modulo 0xffff, so summing 32-bit words into a 64-bit accumulator gives the
// same checksum as summing 16-bit words, with half the additions and no
// carry handling inside the loop (2^32 words cannot overflow 64 bits).
uint32_t cksum_add(const void *buf, size_t len, uint32_t sum) {
	const uint8_t *p = static_cast<const uint8_t *>(buf);
	uint64_t a = sum, b = 0;
	for (; len >= 16; len -= 16, p += 16) {
		a += load32(p);
		b += load32(p + 4);
		a += load32(p + 8);
		b += load32(p + 12);
	}
	for (; len >= 4; len -= 4, p += 4) {
		a += load32(p);
	}
	if (len >= 2) {
		uint16_t w;
		std::memcpy(&w, p, 2);
		a += w;
		len -= 2;
		p += 2;
	}
	if (len == 1) {
		uint16_t w = 0;
		std::memcpy(&w, p, 1); // the byte first in memory, zero after it
		a += w;
	}
	return fold64(a + b);
}

uint32_t cksum_add_mbuf(const rte_mbuf *m, uint32_t off, uint32_t len, uint32_t sum) {
	while (m != nullptr && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	uint32_t done = 0;
	uint64_t acc = sum;
	for (; m != nullptr && done < len; m = m->next, off = 0) {
		uint32_t n = std::min<uint32_t>(m->data_len - off, len - done);
		uint16_t s =
		    cksum_reduce(cksum_add(rte_pktmbuf_mtod_offset(m, const uint8_t *, off), n));
		// A segment starting at an odd offset of the summed range has
		// its bytes in the other halves of the 16-bit words.
		acc += (done & 1) ? bswap16(s) : s;
		done += n;
	}
	return fold64(acc);
}

uint32_t ipv6_pseudo_sum(const ipv6_addr &src, const ipv6_addr &dst, uint8_t proto,
                         uint32_t l4_len) {
	uint32_t len_be = rte_cpu_to_be_32(l4_len);
	uint32_t proto_be = rte_cpu_to_be_32(proto);
	uint32_t sum = cksum_add(src.b.data(), 16);
	sum = cksum_add(dst.b.data(), 16, sum);
	uint64_t s = uint64_t(sum) + (len_be & 0xffff) + (len_be >> 16) + (proto_be & 0xffff) +
	             (proto_be >> 16);
	return fold64(s);
}

bool l4_checksum_ok_v4(const ipv4_view &ip, bytes l4) {
	if (udp_zero_checksum(ip.proto(), l4)) {
		return true; // RFC 768: the sender did not compute one
	}
	if (l4.size() > 0xffff) {
		return false;
	}
	uint32_t sum = ipv4_pseudo_sum(ip.src(), ip.dst(), ip.proto(), uint16_t(l4.size()));
	return cksum_fold(cksum_add(l4, sum)) == 0;
}

bool l4_checksum_ok_v6(const ipv6_view &ip, bytes l4) {
	if (udp_zero_checksum(ip.upper_proto(), l4)) {
		return false; // RFC 8200 8.1
	}
	uint32_t sum = ipv6_pseudo_sum(ip.src(), ip.dst(), ip.upper_proto(), uint32_t(l4.size()));
	return cksum_fold(cksum_add(l4, sum)) == 0;
}

} // namespace skiff::wire
