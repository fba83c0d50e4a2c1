// kernel-tcp-echo: the work of `skiff-echo --client --tcp MODE`, done by
// Linux kernel TCP sockets over loopback, for a side-by-side comparison
// (perf/tcp_bench.sh). Same modes, same exchanges, same report
// (apps/echo/tcp_echo.h):
//
//   rr    --conns persistent connections, one --size message outstanding on
//         each; blocking send/recv with one connection, epoll with more
//   crr   connect, one exchange, close, on one blocking socket at a time
//   bulk  --bytes of the pattern on one connection; the server checks it and
//         answers the FIN with a bulk_summary
//   idle  --conns idle connections; the kernel memory they take is the growth
//         of /proc/slabinfo (active objects x object size, every cache: TCP,
//         TCPv6, sock_inode_cache, dentry, filp, ...) or, without root, of
//         Slab in /proc/meminfo, divided by the 2 x conns sockets
//
// The server thread is pinned to --server-cpu and serves every connection
// from one epoll set; the client thread is pinned to --client-cpu. Both
// block in the kernel by default; --busy-poll makes them spin with
// nonblocking calls instead, as skiff's lcores do.
//
//   kernel-tcp-echo --mode rr --duration 5 --size 64 --server-cpu 0 --client-cpu 1

#include "kernel_echo_common.h"
#include "tcp_echo.h"

#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using skiff::echo::tcp_mode;
using namespace skiff::kernel_echo;

constexpr const char *prog = "kernel-tcp-echo";
constexpr size_t chunk = 64 * 1024;

struct config : loopback_options {
	tcp_mode mode = tcp_mode::rr;
	unsigned conns = 1;
	unsigned size = 64;
	uint64_t bytes = 64ull << 20;
	double duration = 5;
	double warmup = 0.5;
};

std::atomic<bool> stop{false};

void set_nodelay(int fd) {
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/// A listener on an ephemeral loopback port; -1 on failure.
int make_listener(const config &cfg, uint16_t &port) {
	int fd = socket(cfg.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sockaddr_storage a = loopback(cfg.ipv6, 0);
	socklen_t len = addr_len(cfg.ipv6);
	if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&a), len) != 0 ||
	    listen(fd, 4096) != 0 || getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) != 0) {
		std::fprintf(stderr, "%s: cannot listen on loopback: %s\n", prog, strerror(errno));
		return -1;
	}
	set_nodelay(fd);
	port = ntohs(cfg.ipv6 ? reinterpret_cast<sockaddr_in6 *>(&a)->sin6_port
	                      : reinterpret_cast<sockaddr_in *>(&a)->sin_port);
	return fd;
}

// ---- Byte streams --------------------------------------------------------------

/// Call @p io (a send or a recv of up to n bytes at p) until @p len bytes
/// have moved; false on an error or the end of the stream. EAGAIN, which
/// only nonblocking (busy-polling) calls see, means try again.
template <typename Byte, typename Io> bool move_all(Byte *p, size_t len, Io io) {
	while (len > 0) {
		ssize_t n = io(p, len);
		if (n < 0 && errno == EAGAIN) {
			continue;
		}
		if (n <= 0) {
			return false;
		}
		p += n;
		len -= size_t(n);
	}
	return true;
}

/// Send all of @p len bytes; blocking unless @p busy.
bool send_all(int fd, const uint8_t *p, size_t len, bool busy) {
	int flags = MSG_NOSIGNAL | (busy ? MSG_DONTWAIT : 0);
	return move_all(p, len,
	                [&](const uint8_t *at, size_t n) { return send(fd, at, n, flags); });
}

/// Receive exactly @p len bytes; blocking unless @p busy.
bool recv_all(int fd, uint8_t *p, size_t len, bool busy) {
	int flags = busy ? MSG_DONTWAIT : 0;
	return move_all(p, len, [&](uint8_t *at, size_t n) { return recv(fd, at, n, flags); });
}

