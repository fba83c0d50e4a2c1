// Timers: retransmission (RFC 6298), delayed ACK (RFC 9293 3.8.6.3),
// persist (RFC 9293 3.8.6.1), keepalive (RFC 1122 4.2.3.6), TIME-WAIT and
// the FIN-WAIT-2 limit. Each is an absolute deadline; the owner arms one
// timer at next_timer_us() and calls on_timer().

#include "tcp/connection.h"

#include <algorithm>
#include <cerrno>
#include <limits>

namespace skiff::tcp {

namespace {

void earliest(uint64_t &best, uint64_t t) {
	if (t != 0 && t < best) {
		best = t;
	}
}

bool due(uint64_t t, uint64_t now) {
	return t != 0 && t <= now;
}

} // namespace

uint64_t connection::next_timer_us() const {
	uint64_t t = std::numeric_limits<uint64_t>::max();
	earliest(t, _rto_at);
	earliest(t, _delack_at);
	earliest(t, _persist_at);
	earliest(t, _keepalive_at);
	earliest(t, _time_wait_at);
	earliest(t, _fin_wait_2_at);
	return t;
}

uint32_t connection::on_timer(context &ctx) {
	uint64_t now = ctx.now_us;
	if (due(_time_wait_at, now)) {
		// RFC 9293 3.10.8: "If the time-wait timeout expires on a
		// connection, delete the TCB".
		ctx.count(tcp_event::time_wait_expired);
		return enter_closed(0);
	}
	if (due(_fin_wait_2_at, now) && _state == tcp_state::fin_wait_2) {
		// The owner closed and the peer never sent its FIN (Linux's
		// tcp_fin_timeout): give up without a RST.
		return enter_closed(0);
	}
	uint32_t events = 0;
	if (due(_delack_at, now)) {
		_delack_at = 0;
		_ack_pending = true;
		ctx.count(tcp_event::delayed_acks);
		events |= ev::send_now;
	}
	if (due(_rto_at, now)) {
		events |= on_rto(ctx);
		if (_state == tcp_state::closed) {
			return events;
		}
	}
	if (due(_persist_at, now)) {
		on_persist(ctx);
		events |= ev::send_now;
	}
	if (due(_keepalive_at, now)) {
		events |= on_keepalive(ctx);
	}
	return events;
}

// RFC 6298 5.4-5.7: retransmit the earliest unacknowledged segment, back
// off the timer, and collapse the congestion window (RFC 5681 3.1). We
// rewind SND.NXT to SND.UNA and resend from there as cwnd allows (the
// scoreboard is reset: RFC 6675 5.1, the receiver may have reneged).
uint32_t connection::on_rto(context &ctx) {
	_rto_at = 0;
	++_retries;
	bool handshake = _state == tcp_state::syn_sent || _state == tcp_state::syn_received;
	uint32_t limit = handshake ? ctx.cfg.syn_retries : ctx.cfg.max_retries;
	if (_retries > limit) {
		ctx.count(tcp_event::timeouts);
		return enter_closed(-ETIMEDOUT) | ev::error;
	}
	ctx.count(tcp_event::rto_expired);
	_rto.on_timeout();
	if (handshake) {
		_snd_nxt = _iss; // output() sends the SYN (or SYN-ACK) again
		_rtt_timing = false;
		return ev::send_now;
	}
	if (_syn_acked) {
		cc_on_rto(_cc, flight(), _snd_mss, ctx.now_us);
	}
	_in_recovery = false;
	_fast_rexmit_pending = false;
	_dupacks = 0;
	_recover = _snd_max; // RFC 6582 4.1: no fast retransmit for this data
	_high_rxt = _snd_una;
	_sb.reset();
	_rtt_timing = false;
	_snd_nxt = _snd_una;
	return ev::send_now;
}

// RFC 9293 3.8.6.1: probe the zero window (or push past sender SWS
// avoidance when the window stays too small), backing off exponentially.
void connection::on_persist(context &ctx) {
	_probe_pending = true;
	++_persist_backoff;
	_persist_at = 0;
	uint64_t t = uint64_t(_rto.rto_us()) << std::min<uint32_t>(_persist_backoff, 16);
	t = std::clamp<uint64_t>(t, ctx.cfg.persist_min_us, ctx.cfg.persist_max_us);
	_persist_at = ctx.now_us + t;
}

// RFC 1122 4.2.3.6: after an idle period, probe; after enough unanswered
// probes the peer is gone.
uint32_t connection::on_keepalive(context &ctx) {
	_keepalive_at = 0;
	if (!_keepalive || (_state != tcp_state::established && _state != tcp_state::close_wait)) {
		return 0;
	}
	if (_snd_max != _snd_una) {
		// Data in flight: the RTO watches the peer already.
		_keepalive_at = ctx.now_us + _keepalive_idle_us;
		return 0;
	}
	if (_keepalive_sent >= _keepalive_probes) {
		ctx.count(tcp_event::timeouts);
		return enter_closed(-ETIMEDOUT) | ev::error;
	}
	++_keepalive_sent;
	_keepalive_pending = true;
	_keepalive_at = ctx.now_us + _keepalive_intvl_us;
	return ev::send_now;
}

} // namespace skiff::tcp
