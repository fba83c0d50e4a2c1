#pragma once

// Congestion control for one TCP connection: NewReno (RFC 5681 with
// appropriate byte counting, RFC 3465) and CUBIC (RFC 9438).
//
// The algorithm is a tag in the state and every entry point switches on it,
// so the per-ACK path has no virtual call and the state lives inline in the
// connection (no allocation). Windows are in bytes; CUBIC keeps its curve in
// MSS units as doubles, as RFC 9438 writes it.
//
// The caller owns loss detection and recovery (RFC 6675): it calls
// cc_on_ack() only for ACKs of new data outside recovery, cc_on_congestion()
// once when it enters recovery, cc_on_recovery_exit() when it leaves, and
// cc_on_rto() when the retransmission timer fires. It should skip
// cc_on_ack() while the sender is application-limited (RFC 7661) so the
// window does not grow without being used.

#include <cstdint>
#include <optional>
#include <string_view>

namespace skiff::tcp {

enum class cc_algo : uint8_t { newreno, cubic };

/// Per-connection congestion control state. Plain data: copy it, zero it.
struct cc_state {
	cc_algo algo = cc_algo::newreno;
	uint32_t cwnd = 0;     ///< congestion window, bytes
	uint32_t ssthresh = 0; ///< slow start threshold, bytes
	/// Bytes ACKed in congestion avoidance not yet turned into window
	/// (RFC 5681 section 3.1, the byte-counting variant of equation 3).
	uint32_t bytes_acked = 0;

	// CUBIC (RFC 9438), windows in MSS units.
	double w_max = 0;            ///< window before the last reduction; 0 = none yet
	double k = 0;                ///< seconds from the epoch start to reach w_max
	double w_est = 0;            ///< Reno-friendly estimate (section 4.3)
	double cwnd_prior = 0;       ///< cwnd when ssthresh was last set
	double cwnd_epoch = 0;       ///< cwnd at the start of this avoidance stage
	uint64_t epoch_start_us = 0; ///< 0 = no avoidance stage in progress

	/// Set by cc_on_rto(), cleared when new data is ACKed: a second
	/// timeout before that holds ssthresh (RFC 5681 3.1, after eq. 4).
	bool rto_pending = false;
};

/// Initial window: 10 MSS (RFC 6928). We take the larger IW of RFC 6928
/// over RFC 5681's min(4*MSS, max(2*MSS, 4380)) because it is what every
/// current peer uses and it saves two RTTs on short transfers.
constexpr uint32_t cc_initial_window(uint32_t mss) {
	return 10 * mss;
}

/// CUBIC constants (RFC 9438 section 4 and 5).
constexpr double cubic_c = 0.4;
constexpr double cubic_beta = 0.7;

/// Set up the state for a new connection: cwnd = IW, ssthresh "arbitrarily
/// high" (RFC 5681 section 3.1).
void cc_init(cc_state &s, cc_algo algo, uint32_t mss);

/// New data was cumulatively ACKed outside recovery: slow start below
/// ssthresh, congestion avoidance above (RFC 5681 3.1; RFC 9438 4.2-4.5).
/// @param acked_bytes bytes newly acknowledged by this ACK
/// @param srtt_us smoothed RTT, for CUBIC's target W_cubic(t + RTT)
void cc_on_ack(cc_state &s, uint32_t acked_bytes, uint32_t mss, uint64_t now_us, uint32_t srtt_us);

/// Loss detected by duplicate ACKs or SACK, on entering recovery.
/// NewReno: ssthresh = max(flight/2, 2*MSS) (RFC 5681 equation 4).
/// CUBIC: ssthresh = max(cwnd * 0.7, 2*MSS) with fast convergence
/// (RFC 9438 4.6, 4.7). Both set cwnd = ssthresh.
void cc_on_congestion(cc_state &s, uint32_t flight_bytes, uint32_t mss, uint64_t now_us);

/// The retransmission timer fired: ssthresh as for a congestion event,
/// cwnd = 1 MSS, the loss window (RFC 5681 3.1; RFC 9438 4.8). When the
/// timer fires again before any new data is ACKed (the retransmission was
/// lost too), ssthresh is held, as RFC 5681 requires. The caller should
/// keep calling cc_on_ack() for ACKs after an RTO: that is slow start.
void cc_on_rto(cc_state &s, uint32_t flight_bytes, uint32_t mss, uint64_t now_us);

/// Recovery is over (RFC 6675 section 5, RFC 6582 3.2 step 3): deflate
/// cwnd to ssthresh; CUBIC starts its avoidance epoch on the next ACK.
void cc_on_recovery_exit(cc_state &s, uint32_t mss, uint64_t now_us);

/// True while cwnd < ssthresh.
inline bool cc_in_slow_start(const cc_state &s) {
	return s.cwnd < s.ssthresh;
}

/// RFC 9438 equation 1: W_cubic(t) = C * (t - K)^3 + W_max, in MSS units,
/// @p t_s seconds after the epoch start.
double cubic_window(const cc_state &s, double t_s);

/// "newreno" or "cubic".
const char *cc_name(cc_algo a);

/// Parse "newreno" or "cubic" (also "reno" for newreno).
std::optional<cc_algo> cc_from_name(std::string_view name);

} // namespace skiff::tcp
