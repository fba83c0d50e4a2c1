#include "tcp/sack.h"

#include <algorithm>

namespace skiff::tcp {

namespace {

constexpr uint32_t default_dup_thresh = 3; // RFC 6675 section 2

uint32_t len_of(const sack_block &b) {
	return static_cast<uint32_t>(b.right - b.left);
}

/// Bytes of [lo, hi) that are also in [from, to).
uint32_t overlap(seq32 lo, seq32 hi, seq32 from, seq32 to) {
	seq32 a = seq_max(lo, from);
	seq32 b = seq_min(hi, to);
	return a < b ? static_cast<uint32_t>(b - a) : 0;
}

} // namespace

void sack_scoreboard::reset() {
	_count = 0;
}

void sack_scoreboard::erase(size_t i, size_t n) {
	std::copy(_ranges.begin() + i + n, _ranges.begin() + _count, _ranges.begin() + i);
	_count -= n;
}

void sack_scoreboard::drop_below(seq32 snd_una) {
	size_t n = 0;
	while (n < _count && _ranges[n].right <= snd_una) {
		n++;
	}
	erase(0, n);
	if (_count > 0 && _ranges[0].left < snd_una) {
		_ranges[0].left = snd_una;
	}
}

size_t sack_scoreboard::first_range_ending_after(seq32 seq) const {
	size_t i = 0;
	while (i < _count && _ranges[i].right <= seq) {
		i++;
	}
	return i;
}

void sack_scoreboard::insert(sack_block b) {
	// Ranges [i, j) overlap or touch b: they collapse into one.
	size_t i = 0;
	while (i < _count && _ranges[i].right < b.left) {
		i++;
	}
	size_t j = i;
	while (j < _count && _ranges[j].left <= b.right) {
		b.left = seq_min(b.left, _ranges[j].left);
		b.right = seq_max(b.right, _ranges[j].right);
		j++;
	}
	if (j > i) {
		_ranges[i] = b;
		erase(i + 1, j - i - 1);
		return;
	}
	if (_count == capacity) {
		// Full: keep the lowest ranges, they decide what is lost first.
		_overflows++;
		if (i == capacity) {
			return;
		}
		_count--;
	}
	std::copy_backward(_ranges.begin() + i, _ranges.begin() + _count,
	                   _ranges.begin() + _count + 1);
	_ranges[i] = b;
	_count++;
}

void sack_scoreboard::on_ack(seq32 snd_una, std::span<const sack_block> blocks, seq32 snd_nxt) {
	drop_below(snd_una);
	for (const sack_block &b : blocks) {
		// RFC 2018 4 / RFC 2883: only blocks about data in flight count;
		// a block at or below SND.UNA is a D-SACK, one beyond SND.NXT is
		// bogus.
		if (!(b.left < b.right) || !(snd_una < b.right) || snd_nxt < b.right) {
			continue;
		}
		insert(sack_block{seq_max(b.left, snd_una), b.right});
	}
}

bool sack_scoreboard::is_sacked(seq32 seq) const {
	size_t i = first_range_ending_after(seq);
	return i < _count && _ranges[i].left <= seq;
}

bool sack_scoreboard::lost_below_range(size_t i, uint32_t mss, uint32_t dup_thresh) const {
	if (_count - i >= dup_thresh) {
		return true;
	}
	uint64_t bytes = 0;
	for (size_t k = i; k < _count; k++) {
		bytes += len_of(_ranges[k]);
	}
	return bytes > uint64_t{dup_thresh - 1} * mss;
}

bool sack_scoreboard::is_lost(seq32 seq, uint32_t mss, uint32_t dup_thresh) const {
	size_t i = first_range_ending_after(seq);
	if (i == _count) {
		return false;
	}
	if (_ranges[i].left > seq) {
		return lost_below_range(i, mss, dup_thresh);
	}
	// seq is itself SACKed: count the rest of its range, then those above.
	uint64_t bytes = static_cast<uint32_t>(_ranges[i].right - (seq + 1));
	for (size_t k = i + 1; k < _count; k++) {
		bytes += len_of(_ranges[k]);
	}
	return _count - i - 1 >= dup_thresh || bytes > uint64_t{dup_thresh - 1} * mss;
}

uint32_t sack_scoreboard::pipe(seq32 snd_una, seq32 snd_nxt, seq32 high_rxt, uint32_t mss) const {
	// IsLost is the same for every byte of a hole (the same ranges lie
	// above all of them), so SetPipe's per-octet loop becomes one step per
	// hole, walked from the top to accumulate the bytes SACKed above.
	uint64_t pipe = 0;
	uint64_t above = 0;
	seq32 hole_end = snd_nxt;
	for (size_t k = _count + 1; k-- > 0;) {
		seq32 hole_start = k == 0 ? snd_una : _ranges[k - 1].right;
		size_t ranges_above = _count - k;
		bool lost = ranges_above >= default_dup_thresh ||
		            above > uint64_t{default_dup_thresh - 1} * mss;
		uint32_t len = overlap(hole_start, hole_end, snd_una, snd_nxt);
		if (!lost) {
			pipe += len;
		}
		pipe += overlap(hole_start, hole_end, snd_una, seq_min(high_rxt, snd_nxt));
		if (k > 0) {
			above += len_of(_ranges[k - 1]);
			hole_end = _ranges[k - 1].left;
		}
	}
	return static_cast<uint32_t>(std::min<uint64_t>(pipe, UINT32_MAX));
}

std::optional<seq32> sack_scoreboard::next_seg(seq32 snd_una, seq32 snd_nxt, seq32 high_rxt,
                                               uint32_t mss) const {
	seq32 start = seq_max(snd_una, high_rxt);
	size_t i = first_range_ending_after(start);
	if (i < _count && _ranges[i].left <= start) {
		// start is SACKed; the next hole begins where its range ends.
		start = _ranges[i].right;
		i++;
	}
	// Rule 1 (b): below the highest SACKed byte, so some range is above.
	// IsLost only weakens going up, so if this hole is not lost, none is.
	if (i == _count || !(start < snd_nxt) || !lost_below_range(i, mss, default_dup_thresh)) {
		return std::nullopt;
	}
	return start;
}

std::optional<seq32> sack_scoreboard::next_seg_rescue(seq32 snd_una, seq32 snd_nxt,
                                                      seq32 high_rxt) const {
	seq32 start = seq_max(snd_una, high_rxt);
	size_t i = first_range_ending_after(start);
	if (i < _count && _ranges[i].left <= start) {
		start = _ranges[i].right;
		i++;
	}
	if (i == _count || !(start < snd_nxt)) {
		return std::nullopt;
	}
	return start;
}

uint32_t sack_scoreboard::next_seg_len(seq32 start, seq32 snd_nxt, uint32_t mss) const {
	if (!(start < snd_nxt) || is_sacked(start)) {
		return 0;
	}
	seq32 end = seq_min(start + mss, snd_nxt);
	size_t i = first_range_ending_after(start);
	if (i < _count) {
		end = seq_min(end, _ranges[i].left);
	}
	return static_cast<uint32_t>(end - start);
}

uint32_t sack_scoreboard::sacked_bytes() const {
	uint64_t sum = 0;
	for (size_t k = 0; k < _count; k++) {
		sum += len_of(_ranges[k]);
	}
	return static_cast<uint32_t>(sum);
}

seq32 sack_scoreboard::highest_sacked() const {
	return _count == 0 ? seq32{} : _ranges[_count - 1].right;
}

} // namespace skiff::tcp
