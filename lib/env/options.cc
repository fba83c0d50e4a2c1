#include "env/options.h"

#include "env/log.h"

#include <CLI/CLI.hpp>
#include <rte_config.h>

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <cmath>
#include <cstring>
#include <netinet/in.h>
#include <unistd.h>

namespace skiff {

namespace {

error invalid(std::string message) {
	return make_error(-EINVAL, std::move(message));
}

bool parse_unsigned(std::string_view s, unsigned &out) {
	if (s.empty() || s.size() > 9) {
		return false;
	}
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
	return ec == std::errc() && end == s.data() + s.size();
}

bool is_hex(std::string_view s, size_t len) {
	return s.size() == len && std::all_of(s.begin(), s.end(), [](char c) {
		       return std::isxdigit((unsigned char)c);
	       });
}

// Parse an address without prefix into bytes; returns the family or 0.
int parse_address(std::string_view text, unsigned char (&bytes)[16]) {
	std::string s(text);
	if (inet_pton(AF_INET, s.c_str(), bytes) == 1) {
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s.c_str(), bytes) == 1) {
		return AF_INET6;
	}
	return 0;
}

// Reject addresses that can never be an interface address or a gateway.
result<void> check_unicast(std::string_view text, int family, const unsigned char *b) {
	bool bad;
	if (family == AF_INET) {
		bool zero = b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0;
		bool bcast = b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255;
		bad = zero || bcast || (b[0] >= 224 && b[0] <= 239);
	} else {
		bool zero = std::all_of(b, b + 16, [](unsigned char c) { return c == 0; });
		bad = zero || b[0] == 0xff;
	}
	if (bad) {
		return invalid(std::string(text) +
		               ": not a unicast address (unspecified, broadcast or multicast)");
	}
	return {};
}

// Raw EAL options that skiff sets itself: passing them through --eal would
// conflict with (or silently override) ours, so we point at our option.
struct eal_conflict {
	const char *name; // "-l" (short) or "--lcores" (long)
	const char *hint;
};
constexpr eal_conflict eal_conflicts[] = {
    {"-l", "use --lcores (the first listed lcore is the main one)"},
    {"-c", "use --lcores (the first listed lcore is the main one)"},
    {"--lcores", "use skiff's --lcores (the first listed lcore is the main one)"},
    {"--main-lcore", "use --lcores (the first listed lcore is the main one)"},
    {"-m", "use --mem"},
    {"--no-huge", "use skiff's --no-huge"},
    {"--file-prefix", "use skiff's --file-prefix"},
    {"--no-telemetry", "skiff exposes its counters through telemetry; drop it"},
};

bool matches_eal_option(std::string_view word, std::string_view name) {
	if (word.substr(0, name.size()) != name) {
		return false;
	}
	if (word.size() == name.size()) {
		return true;
	}
	// "-l0-1" for short options, "--lcores=..." for long ones
	return name.size() == 2 ? true : word[name.size()] == '=';
}

result<void> check_raw_eal(std::string_view raw) {
	auto words = split_args(raw);
	if (!words) {
		return words.err();
	}
	for (const auto &w : words.value()) {
		for (const auto &c : eal_conflicts) {
			if (matches_eal_option(w, c.name)) {
				return invalid("'" + w + "': " + c.hint);
			}
		}
	}
	return {};
}

result<void> check_file_prefix(std::string_view p) {
	if (p.empty() || p.size() > 64 || p[0] == '-' || p[0] == '.') {
		return invalid("'" + std::string(p) +
		               "': use 1-64 characters, not starting with '-' or '.'");
	}
	for (char c : p) {
		if (!std::isalnum((unsigned char)c) && c != '-' && c != '_' && c != '.') {
			return invalid("'" + std::string(p) +
			               "': use only letters, digits, '-', '_' and '.'");
		}
	}
	return {};
}

result<void> check_gateways(const options &o) {
	int v4 = 0, v6 = 0, addr4 = 0, addr6 = 0;
	for (const auto &a : o.addrs) {
		(is_ipv6(a) ? addr6 : addr4)++;
	}
	for (const auto &g : o.gateways) {
		if (auto r = check_ip(g); !r) {
			return invalid("--gateway " + r.err().message);
		}
		bool six = is_ipv6(g);
		if (++(six ? v6 : v4) > 1) {
			return invalid(std::string("--gateway given twice for ") +
			               (six ? "IPv6" : "IPv4") + ": keep one per address family");
		}
		if ((six ? addr6 : addr4) == 0) {
			return invalid("--gateway " + g + " has no " + (six ? "IPv6" : "IPv4") +
			               " --addr to reach it: add one, e.g. --addr " +
			               (six ? "2001:2::2/64" : "198.18.0.2/24"));
		}
	}
	return {};
}

// Rough footprint of one default mbuf in a mempool: struct rte_mbuf (128),
// headroom (128), 2048 data bytes and the mempool object header, rounded up.
constexpr uint64_t mbuf_footprint = 2560;
// What the EAL, memzones and rings need besides the packet pool.
constexpr uint64_t eal_overhead_mb = 32;

result<void> check_memory(const options &o) {
	if (o.mem_mb < min_mem_mb) {
		return invalid("--mem " + std::to_string(o.mem_mb) +
		               " is too small: use at least " + std::to_string(min_mem_mb));
	}
	if (o.mbufs == 0) {
		return invalid("--mbufs must be at least 1 (8191 is a good default)");
	}
	uint64_t pool_mb = (uint64_t(o.mbufs) * mbuf_footprint + (1 << 20) - 1) >> 20;
	if (pool_mb + eal_overhead_mb > o.mem_mb) {
		return invalid("--mbufs " + std::to_string(o.mbufs) + " needs about " +
		               std::to_string(pool_mb) + " MB but --mem is " +
		               std::to_string(o.mem_mb) + " MB: raise --mem to " +
		               std::to_string(pool_mb + eal_overhead_mb) + " or lower --mbufs");
	}
	return {};
}

result<void> check_ports(const std::vector<std::string> &ports) {
	for (size_t i = 0; i < ports.size(); i++) {
		const auto &p = ports[i];
		if (p.empty() || std::any_of(p.begin(), p.end(), [](char c) {
			    return std::isspace((unsigned char)c);
		    })) {
			return invalid(
			    "--port '" + p +
			    "': give device arguments without spaces, e.g. net_tap0,iface=tap0");
		}
		if (std::find(ports.begin(), ports.begin() + i, p) != ports.begin() + i) {
			return invalid("--port " + p + " given twice: list each port once");
		}
	}
	return {};
}

// Adapt a result-returning check to a CLI11 validator (empty string = valid).
template <typename F> CLI::Validator validator(F check, const char *name) {
	return CLI::Validator(
	    [check](std::string &value) -> std::string {
		    auto r = check(value);
		    return r ? std::string() : r.err().message;
	    },
	    "", name);
}

} // namespace

