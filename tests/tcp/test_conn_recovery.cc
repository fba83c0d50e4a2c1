// Reliability: RTO timing and backoff (RFC 6298), giving up, fast
// retransmit with NewReno (RFC 5681, RFC 6582), SACK recovery (RFC 6675),
// congestion control hooks, keepalive.

#include "conn_fixture.h"

#include <cerrno>

namespace skiff::tcp::test {

TEST_F(conn_test, rto_retransmits_with_backoff) {
	socket_established();
	send(pattern(1000));
	one();
	uint32_t rto = c.info().rto_us;
	EXPECT_EQ(rto, 200'000u);
	advance(rto - 1);
	expect_nothing();
	advance(1);
	auto s = one();
	EXPECT_EQ(s.seq.v, l());
	EXPECT_EQ(s.payload_len, 1000u);
	EXPECT_EQ(payload(s), pattern(1000));
	EXPECT_EQ(c.info().cwnd, 1460u); // RFC 5681: loss window after an RTO
	EXPECT_EQ(c.next_timer_us(), ctx.now_us + 2 * rto);
	advance(2 * rto);
	EXPECT_EQ(one().seq.v, l());
	EXPECT_EQ(c.next_timer_us(), ctx.now_us + 4 * rto);
	EXPECT_EQ(c.info().total_retrans, 2u);
	// The ACK stops the timer; a fresh segment gets the backed-off RTO
	// until a new sample (Karn: none from the retransmitted one).
	in(seg(r(), l() + 1000, flag::ACK));
	EXPECT_EQ(c.next_timer_us(), UINT64_MAX);
	EXPECT_EQ(c.info().retransmits, 0u);
}

TEST_F(conn_test, rto_gives_up_with_etimedout) {
	ctx.cfg.max_retries = 3;
	socket_established();
	send(pattern(10));
	one();
	uint32_t ev = 0;
	for (int i = 0; i < 4 && c.state() != tcp_state::closed; ++i) {
		ev = advance(c.next_timer_us() - ctx.now_us);
		out();
	}
	EXPECT_EQ(c.state(), tcp_state::closed);
	EXPECT_EQ(c.error(), -ETIMEDOUT);
	EXPECT_TRUE(ev & ev::error);
	EXPECT_EQ(c.info().total_retrans, 3u);
	EXPECT_EQ(counters.counted(tcp_event::timeouts), 1u);
}

TEST_F(conn_test, rto_resends_everything_in_flight_as_cwnd_grows) {
	socket_established();
	send(pattern(4 * 1460));
	EXPECT_EQ(out().size(), 4u);
	advance(c.info().rto_us);
	auto v = out();
	ASSERT_EQ(v.size(), 1u); // cwnd = 1 MSS
	EXPECT_EQ(v[0].seq.v, l());
	in(seg(r(), l() + 1460, flag::ACK));
	v = out();
	ASSERT_EQ(v.size(), 2u); // slow start: 2 MSS
	EXPECT_EQ(v[0].seq.v, l() + 1460);
	EXPECT_EQ(v[1].seq.v, l() + 2920);
}

TEST_F(conn_test, karn_no_sample_from_retransmission) {
	socket_established();
	send(pattern(100));
	one();
	advance(c.info().rto_us);
	one();
	uint32_t srtt = c.info().srtt_us;
	advance(10'000);
	in(seg(r(), l() + 100, flag::ACK));
	EXPECT_EQ(c.info().srtt_us, srtt);
	// The next segment is timed.
	send(pattern(100));
	one();
	advance(30'000);
	in(seg(r(), l() + 200, flag::ACK));
	EXPECT_NE(c.info().srtt_us, srtt);
}

// Five segments out, the second lost: three dupacks trigger a fast
// retransmit of exactly that segment (RFC 5681 3.2, NewReno without SACK).
TEST_F(conn_test, fast_retransmit_on_three_dupacks) {
	socket_established();
	send(pattern(5 * 1460));
	ASSERT_EQ(out().size(), 5u);
	in(seg(r(), l() + 1460, flag::ACK));
	out();
	uint32_t cwnd_before = c.info().cwnd;
	in(seg(r(), l() + 1460, flag::ACK));
	in(seg(r(), l() + 1460, flag::ACK));
	expect_nothing();
	in(seg(r(), l() + 1460, flag::ACK));
	auto s = one();
	EXPECT_EQ(s.seq.v, l() + 1460);
	EXPECT_EQ(s.payload_len, 1460u);
	auto i = c.info();
	EXPECT_TRUE(i.in_recovery);
	EXPECT_LT(i.ssthresh, cwnd_before);
	EXPECT_EQ(counters.counted(tcp_event::fast_retransmits), 1u);
	// Full ACK: recovery ends, cwnd deflates to ssthresh.
	in(seg(r(), l() + 5 * 1460, flag::ACK));
	i = c.info();
	EXPECT_FALSE(i.in_recovery);
	EXPECT_EQ(i.cwnd, i.ssthresh);
}

TEST_F(conn_test, newreno_partial_ack_retransmits_next_hole) {
	socket_established();
	send(pattern(6 * 1460));
	ASSERT_EQ(out().size(), 6u);
	// Segments 1 and 3 lost.
	for (int i = 0; i < 3; ++i) {
		in(seg(r(), l(), flag::ACK));
	}
	EXPECT_EQ(one().seq.v, l());
	// Partial ACK up to the second hole (RFC 6582 3.2 step 4).
	in(seg(r(), l() + 2 * 1460, flag::ACK));
	auto v = out();
	ASSERT_GE(v.size(), 1u);
	EXPECT_EQ(v[0].seq.v, l() + 2 * 1460);
	EXPECT_TRUE(c.info().in_recovery);
	in(seg(r(), l() + 6 * 1460, flag::ACK));
	EXPECT_FALSE(c.info().in_recovery);
}

TEST_F(conn_test, no_fast_retransmit_without_outstanding_data) {
	socket_established();
	for (int i = 0; i < 5; ++i) {
		in(seg(r(), l(), flag::ACK));
	}
	expect_nothing();
	EXPECT_FALSE(c.info().in_recovery);
}

TEST_F(conn_test, window_update_is_not_a_dupack) {
	socket_established();
	send(pattern(3 * 1460));
	out();
	in(seg(r(), l(), flag::ACK, 30'000));
	in(seg(r(), l(), flag::ACK, 31'000));
	in(seg(r(), l(), flag::ACK, 32'000));
	EXPECT_FALSE(c.info().in_recovery);
}

// A connection with SACK negotiated.
class sack_test : public conn_test {
protected:
	void SetUp() override {
		socket_syn_sent();
		auto synack = seg(remote_iss, iss + 1, flag::SYN | flag::ACK);
		synack.opt.mss = 1460;
		synack.opt.sack_permitted = true;
		in(synack);
		one();
	}
	segment sack_ack(uint32_t ack,
	                 std::initializer_list<std::pair<uint32_t, uint32_t>> blocks) {
		auto s = seg(r(), ack, flag::ACK);
		for (auto [lo, hi] : blocks) {
			s.opt.sack[s.opt.sack_count++] = sack_block{seq32{lo}, seq32{hi}};
		}
		return s;
	}
};

TEST_F(sack_test, sack_recovery_retransmits_only_holes) {
	send(pattern(10 * 1460));
	ASSERT_EQ(out().size(), 10u);
	uint32_t m = 1460;
	// Segments 0 and 2 lost; 1, 3, 4, 5 arrive and are SACKed.
	in(sack_ack(l(), {{l() + m, l() + 2 * m}}));
	in(sack_ack(l(), {{l() + 3 * m, l() + 4 * m}, {l() + m, l() + 2 * m}}));
	in(sack_ack(l(), {{l() + 3 * m, l() + 5 * m}, {l() + m, l() + 2 * m}}));
	auto v = out();
	ASSERT_GE(v.size(), 1u);
	EXPECT_TRUE(c.info().in_recovery);
	EXPECT_EQ(v[0].seq.v, l());
	// The next retransmission is the other hole, never SACKed data.
	in(sack_ack(l(), {{l() + 3 * m, l() + 6 * m}, {l() + m, l() + 2 * m}}));
	for (auto &s : out()) {
		v.push_back(s);
	}
	bool hole2 = false;
	for (auto &s : v) {
		EXPECT_FALSE(s.seq.v == l() + m || s.seq.v == l() + 3 * m || s.seq.v == l() + 4 * m)
		    << "retransmitted SACKed data at +" << (s.seq.v - l());
		hole2 |= s.seq.v == l() + 2 * m;
	}
	EXPECT_TRUE(hole2);
	in(seg(r(), l() + 10 * m, flag::ACK));
	EXPECT_FALSE(c.info().in_recovery);
}

TEST_F(sack_test, sack_enters_recovery_on_islost_before_three_dupacks) {
	send(pattern(10 * 1460));
	out();
	uint32_t m = 1460;
	// One dupack whose SACK covers > 2 MSS above the hole: IsLost.
	in(sack_ack(l(), {{l() + m, l() + 5 * m}}));
	EXPECT_TRUE(c.info().in_recovery);
	auto v = out();
	ASSERT_GE(v.size(), 1u);
	EXPECT_EQ(v[0].seq.v, l());
}

TEST_F(conn_test, keepalive_probes_then_gives_up) {
	socket_established();
	c.set_keepalive(ctx, true, 10'000'000, 1'000'000, 3);
	EXPECT_EQ(c.next_timer_us(), ctx.now_us + 10'000'000);
	advance(10'000'000);
	auto s = one();
	EXPECT_EQ(s.seq.v, l() - 1);
	EXPECT_EQ(s.payload_len, 0u);
	// An answer resets the idle timer.
	in(seg(r(), l(), flag::ACK));
	EXPECT_EQ(c.next_timer_us(), ctx.now_us + 10'000'000);
	advance(10'000'000);
	one();
	advance(1'000'000);
	one();
	advance(1'000'000);
	one();
	uint32_t ev = advance(1'000'000);
	EXPECT_TRUE(ev & ev::error);
	EXPECT_EQ(c.error(), -ETIMEDOUT);
	EXPECT_EQ(counters.counted(tcp_event::keepalive_probes), 4u);
}

TEST_F(conn_test, keepalive_off_by_default) {
	socket_established();
	EXPECT_EQ(c.next_timer_us(), UINT64_MAX);
}

TEST_F(conn_test, cc_selectable) {
	params.cc = cc_algo::newreno;
	socket_established();
	EXPECT_EQ(c.info().cc, cc_algo::newreno);
	c.set_cc(cc_algo::cubic);
	EXPECT_EQ(c.info().cc, cc_algo::cubic);
	EXPECT_EQ(c.info().cwnd, 14600u);
}

} // namespace skiff::tcp::test

namespace skiff::tcp::test {

TEST_F(conn_test, limited_transmit_on_first_two_dupacks) {
	socket_established();
	send(pattern(20 * 1460));
	ASSERT_EQ(out().size(), 10u); // cwnd-limited: IW
	in(seg(r(), l(), flag::ACK));
	auto v = out();
	ASSERT_EQ(v.size(), 1u); // RFC 3042: one new segment per dupack
	EXPECT_EQ(v[0].seq.v, l() + 10 * 1460);
	in(seg(r(), l(), flag::ACK));
	v = out();
	ASSERT_EQ(v.size(), 1u);
	EXPECT_EQ(v[0].seq.v, l() + 11 * 1460);
	// The third dupack: fast retransmit of the first segment.
	in(seg(r(), l(), flag::ACK));
	v = out();
	ASSERT_GE(v.size(), 1u);
	EXPECT_EQ(v[0].seq.v, l());
}

TEST_F(conn_test, rto_of_three_seconds_after_lost_syn) {
	ASSERT_TRUE(c.open_active(ctx, params).ok());
	iss = one().seq.v;
	advance(1'000'000);
	one(); // SYN again: Karn forbids a sample from its SYN-ACK
	in(seg(remote_iss, iss + 1, flag::SYN | flag::ACK));
	one();
	EXPECT_EQ(c.info().rto_us, 3'000'000u); // RFC 6298 5.7
}

} // namespace skiff::tcp::test
