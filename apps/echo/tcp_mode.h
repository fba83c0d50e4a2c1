#pragma once

// skiff-echo's TCP side: an echo (or pattern-checking) server and the
// measuring clients of tcp_echo.h, both on the socket layer's nonblocking
// calls. Neither has a thread of its own: the owner calls step() between
// polls of the stack's worker on the same lcore, so that one core carries
// one side's application and its stack, as one CPU carries a kernel
// thread and the softirq work its socket calls cause. A socket call only
// moves bytes through the connection's SPSC rings and kicks its home
// worker, which runs the connection in its next poll (see
// lib/net/tcp_sock.h).

#include "tcp_echo.h"

#include "base/result.h"
#include "net/sockets.h"
#include "net/tcp_sock.h"

#include <rte_cycles.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace skiff::echo {

/// Bytes one recv() or send() moves at most.
inline constexpr size_t tcp_chunk = 64 * 1024;

/// setsockopt(SO_RCVBUF/SO_SNDBUF) with @p bytes (0: leave the defaults).
inline int set_tcp_buffers(net::socket_layer &sl, int fd, uint32_t bytes) {
	if (bytes == 0) {
		return 0;
	}
	int v = int(bytes);
	int rc = sl.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	return rc < 0 ? rc : sl.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/**
 * The server: accepts on a dual-stack listener and echoes every byte back,
 * or (verify) checks the bytes against the pattern and answers the
 * client's FIN with a bulk_summary. Counters are atomics because another
 * lcore reads them.
 */
class tcp_server {
public:
	tcp_server(net::socket_layer &sl, bool verify)
	    : _sl(sl), _verify(verify), _buf(new uint8_t[tcp_chunk]),
	      _scratch(new uint8_t[tcp_chunk]) {}
	~tcp_server() { close_all(); }
	tcp_server(const tcp_server &) = delete;

	/**
	 * Listen on [::]:@p port (IPv4 too), with TCP_NODELAY and, when
	 * @p bufsize is not 0, SO_RCVBUF/SO_SNDBUF, which accepted connections
	 * inherit. Errors: the socket layer's, with what to do.
	 */
	result<void> listen(uint16_t port, uint32_t bufsize) {
		int fd = _sl.open(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			return make_error(fd, std::string("cannot open the TCP listener: ") +
			                          strerror(-fd));
		}
		sockaddr_in6 a{};
		a.sin6_family = AF_INET6;
		a.sin6_port = htons(port);
		int one = 1;
		int rc = _sl.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (rc == 0) {
			rc = set_tcp_buffers(_sl, fd, bufsize);
		}
		if (rc == 0) {
			rc = _sl.bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a));
		}
		if (rc == 0) {
			rc = _sl.listen(fd, 4096);
		}
		if (rc < 0) {
			_sl.close(fd);
			return make_error(rc, "cannot listen on TCP port " + std::to_string(port) +
			                          ": " + strerror(-rc) +
			                          " (pick another --port-num)");
		}
		_listener = fd;
		return {};
	}

	/// Room for @p n connections, so that accepting them allocates nothing
	/// of the server's own (the idle-memory measurement counts the heap).
	void reserve(size_t n) { _conns.reserve(n); }

	/// Accept what waits and serve every connection once.
	void step() {
		accept_all();
		for (size_t i = 0; i < _conns.size();) {
			if (serve(_conns[i])) {
				i++;
				continue;
			}
			_sl.close(_conns[i].fd);
			_conns[i] = std::move(_conns.back());
			_conns.pop_back();
		}
	}

	void close_all() {
		for (conn &c : _conns) {
			_sl.close(c.fd);
		}
		_conns.clear();
		if (_listener >= 0) {
			_sl.close(_listener);
			_listener = -1;
		}
	}

	uint64_t accepted() const { return _accepted.load(std::memory_order_relaxed); }
	const std::atomic<uint64_t> &accepted_counter() const { return _accepted; }
	uint64_t received() const { return _received.load(std::memory_order_relaxed); }
	uint64_t mismatches() const { return _mismatches.load(std::memory_order_relaxed); }
	uint64_t errors() const { return _errors.load(std::memory_order_relaxed); }

