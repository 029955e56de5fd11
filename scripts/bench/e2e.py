#!/usr/bin/env python3
"""End-to-end latency driver for `make bench` (stdlib only).

Keeps ONE persistent HTTP/1.1 connection to the hub and POSTs one small message every
--interval-ms (default 20 ms), each carrying data.sent_ns = time.time_ns() (wall clock), so the
sink can measure POST -> delivery latency. First --warmup messages (default 50, untimed) bring
up what a running hub already has: its database and destination connections, each writer
connection's prepared statements; the sink is reset once it has them all. Then it polls the sink's GET /stats until every
accepted message has been seen (or --grace seconds pass) and prints one JSON object:

  {"sent", "ok", "non2xx", "errors", "post_ms": {"p50","p99","max"},
   "sink": <the sink's /stats>, "waited_s"}
"""

import argparse
import http.client
import json
import math
import socket
import sys
import time


def percentile(sorted_values, p):
    """Nearest rank, as hub-sink computes it."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(len(sorted_values) * p))
    return sorted_values[min(len(sorted_values), rank) - 1]


def connect(host, port):
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def sink_reset(host, port):
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("POST", "/reset")
        conn.getresponse().read()
    finally:
        conn.close()


def warm_up(conn, args, headers, interval):
    """Untimed messages (no sent_ns) at the run's pace; returns once the sink has them all."""
    for i in range(args.warmup):
        body = json.dumps({"type": "bench.e2e.warmup", "subject": "warm-%d" % i, "data": {"seq": i}}).encode()
        conn.request("POST", "/v1/messages", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if not 200 <= response.status < 300:
            raise SystemExit("e2e: warm-up message %d got HTTP %d" % (i, response.status))
        time.sleep(interval)
    deadline = time.perf_counter() + args.grace
    while sink_stats(args.host, args.sink_port).get("received", 0) < args.warmup:
        if time.perf_counter() > deadline:
            raise SystemExit("e2e: the sink did not receive the %d warm-up messages" % args.warmup)
        time.sleep(0.1)
    sink_reset(args.host, args.sink_port)


def sink_stats(host, port):
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", "/stats")
        response = conn.getresponse()
        return json.loads(response.read())
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--sink-port", type=int, default=9100)
    parser.add_argument("--token", required=True)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--interval-ms", type=float, default=20.0)
    parser.add_argument("--grace", type=float, default=10.0, help="longest wait for the sink to see everything")
    parser.add_argument("--min-wait", type=float, default=2.0, help="shortest wait before reading the sink")
    parser.add_argument("--pad", type=int, default=64, help="bytes of padding in data")
    parser.add_argument("--warmup", type=int, default=50, help="untimed messages sent first")
    args = parser.parse_args()

    headers = {
        "Content-Type": "application/json",
        "Authorization": "Bearer " + args.token,
        "Connection": "keep-alive",
    }
    pad = "p" * args.pad
    interval = args.interval_ms / 1000.0
    conn = connect(args.host, args.port)
    warm_up(conn, args, headers, interval)
    post_ms, ok, non2xx, errors = [], 0, 0, 0
    statuses = {}
    start = time.perf_counter()
    for i in range(args.count):
        due = start + i * interval
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        body = json.dumps(
            {"type": "bench.e2e", "subject": "e2e-%d" % i, "data": {"seq": i, "sent_ns": time.time_ns(), "pad": pad}},
            separators=(",", ":"),
        ).encode()
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/v1/messages", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            errors += 1
            print("e2e: request %d failed: %r; reconnecting" % (i, error), file=sys.stderr)
            conn.close()
            try:
                conn = connect(args.host, args.port)
            except OSError:
                pass
            continue
        post_ms.append((time.perf_counter() - t0) * 1000.0)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if 200 <= response.status < 300:
            ok += 1
        else:
            non2xx += 1
        if response.will_close:
            conn.close()
            conn = connect(args.host, args.port)
    conn.close()
    sending_s = time.perf_counter() - start

    waited_start = time.perf_counter()
    stats = None
    while True:
        waited = time.perf_counter() - waited_start
        try:
            stats = sink_stats(args.host, args.sink_port)
        except (OSError, ValueError, http.client.HTTPException) as error:
            print("e2e: sink /stats failed: %r" % (error,), file=sys.stderr)
        seen = (stats or {}).get("latency_ms", {}).get("count", 0)
        if waited >= args.min_wait and seen >= ok:
            break
        if waited >= args.grace:
            break
        time.sleep(0.2)

    post_ms.sort()
    print(json.dumps({
        "sent": args.count,
        "ok": ok,
        "non2xx": non2xx,
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "sending_s": round(sending_s, 3),
        "post_ms": {
            "p50": round(percentile(post_ms, 0.50), 3),
            "p99": round(percentile(post_ms, 0.99), 3),
            "max": round(post_ms[-1], 3) if post_ms else 0.0,
        },
        "sink": stats,
        "waited_s": round(time.perf_counter() - waited_start, 3),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
