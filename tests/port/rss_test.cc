// The symmetric RSS key sends both directions of a flow to one queue.

#include "port/port.h"

#include <gtest/gtest.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include <array>
#include <cstring>
#include <random>

namespace skiff {
namespace {

TEST(rss_key, is_0x6d5a_repeated) {
	auto key = symmetric_rss_key();
	ASSERT_EQ(key.size(), 40u);
	for (size_t i = 0; i < key.size(); i++) {
		EXPECT_EQ(key[i], i % 2 == 0 ? 0x6d : 0x5a) << "byte " << i;
	}
	EXPECT_EQ(symmetric_rss_key(52).size(), 52u);
	EXPECT_EQ(symmetric_rss_key(1000).size(), 255u);
}

uint32_t hash_v4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                 std::span<const uint8_t> key) {
	rte_thash_tuple t;
	std::memset(&t, 0, sizeof(t));
	t.v4.src_addr = src;
	t.v4.dst_addr = dst;
	t.v4.sport = sport;
	t.v4.dport = dport;
	return rte_softrss(reinterpret_cast<uint32_t *>(&t), RTE_THASH_V4_L4_LEN, key.data());
}

uint32_t hash_v6(const std::array<uint8_t, 16> &src, const std::array<uint8_t, 16> &dst,
                 uint16_t sport, uint16_t dport, std::span<const uint8_t> key) {
	rte_ipv6_hdr ip;
	std::memset(&ip, 0, sizeof(ip));
	std::memcpy(ip.src_addr, src.data(), 16);
	std::memcpy(ip.dst_addr, dst.data(), 16);
	rte_thash_tuple t;
	std::memset(&t, 0, sizeof(t));
	rte_thash_load_v6_addrs(&ip, &t);
	t.v6.sport = sport;
	t.v6.dport = dport;
	return rte_softrss(reinterpret_cast<uint32_t *>(&t), RTE_THASH_V6_L4_LEN, key.data());
}

class rss_symmetry : public testing::TestWithParam<size_t> {};

TEST_P(rss_symmetry, ipv4_both_directions_hash_alike) {
	auto key = symmetric_rss_key(GetParam());
	std::mt19937 rng(42);
	for (int i = 0; i < 10000; i++) {
		uint32_t a = rng(), b = rng();
		auto x = static_cast<uint16_t>(rng()), y = static_cast<uint16_t>(rng());
		ASSERT_EQ(hash_v4(a, b, x, y, key), hash_v4(b, a, y, x, key))
		    << std::hex << a << " " << b << " " << x << " " << y;
	}
}

TEST_P(rss_symmetry, ipv6_both_directions_hash_alike) {
	auto key = symmetric_rss_key(GetParam());
	std::mt19937 rng(43);
	for (int i = 0; i < 10000; i++) {
		std::array<uint8_t, 16> a, b;
		for (size_t j = 0; j < 16; j++) {
			a[j] = static_cast<uint8_t>(rng());
			b[j] = static_cast<uint8_t>(rng());
		}
		auto x = static_cast<uint16_t>(rng()), y = static_cast<uint16_t>(rng());
		ASSERT_EQ(hash_v6(a, b, x, y, key), hash_v6(b, a, y, x, key)) << "tuple " << i;
	}
}

INSTANTIATE_TEST_SUITE_P(key_lengths, rss_symmetry, testing::Values(40u, 52u));

TEST(rss_key, still_spreads_flows_over_queues) {
	// The key's 16-bit period costs hash bits; check what is left still
	// spreads flows over 4 queues (RETA entry = hash low bits, entry i -> i % 4).
	auto key = symmetric_rss_key();
	std::mt19937 rng(44);
	std::array<int, 4> per_queue{};
	const int flows = 20000;
	for (int i = 0; i < flows; i++) {
		uint32_t h = hash_v4(rng(), rng(), static_cast<uint16_t>(rng()),
		                     static_cast<uint16_t>(rng()), key);
		per_queue[(h & 127) % 4]++;
	}
	for (int n : per_queue) {
		EXPECT_GT(n, flows / 4 * 8 / 10);
		EXPECT_LT(n, flows / 4 * 12 / 10);
	}
}

} // namespace
} // namespace skiff
