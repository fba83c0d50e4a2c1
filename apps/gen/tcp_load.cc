#include "tcp_load.h"

#include "httpd/pattern.h"
#include "net/sockets.h"

#include <rte_cycles.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace skiff::gen {

namespace {

/// Bytes one recv() takes at most: what the receive buffer holds.
constexpr uint32_t recv_chunk = 64 * 1024;
/// Connections opened per step at most, so that one step's kicks never
/// overflow the worker's ring and the worker gets to run between batches.
constexpr uint32_t opens_per_step = 64;
/// Reads or writes one connection gets per turn, so a fast flow cannot
/// starve the others.
constexpr int turns_per_step = 8;

std::unique_ptr<uint8_t[]> pattern_message(uint32_t len) {
	std::unique_ptr<uint8_t[]> m(new uint8_t[std::max<uint32_t>(len, 1)]);
	apps::pattern_fill(m.get(), 0, len);
	return m;
}

// TCP_NODELAY (a transaction's last segment must not wait for an ACK) and
// the buffer sizes, if given.
void tune(net::socket_layer &sl, int fd, uint32_t buffer) {
	int one = 1;
	sl.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (buffer != 0) {
		int v = int(buffer);
		sl.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		sl.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	}
}

} // namespace

const char *tcp_pattern_name(tcp_pattern p) {
	return p == tcp_pattern::short_conns ? "short" : "long";
}

result<tcp_pattern> parse_tcp_pattern(const std::string &s) {
	if (s == "short") {
		return tcp_pattern::short_conns;
	}
	if (s == "long") {
		return tcp_pattern::long_flows;
	}
	return make_error(-EINVAL, "--tcp '" + s +
	                               "': say short (one transaction per connection) or long "
	                               "(--conns flows for the whole run)");
}

result<void> check_tcp_profile(const tcp_profile &p, bool client) {
	if (p.request == 0 || p.request > tcp_max_message || p.response > tcp_max_message) {
		return make_error(
		    -EINVAL, "--request must be 1.." + std::to_string(tcp_max_message) +
		                 " bytes and --response 0.." + std::to_string(tcp_max_message));
	}
	if (p.conns == 0 || p.conns > 60000) {
		return make_error(-EINVAL, "--conns must be 1..60000");
	}
	if (p.cps < 0 || p.timeout <= 0) {
		return make_error(-EINVAL, "--cps must be at least 0 and --timeout above 0");
	}
	if (client && p.duration <= 0 && (p.pattern == tcp_pattern::long_flows || p.count == 0)) {
		return make_error(-EINVAL, p.pattern == tcp_pattern::long_flows
		                               ? "--tcp long needs --duration S"
		                               : "--tcp short needs --duration S or --count N");
	}
	return {};
}

const char *tcp_failure_name(tcp_failure f) {
	switch (f) {
	case tcp_failure::open:
		return "open";
	case tcp_failure::refused:
		return "refused";
	case tcp_failure::reset:
		return "reset";
	case tcp_failure::timeout:
		return "timeout";
	case tcp_failure::corrupted:
		return "corrupted";
	case tcp_failure::count:
		break;
	}
	return "?";
}

uint64_t tcp_client_stats::failures() const {
	uint64_t n = 0;
	for (uint64_t f : failed) {
		n += f;
	}
	return n;
}

// ---- client -------------------------------------------------------------------------

tcp_client::tcp_client(const tcp_profile &p, net::socket_layer &sl, const sockaddr_storage &server,
                       socklen_t server_len)
    : _p(p), _sl(sl), _server(server), _server_len(server_len),
      _request(pattern_message(p.request)), _response(pattern_message(p.response)),
      _in(new uint8_t[recv_chunk]), _slots(p.conns) {
	_free.reserve(p.conns);
	for (uint32_t i = p.conns; i > 0; i--) {
		_free.push_back(i - 1);
	}
}

tcp_client::~tcp_client() {
	close_all();
}

void tcp_client::start(uint64_t now) {
	_hz = rte_get_tsc_hz();
	_started = now;
	_stop_opening = now + uint64_t(_p.duration * double(_hz));
	if (_p.duration <= 0) {
		_stop_opening = UINT64_MAX; // --count alone ends the run
	}
	_timeout = uint64_t(_p.timeout * double(_hz));
	if (_p.cps > 0) {
		_gap = pacer::to_fixed(1.0 / _p.cps, _hz);
		_pacer.start(now, std::max(pacer::to_fixed(0.02, _hz), 32 * _gap));
	}
}

bool tcp_client::opening(uint64_t now) const {
	if (now >= _stop_opening) {
		return false;
	}
	if (_p.pattern == tcp_pattern::long_flows) {
		return true; // a flow that failed is replaced
	}
	return _p.count == 0 || _stats.opened < _p.count;
}

