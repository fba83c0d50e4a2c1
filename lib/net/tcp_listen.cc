// TCP listeners on every core, in the style of SO_REUSEPORT: the core a
// SYN arrives on (RSS) opens the connection and owns it; established
// connections meet in the listener's accept ring. When the listener's
// queues are full, SYN cookies (RFC 4987) answer instead, so a SYN flood
// costs no memory.

#include "net/sockets.h"
#include "net/stack.h"
#include "net/tcp_sock.h"
#include "net/worker.h"
#include "tcp/syncookie.h"

#include <sys/epoll.h>

#include <new>

namespace skiff::net {

namespace {

std::span<const uint8_t> tuple_of(const flow_key &k) {
	return {reinterpret_cast<const uint8_t *>(&k), sizeof(k)};
}

any_addr addr_of(uint8_t family, const uint8_t *bytes) {
	return family == 4 ? any_addr{ipv4_addr::from(bytes)} : any_addr{ipv6_addr::from(bytes)};
}

} // namespace

// RFC 9293 3.10.7.2, LISTEN state.
void worker::tcp_listen_input(socket &l, const flow_key &key, const tcp::segment &seg) {
	using namespace tcp::flag;
	tcp_sock &lt = *l.tcp;
	if (seg.has(RST)) {
		_counters.drop(drop_reason::tcp_listen_junk); // first: ignore a RST
		return;
	}
	if (seg.has(ACK) && !seg.has(SYN)) {
		// Second: an ACK. The third step of a SYN-cookie handshake, or junk.
		const tcp::syncookie_jar &jar = _sockets->cookies();
		auto p = jar.check(tuple_of(key), seg.seq.v - 1, seg.ack.v - 1, _tcp.now_us);
		if (!p) {
			_counters.drop(drop_reason::tcp_bad_cookie);
			tcp_reset(key, seg);
			return;
		}
		tcp_sock *ts = tcp_spawn(l, key);
		if (!ts) {
			return;
		}
		auto ev = ts->conn.open_from_cookie(_tcp, ts->params, seg, *p);
		tcp_service(*ts, ev ? *ev : 0);
		return;
	}
	if (!seg.has(SYN) || seg.has(ACK)) {
		_counters.drop(drop_reason::tcp_listen_junk);
		return;
	}
	// Third: a SYN.
	if (lt.pending.load(std::memory_order_relaxed) >= lt.backlog) {
		if (!_sockets->config().syncookies) {
			_counters.drop(drop_reason::tcp_listen_overflow);
			return;
		}
		tcp::open_params p;
		p.ipv6 = key.family == 6;
		p.mss = _sockets->mss_for(addr_of(key.family, key.remote_addr));
		p.rcvbuf = l.rcvbuf;
		tcp::syn_params sp{std::min<uint16_t>(p.mss, seg.opt.mss.value_or(536)),
		                   seg.opt.window_scale.value_or(0xff), seg.opt.sack_permitted};
		uint32_t cookie =
		    _sockets->cookies().make(tuple_of(key), seg.seq.v, sp, _tcp.now_us);
		bump(_counters.tcp_cookies_sent);
		tcp_send(key, tcp::connection::cookie_syn_ack(_tcp, p, seg, cookie), nullptr);
		return;
	}
	tcp_sock *ts = tcp_spawn(l, key);
	if (!ts) {
		return;
	}
	if (!ts->conn.open_passive(_tcp, ts->params, seg)) {
		tcp_finish(*ts);
		return;
	}
	tcp_service(*ts, tcp::ev::send_now);
}

// A connection for `key`, owned by this core, on behalf of listener `l`.
tcp_sock *worker::tcp_spawn(socket &l, const flow_key &key) {
	socket *s = _sockets->make_tcp_socket(l.domain, _index, key, &l);
	if (!s) {
		_counters.drop(drop_reason::tcp_conn_limit);
		return nullptr;
	}
	tcp_sock &ts = *s->tcp;
	ts.home_worker = this;
	ts.tmr.fn = on_tcp_timer;
	ts.tmr.arg = &ts;
	if (_sockets->adopt(_index, key, s) < 0) {
		_counters.drop(drop_reason::tcp_conn_limit);
		socket_layer::put(s);
		return nullptr;
	}
	ts.in_table = true;
	l.refs.fetch_add(1, std::memory_order_relaxed);
	ts.listener = &l;
	l.tcp->pending.fetch_add(1, std::memory_order_relaxed);
	link_owned(ts); // make_tcp_socket's reference is now the worker's
	return &ts;
}

// Established: into the listener's accept ring, which takes a reference.
void worker::tcp_accepted(tcp_sock &ts) {
	socket &l = *ts.listener;
	ts.owner->refs.fetch_add(1, std::memory_order_relaxed);
	if (l.tcp->closed.load(std::memory_order_acquire) ||
	    rte_ring_mp_enqueue(l.tcp->accept_q, ts.owner) != 0) {
		socket_layer::put(ts.owner);
		_counters.drop(drop_reason::tcp_listen_overflow);
		ts.conn.abort();
		tcp_output(ts);
		tcp_unlink_listener(ts);
		return;
	}
	ts.queued = true;
	ts.listener = nullptr; // accept() now accounts for it
	l.signal(EPOLLIN);
	socket_layer::put(&l);
}

// A connection that died before it reached the accept ring.
void worker::tcp_unlink_listener(tcp_sock &ts) {
	socket *l = ts.listener;
	ts.listener = nullptr;
	l->tcp->pending.fetch_sub(1, std::memory_order_relaxed);
	socket_layer::put(l);
}

void worker::link_owned(tcp_sock &ts) {
	ts.owned = true;
	ts.prev_owned = nullptr;
	ts.next_owned = _owned;
	if (_owned) {
		_owned->prev_owned = &ts;
	}
	_owned = &ts;
}

void worker::unlink_owned(tcp_sock &ts) {
	if (!ts.owned) {
		return;
	}
	ts.owned = false;
	if (ts.prev_owned) {
		ts.prev_owned->next_owned = ts.next_owned;
	} else {
		_owned = ts.next_owned;
	}
	if (ts.next_owned) {
		ts.next_owned->prev_owned = ts.prev_owned;
	}
	ts.prev_owned = ts.next_owned = nullptr;
}

// The stack is going away (workers stopped): let go of every connection.
void worker::tcp_release_all() {
	while (_owned) {
		tcp_sock &ts = *_owned;
		ts.finished = true;
		_timers->cancel(ts.tmr);
		unlink_owned(ts);
		if (ts.listener) {
			tcp_unlink_listener(ts);
		}
		if (ts.in_table) {
			ts.in_table = false;
			_sockets->forget(_index, ts.key);
		}
		socket_layer::put(ts.owner);
	}
	tcp_sock *k;
	while (_tcp_kicks && rte_ring_dequeue(_tcp_kicks, reinterpret_cast<void **>(&k)) == 0) {
		k->kicked.store(false, std::memory_order_relaxed);
		socket_layer::put(k->owner);
	}
}

} // namespace skiff::net
