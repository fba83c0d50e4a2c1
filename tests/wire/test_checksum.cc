#include "packets.h"
#include "test_env.h"
#include "util.h"
#include "wire/builder.h"
#include "wire/checksum.h"

#include <rte_ip.h>
#include <rte_mbuf.h>

#include <random>

using namespace skiff::wire;
using namespace skiff::wire::testing;

namespace {

uint16_t host(uint16_t stored) {
	return rte_be_to_cpu_16(stored);
}

uint16_t load16(const uint8_t *p) {
	uint16_t v;
	std::memcpy(&v, p, 2);
	return v;
}

void store16(uint8_t *p, uint16_t v) {
	std::memcpy(p, &v, 2);
}

// Checksum of a buffer whose checksum field at @p off is taken as zero.
uint16_t recompute(std::vector<uint8_t> v, size_t off) {
	store16(v.data() + off, 0);
	return internet_checksum(v);
}

} // namespace

TEST(Checksum, Rfc1071Example) {
	// RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
	const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	EXPECT_EQ(host(cksum_reduce(cksum_add(data, sizeof(data)))), 0xddf2);
	EXPECT_EQ(host(internet_checksum(B(data))), 0x220d);
	// Split at an even boundary: same sum.
	uint32_t s = cksum_add(data, 4);
	EXPECT_EQ(host(cksum_fold(cksum_add(data + 4, 4, s))), 0x220d);
}

TEST(Checksum, OddLengthPadsWithZero) {
	const uint8_t odd[] = {0x12, 0x34, 0x56};
	const uint8_t even[] = {0x12, 0x34, 0x56, 0x00};
	EXPECT_EQ(internet_checksum(B(odd)), internet_checksum(B(even)));
	EXPECT_EQ(internet_checksum(bytes()), 0xffff);
}

TEST(Checksum, MatchesDpdkRawCksum) {
	std::mt19937 rng(42);
	std::vector<uint8_t> buf(1600 + 8);
	for (auto &b : buf) {
		b = uint8_t(rng());
	}
	for (size_t align = 0; align < 8; align++) {
		for (size_t len = 0; len <= 1600; len += (len < 80 ? 1 : 37)) {
			const uint8_t *p = buf.data() + align;
			ASSERT_EQ(cksum_reduce(cksum_add(p, len)), rte_raw_cksum(p, len))
			    << "len " << len << " align " << align;
			// A small seed: DPDK's 32-bit accumulator drops carries
			// when a large seed overflows it (ours accumulates in 64 bits).
			ASSERT_EQ(cksum_reduce(cksum_add(p, len, 0x1234)),
			          __rte_raw_cksum_reduce(__rte_raw_cksum(p, len, 0x1234)));
		}
	}
	std::vector<uint8_t> ones(1500, 0xff);
	EXPECT_EQ(cksum_reduce(cksum_add(ones.data(), ones.size())),
	          rte_raw_cksum(ones.data(), ones.size()));
}

TEST(Checksum, LargeSeedsKeepTheirCarries) {
	std::vector<uint8_t> ones(1500, 0xff);
	// 0xffffffff is 0xffff + 0xffff folded: "zero" twice. Adding it must
	// not change the checksum of the data.
	EXPECT_EQ(cksum_fold(cksum_add(ones.data(), ones.size(), 0xffffffffu)),
	          cksum_fold(cksum_add(ones.data(), ones.size())));
	const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	EXPECT_EQ(host(cksum_fold(cksum_add(data, sizeof(data), 0xffffffffu))), 0x220d);
}

TEST(Checksum, Ipv4HeaderMatchesDpdk) {
	for (bytes frame : {B(pkts::icmp4_echo_request), B(pkts::icmp4_echo_reply),
	                    B(pkts::tcp4_syn), B(pkts::ipv4_record_route), B(pkts::ipv4_frag2)}) {
		auto ip = ipv4_view::parse(l3_of(frame));
		ASSERT_TRUE(ip.ok());
		EXPECT_TRUE(ipv4_header_checksum_ok(*ip));
		auto hdr = to_vec(ip->header());
		store16(hdr.data() + 10, 0);
		uint16_t dpdk = rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr *>(hdr.data()));
		EXPECT_EQ(internet_checksum(hdr), dpdk);
		EXPECT_EQ(dpdk, ip->checksum_raw());
	}
}

TEST(Checksum, PseudoHeadersMatchDpdk) {
	auto ip4 = ipv4_view::parse(l3_of(B(pkts::udp4_hello)));
	ASSERT_TRUE(ip4.ok());
	auto *h4 = reinterpret_cast<const rte_ipv4_hdr *>(ip4->header().data());
	EXPECT_EQ(cksum_reduce(ipv4_pseudo_sum(ip4->src(), ip4->dst(), ip4->proto(),
	                                       uint16_t(ip4->payload().size()))),
	          rte_ipv4_phdr_cksum(h4, 0));

	auto ip6 = ipv6_view::parse(l3_of(B(pkts::udp6_hello)));
	ASSERT_TRUE(ip6.ok());
	auto *h6 = reinterpret_cast<const rte_ipv6_hdr *>(ip6->header().data());
	EXPECT_EQ(cksum_reduce(ipv6_pseudo_sum(ip6->src(), ip6->dst(), ip6->upper_proto(),
	                                       ip6->payload_length())),
	          rte_ipv6_phdr_cksum(h6, 0));
}

