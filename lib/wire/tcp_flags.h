#pragma once

// TCP flag bits (RFC 9293 3.1, RFC 3168 for ECE/CWR): byte 13 of the
// header. On its own, without DPDK, so that lib/tcp's state machine uses
// the same constants as the wire format.

#include <cstdint>

namespace skiff::wire::tcp_flags {
constexpr uint8_t FIN = 0x01;
constexpr uint8_t SYN = 0x02;
constexpr uint8_t RST = 0x04;
constexpr uint8_t PSH = 0x08;
constexpr uint8_t ACK = 0x10;
constexpr uint8_t URG = 0x20;
constexpr uint8_t ECE = 0x40;
constexpr uint8_t CWR = 0x80;
} // namespace skiff::wire::tcp_flags
