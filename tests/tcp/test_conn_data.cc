// Data transfer in ESTABLISHED: sending within windows, receiving in and out
// of order, delayed ACKs, Nagle, window scaling and zero windows.

#include "conn_fixture.h"

namespace skiff::tcp::test {

TEST_F(conn_test, established_sends_data) {
	socket_established();
	auto d = pattern(1000);
	EXPECT_EQ(send(d), 1000u);
	auto s = one();
	EXPECT_EQ(s.flags, flag::ACK | flag::PSH);
	EXPECT_EQ(s.seq.v, l());
	EXPECT_EQ(s.ack.v, r());
	EXPECT_EQ(s.payload_len, 1000u);
	EXPECT_EQ(payload(s), d);
	// RTO armed for the data (RFC 6298 5.1); the handshake's RTT sample of
	// 0 leaves it at the 200 ms floor.
	EXPECT_EQ(c.info().rto_us, 200'000u);
	EXPECT_EQ(c.next_timer_us(), ctx.now_us + 200'000);
	in(seg(r(), l() + 1000, flag::ACK));
	expect_nothing();
	EXPECT_EQ(c.next_timer_us(), UINT64_MAX);
	EXPECT_EQ(c.info().bytes_acked, 1000u);
}

TEST_F(conn_test, established_splits_at_mss_and_initial_window) {
	socket_established();
	auto d = pattern(20'000);
	send(d);
	auto v = out();
	// IW = 10 MSS (RFC 6928): 10 full segments, the rest waits for ACKs.
	ASSERT_EQ(v.size(), 10u);
	for (size_t i = 0; i < v.size(); ++i) {
		EXPECT_EQ(v[i].seq.v, l() + i * 1460);
		EXPECT_EQ(v[i].payload_len, 1460u);
		EXPECT_EQ(payload(v[i]), pattern(1460, i * 1460));
	}
	// One ACK of two segments: slow start with byte counting grows cwnd by
	// at most one MSS per ACK (RFC 5681 3.1, L = 1), so 3 more go out.
	in(seg(r(), l() + 2 * 1460, flag::ACK));
	EXPECT_EQ(out().size(), 3u);
}

TEST_F(conn_test, established_respects_peer_window) {
	socket_established();
	in(seg(r(), l(), flag::ACK, 3000));
	send(pattern(10'000));
	auto v = out();
	ASSERT_EQ(v.size(), 2u);
	EXPECT_EQ(v[0].payload_len, 1460u);
	EXPECT_EQ(v[1].payload_len, 1460u); // 80 more bytes fit but SWS waits
	in(seg(r(), l() + 2920, flag::ACK, 3000));
	EXPECT_EQ(out().size(), 2u);
}

TEST_F(conn_test, established_receives_in_order) {
	socket_established();
	auto d = pattern(500);
	uint32_t ev = in(seg(r(), l(), flag::ACK | flag::PSH, remote_win, d));
	EXPECT_TRUE(ev & ev::readable);
	// A lone small segment: the ACK is delayed (RFC 9293 3.8.6.3).
	expect_nothing();
	EXPECT_EQ(c.next_timer_us(), ctx.now_us + 40'000);
	EXPECT_EQ(recv_all(), d);
	advance(39'999);
	expect_nothing();
	advance(1);
	auto s = one();
	EXPECT_EQ(s.flags, flag::ACK);
	EXPECT_EQ(s.ack.v, r() + 500);
	// Receiver SWS avoidance: the right edge moved by 500 < 1 MSS, so it
	// stays where it was.
	EXPECT_EQ(s.window, 64000 - 500);
}

TEST_F(conn_test, established_acks_every_second_full_segment) {
	socket_established();
	auto d = pattern(2920);
	in(seg(r(), l(), flag::ACK, remote_win, std::span(d).first(1460)));
	expect_nothing();
	in(seg(r() + 1460, l(), flag::ACK, remote_win, std::span(d).subspan(1460)));
	auto s = one();
	EXPECT_EQ(s.ack.v, r() + 2920);
	EXPECT_EQ(s.window, 64000 - 2920);
	EXPECT_EQ(c.next_timer_us(), UINT64_MAX);
}

TEST_F(conn_test, established_ack_piggybacks_on_data) {
	socket_established();
	in(seg(r(), l(), flag::ACK, remote_win, pattern(10)));
	send(pattern(20));
	auto s = one();
	EXPECT_EQ(s.payload_len, 20u);
	EXPECT_EQ(s.ack.v, r() + 10);
	EXPECT_EQ(c.next_timer_us(), ctx.now_us + 200'000); // delack gone, RTO on
}

TEST_F(conn_test, established_out_of_order_is_reassembled) {
	socket_established();
	auto d = pattern(3000);
	// Second part first: ACKed at once with the old RCV.NXT (a dupack).
	uint32_t ev =
	    in(seg(r() + 1000, l(), flag::ACK, remote_win, std::span(d).subspan(1000, 1000)));
	EXPECT_FALSE(ev & ev::readable);
	auto s = one();
	EXPECT_EQ(s.ack.v, r());
	EXPECT_EQ(c.recv_available(), 0u);
	in(seg(r() + 2000, l(), flag::ACK, remote_win, std::span(d).subspan(2000)));
	EXPECT_EQ(one().ack.v, r());
	// The hole fills: everything is delivered and ACKed at once.
	ev = in(seg(r(), l(), flag::ACK, remote_win, std::span(d).first(1000)));
	EXPECT_TRUE(ev & ev::readable);
	s = one();
	EXPECT_EQ(s.ack.v, r() + 3000);
	EXPECT_EQ(recv_all(), d);
	EXPECT_EQ(counters.counted(tcp_event::ooo_segments), 2u);
}

TEST_F(conn_test, established_overlapping_retransmission_trimmed) {
	socket_established();
	auto d = pattern(1000);
	in(seg(r(), l(), flag::ACK, remote_win, std::span(d).first(600)));
	in(seg(r() + 400, l(), flag::ACK, remote_win, std::span(d).subspan(400)));
	EXPECT_EQ(recv_all(), d);
}

TEST_F(conn_test, established_duplicate_gets_immediate_ack) {
	socket_established();
	auto d = pattern(100);
	in(seg(r(), l(), flag::ACK, remote_win, d));
	expect_nothing();
	in(seg(r(), l(), flag::ACK, remote_win, d));
	EXPECT_EQ(one().ack.v, r() + 100);
	EXPECT_EQ(recv_all(), d);
}

TEST_F(conn_test, established_sack_blocks_for_out_of_order) {
	socket_syn_sent();
	auto synack = seg(remote_iss, iss + 1, flag::SYN | flag::ACK);
	synack.opt.mss = 1460;
	synack.opt.sack_permitted = true;
	in(synack);
	one();
	auto d = pattern(100);
	in(seg(r() + 200, l(), flag::ACK, remote_win, d));
	auto s = one();
	ASSERT_EQ(s.opt.sack_count, 1);
	EXPECT_EQ(s.opt.sack[0].left.v, r() + 200);
	EXPECT_EQ(s.opt.sack[0].right.v, r() + 300);
	in(seg(r() + 400, l(), flag::ACK, remote_win, d));
	s = one();
	ASSERT_EQ(s.opt.sack_count, 2);
	EXPECT_EQ(s.opt.sack[0].left.v, r() + 400); // most recent first (RFC 2018 4)
	EXPECT_EQ(s.opt.sack[1].left.v, r() + 200);
}

TEST_F(conn_test, established_out_of_order_capped_by_buffer) {
	params.rcvbuf = 4000;
	socket_established();
	auto d = pattern(1000);
	// Beyond the buffer: dropped and counted, ACKed at once.
	in(seg(r() + 4000, l(), flag::ACK, remote_win, d));
	EXPECT_EQ(one().ack.v, r());
	EXPECT_EQ(counters.dropped(tcp_drop::tcp_not_acceptable), 1u);
	// Partly beyond: the fitting part is kept.
	in(seg(r() + 3500, l(), flag::ACK, remote_win, d));
	one();
	in(seg(r(), l(), flag::ACK, remote_win, pattern(3500)));
	auto got = recv_all();
	ASSERT_EQ(got.size(), 4000u);
	EXPECT_TRUE(std::equal(got.begin() + 3500, got.end(), d.begin()));
}

TEST_F(conn_test, established_reassembly_range_capacity) {
	params.rcvbuf = 64'000;
	socket_established();
	auto d = pattern(10);
	// Every other 10 bytes: each needs its own range in the assembler.
	size_t refused = 0;
	for (uint32_t i = 0; i < assembler::capacity + 4; ++i) {
		uint64_t before = counters.dropped(tcp_drop::tcp_ooo_no_room);
		in(seg(r() + 20 + 20 * i, l(), flag::ACK, remote_win, d));
		refused += counters.dropped(tcp_drop::tcp_ooo_no_room) - before;
		out();
	}
	EXPECT_EQ(refused, 4u);
}

TEST_F(conn_test, nagle_holds_small_segments) {
	socket_established();
	send(pattern(100));
	EXPECT_EQ(one().payload_len, 100u);
	send(pattern(100));
	expect_nothing(); // unacked data in flight: Nagle waits
	send(pattern(100));
	expect_nothing();
	in(seg(r(), l() + 100, flag::ACK));
	auto s = one();
	EXPECT_EQ(s.payload_len, 200u);
	EXPECT_EQ(s.seq.v, l() + 100);
}

TEST_F(conn_test, nodelay_sends_small_segments) {
	params.nodelay = true;
	socket_established();
	send(pattern(100));
	EXPECT_EQ(one().payload_len, 100u);
	send(pattern(100));
	EXPECT_EQ(one().payload_len, 100u);
}

TEST_F(conn_test, nagle_sends_full_segments) {
	socket_established();
	send(pattern(100));
	one();
	send(pattern(1460));
	auto s = one();
	EXPECT_EQ(s.payload_len, 1460u); // full: no waiting
	expect_nothing();                // the 100-byte tail waits
}

TEST_F(conn_test, window_scale_applies_both_ways) {
	params.rcvbuf = 1'000'000;
	socket_syn_sent();
	auto synack = seg(remote_iss, iss + 1, flag::SYN | flag::ACK, 1000);
	synack.opt.mss = 1460;
	synack.opt.window_scale = 2;
	in(synack);
	auto s = one();
	EXPECT_EQ(c.info().rcv_wscale, 4);
	EXPECT_EQ(s.window, 62500); // 1 MB >> 4
	in(seg(r(), l(), flag::ACK, 1000));
	EXPECT_EQ(c.info().snd_wnd, 4000u);
}

TEST_F(conn_test, zero_window_receiver_side) {
	params.rcvbuf = 3000;
	socket_established();
	in(seg(r(), l(), flag::ACK, remote_win, pattern(1460)));
	in(seg(r() + 1460, l(), flag::ACK, remote_win, pattern(1460)));
	auto s = one();
	EXPECT_EQ(s.window, 80);
	in(seg(r() + 2920, l(), flag::ACK, remote_win, pattern(80)));
	advance(40'000);
	s = one();
	EXPECT_EQ(s.window, 0);
	EXPECT_EQ(s.ack.v, r() + 3000);
	// Data into a zero window is not taken, but its ACK is processed.
	in(seg(r() + 3000, l(), flag::ACK, remote_win, pattern(10)));
	EXPECT_EQ(one().window, 0);
	// The reader frees 1460 bytes: a window update goes out.
	std::vector<uint8_t> buf(1460);
	EXPECT_EQ(c.recv(buf), 1460u);
	s = one();
	EXPECT_EQ(s.window, 1460);
}

TEST_F(conn_test, receiver_sws_avoidance) {
	params.rcvbuf = 3000;
	socket_established();
	in(seg(r(), l(), flag::ACK, remote_win, pattern(1460)));
	in(seg(r() + 1460, l(), flag::ACK, remote_win, pattern(1460)));
	EXPECT_EQ(one().window, 80);
	std::vector<uint8_t> buf(100);
	c.recv(buf); // 100 bytes free: below min(buf/2, MSS), no update
	expect_nothing();
}

TEST_F(conn_test, zero_window_probe_with_backoff) {
	socket_established();
	in(seg(r(), l(), flag::ACK, 0));
	send(pattern(100));
	expect_nothing();
	// Persist timer: the RTO (200 ms here) first, doubling.
	uint64_t t = c.next_timer_us() - ctx.now_us;
	EXPECT_EQ(t, 200'000u);
	advance(t);
	auto s = one();
	EXPECT_EQ(s.seq.v, l() - 1);
	EXPECT_EQ(s.payload_len, 0u);
	EXPECT_EQ(s.flags, flag::ACK);
	uint64_t t2 = c.next_timer_us() - ctx.now_us;
	EXPECT_EQ(t2, 2 * t);
	advance(t2);
	one();
	EXPECT_EQ(c.next_timer_us() - ctx.now_us, 4 * t);
	// The window opens: data flows, persist stops.
	in(seg(r(), l(), flag::ACK, 1000));
	s = one();
	EXPECT_EQ(s.payload_len, 100u);
	EXPECT_EQ(counters.counted(tcp_event::zero_window_probes), 2u);
	EXPECT_EQ(c.info().state, tcp_state::established);
}

TEST_F(conn_test, send_buffer_limits_send) {
	params.sndbuf = 1000;
	socket_established();
	EXPECT_EQ(send(pattern(1500)), 1000u);
	EXPECT_EQ(c.send_space(), 0u);
	one();
	uint32_t ev = in(seg(r(), l() + 1000, flag::ACK));
	EXPECT_TRUE(ev & ev::writable);
	EXPECT_EQ(c.send_space(), 1000u);
}

} // namespace skiff::tcp::test
