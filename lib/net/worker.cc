#include "net/worker.h"

#include "net/ipv4_checks.h"
#include "net/stack.h"
#include "wire/builder.h"
#include "wire/eth.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include <algorithm>
#include <cstring>

namespace skiff::net {

namespace {

// How often the neighbour tables are aged: often enough for RFC 4861's
// one-second retransmissions, rarely enough to cost nothing per packet.
constexpr uint64_t age_interval_ns = 100'000'000;
constexpr unsigned event_ring_size = 1024;
constexpr unsigned app_tx_ring_size = 4096;
constexpr unsigned tcp_kick_ring_size = 65536; // kicks are deduplicated per socket: >= max_tcp
constexpr unsigned steer_ring_size = 1024;

// Times one pipeline stage in TSC cycles, for cycles per packet.
class stage_timer {
public:
	stage_timer(stage_counters &c, uint16_t packets)
	    : _c(c), _packets(packets), _start(rte_rdtsc()) {}
	~stage_timer() {
		bump(_c.calls);
		bump(_c.packets, _packets);
		bump(_c.cycles, rte_rdtsc() - _start);
	}

private:
	stage_counters &_c;
	uint16_t _packets;
	uint64_t _start;
};

// The destination MAC against ours as a 4-byte and a 2-byte load: the
// defaulted mac_addr == compiles to a call to memcmp, on every frame.
bool is_mac(const uint8_t *p, const mac_addr &mac) {
	uint32_t a4, b4;
	uint16_t a2, b2;
	std::memcpy(&a4, p, 4);
	std::memcpy(&b4, mac.b.data(), 4);
	std::memcpy(&a2, p + 4, 2);
	std::memcpy(&b2, mac.b.data() + 4, 2);
	return ((a4 ^ b4) | uint32_t(a2 ^ b2)) == 0;
}

// How far ahead classify() prefetches frame headers: they are cold when a
// real NIC has just written them by DMA.
constexpr uint16_t prefetch_ahead = 4;

} // namespace

// Times consecutive stages with one TSC read per boundary: where one stage
// ends the next begins. A read costs about 10 ns on a virtual machine, and
// a router's burst has only about 1 us for everything.
class stage_laps {
public:
	stage_laps(core_counters &c, uint64_t start) : _c(c), _last(start) {}