result<std::vector<unsigned>> parse_lcore_list(std::string_view list) {
	std::vector<unsigned> out;
	std::string_view rest = list;
	auto bad = [&] {
		return invalid("'" + std::string(list) +
		               "': use a list like 0, 0-1 or 0,2 (no spaces)");
	};
	if (list.empty()) {
		return bad();
	}
	while (true) {
		auto comma = rest.find(',');
		std::string_view item = rest.substr(0, comma);
		auto dash = item.find('-');
		unsigned first, last;
		if (!parse_unsigned(item.substr(0, dash), first)) {
			return bad();
		}
		last = first;
		if (dash != std::string_view::npos &&
		    (!parse_unsigned(item.substr(dash + 1), last) || last < first)) {
			return bad();
		}
		if (last >= RTE_MAX_LCORE) {
			return invalid("'" + std::string(list) + "': lcore " +
			               std::to_string(last) +
			               " is above DPDK's limit: use lcores below " +
			               std::to_string(RTE_MAX_LCORE));
		}
		for (unsigned l = first; l <= last; l++) {
			if (std::find(out.begin(), out.end(), l) != out.end()) {
				return invalid("'" + std::string(list) + "': lcore " +
				               std::to_string(l) + " is listed twice");
			}
			out.push_back(l);
		}
		if (comma == std::string_view::npos) {
			break;
		}
		rest.remove_prefix(comma + 1);
	}
	return out;
}

std::string format_cpu_list(std::vector<unsigned> cpus) {
	std::sort(cpus.begin(), cpus.end());
	std::string out;
	for (size_t i = 0; i < cpus.size();) {
		size_t j = i;
		while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) {
			j++;
		}
		if (!out.empty()) {
			out += ',';
		}
		out += std::to_string(cpus[i]);
		if (j > i) {
			out += '-' + std::to_string(cpus[j]);
		}
		i = j + 1;
	}
	return out;
}

result<std::vector<std::string>> split_args(std::string_view raw) {
	std::vector<std::string> words;
	std::string cur;
	bool in_word = false;
	char quote = 0;
	for (size_t i = 0; i < raw.size(); i++) {
		char c = raw[i];
		if (quote == '\'') {
			if (c == '\'') {
				quote = 0;
			} else {
				cur += c;
			}
		} else if (c == '\\') {
			if (++i == raw.size()) {
				return invalid("trailing backslash in '" + std::string(raw) + "'");
			}
			cur += raw[i];
			in_word = true;
		} else if (quote == '"') {
			if (c == '"') {
				quote = 0;
			} else {
				cur += c;
			}
		} else if (c == '\'' || c == '"') {
			quote = c;
			in_word = true;
		} else if (std::isspace((unsigned char)c)) {
			if (in_word) {
				words.push_back(std::move(cur));
				cur.clear();
				in_word = false;
			}
		} else {
			cur += c;
			in_word = true;
		}
	}
	if (quote) {
		return invalid(std::string("unterminated ") + quote + " quote in '" +
		               std::string(raw) + "'");
	}
	if (in_word) {
		words.push_back(std::move(cur));
	}
	return words;
}

