#pragma once

// A worker is one lcore's run-to-completion pipeline. It polls its own queue
// on every interface, runs each burst through classify -> ARP / IPv4 / IPv6
// handlers -> transmit, and owns everything it touches per packet: counters,
// neighbour caches and transmit buffers. Nothing on this path takes a lock or
// allocates from the heap; packets come from and go back to the mbuf pool.

#include "net/counters.h"
#include "net/flow_key.h"
#include "net/iface.h"
#include "net/neighbor.h"
#include "net/route.h"
#include "tcp/context.h"
#include "tcp/segment.h"
#include "time/clock.h"
#include "time/timer_wheel.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <array>
#include <cstdint>
#include <memory>

namespace skiff::wire {
class ipv4_view;
class ipv6_view;
} // namespace skiff::wire

namespace skiff::net {

class stack;
class stage_laps;
class socket_layer;
struct socket;
struct udp_meta;
struct tcp_sock;

inline constexpr uint16_t burst_size = 32;

/// The NIC's verdict on a received L4 checksum, or `software_ok` when it
/// did not check.
inline bool l4_checksum_ok(const rte_mbuf *m, bool software_ok) {
	switch (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
	case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
		return true;
	case RTE_MBUF_F_RX_L4_CKSUM_BAD:
		return false;
	default:
		return software_ok;
	}
}
inline constexpr uint16_t max_ifaces = 8;

/// An ICMP or ICMPv6 echo reply that reached the stack (for ping clients).
struct echo_reply {
	any_addr from;
	uint16_t id;
	uint16_t seq;
	uint16_t data_len;
	uint64_t now_ns;
	uint64_t sent_ns; ///< from the payload, when we sent the request
};

/// Called on the worker's lcore for every echo reply; must not block.
using echo_hook = void (*)(void *ctx, const echo_reply &reply);

/// Called with every received and transmitted burst (for pcap capture).
using capture_hook = void (*)(void *ctx, uint16_t port, uint16_t queue, rte_mbuf *const *pkts,
                              uint16_t n, bool outbound);

/// A neighbour learned on one core, announced to the others.
struct neigh_event {
	uint8_t family; // 4 or 6
	uint8_t pad;
	uint16_t iface;
	mac_addr mac;
	uint8_t pad2[2];
	uint8_t addr[16];
};
static_assert(sizeof(neigh_event) % 4 == 0, "rte_ring elements are multiples of 4 bytes");

class worker {
public:
	worker(stack &owner, uint16_t index);
	worker(const worker &) = delete;
	~worker();

	/// Create the per-core tables; control path, before polling starts.
	result<void> init();

	/// One pass over every queue this worker owns, then timers and events.
	void poll();
	/// The time of the last poll(): a loop around poll() needs no clock
	/// read of its own.
	uint64_t now_ns() const { return _now_ns; }

	/// The whole receive path for one burst from `iface`; takes ownership.
	void input(uint16_t iface, rte_mbuf **pkts, uint16_t n);

	/// Transmit everything buffered.
	void flush();

	/// Send an ICMP/ICMPv6 echo request with `data_len` bytes of payload.
	/// Returns 0, or -ENOBUFS, -ENETUNREACH, -EADDRNOTAVAIL.
	int send_echo_request(const any_addr &dst, uint16_t id, uint16_t seq, uint16_t data_len);

	void set_echo_hook(echo_hook fn, void *ctx) {
		_echo_hook = fn;
		_echo_ctx = ctx;
	}
	void set_capture_hook(capture_hook fn, void *ctx) {
		_capture_hook = fn;
		_capture_ctx = ctx;
	}

	/// The worker running on the calling thread, or nullptr off the lcores.
	static worker *current() { return _current; }
	stack &owner() { return _stack; }

	/// Attach the socket layer (nullptr detaches); control path. Registers
	/// this worker as an RCU QSBR reader of the socket tables.
	void attach_sockets(socket_layer *sockets);
	/// Report "no socket pointer held" to RCU: called at the end of every
	/// poll, and taken offline when the worker stops polling for good.
	void go_offline();

