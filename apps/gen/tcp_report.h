#pragma once

// How the TCP mode's results are shown: the live progress line, the final
// table, JSON and CSV. Pure formatting over copied numbers, no DPDK.

#include "report.h"
#include "tcp_load.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <string>

namespace skiff::gen {

/// One TCP run, as numbers (copied out of the live stats).
struct tcp_summary {
	tcp_profile profile;
	bool client = false, server = false; ///< which roles ran in this process
	// The client's side.
	uint64_t opened = 0, established = 0, completed = 0, transactions = 0;
	uint64_t failed[size_t(tcp_failure::count)] = {};
	uint64_t bytes_sent = 0, bytes_received = 0, max_open = 0, paced_out = 0, open_waits = 0;
	double seconds = 0;
	latency_summary connect, transaction;
	// The server's side.
	tcp_server_stats served;
	// Both stacks' retransmitted segments.
	uint64_t client_retransmits = 0, server_retransmits = 0;

	static tcp_summary of(const tcp_profile &p, const tcp_client_stats *c,
	                      const tcp_server_stats *s);
	uint64_t failures() const;
	double per_second(uint64_t n) const { return seconds > 0 ? double(n) / seconds : 0; }
	/// Payload bit rate, client to server and back.
	double upload_bps() const { return per_second(8 * bytes_sent); }
	double download_bps() const { return per_second(8 * bytes_received); }
};

/// "[3s] conns 31.2k (10.4k/s) open 64 | tx 12.3 Mbit/s rx 12.3 Mbit/s | failed 0 | p99 81 us"
/// over the last interval of @p interval_s.
std::string tcp_progress_line(double elapsed_s, double interval_s, uint64_t completed,
                              uint64_t delta_completed, uint32_t open_now, uint64_t delta_tx,
                              uint64_t delta_rx, uint64_t failures, uint64_t p99_ns);

void print_tcp_table(FILE *out, const tcp_summary &s);
nlohmann::json tcp_to_json(const run_meta &meta, const tcp_summary &s);
/// A header line and one line of numbers.
std::string tcp_to_csv(const tcp_summary &s);

} // namespace skiff::gen
