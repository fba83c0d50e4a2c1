// Random segments against connections in every state: nothing may crash,
// read out of bounds (run under ASan) or break the basic invariants.

#include "conn_fixture.h"

#include <random>

namespace skiff::tcp::test {

class random_test : public conn_test, public ::testing::WithParamInterface<int> {
protected:
	void to_state(int which) {
		switch (which) {
		case 0:
			socket_syn_sent();
			break;
		case 1:
			socket_syn_received();
			break;
		case 2:
			socket_established();
			break;
		case 3:
			socket_fin_wait_1();
			break;
		case 4:
			socket_fin_wait_2();
			break;
		case 5:
			socket_closing();
			break;
		case 6:
			socket_time_wait();
			break;
		case 7:
			socket_close_wait();
			break;
		default:
			socket_last_ack();
			break;
		}
	}
};

TEST_P(random_test, survives_random_segments) {
	std::mt19937_64 rng(uint64_t(GetParam()) * 7919 + 1);
	to_state(GetParam() % 9);
	std::vector<uint8_t> data(3000);
	for (auto &b : data) {
		b = uint8_t(rng());
	}
	auto pick = [&](uint32_t n) { return uint32_t(rng() % n); };
	for (int i = 0; i < 3000; ++i) {
		uint32_t base_seq = pick(4) == 0 ? uint32_t(rng()) : r() + pick(70'000) - 3000;
		uint32_t base_ack = pick(4) == 0 ? uint32_t(rng()) : l() + pick(5000) - 1000;
		segment s = seg(base_seq, base_ack, uint8_t(rng()), uint16_t(rng()),
		                std::span(data).first(pick(4) == 0 ? 0 : pick(3000)));
		if (pick(2)) {
			s.opt.ts = timestamps{uint32_t(rng()), uint32_t(rng())};
		}
		if (pick(2)) {
			s.opt.sack_count = uint8_t(pick(5));
			for (uint8_t k = 0; k < s.opt.sack_count; ++k) {
				uint32_t left = l() + pick(10'000) - 2000;
				s.opt.sack[k] = sack_block{seq32{left}, seq32{left + pick(5000)}};
			}
		}
		if (pick(8) == 0) {
			s.opt.mss = uint16_t(rng());
			s.opt.window_scale = uint8_t(pick(20));
		}
		c.input(ctx, s);
		switch (pick(6)) {
		case 0:
			c.send(std::span(data).first(pick(3000)));
			break;
		case 1:
			recv_all();
			break;
		case 2:
			advance(pick(2'000'000));
			break;
		default:
			break;
		}
		auto v = out();
		for (auto &o : v) {
			ASSERT_EQ(payload(o).size(), o.payload_len);
			ASSERT_LE(o.payload_len, 1460u);
		}
		auto in = c.info();
		ASSERT_LE(in.recv_queued, params.rcvbuf);
		ASSERT_LE(in.send_queued, params.sndbuf);
		ASSERT_LE(in.unacked, in.send_queued + 2);
		if (c.state() == tcp_state::closed) {
			break;
		}
	}
}

INSTANTIATE_TEST_SUITE_P(states, random_test, ::testing::Range(0, 90));

} // namespace skiff::tcp::test
