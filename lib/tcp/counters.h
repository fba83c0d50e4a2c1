#pragma once

// TCP counters: named drop reasons for segments the state machine refuses
// (an X-macro list, as lib/net/counters.h) and protocol events. One
// `tcp_counters` per worker core, reachable through the context; the core is
// the only writer, readers on other threads use peek().

#include <array>
#include <cstddef>
#include <cstdint>

namespace skiff::tcp {

#define SKIFF_TCP_DROP_REASONS(X)                                                                  \
	X(tcp_bad_flags, "TCP segment with no ACK, or SYN+RST / SYN+FIN")                          \
	X(tcp_not_acceptable, "TCP segment outside the receive window (RFC 9293 3.10.7.4)")        \
	X(tcp_paws, "TCP segment with an old timestamp (PAWS, RFC 7323 5)")                        \
	X(tcp_ack_too_old, "TCP ACK below SND.UNA - MAX.SND.WND (RFC 5961 5.2)")                   \
	X(tcp_ack_unsent, "TCP ACK for data not yet sent")                                         \
	X(tcp_rst_bad_seq, "TCP RST outside the window, ignored (RFC 5961 3)")                     \
	X(tcp_rst_challenged, "TCP RST in window but not exact, challenge ACK (RFC 5961 3.2)")     \
	X(tcp_syn_challenged, "TCP SYN in a synchronized state, challenge ACK (RFC 5961 4.2)")     \
	X(tcp_syn_sent_bad_ack, "TCP reply to our SYN that does not ACK it")                       \
	X(tcp_ooo_no_room, "TCP out-of-order segment beyond the reassembly capacity")              \
	X(tcp_rcvbuf_full, "TCP data beyond the receive buffer")                                   \
	X(tcp_data_after_close, "TCP data after the application closed (RST sent)")                \
	X(tcp_closed, "TCP segment to a closed connection")

enum class tcp_drop : uint8_t {
#define SKIFF_X(name, text) name,
	SKIFF_TCP_DROP_REASONS(SKIFF_X)
#undef SKIFF_X
	    count
};

inline constexpr size_t n_tcp_drops = static_cast<size_t>(tcp_drop::count);

const char *tcp_drop_name(tcp_drop r);
const char *tcp_drop_description(tcp_drop r);

#define SKIFF_TCP_EVENTS(X)                                                                        \
	X(active_opens, "connections opened by us (SYN sent)")                                     \
	X(passive_opens, "connections opened by a peer (SYN received)")                            \
	X(established, "connections that reached ESTABLISHED")                                     \
	X(resets_received, "connections reset by the peer")                                        \
	X(resets_sent, "RST segments sent by connections")                                         \
	X(timeouts, "connections given up after too many retransmissions")                         \
	X(segs_in, "segments processed")                                                           \
	X(segs_out, "segments sent")                                                               \
	X(retransmits, "segments retransmitted")                                                   \
	X(rto_expired, "retransmission timeouts")                                                  \
	X(fast_retransmits, "fast retransmits (dupacks or SACK)")                                  \
	X(challenge_acks, "challenge ACKs sent (RFC 5961)")                                        \
	X(challenge_acks_limited, "challenge ACKs suppressed by the rate limit")                   \
	X(invalid_acks_limited, "ACKs for unacceptable segments suppressed by the rate limit")     \
	X(delayed_acks, "delayed ACKs sent by the timer")                                          \
	X(zero_window_probes, "zero-window probes sent")                                           \
	X(keepalive_probes, "keepalive probes sent")                                               \
	X(ooo_segments, "out-of-order segments queued")                                            \
	X(time_wait_expired, "TIME_WAIT connections expired")

enum class tcp_event : uint8_t {
#define SKIFF_X(name, text) name,
	SKIFF_TCP_EVENTS(SKIFF_X)
#undef SKIFF_X
	    count
};

inline constexpr size_t n_tcp_events = static_cast<size_t>(tcp_event::count);

const char *tcp_event_name(tcp_event e);

struct alignas(64) tcp_counters {
	std::array<uint64_t, n_tcp_drops> drops{};
	std::array<uint64_t, n_tcp_events> events{};

	/// Count one more (single writer: a relaxed store, no locked instruction).
	static void bump(uint64_t &c, uint64_t n = 1) {
		__atomic_store_n(&c, c + n, __ATOMIC_RELAXED);
	}
	/// Read a counter another core writes.
	static uint64_t peek(const uint64_t &c) { return __atomic_load_n(&c, __ATOMIC_RELAXED); }

	void drop(tcp_drop r) { bump(drops[static_cast<size_t>(r)]); }
	void count(tcp_event e, uint64_t n = 1) { bump(events[static_cast<size_t>(e)], n); }
	uint64_t dropped(tcp_drop r) const { return peek(drops[static_cast<size_t>(r)]); }
	uint64_t counted(tcp_event e) const { return peek(events[static_cast<size_t>(e)]); }
};

} // namespace skiff::tcp
