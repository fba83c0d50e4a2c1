#include "net/counters.h"

namespace skiff::net {

namespace {
constexpr const char *drop_names[] = {
#define SKIFF_X(name, text) #name,
    SKIFF_DROP_REASONS(SKIFF_X)
#undef SKIFF_X
};
constexpr const char *drop_texts[] = {
#define SKIFF_X(name, text) text,
    SKIFF_DROP_REASONS(SKIFF_X)
#undef SKIFF_X
};
constexpr const char *stage_names[] = {
#define SKIFF_X(name, text) #name,
    SKIFF_STAGES(SKIFF_X)
#undef SKIFF_X
};
} // namespace

const char *drop_name(drop_reason r) {
	return drop_names[static_cast<size_t>(r)];
}
const char *drop_description(drop_reason r) {
	return drop_texts[static_cast<size_t>(r)];
}
const char *stage_name(stage s) {
	return stage_names[static_cast<size_t>(s)];
}

uint64_t core_counters::total_drops() const {
	uint64_t total = 0;
	for (const uint64_t &d : drops) {
		total += peek(d);
	}
	return total;
}

core_counters sum(const core_counters *const *cores, size_t n) {
	core_counters s;
	for (size_t i = 0; i < n; i++) {
		const core_counters &c = *cores[i];
		s.rx_packets += peek(c.rx_packets);
		s.rx_bytes += peek(c.rx_bytes);
		s.tx_packets += peek(c.tx_packets);
		s.tx_bytes += peek(c.tx_bytes);
		s.arp_replies_sent += peek(c.arp_replies_sent);
		s.arp_requests_sent += peek(c.arp_requests_sent);
		s.ndp_adverts_sent += peek(c.ndp_adverts_sent);
		s.ndp_solicits_sent += peek(c.ndp_solicits_sent);
		s.echo_replies_sent += peek(c.echo_replies_sent);
		s.echo_replies_received += peek(c.echo_replies_received);
		s.udp_delivered += peek(c.udp_delivered);
		s.udp_sent += peek(c.udp_sent);
		s.tcp_sent += peek(c.tcp_sent);
		s.tcp_steered += peek(c.tcp_steered);
		s.tcp_cookies_sent += peek(c.tcp_cookies_sent);
		s.unreachables_sent += peek(c.unreachables_sent);
		s.unreachables_limited += peek(c.unreachables_limited);
		s.forwarded += peek(c.forwarded);
		s.icmp_errors_sent += peek(c.icmp_errors_sent);
		s.polls += peek(c.polls);
		s.busy_polls += peek(c.busy_polls);
		for (size_t d = 0; d < n_drop_reasons; d++) {
			s.drops[d] += peek(c.drops[d]);
		}
		for (size_t st = 0; st < n_stages; st++) {
			s.stages[st].calls += peek(c.stages[st].calls);
			s.stages[st].packets += peek(c.stages[st].packets);
			s.stages[st].cycles += peek(c.stages[st].cycles);
		}
	}
	return s;
}

} // namespace skiff::net
