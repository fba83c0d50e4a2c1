#pragma once

// The per-packet half of skiff-gen's send path, inline so the sender's loop
// (generator.cc) and perf/gen's benchmark compile the same code.
//
// A tx_slot is a packet_template prepared for one sending stream: every
// checksum term that does not change per packet (the template's own
// checksums, the stream word, the complements of the template's addresses
// and ports) is summed once, in host order, so a packet costs a template
// copy, four stores for the probe and a few adds and folds of values still
// in registers (RFC 1071 sums are byte-order independent, RFC 1624 turns an
// old value into a new one by adding the new value and the complement of the
// old). Reading the probe back from the frame to sum it would stall on store
// forwarding: the 16-byte load spans the smaller stores that wrote it.
//
// Templates of up to 128 bytes are copied from a zero-padded copy with a
// fixed-size memcpy (64 or 128 bytes, a few vector stores, no call); the
// mbuf's data room must hold the padding, which tx_slots checks once.
//
// The loop is instantiated per run shape: one template or a rotation of
// several (sizes, IMIX, pcap), and a fixed 4-tuple or ranges. Mbufs come
// straight from the mempool (rte_mempool_get_bulk): a pool mbuf already has
// refcnt 1, nb_segs 1 and no next segment (rte_mbuf_raw_alloc's contract),
// so only the fields a frame sets are written, not all of rte_pktmbuf_reset's.

