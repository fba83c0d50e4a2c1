#pragma once

// RFC 2544 section 26.1 throughput search, as a pure driver over a trial
// function, so the search logic is tested with a fake device.
//
// For one frame size it finds
//   NDR: the highest rate with zero loss, and
//   PDR: the highest rate whose loss is at most --loss-tolerance percent,
// each by binary search between 0 and the line rate, down to --precision
// percent of the line rate. The first trial of each search runs at the top
// of its interval, so a device that keeps up needs a single trial.
//
// A trial reports the rate it really offered. When the generator could not
// reach the rate asked for (below 99% of it), the result is what it offered
// and is flagged `generator_limited`: the device was not the bottleneck.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace skiff::gen {

struct trial_outcome {
	double requested_pps = 0;
	double offered_pps = 0; ///< measured transmit rate
	uint64_t tx = 0;
	uint64_t rx = 0; ///< unique frames received
	/// Lost frames in percent of those sent (0 when nothing was sent).
	double loss_pct() const {
		return tx == 0 || rx >= tx ? 0.0 : 100.0 * double(tx - rx) / double(tx);
	}
};

struct search_config {
	double line_rate_pps = 0;      ///< the top of the search
	double loss_tolerance_pct = 0; ///< PDR threshold
	double precision_pct = 0.5;    ///< stop when the interval is this narrow (of line rate)
	unsigned max_trials = 30;      ///< per search, a safety net
};

struct threshold_result {
	double rate_pps = 0; ///< offered rate of the best passing trial, 0 if none passed
	double loss_pct = 0; ///< its loss
	bool generator_limited = false;
	unsigned trials = 0;
};

struct search_result {
	threshold_result ndr;
	threshold_result pdr;
	std::vector<trial_outcome> trials; ///< every trial, in order
};

using trial_fn = std::function<trial_outcome(double rate_pps)>;

/// Run the NDR search, then the PDR search starting from the NDR.
search_result rfc2544_search(const search_config &cfg, const trial_fn &trial);

} // namespace skiff::gen
