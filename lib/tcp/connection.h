#pragma once

// One TCP connection as a state machine (RFC 9293), in the manner of
// smoltcp's socket/tcp.rs: no I/O, no clock, no DPDK. Two entry points drive
// it: input() takes a segment that arrived, output() says what to send now.
// on_timer() runs its timers when next_timer_us() has passed. Time and
// randomness come from the context, so tests own the clock.
//
// The owner (the worker) parses and checksums segments, finds the
// connection, and after every input(), on_timer(), send(), recv(), close()...
// calls output() until it returns fewer segments than it asked for, builds a
// packet per segment (payload copied with copy_payload()), and re-arms its
// timer at next_timer_us(). A connection is single-threaded: one core calls
// all of it.
//
// The listener is not here: the owner keeps the SYN queue (or answers with
// SYN cookies) and creates a connection with open_passive() on a SYN, or
// with open_from_cookie() on the ACK that completes a cookie handshake.

#include "base/result.h"
#include "tcp/assembler.h"
#include "tcp/buffer.h"
#include "tcp/cc.h"
#include "tcp/context.h"
#include "tcp/rto.h"
#include "tcp/sack.h"
#include "tcp/segment.h"
#include "tcp/seq.h"
#include "tcp/syncookie.h"
#include "tcp/tcp_info.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace skiff::tcp {

/// What happened in an input(), on_timer() or app call (a bit set).
namespace ev {
constexpr uint32_t established = 0x01; ///< reached ESTABLISHED (connect done / ready to accept)
constexpr uint32_t readable = 0x02;    ///< new in-order data, or EOF, to recv()
constexpr uint32_t writable = 0x04;    ///< send-buffer space was freed
constexpr uint32_t peer_closed = 0x08; ///< the peer's FIN arrived (recv() returns 0 after the data)
constexpr uint32_t reset = 0x10;       ///< reset by the peer (error() is -ECONNRESET/-ECONNREFUSED)
constexpr uint32_t error = 0x20;       ///< failed (error() says why: -ETIMEDOUT, ...)
constexpr uint32_t closed = 0x40;      ///< reached CLOSED: free it once output() returns 0
constexpr uint32_t send_now = 0x80;    ///< output() has something to send right away
constexpr uint32_t reopen = 0x100;     ///< a new SYN hit TIME_WAIT (RFC 9293 3.10.7.4): the owner
                                       ///< may free this connection and treat the SYN as a new one
} // namespace ev

/// How to open a connection.
struct open_params {
	std::span<const uint8_t> tuple; ///< the packed 4-tuple, hashed into the ISN (RFC 6528)
	bool ipv6 = false;              ///< picks the default peer MSS when the SYN has none
	uint16_t mss = 1460;            ///< our MSS: the route MTU minus IP and TCP headers
	uint32_t rcvbuf = 0;            ///< receive buffer bytes; 0 = context default
	uint32_t sndbuf = 0;            ///< send buffer bytes; 0 = context default
	std::optional<cc_algo> cc;      ///< nullopt = context default
	bool nodelay = false;           ///< disable Nagle (TCP_NODELAY)
	bool keepalive = false;         ///< SO_KEEPALIVE
};

class connection {
public:
	connection() = default;
	connection(const connection &) = delete;
	connection &operator=(const connection &) = delete;

	/**
	 * Active open (RFC 9293 3.10.1, OPEN call, active): pick the ISS,
	 * allocate the buffers and enter SYN-SENT. output() then emits the SYN.
	 * Errors: -EISCONN if already open, -EINVAL without an ISN generator.
	 */
	result<void> open_active(context &ctx, const open_params &p);

	/**
	 * Passive open on a SYN the listener accepted (RFC 9293 3.10.7.2,
	 * LISTEN state, third check): record the peer's ISN and options, pick
	 * the ISS and enter SYN-RECEIVED. output() then emits the SYN-ACK.
	 * Errors: -EISCONN, -EINVAL (no ISN generator, or @p syn is not a
	 * SYN without ACK, RST or FIN).
	 */
	result<void> open_passive(context &ctx, const open_params &p, const segment &syn);