bool is_ipv6(std::string_view ip_or_cidr) {
	return ip_or_cidr.find(':') != std::string_view::npos;
}

result<void> check_ip(std::string_view ip) {
	unsigned char bytes[16];
	int family = parse_address(ip, bytes);
	if (family == 0) {
		return invalid(std::string(ip) +
		               ": not an IPv4 or IPv6 address (e.g. 198.18.0.1 or 2001:2::1)");
	}
	return check_unicast(ip, family, bytes);
}

result<void> check_cidr(std::string_view cidr) {
	// "ADDR/LEN@N" puts the address on the N-th --port; the stack checks N.
	if (auto at = cidr.find('@'); at != std::string_view::npos) {
		unsigned port;
		if (!parse_unsigned(cidr.substr(at + 1), port)) {
			return invalid(std::string(cidr) +
			               ": after '@' comes a port index (0 for the "
			               "first --port)");
		}
		cidr = cidr.substr(0, at);
	}
	auto slash = cidr.find('/');
	if (slash == std::string_view::npos) {
		return invalid(std::string(cidr) + ": missing prefix length: write it as " +
		               std::string(cidr) + (is_ipv6(cidr) ? "/64" : "/24"));
	}
	std::string_view addr = cidr.substr(0, slash);
	unsigned char bytes[16];
	int family = parse_address(addr, bytes);
	if (family == 0) {
		return invalid(std::string(cidr) + ": '" + std::string(addr) +
		               "' is not an IPv4 or IPv6 address (e.g. 198.18.0.2/24 or "
		               "2001:2::2/64)");
	}
	unsigned max = family == AF_INET ? 32 : 128;
	unsigned len;
	if (!parse_unsigned(cidr.substr(slash + 1), len) || len == 0 || len > max) {
		return invalid(std::string(cidr) + ": prefix length must be 1-" +
		               std::to_string(max) + " for " +
		               (family == AF_INET ? "IPv4" : "IPv6"));
	}
	return check_unicast(cidr, family, bytes);
}

bool is_pci_address(std::string_view devargs) {
	std::string_view dev = devargs.substr(0, devargs.find(','));
	// optional "DDDD:" domain, then "BB:DD.F"
	if (dev.size() == 12) {
		if (!is_hex(dev.substr(0, 4), 4) || dev[4] != ':') {
			return false;
		}
		dev.remove_prefix(5);
	}
	return dev.size() == 7 && is_hex(dev.substr(0, 2), 2) && dev[2] == ':' &&
	       is_hex(dev.substr(3, 2), 2) && dev[5] == '.' && dev[6] >= '0' && dev[6] <= '7';
}

std::string effective_file_prefix(const options &opts) {
	if (!opts.file_prefix.empty()) {
		return opts.file_prefix;
	}
	return "skiff-" + std::to_string(getpid());
}

result<void> validate(const options &o) {
	if (auto r = check_ports(o.ports); !r) {
		return r;
	}
	if (auto r = parse_lcore_list(o.lcores); !r) {
		return invalid("--lcores " + r.err().message);
	}
	for (const auto &a : o.addrs) {
		if (auto r = check_cidr(a); !r) {
			return invalid("--addr " + r.err().message);
		}
	}
	if (auto r = check_gateways(o); !r) {
		return r;
	}
	if (auto r = check_raw_eal(o.eal); !r) {
		return invalid("--eal " + r.err().message);
	}
	if (!parse_level(o.log_level)) {
		return invalid("--log-level '" + o.log_level +
		               "': use trace, debug, info, warn, error, critical or off");
	}
	if (!std::isfinite(o.duration) || o.duration < 0) {
		return invalid("--duration must be 0 (run until a signal) or a positive number "
		               "of seconds");
	}
	if (!o.file_prefix.empty()) {
		if (auto r = check_file_prefix(o.file_prefix); !r) {
			return invalid("--file-prefix " + r.err().message);
		}
	}
	return check_memory(o);
}

