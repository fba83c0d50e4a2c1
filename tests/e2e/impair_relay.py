#!/usr/bin/python3
"""A lossy cable between skiff's tap and the Linux kernel, for kernels without netem.

    impair_relay.py --skiff-if sk0 --kernel-tap kt0 --kernel-netns NS2 \
        --loss 0.02 --reorder 0.25 --dup 0.01 --seed 7 --duration 200

It relays Ethernet frames both ways between skiff's tap device (read and
written with an AF_PACKET socket on the kernel end of that tap) and a new tap
device of its own, which it moves into the namespace where the kernel's
peer lives (curl, nc). Each frame, in each direction, is independently:

- dropped with probability --loss;
- sent twice with probability --dup;
- held back with probability --reorder, and sent after the next frame in
  the same direction (or after --hold-ms when none comes): reordering.

Draws come from a seeded PRNG, so a run is reproducible up to timing. The
tap carries whole frames without a virtio-net header, so the kernel
segments and checksums what it sends into it in software: no offload state
leaks through. It prints "ready" when it relays, stops after --duration
seconds or on SIGTERM/SIGINT, and prints its counters to stderr.
"""
import argparse
import fcntl
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
MAX_FRAME = 65536


class direction:
    """Impairment state for one direction of the cable."""

    def __init__(self, name, send, rng, args):
        self.name = name
        self.send = send
        self.rng = rng
        self.args = args
        self.held = None
        self.held_at = 0.0
        self.counts = dict(frames=0, lost=0, duplicated=0, reordered=0)

    def push(self, frame):
        self.counts["frames"] += 1
        if self.rng.random() < self.args.loss:
            self.counts["lost"] += 1
            return
        copies = 2 if self.rng.random() < self.args.dup else 1
        self.counts["duplicated"] += copies - 1
        if self.held is None and self.rng.random() < self.args.reorder:
            self.counts["reordered"] += 1
            self.held = (frame, copies)
            self.held_at = time.monotonic()
            return
        self.emit(frame, copies)
        self.flush()

    def emit(self, frame, copies):
        for _ in range(copies):
            try:
                self.send(frame)
            except OSError:
                pass  # a full queue on the way out: one more loss

    def flush(self, older_than=None):
        if self.held is None:
            return
        if older_than is not None and time.monotonic() - self.held_at < older_than:
            return
        frame, copies = self.held
        self.held = None
        self.emit(frame, copies)


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skiff-if", required=True, help="the kernel end of skiff's tap")
    p.add_argument("--kernel-tap", required=True, help="name of the tap to create")
    p.add_argument("--kernel-netns", help="move that tap into this namespace")
    p.add_argument("--loss", type=float, default=0.0)
    p.add_argument("--dup", type=float, default=0.0)
    p.add_argument("--reorder", type=float, default=0.0)
    p.add_argument("--hold-ms", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--duration", type=float, default=120.0)
    args = p.parse_args()

    tap = open_tap(args.kernel_tap)
    if args.kernel_netns:
        subprocess.run(["ip", "link", "set", args.kernel_tap, "netns", args.kernel_netns],
                       check=True)
    pkt = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    pkt.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    pkt.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    pkt.bind((args.skiff_if, ETH_P_ALL))
    pkt.setblocking(False)

    rng = random.Random(args.seed)
    to_kernel = direction("skiff->kernel", lambda f: os.write(tap, f), rng, args)
    to_skiff = direction("kernel->skiff", pkt.send, rng, args)

    stop = [False]

    def on_signal(signum, frame):
        stop[0] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("ready", flush=True)
    end = time.monotonic() + args.duration
    hold = args.hold_ms / 1000.0
    while not stop[0] and time.monotonic() < end:
        try:
            ready, _, _ = select.select([pkt, tap], [], [], hold)
        except InterruptedError:
            continue
        except OSError:
            break
        if pkt in ready:
            for _ in range(64):
                try:
                    frame, addr = pkt.recvfrom(MAX_FRAME)
                except BlockingIOError:
                    break
                except OSError:  # skiff's tap went away: skiff stopped
                    stop[0] = True
                    break
                if addr[2] != PACKET_OUTGOING:  # not our own writes to the tap
                    to_kernel.push(frame)
        if tap in ready:
            for _ in range(64):
                try:
                    frame = os.read(tap, MAX_FRAME)
                except BlockingIOError:
                    break
                except OSError:
                    stop[0] = True
                    break
                to_skiff.push(frame)
        to_kernel.flush(hold)
        to_skiff.flush(hold)
    for d in (to_kernel, to_skiff):
        print("impair_relay: %s %s" % (d.name, " ".join("%s=%d" % kv for kv in d.counts.items())),
              file=sys.stderr)


if __name__ == "__main__":
    main()
