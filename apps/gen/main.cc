// skiff-gen: a traffic generator and meter on raw DPDK queues.
//
// It sends UDP over IPv4 or IPv6 from --port 0 (or --tx-port) and, in the
// same process, receives on --port 1 (or --rx-port, or the sending port when
// only one is given, unless that is net_null, whose receive side makes up
// frames) to measure loss, reordering, duplicates and latency
// from a 16-byte probe in every frame (see flows.h). One lane per lcore:
// each sends on its own TX queue and receives on its own RX queue.
//
//   skiff-gen --port net_wire0,link=a --port net_wire1,link=a --rate 1Mpps --duration 5
//   skiff-gen --port net_ring0 --size imix --rate 50% --count 1000000  (a ring loops back)
//   skiff-gen --port net_null0 --size 64 --duration 5                  (send only)
//   skiff-gen --port net_wire0,link=a --port net_wire1,link=a --rfc2544 --size 64-1518
//   skiff-gen --port net_null0 --pcap-replay in.pcap --loop 10 --pcap-timing --tx-only
//
// Frame sizes include the FCS (RFC 2544); rates say L1 or L2; IMIX is 7:4:1
// of 64/576/1500 bytes. Defaults: source MAC = the sending port's, destination
// MAC = the receiving port's (02:53:47:00:00:01, locally administered, when
// nothing receives), 198.18.0.1 -> 198.19.0.1 (2001:2::1 -> 2001:2::2 when an
// address given is IPv6), UDP 1024 -> 9.
//
// With --tcp short|long it runs stateful TCP instead, through skiff's own
// stack and socket layer (tcp_run.h, tcp_load.h):
//
//   skiff-gen --port net_wire0,link=t --port net_wire1,link=t --lcores 0-1
//             --tcp short --cps 5000 --conns 256 --duration 10
//   skiff-gen --port net_tap0,iface=gen0 --src 198.18.0.2 --dst 198.18.0.1 --dport 8080
//             --tcp long --conns 4 --request 100 --response 1048576 --duration 10

#include "generator.h"
#include "pacer.h"
#include "pcap_replay.h"
#include "report.h"
#include "spec.h"
#include "tcp_run.h"

#include "env/env.h"
#include "port/port.h"
#include "runtime/runtime.h"

#include <CLI/CLI.hpp>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_version.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>

