#pragma once

// Reading the stack while it runs: the periodic/exit stats text, and DPDK
// telemetry commands under /skiff/ (read with dpdk-telemetry.py).

#include "net/stack.h"

#include <string>

namespace skiff::net {

/// Human-readable counters: totals, per core, stages (cycles per packet),
/// and every non-zero drop reason by name.
std::string format_stats(const stack &s);

/// Register /skiff/stats, /skiff/drops, /skiff/cores, /skiff/stages,
/// and /skiff/routes for `s`. Call once per process; the
/// stack must outlive the EAL (telemetry runs on its own thread).
void register_telemetry(const stack &s);

} // namespace skiff::net
