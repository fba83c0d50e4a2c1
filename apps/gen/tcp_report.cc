#include "tcp_report.h"

#include "spec.h"

#include <cinttypes>
#include <sstream>

namespace skiff::gen {

tcp_summary tcp_summary::of(const tcp_profile &p, const tcp_client_stats *c,
                            const tcp_server_stats *s) {
	tcp_summary t;
	t.profile = p;
	if (c) {
		t.client = true;
		t.opened = c->opened;
		t.established = c->established;
		t.completed = c->completed;
		t.transactions = c->transactions;
		std::copy(std::begin(c->failed), std::end(c->failed), std::begin(t.failed));
		t.bytes_sent = c->bytes_sent;
		t.bytes_received = c->bytes_received;
		t.max_open = c->max_open;
		t.paced_out = c->paced_out;
		t.open_waits = c->open_waits;
		t.seconds = c->seconds;
		t.connect = latency_summary::of(c->connect_ns);
		t.transaction = latency_summary::of(c->transaction_ns);
	}
	if (s) {
		t.server = true;
		t.served = *s;
	}
	return t;
}

uint64_t tcp_summary::failures() const {
	uint64_t n = 0;
	for (uint64_t f : failed) {
		n += f;
	}
	return n;
}

std::string tcp_progress_line(double elapsed_s, double interval_s, uint64_t completed,
                              uint64_t delta_completed, uint32_t open_now, uint64_t delta_tx,
                              uint64_t delta_rx, uint64_t failures, uint64_t p99_ns) {
	double per = interval_s > 0 ? 1.0 / interval_s : 0;
	char buf[256];
	std::snprintf(buf, sizeof(buf),
	              "[%.0fs] conns %s (%s) open %u | tx %s rx %s | failed %" PRIu64 " | p99 %s",
	              elapsed_s, si(double(completed), "").c_str(),
	              si(double(delta_completed) * per, "/s").c_str(), open_now,
	              si(8.0 * double(delta_tx) * per, "bit/s").c_str(),
	              si(8.0 * double(delta_rx) * per, "bit/s").c_str(), failures,
	              p99_ns ? format_ns(p99_ns).c_str() : "-");
	return buf;
}

namespace {

void print_latency(FILE *out, const char *what, const latency_summary &l) {
	if (l.samples == 0) {
		return;
	}
	std::fprintf(out, "  %-18s p50 %s  p99 %s  p99.9 %s  max %s  (%" PRIu64 " samples)\n", what,
	             format_ns(l.p50).c_str(), format_ns(l.p99).c_str(), format_ns(l.p999).c_str(),
	             format_ns(l.max).c_str(), l.samples);
}

void print_client(FILE *out, const tcp_summary &s) {
	std::fprintf(out,
	             "  connections        %" PRIu64 " opened, %" PRIu64 " established, %" PRIu64
	             " completed (%s), %" PRIu64 " failed; %" PRIu64 " open at most\n",
	             s.opened, s.established, s.completed,
	             si(s.per_second(s.completed), "/s").c_str(), s.failures(), s.max_open);
	if (s.failures()) {
		std::fprintf(out, "  failed             ");
		for (size_t i = 0; i < size_t(tcp_failure::count); i++) {
			std::fprintf(out, "%s %" PRIu64 "  ", tcp_failure_name(tcp_failure(i)),
			             s.failed[i]);
		}
		std::fprintf(out, "\n");
	}
	std::fprintf(out, "  transactions       %" PRIu64 " (%s)\n", s.transactions,
	             si(s.per_second(s.transactions), "/s").c_str());
	std::fprintf(out,
	             "  goodput            client->server %s, server->client %s "
	             "(payload, every byte checked)\n",
	             si(s.upload_bps(), "bit/s").c_str(), si(s.download_bps(), "bit/s").c_str());
	print_latency(out, "connect", s.connect);
	print_latency(out, "transaction", s.transaction);
	if (s.paced_out) {
		std::fprintf(out,
		             "  ^ %" PRIu64 " connections the --cps schedule asked for were not "
		             "opened: all --conns were busy (raise --conns)\n",
		             s.paced_out);
	}
	if (s.open_waits) {
		std::fprintf(out,
		             "  ^ opening waited %" PRIu64
		             " times for a free source port or socket: "
		             "TIME_WAIT holds a port for 2 MSL (widen --ephemeral-ports, lower "
		             "--msl)\n",
		             s.open_waits);
	}
}

} // namespace

void print_tcp_table(FILE *out, const tcp_summary &s) {
	const tcp_profile &p = s.profile;
	std::fprintf(out, "skiff-gen tcp %s: %u-byte requests, %u-byte responses, %s%u %s",
	             tcp_pattern_name(p.pattern), p.request, p.response,
	             p.pattern == tcp_pattern::short_conns ? "at most " : "", p.conns,
	             p.pattern == tcp_pattern::short_conns ? "open at once" : "flows");
	if (p.cps > 0) {
		std::fprintf(out, ", %s new", si(p.cps, "/s").c_str());
	}
	std::fprintf(out, "; %.2f s\n", s.seconds);
	if (s.client) {
		print_client(out, s);
	}
	if (s.server) {
		std::fprintf(out,
		             "  server             %" PRIu64 " accepted, %" PRIu64
		             " transactions, %" PRIu64 " bytes in, %" PRIu64 " out, %" PRIu64
		             " corrupted, %" PRIu64 " errors\n",
		             s.served.accepted, s.served.transactions, s.served.bytes_received,
		             s.served.bytes_sent, s.served.corrupted, s.served.errors);
	}
	std::fprintf(out, "  retransmitted      client %" PRIu64 ", server %" PRIu64 " segments\n",
	             s.client_retransmits, s.server_retransmits);
}

nlohmann::json tcp_to_json(const run_meta &meta, const tcp_summary &s) {
	const tcp_profile &p = s.profile;
	nlohmann::json j = meta_json(meta);
	j["profile"] = {{"pattern", tcp_pattern_name(p.pattern)},
	                {"request_bytes", p.request},
	                {"response_bytes", p.response},
	                {"conns", p.conns},
	                {"cps", p.cps},
	                {"count", p.count},
	                {"duration_s", p.duration},
	                {"timeout_s", p.timeout}};
	j["duration_s"] = s.seconds;
	if (s.client) {
		nlohmann::json failed;
		for (size_t i = 0; i < size_t(tcp_failure::count); i++) {
			failed[tcp_failure_name(tcp_failure(i))] = s.failed[i];
		}
		j["client"] = {{"opened", s.opened},
		               {"established", s.established},
		               {"completed", s.completed},
		               {"completed_per_s", s.per_second(s.completed)},
		               {"failed", failed},
		               {"failures", s.failures()},
		               {"max_open", s.max_open},
		               {"paced_out", s.paced_out},
		               {"open_waits", s.open_waits},
		               {"transactions", s.transactions},
		               {"transactions_per_s", s.per_second(s.transactions)},
		               {"bytes_sent", s.bytes_sent},
		               {"bytes_received", s.bytes_received},
		               {"upload_bps", s.upload_bps()},
		               {"download_bps", s.download_bps()},
		               {"connect_ns", latency_json(s.connect)},
		               {"transaction_ns", latency_json(s.transaction)},
		               {"retransmits", s.client_retransmits}};
	}
	if (s.server) {
		j["server"] = {{"accepted", s.served.accepted},
		               {"transactions", s.served.transactions},
		               {"bytes_received", s.served.bytes_received},
		               {"bytes_sent", s.served.bytes_sent},
		               {"corrupted", s.served.corrupted},
		               {"errors", s.served.errors},
		               {"retransmits", s.server_retransmits}};
	}
	return j;
}

std::string tcp_to_csv(const tcp_summary &s) {
	std::ostringstream o;
	o << "pattern,request,response,conns,seconds,opened,established,completed,completed_per_s,"
	     "failures,transactions,transactions_per_s,upload_bps,download_bps,connect_p50_ns,"
	     "connect_p99_ns,transaction_p50_ns,transaction_p99_ns,transaction_p999_ns,"
	     "transaction_max_ns,client_retransmits,server_retransmits\n";
	o << tcp_pattern_name(s.profile.pattern) << ',' << s.profile.request << ','
	  << s.profile.response << ',' << s.profile.conns << ',' << s.seconds << ',' << s.opened
	  << ',' << s.established << ',' << s.completed << ',' << s.per_second(s.completed) << ','
	  << s.failures() << ',' << s.transactions << ',' << s.per_second(s.transactions) << ','
	  << s.upload_bps() << ',' << s.download_bps() << ',' << s.connect.p50 << ','
	  << s.connect.p99 << ',' << s.transaction.p50 << ',' << s.transaction.p99 << ','
	  << s.transaction.p999 << ',' << s.transaction.max << ',' << s.client_retransmits << ','
	  << s.server_retransmits << '\n';
	return o.str();
}

} // namespace skiff::gen