#include "flows.h"

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace skiff::gen {

/// How a slot's template is copied into the mbuf.
enum class copy_kind : uint8_t {
	exact,   ///< memcpy of exactly len bytes
	pad_64,  ///< a fixed 64-byte copy (len <= 64, source zero-padded)
	pad_128, ///< a fixed 128-byte copy (len <= 128, source zero-padded)
};

/// One frame of the send rotation, ready for the data path.
struct tx_slot {
	const uint8_t *data = nullptr; ///< the template (padded per copy)
	uint32_t len = 0;              ///< frame bytes without FCS
	uint16_t wire_len = 0;         ///< L2 size with FCS
	copy_kind copy = copy_kind::exact;
	bool probe = false; ///< write probe and checksums (else send as is)
	bool ip4 = false;   ///< has an IPv4 header checksum to update
	uint16_t ip_cksum_off = 0;
	uint16_t src_off = 0;
	uint16_t dst_off = 0;
	uint16_t udp_off = 0;
	uint16_t probe_off = 0;
	uint32_t stream_word = 0; ///< stream_magic | stream, host order
	/// ~udp checksum + stream word: the UDP sum before seq and timestamp.
	uint64_t udp_sum = 0;
	/// udp_sum plus the complements of the template's addresses and ports,
	/// for frames whose 4-tuple is rewritten.
	uint64_t flow_udp_sum = 0;
	/// ~IPv4 header checksum plus the complements of the template's addresses.
	uint64_t flow_ip_sum = 0;
};

/**
 * Prepare template @p t for stream @p stream, copying from @p data (the
 * template's bytes, or a zero-padded copy of them when @p copy pads).
 */
tx_slot make_tx_slot(const packet_template &t, uint32_t stream, const uint8_t *data,
                     copy_kind copy);

/// A plan's send rotation prepared for one stream: one tx_slot per plan
/// slot, probe templates copied once into a zero-padded arena.
class tx_slots {
public:
	tx_slots() = default;
	/**
	 * @param slots      the plan's send order (templates repeat: IMIX)
	 * @param stream     the sending stream (lane index)
	 * @param data_room  bytes an mbuf holds after its headroom: fixed-size
	 *                   copies are used only where they fit
	 */
	tx_slots(const std::vector<const packet_template *> &slots, uint32_t stream,
	         unsigned data_room);
	tx_slots(const tx_slots &) = delete;
	tx_slots &operator=(const tx_slots &) = delete;
	tx_slots(tx_slots &&) = default;
	tx_slots &operator=(tx_slots &&) = default;

	const tx_slot *data() const { return _slots.data(); }
	size_t size() const { return _slots.size(); }
	const tx_slot &operator[](size_t i) const { return _slots[i]; }

private:
	std::vector<tx_slot> _slots;
	std::vector<uint8_t> _arena; ///< padded probe templates, 64-byte strides
};

/// Fold a 64-bit sum of 16- and 32-bit host-order terms to 16 bits with
/// end-around carry (2^16 and 2^32 are both 1 modulo 0xffff).
inline uint16_t fold_sum64(uint64_t s) {
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return uint16_t(s);
}

/// Copy @p s's template to @p d (see copy_kind).
inline void copy_template(uint8_t *d, const tx_slot &s) {
	switch (s.copy) {
	case copy_kind::pad_64:
		std::memcpy(d, s.data, 64);
		break;
	case copy_kind::pad_128:
		std::memcpy(d, s.data, 128);
		break;
	default:
		std::memcpy(d, s.data, s.len);
		break;
	}
}

/**
 * Write the probe (and, with @p Varies, @p fc's 4-tuple) into the copied
 * template at @p d and set the checksums. All sums are in host order.
 */
template <bool Varies>
inline void write_probe(uint8_t *d, const tx_slot &s, const flow_cursor &fc, uint64_t seq,
                        uint32_t tsc32) {
	uint8_t *pr = d + s.probe_off;
	wire::store_be32(pr, s.stream_word);
	uint64_t seq_be = rte_cpu_to_be_64(seq);
	std::memcpy(pr + 4, &seq_be, 8);
	wire::store_be32(pr + 12, tsc32);
	uint64_t probe = (seq >> 32) + (seq & 0xffffffffu) + tsc32;
	uint64_t usum;
	if constexpr (Varies) {
		uint32_t src = fc.src_low32(), dst = fc.dst_low32();
		uint32_t ports = uint32_t(fc.sport()) << 16 | fc.dport();
		wire::store_be32(d + s.src_off, src);
		wire::store_be32(d + s.dst_off, dst);
		wire::store_be32(d + s.udp_off, ports);
		uint64_t addrs = uint64_t(src) + dst;
		usum = s.flow_udp_sum + addrs + ports + probe;
		if (s.ip4) {
			wire::store_be16(d + s.ip_cksum_off,
			                 uint16_t(~fold_sum64(s.flow_ip_sum + addrs)));
		}
	} else {
		usum = s.udp_sum + probe;
	}
	uint16_t uc = uint16_t(~fold_sum64(usum));
	// 0 means "no checksum" in UDP (RFC 768); 0xffff is the same sum.
	wire::store_be16(d + s.udp_off + 6, uc == 0 ? uint16_t(0xffff) : uc);
}

/// Set the fields of a raw-allocated pool mbuf for a @p len-byte frame and
/// return where the frame goes.
inline uint8_t *prepare_mbuf(rte_mbuf *m, uint32_t len) {
	m->data_off = RTE_PKTMBUF_HEADROOM;
	m->ol_flags = 0;
	m->packet_type = 0;
	m->pkt_len = len;
	m->data_len = uint16_t(len);
	m->vlan_tci = 0;
	return static_cast<uint8_t *>(m->buf_addr) + RTE_PKTMBUF_HEADROOM;
}

/// The state a sending stream carries from burst to burst.
struct tx_cursor {
	const tx_slot *slots = nullptr;
	size_t n_slots = 0;
	size_t slot = 0; ///< next slot to send
	uint64_t seq = 0;
	flow_cursor flows;
};

/**
 * Fill @p n mbufs with the next frames of @p c, stamped with @p tsc32, and
 * store each frame's wire length in @p wire_lens. @p Single: the rotation
 * has one slot. @p Varies: the flows have more than one 4-tuple.
 */
template <bool Single, bool Varies>
inline void fill_burst(rte_mbuf *const *mb, unsigned n, tx_cursor &c, uint32_t tsc32,
                       uint16_t *wire_lens) {
	size_t slot = c.slot;
	uint64_t seq = c.seq;
	for (unsigned i = 0; i < n; i++) {
		const tx_slot &s = c.slots[Single ? 0 : slot];
		uint8_t *d = prepare_mbuf(mb[i], s.len);
		copy_template(d, s);
		if (s.probe) {
			write_probe<Varies>(d, s, c.flows, seq, tsc32);
		}
		wire_lens[i] = s.wire_len;
		seq++;
		if constexpr (!Single) {
			slot = slot + 1 == c.n_slots ? 0 : slot + 1;
		}
		if constexpr (Varies) {
			c.flows.advance();
		}
	}
	c.slot = slot;
	c.seq = seq;
}

/// fill_burst for @p c's shape, chosen once per burst.
inline void fill_burst_any(rte_mbuf *const *mb, unsigned n, tx_cursor &c, uint32_t tsc32,
                           uint16_t *wire_lens) {
	bool single = c.n_slots == 1;
	if (c.flows.varies()) {
		single ? fill_burst<true, true>(mb, n, c, tsc32, wire_lens)
		       : fill_burst<false, true>(mb, n, c, tsc32, wire_lens);
	} else {
		single ? fill_burst<true, false>(mb, n, c, tsc32, wire_lens)
		       : fill_burst<false, false>(mb, n, c, tsc32, wire_lens);
	}
}

} // namespace skiff::gen