// ---- Server --------------------------------------------------------------------

/// Echo (or, for bulk, check and summarise) every connection from one
/// epoll set, level-triggered, until `stop`.
class server {
public:
	server(const config &cfg, int listener)
	    : _cfg(cfg), _listener(listener), _buf(new uint8_t[chunk]),
	      _scratch(new uint8_t[chunk]) {}

	void run() {
		pin_thread(prog, _cfg.server_cpu, "server");
		_ep = epoll_create1(0);
		add(_listener, 0);
		epoll_event evs[64];
		while (!stop.load(std::memory_order_relaxed)) {
			int n = epoll_wait(_ep, evs, 64, _cfg.busy_poll ? 0 : 10);
			for (int i = 0; i < n; i++) {
				if (evs[i].data.u64 == 0) {
					accept_all();
				} else {
					serve(evs[i].data.u64 - 1);
				}
			}
		}
		for (auto &c : _conns) {
			if (c.fd >= 0) {
				close(c.fd);
			}
		}
		close(_ep);
	}

	uint64_t received = 0, mismatches = 0;

private:
	struct conn {
		int fd = -1;
		uint64_t offset = 0;
		uint64_t bad = 0;
	};

	void add(int fd, uint64_t key) {
		epoll_event ev{};
		ev.events = EPOLLIN;
		ev.data.u64 = key;
		epoll_ctl(_ep, EPOLL_CTL_ADD, fd, &ev);
	}

	void accept_all() {
		for (;;) {
			int fd = accept4(_listener, nullptr, nullptr, 0);
			if (fd < 0) {
				return;
			}
			set_nodelay(fd);
			_conns.push_back(conn{fd});
			add(fd, _conns.size());
		}
	}

	void finish(conn &c) {
		close(c.fd); // also leaves the epoll set
		c.fd = -1;
	}

	void serve(size_t i) {
		conn &c = _conns[i];
		if (c.fd < 0) {
			return;
		}
		ssize_t n = recv(c.fd, _buf.get(), chunk, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			return;
		}
		if (n <= 0) {
			if (n == 0 && _cfg.mode == tcp_mode::bulk) {
				skiff::echo::bulk_summary sum{c.offset, c.bad};
				send_all(c.fd, reinterpret_cast<const uint8_t *>(&sum), sizeof(sum),
				         false);
			}
			finish(c);
			return;
		}
		if (_cfg.mode != tcp_mode::bulk) {
			// Blocking: the client reads what it asked for, so an echo
			// of at most one chunk never waits for long.
			if (!send_all(c.fd, _buf.get(), size_t(n), false)) {
				finish(c);
			}
			return;
		}
		uint64_t bad = skiff::echo::pattern_mismatches(_buf.get(), c.offset, size_t(n),
		                                               _scratch.get());
		c.offset += uint64_t(n);
		c.bad += bad;
		received += uint64_t(n);
		mismatches += bad;
	}

	const config &_cfg;
	int _listener;
	int _ep = -1;
	std::vector<conn> _conns;
	std::unique_ptr<uint8_t[]> _buf, _scratch;
};

// ---- Client --------------------------------------------------------------------

