#!/usr/bin/env python3
"""Figures of a tablecast cluster on Redis (issue 13), in one sitting, everything on 127.0.0.1 and bounded in time.

    Scripts/cluster_bench.py BINARY [--rate 1000] [--clients 1000] [--seconds 20] [what ...]

what (default all):
  fanout     one node with CLIENTS clients, one node with --redis (the stream path alone), and two nodes (owner and
             follower) with CLIENTS/2 clients each, at the same offered event rate: deliveries/s, p50/p99
             emit-to-receive, loss (`tablecast load --json`)
  throughput the owner simulating as fast as it is told (--max-rate, default 50000/s) with --followers followers
             (default 1) and no clients: events published into Redis per second, entries each node read per second,
             and the CPU each process (owner, followers, redis-server) spent per event
  pause      RATE events/s, 100 clients on the follower, Redis paused for 1 s (CLIENT PAUSE 1000 ALL) in the middle:
             the follower's lag and its clients' latency

Prints one JSON line per measurement. The machine's other work shows in the figures: run it on a quiet machine and
compare figures from one sitting only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Cluster:
    def __init__(self, binary: str, work: Path):
        self.binary = binary
        self.work = work
        self.processes = []
        self.redis_port = None

    def redis(self):
        self.redis_port = free_port()
        proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                 "--dir", str(self.work), "--save", "", "--appendonly", "no",
                                 "--logfile", str(self.work / "redis.log")])
        self.processes.append(proc)
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(self.redis_port), "ping"], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        self.redis_proc = proc
        return f"redis://127.0.0.1:{self.redis_port}"

    def node(self, *args):
        port = free_port()
        proc = subprocess.Popen([self.binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--journal",
                                 str(self.work / f"node-{port}.sqlite"), "--log-level", "warning", *args],
                                stdout=subprocess.DEVNULL, stderr=open(self.work / f"node-{port}.log", "w"))
        self.processes.append(proc)
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                get_json(url + "/_tablecast/health")
                return url, proc
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"node {args} did not start; see {self.work}")

    def owner_and_followers(self, rate, followers=1):
        """Redis, followers, then an owner simulating `rate` events/s: (owner url, owner, [(follower url, process)])."""
        redis_url = self.redis()
        nodes = [self.node("--redis", redis_url, "--follow") for _ in range(followers)]
        owner_url, owner = self.node("--redis", redis_url, "--scenario", "steady-load", "--rate", f"{rate}/s")
        return owner_url, owner, nodes

    def stop(self):
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.send_signal(2)
        for proc in reversed(self.processes):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.processes = []


@contextlib.contextmanager
def running_cluster(binary: str):
    """A Cluster in a temporary directory, stopped (gracefully) at the end."""
    with tempfile.TemporaryDirectory(prefix="tablecast-cluster-bench.") as work:
        cluster = Cluster(binary, Path(work))
        try:
            yield cluster
        finally:
            cluster.stop()


def load(binary: str, url: str, clients: int, seconds: int, ramp: str = "5s") -> dict:
    result = subprocess.run([binary, "load", url + "/events", "--clients", str(clients), "--ramp", ramp,
                             "--duration", f"{seconds}s", "--json"], capture_output=True, text=True,
                            timeout=seconds + 120)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return {key: report[key] for key in ("connected", "deliveriesPerSecond", "delivered", "expected", "lost",
                                         "duplicates", "reordered")} | {
        "p50_ms": report["latency"]["p50"] / 1000, "p99_ms": report["latency"]["p99"] / 1000,
        "max_ms": report["latency"]["max"] / 1000}


def fanout(binary, rate, clients, seconds):
    for label in ("one node", "one node, --redis", "two nodes"):
        with running_cluster(binary) as cluster:
            pace = ["--scenario", "steady-load", "--rate", f"{rate}/s"]
            if label == "one node":
                url, _ = cluster.node(*pace)
                reports = [load(binary, url, clients, seconds)]
            else:
                redis_url = cluster.redis()
                follower_url = None
                if label == "two nodes":
                    follower_url, _ = cluster.node("--redis", redis_url, "--follow")
                owner_url, _ = cluster.node("--redis", redis_url, *pace)
                if follower_url is None:
                    reports = [load(binary, owner_url, clients, seconds)]
                else:
                    results = {}
                    threads = [threading.Thread(target=lambda u=u: results.__setitem__(
                        u, load(binary, u, clients // 2, seconds))) for u in (owner_url, follower_url)]
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join()
                    reports = [results[owner_url], results[follower_url]]
            print(json.dumps({"measure": "fanout", "setup": label, "rate": rate, "clients": clients,
                              "deliveriesPerSecond": round(sum(r["deliveriesPerSecond"] for r in reports)),
                              "lost": sum(r["lost"] for r in reports), "nodes": reports}), flush=True)


def throughput(binary, max_rate, seconds, followers):
    with running_cluster(binary) as cluster:
        owner_url, owner, nodes = cluster.owner_and_followers(max_rate, followers)
        time.sleep(2)
        pids = {"owner": owner.pid, "redis": cluster.redis_proc.pid}
        pids.update({f"follower{i + 1}": proc.pid for i, (_, proc) in enumerate(nodes)})
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        urls = [owner_url] + [url for url, _ in nodes]
        before = [get_json(url + "/_tablecast/health")["redis"] for url in urls]
        t0 = time.monotonic()
        time.sleep(seconds)
        after = [get_json(url + "/_tablecast/health")["redis"] for url in urls]
        elapsed = time.monotonic() - t0
        cpu = {name: cpu_seconds(pid) - cpu0[name] for name, pid in pids.items()}
        published = after[0]["published"] - before[0]["published"]
        print(json.dumps({
            "measure": "throughput", "offered": max_rate, "followers": followers,
            "publishedPerSecond": round(published / elapsed),
            "readPerSecond": [round((a["read"] - b["read"]) / elapsed) for a, b in zip(after, before)],
            "ownerBacklogAtEnd": after[0]["backlog"], "lagSecondsAtEnd": [a["lagSeconds"] for a in after[1:]],
            "cpuMicrosecondsPerEvent": {name: round(seconds_ * 1e6 / max(published, 1), 1)
                                        for name, seconds_ in cpu.items()},
            "cpuShare": {name: round(seconds_ / elapsed, 2) for name, seconds_ in cpu.items()},
        }), flush=True)


def pause(binary, rate, seconds):
    with running_cluster(binary) as cluster:
        owner_url, _, [(follower_url, _)] = cluster.owner_and_followers(rate)
        lags = []
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                state = get_json(follower_url + "/_tablecast/health")["redis"]
                owner_state = get_json(owner_url + "/_tablecast/health")["redis"]
                lags.append((time.monotonic(), state["lagSeconds"], owner_state["backlog"]))
                time.sleep(0.1)

        def pause_redis():
            time.sleep(5 + seconds / 2)
            subprocess.run(["redis-cli", "-p", str(cluster.redis_port), "CLIENT", "PAUSE", "1000", "ALL"],
                           check=True, capture_output=True)

        watcher = threading.Thread(target=watch)
        pauser = threading.Thread(target=pause_redis)
        watcher.start()
        pauser.start()
        report = load(binary, follower_url, 100, seconds)
        pauser.join()
        stop.set()
        watcher.join()
        print(json.dumps({"measure": "pause", "rate": rate, "pausedMs": 1000,
                          "followerMaxLagSeconds": max(lag for _, lag, _ in lags),
                          "ownerMaxBacklog": max(backlog for _, _, backlog in lags),
                          "followerClients": report}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("what", nargs="*", default=["fanout", "throughput", "pause"])
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--max-rate", type=int, default=50000)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--followers", type=int, default=1, help="followers in the throughput measurement")
    args = parser.parse_args()
    for what in args.what:
        if what == "fanout":
            fanout(args.binary, args.rate, args.clients, args.seconds)
        elif what == "throughput":
            throughput(args.binary, args.max_rate, min(args.seconds, 10), args.followers)
        elif what == "pause":
            pause(args.binary, args.rate, args.seconds)
        else:
            sys.exit(f"unknown measurement {what!r}: fanout, throughput or pause")


if __name__ == "__main__":
    main()
