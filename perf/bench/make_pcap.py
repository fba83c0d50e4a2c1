#!/usr/bin/python3
"""Write the forwarding benchmark's input: 64-byte UDP frames to a routed
destination, for net_pcap's infinite_rx replay.

Usage: perf/bench/make_pcap.py OUT.pcap [--dst-mac MAC] [--flows N]

A 64-byte frame on the wire holds 60 bytes in the pcap (the 4-byte FCS is
not captured): Ethernet 14 + IPv4 20 + UDP 8 + 18 bytes of payload. The
frames go from 198.18.0.0/24 (the network behind port 0) to 198.18.2.0/24,
which every forwarder in scripts/bench routes out of port 1. Source and
destination addresses and ports vary over N flows so that no lookup cache
sees one flow only. The destination MAC is net_pcap's own
(02:70:63:61:70:00), so that a stack that filters on it accepts them.
"""

import argparse
import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, UDP, Ether, Raw, wrpcap  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--dst-mac", default="02:70:63:61:70:00")
    ap.add_argument("--src-mac", default="02:00:00:00:00:10")
    ap.add_argument("--flows", type=int, default=64)
    args = ap.parse_args()

    frames = []
    for i in range(args.flows):
        frame = (
            Ether(src=args.src_mac, dst=args.dst_mac)
            / IP(src="198.18.0.%d" % (2 + i % 200), dst="198.18.2.%d" % (1 + i % 250), ttl=64)
            / UDP(sport=1024 + i, dport=9)
            / Raw(b"\x00" * 18)
        )
        if len(frame) != 60:
            raise SystemExit("make_pcap: frame is %d bytes, expected 60" % len(frame))
        frames.append(frame)
    wrpcap(args.out, frames)


if __name__ == "__main__":
    main()
