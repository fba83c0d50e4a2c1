#include "tcp_run.h"

#include "spec.h"
#include "tcp_report.h"

#include "runtime/host.h"
#include "runtime/runtime.h"

#include <CLI/CLI.hpp>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_mbuf.h>
#include <rte_version.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>

namespace skiff::gen {

namespace {

constexpr const char *prog = "skiff-gen";

enum class role { both, client, server };

/// Who talks to whom: the client's and the server's address with their
/// prefix (the link they share), and the server's port.
struct endpoints {
	std::string client_cidr, server_cidr;
	net::any_addr server;
	uint16_t port = 80;
};

/// "IP" or "IP/LEN" (default LEN: the benchmarking range, /15 or /48).
result<std::pair<net::any_addr, std::string>> parse_cidr(const std::string &text,
                                                         const char *what) {
	std::string ip = text.substr(0, text.find('/'));
	auto a = net::parse_addr(ip);
	if (!a) {
		return make_error(-EINVAL, std::string("bad ") + what + " '" + text +
		                               "': the TCP mode takes one address, IP or IP/LEN");
	}
	bool v6 = std::holds_alternative<net::ipv6_addr>(*a);
	std::string cidr = text.find('/') == std::string::npos ? ip + (v6 ? "/48" : "/15") : text;
	return std::pair{*a, cidr};
}

result<endpoints> parse_endpoints(const tcp_shared &sh) {
	bool v6 = is_ipv6(sh.src) || is_ipv6(sh.dst);
	auto c = parse_cidr(sh.src.empty() ? (v6 ? "2001:2::1" : "198.18.0.1") : sh.src, "--src");
	if (!c) {
		return c.err();
	}
	auto s = parse_cidr(sh.dst.empty() ? (v6 ? "2001:2::2" : "198.19.0.1") : sh.dst, "--dst");
	if (!s) {
		return s.err();
	}
	if (c->first.index() != s->first.index()) {
		return make_error(-EINVAL, "--src and --dst must both be IPv4 or both IPv6");
	}
	endpoints e{c->second, s->second, s->first, 80};
	if (!sh.dport.empty()) {
		char *end = nullptr;
		unsigned long p = std::strtoul(sh.dport.c_str(), &end, 10);
		if (*end != '\0' || p == 0 || p > 65535) {
			return make_error(-EINVAL, "--dport '" + sh.dport +
			                               "': the TCP mode takes one port, 1-65535");
		}
		e.port = uint16_t(p);
	}
	return e;
}

/// Which ends run here, and on which --port each.
struct placement {
	role r = role::client;
	size_t client_port = 0, server_port = 0;
};

result<role> pick_role(const std::string &asked, size_t n_ports) {
	if (n_ports == 0 || n_ports > 2) {
		return make_error(-EINVAL, "--tcp takes one --port (client or server) or two "
		                           "(client and server in this process)");
	}
	if (asked == "auto") {
		return n_ports == 2 ? role::both : role::client;
	}
	if (asked == "both" && n_ports == 2) {
		return role::both;
	}
	if ((asked == "client" || asked == "server") && n_ports == 1) {
		return asked == "client" ? role::client : role::server;
	}
	return make_error(-EINVAL, "--tcp-role " + asked + " with " + std::to_string(n_ports) +
	                               " --port: 'both' needs two ports, 'client' or 'server' "
	                               "one");
}

/// The role, and --tx-port as the client's port (the server takes the other).
result<placement> place(const std::string &asked, size_t n_ports, int tx_port) {
	auto r = pick_role(asked, n_ports);
	if (!r) {
		return r.err();
	}
	if (tx_port < 0 || size_t(tx_port) >= n_ports) {
		return make_error(-EINVAL, "--tx-port " + std::to_string(tx_port) +
		                               ": there is no such --port (" +
		                               std::to_string(n_ports) + " given, counted from 0)");
	}
	placement p{*r, size_t(tx_port), 0};
	p.server_port = *r == role::both ? 1 - p.client_port : 0;
	return p;
}

net::socket_config socket_config_for(const options &opts, const tcp_options &t) {
	net::socket_config sc;
	// Every open connection, and the ones closing, hold a socket.
	sc.max_sockets = std::max<uint32_t>(sc.max_sockets, 2 * t.profile.conns + 256);
	sc.ephemeral_lo = opts.ephemeral_lo;
	sc.ephemeral_hi = opts.ephemeral_hi;
	// The client closes first, so each short connection leaves a TIME_WAIT
	// of 2 MSL on its port: a short MSL keeps the ports from running out.
	sc.tcp.msl_us = uint64_t(t.msl_ms * 1000);
	return sc;
}

/// The live one-line display, from the client's lcore once a second.
class progress {
public:
	explicit progress(bool on) : _on(on), _hz(rte_get_tsc_hz()) {}

