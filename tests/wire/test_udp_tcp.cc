#include "packets.h"
#include "util.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#include <set>
#include <string_view>

using namespace skiff::wire;
using namespace skiff::wire::testing;

namespace {

std::string_view text(bytes b) {
	return {reinterpret_cast<const char *>(b.data()), b.size()};
}

bytes tcp_syn_options() {
	return l3_of(B(pkts::tcp4_syn)).subspan(20 + 20, 20);
}

parse_error opt_error(std::vector<uint8_t> v) {
	return tcp_options::parse(v).error();
}

} // namespace

TEST(Udp, CapturedIpv4Datagram) {
	auto ip = ipv4_view::parse(l3_of(B(pkts::udp4_hello)));
	ASSERT_TRUE(ip.ok());
	ASSERT_EQ(ip->proto(), ip_proto::udp);
	auto udp = udp_view::parse(ip->payload());
	ASSERT_TRUE(udp.ok());
	EXPECT_EQ(udp->src_port(), 34299);
	EXPECT_EQ(udp->dst_port(), 5353);
	EXPECT_EQ(udp->length(), 19);
	EXPECT_EQ(udp->checksum(), 0xca1c);
	EXPECT_EQ(text(udp->payload()), "hello skiff");
	EXPECT_TRUE(l4_checksum_ok_v4(*ip, udp->whole()));
}

TEST(Udp, CapturedIpv6Datagram) {
	auto ip = ipv6_view::parse(l3_of(B(pkts::udp6_hello)));
	ASSERT_TRUE(ip.ok());
	auto udp = udp_view::parse(ip->upper_payload());
	ASSERT_TRUE(udp.ok());
	EXPECT_EQ(udp->src_port(), 56941);
	EXPECT_EQ(udp->dst_port(), 5353);
	EXPECT_EQ(text(udp->payload()), "hello skiff");
	EXPECT_TRUE(l4_checksum_ok_v6(*ip, udp->whole()));
}

TEST(Udp, ZeroChecksumAllowedOnlyOverIpv4) {
	auto v4 = to_vec(l3_of(B(pkts::udp4_hello)));
	v4[20 + 6] = v4[20 + 7] = 0;
	auto ip4 = ipv4_view::parse(v4);
	ASSERT_TRUE(ip4.ok());
	EXPECT_TRUE(l4_checksum_ok_v4(*ip4));

	auto v6 = to_vec(l3_of(B(pkts::udp6_hello)));
	v6[40 + 6] = v6[40 + 7] = 0;
	auto ip6 = ipv6_view::parse(v6);
	ASSERT_TRUE(ip6.ok());
	EXPECT_FALSE(l4_checksum_ok_v6(*ip6));
}

TEST(Udp, EveryTruncation) {
	bytes d = l3_of(B(pkts::udp4_hello)).subspan(20);
	for (size_t n = 0; n <= d.size(); n++) {
		exact_copy c(d.first(n));
		auto r = udp_view::parse(c.get());
		if (n == d.size()) {
			EXPECT_TRUE(r.ok());
		} else {
			EXPECT_EQ(r.error(),
			          n < 8 ? parse_error::truncated : parse_error::bad_total_length)
			    << n;
		}
	}
}

TEST(Udp, LengthFieldIsAClaim) {
	auto d = to_vec(l3_of(B(pkts::udp4_hello)).subspan(20));
	for (uint16_t len : {0, 1, 7, 20, 0xffff}) {
		d[4] = uint8_t(len >> 8);
		d[5] = uint8_t(len);
		EXPECT_EQ(udp_view::parse(d).error(), parse_error::bad_total_length) << len;
	}
	// Shorter than the buffer: the view stops at the length field.
	d[4] = 0;
	d[5] = 13;
	auto u = udp_view::parse(d);
	ASSERT_TRUE(u.ok());
	EXPECT_EQ(text(u->payload()), "hello");
}

