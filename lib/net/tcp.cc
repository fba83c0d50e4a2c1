// TCP in the pipeline: parse and checksum a segment, find its connection
// (or listener), run the state machine of lib/tcp on the connection's home
// core, and turn what it wants to send into packets. The application side
// meets the connection through lock-free rings only (see tcp_sock.h).

#include "wire/tcp.h"
#include "net/sockets.h"
#include "net/stack.h"
#include "net/tcp_sock.h"
#include "net/worker.h"
#include "wire/builder.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/ipv6.h"

#include <sys/epoll.h>

#include <cstring>

namespace skiff::net {

namespace {

constexpr size_t out_batch = 16;

tcp::segment to_segment(const wire::tcp_view &v, const wire::tcp_options &o) {
	tcp::segment s;
	s.seq = tcp::seq32{v.seq()};
	s.ack = tcp::seq32{v.ack()};
	s.flags = v.flags();
	s.window = v.window();
	s.opt.mss = o.mss;
	s.opt.window_scale = o.window_scale;
	s.opt.sack_permitted = o.sack_permitted;
	if (o.timestamps) {
		s.opt.ts = tcp::timestamps{o.timestamps->tsval, o.timestamps->tsecr};
	}
	s.opt.sack_count = o.sack_count;
	for (uint8_t i = 0; i < o.sack_count; i++) {
		s.opt.sack[i] = {tcp::seq32{o.sack[i].left}, tcp::seq32{o.sack[i].right}};
	}
	s.payload = {v.payload().data(), v.payload().size()};
	return s;
}

wire::tcp_options to_wire(const tcp::seg_options &o) {
	wire::tcp_options w;
	w.mss = o.mss;
	w.window_scale = o.window_scale;
	w.sack_permitted = o.sack_permitted;
	if (o.ts) {
		w.timestamps = wire::tcp_timestamps{o.ts->tsval, o.ts->tsecr};
	}
	w.sack_count = o.sack_count;
	for (uint8_t i = 0; i < o.sack_count; i++) {
		w.sack[i] = {o.sack[i].left.v, o.sack[i].right.v};
	}
	return w;
}

any_addr local_of(const flow_key &k) {
	return k.family == 4 ? any_addr{ipv4_addr::from(k.local_addr)}
	                     : any_addr{ipv6_addr::from(k.local_addr)};
}

any_addr remote_of(const flow_key &k) {
	return k.family == 4 ? any_addr{ipv4_addr::from(k.remote_addr)}
	                     : any_addr{ipv6_addr::from(k.remote_addr)};
}

} // namespace

namespace {

// Only when the NIC did not check the L4 checksum is it summed in software.
bool nic_checked_l4(const rte_mbuf *m) {
	return (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN;
}

} // namespace

void worker::tcp4_input(uint16_t ifc, rte_mbuf *m) {
	auto ip =
	    wire::ipv4_view::parse({rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_pkt_len(m)});
	auto v = wire::tcp_view::parse(ip->payload());
	if (!v.ok()) {
		drop(m, drop_reason::tcp_truncated);
		return;
	}
	if (!l4_checksum_ok(m, nic_checked_l4(m) || wire::l4_checksum_ok_v4(*ip, v->whole()))) {
		drop(m, drop_reason::tcp_bad_checksum);
		return;
	}
	tcp_input(ifc, m, ip->src(), ip->dst(), *v);
}

void worker::tcp6_input(uint16_t ifc, rte_mbuf *m) {
	auto ip =
	    wire::ipv6_view::parse({rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_pkt_len(m)});
	auto v = wire::tcp_view::parse(ip->upper_payload());
	if (!v.ok()) {
		drop(m, drop_reason::tcp_truncated);
		return;
	}
	if (!l4_checksum_ok(m, nic_checked_l4(m) || wire::l4_checksum_ok_v6(*ip, v->whole()))) {
		drop(m, drop_reason::tcp_bad_checksum);
		return;
	}
	tcp_input(ifc, m, ip->src(), ip->dst(), *v);
}

// Both families, once the segment is parsed and its checksum is good.
template <typename Addr>
void worker::tcp_input(uint16_t ifc, rte_mbuf *m, const Addr &src, const Addr &dst,
                       const wire::tcp_view &view) {
	auto opts = wire::tcp_options::parse(view.options());
	if (!opts.ok()) {
		drop(m, drop_reason::tcp_bad_option);
		return;
	}
	flow_key k;
	k.proto = IPPROTO_TCP;
	set_local(k, dst, rte_cpu_to_be_16(view.dst_port()));
	set_remote(k, src, rte_cpu_to_be_16(view.src_port()));
	if (!_sockets) {
		drop(m, drop_reason::tcp_no_socket);
		return;
	}
	uint16_t home = _index;
	socket *s = _sockets->lookup_tcp(_index, k, home);
	if (s && home != _index) {
		// RSS brought the flow to the wrong core (a device without RSS, or
		// another key): hand it to the connection's home core.
		m->hash.usr = ifc;
		if (rte_ring_mp_enqueue(_stack.worker_at(home)._steered, m) != 0) {
			drop(m, drop_reason::tcp_steer_full);
		} else {
			bump(_counters.tcp_steered);
		}
		return;
	}
	tcp::segment seg = to_segment(view, *opts);
	_tcp.now_us = _now_ns / 1000;
	if (s && s->tcp && s->tcp->in_table) {
		tcp_sock &ts = *s->tcp;
		tcp_service(ts, ts.conn.input(_tcp, seg));
	} else if (s && s->tcp && s->tcp->accept_q) {
		tcp_listen_input(*s, k, seg);
	} else {
		_counters.drop(drop_reason::tcp_no_socket);
		tcp_reset(k, seg); // RFC 9293 3.10.7.1: CLOSED state
	}
	rte_pktmbuf_free(m);
}

// Segments steered here by another core: parse them again, as if received.
void worker::drain_steered() {
	rte_mbuf *pkts[burst_size];
	unsigned n = rte_ring_sc_dequeue_burst(_steered, reinterpret_cast<void **>(pkts),
	                                       burst_size, nullptr);
	for (unsigned i = 0; i < n; i++) {
		uint16_t ifc = uint16_t(pkts[i]->hash.usr);
		if ((rte_pktmbuf_mtod(pkts[i], const uint8_t *)[0] >> 4) == 4) {
			tcp4_input(ifc, pkts[i]);
		} else {
			tcp6_input(ifc, pkts[i]);
		}
	}
}

void tcp_request(tcp_sock &ts, uint32_t req) {
	// seq_cst here and in drain_tcp_kicks: a request made while the socket
	// is still on the ring must be seen when the worker takes it off.
	ts.req.fetch_or(req);
	ts.home_worker->tcp_kick(ts);
}

void worker::tcp_kick(tcp_sock &ts) {
	if (ts.kicked.exchange(true)) {
		return; // already on the ring
	}
	socket *s = ts.owner;
	s->refs.fetch_add(1, std::memory_order_relaxed); // the ring's reference
	if (rte_ring_mp_enqueue(_tcp_kicks, &ts) != 0) {
		// Full (more kicked sockets than the ring holds): the next kick
		// or the connection's own timer picks the request up.
		ts.kicked.store(false, std::memory_order_release);
		socket_layer::put(s);
	}
}

void worker::drain_tcp_kicks() {
	tcp_sock *batch[burst_size];
	unsigned n = rte_ring_sc_dequeue_burst(_tcp_kicks, reinterpret_cast<void **>(batch),
	                                       burst_size, nullptr);
	if (n == 0) {
		return;
	}
	_tcp.now_us = _now_ns / 1000;
	for (unsigned i = 0; i < n; i++) {
		tcp_sock &ts = *batch[i];
		ts.kicked.store(false);
		uint32_t req = ts.req.exchange(0);
		uint32_t ev = 0;
		if ((req & tcp_req::open) && !ts.owned && !ts.finished) {
			link_owned(ts); // connect()'s extra reference is now ours
			ts.tmr.fn = on_tcp_timer;
			ts.tmr.arg = &ts;
			if (!ts.conn.open_active(_tcp, ts.params)) {
				ts.owner->so_error.store(EINVAL, std::memory_order_relaxed);
			}
		}
		if (req & tcp_req::options) {
			ts.conn.set_nodelay(ts.owner->nodelay);
			ts.conn.set_keepalive(_tcp, ts.owner->keepalive);
		}
		if (req & tcp_req::info) {
			ts.info = ts.conn.info();
			ts.info_seq.fetch_add(1, std::memory_order_release);
		}
		if (req & tcp_req::close) {
			ts.app_gone = true;
		}
		if ((req & tcp_req::abort) && !ts.finished) {
			ts.close_done = true;
			ts.conn.abort();
		}
		if (req & tcp_req::shutdown) {
			ts.shut_pending = true;
		}
		if (!ts.finished) {
			tcp_service(ts, ev);
		}
		socket_layer::put(ts.owner); // the ring's reference
	}
}

// Between the connection and the application's rings: received bytes out
// to rx, queued bytes in from tx. Both copies are bounded by the room on
// the other side, so nothing is lost and nothing waits here.
void worker::tcp_move_data(tcp_sock &ts, uint32_t &signal_events) {
	tcp::connection &c = ts.conn;
	while (c.recv_available() > 0 && ts.rx.free_space() > 0) {
		auto parts = c.recv_view();
		size_t n = ts.rx.push(parts[0]);
		if (n == parts[0].size() && !parts[1].empty()) {
			n += ts.rx.push(parts[1]);
		}
		c.recv_consume(n);
		signal_events |= EPOLLIN;
	}
	if (c.eof() && !ts.eof.load(std::memory_order_relaxed)) {
		ts.eof.store(true, std::memory_order_release);
		signal_events |= EPOLLIN | EPOLLRDHUP;
	}
	bool took = false;
	while (!ts.tx.empty() && c.can_send() && c.send_space() > 0) {
		auto parts = ts.tx.peek();
		size_t n = c.send(parts[0]);
		if (n == parts[0].size() && !parts[1].empty()) {
			n += c.send(parts[1]);
		}
		if (n == 0) {
			break;
		}
		ts.tx.consume(n);
		took = true;
	}
	if (took) {
		signal_events |= EPOLLOUT;
	}
	if (!c.can_send() && !ts.tx.empty() &&
	    (c.state() == tcp::tcp_state::closed || c.error() != 0)) {
		ts.tx.consume(ts.tx.size()); // nowhere to go: the connection is gone
	}
}

void worker::tcp_output(tcp_sock &ts) {
	tcp::segment_out segs[out_batch];
	for (;;) {
		size_t n = ts.conn.output(_tcp, segs);
		for (size_t i = 0; i < n; i++) {
			tcp_send(ts.key, segs[i], &ts);
		}
		if (n < out_batch) {
			return;
		}
	}
}

// Everything after an event on a connection: data moved, application
// requests applied, segments sent, state published, timer re-armed.
void worker::tcp_service(tcp_sock &ts, uint32_t events) {
	tcp::connection &c = ts.conn;
	uint32_t sig = 0;
	tcp_move_data(ts, sig);
	if (ts.app_gone && !ts.close_done) {
		ts.close_done = true;
		// Unread data turns a close into a reset (RFC 2525 2.17).
		if (!ts.rx.empty() || c.recv_available() > 0) {
			c.abort();
		} else {
			ts.shut_pending = true;
		}
	}
	if (ts.shut_pending && ts.tx.empty()) {
		ts.shut_pending = false;
		if (ts.app_gone) {
			c.close();
		} else {
			c.shutdown_write();
		}
	}
	tcp_output(ts);
	tcp_move_data(ts, sig); // output may have freed send space
	tcp::tcp_state st = c.state();
	if (st != ts.state.load(std::memory_order_relaxed)) {
		ts.state.store(st, std::memory_order_release);
		sig |= EPOLLOUT | EPOLLIN;
	}
	if (c.error() != 0 && ts.owner->so_error.load(std::memory_order_relaxed) == 0 &&
	    !ts.error_reported) {
		ts.error_reported = true;
		ts.owner->so_error.store(-c.error(), std::memory_order_release);
		sig |= EPOLLERR | EPOLLHUP;
	}
	if ((events & tcp::ev::established) && !ts.established_once.exchange(true)) {
		sig |= EPOLLOUT;
		if (ts.listener) {
			tcp_accepted(ts);
		}
	}
	if (st == tcp::tcp_state::closed) {
		tcp_finish(ts);
	} else {
		uint64_t at = c.next_timer_us();
		if (at == UINT64_MAX) {
			_timers->cancel(ts.tmr);
		} else if (!ts.tmr.armed() || ts.tmr.expire_ns() != at * 1000) {
			_timers->arm(ts.tmr, at * 1000);
		}
	}
	if (sig) {
		ts.owner->signal(sig);
	}
}

void worker::on_tcp_timer(timer *t, void *arg) {
	auto &ts = *static_cast<tcp_sock *>(arg);
	worker &w = *_current;
	(void)t;
	w._tcp.now_us = w._now_ns / 1000;
	w.tcp_service(ts, ts.conn.on_timer(w._tcp));
}

// Build and send one segment: payload (from the connection's send buffer),
// TCP header with options, checksum, IP header; then route and resolve.
bool worker::tcp_send(const flow_key &key, const tcp::segment_out &s, tcp_sock *ts) {
	rte_mbuf *m = alloc();
	if (ts && ts->starved.load(std::memory_order_relaxed) != (m == nullptr)) {
		ts->starved.store(m == nullptr, std::memory_order_relaxed); // send() says ENOBUFS
	}
	if (!m) {
		return false; // counted; the connection retransmits later
	}
	if (s.payload_len > 0) {
		auto *data = rte_pktmbuf_mtod(m, uint8_t *);
		if (!ts || s.payload_len > rte_pktmbuf_tailroom(m) ||
		    ts->conn.copy_payload(s, {data, s.payload_len}) != s.payload_len) {
			drop(m, drop_reason::no_headroom);
			return false;
		}
		rte_pktmbuf_append(m, uint16_t(s.payload_len));
	}
	wire::tcp_header_fields f;
	f.src_port = rte_be_to_cpu_16(key.local_port);
	f.dst_port = rte_be_to_cpu_16(key.remote_port);
	f.seq = s.seq.v;
	f.ack = s.ack.v;
	f.flags = s.flags;
	f.window = s.window;
	if (!wire::push_tcp(m, f, to_wire(s.opt)) ||
	    l4_finish(m, local_of(key), remote_of(key), IPPROTO_TCP, true) < 0) {
		drop(m, drop_reason::no_route);
		return false;
	}
	bump(_counters.tcp_sent);
	ip_output(m);
	return true;
}

void worker::tcp_reset(const flow_key &key, const tcp::segment &seg) {
	if (auto rst = tcp::reset_for(seg)) {
		tcp_send(key, *rst, nullptr);
	}
}

// The connection is CLOSED: forget its 4-tuple and stop its timer. The
// socket lives on while the application holds it (to read what is left,
// or its error).
void worker::tcp_finish(tcp_sock &ts) {
	if (ts.finished) {
		return;
	}
	ts.finished = true;
	ts.info = ts.conn.info();
	ts.finished_once.store(true, std::memory_order_release);
	_timers->cancel(ts.tmr);
	if (ts.listener) {
		tcp_unlink_listener(ts);
	}
	unlink_owned(ts);
	if (ts.in_table) {
		ts.in_table = false;
		_sockets->forget(_index, ts.key);
	}
	ts.owner->signal(EPOLLIN | EPOLLOUT | EPOLLHUP);
	socket_layer::put(ts.owner); // the worker's reference
}

} // namespace skiff::net
