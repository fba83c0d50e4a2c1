#pragma once

// Sender-side SACK scoreboard for RFC 6675 loss recovery: which bytes in
// (SND.UNA, SND.NXT) the receiver reported holding, as up to
// sack_scoreboard::capacity disjoint ranges sorted by sequence number.
//
// HighRxt convention: RFC 6675 defines HighRxt as the highest octet
// retransmitted (inclusive). Here `high_rxt` is one PAST the highest
// retransmitted octet, i.e. the sequence number where the next
// retransmission would start; set it to SND.UNA on entering recovery and to
// seg_start + seg_len after retransmitting [seg_start, seg_start + seg_len).
// So RFC "S <= HighRxt" reads "S < high_rxt" and "S > HighRxt" reads
// "S >= high_rxt".

#include "tcp/seq.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace skiff::tcp {

/// One SACK block as on the wire: [left, right).
struct sack_block {
	seq32 left;
	seq32 right;
};

/// Fixed-capacity RFC 6675 scoreboard. No allocation; about 260 bytes.
class sack_scoreboard {
public:
	static constexpr size_t capacity = 32;

	/// Forget everything (new connection, or after an RTO: RFC 6675 5.1
	/// lets the receiver renege, so stale SACK state must not block
	/// retransmissions).
	void reset();

	/// Process an ACK's cumulative point and SACK blocks. Ranges at or
	/// below @p snd_una are dropped; new blocks are merged. A block is
	/// ignored unless snd_una < right <= snd_nxt and left < right (this
	/// drops D-SACKs below SND.UNA, RFC 2883, and bogus blocks); a block
	/// straddling snd_una is clipped to it. When a block needs a range and
	/// all are in use, the highest range is dropped and counted in
	/// overflows(): losing SACK information is safe, it only makes the
	/// sender retransmit more.
	void on_ack(seq32 snd_una, std::span<const sack_block> blocks, seq32 snd_nxt);

	/// True when @p seq lies in a SACKed range.
	bool is_sacked(seq32 seq) const;

	/// RFC 6675 IsLost(seq): at least @p dup_thresh discontiguous SACKed
	/// ranges lie above @p seq, or more than (dup_thresh - 1) * mss bytes
	/// above it are SACKed.
	bool is_lost(seq32 seq, uint32_t mss, uint32_t dup_thresh = 3) const;

	/// RFC 6675 SetPipe: bytes estimated in the network. Each unSACKed
	/// byte in [snd_una, snd_nxt) counts once unless IsLost, and once more
	/// if it was retransmitted (below @p high_rxt).
	uint32_t pipe(seq32 snd_una, seq32 snd_nxt, seq32 high_rxt, uint32_t mss) const;

	/// RFC 6675 NextSeg rule 1: the lowest unSACKed, lost sequence number
	/// at or above high_rxt and below the highest SACKed byte. Returns the
	/// start; send at most next_seg_len() bytes from it.
	/// Order of use: rule 1 (this), then new data (rule 2, the caller's),
	/// then next_seg_rescue() (rule 3).
	std::optional<seq32> next_seg(seq32 snd_una, seq32 snd_nxt, seq32 high_rxt,
	                              uint32_t mss) const;

	/// RFC 6675 NextSeg rule 3: as next_seg() without the IsLost
	/// condition. Use only when rules 1 and 2 give nothing.
	std::optional<seq32> next_seg_rescue(seq32 snd_una, seq32 snd_nxt, seq32 high_rxt) const;

	/// Bytes to retransmit from @p start: up to @p mss, stopping at the
	/// next SACKed range or at @p snd_nxt.
	uint32_t next_seg_len(seq32 start, seq32 snd_nxt, uint32_t mss) const;

	/// Total SACKed bytes held.
	uint32_t sacked_bytes() const;
	/// One past the highest SACKed byte; meaningful only when !empty().
	seq32 highest_sacked() const;
	/// True when no range is held.
	bool empty() const { return _count == 0; }
	/// Ranges held, ascending.
	std::span<const sack_block> ranges() const { return {_ranges.data(), _count}; }
	/// Ranges dropped because the board was full.
	uint64_t overflows() const { return _overflows; }

private:
	void drop_below(seq32 snd_una);
	void insert(sack_block b);
	void erase(size_t i, size_t n);
	/// IsLost for an unSACKed byte below range @p i (all ranges from i
	/// upwards lie above it).
	bool lost_below_range(size_t i, uint32_t mss, uint32_t dup_thresh) const;
	/// First range whose right edge is above @p seq (or _count).
	size_t first_range_ending_after(seq32 seq) const;

	std::array<sack_block, capacity> _ranges{};
	size_t _count = 0;
	uint64_t _overflows = 0;
};

} // namespace skiff::tcp
