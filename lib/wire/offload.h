#pragma once

// Checksum offload capabilities, as plain values. The port driver fills
// offload_caps from rte_eth_dev_info at run time; protocol code asks these
// structs instead of using #ifdefs.

namespace skiff::wire {

/// What the NIC computes on transmit.
struct tx_offloads {
	bool ipv4_cksum = false;
	bool udp_cksum = false;
	bool tcp_cksum = false;
};

/// What the NIC verifies on receive (reported per packet in ol_flags).
struct rx_offloads {
	bool ipv4_cksum = false;
	bool l4_cksum = false;
};

struct offload_caps {
	rx_offloads rx;
	tx_offloads tx;
};

} // namespace skiff::wire
