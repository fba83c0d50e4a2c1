// Closing: every close sequence (active, passive, simultaneous, half-close),
// TIME-WAIT and its expiry, close with unread data, data after close.

#include "conn_fixture.h"

#include <cerrno>

namespace skiff::tcp::test {

TEST_F(conn_test, fin_wait_1_ack_of_fin) {
	socket_fin_wait_1();
	in(seg(r(), l() + 1, flag::ACK));
	EXPECT_EQ(c.state(), tcp_state::fin_wait_2);
	expect_nothing();
	EXPECT_EQ(c.next_timer_us(), UINT64_MAX); // shutdown only: no FIN-WAIT-2 limit
}

TEST_F(conn_test, fin_wait_1_fin_and_ack_together) {
	socket_fin_wait_1();
	uint32_t ev = in(seg(r(), l() + 1, flag::FIN | flag::ACK));
	EXPECT_TRUE(ev & ev::peer_closed);
	EXPECT_EQ(c.state(), tcp_state::time_wait);
	auto s = one();
	EXPECT_EQ(s.flags, flag::ACK);
	EXPECT_EQ(s.seq.v, l() + 1);
	EXPECT_EQ(s.ack.v, r() + 1);
}

TEST_F(conn_test, fin_wait_1_fin_retransmitted) {
	socket_fin_wait_1();
	advance(c.info().rto_us);
	auto s = one();
	EXPECT_EQ(s.flags, flag::FIN | flag::ACK);
	EXPECT_EQ(s.seq.v, l());
}

TEST_F(conn_test, fin_wait_1_data_then_fin) {
	socket_established();
	send(pattern(300));
	c.shutdown_write();
	EXPECT_FALSE(c.can_send());
	EXPECT_EQ(send(pattern(1)), 0u);
	auto s = one();
	EXPECT_EQ(s.flags, flag::ACK | flag::PSH | flag::FIN);
	EXPECT_EQ(s.payload_len, 300u);
	in(seg(r(), l() + 300, flag::ACK)); // data ACKed, FIN not yet
	EXPECT_EQ(c.state(), tcp_state::fin_wait_1);
	in(seg(r(), l() + 301, flag::ACK));
	EXPECT_EQ(c.state(), tcp_state::fin_wait_2);
}

TEST_F(conn_test, fin_wait_2_receives_data_half_closed) {
	socket_fin_wait_2();
	auto d = pattern(200);
	uint32_t ev = in(seg(r(), l() + 1, flag::ACK, remote_win, d));
	EXPECT_TRUE(ev & ev::readable);
	EXPECT_EQ(recv_all(), d);
	in(seg(r() + 200, l() + 1, flag::FIN | flag::ACK));
	EXPECT_EQ(c.state(), tcp_state::time_wait);
	EXPECT_EQ(one().ack.v, r() + 201);
	EXPECT_TRUE(c.eof());
}

TEST_F(conn_test, fin_wait_2_times_out_after_close) {
	socket_established();
	c.close();
	one();
	in(seg(r(), l() + 1, flag::ACK));
	EXPECT_EQ(c.state(), tcp_state::fin_wait_2);
	EXPECT_EQ(c.next_timer_us(), ctx.now_us + ctx.cfg.fin_wait_2_us);
	uint32_t ev = advance(ctx.cfg.fin_wait_2_us);
	EXPECT_TRUE(ev & ev::closed);
	EXPECT_EQ(c.state(), tcp_state::closed);
	expect_nothing();
}

TEST_F(conn_test, closing_ack_enters_time_wait) {
	socket_closing();
	in(seg(r() + 1, l() + 1, flag::ACK));
	EXPECT_EQ(c.state(), tcp_state::time_wait);
	expect_nothing();
}

TEST_F(conn_test, time_wait_expires_after_2msl) {
	socket_time_wait();
	EXPECT_EQ(c.next_timer_us(), ctx.now_us + 2 * ctx.cfg.msl_us);
	EXPECT_EQ(advance(2 * ctx.cfg.msl_us - 1), 0u);
	EXPECT_EQ(c.state(), tcp_state::time_wait);
	uint32_t ev = advance(1);
	EXPECT_TRUE(ev & ev::closed);
	EXPECT_EQ(c.state(), tcp_state::closed);
	EXPECT_EQ(counters.counted(tcp_event::time_wait_expired), 1u);
}

TEST_F(conn_test, time_wait_retransmitted_fin_reacked_and_timer_restarted) {
	socket_time_wait();
	advance(1'000'000);
	in(seg(r(), l() + 1, flag::FIN | flag::ACK));
	auto s = one();
	EXPECT_EQ(s.flags, flag::ACK);
	EXPECT_EQ(s.ack.v, r() + 1);
	EXPECT_EQ(c.next_timer_us(), ctx.now_us + 2 * ctx.cfg.msl_us);
}

TEST_F(conn_test, time_wait_ignores_rst) {
	socket_time_wait();
	in(seg(r() + 1, 0, flag::RST));
	EXPECT_EQ(c.state(), tcp_state::time_wait); // RFC 1337
	expect_nothing();
}

TEST_F(conn_test, time_wait_new_syn_reopens) {
	socket_time_wait();
	EXPECT_TRUE(in(seg(r() + 100'000, 0, flag::SYN)) & ev::reopen);
	// An old SYN gets a challenge ACK instead.
	EXPECT_EQ(in(seg(r() - 100, 0, flag::SYN)) & ev::reopen, 0u);
	EXPECT_EQ(one().ack.v, r() + 1);
}

TEST_F(conn_test, close_wait_peer_closed_then_we_send) {
	socket_close_wait();
	EXPECT_TRUE(c.eof());
	EXPECT_TRUE(c.can_send());
	send(pattern(100));
	auto s = one();
	EXPECT_EQ(s.payload_len, 100u);
	EXPECT_EQ(s.ack.v, r() + 1);
}

TEST_F(conn_test, close_wait_ignores_data) {
	socket_close_wait();
	in(seg(r() + 1, l(), flag::ACK, remote_win, pattern(10)));
	EXPECT_EQ(c.recv_available(), 0u);
}

TEST_F(conn_test, last_ack_ack_closes) {
	socket_last_ack();
	uint32_t ev = in(seg(r() + 1, l() + 1, flag::ACK));
	EXPECT_TRUE(ev & ev::closed);
	EXPECT_EQ(c.state(), tcp_state::closed);
	expect_nothing();
}

TEST_F(conn_test, last_ack_fin_retransmitted) {
	socket_last_ack();
	advance(c.info().rto_us);
	auto s = one();
	EXPECT_EQ(s.flags, flag::FIN | flag::ACK);
	EXPECT_EQ(s.seq.v, l());
}

TEST_F(conn_test, simultaneous_close_full_sequence) {
	socket_established();
	c.close();
	auto fin = one();
	EXPECT_EQ(fin.flags, flag::FIN | flag::ACK);
	// The peer's FIN crosses ours (it has not seen our FIN).
	in(seg(r(), l(), flag::FIN | flag::ACK));
	EXPECT_EQ(c.state(), tcp_state::closing);
	EXPECT_EQ(one().ack.v, r() + 1);
	in(seg(r() + 1, l() + 1, flag::ACK));
	EXPECT_EQ(c.state(), tcp_state::time_wait);
}

TEST_F(conn_test, close_with_unread_data_resets) {
	socket_established();
	in(seg(r(), l(), flag::ACK, remote_win, pattern(10)));
	c.close();
	EXPECT_EQ(c.state(), tcp_state::closed);
	auto s = one();
	EXPECT_EQ(s.flags, flag::RST | flag::ACK);
	EXPECT_EQ(s.seq.v, l());
	EXPECT_EQ(s.ack.v, r() + 10);
}

TEST_F(conn_test, data_after_close_resets) {
	socket_established();
	c.close();
	one();
	in(seg(r(), l() + 1, flag::ACK, remote_win, pattern(10)));
	EXPECT_EQ(c.state(), tcp_state::closed);
	auto s = one();
	EXPECT_EQ(s.flags, flag::RST | flag::ACK);
	EXPECT_EQ(counters.dropped(tcp_drop::tcp_data_after_close), 1u);
}

TEST_F(conn_test, close_in_syn_sent_just_closes) {
	socket_syn_sent();
	c.close();
	EXPECT_EQ(c.state(), tcp_state::closed);
	expect_nothing();
	EXPECT_EQ(c.next_timer_us(), UINT64_MAX);
}

TEST_F(conn_test, shutdown_in_syn_sent_sends_fin_after_open) {
	socket_syn_sent();
	c.shutdown_write();
	auto synack = seg(remote_iss, iss + 1, flag::SYN | flag::ACK);
	in(synack);
	EXPECT_EQ(c.state(), tcp_state::fin_wait_1);
	auto s = one();
	EXPECT_EQ(s.flags, flag::FIN | flag::ACK);
	EXPECT_EQ(s.seq.v, l());
}

TEST_F(conn_test, abort_sends_rst) {
	socket_established();
	send(pattern(100));
	one();
	c.abort();
	EXPECT_EQ(c.state(), tcp_state::closed);
	auto s = one();
	EXPECT_EQ(s.flags, flag::RST | flag::ACK);
	EXPECT_EQ(s.seq.v, l() + 100);
	expect_nothing();
	EXPECT_EQ(c.next_timer_us(), UINT64_MAX);
}

TEST_F(conn_test, out_of_order_fin_waits_for_the_data) {
	socket_established();
	auto d = pattern(100);
	in(seg(r() + 100, l(), flag::FIN | flag::ACK, remote_win, d));
	EXPECT_EQ(c.state(), tcp_state::established);
	EXPECT_EQ(one().ack.v, r());
	uint32_t ev = in(seg(r(), l(), flag::ACK, remote_win, d));
	EXPECT_TRUE(ev & ev::peer_closed);
	EXPECT_EQ(c.state(), tcp_state::close_wait);
	EXPECT_EQ(one().ack.v, r() + 201);
	EXPECT_EQ(recv_all().size(), 200u);
}

} // namespace skiff::tcp::test

namespace skiff::tcp::test {

TEST_F(conn_test, close_after_shutdown_arms_fin_wait_2_limit) {
	socket_fin_wait_2();
	EXPECT_EQ(c.next_timer_us(), UINT64_MAX);
	c.close();
	expect_nothing();
	EXPECT_EQ(c.next_timer_us(), ctx.now_us + ctx.cfg.fin_wait_2_us);
}

TEST_F(conn_test, syn_received_other_syn_challenged) {
	socket_syn_received();
	in(seg(remote_iss + 7, 0, flag::SYN));
	auto s = one();
	EXPECT_EQ(s.flags, flag::ACK);
	EXPECT_EQ(s.ack.v, r());
	EXPECT_EQ(c.state(), tcp_state::syn_received);
}

TEST_F(conn_test, passive_open_refuses_syn_fin) {
	EXPECT_FALSE(c.open_passive(ctx, params, seg(remote_iss, 0, flag::SYN | flag::FIN)).ok());
}

} // namespace skiff::tcp::test
