// The receive path. Packets the sender stamped with a future release time
// wait in the lane's heap, ordered by (release, arrival); the receiver's own
// rx_burst releases them when due, so nothing spins and no thread is needed.
// Packets marked for reordering wait in a small hold until reorder_gap later
// packets have been handed out (or their deadline passes).
//
// With no impairment on the sender, slots carry only the frame length and
// rx_burst is a ring dequeue that never touches an mbuf: the sender wrote
// the fields a NIC writes on receive while the packet was hot in its cache.

#include "net_wire/wire_private.h"

namespace skiff::net_wire {
namespace {

bool before(const held_pkt &a, const held_pkt &b) {
	return a.release < b.release || (a.release == b.release && a.seq < b.seq);
}

void heap_push(lane *l, rte_mbuf *m, uint64_t meta) {
	held_pkt x = {slot_release(meta), l->seq++, m, meta};
	held_pkt *h = l->heap;
	uint32_t i = l->heap_len++;
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!before(x, h[parent])) {
			break;
		}
		h[i] = h[parent];
		i = parent;
	}
	h[i] = x;
}

held_pkt heap_pop(lane *l) {
	held_pkt *h = l->heap;
	held_pkt top = h[0];
	uint32_t n = --l->heap_len;
	if (n == 0) {
		return top;
	}
	held_pkt last = h[n];
	uint32_t i = 0;
	for (;;) {
		uint32_t child = 2 * i + 1;
		if (child >= n) {
			break;
		}
		if (child + 1 < n && before(h[child + 1], h[child])) {
			child++;
		}
		if (!before(h[child], last)) {
			break;
		}
		h[i] = h[child];
		i = child;
	}
	h[i] = last;
	return top;
}

/// One rx_burst call.
struct rx_ctx {
	rx_queue *rxq;
	lane *l;
	const cable_end *sender; ///< reorder parameters come from the transmitting end
	rte_mbuf **out;
	uint16_t nb;
	uint16_t n;
	uint64_t now; ///< 0 until first needed
	uint64_t bytes;

	bool room() const { return nb < n; }
	uint64_t clock() {
		if (now == 0) {
			now = rte_rdtsc();
		}
		return now;
	}
};

/// Hand a packet to the application.
inline void emit(rx_ctx &c, rte_mbuf *m, uint64_t meta) {
	c.bytes += (meta & meta_timed) ? m->pkt_len : meta & meta_len;
	c.out[c.nb++] = m;
}

/// Reordered packets whose gap is complete, or whose deadline passed,
/// follow the packet just handed out, oldest first.
void release_holds(rx_ctx &c) {
	lane *l = c.l;
	uint64_t now = c.clock();
	uint32_t kept = 0;
	for (uint32_t i = 0; i < l->hold_len; i++) {
		hold_slot h = l->hold[i];
		if ((h.left == 0 || h.deadline <= now) && c.room()) {
			emit(c, h.m, h.meta);
		} else {
			l->hold[kept++] = h;
		}
	}
	l->hold_len = kept;
}

/// A packet in order: it overtakes every held reordered packet.
void deliver(rx_ctx &c, rte_mbuf *m, uint64_t meta) {
	emit(c, m, meta);
	lane *l = c.l;
	if (l->hold_len == 0) {
		return;
	}
	for (uint32_t i = 0; i < l->hold_len; i++) {
		if (l->hold[i].left > 0) {
			l->hold[i].left--;
		}
	}
	release_holds(c);
}

/// Park a due, reordered packet; false when the hold is full (it then
/// goes out in order).
bool hold(rx_ctx &c, rte_mbuf *m, uint64_t meta) {
	lane *l = c.l;
	if (l->hold_len == reorder_slots) {
		return false;
	}
	l->hold[l->hold_len++] = {m, meta & ~meta_reorder,
	                          c.clock() + c.sender->reorder_timeout_tsc, c.sender->reorder_gap};
	return true;
}

/// A slot that is not plain: hold it until due, park it for reordering,
/// or hand it out.
void admit(rx_ctx &c, const slot &s) {
	uint64_t release = slot_release(s.meta);
	if (release != 0 && release > c.clock()) {
		heap_push(c.l, s.m, s.meta);
		return;
	}
	if ((s.meta & meta_reorder) && hold(c, s.m, s.meta)) {
		return;
	}
	if (!c.room()) {
		heap_push(c.l, s.m, s.meta & ~meta_reorder); // due: first out next time
		return;
	}
	deliver(c, s.m, s.meta);
}