	void start(uint64_t now) { _started = _last = now; }
	void maybe_print(uint64_t now, const tcp_client &c) {
		if (!_on || now - _last < _hz) {
			return;
		}
		const tcp_client_stats &s = c.stats();
		double interval = double(now - _last) / double(_hz);
		std::string line = tcp_progress_line(
		    double(now - _started) / double(_hz), interval, s.completed,
		    s.completed - _completed, c.open_now(), s.bytes_sent - _tx,
		    s.bytes_received - _rx, s.failures(), s.transaction_ns.percentile(99));
		std::fprintf(stderr, "\r%s\033[K", line.c_str());
		_last = now;
		_completed = s.completed;
		_tx = s.bytes_sent;
		_rx = s.bytes_received;
		_printed = true;
	}
	void end() const {
		if (_printed) {
			std::fputc('\n', stderr);
		}
	}

private:
	bool _on;
	uint64_t _hz, _started = 0, _last = 0;
	uint64_t _completed = 0, _tx = 0, _rx = 0;
	bool _printed = false;
};

/// The client and its stack, run to the end on one lcore.
struct client_lane {
	tcp_client *client;
	net::worker *w;
	progress *shown;
	std::atomic<bool> done{false};

	void run() {
		uint64_t now = rte_rdtsc();
		client->start(now);
		shown->start(now);
		while (client->step(now) && !env::stop_requested()) {
			w->poll();
			now = rte_rdtsc();
			shown->maybe_print(now, *client);
		}
		w->flush();
		done.store(true, std::memory_order_release);
	}
	static int main(void *self) {
		static_cast<client_lane *>(self)->run();
		return 0;
	}
};

/// Both ends in this process: the server and its stack on the main lcore,
/// the client and its stack on the last; or all four on one lcore.
void drive_both(const env &e, client_lane &lane, tcp_server &srv, net::worker &sw) {
	if (e.lcores().size() == 1) {
		uint64_t now = rte_rdtsc();
		lane.client->start(now);
		lane.shown->start(now);
		while (lane.client->step(now) && !env::stop_requested()) {
			lane.w->poll();
			srv.step();
			sw.poll();
			now = rte_rdtsc();
			lane.shown->maybe_print(now, *lane.client);
		}
		return;
	}
	unsigned lcore = e.lcores().back();
	if (rte_eal_remote_launch(client_lane::main, &lane, lcore) != 0) {
		spdlog::error("cannot start the client on lcore {}", lcore);
		return;
	}
	while (!lane.done.load(std::memory_order_acquire)) {
		srv.step();
		sw.poll();
	}
	rte_eal_wait_lcore(lcore);
}

/// Only the server, until --duration or a signal.
void drive_server(tcp_server &srv, net::worker &w, double duration) {
	uint64_t end =
	    duration > 0 ? rte_rdtsc() + uint64_t(duration * double(rte_get_tsc_hz())) : UINT64_MAX;
	while (!env::stop_requested() && rte_rdtsc() < end) {
		srv.step();
		w.poll();
	}
}

/// Close both ends and let the FINs cross for a moment.
void wind_down(tcp_client *c, tcp_server *s, const std::vector<app::host *> &hosts) {
	if (c) {
		c->close_all();
	}
	if (s) {
		s->close_all();
	}
	uint64_t until = rte_rdtsc() + rte_get_tsc_hz() / 10;
	while (rte_rdtsc() < until) {
		for (app::host *h : hosts) {
			h->worker().poll();
		}
	}
	for (app::host *h : hosts) {
		h->worker().go_offline();
	}
}

uint64_t retransmits(app::host *h) {
	return h ? h->worker().tcp_counters().counted(tcp::tcp_event::retransmits) : 0;
}

run_meta make_meta(const env &e, const tcp_options &t, const tcp_shared &sh,
                   const std::vector<std::pair<app::host *, const char *>> &roles,
                   const std::vector<std::string> &devargs) {
	run_meta m;
	m.dpdk_version = rte_version();
	for (size_t i = 0; i < roles.size(); i++) {
		const port &p = roles[i].first->nic();
		m.ports.push_back({devargs[i], p.info().name, p.info().driver, p.link().speed_mbps,
		                   roles[i].second});
	}
	m.lcores = e.lcores();
	m.args = sh.args;
	m.mode = std::string("tcp-") + tcp_pattern_name(t.profile.pattern);
	m.rate = t.profile.cps > 0 ? si(t.profile.cps, "conn/s") : "unlimited";
	m.flows = t.profile.conns;
	return m;
}

result<void> write_files(const tcp_shared &sh, const run_meta &meta, const tcp_summary &sum) {
	result<void> r;
	if (!sh.json.empty()) {
		r = write_report(sh.json, tcp_to_json(meta, sum).dump(2) + "\n", "--json");
	}
	if (r && !sh.csv.empty()) {
		r = write_report(sh.csv, tcp_to_csv(sum), "--csv");
	}
	return r;
}

/// Everything the run owns, destroyed in reverse order of creation.
struct session {
	std::optional<env> eal;
	std::unique_ptr<clock> clk; // reads the TSC rate: after the EAL; stacks keep a pointer
	rte_mempool *pool = nullptr;
	std::unique_ptr<app::host> client_host, server_host;
	std::unique_ptr<tcp_server> server;
	std::unique_ptr<tcp_client> client;