void add_common_options(CLI::App &app, options &o) {
	app.add_option("--port", o.ports,
	               "DPDK device to use, repeatable: a PCI address (0000:01:00.0) or a "
	               "vdev (net_tap0,iface=tap0)")
	    ->type_name("DEVARGS")
	    ->allow_extra_args(false);
	app.add_option("--lcores", o.lcores,
	               "Worker lcores (0, 0-1, 0,2); the first is the main lcore")
	    ->type_name("LIST")
	    ->capture_default_str()
	    ->check(validator([](const std::string &v) { return parse_lcore_list(v); }, "LCORES"));
	app.add_option("--addr", o.addrs,
	               "Interface address, repeatable (198.18.0.2/24, 2001:2::2/64); "
	               "ADDR/LEN@N puts it on the N-th --port (default 0)")
	    ->type_name("CIDR[@N]")
	    ->allow_extra_args(false)
	    ->check(validator([](const std::string &v) { return check_cidr(v); }, "CIDR"));
	app.add_option("--gateway", o.gateways, "Default gateway; at most one IPv4 and one IPv6")
	    ->type_name("IP")
	    ->allow_extra_args(false)
	    ->check(validator([](const std::string &v) { return check_ip(v); }, "IP"));
	app.add_option("--eal", o.eal,
	               "Raw EAL arguments passed through, e.g. --eal=\"--vdev=net_null0\"")
	    ->type_name("\"ARGS\"")
	    ->check(validator([](const std::string &v) { return check_raw_eal(v); }, "EAL"));
	app.add_option("--log-level", o.log_level,
	               "trace, debug, info, warn, error, critical or off")
	    ->type_name("LEVEL")
	    ->capture_default_str()
	    ->check(validator(
	        [](const std::string &v) -> result<void> {
		        if (parse_level(v)) {
			        return {};
		        }
		        return invalid("'" + v +
		                       "': use trace, debug, info, warn, error, "
		                       "critical or off");
	        },
	        "LEVEL"));
	app.add_option("--stats", o.stats_interval,
	               "Seconds between stats prints (0 = only at exit)")
	    ->type_name("N")
	    ->capture_default_str();
	app.add_option("--duration", o.duration, "Seconds to run (0 = until SIGINT/SIGTERM)")
	    ->type_name("S")
	    ->capture_default_str()
	    ->check(CLI::NonNegativeNumber);
	app.add_option("--pcap", o.pcap, "Write the packets ports see to this pcap file")
	    ->type_name("FILE");
	app.add_option("--mem", o.mem_mb, "Memory for the EAL in MB")
	    ->type_name("MB")
	    ->capture_default_str()
	    ->check(validator(
	        [](const std::string &v) -> result<void> {
		        unsigned mb;
		        if (parse_unsigned(v, mb) && mb >= min_mem_mb) {
			        return {};
		        }
		        return invalid("'" + v + "': use a size in MB of at least " +
		                       std::to_string(min_mem_mb));
	        },
	        "MB"));
	auto *huge = app.add_flag_callback(
	    "--huge", [&o] { o.huge = huge_mode::on; },
	    "Require hugepages (default: use them when enough are free)");
	auto *no_huge = app.add_flag_callback(
	    "--no-huge", [&o] { o.huge = huge_mode::off; }, "Never use hugepages");
	huge->excludes(no_huge);
	app.add_option("--file-prefix", o.file_prefix,
	               "EAL runtime name, unique per running instance (default: skiff-<pid>)")
	    ->type_name("NAME")
	    ->check(validator([](const std::string &v) { return check_file_prefix(v); }, "NAME"));
	app.add_option("--mbufs", o.mbufs, "Packet buffers in the mbuf pool")
	    ->type_name("N")
	    ->capture_default_str()
	    ->check(CLI::PositiveNumber);
	app.add_option_function<std::string>(
	       "--ephemeral-ports",
	       [&o](const std::string &v) {
		       // The validator has checked it; this cannot fail.
		       (void)parse_port_range(v, o.ephemeral_lo, o.ephemeral_hi);
	       },
	       "Local ports for sockets bound to port 0 (default 49152-65535)")
	    ->type_name("LO-HI")
	    ->check(validator(
	        [](const std::string &v) {
		        uint16_t lo, hi;
		        return parse_port_range(v, lo, hi);
	        },
	        "LO-HI"));
}

result<void> parse_port_range(std::string_view range, uint16_t &lo, uint16_t &hi) {
	size_t dash = range.find('-');
	unsigned a, b;
	if (dash == std::string_view::npos || !parse_unsigned(range.substr(0, dash), a) ||
	    !parse_unsigned(range.substr(dash + 1), b) || a == 0 || a > b || b > 65535) {
		return invalid(std::string(range) +
		               ": expected LO-HI with 1 <= LO <= HI <= 65535, e.g. 49152-65535");
	}
	lo = uint16_t(a);
	hi = uint16_t(b);
	return {};
}

} // namespace skiff