	/// Native API, on this lcore: send `m` (its data is the UDP payload)
	/// from `src`:`src_port` (a wildcard picks the route's source) to
	/// `dst`:`dst_port`. Takes `m`. Returns 0 or -ENETUNREACH/-ENOBUFS.
	int udp_send(rte_mbuf *m, const any_addr &src, uint16_t src_port, const any_addr &dst,
	             uint16_t dst_port);

	/// Socket API path: copy `len` bytes into a new datagram and send it,
	/// directly when called on this worker's lcore (`on_lcore`), else
	/// through this worker's queue of datagrams from other threads.
	/// Returns `len` or -errno.
	ssize_t udp_send_copy(const void *buf, size_t len, const any_addr &src, uint16_t src_port,
	                      const any_addr &dst, uint16_t dst_port, bool on_lcore);

	/// Ask this worker to serve a TCP socket it owns (new data to send,
	/// room made to receive, connect, shutdown, close): any thread.
	void tcp_kick(tcp_sock &ts);
	const tcp::tcp_counters &tcp_counters() const { return _tcp_counters; }

	/// Queue a neighbour event from another core (multi-producer safe).
	void post(const neigh_event &ev);

	/// This core's timers (neighbour aging now; TCP's timers later). They
	/// fire from poll(), on this lcore.
	timer_wheel &timers() { return *_timers; }

	uint16_t index() const { return _index; }
	const core_counters &counters() const { return _counters; }
	neigh_cache<ipv4_addr> &arp_cache() { return *_arp; }
	neigh_cache<ipv6_addr> &nd_cache() { return *_nd; }

private:
	// Room for two bursts: input() sends a full burst as its last stage,
	// timed with the others, rather than from inside a stage when the
	// buffer fills (see flush_bursts()).
	struct tx_buffer {
		static constexpr uint16_t capacity = 2 * burst_size;
		uint16_t n = 0;
		/// Of the packets held: summed as they come, while each mbuf is
		/// still in cache, not by a walk over the burst at send time.
		uint64_t bytes = 0;
		rte_mbuf *pkts[capacity];
		/// Append `m`; true when the buffer is now full and must be flushed.
		bool add(rte_mbuf *m) {
			bytes += rte_pktmbuf_pkt_len(m);
			pkts[n++] = m;
			return n == capacity;
		}
	};

	// Stages. input() with the TSC at which the rx stage began (the rx
	// burst is part of it); returns the TSC at which the last stage ended.
	uint64_t input_at(uint16_t iface, rte_mbuf **pkts, uint16_t n, uint64_t start_tsc);
	uint16_t classify(uint16_t iface, rte_mbuf **pkts, uint16_t n);
	void arp_input(uint16_t iface, rte_mbuf *m);
	void ipv4_input(uint16_t iface, rte_mbuf *m);
	void icmp4_input(uint16_t iface, rte_mbuf *m, bool unicast);
	void echo4_reply(uint16_t iface, rte_mbuf *m);
	void ipv6_input(uint16_t iface, rte_mbuf *m);
	void icmp6_input(uint16_t iface, rte_mbuf *m);
	void echo6_reply(uint16_t iface, rte_mbuf *m);
	void ns_input(uint16_t iface, rte_mbuf *m);
	void na_input(uint16_t iface, rte_mbuf *m);
	void udp4_input(uint16_t iface, rte_mbuf *m, bool unicast);
	void udp6_input(uint16_t iface, rte_mbuf *m, bool unicast);
	template <typename Addr>
	void udp_accept(uint16_t iface, rte_mbuf *m, const Addr &src, const Addr &dst,
	                const wire::udp_view &udp, bool unicast);
	void udp_deliver(rte_mbuf *m, const flow_key &key, uint16_t l4_off, bool unicast,
	                 uint16_t iface);
	void port_unreachable(uint16_t iface, rte_mbuf *m);
	bool unreach_allowed();
	int udp_build(rte_mbuf *m, const any_addr &src, uint16_t src_port, const any_addr &dst,
	              uint16_t dst_port, bool offload);
	int l4_finish(rte_mbuf *m, const any_addr &src, const any_addr &dst, uint8_t proto,
	              bool offload);
	void ip_output(rte_mbuf *m);
	void drain_app_tx();
	void loopback(uint16_t iface, rte_mbuf *m);
	void drain_loopback();
	void deliver_echo_reply(const any_addr &from, uint16_t id, uint16_t seq, wire::bytes data);

