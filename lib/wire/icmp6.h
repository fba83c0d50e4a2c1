#pragma once

// ICMPv6 (RFC 4443) and Neighbor Discovery messages (RFC 4861).
//
// Checks that need the IPv6 header (hop limit 255 for NDP, source address
// rules) belong to the caller: these views only see the ICMPv6 bytes.

#include "wire/bytes.h"
#include "wire/error.h"

#include <iterator>
#include <optional>

namespace skiff::wire {

namespace icmp6_type {
constexpr uint8_t dest_unreachable = 1;
constexpr uint8_t packet_too_big = 2;
constexpr uint8_t time_exceeded = 3;
constexpr uint8_t param_problem = 4;
constexpr uint8_t echo_request = 128;
constexpr uint8_t echo_reply = 129;
constexpr uint8_t router_solicit = 133;
constexpr uint8_t router_advert = 134;
constexpr uint8_t neighbor_solicit = 135;
constexpr uint8_t neighbor_advert = 136;
constexpr uint8_t redirect = 137;
} // namespace icmp6_type

/// Codes for icmp6_type::dest_unreachable.
namespace icmp6_unreach {
constexpr uint8_t no_route = 0;
constexpr uint8_t admin_prohibited = 1;
constexpr uint8_t address = 3;
constexpr uint8_t port = 4;
} // namespace icmp6_unreach

/// A validated view of an ICMPv6 message. Every message RFC 4443 and 4861
/// define has at least 4 bytes after type/code/checksum, so 8 is required.
class icmp6_view {
public:
	static constexpr size_t header_size = 8;

	/// Errors: truncated (< 8 bytes).
	static parse_result<icmp6_view> parse(bytes b) {
		if (b.size() < header_size) {
			return parse_error::truncated;
		}
		return icmp6_view(b);
	}

	uint8_t type() const { return _b[0]; }
	uint8_t code() const { return _b[1]; }
	/// Checksum in host order.
	uint16_t checksum() const { return load_be16(_b.data() + 2); }
	uint16_t echo_id() const { return load_be16(_b.data() + 4); }
	uint16_t echo_seq() const { return load_be16(_b.data() + 6); }
	/// MTU of a Packet Too Big message, or pointer of a Parameter Problem.
	uint32_t rest_of_header() const { return load_be32(_b.data() + 4); }
	uint32_t mtu() const { return rest_of_header(); }
	/// Bytes after the first 8 (echo data, or the invoking packet).
	bytes data() const { return _b.subspan(header_size); }
	bytes whole() const { return _b; }

private:
	explicit icmp6_view(bytes b) : _b(b) {}
	bytes _b;
};

/// NDP option types (RFC 4861 4.6, RFC 7527 nonce).
namespace ndp_opt {
constexpr uint8_t source_lladdr = 1;
constexpr uint8_t target_lladdr = 2;
constexpr uint8_t prefix_info = 3;
constexpr uint8_t redirected_header = 4;
constexpr uint8_t mtu = 5;
constexpr uint8_t nonce = 14;
} // namespace ndp_opt

/// One NDP option: its type and the bytes after the type and length octets
/// (8 * length - 2 bytes).
struct ndp_option {
	uint8_t type;
	bytes data;
};

/// The options of an NDP message, validated as a whole at construction:
/// every option has length >= 1 and lies inside the buffer, so iterating
/// cannot fail or overrun.
class ndp_options {
public:
	class iterator {
	public:
		using value_type = ndp_option;
		using difference_type = std::ptrdiff_t;
		iterator() = default;
		ndp_option operator*() const {
			size_t len = size_t(_p[1]) * 8;
			return {_p[0], bytes(_p + 2, len - 2)};
		}
		iterator &operator++() {
			_p += size_t(_p[1]) * 8;
			return *this;
		}
		iterator operator++(int) {
			iterator t = *this;
			++*this;
			return t;
		}
		bool operator==(const iterator &o) const { return _p == o._p; }

