"""`tablecast record` against real Socket.IO servers: python-socketio's (with the connection cut in the middle) and
tablecast's own, over each transport; and the bad inputs that must leave journals alone."""

import json
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tablecast_testkit import HTTP_TIMEOUT, post_emit, tablecast_binary, wait_for_clients, wait_until

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from sio_emitter import NAMES, payload  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_emitter(port, first):
    proc = subprocess.Popen([sys.executable, str(HERE / "sio_emitter.py"), str(port), str(first)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    assert line.startswith("emitter listening"), line
    return proc


def start_record(url, out, *extra):
    return subprocess.Popen([str(tablecast_binary()), "record", url, "--out", str(out), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def recorded(path):
    """The recording's events, gaps and run; nothing while the recorder is still creating the file."""
    try:
        return _recorded(path)
    except sqlite3.OperationalError:
        return [], [], []


def _recorded(path):
    with sqlite3.connect(path) as db:
        events = db.execute("SELECT seq, namespace, name, payload FROM events ORDER BY seq").fetchall()
        gaps = db.execute("SELECT after_seq, kind, spec FROM faults ORDER BY id").fetchall()
        run = db.execute("SELECT source, meta_json FROM runs").fetchall()
    return events, gaps, run


def python_bytes(n):
    """What python-socketio writes for payload(n): compact separators, non-ASCII escaped."""
    return json.dumps(payload(n), separators=(",", ":")).encode()


@pytest.mark.parametrize("transport", ["websocket", "polling", "upgrade"])
def test_record_survives_a_cut_connection_and_journals_the_gap(tmp_path, transport):
    port = free_port()
    out = tmp_path / "incident.sqlite"
    first = start_emitter(port, 1)
    recorder = None
    try:
        recorder = start_record(f"http://127.0.0.1:{port}/events", out, "--transport", transport,
                                "--duration", "8s")
        wait_until(lambda: out.exists() and recorded(out)[0] and len(recorded(out)[0]) >= 100, timeout=20,
                   message="the recorder did not record 100 events")
        first.kill()
        first.wait(5)
        time.sleep(1.0)
        second = start_emitter(port, 100_000)
        try:
            stdout, stderr = recorder.communicate(timeout=30)
        finally:
            second.kill()
            second.wait(5)
    finally:
        first.kill()
        if recorder and recorder.poll() is None:
            recorder.kill()
    assert recorder.returncode == 0, stderr
    events, gaps, run = recorded(out)
    assert run[0][0] == "record" and json.loads(run[0][1]) == {"recordedFrom": f"http://127.0.0.1:{port}/events",
                                                               "transport": transport}
    before = [e for e in events if json.loads(e[3])["n"] < 100_000]
    after = [e for e in events if json.loads(e[3])["n"] >= 100_000]
    assert len(before) >= 100 and len(after) >= 10, (len(before), len(after))
    # Byte for byte what python-socketio sent, in order, on the recorded namespace.
    numbers = [json.loads(e[3])["n"] for e in events]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    for seq, namespace, name, data in events:
        n = json.loads(data)["n"]
        assert namespace == "/events" and name == NAMES[n % len(NAMES)] and data == python_bytes(n)
    # Each side of the cut is gap-free, and the gap sits between them.
    assert [json.loads(e[3])["n"] for e in before] == list(range(numbers[0], numbers[0] + len(before)))
    assert len(gaps) == 1 and gaps[0][1] == "gap" and gaps[0][0] == before[-1][0]
    spec = json.loads(gaps[0][2])
    assert spec["from"] < spec["to"] and spec["reason"]
    assert f"{len(events)} events" in stdout and "1 gaps" in stdout and "duration 8s reached" in stdout
    assert "  gap " in stdout


@pytest.mark.parametrize("transport", ["websocket", "polling", "upgrade"])
def test_record_from_tablecast_keeps_the_bytes_it_served(servers, tmp_path, transport):
    server = servers.serve()
    out = tmp_path / "copy.sqlite"
    recorder = start_record(server.url + "/events", out, "--transport", transport, "--until-idle", "2s")
    try:
        wait_for_clients(server.url, 1)
        with requests.Session() as session:
            for i in range(300):
                post_emit(server.url, "order:created" if i % 2 else "weird/name", '{"i":%d,"s":"\\u00e9 / x"}' % i,
                          variant=i, session=session)
        stdout, stderr = recorder.communicate(timeout=30)
    finally:
        if recorder.poll() is None:
            recorder.kill()
    assert recorder.returncode == 0, stderr
    assert "no event for 2s" in stdout
    server.stop()
    with sqlite3.connect(server.journal_path) as db:
        served = db.execute("SELECT name, payload FROM events ORDER BY seq").fetchall()
    events, gaps, _ = recorded(out)
    assert [(name, data) for _, _, name, data in events] == served and gaps == []


def test_sigint_stops_the_recording_with_everything_committed(servers, tmp_path):
    server = servers.serve(idle=False, extra=["--time-scale", "1200x"])
    out = tmp_path / "live.sqlite"
    recorder = start_record(server.url + "/events", out)
    try:
        wait_until(lambda: out.exists() and len(recorded(out)[0]) >= 20, timeout=30)
        recorder.send_signal(2)
        stdout, stderr = recorder.communicate(timeout=20)
    finally:
        if recorder.poll() is None:
            recorder.kill()
    assert recorder.returncode == 0, stderr
    events, _, _ = recorded(out)
    assert f"{len(events)} events" in stdout and "stopped: signal" in stdout


def test_what_cannot_be_recorded_gets_one_line_and_touches_no_journal(servers, tmp_path):
    server = servers.serve()
    existing = tmp_path / "existing.sqlite"
    assert subprocess.run([str(tablecast_binary()), "simulate", "--events", "10", "--out", str(existing)],
                          capture_output=True).returncode == 0
    before = existing.read_bytes()
    http_port = free_port()
    plain = subprocess.Popen([sys.executable, "-m", "http.server", str(http_port), "--bind", "127.0.0.1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: requests.get(f"http://127.0.0.1:{http_port}/", timeout=1).ok, timeout=10)
        cases = [
            (f"http://127.0.0.1:{free_port()}/events", "connection refused"),
            (server.url + "/nope", "Invalid namespace"),
            (f"http://127.0.0.1:{http_port}/events", "not a Socket.IO server"),
        ]
        for url, fragment in cases:
            result = subprocess.run([str(tablecast_binary()), "record", url, "--out", str(existing)],
                                    capture_output=True, text=True, timeout=60)
            assert result.returncode == 1, (url, result)
            lines = [line for line in result.stderr.strip().splitlines() if line.startswith("error: ")]
            assert len(lines) == 1 and fragment in lines[0], (url, result.stderr)
            assert "\n" not in lines[0]
            assert existing.read_bytes() == before
            missing = tmp_path / "never.sqlite"
            subprocess.run([str(tablecast_binary()), "record", url, "--out", str(missing)], capture_output=True,
                           timeout=60)
            assert not missing.exists()
    finally:
        plain.kill()
    bad = subprocess.run([str(tablecast_binary()), "record", "ftp://x/events", "--out", str(existing)],
                         capture_output=True, text=True)
    assert bad.returncode == 64 and "URL must be" in bad.stderr