	// Forwarding (forward.cc): `m` still starts at its Ethernet header.
	// Each returns false, without touching `m`, when the destination is
	// in fact an address of another of our interfaces.
	bool ipv4_forward(uint16_t iface, rte_mbuf *m, const wire::ipv4_view &ip);
	bool ipv6_forward(uint16_t iface, rte_mbuf *m, const wire::ipv6_view &ip);
	template <typename Addr>
	void forward_output(uint16_t iface, const Addr &next_hop, rte_mbuf *m);
	template <typename Addr> void forward_to(uint16_t iface, const Addr &next_hop, rte_mbuf *m);
	// The router's IPv4 burst: the frames classify() found plain transit
	// (plain_transit() in ipv4_checks.h) routed with one lookup and sent,
	// every other frame through ipv4_input(), all in burst order.
	// `plain_dst[i]` and `plain_len[i]` are the destination (host order)
	// and the total length of a plain frame, or 0.
	void ipv4_forward_burst(uint16_t iface, rte_mbuf **pkts, const uint32_t *plain_dst,
	                        const uint16_t *plain_len, uint16_t n);
	struct fwd_hop;
	bool resolve_hop(const nexthop4 *nh, fwd_hop &hop);
	bool ipv4_forward_plain(rte_mbuf *m, const nexthop4 *nh);
	void icmp4_error(uint16_t iface, rte_mbuf *m, uint8_t type, uint8_t code, uint32_t rest);
	void icmp6_error(uint16_t iface, rte_mbuf *m, const wire::ipv6_view &ip, uint8_t type,
	                 uint8_t code, uint32_t rest);

	// Output.
	void ipv4_output(rte_mbuf *m, ipv4_addr dst);
	void ipv6_output(rte_mbuf *m, const ipv6_addr &dst, uint16_t iface_hint);
	template <typename Addr>
	void neigh_output(uint16_t iface, const Addr &next_hop, rte_mbuf *m);
	void eth_output(uint16_t iface, rte_mbuf *m, const mac_addr &dst, uint16_t ethertype);
	void tx(uint16_t iface, rte_mbuf *m);
	void flush_bursts(stage_laps &laps);
	uint16_t send_buffer(const iface &ifc);
	void send_arp_request(uint16_t iface, ipv4_addr target);
	void send_neigh_solicit(uint16_t iface, const ipv6_addr &target);
	void send_neigh_advert(uint16_t iface, const ipv6_addr &target, const ipv6_addr &to,
	                       bool solicited);
	bool send_ndp(uint16_t iface, uint8_t type, uint8_t flags, const ipv6_addr &target,
	              const ipv6_addr &src, const ipv6_addr &to, uint8_t lladdr_option);
	void send_solicit(uint16_t iface, ipv4_addr a) { send_arp_request(iface, a); }
	void send_solicit(uint16_t iface, const ipv6_addr &a) { send_neigh_solicit(iface, a); }
	int send_echo4(ipv4_addr dst, uint16_t id, uint16_t seq, uint16_t data_len);
	int send_echo6(const ipv6_addr &dst, uint16_t id, uint16_t seq, uint16_t data_len);
	rte_mbuf *make_echo(uint8_t type, uint16_t id, uint16_t seq, uint16_t data_len);
	rte_mbuf *alloc();

	// Neighbours.
	neigh_cache<ipv4_addr> &cache_for(ipv4_addr) { return *_arp; }
	neigh_cache<ipv6_addr> &cache_for(const ipv6_addr &) { return *_nd; }
	neigh_entry<ipv4_addr> *&fwd_memo(ipv4_addr) { return _fwd_memo4; }
	neigh_entry<ipv6_addr> *&fwd_memo(const ipv6_addr &) { return _fwd_memo6; }
	template <typename Addr>
	void learn(uint16_t iface, const Addr &addr, const mac_addr &mac, bool create,
	           bool announce);
	template <typename Addr> void flush_pending(neigh_entry<Addr> &e);
	void age_neighbours();
	static void on_age_timer(timer *t, void *self);
	template <typename Addr> void age(neigh_cache<Addr> &cache);
	void drain_events();
	void drop(rte_mbuf *m, drop_reason r);

