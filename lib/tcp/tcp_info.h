#pragma once

// A snapshot of one connection for getsockopt(TCP_INFO)-like reporting,
// telemetry and tests. Times in microseconds, sizes in bytes.

#include "tcp/cc.h"

#include <cstdint>

namespace skiff::tcp {

/// RFC 9293 3.3.2 connection states.
enum class tcp_state : uint8_t {
	closed,
	listen,
	syn_sent,
	syn_received,
	established,
	fin_wait_1,
	fin_wait_2,
	close_wait,
	closing,
	last_ack,
	time_wait,
};

/// "ESTABLISHED", "SYN-SENT", ... as RFC 9293 spells them.
const char *state_name(tcp_state s);

/// Options negotiated on the handshake (tcp_info::options bits).
namespace opt_bits {
constexpr uint8_t timestamps = 0x01;
constexpr uint8_t sack = 0x02;
constexpr uint8_t wscale = 0x04;
} // namespace opt_bits

struct tcp_info {
	tcp_state state = tcp_state::closed;
	cc_algo cc = cc_algo::cubic;
	uint8_t options = 0; ///< opt_bits
	uint8_t snd_wscale = 0;
	uint8_t rcv_wscale = 0;
	bool in_recovery = false;
	bool nodelay = false;
	uint8_t backoff = 0;        ///< RTO backoffs since the last RTT sample
	uint32_t retransmits = 0;   ///< consecutive timeouts of the current segment
	uint32_t total_retrans = 0; ///< segments retransmitted over the lifetime
	uint32_t rto_us = 0;
	uint32_t srtt_us = 0;
	uint32_t rttvar_us = 0;
	uint32_t snd_mss = 0; ///< what we send (the peer's MSS, floored)
	uint32_t rcv_mss = 0; ///< what we advertised
	uint32_t cwnd = 0;
	uint32_t ssthresh = 0;
	uint32_t snd_wnd = 0;     ///< the peer's window, scaled
	uint32_t rcv_wnd = 0;     ///< our window, scaled
	uint32_t unacked = 0;     ///< bytes in flight (SND.NXT - SND.UNA)
	uint32_t sacked = 0;      ///< bytes the peer SACKed above SND.UNA
	uint32_t send_queued = 0; ///< bytes in the send buffer (unacked + unsent)
	uint32_t recv_queued = 0; ///< in-order bytes waiting for the application
	uint64_t bytes_sent = 0;  ///< payload bytes sent, retransmissions included
	uint64_t bytes_retrans = 0;
	uint64_t bytes_acked = 0;
	uint64_t bytes_received = 0; ///< in-order payload bytes accepted
	uint64_t segs_out = 0;
	uint64_t segs_in = 0;
};

} // namespace skiff::tcp