	/// Ends stage `s`, which handled `packets`, and starts the next.
	void lap(stage s, uint16_t packets) {
		uint64_t now = rte_rdtsc();
		stage_counters &sc = _c.stages[size_t(s)];
		bump(sc.calls);
		bump(sc.packets, packets);
		bump(sc.cycles, now - _last);
		_last = now;
	}
	uint64_t last() const { return _last; }

private:
	core_counters &_c;
	uint64_t _last;
};

worker::worker(stack &owner, uint16_t index)
    : _stack(owner), _index(index), _pool(owner.config().pool), _clock(&owner.clk()) {}

worker::~worker() {
	rte_pktmbuf_free_bulk(_loop, _n_loop);
	if (_timers) {
		_timers->cancel(_age_timer);
	}
	for (uint16_t i = 0; i < max_ifaces; i++) {
		rte_pktmbuf_free_bulk(_tx[i].pkts, _tx[i].n);
		_tx[i].n = 0;
		_tx[i].bytes = 0;
	}
	rte_ring_free(_events);
	rte_ring_free(_tcp_kicks);
	if (_steered) {
		rte_mbuf *m;
		while (rte_ring_dequeue(_steered, reinterpret_cast<void **>(&m)) == 0) {
			rte_pktmbuf_free(m);
		}
		rte_ring_free(_steered);
	}
	if (_app_tx) {
		rte_mbuf *m;
		while (rte_ring_dequeue(_app_tx, reinterpret_cast<void **>(&m)) == 0) {
			rte_pktmbuf_free(m);
		}
		rte_ring_free(_app_tx);
	}
}

result<void> worker::init() {
	std::string base = _stack.config().name + "_w" + std::to_string(_index);
	auto arp = neigh_cache<ipv4_addr>::create(base + "_arp", _stack.config().neigh);
	if (!arp) {
		return arp.err();
	}
	auto nd = neigh_cache<ipv6_addr>::create(base + "_nd", _stack.config().neigh);
	if (!nd) {
		return nd.err();
	}
	_arp = std::make_unique<neigh_cache<ipv4_addr>>(std::move(*arp));
	_nd = std::make_unique<neigh_cache<ipv6_addr>>(std::move(*nd));
	_timers = std::make_unique<timer_wheel>(_clock->now_ns());
	_age_timer.fn = on_age_timer;
	_age_timer.arg = this;
	_timers->arm(_age_timer, _clock->now_ns() + age_interval_ns);
	_app_tx =
	    rte_ring_create((base + "_tx").c_str(), app_tx_ring_size, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (!_app_tx) {
		return make_error(-rte_errno, "cannot create the socket transmit ring: " +
		                                  std::string(rte_strerror(rte_errno)) +
		                                  " (raise --mem)");
	}
	_tcp_kicks = rte_ring_create((base + "_kick").c_str(), tcp_kick_ring_size, SOCKET_ID_ANY,
	                             RING_F_SC_DEQ);
	_steered = rte_ring_create((base + "_steer").c_str(), steer_ring_size, SOCKET_ID_ANY,
	                           RING_F_SC_DEQ);
	if (!_tcp_kicks || !_steered) {
		return make_error(-rte_errno, "cannot create the TCP rings: " +
		                                  std::string(rte_strerror(rte_errno)) +
		                                  " (raise --mem)");
	}
	_events = rte_ring_create_elem((base + "_ev").c_str(), sizeof(neigh_event), event_ring_size,
	                               SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (!_events) {
		return make_error(-rte_errno, "cannot create the neighbour event ring: " +
		                                  std::string(rte_strerror(rte_errno)) +
		                                  " (raise --mem)");
	}
	return {};
}

thread_local worker *worker::_current = nullptr;

void worker::poll() {
	_current = this;
	// One TSC read for the time and for the start of the first rx stage.
	uint64_t tsc = rte_rdtsc();
	_now_ns = _clock->is_manual() ? _clock->now_ns() : _clock->cycles_to_ns(tsc);
	bump(_counters.polls);
	const auto &ifaces = _stack.ifaces();
	rte_mbuf *pkts[burst_size];
	for (const iface &ifc : ifaces) {
		uint16_t n = rte_eth_rx_burst(ifc.port_id, _index, pkts, burst_size);
		if (n == 0) {
			continue;
		}
		bump(_counters.busy_polls);
		if (_capture_hook) {
			_capture_hook(_capture_ctx, ifc.port_id, _index, pkts, n, false);
		}
		tsc = input_at(ifc.index, pkts, n, tsc);
	}
	// The rings are empty on almost every poll: a look at each costs less
	// than the calls (this runs once per burst, and matters to a router).
	if (!rte_ring_empty(_events)) {
		drain_events();
	}
	if (!rte_ring_empty(_app_tx)) {
		drain_app_tx();
	}
	if (!rte_ring_empty(_steered)) {
		drain_steered();
	}
	if (!rte_ring_empty(_tcp_kicks)) {
		drain_tcp_kicks();
	}
	if (_n_loop != 0) {
		drain_loopback();
	}
	_timers->advance(_now_ns);
	// Last, so that packets released by another core's neighbour event and
	// solicitations retried by aging leave in this poll, not the next.
	flush();
	if (_qsbr) {
		// No socket pointer survives past this point of the loop.
		rte_rcu_qsbr_quiescent(_qsbr, _index);
	}
}

void worker::loopback(uint16_t ifc, rte_mbuf *m) {
	if (_n_loop == loopback_size) {
		drop(m, drop_reason::tx_full);
		return;
	}
	// It never touches a wire: the checksums are as good as we made them,
	// including ones left to an offload that will not run.
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	m->l2_len = 0;
	_loop_iface[_n_loop] = ifc;
	_loop[_n_loop++] = m;
}

void worker::drain_loopback() {
	// Take the batch out first: what it loops back again lands in _loop
	// for the next poll, never over packets not yet received.
	uint16_t n = _n_loop;
	rte_mbuf *batch[loopback_size];
	uint16_t ifcs[loopback_size];
	std::copy_n(_loop, n, batch);
	std::copy_n(_loop_iface, n, ifcs);
	_n_loop = 0;
	_looping = true;
	for (uint16_t i = 0; i < n; i++) {
		rte_mbuf *m = batch[i];
		bump(_counters.rx_packets);
		bump(_counters.rx_bytes, rte_pktmbuf_pkt_len(m));
		if ((rte_pktmbuf_mtod(m, const uint8_t *)[0] >> 4) == 4) {
			ipv4_input(ifcs[i], m);
		} else {
			ipv6_input(ifcs[i], m);
		}
	}
	_looping = false;
}

void worker::on_age_timer(timer *t, void *self) {
	auto *w = static_cast<worker *>(self);
	w->age_neighbours();
	w->_timers->arm(*t, w->_now_ns + age_interval_ns);
}

void worker::input(uint16_t ifc, rte_mbuf **pkts, uint16_t n) {
	input_at(ifc, pkts, n, rte_rdtsc());
}

uint64_t worker::input_at(uint16_t ifc, rte_mbuf **pkts, uint16_t n, uint64_t start_tsc) {
	if (_now_ns == 0) {
		_now_ns = _clock->now_ns();
	}
	stage_laps laps(_counters, start_tsc);
	classify(ifc, pkts, n);
	laps.lap(stage::rx, n);
	if (_n_arp) {
		for (uint16_t i = 0; i < _n_arp; i++) {
			arp_input(ifc, _arp_burst[i]);
		}
		laps.lap(stage::arp, _n_arp);
	}
	if (_n_ipv4) {
		if (_stack.config().forwarding) {
			ipv4_forward_burst(ifc, _ipv4_burst, _ipv4_plain_dst, _ipv4_plain_len,
			                   _n_ipv4);
		} else {
			for (uint16_t i = 0; i < _n_ipv4; i++) {
				ipv4_input(ifc, _ipv4_burst[i]);
			}
		}
		laps.lap(stage::ipv4, _n_ipv4);
	}
	if (_n_ipv6) {
		for (uint16_t i = 0; i < _n_ipv6; i++) {
			ipv6_input(ifc, _ipv6_burst[i]);
		}
		laps.lap(stage::ipv6, _n_ipv6);
	}
	flush_bursts(laps);
	return laps.last();
}

// Sort the burst by ethertype so each handler runs over a vector of its own
// packets. Frames that cannot be ours are dropped here. A router also asks
// here, with the headers at hand, which IPv4 frames are plain transit.
uint16_t worker::classify(uint16_t ifc, rte_mbuf **pkts, uint16_t n) {
	const iface &me = _stack.ifaces()[ifc];
	const bool router = _stack.config().forwarding;
	const local_addrs4 me4(me);
	// Counted in registers: the members would be reloaded and stored for
	// every frame.
	uint16_t n_arp = 0, n_ipv4 = 0, n_ipv6 = 0;
	for (uint16_t i = 0; i < n && i < prefetch_ahead; i++) {
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	}
	// Counted once per burst: a store per frame to a shared counter chains
	// every iteration of the loop through memory.
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < n; i++) {
		rte_mbuf *m = pkts[i];
		bytes += rte_pktmbuf_pkt_len(m);
		if (i + prefetch_ahead < n) {
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + prefetch_ahead], void *));
		}
		if (!rte_pktmbuf_is_contiguous(m) && rte_pktmbuf_linearize(m) != 0) {
			drop(m, drop_reason::eth_truncated);
			continue;
		}
		const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
		auto eth = wire::eth_view::parse({frame, rte_pktmbuf_data_len(m)});
		if (!eth.ok()) {
			drop(m, drop_reason::eth_truncated);
			continue;
		}
		if (eth->vlan_count() != 0) {
			drop(m, drop_reason::eth_vlan);
			continue;
		}
		bool l2_multicast = (frame[0] & 0x01) != 0; // broadcast is multicast too
		if (!l2_multicast && !is_mac(frame, me.mac)) {
			drop(m, drop_reason::eth_not_for_us);
			continue;
		}
		uint16_t l2_len = uint16_t(eth->header_len());
		m->l2_len = l2_len;
		switch (eth->ethertype()) {
		case RTE_ETHER_TYPE_ARP:
			_arp_burst[n_arp++] = m;
			break;
		case RTE_ETHER_TYPE_IPV4: {
			const auto *ip = reinterpret_cast<const rte_ipv4_hdr *>(frame + l2_len);
			uint32_t l3_room = uint32_t(rte_pktmbuf_data_len(m) - l2_len);
			uint16_t plain =
			    router ? plain_transit(me4, m, ip, l3_room, l2_multicast) : 0;
			_ipv4_plain_dst[n_ipv4] = plain != 0 ? rte_be_to_cpu_32(ip->dst_addr) : 0;
			_ipv4_plain_len[n_ipv4] = plain;
			_ipv4_burst[n_ipv4++] = m;
			break;
		}
		case RTE_ETHER_TYPE_IPV6:
			_ipv6_burst[n_ipv6++] = m;
			break;
		default:
			drop(m, drop_reason::eth_unknown_type);
		}
	}
	bump(_counters.rx_packets, n);
	bump(_counters.rx_bytes, bytes);
	_n_arp = n_arp;
	_n_ipv4 = n_ipv4;
	_n_ipv6 = n_ipv6;
	return n_arp + n_ipv4 + n_ipv6;
}

