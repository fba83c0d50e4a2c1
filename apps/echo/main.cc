// skiff-echo: a UDP echo server (RFC 862) on skiff's native, zero-copy API,
// and a client mode that measures it.
//
// Server: each datagram to --port-num (default 7) goes back to its sender in
// the mbuf it arrived in. The callback runs on the lcore that received the
// datagram, never copies the payload, and the stack pushes the UDP, IP and
// Ethernet headers into the mbuf's headroom.
//
//   skiff-echo --port net_tap0,iface=sk0 --addr 198.18.0.2/24 --addr 2001:2::2/64
//
// Client (--client): two stacks in this process, joined by a virtual cable
// made of two DPDK rings. The echo server runs on the first lcore and a
// client on the second. For --duration seconds (after --warmup), the client
// keeps --window datagrams of --size bytes in flight. Each datagram carries
// a sequence number and a TSC timestamp. The client reports echoed datagrams
// per second and round-trip percentiles. It needs no NIC, no root and no
// hugepages.
//
//   skiff-echo --client --lcores 0-1 --duration 5 --window 32 --size 64
//
// TCP (--tcp): the server echoes TCP on --port-num, accepting on every
// lcore. The client mode measures TCP between the two in-process stacks
// (tcp_echo.h, tcp_mode.h): --tcp rr (--conns persistent connections, one
// --size message outstanding on each: transactions/s and round trips),
// --tcp crr (connect, one exchange, close: connections/s), --tcp bulk (one
// connection carries --bytes of a pattern that the server checks: Gbit/s
// and intact delivery) and --tcp idle (--conns idle connections: heap bytes
// per connection). Each side's application runs on its stack's lcore
// between polls, on the nonblocking socket-layer calls.
//
//   skiff-echo --client --tcp rr --lcores 0-1 --duration 5 --size 64
//   skiff-echo --client --tcp bulk --bytes 8388608 --wire "loss=1,seed=1"

#include "echo_stats.h"
#include "runtime/host.h"
#include "runtime/runtime.h"
#include "tcp_mode.h"

#include "net/report.h"
#include "net/worker.h"

#include <CLI/CLI.hpp>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using skiff::error;
using skiff::make_error;
using skiff::result;
using skiff::app::host;
using skiff::net::any_addr;
using skiff::net::ipv4_addr;
using skiff::net::ipv6_addr;
using skiff::net::udp_meta;
using skiff::net::worker;

constexpr const char *prog = "skiff-echo";

// ---- Server ---------------------------------------------------------------------

// A datagram sent to a broadcast or multicast address is answered from a
// unicast one: the route picks it when the source is the wildcard.
bool is_group(const skiff::net::stack &st, const any_addr &a) {
	if (const auto *v4 = std::get_if<ipv4_addr>(&a)) {
		if (v4->is_multicast() || v4->is_broadcast()) {
			return true;
		}
		for (const auto &ifc : st.ifaces()) {
			if (ifc.is_broadcast_for_us(*v4)) {
				return true;
			}
		}
		return false;
	}
	return std::get<ipv6_addr>(a).is_multicast();
}

// The whole server, called on the receiving lcore: turn the mbuf around.
void echo_rx(void *ctx, worker &w, rte_mbuf *m, const udp_meta &meta) {
	const auto &st = *static_cast<const skiff::net::stack *>(ctx);
	if (is_group(st, meta.to)) {
		any_addr any = meta.to.index() == 0 ? any_addr{ipv4_addr{}} : any_addr{ipv6_addr{}};
		w.udp_send(m, any, meta.to_port, meta.from, meta.from_port);
		return;
	}
	// udp_send takes the mbuf whatever happens (freed on error).
	w.udp_send(m, meta.to, meta.to_port, meta.from, meta.from_port);
}

/// Bind [::]:port, dual stack, and deliver its datagrams to echo_rx on
/// whichever lcore receives them.
result<int> open_echo_socket(skiff::net::socket_layer &sl, skiff::net::stack &st, uint16_t port) {
	int fd = sl.open(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0) {
		return make_error(fd, std::string("cannot open the echo socket: ") + strerror(-fd));
	}
	sockaddr_in6 addr{};
	addr.sin6_family = AF_INET6;
	addr.sin6_port = htons(port);
	int rc = sl.bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
	if (rc == 0) {
		rc = sl.set_native_rx(fd, echo_rx, &st);
	}
	if (rc < 0) {
		sl.close(fd);
		return make_error(rc, "cannot serve UDP port " + std::to_string(port) + ": " +
		                          strerror(-rc) + " (pick another --port-num)");
	}
	return fd;
}

