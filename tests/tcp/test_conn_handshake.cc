// Opening: active, passive and simultaneous open; SYN options; MSS floor;
// handshake retransmission and failure.

#include "conn_fixture.h"
#include "tcp/syncookie.h"

#include <cerrno>

namespace skiff::tcp::test {

TEST_F(conn_test, active_open_sends_syn_with_options) {
	ASSERT_TRUE(c.open_active(ctx, params).ok());
	EXPECT_EQ(c.state(), tcp_state::syn_sent);
	auto s = one();
	EXPECT_EQ(s.flags, flag::SYN);
	EXPECT_EQ(s.seq.v, isn.next(tuple, start_us));
	EXPECT_EQ(s.opt.mss, 1460);
	EXPECT_EQ(s.opt.window_scale, 0); // 64000 bytes fit 16 bits
	EXPECT_TRUE(s.opt.sack_permitted);
	ASSERT_TRUE(s.opt.ts.has_value());
	EXPECT_EQ(s.opt.ts->tsecr, 0u);
	EXPECT_EQ(s.window, 64000);
	EXPECT_EQ(s.payload_len, 0u);
	expect_nothing();
	EXPECT_NE(c.next_timer_us(), UINT64_MAX);
}

TEST_F(conn_test, active_open_twice_fails) {
	ASSERT_TRUE(c.open_active(ctx, params).ok());
	auto r2 = c.open_active(ctx, params);
	ASSERT_FALSE(r2.ok());
	EXPECT_EQ(r2.err().code, -EISCONN);
}

TEST_F(conn_test, syn_sent_synack_establishes) {
	socket_syn_sent();
	auto synack = seg(remote_iss, iss + 1, flag::SYN | flag::ACK, 5000);
	synack.opt.mss = 1000;
	uint32_t ev = in(synack);
	EXPECT_TRUE(ev & ev::established);
	EXPECT_EQ(c.state(), tcp_state::established);
	auto s = one();
	EXPECT_EQ(s.flags, flag::ACK);
	EXPECT_EQ(s.seq.v, iss + 1);
	EXPECT_EQ(s.ack.v, remote_iss + 1);
	EXPECT_FALSE(s.opt.ts); // the peer did not agree
	auto i = c.info();
	EXPECT_EQ(i.snd_mss, 1000u);
	EXPECT_EQ(i.snd_wnd, 5000u); // SYN windows are never scaled
	EXPECT_EQ(i.options, 0);
	EXPECT_EQ(c.next_timer_us(), UINT64_MAX); // SYN acked: RTO stopped
}

TEST_F(conn_test, syn_sent_negotiates_options) {
	socket_syn_sent();
	auto synack = seg(remote_iss, iss + 1, flag::SYN | flag::ACK, 5000);
	synack.opt.mss = 1400;
	synack.opt.window_scale = 7;
	synack.opt.sack_permitted = true;
	synack.opt.ts = timestamps{777, 0};
	in(synack);
	auto s = one();
	ASSERT_TRUE(s.opt.ts);
	EXPECT_EQ(s.opt.ts->tsecr, 777u);
	auto i = c.info();
	EXPECT_EQ(i.options, opt_bits::timestamps | opt_bits::sack | opt_bits::wscale);
	EXPECT_EQ(i.snd_wscale, 7);
	EXPECT_EQ(i.snd_wnd, 5000u);
	EXPECT_EQ(i.snd_mss, 1400u);
}

TEST_F(conn_test, syn_sent_bad_ack_gets_reset) {
	socket_syn_sent();
	uint32_t ev = in(seg(remote_iss, iss + 5, flag::SYN | flag::ACK));
	EXPECT_TRUE(ev & ev::send_now);
	auto s = one();
	EXPECT_EQ(s.flags, flag::RST);
	EXPECT_EQ(s.seq.v, iss + 5);
	EXPECT_EQ(c.state(), tcp_state::syn_sent);
	EXPECT_EQ(counters.dropped(tcp_drop::tcp_syn_sent_bad_ack), 1u);
}

TEST_F(conn_test, syn_sent_rst_with_good_ack_is_refused) {
	socket_syn_sent();
	uint32_t ev = in(seg(0, iss + 1, flag::RST | flag::ACK));
	EXPECT_TRUE(ev & ev::reset);
	EXPECT_TRUE(ev & ev::closed);
	EXPECT_EQ(c.state(), tcp_state::closed);
	EXPECT_EQ(c.error(), -ECONNREFUSED);
	expect_nothing();
}

TEST_F(conn_test, syn_sent_rst_without_ack_ignored) {
	socket_syn_sent();
	EXPECT_EQ(in(seg(0, 0, flag::RST)), 0u);
	EXPECT_EQ(c.state(), tcp_state::syn_sent);
	expect_nothing();
}

TEST_F(conn_test, syn_sent_plain_ack_ignored_after_rst_check) {
	socket_syn_sent();
	in(seg(remote_iss, iss + 1, flag::ACK));
	EXPECT_EQ(c.state(), tcp_state::syn_sent);
	expect_nothing();
	EXPECT_EQ(counters.dropped(tcp_drop::tcp_bad_flags), 1u);
}

TEST_F(conn_test, syn_retransmitted_with_backoff_then_timeout) {
	socket_syn_sent();
	// RFC 6298 2.1: 1 s initial RTO, doubling.
	uint64_t rto = 1'000'000;
	for (int i = 0; i < ctx.cfg.syn_retries; ++i) {
		EXPECT_EQ(c.next_timer_us(), ctx.now_us + rto) << i;
		advance(rto - 1);
		expect_nothing();
		advance(1);
		auto s = one();
		EXPECT_EQ(s.flags, flag::SYN) << i;
		EXPECT_EQ(s.seq.v, iss);
		rto *= 2;
	}
	advance(rto);
	EXPECT_EQ(c.state(), tcp_state::closed);
	EXPECT_EQ(c.error(), -ETIMEDOUT);
	expect_nothing();
}

TEST_F(conn_test, simultaneous_open) {
	socket_syn_sent();
	// The peer's SYN crosses ours.
	auto syn = seg(remote_iss, 0, flag::SYN);
	syn.opt.mss = 1460;
	in(syn);
	EXPECT_EQ(c.state(), tcp_state::syn_received);
	auto s = one();
	EXPECT_EQ(s.flags, flag::SYN | flag::ACK);
	EXPECT_EQ(s.seq.v, iss);
	EXPECT_EQ(s.ack.v, remote_iss + 1);
	// Its SYN-ACK for our SYN arrives (RFC 9293 figure 8, line 5).
	uint32_t ev = in(seg(remote_iss, iss + 1, flag::SYN | flag::ACK));
	EXPECT_TRUE(ev & ev::established);
	EXPECT_EQ(c.state(), tcp_state::established);
	expect_nothing();
}

TEST_F(conn_test, simultaneous_open_completed_by_ack) {
	socket_syn_sent();
	auto syn = seg(remote_iss, 0, flag::SYN);
	in(syn);
	one();
	uint32_t ev = in(seg(remote_iss + 1, iss + 1, flag::ACK));
	EXPECT_TRUE(ev & ev::established);
	EXPECT_EQ(c.state(), tcp_state::established);
}

TEST_F(conn_test, passive_open_sends_synack) {
	auto syn = seg(remote_iss, 0, flag::SYN, 8000);
	syn.opt.mss = 1200;
	syn.opt.window_scale = 3;
	syn.opt.sack_permitted = true;
	syn.opt.ts = timestamps{4242, 0};
	params.rcvbuf = 1'000'000;
	ASSERT_TRUE(c.open_passive(ctx, params, syn).ok());
	EXPECT_EQ(c.state(), tcp_state::syn_received);
	auto s = one();
	EXPECT_EQ(s.flags, flag::SYN | flag::ACK);
	EXPECT_EQ(s.ack.v, remote_iss + 1);
	EXPECT_EQ(s.opt.mss, 1460);
	EXPECT_EQ(s.opt.window_scale, 4); // 1 MB needs a shift of 4
	EXPECT_TRUE(s.opt.sack_permitted);
	ASSERT_TRUE(s.opt.ts);
	EXPECT_EQ(s.opt.ts->tsecr, 4242u);
	EXPECT_EQ(s.window, 65535);
	iss = s.seq.v;
	auto ack = seg(remote_iss + 1, iss + 1, flag::ACK, 100);
	ack.opt.ts = timestamps{4243, s.opt.ts->tsval};
	uint32_t ev = in(ack);
	EXPECT_TRUE(ev & ev::established);
	EXPECT_EQ(c.info().snd_wnd, 800u); // scaled by 3 from now on
	EXPECT_EQ(c.info().snd_mss, 1200u);
	expect_nothing();
}

TEST_F(conn_test, passive_open_without_options) {
	socket_syn_received();
	EXPECT_EQ(c.info().options, 0);
	uint32_t ev = in(seg(r(), iss + 1, flag::ACK));
	EXPECT_TRUE(ev & ev::established);
	EXPECT_EQ(c.state(), tcp_state::established);
}

TEST_F(conn_test, syn_received_bad_ack_gets_reset) {
	socket_syn_received();
	in(seg(r(), iss + 100, flag::ACK));
	auto s = one();
	EXPECT_EQ(s.flags, flag::RST);
	EXPECT_EQ(s.seq.v, iss + 100);
	EXPECT_EQ(c.state(), tcp_state::syn_received);
}

TEST_F(conn_test, syn_received_retransmitted_syn_resends_synack) {
	socket_syn_received();
	auto syn = seg(remote_iss, 0, flag::SYN);
	syn.opt.mss = 1460;
	in(syn);
	auto s = one();
	EXPECT_EQ(s.flags, flag::SYN | flag::ACK);
	EXPECT_EQ(s.seq.v, iss);
}

TEST_F(conn_test, syn_received_rst_closes) {
	socket_syn_received();
	uint32_t ev = in(seg(r(), 0, flag::RST));
	EXPECT_TRUE(ev & ev::closed);
	EXPECT_EQ(c.state(), tcp_state::closed);
	expect_nothing();
}

TEST_F(conn_test, synack_retransmitted_on_rto) {
	socket_syn_received();
	advance(1'000'000);
	auto s = one();
	EXPECT_EQ(s.flags, flag::SYN | flag::ACK);
	EXPECT_EQ(s.seq.v, iss);
	EXPECT_EQ(c.info().total_retrans, 1u);
}

TEST_F(conn_test, data_on_third_ack_of_passive_open) {
	socket_syn_received();
	auto d = pattern(100);
	uint32_t ev = in(seg(r(), iss + 1, flag::ACK | flag::PSH, remote_win, d));
	EXPECT_TRUE(ev & ev::established);
	EXPECT_TRUE(ev & ev::readable);
	EXPECT_EQ(recv_all(), d);
}

TEST_F(conn_test, mss_floor_applies) {
	socket_syn_sent();
	auto synack = seg(remote_iss, iss + 1, flag::SYN | flag::ACK);
	synack.opt.mss = 10; // a hostile MSS
	in(synack);
	EXPECT_EQ(c.info().snd_mss, ctx.cfg.min_mss);
}

TEST_F(conn_test, missing_mss_defaults_to_536_or_1220) {
	socket_syn_sent();
	in(seg(remote_iss, iss + 1, flag::SYN | flag::ACK));
	EXPECT_EQ(c.info().snd_mss, 536u);
	connection c6;
	params.ipv6 = true;
	ASSERT_TRUE(c6.open_passive(ctx, params, seg(remote_iss, 0, flag::SYN)).ok());
	EXPECT_EQ(c6.info().snd_mss, 1220u);
}

TEST_F(conn_test, our_mss_caps_the_peers) {
	params.mss = 1200;
	socket_syn_sent();
	auto synack = seg(remote_iss, iss + 1, flag::SYN | flag::ACK);
	synack.opt.mss = 9000;
	in(synack);
	EXPECT_EQ(c.info().snd_mss, 1200u);
}

TEST_F(conn_test, reset_for_closed_port) {
	auto r1 = reset_for(seg(5, 77, flag::ACK));
	ASSERT_TRUE(r1);
	EXPECT_EQ(r1->flags, flag::RST);
	EXPECT_EQ(r1->seq.v, 77u);
	auto d = pattern(10);
	auto r2 = reset_for(seg(5, 0, flag::SYN | flag::FIN, 0, d));
	ASSERT_TRUE(r2);
	EXPECT_EQ(r2->flags, flag::RST | flag::ACK);
	EXPECT_EQ(r2->seq.v, 0u);
	EXPECT_EQ(r2->ack.v, 5u + 10 + 2);
	EXPECT_FALSE(reset_for(seg(5, 0, flag::RST)));
}

} // namespace skiff::tcp::test