	~session() {
		client.reset();
		server.reset();
		client_host.reset();
		server_host.reset();
		rte_mempool_free(pool);
	}
};

result<void> bring_up(session &s, const options &opts, const tcp_options &t, const placement &at,
                      const endpoints &ep) {
	auto e = env::init(opts, prog);
	if (!e) {
		return e.err();
	}
	s.eal.emplace(std::move(*e));
	s.clk.reset(new clock(clock::tsc()));
	auto pool = app::make_pool("gen_tcp", opts.mbufs, RTE_MBUF_DEFAULT_BUF_SIZE);
	if (!pool) {
		return pool.err();
	}
	s.pool = *pool;
	net::socket_config sc = socket_config_for(opts, t);
	if (at.r != role::server) {
		auto h = app::host::create(
		    {"gen_cli", opts.ports[at.client_port], {ep.client_cidr}, s.pool, sc}, *s.clk);
		if (!h) {
			return h.err();
		}
		s.client_host = std::move(*h);
	}
	if (at.r != role::client) {
		auto h = app::host::create(
		    {"gen_srv", opts.ports[at.server_port], {ep.server_cidr}, s.pool, sc}, *s.clk);
		if (!h) {
			return h.err();
		}
		s.server_host = std::move(*h);
		s.server = std::make_unique<tcp_server>(t.profile, s.server_host->sockets());
		if (auto l = s.server->listen(ep.port, 2 * t.profile.conns); !l) {
			return l;
		}
	}
	if (s.client_host) {
		sockaddr_storage to{};
		socklen_t len = net::to_sockaddr(
		    std::holds_alternative<net::ipv6_addr>(ep.server) ? AF_INET6 : AF_INET,
		    ep.server, ep.port, reinterpret_cast<sockaddr *>(&to), sizeof(to));
		s.client =
		    std::make_unique<tcp_client>(t.profile, s.client_host->sockets(), to, len);
	}
	return {};
}

int exit_status(const tcp_summary &sum) {
	bool intact = sum.failed[size_t(tcp_failure::corrupted)] == 0 && sum.served.corrupted == 0;
	if (!intact) {
		std::fprintf(stderr, "%s: received bytes that differ from what was sent\n", prog);
		return 1;
	}
	if (sum.client && sum.completed == 0) {
		std::fprintf(stderr,
		             "%s: no connection completed (is the server at --dst "
		             "listening on --dport?)\n",
		             prog);
		return 1;
	}
	return 0;
}

} // namespace

void add_tcp_options(CLI::App &app, tcp_options &t) {
	tcp_profile &p = t.profile;
	app.add_option("--tcp", t.pattern,
	               "stateful TCP through skiff's stack: short (a connection per "
	               "transaction) or long (--conns flows for the whole run)");
	app.add_option("--tcp-role", t.role,
	               "auto (two ports: both ends here; one port: client), both, client or "
	               "server");
	app.add_option("--request", p.request, "TCP: bytes the client sends per transaction")
	    ->capture_default_str();
	app.add_option("--response", p.response,
	               "TCP: bytes the server answers each request with (0: upload only)")
	    ->capture_default_str();
	app.add_option("--conns", p.conns,
	               "TCP: connections open at once, at most (short) or flows (long)")
	    ->capture_default_str();
	app.add_option("--cps", p.cps,
	               "TCP short: new connections per second (default: as "
	               "fast as --conns allows)");
	app.add_option("--timeout", p.timeout,
	               "TCP: seconds without progress before a connection counts as failed")
	    ->capture_default_str();
	app.add_option("--tcp-buffer", p.buffer,
	               "TCP: SO_SNDBUF/SO_RCVBUF bytes (default: the "
	               "stack's)");
	app.add_option("--msl", t.msl_ms,
	               "TCP: maximum segment lifetime in ms; TIME_WAIT lasts 2 MSL")
	    ->capture_default_str();
}

int run_tcp(const options &opts, const tcp_options &t, const tcp_shared &sh) {
	auto pattern = parse_tcp_pattern(t.pattern);
	if (!pattern) {
		return report_startup_error(prog, pattern.err());
	}
	tcp_options to = t;
	to.profile.pattern = *pattern;
	to.profile.duration = opts.duration;
	to.profile.count = sh.count;
	auto at = place(t.role, opts.ports.size(), sh.tx_port);
	auto ep = parse_endpoints(sh);
	result<void> ok = !at   ? result<void>(at.err())
	                  : !ep ? result<void>(ep.err())
	                        : check_tcp_profile(to.profile, at->r != role::server);
	if (ok && to.msl_ms < 0) {
		ok = make_error(-EINVAL, "--msl must be at least 0");
	}
	if (!ok) {
		return report_startup_error(prog, ok.err());
	}
	session s;
	if (auto b = bring_up(s, opts, to, *at, *ep); !b) {
		return report_startup_error(prog, b.err());
	}
	std::vector<app::host *> hosts;
	std::vector<std::pair<app::host *, const char *>> roles;
	std::vector<std::string> devargs;
	if (s.client_host) {
		hosts.push_back(s.client_host.get());
		roles.emplace_back(s.client_host.get(), "tcp-client");
		devargs.push_back(opts.ports[at->client_port]);
	}
	if (s.server_host) {
		hosts.push_back(s.server_host.get());
		roles.emplace_back(s.server_host.get(), "tcp-server");
		devargs.push_back(opts.ports[at->server_port]);
	}
	progress shown(!sh.quiet && isatty(STDERR_FILENO));
	if (s.client) {
		client_lane lane{s.client.get(), &s.client_host->worker(), &shown};
		if (s.server) {
			drive_both(*s.eal, lane, *s.server, s.server_host->worker());
		} else {
			lane.run();
		}
	} else {
		drive_server(*s.server, s.server_host->worker(), opts.duration);
	}
	shown.end();
	tcp_summary sum = tcp_summary::of(to.profile, s.client ? &s.client->stats() : nullptr,
	                                  s.server ? &s.server->stats() : nullptr);
	wind_down(s.client.get(), s.server.get(), hosts);
	sum.client_retransmits = retransmits(s.client_host.get());
	sum.server_retransmits = retransmits(s.server_host.get());
	print_tcp_table(stdout, sum);
	if (auto w = write_files(sh, make_meta(*s.eal, to, sh, roles, devargs), sum); !w) {
		return report_startup_error(prog, w.err());
	}
	return exit_status(sum);
}

} // namespace skiff::gen
