#include "tcp/buffer.h"

#include <algorithm>
#include <cstring>

namespace skiff::tcp {

void byte_ring::allocate(size_t capacity) {
	// Not zero-filled: untouched pages cost nothing until data reaches them.
	_buf = capacity ? std::make_unique_for_overwrite<uint8_t[]>(capacity) : nullptr;
	_cap = capacity;
	_head = 0;
	_len = 0;
}

void byte_ring::release() {
	_buf.reset();
	_cap = _head = _len = 0;
}

size_t byte_ring::write_at(size_t offset, std::span<const uint8_t> data) {
	if (offset >= free_space() || data.empty()) {
		return 0;
	}
	size_t n = std::min(data.size(), free_space() - offset);
	// _head < cap and _len + offset < cap, so one wrap suffices.
	size_t pos = wrap(_head + _len + offset);
	// Two copies at most: up to the end of the memory, then from its start.
	size_t first = std::min(n, _cap - pos);
	std::memcpy(&_buf[pos], data.data(), first);
	if (n > first) {
		std::memcpy(&_buf[0], data.data() + first, n - first);
	}
	return n;
}

void byte_ring::commit(size_t n) {
	_len += std::min(n, free_space());
}

size_t byte_ring::push(std::span<const uint8_t> data) {
	size_t n = write_at(0, data);
	commit(n);
	return n;
}

size_t byte_ring::copy_out(size_t offset, std::span<uint8_t> out) const {
	if (offset >= _len) {
		return 0;
	}
	auto v = view(offset, std::min(out.size(), _len - offset));
	// memcpy from an empty span's null pointer is undefined, even for 0.
	if (!v[0].empty()) {
		std::memcpy(out.data(), v[0].data(), v[0].size());
	}
	if (!v[1].empty()) {
		std::memcpy(out.data() + v[0].size(), v[1].data(), v[1].size());
	}
	return v[0].size() + v[1].size();
}

std::array<std::span<const uint8_t>, 2> byte_ring::view(size_t offset, size_t len) const {
	if (offset >= _len) {
		return {};
	}
	len = std::min(len, _len - offset);
	size_t pos = wrap(_head + offset);
	size_t first = std::min(len, _cap - pos);
	return {std::span<const uint8_t>(&_buf[pos], first),
	        std::span<const uint8_t>(_buf.get(), len - first)};
}

size_t byte_ring::pop(std::span<uint8_t> out) {
	size_t n = copy_out(0, out);
	consume(n);
	return n;
}

void byte_ring::consume(size_t n) {
	n = std::min(n, _len);
	_head = wrap(_head + n);
	// The head is not reset to 0 when the ring empties: bytes written
	// ahead with write_at() (out-of-order data) live past the committed
	// ones and must stay where they are.
	_len -= n;
}

} // namespace skiff::tcp
