#!/usr/bin/python3
"""Write the seed corpus of tests/fuzz/fuzz_rx.cc: one real frame per file.

Usage: tests/fuzz/make_corpus.py [OUTDIR]   (default: tests/fuzz/corpus)

Frames are addressed to the stack the fuzzer builds: MAC 02:00:00:00:00:02,
198.18.0.2/24 and 2001:2::2/64 (link-local fe80::ff:fe00:2), gateways
198.18.0.1 and 2001:2::1 at 02:00:00:00:00:01. Unicast frames go to the
stack's MAC; the few that are multicast by nature (DAD, an echo to
all-nodes, a broadcast ARP request) go to their group MAC, as a NIC would
deliver them. Only 198.18.0.0/15 and 2001:2::/48 addresses are used.
Files are deterministic: rerunning the script rewrites identical bytes.
Crash inputs found by fuzzing are committed next to these as crash-*.bin and
are not touched by this script."""
import os
import sys

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6EchoReply,
                       ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                       ICMPv6NDOptSrcLLAddr, IPOption_Router_Alert, IPOption_RR, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, PadN, Raw, RouterAlert, fragment)

STACK_MAC, PEER_MAC, HOST_MAC = "02:00:00:00:00:02", "02:00:00:00:00:01", "02:00:00:00:00:07"
STACK4, PEER4, HOST4, FAR4 = "198.18.0.2", "198.18.0.1", "198.18.0.7", "198.19.3.4"
STACK6, PEER6, HOST6, FAR6 = "2001:2::2", "2001:2::1", "2001:2::7", "2001:2:0:1::9"
STACK_LL, PEER_LL = "fe80::ff:fe00:2", "fe80::1"
SNM_STACK6 = "ff02::1:ff00:2"  # solicited-node group of 2001:2::2 (and fe80::ff:fe00:2)
SNM_MAC = "33:33:ff:00:00:02"
PAYLOAD = bytes(range(56))


def eth(src=PEER_MAC, dst=STACK_MAC):
    return Ether(src=src, dst=dst)