namespace {

using namespace skiff::gen;
using skiff::error;
using skiff::make_error;
using skiff::result;

constexpr const char *prog = "skiff-gen";

/// Everything skiff-gen adds to the common options, as typed.
struct gen_options {
	std::string src, dst;
	std::string sport = "1024", dport = "9";
	std::string src_mac, dst_mac;
	std::string size = "64";
	std::string rate;
	bool rate_l1 = false;
	uint64_t count = 0;
	int tx_port = 0;
	int rx_port = -1; ///< -1: port 1 if given, else port 0
	bool tx_only = false;
	unsigned ttl = 64;
	double drain_s = 0.2;
	bool rfc2544 = false;
	double trial_seconds = 10;
	double loss_tolerance = 0.1;
	double precision = 0.5;
	std::string pcap_replay;
	uint64_t loop = 1;
	bool pcap_timing = false;
	bool quiet = false;
	std::string json, csv;
};

/// The options parsed into what the engine needs, before the EAL.
struct plan_inputs {
	rate_spec rate;
	size_plan sizes;
	flow_spec flows;
	bool src_mac_given = false, dst_mac_given = false;
};

void add_gen_options(CLI::App &app, gen_options &g) {
	app.add_option("--src", g.src,
	               "source IP or range IP-IP (default 198.18.0.1); TCP: the client's "
	               "address, IP[/LEN] (default LEN: 15, or 48 for IPv6)");
	app.add_option("--dst", g.dst,
	               "destination IP or range IP-IP (default 198.19.0.1); TCP: the server's "
	               "address, IP[/LEN]");
	app.add_option("--sport", g.sport, "UDP source port or range P-P (default 1024)");
	app.add_option(
	    "--dport", g.dport,
	    "UDP destination port or range P-P (default 9); TCP: the server's port (default 80)");
	app.add_option("--src-mac", g.src_mac, "source MAC (default: the sending port's)");
	app.add_option("--dst-mac", g.dst_mac,
	               "destination MAC (default: the receiving port's, else 02:53:47:00:00:01)");
	app.add_option("--size", g.size,
	               "L2 frame size with FCS: 64, a sweep 64-1518[:STEP], or imix (7:4:1 of "
	               "64/576/1500)");
	app.add_option("--rate", g.rate,
	               "1Mpps, 5Gbps (L2), 5Gbps-l1, 50% (of L1 line rate); "
	               "default unlimited");
	app.add_flag("--rate-l1", g.rate_l1, "count a bit rate at L1 (+20 bytes per frame)");
	app.add_option("--count", g.count,
	               "frames to send per run, or (--tcp short) connections to open; default: "
	               "until --duration");
	app.add_option("--tx-port", g.tx_port, "index of the --port that sends (default 0)");
	app.add_option("--rx-port", g.rx_port,
	               "index of the --port that receives (default 1 if given, else 0)");
	app.add_flag("--tx-only", g.tx_only, "do not receive (no loss or latency)");
	app.add_option("--ttl", g.ttl, "IPv4 TTL / IPv6 hop limit (default 64)")
	    ->check(CLI::Range(1, 255));
	app.add_option("--drain", g.drain_s,
	               "seconds to keep receiving after sending (default 0.2)");
	app.add_flag("--rfc2544", g.rfc2544, "RFC 2544 throughput search (NDR and PDR) per size");
	app.add_option("--trial-seconds", g.trial_seconds,
	               "RFC 2544 trial length (default 10; the RFC asks for 60)");
	app.add_option("--loss-tolerance", g.loss_tolerance, "PDR loss in percent (default 0.1)");
	app.add_option("--precision", g.precision,
	               "search resolution, percent of line rate "
	               "(default 0.5)");
	app.add_option("--pcap-replay", g.pcap_replay, "send the frames of a pcap file");
	app.add_option("--loop", g.loop, "replay the pcap N times (default 1, 0 = until stopped)");
	app.add_flag("--pcap-timing", g.pcap_timing, "replay at the capture's own timing");
	app.add_flag("--quiet", g.quiet, "no live progress line on stderr");
	app.add_option("--json", g.json, "write the results as JSON to FILE");
	app.add_option("--csv", g.csv, "write the results as CSV to FILE");
}

result<plan_inputs> parse_inputs(const gen_options &g) {
	plan_inputs in;
	auto rate = parse_rate(g.rate, g.rate_l1);
	if (!rate) {
		return rate.err();
	}
	in.rate = *rate;
	auto sizes = parse_sizes(g.size);
	if (!sizes) {
		return sizes.err();
	}
	in.sizes = *sizes;
	bool v6 = skiff::is_ipv6(g.src) || skiff::is_ipv6(g.dst);
	auto src =
	    parse_addr_range(g.src.empty() ? (v6 ? "2001:2::1" : "198.18.0.1") : g.src, "--src");
	auto dst =
	    parse_addr_range(g.dst.empty() ? (v6 ? "2001:2::2" : "198.19.0.1") : g.dst, "--dst");
	if (!src) {
		return src.err();
	}
	if (!dst) {
		return dst.err();
	}
	if (src->v6 != dst->v6) {
		return make_error(-EINVAL, "--src and --dst must both be IPv4 or both IPv6");
	}
	in.flows.src = *src;
	in.flows.dst = *dst;
	auto sp = parse_udp_port_range(g.sport, "--sport");
	auto dp = parse_udp_port_range(g.dport, "--dport");
	if (!sp) {
		return sp.err();
	}
	if (!dp) {
		return dp.err();
	}
	in.flows.sport = *sp;
	in.flows.dport = *dp;
	in.flows.ttl = uint8_t(g.ttl);
	for (auto [text, mac, given, what] :
	     {std::tuple{&g.src_mac, &in.flows.src_mac, &in.src_mac_given, "--src-mac"},
	      std::tuple{&g.dst_mac, &in.flows.dst_mac, &in.dst_mac_given, "--dst-mac"}}) {
		if (text->empty()) {
			continue;
		}
		auto m = skiff::wire::mac_addr::parse(*text);
		if (!m) {
			return make_error(-EINVAL, std::string("bad ") + what + " '" + *text +
			                               "': use aa:bb:cc:dd:ee:ff");
		}
		*mac = *m;
		*given = true;
	}
	return in;
}

/// Checks that need no EAL: conflicting or unsupported options.
result<void> check_modes(const gen_options &g, const skiff::options &opts, const plan_inputs &in) {
	if (!opts.addrs.empty() || !opts.gateways.empty()) {
		return make_error(-EINVAL, "skiff-gen has no host stack: use --src/--dst "
		                           "instead of --addr/--gateway");
	}
	if (!opts.pcap.empty()) {
		return make_error(-EINVAL, "--pcap capture is not supported by skiff-gen: "
		                           "receive on a net_pcap port instead");
	}
	if (g.rfc2544 && (g.tx_only || !g.pcap_replay.empty())) {
		return make_error(-EINVAL,
		                  "--rfc2544 needs a receiver: drop --tx-only/--pcap-replay");
	}
	if (g.rfc2544 && (g.trial_seconds <= 0 || g.precision <= 0 || g.loss_tolerance < 0)) {
		return make_error(-EINVAL, "--trial-seconds and --precision must be above 0, "
		                           "--loss-tolerance at least 0");
	}
	if (g.pcap_timing && g.pcap_replay.empty()) {
		return make_error(-EINVAL, "--pcap-timing needs --pcap-replay FILE");
	}
	if (g.pcap_timing && in.rate.unit != rate_spec::kind::unlimited) {
		return make_error(-EINVAL, "give either --rate or --pcap-timing, not both");
	}
	if (!g.rfc2544 && in.sizes.sweep && opts.duration <= 0 && g.count == 0) {
		return make_error(-EINVAL,
		                  "a --size sweep needs --duration S or --count N per size");
	}
	if (g.drain_s < 0) {
		return make_error(-EINVAL, "--drain must be at least 0");
	}
	return {};
}

/// The TCP mode's own checks: the UDP mode's options that do not apply.
result<void> check_tcp_mode(const CLI::App &app, const skiff::options &opts) {
	for (const char *udp_only :
	     {"--size", "--rate", "--rate-l1", "--rx-port", "--tx-only", "--rfc2544",
	      "--pcap-replay", "--sport", "--src-mac", "--dst-mac"}) {
		if (app.count(udp_only) != 0) {
			return make_error(-EINVAL, std::string(udp_only) +
			                               " is for the UDP mode: with --tcp, see "
			                               "--request/--response/--conns/--cps "
			                               "(source ports: --ephemeral-ports)");
		}
	}
	if (!opts.addrs.empty() || !opts.gateways.empty() || !opts.pcap.empty()) {
		return make_error(-EINVAL, "with --tcp, give the addresses as --src/--dst "
		                           "(no --addr, --gateway or --pcap)");
	}
	return {};
}

tcp_shared tcp_shared_of(const CLI::App &app, const gen_options &g, int argc, char **argv) {
	tcp_shared sh;
	sh.src = g.src;
	sh.dst = g.dst;
	sh.dport = app.count("--dport") ? g.dport : "";
	sh.count = g.count;
	sh.tx_port = g.tx_port;
	sh.quiet = g.quiet;
	sh.json = g.json;
	sh.csv = g.csv;
	sh.args.assign(argv, argv + argc);
	return sh;
}

/// The EAL side: pools and ports.
struct setup {
	std::optional<skiff::env> env;
	rte_mempool *tx_pool = nullptr;
	rte_mempool *rx_pool = nullptr;
	std::vector<skiff::port> ports;
	size_t tx = 0;
	std::optional<size_t> rx;
	double link_bps = 0;
};

result<void> open_ports(setup &s, const skiff::options &opts, const gen_options &g) {
	int n = int(opts.ports.size());
	if (g.tx_port < 0 || g.tx_port >= n) {
		return make_error(-EINVAL, "--tx-port " + std::to_string(g.tx_port) +
		                               ": there is no such --port (" + std::to_string(n) +
		                               " given, counted from 0)");
	}
	if (g.rx_port >= n) {
		return make_error(-EINVAL, "--rx-port " + std::to_string(g.rx_port) +
		                               ": there is no such --port (" + std::to_string(n) +
		                               " given, counted from 0)");
	}
	for (const std::string &devargs : opts.ports) {
		skiff::port_config cfg;
		cfg.devargs = devargs;
		cfg.n_queues = uint16_t(s.env->lcores().size());
		cfg.pool = s.rx_pool;
		auto p = skiff::port::open(cfg);
		if (!p) {
			return p.err();
		}
		s.ports.push_back(std::move(*p));
	}
	s.tx = size_t(g.tx_port);
	if (!g.tx_only) {
		s.rx = g.rx_port >= 0 ? size_t(g.rx_port) : (n > 1 ? 1 : 0);
	}
	// net_null's receive side makes up frames instead of receiving what was
	// sent: by default a lone net_null port only sends.
	if (s.rx && g.rx_port < 0 && s.ports[*s.rx].info().driver == "net_null") {
		spdlog::info(
		    "{} is a net_null port: sending only (give --rx-port to receive anyway)",
		    s.ports[*s.rx].info().name);
		s.rx.reset();
	}
	return {};
}

/// The sending port's link speed, waiting up to 3 s for the link to come up.
double wait_link_bps(const skiff::port &p) {
	for (int i = 0; i < 30; i++) {
		skiff::link_state l = p.link();
		if (l.up) {
			return double(l.speed_mbps) * 1e6;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	}
	spdlog::warn("{} link is down after 3 s: line rates are unknown", p.info().name);
	return 0;
}

result<void> bring_up(setup &s, const skiff::options &opts, const gen_options &g) {
	if (opts.ports.empty()) {
		return make_error(-EINVAL,
		                  "no --port given: add one, e.g. --port net_null0, or two "
		                  "(--port net_ring0 --port net_ring1) to send and receive");
	}
	auto e = skiff::env::init(opts, prog);
	if (!e) {
		return e.err();
	}
	s.env.emplace(std::move(*e));
	auto tp = skiff::app::make_pool("gen_tx", opts.mbufs, RTE_MBUF_DEFAULT_BUF_SIZE);
	if (!tp) {
		return tp.err();
	}
	s.tx_pool = *tp;
	auto rp = skiff::app::make_pool("gen_rx", opts.mbufs, RTE_MBUF_DEFAULT_BUF_SIZE);
	if (!rp) {
		return rp.err();
	}
	s.rx_pool = *rp;
	if (auto r = open_ports(s, opts, g); !r) {
		return r;
	}
	s.link_bps = wait_link_bps(s.ports[s.tx]);
	return {};
}

/// Largest frame (with FCS) the sending port takes: its MTU plus Ethernet
/// header and FCS, and what fits in one mbuf.
unsigned max_frame_of(const setup &s) {
	unsigned by_mtu = unsigned(s.ports[s.tx].info().mtu) + 14 + fcs_len;
	unsigned by_mbuf = RTE_MBUF_DEFAULT_DATAROOM + fcs_len;
	return std::min(by_mtu, by_mbuf);
}

result<void> check_sizes(const setup &s, const plan_inputs &in) {
	unsigned max = max_frame_of(s);
	for (const size_pattern &p : in.sizes.runs) {
		for (uint16_t sz : p.sizes) {
			if (sz > max) {
				return make_error(
				    -EINVAL, "--size " + std::to_string(sz) +
				                 " is above the largest frame " +
				                 s.ports[s.tx].info().name + " sends (" +
				                 std::to_string(max) + " bytes with FCS at MTU " +
				                 std::to_string(s.ports[s.tx].info().mtu) +
				                 "); lower --size");
			}
			if (sz < min_probe_frame(in.flows.src.v6)) {
				return make_error(
				    -EINVAL, "--size " + std::to_string(sz) + " is below the " +
				                 std::to_string(min_probe_frame(true)) +
				                 "-byte minimum of an IPv6 UDP frame with "
				                 "skiff-gen's 16-byte probe");
			}
		}
	}
	if (in.rate.unit == rate_spec::kind::percent && s.link_bps <= 0) {
		return make_error(-EINVAL, "--rate in % needs the link speed, and " +
		                               s.ports[s.tx].info().name +
		                               " reports none: give pps or bps instead");
	}
	return {};
}

/// Fill in the default MACs from the ports.
void default_macs(plan_inputs &in, const setup &s) {
	if (!in.src_mac_given) {
		in.flows.src_mac = skiff::wire::mac_addr::from(s.ports[s.tx].info().mac);
	}
	if (!in.dst_mac_given) {
		in.flows.dst_mac = s.rx ? skiff::wire::mac_addr::from(s.ports[*s.rx].info().mac)
		                        : skiff::wire::mac_addr{{0x02, 0x53, 0x47, 0, 0, 1}};
	}
}

/// Per-slot pacer gaps for @p rate, per lane (each of @p lanes sends its share).
std::vector<uint64_t> gaps_for(const rate_spec &rate, const std::vector<uint16_t> &wire_lens,
                               double link_bps, unsigned lanes) {
	std::vector<uint64_t> gaps;
	if (rate.unit == rate_spec::kind::unlimited) {
		return gaps;
	}
	for (uint16_t len : wire_lens) {
		double g = frame_gap_seconds(rate, len, link_bps) * lanes;
		gaps.push_back(pacer::to_fixed(g, rte_get_tsc_hz()));
	}
	return gaps;
}

/// Templates of one size pattern (one per distinct size) and its plan.
struct probe_run {
	std::vector<packet_template> templates;
	run_plan plan;
};

result<void> make_probe_run(probe_run &r, const size_pattern &pat, const plan_inputs &in) {
	r.templates.clear();
	std::vector<uint16_t> distinct;
	for (uint16_t sz : pat.sizes) {
		if (std::find(distinct.begin(), distinct.end(), sz) == distinct.end()) {
			distinct.push_back(sz);
		}
	}
	for (uint16_t sz : distinct) {
		auto t = build_probe_template(in.flows, sz);
		if (!t) {
			return t.err();
		}
		r.templates.push_back(std::move(*t));
	}
	r.plan.label = pat.label;
	r.plan.flows = in.flows;
	r.plan.mean_frame = pat.mean();
	r.plan.slots.clear();
	for (uint16_t sz : pat.sizes) {
		size_t i =
		    size_t(std::find(distinct.begin(), distinct.end(), sz) - distinct.begin());
		r.plan.slots.push_back(&r.templates[i]);
	}
	return {};
}

run_meta make_meta(const setup &s, const skiff::options &opts, const plan_inputs &in, int argc,
                   char **argv) {
	run_meta m;
	m.dpdk_version = rte_version();
	for (size_t i = 0; i < s.ports.size(); i++) {
		const skiff::port_info &pi = s.ports[i].info();
		std::string role = i == s.tx ? "tx" : "";
		if (s.rx && *s.rx == i) {
			role += role.empty() ? "rx" : "+rx";
		}
		m.ports.push_back({opts.ports[i], pi.name, pi.driver, s.ports[i].link().speed_mbps,
		                   role.empty() ? "unused" : role});
	}
	m.lcores = s.env->lcores();
	for (int i = 0; i < argc; i++) {
		m.args.emplace_back(argv[i]);
	}
	m.rate = in.rate.describe();
	m.flows = in.flows.flows();
	return m;
}

/// The normal mode: one run per size pattern.
result<std::vector<run_stats>> run_sizes(engine &eng, const plan_inputs &in,
                                         const skiff::options &opts, const gen_options &g,
                                         histogram &all) {
	std::vector<run_stats> runs;
	unsigned lanes = unsigned(eng.config().lcores.size());
	for (const size_pattern &pat : in.sizes.runs) {
		if (skiff::env::stop_requested()) {
			break;
		}
		probe_run r;
		if (auto e = make_probe_run(r, pat, in); !e) {
			return e.err();
		}
		r.plan.gaps = gaps_for(in.rate, pat.sizes, eng.config().link_speed_bps, lanes);
		r.plan.duration_s = opts.duration;
		r.plan.count = g.count;
		runs.push_back(eng.run(r.plan, all));
	}
	return runs;
}

result<std::vector<run_stats>> run_pcap(engine &eng, const plan_inputs &in,
                                        const skiff::options &opts, const gen_options &g,
                                        unsigned max_frame, histogram &all) {
	auto tr = load_pcap(g.pcap_replay, max_frame - fcs_len);
	if (!tr) {
		return tr.err();
	}
	if (tr->skipped_truncated) {
		spdlog::warn("{}: skipped {} frames captured shorter than they were", g.pcap_replay,
		             tr->skipped_truncated);
	}
	run_plan plan;
	plan.label = "pcap";
	plan.probes = false;
	plan.tx_lanes = 1; // one lane keeps the capture's order
	std::vector<uint16_t> lens;
	double sum = 0;
	for (const packet_template &t : tr->frames) {
		plan.slots.push_back(&t);
		lens.push_back(t.wire_len);
		sum += t.wire_len;
	}
	plan.mean_frame = sum / double(lens.size());
	if (g.pcap_timing) {
		for (double gap : tr->gaps_s) {
			plan.gaps.push_back(pacer::to_fixed(gap, rte_get_tsc_hz()));
		}
	} else {
		plan.gaps = gaps_for(in.rate, lens, eng.config().link_speed_bps, 1);
	}
	plan.duration_s = opts.duration;
	plan.count = g.count != 0 ? g.count : g.loop * tr->frames.size();
	spdlog::info("replaying {} frames from {} {} time(s){}", tr->frames.size(), g.pcap_replay,
	             g.loop == 0 ? std::string("many") : std::to_string(g.loop),
	             g.pcap_timing ? " at the capture's timing" : "");
	return std::vector<run_stats>{eng.run(plan, all)};
}

result<std::vector<rfc2544_row>> run_rfc2544(engine &eng, const plan_inputs &in,
                                             const gen_options &g, histogram &all) {
	std::vector<rfc2544_row> rows;
	double link = eng.config().link_speed_bps;
	if (link <= 0) {
		return make_error(-EINVAL,
		                  "--rfc2544 needs the link speed, and the port reports none");
	}
	unsigned lanes = unsigned(eng.config().lcores.size());
	for (const size_pattern &pat : in.sizes.runs) {
		probe_run r;
		if (auto e = make_probe_run(r, pat, in); !e) {
			return e.err();
		}
		r.plan.duration_s = g.trial_seconds;
		rfc2544_row row;
		row.label = pat.label;
		row.mean_frame = pat.mean();
		row.line_rate_pps = line_rate_pps(link, row.mean_frame);
		search_config sc{row.line_rate_pps, g.loss_tolerance, g.precision, 30};
		auto trial = [&](double pps) {
			rate_spec rs{rate_spec::kind::pps, pps, false};
			r.plan.gaps = gaps_for(rs, pat.sizes, link, lanes);
			trial_outcome o{pps, 0, 0, 0};
			if (skiff::env::stop_requested()) {
				return o;
			}
			run_stats st = eng.run(r.plan, all);
			o.offered_pps = st.tx_pps();
			o.tx = st.tx_packets;
			o.rx = st.rx_unique;
			if (!g.quiet) {
				std::fprintf(stderr,
				             "rfc2544 %s: asked %s, offered %s, loss %.4f%%\n",
				             pat.label.c_str(), si(pps, "pps").c_str(),
				             si(o.offered_pps, "pps").c_str(), o.loss_pct());
			}
			return o;
		};
		row.result = rfc2544_search(sc, trial);
		rows.push_back(std::move(row));
	}
	return rows;
}

result<void> write_outputs(const gen_options &g, const run_meta &meta,
                           const std::vector<run_stats> &runs, const std::vector<rfc2544_row> &rfc,
                           const histogram &all) {
	run_stats total = runs.empty() ? run_stats{} : total_of(runs, all);
	result<void> r;
	if (!g.json.empty()) {
		r = write_report(g.json, to_json(meta, total, runs, rfc).dump(2) + "\n", "--json");
	}
	if (r && !g.csv.empty()) {
		r = write_report(g.csv, to_csv(runs), "--csv");
	}
	return r;
}

int run_all(setup &s, plan_inputs &in, const skiff::options &opts, const gen_options &g, int argc,
            char **argv) {
	default_macs(in, s);
	engine_config ec;
	ec.tx_port = s.ports[s.tx].id();
	ec.rx_enabled = s.rx.has_value();
	ec.rx_port = s.rx ? s.ports[*s.rx].id() : 0;
	ec.tx_pool = s.tx_pool;
	ec.lcores = s.env->lcores();
	ec.drain_s = g.drain_s;
	ec.progress = !g.quiet && !g.rfc2544 && isatty(STDERR_FILENO);
	ec.link_speed_bps = s.link_bps;
	engine eng(ec);
	run_meta meta = make_meta(s, opts, in, argc, argv);
	histogram all;
	std::vector<run_stats> runs;
	std::vector<rfc2544_row> rfc;
	if (g.rfc2544) {
		meta.mode = "rfc2544";
		auto r = run_rfc2544(eng, in, g, all);
		if (!r) {
			return skiff::report_startup_error(prog, r.err());
		}
		rfc = std::move(*r);
	} else {
		meta.mode = g.pcap_replay.empty() ? "udp" : "pcap-replay";
		auto r = g.pcap_replay.empty() ? run_sizes(eng, in, opts, g, all)
		                               : run_pcap(eng, in, opts, g, max_frame_of(s), all);
		if (!r) {
			return skiff::report_startup_error(prog, r.err());
		}
		runs = std::move(*r);
		print_table(stdout, runs, meta);
	}
	if (!rfc.empty()) {
		print_rfc2544(stdout, rfc);
	}
	if (auto w = write_outputs(g, meta, runs, rfc, all); !w) {
		return skiff::report_startup_error(prog, w.err());
	}
	return 0;
}

} // namespace

int main(int argc, char **argv) {
	skiff::options opts;
	opts.log_level = "warn"; // the results are the output; -- log-level info for more
	gen_options g;
	tcp_options t;
	CLI::App app{"skiff-gen: a traffic generator and meter on DPDK queues: UDP on raw "
	             "queues, or stateful TCP through skiff's stack (--tcp)",
	             prog};
	skiff::add_common_options(app, opts);
	add_gen_options(app, g);
	add_tcp_options(app, t);
	if (auto rc = skiff::app::parse_cli(app, argc, argv)) {
		return *rc;
	}
	if (!t.pattern.empty()) {
		if (auto c = check_tcp_mode(app, opts); !c) {
			return skiff::report_startup_error(prog, c.err());
		}
		if (app.count("--ephemeral-ports") == 0) {
			opts.ephemeral_lo = 1024; // a load generator owns its stack's ports
		}
		if (app.count("--mem") == 0) {
			opts.mem_mb = 512; // two stacks, each with a 64 MB rte_lpm DIR-24-8 table
		}
		return run_tcp(opts, t, tcp_shared_of(app, g, argc, argv));
	}
	auto in = parse_inputs(g);
	if (!in) {
		return skiff::report_startup_error(prog, in.err());
	}
	if (auto c = check_modes(g, opts, *in); !c) {
		return skiff::report_startup_error(prog, c.err());
	}
	setup s;
	if (auto r = bring_up(s, opts, g); !r) {
		return skiff::report_startup_error(prog, r.err());
	}
	if (auto r = check_sizes(s, *in); !r) {
		return skiff::report_startup_error(prog, r.err());
	}
	int rc = run_all(s, *in, opts, g, argc, argv);
	for (auto &p : s.ports) {
		p.close();
	}
	return rc;
}