TEST(Tcp, CapturedSynIpv4) {
	auto ip = ipv4_view::parse(l3_of(B(pkts::tcp4_syn)));
	ASSERT_TRUE(ip.ok());
	EXPECT_TRUE(l4_checksum_ok_v4(*ip));
	auto tcp = tcp_view::parse(ip->payload());
	ASSERT_TRUE(tcp.ok());
	EXPECT_EQ(tcp->src_port(), 35014);
	EXPECT_EQ(tcp->dst_port(), 80);
	EXPECT_EQ(tcp->seq(), 3331708956u);
	EXPECT_EQ(tcp->ack(), 0u);
	EXPECT_EQ(tcp->flags(), tcp_flags::SYN);
	EXPECT_TRUE(tcp->has(tcp_flags::SYN));
	EXPECT_FALSE(tcp->has(tcp_flags::ACK));
	EXPECT_EQ(tcp->window(), 64240);
	EXPECT_EQ(tcp->checksum(), 0x7af7);
	EXPECT_EQ(tcp->urgent(), 0);
	EXPECT_EQ(tcp->header_len(), 40u);
	EXPECT_EQ(tcp->options().size(), 20u);
	EXPECT_TRUE(tcp->payload().empty());

	auto o = tcp_options::parse(tcp->options());
	ASSERT_TRUE(o.ok());
	EXPECT_EQ(o->mss, 1460);
	EXPECT_TRUE(o->sack_permitted);
	ASSERT_TRUE(o->timestamps);
	EXPECT_EQ(o->timestamps->tsval, 3871125388u);
	EXPECT_EQ(o->timestamps->tsecr, 0u);
	EXPECT_EQ(o->window_scale, 10);
	EXPECT_EQ(o->sack_count, 0);
}

TEST(Tcp, CapturedRstAndIpv6Syn) {
	auto ip = ipv4_view::parse(l3_of(B(pkts::tcp4_rst)));
	ASSERT_TRUE(ip.ok());
	EXPECT_TRUE(l4_checksum_ok_v4(*ip));
	auto rst = tcp_view::parse(ip->payload());
	ASSERT_TRUE(rst.ok());
	EXPECT_EQ(rst->flags(), tcp_flags::RST | tcp_flags::ACK);
	EXPECT_EQ(rst->ack(), 3331708957u);
	EXPECT_TRUE(rst->options().empty());

	auto ip6 = ipv6_view::parse(l3_of(B(pkts::tcp6_syn)));
	ASSERT_TRUE(ip6.ok());
	EXPECT_EQ(ip6->flow_label(), 0x34e91u);
	EXPECT_TRUE(l4_checksum_ok_v6(*ip6));
	auto syn = tcp_view::parse(ip6->upper_payload());
	ASSERT_TRUE(syn.ok());
	EXPECT_EQ(syn->dst_port(), 443);
	auto o = tcp_options::parse(syn->options());
	ASSERT_TRUE(o.ok());
	EXPECT_EQ(o->mss, 1440);
}

TEST(Tcp, ChecksumDetectsCorruption) {
	auto v = to_vec(l3_of(B(pkts::tcp4_syn)));
	v[20 + 14] ^= 0x01; // window
	auto ip = ipv4_view::parse(v);
	ASSERT_TRUE(ip.ok());
	EXPECT_FALSE(l4_checksum_ok_v4(*ip));
}

TEST(Tcp, EveryTruncation) {
	bytes seg = l3_of(B(pkts::tcp4_syn)).subspan(20);
	for (size_t n = 0; n <= seg.size(); n++) {
		exact_copy c(seg.first(n));
		auto r = tcp_view::parse(c.get());
		if (n == seg.size()) {
			EXPECT_TRUE(r.ok());
		} else {
			EXPECT_EQ(r.error(),
			          n < 20 ? parse_error::truncated : parse_error::bad_header_length)
			    << n;
		}
	}
}

TEST(Tcp, DataOffsetIsAClaim) {
	auto seg = to_vec(l3_of(B(pkts::tcp4_syn)).subspan(20));
	for (uint8_t doff : {0, 1, 4, 11, 15}) {
		seg[12] = uint8_t(doff << 4);
		EXPECT_EQ(tcp_view::parse(seg).error(), parse_error::bad_header_length)
		    << int(doff);
	}
	seg[12] = 5 << 4;
	auto t = tcp_view::parse(seg);
	ASSERT_TRUE(t.ok());
	EXPECT_EQ(t->payload().size(), 20u); // the options are now payload
}

TEST(TcpOptions, EveryTruncation) {
	bytes o = tcp_syn_options();
	// Cuts on option boundaries leave a valid, shorter list.
	std::set<size_t> ok = {0, 4, 6, 16, 17, 20};
	for (size_t n = 0; n <= o.size(); n++) {
		exact_copy c(o.first(n));
		auto r = tcp_options::parse(c.get());
		if (ok.count(n)) {
			EXPECT_TRUE(r.ok()) << n;
		} else {
			EXPECT_EQ(r.error(), parse_error::bad_option) << n;
		}
	}
}

