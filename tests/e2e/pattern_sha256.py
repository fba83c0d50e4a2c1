#!/usr/bin/python3
"""Print the sha256 of the first N bytes of skiff's test pattern.

The pattern (apps/httpd/pattern.h, served by skiff-httpd at /bytes/N and sent
by skiff-nc --send-bytes N) is the little-endian 64-bit words
w_k = (k + 1) * 0x9E3779B97F4A7C15 mod 2^64, k = 0, 1, 2, ...
This computes it independently of the C++ code. Usage: pattern_sha256.py N
"""
import hashlib
import struct
import sys

MULT = 0x9E3779B97F4A7C15
MASK = (1 << 64) - 1
WORDS_PER_CHUNK = 1 << 16


def pattern_chunks(n):
    """The first n bytes of the pattern, in chunks of up to 512 KiB."""
    words = (n + 7) // 8
    left = n
    for start in range(0, words, WORDS_PER_CHUNK):
        end = min(words, start + WORDS_PER_CHUNK)
        vals = [((k + 1) * MULT) & MASK for k in range(start, end)]
        chunk = struct.pack("<%dQ" % len(vals), *vals)
        yield chunk[:left]
        left -= len(chunk)


def pattern_sha256(n):
    h = hashlib.sha256()
    for chunk in pattern_chunks(n):
        h.update(chunk)
    return h.hexdigest()


if __name__ == "__main__":
    print(pattern_sha256(int(sys.argv[1])))
