#!/usr/bin/env python3
"""How long one small durable write takes on this disk: what every durable commit waits for.

  fsync_probe.py DIR [COUNT]   writes 8 KiB + fdatasync COUNT times (default 200) in DIR and
                               prints "p50_ms p99_ms" of the fdatasync calls.
"""
import os
import sys
import time

directory = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
path = os.path.join(directory, "fsync-probe.tmp")
block = b"\0" * 8192
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
try:
    samples = []
    for i in range(count):
        os.pwrite(fd, block, (i % 64) * len(block))
        start = time.perf_counter()
        os.fdatasync(fd)
        samples.append((time.perf_counter() - start) * 1000.0)
finally:
    os.close(fd)
    os.unlink(path)
samples.sort()
print("%.3f %.3f" % (samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.99))]))