private:
	struct conn {
		int fd = -1;
		uint64_t offset = 0;             ///< verify: stream position of the next byte
		std::unique_ptr<uint8_t[]> pend; ///< bytes the socket did not take yet
		uint32_t pend_off = 0, pend_len = 0;
		bool eof = false;
	};

	static void add(std::atomic<uint64_t> &c, uint64_t n) {
		c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
	}

	void accept_all() {
		if (_listener < 0) {
			return;
		}
		for (int i = 0; i < 64; i++) {
			int fd = _sl.accept(_listener, nullptr, nullptr, SOCK_NONBLOCK);
			if (fd < 0) {
				return;
			}
			_conns.push_back(conn{fd});
			add(_accepted, 1);
		}
	}

	// Send what `c` still owes; false on a hard error.
	bool flush(conn &c) {
		while (c.pend_len > 0) {
			ssize_t n =
			    _sl.sendto(c.fd, c.pend.get() + c.pend_off, c.pend_len, 0, nullptr, 0);
			if (n == -EAGAIN) {
				return true;
			}
			if (n < 0) {
				return false;
			}
			c.pend_off += uint32_t(n);
			c.pend_len -= uint32_t(n);
		}
		return true;
	}

	// Queue bytes [from, from + len) for `c`, sending what the socket takes.
	bool reply(conn &c, const uint8_t *from, size_t len) {
		ssize_t n = _sl.sendto(c.fd, from, len, 0, nullptr, 0);
		if (n < 0 && n != -EAGAIN) {
			return false;
		}
		size_t taken = n > 0 ? size_t(n) : 0;
		if (taken < len) {
			if (!c.pend) {
				c.pend.reset(new uint8_t[tcp_chunk]);
			}
			std::memcpy(c.pend.get(), from + taken, len - taken);
			c.pend_off = 0;
			c.pend_len = uint32_t(len - taken);
		}
		return true;
	}

	// One turn for one connection; false: close it.
	bool serve(conn &c) {
		if (!flush(c)) {
			add(_errors, 1);
			return false;
		}
		if (c.pend_len > 0) {
			return true; // the peer reads slowly: read no more until it does
		}
		if (c.eof) {
			return false; // answered everything
		}
		ssize_t n = _sl.recvfrom(c.fd, _buf.get(), tcp_chunk, 0, nullptr, nullptr);
		if (n == -EAGAIN) {
			return true;
		}
		if (n < 0) {
			add(_errors, 1);
			return false;
		}
		if (n == 0) {
			c.eof = true;
			if (!_verify) {
				return false;
			}
			bulk_summary sum{c.offset, _conn_bad};
			_conn_bad = 0;
			return reply(c, reinterpret_cast<const uint8_t *>(&sum), sizeof(sum));
		}
		if (!_verify) {
			return reply(c, _buf.get(), size_t(n));
		}
		uint64_t bad = pattern_mismatches(_buf.get(), c.offset, size_t(n), _scratch.get());
		c.offset += uint64_t(n);
		_conn_bad += bad;
		add(_received, uint64_t(n));
		add(_mismatches, bad);
		return true;
	}

	net::socket_layer &_sl;
	bool _verify;
	int _listener = -1;
	std::vector<conn> _conns;
	std::unique_ptr<uint8_t[]> _buf;
	std::unique_ptr<uint8_t[]> _scratch;
	uint64_t _conn_bad = 0; ///< verify: mismatches of the one bulk connection so far
	std::atomic<uint64_t> _accepted{0}, _received{0}, _mismatches{0}, _errors{0};
};

struct tcp_client_config {
	tcp_mode mode = tcp_mode::rr;
	uint32_t conns = 1;
	uint32_t size = 64;
	uint64_t bytes = 64ull << 20;
	double duration = 5;
	double warmup = 0.5;
	double timeout = 60; ///< bulk and idle: give up after this long
	uint32_t bufsize = 0;
	bool ipv6 = false;
	uint16_t server_port = 7;
};

/**
 * The measuring client of every mode, driven by step() on its lcore.
 * rr and crr run --conns slots, each a small state machine: connect,
 * send one message, wait for all of it back, then send again (rr) or close
 * and start over (crr). bulk streams the pattern on one connection. idle
 * opens --conns connections and waits until they are all established.
 */
class tcp_client {
public:
	tcp_client(const tcp_client_config &cfg, net::socket_layer &sl, const net::any_addr &server)
	    : _cfg(cfg), _sl(sl), _msg(new uint8_t[cfg.size]), _in(new uint8_t[tcp_chunk]),
	      _chunk(new uint8_t[tcp_chunk]) {
		_hz = rte_get_tsc_hz();
		apps::pattern_fill(_msg.get(), 0, cfg.size);
		int domain = cfg.ipv6 ? AF_INET6 : AF_INET;
		_server_len =
		    net::to_sockaddr(domain, server, cfg.server_port,
		                     reinterpret_cast<sockaddr *>(&_server), sizeof(_server));
		_slots.resize(cfg.mode == tcp_mode::bulk ? 1 : cfg.conns);
	}
	~tcp_client() {
		for (slot &s : _slots) {
			close_slot(s);
		}
	}
	tcp_client(const tcp_client &) = delete;

	/// On the client lcore, once: the clock starts.
	void start() {
		uint64_t now = rte_rdtsc();
		_started = now;
		_measure_at = now + uint64_t(_cfg.warmup * double(_hz));
		_end_at = _measure_at + uint64_t(_cfg.duration * double(_hz));
		_give_up_at = now + uint64_t(_cfg.timeout * double(_hz));
		if (_cfg.mode == tcp_mode::bulk || _cfg.mode == tcp_mode::idle) {
			_phase = phase::measuring;
		}
	}

