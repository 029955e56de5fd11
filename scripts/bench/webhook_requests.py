#!/usr/bin/env python3
"""Pre-signed Standard Webhooks requests for the `webhook` phase of `make bench`.

wrk's LuaJIT has no HMAC, so every request is signed here, right before the run it is for
(timestamps are fresh), and scripts/bench/webhook.lua only reads lines. Writes into --out:

  body.json       the one request body every request carries (~--body-bytes bytes, no newline):
                  a vehicle event with `event`, `occurred_at` and `data.vin`
  thread-<N>.txt  for wrk thread N (1-based), one line per request:
                  <webhook-id> TAB <webhook-timestamp> TAB <webhook-signature>

Signature (https://www.standardwebhooks.com/): v1,<base64 HMAC-SHA256> with the key
base64decode(secret without "whsec_") over "{id}.{timestamp}.{body}". Every id is distinct
(run label, thread, counter), so no request is a duplicate of another.

Prints one line, "@gen lines=<per thread> threads=<n> body_bytes=<n> seconds=<n>".
"""

import argparse
import base64
import hashlib
import hmac
import os
import sys
import time


def body_text(target: int) -> bytes:
    def render(pad: str) -> str:
        return (
            '{"event":"vehicle.sold","occurred_at":"2026-11-30T09:15:00Z",'
            '"data":{"vin":"WVWZZZ1JZXW000001","dealer":{"id":"D-1042","name":"Bench Motors"},'
            '"vehicle":{"make":"Volkswagen","model":"Golf","year":2024,"mileage_km":12850},'
            '"sale":{"price":27990.0,"currency":"EUR","customer_id":"C-77812"},'
            '"pad":"' + pad + '"}}'
        )

    probe = len(render("").encode())
    return render("x" * max(0, target - probe)).encode()


def secret_key(secret: str) -> bytes:
    encoded = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    key = base64.b64decode(encoded, validate=True)
    if not key:
        raise SystemExit("empty secret")
    return key


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret", required=True, help="whsec_<base64>, as in the source's verify.secrets")
    parser.add_argument("--out", required=True, help="directory to write body.json and thread-<N>.txt into")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--lines", type=int, required=True, help="signed requests per thread")
    parser.add_argument("--run", required=True, help="a label that keeps ids distinct across runs")
    parser.add_argument("--body-bytes", type=int, default=1024)
    args = parser.parse_args()

    started = time.monotonic()
    key = secret_key(args.secret)
    body = body_text(args.body_bytes)
    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        if name.startswith("thread-") or name == "body.json":
            os.remove(os.path.join(args.out, name))
    with open(os.path.join(args.out, "body.json"), "wb") as f:
        f.write(body)

    timestamp = str(int(time.time()))
    # The HMAC state after the key, copied per request; the body is the same every time.
    base = hmac.new(key, digestmod=hashlib.sha256)
    suffix = ("." + timestamp + ".").encode() + body
    b64 = base64.b64encode
    for thread in range(1, args.threads + 1):
        prefix = "msg_%s_t%d_" % (args.run, thread)
        lines = []
        for n in range(1, args.lines + 1):
            webhook_id = prefix + str(n)
            mac = base.copy()
            mac.update(webhook_id.encode() + suffix)
            lines.append("%s\t%s\tv1,%s\n" % (webhook_id, timestamp, b64(mac.digest()).decode()))
        with open(os.path.join(args.out, "thread-%d.txt" % thread), "w") as f:
            f.writelines(lines)

    print(
        "@gen lines=%d threads=%d body_bytes=%d seconds=%.1f"
        % (args.lines, args.threads, len(body), time.monotonic() - started)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