int run_server(const skiff::options &opts, uint16_t port) {
	auto rt = skiff::app::runtime::start(opts, prog);
	if (!rt) {
		return skiff::report_startup_error(prog, rt.err());
	}
	auto fd = open_echo_socket((*rt)->sockets(), (*rt)->stack(), port);
	if (!fd) {
		return skiff::report_startup_error(prog, fd.err());
	}
	spdlog::info("echoing UDP port {} on {} lcore(s), IPv4 and IPv6, zero copy", port,
	             (*rt)->env().lcores().size());
	int rc = (*rt)->run();
	(*rt)->sockets().close(*fd);
	return rc;
}

// The TCP echo server runs on the main lcore between its worker's polls;
// the listener accepts on every lcore and each connection lives on its own.
void tcp_server_tick(skiff::app::runtime &, void *ctx) {
	static_cast<skiff::echo::tcp_server *>(ctx)->step();
}

int run_tcp_server(const skiff::options &opts, uint16_t port) {
	auto rt = skiff::app::runtime::start(opts, prog);
	if (!rt) {
		return skiff::report_startup_error(prog, rt.err());
	}
	skiff::echo::tcp_server srv((*rt)->sockets(), false);
	if (auto r = srv.listen(port, 0); !r) {
		return skiff::report_startup_error(prog, r.err());
	}
	spdlog::info("echoing TCP port {} on {} lcore(s), IPv4 and IPv6", port,
	             (*rt)->env().lcores().size());
	int rc = (*rt)->run(tcp_server_tick, &srv);
	srv.close_all();
	return rc;
}

// ---- Client ---------------------------------------------------------------------

struct client_config {
	uint16_t size = 64;
	uint32_t window = 32;
	double duration = 5;
	double warmup = 0.5;
	double timeout = 1; ///< seconds before an unanswered datagram counts as lost
	std::string wire;   ///< net_wire impairments; empty: a plain ring pair
	bool ipv6 = false;
	uint16_t server_port = 7;
	std::optional<skiff::echo::tcp_mode> tcp; ///< TCP instead of UDP
	skiff::echo::tcp_client_config tcp_cfg;
	double msl_ms = -1; ///< TCP MSL; < 0: the stack's default (crr: 50 ms)
};

/// The head of every datagram's payload; the rest is zeros.
struct probe {
	uint64_t seq;
	uint64_t tsc; ///< when the client sent it
	uint32_t slot;
	uint32_t magic;
};
constexpr uint32_t probe_magic = 0x736b6563; // "skec"

/// Keeps `window` datagrams in flight through one worker (on its lcore):
/// each echo is timed and its mbuf sent straight out again with a new
/// sequence number, so the steady state allocates and copies nothing.
class echo_client {
public:
	echo_client(const client_config &cfg, worker &w, rte_mempool *pool)
	    : _cfg(cfg), _w(w), _pool(pool), _slots(cfg.window) {
		_hz = rte_get_tsc_hz();
		_tick_cycles = _hz / 1000;
		_timeout_cycles = uint64_t(cfg.timeout * double(_hz));
	}

	/// Control path: where to send (a wildcard `local` lets the route pick).
	void set_flow(const any_addr &local, uint16_t local_port, const any_addr &server) {
		_local = local;
		_local_port = local_port;
		_server = server;
	}

	/// On the client lcore, once: the clock starts.
	void start() {
		uint64_t now = rte_rdtsc();
		_measure_at = now + uint64_t(_cfg.warmup * double(_hz));
		_end_at = _measure_at + uint64_t(_cfg.duration * double(_hz));
		_next_tick = now;
	}

	/// On the client lcore between polls: phases, timeouts, window. False
	/// once the run is over and the last echoes are in (or timed out).
	bool tick() {
		uint64_t now = rte_rdtsc();
		if (now < _next_tick) {
			return true;
		}
		_next_tick = now + _tick_cycles;
		if (_phase == phase::warmup && now >= _measure_at) {
			_phase = phase::measuring;
			_measured_from = now;
		}
		if (_phase == phase::measuring && now >= _end_at) {
			_phase = phase::draining;
			_measured_to = now;
		}
		expire(now);
		if (_phase != phase::draining) {
			fill(now);
		}
		return _phase != phase::draining ||
		       (_outstanding != 0 && now < _end_at + _timeout_cycles);
	}

