#include "runtime/runtime.h"

#include "net/report.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include <cstdio>

namespace skiff::app {

namespace {

void capture_burst(void *ctx, uint16_t port, uint16_t queue, rte_mbuf *const *pkts, uint16_t n,
                   bool outbound) {
	static_cast<pcap_capture *>(ctx)->record(port, queue, pkts, n, outbound);
}

// The port's RSS key and redirection table, so that the socket layer picks
// source ports for active opens that the NIC steers back to the connecting
// core. A device that cannot report them leaves the defaults (the
// symmetric key every port is given, entry i -> queue i % queues).
void read_rss(uint16_t port_id, net::socket_config &sc) {
	rte_eth_dev_info info{};
	if (rte_eth_dev_info_get(port_id, &info) != 0 || info.reta_size == 0 ||
	    info.hash_key_size == 0) {
		return;
	}
	std::vector<uint8_t> key(info.hash_key_size);
	rte_eth_rss_conf conf{};
	conf.rss_key = key.data();
	conf.rss_key_len = info.hash_key_size;
	std::vector<rte_eth_rss_reta_entry64> groups(
	    (info.reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE);
	for (auto &g : groups) {
		g.mask = ~0ull;
	}
	if (rte_eth_dev_rss_hash_conf_get(port_id, &conf) != 0 ||
	    rte_eth_dev_rss_reta_query(port_id, groups.data(), info.reta_size) != 0) {
		return;
	}
	sc.rss_key = std::move(key);
	for (uint16_t i = 0; i < info.reta_size; i++) {
		sc.reta.push_back(
		    groups[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE]);
	}
}

} // namespace

std::optional<int> parse_cli(CLI::App &app, int argc, char **argv) {
	try {
		app.parse(argc, argv);
	} catch (const CLI::CallForHelp &) {
		std::fputs(app.help().c_str(), stdout);
		return 0;
	} catch (const CLI::CallForAllHelp &) {
		std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
		return 0;
	} catch (const CLI::ParseError &e) {
		std::fprintf(stderr, "%s: %s (see --help)\n", app.get_name().c_str(), e.what());
		return 1;
	}
	return std::nullopt;
}

result<rte_mempool *> make_pool(const char *name, unsigned n_mbufs, uint16_t data_room) {
	unsigned cache = n_mbufs >= 4096 ? 256 : 32;
	rte_mempool *mp =
	    rte_pktmbuf_pool_create(name, n_mbufs, cache, 0, data_room, rte_socket_id());
	if (!mp) {
		size_t mb = size_t(n_mbufs) * (data_room + sizeof(rte_mbuf)) >> 20;
		return make_error(-ENOMEM, "cannot allocate " + std::to_string(n_mbufs) +
		                               " mbufs (~" + std::to_string(mb) +
		                               " MB): " + rte_strerror(rte_errno) +
		                               "; lower --mbufs or raise --mem");
	}
	return mp;
}

result<std::unique_ptr<runtime>> runtime::start(const options &opts, const char *prog,
                                                const net::stack_config &stack_cfg) {
	if (opts.ports.empty()) { // before the EAL, so the error stands alone
		return make_error(-EINVAL,
		                  "no --port given: add one, e.g. --port net_tap0,iface=sk0 "
		                  "or --port net_ring0");
	}
	std::unique_ptr<runtime> rt(new runtime());
	rt->_opts = opts;
	auto e = env::init(opts, prog);
	if (!e) {
		return e.err();
	}
	rt->_env.emplace(std::move(*e));
	rt->_clock.reset(new clock(clock::tsc()));
	auto pool = make_pool("skiff_pool", opts.mbufs, RTE_MBUF_DEFAULT_BUF_SIZE);
	if (!pool) {
		return pool.err();
	}
	rt->_pool = *pool;
	if (auto r = rt->open_ports(); !r) {
		return r.err();
	}
	if (auto r = rt->configure_stack(stack_cfg); !r) {
		return r.err();
	}
	if (!opts.pcap.empty()) {
		auto cp = make_pool("skiff_capture", 4095,
		                    rte_pcapng_mbuf_size(RTE_MBUF_DEFAULT_BUF_SIZE));
		if (!cp) {
			return cp.err();
		}
		rt->_capture_pool = *cp;
		auto cap = pcap_capture::open(opts.pcap, rt->_capture_pool);
		if (!cap) {
			return cap.err();
		}
		rt->_capture.emplace(std::move(*cap));
		for (const auto &w : rt->_stack->workers()) {
			w->set_capture_hook(capture_burst, &*rt->_capture);
		}
		spdlog::info("capturing every packet received and sent to {}", opts.pcap);
	}
	net::register_telemetry(*rt->_stack);
	spdlog::info("telemetry: dpdk-telemetry.py -f {} then /skiff/stats, /skiff/drops, "
	             "/skiff/stages",
	             rt->_env->file_prefix());
	return rt;
}

result<void> runtime::open_ports() {
	uint16_t n_queues = uint16_t(_env->lcores().size());
	for (const std::string &devargs : _opts.ports) {
		port_config cfg;
		cfg.devargs = devargs;
		cfg.n_queues = n_queues;
		cfg.pool = _pool;
		auto p = port::open(cfg);
		if (!p) {
			return p.err();
		}
		_ports.push_back(std::move(*p));
	}
	return {};
}

result<void> runtime::configure_stack(const net::stack_config &base) {
	net::stack_config cfg = base;
	cfg.pool = _pool;
	auto s = net::stack::create(cfg, *_clock);
	if (!s) {
		return s.err();
	}
	_stack = std::move(*s);
	for (const port &p : _ports) {
		const port_info &i = p.info();
		auto ifc = _stack->add_iface(i.id, i.n_queues, wire::mac_addr::from(i.mac), i.mtu,
		                             i.offloads);
		if (!ifc) {
			return ifc.err();
		}
	}
	for (const std::string &a : _opts.addrs) {
		if (auto r = _stack->add_address(a); !r) {
			return r.err();
		}
	}
	for (const std::string &g : _opts.gateways) {
		if (auto r = _stack->add_gateway(g); !r) {
			return r.err();
		}
	}
	for (size_t i = 0; i < _env->lcores().size(); i++) {
		if (auto w = _stack->add_worker(); !w) {
			return w.err();
		}
	}
	net::socket_config sc;
	sc.ephemeral_lo = _opts.ephemeral_lo;
	sc.ephemeral_hi = _opts.ephemeral_hi;
	if (_env->lcores().size() > 1 && !_ports.empty()) {
		read_rss(_ports.front().id(), sc);
	}
	auto sockets = net::socket_layer::create(*_stack, sc);
	if (!sockets) {
		return sockets.err();
	}
	_sockets = std::move(*sockets);
	return {};
}

int runtime::worker_main(void *arg) {
	auto *w = static_cast<net::worker *>(arg);
	while (!env::stop_requested()) {
		w->poll();
	}
	w->flush();
	w->go_offline();
	return 0;
}

int runtime::run(void (*on_main_tick)(runtime &, void *), void *ctx) {
	const auto &lcores = _env->lcores();
	for (size_t i = 1; i < lcores.size(); i++) {
		int rc = rte_eal_remote_launch(worker_main, &_stack->worker_at(i), lcores[i]);
		if (rc != 0) {
			spdlog::error("cannot start worker on lcore {}: {}", lcores[i],
			              rte_strerror(-rc));
			env::request_stop();
		}
	}
	uint64_t start = _clock->now_ns();
	uint64_t stats_every = uint64_t(_opts.stats_interval) * 1'000'000'000ull;
	uint64_t next_stats = start + stats_every;
	uint64_t end = _opts.duration > 0 ? start + uint64_t(_opts.duration * 1e9) : UINT64_MAX;
	net::worker &main_worker = _stack->worker_at(0);
	while (!env::stop_requested()) {
		main_worker.poll();
		if (on_main_tick) {
			on_main_tick(*this, ctx);
		}
		uint64_t now = main_worker.now_ns();
		if (stats_every && now >= next_stats) {
			print_stats();
			next_stats = now + stats_every;
		}
		if (now >= end) {
			env::request_stop();
		}
	}
	main_worker.flush();
	main_worker.go_offline();
	rte_eal_mp_wait_lcore();
	print_stats();
	return 0;
}

void runtime::print_stats() const {
	std::string text = net::format_stats(*_stack);
	for (const port &p : _ports) {
		port_counters c = p.counters();
		text += "  port " + std::to_string(p.id()) + " (" + p.info().name + "): rx " +
		        std::to_string(c.rx_packets) + " tx " + std::to_string(c.tx_packets) +
		        " missed " + std::to_string(c.rx_missed) + " errors " +
		        std::to_string(c.rx_errors + c.tx_errors) + " " + format_link(p.link()) +
		        "\n";
	}
	if (_capture) {
		text += "  capture: " + std::to_string(_capture->written()) + " packets written, " +
		        std::to_string(_capture->dropped()) + " not captured\n";
	}
	spdlog::info("stats\n{}", text);
}

runtime::~runtime() {
	if (_capture) {
		_capture->close();
	}
	_sockets.reset();
	_stack.reset(); // frees mbufs still held by workers
	for (port &p : _ports) {
		p.close();
	}
	rte_mempool_free(_pool);
	rte_mempool_free(_capture_pool);
}

} // namespace skiff::app
