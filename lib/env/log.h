#pragma once

// Logging for skiff processes: one spdlog logger on stderr, DPDK's own log
// routed into it so every line looks the same, and the one-line startup
// error report apps return from main().

#include "base/result.h"

#include <spdlog/common.h>

#include <cstdio>
#include <optional>
#include <string_view>

namespace skiff {

/**
 * Parse a --log-level value: trace, debug, info, warn, error, critical, off
 * (also "warning" and "err").
 * @return the level, or nullopt for anything else.
 */
std::optional<spdlog::level::level_enum> parse_level(std::string_view name);

/**
 * Make spdlog's default logger write to stderr with the skiff pattern
 * "[%H:%M:%S.%e] [%^%l%$] %v" at @p level (info when not a valid level).
 * Safe to call more than once; the last call wins.
 */
void init_logging(std::string_view level);

/// The EAL log level (RTE_LOG_*) matching an spdlog level: info -> NOTICE, debug -> INFO,
/// trace -> DEBUG, so the EAL's per-step chatter only shows from debug on.
unsigned eal_log_level(spdlog::level::level_enum level);

/// The spdlog level an EAL message of level @p eal_level (RTE_LOG_*) is logged at.
spdlog::level::level_enum from_eal_log_level(int eal_level);

/**
 * Open a write-only FILE* that forwards each line written to it to the spdlog
 * default logger, at the level of the DPDK message being written. Hand it to
 * rte_openlog_stream(); close it with fclose() after rte_openlog_stream(NULL).
 * @return the stream, or nullptr if fopencookie fails.
 */
FILE *open_dpdk_log_stream();

/**
 * Print "<prog>: <message>" as the single line of a failed startup and
 * return the exit status for it: `return report_startup_error(argv[0], r.err());`
 */
int report_startup_error(const char *prog, const error &e);

} // namespace skiff
