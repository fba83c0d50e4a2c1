#pragma once

// The frames skiff-gen sends and how it recognises them on receive.
//
// A template is a complete frame (without FCS) built once per frame size
// with lib/wire's builders: Ethernet, IPv4 or IPv6, UDP, then the 16-byte
// probe header, then zeros. Per packet, the sender (tx_fill.h; fill_packet()
// here for one frame) copies the template and rewrites only what changes:
// the probe (stream, sequence, timestamp) and, for ranges, the addresses and
// ports. The UDP (and IPv4 header) checksums follow by RFC 1624 incremental
// update from the template's.
//
// The probe, in network byte order, at the start of the UDP payload:
//   0  stream  u32   0x5347'nnnn: "SG" marks skiff-gen, nnnn is the sender's
//                     stream (one per sending lcore)
//   4  seq     u64   per-stream sequence number, from 0
//   12 tsc     u32   rte_rdtsc() >> 4 at transmit, wrapping: at 3 GHz it
//                     spans 22 s with 5.3 ns resolution
// 16 bytes keep the smallest IPv4 frame at 64 bytes (14+20+8+16+4 FCS = 62).
// IPv6 needs 14+40+8+16+4 = 82 bytes at least.

#include "base/result.h"
#include "spec.h"
#include "wire/bytes.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace skiff::gen {

inline constexpr unsigned probe_len = 16;
inline constexpr uint32_t stream_magic = 0x53470000; // "SG"
inline constexpr uint32_t stream_magic_mask = 0xffff0000;
inline constexpr unsigned tsc_shift = 4; ///< the probe carries rte_rdtsc() >> tsc_shift

/// Everything that defines the flows of a run.
struct flow_spec {
	wire::mac_addr src_mac;
	wire::mac_addr dst_mac;
	addr_range src;
	addr_range dst;
	port_range sport{1024, 1024};
	port_range dport{1024, 1024};
	uint8_t ttl = 64;

	/// Number of distinct 4-tuples.
	uint64_t flows() const {
		return uint64_t(src.count) * dst.count * sport.count() * dport.count();
	}
};

/// Smallest frame size (with FCS) that holds headers and probe.
unsigned min_probe_frame(bool v6);

/// One frame to send: a probe template or a verbatim packet (pcap replay).
struct packet_template {
	std::vector<uint8_t> data; ///< the frame without FCS
	uint16_t wire_len = 0;     ///< L2 frame size with FCS (data.size() + 4)
	bool probe = false;        ///< false: sent as is
	bool v6 = false;
	uint16_t ip_cksum_off = 0; ///< IPv4 header checksum (IPv4 only)
	uint16_t src_off = 0;      ///< low 32-bit word of the source address
	uint16_t dst_off = 0;      ///< low 32-bit word of the destination address
	uint16_t udp_off = 0;      ///< UDP header
	uint16_t probe_off = 0;    ///< probe header (UDP payload)
	uint16_t udp_cksum = 0;    ///< as stored in the template (zero probe, first flow)
	uint16_t ip_cksum = 0;     ///< as stored in the template
};

/**
 * Build the template of a @p frame-byte frame (with FCS) for the first flow
 * of @p spec, with a zero probe, using lib/wire's builders in a scratch mbuf.
 * @return the template, or -EINVAL when @p frame is too small or the
 *         address families of src and dst differ.
 */
result<packet_template> build_probe_template(const flow_spec &spec, unsigned frame);

/// A template that sends @p frame (without FCS) unchanged.
packet_template raw_template(wire::bytes frame);

/// Walks the 4-tuples of a flow_spec like an odometer: destination port
/// fastest, then source port, destination and source address.
class flow_cursor {
public:
	flow_cursor() = default;
	explicit flow_cursor(const flow_spec &spec);

	/// Move to the next 4-tuple, wrapping after the last.
	void advance() {
		if (++_dport < _n_dport) {
			return;
		}
		_dport = 0;
		if (++_sport < _n_sport) {
			return;
		}
		_sport = 0;
		if (++_dst < _n_dst) {
			return;
		}
		_dst = 0;
		if (++_src < _n_src) {
			return;
		}
		_src = 0;
	}
	/// Skip @p n tuples (to start each lcore at a different flow).
	void skip(uint64_t n);

	/// True when the spec has more than one 4-tuple.
	bool varies() const { return _varies; }
	uint32_t src_low32() const { return _src_base + _src; }
	uint32_t dst_low32() const { return _dst_base + _dst; }
	uint16_t sport() const { return uint16_t(_sport_base + _sport); }
	uint16_t dport() const { return uint16_t(_dport_base + _dport); }

private:
	uint32_t _src = 0, _dst = 0, _sport = 0, _dport = 0;
	uint32_t _n_src = 1, _n_dst = 1, _n_sport = 1, _n_dport = 1;
	uint32_t _src_base = 0, _dst_base = 0;
	uint32_t _sport_base = 0, _dport_base = 0;
	bool _varies = false;
};

/**
 * Write one frame into @p dst (room for t.data.size() bytes): the template,
 * and for a probe template the probe (@p stream, @p seq, @p tsc32) and the
 * cursor's 4-tuple, with the checksums updated incrementally.
 */
void fill_packet(uint8_t *dst, const packet_template &t, const flow_cursor &fc, uint32_t stream,
                 uint64_t seq, uint32_t tsc32);

/// A probe found in a received frame.
struct probe_fields {
	uint32_t stream = 0; ///< without the magic
	uint64_t seq = 0;
	uint32_t tsc32 = 0;
};

/**
 * Find skiff-gen's probe in the frame @p p of @p len bytes: Ethernet (no
 * VLAN), IPv4 (any header length) or IPv6 (UDP as the first next header),
 * UDP, then a probe with the magic. Every offset is checked against @p len.
 * @return true and the fields, or false for any other frame.
 */
bool parse_probe(const uint8_t *p, uint32_t len, probe_fields &out);

} // namespace skiff::gen
