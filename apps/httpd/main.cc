// skiff-httpd: a small HTTP/1.1 server on the socket shim, for curl, wget
// and wrk.
//
//   GET /          a short page
//   GET /bytes/N   N bytes (N <= 1 GiB) of the test pattern (pattern.h)
//   HEAD           either, without the body
//
// One thread, one epoll set, level-triggered, nonblocking sockets. Each
// connection reads a request, answers it, and goes back to reading:
// keep-alive by default in HTTP/1.1, `Connection: close` honoured, HTTP/1.0
// closes unless it asked for keep-alive. Pipelined requests wait in the input
// buffer until the answer before them is out. Bodies are never buffered: the
// pattern is generated at the offset the socket is ready to take, a chunk at
// a time, so a 1 GiB answer costs no more memory than a small one.
//
//   skiff-httpd --port net_tap0,iface=sk0 --addr 198.18.0.2/24 --addr 2001:2::2/64 --http-port 80
//   curl -o /dev/null http://198.18.0.2/bytes/67108864

#include "httpd/http.h"
#include "httpd/pattern.h"
#include "shim/skiff.h"

#include <netinet/tcp.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string_view>
#include <vector>

namespace {

using namespace skiff::apps;

/// The cap on a request's line and header section: above it, 431.
constexpr size_t max_header = 8192;
/// How much of a body one send offers at most.
constexpr size_t chunk_size = 64 * 1024;
/// How long a connection that is closing waits for the peer's FIN.
constexpr uint64_t linger_ms = 2000;

struct config {
	uint16_t port = 80;
	size_t max_conns = 1000;
	uint64_t idle_ms = 60000;
};

enum class phase {
	reading,    ///< waiting for (the rest of) a request
	responding, ///< sending an answer
	lingering,  ///< answered and shut down for writing; draining until the peer's FIN
};

struct connection {
	int fd = -1;
	size_t index = 0; ///< in server::_conns
	phase ph = phase::reading;
	uint32_t interest = 0; ///< the events registered with epoll
	uint64_t last_active_ms = 0;
	uint64_t batch = 0;       ///< the last epoll batch that reported it
	bool peer_closed = false; ///< read returned 0
	uint64_t discard = 0;     ///< request body bytes still to skip

	// The answer in progress.
	http::response resp;
	char head[512];
	size_t head_len = 0;
	size_t head_sent = 0;
	uint64_t body_sent = 0;

