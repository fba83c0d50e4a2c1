#pragma once

/**
 * @file
 * net_wire: a virtual cable with impairments, as a DPDK poll-mode driver
 * (vdev "net_wire"). Two ports with the same link=NAME devarg are the two
 * ends of one cable. This header is the driver's public control API; the
 * rest goes through ethdev (rte_eth_dev_set_link_down/up, xstats, RSS).
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Plug or pull the cable a net_wire port is on (either end). Pulling takes
 * the link down on both ends, with an LSC event where enabled; packets sent
 * while it is out are freed and counted under the xstat dropped_link_down.
 * Packets already on the cable are still delivered.
 *
 * @param port_id a net_wire port.
 * @param up non-zero to plug the cable back in, zero to pull it.
 * @return 0; -ENODEV if port_id is not a valid or open port; -ENOTSUP if it
 *   is not a net_wire port.
 */
int rte_pmd_net_wire_set_link(uint16_t port_id, int up);

#ifdef __cplusplus
}
#endif
