#include "report.h"

#include "spec.h"

#include <algorithm>
#include <cinttypes>
#include <fstream>
#include <sstream>

namespace skiff::gen {

namespace {

nlohmann::json run_json(const run_stats &r) {
	nlohmann::json j = {
	    {"frame_size", r.label},
	    {"mean_frame_bytes", r.mean_frame},
	    {"duration_s", r.duration_s},
	    {"tx_packets", r.tx_packets},
	    {"tx_bytes_l2", r.tx_bytes},
	    {"tx_pps", r.tx_pps()},
	    {"tx_bps_l1", r.tx_bps_l1()},
	    {"tx_bps_l2", r.tx_bps_l2()},
	    {"line_rate_pps", r.line_rate_pps},
	    {"link_speed_bps", r.link_speed_bps},
	    {"above_line_rate", r.above_line_rate()},
	};
	if (r.rx_enabled) {
		j["rx_packets"] = r.rx_packets;
		j["rx_pps"] = r.rx_pps();
		j["rx_bps_l1"] = r.rx_bps_l1();
		j["rx_bps_l2"] = r.rx_bps_l2();
		j["rx_probes"] = r.rx_probes;
		j["lost"] = r.lost;
		j["reordered"] = r.reordered;
		j["duplicates"] = r.duplicates;
		j["latency_ns"] = latency_json(r.latency);
	} else {
		for (const char *k :
		     {"rx_packets", "rx_pps", "lost", "reordered", "duplicates", "latency_ns"}) {
			j[k] = nullptr; // not measured: --tx-only, or no receiving port
		}
	}
	return j;
}

nlohmann::json threshold_json(const threshold_result &t, double frame) {
	return {{"pps", t.rate_pps},
	        {"bps_l1", t.rate_pps * frame_bits(unsigned(frame), true)},
	        {"bps_l2", t.rate_pps * frame_bits(unsigned(frame), false)},
	        {"loss_pct", t.loss_pct},
	        {"generator_limited", t.generator_limited},
	        {"trials", t.trials}};
}

} // namespace

latency_summary latency_summary::of(const histogram &h) {
	latency_summary l;
	l.samples = h.count();
	l.min = h.min();
	l.p50 = h.percentile(50);
	l.p99 = h.percentile(99);
	l.p999 = h.percentile(99.9);
	l.max = h.max();
	return l;
}

shown_rate cap_pps(double measured_pps, double line_rate_pps) {
	if (line_rate_pps > 0 && measured_pps > line_rate_pps * 1.001) {
		return {line_rate_pps, true};
	}
	return {measured_pps, false};
}

run_stats total_of(const std::vector<run_stats> &runs, const histogram &merged) {
	run_stats t;
	t.label = runs.size() == 1 ? runs[0].label : "all";
	double frames = 0;
	for (const run_stats &r : runs) {
		t.duration_s += r.duration_s;
		t.tx_packets += r.tx_packets;
		t.tx_bytes += r.tx_bytes;
		t.rx_enabled = r.rx_enabled;
		t.rx_packets += r.rx_packets;
		t.rx_bytes += r.rx_bytes;
		t.rx_probes += r.rx_probes;
		t.rx_unique += r.rx_unique;
		t.lost += r.lost;
		t.reordered += r.reordered;
		t.duplicates += r.duplicates;
		t.link_speed_bps = r.link_speed_bps;
		frames += r.mean_frame * double(r.tx_packets);
	}
	t.mean_frame = t.tx_packets ? frames / double(t.tx_packets) : 0;
	if (runs.size() == 1) {
		t.mean_frame = runs[0].mean_frame;
	}
	t.line_rate_pps = t.link_speed_bps > 0 && t.mean_frame > 0
	                      ? line_rate_pps(t.link_speed_bps, t.mean_frame)
	                      : 0;
	t.latency = latency_summary::of(merged);
	return t;
}

result<void> write_report(const std::string &path, const std::string &text, const char *option) {
	std::ofstream f(path);
	f << text;
	if (!f) {
		return make_error(-EIO, std::string("cannot write ") + option + " " + path);
	}
	return {};
}

std::string format_ns(uint64_t ns) {
	char buf[32];
	if (ns < 1000) {
		std::snprintf(buf, sizeof(buf), "%" PRIu64 " ns", ns);
	} else if (ns < 1000000) {
		std::snprintf(buf, sizeof(buf), "%.1f us", double(ns) / 1e3);
	} else if (ns < 1000000000) {
		std::snprintf(buf, sizeof(buf), "%.2f ms", double(ns) / 1e6);
	} else {
		std::snprintf(buf, sizeof(buf), "%.2f s", double(ns) / 1e9);
	}
	return buf;
}

std::string progress_line(double elapsed_s, const run_stats &rs, uint64_t lost_so_far,
                          uint64_t p99_ns) {
	shown_rate tx = cap_pps(rs.tx_pps(), rs.line_rate_pps);
	double scale = rs.tx_pps() > 0 ? tx.value / rs.tx_pps() : 0;
	const char *mark = tx.capped ? "*" : "";
	char buf[256];
	int n = std::snprintf(buf, sizeof(buf), "[%.0fs %s] tx %s%s %s%s %s%s", elapsed_s,
	                      rs.label.c_str(), si(tx.value, "pps").c_str(), mark,
	                      si(rs.tx_bps_l1() * scale, "bit/s L1").c_str(), mark,
	                      si(rs.tx_bps_l2() * scale, "bit/s L2").c_str(), mark);
	std::string line(buf, size_t(std::max(n, 0)));
	if (rs.rx_enabled) {
		shown_rate rx = cap_pps(rs.rx_pps(), rs.line_rate_pps);
		double rscale = rs.rx_pps() > 0 ? rx.value / rs.rx_pps() : 0;
		const char *rmark = rx.capped ? "*" : "";
		std::snprintf(buf, sizeof(buf), " | rx %s%s %s%s %s%s | lost %" PRIu64 " | p99 %s",
		              si(rx.value, "pps").c_str(), rmark,
		              si(rs.rx_bps_l1() * rscale, "bit/s L1").c_str(), rmark,
		              si(rs.rx_bps_l2() * rscale, "bit/s L2").c_str(), rmark, lost_so_far,
		              p99_ns ? format_ns(p99_ns).c_str() : "-");
		line += buf;
	}
	if (tx.capped) {
		line += " (* line-rate cap)";
	}
	return line;
}

void print_table(FILE *out, const std::vector<run_stats> &runs, const run_meta &meta) {
	std::fprintf(out, "%-6s %8s %12s %14s %16s %16s", "size", "seconds", "tx packets",
	             "tx rate", "tx L1", "tx L2");
	bool rx = !runs.empty() && runs[0].rx_enabled;
	if (rx) {
		std::fprintf(out, " %12s %14s %10s %9s %6s %9s %9s %9s %9s", "rx packets",
		             "rx rate", "lost", "reordered", "dup", "lat p50", "p99", "p99.9",
		             "max");
	}
	std::fputc('\n', out);
	bool any_capped = false;
	for (const run_stats &r : runs) {
		shown_rate tx = cap_pps(r.tx_pps(), r.line_rate_pps);
		double scale = r.tx_pps() > 0 ? tx.value / r.tx_pps() : 0;
		const char *mark = tx.capped ? "*" : " ";
		any_capped |= tx.capped;
		std::fprintf(out, "%-6s %8.2f %12" PRIu64 " %13s%s %15s%s %15s%s", r.label.c_str(),
		             r.duration_s, r.tx_packets, si(tx.value, "pps").c_str(), mark,
		             si(r.tx_bps_l1() * scale, "b/s L1").c_str(), mark,
		             si(r.tx_bps_l2() * scale, "b/s L2").c_str(), mark);
		if (rx) {
			shown_rate rr = cap_pps(r.rx_pps(), r.line_rate_pps);
			any_capped |= rr.capped;
			const latency_summary &l = r.latency;
			std::fprintf(out,
			             " %12" PRIu64 " %13s%s %10" PRIu64 " %9" PRIu64 " %6" PRIu64
			             " %9s %9s %9s %9s",
			             r.rx_packets, si(rr.value, "pps").c_str(),
			             rr.capped ? "*" : " ", r.lost, r.reordered, r.duplicates,
			             l.samples ? format_ns(l.p50).c_str() : "-",
			             l.samples ? format_ns(l.p99).c_str() : "-",
			             l.samples ? format_ns(l.p999).c_str() : "-",
			             l.samples ? format_ns(l.max).c_str() : "-");
		}
		std::fputc('\n', out);
	}
	if (any_capped) {
		std::string ports;
		for (const port_meta &p : meta.ports) {
			ports += (ports.empty() ? "" : ", ") + p.name + " (" + p.driver + ", " +
			         std::to_string(p.link_speed_mbps) + " Mbit/s)";
		}
		std::fprintf(
		    out,
		    "warning: * the measured rate is above the physical line rate of the "
		    "link for this frame size (L1 = frame + 20 bytes of preamble and gap); "
		    "the device is virtual or its link speed is nominal: %s. The line rate "
		    "is shown instead; the JSON keeps the measured software rate.\n",
		    ports.c_str());
	}
}

void print_rfc2544(FILE *out, const std::vector<rfc2544_row> &rows) {
	std::fprintf(out, "RFC 2544 throughput (loss-free NDR, partial-drop PDR):\n");
	std::fprintf(out, "%-6s %14s %14s %16s %14s %16s %9s %7s\n", "size", "line rate", "NDR",
	             "NDR L1", "PDR", "PDR L1", "PDR loss", "trials");
	bool limited = false;
	for (const rfc2544_row &r : rows) {
		const search_result &s = r.result;
		auto bits = frame_bits(unsigned(r.mean_frame), true);
		const char *ml = s.ndr.generator_limited ? "^" : " ";
		const char *pl = s.pdr.generator_limited ? "^" : " ";
		limited |= s.ndr.generator_limited || s.pdr.generator_limited;
		std::fprintf(out, "%-6s %14s %13s%s %15s%s %13s%s %15s%s %8.3f%% %7zu\n",
		             r.label.c_str(), si(r.line_rate_pps, "pps").c_str(),
		             si(s.ndr.rate_pps, "pps").c_str(), ml,
		             si(s.ndr.rate_pps * bits, "b/s L1").c_str(), ml,
		             si(s.pdr.rate_pps, "pps").c_str(), pl,
		             si(s.pdr.rate_pps * bits, "b/s L1").c_str(), pl, s.pdr.loss_pct,
		             s.trials.size());
	}
	if (limited) {
		std::fprintf(out,
		             "^ generator-limited: skiff-gen could not offer more on its lcores, "
		             "so the device under test was not the bottleneck\n");
	}
}

nlohmann::json latency_json(const latency_summary &l) {
	return {{"samples", l.samples}, {"min", l.min},   {"p50", l.p50},
	        {"p99", l.p99},         {"p999", l.p999}, {"max", l.max}};
}

nlohmann::json meta_json(const run_meta &meta) {
	nlohmann::json ports = nlohmann::json::array();
	for (const port_meta &p : meta.ports) {
		ports.push_back({{"devargs", p.devargs},
		                 {"name", p.name},
		                 {"driver", p.driver},
		                 {"link_speed_mbps", p.link_speed_mbps},
		                 {"role", p.role}});
	}
	return {{"tool", "skiff-gen"}, {"dpdk_version", meta.dpdk_version},
	        {"mode", meta.mode},   {"rate", meta.rate},
	        {"flows", meta.flows}, {"lcores", meta.lcores},
	        {"args", meta.args},   {"ports", ports}};
}

nlohmann::json to_json(const run_meta &meta, const run_stats &total,
                       const std::vector<run_stats> &runs, const std::vector<rfc2544_row> &rfc) {
	nlohmann::json j = run_json(total);
	j.erase("frame_size");
	j.update(meta_json(meta));
	nlohmann::json rj = nlohmann::json::array();
	for (const run_stats &r : runs) {
		rj.push_back(run_json(r));
	}
	j["runs"] = rj;
	if (!rfc.empty()) {
		nlohmann::json a = nlohmann::json::array();
		for (const rfc2544_row &r : rfc) {
			nlohmann::json trials = nlohmann::json::array();
			for (const trial_outcome &t : r.result.trials) {
				trials.push_back({{"requested_pps", t.requested_pps},
				                  {"offered_pps", t.offered_pps},
				                  {"tx", t.tx},
				                  {"rx", t.rx},
				                  {"loss_pct", t.loss_pct()}});
			}
			a.push_back({{"frame_size", r.label},
			             {"line_rate_pps", r.line_rate_pps},
			             {"ndr", threshold_json(r.result.ndr, r.mean_frame)},
			             {"pdr", threshold_json(r.result.pdr, r.mean_frame)},
			             {"trials", trials}});
		}
		j["rfc2544"] = a;
	}
	return j;
}

std::string to_csv(const std::vector<run_stats> &runs) {
	std::ostringstream o;
	o << "frame_size,duration_s,tx_packets,tx_pps,tx_bps_l1,tx_bps_l2,line_rate_pps,"
	     "above_line_rate,rx_packets,rx_pps,lost,reordered,duplicates,lat_p50_ns,lat_p99_ns,"
	     "lat_p999_ns,lat_max_ns\n";
	for (const run_stats &r : runs) {
		o << r.label << ',' << r.duration_s << ',' << r.tx_packets << ',' << r.tx_pps()
		  << ',' << r.tx_bps_l1() << ',' << r.tx_bps_l2() << ',' << r.line_rate_pps << ','
		  << (r.above_line_rate() ? 1 : 0) << ',';
		if (r.rx_enabled) {
			o << r.rx_packets << ',' << r.rx_pps() << ',' << r.lost << ','
			  << r.reordered << ',' << r.duplicates << ',' << r.latency.p50 << ','
			  << r.latency.p99 << ',' << r.latency.p999 << ',' << r.latency.max;
		} else {
			o << ",,,,,,,,";
		}
		o << '\n';
	}
	return o.str();
}

} // namespace skiff::gen
