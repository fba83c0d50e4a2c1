#include "wire/tcp.h"

#include <algorithm>

namespace skiff::wire {

namespace {

// Length each fixed-size option must have; 0 for kinds without one.
constexpr size_t fixed_len(uint8_t kind) {
	switch (kind) {
	case tcp_opt::mss:
		return 4;
	case tcp_opt::window_scale:
		return 3;
	case tcp_opt::sack_permitted:
		return 2;
	case tcp_opt::timestamps:
		return 10;
	default:
		return 0;
	}
}

// Applies one known option whose length has been checked. @p v is the
// option's value bytes (after kind and length).
bool apply(tcp_options &o, uint8_t kind, const uint8_t *v, size_t vlen) {
	switch (kind) {
	case tcp_opt::mss:
		o.mss = load_be16(v);
		return true;
	case tcp_opt::window_scale:
		// RFC 7323 2.3: a shift above 14 is logged and used as 14.
		o.window_scale = std::min(v[0], tcp_options::max_window_scale);
		return true;
	case tcp_opt::sack_permitted:
		o.sack_permitted = true;
		return true;
	case tcp_opt::timestamps:
		o.timestamps = tcp_timestamps{load_be32(v), load_be32(v + 4)};
		return true;
	case tcp_opt::sack: {
		size_t n = vlen / 8;
		if (vlen % 8 != 0 || n == 0 || n > tcp_options::max_sack_blocks) {
			return false;
		}
		o.sack = {};
		for (size_t i = 0; i < n; i++) {
			o.sack[i] = {load_be32(v + 8 * i), load_be32(v + 8 * i + 4)};
		}
		o.sack_count = uint8_t(n);
		return true;
	}
	default:
		return true; // unknown: skipped
	}
}

} // namespace

parse_result<tcp_options> tcp_options::parse(bytes opts) {
	tcp_options o;
	size_t off = 0;
	while (off < opts.size()) {
		uint8_t kind = opts[off];
		if (kind == tcp_opt::eol) {
			break;
		}
		if (kind == tcp_opt::nop) {
			off++;
			continue;
		}
		if (opts.size() - off < 2) {
			return parse_error::bad_option;
		}
		size_t len = opts[off + 1];
		if (len < 2 || len > opts.size() - off) {
			return parse_error::bad_option;
		}
		size_t want = fixed_len(kind);
		if (want != 0 && len != want) {
			return parse_error::bad_option;
		}
		if (!apply(o, kind, opts.data() + off + 2, len - 2)) {
			return parse_error::bad_option;
		}
		off += len;
	}
	return o;
}

// Bytes of everything write() emits before the SACK blocks.
size_t tcp_options::size_without_sack() const {
	size_t ts_sackok = timestamps ? 12 : (sack_permitted ? 4 : 0);
	return (mss ? 4 : 0) + ts_sackok + (window_scale ? 4 : 0);
}

size_t tcp_options::sack_blocks_that_fit() const {
	size_t used = size_without_sack();
	size_t n = std::min<size_t>(sack_count, max_sack_blocks);
	// NOP NOP kind len + 8 per block.
	while (n > 0 && used + 4 + 8 * n > max_len) {
		n--;
	}
	return n;
}

size_t tcp_options::wire_size() const {
	size_t n = sack_blocks_that_fit();
	return size_without_sack() + (n ? 4 + 8 * n : 0);
}

// Layout (each piece 4-byte aligned, as Linux emits them):
//   MSS:                    kind len mss(2)
//   SACK-permitted + TS:    kind len kind len tsval tsecr
//   TS only:                NOP NOP kind len tsval tsecr
//   SACK-permitted only:    NOP NOP kind len
//   window scale:           NOP kind len shift
//   SACK blocks:            NOP NOP kind len blocks...
size_t tcp_options::write(mut_bytes out) const {
	size_t size = wire_size();
	if (out.size() < size) {
		return 0;
	}
	uint8_t *p = out.data();
	if (mss) {
		p[0] = tcp_opt::mss;
		p[1] = 4;
		store_be16(p + 2, *mss);
		p += 4;
	}
	if (timestamps) {
		p[0] = sack_permitted ? tcp_opt::sack_permitted : tcp_opt::nop;
		p[1] = sack_permitted ? 2 : tcp_opt::nop;
		p[2] = tcp_opt::timestamps;
		p[3] = 10;
		store_be32(p + 4, timestamps->tsval);
		store_be32(p + 8, timestamps->tsecr);
		p += 12;
	} else if (sack_permitted) {
		p[0] = tcp_opt::nop;
		p[1] = tcp_opt::nop;
		p[2] = tcp_opt::sack_permitted;
		p[3] = 2;
		p += 4;
	}
	if (window_scale) {
		p[0] = tcp_opt::nop;
		p[1] = tcp_opt::window_scale;
		p[2] = 3;
		p[3] = std::min(*window_scale, max_window_scale);
		p += 4;
	}
	size_t n = sack_blocks_that_fit();
	if (n > 0) {
		p[0] = tcp_opt::nop;
		p[1] = tcp_opt::nop;
		p[2] = tcp_opt::sack;
		p[3] = uint8_t(2 + 8 * n);
		for (size_t i = 0; i < n; i++) {
			store_be32(p + 4 + 8 * i, sack[i].left);
			store_be32(p + 8 + 8 * i, sack[i].right);
		}
		p += 4 + 8 * n;
	}
	return size_t(p - out.data());
}

} // namespace skiff::wire