	/// Between polls. False once the run is over.
	bool step() {
		uint64_t now = rte_rdtsc();
		switch (_cfg.mode) {
		case tcp_mode::rr:
		case tcp_mode::crr:
			return step_exchanges(now);
		case tcp_mode::bulk:
			return step_bulk(now);
		case tcp_mode::idle:
			return step_idle(now);
		}
		return false;
	}

	/// idle: true once every connection is established.
	bool all_established() const { return _established == _slots.size(); }
	/// idle: the server side's count, read by step_idle (set before start()).
	void set_peer_accepted(const std::atomic<uint64_t> *n) { _peer_accepted = n; }
	/// Close every connection now (idle: after the measurement).
	void close_all() {
		for (slot &s : _slots) {
			close_slot(s);
		}
	}

	tcp_run_result result() const {
		tcp_run_result r;
		r.impl = "skiff";
		r.mode = _cfg.mode;
		r.conns = uint32_t(_slots.size());
		r.size = _cfg.size;
		uint64_t to = _measured_to ? _measured_to : rte_rdtsc();
		r.seconds = _measured_from ? double(to - _measured_from) / double(_hz) : 0;
		r.transactions = _done;
		r.errors = _errors;
		r.lat = _lat;
		r.unit_ns = 1e9 / double(_hz);
		r.bytes = _sent;
		r.received = _summary.received;
		r.mismatches = _summary.mismatches;
		r.complete = _complete;
		return r;
	}

private:
	enum class phase { warmup, measuring, draining, done };
	enum class st { idle, sending, waiting, shut };
	struct slot {
		int fd = -1;
		st state = st::idle;
		uint32_t sent = 0, got = 0;
		uint64_t t0 = 0; ///< rr: message handed over; crr: connect()
		bool up = false; ///< idle: established
	};

	uint64_t secs(double s) const { return uint64_t(s * double(_hz)); }

	void close_slot(slot &s) {
		if (s.fd >= 0) {
			_sl.close(s.fd);
		}
		s = slot{};
	}

	// A new nonblocking connection with TCP_NODELAY; false on failure.
	bool open_slot(slot &s, uint64_t now) {
		int fd = _sl.open(_cfg.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			_errors++;
			return false;
		}
		int one = 1;
		_sl.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		set_tcp_buffers(_sl, fd, _cfg.bufsize);
		int rc = _sl.connect(fd, reinterpret_cast<const sockaddr *>(&_server), _server_len);
		if (rc != -EINPROGRESS && rc != 0) {
			_sl.close(fd);
			_errors++;
			return false;
		}
		s = slot{};
		s.fd = fd;
		s.state = st::sending;
		s.t0 = now;
		return true;
	}

	void fail(slot &s) {
		_errors++;
		close_slot(s);
	}

	void advance_phase(uint64_t now) {
		if (_phase == phase::warmup && now >= _measure_at) {
			_phase = phase::measuring;
			_measured_from = now;
		}
		if (_phase == phase::measuring && now >= _end_at) {
			_phase = phase::draining;
			_measured_to = now;
		}
	}

	// rr and crr: every slot one turn.
	bool step_exchanges(uint64_t now) {
		advance_phase(now);
		bool busy = false;
		for (slot &s : _slots) {
			if (s.state == st::idle && _phase != phase::draining) {
				open_slot(s, now);
			}
			if (s.state == st::sending) {
				send_message(s, now);
			}
			if (s.state == st::waiting) {
				receive_answer(s, now);
			}
			busy |= s.state != st::idle;
		}
		if (_phase != phase::draining) {
			return true;
		}
		// Draining: messages in flight may still come back, for a while.
		return busy && now < _measured_to + secs(1);
	}

	void send_message(slot &s, uint64_t now) {
		if (_phase == phase::draining) {
			close_slot(s);
			return;
		}
		ssize_t n =
		    _sl.sendto(s.fd, _msg.get() + s.sent, _cfg.size - s.sent, 0, nullptr, 0);
		if (n == -EAGAIN) {
			if (now - s.t0 > secs(5)) {
				fail(s); // a connection that never came up
			}
			return;
		}
		if (n < 0) {
			fail(s);
			return;
		}
		if (s.sent == 0 && _cfg.mode == tcp_mode::rr) {
			s.t0 = now;
		}
		s.sent += uint32_t(n);
		if (s.sent == _cfg.size) {
			s.state = st::waiting;
			s.got = 0;
		}
	}

