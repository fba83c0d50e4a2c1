#include "rfc2544.h"

namespace skiff::gen {

namespace {

constexpr double limited_ratio = 0.99;

bool limited(const trial_outcome &o) {
	return o.offered_pps < limited_ratio * o.requested_pps;
}

/// Binary search for the highest rate in [lo, hi] whose loss is at most
/// @p tol (percent). @p lo is known to pass (or is 0).
threshold_result find_threshold(const search_config &cfg, const trial_fn &trial, double lo,
                                const threshold_result &known, double tol,
                                std::vector<trial_outcome> &log) {
	threshold_result best = known;
	best.trials = 0;
	double hi = cfg.line_rate_pps;
	double resolution = cfg.line_rate_pps * cfg.precision_pct / 100.0;
	double rate = hi; // try the top first: a device that keeps up needs one trial
	while (best.trials < cfg.max_trials) {
		trial_outcome o = trial(rate);
		log.push_back(o);
		best.trials++;
		bool pass = o.tx > 0 && o.loss_pct() <= tol;
		if (pass) {
			lo = rate;
			if (o.offered_pps >= best.rate_pps) {
				best.rate_pps = o.offered_pps;
				best.loss_pct = o.loss_pct();
				best.generator_limited = limited(o);
			}
			if (limited(o)) {
				break; // higher rates would offer no more than this
			}
		} else {
			hi = rate;
		}
		if (hi - lo <= resolution) {
			break;
		}
		rate = (lo + hi) / 2;
	}
	return best;
}

} // namespace

search_result rfc2544_search(const search_config &cfg, const trial_fn &trial) {
	search_result r;
	if (cfg.line_rate_pps <= 0) {
		return r;
	}
	r.ndr = find_threshold(cfg, trial, 0, {}, 0.0, r.trials);
	if (cfg.loss_tolerance_pct <= 0) {
		r.pdr = r.ndr;
		r.pdr.trials = 0;
		return r;
	}
	if (r.ndr.generator_limited ||
	    (r.ndr.rate_pps >= cfg.line_rate_pps * limited_ratio && r.ndr.trials == 1)) {
		// Nothing above the NDR can be offered: the PDR is the same.
		r.pdr = r.ndr;
		r.pdr.trials = 0;
		return r;
	}
	r.pdr = find_threshold(cfg, trial, r.ndr.rate_pps, r.ndr, cfg.loss_tolerance_pct, r.trials);
	return r;
}

} // namespace skiff::gen
