#!/usr/bin/env python3
"""A/B of fan-out between two builds, alternating in one sitting (the machine is noisy: compare ratios, not
absolutes). Each round runs `serve --scenario steady-load --rate R/s` and `load --clients N --duration D --json`
against it, once per build, in alternating order, and reads the CPU time each process used from /proc.

    # the server changes, the load client is the same (B's):
    Scripts/fanout_ab.py --vary server A_BINARY B_BINARY --rounds 3 --rate 4000 --clients 500 --duration 20
    # the load client changes, the server is the same (B's):
    Scripts/fanout_ab.py --vary load A_BINARY B_BINARY --rounds 3

Prints one line per run and a summary of medians per build: deliveries/s, p50 and p99 latency (ms), server and load
CPU per million deliveries (s). Everything binds 127.0.0.1; every run is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
import urllib.request

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the command's ")".
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_healthy(url: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_tablecast/health", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def run_once(server_bin: str, load_bin: str, args, port: int, directory: str) -> dict:
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([server_bin, "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--journal", f"{directory}/{port}.sqlite", "--scenario", "steady-load",
                               "--rate", f"{args.rate}/s", "--log-level", "warning"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(url)
        time.sleep(1)
        server_before = cpu_seconds(server.pid)
        load = subprocess.Popen([load_bin, "load", f"{url}/events", "--clients", str(args.clients), "--ramp", "3s",
                                 "--duration", f"{args.duration}s", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        load_cpu = 0.0
        server_cpu = 0.0
        deadline = time.monotonic() + args.duration + 120
        while load.poll() is None and time.monotonic() < deadline:
            try:
                load_cpu = cpu_seconds(load.pid)
                server_cpu = cpu_seconds(server.pid) - server_before
            except (FileNotFoundError, ProcessLookupError):
                pass
            time.sleep(0.2)
        if load.poll() is None:
            load.kill()
            raise SystemExit("the load client did not finish in time")
        report = json.loads(load.stdout.read())
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    received = max(report["received"], 1)
    return {
        "deliveriesPerSecond": report["deliveriesPerSecond"],
        "p50": report["latency"]["p50"] / 1000,
        "p99": report["latency"]["p99"] / 1000,
        "lost": report["lost"],
        "serverCPUPerMillion": server_cpu / received * 1e6,
        "loadCPUPerMillion": load_cpu / received * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--vary", choices=["server", "load"], default="server")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--duration", type=int, default=20)
    args = parser.parse_args()
    results: dict[str, list[dict]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory() as directory:
        for round_index in range(args.rounds):
            order = ["A", "B"] if round_index % 2 == 0 else ["B", "A"]
            for label in order:
                varied = args.a if label == "A" else args.b
                server_bin, load_bin = (varied, args.b) if args.vary == "server" else (args.b, varied)
                result = run_once(server_bin, load_bin, args, 4790 + round_index * 2 + (label == "B"), directory)
                results[label].append(result)
                print(json.dumps({"round": round_index + 1, "build": label, **result}), flush=True)
    summary = {}
    for label, runs in results.items():
        summary[label] = {key: round(statistics.median(run[key] for run in runs), 3) for key in runs[0]}
    for key in summary["A"]:
        a, b = summary["A"][key], summary["B"][key]
        ratio = f"{b / a:.3f}" if a else "-"
        print(f"{key:22} A {a:>12}  B {b:>12}  B/A {ratio}")


if __name__ == "__main__":
    main()
