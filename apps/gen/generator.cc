#include "generator.h"

#include "env/env.h"
#include "pacer.h"
#include "tx_fill.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_mbuf.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace skiff::gen {

namespace {

constexpr unsigned burst = 32;
constexpr double max_lag_s = 0.02;

inline void bump(std::atomic<uint64_t> &c, uint64_t n) {
	c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

} // namespace

/// One lcore's share: its queues, counters and receive accounting. The
/// counters are written only by the lane and read by the display thread.
struct alignas(64) lane {
	engine *eng = nullptr;
	unsigned index = 0;
	unsigned lcore = 0;
	std::atomic<uint64_t> tx_packets{0};
	std::atomic<uint64_t> tx_bytes{0};
	std::atomic<uint64_t> rx_packets{0};
	std::atomic<uint64_t> rx_bytes{0};
	std::atomic<uint64_t> rx_probes{0};
	std::atomic<uint64_t> rx_unique{0};
	std::atomic<uint64_t> alloc_failed{0};
	uint64_t tx_end_tsc = 0;
	histogram latency;
	std::vector<seq_tracker> streams; ///< indexed by the sender's stream id (lane index)

	void reset() {
		for (auto *c : {&tx_packets, &tx_bytes, &rx_packets, &rx_bytes, &rx_probes,
		                &rx_unique, &alloc_failed}) {
			c->store(0, std::memory_order_relaxed);
		}
		tx_end_tsc = 0;
		latency.reset();
		std::fill(streams.begin(), streams.end(), seq_tracker{});
	}
};

engine::engine(engine_config cfg) : _cfg(std::move(cfg)), _hz(rte_get_tsc_hz()) {
	for (unsigned i = 0; i < _cfg.lcores.size(); i++) {
		auto l = std::make_unique<lane>();
		l->eng = this;
		l->index = i;
		l->lcore = _cfg.lcores[i];
		l->streams.resize(_cfg.lcores.size());
		_lanes.push_back(std::move(l));
	}
}

engine::~engine() = default;

int engine::lane_entry(void *arg) {
	auto *l = static_cast<lane *>(arg);
	l->eng->lane_loop(*l);
	return 0;
}

namespace {

/// The sending half of a lane: frames still to send, pacing, the burst of
/// frames the driver has not taken yet.
struct sender {
	const run_plan *plan = nullptr;
	uint16_t port = 0, queue = 0;
	rte_mempool *pool = nullptr;
	uint32_t stream = 0;
	uint64_t limit = UINT64_MAX; ///< frames this lane sends
	tx_slots frames;             ///< the plan's rotation, prepared for this stream
	tx_cursor cur;               ///< next frame: slot, sequence number, 4-tuple
	pacer pace;
	bool paced = false;
	rte_mbuf *pending[burst];
	uint16_t pending_len[burst]; ///< L2 size with FCS of each pending frame
	unsigned n_pending = 0;

	/// How many new frames are due now (charging the pacer for them).
	unsigned due(uint64_t now) {
		unsigned room = burst - n_pending;
		uint64_t left = limit - cur.seq;
		unsigned want = unsigned(std::min<uint64_t>(room, left));
		if (!paced) {
			return want;
		}
		unsigned n = 0;
		size_t s = cur.slot;
		while (n < want && pace.due(now)) {
			pace.charge(plan->gaps[s]);
			s = s + 1 == plan->slots.size() ? 0 : s + 1;
			n++;
		}
		return n;
	}

	/// Fill @p n fresh mbufs after the pending ones.
	void fill(unsigned n) {
		uint32_t tsc32 = uint32_t(rte_rdtsc() >> tsc_shift);
		fill_burst_any(pending + n_pending, n, cur, tsc32, pending_len + n_pending);
		n_pending += n;
	}

	/// Hand the pending frames to the driver; keep what it refuses.
	void send(lane &l) {
		uint16_t sent = rte_eth_tx_burst(port, queue, pending, uint16_t(n_pending));
		if (sent == 0) {
			return;
		}
		uint64_t bytes = 0;
		for (unsigned i = 0; i < sent; i++) {
			bytes += pending_len[i];
		}
		bump(l.tx_packets, sent);
		bump(l.tx_bytes, bytes);
		for (unsigned i = sent; i < n_pending; i++) {
			pending[i - sent] = pending[i];
			pending_len[i - sent] = pending_len[i];
		}
		n_pending -= sent;
	}

