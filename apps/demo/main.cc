// skiff-demo: the flagship demo. Two skiff stacks in one process, joined by
// a virtual cable made of two DPDK rings, resolve each other's addresses and
// ping each other over IPv4 and IPv6. No NIC, no root, no hugepages.

#include "runtime/host.h"
#include "runtime/runtime.h"

#include "net/report.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace {

using skiff::app::host;
using skiff::net::any_addr;

/// A and B: a ring pair joins their ports.
skiff::result<std::pair<std::unique_ptr<host>, std::unique_ptr<host>>>
make_hosts(rte_mempool *pool, const skiff::clock &clk) {
	auto cable = skiff::app::make_ring_cable("demo", 1024);
	if (!cable) {
		return cable.err();
	}
	skiff::app::host_config ca{"A", cable->first, {"198.18.0.1/24", "2001:2::1/64"}, pool, {}};
	skiff::app::host_config cb{"B", cable->second, {"198.18.0.2/24", "2001:2::2/64"}, pool, {}};
	auto a = host::create(ca, clk);
	if (!a) {
		return a.err();
	}
	auto b = host::create(cb, clk);
	if (!b) {
		return b.err();
	}
	return std::pair{std::move(*a), std::move(*b)};
}

struct tally {
	unsigned replies = 0;
	double rtt_sum_ms = 0;
};

void say(const char *text) {
	std::printf("%s\n", text);
}

void on_reply(void *ctx, const skiff::net::echo_reply &r) {
	auto *t = static_cast<tally *>(ctx);
	double ms = double(r.now_ns - r.sent_ns) / 1e6;
	t->replies++;
	t->rtt_sum_ms += ms;
	std::string from = std::visit([](const auto &a) { return a.to_string(); }, r.from);
	std::printf("  A <- B  echo reply from %-10s seq=%u  %u bytes  rtt=%.3f ms\n", from.c_str(),
	            r.seq, r.data_len, ms);
}

// Poll both stacks for `ms` milliseconds: one core plays both machines.
void run_for(host &a, host &b, const skiff::clock &clk, uint64_t ms) {
	uint64_t end = clk.now_ns() + ms * 1'000'000;
	while (clk.now_ns() < end && !skiff::env::stop_requested()) {
		a.worker().poll();
		b.worker().poll();
	}
}

void explain_counters(host &a, host &b) {
	auto ta = a.stack().totals(), tb = b.stack().totals();
	std::printf("\nWhat each stack counted:\n");
	std::printf("  A: sent %lu ARP request(s) and %lu neighbour solicitation(s); "
	            "received %lu echo replies\n",
	            ta.arp_requests_sent, ta.ndp_solicits_sent, ta.echo_replies_received);
	std::printf("  B: sent %lu ARP reply(ies) and %lu neighbour advertisement(s); "
	            "answered %lu echo requests\n",
	            tb.arp_replies_sent, tb.ndp_adverts_sent, tb.echo_replies_sent);
	std::printf("  dropped: A %lu, B %lu\n", ta.total_drops(), tb.total_drops());
}

} // namespace

int main(int argc, char **argv) {
	skiff::options opts;
	opts.mem_mb = 512; // two stacks, each with a 64 MB rte_lpm DIR-24-8 table
	unsigned count = 5;
	CLI::App app{"skiff-demo: two skiff stacks joined by a virtual cable ping each other.\n"
	             "Runs anywhere: no NIC, no root, no hugepages."};
	app.name("skiff-demo");
	skiff::add_common_options(app, opts);
	app.add_option("--count", count, "Echo requests per address family")->capture_default_str();
	if (auto rc = skiff::app::parse_cli(app, argc, argv)) {
		return *rc;
	}
	if (opts.log_level == "info") {
		opts.log_level = "warn"; // the narration is the output; --log-level info shows more
	}

	auto e = skiff::env::init(opts, argv[0]);
	if (!e) {
		return skiff::report_startup_error("skiff-demo", e.err());
	}
	skiff::clock clk = skiff::clock::tsc();
	auto pool = skiff::app::make_pool("demo_pool", opts.mbufs, RTE_MBUF_DEFAULT_BUF_SIZE);
	if (!pool) {
		return skiff::report_startup_error("skiff-demo", pool.err());
	}
	auto hosts = make_hosts(*pool, clk);
	if (!hosts) {
		return skiff::report_startup_error("skiff-demo", hosts.err());
	}
	host &a = *hosts->first, &b = *hosts->second;
	skiff::net::register_telemetry(a.stack());
	tally t;
	a.worker().set_echo_hook(on_reply, &t);

	say("skiff demo: two network stacks talking over a virtual cable\n");
	say("Two independent skiff stacks, A and B, run in this process. Each owns a DPDK port;");
	say("the two ports are joined back to back by a pair of lock-free rings, so what A sends,");
	say("B receives. Each stack parses every frame itself: this is kernel bypass, the Linux");
	say("network stack never sees these packets.\n");
	say("  A: 198.18.0.1/24  2001:2::1/64        B: 198.18.0.2/24  2001:2::2/64\n");
	say("A does not know B's Ethernet address yet. Its first IPv4 ping waits in a small queue");
	say("while A broadcasts an ARP request; for IPv6, A multicasts a neighbour solicitation.");
	say("B answers both, A sends the waiting pings, and B turns each echo request around in");
	say("place (zero copy) as an echo reply.\n");

	any_addr to_v4 = *skiff::net::parse_addr("198.18.0.2");
	any_addr to_v6 = *skiff::net::parse_addr("2001:2::2");
	for (unsigned seq = 0; seq < count && !skiff::env::stop_requested(); seq++) {
		for (const any_addr &dst : {to_v4, to_v6}) {
			int rc = a.worker().send_echo_request(dst, 0xd3, uint16_t(seq), 56);
			if (rc < 0) {
				std::printf("  ping failed: %s\n", strerror(-rc));
			}
		}
		run_for(a, b, clk, 200);
	}
	explain_counters(a, b);
	unsigned expected = 2 * count;
	std::printf("\n%u of %u pings answered", t.replies, expected);
	if (t.replies) {
		std::printf(", mean rtt %.3f ms", t.rtt_sum_ms / t.replies);
	}
	std::printf(".\n");
	if (opts.stats_interval || spdlog::get_level() <= spdlog::level::info) {
		std::printf("\nStack A in detail:\n%s",
		            skiff::net::format_stats(a.stack()).c_str());
		std::printf("\nStack B in detail:\n%s",
		            skiff::net::format_stats(b.stack()).c_str());
	}
	say("\nNext: scripts/test runs every test; build/apps/skiff-node brings the same stack up");
	say("on a tap device so the Linux kernel's own ping can talk to it (see README.md).");
	hosts->first.reset();
	hosts->second.reset();
	rte_mempool_free(*pool);
	return t.replies == expected ? 0 : 1;
}