int connect_to(const config &cfg, uint16_t port) {
	int fd = socket(cfg.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		return -1;
	}
	set_nodelay(fd);
	sockaddr_storage a = loopback(cfg.ipv6, port);
	if (connect(fd, reinterpret_cast<sockaddr *>(&a), addr_len(cfg.ipv6)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/// The measured period of rr and crr: after the warm-up, for the duration.
struct clock_window {
	explicit clock_window(const config &cfg) {
		uint64_t t = now_ns();
		from = t + ns_of(cfg.warmup);
		to = from + ns_of(cfg.duration);
	}
	bool measuring(uint64_t t) const { return t >= from && t < to; }
	uint64_t from, to;
};

void finish_window(skiff::echo::tcp_run_result &r, const clock_window &w) {
	r.seconds = double(std::min(now_ns(), w.to) - w.from) / 1e9;
}

// One exchange on a persistent connection; false on failure.
bool exchange(int fd, const std::vector<uint8_t> &msg, std::vector<uint8_t> &in, bool busy) {
	return send_all(fd, msg.data(), msg.size(), busy) &&
	       recv_all(fd, in.data(), in.size(), busy) &&
	       std::memcmp(in.data(), msg.data(), msg.size()) == 0;
}

void run_rr_one(const config &cfg, uint16_t port, skiff::echo::tcp_run_result &r) {
	std::vector<uint8_t> msg(cfg.size), in(cfg.size);
	skiff::apps::pattern_fill(msg.data(), 0, cfg.size);
	int fd = connect_to(cfg, port);
	if (fd < 0) {
		r.errors++;
		return;
	}
	clock_window w(cfg);
	for (uint64_t t = now_ns(); t < w.to; t = now_ns()) {
		if (!exchange(fd, msg, in, cfg.busy_poll)) {
			r.errors++;
			break;
		}
		uint64_t done = now_ns();
		if (w.measuring(t)) {
			r.lat.add(done - t);
			r.transactions++;
		}
	}
	finish_window(r, w);
	close(fd);
}

// Several persistent connections, one message outstanding on each.
void run_rr_many(const config &cfg, uint16_t port, skiff::echo::tcp_run_result &r) {
	std::vector<uint8_t> msg(cfg.size), in(cfg.size);
	skiff::apps::pattern_fill(msg.data(), 0, cfg.size);
	int ep = epoll_create1(0);
	std::vector<int> fds;
	std::vector<uint64_t> sent_at(cfg.conns);
	for (unsigned i = 0; i < cfg.conns; i++) {
		int fd = connect_to(cfg, port);
		if (fd < 0) {
			r.errors++;
			continue;
		}
		epoll_event ev{};
		ev.events = EPOLLIN;
		ev.data.u32 = uint32_t(fds.size());
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		fds.push_back(fd);
	}
	clock_window w(cfg);
	for (size_t i = 0; i < fds.size(); i++) {
		sent_at[i] = now_ns();
		send_all(fds[i], msg.data(), msg.size(), false);
	}
	epoll_event evs[64];
	while (now_ns() < w.to) {
		int n = epoll_wait(ep, evs, 64, cfg.busy_poll ? 0 : 10);
		for (int k = 0; k < n; k++) {
			uint32_t i = evs[k].data.u32;
			if (!recv_all(fds[i], in.data(), in.size(), false)) {
				r.errors++;
				continue;
			}
			uint64_t t = now_ns();
			if (w.measuring(sent_at[i])) {
				r.lat.add(t - sent_at[i]);
				r.transactions++;
			}
			sent_at[i] = t;
			send_all(fds[i], msg.data(), msg.size(), false);
		}
	}
	finish_window(r, w);
	for (int fd : fds) {
		close(fd);
	}
	close(ep);
}

void run_crr(const config &cfg, uint16_t port, skiff::echo::tcp_run_result &r) {
	std::vector<uint8_t> msg(cfg.size), in(cfg.size);
	skiff::apps::pattern_fill(msg.data(), 0, cfg.size);
	clock_window w(cfg);
	for (uint64_t t = now_ns(); t < w.to; t = now_ns()) {
		int fd = connect_to(cfg, port);
		bool ok = fd >= 0 && exchange(fd, msg, in, cfg.busy_poll);
		if (fd >= 0) {
			close(fd);
		}
		if (!ok) {
			r.errors++;
			continue;
		}
		if (w.measuring(t)) {
			r.lat.add(now_ns() - t);
			r.transactions++;
		}
	}
	finish_window(r, w);
}

void run_bulk(const config &cfg, uint16_t port, skiff::echo::tcp_run_result &r) {
	int fd = connect_to(cfg, port);
	if (fd < 0) {
		r.errors++;
		return;
	}
	std::unique_ptr<uint8_t[]> buf(new uint8_t[chunk]);
	uint64_t t0 = now_ns();
	bool ok = true;
	for (uint64_t off = 0; ok && off < cfg.bytes; off += chunk) {
		size_t n = size_t(std::min<uint64_t>(chunk, cfg.bytes - off));
		skiff::apps::pattern_fill(buf.get(), off, n);
		ok = send_all(fd, buf.get(), n, cfg.busy_poll);
		r.bytes += ok ? n : 0;
	}
	shutdown(fd, SHUT_WR);
	skiff::echo::bulk_summary sum{};
	r.complete = ok && recv_all(fd, reinterpret_cast<uint8_t *>(&sum), sizeof(sum), false);
	r.seconds = double(now_ns() - t0) / 1e9;
	r.received = sum.received;
	r.mismatches = sum.mismatches;
	tcp_info ti{};
	socklen_t len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
		r.retransmits = ti.tcpi_total_retrans;
	}
	r.errors += ok ? 0 : 1;
	close(fd);
}

// ---- Idle connections: kernel memory -------------------------------------------

/// Bytes in the kernel's slab caches: the sum of active objects x object
/// size from /proc/slabinfo (root only; each cache's share in @p caches),
/// else Slab from /proc/meminfo.
double slab_bytes(const char *&method, std::map<std::string, double> &caches) {
	std::ifstream slab("/proc/slabinfo");
	std::string line;
	if (slab && std::getline(slab, line)) {
		double total = 0;
		while (std::getline(slab, line)) {
			if (line.empty() || line[0] == '#') {
				continue;
			}
			std::istringstream in(line);
			std::string name;
			double active = 0, num = 0, size = 0;
			if (in >> name >> active >> num >> size) {
				total += active * size;
				caches[name] += active * size;
			}
		}
		method = "slabinfo_active_objs_delta";
		return total;
	}
	std::ifstream mem("/proc/meminfo");
	while (std::getline(mem, line)) {
		if (line.rfind("Slab:", 0) == 0) {
			method = "meminfo_slab_delta";
			return std::stod(line.substr(5)) * 1024;
		}
	}
	method = "none";
	return 0;
}

/// The caches that grew most, per socket: where the bytes go.
void print_top_caches(const std::map<std::string, double> &before,
                      const std::map<std::string, double> &after, double sockets) {
	std::vector<std::pair<double, std::string>> grew;
	for (const auto &[name, bytes] : after) {
		auto it = before.find(name);
		double d = (bytes - (it == before.end() ? 0 : it->second)) / sockets;
		if (d >= 8) {
			grew.emplace_back(d, name);
		}
	}
	std::sort(grew.rbegin(), grew.rend());
	std::printf("kernel: slab growth per socket:");
	for (size_t i = 0; i < grew.size() && i < 8; i++) {
		std::printf(" %s %.0f", grew[i].second.c_str(), grew[i].first);
	}
	std::printf("\n");
}

int run_idle(const config &cfg) {
	rlimit rl{};
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 2 * cfg.conns + 16) {
		std::fprintf(stderr,
		             "%s: %u idle connections need %u descriptors; the limit is %lu: "
		             "lower --conns\n",
		             prog, cfg.conns, 2 * cfg.conns + 16, (unsigned long)rl.rlim_cur);
		return 1;
	}
	uint16_t port = 0;
	int l = make_listener(cfg, port);
	if (l < 0) {
		return 1;
	}
	skiff::echo::tcp_run_result r;
	r.impl = "kernel";
	r.mode = tcp_mode::idle;
	std::vector<int> fds;
	fds.reserve(2 * cfg.conns);
	const char *method = "";
	std::map<std::string, double> caches_before, caches_after;
	double before = slab_bytes(method, caches_before);
	for (unsigned i = 0; i < cfg.conns; i++) {
		int c = connect_to(cfg, port);
		int s = -1;
		for (int tries = 0; c >= 0 && s < 0 && tries < 1000; tries++) {
			s = accept4(l, nullptr, nullptr, 0);
			if (s < 0) {
				usleep(100);
			}
		}
		if (c < 0 || s < 0) {
			r.errors++;
			break;
		}
		fds.push_back(c);
		fds.push_back(s);
	}
	usleep(200'000); // let the last ACKs and per-CPU slab caches settle
	double after = slab_bytes(method, caches_after);
	r.conns = unsigned(fds.size() / 2);
	print_top_caches(caches_before, caches_after, double(fds.size()));
	r.bytes_per_conn = r.conns ? (after - before) / double(fds.size()) : 0;
	r.buffer_bytes = 0; // an idle kernel socket holds no buffer memory
	r.method = method;
	for (int fd : fds) {
		close(fd);
	}
	close(l);
	skiff::echo::print_tcp_result(stdout, r);
	return r.errors == 0 ? 0 : 1;
}

int run(const config &cfg) {
	if (cfg.mode == tcp_mode::idle) {
		return run_idle(cfg);
	}
	uint16_t port = 0;
	int l = make_listener(cfg, port);
	if (l < 0) {
		return 1;
	}
	server srv(cfg, l);
	std::thread st([&] { srv.run(); });
	skiff::echo::tcp_run_result r;
	r.impl = "kernel";
	r.mode = cfg.mode;
	r.conns = cfg.mode == tcp_mode::rr ? cfg.conns : 1;
	r.size = cfg.size;
	std::thread ct([&] {
		pin_thread(prog, cfg.client_cpu, "client");
		switch (cfg.mode) {
		case tcp_mode::rr:
			cfg.conns == 1 ? run_rr_one(cfg, port, r) : run_rr_many(cfg, port, r);
			break;
		case tcp_mode::crr:
			run_crr(cfg, port, r);
			break;
		default:
			run_bulk(cfg, port, r);
			break;
		}
	});
	ct.join();
	stop.store(true);
	st.join();
	close(l);
	if (cfg.mode == tcp_mode::bulk) {
		std::printf("kernel: server saw %lu bytes, %lu mismatched\n",
		            (unsigned long)srv.received, (unsigned long)srv.mismatches);
	}
	skiff::echo::print_tcp_result(stdout, r);
	if (cfg.mode == tcp_mode::bulk) {
		return intact(r) ? 0 : 1;
	}
	return r.transactions > 0 ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
	config cfg;
	std::string mode = "rr";
	CLI::App app{"kernel-tcp-echo: skiff-echo --client --tcp's exchanges over Linux loopback "
	             "TCP sockets"};
	app.add_option("--mode", mode, "rr, crr, bulk or idle")->capture_default_str();
	app.add_option("--conns", cfg.conns, "rr, idle: connections")->capture_default_str();
	app.add_option("--size", cfg.size, "rr, crr: message bytes")->capture_default_str();
	app.add_option("--bytes", cfg.bytes, "bulk: bytes to send")->capture_default_str();
	app.add_option("--duration", cfg.duration, "rr, crr: measured seconds")
	    ->capture_default_str();
	app.add_option("--warmup", cfg.warmup, "rr, crr: seconds before measuring")
	    ->capture_default_str();
	skiff::kernel_echo::add_loopback_options(app, cfg);
	CLI11_PARSE(app, argc, argv);
	auto m = skiff::echo::parse_tcp_mode(mode);
	if (!m || cfg.size == 0 || cfg.size > chunk || cfg.conns == 0) {
		std::fprintf(stderr,
		             "%s: --mode takes rr, crr, bulk or idle; --size 1..%zu; --conns "
		             ">= 1 (see --help)\n",
		             prog, chunk);
		return 1;
	}
	cfg.mode = *m;
	return run(cfg);
}