	static void on_reply(void *ctx, worker &, rte_mbuf *m, const udp_meta &) {
		static_cast<echo_client *>(ctx)->reply(m);
	}

	skiff::echo::run_result result() const {
		skiff::echo::run_result r;
		r.impl = "skiff";
		r.size = _cfg.size;
		r.window = _cfg.window;
		uint64_t to = _measured_to ? _measured_to : rte_rdtsc();
		r.seconds = _measured_from ? double(to - _measured_from) / double(_hz) : 0;
		r.round_trips = _round_trips;
		r.lost = _lost;
		r.rtt = _rtt;
		r.unit_ns = 1e9 / double(_hz);
		return r;
	}

	uint64_t stale() const { return _stale; }
	uint64_t send_failures() const { return _send_failures; }

private:
	enum class phase { warmup, measuring, draining };
	struct slot {
		uint64_t seq = 0;
		uint64_t sent = 0;
		bool busy = false;
	};

	void reply(rte_mbuf *m) {
		uint64_t now = rte_rdtsc();
		probe p;
		if (rte_pktmbuf_data_len(m) < sizeof(p)) {
			_stale++;
			rte_pktmbuf_free(m);
			return;
		}
		std::memcpy(&p, rte_pktmbuf_mtod(m, const void *), sizeof(p));
		if (p.magic != probe_magic || p.slot >= _cfg.window || !_slots[p.slot].busy ||
		    _slots[p.slot].seq != p.seq) {
			_stale++; // after its timeout, or not ours
			rte_pktmbuf_free(m);
			return;
		}
		_answered = true;
		if (_phase == phase::measuring) {
			_rtt.add(now - p.tsc);
			_round_trips++;
		}
		if (_phase == phase::draining) {
			release(p.slot);
			rte_pktmbuf_free(m);
			return;
		}
		send(m, p.slot, now);
	}

	// Stamp `m` for `s` and send it; the mbuf is the stack's from here on.
	void send(rte_mbuf *m, uint32_t s, uint64_t now) {
		probe p{_next_seq++, now, s, probe_magic};
		std::memcpy(rte_pktmbuf_mtod(m, void *), &p, sizeof(p));
		_slots[s].seq = p.seq;
		_slots[s].sent = now;
		if (_w.udp_send(m, _local, _local_port, _server, _cfg.server_port) < 0) {
			_send_failures++;
			release(s);
		}
	}

	void release(uint32_t s) {
		_slots[s].busy = false;
		_outstanding--;
	}

	// Until the first echo, one datagram at a time: the first ones wait in
	// the neighbour queue (4 deep) while ARP or NDP resolves.
	void fill(uint64_t now) {
		uint32_t target = _answered ? _cfg.window : 1;
		for (uint32_t s = 0; s < _cfg.window && _outstanding < target; s++) {
			if (_slots[s].busy) {
				continue;
			}
			rte_mbuf *m = rte_pktmbuf_alloc(_pool);
			char *data = m ? rte_pktmbuf_append(m, _cfg.size) : nullptr;
			if (!data) {
				rte_pktmbuf_free(m);
				_send_failures++;
				return;
			}
			std::memset(data, 0, _cfg.size);
			_slots[s].busy = true;
			_outstanding++;
			send(m, s, now);
		}
	}

	void expire(uint64_t now) {
		for (uint32_t s = 0; s < _cfg.window; s++) {
			if (_slots[s].busy && now - _slots[s].sent > _timeout_cycles) {
				release(s);
				_lost += _phase == phase::measuring;
			}
		}
	}

	client_config _cfg;
	worker &_w;
	rte_mempool *_pool;
	std::vector<slot> _slots;
	any_addr _local{}, _server{};
	uint16_t _local_port = 0;
	uint64_t _hz = 0, _tick_cycles = 0, _timeout_cycles = 0;
	uint64_t _measure_at = 0, _end_at = 0, _next_tick = 0;
	uint64_t _measured_from = 0, _measured_to = 0;
	phase _phase = phase::warmup;
	bool _answered = false;
	uint32_t _outstanding = 0;
	uint64_t _next_seq = 1;
	uint64_t _round_trips = 0, _lost = 0, _stale = 0, _send_failures = 0;
	skiff::echo::latency_histogram _rtt;
};

