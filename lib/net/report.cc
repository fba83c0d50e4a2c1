#include "net/report.h"
#include "net/worker.h"

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include <atomic>
#include <cstdio>

namespace skiff::net {

namespace {

double per_packet(const stage_counters &s) {
	uint64_t p = peek(s.packets);
	return p ? double(peek(s.cycles)) / double(p) : 0.0;
}

void append(std::string &out, const char *fmt, auto... args) {
	char line[256];
	snprintf(line, sizeof(line), fmt, args...);
	out += line;
}

// TCP's own counters (lib/tcp), summed over the cores.
tcp::tcp_counters tcp_totals(const stack &s) {
	tcp::tcp_counters t;
	for (const auto &w : s.workers()) {
		const tcp::tcp_counters &c = w->tcp_counters();
		for (size_t i = 0; i < tcp::n_tcp_drops; i++) {
			t.drops[i] += tcp::tcp_counters::peek(c.drops[i]);
		}
		for (size_t i = 0; i < tcp::n_tcp_events; i++) {
			t.events[i] += tcp::tcp_counters::peek(c.events[i]);
		}
	}
	return t;
}

void append_tcp(std::string &out, const stack &s) {
	tcp::tcp_counters t = tcp_totals(s);
	using tcp::tcp_event;
	if (t.counted(tcp_event::segs_in) == 0 && t.counted(tcp_event::segs_out) == 0) {
		return;
	}
	append(out,
	       "tcp: %lu segs in, %lu out | opens %lu active, %lu passive, %lu established | "
	       "%lu retransmits (%lu RTO, %lu fast) | resets %lu in, %lu out\n",
	       t.counted(tcp_event::segs_in), t.counted(tcp_event::segs_out),
	       t.counted(tcp_event::active_opens), t.counted(tcp_event::passive_opens),
	       t.counted(tcp_event::established), t.counted(tcp_event::retransmits),
	       t.counted(tcp_event::rto_expired), t.counted(tcp_event::fast_retransmits),
	       t.counted(tcp_event::resets_received), t.counted(tcp_event::resets_sent));
	for (size_t i = 0; i < tcp::n_tcp_drops; i++) {
		if (t.drops[i]) {
			append(out, "  drop %-24s %10lu  (%s)\n",
			       tcp::tcp_drop_name(tcp::tcp_drop(i)), t.drops[i],
			       tcp::tcp_drop_description(tcp::tcp_drop(i)));
		}
	}
}

} // namespace

std::string format_stats(const stack &s) {
	std::string out;
	core_counters t = s.totals();
	append(out, "rx %lu pkts %lu bytes | tx %lu pkts %lu bytes | dropped %lu\n", t.rx_packets,
	       t.rx_bytes, t.tx_packets, t.tx_bytes, t.total_drops());
	append(out,
	       "arp: %lu replies, %lu requests sent | ndp: %lu adverts, %lu solicits sent | "
	       "echo: %lu replies sent, %lu replies received\n",
	       t.arp_replies_sent, t.arp_requests_sent, t.ndp_adverts_sent, t.ndp_solicits_sent,
	       t.echo_replies_sent, t.echo_replies_received);
	append(out, "udp: %lu delivered, %lu sent | icmp unreachable: %lu sent, %lu rate-limited\n",
	       t.udp_delivered, t.udp_sent, t.unreachables_sent, t.unreachables_limited);
	if (t.forwarded || t.icmp_errors_sent) {
		append(out, "forward: %lu forwarded | icmp errors: %lu sent\n", t.forwarded,
		       t.icmp_errors_sent);
	}
	append_tcp(out, s);
	for (const auto &w : s.workers()) {
		const core_counters &c = w->counters();
		append(out, "  core %u: rx %lu tx %lu dropped %lu polls %lu (busy %lu)\n",
		       w->index(), peek(c.rx_packets), peek(c.tx_packets), c.total_drops(),
		       peek(c.polls), peek(c.busy_polls));
	}
	for (size_t i = 0; i < n_stages; i++) {
		if (t.stages[i].packets) {
			append(out, "  stage %-5s %10lu pkts %8.1f cycles/pkt\n",
			       stage_name(stage(i)), t.stages[i].packets, per_packet(t.stages[i]));
		}
	}
	for (size_t i = 0; i < n_drop_reasons; i++) {
		if (t.drops[i]) {
			append(out, "  drop %-24s %10lu  (%s)\n", drop_name(drop_reason(i)),
			       t.drops[i], drop_description(drop_reason(i)));
		}
	}
	return out;
}

namespace {

// rte_telemetry callbacks take no context pointer, so the stack they report
// on is published here once, before the EAL can call them.
std::atomic<const stack *> g_stack{nullptr};

int tel_stats(const char *, const char *, rte_tel_data *d) {
	const stack *s = g_stack.load(std::memory_order_acquire);
	core_counters t = s->totals();
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_packets", t.rx_packets);
	rte_tel_data_add_dict_u64(d, "rx_bytes", t.rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", t.tx_packets);
	rte_tel_data_add_dict_u64(d, "tx_bytes", t.tx_bytes);
	rte_tel_data_add_dict_u64(d, "dropped", t.total_drops());
	rte_tel_data_add_dict_u64(d, "arp_replies_sent", t.arp_replies_sent);
	rte_tel_data_add_dict_u64(d, "arp_requests_sent", t.arp_requests_sent);
	rte_tel_data_add_dict_u64(d, "ndp_adverts_sent", t.ndp_adverts_sent);
	rte_tel_data_add_dict_u64(d, "ndp_solicits_sent", t.ndp_solicits_sent);
	rte_tel_data_add_dict_u64(d, "echo_replies_sent", t.echo_replies_sent);
	rte_tel_data_add_dict_u64(d, "echo_replies_received", t.echo_replies_received);
	rte_tel_data_add_dict_u64(d, "udp_delivered", t.udp_delivered);
	rte_tel_data_add_dict_u64(d, "udp_sent", t.udp_sent);
	rte_tel_data_add_dict_u64(d, "tcp_sent", t.tcp_sent);
	rte_tel_data_add_dict_u64(d, "tcp_steered", t.tcp_steered);
	rte_tel_data_add_dict_u64(d, "tcp_cookies_sent", t.tcp_cookies_sent);
	rte_tel_data_add_dict_u64(d, "unreachables_sent", t.unreachables_sent);
	rte_tel_data_add_dict_u64(d, "unreachables_limited", t.unreachables_limited);
	rte_tel_data_add_dict_u64(d, "forwarded", t.forwarded);
	rte_tel_data_add_dict_u64(d, "icmp_errors_sent", t.icmp_errors_sent);
	return 0;
}

int tel_tcp(const char *, const char *, rte_tel_data *d) {
	tcp::tcp_counters t = tcp_totals(*g_stack.load(std::memory_order_acquire));
	rte_tel_data_start_dict(d);
	for (size_t i = 0; i < tcp::n_tcp_events; i++) {
		rte_tel_data_add_dict_u64(d, tcp::tcp_event_name(tcp::tcp_event(i)), t.events[i]);
	}
	for (size_t i = 0; i < tcp::n_tcp_drops; i++) {
		rte_tel_data_add_dict_u64(d, tcp::tcp_drop_name(tcp::tcp_drop(i)), t.drops[i]);
	}
	return 0;
}

int tel_drops(const char *, const char *, rte_tel_data *d) {
	core_counters t = g_stack.load(std::memory_order_acquire)->totals();
	rte_tel_data_start_dict(d);
	for (size_t i = 0; i < n_drop_reasons; i++) {
		rte_tel_data_add_dict_u64(d, drop_name(drop_reason(i)), t.drops[i]);
	}
	return 0;
}

int tel_cores(const char *, const char *, rte_tel_data *d) {
	const stack *s = g_stack.load(std::memory_order_acquire);
	rte_tel_data_start_dict(d);
	for (const auto &w : s->workers()) {
		const core_counters &c = w->counters();
		rte_tel_data *core = rte_tel_data_alloc();
		if (!core) {
			return -ENOMEM;
		}
		rte_tel_data_start_dict(core);
		rte_tel_data_add_dict_u64(core, "rx_packets", peek(c.rx_packets));
		rte_tel_data_add_dict_u64(core, "tx_packets", peek(c.tx_packets));
		rte_tel_data_add_dict_u64(core, "dropped", c.total_drops());
		rte_tel_data_add_dict_u64(core, "polls", peek(c.polls));
		rte_tel_data_add_dict_u64(core, "busy_polls", peek(c.busy_polls));
		std::string name = "core" + std::to_string(w->index());
		rte_tel_data_add_dict_container(d, name.c_str(), core, 0);
	}
	return 0;
}

int tel_stages(const char *, const char *, rte_tel_data *d) {
	core_counters t = g_stack.load(std::memory_order_acquire)->totals();
	rte_tel_data_start_dict(d);
	for (size_t i = 0; i < n_stages; i++) {
		rte_tel_data *st = rte_tel_data_alloc();
		if (!st) {
			return -ENOMEM;
		}
		rte_tel_data_start_dict(st);
		rte_tel_data_add_dict_u64(st, "calls", t.stages[i].calls);
		rte_tel_data_add_dict_u64(st, "packets", t.stages[i].packets);
		rte_tel_data_add_dict_u64(st, "cycles", t.stages[i].cycles);
		rte_tel_data_add_dict_u64(st, "cycles_per_packet",
		                          uint64_t(per_packet(t.stages[i])));
		rte_tel_data_add_dict_container(d, stage_name(stage(i)), st, 0);
	}
	return 0;
}

int tel_routes(const char *, const char *, rte_tel_data *d) {
	const stack *s = g_stack.load(std::memory_order_acquire);
	rte_tel_data_start_dict(d);
	for (const auto &r : s->routes().routes4()) {
		std::string via = r.nh.on_link() ? "on-link" : r.nh.gateway.to_string();
		via += " port " + std::to_string(s->ifaces()[r.nh.iface].port_id);
		rte_tel_data_add_dict_string(d, to_string(r.dst).c_str(), via.c_str());
	}
	for (const auto &r : s->routes().routes6()) {
		std::string via = r.nh.on_link() ? "on-link" : r.nh.gateway.to_string();
		via += " port " + std::to_string(s->ifaces()[r.nh.iface].port_id);
		rte_tel_data_add_dict_string(d, to_string(r.dst).c_str(), via.c_str());
	}
	return 0;
}

} // namespace

void register_telemetry(const stack &s) {
	const stack *expected = nullptr;
	if (!g_stack.compare_exchange_strong(expected, &s)) {
		return; // one stack per process is reported
	}
	rte_telemetry_register_cmd("/skiff/stats", tel_stats, "Stack totals. No parameters");
	rte_telemetry_register_cmd("/skiff/drops", tel_drops,
	                           "Dropped packets by reason. No parameters");
	rte_telemetry_register_cmd("/skiff/cores", tel_cores, "Per-core counters. No parameters");
	rte_telemetry_register_cmd("/skiff/stages", tel_stages,
	                           "Pipeline stages with cycles per packet. No parameters");
	rte_telemetry_register_cmd("/skiff/routes", tel_routes, "The route table. No parameters");
	rte_telemetry_register_cmd("/skiff/tcp", tel_tcp,
	                           "TCP events and drop reasons, summed over cores. No parameters");
}

} // namespace skiff::net