TEST(Checksum, L4MatchesDpdk) {
	auto v = to_vec(l3_of(B(pkts::tcp4_syn)));
	uint16_t captured = load16(v.data() + 20 + 16);
	store16(v.data() + 20 + 16, 0);
	auto *h = reinterpret_cast<const rte_ipv4_hdr *>(v.data());
	EXPECT_EQ(rte_ipv4_udptcp_cksum(h, v.data() + 20), captured);
	auto ip = ipv4_view::parse(v);
	uint32_t s =
	    ipv4_pseudo_sum(ip->src(), ip->dst(), ip->proto(), uint16_t(ip->payload().size()));
	EXPECT_EQ(cksum_fold(cksum_add(ip->payload(), s)), captured);
}

TEST(Checksum, Rfc1624MatchesRecomputation) {
	std::mt19937 rng(7);
	for (int iter = 0; iter < 20000; iter++) {
		std::vector<uint8_t> v(20);
		for (auto &b : v) {
			b = uint8_t(rng());
		}
		store16(v.data() + 10, recompute(v, 10));
		size_t word = 2 * (rng() % 10);
		if (word == 10) {
			continue;
		}
		uint16_t old_val = load16(v.data() + word);
		// Bias toward the interesting values.
		uint16_t choices[] = {0x0000, 0xffff, old_val, uint16_t(rng())};
		uint16_t new_val = choices[rng() % 4];
		uint16_t inc = cksum_update16(load16(v.data() + 10), old_val, new_val);
		store16(v.data() + word, new_val);
		ASSERT_EQ(inc, recompute(v, 10)) << iter;
		store16(v.data() + 10, inc);
		ASSERT_EQ(internet_checksum(v), 0);
	}
}

TEST(Checksum, Rfc1624ZeroChecksumCorners) {
	// Words 0x1234 + 0xedcb sum to 0xffff, so the checksum is 0x0000.
	std::vector<uint8_t> v = {0x12, 0x34, 0x00, 0x01, 0x00, 0x00};
	uint16_t before = recompute(v, 4);
	EXPECT_EQ(host(before), 0xedca);
	uint16_t to_zero =
	    cksum_update16(before, rte_cpu_to_be_16(0x0001), rte_cpu_to_be_16(0xedcb));
	EXPECT_EQ(to_zero, 0x0000); // eqn. 2 would give 0xffff here
	v[2] = 0xed;
	v[3] = 0xcb;
	EXPECT_EQ(recompute(v, 4), 0x0000);
	// And back: an old checksum of 0x0000 updates correctly.
	EXPECT_EQ(cksum_update16(0x0000, rte_cpu_to_be_16(0xedcb), rte_cpu_to_be_16(0x0001)),
	          before);
	// 0x0000 and 0xffff are the same number in one's complement: swapping
	// one for the other leaves the checksum unchanged.
	EXPECT_EQ(cksum_update16(before, 0x0000, 0xffff), before);
	EXPECT_EQ(cksum_update16(before, 0xffff, 0x0000), before);
}

TEST(Checksum, Rfc1624Update32NatRewrite) {
	// Rewrite the source address of the captured SYN, updating the IPv4
	// header checksum and the TCP checksum (its pseudo header) in place.
	auto v = to_vec(l3_of(B(pkts::tcp4_syn)));
	uint32_t old_src, new_src = ipv4_addr::from_octets(192, 168, 77, 254).be;
	std::memcpy(&old_src, v.data() + 12, 4);
	store16(v.data() + 10, cksum_update32(load16(v.data() + 10), old_src, new_src));
	store16(v.data() + 36, cksum_update32(load16(v.data() + 36), old_src, new_src));
	std::memcpy(v.data() + 12, &new_src, 4);
	// And the source port.
	uint16_t old_port = load16(v.data() + 20), new_port = rte_cpu_to_be_16(40000);
	store16(v.data() + 36, cksum_update16(load16(v.data() + 36), old_port, new_port));
	store16(v.data() + 20, new_port);

	auto ip = ipv4_view::parse(v);
	ASSERT_TRUE(ip.ok());
	EXPECT_TRUE(ipv4_header_checksum_ok(*ip));
	EXPECT_TRUE(l4_checksum_ok_v4(*ip));
	EXPECT_EQ(load16(v.data() + 10), recompute(to_vec(ip->header()), 10));
}

TEST(Checksum, AcrossMbufSegmentsOfOddLength) {
	std::mt19937 rng(3);
	std::vector<uint8_t> flat(7 + 10 + 13 + 1);
	for (auto &b : flat) {
		b = uint8_t(rng());
	}
	rte_mbuf *head = nullptr;
	size_t pos = 0;
	for (size_t len : {7, 10, 13, 1}) {
		rte_mbuf *m = rte_pktmbuf_alloc(skiff::test::pool());
		ASSERT_NE(m, nullptr);
		ASSERT_TRUE(append_bytes(m, bytes(flat.data() + pos, len)));
		pos += len;
		if (head == nullptr) {
			head = m;
		} else {
			ASSERT_EQ(rte_pktmbuf_chain(head, m), 0);
		}
	}
	ASSERT_EQ(head->pkt_len, flat.size());
	for (uint32_t off = 0; off < flat.size(); off++) {
		for (uint32_t len = 0; off + len <= flat.size(); len++) {
			uint32_t want = cksum_add(flat.data() + off, len, 0x1234);
			ASSERT_EQ(cksum_reduce(cksum_add_mbuf(head, off, len, 0x1234)),
			          cksum_reduce(want))
			    << off << "+" << len;
		}
	}
	rte_pktmbuf_free(head);
}
