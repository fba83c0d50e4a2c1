#pragma once

// The TCP echo benchmark's modes, wire protocol and report: shared by
// `skiff-echo --client --tcp MODE` and perf/kernel-tcp-echo, so that both
// run the same exchanges and print the same RESULT line
// (perf/tcp_bench.sh compares them).
//
//   rr    request/response: each persistent connection keeps one message of
//         --size bytes outstanding; the server echoes it back.
//   crr   connect, one request/response, close; again and again.
//   bulk  one connection: the client sends --bytes of the deterministic
//         pattern (apps/httpd/pattern.h) and shuts down its side; the
//         server checks every byte and, at the client's FIN, answers with a
//         bulk_summary (bytes received, bytes that differed) and closes.
//   idle  --conns connections are opened and left idle, to measure the
//         memory each one costs.

#include "echo_stats.h"
#include "httpd/pattern.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>

namespace skiff::echo {

enum class tcp_mode { rr, crr, bulk, idle };

inline const char *tcp_mode_name(tcp_mode m) {
	switch (m) {
	case tcp_mode::rr:
		return "rr";
	case tcp_mode::crr:
		return "crr";
	case tcp_mode::bulk:
		return "bulk";
	case tcp_mode::idle:
		return "idle";
	}
	return "?";
}

inline std::optional<tcp_mode> parse_tcp_mode(std::string_view s) {
	for (tcp_mode m : {tcp_mode::rr, tcp_mode::crr, tcp_mode::bulk, tcp_mode::idle}) {
		if (s == tcp_mode_name(m)) {
			return m;
		}
	}
	return std::nullopt;
}

/// What the bulk receiver sends after the sender's FIN (host byte order:
/// both ends run on this machine).
struct bulk_summary {
	uint64_t received;   ///< payload bytes the server read
	uint64_t mismatches; ///< of those, bytes that differ from the pattern
};

/**
 * Count the bytes of @p data that differ from the pattern at @p offset.
 * @param scratch at least @p len bytes, for the expected content
 */
inline uint64_t pattern_mismatches(const uint8_t *data, uint64_t offset, size_t len,
                                   uint8_t *scratch) {
	apps::pattern_fill(scratch, offset, len);
	if (std::memcmp(data, scratch, len) == 0) {
		return 0;
	}
	uint64_t bad = 0;
	for (size_t i = 0; i < len; i++) {
		bad += data[i] != scratch[i];
	}
	return bad;
}

/// One run of a TCP echo client, whichever stack ran it.
struct tcp_run_result {
	const char *impl = "";
	tcp_mode mode = tcp_mode::rr;
	unsigned conns = 0;
	unsigned size = 0;
	double seconds = 0;        ///< the measured period (bulk: first byte to summary)
	uint64_t transactions = 0; ///< rr: exchanges; crr: whole connections
	uint64_t errors = 0;       ///< connections that failed (reset, refused, timed out)
	latency_histogram lat;     ///< rr: round trip; crr: connect to answer
	double unit_ns = 1;
	// bulk
	uint64_t bytes = 0;       ///< sent by the client
	uint64_t received = 0;    ///< as the server reports it
	uint64_t mismatches = 0;  ///< as the server reports it
	bool complete = false;    ///< the summary arrived
	uint64_t retransmits = 0; ///< segments the sender retransmitted (skiff: counters)
	// idle
	double bytes_per_conn = 0; ///< excluding buffers
	double buffer_bytes = 0;   ///< buffers per connection, when allocated up front
	const char *method = "";
};

inline bool intact(const tcp_run_result &r) {
	return r.complete && r.received == r.bytes && r.mismatches == 0;
}

/// A few human lines and one RESULT line of key=value pairs for scripts.
inline void print_tcp_result(FILE *out, const tcp_run_result &r) {
	const char *mode = tcp_mode_name(r.mode);
	auto us = [&](double q) { return double(r.lat.quantile(q)) * r.unit_ns / 1000.0; };
	double max_us = double(r.lat.max()) * r.unit_ns / 1000.0;
	double rate = r.seconds > 0 ? double(r.transactions) / r.seconds : 0;
	switch (r.mode) {
	case tcp_mode::rr:
	case tcp_mode::crr:
		std::fprintf(
		    out,
		    "%s: tcp %s, %u connection(s), %u-byte messages, %.2f s: %lu = %.0f %s, "
		    "%lu errors\n",
		    r.impl, mode, r.conns, r.size, r.seconds, (unsigned long)r.transactions, rate,
		    r.mode == tcp_mode::rr ? "transactions/s" : "connections/s",
		    (unsigned long)r.errors);
		std::fprintf(out, "%s: %s p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us\n",
		             r.impl, r.mode == tcp_mode::rr ? "round trip" : "connect to answer",
		             us(0.50), us(0.99), us(0.999), max_us);
		std::fprintf(
		    out,
		    "RESULT impl=%s mode=%s conns=%u size=%u seconds=%.3f transactions=%lu "
		    "%s=%.0f p50_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.2f errors=%lu\n",
		    r.impl, mode, r.conns, r.size, r.seconds, (unsigned long)r.transactions,
		    r.mode == tcp_mode::rr ? "tps" : "cps", rate, us(0.50), us(0.99), us(0.999),
		    max_us, (unsigned long)r.errors);
		break;
	case tcp_mode::bulk: {
		double gbps = r.seconds > 0 ? double(r.bytes) * 8 / r.seconds / 1e9 : 0;
		std::fprintf(
		    out,
		    "%s: tcp bulk, %lu bytes in %.3f s = %.3f Gbit/s; server received %lu, "
		    "%lu mismatched: %s; %lu retransmits\n",
		    r.impl, (unsigned long)r.bytes, r.seconds, gbps, (unsigned long)r.received,
		    (unsigned long)r.mismatches, intact(r) ? "intact" : "NOT INTACT",
		    (unsigned long)r.retransmits);
		std::fprintf(
		    out,
		    "RESULT impl=%s mode=bulk bytes=%lu seconds=%.3f gbps=%.3f received=%lu "
		    "mismatches=%lu complete=%d intact=%d retransmits=%lu errors=%lu\n",
		    r.impl, (unsigned long)r.bytes, r.seconds, gbps, (unsigned long)r.received,
		    (unsigned long)r.mismatches, r.complete ? 1 : 0, intact(r) ? 1 : 0,
		    (unsigned long)r.retransmits, (unsigned long)r.errors);
		break;
	}
	case tcp_mode::idle: {
		constexpr double gib = 1024.0 * 1024 * 1024;
		double fit = r.bytes_per_conn > 0 ? gib / r.bytes_per_conn : 0;
		double fit_buf = gib / (r.bytes_per_conn + r.buffer_bytes);
		std::fprintf(
		    out,
		    "%s: %u idle connections (both ends in this process): %.0f bytes each "
		    "excluding buffers (%s) = %.0f per GiB; buffers allocated up front: %.0f "
		    "bytes each, %.0f per GiB with them\n",
		    r.impl, r.conns, r.bytes_per_conn, r.method, fit, r.buffer_bytes, fit_buf);
		std::fprintf(
		    out,
		    "RESULT impl=%s mode=idle conns=%u bytes_per_conn=%.0f conns_per_gib=%.0f "
		    "buffer_bytes=%.0f conns_per_gib_with_buffers=%.0f method=%s errors=%lu\n",
		    r.impl, r.conns, r.bytes_per_conn, fit, r.buffer_bytes, fit_buf, r.method,
		    (unsigned long)r.errors);
		break;
	}
	}
	std::fflush(out);
}

} // namespace skiff::echo
