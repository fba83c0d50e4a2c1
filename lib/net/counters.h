#pragma once

// Per-core counters. Each worker owns one `core_counters` and is its only
// writer; the stats printer and the telemetry thread read them concurrently.
// Single-writer relaxed atomics make that race-free without a lock or a
// locked instruction: on x86 a relaxed load/store is a plain mov.

#include <array>
#include <cstddef>
#include <cstdint>

namespace skiff::net {

// X-macro so the enum and its names can never drift apart.
#define SKIFF_DROP_REASONS(X)                                                                      \
	X(eth_truncated, "Ethernet header truncated")                                              \
	X(eth_not_for_us, "destination MAC is neither ours nor broadcast/multicast")               \
	X(eth_unknown_type, "unknown ethertype")                                                   \
	X(eth_vlan, "VLAN-tagged frame on an untagged interface")                                  \
	X(arp_malformed, "ARP truncated or not Ethernet/IPv4")                                     \
	X(arp_bad_sender, "ARP sender address is broadcast, multicast or ours")                    \
	X(arp_not_for_us, "ARP target is not one of our addresses")                                \
	X(ipv4_truncated, "IPv4 header truncated")                                                 \
	X(ipv4_bad_version, "IPv4 version is not 4")                                               \
	X(ipv4_bad_header_length, "IPv4 IHL below 5 or beyond the frame")                          \
	X(ipv4_bad_total_length, "IPv4 total length below the header or beyond the frame")         \
	X(ipv4_bad_checksum, "IPv4 header checksum wrong")                                         \
	X(ipv4_bad_source, "IPv4 source is multicast, broadcast, loopback or ours")                \
	X(ipv4_not_for_us, "IPv4 destination is not ours")                                         \
	X(ipv4_fragment, "IPv4 fragment (reassembly not supported)")                               \
	X(ipv4_unknown_protocol, "IPv4 protocol not handled")                                      \
	X(icmp_truncated, "ICMP message truncated")                                                \
	X(icmp_bad_checksum, "ICMP checksum wrong")                                                \
	X(icmp_unhandled_type, "ICMP type not handled")                                            \
	X(icmp_broadcast_echo, "ICMP echo to a broadcast or multicast address (ignored)")          \
	X(ipv6_truncated, "IPv6 header truncated")                                                 \
	X(ipv6_bad_version, "IPv6 version is not 6")                                               \
	X(ipv6_bad_payload_length, "IPv6 payload length beyond the frame")                         \
	X(ipv6_bad_ext_chain, "IPv6 extension header chain malformed or too long")                 \
	X(ipv6_bad_source, "IPv6 source is multicast, loopback or ours")                           \
	X(ipv6_not_for_us, "IPv6 destination is not ours")                                         \
	X(ipv6_fragment, "IPv6 fragment (reassembly not supported)")                               \
	X(ipv6_unknown_protocol, "IPv6 next header not handled")                                   \
	X(udp_truncated, "UDP header truncated or length field beyond the datagram")               \
	X(udp_bad_checksum, "UDP checksum wrong (or zero over IPv6)")                              \
	X(udp_no_socket, "UDP datagram to a port with no socket (ICMP port unreachable sent)")     \
	X(udp_rcvbuf_full, "UDP socket receive buffer full")                                       \
	X(tcp_truncated, "TCP header truncated or data offset beyond the segment")                 \
	X(tcp_bad_checksum, "TCP checksum wrong")                                                  \
	X(tcp_bad_option, "TCP option with a bad length")                                          \
	X(tcp_no_socket, "TCP segment to a port with no socket (RST sent)")                        \
	X(tcp_listen_overflow, "TCP SYN to a listener whose queues are full (no SYN cookies)")     \
	X(tcp_conn_limit, "TCP connection refused: the connection table is full")                  \
	X(tcp_bad_cookie, "TCP ACK to a listener with no valid SYN cookie (RST sent)")             \
	X(tcp_listen_junk, "TCP segment to a listener that is neither SYN nor ACK (RFC 9293)")     \
	X(tcp_steer_full, "TCP segment for another core: that core's steering ring is full")       \
	X(icmp6_truncated, "ICMPv6 message truncated")                                             \
	X(icmp6_bad_checksum, "ICMPv6 checksum wrong")                                             \
	X(icmp6_unhandled_type, "ICMPv6 type not handled")                                         \
	X(ndp_invalid, "NDP message fails RFC 4861 validation (hop limit, code, options)")         \
	X(ndp_not_for_us, "NDP target is not one of our addresses")                                \
	X(ttl_exceeded, "forwarding: TTL or hop limit would reach 0 (ICMP time exceeded sent)")    \
	X(fwd_no_route, "forwarding: no route to the destination (ICMP unreachable sent)")         \
	X(fwd_too_big, "forwarding: larger than the output MTU (ICMP too big sent if DF or IPv6)") \
	X(fwd_link_local, "forwarding: link-local source or destination (never routed)")           \
	X(fwd_multicast, "forwarding: multicast destination (not routed)")                         \
	X(fwd_broadcast, "forwarding: directed broadcast to one of our subnets (RFC 2644)")        \
	X(fwd_martian, "forwarding: reserved source or destination (0/8, 127/8, 240/4, ::, ::1)")  \
	X(no_route, "no route to the destination")                                                 \
	X(neigh_table_full, "neighbour table full")                                                \
	X(neigh_queue_full, "too many packets waiting for address resolution")                     \
	X(neigh_unresolved, "address resolution failed (no reply)")                                \
	X(no_mbuf, "mbuf pool exhausted")                                                          \
	X(no_headroom, "no headroom to prepend headers")                                           \
	X(tx_full, "transmit queue full")

enum class drop_reason : uint8_t {
#define SKIFF_X(name, text) name,
	SKIFF_DROP_REASONS(SKIFF_X)
#undef SKIFF_X
	    count
};

inline constexpr size_t n_drop_reasons = static_cast<size_t>(drop_reason::count);

const char *drop_name(drop_reason r);
const char *drop_description(drop_reason r);

/// Pipeline stages timed with the TSC, for cycles per packet.
#define SKIFF_STAGES(X)                                                                            \
	X(rx, "rx burst and classify")                                                             \
	X(arp, "ARP")                                                                              \
	X(ipv4, "IPv4, ICMP and UDP over IPv4")                                                    \
	X(ipv6, "IPv6, ICMPv6, NDP and UDP over IPv6")                                             \
	X(tx, "tx burst")

enum class stage : uint8_t {
#define SKIFF_X(name, text) name,
	SKIFF_STAGES(SKIFF_X)
#undef SKIFF_X
	    count
};

inline constexpr size_t n_stages = static_cast<size_t>(stage::count);

const char *stage_name(stage s);

/// Increment a counter that only this core writes.
inline void bump(uint64_t &c, uint64_t n = 1) {
	__atomic_store_n(&c, c + n, __ATOMIC_RELAXED);
}

/// Read a counter another core writes.
inline uint64_t peek(const uint64_t &c) {
	return __atomic_load_n(&c, __ATOMIC_RELAXED);
}

struct stage_counters {
	uint64_t calls = 0;
	uint64_t packets = 0;
	uint64_t cycles = 0;
};

struct alignas(64) core_counters {
	uint64_t rx_packets = 0;
	uint64_t rx_bytes = 0;
	uint64_t tx_packets = 0;
	uint64_t tx_bytes = 0;
	uint64_t arp_replies_sent = 0;
	uint64_t arp_requests_sent = 0;
	uint64_t ndp_adverts_sent = 0;
	uint64_t ndp_solicits_sent = 0;
	uint64_t echo_replies_sent = 0;
	uint64_t echo_replies_received = 0;
	uint64_t udp_delivered = 0;
	uint64_t udp_sent = 0;
	uint64_t tcp_sent = 0;    ///< TCP segments handed to output
	uint64_t tcp_steered = 0; ///< TCP segments handed to their connection's home core
	uint64_t tcp_cookies_sent = 0;
	uint64_t unreachables_sent = 0;
	uint64_t unreachables_limited = 0;
	uint64_t forwarded = 0;        ///< routed and handed to output (to tx or a neighbour queue)
	uint64_t icmp_errors_sent = 0; ///< time exceeded, unreachable and too big from forwarding
	uint64_t polls = 0;
	uint64_t busy_polls = 0;
	std::array<uint64_t, n_drop_reasons> drops{};
	std::array<stage_counters, n_stages> stages{};

	void drop(drop_reason r, uint64_t n = 1) { bump(drops[static_cast<size_t>(r)], n); }
	uint64_t dropped(drop_reason r) const { return peek(drops[static_cast<size_t>(r)]); }
	uint64_t total_drops() const;
};

/// A consistent-enough copy of several cores' counters added together.
core_counters sum(const core_counters *const *cores, size_t n);

} // namespace skiff::net