	private:
		friend class ndp_options;
		explicit iterator(const uint8_t *p) : _p(p) {}
		const uint8_t *_p = nullptr;
	};

	/// Errors: bad_option (length 0, or an option overrunning @p b).
	static parse_result<ndp_options> parse(bytes b) {
		size_t off = 0;
		while (off < b.size()) {
			if (b.size() - off < 2 || b[off + 1] == 0 ||
			    size_t(b[off + 1]) * 8 > b.size() - off) {
				return parse_error::bad_option;
			}
			off += size_t(b[off + 1]) * 8;
		}
		return ndp_options(b);
	}

	iterator begin() const { return iterator(_b.data()); }
	iterator end() const { return iterator(_b.data() + _b.size()); }
	bool empty() const { return _b.empty(); }
	bytes raw() const { return _b; }

	/// The first option of @p type, if any.
	std::optional<ndp_option> find(uint8_t type) const {
		for (ndp_option o : *this) {
			if (o.type == type) {
				return o;
			}
		}
		return std::nullopt;
	}

	/// The link-layer address carried by option @p type (1 or 2), if
	/// present and at least 6 bytes long (RFC 2464: Ethernet).
	std::optional<mac_addr> lladdr(uint8_t type) const {
		auto o = find(type);
		if (!o || o->data.size() < 6) {
			return std::nullopt;
		}
		return mac_addr::from(o->data.data());
	}

private:
	explicit ndp_options(bytes b) : _b(b) {}
	bytes _b;
};

/// What all NDP views share: the message bytes and its validated options.
class ndp_message {
public:
	const ndp_options &options() const { return _opts; }
	std::optional<mac_addr> source_lladdr() const {
		return _opts.lladdr(ndp_opt::source_lladdr);
	}
	std::optional<mac_addr> target_lladdr() const {
		return _opts.lladdr(ndp_opt::target_lladdr);
	}
	uint8_t type() const { return _b[0]; }
	bytes whole() const { return _b; }

protected:
	ndp_message(bytes b, ndp_options o) : _b(b), _opts(o) {}

	// Checks length, type, code 0 (RFC 4861 7.1.1 / 6.1.1) and the
	// options that start at @p fixed.
	template <typename V> static parse_result<V> parse_as(bytes b, uint8_t type, size_t fixed) {
		if (b.size() < fixed) {
			return parse_error::truncated;
		}
		if (b[0] != type || b[1] != 0) {
			return parse_error::bad_field;
		}
		auto opts = ndp_options::parse(b.subspan(fixed));
		if (!opts) {
			return opts.error();
		}
		return V(b, *opts);
	}

	bytes _b;
	ndp_options _opts;
};

/// Router Solicitation (RFC 4861 4.1): 8 bytes, then options.
class ndp_rs_view : public ndp_message {
public:
	static constexpr size_t fixed_size = 8;
	/// Errors: truncated, bad_field (type/code), bad_option.
	static parse_result<ndp_rs_view> parse(bytes b) {
		return parse_as<ndp_rs_view>(b, icmp6_type::router_solicit, fixed_size);
	}

private:
	friend class ndp_message;
	using ndp_message::ndp_message;
};

/// Router Advertisement (RFC 4861 4.2): 16 bytes, then options.
class ndp_ra_view : public ndp_message {
public:
	static constexpr size_t fixed_size = 16;
	static constexpr uint8_t flag_managed = 0x80;
	static constexpr uint8_t flag_other = 0x40;

	/// Errors: truncated, bad_field (type/code), bad_option.
	static parse_result<ndp_ra_view> parse(bytes b) {
		return parse_as<ndp_ra_view>(b, icmp6_type::router_advert, fixed_size);
	}