	/**
	 * Open from the ACK that completes a SYN-cookie handshake (RFC 4987
	 * 3.6): the ISS is ack.ack - 1, the peer's ISN ack.seq - 1, and the
	 * options come from the cookie. Enters ESTABLISHED and processes @p ack
	 * (which may carry data) as input. The caller has checked the cookie.
	 * @return the events of that input. Errors: -EISCONN.
	 */
	result<uint32_t> open_from_cookie(context &ctx, const open_params &p, const segment &ack,
	                                  const syn_params &cookie);

	/**
	 * The SYN-ACK a listener sends in SYN-cookie mode, where no connection
	 * exists yet (RFC 4987 3.6): <SEQ=cookie><ACK=SYN.SEQ+1><CTL=SYN,ACK>
	 * with the same options and window open_from_cookie() will assume.
	 * @param cookie syncookie_jar::make() for this SYN
	 */
	static segment_out cookie_syn_ack(const context &ctx, const open_params &p,
	                                  const segment &syn, uint32_t cookie);

	/// Process one arriving segment (RFC 9293 3.10.7). @return ev bits.
	uint32_t input(context &ctx, const segment &seg);

	/**
	 * Fill up to out.size() segments that should be sent now: SYN or
	 * SYN-ACK, data (new or retransmitted), FIN, ACKs and window updates,
	 * zero-window and keepalive probes, RST. Call again until it returns
	 * less than out.size().
	 */
	size_t output(context &ctx, std::span<segment_out> out);

	/// Earliest timer deadline (RTO, delayed ACK, persist, keepalive,
	/// TIME-WAIT...), in context time; UINT64_MAX when none is armed.
	uint64_t next_timer_us() const;

	/// Run the timers that are due at ctx.now_us. @return ev bits.
	uint32_t on_timer(context &ctx);

	// Application side.

	/// Queue bytes for sending (RFC 9293 3.10.2). @return bytes taken (0
	/// when the buffer is full, or when sending is not allowed: check
	/// can_send()).
	size_t send(std::span<const uint8_t> data);
	/// Copy received in-order bytes out (RFC 9293 3.10.3). @return bytes
	/// copied; 0 with eof() means the peer closed.
	size_t recv(std::span<uint8_t> out);
	/// Received bytes in place (at most two pieces), for zero-copy readers;
	/// follow with recv_consume().
	std::array<std::span<const uint8_t>, 2> recv_view() const;
	/// Drop @p n bytes the reader took through recv_view().
	void recv_consume(size_t n);

	/// Send FIN after the queued data (shutdown(SHUT_WR), RFC 9293 3.10.4).
	void shutdown_write();
	/// CLOSE (RFC 9293 3.10.4): FIN after the queued data, and the owner
	/// will not read any more. Unread data, or data arriving later, turns
	/// the close into a reset (RFC 2525 2.17). A connection that never got
	/// past SYN-SENT simply closes. Afterwards call output(), and free the
	/// connection when state() is CLOSED and output() returns 0 (now, or
	/// on a later ev::closed).
	void close();
	/// ABORT (RFC 9293 3.10.5): send a RST (when synchronized) and close:
	/// state() is CLOSED at once; free the connection once output() has
	/// returned the RST.
	void abort();

	tcp_state state() const { return _state; }
	/// 0, or the negative errno that ended the connection: -ECONNRESET,
	/// -ECONNREFUSED, -ETIMEDOUT.
	int error() const { return _error; }
	/// SYN-SENT, SYN-RECEIVED (queued until the open completes),
	/// ESTABLISHED or CLOSE-WAIT, and not shut down for writing.
	bool can_send() const;
	/// The peer's FIN has arrived and every byte before it has been read.
	bool eof() const { return _fin_received && _rbuf.empty(); }
	size_t send_space() const { return _sbuf.free_space(); }
	size_t recv_available() const { return _rbuf.size(); }
	tcp_info info() const;

	/// Copy the payload of @p s (from output()) into @p dst, which must
	/// hold s.payload_len bytes. @return bytes copied.
	size_t copy_payload(const segment_out &s, std::span<uint8_t> dst) const;
	/// The payload of @p s in place (at most two pieces).
	std::array<std::span<const uint8_t>, 2> payload_view(const segment_out &s) const;

