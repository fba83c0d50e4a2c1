// RST handling in each state (RFC 9293 3.10.7) and the RFC 5961 matrix:
// RST exact / in window / outside, SYN in a synchronized state, ACKs too
// old or too new, and the challenge-ACK rate limit. Also PAWS (RFC 7323).

#include "conn_fixture.h"

#include <cerrno>

namespace skiff::tcp::test {

TEST_F(conn_test, established_rst_exact_resets) {
	socket_established();
	uint32_t ev = in(seg(r(), 0, flag::RST));
	EXPECT_TRUE(ev & ev::reset);
	EXPECT_TRUE(ev & ev::closed);
	EXPECT_EQ(c.state(), tcp_state::closed);
	EXPECT_EQ(c.error(), -ECONNRESET);
	expect_nothing();
}

TEST_F(conn_test, established_rst_in_window_challenged) {
	socket_established();
	uint32_t ev = in(seg(r() + 1000, 0, flag::RST));
	EXPECT_EQ(ev & ev::reset, 0u);
	EXPECT_EQ(c.state(), tcp_state::established);
	auto s = one();
	EXPECT_EQ(s.flags, flag::ACK);
	EXPECT_EQ(s.seq.v, l());
	EXPECT_EQ(s.ack.v, r());
	EXPECT_EQ(counters.counted(tcp_event::challenge_acks), 1u);
}

TEST_F(conn_test, established_rst_outside_window_ignored) {
	socket_established();
	in(seg(r() + 100'000, 0, flag::RST));
	in(seg(r() - 1, 0, flag::RST));
	EXPECT_EQ(c.state(), tcp_state::established);
	expect_nothing();
	EXPECT_EQ(counters.dropped(tcp_drop::tcp_rst_bad_seq), 2u);
}

TEST_F(conn_test, established_syn_challenged) {
	socket_established();
	in(seg(r() + 5, 0, flag::SYN));
	EXPECT_EQ(c.state(), tcp_state::established);
	auto s = one();
	EXPECT_EQ(s.flags, flag::ACK);
	EXPECT_EQ(s.ack.v, r());
	// Out of window too (RFC 5961 4.2: "regardless of the sequence number").
	in(seg(r() + 1'000'000, 0, flag::SYN));
	EXPECT_EQ(one().flags, flag::ACK);
	EXPECT_EQ(c.state(), tcp_state::established);
}

TEST_F(conn_test, established_ack_too_new_acked_and_dropped) {
	socket_established();
	auto d = pattern(10);
	in(seg(r(), l() + 500, flag::ACK, remote_win, d));
	auto s = one();
	EXPECT_EQ(s.ack.v, r()); // the data was dropped with the segment
	EXPECT_EQ(c.recv_available(), 0u);
	EXPECT_EQ(counters.dropped(tcp_drop::tcp_ack_unsent), 1u);
}

TEST_F(conn_test, established_ack_too_old_acked_and_dropped) {
	socket_established();
	// MAX.SND.WND is 64000: an ACK further back is bogus (RFC 5961 5.2).
	in(seg(r(), l() - 70'000, flag::ACK, remote_win, pattern(10)));
	EXPECT_EQ(one().ack.v, r());
	EXPECT_EQ(c.recv_available(), 0u);
	EXPECT_EQ(counters.dropped(tcp_drop::tcp_ack_too_old), 1u);
	// Old but within MAX.SND.WND: accepted, data taken.
	in(seg(r(), l() - 1000, flag::ACK, remote_win, pattern(10)));
	EXPECT_EQ(c.recv_available(), 10u);
}

TEST_F(conn_test, challenge_acks_rate_limited_per_connection) {
	socket_established();
	size_t sent = 0;
	for (int i = 0; i < 50; ++i) {
		in(seg(r() + 100 + i, 0, flag::RST));
		sent += out().size();
	}
	EXPECT_EQ(sent, size_t(ctx.cfg.challenge_acks_per_conn));
	EXPECT_EQ(counters.counted(tcp_event::challenge_acks_limited),
	          50u - ctx.cfg.challenge_acks_per_conn);
	advance(1'000'000);
	in(seg(r() + 100, 0, flag::RST));
	EXPECT_EQ(out().size(), 1u);
}

TEST_F(conn_test, challenge_acks_rate_limited_per_context) {
	ctx.cfg.challenge_acks_per_sec = 3;
	socket_established();
	for (int i = 0; i < 5; ++i) {
		in(seg(r() + 100, 0, flag::RST));
		out();
	}
	EXPECT_EQ(counters.counted(tcp_event::challenge_acks), 3u);
}

TEST_F(conn_test, unacceptable_segment_gets_ack) {
	socket_established();
	in(seg(r() + 100'000, l(), flag::ACK, remote_win, pattern(10)));
	EXPECT_EQ(one().ack.v, r());
	EXPECT_EQ(counters.dropped(tcp_drop::tcp_not_acceptable), 1u);
}

TEST_F(conn_test, segment_without_ack_dropped) {
	socket_established();
	in(seg(r(), 0, 0, remote_win, pattern(10)));
	EXPECT_EQ(c.recv_available(), 0u);
	expect_nothing();
	EXPECT_EQ(counters.dropped(tcp_drop::tcp_bad_flags), 1u);
}

TEST_F(conn_test, fin_wait_1_rst_resets) {
	socket_fin_wait_1();
	EXPECT_TRUE(in(seg(r(), 0, flag::RST)) & ev::reset);
	EXPECT_EQ(c.error(), -ECONNRESET);
}

TEST_F(conn_test, fin_wait_2_rst_resets) {
	socket_fin_wait_2();
	EXPECT_TRUE(in(seg(r(), 0, flag::RST)) & ev::reset);
	EXPECT_EQ(c.state(), tcp_state::closed);
}

TEST_F(conn_test, close_wait_rst_resets) {
	socket_close_wait();
	EXPECT_TRUE(in(seg(r() + 1, 0, flag::RST)) & ev::reset);
	EXPECT_EQ(c.error(), -ECONNRESET);
}

TEST_F(conn_test, closing_rst_closes) {
	socket_closing();
	EXPECT_TRUE(in(seg(r() + 1, 0, flag::RST)) & ev::closed);
	EXPECT_EQ(c.state(), tcp_state::closed);
	EXPECT_EQ(c.error(), 0);
}

TEST_F(conn_test, last_ack_rst_closes) {
	socket_last_ack();
	EXPECT_TRUE(in(seg(r() + 1, 0, flag::RST)) & ev::closed);
	EXPECT_EQ(c.state(), tcp_state::closed);
}

TEST_F(conn_test, closed_drops_everything) {
	socket_established();
	in(seg(r(), 0, flag::RST));
	in(seg(r(), l(), flag::ACK, remote_win, pattern(10)));
	expect_nothing();
	EXPECT_EQ(counters.dropped(tcp_drop::tcp_closed), 1u);
}

// PAWS (RFC 7323 5): a connection with timestamps.
class paws_test : public conn_test {
protected:
	void SetUp() override {
		socket_syn_sent();
		auto synack = seg(remote_iss, iss + 1, flag::SYN | flag::ACK);
		synack.opt.mss = 1460;
		synack.opt.ts = timestamps{1000, 0};
		in(synack);
		one();
	}
	segment ts_seg(uint32_t seq, uint32_t tsval, std::span<const uint8_t> d = {}) {
		auto s = seg(seq, l(), flag::ACK, remote_win, d);
		s.opt.ts = timestamps{tsval, 0};
		return s;
	}
};

TEST_F(paws_test, old_timestamp_rejected) {
	auto d = pattern(100);
	in(ts_seg(r(), 1001, d));
	EXPECT_EQ(c.recv_available(), 100u);
	// A segment with an older TSval is an old duplicate, even in window.
	in(ts_seg(r() + 100, 999, d));
	EXPECT_EQ(c.recv_available(), 100u);
	EXPECT_EQ(counters.dropped(tcp_drop::tcp_paws), 1u);
	auto s = one();
	EXPECT_EQ(s.ack.v, r() + 100);
	ASSERT_TRUE(s.opt.ts);
	EXPECT_EQ(s.opt.ts->tsecr, 1001u);
}

TEST_F(paws_test, rst_not_subject_to_paws) {
	auto s = seg(r(), 0, flag::RST);
	s.opt.ts = timestamps{1, 0};
	EXPECT_TRUE(in(s)&ev::reset);
}

TEST_F(paws_test, ts_wraparound_is_newer) {
	in(ts_seg(r(), 0x7fffffffu + 1000, pattern(10)));
	EXPECT_EQ(c.recv_available(), 10u);
	in(ts_seg(r() + 10, 5, pattern(10))); // wrapped: newer
	EXPECT_EQ(c.recv_available(), 20u);
}

TEST_F(paws_test, echo_gives_rtt_sample) {
	send(pattern(100));
	auto s = one();
	ASSERT_TRUE(s.opt.ts);
	advance(50'000);
	auto ack = seg(r(), l() + 100, flag::ACK);
	ack.opt.ts = timestamps{1002, s.opt.ts->tsval};
	in(ack);
	// The handshake's sample was 0 (fake clock): 0 * 7/8 + 50 ms / 8.
	EXPECT_EQ(c.info().srtt_us, 50'000u / 8);
}

} // namespace skiff::tcp::test

namespace skiff::tcp::test {

TEST_F(conn_test, acks_for_unacceptable_segments_rate_limited) {
	socket_established();
	size_t sent = 0;
	for (int i = 0; i < 100; ++i) {
		in(seg(r() + 200'000 + i, l(), flag::ACK));
		sent += out().size();
	}
	EXPECT_EQ(sent, size_t(ctx.cfg.invalid_acks_per_conn));
	EXPECT_EQ(counters.counted(tcp_event::invalid_acks_limited),
	          100u - ctx.cfg.invalid_acks_per_conn);
	// Duplicates with data are always ACKed: that is how lost ACKs heal.
	in(seg(r() - 10, l(), flag::ACK, remote_win, pattern(10)));
	EXPECT_EQ(out().size(), 1u);
	advance(1'000'000);
	in(seg(r() + 200'000, l(), flag::ACK));
	EXPECT_EQ(out().size(), 1u);
}

} // namespace skiff::tcp::test
