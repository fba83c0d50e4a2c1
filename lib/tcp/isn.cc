#include "tcp/isn.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sodium/crypto_shorthash_siphash24.h>
#include <sys/random.h>

namespace skiff::tcp {

void fill_random(std::span<uint8_t> out) {
	size_t done = 0;
	while (done < out.size()) {
		ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			// Predictable secrets would make ISNs and cookies guessable;
			// refusing to start is the only safe answer.
			std::fprintf(stderr,
			             "skiff: getrandom failed (%s): cannot make TCP secrets\n",
			             std::strerror(errno));
			std::abort();
		}
		done += static_cast<size_t>(n);
	}
}

isn_generator::isn_generator() {
	fill_random(_key);
}

isn_generator::isn_generator(std::span<const uint8_t, 16> key) {
	std::copy(key.begin(), key.end(), _key.begin());
}

uint32_t isn_generator::next(std::span<const uint8_t> tuple, uint64_t now_us) const {
	static_assert(crypto_shorthash_siphash24_KEYBYTES == 16);
	uint8_t out[crypto_shorthash_siphash24_BYTES];
	crypto_shorthash_siphash24(out, tuple.data(), tuple.size(), _key.data());
	uint32_t f;
	std::memcpy(&f, out, sizeof(f));
	// RFC 6528: M is a 4 microsecond timer; wrapping every ~4.77 hours as
	// RFC 9293 3.4.1 describes.
	uint32_t m = static_cast<uint32_t>(now_us / 4);
	return m + f;
}

} // namespace skiff::tcp
