#!/usr/bin/env python3
"""Writes COUNT XADD commands (RESP, for `redis-cli --pipe`) of ~BYTES-byte JSON entries to stdout.

    redis_fill.py STREAM COUNT BYTES | redis-cli -p PORT --pipe
"""
import sys


def bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


def main() -> None:
    stream, count, size = sys.argv[1].encode(), int(sys.argv[2]), int(sys.argv[3])
    out = sys.stdout.buffer
    for n in range(1, count + 1):
        head = b'{"kind":"updated","vin":"VIN%08d","seq":%d,"pad":"' % (n, n)
        pad = b"s" * max(0, size - len(head) - 2)
        out.write(b"*5\r\n" + bulk(b"XADD") + bulk(stream) + bulk(b"*") + bulk(b"data") + bulk(head + pad + b'"}'))


if __name__ == "__main__":
    main()
