#!/usr/bin/env python3
"""How fast a tablecast server answers HTTP while it works: p50/p90/p99/max per path.

Requests each path in turn on one keep-alive connection (a fresh one if the server closes it), one request every
`--interval` seconds, for `--duration` seconds, and prints one line per path. Standard library only, and light
(one request at a time, sleeping between them), so that on a loaded machine it measures the server, not itself.

    Scripts/http_probe.py http://127.0.0.1:4000 /tables '/orders?status=pending' /_tablecast/health \
        --duration 30 --interval 0.02 [--token TOKEN] [--json]
"""

import argparse
import http.client
import json
import sys
import time
import urllib.parse


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the server, e.g. http://127.0.0.1:4000")
    parser.add_argument("paths", nargs="+", help="paths to request, e.g. /tables")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds to probe (default 30)")
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between requests (default 0.02)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds before a request counts as failed")
    parser.add_argument("--token", help="a control token, sent as a Bearer token")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.duration <= 0 or args.duration > 3600:
        parser.error("--duration must be in (0, 3600]")
    if args.interval <= 0:
        parser.error("--interval must be positive")

    base = urllib.parse.urlsplit(args.base)
    if base.scheme != "http" or not base.hostname:
        parser.error(f"base must be http://HOST:PORT; got {args.base!r}")
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    samples = {path: [] for path in args.paths}
    errors = {path: 0 for path in args.paths}
    connection = None
    deadline = time.monotonic() + args.duration
    turn = 0
    next_due = time.monotonic()
    while time.monotonic() < deadline:
        path = args.paths[turn % len(args.paths)]
        turn += 1
        if connection is None:
            connection = http.client.HTTPConnection(base.hostname, base.port or 80, timeout=args.timeout)
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            if response.status != 200:
                errors[path] += 1
            else:
                samples[path].append(elapsed * 1000.0)
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException):
            errors[path] += 1
            connection.close()
            connection = None
        next_due += args.interval
        pause = next_due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            next_due = time.monotonic()

    report = {}
    for path in args.paths:
        values = sorted(samples[path])
        report[path] = {
            "count": len(values),
            "errors": errors[path],
            "p50_ms": round(percentile(values, 0.50), 3),
            "p90_ms": round(percentile(values, 0.90), 3),
            "p99_ms": round(percentile(values, 0.99), 3),
            "max_ms": round(values[-1], 3) if values else float("nan"),
        }
    if args.json:
        print(json.dumps(report))
    else:
        for path, figures in report.items():
            print(f"{path}: {figures['count']} answers, {figures['errors']} errors; ms p50 {figures['p50_ms']}, "
                  f"p90 {figures['p90_ms']}, p99 {figures['p99_ms']}, max {figures['max_ms']}")
    return 1 if any(errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
