"""`tablecast replay` through the real binary, to python-socketio clients: the same names and payload bytes in the
same order, the original spacing scaled by --speed, filters and ranges, live control, and bad input."""

import json
import sqlite3
import subprocess
import time

import pytest
import requests

from tablecast_testkit import HTTP_TIMEOUT, EventListener, tablecast_binary, wait_for_clients, wait_until

START = "2026-11-26T12:00:00.000Z"
TRANSPORTS = {"websocket": ["websocket"], "polling": ["polling"]}


def run(*args, timeout=300):
    return subprocess.run([str(tablecast_binary()), *args], capture_output=True, text=True, timeout=timeout)


def simulate(path, *extra):
    result = run("simulate", "--out", str(path), "--start", START, *extra)
    assert result.returncode == 0, result.stderr
    return path


def source_rows(path, run_id=1):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT seq, mono_ns, name, payload, fault FROM events WHERE run_id = ? ORDER BY seq",
                          (run_id,)).fetchall()


def replay_status(server):
    return requests.get(server.url + "/_tablecast/replay", timeout=HTTP_TIMEOUT).json()


def control(server, body):
    response = requests.post(server.url + "/_tablecast/replay", json=body, timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
def test_a_replay_sends_the_recorded_names_and_bytes_in_order(servers, tmp_path, transport):
    source = simulate(tmp_path / "source.sqlite", "--scenario", "default", "--events", "400")
    server = servers.replay(source, ["--speed", "max", "--wait-for-clients", "1"])
    assert replay_status(server)["state"] == "waiting"
    collector = EventListener(server.url, TRANSPORTS[transport])
    try:
        rows = source_rows(source)
        wait_until(lambda: len(collector.received()) >= len(rows), timeout=60,
                   message=lambda: f"{len(collector.received())} of {len(rows)} events")
        assert collector.received() == [(name, json.loads(payload)) for _, _, name, payload, _ in rows]
        status = replay_status(server)
        assert status["state"] == "finished" and status["sent"] == len(rows) and status["eventsLeft"] == 0
        assert status["position"]["seq"] == rows[-1][0]
        # The REST state is the projection of everything replayed: the source's last table statuses.
        assert tables_after(rows) == {t["number"]: t["status"] for t in
                                      requests.get(server.url + "/tables", timeout=HTTP_TIMEOUT).json()}
    finally:
        collector.close()
    server.stop()
    # The replay is a run of its own that names its source, and holds the same bytes.
    with sqlite3.connect(server.journal_path) as db:
        source_kind, meta = db.execute("SELECT source, meta_json FROM runs").fetchone()
        replayed = db.execute("SELECT name, payload FROM events ORDER BY seq").fetchall()
    assert source_kind == "replay"
    assert json.loads(meta)["replayOf"] == {"path": str(source), "run": 1, "fromSeq": 1, "toSeq": len(rows),
                                            "speed": "max", "only": [], "except": [], "loop": False}
    assert replayed == [(name, payload) for _, _, name, payload, _ in rows]


def tables_after(rows, last_seq=None):
    """Table statuses after the source's events up to `last_seq`, folded by hand."""
    statuses = {number: "available" for number in range(1, 21)}
    change = {"table:activated": "active", "table:checkoutStarted": "checkout",
              "table:checkoutCompleted": "available", "table:forceReset": "available"}
    for seq, _, name, payload, _ in rows:
        if last_seq is not None and seq > last_seq:
            break
        if name in change:
            statuses[json.loads(payload)["tableNumber"]] = change[name]
    return statuses


def test_the_original_spacing_is_kept_scaled_by_speed(servers, tmp_path):
    # 400 events 5 ms apart (a rate of 200/s on the virtual clock), replayed twice as fast: 2.5 ms apart, 1 s in all.
    source = simulate(tmp_path / "paced.sqlite", "--scenario", "steady-load", "--rate", "200/s", "--events", "400")
    server = servers.replay(source, ["--speed", "2"])
    wait_until(lambda: replay_status(server)["state"] == "finished", timeout=60)
    server.stop()
    with sqlite3.connect(server.journal_path) as db:
        emitted = [mono for (mono,) in db.execute("SELECT mono_ns FROM events ORDER BY seq")]
    original = [mono for _, mono, _, _, _ in source_rows(source)]
    assert len(emitted) == len(original) == 400
    errors = sorted((e - emitted[0]) - (o - original[0]) / 2 for e, o in zip(emitted, original))
    # Never early: the runner lets an event leave at most 100 µs ahead of its schedule. The schedule's anchor is not
    # in the journal, only the first event's emission stamp, taken a little after it (up to a few hundred µs on a busy
    # machine), so the bound here is 1 ms. Late only by what a busy machine costs.
    assert errors[0] >= -1_000_000, f"an event left {-errors[0] / 1e6:.2f} ms early"
    assert errors[len(errors) // 2] <= 20_000_000, f"median lateness {errors[len(errors) // 2] / 1e6:.1f} ms"


def test_pause_step_seek_and_speed_do_what_they_say(servers, tmp_path):
    # The default scenario on the virtual clock: minutes of model time between events, so at speed 1 the replay
    # crawls and every move below is the control API's.
    source = simulate(tmp_path / "lunch.sqlite", "--scenario", "default", "--events", "300")
    rows = source_rows(source)
    server = servers.replay(source)
    collector = EventListener(server.url, ["websocket"])
    try:
        wait_for_clients(server.url, 1)
        paused = control(server, {"paused": True})
        assert paused["state"] == "paused"
        before = len(collector.received())
        stepped = control(server, {"step": 3})
        assert stepped["state"] == "paused" and stepped["sent"] == paused["sent"] + 3
        wait_until(lambda: len(collector.received()) == before + 3, timeout=10)
        position = stepped["position"]["seq"]
        assert [name for name, _ in collector.received()[-3:]] == [row[2] for row in rows[position - 3:position]]

        sought = control(server, {"seek": 150})
        assert sought["position"]["seq"] == 149 and sought["state"] == "paused"
        assert sought["eventsLeft"] == len(rows) - 149
        statuses = {t["number"]: t["status"] for t in requests.get(server.url + "/tables", timeout=HTTP_TIMEOUT).json()}
        assert statuses == tables_after(rows, 149)
        control(server, {"step": 1})
        wait_until(lambda: collector.received()[-1] == (rows[149][2], json.loads(rows[149][3])), timeout=10)

        # Back to an earlier time, then to the end at full speed.
        wall_of_50 = requests.get(server.url + "/_tablecast/replay", timeout=HTTP_TIMEOUT).json()
        back = control(server, {"seek": 50})
        assert back["position"]["seq"] == 49
        assert {t["number"]: t["status"] for t in requests.get(server.url + "/tables", timeout=HTTP_TIMEOUT).json()} \
            == tables_after(rows, 49)
        done = control(server, {"speed": "max", "paused": False})
        assert done["speed"] == "max"
        wait_until(lambda: replay_status(server)["state"] == "finished", timeout=30)
        assert replay_status(server)["eventsLeft"] == 0 and wall_of_50["running"]
    finally:
        collector.close()


def test_filters_and_ranges_choose_what_is_sent(servers, tmp_path):
    source = simulate(tmp_path / "lunch.sqlite", "--scenario", "default", "--events", "600")
    rows = source_rows(source)
    server = servers.replay(source, ["--speed", "max", "--wait-for-clients", "1", "--from", "100", "--to", "500",
                                     "--only", "order:*", "--except", "order:served"])
    collector = EventListener(server.url, ["websocket"])
    try:
        expected = [(name, json.loads(payload)) for seq, _, name, payload, _ in rows
                    if 100 <= seq <= 500 and name.startswith("order:") and name != "order:served"]
        assert len(expected) > 20
        wait_until(lambda: replay_status(server)["state"] == "finished", timeout=60)
        wait_until(lambda: len(collector.received()) >= len(expected), timeout=10)
        assert collector.received() == expected
        # The filter hides events from clients, not from the REST state: it is the restaurant as of seq 500.
        assert {t["number"]: t["status"] for t in requests.get(server.url + "/tables", timeout=HTTP_TIMEOUT).json()} \
            == tables_after(rows, 500)
    finally:
        collector.close()


def test_a_chaos_journal_replays_its_faults(servers, tmp_path):
    source = simulate(tmp_path / "chaos.sqlite", "--scenario", "chaos", "--events", "3000")
    server = servers.replay(source, ["--speed", "max"])
    wait_until(lambda: replay_status(server)["state"] == "finished", timeout=60)
    server.stop()
    with sqlite3.connect(source) as db:
        source_marks = db.execute("SELECT name, payload, fault FROM events ORDER BY seq").fetchall()
        source_faults = db.execute("SELECT kind FROM faults ORDER BY id").fetchall()
    with sqlite3.connect(server.journal_path) as db:
        replay_marks = db.execute("SELECT name, payload, fault FROM events ORDER BY seq").fetchall()
        replay_faults = db.execute("SELECT kind FROM faults ORDER BY id").fetchall()
    assert replay_marks == source_marks
    assert replay_faults == source_faults and {kind for (kind,) in source_faults} == {"disconnect", "delay"}


def test_loop_starts_over(servers, tmp_path):
    source = simulate(tmp_path / "short.sqlite", "--scenario", "default", "--events", "50")
    server = servers.replay(source, ["--speed", "max", "--loop"])
    wait_until(lambda: replay_status(server)["loops"] >= 3, timeout=30)
    assert replay_status(server)["state"] == "playing"


def test_bad_input_gets_one_line_and_modifies_nothing(tmp_path):
    source = simulate(tmp_path / "ok.sqlite", "--scenario", "default", "--events", "20")
    not_a_journal = tmp_path / "notes.txt"
    not_a_journal.write_text("hello")
    before = not_a_journal.read_bytes()
    corrupt = simulate(tmp_path / "corrupt.sqlite", "--scenario", "default", "--events", "2000")
    with open(corrupt, "r+b") as file:  # a journal whose pages were overwritten
        file.seek(8192)
        file.write(b"\xde\xad" * 3000)
    cases = [
        ([str(corrupt)], "malformed"),
        ([str(not_a_journal)], "not a tablecast journal"),
        ([str(tmp_path / "missing.sqlite")], "does not exist"),
        ([str(source), "--run", "9"], "has no run 9"),
        ([str(source), "--from", "500"], "nothing to replay"),
    ]
    for args, fragment in cases:
        result = run("replay", *args, "--port", "0", "--journal", str(tmp_path / "out.sqlite"), timeout=30)
        assert result.returncode == 1, (args, result)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], (args, result.stderr)
    assert not_a_journal.read_bytes() == before
    for args, option in [(["--speed", "fast"], "--speed"), (["--from", "yesterday"], "--from")]:
        result = run("replay", str(source), *args, "--port", "0", timeout=30)
        assert result.returncode == 64 and option in result.stderr, result.stderr


@pytest.mark.parametrize("body, field", [
    ({"speed": 0}, "speed"), ({"speed": "fast"}, "speed"), ({"step": 0}, "step"), ({"seek": "tuesday"}, "seek"),
    ({"paused": "yes"}, "paused"), ({"rewind": True}, "rewind"),
])
def test_a_bad_control_request_names_its_field(servers, tmp_path, body, field):
    source = simulate(tmp_path / "ok.sqlite", "--scenario", "default", "--events", "20")
    server = servers.replay(source)
    response = requests.post(server.url + "/_tablecast/replay", json=body, timeout=HTTP_TIMEOUT)
    assert response.status_code == 400 and response.json()["field"] == field, response.text
