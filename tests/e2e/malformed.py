#!/usr/bin/python3
"""Send malformed frames at a skiff node and check that each one is counted
under its named drop reason, read through DPDK telemetry (/skiff/drops).

Usage: malformed.py IFACE SKIFF_MAC FILE_PREFIX
Runs inside the test's network namespace; every address is from
198.18.0.0/15 or 2001:2::/48."""
import json
import socket
import sys
import time

from scapy.all import (ARP, ICMP, IP, IPv6, Ether, Dot1Q, Raw, ICMPv6EchoRequest,
                       ICMPv6ND_NS, IPv6ExtHdrHopByHop, conf, sendp)

conf.verb = 0
iface, skiff_mac, prefix = sys.argv[1:4]
ME4, SKIFF4 = "198.18.0.1", "198.18.0.2"
ME6, SKIFF6 = "2001:2::1", "2001:2::2"
REPEAT = 3


def eth(t=None):
    e = Ether(dst=skiff_mac)
    if t is not None:
        e.type = t
    return e


def ip4(**kw):
    return eth() / IP(src=ME4, dst=SKIFF4, **kw)


def ip6(**kw):
    return eth() / IPv6(src=ME6, dst=SKIFF6, **kw)


def raw_ipv4(header_bytes):
    return eth(0x0800) / Raw(header_bytes)


# A valid ICMP echo request's IPv4 header, as bytes, to corrupt field by field.
good4 = bytes(IP(src=ME4, dst=SKIFF4) / ICMP() / Raw(b"x" * 8))

# A frame shorter than an Ethernet header never leaves the kernel's packet
# socket, so eth_truncated is covered by the unit tests and the fuzzer only.
CASES = {
    "eth_unknown_type": eth(0x88B5) / Raw(b"\x00" * 46),
    "eth_vlan": Ether(dst=skiff_mac) / Dot1Q(vlan=7) / IP(src=ME4, dst=SKIFF4) / ICMP(),
    "arp_malformed": eth(0x0806) / Raw(b"\x00\x01\x08\x00\x06"),
    "ipv4_truncated": raw_ipv4(good4[:12]),
    "ipv4_bad_version": raw_ipv4(bytes([0x55]) + good4[1:]),
    "ipv4_bad_header_length": raw_ipv4(bytes([0x44]) + good4[1:]),
    "ipv4_bad_total_length": ip4(len=1000) / ICMP(),
    "ipv4_bad_checksum": ip4(chksum=0x1234) / ICMP(),
    "ipv4_bad_source": eth() / IP(src="224.0.0.5", dst=SKIFF4) / ICMP(),
    "ipv4_fragment": ip4(flags="MF") / ICMP() / Raw(b"f" * 16),
    "ipv4_unknown_protocol": ip4(proto=253) / Raw(b"p" * 8),
    "icmp_truncated": ip4(proto=1) / Raw(b"\x08\x00"),
    "icmp_bad_checksum": ip4() / ICMP(chksum=0x4321),
    "ipv6_bad_payload_length": ip6(plen=1200) / ICMPv6EchoRequest(),
    # A hop-by-hop header that claims (64+1)*8 = 520 bytes in an 8-byte payload.
    # A hop-by-hop header claiming (64 + 1) * 8 bytes in an 8-byte payload.
    "ipv6_bad_ext_chain": ip6(nh=0) / Raw(b"\x3a\x40" + b"\x00" * 6),
    "icmp6_bad_checksum": ip6() / ICMPv6EchoRequest(cksum=0x1111),
    "ndp_invalid": ip6(hlim=64) / ICMPv6ND_NS(tgt=SKIFF6),
}


def telemetry(cmd):
    path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.connect(path)
        s.recv(4096)  # the greeting
        s.send(cmd.encode())
        return json.loads(s.recv(1 << 16).decode())[cmd]


before = telemetry("/skiff/drops")
for name, frame in CASES.items():
    sendp([frame] * REPEAT, iface=iface)
time.sleep(0.5)
after = telemetry("/skiff/drops")

failed = 0
for name in CASES:
    got = after.get(name, 0) - before.get(name, 0)
    if got < REPEAT:
        print(f"# {name}: counted {got} of {REPEAT} frames", file=sys.stderr)
        failed = 1
sys.exit(failed)