	size_t in_len = 0;
	char in[max_header];
};

struct stats {
	uint64_t accepted = 0;
	uint64_t refused = 0; ///< accepted past --max-conns and closed at once
	uint64_t requests = 0;
	uint64_t errors = 0; ///< 4xx/5xx answers
	uint64_t body_bytes = 0;
};

uint64_t now_ms() {
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

class server {
public:
	explicit server(const config &cfg) : _cfg(cfg), _scratch(new uint8_t[chunk_size + 512]) {}
	~server();
	int open();
	void run();
	void print_stats() const;

private:
	void accept_all();
	void pause_accept(bool pause);
	void on_event(connection &c, uint32_t events);
	bool read_more(connection &c);
	bool serve_requests(connection &c);
	void start_response(connection &c, const http::response &r, int minor);
	bool write_more(connection &c);
	size_t fill_body(connection &c, uint8_t *dst, size_t cap);
	void finish_response(connection &c);
	void drain(connection &c);
	void set_interest(connection &c, uint32_t events);
	void close_conn(connection &c);
	void reap_idle();
	void bury();
	std::string_view date();

	config _cfg;
	int _ep = -1;
	int _listener = -1;
	bool _accept_paused = false; ///< the socket layer is out of descriptors or memory
	std::vector<connection *> _conns;
	std::vector<connection *> _graveyard; ///< closed, freed after the batch
	uint64_t _batch = 0;                  ///< epoll_wait calls so far
	std::unique_ptr<uint8_t[]> _scratch;
	/// The body bytes in _scratch: connection and stream offset, so that a
	/// partial send does not regenerate what the socket did not take.
	const connection *_cached = nullptr;
	uint64_t _cached_off = 0;
	size_t _cached_len = 0;
	time_t _date_time = 0;
	char _date[40] = {};
	stats _stats;
};

server::~server() {
	for (connection *c : _conns) {
		skiff_close(c->fd);
		delete c;
	}
	bury();
	if (_listener >= 0) {
		skiff_close(_listener);
	}
	if (_ep >= 0) {
		skiff_close(_ep);
	}
}

// One IPv6 socket serves both families: with IPV6_V6ONLY off, IPv4 clients
// arrive as v4-mapped addresses.
int server::open() {
	int off = 0;
	int on = 1;
	sockaddr_in6 addr = {};
	addr.sin6_family = AF_INET6;
	addr.sin6_port = htons(_cfg.port);
	_listener = skiff_socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (_listener < 0 ||
	    skiff_setsockopt(_listener, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0 ||
	    skiff_setsockopt(_listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    skiff_bind(_listener, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) < 0 ||
	    skiff_listen(_listener, 1024) < 0) {
		return -1;
	}
	_ep = skiff_epoll_create1(0);
	epoll_event ev = {};
	ev.events = EPOLLIN;
	ev.data.ptr = nullptr; // the listener; connections carry their own pointer
	if (_ep < 0 || skiff_epoll_ctl(_ep, EPOLL_CTL_ADD, _listener, &ev) < 0) {
		return -1;
	}
	return 0;
}

void server::run() {
	epoll_event events[256];
	uint64_t next_reap = now_ms() + 1000;
	while (!skiff_stopping()) { // SIGINT, SIGTERM or --duration
		int n = skiff_epoll_wait(_ep, events, 256, 200);
		_batch++;
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "skiff-httpd: epoll_wait: %s\n", strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			if (events[i].data.ptr == nullptr) {
				accept_all();
			} else {
				on_event(*static_cast<connection *>(events[i].data.ptr),
				         events[i].events);
			}
		}
		bury();
		if (now_ms() >= next_reap) {
			reap_idle();
			bury();
			if (_accept_paused) {
				pause_accept(false);
			}
			next_reap = now_ms() + 1000;
		}
	}
}

void server::accept_all() {
	for (int i = 0; i < 64; i++) {
		int fd = skiff_accept(_listener, nullptr, nullptr);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
				// EMFILE, ENOBUFS, ...: the listener stays readable, so stop
				// watching it until reap_idle() has had a chance to free some.
				fprintf(stderr, "skiff-httpd: accept: %s (pausing for a second)\n",
				        strerror(errno));
				pause_accept(true);
			}
			return;
		}
		_stats.accepted++;
		if (_conns.size() >= _cfg.max_conns) {
			_stats.refused++;
			skiff_close(fd);
			continue;
		}
		int one = 1;
		skiff_fcntl(fd, F_SETFL, O_NONBLOCK);
		// Answers go out whole; Nagle would only hold back their last segment.
		skiff_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		auto *c = new connection;
		c->fd = fd;
		c->index = _conns.size();
		c->last_active_ms = now_ms();
		epoll_event ev = {};
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (skiff_epoll_ctl(_ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			fprintf(stderr, "skiff-httpd: epoll_ctl: %s\n", strerror(errno));
			skiff_close(fd);
			delete c;
			continue;
		}
		c->interest = EPOLLIN;
		_conns.push_back(c);
	}
}

void server::pause_accept(bool pause) {
	epoll_event ev = {};
	ev.events = pause ? 0u : uint32_t(EPOLLIN);
	ev.data.ptr = nullptr;
	if (skiff_epoll_ctl(_ep, EPOLL_CTL_MOD, _listener, &ev) == 0) {
		_accept_paused = pause;
	}
}

void server::on_event(connection &c, uint32_t events) {
	// A connection closed earlier in this batch waits in _graveyard; and
	// one report per connection and batch is enough.
	if (c.fd < 0 || c.batch == _batch) {
		return;
	}
	c.batch = _batch;
	if (events & EPOLLERR) {
		close_conn(c); // reset, or unreachable
		return;
	}
	switch (c.ph) {
	case phase::reading:
		if (!read_more(c)) {
			return;
		}
		break;
	case phase::responding:
		if (!write_more(c)) {
			return;
		}
		break;
	case phase::lingering:
		drain(c);
		return;
	}
	// Requests may wait in the buffer behind the answer just finished.
	if (c.ph == phase::reading && !serve_requests(c)) {
		return;
	}
	if (c.ph != phase::lingering) {
		set_interest(c, c.ph == phase::responding ? EPOLLOUT : EPOLLIN);
	}
}

// Read what the socket has into the request buffer (and past a body we
// skip). False if the connection was closed.
bool server::read_more(connection &c) {
	for (;;) {
		size_t room = sizeof(c.in) - c.in_len;
		if (room == 0) {
			return true; // a full buffer: serve_requests() answers 431
		}
		ssize_t n = skiff_recv(c.fd, c.in + c.in_len, room, 0);
		if (n > 0) {
			c.in_len += size_t(n);
			c.last_active_ms = now_ms();
			continue;
		}
		if (n == 0) {
			c.peer_closed = true;
			return true;
		}
		if (errno == EAGAIN || errno == EINTR) {
			return true;
		}
		close_conn(c);
		return false;
	}
}

// Answer the requests in the buffer, one at a time. False if the
// connection was closed.
bool server::serve_requests(connection &c) {
	while (c.ph == phase::reading) {
		if (c.discard > 0) {
			size_t n = c.discard < c.in_len ? size_t(c.discard) : c.in_len;
			memmove(c.in, c.in + n, c.in_len - n);
			c.in_len -= n;
			c.discard -= n;
			if (c.discard > 0) {
				break;
			}
		}
		http::parse_result p =
		    http::parse_request(std::string_view(c.in, c.in_len), max_header);
		if (p.status == http::parse_status::incomplete) {
			break;
		}
		_stats.requests++;
		int minor = p.status == http::parse_status::ok ? p.req.minor : 1;
		http::response r;
		switch (p.status) {
		case http::parse_status::ok:
			r = http::route(p.req);
			break;
		case http::parse_status::too_large:
			r = http::error_response(431, true);
			break;
		case http::parse_status::bad_version:
			r = http::error_response(505, true);
			break;
		case http::parse_status::unsupported:
			r = http::error_response(501, true);
			break;
		default:
			r = http::error_response(400, true);
			break;
		}
		if (p.req.method == "HEAD") {
			r.head_only = true;
		}
		// The request's views point into c.in: use them before consuming it.
		start_response(c, r, minor);
		size_t used = p.status == http::parse_status::ok ? p.header_len : c.in_len;
		memmove(c.in, c.in + used, c.in_len - used);
		c.in_len -= used;
		c.discard = p.status == http::parse_status::ok ? p.req.content_length : 0;
		if (!write_more(c)) {
			return false;
		}
	}
	if (c.ph == phase::reading && c.peer_closed) {
		close_conn(c); // the client is done, and nothing is left to answer
		return false;
	}
	return true;
}

void server::start_response(connection &c, const http::response &r, int minor) {
	c.resp = r;
	c.head_len = http::format_head(r, minor, date(), c.head, sizeof(c.head));
	c.head_sent = 0;
	c.body_sent = 0;
	c.ph = phase::responding;
	if (r.status >= 400) {
		_stats.errors++;
	}
}

// The body bytes from c.body_sent on, at most `cap`, into dst.
size_t server::fill_body(connection &c, uint8_t *dst, size_t cap) {
	uint64_t left = c.resp.head_only ? 0 : c.resp.body_len - c.body_sent;
	size_t n = left < cap ? size_t(left) : cap;
	if (c.resp.pattern) {
		pattern_fill(dst, c.body_sent, n);
	} else {
		memcpy(dst, c.resp.text.data() + c.body_sent, n);
	}
	return n;
}

// Send as much of the answer as the socket takes. False if the connection
// was closed.
bool server::write_more(connection &c) {
	while (c.ph == phase::responding) {
		uint8_t *buf = _scratch.get();
		size_t len;
		size_t head_left = c.head_len - c.head_sent;
		if (head_left == 0 && _cached == &c && _cached_off == c.body_sent &&
		    _cached_len > 0) {
			len = _cached_len; // what the socket did not take last time
		} else if (head_left > 0) {
			// The rest of the head and the start of the body in one send.
			_cached = nullptr;
			memcpy(buf, c.head + c.head_sent, head_left);
			len = head_left + fill_body(c, buf + head_left, chunk_size);
		} else {
			_cached = nullptr;
			len = fill_body(c, buf, chunk_size);
		}
		if (len == 0) {
			finish_response(c);
			break;
		}
		ssize_t n = skiff_send(c.fd, buf, len, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS) {
				_cached = head_left > 0 ? nullptr : &c;
				_cached_off = c.body_sent;
				_cached_len = head_left > 0 ? 0 : len;
				return true; // EPOLLOUT says when to go on
			}
			close_conn(c);
			return false;
		}
		c.last_active_ms = now_ms();
		size_t sent = size_t(n);
		size_t from_head = sent < head_left ? sent : head_left;
		c.head_sent += from_head;
		c.body_sent += sent - from_head;
		_stats.body_bytes += sent - from_head;
		if (sent < len && head_left == 0) {
			// Keep the unsent tail where the next send will want it.
			memmove(buf, buf + sent, len - sent);
			_cached = &c;
			_cached_off = c.body_sent;
			_cached_len = len - sent;
			return true;
		}
		_cached = nullptr;
	}
	return true;
}

void server::finish_response(connection &c) {
	if (c.resp.close) {
		// Lingering close: shut our side, then read until the peer's FIN, so
		// that a request still in flight does not turn our close into a reset
		// that could destroy the answer before the client has read it.
		skiff_shutdown(c.fd, SHUT_WR);
		c.ph = phase::lingering;
		c.last_active_ms = now_ms();
		set_interest(c, EPOLLIN);
		return;
	}
	c.ph = phase::reading;
}

void server::drain(connection &c) {
	char sink[4096];
	for (;;) {
		ssize_t n = skiff_recv(c.fd, sink, sizeof(sink), 0);
		if (n > 0) {
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return;
		}
		close_conn(c); // the FIN (or an error): done
		return;
	}
}

void server::set_interest(connection &c, uint32_t events) {
	if (c.interest == events) {
		return;
	}
	epoll_event ev = {};
	ev.events = events;
	ev.data.ptr = &c;
	if (skiff_epoll_ctl(_ep, EPOLL_CTL_MOD, c.fd, &ev) == 0) {
		c.interest = events;
	}
}

void server::close_conn(connection &c) {
	// skiff_close() leaves the epoll set too; deleting first keeps a late
	// event from ever carrying a pointer to a freed connection.
	if (skiff_epoll_ctl(_ep, EPOLL_CTL_DEL, c.fd, nullptr) < 0) {
		fprintf(stderr, "skiff-httpd: epoll_ctl(DEL, %d): %s\n", c.fd, strerror(errno));
	}
	if (skiff_close(c.fd) < 0) {
		fprintf(stderr, "skiff-httpd: close(%d): %s\n", c.fd, strerror(errno));
	}
	if (_cached == &c) {
		_cached = nullptr;
	}
	connection *last = _conns.back();
	_conns[c.index] = last;
	last->index = c.index;
	_conns.pop_back();
	c.fd = -1;
	_graveyard.push_back(&c);
}

// Free the connections closed in this batch, once no event of the batch can
// point at them.
void server::bury() {
	for (connection *c : _graveyard) {
		delete c;
	}
	_graveyard.clear();
}

// Connections idle past --idle-timeout, and closing ones whose peer never
// sent its FIN, are closed.
void server::reap_idle() {
	uint64_t now = now_ms();
	for (size_t i = 0; i < _conns.size();) {
		connection *c = _conns[i];
		uint64_t limit = c->ph == phase::lingering ? linger_ms : _cfg.idle_ms;
		if (now - c->last_active_ms > limit) {
			close_conn(*c); // moves the last one to i
		} else {
			i++;
		}
	}
}

// RFC 9110 6.6.1: an origin server with a clock sends Date.
std::string_view server::date() {
	time_t t = time(nullptr);
	if (t != _date_time) {
		tm utc;
		gmtime_r(&t, &utc);
		strftime(_date, sizeof(_date), "%a, %d %b %Y %H:%M:%S GMT", &utc);
		_date_time = t;
	}
	return _date;
}

void server::print_stats() const {
	fprintf(stderr,
	        "skiff-httpd: %llu connections (%llu refused at --max-conns), %llu requests, "
	        "%llu errors, %llu body bytes\n",
	        (unsigned long long)_stats.accepted, (unsigned long long)_stats.refused,
	        (unsigned long long)_stats.requests, (unsigned long long)_stats.errors,
	        (unsigned long long)_stats.body_bytes);
}

/// A decimal option in [lo, hi]; false (after one line) otherwise.
bool parse_option(const char *name, const char *text, uint64_t lo, uint64_t hi, uint64_t &out) {
	char *end = nullptr;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || *text == '-' || v < lo || v > hi) {
		fprintf(stderr, "skiff-httpd: %s must be a number from %llu to %llu, not '%s'\n",
		        name, (unsigned long long)lo, (unsigned long long)hi, text);
		return false;
	}
	out = v;
	return true;
}

} // namespace