namespace skiff::tcp::test {

// SYN cookies (RFC 4987): the listener answers statelessly with
// cookie_syn_ack(); the connection is born on the final ACK.
TEST_F(conn_test, open_from_cookie_on_final_ack) {
	syncookie_jar jar{std::span<const uint8_t, 16>(isn_key)};
	auto syn = seg(remote_iss, 0, flag::SYN, 1000);
	syn.opt.mss = 1400;
	syn.opt.window_scale = 5;
	syn.opt.sack_permitted = true;
	syn.opt.ts = timestamps{555, 0};
	syn_params sp{*syn.opt.mss, *syn.opt.window_scale, syn.opt.sack_permitted};
	uint32_t cookie = jar.make(tuple, remote_iss, sp, ctx.now_us);
	auto synack = connection::cookie_syn_ack(ctx, params, syn, cookie);
	EXPECT_EQ(synack.flags, flag::SYN | flag::ACK);
	EXPECT_EQ(synack.seq.v, cookie);
	EXPECT_EQ(synack.ack.v, remote_iss + 1);
	EXPECT_EQ(synack.opt.mss, 1460);
	EXPECT_EQ(synack.opt.window_scale, 0);
	EXPECT_TRUE(synack.opt.sack_permitted);
	ASSERT_TRUE(synack.opt.ts);
	EXPECT_EQ(synack.opt.ts->tsecr, 555u);

	ctx.now_us += 10'000;
	auto d = pattern(50);
	auto ack = seg(remote_iss + 1, cookie + 1, flag::ACK, 100, d);
	ack.opt.ts = timestamps{556, synack.opt.ts->tsval};
	auto params_back = jar.check(tuple, remote_iss, cookie, ctx.now_us);
	ASSERT_TRUE(params_back);
	auto ev = c.open_from_cookie(ctx, params, ack, *params_back);
	ASSERT_TRUE(ev.ok());
	EXPECT_TRUE(*ev & ev::established);
	EXPECT_TRUE(*ev & ev::readable);
	EXPECT_EQ(c.state(), tcp_state::established);
	auto i = c.info();
	EXPECT_EQ(i.snd_mss, 1380u); // the cookie's table rounds down
	EXPECT_EQ(i.snd_wscale, 5);
	EXPECT_EQ(i.snd_wnd, 3200u);
	EXPECT_EQ(i.options, opt_bits::timestamps | opt_bits::sack | opt_bits::wscale);
	EXPECT_EQ(recv_all(), d);
	// Our next segment continues the cookie's sequence space, and its
	// TSval continues the SYN-ACK's clock.
	send(pattern(10));
	auto s = one();
	EXPECT_EQ(s.seq.v, cookie + 1);
	EXPECT_EQ(s.ack.v, remote_iss + 51);
	ASSERT_TRUE(s.opt.ts);
	EXPECT_EQ(s.opt.ts->tsval, synack.opt.ts->tsval + 10);
}

} // namespace skiff::tcp::test
