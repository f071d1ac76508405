"""`tablecast load` through the real binary: a clean run against tablecast, and its loss, duplicate and reorder
detection against a server that drops, repeats and reorders on purpose."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tablecast_testkit import tablecast_binary

HERE = Path(__file__).resolve().parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(url, *args, timeout=120):
    result = subprocess.run([str(tablecast_binary()), "load", url, *args, "--json"], capture_output=True, text=True,
                            timeout=timeout)
    return result, (json.loads(result.stdout) if result.stdout.strip().startswith("{") else None)


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_load_against_tablecast_is_clean_and_measures_latency(servers, transport):
    server = servers.serve(idle=False, extra=["--scenario", "steady-load", "--rate", "500/s"])
    result, report = load(server.url + "/events", "--clients", "20", "--ramp", "1s", "--duration", "3s",
                          "--transport", transport)
    assert result.returncode == 0, result.stderr + result.stdout
    assert report["connected"] == 20 and report["failed"] == 0 and report["disconnected"] == 0
    assert report["lost"] == 0 and report["duplicates"] == 0 and report["reordered"] == 0
    assert report["delivered"] == report["expected"] > 20 * 500
    assert report["deliveries"] > 0 and report["deliveriesPerSecond"] > 0 and report["untraced"] == 0
    latency = report["latency"]
    assert latency["count"] == report["received"] and 0 <= latency["p50"] <= latency["p99"] <= latency["max"]
    assert report["serverLastSeq"] > 0


@pytest.mark.parametrize("health", ["steady", "flaky-health"])
def test_load_detects_loss_duplicates_and_reordering(tmp_path, health):
    """Exact counts against a server that drops, repeats and reorders; with `flaky-health` the first request for the
    server's last seq fails, and the load client asks again rather than report without it."""
    port = free_port()
    clients = 5
    emitter = subprocess.Popen([sys.executable, str(HERE / "sio_traced_emitter.py"), str(port), str(clients), health],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert emitter.stdout.readline().startswith("emitter listening")
        result, report = load(f"http://127.0.0.1:{port}/events", "--clients", str(clients), "--duration", "3s")
    finally:
        emitter.kill()
        emitter.wait(5)
    assert result.returncode == 1, result  # not clean
    assert report["serverLastSeq"] == 100
    assert report["expected"] == 100 * clients
    assert report["lost"] == 1 * clients
    assert report["duplicates"] == 1 * clients
    assert report["reordered"] == 1 * clients
    assert report["delivered"] == 99 * clients


def test_load_bad_input(tmp_path):
    result = subprocess.run([str(tablecast_binary()), "load", f"http://127.0.0.1:{free_port()}/events", "--clients",
                             "3", "--duration", "1s"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "failed or disconnected clients: 3" in result.stdout, result
    bad = subprocess.run([str(tablecast_binary()), "load", "ftp://x", "--clients", "3"], capture_output=True, text=True)
    assert bad.returncode == 64
    bad = subprocess.run([str(tablecast_binary()), "load", "http://127.0.0.1:1/events", "--transport", "carrier-pigeon"],
                         capture_output=True, text=True)
    assert bad.returncode == 64 and "--transport" in bad.stderr


def test_a_busy_broadcast_loop_still_answers_requests_and_heartbeats(servers):
    """Events arriving faster than a loop can flush them must not keep the loop out of its sockets.

    The simulator emits as fast as it can to 50 load clients (a debug build: every flush finds the next events
    waiting). Requests are read by the same loops, so the health endpoint must keep answering. (The clients fall
    behind here and are dropped, for a backlog or a heartbeat stuck behind it: the server doing its job.)
    """
    server = servers.serve(idle=False, extra=["--scenario", "steady-load", "--rate", "200000/s"])
    args = [str(tablecast_binary()), "load", server.url + "/events", "--clients", "50", "--ramp", "1s",
            "--duration", "6s", "--json"]
    loader = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    slowest = 0.0
    answers = 0
    try:
        while loader.poll() is None:
            began = time.monotonic()
            r = requests.get(server.url + "/_tablecast/health", timeout=60)
            assert r.status_code == 200
            slowest = max(slowest, time.monotonic() - began)
            answers += 1
            time.sleep(0.2)
        out, err = loader.communicate(timeout=60)
    finally:
        if loader.poll() is None:
            loader.kill()
    report = json.loads(out)
    assert report["connected"] == 50, err
    assert answers >= 10
    print(f"health: {answers} answers, slowest {slowest:.3f} s")
    assert slowest < 3.0, f"the health endpoint took {slowest:.1f} s to answer while broadcasting"
