#pragma once

// Fixtures for the connection state machine, one per state as smoltcp's
// socket_established() etc.: each brings a connection to that state through
// real segments, with a fake clock, so tests feed one crafted segment and
// assert exactly which segments come out.

#include "tcp/connection.h"
#include "tcp/isn.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace skiff::tcp::test {

inline constexpr uint32_t remote_iss = 10'000;
inline constexpr uint16_t remote_win = 64'000;
inline constexpr uint64_t start_us = 1'000'000;

inline const std::array<uint8_t, 16> isn_key = {1, 2,  3,  4,  5,  6,  7,  8,
                                                9, 10, 11, 12, 13, 14, 15, 16};
inline const std::array<uint8_t, 12> tuple = {198, 18, 0, 1, 198, 18, 0, 2, 0x30, 0x39, 0, 80};

/// A segment from the peer.
inline segment seg(uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window = remote_win,
                   std::span<const uint8_t> payload = {}) {
	segment s;
	s.seq = seq32{seq};
	s.ack = seq32{ack};
	s.flags = flags;
	s.window = window;
	s.payload = payload;
	return s;
}

/// Bytes 0, 1, 2, ... (mod 251) starting at @p from: a recognisable payload.
inline std::vector<uint8_t> pattern(size_t n, size_t from = 0) {
	std::vector<uint8_t> v(n);
	for (size_t i = 0; i < n; ++i) {
		v[i] = uint8_t((from + i) % 251);
	}
	return v;
}

class conn_test : public ::testing::Test {
protected:
	conn_test() : isn(std::span<const uint8_t, 16>(isn_key)) {
		ctx.now_us = start_us;
		ctx.isn = &isn;
		ctx.counters = &counters;
		params.tuple = tuple;
		params.mss = 1460;
		params.rcvbuf = 64'000;
		params.sndbuf = 64'000;
	}

	/// Everything output() has to send now.
	std::vector<segment_out> out() {
		std::vector<segment_out> v;
		std::array<segment_out, 8> buf;
		for (int guard = 0; guard < 1000; ++guard) {
			size_t n = c.output(ctx, buf);
			v.insert(v.end(), buf.begin(), buf.begin() + n);
			if (n < buf.size()) {
				break;
			}
		}
		return v;
	}

	/// Exactly one segment goes out; returns it.
	segment_out one() {
		auto v = out();
		EXPECT_EQ(v.size(), 1u);
		return v.empty() ? segment_out{} : v[0];
	}

	void expect_nothing() {
		auto v = out();
		EXPECT_TRUE(v.empty()) << v.size() << " segment(s), first seq " << v[0].seq.v
		                       << " flags " << int(v[0].flags);
	}

	/// The payload of an outgoing segment.
	std::vector<uint8_t> payload(const segment_out &s) {
		std::vector<uint8_t> v(s.payload_len);
		EXPECT_EQ(c.copy_payload(s, v), s.payload_len);
		return v;
	}

	/// Move the clock and run due timers.
	uint32_t advance(uint64_t us) {
		ctx.now_us += us;
		uint32_t ev = 0;
		if (c.next_timer_us() <= ctx.now_us) {
			ev = c.on_timer(ctx);
		}
		return ev;
	}

	uint32_t in(const segment &s) { return c.input(ctx, s); }

	size_t send(const std::vector<uint8_t> &v) { return c.send(v); }

	std::vector<uint8_t> recv_all() {
		std::vector<uint8_t> v(c.recv_available());
		v.resize(c.recv(v));
		return v;
	}

	// Our sequence numbers once the handshake is done.
	uint32_t iss = 0;
	uint32_t l() const { return iss + 1; }        ///< our first data byte
	uint32_t r() const { return remote_iss + 1; } ///< the peer's first data byte

	// Fixtures per state.
	void socket_syn_sent() {
		ASSERT_TRUE(c.open_active(ctx, params).ok());
		auto s = one();
		ASSERT_EQ(s.flags, flag::SYN);
		iss = s.seq.v;
	}
	void socket_syn_received(seg_options opt = {}) {
		auto syn = seg(remote_iss, 0, flag::SYN);
		syn.opt = opt;
		if (!syn.opt.mss) {
			syn.opt.mss = 1460;
		}
		ASSERT_TRUE(c.open_passive(ctx, params, syn).ok());
		auto s = one();
		ASSERT_EQ(s.flags, flag::SYN | flag::ACK);
		iss = s.seq.v;
	}
	/// Active open, peer's SYN-ACK without options.
	void socket_established() {
		socket_syn_sent();
		auto synack = seg(remote_iss, iss + 1, flag::SYN | flag::ACK);
		synack.opt.mss = 1460;
		uint32_t ev = in(synack);
		ASSERT_TRUE(ev & ev::established);
		auto s = one();
		ASSERT_EQ(s.flags, flag::ACK);
		ASSERT_EQ(c.state(), tcp_state::established);
	}
	/// We closed first; our FIN is out.
	void socket_fin_wait_1() {
		socket_established();
		c.shutdown_write();
		auto s = one();
		ASSERT_EQ(s.flags, flag::FIN | flag::ACK);
		ASSERT_EQ(s.seq.v, l());
		ASSERT_EQ(c.state(), tcp_state::fin_wait_1);
	}
	void socket_fin_wait_2() {
		socket_fin_wait_1();
		in(seg(r(), l() + 1, flag::ACK));
		expect_nothing();
		ASSERT_EQ(c.state(), tcp_state::fin_wait_2);
	}
	/// Simultaneous close: both FINs crossed.
	void socket_closing() {
		socket_fin_wait_1();
		in(seg(r(), l(), flag::FIN | flag::ACK));
		auto s = one();
		ASSERT_EQ(s.ack.v, r() + 1);
		ASSERT_EQ(c.state(), tcp_state::closing);
	}
	void socket_time_wait() {
		socket_fin_wait_2();
		in(seg(r(), l() + 1, flag::FIN | flag::ACK));
		auto s = one();
		ASSERT_EQ(s.flags, flag::ACK);
		ASSERT_EQ(s.ack.v, r() + 1);
		ASSERT_EQ(c.state(), tcp_state::time_wait);
	}
	/// The peer closed first.
	void socket_close_wait() {
		socket_established();
		uint32_t ev = in(seg(r(), l(), flag::FIN | flag::ACK));
		ASSERT_TRUE(ev & ev::peer_closed);
		auto s = one();
		ASSERT_EQ(s.ack.v, r() + 1);
		ASSERT_EQ(c.state(), tcp_state::close_wait);
	}
	void socket_last_ack() {
		socket_close_wait();
		c.close();
		auto s = one();
		ASSERT_EQ(s.flags, flag::FIN | flag::ACK);
		ASSERT_EQ(s.seq.v, l());
		ASSERT_EQ(c.state(), tcp_state::last_ack);
	}

	isn_generator isn;
	tcp_counters counters;
	context ctx;
	open_params params;
	connection c;
};

} // namespace skiff::tcp::test