def frames():
    yield "arp_request", eth(dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=PEER_MAC, psrc=PEER4, pdst=STACK4)
    yield "arp_request_unicast", eth(src=HOST_MAC) / ARP(
        op=1, hwsrc=HOST_MAC, psrc=HOST4, hwdst=STACK_MAC, pdst=STACK4)
    yield "arp_reply", eth(src=HOST_MAC) / ARP(
        op=2, hwsrc=HOST_MAC, psrc=HOST4, hwdst=STACK_MAC, pdst=STACK4)
    yield "icmp_echo", eth() / IP(src=PEER4, dst=STACK4) / ICMP(id=7, seq=1) / PAYLOAD
    # From a host whose MAC the stack has not learned: the reply waits for ARP.
    yield "icmp_echo_unresolved", eth(src=HOST_MAC) / IP(src=HOST4, dst=STACK4) / ICMP(
        id=8, seq=1) / PAYLOAD
    # Off-link source: the reply goes through the default gateway.
    yield "icmp_echo_offlink", eth() / IP(src=FAR4, dst=STACK4, ttl=60) / ICMP(
        id=9, seq=2) / PAYLOAD
    yield "icmp_echo_reply", eth() / IP(src=PEER4, dst=STACK4) / ICMP(
        type=0, id=7, seq=3) / PAYLOAD
    yield "ipv4_options", eth() / IP(
        src=PEER4, dst=STACK4,
        options=[IPOption_RR(routers=["198.18.0.1"]), IPOption_Router_Alert()]) / ICMP(
            id=10, seq=1) / PAYLOAD
    big = IP(src=PEER4, dst=STACK4, id=0x4242) / ICMP(id=11, seq=1) / (PAYLOAD * 4)
    first, second = fragment(big, fragsize=128)[:2]
    yield "ipv4_frag_first", eth() / first
    yield "ipv4_frag_second", eth() / second
    yield "tcp_syn", eth() / IP(src=PEER4, dst=STACK4) / TCP(
        sport=40000, dport=80, flags="S", seq=1000,
        options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None),
                 ("WScale", 7)])
    yield "udp", eth() / IP(src=PEER4, dst=STACK4) / UDP(sport=5353, dport=53) / b"skiff"
    yield "vlan", eth() / Dot1Q(vlan=7) / IP(src=PEER4, dst=STACK4) / ICMP() / PAYLOAD
    yield "qinq", Ether(src=PEER_MAC, dst=STACK_MAC, type=0x88A8) / Dot1Q(vlan=100) / Dot1Q(
        vlan=7) / IP(src=PEER4, dst=STACK4) / ICMP()

    yield "icmp6_echo", eth() / IPv6(src=PEER6, dst=STACK6) / ICMPv6EchoRequest(
        id=7, seq=1, data=PAYLOAD)
    yield "icmp6_echo_unresolved", eth(src=HOST_MAC) / IPv6(
        src=HOST6, dst=STACK6) / ICMPv6EchoRequest(id=8, seq=1, data=PAYLOAD)
    yield "icmp6_echo_linklocal", eth() / IPv6(src=PEER_LL, dst=STACK_LL) / ICMPv6EchoRequest(
        id=9, seq=1, data=PAYLOAD)
    yield "icmp6_echo_all_nodes", eth(dst="33:33:00:00:00:01") / IPv6(
        src=FAR6, dst="ff02::1") / ICMPv6EchoRequest(id=10, seq=1, data=PAYLOAD)
    yield "icmp6_echo_reply", eth() / IPv6(src=PEER6, dst=STACK6) / ICMPv6EchoReply(
        id=7, seq=2, data=PAYLOAD)
    yield "ipv6_ext_headers", eth() / IPv6(src=PEER6, dst=STACK6) / IPv6ExtHdrHopByHop(
        options=[RouterAlert(), PadN(optdata=b"\x00\x00")]) / IPv6ExtHdrDestOpt(
            options=[PadN(optdata=b"\x00" * 4)]) / ICMPv6EchoRequest(id=11, seq=1, data=PAYLOAD)
    yield "ipv6_routing", eth() / IPv6(src=PEER6, dst=STACK6) / IPv6ExtHdrRouting(
        addresses=[FAR6], segleft=0) / ICMPv6EchoRequest(id=12, seq=1, data=PAYLOAD)
    yield "ipv6_frag", eth() / IPv6(src=PEER6, dst=STACK6) / IPv6ExtHdrFragment(
        id=0x4242, m=1, offset=0) / ICMPv6EchoRequest(id=13, seq=1, data=PAYLOAD)
    yield "ndp_ns", eth(dst=SNM_MAC) / IPv6(src=PEER6, dst=SNM_STACK6, hlim=255) / ICMPv6ND_NS(
        tgt=STACK6) / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)
    # A nonce option (RFC 7527) ahead of the source link-layer address.
    yield "ndp_ns_options", eth(src=HOST_MAC) / IPv6(src=HOST6, dst=STACK6, hlim=255) / ICMPv6ND_NS(
        tgt=STACK6) / Raw(b"\x0e\x01" + bytes(range(1, 7))) / ICMPv6NDOptSrcLLAddr(lladdr=HOST_MAC)
    yield "ndp_ns_dad", eth(src=HOST_MAC, dst=SNM_MAC) / IPv6(
        src="::", dst=SNM_STACK6, hlim=255) / ICMPv6ND_NS(tgt=STACK6)
    yield "ndp_na", eth(src=HOST_MAC) / IPv6(src=HOST6, dst=STACK6, hlim=255) / ICMPv6ND_NA(
        tgt=HOST6, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=HOST_MAC)
    yield "tcp6_syn", eth() / IPv6(src=PEER6, dst=STACK6) / TCP(
        sport=40001, dport=443, flags="S", seq=2000, options=[("MSS", 1440), ("SAckOK", b"")])
    yield "udp6", eth() / IPv6(src=PEER6, dst=STACK6) / UDP(sport=5353, dport=53) / b"skiff"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    os.makedirs(out, exist_ok=True)
    n = 0
    for name, pkt in frames():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(bytes(pkt))
        n += 1
    print(f"wrote {n} frames to {out}")


if __name__ == "__main__":
    main()
