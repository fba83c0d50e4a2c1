#include "tcp/rto.h"

#include <algorithm>

namespace skiff::tcp {

rto_estimator::rto_estimator(uint32_t min_rto_us, uint32_t max_rto_us, uint32_t initial_rto_us)
    : _min_rto_us(min_rto_us), _max_rto_us(std::max(min_rto_us, max_rto_us)),
      _initial_rto_us(initial_rto_us) {}

void rto_estimator::on_rtt_sample(uint32_t rtt_us) {
	if (!_has_sample) {
		// RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2.
		_srtt_us = rtt_us;
		_rttvar_us = rtt_us / 2;
		_has_sample = true;
	} else {
		// RFC 6298 2.3, alpha = 1/8, beta = 1/4. RTTVAR first: it uses the
		// SRTT from before this sample. 64-bit so 7 * SRTT cannot overflow.
		uint64_t srtt = _srtt_us;
		uint64_t diff = srtt > rtt_us ? srtt - rtt_us : rtt_us - srtt;
		_rttvar_us = static_cast<uint32_t>((3 * uint64_t{_rttvar_us} + diff) / 4);
		_srtt_us = static_cast<uint32_t>((7 * srtt + rtt_us) / 8);
	}
	// RFC 6298 5.7 leaves the backed-off RTO in place until a new sample;
	// the sample is that evidence, so the backoff goes.
	_backoffs = 0;
}

void rto_estimator::on_timeout() {
	// RFC 6298 5.5: RTO <- RTO * 2. rto_us() caps it at the maximum, so
	// counting past the point where the shift saturates changes nothing.
	if (_backoffs < UINT8_MAX) {
		_backoffs++;
	}
}

uint32_t rto_estimator::base_rto_us() const {
	uint64_t rto = _initial_rto_us;
	if (_has_sample) {
		// RFC 6298 2.3: RTO <- SRTT + max(G, K * RTTVAR), K = 4.
		rto = uint64_t{_srtt_us} +
		      std::max<uint64_t>(granularity_us, 4 * uint64_t{_rttvar_us});
	}
	// RFC 6298 2.4 and 2.5: clamp to [min, max].
	return static_cast<uint32_t>(std::clamp<uint64_t>(rto, _min_rto_us, _max_rto_us));
}

uint32_t rto_estimator::rto_us() const {
	uint64_t rto = base_rto_us();
	// The base is below 2^32, so 32 doublings already exceed any maximum.
	if (_backoffs >= 32) {
		return _max_rto_us;
	}
	rto <<= _backoffs;
	return static_cast<uint32_t>(std::min<uint64_t>(rto, _max_rto_us));
}

} // namespace skiff::tcp
