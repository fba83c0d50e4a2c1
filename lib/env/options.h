#pragma once

// Options every skiff application takes, their CLI11 bindings and their
// validation. Nothing here touches DPDK: env.h turns a validated `options`
// into EAL arguments and brings the process up.

#include "base/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
} // namespace CLI

namespace skiff {

/// Whether the EAL should back its memory with hugepages.
enum class huge_mode {
	automatic, ///< use them when enough are free, run without otherwise
	on,        ///< --huge: use them or fail at startup
	off,       ///< --no-huge: never use them
};

/// Smallest --mem we accept: below this the EAL itself runs out of memory.
inline constexpr unsigned min_mem_mb = 64;

/// Options common to every skiff application (see lib/env/README.md).
struct options {
	std::vector<std::string> ports;    ///< --port DEVARGS, repeatable
	std::string lcores = "0";          ///< --lcores LIST; the first is the main lcore
	std::vector<std::string> addrs;    ///< --addr CIDR[@N], repeatable, IPv4 or IPv6, on port N
	std::vector<std::string> gateways; ///< --gateway IP, at most one per family
	std::string eal;                   ///< --eal "RAW ARGS", appended to the EAL argv
	std::string log_level = "info";    ///< --log-level
	unsigned stats_interval = 0;       ///< --stats N seconds, 0 = only at exit
	double duration = 0;               ///< --duration S, 0 = until a signal
	std::string pcap;                  ///< --pcap FILE, empty = no capture
	unsigned mem_mb = 256;             ///< --mem MB
	huge_mode huge = huge_mode::automatic; ///< --huge / --no-huge
	std::string file_prefix;               ///< --file-prefix, empty = "skiff-<pid>"
	unsigned mbufs = 8191;                 ///< --mbufs N, packet pool size
	uint16_t ephemeral_lo = 49152;         ///< --ephemeral-ports LO-HI (RFC 6335 range)
	uint16_t ephemeral_hi = 65535;
};

/**
 * Register the common options on a CLI11 app, bound to the fields of @p opts.
 * Each value is syntax-checked while parsing, so a bad --addr fails the parse
 * with a one-line message; call validate() afterwards for cross-field checks.
 * @p opts must outlive the parse.
 */
void add_common_options(CLI::App &app, options &opts);

/**
 * Check every field and the relations between them (gateway families, memory
 * for the mbuf pool, conflicting raw EAL arguments).
 * @return nothing, or -EINVAL with a message naming the option to fix.
 */
result<void> validate(const options &opts);

/**
 * Parse a DPDK lcore list: "0", "0-3", "0,2", "4,0-1". Order is kept, so the
 * first entry names the main lcore.
 * @return the lcores, or -EINVAL for bad syntax, duplicates or ids at or
 *         above RTE_MAX_LCORE.
 */
result<std::vector<unsigned>> parse_lcore_list(std::string_view list);

/// Format CPU ids as a compact list, e.g. {0,1,2,5} -> "0-2,5".
std::string format_cpu_list(std::vector<unsigned> cpus);

/**
 * Split raw arguments on whitespace like a shell would for simple cases:
 * 'single' and "double" quotes group words, a backslash escapes one character
 * outside single quotes.
 * @return the words, or -EINVAL on an unterminated quote or trailing backslash.
 */
result<std::vector<std::string>> split_args(std::string_view raw);

/// Parse "LO-HI", 1 <= LO <= HI <= 65535, into @p lo and @p hi.
result<void> parse_port_range(std::string_view range, uint16_t &lo, uint16_t &hi);

/// Check "ADDRESS/PREFIX[@N]" for IPv4 (prefix 1-32) or IPv6 (prefix 1-128);
/// N, if given, is a --port index (the stack checks that the port exists).
result<void> check_cidr(std::string_view cidr);

/// Check a unicast IPv4 or IPv6 address without prefix.
result<void> check_ip(std::string_view ip);

/// True when the address part of @p ip_or_cidr is IPv6 (contains ':').
bool is_ipv6(std::string_view ip_or_cidr);

/// True when the device part of @p devargs is a PCI address (DDDD:BB:DD.F or BB:DD.F).
bool is_pci_address(std::string_view devargs);

/// The --file-prefix to use: the given one, or "skiff-<pid>".
std::string effective_file_prefix(const options &opts);

} // namespace skiff
