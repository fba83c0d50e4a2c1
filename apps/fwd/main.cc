// skiff-fwd: an IPv4/IPv6 router on skiff's pipeline. Longest-prefix-match
// routes from options and files, TTL / hop-limit decrement, ICMP errors,
// next hops resolved by ARP/NDP (or pinned with --neigh), one worker per
// lcore with RSS spreading flows over them:
//
//   skiff-fwd --port net_tap0,iface=ska --port net_tap1,iface=skb
//       --addr 198.18.1.1/24@0 --addr 198.18.2.1/24@1
//       --route 198.19.0.0/16,198.18.2.2
//
// At exit it prints the usual stats and one machine-readable line:
//   skiff-fwd result: rx_packets=N tx_packets=N forwarded=N dropped=N seconds=S mpps=X

#include "runtime/runtime.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr const char *prog = "skiff-fwd";

using skiff::make_error;
using skiff::result;

/// A route and where it came from ("--route" or "FILE:LINE"), for errors.
struct route_spec {
	std::string origin;
	std::string text;
};

std::string_view trim(std::string_view s) {
	const char *ws = " \t\r";
	size_t b = s.find_first_not_of(ws);
	if (b == std::string_view::npos) {
		return {};
	}
	return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// One route per line, '#' starts a comment, blank lines are skipped.
result<void> read_routes(const std::string &path, std::vector<route_spec> &out) {
	std::ifstream in(path);
	if (!in) {
		return make_error(-ENOENT, "cannot read --routes file " + path + ": " +
		                               std::strerror(errno));
	}
	std::string line;
	for (unsigned n = 1; std::getline(in, line); n++) {
		std::string_view l = line;
		l = trim(l.substr(0, l.find('#')));
		if (l.empty()) {
			continue;
		}
		if (l.find_first_of(" \t") != std::string_view::npos) {
			return make_error(-EINVAL, path + ":" + std::to_string(n) +
			                               ": bad route '" + std::string(l) +
			                               "': one CIDR,GATEWAY[@N] per line");
		}
		out.push_back({path + ":" + std::to_string(n), std::string(l)});
	}
	return {};
}

result<void> configure(skiff::net::stack &st, const std::vector<route_spec> &routes,
                       const std::vector<std::string> &neighbours) {
	for (const route_spec &r : routes) {
		if (auto ok = st.add_route(r.text); !ok) {
			return make_error(ok.err().code, r.origin + ": " + ok.err().message);
		}
	}
	for (const std::string &n : neighbours) {
		if (auto ok = st.add_static_neighbour(n); !ok) {
			return make_error(ok.err().code, "--neigh: " + ok.err().message);
		}
	}
	return {};
}

struct run_clock {
	uint64_t start_ns = 0;
	uint64_t last_ns = 0;
};

// Runs on the main lcore between polls: remembers when the run ended, from
// the time the poll read anyway (a clock read of its own costs about 10 ns
// on a virtual machine, and a poll forwards 32 packets in ~1 us).
void on_tick(skiff::app::runtime &rt, void *ctx) {
	static_cast<run_clock *>(ctx)->last_ns = rt.stack().worker_at(0).now_ns();
}

void print_result(const skiff::net::stack &st, const run_clock &rc) {
	skiff::net::core_counters t = st.totals();
	double seconds = rc.last_ns > rc.start_ns ? double(rc.last_ns - rc.start_ns) / 1e9 : 0.0;
	double mpps = seconds > 0 ? double(t.forwarded) / seconds / 1e6 : 0.0;
	std::printf("skiff-fwd result: rx_packets=%lu tx_packets=%lu forwarded=%lu dropped=%lu "
	            "seconds=%.3f mpps=%.6f\n",
	            t.rx_packets, t.tx_packets, t.forwarded, t.total_drops(), seconds, mpps);
	std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv) {
	skiff::options opts;
	std::vector<std::string> route_args, route_files, neighbours;
	CLI::App app{"skiff-fwd: an IPv4/IPv6 router on skiff's kernel-bypass pipeline.\n"
	             "Example: skiff-fwd --port net_tap0,iface=ska --port net_tap1,iface=skb "
	             "--addr 198.18.1.1/24@0 --addr 198.18.2.1/24@1 "
	             "--route 198.19.0.0/16,198.18.2.2"};
	app.name(prog);
	skiff::add_common_options(app, opts);
	app.add_option("--route", route_args,
	               "CIDR,GATEWAY[@N]: route CIDR through GATEWAY (or 'direct': on-link) "
	               "on port N (default: the port of GATEWAY's subnet); repeatable");
	app.add_option("--routes", route_files,
	               "FILE with one CIDR,GATEWAY[@N] per line, # comments; repeatable");
	app.add_option("--neigh", neighbours,
	               "IP,MAC[@N]: a permanent neighbour on port N (default: the port of the "
	               "route to IP), for next hops that cannot answer ARP/NDP; repeatable");
	if (auto rc = skiff::app::parse_cli(app, argc, argv)) {
		return *rc;
	}

	std::vector<route_spec> routes;
	for (const std::string &r : route_args) {
		routes.push_back({"--route", r});
	}
	for (const std::string &f : route_files) {
		if (auto r = read_routes(f, routes); !r) {
			return skiff::report_startup_error(prog, r.err());
		}
	}
	skiff::net::stack_config cfg;
	cfg.forwarding = true;
	auto rt = skiff::app::runtime::start(opts, argv[0], cfg);
	if (!rt) {
		return skiff::report_startup_error(prog, rt.err());
	}
	if (auto r = configure((*rt)->stack(), routes, neighbours); !r) {
		return skiff::report_startup_error(prog, r.err());
	}
	spdlog::info("forwarding: {} IPv4 and {} IPv6 routes, {} static neighbours",
	             (*rt)->stack().routes().routes4().size(),
	             (*rt)->stack().routes().routes6().size(), neighbours.size());
	run_clock rc;
	rc.start_ns = rc.last_ns = (*rt)->stack().clk().now_ns();
	int status = (*rt)->run(on_tick, &rc);
	print_result((*rt)->stack(), rc);
	return status;
}
