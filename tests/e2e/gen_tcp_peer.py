#!/usr/bin/python3
"""The Linux kernel's end of skiff-gen's TCP program, for the e2e tests.

Each transaction: the client sends REQ bytes of skiff's test pattern
(pattern_sha256.py, from offset 0), the server checks them and answers with
RESP bytes of the pattern, which the client checks.

    gen_tcp_peer.py serve PORT REQ RESP [--conns N] [--duration S]
        Listen on [::]:PORT (IPv4 too), serve every connection until the
        client closes it; once N connections have come and gone, after S
        seconds, or at SIGTERM, print "accepted N transactions N corrupted N".
    gen_tcp_peer.py client ADDR PORT REQ RESP --count N [--timeout S]
        N connections one after the other, one transaction each; print
        "completed N failed N".
"""
import argparse
import os
import selectors
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pattern_sha256 import pattern_chunks  # noqa: E402


def pattern(n):
    return b"".join(pattern_chunks(n))


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.got = 0
        self.out = b""


def serve(args):
    req, resp = pattern(args.req), pattern(args.resp)
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", args.port))
    ls.listen(512)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    stats = {"accepted": 0, "transactions": 0, "corrupted": 0}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print("listening", file=sys.stderr, flush=True)
    end = time.monotonic() + args.duration
    closed = 0
    while not stop and time.monotonic() < end and not (args.conns and closed >= args.conns):
        for key, _ in sel.select(timeout=0.2):
            if key.data is None:
                try:
                    s, _ = ls.accept()
                except BlockingIOError:
                    continue
                s.setblocking(False)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(s, selectors.EVENT_READ, Conn(s))
                stats["accepted"] += 1
                continue
            c = key.data
            if not step(c, req, resp, stats):
                sel.unregister(c.sock)
                c.sock.close()
                closed += 1
    print("accepted %(accepted)d transactions %(transactions)d corrupted %(corrupted)d" % stats,
          flush=True)


def step(c, req, resp, stats):
    """Read what is there; answer complete requests. False: close."""
    try:
        data = c.sock.recv(65536)
    except (BlockingIOError, InterruptedError):
        return True
    except OSError:
        return False
    if not data:
        return False
    while data:
        take = min(len(data), len(req) - c.got)
        if data[:take] != req[c.got:c.got + take]:
            stats["corrupted"] += 1
            return False
        c.got += take
        data = data[take:]
        if c.got == len(req):
            c.got = 0
            stats["transactions"] += 1
            if resp:
                c.sock.setblocking(True)  # small answers: the buffer takes them
                c.sock.sendall(resp)
                c.sock.setblocking(False)
    return True


def client(args):
    req, resp = pattern(args.req), pattern(args.resp)
    done = failed = 0
    for _ in range(args.count):
        try:
            with socket.create_connection((args.addr, args.port), timeout=args.timeout) as s:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.sendall(req)
                got = b""
                while len(got) < len(resp):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
                if got == resp:
                    done += 1
                else:
                    failed += 1
        except OSError as e:
            print("connection failed: %s" % e, file=sys.stderr)
            failed += 1
    print("completed %d failed %d" % (done, failed), flush=True)
    return 0 if failed == 0 else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("port", type=int)
    s.add_argument("req", type=int)
    s.add_argument("resp", type=int)
    s.add_argument("--conns", type=int, default=0)
    s.add_argument("--duration", type=float, default=60)
    c = sub.add_parser("client")
    c.add_argument("addr")
    c.add_argument("port", type=int)
    c.add_argument("req", type=int)
    c.add_argument("resp", type=int)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--timeout", type=float, default=10)
    args = p.parse_args()
    if args.cmd == "serve":
        serve(args)
        return 0
    return client(args)


if __name__ == "__main__":
    sys.exit(main())
