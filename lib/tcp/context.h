#pragma once

// What a connection needs from the world, passed into every call: the time,
// randomness, settings and counters. A worker owns one context per core and
// updates now_us before each call; tests own the clock by setting it.

#include "tcp/cc.h"
#include "tcp/counters.h"

#include <cstdint>

namespace skiff::tcp {

class isn_generator;

/// Stack-wide TCP settings (sysctl-like). Defaults follow Linux where the
/// RFCs leave a choice.
struct settings {
	uint64_t msl_us = 30'000'000;        ///< TIME_WAIT lasts 2*MSL (Linux: 60 s in total)
	uint64_t fin_wait_2_us = 60'000'000; ///< FIN-WAIT-2 limit once the owner closed (Linux)
	cc_algo default_cc = cc_algo::cubic; ///< per connection, changeable with set_cc()
	uint16_t min_mss = 88;               ///< floor for the peer's MSS (a tiny MSS is an attack)
	uint16_t default_mss_v4 = 536;       ///< peer MSS when its SYN has none (RFC 9293 3.7.1)
	uint16_t default_mss_v6 = 1220;      ///< the same over IPv6 (RFC 8200: 1280 - 60)
	uint32_t delayed_ack_us = 40'000;    ///< RFC 9293 3.8.6.3: must be < 500 ms
	uint32_t min_rto_us = 200'000;
	uint32_t max_rto_us = 120'000'000;
	uint32_t initial_rto_us = 1'000'000; ///< RFC 6298 2.1
	uint8_t syn_retries = 6;             ///< SYN / SYN-ACK retransmissions before giving up
	uint8_t max_retries = 15; ///< data retransmissions before ETIMEDOUT (Linux retries2)
	uint32_t persist_min_us = 200'000;             ///< first zero-window probe delay floor
	uint32_t persist_max_us = 60'000'000;          ///< probe backoff cap
	uint64_t keepalive_idle_us = 7'200'000'000ULL; ///< RFC 1122 4.2.3.6: >= 2 h by default
	uint64_t keepalive_intvl_us = 75'000'000;
	uint8_t keepalive_probes = 9;
	uint32_t challenge_acks_per_sec = 1000; ///< context-wide budget (RFC 5961 7)
	uint32_t challenge_acks_per_conn = 10;  ///< per connection per second
	uint32_t invalid_acks_per_conn =
	    10; ///< ACKs for unacceptable segments, per connection per second
	uint32_t default_rcvbuf = 212'992;
	uint32_t default_sndbuf = 212'992;
	bool window_scaling = true; ///< RFC 7323
	bool timestamps = true;     ///< RFC 7323
	bool sack = true;           ///< RFC 2018
};

/// Per-core state shared by all connections of a worker.
struct context {
	uint64_t now_us = 0;                ///< monotonic time, set by the caller before each call
	const isn_generator *isn = nullptr; ///< RFC 6528 ISNs (required for open_active/passive)
	settings cfg;
	tcp_counters *counters = nullptr;     ///< may be null (not counted)
	uint64_t rng = 0x9e3779b97f4a7c15ULL; ///< xorshift state; seed it per core

	// RFC 5961 section 7: a global challenge-ACK budget per second.
	uint64_t challenge_epoch_us = 0;
	uint32_t challenge_sent = 0;

	/// A cheap non-cryptographic random number (xorshift64*), for
	/// timestamp offsets and jitter; security-relevant values (ISNs,
	/// cookies) come from the keyed generators instead.
	uint64_t random() {
		rng ^= rng >> 12;
		rng ^= rng << 25;
		rng ^= rng >> 27;
		return rng * 0x2545f4914f6cdd1dULL;
	}

	void drop(tcp_drop r) {
		if (counters) {
			counters->drop(r);
		}
	}
	void count(tcp_event e, uint64_t n = 1) {
		if (counters) {
			counters->count(e, n);
		}
	}
};

} // namespace skiff::tcp
