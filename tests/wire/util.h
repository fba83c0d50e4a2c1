#pragma once

// Helpers shared by the wire tests.

#include "wire/bytes.h"
#include "wire/error.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

namespace skiff::wire::testing {

template <size_t N> bytes B(const uint8_t (&a)[N]) {
	return bytes(a, N);
}

/// The L3 bytes of an untagged Ethernet frame.
inline bytes l3_of(bytes frame) {
	return frame.subspan(14);
}

inline std::vector<uint8_t> to_vec(bytes b) {
	return {b.begin(), b.end()};
}

/// A heap copy of exactly @p b.size() bytes, so that ASan catches any read
/// past the end (a span into a larger array would hide it).
class exact_copy {
public:
	explicit exact_copy(bytes b) : _p(new uint8_t[b.size()]), _n(b.size()) {
		if (_n != 0) {
			std::memcpy(_p.get(), b.data(), _n);
		}
	}
	bytes get() const { return bytes(_p.get(), _n); }

private:
	std::unique_ptr<uint8_t[]> _p;
	size_t _n;
};

/// Parses every prefix of @p full with View::parse: prefixes shorter than
/// @p ok_from must fail, longer ones must succeed.
template <typename View> void expect_prefixes(bytes full, size_t ok_from) {
	for (size_t n = 0; n <= full.size(); n++) {
		exact_copy c(full.first(n));
		auto r = View::parse(c.get());
		if (n < ok_from) {
			EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes parsed";
		} else {
			EXPECT_TRUE(r.ok())
			    << "prefix of " << n << " bytes: " << to_string(r.error());
		}
	}
}

} // namespace skiff::wire::testing