TEST(TcpOptions, MalformedLengths) {
	EXPECT_EQ(opt_error({30, 0, 1, 1}), parse_error::bad_option); // len 0
	EXPECT_EQ(opt_error({30, 1, 1, 1}), parse_error::bad_option); // len 1
	EXPECT_EQ(opt_error({30, 6, 1, 1}), parse_error::bad_option); // overrun
	EXPECT_EQ(opt_error({1, 1, 1, 2}), parse_error::bad_option);  // kind without length
	EXPECT_EQ(opt_error({2, 3, 5, 1}), parse_error::bad_option);  // MSS len 3
	EXPECT_EQ(opt_error({3, 4, 7, 0}), parse_error::bad_option);  // WS len 4
	EXPECT_EQ(opt_error({4, 3, 0, 1}), parse_error::bad_option);  // SACK-perm len 3
	EXPECT_EQ(opt_error({8, 8, 0, 0, 0, 0, 0, 0}), parse_error::bad_option); // TS len 8
	EXPECT_EQ(opt_error({5, 2, 1, 1}), parse_error::bad_option);             // SACK, no block
	EXPECT_EQ(opt_error({5, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), parse_error::bad_option);
	std::vector<uint8_t> five(42, 0);
	five[0] = 5;
	five[1] = 42; // five blocks
	EXPECT_EQ(opt_error(five), parse_error::bad_option);
}

TEST(TcpOptions, EolNopUnknownAndClamp) {
	// NOP, unknown kind 30 (len 6), WS 15, EOL, then junk that must be ignored.
	std::vector<uint8_t> v = {1, 30, 6, 9, 9, 9, 9, 3, 3, 15, 0, 30, 0, 0xff};
	auto o = tcp_options::parse(v);
	ASSERT_TRUE(o.ok());
	EXPECT_EQ(o->window_scale, 14); // RFC 7323 2.3
	EXPECT_FALSE(o->mss);
	EXPECT_TRUE(tcp_options::parse({}).ok());
}

TEST(TcpOptions, SackBlocks) {
	std::vector<uint8_t> v = {1, 1, 5, 26};
	for (uint32_t i = 1; i <= 6; i++) {
		uint32_t x = i * 1000;
		v.insert(v.end(),
		         {uint8_t(x >> 24), uint8_t(x >> 16), uint8_t(x >> 8), uint8_t(x)});
	}
	auto o = tcp_options::parse(v);
	ASSERT_TRUE(o.ok());
	ASSERT_EQ(o->sack_count, 3);
	EXPECT_EQ(o->sack[0], (tcp_sack_block{1000, 2000}));
	EXPECT_EQ(o->sack[2], (tcp_sack_block{5000, 6000}));
}

TEST(TcpOptions, WriteMatchesLinuxSynLayout) {
	auto o = tcp_options::parse(tcp_syn_options());
	ASSERT_TRUE(o.ok());
	EXPECT_EQ(o->wire_size(), 20u);
	uint8_t buf[40];
	ASSERT_EQ(o->write(buf), 20u);
	EXPECT_EQ(to_vec(bytes(buf, 20)), to_vec(tcp_syn_options()));
	EXPECT_EQ(o->write(mut_bytes(buf, 19)), 0u);
}

TEST(TcpOptions, WriteRoundTripsAndDropsSackBlocksThatDoNotFit) {
	tcp_options o;
	o.timestamps = tcp_timestamps{7, 9};
	o.sack_count = 4;
	for (uint32_t i = 0; i < 4; i++) {
		o.sack[i] = {i * 100, i * 100 + 50};
	}
	EXPECT_EQ(o.wire_size(), 40u); // 12 + 4 + 3 * 8: the fourth block is dropped
	uint8_t buf[40];
	ASSERT_EQ(o.write(buf), 40u);
	EXPECT_EQ(buf[0], tcp_opt::nop);
	EXPECT_EQ(buf[1], tcp_opt::nop);
	auto back = tcp_options::parse(bytes(buf, 40));
	ASSERT_TRUE(back.ok());
	EXPECT_EQ(back->timestamps, o.timestamps);
	ASSERT_EQ(back->sack_count, 3);
	EXPECT_EQ(back->sack[2], o.sack[2]);
	EXPECT_FALSE(back->sack_permitted);

	tcp_options s;
	s.sack_permitted = true;
	s.mss = 536;
	ASSERT_EQ(s.write(buf), 8u);
	EXPECT_EQ(to_vec(bytes(buf, 8)), (std::vector<uint8_t>{2, 4, 2, 24, 1, 1, 4, 2}));
	EXPECT_EQ(*tcp_options::parse(bytes(buf, 8)), s);
}