bool tcp_client::step(uint64_t now) {
	bool open_more = opening(now);
	if (open_more) {
		open_due(now);
	}
	for (slot &s : _slots) {
		if (s.state != st::idle) {
			run_slot(s, now);
		}
	}
	if (open_more) {
		return true;
	}
	if (_p.pattern == tcp_pattern::long_flows) {
		for (slot &s : _slots) {
			if (s.state != st::idle) {
				finish(s); // the run is over: every live flow ran its program
			}
		}
	}
	// Short connections still in their transaction get --timeout to finish it.
	if (_drain_until == 0) {
		_drain_until = now + _timeout;
	}
	bool over = _open == 0 || now >= _drain_until;
	if (over && _stats.seconds == 0) {
		_stats.seconds = double(now - _started) / double(_hz);
	}
	return !over;
}

void tcp_client::open_due(uint64_t now) {
	for (uint32_t i = 0; i < opens_per_step && opening(now); i++) {
		if (_gap != 0) {
			if (!_pacer.due(now)) {
				return;
			}
			_pacer.charge(_gap);
			if (_free.empty()) {
				_stats.paced_out++; // --conns are all busy: this one is not opened
				continue;
			}
		} else if (_free.empty()) {
			return;
		}
		slot &s = _slots[_free.back()];
		_free.pop_back();
		if (!open_slot(s, now)) {
			return; // out of sockets or ports: try again next step
		}
	}
}

bool tcp_client::open_slot(slot &s, uint64_t now) {
	s = slot{};
	s.fd = _sl.open(_server.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int rc = s.fd;
	if (rc >= 0) {
		tune(_sl, s.fd, _p.buffer);
		rc = _sl.connect(s.fd, reinterpret_cast<const sockaddr *>(&_server), _server_len);
	}
	_open++;
	if (rc == -EADDRNOTAVAIL || rc == -ENOBUFS || rc == -EMFILE || rc == -ENFILE) {
		_stats.open_waits++; // a port or socket frees up when a TIME_WAIT ends
		close_slot(s);
		return false;
	}
	if (rc != -EINPROGRESS && rc != 0) {
		fail(s, tcp_failure::open);
		return false;
	}
	_stats.opened++;
	_stats.max_open = std::max<uint64_t>(_stats.max_open, _open);
	s.state = st::connecting;
	s.t_connect = s.t_progress = now;
	return true;
}

void tcp_client::run_slot(slot &s, uint64_t now) {
	switch (s.state) {
	case st::connecting:
		check_connected(s, now);
		break;
	case st::sending:
		send_request(s, now);
		break;
	case st::receiving:
		receive_response(s, now);
		break;
	case st::idle:
		return;
	}
	if (s.state != st::idle && now - s.t_progress > _timeout) {
		fail(s, tcp_failure::timeout);
	}
}

void tcp_client::check_connected(slot &s, uint64_t now) {
	uint32_t ev = _sl.events(s.fd);
	if (ev & EPOLLERR) {
		fail(s, tcp_failure::refused);
		return;
	}
	if (!(ev & EPOLLOUT)) {
		return;
	}
	_stats.established++;
	_stats.connect_ns.record(uint64_t(double(now - s.t_connect) * 1e9 / double(_hz)));
	s.state = st::sending;
	s.t_progress = now;
	send_request(s, now);
}

void tcp_client::send_request(slot &s, uint64_t now) {
	for (int turn = 0; turn < turns_per_step && s.state == st::sending; turn++) {
		ssize_t n =
		    _sl.sendto(s.fd, _request.get() + s.done, _p.request - s.done, 0, nullptr, 0);
		if (n == -EAGAIN || n == -ENOBUFS) {
			return; // the send buffer is full, or the core's queue: later
		}
		if (n < 0) {
			fail(s, tcp_failure::reset);
			return;
		}
		if (s.done == 0) {
			s.t_request = now;
		}
		s.done += uint32_t(n);
		s.t_progress = now;
		_stats.bytes_sent += uint64_t(n);
		if (s.done < _p.request) {
			continue;
		}
		s.done = 0;
		if (_p.response == 0) {
			transaction_done(s, now);
		} else {
			s.state = st::receiving;
			receive_response(s, now);
		}
	}
}

void tcp_client::receive_response(slot &s, uint64_t now) {
	for (int turn = 0; turn < turns_per_step && s.state == st::receiving; turn++) {
		size_t want = std::min<size_t>(recv_chunk, _p.response - s.done);
		ssize_t n = _sl.recvfrom(s.fd, _in.get(), want, 0, nullptr, nullptr);
		if (n == -EAGAIN) {
			return;
		}
		if (n <= 0) {
			fail(s, tcp_failure::reset); // reset, or closed before answering
			return;
		}
		if (std::memcmp(_in.get(), _response.get() + s.done, size_t(n)) != 0) {
			fail(s, tcp_failure::corrupted);
			return;
		}
		s.done += uint32_t(n);
		s.t_progress = now;
		_stats.bytes_received += uint64_t(n);
		if (s.done == _p.response) {
			transaction_done(s, now);
		}
	}
}

void tcp_client::transaction_done(slot &s, uint64_t now) {
	_stats.transactions++;
	_stats.transaction_ns.record(uint64_t(double(now - s.t_request) * 1e9 / double(_hz)));
	s.done = 0;
	if (_p.pattern == tcp_pattern::short_conns || now >= _stop_opening) {
		finish(s);
		return;
	}
	s.state = st::sending;
}

void tcp_client::finish(slot &s) {
	_stats.completed++;
	close_slot(s);
}

void tcp_client::fail(slot &s, tcp_failure why) {
	_stats.failed[size_t(why)]++;
	close_slot(s);
}

void tcp_client::close_slot(slot &s) {
	if (s.fd >= 0) {
		_sl.close(s.fd);
	}
	s = slot{};
	_open--;
	_free.push_back(uint32_t(&s - _slots.data()));
}

void tcp_client::close_all() {
	for (slot &s : _slots) {
		if (s.state != st::idle || s.fd >= 0) {
			close_slot(s);
		}
	}
}

// ---- server -------------------------------------------------------------------------

tcp_server::tcp_server(const tcp_profile &p, net::socket_layer &sl)
    : _p(p), _sl(sl), _request(pattern_message(p.request)), _response(pattern_message(p.response)),
      _in(new uint8_t[recv_chunk]) {}

tcp_server::~tcp_server() {
	close_all();
}

result<void> tcp_server::listen(uint16_t port, uint32_t max_conns) {
	int fd = _sl.open(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		return make_error(fd,
		                  std::string("cannot open the TCP listener: ") + strerror(-fd));
	}
	tune(_sl, fd, _p.buffer);
	sockaddr_in6 a{};
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(port);
	int rc = _sl.bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a));
	if (rc == 0) {
		rc = _sl.listen(fd, int(std::min<uint32_t>(max_conns, 4096)));
	}
	if (rc < 0) {
		_sl.close(fd);
		return make_error(rc, "cannot listen on TCP port " + std::to_string(port) + ": " +
		                          strerror(-rc) + " (pick another --dport)");
	}
	_listener = fd;
	_conns.reserve(max_conns);
	return {};
}

