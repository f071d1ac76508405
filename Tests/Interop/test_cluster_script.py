"""`Scripts/cluster.sh N`: Redis, N tablecast nodes and nginx in front, on loopback, in one command; clients on
long-polling stay on their node through nginx's cookie, writes reach the owner, and SIGTERM stops everything."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

from redis_kit import free_port
from tablecast_testkit import EventListener, HTTP_TIMEOUT, REPO_ROOT, post_emit, tablecast_binary, wait_until


def port_open(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), 0.2).close()
        return True
    except OSError:
        return False


def test_cluster_script_runs_a_cluster_behind_nginx_and_stops_it(tmp_path):
    port = free_port()
    env = dict(os.environ, CLUSTER_PORT=str(port), CLUSTER_DIR=str(tmp_path / "cluster"),
               TABLECAST_BIN=str(tablecast_binary()))
    script = subprocess.Popen([str(REPO_ROOT / "Scripts" / "cluster.sh"), "2", "--", "--rate", "100/s"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = script.stdout.readline()
            assert line, "cluster.sh ended early:\n" + "".join(lines)
            lines.append(line)
            if "tablecast cluster listening on" in line:
                break
        text = "".join(lines)
        owner = re.search(r"owner:\s+http://(\S+)", text).group(1)
        follower = re.search(r"follower: http://(\S+)", text).group(1)
        base = f"http://localhost:{port}"
        # Long-polling only: each session's requests must reach the node that holds it.
        listeners = [EventListener(base + "/events", transports=["polling"]) for _ in range(4)]
        try:
            wait_until(lambda: all(len(listener.received()) >= 100 for listener in listeners), timeout=30,
                       message="polling clients behind nginx did not get 100 events each")
            assert all(listener.connects == 1 and not listener.disconnect_reasons for listener in listeners)
            # nginx sent them to both nodes in turn.
            counts = [requests.get(f"http://{node}/_tablecast/health", timeout=HTTP_TIMEOUT).json()["clients"]
                      for node in (owner, follower)]
            assert counts == [2, 2], counts
            # A write through nginx reaches the owner.
            seq = post_emit(base, "hello", '{"from":"nginx"}')
            wait_until(lambda: all(("hello", {"from": "nginx"}) in listener.received() for listener in listeners),
                       timeout=10)
            assert seq > 0
        finally:
            for listener in listeners:
                listener.close()
        script.send_signal(signal.SIGTERM)
        output, _ = script.communicate(timeout=30)
        assert script.returncode == 0, output
        assert "stopped; journals and logs are in" in output
        wait_until(lambda: not port_open(owner) and not port_open(follower) and not port_open(f"127.0.0.1:{port}"),
                   timeout=10, message="a node or nginx still listens after the script stopped")
        # The nodes shut down gracefully: both journals hold the same events.
        import sqlite3
        journals = []
        for name in ("node-1.sqlite", "node-2.sqlite"):
            with sqlite3.connect(tmp_path / "cluster" / name) as db:
                journals.append(db.execute("SELECT name, payload FROM events ORDER BY seq").fetchall())
        assert journals[0] == journals[1] and len(journals[0]) >= 100
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)


def test_cluster_script_refuses_a_bad_count(tmp_path):
    result = subprocess.run([str(REPO_ROOT / "Scripts" / "cluster.sh"), "two"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert "N must be a number of nodes" in result.stderr
