// Textual forms of addresses: control path only (allocates std::string).
#include "wire/bytes.h"

#include <arpa/inet.h>

#include <cstdio>

namespace skiff::wire {

namespace {

// inet_pton needs a NUL-terminated string; refuse anything that cannot be an
// address rather than truncating it.
template <size_t N> bool to_cstr(std::string_view s, char (&buf)[N]) {
	if (s.size() >= N) {
		return false;
	}
	std::memcpy(buf, s.data(), s.size());
	buf[s.size()] = '\0';
	return true;
}

int hex_digit(char c) {
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

} // namespace

std::optional<mac_addr> mac_addr::parse(std::string_view s) {
	if (s.size() != 17) {
		return std::nullopt;
	}
	mac_addr m;
	for (size_t i = 0; i < 6; i++) {
		int hi = hex_digit(s[i * 3]);
		int lo = hex_digit(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':')) {
			return std::nullopt;
		}
		m.b[i] = uint8_t(hi << 4 | lo);
	}
	return m;
}

std::string mac_addr::to_string() const {
	char buf[18];
	std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3],
	              b[4], b[5]);
	return buf;
}

std::optional<ipv4_addr> ipv4_addr::parse(std::string_view s) {
	char buf[INET_ADDRSTRLEN];
	ipv4_addr a;
	if (!to_cstr(s, buf) || inet_pton(AF_INET, buf, &a.be) != 1) {
		return std::nullopt;
	}
	return a;
}

std::string ipv4_addr::to_string() const {
	char buf[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &be, buf, sizeof(buf));
	return buf;
}

std::optional<ipv6_addr> ipv6_addr::parse(std::string_view s) {
	char buf[INET6_ADDRSTRLEN];
	ipv6_addr a;
	if (!to_cstr(s, buf) || inet_pton(AF_INET6, buf, a.b.data()) != 1) {
		return std::nullopt;
	}
	return a;
}

std::string ipv6_addr::to_string() const {
	char buf[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, b.data(), buf, sizeof(buf));
	return buf;
}

} // namespace skiff::wire