void worker::drop(rte_mbuf *m, drop_reason r) {
	_counters.drop(r);
	rte_pktmbuf_free(m);
}

rte_mbuf *worker::alloc() {
	rte_mbuf *m = rte_pktmbuf_alloc(_pool);
	if (!m) {
		_counters.drop(drop_reason::no_mbuf);
	}
	return m;
}

void worker::eth_output(uint16_t ifc, rte_mbuf *m, const mac_addr &dst, uint16_t ethertype) {
	if (!wire::push_eth(m, dst, _stack.ifaces()[ifc].mac, ethertype)) {
		drop(m, drop_reason::no_headroom);
		return;
	}
	tx(ifc, m);
}

void worker::tx(uint16_t ifc, rte_mbuf *m) {
	if (_tx[ifc].add(m)) {
		flush();
	}
}

void worker::flush() {
	for (const iface &ifc : _stack.ifaces()) {
		uint16_t n = _tx[ifc.index].n;
		if (n != 0) {
			stage_timer t(_counters.stages[size_t(stage::tx)], n);
			send_buffer(ifc);
		}
	}
}

// The end of input(): a buffer holding a whole burst is sent now, as one
// more lap of the burst's stages. The rest waits for the end of the poll.
void worker::flush_bursts(stage_laps &laps) {
	uint16_t sent = 0;
	for (const iface &ifc : _stack.ifaces()) {
		if (_tx[ifc.index].n >= burst_size) {
			sent += send_buffer(ifc);
		}
	}
	if (sent != 0) {
		laps.lap(stage::tx, sent);
	}
}

