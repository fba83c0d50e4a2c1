// Devargs: "link=NAME,loss=1.5,delay=2000,..." into impairments, with a
// one-line error naming the key and what it accepts.

#include "net_wire/wire_private.h"

#include <rte_kvargs.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace skiff::net_wire {
namespace {

struct parser {
	std::string dev;
	impairments imp;
	bool ge_r_given = false;
	bool ge_bad_given = false;

	error fail(const char *key, const char *value, const char *want) const {
		return make_error(-EINVAL, dev + ": " + key + "=" + value + ": expected " + want);
	}
};

/// A whole-string double, or NaN.
double to_double(const char *s) {
	char *end = nullptr;
	errno = 0;
	double v = std::strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !std::isfinite(v)) {
		return NAN;
	}
	return v;
}

/// A non-negative count with an optional k/M/G suffix ("2.5M"), or -1.
double to_count(const char *s) {
	std::string v = s;
	double scale = 1;
	if (!v.empty()) {
		switch (v.back()) {
		case 'k':
		case 'K':
			scale = 1e3;
			break;
		case 'M':
			scale = 1e6;
			break;
		case 'G':
			scale = 1e9;
			break;
		default:
			break;
		}
		if (scale != 1) {
			v.pop_back();
		}
	}
	double d = to_double(v.c_str());
	if (std::isnan(d) || d < 0 || std::nearbyint(d * scale) != d * scale) {
		return -1;
	}
	return d * scale;
}

bool percent(const char *s, chance &out) {
	double v = to_double(s);
	if (std::isnan(v) || v < 0 || v > 100) {
		return false;
	}
	out = static_cast<chance>(std::llround(v / 100.0 * static_cast<double>(chance_always)));
	return true;
}

template <typename T> bool count(const char *s, T &out, double lo, double hi) {
	double v = to_count(s);
	if (v < lo || v > hi) {
		return false;
	}
	out = static_cast<T>(v);
	return true;
}

bool link_name(const char *s, char (&out)[link_name_max + 1]) {
	size_t n = std::strlen(s);
	if (n == 0 || n > link_name_max) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
		if (!ok) {
			return false;
		}
	}
	std::memcpy(out, s, n + 1);
	return true;
}

constexpr double max_us = 60e6; // a minute of delay is plenty

/// Apply one key; an error says what the key accepts.
result<void> apply(parser &p, const char *key, const char *v) {
	impairments &imp = p.imp;
	std::string k = key;
	const char *pct = "a percentage from 0 to 100";
	const char *us = "microseconds from 0 to 60000000";
	if (k == "link") {
		return link_name(v, imp.link) ? result<void>()
		                              : p.fail(key, v, "1 to 16 of [A-Za-z0-9_-]");
	}
	chance *chances[] = {&imp.loss,         &imp.ge_p,    &imp.ge_r, &imp.ge_bad_loss,
	                     &imp.ge_good_loss, &imp.reorder, &imp.dup,  &imp.corrupt};
	const char *chance_keys[] = {"loss",    "ge_p",    "ge_r", "ge_bad",
	                             "ge_good", "reorder", "dup",  "corrupt"};
	for (size_t i = 0; i < RTE_DIM(chance_keys); i++) {
		if (k == chance_keys[i]) {
			p.ge_r_given |= k == "ge_r";
			p.ge_bad_given |= k == "ge_bad";
			return percent(v, *chances[i]) ? result<void>() : p.fail(key, v, pct);
		}
	}
	bool ok = true;
	const char *want = us;
	if (k == "delay") {
		ok = count(v, imp.delay_us, 0, max_us);
	} else if (k == "jitter") {
		ok = count(v, imp.jitter_us, 0, max_us);
	} else if (k == "reorder_timeout") {
		ok = count(v, imp.reorder_timeout_us, 1, max_us);
		want = "microseconds from 1 to 60000000";
	} else if (k == "reorder_gap") {
		ok = count(v, imp.reorder_gap, 1, 1e6);
		want = "a packet count from 1 to 1000000";
	} else if (k == "rate_pps") {
		ok = count(v, imp.rate_pps, 1, 1e12);
		want = "packets per second, 1 to 1e12 (suffix k, M or G)";
	} else if (k == "rate_bps") {
		ok = count(v, imp.rate_bps, 1000, 1e13);
		want = "bits per second, 1000 to 1e13 (suffix k, M or G)";
	} else if (k == "mtu") {
		ok = count(v, imp.mtu, RTE_ETHER_MIN_MTU, max_frame_len - RTE_ETHER_HDR_LEN);
		imp.mtu_given = true;
		want = "an MTU from 68 to 16114";
	} else if (k == "queue") {
		ok = count(v, imp.depth, 1, max_depth);
		want = "a depth in packets from 1 to 1048576";
	} else if (k == "seed") {
		char *end = nullptr;
		errno = 0;
		imp.seed = std::strtoull(v, &end, 0);
		ok = *v != '\0' && *v != '-' && *end == '\0' && errno == 0;
		imp.seed_given = true;
		want = "an unsigned 64-bit integer";
	} else if (k == "mac") {
		ok = rte_ether_unformat_addr(v, &imp.mac) == 0;
		imp.mac_given = true;
		want = "a MAC address xx:xx:xx:xx:xx:xx";
	} else {
		return make_error(-EINVAL, p.dev + ": unknown devarg '" + k +
		                               "'; known: " + NW_PARAM_STRING);
	}
	return ok ? result<void>() : p.fail(key, v, want);
}

} // namespace

result<impairments> parse_devargs(const char *name, const char *args) {
	parser p;
	p.dev = name;
	const std::string usage = ": needs link=NAME; both ends of a cable use the same NAME";
	if (args == nullptr || *args == '\0') {
		return make_error(-EINVAL, p.dev + usage);
	}
	rte_kvargs *kv = rte_kvargs_parse(args, nullptr);
	if (kv == nullptr) {
		return make_error(-EINVAL, p.dev + ": cannot parse devargs '" + args +
		                               "': use key=value,key=value");
	}
	for (unsigned i = 0; i < kv->count; i++) {
		const rte_kvargs_pair &pair = kv->pairs[i];
		auto r = apply(p, pair.key, pair.value != nullptr ? pair.value : "");
		if (!r) {
			rte_kvargs_free(kv);
			return r.err();
		}
	}
	rte_kvargs_free(kv);
	impairments &imp = p.imp;
	if (imp.link[0] == '\0') {
		return make_error(-EINVAL, p.dev + usage);
	}
	if (imp.ge_p != 0 && !p.ge_r_given) {
		return make_error(-EINVAL, p.dev + ": ge_p needs ge_r (the chance per packet to "
		                                   "leave a loss burst, in %)");
	}
	if (imp.ge_p != 0 && !p.ge_bad_given) {
		imp.ge_bad_loss = chance_always;
	}
	return imp;
}

} // namespace skiff::net_wire
