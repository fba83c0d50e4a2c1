// The sender's burst fill (tx_fill.h) in every run shape: one template or a
// rotation, fixed 4-tuple or ranges, padded or exact copies, probe or raw
// frames. Each frame is checked against fill_packet() byte for byte and
// its checksums recomputed from scratch with lib/wire.

#include "tx_fill.h"

#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/udp.h"

#include <gtest/gtest.h>

#include <memory>

using namespace skiff::gen;
namespace wire = skiff::wire;

namespace {

/// A pool-less mbuf in the state a pool hands it out: fields left dirty
/// by an earlier use, which prepare_mbuf must overwrite.
struct fake_mbuf {
	rte_mbuf m;
	alignas(RTE_CACHE_LINE_SIZE) uint8_t buf[RTE_PKTMBUF_HEADROOM + 2048];

	fake_mbuf() { reset(); }
	fake_mbuf(const fake_mbuf &) = delete;
	fake_mbuf &operator=(const fake_mbuf &) = delete;

	void reset() {
		std::memset(&m, 0, sizeof(m));
		m.buf_addr = buf;
		m.buf_len = sizeof(buf);
		m.data_off = 7;
		m.nb_segs = 1;
		m.ol_flags = RTE_MBUF_F_RX_VLAN;
		m.packet_type = 0x11;
		m.pkt_len = 3;
		m.data_len = 3;
		rte_mbuf_refcnt_set(&m, 1);
		std::memset(buf, 0xa5, sizeof(buf));
	}
};

flow_spec make_spec(const char *src, const char *dst, const char *sport, const char *dport) {
	flow_spec f;
	f.src_mac = {{0x02, 0, 0, 0, 0, 1}};
	f.dst_mac = {{0x02, 0, 0, 0, 0, 2}};
	f.src = *parse_addr_range(src, "--src");
	f.dst = *parse_addr_range(dst, "--dst");
	f.sport = *parse_udp_port_range(sport, "--sport");
	f.dport = *parse_udp_port_range(dport, "--dport");
	return f;
}

/// Recompute every checksum of the probe frame @p f with lib/wire.
void expect_checksums_ok(wire::bytes f, bool v6) {
	auto eth = wire::eth_view::parse(f);
	ASSERT_TRUE(eth.ok());
	if (!v6) {
		auto ip = wire::ipv4_view::parse(eth->payload());
		ASSERT_TRUE(ip.ok());
		EXPECT_TRUE(wire::ipv4_header_checksum_ok(*ip));
		auto udp = wire::udp_view::parse(ip->payload());
		ASSERT_TRUE(udp.ok());
		EXPECT_NE(udp->checksum(), 0);
		EXPECT_TRUE(wire::l4_checksum_ok_v4(*ip, udp->whole()));
	} else {
		auto ip = wire::ipv6_view::parse(eth->payload());
		ASSERT_TRUE(ip.ok());
		auto udp = wire::udp_view::parse(ip->upper_payload());
		ASSERT_TRUE(udp.ok());
		EXPECT_NE(udp->checksum(), 0);
		EXPECT_TRUE(wire::l4_checksum_ok_v6(*ip, udp->whole()));
	}
}

/// Send @p total frames of @p slots in bursts of 1..32 into fake mbufs
/// and compare each with fill_packet() at the same slot, sequence and tuple.
void check_shape(const flow_spec &spec, const std::vector<const packet_template *> &slots,
                 unsigned data_room, unsigned total, uint32_t stream) {
	tx_slots prepared(slots, stream, data_room);
	ASSERT_EQ(prepared.size(), slots.size());
	tx_cursor c;
	c.slots = prepared.data();
	c.n_slots = prepared.size();
	c.flows = flow_cursor(spec);
	flow_cursor ref_flows(spec);
	size_t ref_slot = 0;
	// Start just below 2^32 so the sequence number's high word changes too.
	const uint64_t first_seq = 0xffffffc0u;
	uint64_t ref_seq = first_seq;
	c.seq = first_seq;
	auto mbufs = std::make_unique<fake_mbuf[]>(32);
	rte_mbuf *mb[32];
	uint16_t wire_lens[32];
	unsigned burst_len = 1;
	for (unsigned sent = 0; sent < total;) {
		unsigned n = std::min(burst_len, total - sent);
		for (unsigned i = 0; i < n; i++) {
			mbufs[i].reset();
			mb[i] = &mbufs[i].m;
		}
		uint32_t tsc32 = 0x9e3779b9u * (sent + 1);
		fill_burst_any(mb, n, c, tsc32, wire_lens);
		for (unsigned i = 0; i < n; i++) {
			const packet_template &t = *slots[ref_slot];
			std::vector<uint8_t> want(t.data.size());
			fill_packet(want.data(), t, ref_flows, stream, ref_seq, tsc32);
			ASSERT_EQ(mb[i]->data_len, t.data.size());
			ASSERT_EQ(mb[i]->pkt_len, t.data.size());
			EXPECT_EQ(mb[i]->data_off, RTE_PKTMBUF_HEADROOM);
			EXPECT_EQ(mb[i]->ol_flags, 0u);
			EXPECT_EQ(wire_lens[i], t.wire_len);
			wire::bytes got(rte_pktmbuf_mtod(mb[i], const uint8_t *), mb[i]->data_len);
			ASSERT_TRUE(std::equal(got.begin(), got.end(), want.begin()))
			    << "frame " << sent + i << " slot " << ref_slot;
			if (t.probe) {
				expect_checksums_ok(got, t.v6);
				probe_fields pf;
				ASSERT_TRUE(parse_probe(got.data(), uint32_t(got.size()), pf));
				EXPECT_EQ(pf.stream, stream);
				EXPECT_EQ(pf.seq, ref_seq);
				EXPECT_EQ(pf.tsc32, tsc32);
			}
			ref_seq++;
			ref_slot = ref_slot + 1 == slots.size() ? 0 : ref_slot + 1;
			if (ref_flows.varies()) {
				ref_flows.advance();
			}
		}
		sent += n;
		burst_len = (burst_len + 6) % 32 + 1; // 1, 8, 15, 22, 29, 4, ...: at most 32
	}
	EXPECT_EQ(c.seq, first_seq + total);
	EXPECT_EQ(c.slot, ref_slot);
}

} // namespace

