// Echo requests the stack originates (ping from the stack) and the replies
// that come back. The first 8 bytes of the payload carry the send time so a
// reply yields a round-trip time without any per-request state.

#include "net/stack.h"
#include "net/worker.h"

#include <rte_icmp.h>

#include <cstring>

namespace skiff::net {

rte_mbuf *worker::make_echo(uint8_t type, uint16_t id, uint16_t seq, uint16_t data_len) {
	if (data_len < sizeof(uint64_t)) {
		data_len = sizeof(uint64_t);
	}
	rte_mbuf *m = alloc();
	if (!m) {
		return nullptr;
	}
	auto *icmp = reinterpret_cast<rte_icmp_hdr *>(
	    rte_pktmbuf_append(m, sizeof(rte_icmp_hdr) + data_len));
	if (!icmp) {
		drop(m, drop_reason::no_headroom);
		return nullptr;
	}
	icmp->icmp_type = type;
	icmp->icmp_code = 0;
	icmp->icmp_cksum = 0;
	icmp->icmp_ident = rte_cpu_to_be_16(id);
	icmp->icmp_seq_nb = rte_cpu_to_be_16(seq);
	uint8_t *data = reinterpret_cast<uint8_t *>(icmp + 1);
	uint64_t now = _clock->now_ns();
	std::memcpy(data, &now, sizeof(now));
	for (uint16_t i = sizeof(now); i < data_len; i++) {
		data[i] = uint8_t(i); // the classic ping pattern
	}
	return m;
}

int worker::send_echo_request(const any_addr &dst, uint16_t id, uint16_t seq, uint16_t data_len) {
	_now_ns = _clock->now_ns();
	if (const auto *v4 = std::get_if<ipv4_addr>(&dst)) {
		return send_echo4(*v4, id, seq, data_len);
	}
	return send_echo6(std::get<ipv6_addr>(dst), id, seq, data_len);
}

void worker::deliver_echo_reply(const any_addr &from, uint16_t id, uint16_t seq, wire::bytes data) {
	bump(_counters.echo_replies_received);
	if (!_echo_hook) {
		return;
	}
	echo_reply r{from, id, seq, uint16_t(data.size()), _now_ns, 0};
	if (data.size() >= sizeof(uint64_t)) {
		std::memcpy(&r.sent_ns, data.data(), sizeof(uint64_t));
	}
	_echo_hook(_echo_ctx, r);
}

} // namespace skiff::net
