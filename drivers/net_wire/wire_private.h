#pragma once

// net_wire internals shared by the control path (probe, ethdev ops, the
// cable registry) and the data path (rx/tx bursts).
//
// Every structure a burst touches lives in DPDK shared memory (a memzone per
// cable, rte_zmalloc for queues and lanes) and holds no process-local
// pointer, so a secondary process can poll ports its primary created.
//
// A cable has two ends. A port owns one end; what it transmits goes through
// its own impairments into the peer's "lanes", one lane per peer receive
// queue: an rte_ring of (mbuf, release time) slots, plus a holding heap the
// receiver keeps packets in until they are due.

#include "base/result.h"

#include <ethdev_driver.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include <cstddef>
#include <cstdint>

namespace skiff::net_wire {

extern int logtype;

#define NW_LOG(level, fmt, ...)                                                                    \
	rte_log(RTE_LOG_##level, skiff::net_wire::logtype, "net_wire: " fmt "\n", ##__VA_ARGS__)

inline constexpr uint16_t max_queues = 16;       ///< per direction and port
inline constexpr uint16_t reta_size = 128;       ///< RSS redirection table entries
inline constexpr uint8_t rss_key_len = 40;       ///< Toeplitz key bytes
inline constexpr size_t link_name_max = 16;      ///< keeps memzone/ring names short
inline constexpr uint16_t chunk = 32;            ///< packets a burst handles at a time
inline constexpr uint32_t reorder_slots = 32;    ///< reordered packets a lane holds
inline constexpr uint32_t default_depth = 1024;  ///< packets in flight per lane
inline constexpr uint32_t max_depth = 1u << 20;  ///< ring and heap memory bound
inline constexpr uint32_t min_frame_len = 60;    ///< padded frame, without FCS
inline constexpr uint32_t l1_overhead = 24;      ///< FCS 4 + preamble 7 + SFD 1 + IFG 12
inline constexpr uint32_t max_frame_len = 16128; ///< jumbo, without FCS
inline constexpr uint32_t shaper_shift = 8;      ///< shaper time unit: TSC tick / 256

/// A probability as a threshold on a uniform 32-bit draw: the event happens
/// when draw < threshold. 0 never, 2^32 always.
using chance = uint64_t;
inline constexpr chance chance_always = 1ull << 32;

/// What one port does to the packets it transmits (its direction of the
/// cable), from its devargs. The peer has its own.
struct impairments {
	char link[link_name_max + 1] = {};
	chance loss = 0;
	chance ge_p = 0;         ///< Gilbert-Elliott: good -> bad per packet
	chance ge_r = 0;         ///< bad -> good per packet
	chance ge_bad_loss = 0;  ///< loss in the bad state (1-h)
	chance ge_good_loss = 0; ///< loss in the good state (1-k)
	chance corrupt = 0;
	chance dup = 0;
	chance reorder = 0;
	uint32_t reorder_gap = 3;           ///< later packets that overtake a reordered one
	uint64_t reorder_timeout_us = 1000; ///< longest a reordered packet waits for them
	uint64_t delay_us = 0;
	uint64_t jitter_us = 0; ///< extra delay, uniform in [0, jitter]
	uint64_t rate_pps = 0;
	uint64_t rate_bps = 0; ///< counts l1_overhead and padding
	uint32_t depth = default_depth;
	uint16_t mtu = RTE_ETHER_MTU;
	bool mtu_given = false;
	uint64_t seed = 0;
	bool seed_given = false;
	rte_ether_addr mac = {};
	bool mac_given = false;
};

/**
 * Parse "key=value,..." devargs.
 * @param name the vdev name, for messages.
 * @param args the devargs string; null or empty gives an error (link= is required).
 * @return the impairments, or a one-line error naming the bad key.
 */
result<impairments> parse_devargs(const char *name, const char *args);

/// The devargs help string for RTE_PMD_REGISTER_PARAM_STRING.
#define NW_PARAM_STRING                                                                            \
	"link=<name> loss=<pct> ge_p=<pct> ge_r=<pct> ge_bad=<pct> ge_good=<pct> "                 \
	"delay=<us> jitter=<us> reorder=<pct> reorder_gap=<n> reorder_timeout=<us> "               \
	"dup=<pct> corrupt=<pct> rate_pps=<n[kMG]> rate_bps=<n[kMG]> mtu=<n> queue=<n> "           \
	"seed=<n> mac=<xx:xx:xx:xx:xx:xx>"

/// The transmit-side counters, also the xstats names (in this order).
enum counter : unsigned {
	c_dropped_loss,
	c_dropped_burst,
	c_dropped_rate,
	c_dropped_mtu,
	c_dropped_queue_full,
	c_dropped_link_down,
	c_corrupted,
	c_duplicated,
	c_reordered,
	c_delayed,
	c_sent, ///< packets put on the cable (stats opackets)
	c_sent_bytes,
	n_counters
};
inline constexpr unsigned n_xstat_counters = c_sent; ///< counters shown as xstats

/// Receive-side RSS, written by the receiving port's control path and read
/// by the peer's transmit path (a hardware NIC hashes on receive; the cable
/// has no receiver thread, so the sender hashes for it).
struct rss_state {
	uint64_t hf = 0;
	uint16_t nb_queues = 1;
	uint8_t enabled = 0;                      ///< mq_mode has RSS and hf != 0
	alignas(8) uint8_t key[rss_key_len] = {}; ///< aligned: rte_convert_rss_key() reads words
	uint32_t key_be[rss_key_len / 4] = {};    ///< rte_convert_rss_key() of key
	uint16_t reta[reta_size] = {};
};

/// One (mbuf, meta) entry of a lane's ring. The sender has already written
/// the receive-side mbuf fields (port, ol_flags, packet_type, hash), so the
/// receiver's fast path never touches the mbuf: meta carries the frame
/// length, or, for a packet that must wait, the TSC at which it is due.
struct slot {
	rte_mbuf *m;
	uint64_t meta;
};
inline constexpr uint64_t meta_reorder = 1ull << 63; ///< let reorder_gap packets pass it
inline constexpr uint64_t meta_timed = 1ull << 62;   ///< low bits: release TSC, not length
inline constexpr uint64_t meta_time = meta_timed - 1;
inline constexpr uint64_t meta_len = 0xffffffffull;

/// When the packet is due (0: now).
inline uint64_t slot_release(uint64_t meta) {
	return (meta & meta_timed) ? meta & meta_time : 0;
}

/// A packet held by the receiver until due; ordered by (release, seq).
struct held_pkt {
	uint64_t release;
	uint64_t seq;
	rte_mbuf *m;
	uint64_t meta;
};

/// A reordered packet waiting for `left` later packets (or its deadline).
struct hold_slot {
	rte_mbuf *m;
	uint64_t meta;
	uint64_t deadline;
	uint32_t left;
};

/**
 * One receive queue's incoming side of the cable. Producers: the peer's tx
 * queues (multi-producer ring). Consumer: this port's rx queue alone, which
 * also owns the heap and the reorder holds. A lane holds at most `capacity`
 * packets (ring + held), the sender's queue depth.
 */
struct lane {
	rte_ring *ring;
	uint32_t capacity;
	held_pkt *heap; ///< capacity entries, just after this struct
	/// heap_len + hold_len, published by the receiver for the senders' depth check.
	alignas(RTE_CACHE_LINE_SIZE) uint32_t held;
	alignas(RTE_CACHE_LINE_SIZE) uint64_t seq; ///< receiver-only from here
	uint32_t heap_len;
	uint32_t hold_len;
	hold_slot hold[reorder_slots];
};

/// One end of a cable, shared by the two ports (and processes).
struct cable_end {
	uint32_t attached; ///< a port owns this end
	uint32_t started;
	uint32_t admin_up; ///< dev_set_link_up/down
	int32_t pid;       ///< process that owns the port (LSC events go there)
	uint16_t port_id;
	uint32_t depth;               ///< this end's transmit queue depth
	uint32_t reorder_gap;         ///< this end's transmit reordering, applied
	uint64_t reorder_timeout_tsc; ///< by the peer's receive path
	rss_state rss;                ///< this end's receive side
	lane *lanes[max_queues];      ///< into this end, one per receive queue
	/// This end's transmit shaper: when the wire is next free, in
	/// TSC/256 units since cable::epoch_tsc. Shared by its tx queues.
	alignas(RTE_CACHE_LINE_SIZE) uint64_t shaper_next;
};

struct cable {
	uint64_t magic; ///< set last, once initialised
	char name[link_name_max + 1];
	rte_spinlock_t lock; ///< control path only
	uint32_t plugged;    ///< rte_pmd_net_wire_set_link()
	uint64_t epoch_tsc;
	alignas(RTE_CACHE_LINE_SIZE) uint32_t link_up; ///< read by every tx burst
	cable_end ends[2];
};

/// Per-queue counters; reset by remembering a base, so the data path is
/// the only writer of the live values.
struct counters {
	uint64_t v[n_counters];
};

struct port_private;

struct alignas(RTE_CACHE_LINE_SIZE) tx_queue {
	port_private *port;
	uint16_t qid;
	uint8_t single_producer; ///< the port has one tx queue: SP enqueue
	uint8_t ge_bad;          ///< Gilbert-Elliott state
	uint64_t rng;
	counters cnt;
	counters base;
};

struct alignas(RTE_CACHE_LINE_SIZE) rx_queue {
	port_private *port;
	uint16_t qid;
	uint16_t port_id;
	lane *ln; ///< cached once the cable has it
	uint64_t packets;
	uint64_t bytes;
	uint64_t base_packets;
	uint64_t base_bytes;
};

/// dev_private of a net_wire ethdev.
struct port_private {
	cable *cbl;
	uint8_t end;
	uint16_t port_id;
	impairments imp;
	// Derived at dev_start for the transmit path.
	uint8_t impaired; ///< any impairment besides MTU and depth
	uint32_t max_frame;
	uint64_t delay_tsc;
	uint64_t jitter_tsc;
	uint64_t pps_cost;  ///< shaper units per packet
	uint64_t byte_cost; ///< shaper units per wire byte, << 16
	rte_ether_addr mac;
};

// The cable registry (wire_cable.cc). All return 0 or a negative errno
// after logging one line, except cable_attach.

/// Find or create the cable named imp.link and claim a free end of it.
result<cable *> cable_attach(const impairments &imp, uint16_t port_id, uint8_t &end);
/// Release the end; the last one out frees the cable, its lanes and any packets left.
void cable_detach(cable *c, uint8_t end);
/// Publish the receive-side RSS of `end` (dev_configure, RSS/RETA updates).
void cable_set_rss(cable *c, uint8_t end, const rss_state &rss);
/// Mark `end` started: drain stale packets, create lanes, raise the link if both are.
int cable_start(cable *c, uint8_t end, int socket);
/// Mark `end` stopped: link down, free packets waiting for it.
void cable_stop(cable *c, uint8_t end);
/// dev_set_link_up/down of one end.
void cable_set_admin(cable *c, uint8_t end, bool up);
/// Plug or pull the cable (rte_pmd_net_wire_set_link).
void cable_set_plugged(cable *c, bool plugged);
/// The link as ethdev reports it for `end`.
rte_eth_link cable_link(const cable *c, uint8_t end, uint64_t rate_bps);
/// Packets held (ring + heap + reorder) in the lanes into `end`.
uint64_t cable_held(const cable *c, uint8_t end);

// The data path (wire_rx.cc, wire_tx.cc).
uint16_t rx_burst(void *queue, rte_mbuf **pkts, uint16_t n);
uint16_t tx_burst(void *queue, rte_mbuf **pkts, uint16_t n);
/// Free every packet a lane holds (ring, heap, reorder holds). Consumer only.
void lane_drain(lane *l);

/// Shaper units one frame of `len` bytes (without FCS) occupies the wire.
inline uint64_t wire_cost(const port_private &pp, uint32_t len) {
	uint32_t on_wire = (len < min_frame_len ? min_frame_len : len) + l1_overhead;
	uint64_t by_bytes = (static_cast<uint64_t>(on_wire) * pp.byte_cost) >> 16;
	return by_bytes > pp.pps_cost ? by_bytes : pp.pps_cost;
}

} // namespace skiff::net_wire
