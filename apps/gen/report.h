#pragma once

// What a run measured and how it is shown: the live progress line, the
// final table, JSON and CSV. Pure formatting, no DPDK.
//
// Honesty rules, applied to every printed rate:
//   - bit rates say L1 (with the 20 bytes of preamble and gap per frame) or
//     L2 (frame with FCS);
//   - a rate above the link's line rate for the frame size is printed as the
//     line rate, marked '*', with a warning that the device is virtual or its
//     link speed nominal. JSON keeps the measured value (tx_pps) next to the
//     line rate and the flag `above_line_rate`, so tools comparing software
//     cost can still use it.

#include "histogram.h"
#include "rfc2544.h"

#include "base/result.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace skiff::gen {

/// Latency summary in nanoseconds.
struct latency_summary {
	uint64_t samples = 0;
	uint64_t min = 0, p50 = 0, p99 = 0, p999 = 0, max = 0;

	static latency_summary of(const histogram &h);
};

/// One measured run (one frame size or pattern).
struct run_stats {
	std::string label;     ///< frame size or "imix"
	double mean_frame = 0; ///< mean L2 frame size with FCS
	double duration_s = 0; ///< transmit time
	uint64_t tx_packets = 0;
	uint64_t tx_bytes = 0; ///< L2 with FCS
	bool rx_enabled = false;
	uint64_t rx_packets = 0; ///< every frame received
	uint64_t rx_bytes = 0;   ///< L2 with FCS
	uint64_t rx_probes = 0;  ///< frames with skiff-gen's probe
	uint64_t rx_unique = 0;  ///< probes minus duplicates
	uint64_t lost = 0;
	uint64_t reordered = 0;
	uint64_t duplicates = 0;
	latency_summary latency;
	double line_rate_pps = 0; ///< for mean_frame at the link speed; 0 when unknown
	double link_speed_bps = 0;

	double tx_pps() const { return duration_s > 0 ? double(tx_packets) / duration_s : 0; }
	double rx_pps() const { return duration_s > 0 ? double(rx_packets) / duration_s : 0; }
	double tx_bps_l2() const {
		return duration_s > 0 ? 8.0 * double(tx_bytes) / duration_s : 0;
	}
	double tx_bps_l1() const {
		return duration_s > 0 ? 8.0 * double(tx_bytes + 20 * tx_packets) / duration_s : 0;
	}
	double rx_bps_l2() const {
		return duration_s > 0 ? 8.0 * double(rx_bytes) / duration_s : 0;
	}
	double rx_bps_l1() const {
		return duration_s > 0 ? 8.0 * double(rx_bytes + 20 * rx_packets) / duration_s : 0;
	}
	/// True when the transmit rate exceeds the line rate by more than 0.1%.
	bool above_line_rate() const {
		return line_rate_pps > 0 && tx_pps() > line_rate_pps * 1.001;
	}
};

/// A measured rate as it may be printed: capped at the line rate.
struct shown_rate {
	double value = 0;
	bool capped = false;
};
/// @p measured_pps capped at @p line_rate_pps (0 = unknown, no cap).
shown_rate cap_pps(double measured_pps, double line_rate_pps);

/// RFC 2544 results for one frame size.
struct rfc2544_row {
	std::string label;
	double mean_frame = 0;
	double line_rate_pps = 0;
	search_result result;
};

struct port_meta {
	std::string devargs;
	std::string name;
	std::string driver;
	uint32_t link_speed_mbps = 0;
	std::string role; ///< "tx", "rx" or "tx+rx"
};

/// Everything recorded about the run besides its numbers.
struct run_meta {
	std::string dpdk_version;
	std::vector<port_meta> ports;
	std::vector<unsigned> lcores;
	std::vector<std::string> args; ///< the whole command line
	std::string rate;              ///< rate_spec::describe()
	uint64_t flows = 1;
	std::string mode = "udp"; ///< "udp", "pcap-replay", "rfc2544", "tcp-short", "tcp-long"
};

/// Sum of several runs (for a sweep's top-level numbers); latency from @p merged.
run_stats total_of(const std::vector<run_stats> &runs, const histogram &merged);

/**
 * The one-line progress display, e.g.
 * "[3s] tx 14.88 Mpps* 10.00 Gbit/s L1 7.62 Gbit/s L2 | rx ... | lost 0 | p99 12.3 us".
 * @p rs holds the counters of the last interval (duration_s = its length).
 */
std::string progress_line(double elapsed_s, const run_stats &rs, uint64_t lost_so_far,
                          uint64_t p99_ns);

/// The final table of @p runs on @p out, with warnings after it.
void print_table(FILE *out, const std::vector<run_stats> &runs, const run_meta &meta);

/// The RFC 2544 table.
void print_rfc2544(FILE *out, const std::vector<rfc2544_row> &rows);

/// A latency summary as JSON (nanoseconds).
nlohmann::json latency_json(const latency_summary &l);
/// The run's metadata as JSON: tool, DPDK version, mode, ports, lcores, args.
nlohmann::json meta_json(const run_meta &meta);

/// The JSON document (see the "tool" key) for @p total over @p runs.
nlohmann::json to_json(const run_meta &meta, const run_stats &total,
                       const std::vector<run_stats> &runs, const std::vector<rfc2544_row> &rfc);

/// CSV: a header line, then one line per run.
std::string to_csv(const std::vector<run_stats> &runs);

/// Write @p text to @p path (for --json/--csv); the error names @p option.
result<void> write_report(const std::string &path, const std::string &text, const char *option);

/// Human-readable latency: "812 ns", "12.3 us", "4.10 ms".
std::string format_ns(uint64_t ns);

} // namespace skiff::gen