int main(int argc, char **argv) {
	const char *port = "80";
	const char *max_conns = "1000";
	const char *idle = "60";
	skiff_add_option("--http-port", &port, "TCP port to serve HTTP on");
	skiff_add_option("--max-conns", &max_conns, "Connections served at once; more are closed");
	skiff_add_option("--idle-timeout", &idle, "Seconds before an idle connection is closed");
	int rc = skiff_init(argc, argv);
	if (rc != 0) {
		return rc < 0; // 1 after an error (already printed), 0 after --help
	}
	config cfg;
	uint64_t v_port = 0;
	uint64_t v_conns = 0;
	uint64_t v_idle = 0;
	if (!parse_option("--http-port", port, 1, 65535, v_port) ||
	    !parse_option("--max-conns", max_conns, 1, 1000000, v_conns) ||
	    !parse_option("--idle-timeout", idle, 1, 86400, v_idle)) {
		skiff_fini();
		return 1;
	}
	cfg.port = uint16_t(v_port);
	cfg.max_conns = size_t(v_conns);
	cfg.idle_ms = v_idle * 1000;
	rc = 0;
	{
		server srv(cfg);
		if (srv.open() < 0) {
			fprintf(stderr, "skiff-httpd: cannot serve TCP port %u: %s\n",
			        unsigned(cfg.port), strerror(errno));
			rc = 1;
		} else {
			fprintf(stderr, "skiff-httpd: serving HTTP on port %u\n",
			        unsigned(cfg.port));
			srv.run();
			srv.print_stats();
		}
	}
	skiff_fini();
	return rc;
}
