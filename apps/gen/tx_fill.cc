#include "tx_fill.h"

#include <algorithm>

namespace skiff::gen {

namespace {

/// The complement of a 32-bit term: subtracts it modulo 0xffff.
inline uint64_t neg32(uint32_t v) {
	return uint32_t(~v);
}

constexpr size_t line = 64;

copy_kind pad_kind(const packet_template &t, unsigned data_room) {
	if (!t.probe) {
		return copy_kind::exact; // pcap frames: many, each copied as is
	}
	if (t.data.size() <= 64 && data_room >= 64) {
		return copy_kind::pad_64;
	}
	if (t.data.size() <= 128 && data_room >= 128) {
		return copy_kind::pad_128;
	}
	return copy_kind::exact;
}

size_t arena_bytes(copy_kind k, size_t len) {
	switch (k) {
	case copy_kind::pad_64:
		return 64;
	case copy_kind::pad_128:
		return 128;
	default:
		return (len + line - 1) / line * line;
	}
}

} // namespace

tx_slot make_tx_slot(const packet_template &t, uint32_t stream, const uint8_t *data,
                     copy_kind copy) {
	tx_slot s;
	s.data = data;
	s.len = uint32_t(t.data.size());
	s.wire_len = t.wire_len;
	s.copy = copy;
	s.probe = t.probe;
	if (!t.probe) {
		return s;
	}
	const uint8_t *d = t.data.data();
	s.ip4 = !t.v6;
	s.ip_cksum_off = t.ip_cksum_off;
	s.src_off = t.src_off;
	s.dst_off = t.dst_off;
	s.udp_off = t.udp_off;
	s.probe_off = t.probe_off;
	s.stream_word = stream_magic | stream;
	// The template's probe is all zero: it adds nothing to be taken out.
	s.udp_sum = uint16_t(~wire::load_be16(d + t.udp_off + 6)) + uint64_t(s.stream_word);
	uint64_t old_addrs =
	    neg32(wire::load_be32(d + t.src_off)) + neg32(wire::load_be32(d + t.dst_off));
	s.flow_udp_sum = s.udp_sum + old_addrs + neg32(wire::load_be32(d + t.udp_off));
	if (s.ip4) {
		s.flow_ip_sum = uint16_t(~wire::load_be16(d + t.ip_cksum_off)) + old_addrs;
	}
	return s;
}

tx_slots::tx_slots(const std::vector<const packet_template *> &slots, uint32_t stream,
                   unsigned data_room) {
	// One padded copy per distinct probe template (IMIX repeats them).
	std::vector<const packet_template *> distinct;
	std::vector<size_t> offset;
	size_t total = 0;
	for (const packet_template *t : slots) {
		copy_kind k = pad_kind(*t, data_room);
		if (k == copy_kind::exact ||
		    std::find(distinct.begin(), distinct.end(), t) != distinct.end()) {
			continue;
		}
		distinct.push_back(t);
		offset.push_back(total);
		total += arena_bytes(k, t->data.size());
	}
	_arena.assign(total, 0);
	for (size_t i = 0; i < distinct.size(); i++) {
		std::memcpy(_arena.data() + offset[i], distinct[i]->data.data(),
		            distinct[i]->data.size());
	}
	_slots.reserve(slots.size());
	for (const packet_template *t : slots) {
		copy_kind k = pad_kind(*t, data_room);
		const uint8_t *data = t->data.data();
		if (k != copy_kind::exact) {
			size_t i = size_t(std::find(distinct.begin(), distinct.end(), t) -
			                  distinct.begin());
			data = _arena.data() + offset[i];
		}
		_slots.push_back(make_tx_slot(*t, stream, data, k));
	}
}

} // namespace skiff::gen