/// Nothing held: take slots straight from the ring. The heap starts empty
/// and at most the ring's content (<= capacity) goes into it.
void rx_direct(rx_ctx &c) {
	slot s[chunk];
	while (c.room()) {
		unsigned want =
		    RTE_MIN(static_cast<unsigned>(c.n - c.nb), static_cast<unsigned>(chunk));
		unsigned k =
		    rte_ring_sc_dequeue_burst_elem(c.l->ring, s, sizeof(slot), want, nullptr);
		for (unsigned i = 0; i < k; i++) {
			if (likely((s[i].meta & ~meta_len) == 0 && c.l->hold_len == 0 &&
			           c.room())) {
				c.bytes += s[i].meta;
				c.out[c.nb++] = s[i].m;
			} else {
				admit(c, s[i]);
			}
		}
		if (k < want) {
			break;
		}
	}
}

/// Packets are held: move the ring into the heap (as far as it has room),
/// then hand out what is due in release order.
void rx_held(rx_ctx &c) {
	lane *l = c.l;
	uint64_t now = c.clock();
	release_holds(c);
	slot s[chunk];
	while (l->heap_len < l->capacity) {
		unsigned want = RTE_MIN(l->capacity - l->heap_len, static_cast<uint32_t>(chunk));
		unsigned k =
		    rte_ring_sc_dequeue_burst_elem(l->ring, s, sizeof(slot), want, nullptr);
		for (unsigned i = 0; i < k; i++) {
			heap_push(l, s[i].m, s[i].meta);
		}
		if (k < want) {
			break;
		}
	}
	while (c.room() && l->heap_len > 0 && l->heap[0].release <= now) {
		held_pkt h = heap_pop(l);
		if ((h.meta & meta_reorder) && hold(c, h.m, h.meta)) {
			continue;
		}
		deliver(c, h.m, h.meta);
	}
}

lane *find_lane(rx_queue *rxq) {
	port_private *pp = rxq->port;
	lane *l = __atomic_load_n(&pp->cbl->ends[pp->end].lanes[rxq->qid], __ATOMIC_ACQUIRE);
	rxq->ln = l;
	return l;
}

} // namespace

uint16_t rx_burst(void *queue, rte_mbuf **pkts, uint16_t n) {
	auto *rxq = static_cast<rx_queue *>(queue);
	lane *l = rxq->ln;
	if (unlikely(l == nullptr)) {
		l = find_lane(rxq);
		if (l == nullptr) {
			return 0;
		}
	}
	port_private *pp = rxq->port;
	rx_ctx c = {rxq, l, &pp->cbl->ends[pp->end ^ 1], pkts, 0, n, 0, 0};
	uint32_t held_before = l->heap_len + l->hold_len;
	if (likely(held_before == 0)) {
		rx_direct(c);
	} else {
		rx_held(c);
	}
	uint32_t held_after = l->heap_len + l->hold_len;
	if (held_after != held_before) {
		__atomic_store_n(&l->held, held_after, __ATOMIC_RELAXED);
	}
	rxq->packets += c.nb;
	rxq->bytes += c.bytes;
	return c.nb;
}

void lane_drain(lane *l) {
	slot s[chunk];
	rte_mbuf *m[chunk];
	unsigned k;
	while ((k = rte_ring_sc_dequeue_burst_elem(l->ring, s, sizeof(slot), chunk, nullptr)) > 0) {
		for (unsigned i = 0; i < k; i++) {
			m[i] = s[i].m;
		}
		rte_pktmbuf_free_bulk(m, k);
	}
	for (uint32_t i = 0; i < l->heap_len; i++) {
		rte_pktmbuf_free(l->heap[i].m);
	}
	for (uint32_t i = 0; i < l->hold_len; i++) {
		rte_pktmbuf_free(l->hold[i].m);
	}
	l->heap_len = 0;
	l->hold_len = 0;
	__atomic_store_n(&l->held, 0u, __ATOMIC_RELAXED);
}

} // namespace skiff::net_wire