	void receive_answer(slot &s, uint64_t now) {
		ssize_t n =
		    _sl.recvfrom(s.fd, _in.get() + s.got, _cfg.size - s.got, 0, nullptr, nullptr);
		if (n == -EAGAIN) {
			if (now - s.t0 > secs(5)) {
				fail(s);
			}
			return;
		}
		if (n <= 0) {
			fail(s); // reset, or closed before answering
			return;
		}
		s.got += uint32_t(n);
		if (s.got < _cfg.size) {
			return;
		}
		if (std::memcmp(_in.get(), _msg.get(), _cfg.size) != 0) {
			fail(s); // not our bytes back
			return;
		}
		if (_phase == phase::measuring) {
			_lat.add(now - s.t0);
			_done++;
		}
		if (_cfg.mode == tcp_mode::crr || _phase == phase::draining) {
			close_slot(s);
			return;
		}
		s.state = st::sending;
		s.sent = 0;
	}

	// bulk: stream the pattern, shut down, wait for the server's summary.
	bool step_bulk(uint64_t now) {
		slot &s = _slots[0];
		if (now > _give_up_at) {
			_measured_to = now;
			return false;
		}
		if (s.state == st::idle) {
			if (_bulk_opened || !open_slot(s, now)) {
				return false; // one connection only: it failed
			}
			_bulk_opened = true;
		}
		if (s.state == st::sending) {
			stream(s, now);
		}
		if (s.state == st::shut) {
			return !read_summary(s, now);
		}
		return s.state != st::idle;
	}

	void stream(slot &s, uint64_t now) {
		while (_sent < _cfg.bytes) {
			if (_sent >= _chunk_off + _chunk_len) {
				_chunk_off = _sent;
				_chunk_len =
				    size_t(std::min<uint64_t>(tcp_chunk, _cfg.bytes - _sent));
				apps::pattern_fill(_chunk.get(), _chunk_off, _chunk_len);
			}
			size_t at = size_t(_sent - _chunk_off);
			ssize_t n =
			    _sl.sendto(s.fd, _chunk.get() + at, _chunk_len - at, 0, nullptr, 0);
			if (n == -EAGAIN) {
				return;
			}
			if (n < 0) {
				_measured_to = now;
				fail(s);
				return;
			}
			if (_measured_from == 0) {
				_measured_from = now; // the connection is up: the clock starts
			}
			_sent += uint64_t(n);
		}
		_sl.shutdown(s.fd, SHUT_WR);
		s.state = st::shut;
		s.got = 0;
	}

	// True when the run is over: the summary is in, or the connection died.
	bool read_summary(slot &s, uint64_t now) {
		auto *dst = reinterpret_cast<uint8_t *>(&_summary);
		ssize_t n =
		    _sl.recvfrom(s.fd, dst + s.got, sizeof(_summary) - s.got, 0, nullptr, nullptr);
		if (n == -EAGAIN) {
			return false;
		}
		if (n <= 0) {
			_measured_to = now;
			_errors++;
			return true;
		}
		s.got += uint32_t(n);
		if (s.got < sizeof(_summary)) {
			return false;
		}
		_measured_to = now;
		_complete = true;
		return true;
	}

	// idle: open every connection (a batch per step, so that kicks never
	// overflow the worker's ring), then wait for both ends to be up.
	bool step_idle(uint64_t now) {
		if (now > _give_up_at) {
			return false;
		}
		for (uint32_t i = 0; i < 256 && _opened < _slots.size(); i++) {
			if (!open_slot(_slots[_opened++], now)) {
				return false;
			}
		}
		if (now < _next_check) {
			return true;
		}
		_next_check = now + secs(0.001);
		for (slot &s : _slots) {
			if (s.fd >= 0 && !s.up && (_sl.events(s.fd) & EPOLLOUT)) {
				s.up = true;
				_established++;
			}
		}
		bool accepted = !_peer_accepted ||
		                _peer_accepted->load(std::memory_order_relaxed) >= _slots.size();
		return !(all_established() && accepted);
	}

	tcp_client_config _cfg;
	net::socket_layer &_sl;
	sockaddr_storage _server{};
	socklen_t _server_len = 0;
	std::unique_ptr<uint8_t[]> _msg, _in, _chunk;
	std::vector<slot> _slots;
	uint64_t _hz = 0, _started = 0, _measure_at = 0, _end_at = 0, _give_up_at = 0;
	uint64_t _measured_from = 0, _measured_to = 0, _next_check = 0;
	phase _phase = phase::warmup;
	uint64_t _done = 0, _errors = 0;
	latency_histogram _lat;
	// bulk
	uint64_t _sent = 0, _chunk_off = 0;
	size_t _chunk_len = 0;
	bulk_summary _summary{};
	bool _complete = false;
	bool _bulk_opened = false;
	// idle
	uint32_t _opened = 0, _established = 0;
	const std::atomic<uint64_t> *_peer_accepted = nullptr;
};

} // namespace skiff::echo