	// Options.
	void set_nodelay(bool on) { _nodelay = on; }
	/// SO_KEEPALIVE; the times and count come from the context settings
	/// unless given here (0 = the setting).
	void set_keepalive(context &ctx, bool on, uint64_t idle_us = 0, uint64_t intvl_us = 0,
	                   uint8_t probes = 0);
	/// Switch congestion control (TCP_CONGESTION); restarts it at the
	/// current window.
	void set_cc(cc_algo algo);

private:
	// input.cc: RFC 9293 3.10.7, one function per state or step.
	uint32_t input_syn_sent(context &ctx, const segment &seg);
	uint32_t syn_sent_syn(context &ctx, const segment &seg, bool ack_ok);
	uint32_t input_synchronized(context &ctx, const segment &seg);
	uint32_t input_time_wait(context &ctx, const segment &seg);
	bool acceptable(const segment &seg) const;
	bool paws_reject(context &ctx, const segment &seg);
	uint32_t check_rst(context &ctx, const segment &seg);
	uint32_t check_syn(context &ctx, const segment &seg);
	bool check_ack(context &ctx, const segment &seg, uint32_t &events);
	uint32_t process_ack(context &ctx, const segment &seg);
	uint32_t ack_new_data(context &ctx, const segment &seg);
	void cc_after_ack(context &ctx, const segment &seg, uint32_t acked, uint32_t flight_before);
	uint32_t on_fin_acked(context &ctx);
	void on_established(context &ctx);
	void update_window(const segment &seg);
	void take_rtt_sample(context &ctx, const segment &seg, seq32 acked_to);
	uint32_t on_dupack(context &ctx, const segment &seg);
	void enter_recovery(context &ctx);
	void exit_recovery(context &ctx);
	uint32_t process_data(context &ctx, const segment &seg);
	uint32_t queue_data(context &ctx, seq32 seq, std::span<const uint8_t> data,
	                    size_t full_len);
	uint32_t process_fin(context &ctx, const segment &seg);
	void accept_syn_options(context &ctx, const segment &syn);
	void note_timestamp(const segment &seg);
	void challenge_ack(context &ctx);
	void invalid_ack(context &ctx, const segment &seg);
	void schedule_ack(context &ctx, size_t seg_len);
	uint32_t reply_rst(seq32 seq);
	uint32_t reset_by_peer(context &ctx, int err);
	uint32_t enter_closed(int err);
	void enter_time_wait(context &ctx);

	// output.cc
	bool emit_control(context &ctx, segment_out &s);
	void emit_syn(context &ctx, segment_out &s);
	bool emit_retransmission(context &ctx, segment_out &s);
	bool send_retransmission(context &ctx, segment_out &s, seq32 seq, uint32_t max_len);
	bool emit_data(context &ctx, segment_out &s);
	bool emit_ack(context &ctx, segment_out &s);
	void fill_header(context &ctx, segment_out &s, seq32 seq, uint8_t flags);
	void fill_data(context &ctx, segment_out &s, seq32 seq, uint32_t len, bool fin);
	uint16_t advertise_window();
	bool window_update_due() const;
	uint32_t usable_window() const;
	bool new_data_sendable() const;
	void maybe_arm_persist(context &ctx, uint32_t avail);
	void arm_rto(context &ctx, bool restart);
	uint32_t data_mss() const;

	// timers.cc
	uint32_t on_rto(context &ctx);
	void on_persist(context &ctx);
	uint32_t on_keepalive(context &ctx);

	// Helpers.
	void setup(context &ctx, const open_params &p);
	void init_cc(context &ctx);
	/// Sequence number of the first byte in the send buffer.
	seq32 data_start() const { return _snd_una + (_syn_acked ? 0 : 1); }
	seq32 data_end() const { return data_start() + uint32_t(_sbuf.size()); }
	/// Where our FIN goes (or went): right after the queued data.
	seq32 fin_seq() const { return data_end(); }
	bool fin_sent() const { return _fin_queued && _snd_max > fin_seq(); }
	/// States in which we may (re)send data or our FIN.
	bool sends_data() const;
	/// Sequence space in flight (SND.NXT - SND.UNA).
	uint32_t flight() const { return uint32_t(_snd_nxt - _snd_una); }
	uint32_t rcv_space() const { return uint32_t(_rbuf.free_space()); }
	/// RFC 7323 TSval: a 1 ms clock with a per-connection offset.
	uint32_t tsval(const context &ctx) const {
		return uint32_t(ctx.now_us / 1000) + _ts_offset;
	}