// ---- The in-process setup ----------------------------------------------------------

/// Bytes in use in the C++ heap (every arena, and the mmap'ed blocks).
size_t heap_in_use() {
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/// The two machines of the benchmark, each a port, a stack with one worker
/// and a socket layer, joined by a ring pair or a net_wire cable.
struct hosts {
	std::unique_ptr<host> server, client;
};

/// A ring pair @p depth frames deep, or (--wire) a net_wire cable with the
/// same impairments each way (drivers/net_wire).
result<hosts> make_hosts(rte_mempool *pool, const skiff::clock &clk, const client_config &cfg,
                         unsigned depth, const skiff::net::socket_config &scfg) {
	std::pair<std::string, std::string> ends;
	if (cfg.wire.empty()) {
		auto c = skiff::app::make_ring_cable("echo", std::max(1024u, depth));
		if (!c) {
			return c.err();
		}
		ends = *c;
	} else {
		std::string common = ",link=echo," + cfg.wire;
		ends = {"net_wire_echo_srv" + common, "net_wire_echo_cli" + common};
	}
	skiff::app::host_config sc{
	    "srv", ends.first, {"198.18.0.1/24", "2001:2::1/64"}, pool, scfg};
	skiff::app::host_config cc{
	    "cli", ends.second, {"198.18.0.2/24", "2001:2::2/64"}, pool, scfg};
	hosts h;
	auto srv = host::create(sc, clk);
	if (!srv) {
		return srv.err();
	}
	h.server = std::move(*srv);
	auto cli = host::create(cc, clk);
	if (!cli) {
		return cli.err();
	}
	h.client = std::move(*cli);
	return h;
}

/// A connected socket towards the server whose datagrams go to `client`.
result<void> open_client_socket(host &s, echo_client &client, const client_config &cfg,
                                const any_addr &server) {
	auto &sl = s.sockets();
	int domain = cfg.ipv6 ? AF_INET6 : AF_INET;
	int fd = sl.open(domain, SOCK_DGRAM, 0);
	sockaddr_storage ss{};
	socklen_t len = skiff::net::to_sockaddr(domain, server, cfg.server_port,
	                                        reinterpret_cast<sockaddr *>(&ss), sizeof(ss));
	int rc = fd < 0 ? fd : sl.connect(fd, reinterpret_cast<sockaddr *>(&ss), len);
	if (rc == 0) {
		rc = sl.set_native_rx(fd, echo_client::on_reply, &client);
	}
	sockaddr_storage local{};
	socklen_t local_len = sizeof(local);
	if (rc == 0) {
		rc = sl.getsockname(fd, reinterpret_cast<sockaddr *>(&local), &local_len);
	}
	if (rc < 0) {
		return make_error(rc,
		                  std::string("cannot open the client socket: ") + strerror(-rc));
	}
	auto ep = skiff::net::from_sockaddr(reinterpret_cast<sockaddr *>(&local), local_len);
	client.set_flow(ep->first, ep->second, server);
	return {};
}

struct client_run {
	echo_client *client;
	worker *w;
	std::atomic<bool> done{false};
};

int client_lcore(void *arg) {
	auto *run = static_cast<client_run *>(arg);
	run->client->start();
	while (run->client->tick() && !skiff::env::stop_requested()) {
		run->w->poll();
	}
	run->w->flush();
	run->w->go_offline();
	run->done.store(true, std::memory_order_release);
	return 0;
}

// Server on the main lcore, client on the second; or both on one lcore.
void drive(const skiff::env &e, host &server, echo_client &client, worker &cw) {
	worker &sw = server.worker();
	client_run run{&client, &cw};
	if (e.lcores().size() == 1) {
		client.start();
		while (client.tick() && !skiff::env::stop_requested()) {
			sw.poll();
			cw.poll();
		}
		cw.flush();
	} else if (rte_eal_remote_launch(client_lcore, &run, e.lcores()[1]) == 0) {
		while (!run.done.load(std::memory_order_acquire)) {
			sw.poll();
		}
		rte_eal_wait_lcore(e.lcores()[1]);
	} else {
		spdlog::error("cannot start the client on lcore {}", e.lcores()[1]);
	}
	sw.flush();
	sw.go_offline();
	cw.go_offline();
}

result<void> check_tcp_options(const client_config &cfg) {
	const auto &t = cfg.tcp_cfg;
	if (t.size == 0 || t.size > skiff::echo::tcp_chunk) {
		return make_error(-EINVAL, "--size must be 1.." +
		                               std::to_string(skiff::echo::tcp_chunk) +
		                               " bytes with --tcp");
	}
	if (t.conns == 0 || t.conns > 30000) {
		return make_error(-EINVAL, "--conns must be 1..30000");
	}
	if (t.bytes == 0) {
		return make_error(-EINVAL, "--bytes must be at least 1");
	}
	return {};
}

result<void> check_client_options(const skiff::options &opts, const client_config &cfg) {
	if (!opts.ports.empty() || !opts.addrs.empty() || !opts.gateways.empty()) {
		return make_error(-EINVAL, "--client builds its own virtual link: drop --port, "
		                           "--addr and --gateway");
	}
	auto lcores = skiff::parse_lcore_list(opts.lcores);
	if (lcores && lcores->size() > 2) {
		return make_error(-EINVAL, "--client uses one or two lcores: give --lcores 0-1 "
		                           "(server, client) or --lcores 0");
	}
	if (cfg.tcp) {
		return check_tcp_options(cfg);
	}
	size_t max_size = cfg.ipv6 ? 1500 - 40 - 8 : 1500 - 20 - 8;
	if (cfg.size < sizeof(probe) || cfg.size > max_size) {
		return make_error(-EINVAL, "--size must be " + std::to_string(sizeof(probe)) +
		                               ".." + std::to_string(max_size) +
		                               " bytes (one frame)");
	}
	if (cfg.window == 0 || cfg.window > 4096) {
		return make_error(-EINVAL, "--window must be 1..4096");
	}
	if (cfg.window + 2048 > opts.mbufs) {
		return make_error(-EINVAL, "--mbufs must exceed --window by 2048: raise --mbufs");
	}
	return {};
}

// ---- TCP in the in-process setup ---------------------------------------------------

using skiff::echo::tcp_mode;

struct tcp_run {
	skiff::echo::tcp_client *client;
	worker *w;
	std::atomic<bool> done{false};
};

int tcp_client_lcore(void *arg) {
	auto *run = static_cast<tcp_run *>(arg);
	run->client->start();
	while (run->client->step() && !skiff::env::stop_requested()) {
		run->w->poll();
	}
	run->w->flush();
	run->done.store(true, std::memory_order_release);
	return 0;
}

// Server stack and server application on the main lcore, client stack and
// client on the second; or all four on one lcore.
void drive_tcp(const skiff::env &e, worker &sw, skiff::echo::tcp_server &srv,
               skiff::echo::tcp_client &cl, worker &cw) {
	tcp_run run{&cl, &cw};
	if (e.lcores().size() == 1) {
		cl.start();
		while (cl.step() && !skiff::env::stop_requested()) {
			sw.poll();
			srv.step();
			cw.poll();
		}
	} else if (rte_eal_remote_launch(tcp_client_lcore, &run, e.lcores()[1]) == 0) {
		while (!run.done.load(std::memory_order_acquire)) {
			sw.poll();
			srv.step();
		}
		rte_eal_wait_lcore(e.lcores()[1]);
	} else {
		spdlog::error("cannot start the client on lcore {}", e.lcores()[1]);
	}
}

// After the run: close both ends and let the FINs cross for a moment (the
// client lcore is done, so this thread may poll both workers).
void wind_down(worker &sw, skiff::echo::tcp_server &srv, skiff::echo::tcp_client &cl, worker &cw) {
	cl.close_all();
	srv.close_all();
	uint64_t until = rte_rdtsc() + rte_get_tsc_hz() / 10;
	while (rte_rdtsc() < until) {
		sw.poll();
		cw.poll();
	}
	sw.go_offline();
	cw.go_offline();
}

/// SO_RCVBUF/SO_SNDBUF as the socket layer turns them into buffer sizes
/// (doubled, as Linux), and the bytes one connection allocates for them:
/// the two SPSC rings to the application (half each) and the
/// connection's own send and receive rings.
double buffer_bytes(uint32_t bufsize) {
	double b = bufsize ? 2.0 * std::max<uint32_t>(bufsize, 1024) : 212992.0;
	return 2 * std::max(b / 2, 4096.0) + 2 * b;
}

/// idle: heap bytes per connection end, buffers taken out, plus one slot
/// of the preallocated connection table.
void measure_idle(skiff::echo::tcp_run_result &r, size_t heap_before, const host &client,
                  const skiff::net::socket_config &scfg, uint32_t bufsize) {
	double ends = 2.0 * r.conns;
	double heap = double(heap_in_use() - heap_before) / ends;
	double slots = 2.0 * scfg.max_sockets + double(scfg.max_sockets + scfg.max_tcp);
	double slot = double(client.socket_table_bytes()) / slots;
	r.bytes_per_conn = heap - buffer_bytes(bufsize) + slot;
	r.buffer_bytes = buffer_bytes(0);
	r.method = "heap_delta_minus_buffers_plus_table_slot";
	std::printf("skiff-echo: heap %.0f bytes per connection end, of which buffers %.0f "
	            "(SO_RCVBUF/SO_SNDBUF %u); connection table %.0f bytes per slot, "
	            "preallocated; sizeof(socket) %zu + sizeof(tcp_sock) %zu = %zu\n",
	            heap, buffer_bytes(bufsize), bufsize, slot, sizeof(skiff::net::socket),
	            sizeof(skiff::net::tcp_sock),
	            sizeof(skiff::net::socket) + sizeof(skiff::net::tcp_sock));
}

skiff::net::socket_config tcp_socket_config(const client_config &cfg) {
	skiff::net::socket_config scfg;
	double msl_ms = cfg.msl_ms;
	if (msl_ms < 0 && *cfg.tcp == tcp_mode::crr) {
		// The client closes first, so each connection leaves a TIME_WAIT
		// behind on a port of its own; Linux recycles those on loopback
		// (tcp_tw_reuse=2), skiff does not, so a short MSL keeps the
		// ephemeral ports from running out.
		msl_ms = 50;
	}
	if (msl_ms >= 0) {
		scfg.tcp.msl_us = uint64_t(msl_ms * 1000);
	}
	if (*cfg.tcp == tcp_mode::idle) {
		scfg.max_sockets = std::max<uint32_t>(scfg.max_sockets, cfg.tcp_cfg.conns + 64);
	}
	return scfg;
}

void print_tcp_counters(host &server, host &client) {
	using skiff::tcp::tcp_event;
	for (host *s : {&server, &client}) {
		const auto &c = s->worker().tcp_counters();
		uint64_t drops = 0;
		for (uint64_t d : c.drops) {
			drops += d;
		}
		std::printf(
		    "skiff-echo: %s tcp: %lu segments in, %lu out, %lu retransmitted (%lu fast, "
		    "%lu timeouts), %lu out of order, %lu dropped; stack drops %lu\n",
		    s->stack().config().name.c_str(), c.counted(tcp_event::segs_in),
		    c.counted(tcp_event::segs_out), c.counted(tcp_event::retransmits),
		    c.counted(tcp_event::fast_retransmits), c.counted(tcp_event::rto_expired),
		    c.counted(tcp_event::ooo_segments), drops, s->stack().totals().total_drops());
	}
}

uint64_t retransmits(host &s) {
	return s.worker().tcp_counters().counted(skiff::tcp::tcp_event::retransmits);
}

int tcp_exit_code(const skiff::echo::tcp_run_result &r, bool all_up) {
	switch (r.mode) {
	case tcp_mode::rr:
	case tcp_mode::crr:
		return r.transactions > 0 ? 0 : 1;
	case tcp_mode::bulk:
		return intact(r) ? 0 : 1;
	case tcp_mode::idle:
		return all_up ? 0 : 1;
	}
	return 1;
}

int run_tcp_client(const skiff::env &e, rte_mempool *pool, const skiff::clock &clk,
                   const client_config &cfg) {
	skiff::net::socket_config scfg = tcp_socket_config(cfg);
	// Rings deep enough for a window of full-sized segments each way.
	auto h = make_hosts(pool, clk, cfg, 4096, scfg);
	if (!h) {
		return skiff::report_startup_error(prog, h.err());
	}
	host &server = *h->server, &client = *h->client;
	const auto &tc = cfg.tcp_cfg;
	skiff::echo::tcp_server srv(server.sockets(), tc.mode == tcp_mode::bulk);
	if (auto l = srv.listen(cfg.server_port, tc.bufsize); !l) {
		return skiff::report_startup_error(prog, l.err());
	}
	any_addr to = *skiff::net::parse_addr(cfg.ipv6 ? "2001:2::1" : "198.18.0.1");
	skiff::echo::tcp_client cl(tc, client.sockets(), to);
	cl.set_peer_accepted(&srv.accepted_counter());
	srv.reserve(tc.conns);
	std::printf("skiff-echo: tcp %s; server stack on lcore %u, client stack on lcore %u, "
	            "joined by %s\n",
	            skiff::echo::tcp_mode_name(tc.mode), e.lcores()[0], e.lcores().back(),
	            cfg.wire.empty() ? "a ring pair" : ("net_wire (" + cfg.wire + ")").c_str());
	size_t heap_before = heap_in_use();
	worker &sw = server.worker(), &cw = client.worker();
	drive_tcp(e, sw, srv, cl, cw);
	skiff::echo::tcp_run_result res = cl.result();
	bool all_up = cl.all_established() && srv.accepted() >= tc.conns;
	if (tc.mode == tcp_mode::idle) {
		measure_idle(res, heap_before, client, scfg, tc.bufsize);
	}
	res.retransmits = retransmits(client) + retransmits(server);
	res.errors += srv.errors();
	wind_down(sw, srv, cl, cw);
	if (tc.mode == tcp_mode::bulk) {
		std::printf("skiff-echo: server saw %lu bytes, %lu mismatched\n",
		            (unsigned long)srv.received(), (unsigned long)srv.mismatches());
	}
	print_tcp_counters(server, client);
	if (spdlog::get_level() <= spdlog::level::debug) {
		std::printf("server stack:\n%s\nclient stack:\n%s",
		            skiff::net::format_stats(server.stack()).c_str(),
		            skiff::net::format_stats(client.stack()).c_str());
	}
	skiff::echo::print_tcp_result(stdout, res);
	return tcp_exit_code(res, all_up);
}

int run_client(skiff::options opts, client_config cfg) {
	if (auto r = check_client_options(opts, cfg); !r) {
		return skiff::report_startup_error(prog, r.err());
	}
	auto e = skiff::env::init(opts, prog);
	if (!e) {
		return skiff::report_startup_error(prog, e.err());
	}
	skiff::clock clk = skiff::clock::tsc();
	auto pool = skiff::app::make_pool("echo_pool", opts.mbufs, RTE_MBUF_DEFAULT_BUF_SIZE);
	if (!pool) {
		return skiff::report_startup_error(prog, pool.err());
	}
	int rc = 1;
	if (cfg.tcp) {
		rc = run_tcp_client(*e, *pool, clk, cfg);
		rte_mempool_free(*pool);
		return rc;
	}
	{
		auto h = make_hosts(*pool, clk, cfg, 2 * cfg.window, skiff::net::socket_config{});
		if (!h) {
			return skiff::report_startup_error(prog, h.err());
		}
		host &server = *h->server, &client = *h->client;
		auto fd = open_echo_socket(server.sockets(), server.stack(), cfg.server_port);
		if (!fd) {
			return skiff::report_startup_error(prog, fd.err());
		}
		worker &cw = client.worker();
		echo_client ec(cfg, cw, *pool);
		any_addr to = *skiff::net::parse_addr(cfg.ipv6 ? "2001:2::1" : "198.18.0.1");
		if (auto c = open_client_socket(client, ec, cfg, to); !c) {
			return skiff::report_startup_error(prog, c.err());
		}
		std::printf(
		    "skiff-echo: server stack on lcore %u, client stack on lcore %u, joined by "
		    "%s; %.1f s warm-up, then %.1f s measured\n",
		    e->lcores()[0], e->lcores().back(),
		    cfg.wire.empty() ? "a ring pair" : ("net_wire (" + cfg.wire + ")").c_str(),
		    cfg.warmup, cfg.duration);
		drive(*e, server, ec, cw);
		skiff::echo::run_result res = ec.result();
		auto st = server.stack().totals(), ct = client.stack().totals();
		std::printf(
		    "skiff-echo: server echoed %lu datagrams; drops: server %lu, client %lu; "
		    "late or stray echoes %lu; send failures %lu\n",
		    st.udp_sent, st.total_drops(), ct.total_drops(), ec.stale(),
		    ec.send_failures());
		if (spdlog::get_level() <= spdlog::level::debug) {
			std::printf("server stack:\n%s\nclient stack:\n%s",
			            skiff::net::format_stats(server.stack()).c_str(),
			            skiff::net::format_stats(client.stack()).c_str());
		}
		skiff::echo::print_result(stdout, res);
		rc = res.round_trips > 0 ? 0 : 1;
	}
	rte_mempool_free(*pool);
	return rc;
}

} // namespace

