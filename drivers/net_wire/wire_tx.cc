// The transmit path: every fate is decided here, by the sender, from its
// own seeded stream: MTU, loss, Gilbert-Elliott burst loss, corruption,
// duplication, the receive queue (RSS, for the peer), the depth of that
// queue, the rate shaper, delay, jitter and reordering. The packet then goes
// into the peer's lane with the TSC at which it becomes due; the peer's
// rx_burst does the waiting.
//
// tx_burst always takes every packet: what the cable loses it frees and
// counts under a named reason (a cable has no back-pressure).
//
// The sender also writes the fields a NIC writes on receive (port,
// ol_flags, packet_type, hash.rss): it reads pkt_len anyway, so the line is
// in its cache, and the receiver's fast path then never touches an mbuf.

#include "net_wire/wire_private.h"
#include "net_wire/wire_rng.h"

#include <rte_ip.h>
#include <rte_thash.h>

#include <netinet/in.h>

namespace skiff::net_wire {
namespace {

/// Where L3 starts: past the Ethernet header and up to two VLAN tags.
bool l3_start(const rte_mbuf *m, uint16_t &type, uint32_t &off) {
	uint16_t buf;
	off = RTE_ETHER_HDR_LEN - 2;
	for (int tags = 0;; tags++) {
		auto *t = static_cast<const uint16_t *>(rte_pktmbuf_read(m, off, 2, &buf));
		if (t == nullptr) {
			return false;
		}
		type = rte_be_to_cpu_16(*t);
		off += 2;
		if (tags == 2 || (type != RTE_ETHER_TYPE_VLAN && type != RTE_ETHER_TYPE_QINQ)) {
			return true;
		}
		off += 2; // skip the TCI; the next type follows
	}
}

bool fits(const port_private &pp, const rte_mbuf *m) {
	uint32_t len = m->pkt_len;
	if (likely(len <= pp.max_frame)) {
		return true;
	}
	// One VLAN tag on top of the MTU is fine, as on hardware.
	uint16_t type;
	uint32_t off;
	return len <= pp.max_frame + 4 && l3_start(m, type, off) && off == RTE_ETHER_HDR_LEN + 4;
}

/// Toeplitz over the peer's key, as the peer's NIC would: 4-tuple for
/// unfragmented TCP/UDP when hf asks for it, else the addresses.
bool rss_hash(const rte_mbuf *m, const rss_state &rss, uint32_t &hash) {
	uint16_t type;
	uint32_t off;
	if (!l3_start(m, type, off)) {
		return false;
	}
	union rte_thash_tuple t;
	uint32_t l3_len, l4_len;
	uint8_t proto;
	bool frag;
	uint32_t l4_off;
	uint64_t l3_hf, tcp_hf, udp_hf;
	if (type == RTE_ETHER_TYPE_IPV4) {
		rte_ipv4_hdr buf;
		auto *ip =
		    static_cast<const rte_ipv4_hdr *>(rte_pktmbuf_read(m, off, sizeof(buf), &buf));
		if (ip == nullptr) {
			return false;
		}
		t.v4.src_addr = rte_be_to_cpu_32(ip->src_addr);
		t.v4.dst_addr = rte_be_to_cpu_32(ip->dst_addr);
		proto = ip->next_proto_id;
		frag = (ip->fragment_offset &
		        rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
		l4_off = off + rte_ipv4_hdr_len(ip);
		l3_len = RTE_THASH_V4_L3_LEN;
		l4_len = RTE_THASH_V4_L4_LEN;
		l3_hf = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_OTHER;
		tcp_hf = RTE_ETH_RSS_NONFRAG_IPV4_TCP;
		udp_hf = RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		rte_ipv6_hdr buf;
		auto *ip =
		    static_cast<const rte_ipv6_hdr *>(rte_pktmbuf_read(m, off, sizeof(buf), &buf));
		if (ip == nullptr) {
			return false;
		}
		rte_thash_load_v6_addrs(ip, &t);
		proto = ip->proto;
		frag = proto == IPPROTO_FRAGMENT;
		l4_off = off + sizeof(rte_ipv6_hdr);
		l3_len = RTE_THASH_V6_L3_LEN;
		l4_len = RTE_THASH_V6_L4_LEN;
		l3_hf = RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_OTHER;
		tcp_hf = RTE_ETH_RSS_NONFRAG_IPV6_TCP;
		udp_hf = RTE_ETH_RSS_NONFRAG_IPV6_UDP;
	} else {
		return false;
	}
	uint64_t want_l4 = proto == IPPROTO_TCP ? tcp_hf : proto == IPPROTO_UDP ? udp_hf : 0;
	auto *key = reinterpret_cast<const uint8_t *>(rss.key_be);
	if (!frag && (rss.hf & want_l4)) {
		uint16_t buf[2];
		auto *ports = static_cast<const uint16_t *>(rte_pktmbuf_read(m, l4_off, 4, buf));
		if (ports != nullptr) {
			uint16_t sport = rte_be_to_cpu_16(ports[0]);
			uint16_t dport = rte_be_to_cpu_16(ports[1]);
			if (type == RTE_ETHER_TYPE_IPV4) {
				t.v4.sport = sport;
				t.v4.dport = dport;
			} else {
				t.v6.sport = sport;
				t.v6.dport = dport;
			}
			hash = rte_softrss_be(reinterpret_cast<uint32_t *>(&t), l4_len, key);
			return true;
		}
	}
	if (rss.hf & l3_hf) {
		hash = rte_softrss_be(reinterpret_cast<uint32_t *>(&t), l3_len, key);
		return true;
	}
	return false;
}

/// The bytes a checksum covers: the IP datagram (not Ethernet padding),
/// or everything past the Ethernet header for other protocols.
bool corrupt_span(const rte_mbuf *m, uint32_t &begin, uint32_t &end) {
	uint16_t type;
	if (!l3_start(m, type, begin)) {
		return false;
	}
	end = m->pkt_len;
	uint16_t buf;
	if (type == RTE_ETHER_TYPE_IPV4) {
		auto *tl = static_cast<const uint16_t *>(rte_pktmbuf_read(m, begin + 2, 2, &buf));
		uint32_t total = tl != nullptr ? rte_be_to_cpu_16(*tl) : 0;
		if (total >= sizeof(rte_ipv4_hdr) && begin + total < end) {
			end = begin + total;
		}
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		auto *pl = static_cast<const uint16_t *>(rte_pktmbuf_read(m, begin + 4, 2, &buf));
		uint32_t total = pl != nullptr ? sizeof(rte_ipv6_hdr) + rte_be_to_cpu_16(*pl) : 0;
		if (total > 0 && begin + total < end) {
			end = begin + total;
		}
	}
	return end > begin;
}

/// What the receiving NIC would write. Offload flags from an earlier
/// receive or a transmit request must not leak to the receiver (a stale
/// "checksum good" would hide a corruption); INDIRECT/EXTERNAL describe
/// the buffer and stay. Only what differs is stored: a line that already
/// holds these values (a forwarding loop) is not dirtied.
inline void set_rx_fields(rte_mbuf *m, uint16_t rx_port, uint64_t rx_flags) {
	uint64_t flags = (m->ol_flags & (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)) | rx_flags;
	if (m->port != rx_port) {
		m->port = rx_port;
	}
	if (m->ol_flags != flags) {
		m->ol_flags = flags;
	}
	if (m->packet_type != 0) {
		m->packet_type = 0;
	}
}

/// One tx_burst call, a chunk at a time.
struct tx_ctx {
	tx_queue *txq;
	port_private *pp;
	cable *cbl;
	cable_end *me;
	cable_end *peer;
	uint64_t now;   ///< TSC at the start of the burst
	uint64_t now_s; ///< the same in shaper units since the cable's epoch
	bool shaping;
	uint32_t room_known; ///< bit per lane: room[] is valid this chunk
	int64_t room[max_queues];
	uint16_t ns;
	uint16_t nd;
	slot staged[2 * chunk]; ///< a packet and its duplicate
	uint8_t lane_of[2 * chunk];
	uint32_t len_of[2 * chunk];
	rte_mbuf *drops[2 * chunk];

	uint64_t &count(counter c) { return txq->cnt.v[c]; }
	void drop(rte_mbuf *m, counter why) {
		drops[nd++] = m;
		count(why)++;
	}
};

bool ge_lost(tx_ctx &c) {
	const impairments &imp = c.pp->imp;
	tx_queue *q = c.txq;
	if (rng_hit(q->rng, q->ge_bad ? imp.ge_r : imp.ge_p)) {
		q->ge_bad = !q->ge_bad;
	}
	return rng_hit(q->rng, q->ge_bad ? imp.ge_bad_loss : imp.ge_good_loss);
}

/// Flip one bit in the bytes a checksum covers. A buffer the application
/// still shares (refcnt, indirect, external) is copied first, so a stack's
/// retransmission copy is never damaged. Returns the packet to send.
rte_mbuf *corrupt(tx_ctx &c, rte_mbuf *m) {
	uint32_t begin, end;
	if (!corrupt_span(m, begin, end)) {
		return m;
	}
	uint32_t pos = begin + static_cast<uint32_t>(rng_below(c.txq->rng, end - begin));
	unsigned bit = static_cast<unsigned>(rng_below(c.txq->rng, 8));
	rte_mbuf *seg = m;
	uint32_t off = pos;
	while (off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	if (rte_mbuf_refcnt_read(m) > 1 || rte_mbuf_refcnt_read(seg) > 1 || !RTE_MBUF_DIRECT(seg)) {
		rte_mbuf *copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
		if (copy == nullptr) {
			return m; // no mbuf for the copy: this one goes out intact
		}
		rte_pktmbuf_free(m);
		m = seg = copy;
		off = pos;
		while (off >= seg->data_len) {
			off -= seg->data_len;
			seg = seg->next;
		}
	}
	*rte_pktmbuf_mtod_offset(seg, uint8_t *, off) ^= static_cast<uint8_t>(1u << bit);
	c.count(c_corrupted)++;
	return m;
}

/// Reserve the wire for one frame; returns the TSC its last bit leaves.
uint64_t shaper_take(tx_ctx &c, uint32_t len) {
	uint64_t cost = wire_cost(*c.pp, len);
	uint64_t next = __atomic_load_n(&c.me->shaper_next, __ATOMIC_RELAXED);
	uint64_t done;
	do {
		done = (next > c.now_s ? next : c.now_s) + cost;
	} while (!__atomic_compare_exchange_n(&c.me->shaper_next, &next, done, false,
	                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return c.cbl->epoch_tsc + (done >> shaper_shift);
}

/// Tail drop: room left in lane q, counting what the receiver holds.
bool take_room(tx_ctx &c, uint16_t q, const lane *l) {
	if (!(c.room_known & (1u << q))) {
		int64_t used =
		    rte_ring_count(l->ring) + __atomic_load_n(&l->held, __ATOMIC_RELAXED);
		c.room[q] = static_cast<int64_t>(l->capacity) - used;
		c.room_known |= 1u << q;
	}
	if (c.room[q] <= 0) {
		return false;
	}
	c.room[q]--;
	return true;
}

/// Choose the lane, the release time and the flags of one packet and stage it.
void stage(tx_ctx &c, rte_mbuf *m) {
	const port_private &pp = *c.pp;
	const rss_state &rss = c.peer->rss;
	uint16_t q = 0;
	uint64_t rx_flags = 0;
	uint32_t hash;
	if (rss.enabled && rss_hash(m, rss, hash)) {
		m->hash.rss = hash;
		rx_flags = RTE_MBUF_F_RX_RSS_HASH;
		if (rss.nb_queues > 1) {
			q = rss.reta[hash & (reta_size - 1)];
		}
	}
	lane *l = q < max_queues ? c.peer->lanes[q] : nullptr;
	if (unlikely(l == nullptr)) {
		c.drop(m, c_dropped_link_down); // the peer is reconfiguring
		return;
	}
	// Draw before any timing-dependent decision keeps the stream aligned.
	uint64_t jitter = pp.jitter_tsc ? rng_below(c.txq->rng, pp.jitter_tsc + 1) : 0;
	bool reorder = pp.imp.reorder && rng_hit(c.txq->rng, pp.imp.reorder);
	if (!take_room(c, q, l)) {
		bool backlog =
		    c.shaping && __atomic_load_n(&c.me->shaper_next, __ATOMIC_RELAXED) > c.now_s;
		c.drop(m, backlog ? c_dropped_rate : c_dropped_queue_full);
		return;
	}
	set_rx_fields(m, c.peer->port_id, rx_flags);
	uint64_t due = c.shaping ? shaper_take(c, m->pkt_len) : c.now;
	due += pp.delay_tsc + jitter;
	uint64_t meta = due > c.now ? meta_timed | (due & meta_time) : m->pkt_len;
	if (reorder) {
		meta |= meta_reorder;
	}
	c.staged[c.ns] = {m, meta};
	c.lane_of[c.ns] = static_cast<uint8_t>(q);
	c.len_of[c.ns] = m->pkt_len;
	c.ns++;
}

/// All of one packet's fates, in a fixed order of draws.
void decide(tx_ctx &c, rte_mbuf *m) {
	const impairments &imp = c.pp->imp;
	uint64_t &rng = c.txq->rng;
	if (unlikely(!fits(*c.pp, m))) {
		c.drop(m, c_dropped_mtu);
		return;
	}
	if (imp.loss && rng_hit(rng, imp.loss)) {
		c.drop(m, c_dropped_loss);
		return;
	}
	if (imp.ge_p && ge_lost(c)) {
		c.drop(m, c_dropped_burst);
		return;
	}
	if (imp.corrupt && rng_hit(rng, imp.corrupt)) {
		m = corrupt(c, m);
	}
	rte_mbuf *copy = nullptr;
	if (imp.dup && rng_hit(rng, imp.dup)) {
		copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
	}
	stage(c, m);
	if (copy != nullptr) {
		c.count(c_duplicated)++;
		stage(c, copy);
	}
}

unsigned enqueue(const tx_queue *txq, lane *l, const slot *s, unsigned n) {
	if (txq->single_producer) {
		return rte_ring_sp_enqueue_burst_elem(l->ring, s, sizeof(slot), n, nullptr);
	}
	return rte_ring_mp_enqueue_burst_elem(l->ring, s, sizeof(slot), n, nullptr);
}

/// Count what went out (from our copies: the receiver may already own
/// the mbufs) and tail-drop what the ring refused.
void account(tx_ctx &c, const slot *s, const uint32_t *len, unsigned n, unsigned sent) {
	for (unsigned i = 0; i < sent; i++) {
		c.count(c_sent_bytes) += len[i];
		c.count(c_delayed) += (s[i].meta & meta_timed) != 0;
		c.count(c_reordered) += (s[i].meta & meta_reorder) != 0;
	}
	c.count(c_sent) += sent;
	for (unsigned i = sent; i < n; i++) {
		c.drop(s[i].m, c_dropped_queue_full);
	}
}

/// Enqueue the staged packets, grouped by lane (a stable counting sort
/// keeps each lane's packets in order).
void flush(tx_ctx &c) {
	uint16_t n = c.ns;
	c.ns = 0;
	c.room_known = 0;
	bool one_lane = true;
	for (uint16_t i = 1; i < n && one_lane; i++) {
		one_lane = c.lane_of[i] == c.lane_of[0];
	}
	if (one_lane) {
		if (n > 0) {
			unsigned sent = enqueue(c.txq, c.peer->lanes[c.lane_of[0]], c.staged, n);
			account(c, c.staged, c.len_of, n, sent);
		}
		return;
	}
	uint16_t start[max_queues + 1] = {};
	for (uint16_t i = 0; i < n; i++) {
		start[c.lane_of[i] + 1]++;
	}
	for (uint16_t q = 0; q < max_queues; q++) {
		start[q + 1] += start[q];
	}
	slot sorted[2 * chunk];
	uint32_t len[2 * chunk];
	uint16_t fill[max_queues];
	for (uint16_t q = 0; q < max_queues; q++) {
		fill[q] = start[q];
	}
	for (uint16_t i = 0; i < n; i++) {
		uint16_t at = fill[c.lane_of[i]]++;
		sorted[at] = c.staged[i];
		len[at] = c.len_of[i];
	}
	for (uint16_t q = 0; q < max_queues; q++) {
		unsigned k = start[q + 1] - start[q];
		if (k > 0) {
			unsigned sent = enqueue(c.txq, c.peer->lanes[q], sorted + start[q], k);
			account(c, sorted + start[q], len + start[q], k, sent);
		}
	}
}

uint16_t tx_impaired(tx_queue *txq, port_private *pp, rte_mbuf **pkts, uint16_t n) {
	tx_ctx c;
	c.txq = txq;
	c.pp = pp;
	c.cbl = pp->cbl;
	c.me = &c.cbl->ends[pp->end];
	c.peer = &c.cbl->ends[pp->end ^ 1];
	c.now = rte_rdtsc();
	c.now_s = c.now > c.cbl->epoch_tsc ? (c.now - c.cbl->epoch_tsc) << shaper_shift : 0;
	c.shaping = (pp->pps_cost | pp->byte_cost) != 0;
	c.room_known = 0;
	c.ns = 0;
	for (uint16_t done = 0; done < n;) {
		uint16_t k = RTE_MIN(static_cast<uint16_t>(n - done), chunk);
		c.nd = 0;
		for (uint16_t i = 0; i < k; i++) {
			decide(c, pkts[done + i]);
		}
		flush(c);
		rte_pktmbuf_free_bulk(c.drops, c.nd);
		done += k;
	}
	return n;
}

/// No impairment and one receive queue: MTU, depth, and straight into the ring.
uint16_t tx_plain(tx_queue *txq, const port_private *pp, uint16_t rx_port, lane *l, rte_mbuf **pkts,
                  uint16_t n) {
	slot s[chunk];
	rte_mbuf *drops[chunk];
	for (uint16_t done = 0; done < n;) {
		uint16_t k = RTE_MIN(static_cast<uint16_t>(n - done), chunk);
		unsigned ns = 0, nd = 0;
		uint64_t bytes = 0;
		for (uint16_t i = 0; i < k; i++) {
			rte_mbuf *m = pkts[done + i];
			if (likely(fits(*pp, m))) {
				bytes += m->pkt_len;
				set_rx_fields(m, rx_port, 0);
				s[ns++] = {m, m->pkt_len};
			} else {
				drops[nd++] = m;
			}
		}
		txq->cnt.v[c_dropped_mtu] += nd;
		unsigned sent = enqueue(txq, l, s, ns);
		for (unsigned i = sent; i < ns; i++) {
			bytes -= s[i].m->pkt_len; // still ours: the ring refused it
			drops[nd++] = s[i].m;
		}
		txq->cnt.v[c_dropped_queue_full] += ns - sent;
		txq->cnt.v[c_sent] += sent;
		txq->cnt.v[c_sent_bytes] += bytes;
		if (nd > 0) {
			rte_pktmbuf_free_bulk(drops, nd);
		}
		done += k;
	}
	return n;
}

} // namespace

uint16_t tx_burst(void *queue, rte_mbuf **pkts, uint16_t n) {
	auto *txq = static_cast<tx_queue *>(queue);
	port_private *pp = txq->port;
	cable *c = pp->cbl;
	if (unlikely(!__atomic_load_n(&c->link_up, __ATOMIC_ACQUIRE))) {
		rte_pktmbuf_free_bulk(pkts, n);
		txq->cnt.v[c_dropped_link_down] += n;
		return n;
	}
	cable_end &peer = c->ends[pp->end ^ 1];
	if (likely(!pp->impaired && !peer.rss.enabled)) {
		return tx_plain(txq, pp, peer.port_id, peer.lanes[0], pkts, n);
	}
	return tx_impaired(txq, pp, pkts, n);
}

} // namespace skiff::net_wire
