#pragma once

// IPv6 header (RFC 8200) and its extension-header chain.

#include "wire/bytes.h"
#include "wire/error.h"
#include "wire/ipv4.h" // ip_proto

#include <rte_ip.h>

namespace skiff::wire {

/// A validated view of an IPv6 packet. The view covers exactly
/// 40 + payload_length bytes; trailing Ethernet padding is excluded.
///
/// parse() walks the extension headers (hop-by-hop, routing, fragment,
/// destination options, AH) to find the upper-layer protocol. The walk stops
/// at ESP (50), No Next Header (59), any other protocol, or after a Fragment
/// header that is not an atomic fragment: the bytes after such a header are
/// fragment data, not headers, so upper_proto()/upper_payload() then describe
/// the fragment (check is_fragment() first). Jumbograms are not supported
/// (payload length 0 simply means an empty payload).
class ipv6_view {
public:
	static constexpr size_t header_size = sizeof(rte_ipv6_hdr);
	static constexpr size_t max_ext_headers = 8;

	/// Errors: truncated (< 40 bytes), bad_version, bad_total_length
	/// (40 + payload length > buffer), bad_ext_chain (an extension header
	/// shorter than its minimum or overrunning the payload, hop-by-hop not
	/// first, two Fragment headers, or more than 8 extension headers).
	static parse_result<ipv6_view> parse(bytes b) {
		if (b.size() < header_size) {
			return parse_error::truncated;
		}
		auto *h = reinterpret_cast<const rte_ipv6_hdr *>(b.data());
		if ((rte_be_to_cpu_32(h->vtc_flow) >> 28) != 6) {
			return parse_error::bad_version;
		}
		size_t total = header_size + rte_be_to_cpu_16(h->payload_len);
		if (total > b.size()) {
			return parse_error::bad_total_length;
		}
		ipv6_view v(b.first(total));
		parse_error e = v.walk_chain(h->proto);
		if (e != parse_error::none) {
			return e;
		}
		return v;
	}

	ipv6_addr src() const { return ipv6_addr::from(hdr()->src_addr); }
	ipv6_addr dst() const { return ipv6_addr::from(hdr()->dst_addr); }
	uint8_t hop_limit() const { return hdr()->hop_limits; }
	uint8_t traffic_class() const { return uint8_t(vtc() >> RTE_IPV6_HDR_TC_SHIFT); }
	uint32_t flow_label() const { return vtc() & RTE_IPV6_HDR_FL_MASK; }
	uint16_t payload_length() const { return uint16_t(_b.size() - header_size); }
	/// The Next Header field of the fixed header.
	uint8_t next_header() const { return hdr()->proto; }
	/// The protocol after the extension headers (or of the fragment data).
	uint8_t upper_proto() const { return _upper_proto; }
	/// Offset of the upper-layer bytes from the start of the IPv6 header.
	size_t upper_offset() const { return _upper_off; }
	size_t ext_count() const { return _ext_count; }

	/// True for a fragment proper (offset != 0 or M set); atomic
	/// fragments (RFC 6946) are not fragments.
	bool is_fragment() const { return _has_frag && (_frag_data & 0xfff9) != 0; }
	bool has_frag_header() const { return _has_frag; }
	/// Fragment offset in bytes.
	size_t frag_offset() const { return _frag_data & 0xfff8; }
	bool more_fragments() const { return (_frag_data & 1) != 0; }
	uint32_t frag_id() const { return _frag_id; }

	bytes header() const { return _b.first(header_size); }
	/// Everything after the fixed header (extension headers included).
	bytes payload() const { return _b.subspan(header_size); }
	/// The upper-layer bytes (after the extension headers).
	bytes upper_payload() const { return _b.subspan(_upper_off); }
	bytes whole() const { return _b; }

private:
	explicit ipv6_view(bytes b) : _b(b) {}
	const rte_ipv6_hdr *hdr() const {
		return reinterpret_cast<const rte_ipv6_hdr *>(_b.data());
	}
	uint32_t vtc() const { return rte_be_to_cpu_32(hdr()->vtc_flow); }

	static constexpr bool is_ext(uint8_t nh) {
		return nh == ip_proto::hopopts || nh == ip_proto::routing ||
		       nh == ip_proto::fragment || nh == ip_proto::dstopts || nh == ip_proto::ah;
	}

	// Every header is at least 8 bytes, so each step advances by >= 8 and
	// the walk ends after at most max_ext_headers steps.
	parse_error walk_chain(uint8_t nh) {
		size_t off = header_size;
		const size_t end = _b.size();
		const uint8_t *p = _b.data();
		while (is_ext(nh)) {
			if (_ext_count == max_ext_headers || end - off < 8) {
				return parse_error::bad_ext_chain;
			}
			if (nh == ip_proto::hopopts && off != header_size) {
				return parse_error::bad_ext_chain; // RFC 8200 4.3
			}
			size_t len;
			if (nh == ip_proto::ah) {
				len = (size_t(p[off + 1]) + 2) * 4; // RFC 4302 2.2
			} else if (nh == ip_proto::fragment) {
				len = sizeof(rte_ipv6_fragment_ext);
			} else {
				len = (size_t(p[off + 1]) + 1) * 8;
			}
			if (len > end - off) {
				return parse_error::bad_ext_chain;
			}
			_ext_count++;
			if (nh == ip_proto::fragment) {
				if (_has_frag) {
					return parse_error::bad_ext_chain;
				}
				_has_frag = true;
				_frag_data = load_be16(p + off + 2);
				_frag_id = load_be32(p + off + 4);
			}
			nh = p[off];
			off += len;
			if (is_fragment()) {
				break; // what follows is fragment data, not headers
			}
		}
		_upper_proto = nh;
		_upper_off = uint32_t(off);
		return parse_error::none;
	}

	bytes _b;
	uint32_t _frag_id = 0;
	uint32_t _upper_off = header_size;
	uint16_t _frag_data = 0;
	uint8_t _upper_proto = 0;
	uint8_t _ext_count = 0;
	bool _has_frag = false;
};

} // namespace skiff::wire
