// What to send: RFC 9293 3.8 (sending data, windows, SWS avoidance, Nagle),
// RFC 6298 (timer arming), RFC 6582 / RFC 6675 (retransmissions in
// recovery). output() asks each producer in priority order for one segment.

#include "tcp/connection.h"

#include <algorithm>

namespace skiff::tcp {

size_t connection::output(context &ctx, std::span<segment_out> out) {
	if (_app_closed && _state == tcp_state::fin_wait_2 && _fin_wait_2_at == 0) {
		// close() after shutdown_write() had its FIN ACKed: from now on
		// nobody reads, so the peer's FIN is not awaited forever. (The
		// app calls carry no context; output() always follows them.)
		_fin_wait_2_at = ctx.now_us + ctx.cfg.fin_wait_2_us;
	}
	size_t n = 0;
	while (n < out.size()) {
		segment_out &s = out[n];
		s = segment_out{};
		if (emit_control(ctx, s) || emit_retransmission(ctx, s) || emit_data(ctx, s) ||
		    emit_ack(ctx, s)) {
			++n;
			continue;
		}
		break;
	}
	return n;
}

// RSTs, SYN / SYN-ACK, and probes: segments that carry no new data.
bool connection::emit_control(context &ctx, segment_out &s) {
	if (_reply_pending) {
		// A RST answering a segment that did not fit (RFC 9293 3.10.7.3,
		// 3.10.7.4 SYN-RECEIVED): its numbers come from that segment.
		_reply_pending = false;
		s = _reply;
		++_segs_out;
		ctx.count(tcp_event::segs_out);
		ctx.count(tcp_event::resets_sent);
		return true;
	}
	if (_rst_pending) {
		// RFC 9293 3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>, with the ACK as
		// Linux sends it. SND.NXT is the highest we sent (after an RTO
		// our _snd_nxt may have been rewound).
		_rst_pending = false;
		s.seq = _snd_max;
		s.ack = _rcv_nxt;
		s.flags = flag::RST | flag::ACK;
		++_segs_out;
		ctx.count(tcp_event::segs_out);
		ctx.count(tcp_event::resets_sent);
		return true;
	}
	if ((_state == tcp_state::syn_sent || _state == tcp_state::syn_received) &&
	    _snd_nxt == _iss) {
		emit_syn(ctx, s);
		return true;
	}
	if (_keepalive_pending || (_probe_pending && _snd_wnd == 0)) {
		// RFC 1122 4.2.3.6 keepalive and RFC 9293 3.8.6.1 zero-window
		// probe, both as Linux sends them: SEQ = SND.UNA - 1 and no
		// data, which the peer must answer with an ACK showing its
		// window, without our having to retransmit a probe byte.
		if (_keepalive_pending) {
			ctx.count(tcp_event::keepalive_probes);
		} else {
			ctx.count(tcp_event::zero_window_probes);
		}
		_keepalive_pending = false;
		_probe_pending = false;
		fill_header(ctx, s, _snd_una - 1, flag::ACK);
		return true;
	}
	return false;
}

// RFC 9293 3.10.1 / 3.10.7.2: our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED)
// with the options we offer or accept.
void connection::emit_syn(context &ctx, segment_out &s) {
	bool passive = _state == tcp_state::syn_received;
	fill_header(ctx, s, _iss, passive ? uint8_t(flag::SYN | flag::ACK) : flag::SYN);
	s.opt.mss = _rcv_mss;
	if (passive ? _ws_ok : ctx.cfg.window_scaling) {
		s.opt.window_scale = _rcv_wscale;
	}
	s.opt.sack_permitted = passive ? _sack_ok : ctx.cfg.sack;
	if (passive ? _ts_ok : ctx.cfg.timestamps) {
		s.opt.ts = timestamps{tsval(ctx), passive ? _ts_recent : 0};
	}
	s.opt.sack_count = 0;
	if (_snd_max == _iss) {
		// Karn: time the first SYN only.
		_rtt_timing = true;
		_rtt_seq = _iss;
		_rtt_start_us = ctx.now_us;
	} else {
		_rtt_timing = false;
		++_total_retrans;
		ctx.count(tcp_event::retransmits);
	}
	_snd_nxt = _iss + 1;
	_snd_max = seq_max(_snd_max, _snd_nxt);
	arm_rto(ctx, false);
}

// RFC 6582 fast retransmit / partial-ACK retransmit, and RFC 6675 NextSeg
// rules 1 and 3 during SACK recovery.
bool connection::emit_retransmission(context &ctx, segment_out &s) {
	if (!_syn_acked || !sends_data()) {
		return false;
	}
	uint32_t mss = data_mss();
	if (_fast_rexmit_pending) {
		_fast_rexmit_pending = false;
		return send_retransmission(ctx, s, _snd_una, mss);
	}
	if (!_in_recovery || !_sack_ok) {
		return false;
	}
	// RFC 6675 5 step (C): send while cwnd - pipe >= 1 SMSS.
	uint32_t pipe = _sb.pipe(_snd_una, _snd_max, _high_rxt, _snd_mss);
	if (_cc.cwnd < pipe + _snd_mss) {
		return false;
	}
	auto next = _sb.next_seg(_snd_una, _snd_max, _high_rxt, _snd_mss);
	if (!next && !new_data_sendable()) {
		next = _sb.next_seg_rescue(_snd_una, _snd_max, _high_rxt);
	}
	if (!next) {
		return false;
	}
	uint32_t len = std::min(_sb.next_seg_len(*next, _snd_max, mss), mss);
	return send_retransmission(ctx, s, *next, len);
}

// Retransmit up to @p max_len bytes from @p seq (plus the FIN when it was
// sent and this reaches it).
bool connection::send_retransmission(context &ctx, segment_out &s, seq32 seq, uint32_t max_len) {
	uint32_t avail = seq < data_end() ? uint32_t(data_end() - seq) : 0;
	uint32_t len = std::min(avail, max_len);
	bool fin = fin_sent() && seq + len == fin_seq();
	if (len == 0 && !fin) {
		return false;
	}
	fill_data(ctx, s, seq, len, fin);
	_high_rxt = seq_max(_high_rxt, seq + len + (fin ? 1 : 0));
	return true;
}

// New data (or data again after an RTO rewound SND.NXT) and the FIN,
// within the peer's window and cwnd, with Nagle and sender SWS avoidance
// (RFC 9293 3.7.4, 3.8.6.2.1).
bool connection::emit_data(context &ctx, segment_out &s) {
	if (!_syn_acked || !sends_data()) {
		return false;
	}
	seq32 seq = _snd_nxt;
	if (_fin_queued && seq > fin_seq()) {
		return false; // everything, FIN included, is out
	}
	uint32_t avail = seq < data_end() ? uint32_t(data_end() - seq) : 0;
	uint32_t mss = data_mss();
	uint32_t len = std::min({avail, usable_window(), mss});
	bool fin = _fin_queued && seq + len == fin_seq();
	if (len == 0 && !fin) {
		maybe_arm_persist(ctx, avail);
		return false;
	}
	bool retransmit = seq < _snd_max;
	bool nothing_in_flight = _snd_max == _snd_una;
	bool ok = retransmit || fin || len == mss || _probe_pending ||
	          // All that is queued, and Nagle (RFC 896) does not hold it.
	          (len == avail && (_nodelay || nothing_in_flight)) ||
	          // Sender SWS avoidance: at least half the largest window seen.
	          (_max_snd_wnd > 0 && len >= _max_snd_wnd / 2);
	if (!ok) {
		maybe_arm_persist(ctx, avail);
		return false;
	}
	_probe_pending = false;
	if (!retransmit) {
		// Data is in flight again: the RTO watches it, not the persist
		// timer (RFC 9293 3.8.6.1 only probes an idle sender).
		_persist_at = 0;
		_persist_backoff = 0;
	}
	fill_data(ctx, s, seq, len, fin);
	_snd_nxt = seq + len + (fin ? 1 : 0);
	_snd_max = seq_max(_snd_max, _snd_nxt);
	return true;
}

// A pure ACK: one is owed (immediate ACK, delayed-ACK expiry, challenge
// ACK) or the window opened enough to tell the peer (RFC 9293 3.8.6.2.2).
bool connection::emit_ack(context &ctx, segment_out &s) {
	if (_state == tcp_state::closed || _state == tcp_state::listen ||
	    _state == tcp_state::syn_sent) {
		return false;
	}
	// Window updates only follow reads (as Linux's tcp_cleanup_rbuf): the
	// window never grows otherwise, and so the handshake's 64 KB limit is
	// lifted by the next ACK instead of a segment of its own.
	bool update = _app_read && window_update_due();
	_app_read = false;
	if (!_ack_pending && !update) {
		return false;
	}
	fill_header(ctx, s, _snd_max, flag::ACK);
	return true;
}

void connection::fill_header(context &ctx, segment_out &s, seq32 seq, uint8_t flags) {
	s.seq = seq;
	s.flags = flags;
	if (flags & flag::SYN) {
		// RFC 7323 2.2: the window in a SYN is never scaled.
		s.window = uint16_t(std::min<uint32_t>(rcv_space(), 65535));
		_rcv_adv = _rcv_nxt + s.window;
	} else {
		s.window = advertise_window();
	}
	if (flags & flag::ACK) {
		s.ack = _rcv_nxt;
		_last_ack_sent = _rcv_nxt;
		_ack_pending = false;
		_delack_at = 0;
		_segs_to_ack = 0;
	}
	if (_ts_ok) {
		s.opt.ts = timestamps{tsval(ctx), _ts_recent};
	}
	if (_sack_ok && (flags & flag::ACK) && !_asm.empty()) {
		size_t max_blocks = _ts_ok ? 3 : 4; // 40 option bytes
		s.opt.sack_count = uint8_t(
		    _asm.sack_blocks(_rcv_nxt, std::span(s.opt.sack.data(),
		                                         std::min(max_blocks, s.opt.sack.size()))));
	}
	++_segs_out;
	ctx.count(tcp_event::segs_out);
}

void connection::fill_data(context &ctx, segment_out &s, seq32 seq, uint32_t len, bool fin) {
	uint8_t flags = flag::ACK;
	if (len > 0 && seq + len == data_end()) {
		flags |= flag::PSH; // the send queue empties here
	}
	if (fin) {
		flags |= flag::FIN;
	}
	fill_header(ctx, s, seq, flags);
	s.payload_offset = uint32_t(seq - data_start());
	s.payload_len = len;
	_bytes_sent += len;
	if (seq < _snd_max) {
		// Karn's rule: no RTT sample from anything retransmitted.
		_rtt_timing = false;
		++_total_retrans;
		_bytes_retrans += len;
		ctx.count(tcp_event::retransmits);
	} else if (!_rtt_timing && !_ts_ok && len > 0) {
		_rtt_timing = true;
		_rtt_seq = seq;
		_rtt_start_us = ctx.now_us;
	}
	// RFC 6298 5.1: start the timer when sending data if it is not running.
	arm_rto(ctx, false);
}

// RFC 9293 3.8.6.2.2 receiver SWS avoidance: move the right edge only by
// at least min(buffer / 2, MSS), and never move it left. The window is
// scaled down (RFC 7323 2.3), rounding up so the edge cannot shrink.
uint16_t connection::advertise_window() {
	uint32_t limit = 65535u << _rcv_wscale;
	uint32_t free = std::min(rcv_space(), limit);
	seq32 right = _rcv_nxt + free;
	uint32_t step = std::min<uint32_t>(uint32_t(_rbuf.capacity() / 2), _rcv_mss);
	if (right > _rcv_adv && uint32_t(right - _rcv_adv) >= step) {
		_rcv_adv = right;
	}
	uint32_t wnd = _rcv_adv > _rcv_nxt ? uint32_t(_rcv_adv - _rcv_nxt) : 0;
	uint32_t unit = 1u << _rcv_wscale;
	uint32_t field = std::min<uint32_t>((wnd + unit - 1) >> _rcv_wscale, 65535);
	_rcv_adv = _rcv_nxt + (field << _rcv_wscale);
	return uint16_t(field);
}

// Worth a window update of its own: the window grew by two segments (or
// half the buffer), or it reopens from zero.
bool connection::window_update_due() const {
	if (_state != tcp_state::established && _state != tcp_state::fin_wait_1 &&
	    _state != tcp_state::fin_wait_2) {
		return false;
	}
	uint32_t limit = 65535u << _rcv_wscale;
	seq32 right = _rcv_nxt + std::min(rcv_space(), limit);
	if (right <= _rcv_adv) {
		return false;
	}
	uint32_t grow = uint32_t(right - _rcv_adv);
	uint32_t half = uint32_t(_rbuf.capacity() / 2);
	bool was_zero = _rcv_adv <= _rcv_nxt;
	return grow >= std::min(half, was_zero ? uint32_t(_rcv_mss) : 2u * _rcv_mss);
}

// Bytes we may send beyond SND.NXT: the peer's window from SND.UNA, and the
// congestion window minus what is in flight (RFC 6675 pipe in recovery).
uint32_t connection::usable_window() const {
	seq32 right = _snd_una + _snd_wnd;
	uint32_t peer = right > _snd_nxt ? uint32_t(right - _snd_nxt) : 0;
	uint32_t in_flight =
	    _in_recovery && _sack_ok ? _sb.pipe(_snd_una, _snd_max, _high_rxt, _snd_mss) : flight();
	uint32_t allowed = _cc.cwnd;
	if (!_in_recovery && _dupacks > 0 && _dupacks < 3) {
		// RFC 3042 limited transmit: each of the first two dupacks lets
		// one new segment out, so small windows still get three dupacks.
		allowed += _dupacks * _snd_mss;
	}
	uint32_t cwnd = allowed > in_flight ? allowed - in_flight : 0;
	return std::min(peer, cwnd);
}

bool connection::new_data_sendable() const {
	return _snd_nxt < data_end() && usable_window() > 0;
}

// RFC 9293 3.8.6.1: with data queued, nothing in flight and nothing
// allowed out, only the persist timer will find out when the window opens.
void connection::maybe_arm_persist(context &ctx, uint32_t avail) {
	if (avail == 0 || _snd_max != _snd_una || _persist_at != 0) {
		return;
	}
	uint64_t t = uint64_t(_rto.rto_us()) << std::min<uint32_t>(_persist_backoff, 16);
	t = std::clamp<uint64_t>(t, ctx.cfg.persist_min_us, ctx.cfg.persist_max_us);
	_persist_at = ctx.now_us + t;
}

void connection::arm_rto(context &ctx, bool restart) {
	if (restart || _rto_at == 0) {
		_rto_at = ctx.now_us + _rto.rto_us();
	}
}

// Payload bytes per data segment: the peer's MSS less our option bytes
// (RFC 9293 3.7.1: the MSS counts the TCP header without options).
uint32_t connection::data_mss() const {
	uint32_t opts = _ts_ok ? 12 : 0;
	if (_sack_ok && !_asm.empty()) {
		size_t blocks = std::min<size_t>(_asm.range_count(), _ts_ok ? 3 : 4);
		opts += uint32_t(4 + 8 * blocks);
	}
	return _snd_mss > opts + 1 ? _snd_mss - opts : 1;
}

} // namespace skiff::tcp
