#!/usr/bin/python3
"""The Linux kernel's end of a TCP transfer, for the e2e tests.

    tcp_peer.py serve PORT [--timeout S]
        Listen on [::]:PORT (IPv4 too), accept one connection, read until
        the peer's FIN, answer "received N SHA256\\n", close, and print
        "N SHA256 PEER_ADDRESS".
    tcp_peer.py send ADDR PORT N [--timeout S]
        Connect, send the first N bytes of skiff's test pattern
        (pattern_sha256.py), shut down for writing, and print what comes
        back until the peer's FIN.
"""
import argparse
import hashlib
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pattern_sha256 import pattern_chunks  # noqa: E402


def serve(args):
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", args.port))
    ls.listen(1)
    ls.settimeout(args.timeout)
    print("listening", file=sys.stderr, flush=True)
    conn, peer = ls.accept()
    conn.settimeout(args.timeout)
    h = hashlib.sha256()
    n = 0
    while True:
        b = conn.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    conn.sendall(("received %d %s\n" % (n, h.hexdigest())).encode())
    conn.close()
    print(n, h.hexdigest(), peer[0])


def send(args):
    family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(args.timeout)
    s.connect((args.addr, args.port))
    for chunk in pattern_chunks(args.n):
        s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    reply = b""
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        reply += b
    s.close()
    sys.stdout.write(reply.decode(errors="replace"))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    ps = sub.add_parser("serve")
    ps.add_argument("port", type=int)
    ps.add_argument("--timeout", type=float, default=120)
    pc = sub.add_parser("send")
    pc.add_argument("addr")
    pc.add_argument("port", type=int)
    pc.add_argument("n", type=int)
    pc.add_argument("--timeout", type=float, default=120)
    args = p.parse_args()
    serve(args) if args.cmd == "serve" else send(args)


if __name__ == "__main__":
    main()
