#include "spec.h"

#include "wire/bytes.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

namespace skiff::gen {

namespace {

inline constexpr unsigned max_frame = 9018; // 9000-byte jumbo MTU + 14 + 4

/// Parse a non-negative decimal number at the start of @p s; the rest is left
/// in @p s. False when there is no number.
bool take_number(std::string_view &s, double &out) {
	size_t i = 0;
	while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
		i++;
	}
	if (i == 0) {
		return false;
	}
	std::string num(s.substr(0, i));
	char *end = nullptr;
	out = std::strtod(num.c_str(), &end);
	if (end != num.c_str() + num.size() || !std::isfinite(out)) {
		return false;
	}
	s.remove_prefix(i);
	return true;
}

/// k, M, G, T as powers of 1000; removes the prefix from @p s.
double take_si_prefix(std::string_view &s) {
	if (s.empty()) {
		return 1;
	}
	double m = 1;
	switch (s[0]) {
	case 'k':
	case 'K':
		m = 1e3;
		break;
	case 'M':
		m = 1e6;
		break;
	case 'G':
		m = 1e9;
		break;
	case 'T':
		m = 1e12;
		break;
	default:
		return 1;
	}
	s.remove_prefix(1);
	return m;
}

bool parse_u32(std::string_view s, uint32_t &out) {
	if (s.empty()) {
		return false;
	}
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
	return ec == std::errc() && p == s.data() + s.size();
}

error bad_rate(std::string_view s, const char *why) {
	return make_error(-EINVAL, "bad --rate '" + std::string(s) + "': " + why +
	                               " (examples: 1Mpps, 5Gbps, 5Gbps-l1, 50%)");
}

/// Spread @p counts of @p sizes evenly over one pattern (largest remainder
/// first, like a Bresenham line), so that an IMIX never sends 7 small frames
/// in a row.
std::vector<uint16_t> interleave(const std::vector<std::pair<uint16_t, unsigned>> &mix) {
	unsigned total = 0;
	for (const auto &[size, n] : mix) {
		total += n;
	}
	std::vector<uint16_t> out;
	std::vector<unsigned> sent(mix.size(), 0);
	for (unsigned slot = 1; slot <= total; slot++) {
		// Pick the size that is furthest behind its share at this point.
		size_t best = 0;
		double best_lag = -1e9;
		for (size_t i = 0; i < mix.size(); i++) {
			double lag = double(mix[i].second) * slot / total - sent[i];
			if (lag > best_lag) {
				best_lag = lag;
				best = i;
			}
		}
		sent[best]++;
		out.push_back(mix[best].first);
	}
	return out;
}

result<uint16_t> parse_frame_size(std::string_view s, std::string_view whole) {
	uint32_t v = 0;
	if (!parse_u32(s, v)) {
		return make_error(-EINVAL, "bad --size '" + std::string(whole) +
		                               "': use 64, 64-1518, 64-1518:STEP or imix");
	}
	if (v < min_frame || v > max_frame) {
		return make_error(-EINVAL, "bad --size '" + std::string(whole) +
		                               "': " + std::to_string(v) +
		                               " is outside 64-9018 (frame sizes include the FCS)");
	}
	return uint16_t(v);
}

} // namespace

std::string rate_spec::describe() const {
	char buf[96];
	switch (unit) {
	case kind::unlimited:
		return "unlimited";
	case kind::pps:
		return si(value, "pps");
	case kind::bps:
		return si(value, l1 ? "bit/s L1" : "bit/s L2");
	case kind::percent:
		std::snprintf(buf, sizeof(buf), "%g%% of line rate (L1)", value);
		return buf;
	}
	return "?";
}

result<rate_spec> parse_rate(std::string_view s, bool force_l1) {
	rate_spec r;
	if (s.empty() || s == "unlimited" || s == "max") {
		return r;
	}
	std::string_view rest = s;
	double v = 0;
	if (!take_number(rest, v)) {
		return bad_rate(s, "it does not start with a number");
	}
	if (rest == "%") {
		if (v <= 0 || v > 100) {
			return bad_rate(s, "a percentage must be in (0, 100]");
		}
		r.unit = rate_spec::kind::percent;
		r.value = v;
		r.l1 = true;
		return r;
	}
	v *= take_si_prefix(rest);
	if (rest == "pps") {
		r.unit = rate_spec::kind::pps;
	} else if (rest == "bps" || rest == "bps-l2" || rest == "bps-l1") {
		r.unit = rate_spec::kind::bps;
		r.l1 = force_l1 || rest == "bps-l1";
		if (force_l1 && rest == "bps-l2") {
			return bad_rate(s, "--rate-l1 contradicts -l2");
		}
	} else {
		return bad_rate(s, "unknown unit (use pps, bps, bps-l1, bps-l2 or %)");
	}
	if (v <= 0) {
		return bad_rate(s, "the rate must be above 0");
	}
	r.value = v;
	return r;
}

double frame_gap_seconds(const rate_spec &rate, unsigned frame, double speed_bps) {
	switch (rate.unit) {
	case rate_spec::kind::unlimited:
		return 0;
	case rate_spec::kind::pps:
		return 1.0 / rate.value;
	case rate_spec::kind::bps:
		return frame_bits(frame, rate.l1) / rate.value;
	case rate_spec::kind::percent:
		return frame_bits(frame, true) / (speed_bps * rate.value / 100.0);
	}
	return 0;
}