TEST(tx_fill, one_template_fixed_tuple_padded_and_exact) {
	auto spec = make_spec("198.18.0.1", "198.19.0.1", "1024", "9");
	for (unsigned size : {64u, 100u, 1518u}) {
		auto t = build_probe_template(spec, size);
		ASSERT_TRUE(t.ok());
		for (unsigned room : {2048u, 60u}) {
			tx_slots s({&*t}, 3, room);
			copy_kind want = room < 64     ? copy_kind::exact
			                 : size == 64  ? copy_kind::pad_64
			                 : size == 100 ? copy_kind::pad_128
			                               : copy_kind::exact;
			EXPECT_EQ(s[0].copy, want) << size << " " << room;
			check_shape(spec, {&*t}, room, 200, 3);
		}
	}
}

TEST(tx_fill, one_template_with_ranges_v4_and_v6) {
	auto v4 =
	    make_spec("198.18.0.254-198.18.1.1", "198.19.255.255-198.20.0.0", "65534-65535", "0-2");
	auto v6 =
	    make_spec("2001:2::1-2001:2::3", "2001:2::fffe-2001:2::1:1", "65534-65535", "0-2");
	for (auto *spec : {&v4, &v6}) {
		auto t = build_probe_template(*spec, spec->src.v6 ? 82 : 64);
		ASSERT_TRUE(t.ok());
		check_shape(*spec, {&*t}, 2048, unsigned(3 * spec->flows() + 5), 1);
	}
}

TEST(tx_fill, rotation_of_sizes_like_imix) {
	auto spec = make_spec("198.18.0.1-198.18.0.9", "198.19.0.1", "1024", "9");
	auto a = build_probe_template(spec, 64);
	auto b = build_probe_template(spec, 576);
	auto c = build_probe_template(spec, 1500);
	ASSERT_TRUE(a.ok() && b.ok() && c.ok());
	std::vector<const packet_template *> rot{&*a, &*a, &*b, &*a, &*c, &*b, &*a};
	check_shape(spec, rot, 2048, 333, 0);
	auto fixed = make_spec("2001:2::1", "2001:2::2", "1", "2");
	auto d = build_probe_template(fixed, 82);
	auto e = build_probe_template(fixed, 128);
	ASSERT_TRUE(d.ok() && e.ok());
	check_shape(fixed, {&*d, &*e, &*e}, 2048, 100, 5);
}

TEST(tx_fill, raw_frames_are_sent_verbatim) {
	std::vector<uint8_t> f1(60), f2(1000);
	for (size_t i = 0; i < f2.size(); i++) {
		f2[i] = uint8_t(i * 7);
		if (i < f1.size()) {
			f1[i] = uint8_t(i + 1);
		}
	}
	auto r1 = raw_template(wire::bytes(f1.data(), f1.size()));
	auto r2 = raw_template(wire::bytes(f2.data(), f2.size()));
	tx_slots s({&r1, &r2}, 0, 2048);
	EXPECT_EQ(s[0].copy, copy_kind::exact);
	auto spec = make_spec("198.18.0.1", "198.19.0.1", "1024", "9");
	check_shape(spec, {&r1, &r2}, 2048, 50, 0);
}

TEST(tx_fill, a_zero_udp_checksum_is_sent_as_ffff) {
	auto spec = make_spec("198.18.0.1", "198.19.0.1", "1024", "9");
	auto t = build_probe_template(spec, 64);
	ASSERT_TRUE(t.ok());
	tx_slots s({&*t}, 2, 2048);
	// Choose the timestamp that makes the sum 0xffff, i.e. a checksum of 0.
	uint32_t tsc32 = 0xffffu - fold_sum64(s[0].udp_sum);
	fake_mbuf fm;
	rte_mbuf *mb[1] = {&fm.m};
	uint16_t wl[1];
	tx_cursor c;
	c.slots = s.data();
	c.n_slots = 1;
	c.flows = flow_cursor(spec);
	fill_burst_any(mb, 1, c, tsc32, wl);
	const uint8_t *d = rte_pktmbuf_mtod(mb[0], const uint8_t *);
	EXPECT_EQ(wire::load_be16(d + t->udp_off + 6), 0xffff);
	expect_checksums_ok(wire::bytes(d, t->data.size()), false);
}

TEST(tx_fill, fold_sum64_is_the_ones_complement_sum) {
	EXPECT_EQ(fold_sum64(0), 0);
	EXPECT_EQ(fold_sum64(0xffff), 0xffff);
	EXPECT_EQ(fold_sum64(0x10000), 1);
	EXPECT_EQ(fold_sum64(0xffffffffffffffffull), 0xffff);
	// 2^16 + 2^32 + 2^48 + 5 are four ones and a five.
	EXPECT_EQ(fold_sum64((1ull << 16) + (1ull << 32) + (1ull << 48) + 5), 8);
	EXPECT_EQ(fold_sum64(0x1fffeull), 0xffff);
}