// Transmit what `ifc`'s buffer holds; returns how many frames it held.
uint16_t worker::send_buffer(const iface &ifc) {
	tx_buffer &b = _tx[ifc.index];
	uint16_t n = b.n;
	if (_capture_hook) {
		_capture_hook(_capture_ctx, ifc.port_id, _index, b.pkts, n, true);
	}
	uint64_t bytes = b.bytes;
	uint16_t sent = rte_eth_tx_burst(ifc.port_id, _index, b.pkts, n);
	for (uint16_t i = sent; i < n; i++) {
		bytes -= rte_pktmbuf_pkt_len(b.pkts[i]);
	}
	bump(_counters.tx_packets, sent);
	bump(_counters.tx_bytes, bytes);
	if (sent < n) {
		_counters.drop(drop_reason::tx_full, n - sent);
		rte_pktmbuf_free_bulk(&b.pkts[sent], n - sent);
	}
	b.n = 0;
	b.bytes = 0;
	return n;
}

void worker::post(const neigh_event &ev) {
	// A full ring only loses an optimisation: the other core resolves the
	// neighbour itself on first use.
	rte_ring_mp_enqueue_elem(_events, const_cast<neigh_event *>(&ev), sizeof(ev));
}

void worker::drain_events() {
	neigh_event evs[burst_size];
	unsigned n =
	    rte_ring_sc_dequeue_burst_elem(_events, evs, sizeof(neigh_event), burst_size, nullptr);
	for (unsigned i = 0; i < n; i++) {
		const neigh_event &ev = evs[i];
		if (ev.family == 4) {
			ipv4_addr a;
			std::memcpy(&a, ev.addr, sizeof(a));
			learn(ev.iface, a, ev.mac, false, false);
		} else {
			ipv6_addr a;
			std::memcpy(&a, ev.addr, sizeof(a));
			learn(ev.iface, a, ev.mac, false, false);
		}
	}
}

} // namespace skiff::net