	void drop_pending() {
		if (n_pending != 0) {
			rte_pktmbuf_free_bulk(pending, n_pending);
			n_pending = 0;
		}
	}
};

} // namespace

void engine::lane_loop(lane &l) {
	const run_plan &plan = *_plan;
	bool tx = l.index < _tx_lanes;
	sender s;
	if (tx) {
		s.plan = &plan;
		s.port = _cfg.tx_port;
		s.queue = uint16_t(l.index);
		s.pool = _cfg.tx_pool;
		s.stream = l.index;
		if (plan.count != 0) {
			s.limit =
			    plan.count / _tx_lanes + (l.index < plan.count % _tx_lanes ? 1 : 0);
		}
		unsigned room = rte_pktmbuf_data_room_size(s.pool) - RTE_PKTMBUF_HEADROOM;
		s.frames = tx_slots(plan.slots, s.stream, room);
		s.cur.slots = s.frames.data();
		s.cur.n_slots = s.frames.size();
		s.cur.flows = flow_cursor(plan.flows);
		s.cur.flows.skip(l.index);
		s.paced = !plan.gaps.empty();
	}
	uint16_t rxq = uint16_t(l.index);
	double ns_per_cycle = 1e9 / double(_hz);
	uint64_t drain = uint64_t(_cfg.drain_s * double(_hz));
	uint64_t n_streams = l.streams.size();
	rte_mbuf *rx[burst];

	while (rte_rdtsc() < _start_tsc) {
		rte_pause();
	}
	if (s.paced) {
		// Catch up on at most a burst or max_lag_s of schedule, whichever is
		// longer: enough to ride out a scheduler time slice on a shared core.
		uint64_t mean = 0;
		for (uint64_t g : plan.gaps) {
			mean += g / plan.gaps.size();
		}
		uint64_t lag = pacer::to_fixed(max_lag_s, _hz);
		s.pace.start(_start_tsc, std::max(mean * burst, lag));
	}
	for (;;) {
		uint64_t now = rte_rdtsc();
		if (tx) {
			if (now >= _end_tsc || s.cur.seq >= s.limit || env::stop_requested()) {
				tx = false;
				s.drop_pending();
				l.tx_end_tsc = now;
				if (_tx_done.fetch_add(1) + 1 == _lanes.size()) {
					_all_done_tsc.store(now);
				}
			} else {
				unsigned n = s.due(now);
				// Raw pool mbufs: fill_burst sets the fields a frame needs.
				if (n != 0 &&
				    rte_mempool_get_bulk(
				        s.pool, reinterpret_cast<void **>(s.pending + s.n_pending),
				        n) != 0) {
					bump(l.alloc_failed, n);
					n = 0;
				}
				s.fill(n);
				if (s.n_pending != 0) {
					s.send(l);
				}
			}
		}
		if (_cfg.rx_enabled) {
			uint16_t nb = rte_eth_rx_burst(_cfg.rx_port, rxq, rx, burst);
			if (nb != 0) {
				uint32_t now32 = uint32_t(rte_rdtsc() >> tsc_shift);
				uint64_t bytes = 0, probes = 0, unique = 0;
				for (uint16_t i = 0; i < nb; i++) {
					bytes +=
					    std::max<uint32_t>(rx[i]->pkt_len + fcs_len, min_frame);
					probe_fields pf;
					if (!parse_probe(rte_pktmbuf_mtod(rx[i], const uint8_t *),
					                 rx[i]->data_len, pf)) {
						continue;
					}
					probes++;
					if (pf.stream >= n_streams) {
						continue; // another generator's stream
					}
					if (l.streams[pf.stream].record(pf.seq) ==
					    seq_tracker::verdict::duplicate) {
						continue;
					}
					unique++;
					uint64_t cycles = uint64_t(uint32_t(now32 - pf.tsc32))
					                  << tsc_shift;
					l.latency.record(uint64_t(double(cycles) * ns_per_cycle));
				}
				rte_pktmbuf_free_bulk(rx, nb);
				bump(l.rx_packets, nb);
				bump(l.rx_bytes, bytes);
				bump(l.rx_probes, probes);
				bump(l.rx_unique, unique);
			}
		}
		if (!tx && _tx_done.load(std::memory_order_relaxed) == _lanes.size()) {
			uint64_t done = _all_done_tsc.load();
			if (!_cfg.rx_enabled || (done != 0 && now >= done + drain)) {
				break;
			}
		}
	}
}

void engine::show_progress(std::atomic<bool> &running, uint64_t start_tsc) {
	uint64_t prev_tx = 0, prev_txb = 0, prev_rx = 0, prev_rxb = 0, prev_tsc = start_tsc;
	uint64_t prev_tx_total = 0;
	bool printed = false;
	auto next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
	histogram merged;
	while (running.load()) {
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
		if (std::chrono::steady_clock::now() < next) {
			continue;
		}
		next += std::chrono::seconds(1);
		uint64_t now = rte_rdtsc();
		run_stats rs;
		rs.label = _plan->label;
		rs.rx_enabled = _cfg.rx_enabled;
		rs.mean_frame = _plan->mean_frame;
		rs.line_rate_pps =
		    _cfg.link_speed_bps > 0 ? line_rate_pps(_cfg.link_speed_bps, rs.mean_frame) : 0;
		uint64_t tx = 0, txb = 0, rx = 0, rxb = 0, uniq = 0;
		merged.reset();
		for (const auto &l : _lanes) {
			tx += l->tx_packets.load(std::memory_order_relaxed);
			txb += l->tx_bytes.load(std::memory_order_relaxed);
			rx += l->rx_packets.load(std::memory_order_relaxed);
			rxb += l->rx_bytes.load(std::memory_order_relaxed);
			uniq += l->rx_unique.load(std::memory_order_relaxed);
			merged.merge(l->latency);
		}
		rs.duration_s = double(now - prev_tsc) / double(_hz);
		rs.tx_packets = tx - prev_tx;
		rs.tx_bytes = txb - prev_txb;
		rs.rx_packets = rx - prev_rx;
		rs.rx_bytes = rxb - prev_rxb;
		// Frames sent in the last second may still be in flight: count
		// against what was sent up to the previous display.
		uint64_t lost = prev_tx_total > uniq ? prev_tx_total - uniq : 0;
		std::string line = progress_line(double(now - start_tsc) / double(_hz), rs, lost,
		                                 merged.percentile(99));
		std::fprintf(stderr, "\r%s\033[K", line.c_str());
		std::fflush(stderr);
		printed = true;
		prev_tx = tx, prev_txb = txb, prev_rx = rx, prev_rxb = rxb, prev_tsc = now;
		prev_tx_total = tx;
	}
	if (printed) {
		std::fputc('\n', stderr);
	}
}

run_stats engine::run(const run_plan &plan, histogram &all_latency) {
	_plan = &plan;
	_tx_lanes = plan.tx_lanes == 0 ? unsigned(_lanes.size())
	                               : std::min<unsigned>(plan.tx_lanes, unsigned(_lanes.size()));
	for (auto &l : _lanes) {
		l->reset();
	}
	_tx_done.store(unsigned(_lanes.size()) - _tx_lanes);
	_all_done_tsc.store(0);
	// Give the worker lcores 1 ms to start spinning so every lane starts together.
	_start_tsc = rte_rdtsc() + _hz / 1000;
	_end_tsc =
	    plan.duration_s > 0 ? _start_tsc + uint64_t(plan.duration_s * double(_hz)) : UINT64_MAX;
	std::atomic<bool> running{true};
	std::thread display;
	if (_cfg.progress) {
		display = std::thread([this, &running] { show_progress(running, _start_tsc); });
	}
	for (size_t i = 1; i < _lanes.size(); i++) {
		rte_eal_remote_launch(lane_entry, _lanes[i].get(), _lanes[i]->lcore);
	}
	lane_loop(*_lanes[0]);
	for (size_t i = 1; i < _lanes.size(); i++) {
		rte_eal_wait_lcore(_lanes[i]->lcore);
	}
	running.store(false);
	if (display.joinable()) {
		display.join();
	}

	run_stats rs;
	rs.label = plan.label;
	rs.mean_frame = plan.mean_frame;
	rs.rx_enabled = _cfg.rx_enabled;
	rs.link_speed_bps = _cfg.link_speed_bps;
	rs.line_rate_pps =
	    _cfg.link_speed_bps > 0 ? line_rate_pps(_cfg.link_speed_bps, plan.mean_frame) : 0;
	uint64_t end = _start_tsc;
	histogram merged;
	for (const auto &l : _lanes) {
		end = std::max(end,
		               std::min(l->tx_end_tsc, _end_tsc)); // nothing is sent after _end_tsc
		rs.tx_packets += l->tx_packets.load();
		rs.tx_bytes += l->tx_bytes.load();
		rs.rx_packets += l->rx_packets.load();
		rs.rx_bytes += l->rx_bytes.load();
		rs.rx_probes += l->rx_probes.load();
		rs.rx_unique += l->rx_unique.load();
		for (const seq_tracker &t : l->streams) {
			rs.reordered += t.reordered();
			rs.duplicates += t.duplicates();
		}
		merged.merge(l->latency);
	}
	rs.duration_s = double(end - _start_tsc) / double(_hz);
	uint64_t got = plan.probes ? rs.rx_unique : rs.rx_packets;
	rs.lost = rs.tx_packets > got ? rs.tx_packets - got : 0;
	rs.latency = latency_summary::of(merged);
	all_latency.merge(merged);
	return rs;
}

} // namespace skiff::gen
