"""Bounded memory, backpressure, payload caps and the journal's guarantees, on real processes and real files.

- Thousands of large events through the control and REST APIs leave RSS where it was.
- A journal that cannot keep up (its file locked by another writer) holds its sources back: emits are answered 503
  with Retry-After, the simulation waits; nothing acknowledged is dropped.
- A payload past maxPayload is answered 413.
- `--durability committed`: after a `kill -9` under load, the journal holds every event a client received, and it
  passes `PRAGMA integrity_check` and `journal verify`.
- A full disk (RLIMIT_FSIZE) turns emits into 503 with SQLite's message, and every event acknowledged before is in
  the journal.
"""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

from tablecast_testkit import (
    HTTP_TIMEOUT,
    RawWebSocket,
    emit_body,
    expected_frame,
    health,
    read_journal,
    tablecast_binary,
    wait_until,
    ws_join_namespace,
)


def payload_of(size: int, marker: int) -> str:
    return json.dumps({"n": marker, "text": "x" * size}, separators=(",", ":"))


def test_thousands_of_large_events_through_the_apis_leave_rss_where_it_was(servers):
    server = servers.serve()
    base = server.url
    http = requests.Session()
    users = http.get(f"{base}/users", timeout=HTTP_TIMEOUT).json()
    author = users[0]["id"]
    message = http.post(f"{base}/messages", json={"authorId": author, "content": "hi"}, timeout=HTTP_TIMEOUT).json()

    def emit_many(count: int, offset: int) -> None:
        for i in range(count):
            body = emit_body("staff:note", payload_of(10_000, offset + i))
            response = http.post(f"{base}/_tablecast/emit", data=body, timeout=HTTP_TIMEOUT,
                                 headers={"Content-Type": "application/json"})
            assert response.status_code == 202, response.text

    def edit_many(count: int, offset: int) -> None:
        for i in range(count):
            response = http.patch(f"{base}/messages/{message['id']}", timeout=HTTP_TIMEOUT,
                                  json={"content": f"{offset + i} " + "y" * 10_000})
            assert response.status_code == 200, response.text

    # Warm up: the first thousand or so fill what is kept on purpose (the fault injector's last 1,000 transitions,
    # the broadcaster's ring, allocator arenas); after that nothing may grow.
    emit_many(1500, 0)
    edit_many(500, 0)
    time.sleep(1.0)
    before = server.rss_kib()
    emit_many(3000, 10_000)
    edit_many(1500, 10_000)
    time.sleep(1.0)
    after = server.rss_kib()
    # 4,500 events of 10 KB: a leak of each event's bytes would be 45 MB and more.
    assert after - before < 15 * 1024, f"RSS grew from {before} KiB to {after} KiB"


