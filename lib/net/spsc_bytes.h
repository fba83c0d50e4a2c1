#pragma once

// A byte ring with one producer thread and one consumer thread, lock-free:
// the hand-off between a TCP connection, which only its worker core touches,
// and the application thread that calls send() and recv(). Each side owns
// one index and publishes it with a release store; the other side reads it
// with an acquire load. The memory is allocated once, on the control path.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

namespace skiff::net {

class spsc_bytes {
public:
	/// @p capacity bytes; control path, before either side uses the ring.
	void allocate(size_t capacity) {
		// Not zero-filled: untouched pages cost nothing until data reaches them.
		_buf = std::make_unique_for_overwrite<uint8_t[]>(capacity);
		_cap = capacity;
		_head.store(0, std::memory_order_relaxed);
		_tail.store(0, std::memory_order_relaxed);
	}

	size_t capacity() const { return _cap; }
	/// Bytes queued, as either side sees them (exact for the caller's own side).
	size_t size() const {
		return size_t(_tail.load(std::memory_order_acquire) -
		              _head.load(std::memory_order_acquire));
	}
	size_t free_space() const { return _cap - size(); }
	bool empty() const { return size() == 0; }

	/// Producer: copy in as much of @p data as fits. @return bytes taken.
	size_t push(std::span<const uint8_t> data) {
		uint64_t tail = _tail.load(std::memory_order_relaxed);
		uint64_t head = _head.load(std::memory_order_acquire);
		size_t n = std::min(data.size(), _cap - size_t(tail - head));
		size_t at = size_t(tail % _cap);
		size_t first = std::min(n, _cap - at);
		std::memcpy(_buf.get() + at, data.data(), first);
		std::memcpy(_buf.get(), data.data() + first, n - first);
		_tail.store(tail + n, std::memory_order_release);
		return n;
	}

	/// Consumer: the queued bytes in place, as at most two pieces.
	std::array<std::span<const uint8_t>, 2> peek() const {
		uint64_t head = _head.load(std::memory_order_relaxed);
		size_t n = size_t(_tail.load(std::memory_order_acquire) - head);
		size_t at = size_t(head % _cap);
		size_t first = std::min(n, _cap - at);
		return {std::span<const uint8_t>(_buf.get() + at, first),
		        std::span<const uint8_t>(_buf.get(), n - first)};
	}

	/// Consumer: drop @p n bytes read through peek().
	void consume(size_t n) {
		_head.store(_head.load(std::memory_order_relaxed) + n, std::memory_order_release);
	}

	/// Consumer: copy out and drop up to out.size() bytes. @return bytes copied.
	size_t pop(std::span<uint8_t> out) {
		auto parts = peek();
		size_t n = 0;
		for (auto p : parts) {
			size_t k = std::min(p.size(), out.size() - n);
			std::memcpy(out.data() + n, p.data(), k);
			n += k;
		}
		consume(n);
		return n;
	}

private:
	std::unique_ptr<uint8_t[]> _buf;
	size_t _cap = 0;
	alignas(64) std::atomic<uint64_t> _head{0}; ///< consumer's
	alignas(64) std::atomic<uint64_t> _tail{0}; ///< producer's
};

} // namespace skiff::net
