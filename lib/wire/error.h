#pragma once

// Why a parser rejected a packet, and the tiny result type parsers return.
//
// Which error a parser reports follows one rule across all formats:
//   truncated          the buffer is shorter than the fixed part of the header
//   bad_version        a version field is wrong (IPv4 != 4, IPv6 != 6)
//   bad_header_length  a header-length field (IHL, TCP data offset) is
//                      impossible or points past the buffer
//   bad_total_length   a total/payload-length field (IPv4 total length, IPv6
//                      payload length, UDP length) is impossible or points
//                      past the buffer
//   bad_option         an option (IPv4, TCP, NDP) has an invalid length
//   bad_ext_chain      the IPv6 extension-header chain is malformed
//   unsupported        well-formed but not something we handle (ARP for a
//                      non-Ethernet/IPv4 pair, a third VLAN tag)
//   bad_field          a fixed field has a value the RFC forbids (e.g. a
//                      non-zero NDP code, wrong ICMPv6 type for the view)

#include <cassert>
#include <cstdint>
#include <type_traits>

namespace skiff::wire {

enum class parse_error : uint8_t {
	none,
	truncated,
	bad_version,
	bad_header_length,
	bad_total_length,
	bad_option,
	bad_ext_chain,
	unsupported,
	bad_field,
};

/// A static, human-readable name for @p e ("truncated", ...).
constexpr const char *to_string(parse_error e) {
	switch (e) {
	case parse_error::none:
		return "none";
	case parse_error::truncated:
		return "truncated";
	case parse_error::bad_version:
		return "bad_version";
	case parse_error::bad_header_length:
		return "bad_header_length";
	case parse_error::bad_total_length:
		return "bad_total_length";
	case parse_error::bad_option:
		return "bad_option";
	case parse_error::bad_ext_chain:
		return "bad_ext_chain";
	case parse_error::unsupported:
		return "unsupported";
	case parse_error::bad_field:
		return "bad_field";
	}
	return "unknown";
}

/// Either a successfully parsed view (or value) or the reason it failed.
/// Trivially copyable, no heap, no exceptions: it is returned by value on the
/// hot path. Calling value()/operator-> on a failed result is a programming
/// error (asserted in debug builds).
template <typename V> class [[nodiscard]] parse_result {
	static_assert(std::is_trivially_copyable_v<V> && std::is_trivially_destructible_v<V>,
	              "views and wire values must be trivially copyable");

public:
	parse_result(const V &v) : _v(v), _err(parse_error::none) {}
	parse_result(parse_error e) : _none(), _err(e) { assert(e != parse_error::none); }

	bool ok() const { return _err == parse_error::none; }
	explicit operator bool() const { return ok(); }
	parse_error error() const { return _err; }

	const V &value() const {
		assert(ok());
		return _v;
	}
	const V &operator*() const { return value(); }
	const V *operator->() const { return &value(); }

private:
	struct empty {};
	// A union so that V needs no default constructor: views are only ever
	// created by a successful parse().
	union {
		empty _none;
		V _v;
	};
	parse_error _err;
};

} // namespace skiff::wire