	uint8_t cur_hop_limit() const { return _b[4]; }
	uint8_t flags() const { return _b[5]; }
	bool managed() const { return (flags() & flag_managed) != 0; }
	bool other_config() const { return (flags() & flag_other) != 0; }
	/// Seconds; 0 means "not a default router".
	uint16_t router_lifetime() const { return load_be16(_b.data() + 6); }
	/// Milliseconds; 0 means unspecified.
	uint32_t reachable_time() const { return load_be32(_b.data() + 8); }
	uint32_t retrans_timer() const { return load_be32(_b.data() + 12); }
	/// The MTU option (RFC 4861 4.6.4), if present and well-sized.
	std::optional<uint32_t> mtu() const {
		auto o = _opts.find(ndp_opt::mtu);
		if (!o || o->data.size() != 6) {
			return std::nullopt;
		}
		return load_be32(o->data.data() + 2);
	}

private:
	friend class ndp_message;
	using ndp_message::ndp_message;
};

/// Neighbor Solicitation (RFC 4861 4.3): 24 bytes, then options.
class ndp_ns_view : public ndp_message {
public:
	static constexpr size_t fixed_size = 24;
	/// Errors: truncated, bad_field (type/code, multicast target),
	/// bad_option.
	static parse_result<ndp_ns_view> parse(bytes b) {
		auto r = parse_as<ndp_ns_view>(b, icmp6_type::neighbor_solicit, fixed_size);
		if (r && r->target().is_multicast()) {
			return parse_error::bad_field; // RFC 4861 7.1.1
		}
		return r;
	}
	ipv6_addr target() const { return ipv6_addr::from(_b.data() + 8); }

private:
	friend class ndp_message;
	using ndp_message::ndp_message;
};

/// Neighbor Advertisement (RFC 4861 4.4): 24 bytes, then options.
class ndp_na_view : public ndp_message {
public:
	static constexpr size_t fixed_size = 24;
	static constexpr uint8_t flag_router = 0x80;
	static constexpr uint8_t flag_solicited = 0x40;
	static constexpr uint8_t flag_override = 0x20;

	/// Errors: truncated, bad_field (type/code, multicast target),
	/// bad_option.
	static parse_result<ndp_na_view> parse(bytes b) {
		auto r = parse_as<ndp_na_view>(b, icmp6_type::neighbor_advert, fixed_size);
		if (r && r->target().is_multicast()) {
			return parse_error::bad_field; // RFC 4861 7.1.2
		}
		return r;
	}
	uint8_t flags() const { return _b[4]; }
	bool router() const { return (_b[4] & flag_router) != 0; }
	bool solicited() const { return (_b[4] & flag_solicited) != 0; }
	bool override_flag() const { return (_b[4] & flag_override) != 0; }
	ipv6_addr target() const { return ipv6_addr::from(_b.data() + 8); }

private:
	friend class ndp_message;
	using ndp_message::ndp_message;
};

/// Prefix Information option (RFC 4861 4.6.2), from an ndp_option.
class ndp_prefix_info {
public:
	static constexpr uint8_t flag_on_link = 0x80;
	static constexpr uint8_t flag_autonomous = 0x40;

	/// Errors: bad_option (not type 3 or length != 4), bad_field
	/// (prefix length > 128).
	static parse_result<ndp_prefix_info> parse(const ndp_option &o) {
		if (o.type != ndp_opt::prefix_info || o.data.size() != 30) {
			return parse_error::bad_option;
		}
		if (o.data[0] > 128) {
			return parse_error::bad_field;
		}
		return ndp_prefix_info(o.data.data());
	}

	uint8_t prefix_len() const { return _p[0]; }
	uint8_t flags() const { return _p[1]; }
	bool on_link() const { return (_p[1] & flag_on_link) != 0; }
	bool autonomous() const { return (_p[1] & flag_autonomous) != 0; }
	/// Seconds; 0xffffffff is infinity.
	uint32_t valid_lifetime() const { return load_be32(_p + 2); }
	uint32_t preferred_lifetime() const { return load_be32(_p + 6); }
	ipv6_addr prefix() const { return ipv6_addr::from(_p + 14); }

private:
	explicit ndp_prefix_info(const uint8_t *p) : _p(p) {}
	const uint8_t *_p; // the 30 bytes after type and length
};

} // namespace skiff::wire
