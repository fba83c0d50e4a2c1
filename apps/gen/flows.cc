#include "flows.h"
#include "tx_fill.h"

#include "wire/builder.h"
#include "wire/checksum.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <memory>

namespace skiff::gen {

namespace {

constexpr uint16_t eth_len = 14;
constexpr uint16_t ipv4_len = 20;
constexpr uint16_t ipv6_len = 40;
constexpr uint16_t udp_len = 8;
constexpr uint8_t proto_udp = 17;

/// An mbuf over a private buffer, for the builders at startup: they only
/// prepend and append, which needs no pool.
struct scratch_mbuf {
	rte_mbuf m;
	alignas(RTE_CACHE_LINE_SIZE) uint8_t buf[RTE_PKTMBUF_HEADROOM + 9216];

	scratch_mbuf() {
		std::memset(&m, 0, sizeof(m));
		m.buf_addr = buf;
		m.buf_len = sizeof(buf);
		m.data_off = RTE_PKTMBUF_HEADROOM;
		m.nb_segs = 1;
		m.next = nullptr;
		rte_mbuf_refcnt_set(&m, 1);
	}
};

} // namespace

unsigned min_probe_frame(bool v6) {
	unsigned need = eth_len + (v6 ? ipv6_len : ipv4_len) + udp_len + probe_len + fcs_len;
	return need < min_frame ? min_frame : need;
}

result<packet_template> build_probe_template(const flow_spec &spec, unsigned frame) {
	if (spec.src.v6 != spec.dst.v6) {
		return make_error(-EINVAL, "--src and --dst must be the same address family");
	}
	bool v6 = spec.src.v6;
	if (frame < min_probe_frame(v6) || frame > 9018) {
		return make_error(-EINVAL, "frame size " + std::to_string(frame) +
		                               " is below the " +
		                               std::to_string(min_probe_frame(v6)) +
		                               "-byte minimum for " + (v6 ? "IPv6" : "IPv4") +
		                               " UDP with skiff-gen's 16-byte probe header");
	}
	uint16_t ip_len = v6 ? ipv6_len : ipv4_len;
	uint16_t payload = uint16_t(frame - fcs_len - eth_len - ip_len - udp_len);
	auto s = std::make_unique<scratch_mbuf>();
	rte_mbuf *m = &s->m;
	std::vector<uint8_t> zeros(payload, 0);
	wire::tx_offloads none; // software checksums: the template is copied verbatim
	bool ok = wire::append_bytes(m, zeros) &&
	          wire::push_udp(m, spec.sport.lo, spec.dport.lo) != nullptr;
	if (ok && v6) {
		wire::ipv6_addr src = wire::ipv6_addr::from(spec.src.base.data());
		wire::ipv6_addr dst = wire::ipv6_addr::from(spec.dst.base.data());
		ok = wire::finalize_l4_cksum_v6(m, src, dst, proto_udp, none) &&
		     wire::push_ipv6(m, src, dst, proto_udp, spec.ttl) != nullptr &&
		     wire::push_eth(m, spec.dst_mac, spec.src_mac, RTE_ETHER_TYPE_IPV6) != nullptr;
	} else if (ok) {
		wire::ipv4_addr src = wire::ipv4_addr::from(spec.src.base.data());
		wire::ipv4_addr dst = wire::ipv4_addr::from(spec.dst.base.data());
		ok = wire::finalize_l4_cksum_v4(m, src, dst, proto_udp, none) &&
		     wire::push_ipv4(m, src, dst, proto_udp, spec.ttl, none) != nullptr &&
		     wire::push_eth(m, spec.dst_mac, spec.src_mac, RTE_ETHER_TYPE_IPV4) != nullptr;
	}
	if (!ok || m->pkt_len != frame - fcs_len) {
		return make_error(-EINVAL,
		                  "cannot build a " + std::to_string(frame) + "-byte frame");
	}
	packet_template t;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	t.data.assign(d, d + m->pkt_len);
	t.wire_len = uint16_t(frame);
	t.probe = true;
	t.v6 = v6;
	t.udp_off = eth_len + ip_len;
	t.probe_off = t.udp_off + udp_len;
	if (v6) {
		t.src_off = eth_len + 8 + 12;
		t.dst_off = eth_len + 24 + 12;
	} else {
		t.ip_cksum_off = eth_len + 10;
		t.src_off = eth_len + 12;
		t.dst_off = eth_len + 16;
		std::memcpy(&t.ip_cksum, d + t.ip_cksum_off, 2);
	}
	std::memcpy(&t.udp_cksum, d + t.udp_off + 6, 2);
	return t;
}

packet_template raw_template(wire::bytes frame) {
	packet_template t;
	t.data.assign(frame.begin(), frame.end());
	t.wire_len = uint16_t(frame.size() + fcs_len);
	return t;
}

flow_cursor::flow_cursor(const flow_spec &spec)
    : _n_src(spec.src.count), _n_dst(spec.dst.count), _n_sport(spec.sport.count()),
      _n_dport(spec.dport.count()), _src_base(spec.src.base_low32()),
      _dst_base(spec.dst.base_low32()), _sport_base(spec.sport.lo), _dport_base(spec.dport.lo),
      _varies(spec.flows() > 1) {}

void flow_cursor::skip(uint64_t n) {
	// Mixed-radix addition of n, least significant digit (dport) first.
	uint64_t carry = n;
	auto add = [&carry](uint32_t &digit, uint32_t radix) {
		uint64_t v = digit + carry;
		digit = uint32_t(v % radix);
		carry = v / radix;
	};
	add(_dport, _n_dport);
	add(_sport, _n_sport);
	add(_dst, _n_dst);
	add(_src, _n_src);
}

void fill_packet(uint8_t *dst, const packet_template &t, const flow_cursor &fc, uint32_t stream,
                 uint64_t seq, uint32_t tsc32) {
	// The sender's own code (tx_fill.h), with an exact copy: dst has room
	// for the frame only.
	std::memcpy(dst, t.data.data(), t.data.size());
	if (!t.probe) {
		return;
	}
	tx_slot s = make_tx_slot(t, stream, t.data.data(), copy_kind::exact);
	if (fc.varies()) {
		write_probe<true>(dst, s, fc, seq, tsc32);
	} else {
		write_probe<false>(dst, s, fc, seq, tsc32);
	}
}

bool parse_probe(const uint8_t *p, uint32_t len, probe_fields &out) {
	if (len < eth_len) {
		return false;
	}
	uint16_t et = wire::load_be16(p + 12);
	uint32_t udp = 0;
	if (et == RTE_ETHER_TYPE_IPV4) {
		if (len < eth_len + ipv4_len || (p[eth_len] >> 4) != 4 ||
		    p[eth_len + 9] != proto_udp) {
			return false;
		}
		uint32_t ihl = (p[eth_len] & 0x0f) * 4u;
		// A non-first fragment carries no UDP header.
		if (ihl < ipv4_len || (wire::load_be16(p + eth_len + 6) & 0x1fff) != 0) {
			return false;
		}
		udp = eth_len + ihl;
	} else if (et == RTE_ETHER_TYPE_IPV6) {
		if (len < eth_len + ipv6_len || (p[eth_len] >> 4) != 6 ||
		    p[eth_len + 6] != proto_udp) {
			return false;
		}
		udp = eth_len + ipv6_len;
	} else {
		return false;
	}
	if (len < udp + udp_len + probe_len) {
		return false;
	}
	const uint8_t *pr = p + udp + udp_len;
	uint32_t stream = wire::load_be32(pr);
	if ((stream & stream_magic_mask) != stream_magic) {
		return false;
	}
	out.stream = stream & ~stream_magic_mask;
	uint64_t seq;
	std::memcpy(&seq, pr + 4, 8);
	out.seq = rte_be_to_cpu_64(seq);
	out.tsc32 = wire::load_be32(pr + 12);
	return true;
}

} // namespace skiff::gen
