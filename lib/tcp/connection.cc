// Opening a connection, the application's calls, and reporting.

#include "tcp/connection.h"

#include "tcp/isn.h"

#include <algorithm>
#include <cerrno>

namespace skiff::tcp {

namespace {

/// RFC 7323 2.3: the smallest shift that lets the window cover the buffer.
uint8_t wscale_for(uint32_t rcvbuf) {
	uint8_t ws = 0;
	while (ws < 14 && (uint64_t(65535) << ws) < rcvbuf) {
		++ws;
	}
	return ws;
}

/// A per-connection TSval offset (RFC 7323 5.4 / 7.1: timestamps must not
/// reveal the host clock), derived from the ISS so that a SYN-cookie
/// connection finds again the offset its stateless SYN-ACK used; the ISS is
/// keyed, so the offset is not predictable either.
uint32_t ts_offset_for(seq32 iss) {
	return iss.v * 0x9e3779b1u;
}

uint32_t rcvbuf_of(const context &ctx, const open_params &p) {
	return p.rcvbuf ? p.rcvbuf : ctx.cfg.default_rcvbuf;
}

} // namespace

std::optional<segment_out> reset_for(const segment &in) {
	if (in.has(flag::RST)) {
		return std::nullopt;
	}
	segment_out s;
	if (in.has(flag::ACK)) {
		s.seq = in.ack;
		s.flags = flag::RST;
	} else {
		s.seq = seq32{0};
		s.ack = in.seq + in.seg_len();
		s.flags = flag::RST | flag::ACK;
	}
	return s;
}

void connection::setup(context &ctx, const open_params &p) {
	_ipv6 = p.ipv6;
	_nodelay = p.nodelay;
	_rcv_mss = p.mss;
	_snd_mss = std::min(p.ipv6 ? ctx.cfg.default_mss_v6 : ctx.cfg.default_mss_v4, p.mss);
	_rbuf.allocate(rcvbuf_of(ctx, p));
	_sbuf.allocate(p.sndbuf ? p.sndbuf : ctx.cfg.default_sndbuf);
	_rcv_wscale = ctx.cfg.window_scaling ? wscale_for(uint32_t(_rbuf.capacity())) : 0;
	_rto = rto_estimator(ctx.cfg.min_rto_us, ctx.cfg.max_rto_us, ctx.cfg.initial_rto_us);
	_cc.algo = p.cc.value_or(ctx.cfg.default_cc);
	init_cc(ctx);
	_keepalive_idle_us = ctx.cfg.keepalive_idle_us;
	_keepalive_intvl_us = ctx.cfg.keepalive_intvl_us;
	_keepalive_probes = ctx.cfg.keepalive_probes;
	_last_rx_us = ctx.now_us;
	if (p.keepalive) {
		set_keepalive(ctx, true);
	}
}

void connection::init_cc(context &) {
	cc_init(_cc, _cc.algo, _snd_mss);
}

result<void> connection::open_active(context &ctx, const open_params &p) {
	if (_state != tcp_state::closed || _sbuf.capacity() != 0) {
		return make_error(-EISCONN, "connection already open");
	}
	if (ctx.isn == nullptr) {
		return make_error(-EINVAL, "tcp context has no ISN generator");
	}
	setup(ctx, p);
	// RFC 9293 3.10.1 OPEN (active): select an ISS, send a SYN, SYN-SENT.
	_iss = seq32{ctx.isn->next(p.tuple, ctx.now_us)};
	_snd_una = _snd_nxt = _snd_max = _recover = _iss;
	_ts_offset = ts_offset_for(_iss);
	_state = tcp_state::syn_sent;
	ctx.count(tcp_event::active_opens);
	return {};
}

result<void> connection::open_passive(context &ctx, const open_params &p, const segment &syn) {
	if (_state != tcp_state::closed || _sbuf.capacity() != 0) {
		return make_error(-EISCONN, "connection already open");
	}
	if (ctx.isn == nullptr) {
		return make_error(-EINVAL, "tcp context has no ISN generator");
	}
	if (!syn.has(flag::SYN) || syn.has(flag::ACK) || syn.has(flag::RST) || syn.has(flag::FIN)) {
		// SYN+FIN is a scanner's trick, not a connection (Linux drops it).
		return make_error(-EINVAL, "open_passive needs a SYN without ACK, RST or FIN");
	}
	setup(ctx, p);
	// RFC 9293 3.10.7.2 LISTEN, third check: RCV.NXT = SEG.SEQ + 1,
	// IRS = SEG.SEQ, select an ISS, send <SYN,ACK>, enter SYN-RECEIVED.
	_irs = syn.seq;
	_rcv_nxt = _rcv_adv = syn.seq + 1;
	accept_syn_options(ctx, syn);
	_snd_wnd = syn.window; // never scaled in a SYN (RFC 7323 2.2)
	_max_snd_wnd = _snd_wnd;
	_snd_wl1 = syn.seq;
	_iss = seq32{ctx.isn->next(p.tuple, ctx.now_us)};
	_snd_una = _snd_nxt = _snd_max = _recover = _iss;
	_ts_offset = ts_offset_for(_iss);
	_state = tcp_state::syn_received;
	ctx.count(tcp_event::passive_opens);
	return {};
}

segment_out connection::cookie_syn_ack(const context &ctx, const open_params &p, const segment &syn,
                                       uint32_t cookie) {
	segment_out s;
	s.seq = seq32{cookie};
	s.ack = syn.seq + 1;
	s.flags = flag::SYN | flag::ACK;
	s.window = uint16_t(std::min<uint32_t>(rcvbuf_of(ctx, p), 65535));
	s.opt.mss = p.mss;
	if (ctx.cfg.window_scaling && syn.opt.window_scale) {
		s.opt.window_scale = wscale_for(rcvbuf_of(ctx, p));
	}
	s.opt.sack_permitted = ctx.cfg.sack && syn.opt.sack_permitted;
	if (ctx.cfg.timestamps && syn.opt.ts) {
		uint32_t tsval = uint32_t(ctx.now_us / 1000) + ts_offset_for(seq32{cookie});
		s.opt.ts = timestamps{tsval, syn.opt.ts->tsval};
	}
	return s;
}

result<uint32_t> connection::open_from_cookie(context &ctx, const open_params &p,
                                              const segment &ack, const syn_params &cookie) {
	if (_state != tcp_state::closed || _sbuf.capacity() != 0) {
		return make_error(-EISCONN, "connection already open");
	}
	setup(ctx, p);
	// RFC 4987 3.6: the handshake state comes back from the ACK number.
	_iss = ack.ack - 1;
	_irs = ack.seq - 1;
	_snd_una = _snd_nxt = _snd_max = _recover = ack.ack;
	_syn_acked = true;
	_rcv_nxt = _rcv_adv = ack.seq;
	_ts_offset = ts_offset_for(_iss);
	_snd_mss = std::min(std::max(cookie.mss, ctx.cfg.min_mss), _rcv_mss);
	_ws_ok = ctx.cfg.window_scaling && cookie.wscale != 0xff;
	_snd_wscale = _ws_ok ? std::min<uint8_t>(cookie.wscale, 14) : 0;
	if (!_ws_ok) {
		_rcv_wscale = 0;
	}
	_sack_ok = ctx.cfg.sack && cookie.sack_ok;
	// The peer only sends timestamps if our SYN-ACK had them, which it
	// did exactly when its SYN had them.
	_ts_ok = ctx.cfg.timestamps && ack.opt.ts.has_value();
	if (_ts_ok) {
		_ts_recent = ack.opt.ts->tsval;
		_ts_recent_us = ctx.now_us;
	}
	init_cc(ctx);
	// The stateless SYN-ACK advertised min(rcvbuf, 65535) unscaled.
	_rcv_adv = _rcv_nxt + uint32_t(std::min<size_t>(_rbuf.capacity(), 65535));
	_snd_wnd = uint32_t(ack.window) << _snd_wscale;
	_max_snd_wnd = _snd_wnd;
	_snd_wl1 = ack.seq;
	_snd_wl2 = ack.ack;
	_last_ack_sent = _rcv_nxt;
	_state = tcp_state::established;
	ctx.count(tcp_event::passive_opens);
	ctx.count(tcp_event::established);
	return input(ctx, ack) | ev::established | ev::writable;
}

bool connection::sends_data() const {
	switch (_state) {
	case tcp_state::established:
	case tcp_state::close_wait:
	case tcp_state::fin_wait_1:
	case tcp_state::closing:
	case tcp_state::last_ack:
		return true;
	default:
		return false;
	}
}

bool connection::can_send() const {
	switch (_state) {
	case tcp_state::syn_sent:
	case tcp_state::syn_received:
	case tcp_state::established:
	case tcp_state::close_wait:
		return !_fin_queued;
	default:
		return false;
	}
}

size_t connection::send(std::span<const uint8_t> data) {
	if (!can_send()) {
		return 0;
	}
	return _sbuf.push(data);
}

size_t connection::recv(std::span<uint8_t> out) {
	size_t n = _rbuf.pop(out);
	_app_read |= n > 0;
	return n;
}

std::array<std::span<const uint8_t>, 2> connection::recv_view() const {
	return _rbuf.view(0, _rbuf.size());
}

void connection::recv_consume(size_t n) {
	_rbuf.consume(n);
	_app_read |= n > 0;
}

// RFC 9293 3.10.4 CLOSE, for the sending half only.
void connection::shutdown_write() {
	if (_fin_queued) {
		return;
	}
	switch (_state) {
	case tcp_state::syn_sent:
	case tcp_state::syn_received:
		// Queued "for processing after entering ESTABLISHED".
		_fin_queued = true;
		break;
	case tcp_state::established:
		_fin_queued = true;
		_state = tcp_state::fin_wait_1;
		break;
	case tcp_state::close_wait:
		_fin_queued = true;
		_state = tcp_state::last_ack;
		break;
	default:
		break;
	}
}

void connection::close() {
	_app_closed = true;
	switch (_state) {
	case tcp_state::closed:
	case tcp_state::listen:
	case tcp_state::syn_sent:
		// RFC 9293 3.10.4: nothing was synchronized; just delete the TCB.
		enter_closed(0);
		return;
	default:
		break;
	}
	if (!_rbuf.empty()) {
		// RFC 2525 2.17: closing with unread data loses it; say so.
		abort();
		return;
	}
	shutdown_write();
}

// RFC 9293 3.10.5 ABORT: a RST in the synchronized states, then CLOSED.
void connection::abort() {
	switch (_state) {
	case tcp_state::syn_received:
	case tcp_state::established:
	case tcp_state::fin_wait_1:
	case tcp_state::fin_wait_2:
	case tcp_state::close_wait:
		enter_closed(0);
		_rst_pending = true;
		break;
	default:
		enter_closed(0);
		break;
	}
	_app_closed = true;
}

void connection::set_keepalive(context &ctx, bool on, uint64_t idle_us, uint64_t intvl_us,
                               uint8_t probes) {
	_keepalive = on;
	_keepalive_idle_us = idle_us ? idle_us : ctx.cfg.keepalive_idle_us;
	_keepalive_intvl_us = intvl_us ? intvl_us : ctx.cfg.keepalive_intvl_us;
	_keepalive_probes = probes ? probes : ctx.cfg.keepalive_probes;
	_keepalive_sent = 0;
	_keepalive_at = on ? ctx.now_us + _keepalive_idle_us : 0;
}

void connection::set_cc(cc_algo algo) {
	uint32_t cwnd = _cc.cwnd;
	uint32_t ssthresh = _cc.ssthresh;
	cc_init(_cc, algo, _snd_mss);
	if (cwnd != 0) {
		_cc.cwnd = cwnd;
		_cc.ssthresh = ssthresh;
	}
}

size_t connection::copy_payload(const segment_out &s, std::span<uint8_t> dst) const {
	return _sbuf.copy_out(s.payload_offset,
	                      dst.first(std::min<size_t>(dst.size(), s.payload_len)));
}

std::array<std::span<const uint8_t>, 2> connection::payload_view(const segment_out &s) const {
	return _sbuf.view(s.payload_offset, s.payload_len);
}

tcp_info connection::info() const {
	tcp_info i;
	i.state = _state;
	i.cc = _cc.algo;
	i.options = (_ts_ok ? opt_bits::timestamps : 0) | (_sack_ok ? opt_bits::sack : 0) |
	            (_ws_ok ? opt_bits::wscale : 0);
	i.snd_wscale = _snd_wscale;
	i.rcv_wscale = _rcv_wscale;
	i.in_recovery = _in_recovery;
	i.nodelay = _nodelay;
	i.backoff = _rto.backoffs();
	i.retransmits = _retries;
	i.total_retrans = _total_retrans;
	i.rto_us = _rto.rto_us();
	i.srtt_us = _rto.srtt_us();
	i.rttvar_us = _rto.rttvar_us();
	i.snd_mss = _snd_mss;
	i.rcv_mss = _rcv_mss;
	i.cwnd = _cc.cwnd;
	i.ssthresh = _cc.ssthresh;
	i.snd_wnd = _snd_wnd;
	i.rcv_wnd = _rcv_adv > _rcv_nxt ? uint32_t(_rcv_adv - _rcv_nxt) : 0;
	i.unacked = uint32_t(_snd_max - _snd_una);
	i.sacked = _sb.sacked_bytes();
	i.send_queued = uint32_t(_sbuf.size());
	i.recv_queued = uint32_t(_rbuf.size());
	i.bytes_sent = _bytes_sent;
	i.bytes_retrans = _bytes_retrans;
	i.bytes_acked = _bytes_acked;
	i.bytes_received = _bytes_received;
	i.segs_out = _segs_out;
	i.segs_in = _segs_in;
	return i;
}

} // namespace skiff::tcp