void tcp_server::step() {
	accept_all();
	for (size_t i = 0; i < _conns.size();) {
		if (serve(_conns[i])) {
			i++;
			continue;
		}
		_sl.close(_conns[i].fd);
		_conns[i] = _conns.back();
		_conns.pop_back();
	}
}

void tcp_server::accept_all() {
	for (uint32_t i = 0; i < opens_per_step && _listener >= 0; i++) {
		int fd = _sl.accept(_listener, nullptr, nullptr, SOCK_NONBLOCK);
		if (fd < 0) {
			return;
		}
		_conns.push_back(conn{fd});
		_stats.accepted++;
	}
}

// One turn of one connection; false: close it.
bool tcp_server::serve(conn &c) {
	bool idle = false;
	for (int turn = 0; turn < turns_per_step && !idle; turn++) {
		bool ok = c.answering ? write_response(c, idle) : read_request(c, idle);
		if (!ok) {
			return false;
		}
	}
	return true;
}

bool tcp_server::read_request(conn &c, bool &idle) {
	size_t want = std::min<size_t>(recv_chunk, _p.request - c.got);
	ssize_t n = _sl.recvfrom(c.fd, _in.get(), want, 0, nullptr, nullptr);
	if (n == -EAGAIN) {
		idle = true;
		return true;
	}
	if (n == 0) {
		return false; // the client closed: its program is over
	}
	if (n < 0) {
		_stats.errors++;
		return false;
	}
	if (std::memcmp(_in.get(), _request.get() + c.got, size_t(n)) != 0) {
		_stats.corrupted++;
		return false;
	}
	c.got += uint32_t(n);
	_stats.bytes_received += uint64_t(n);
	if (c.got < _p.request) {
		return true;
	}
	c.got = 0;
	if (_p.response == 0) {
		_stats.transactions++;
		return true;
	}
	c.answering = true;
	c.sent = 0;
	return true;
}

bool tcp_server::write_response(conn &c, bool &idle) {
	ssize_t n = _sl.sendto(c.fd, _response.get() + c.sent, _p.response - c.sent, 0, nullptr, 0);
	if (n == -EAGAIN || n == -ENOBUFS) {
		idle = true;
		return true;
	}
	if (n < 0) {
		_stats.errors++;
		return false;
	}
	c.sent += uint32_t(n);
	_stats.bytes_sent += uint64_t(n);
	if (c.sent == _p.response) {
		c.answering = false;
		_stats.transactions++;
	}
	return true;
}

void tcp_server::close_all() {
	for (conn &c : _conns) {
		_sl.close(c.fd);
	}
	_conns.clear();
	if (_listener >= 0) {
		_sl.close(_listener);
		_listener = -1;
	}
}

} // namespace skiff::gen
