#pragma once

// Initial sequence numbers per RFC 6528:
//   ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
// where M is a timer ticking every 4 microseconds and F is a keyed hash
// (SipHash-2-4 from libsodium). Each 4-tuple gets its own sequence space, so
// an off-path attacker cannot predict another connection's ISN, while one
// tuple's ISNs still increase with time as RFC 9293 3.4.1 wants for
// distinguishing incarnations.

#include <array>
#include <cstdint>
#include <span>

namespace skiff::tcp {

/// Generates RFC 6528 ISNs. Immutable after construction, so one instance
/// may be shared read-only by every core.
class isn_generator {
public:
	/// Draw a 16-byte secret from getrandom(2). One per process.
	isn_generator();

	/// Use a fixed key (tests, reproducible simulations).
	explicit isn_generator(std::span<const uint8_t, 16> key);

	/// The ISN for a connection.
	/// @param tuple the caller's packed 4-tuple (addresses and ports, any
	///        fixed layout, the same for every call with the same tuple)
	/// @param now_us a monotonic clock in microseconds
	uint32_t next(std::span<const uint8_t> tuple, uint64_t now_us) const;

private:
	std::array<uint8_t, 16> _key;
};

/// Fill @p out with random bytes from getrandom(2). Aborts if the kernel
/// cannot give any: there is no safe fallback for key material, and this
/// only runs at startup.
void fill_random(std::span<uint8_t> out);

} // namespace skiff::tcp