def hold_write_lock(journal_path, seconds: float) -> threading.Thread:
    """Locks the journal for writing from another connection for `seconds`, so the server's writer waits."""
    locked = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(str(journal_path), timeout=10, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        connection.execute("ROLLBACK")
        connection.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert locked.wait(10), "could not lock the journal"
    return thread


def test_a_journal_that_falls_behind_answers_503_and_drops_nothing_acknowledged(servers):
    server = servers.serve(extra=["--journal-backlog", "64KiB"])
    base = server.url
    outcomes: list = []
    lock = threading.Lock()

    def sender(worker: int) -> None:
        http = requests.Session()
        for i in range(30):
            text = payload_of(40_000, worker * 1000 + i)
            response = http.post(f"{base}/_tablecast/emit", data=emit_body("staff:note", text),
                                 headers={"Content-Type": "application/json"}, timeout=30)
            with lock:
                outcomes.append((response.status_code, response.headers.get("Retry-After"), text,
                                 response.json()))

    locker = hold_write_lock(server.journal_path, 1.5)
    senders = [threading.Thread(target=sender, args=(worker,)) for worker in range(4)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(60)
    locker.join(10)

    refused = [outcome for outcome in outcomes if outcome[0] == 503]
    accepted = [outcome for outcome in outcomes if outcome[0] == 202]
    assert len(outcomes) == 120
    assert refused, "no emit was held back while the journal was locked"
    assert accepted
    for status, retry_after, _, body in refused:
        assert retry_after == "1"
        assert "the journal is behind" in body["error"]
    server.stop()
    _, events = read_journal(server.journal_path)
    journaled = {bytes(event["payload"]).decode() for event in events}
    missing = [text for _, _, text, _ in accepted if text not in journaled]
    assert not missing, f"{len(missing)} acknowledged events are not in the journal"
    assert len(events) == len(accepted)


def test_a_simulation_waits_for_a_journal_that_falls_behind(servers):
    server = servers.serve(extra=["--rate", "2000/s", "--journal-backlog", "16KiB"], idle=False)
    base = server.url
    wait_until(lambda: health(base)["lastSeq"] > 200, timeout=20)
    locker = hold_write_lock(server.journal_path, 2.0)
    time.sleep(0.5)
    during = health(base)["lastSeq"]
    time.sleep(1.0)
    # Held back: at 2,000/s a second would add 2,000 events; the bound lets a few dozen through at most.
    assert health(base)["lastSeq"] - during < 100
    locker.join(10)
    wait_until(lambda: health(base)["lastSeq"] > during + 1000, timeout=20)
    server.stop()
    result = subprocess.run([str(tablecast_binary()), "journal", "verify", str(server.journal_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    _, events = read_journal(server.journal_path)
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))


def test_a_payload_past_max_payload_is_refused_with_413(servers):
    server = servers.serve(extra=["--max-payload", "1000"])
    base = server.url

    def emit(payload_text: str) -> requests.Response:
        return requests.post(f"{base}/_tablecast/emit", data=emit_body("staff:note", payload_text),
                             headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT)

    at_limit = '"' + "x" * 998 + '"'
    assert emit(at_limit).status_code == 202
    over = emit('"' + "x" * 999 + '"')
    assert over.status_code == 413
    assert over.json()["field"] == "payload"
    assert "maxPayload of 1000 bytes" in over.json()["error"]
    huge = emit('"' + "x" * 200_000 + '"')
    assert huge.status_code == 413
    assert health(base)["lastSeq"] == 1


def test_after_kill_9_under_load_the_committed_journal_holds_every_event_a_client_received(servers):
    server = servers.serve(extra=["--durability", "committed", "--rate", "3000/s"], idle=False)
    client, _ = ws_join_namespace(server.ws_url, "/events")
    received: list = []
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        received.append(client.recv_text_raw(timeout=5.0))
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    server.stopped = True
    server.returncode = -9
    # Whatever arrived in flight before the kill counts too.
    time.sleep(0.3)
    for kind, value in client.drain():
        if kind == "text":
            received.append(value.encode("utf-8"))
    client.close()

    connection = sqlite3.connect(str(server.journal_path))
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()
    _, events = read_journal(server.journal_path)
    journaled = [expected_frame("/events", event["name"], bytes(event["payload"]).decode()) for event in events]
    events_received = [frame for frame in received if frame.startswith(b"42/events,")]
    assert len(events_received) > 1000
    first = journaled.index(events_received[0])
    assert journaled[first:first + len(events_received)] == events_received, (
        "a client received an event the journal does not hold"
    )
    result = subprocess.run([str(tablecast_binary()), "journal", "verify", str(server.journal_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_full_disk_answers_503_and_keeps_every_acknowledged_event(servers):
    def small_disk() -> None:
        # A file size limit stands in for a full disk: writes past it fail with EFBIG (SIGXFSZ ignored).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))

    server = servers.serve(preexec_fn=small_disk)
    base = server.url
    http = requests.Session()
    acknowledged = []
    failure = None
    for i in range(400):
        text = payload_of(20_000, i)
        response = http.post(f"{base}/_tablecast/emit", data=emit_body("staff:note", text),
                             headers={"Content-Type": "application/json"}, timeout=30)
        if response.status_code == 202:
            acknowledged.append(text)
            continue
        failure = response
        break
    assert failure is not None, "2 MB of journal never filled the 'disk'"
    assert failure.status_code == 503
    assert "journal" in failure.json()["error"]
    status = requests.get(f"{base}/_tablecast/health", timeout=HTTP_TIMEOUT)
    assert status.status_code == 503 and status.json()["status"] == "error"
    later = http.post(f"{base}/_tablecast/emit", data=emit_body("staff:note", payload_of(10, 0)),
                      headers={"Content-Type": "application/json"}, timeout=30)
    assert later.status_code == 503
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(15)
    server.stopped = True
    server.returncode = server.proc.returncode
    _, events = read_journal(server.journal_path)
    journaled = {bytes(event["payload"]).decode() for event in events}
    assert acknowledged and all(text in journaled for text in acknowledged)


def test_event_names_are_bounded_in_length_and_in_what_the_metrics_keep(servers):
    server = servers.serve()
    base = server.url
    http = requests.Session()
    long_name = requests.post(f"{base}/_tablecast/emit", data=emit_body("n" * 257, "1"),
                              headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT)
    assert long_name.status_code == 400
    assert "longer than 256 bytes" in long_name.json()["error"]
    for i in range(1_050):
        response = http.post(f"{base}/_tablecast/emit", data=emit_body(f"name.{i}", "1"),
                             headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT)
        assert response.status_code == 202
    metrics = http.get(f"{base}/metrics", timeout=HTTP_TIMEOUT).text
    counted = [line for line in metrics.splitlines() if line.startswith("tablecast_events_emitted_total{")]
    assert len(counted) == 1_001
    assert 'tablecast_events_emitted_total{name="(other)"} 50' in counted
