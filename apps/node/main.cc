// skiff-node: a plain host stack. It answers ARP, NDP and ping on its
// addresses and can ping others itself:
//
//   skiff-node --port net_tap0,iface=sk0 --addr 198.18.0.2/24 --addr 2001:2::2/64

#include "runtime/runtime.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <variant>

namespace {

struct pinger {
	std::vector<skiff::net::any_addr> targets;
	unsigned count = 0;
	unsigned sent = 0;
	unsigned received = 0;
	uint64_t next_ns = 0;
};

void on_reply(void *ctx, const skiff::net::echo_reply &r) {
	auto *p = static_cast<pinger *>(ctx);
	p->received++;
	std::string from = std::visit([](const auto &a) { return a.to_string(); }, r.from);
	spdlog::info("echo reply from {}: seq={} bytes={} time={:.3f} ms", from, r.seq, r.data_len,
	             double(r.now_ns - r.sent_ns) / 1e6);
}

// Runs on the main lcore between polls: one round of echo requests a second.
void ping_tick(skiff::app::runtime &rt, void *ctx) {
	auto *p = static_cast<pinger *>(ctx);
	uint64_t now = rt.stack().clk().now_ns();
	if (p->targets.empty() || p->sent >= p->count || now < p->next_ns) {
		return;
	}
	p->next_ns = now + 1'000'000'000ull;
	for (const auto &t : p->targets) {
		int rc =
		    rt.stack().worker_at(0).send_echo_request(t, 0x5c1f, uint16_t(p->sent), 56);
		if (rc < 0) {
			spdlog::warn("ping: {}", strerror(-rc));
		}
	}
	p->sent++;
}

} // namespace

int main(int argc, char **argv) {
	skiff::options opts;
	std::vector<std::string> ping;
	pinger p;
	p.count = 5;
	CLI::App app{"skiff-node: a kernel-bypass host stack that answers ARP, NDP and ping.\n"
	             "Example: skiff-node --port net_tap0,iface=sk0 --addr 198.18.0.2/24 "
	             "--addr 2001:2::2/64"};
	app.name("skiff-node");
	skiff::add_common_options(app, opts);
	app.add_option("--ping", ping, "Ping this address from the stack (repeatable)");
	app.add_option("--count", p.count, "Echo requests per --ping target")
	    ->capture_default_str();
	if (auto rc = skiff::app::parse_cli(app, argc, argv)) {
		return *rc;
	}

	for (const std::string &t : ping) {
		auto a = skiff::net::parse_addr(t);
		if (!a) {
			return skiff::report_startup_error("skiff-node", a.err());
		}
		p.targets.push_back(*a);
	}
	auto rt = skiff::app::runtime::start(opts, argv[0]);
	if (!rt) {
		return skiff::report_startup_error("skiff-node", rt.err());
	}
	(*rt)->stack().worker_at(0).set_echo_hook(on_reply, &p);
	int rc = (*rt)->run(ping_tick, &p);
	if (!p.targets.empty()) {
		spdlog::info("ping: {} requests sent, {} replies received",
		             p.sent * p.targets.size(), p.received);
	}
	return rc;
}