double size_pattern::mean() const {
	if (sizes.empty()) {
		return 0;
	}
	double sum = 0;
	for (uint16_t s : sizes) {
		sum += s;
	}
	return sum / double(sizes.size());
}

size_pattern imix_pattern() {
	return {"imix", interleave({{64, 7}, {576, 4}, {1500, 1}})};
}

result<size_plan> parse_sizes(std::string_view s) {
	size_plan plan;
	if (s == "imix" || s == "IMIX") {
		plan.runs.push_back(imix_pattern());
		return plan;
	}
	size_t dash = s.find('-');
	if (dash == std::string_view::npos) {
		auto v = parse_frame_size(s, s);
		if (!v) {
			return v.err();
		}
		plan.runs.push_back({std::to_string(*v), {*v}});
		return plan;
	}
	std::string_view hi_s = s.substr(dash + 1);
	std::string_view step_s;
	if (size_t colon = hi_s.find(':'); colon != std::string_view::npos) {
		step_s = hi_s.substr(colon + 1);
		hi_s = hi_s.substr(0, colon);
	}
	auto lo = parse_frame_size(s.substr(0, dash), s);
	if (!lo) {
		return lo.err();
	}
	auto hi = parse_frame_size(hi_s, s);
	if (!hi) {
		return hi.err();
	}
	if (*hi < *lo) {
		return make_error(-EINVAL,
		                  "bad --size '" + std::string(s) + "': the range is empty");
	}
	std::set<uint16_t> sizes{*lo, *hi};
	if (step_s.empty()) {
		for (uint16_t r : rfc2544_sizes) {
			if (r >= *lo && r <= *hi) {
				sizes.insert(r);
			}
		}
	} else {
		uint32_t step = 0;
		if (!parse_u32(step_s, step) || step == 0) {
			return make_error(-EINVAL, "bad --size '" + std::string(s) +
			                               "': the step must be a positive integer");
		}
		for (uint32_t v = *lo; v <= *hi; v += step) {
			sizes.insert(uint16_t(v));
		}
	}
	plan.sweep = true;
	for (uint16_t v : sizes) {
		plan.runs.push_back({std::to_string(v), {v}});
	}
	return plan;
}

uint32_t addr_range::base_low32() const {
	const uint8_t *p = base.data() + (v6 ? 12 : 0);
	return wire::load_be32(p);
}

result<addr_range> parse_addr_range(std::string_view s, std::string_view what) {
	auto bad = [&](const std::string &why) {
		return make_error(-EINVAL,
		                  "bad " + std::string(what) + " '" + std::string(s) + "': " + why);
	};
	size_t dash = s.find('-');
	std::string_view first = s.substr(0, dash);
	std::string_view last = dash == std::string_view::npos ? first : s.substr(dash + 1);
	addr_range r;
	std::array<uint8_t, 16> hi{};
	if (auto a = wire::ipv4_addr::parse(first)) {
		auto b = wire::ipv4_addr::parse(last);
		if (!b) {
			return bad("both ends must be IPv4 addresses");
		}
		std::memcpy(r.base.data(), &a->be, 4);
		std::memcpy(hi.data(), &b->be, 4);
	} else if (auto a6 = wire::ipv6_addr::parse(first)) {
		auto b6 = wire::ipv6_addr::parse(last);
		if (!b6) {
			return bad("both ends must be IPv6 addresses");
		}
		if (std::memcmp(a6->b.data(), b6->b.data(), 12) != 0) {
			return bad("IPv6 range ends may differ only in their last 32 bits");
		}
		r.v6 = true;
		r.base = a6->b;
		hi = b6->b;
	} else {
		return bad("not an IPv4 or IPv6 address (or range IP-IP)");
	}
	uint32_t lo32 = r.base_low32();
	uint32_t hi32 = wire::load_be32(hi.data() + (r.v6 ? 12 : 0));
	if (hi32 < lo32) {
		return bad("the first address is above the last");
	}
	if (hi32 - lo32 == UINT32_MAX) {
		return bad("a range holds at most 2^32-1 addresses");
	}
	r.count = hi32 - lo32 + 1;
	return r;
}

result<port_range> parse_udp_port_range(std::string_view s, std::string_view what) {
	size_t dash = s.find('-');
	std::string_view first = s.substr(0, dash);
	std::string_view last = dash == std::string_view::npos ? first : s.substr(dash + 1);
	uint32_t lo = 0, hi = 0;
	if (!parse_u32(first, lo) || !parse_u32(last, hi) || lo > 65535 || hi > 65535 || lo > hi) {
		return make_error(-EINVAL, "bad " + std::string(what) + " '" + std::string(s) +
		                               "': use P or LO-HI with 0 <= LO <= HI <= 65535");
	}
	return port_range{uint16_t(lo), uint16_t(hi)};
}

std::string si(double v, std::string_view unit, int precision) {
	static constexpr const char *prefixes[] = {"", "k", "M", "G", "T"};
	unsigned p = 0;
	while (std::fabs(v) >= 1000.0 && p + 1 < std::size(prefixes)) {
		v /= 1000.0;
		p++;
	}
	char buf[64];
	std::snprintf(buf, sizeof(buf), "%.*f %s%.*s", precision, v, prefixes[p], int(unit.size()),
	              unit.data());
	return buf;
}

} // namespace skiff::gen
