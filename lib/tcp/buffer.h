#pragma once

// A byte ring for a connection's send and receive buffers. It is allocated
// once when the connection opens (SO_SNDBUF / SO_RCVBUF) and never grows, so
// the per-segment path never touches the heap.
//
// The ring holds size() committed bytes from its head. Bytes past them can
// be written ahead of time (write_at) and committed later: the receive side
// stores out-of-order data at its place that way, so the out-of-order memory
// of a connection is bounded by its receive buffer.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace skiff::tcp {

class byte_ring {
public:
	byte_ring() = default;
	byte_ring(const byte_ring &) = delete;
	byte_ring &operator=(const byte_ring &) = delete;
	byte_ring(byte_ring &&) = default;
	byte_ring &operator=(byte_ring &&) = default;

	/// (Re)allocate @p capacity bytes and empty the ring. Control path.
	void allocate(size_t capacity);
	/// Release the memory.
	void release();

	size_t capacity() const { return _cap; }
	size_t size() const { return _len; }
	size_t free_space() const { return _cap - _len; }
	bool empty() const { return _len == 0; }

	/// Append up to free_space() bytes as committed data.
	/// @return bytes taken.
	size_t push(std::span<const uint8_t> data);

	/// Write @p data @p offset bytes after the committed data without
	/// committing it, cut at the capacity.
	/// @return bytes written (0 if @p offset is beyond the free space).
	size_t write_at(size_t offset, std::span<const uint8_t> data);

	/// Commit @p n bytes written with write_at() (clamped to free_space()).
	void commit(size_t n);

	/// Copy up to @p out.size() committed bytes from the head and drop them.
	/// @return bytes copied.
	size_t pop(std::span<uint8_t> out);

	/// Drop @p n committed bytes from the head (clamped to size()).
	void consume(size_t n);

	/// Copy committed bytes [offset, offset + out.size()) without consuming.
	/// @return bytes copied (less when the range passes size()).
	size_t copy_out(size_t offset, std::span<uint8_t> out) const;

	/// Committed bytes [offset, offset + len) in place, as at most two
	/// pieces (the second is empty unless the range wraps).
	std::array<std::span<const uint8_t>, 2> view(size_t offset, size_t len) const;

private:
	size_t wrap(size_t pos) const { return pos >= _cap ? pos - _cap : pos; }

	std::unique_ptr<uint8_t[]> _buf;
	size_t _cap = 0;
	size_t _head = 0;
	size_t _len = 0;
};

} // namespace skiff::tcp