	// TCP (tcp.cc, tcp_listen.cc).
	void tcp4_input(uint16_t iface, rte_mbuf *m);
	void tcp6_input(uint16_t iface, rte_mbuf *m);
	template <typename Addr>
	void tcp_input(uint16_t iface, rte_mbuf *m, const Addr &src, const Addr &dst,
	               const wire::tcp_view &view);
	void tcp_listen_input(socket &listener, const flow_key &key, const tcp::segment &seg);
	tcp_sock *tcp_spawn(socket &listener, const flow_key &key);
	void tcp_service(tcp_sock &ts, uint32_t events);
	void tcp_move_data(tcp_sock &ts, uint32_t &signal_events);
	void tcp_output(tcp_sock &ts);
	void tcp_finish(tcp_sock &ts);
	bool tcp_send(const flow_key &key, const tcp::segment_out &s, tcp_sock *ts);
	void tcp_reset(const flow_key &key, const tcp::segment &seg);
	void tcp_accepted(tcp_sock &ts);
	void tcp_unlink_listener(tcp_sock &ts);
	void link_owned(tcp_sock &ts);
	void unlink_owned(tcp_sock &ts);
	void tcp_release_all();
	void drain_tcp_kicks();
	void drain_steered();
	static void on_tcp_timer(timer *t, void *arg);

	stack &_stack;
	uint16_t _index;
	rte_mempool *_pool;
	const clock *_clock;
	uint64_t _now_ns = 0;
	std::unique_ptr<timer_wheel> _timers;
	timer _age_timer;
	core_counters _counters;
	std::unique_ptr<neigh_cache<ipv4_addr>> _arp;
	std::unique_ptr<neigh_cache<ipv6_addr>> _nd;
	rte_ring *_events = nullptr;
	rte_ring *_app_tx = nullptr;    ///< datagrams from non-lcore threads (MP/SC)
	rte_ring *_tcp_kicks = nullptr; ///< tcp_sock * that applications kicked (MP/SC)
	rte_ring *_steered = nullptr;   ///< segments of our connections from other cores (MP/SC)
	tcp::context _tcp;
	tcp::tcp_counters _tcp_counters;
	tcp_sock *_owned = nullptr; ///< connections this core owns (a list through tcp_sock)
	socket_layer *_sockets = nullptr;
	rte_rcu_qsbr *_qsbr = nullptr;
	uint64_t _unreach_tokens = 0;
	uint64_t _unreach_refill_ns = 0;
	static thread_local worker *_current;
	// Datagrams the stack sends to its own addresses, received on the next
	// poll (not recursively, so a reply to ourselves cannot loop forever).
	static constexpr uint16_t loopback_size = 64;
	rte_mbuf *_loop[loopback_size];
	uint16_t _loop_iface[loopback_size];
	uint16_t _n_loop = 0;
	bool _looping = false;
	std::array<tx_buffer, max_ifaces> _tx;
	echo_hook _echo_hook = nullptr;
	void *_echo_ctx = nullptr;
	capture_hook _capture_hook = nullptr;
	void *_capture_ctx = nullptr;
	// Scratch arrays for sorting a burst by protocol, kept here so the
	// burst path never allocates.
	rte_mbuf *_arp_burst[burst_size];
	rte_mbuf *_ipv4_burst[burst_size];
	uint32_t _ipv4_plain_dst[burst_size]; // see ipv4_forward_burst()
	uint16_t _ipv4_plain_len[burst_size];
	rte_mbuf *_ipv6_burst[burst_size];
	uint16_t _n_arp = 0, _n_ipv4 = 0, _n_ipv6 = 0;
	// The neighbour forward_output() or resolve_hop() found last, per
	// family: a burst mostly goes to one next hop, and a hash lookup per
	// packet costs as much as the rest of forwarding. Checked against the
	// address and the state on every use (neigh_cache::remove() leaves the
	// slot incomplete).
	neigh_entry<ipv4_addr> *_fwd_memo4 = nullptr;
	neigh_entry<ipv6_addr> *_fwd_memo6 = nullptr;
};

} // namespace skiff::net
