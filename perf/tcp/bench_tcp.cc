// The TCP state machine's cost per segment in and out, with no I/O: two
// connections wired back to back through memory, each with its own context
// and a clock that moves 1 us per exchange. Each segment out of one end is
// turned into a segment in for the other, its payload copied out of the
// send buffer (as the worker copies it into an mbuf), and due timers run as
// a worker runs them. What is measured is input() + output() + the
// application calls; parsing, checksums and the socket table are elsewhere
// (perf/wire, perf/net).
//
//  - transfer: bulk data one way in full segments (1448 bytes: MSS 1460
//    less the timestamps option), the receiver reading everything at once
//    and ACKing every second segment (RFC 9293 3.8.6.3); items = data
//    segments;
//  - request_response: the temperature service, "GET_TEMP" one way and
//    "42 C" back, the ACKs riding on the data; items = exchanges (two data
//    segments each);
//  - receive_in_order: the receiver alone, fed one real data segment
//    replayed with seq and timestamp moved on; items = segments.
//
// Run: build/perf/tcp/bench-tcp --benchmark_min_time=0.2

#include "tcp/connection.h"
#include "tcp/isn.h"

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

namespace skiff::tcp {
namespace {

constexpr uint16_t mss = 1460;
constexpr uint16_t full = mss - 12; ///< a full segment's payload: timestamps take 12 bytes
constexpr uint64_t start_us = 1'000'000;
constexpr std::array<uint8_t, 16> key = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};
constexpr std::array<uint8_t, 12> tuple = {198, 18, 0, 1, 198, 18, 0, 2, 0x30, 0x39, 0, 80};

[[noreturn]] void fail(const char *what) {
	std::fprintf(stderr, "bench-tcp: %s\n", what);
	std::exit(1);
}

/// One host: a connection, its context and a frame to copy payloads into.
struct end {
	connection c;
	context ctx;
	isn_generator isn{std::span<const uint8_t, 16>(key)};
	tcp_counters counters;
	std::array<segment_out, 8> out;
	std::array<uint8_t, 65536> frame;

	explicit end(uint64_t seed) {
		ctx.now_us = start_us;
		ctx.isn = &isn;
		ctx.counters = &counters;
		ctx.rng = seed;
	}
};

open_params params() {
	open_params p;
	p.tuple = tuple;
	p.mss = mss;
	p.rcvbuf = 256 * 1024;
	p.sndbuf = 256 * 1024;
	p.nodelay = true; // request_response sends small segments back to back
	return p;
}

/// Segment @p o as the peer receives it, carrying @p payload.
segment arrived(const segment_out &o, std::span<const uint8_t> payload = {}) {
	segment s;
	s.seq = o.seq;
	s.ack = o.ack;
	s.flags = o.flags;
	s.window = o.window;
	s.opt = o.opt;
	s.payload = payload;
	return s;
}

/// Everything @p from has to send now goes into @p to. @return segments moved.
size_t deliver(end &from, end &to) {
	size_t moved = 0;
	for (;;) {
		size_t n = from.c.output(from.ctx, from.out);
		for (size_t i = 0; i < n; ++i) {
			size_t len = from.c.copy_payload(from.out[i], from.frame);
			to.c.input(to.ctx, arrived(from.out[i], {from.frame.data(), len}));
		}
		moved += n;
		if (n < from.out.size()) {
			return moved;
		}
	}
}

void tick(end &e, uint64_t now) {
	e.ctx.now_us = now;
	if (e.c.next_timer_us() <= now) {
		e.c.on_timer(e.ctx);
	}
}

/// Two ends through the full three-way handshake (with the default options:
/// window scaling, timestamps, SACK).
struct pair {
	end a{1}, b{2};
	uint64_t now = start_us;

	pair() {
		if (!a.c.open_active(a.ctx, params()).ok()) {
			fail("open_active failed");
		}
		size_t n = a.c.output(a.ctx, a.out);
		if (n != 1 || a.out[0].flags != flag::SYN) {
			fail("no SYN");
		}
		if (!b.c.open_passive(b.ctx, params(), arrived(a.out[0])).ok()) {
			fail("open_passive failed");
		}
		deliver(b, a); // SYN-ACK
		deliver(a, b); // ACK
		if (a.c.state() != tcp_state::established ||
		    b.c.state() != tcp_state::established) {
			fail("handshake did not complete");
		}
	}

	void advance() {
		now += 1;
		tick(a, now);
		tick(b, now);
	}
};

void transfer(benchmark::State &state) {
	pair p;
	std::vector<uint8_t> chunk(full, 0x5a);
	std::vector<uint8_t> sink(256 * 1024);
	uint64_t segments = 0;
	for (auto _ : state) {
		if (p.a.c.send(chunk) != chunk.size()) {
			state.SkipWithError("send buffer full: ACKs are not flowing");
			break;
		}
		segments += deliver(p.a, p.b);
		p.b.c.recv(sink);
		deliver(p.b, p.a);
		p.advance();
	}
	state.SetItemsProcessed(int64_t(segments));
	state.SetBytesProcessed(int64_t(state.iterations()) * full);
}
BENCHMARK(transfer);

void request_response(benchmark::State &state) {
	pair p;
	static constexpr uint8_t request[] = {'G', 'E', 'T', '_', 'T', 'E', 'M', 'P'};
	static constexpr uint8_t reply[] = {'4', '2', ' ', 'C'};
	std::array<uint8_t, 64> buf;
	for (auto _ : state) {
		p.a.c.send(request);
		deliver(p.a, p.b);
		if (p.b.c.recv(buf) != sizeof(request)) {
			state.SkipWithError("the request did not arrive whole");
			break;
		}
		p.b.c.send(reply);
		deliver(p.b, p.a);
		if (p.a.c.recv(buf) != sizeof(reply)) {
			state.SkipWithError("the reply did not arrive whole");
			break;
		}
		p.advance();
	}
	state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(request_response);

void receive_in_order(benchmark::State &state) {
	pair p;
	// The peer's first data segment, taken from a real sender, then replayed
	// with seq and the timestamp moved on: the peer never needs our ACKs.
	std::vector<uint8_t> payload(full, 0xa5);
	p.a.c.send(payload);
	if (p.a.c.output(p.a.ctx, p.a.out) != 1 || p.a.out[0].payload_len != full) {
		fail("the sender did not send one full segment");
	}
	segment s = arrived(p.a.out[0], payload);
	if (!s.opt.ts) {
		fail("timestamps were not negotiated");
	}
	std::vector<uint8_t> sink(256 * 1024);
	std::array<segment_out, 8> acks;
	uint64_t sent_acks = 0;
	uint64_t now = p.now;
	for (auto _ : state) {
		p.b.c.input(p.b.ctx, s);
		p.b.c.recv(sink);
		sent_acks += p.b.c.output(p.b.ctx, acks);
		s.seq += full;
		s.opt.ts->tsval++;
		tick(p.b, ++now);
	}
	if (p.b.c.state() != tcp_state::established || p.b.c.info().recv_queued != 0) {
		state.SkipWithError("the receiver did not take every segment");
	}
	state.SetItemsProcessed(int64_t(state.iterations()));
	state.counters["acks_per_segment"] =
	    double(sent_acks) / double(std::max<int64_t>(1, int64_t(state.iterations())));
}
BENCHMARK(receive_in_order);

} // namespace
} // namespace skiff::tcp

BENCHMARK_MAIN();