	tcp_state _state = tcp_state::closed;
	int _error = 0;
	bool _nodelay = false;
	bool _ipv6 = false;
	bool _app_closed = false; ///< close(): no more reads
	bool _fin_queued = false; ///< shutdown_write()/close(): FIN after the data
	bool _fin_received = false;
	bool _syn_acked = false;
	bool _rst_pending = false;
	bool _ack_pending = false; ///< send an ACK now
	bool _probe_pending = false;
	bool _keepalive_pending = false;
	bool _fast_rexmit_pending = false;
	bool _reply_pending = false; ///< _reply (a RST answering a bad segment) waits
	bool _app_read = false;      ///< recv() freed space: maybe a window update
	bool _ooo_fin = false;       ///< the peer's FIN arrived ahead of data still missing
	seq32 _ooo_fin_seq;
	segment_out _reply;

	// RFC 9293 3.3.1 send sequence variables.
	seq32 _iss;
	seq32 _snd_una;
	seq32 _snd_nxt;
	seq32 _snd_max; ///< highest sequence sent + 1 (SND.NXT rewinds on RTO)
	uint32_t _snd_wnd = 0;
	uint32_t _max_snd_wnd = 0; ///< RFC 5961 5.2 MAX.SND.WND
	seq32 _snd_wl1;
	seq32 _snd_wl2;
	// Receive sequence variables.
	seq32 _irs;
	seq32 _rcv_nxt;
	seq32 _rcv_adv; ///< right edge we advertised: never moved left (RFC 9293 3.8.6.2.2)

	// Negotiated options.
	uint16_t _snd_mss = 536; ///< the peer's MSS, floored by settings.min_mss
	uint16_t _rcv_mss = 536; ///< ours, advertised
	uint8_t _snd_wscale = 0;
	uint8_t _rcv_wscale = 0;
	bool _ws_ok = false;
	bool _ts_ok = false;
	bool _sack_ok = false;
	uint32_t _ts_offset = 0;
	uint32_t _ts_recent = 0;
	uint64_t _ts_recent_us = 0;
	seq32 _last_ack_sent;

	byte_ring _sbuf;
	byte_ring _rbuf;
	assembler _asm;

	// Reliability and congestion control.
	rto_estimator _rto;
	cc_state _cc{};
	sack_scoreboard _sb;
	bool _rtt_timing = false; ///< Karn: timing one unretransmitted segment
	seq32 _rtt_seq;
	uint64_t _rtt_start_us = 0;
	uint32_t _retries = 0; ///< consecutive RTOs of the same data
	uint32_t _dupacks = 0;
	bool _in_recovery = false;
	seq32 _recover;            ///< RFC 6582 / RFC 6675 RecoveryPoint
	seq32 _high_rxt;           ///< RFC 6675 HighRxt
	uint32_t _segs_to_ack = 0; ///< full-size segments received since our last ACK
	uint32_t _rcv_seg_max = 0; ///< largest payload the peer sent (its effective MSS)
	uint32_t _persist_backoff = 0;
	uint32_t _keepalive_sent = 0;
	uint64_t _keepalive_idle_us = 0;
	uint64_t _keepalive_intvl_us = 0;
	uint8_t _keepalive_probes = 0;
	bool _keepalive = false;

	// Timers: absolute deadlines in context time, 0 = not armed.
	uint64_t _rto_at = 0;
	uint64_t _delack_at = 0;
	uint64_t _persist_at = 0;
	uint64_t _keepalive_at = 0;
	uint64_t _time_wait_at = 0;
	uint64_t _fin_wait_2_at = 0;
	uint64_t _last_rx_us = 0;

	// RFC 5961 7: per-connection challenge-ACK rate limit.
	uint64_t _challenge_epoch_us = 0;
	uint32_t _challenge_sent = 0;
	uint64_t _invalid_epoch_us = 0;
	uint32_t _invalid_sent = 0;

	// Statistics for info().
	uint32_t _total_retrans = 0;
	uint64_t _bytes_sent = 0;
	uint64_t _bytes_retrans = 0;
	uint64_t _bytes_acked = 0;
	uint64_t _bytes_received = 0;
	uint64_t _segs_out = 0;
	uint64_t _segs_in = 0;
};

} // namespace skiff::tcp