int main(int argc, char **argv) {
	skiff::options opts;
	client_config cfg;
	bool client = false;
	CLI::App app{
	    "skiff-echo: a UDP echo server on the native zero-copy API.\n"
	    "Server: skiff-echo --port net_tap0,iface=sk0 --addr 198.18.0.2/24 --lcores 0-1\n"
	    "Benchmark: skiff-echo --client --lcores 0-1 (server and client stacks in this "
	    "process, joined by a ring pair)"};
	app.name(prog);
	skiff::add_common_options(app, opts);
	app.add_option("--port-num", cfg.server_port, "UDP port to echo on")->capture_default_str();
	app.add_flag("--client", client,
	             "Run a server and a measuring client over an in-process virtual link");
	app.add_option("--window", cfg.window, "Client: datagrams kept in flight")
	    ->capture_default_str();
	app.add_option("--size", cfg.size, "Client: UDP payload bytes")->capture_default_str();
	app.add_option("--warmup", cfg.warmup, "Client: seconds before measuring")
	    ->capture_default_str();
	app.add_flag("--ipv6", cfg.ipv6, "Client: talk IPv6 instead of IPv4");
	std::string tcp_mode;
	app.add_option("--tcp", tcp_mode,
	               "TCP instead of UDP. Server: give any mode. Client: rr (request/response "
	               "on --conns persistent connections), crr (connect, exchange, close), bulk "
	               "(--bytes on one connection, content checked), idle (--conns idle "
	               "connections: memory each)")
	    ->expected(0, 1);
	app.add_option("--conns", cfg.tcp_cfg.conns, "Client, TCP: connections (rr, crr, idle)")
	    ->capture_default_str();
	app.add_option("--bytes", cfg.tcp_cfg.bytes, "Client, TCP bulk: bytes to send")
	    ->capture_default_str();
	app.add_option("--bufsize", cfg.tcp_cfg.bufsize,
	               "Client, TCP: SO_RCVBUF and SO_SNDBUF on both ends (0: the defaults; "
	               "idle: 4096 unless given)");
	app.add_option("--msl-ms", cfg.msl_ms,
	               "Client, TCP: maximum segment lifetime, TIME_WAIT lasting twice that "
	               "(default: the stack's 30 s; crr: 50 ms)");
	app.add_option("--timeout", cfg.tcp_cfg.timeout,
	               "Client, TCP bulk and idle: give up after this many seconds")
	    ->capture_default_str();
	app.add_option("--wire", cfg.wire,
	               "Client: join the stacks with net_wire instead of a ring pair, with these "
	               "impairments each way, e.g. 'loss=2,seed=7' (\"\" for none)");
	if (auto rc = skiff::app::parse_cli(app, argc, argv)) {
		return *rc;
	}
	if (app.count("--tcp") > 0) {
		auto m = tcp_mode.empty() ? std::optional(skiff::echo::tcp_mode::rr)
		                          : skiff::echo::parse_tcp_mode(tcp_mode);
		if (!m) {
			std::fprintf(stderr, "%s: --tcp takes rr, crr, bulk or idle (see --help)\n",
			             prog);
			return 1;
		}
		cfg.tcp = *m;
		cfg.tcp_cfg.mode = *m;
		cfg.tcp_cfg.size = cfg.size;
		cfg.tcp_cfg.ipv6 = cfg.ipv6;
		cfg.tcp_cfg.server_port = cfg.server_port;
		cfg.tcp_cfg.warmup = cfg.warmup;
		if (*m == skiff::echo::tcp_mode::idle && app.count("--bufsize") == 0) {
			cfg.tcp_cfg.bufsize =
			    4096; // the measurement excludes buffers: keep them small
		}
	}
	if (!client) {
		return cfg.tcp ? run_tcp_server(opts, cfg.server_port)
		               : run_server(opts, cfg.server_port);
	}
	if (app.count("--mem") == 0) {
		opts.mem_mb = 512; // two stacks, each with a 64 MB rte_lpm table
	}
	cfg.duration = opts.duration > 0 ? opts.duration : 5;
	cfg.tcp_cfg.duration = cfg.duration;
	opts.duration = 0;
	return run_client(opts, cfg);
}
