#include "tcp/assembler.h"

#include <algorithm>

namespace skiff::tcp {

void assembler::reset() {
	_count = 0;
	_clock = 0;
}

void assembler::erase(size_t i, size_t n) {
	std::copy(_ranges.begin() + i + n, _ranges.begin() + _count, _ranges.begin() + i);
	_count -= n;
}

bool assembler::add(uint32_t offset, uint32_t len) {
	if (len == 0) {
		return true;
	}
	uint32_t end = offset + len;
	if (end < offset) {
		return false;
	}
	// Ranges [i, j) overlap or touch the new data and merge with it.
	size_t i = 0;
	while (i < _count && _ranges[i].end < offset) {
		i++;
	}
	size_t j = i;
	uint32_t start = offset;
	while (j < _count && _ranges[j].start <= end) {
		start = std::min(start, _ranges[j].start);
		end = std::max(end, _ranges[j].end);
		j++;
	}
	if (j > i) {
		_ranges[i] = range{start, end, ++_clock};
		erase(i + 1, j - i - 1);
		return true;
	}
	if (_count == capacity) {
		return false;
	}
	std::copy_backward(_ranges.begin() + i, _ranges.begin() + _count,
	                   _ranges.begin() + _count + 1);
	_ranges[i] = range{start, end, ++_clock};
	_count++;
	return true;
}

uint32_t assembler::remove_front() {
	if (_count == 0 || _ranges[0].start != 0) {
		return 0;
	}
	uint32_t n = _ranges[0].end;
	erase(0, 1);
	for (size_t k = 0; k < _count; k++) {
		_ranges[k].start -= n;
		_ranges[k].end -= n;
	}
	return n;
}

uint32_t assembler::held_bytes() const {
	uint32_t sum = 0;
	for (size_t k = 0; k < _count; k++) {
		sum += _ranges[k].end - _ranges[k].start;
	}
	return sum;
}

size_t assembler::sack_blocks(seq32 rcv_nxt, std::span<sack_block> out) const {
	// Stamps are unique (every add takes a new one), so "the newest below
	// the previous pick" walks the ranges from most to least recent.
	size_t n = 0;
	uint64_t prev = UINT64_MAX;
	while (n < out.size() && n < _count) {
		const range *best = nullptr;
		for (size_t k = 0; k < _count; k++) {
			const range &r = _ranges[k];
			if (r.touched < prev && (best == nullptr || r.touched > best->touched)) {
				best = &r;
			}
		}
		out[n++] = sack_block{rcv_nxt + best->start, rcv_nxt + best->end};
		prev = best->touched;
	}
	return n;
}

} // namespace skiff::tcp
