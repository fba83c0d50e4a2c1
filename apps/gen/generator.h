#pragma once

// The data path: one lane per lcore, each sending on its own TX queue of the
// transmitting port and receiving on its own RX queue of the receiving port,
// in one busy-polling loop. A run starts every lane at the same TSC, sends
// the plan's frames (paced or flat out) until its share of the count or the
// duration is done, then keeps receiving for the drain time so frames in
// flight are counted. Per packet: no lock, no heap, no virtual call; mbufs
// are allocated and sent in bursts of 32, and filled by tx_fill.h's inline
// loop for the run's shape.

#include "flows.h"
#include "histogram.h"
#include "report.h"
#include "seq_tracker.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

struct rte_mempool;

namespace skiff::gen {

/// The lanes' fixed setup.
struct engine_config {
	uint16_t tx_port = 0;
	uint16_t rx_port = 0;
	bool rx_enabled = true;
	rte_mempool *tx_pool = nullptr;
	std::vector<unsigned> lcores; ///< the first is the main lcore (this thread)
	double drain_s = 0.2;
	bool progress = false; ///< the one-line display on stderr, once a second
	double link_speed_bps = 0;
};

/// One run: what to send and for how long.
struct run_plan {
	std::string label;
	std::vector<const packet_template *> slots; ///< send order, repeated
	std::vector<uint64_t> gaps; ///< per slot, pacer fixed point, per lane; empty = flat out
	flow_spec flows;
	double duration_s = 0; ///< 0 = until count or a signal
	uint64_t count = 0;    ///< frames in all, 0 = unlimited
	unsigned tx_lanes = 0; ///< lanes that send (0 = all)
	double mean_frame = 0;
	bool probes = true; ///< false for pcap frames: loss is then sent minus received
};

struct lane;

class engine {
public:
	explicit engine(engine_config cfg);
	~engine();
	engine(const engine &) = delete;
	engine &operator=(const engine &) = delete;

	/// Run @p plan on every lane and return what it measured. Latency
	/// samples are also merged into @p all_latency.
	run_stats run(const run_plan &plan, histogram &all_latency);

	const engine_config &config() const { return _cfg; }

private:
	static int lane_entry(void *arg);
	void lane_loop(lane &l);
	void show_progress(std::atomic<bool> &running, uint64_t start_tsc);

	engine_config _cfg;
	std::vector<std::unique_ptr<lane>> _lanes;
	const run_plan *_plan = nullptr;
	uint64_t _hz = 0;
	uint64_t _start_tsc = 0;
	uint64_t _end_tsc = 0; ///< UINT64_MAX without --duration
	std::atomic<unsigned> _tx_done{0};
	std::atomic<uint64_t> _all_done_tsc{0};
	unsigned _tx_lanes = 0;
};

} // namespace skiff::gen
