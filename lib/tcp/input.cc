// Segment arrival: RFC 9293 section 3.10.7, one function per state or step,
// with the RFC 5961 hardening (RST, SYN and ACK checks) and RFC 7323 PAWS.

#include "tcp/connection.h"

#include <algorithm>
#include <cerrno>

namespace skiff::tcp {

uint32_t connection::input(context &ctx, const segment &seg) {
	++_segs_in;
	ctx.count(tcp_event::segs_in);
	switch (_state) {
	case tcp_state::closed:
	case tcp_state::listen:
		// The owner answers segments without a connection (reset_for()).
		ctx.drop(tcp_drop::tcp_closed);
		return 0;
	case tcp_state::syn_sent:
		return input_syn_sent(ctx, seg);
	case tcp_state::time_wait:
		return input_time_wait(ctx, seg);
	default:
		return input_synchronized(ctx, seg);
	}
}

// RFC 9293 3.10.7.3: SYN-SENT.
uint32_t connection::input_syn_sent(context &ctx, const segment &seg) {
	bool ack_ok = false;
	if (seg.has(flag::ACK)) {
		// First check: an ACK must acknowledge our SYN and nothing more.
		if (seg.ack <= _iss || seg.ack > _snd_max) {
			ctx.drop(tcp_drop::tcp_syn_sent_bad_ack);
			return seg.has(flag::RST) ? 0 : reply_rst(seg.ack);
		}
		ack_ok = true;
	}
	if (seg.has(flag::RST)) {
		// Second check: a RST is only believed when it ACKs our SYN
		// (RFC 5961 3.2 for SYN-SENT); then the peer refused us.
		if (!ack_ok) {
			ctx.drop(tcp_drop::tcp_rst_bad_seq);
			return 0;
		}
		ctx.count(tcp_event::resets_received);
		return reset_by_peer(ctx, -ECONNREFUSED);
	}
	if (!seg.has(flag::SYN)) {
		// Fifth check: neither SYN nor RST.
		ctx.drop(tcp_drop::tcp_bad_flags);
		return 0;
	}
	return syn_sent_syn(ctx, seg, ack_ok);
}

// RFC 9293 3.10.7.3 fourth check: the SYN. Record the peer's ISN and
// options; with an ACK of our SYN we are ESTABLISHED, without it this is a
// simultaneous open.
uint32_t connection::syn_sent_syn(context &ctx, const segment &seg, bool ack_ok) {
	_irs = seg.seq;
	_rcv_nxt = seg.seq + 1;
	// What our SYN advertised (unscaled), until our ACK says more.
	_rcv_adv = _rcv_nxt + std::min<uint32_t>(rcv_space(), 65535);
	accept_syn_options(ctx, seg);
	note_timestamp(seg);
	_ack_pending = true;
	uint32_t events = 0;
	if (ack_ok) {
		events = process_ack(ctx, seg);
	}
	// RFC 7323 2.2: the window of a SYN segment is never scaled.
	_snd_wnd = seg.window;
	_max_snd_wnd = std::max(_max_snd_wnd, _snd_wnd);
	_snd_wl1 = seg.seq;
	_snd_wl2 = seg.ack;
	if (!ack_ok) {
		// Simultaneous open: resend our SYN as a SYN-ACK (SEQ=ISS) and
		// wait in SYN-RECEIVED for the ACK of it.
		_state = tcp_state::syn_received;
		_snd_nxt = _iss;
		_rto_at = 0;
		return ev::send_now;
	}
	_state = _fin_queued ? tcp_state::fin_wait_1 : tcp_state::established;
	ctx.count(tcp_event::established);
	on_established(ctx);
	events |= ev::established | ev::writable | ev::send_now;
	if (!seg.payload.empty() || seg.has(flag::FIN)) {
		// Data or FIN on the SYN-ACK: take it as any later segment.
		segment rest = seg;
		rest.seq = seg.seq + 1;
		rest.flags &= uint8_t(~flag::SYN);
		events |= process_data(ctx, rest);
	}
	return events;
}

// RFC 9293 3.10.7.4 for SYN-RECEIVED through LAST-ACK.
uint32_t connection::input_synchronized(context &ctx, const segment &seg) {
	_last_rx_us = ctx.now_us;
	if (_keepalive) {
		_keepalive_sent = 0;
		_keepalive_at = ctx.now_us + _keepalive_idle_us;
	}
	if (_state == tcp_state::syn_received && seg.has(flag::SYN) && !seg.has(flag::ACK) &&
	    !seg.has(flag::RST) && seg.seq == _irs) {
		// The peer retransmitted its SYN: our SYN-ACK was lost.
		_snd_nxt = _iss;
		return ev::send_now;
	}
	if (_state == tcp_state::syn_received && seg.has(flag::SYN) && seg.has(flag::ACK) &&
	    !seg.has(flag::RST) && seg.seq == _irs) {
		// Simultaneous open (RFC 9293 figure 8, line 5): the peer's
		// SYN-ACK repeats the SYN we have; its ACK completes the open.
		segment rest = seg;
		rest.seq = seg.seq + 1;
		rest.flags &= uint8_t(~flag::SYN);
		return input_synchronized(ctx, rest);
	}
	// RFC 7323 5.3 PAWS, before the sequence check.
	if (paws_reject(ctx, seg)) {
		return _ack_pending ? ev::send_now : 0;
	}
	// First check: sequence number.
	if (!acceptable(seg)) {
		if (seg.has(flag::RST)) {
			// RFC 5961 3.2: a RST outside the window is dropped silently.
			ctx.drop(tcp_drop::tcp_rst_bad_seq);
			return 0;
		}
		ctx.drop(tcp_drop::tcp_not_acceptable);
		invalid_ack(ctx, seg);
		return _ack_pending ? ev::send_now : 0;
	}
	// Second check: RST (RFC 5961 3.2).
	if (seg.has(flag::RST)) {
		return check_rst(ctx, seg);
	}
	// Fourth check: SYN in a synchronized state (RFC 5961 4.2).
	if (seg.has(flag::SYN)) {
		return check_syn(ctx, seg);
	}
	// Fifth check: ACK.
	if (!seg.has(flag::ACK)) {
		ctx.drop(tcp_drop::tcp_bad_flags);
		return 0;
	}
	uint32_t events = 0;
	if (!check_ack(ctx, seg, events)) {
		return events;
	}
	note_timestamp(seg);
	if (_state == tcp_state::closed || _state == tcp_state::time_wait) {
		return events;
	}
	// Sixth check (URG) is not supported: urgent data is read inline.
	// Seventh and eighth: text and FIN.
	return events | process_data(ctx, seg);
}

// RFC 9293 3.10.7.4 TIME-WAIT: only a retransmitted FIN or a new SYN matter.
uint32_t connection::input_time_wait(context &ctx, const segment &seg) {
	if (seg.has(flag::RST)) {
		// RFC 1337: ignore RSTs in TIME-WAIT, so that an old duplicate
		// cannot cut the wait short ("TIME-WAIT assassination").
		ctx.drop(tcp_drop::tcp_rst_bad_seq);
		return 0;
	}
	if (seg.has(flag::SYN) && !seg.has(flag::ACK)) {
		// RFC 9293 3.10.7.4 / RFC 6191: a SYN above our RCV.NXT (or with a
		// newer timestamp) may open a new incarnation.
		bool newer_ts = _ts_ok && seg.opt.ts && int32_t(seg.opt.ts->tsval - _ts_recent) > 0;
		if (seg.seq > _rcv_nxt || newer_ts) {
			return ev::reopen;
		}
		challenge_ack(ctx);
		return _ack_pending ? ev::send_now : 0;
	}
	if (paws_reject(ctx, seg)) {
		return _ack_pending ? ev::send_now : 0;
	}
	if (seg.has(flag::FIN) && seg.seq + uint32_t(seg.payload.size()) + 1 == _rcv_nxt) {
		// A retransmitted FIN: our last ACK was lost. ACK it again and
		// restart the 2 MSL wait.
		_ack_pending = true;
		_time_wait_at = ctx.now_us + 2 * ctx.cfg.msl_us;
		return ev::send_now;
	}
	if (!acceptable(seg)) {
		ctx.drop(tcp_drop::tcp_not_acceptable);
		invalid_ack(ctx, seg);
		return _ack_pending ? ev::send_now : 0;
	}
	return 0;
}

// RFC 9293 3.10.7.4 first check, the four cases of the acceptance table,
// against the window we advertised (its right edge never moves left).
bool connection::acceptable(const segment &seg) const {
	uint32_t wnd = _rcv_adv > _rcv_nxt ? uint32_t(_rcv_adv - _rcv_nxt) : 0;
	uint32_t len = seg.seg_len();
	if (len == 0) {
		return wnd == 0 ? seg.seq == _rcv_nxt : in_window(seg.seq, _rcv_nxt, wnd);
	}
	if (wnd == 0) {
		// "Special allowance" for a zero window: a segment at RCV.NXT
		// still carries a valid ACK (and maybe a FIN); its data is
		// trimmed to the window in process_data().
		return seg.seq == _rcv_nxt;
	}
	return in_window(seg.seq, _rcv_nxt, wnd) || in_window(seg.seq + (len - 1), _rcv_nxt, wnd);
}

// RFC 7323 5.3 R1-R3: reject a segment whose timestamp is older than
// TS.Recent, unless TS.Recent is more than 24 days old (R2 in 5.5).
bool connection::paws_reject(context &ctx, const segment &seg) {
	if (!_ts_ok || !seg.opt.ts || seg.has(flag::RST)) {
		// RFC 7323 5.2: RSTs are acceptable regardless of timestamps.
		return false;
	}
	constexpr uint64_t paws_idle_us = 24ULL * 24 * 3600 * 1'000'000;
	if (int32_t(seg.opt.ts->tsval - _ts_recent) >= 0 ||
	    ctx.now_us - _ts_recent_us > paws_idle_us) {
		return false;
	}
	ctx.drop(tcp_drop::tcp_paws);
	invalid_ack(ctx, seg);
	return true;
}

// RFC 5961 3.2: only a RST at exactly RCV.NXT resets; any other in-window
// RST earns a (rate-limited) challenge ACK.
uint32_t connection::check_rst(context &ctx, const segment &seg) {
	if (seg.seq != _rcv_nxt) {
		ctx.drop(tcp_drop::tcp_rst_challenged);
		challenge_ack(ctx);
		return _ack_pending ? ev::send_now : 0;
	}
	ctx.count(tcp_event::resets_received);
	switch (_state) {
	case tcp_state::syn_received:
		// RFC 9293 3.10.7.4: from a passive open the connection goes
		// back to LISTEN; the owner's listener still is there, so this
		// connection just ends.
		return reset_by_peer(ctx, -ECONNREFUSED);
	case tcp_state::established:
	case tcp_state::fin_wait_1:
	case tcp_state::fin_wait_2:
	case tcp_state::close_wait:
		return reset_by_peer(ctx, -ECONNRESET);
	default:
		// CLOSING, LAST-ACK: the peer agrees we are done.
		return enter_closed(0) | ev::reset;
	}
}

// RFC 5961 4.2: a SYN in a synchronized state, in window or not, gets a
// challenge ACK; a real restart of the peer answers it with a RST at
// exactly RCV.NXT.
uint32_t connection::check_syn(context &ctx, const segment &) {
	ctx.drop(tcp_drop::tcp_syn_challenged);
	challenge_ack(ctx);
	return _ack_pending ? ev::send_now : 0;
}

// RFC 9293 3.10.7.4 fifth check, with RFC 5961 5.2's range for old ACKs.
// @return false when the segment must be dropped.
bool connection::check_ack(context &ctx, const segment &seg, uint32_t &events) {
	if (_state == tcp_state::syn_received) {
		if (seg.ack <= _snd_una || seg.ack > _snd_max) {
			// <SEQ=SEG.ACK><CTL=RST>: the ACK is not for our SYN.
			ctx.drop(tcp_drop::tcp_syn_sent_bad_ack);
			events |= reply_rst(seg.ack);
			return false;
		}
		// RFC 7323 2.2: windows are scaled from here on.
		_snd_wnd = uint32_t(seg.window) << _snd_wscale;
		_snd_wl1 = seg.seq;
		_snd_wl2 = seg.ack;
		_state = _fin_queued ? tcp_state::fin_wait_1 : tcp_state::established;
		ctx.count(tcp_event::established);
		on_established(ctx);
		events |= ev::established | ev::writable;
	}
	if (seg.ack > _snd_max) {
		// RFC 9293: an ACK for something not yet sent: ACK and drop.
		ctx.drop(tcp_drop::tcp_ack_unsent);
		challenge_ack(ctx);
		events |= _ack_pending ? ev::send_now : 0;
		return false;
	}
	if (seg.ack < _snd_una - _max_snd_wnd) {
		// RFC 5961 5.2: older than any window the peer could have seen.
		ctx.drop(tcp_drop::tcp_ack_too_old);
		challenge_ack(ctx);
		events |= _ack_pending ? ev::send_now : 0;
		return false;
	}
	events |= process_ack(ctx, seg);
	return true;
}

// RFC 9293 3.10.7.4 fifth check, ESTABLISHED and the closing states:
// advance SND.UNA, update the window, feed RTT, congestion control and loss
// recovery, and move the closing states on when our FIN is ACKed.
uint32_t connection::process_ack(context &ctx, const segment &seg) {
	uint32_t events = 0;
	bool window_changed = (uint32_t(seg.window) << _snd_wscale) != _snd_wnd;
	if (_sack_ok && seg.opt.sack_count > 0) {
		_sb.on_ack(seq_max(_snd_una, seg.ack),
		           std::span(seg.opt.sack.data(), seg.opt.sack_count), _snd_max);
	}
	if (seg.ack > _snd_una) {
		events |= ack_new_data(ctx, seg);
	} else if (seg.ack == _snd_una && seg.seg_len() == 0 && !window_changed &&
	           _snd_max > _snd_una) {
		// RFC 5681 2 "DUPLICATE ACKNOWLEDGMENT": no data, same ACK and
		// window, data outstanding.
		events |= on_dupack(ctx, seg);
	}
	update_window(seg);
	if (window_changed) {
		events |= ev::send_now;
	}
	return events;
}

// SND.UNA < SEG.ACK =< SND.NXT: "set SND.UNA <- SEG.ACK" and remove what
// it covers from the send buffer (the SYN and FIN take one number each).
uint32_t connection::ack_new_data(context &ctx, const segment &seg) {
	uint32_t acked = uint32_t(seg.ack - _snd_una);
	bool fin_acked = fin_sent() && seg.ack == fin_seq() + 1;
	if (!_syn_acked) {
		_syn_acked = true;
		--acked;
	}
	if (fin_acked) {
		--acked;
	}
	uint32_t flight_before = flight();
	_sbuf.consume(acked);
	_bytes_acked += acked;
	_snd_una = seg.ack;
	_snd_nxt = seq_max(_snd_nxt, _snd_una);
	if (_sack_ok) {
		_sb.on_ack(_snd_una, {}, _snd_max);
	}
	take_rtt_sample(ctx, seg, seg.ack);
	_retries = 0;
	cc_after_ack(ctx, seg, acked, flight_before);
	// RFC 6298 5.2 / 5.3: stop the timer when all is ACKed, else restart.
	if (_snd_una == _snd_max) {
		_rto_at = 0;
	} else {
		arm_rto(ctx, true);
	}
	// Room in the windows: output() may have data to send.
	uint32_t events = ev::send_now | (acked > 0 ? ev::writable : 0);
	if (fin_acked) {
		events |= on_fin_acked(ctx);
	}
	return events;
}

// Congestion control on an ACK of new data: grow the window outside
// recovery, or handle a full / partial ACK inside it.
void connection::cc_after_ack(context &ctx, const segment &seg, uint32_t acked,
                              uint32_t flight_before) {
	if (_in_recovery) {
		if (seg.ack >= _recover) {
			exit_recovery(ctx);
		} else if (!_sack_ok) {
			// RFC 6582 3.2 step 4: a partial ACK. Retransmit the next
			// hole and deflate by the data ACKed, plus one segment.
			_fast_rexmit_pending = true;
			_cc.cwnd = _cc.cwnd > acked ? _cc.cwnd - acked + _snd_mss : _snd_mss;
		}
		return;
	}
	_dupacks = 0;
	if (acked > 0 && flight_before + 2 * _snd_mss >= _cc.cwnd) {
		// RFC 7661 in spirit: only a window that was used may grow.
		cc_on_ack(_cc, acked, _snd_mss, ctx.now_us, _rto.srtt_us());
	}
}

// RFC 6298 5.7: when the SYN (or SYN-ACK) had to be retransmitted and no
// RTT sample came of it, data transmission starts with a 3 s RTO.
void connection::on_established(context &ctx) {
	_retries = 0;
	if (_total_retrans > 0 && !_rto.has_sample() && ctx.cfg.initial_rto_us < 3'000'000) {
		_rto = rto_estimator(ctx.cfg.min_rto_us, ctx.cfg.max_rto_us, 3'000'000);
	}
}

// Our FIN is ACKed: RFC 9293 3.10.7.4 FIN-WAIT-1, CLOSING and LAST-ACK.
uint32_t connection::on_fin_acked(context &ctx) {
	switch (_state) {
	case tcp_state::fin_wait_1:
		_state = tcp_state::fin_wait_2;
		if (_app_closed) {
			// Nobody will read: do not wait for the peer's FIN forever.
			_fin_wait_2_at = ctx.now_us + ctx.cfg.fin_wait_2_us;
		}
		return 0;
	case tcp_state::closing:
		enter_time_wait(ctx);
		return 0;
	case tcp_state::last_ack:
		return enter_closed(0);
	default:
		return 0;
	}
}

// RFC 9293 3.10.7.4: "If SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and
// SND.WL2 =< SEG.ACK), set SND.WND <- SEG.WND" (scaled, RFC 7323 2.3).
void connection::update_window(const segment &seg) {
	if (!(_snd_wl1 < seg.seq || (_snd_wl1 == seg.seq && _snd_wl2 <= seg.ack))) {
		return;
	}
	_snd_wnd = uint32_t(seg.window) << _snd_wscale;
	_max_snd_wnd = std::max(_max_snd_wnd, _snd_wnd);
	_snd_wl1 = seg.seq;
	_snd_wl2 = seg.ack;
	if (_snd_wnd > 0) {
		// The window opened: no more probing (RFC 9293 3.8.6.1).
		_persist_at = 0;
		_persist_backoff = 0;
	}
}

// RTT samples: from the echoed timestamp when timestamps are on (RFC 7323
// 4.1, any ACK of new data), else from one timed segment that was never
// retransmitted (Karn's rule, RFC 6298 3).
void connection::take_rtt_sample(context &ctx, const segment &seg, seq32 acked_to) {
	if (_ts_ok && seg.opt.ts && seg.opt.ts->tsecr != 0) {
		uint32_t ms = tsval(ctx) - seg.opt.ts->tsecr;
		if (ms < 60'000'000) { // ignore echoes from the future or garbage
			_rto.on_rtt_sample(ms * 1000);
		}
		return;
	}
	if (_rtt_timing && acked_to > _rtt_seq) {
		_rto.on_rtt_sample(uint32_t(ctx.now_us - _rtt_start_us));
		_rtt_timing = false;
	}
}

// RFC 5681 3.2 / RFC 6582 / RFC 6675 5: a duplicate ACK.
uint32_t connection::on_dupack(context &ctx, const segment &) {
	++_dupacks;
	if (_in_recovery) {
		if (!_sack_ok) {
			// RFC 6582 3.2 step 3: inflate by one segment per dupack.
			_cc.cwnd += _snd_mss;
		}
		return ev::send_now;
	}
	// RFC 6582 4.1: no new recovery for losses of data sent before the
	// last one (or the last RTO) ended.
	if (_snd_una < _recover) {
		return 0;
	}
	bool lost = _dupacks >= 3 || (_sack_ok && _sb.is_lost(_snd_una, _snd_mss));
	if (!lost) {
		return 0;
	}
	enter_recovery(ctx);
	return ev::send_now;
}

// RFC 5681 3.2 steps 2-3, RFC 6582 3.2 step 2, RFC 6675 5 step 4.
void connection::enter_recovery(context &ctx) {
	_in_recovery = true;
	_recover = _snd_max;
	_high_rxt = _snd_una;
	cc_on_congestion(_cc, flight(), _snd_mss, ctx.now_us);
	if (!_sack_ok) {
		// NewReno inflates by the three segments that left the network.
		_cc.cwnd += 3 * _snd_mss;
	}
	_fast_rexmit_pending = true;
	_rtt_timing = false;
	ctx.count(tcp_event::fast_retransmits);
}

void connection::exit_recovery(context &ctx) {
	_in_recovery = false;
	_dupacks = 0;
	_fast_rexmit_pending = false;
	cc_on_recovery_exit(_cc, _snd_mss, ctx.now_us);
}

// RFC 9293 3.10.7.4 seventh and eighth checks: queue the text, in order or
// at its place in the receive buffer, then the FIN.
uint32_t connection::process_data(context &ctx, const segment &seg) {
	bool takes_data = _state == tcp_state::established || _state == tcp_state::fin_wait_1 ||
	                  _state == tcp_state::fin_wait_2;
	if (!takes_data) {
		// CLOSE-WAIT, CLOSING, LAST-ACK: the peer's FIN came already.
		return 0;
	}
	if (_app_closed && !seg.payload.empty()) {
		// RFC 2525 2.17 (and Linux): data for a closed socket is lost,
		// so tell the peer with a RST rather than ACK it.
		ctx.drop(tcp_drop::tcp_data_after_close);
		_rst_pending = true;
		return enter_closed(0) | ev::send_now;
	}
	uint32_t events = 0;
	std::span<const uint8_t> data = seg.payload;
	seq32 seq = seg.seq;
	if (seq < _rcv_nxt) {
		uint32_t skip = std::min(uint32_t(_rcv_nxt - seq), uint32_t(data.size()));
		data = data.subspan(skip);
		seq = seq + skip;
	}
	if (!data.empty()) {
		events |= queue_data(ctx, seq, data, seg.payload.size());
	} else if (!seg.payload.empty()) {
		// A duplicate: ACK at once (RFC 5681 4.2), the peer may be
		// retransmitting because our ACK was lost.
		_ack_pending = true;
	}
	if (seg.has(flag::FIN)) {
		seq32 fin = seg.seq + uint32_t(seg.payload.size());
		if (fin >= _rcv_nxt) {
			_ooo_fin = true;
			_ooo_fin_seq = fin;
		}
	}
	if (_ooo_fin && _ooo_fin_seq == _rcv_nxt) {
		_ooo_fin = false;
		events |= process_fin(ctx, seg);
	} else if (_ooo_fin) {
		_ack_pending = true;
	}
	if (_ack_pending) {
		events |= ev::send_now;
	}
	return events;
}

// Store data at or beyond RCV.NXT; advance RCV.NXT over what is contiguous.
uint32_t connection::queue_data(context &ctx, seq32 seq, std::span<const uint8_t> data,
                                size_t full_len) {
	uint32_t offset = uint32_t(seq - _rcv_nxt);
	bool had_holes = !_asm.empty();
	size_t n = _rbuf.write_at(offset, data);
	if (n < data.size()) {
		ctx.drop(tcp_drop::tcp_rcvbuf_full);
	}
	if (n == 0) {
		_ack_pending = true;
		return 0;
	}
	uint32_t advanced = 0;
	if (offset == 0 && !had_holes) {
		advanced = uint32_t(n);
	} else {
		if (!_asm.add(offset, uint32_t(n))) {
			ctx.drop(tcp_drop::tcp_ooo_no_room);
			_ack_pending = true;
			return 0;
		}
		advanced = _asm.remove_front();
		if (offset > 0) {
			ctx.count(tcp_event::ooo_segments);
		}
	}
	if (advanced == 0 || had_holes || !_asm.empty()) {
		// Out of order, or filling a hole: ACK at once so the sender's
		// dupack / SACK machinery sees it (RFC 5681 4.2).
		_ack_pending = true;
	}
	if (advanced == 0) {
		return 0;
	}
	_rbuf.commit(advanced);
	_rcv_nxt = _rcv_nxt + advanced;
	_bytes_received += advanced;
	schedule_ack(ctx, full_len);
	return ev::readable;
}

// RFC 9293 3.10.7.4 eighth check: the peer's FIN, now in order.
uint32_t connection::process_fin(context &ctx, const segment &) {
	_rcv_nxt = _rcv_nxt + 1;
	_fin_received = true;
	_ack_pending = true;
	uint32_t events = ev::peer_closed | ev::readable | ev::send_now;
	switch (_state) {
	case tcp_state::syn_received:
	case tcp_state::established:
		_state = tcp_state::close_wait;
		break;
	case tcp_state::fin_wait_1:
		// Our FIN is not ACKed yet (else we would be in FIN-WAIT-2):
		// simultaneous close.
		_state = tcp_state::closing;
		break;
	case tcp_state::fin_wait_2:
		enter_time_wait(ctx);
		break;
	default:
		break;
	}
	return events;
}

// RFC 9293 3.7.1 MSS, RFC 7323 2 window scale and 3 timestamps, RFC 2018
// SACK-permitted: what the peer's SYN (or SYN-ACK) offers, and whether we
// agree (in SYN-SENT, only to what our SYN offered, which is the settings).
void connection::accept_syn_options(context &ctx, const segment &syn) {
	uint16_t peer =
	    syn.opt.mss ? *syn.opt.mss : (_ipv6 ? ctx.cfg.default_mss_v6 : ctx.cfg.default_mss_v4);
	// The floor stops a peer from making us send tiny segments; the cap is
	// our own path (the peer's MSS says nothing about our MTU).
	_snd_mss = std::min(std::max(peer, ctx.cfg.min_mss), _rcv_mss);
	_ws_ok = ctx.cfg.window_scaling && syn.opt.window_scale.has_value();
	if (_ws_ok) {
		_snd_wscale = std::min<uint8_t>(*syn.opt.window_scale, 14);
	} else {
		_snd_wscale = 0;
		_rcv_wscale = 0;
	}
	_ts_ok = ctx.cfg.timestamps && syn.opt.ts.has_value();
	if (_ts_ok) {
		_ts_recent = syn.opt.ts->tsval;
		_ts_recent_us = ctx.now_us;
	}
	_sack_ok = ctx.cfg.sack && syn.opt.sack_permitted;
	init_cc(ctx);
}

// RFC 7323 4.3: remember the peer's newest timestamp from a segment that
// covers the point we last ACKed.
void connection::note_timestamp(const segment &seg) {
	if (!_ts_ok || !seg.opt.ts) {
		return;
	}
	if (seg.seq <= _last_ack_sent && int32_t(seg.opt.ts->tsval - _ts_recent) >= 0) {
		_ts_recent = seg.opt.ts->tsval;
		_ts_recent_us = _last_rx_us;
	}
}

// RFC 5961 7: challenge ACKs are limited per connection and per context,
// so that they cannot be used to amplify or to probe.
void connection::challenge_ack(context &ctx) {
	if (ctx.now_us - _challenge_epoch_us >= 1'000'000 || _challenge_epoch_us == 0) {
		_challenge_epoch_us = ctx.now_us;
		_challenge_sent = 0;
	}
	if (ctx.now_us - ctx.challenge_epoch_us >= 1'000'000 || ctx.challenge_epoch_us == 0) {
		ctx.challenge_epoch_us = ctx.now_us;
		ctx.challenge_sent = 0;
	}
	if (_challenge_sent >= ctx.cfg.challenge_acks_per_conn ||
	    ctx.challenge_sent >= ctx.cfg.challenge_acks_per_sec) {
		ctx.count(tcp_event::challenge_acks_limited);
		return;
	}
	++_challenge_sent;
	++ctx.challenge_sent;
	ctx.count(tcp_event::challenge_acks);
	_ack_pending = true;
}

// The ACK RFC 9293 3.10.7.4 owes an unacceptable segment (and RFC 7323
// 5.3 a PAWS reject). Segments without data are limited per connection, as
// Linux's tcp_invalid_ratelimit, so that two confused ends cannot ping-pong
// ACKs forever; segments with data are duplicates of something the peer
// thinks lost, and their ACK (RFC 5681 4.2) is what repairs that.
void connection::invalid_ack(context &ctx, const segment &seg) {
	if (!seg.payload.empty()) {
		_ack_pending = true;
		return;
	}
	if (ctx.now_us - _invalid_epoch_us >= 1'000'000 || _invalid_epoch_us == 0) {
		_invalid_epoch_us = ctx.now_us;
		_invalid_sent = 0;
	}
	if (_invalid_sent >= ctx.cfg.invalid_acks_per_conn) {
		ctx.count(tcp_event::invalid_acks_limited);
		return;
	}
	++_invalid_sent;
	_ack_pending = true;
}

// RFC 9293 3.8.6.3 and RFC 5681 4.2: ACK at least every second full-sized
// segment, otherwise within the delayed-ACK time.
void connection::schedule_ack(context &ctx, size_t seg_len) {
	// "Full-sized" is what the peer actually sends when it sends its
	// largest: its MSS may be below ours (a smaller MTU on its side), and
	// then only counting against ours would delay every ACK.
	_rcv_seg_max = std::max<uint32_t>(_rcv_seg_max, uint32_t(seg_len));
	uint32_t full = std::min<uint32_t>(_rcv_mss - (_ts_ok ? 12 : 0), _rcv_seg_max);
	if (seg_len >= full) {
		++_segs_to_ack;
	}
	if (_segs_to_ack >= 2) {
		_ack_pending = true;
		return;
	}
	if (_delack_at == 0) {
		_delack_at = ctx.now_us + ctx.cfg.delayed_ack_us;
	}
}

// <SEQ=SEG.ACK><CTL=RST>: the answer to an ACK for something we never
// sent in the handshake states (RFC 9293 3.10.7.3, 3.10.7.4).
uint32_t connection::reply_rst(seq32 seq) {
	_reply = segment_out{};
	_reply.seq = seq;
	_reply.flags = flag::RST;
	_reply_pending = true;
	return ev::send_now;
}

uint32_t connection::reset_by_peer(context &, int err) {
	return enter_closed(err) | ev::reset | ev::error;
}

// RFC 9293: "enter the CLOSED state and delete the TCB". The owner frees
// the connection; timers stop, and nothing but a pending RST goes out.
uint32_t connection::enter_closed(int err) {
	_state = tcp_state::closed;
	if (err != 0) {
		_error = err;
	}
	_rto_at = _delack_at = _persist_at = _keepalive_at = _time_wait_at = _fin_wait_2_at = 0;
	_ack_pending = false;
	_probe_pending = false;
	_keepalive_pending = false;
	_fast_rexmit_pending = false;
	return ev::closed | ev::readable | ev::writable;
}

// RFC 9293 3.10.7.4: TIME-WAIT holds the connection for 2 MSL so that old
// duplicates die and a lost final ACK can be repeated.
void connection::enter_time_wait(context &ctx) {
	_state = tcp_state::time_wait;
	_rto_at = _persist_at = _keepalive_at = _fin_wait_2_at = 0;
	// Everything we sent is ACKed: the send buffer is not needed for the
	// 2 MSL wait, and a busy server holds many connections in it.
	_sbuf.release();
	if (_app_closed && _rbuf.empty()) {
		_rbuf.release();
	}
	_time_wait_at = ctx.now_us + 2 * ctx.cfg.msl_us;
}

} // namespace skiff::tcp
