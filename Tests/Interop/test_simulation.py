"""The simulator through the real binary: live traffic from `serve`, journals from `simulate`, live control."""

import concurrent.futures
import hashlib
import sqlite3
import subprocess
import threading
import time

import pytest
import requests
import socketio

from tablecast_testkit import HTTP_TIMEOUT, tablecast_binary, wait_until

SHIPPED = ["default", "dinner-rush", "steady-load", "chaos"]
START = "2026-11-26T12:00:00.000Z"


def run(*args, timeout=600):
    return subprocess.run([str(tablecast_binary()), *args], capture_output=True, text=True, timeout=timeout)


def journal_digest(path):
    with sqlite3.connect(path) as db:
        digest = hashlib.sha256()
        for seq, wall, name, payload in db.execute("SELECT seq, wall_ms, name, payload FROM events ORDER BY seq"):
            digest.update(f"{seq}|{wall}|{name}|".encode() + payload + b"\n")
        return digest.hexdigest()


def test_serve_runs_the_default_scenario_and_a_client_sees_traffic_within_a_second(servers):
    # The shipped default paces a lunch at 120x; 600x keeps this test far from the one-second edge on a busy machine.
    server = servers.serve(idle=False, extra=["--time-scale", "600x"])
    status = requests.get(server.url + "/_tablecast/simulation", timeout=HTTP_TIMEOUT).json()
    assert status["running"] and status["scenario"] == "default" and status["timeScale"] == 600.0
    received = []
    first = threading.Event()
    client = socketio.Client()

    @client.on("*", namespace="/events")
    def on_any(event, data):
        received.append((time.monotonic(), event))
        first.set()

    client.connect(server.url, namespaces=["/events"], wait_timeout=10)
    connected = time.monotonic()
    try:
        assert first.wait(timeout=10), "no simulated event reached the client"
        assert received[0][0] - connected <= 1.0, f"first event after {received[0][0] - connected:.2f} s"
        wait_until(lambda: len(received) >= 20, timeout=30, message="fewer than 20 simulated events")
    finally:
        client.disconnect()
    # What was sent is a consistent restaurant: the REST state agrees, and the journal verifies clean.
    assert requests.get(server.url + "/_tablecast/health", timeout=HTTP_TIMEOUT).json()["lastSeq"] >= 20
    server.stop()
    result = run("journal", "verify", str(server.journal_path))
    assert result.returncode == 0, result.stdout[-2000:]


def test_simulation_control_pauses_resumes_and_changes_pace(servers):
    server = servers.serve(idle=False, extra=["--rate", "400/s"])
    url = server.url + "/_tablecast/simulation"
    wait_until(lambda: requests.get(url, timeout=HTTP_TIMEOUT).json()["events"] > 200, timeout=20,
               message="the simulation did not start")
    paused = requests.post(url, json={"paused": True}, timeout=HTTP_TIMEOUT).json()
    assert paused["paused"] is True and paused["pacing"] == "rate" and paused["targetRate"] == 400.0
    time.sleep(0.3)
    before = requests.get(url, timeout=HTTP_TIMEOUT).json()["events"]
    time.sleep(1.0)
    assert requests.get(url, timeout=HTTP_TIMEOUT).json()["events"] == before, "events flowed while paused"
    resumed = requests.post(url, json={"paused": False, "timeScale": 600}, timeout=HTTP_TIMEOUT).json()
    assert resumed["paused"] is False and resumed["pacing"] == "timeScale" and resumed["targetRate"] is None
    wait_until(lambda: requests.get(url, timeout=HTTP_TIMEOUT).json()["events"] > before, timeout=20,
               message="no events after resuming")
    switched = requests.post(url, json={"scenario": "dinner-rush"}, timeout=HTTP_TIMEOUT).json()
    assert switched["scenario"] == "dinner-rush" and switched["pacing"] == "timeScale"
    assert switched["timeScale"] == 60.0
    after_switch = switched["events"]
    requests.post(url, json={"timeScale": 3000}, timeout=HTTP_TIMEOUT)
    wait_until(lambda: requests.get(url, timeout=HTTP_TIMEOUT).json()["events"] > after_switch + 50, timeout=30,
               message="no events after switching scenario")
    unknown_scenario = requests.post(url, json={"scenario": "/etc/passwd"}, timeout=HTTP_TIMEOUT)
    assert unknown_scenario.status_code == 400 and unknown_scenario.json()["field"] == "scenario"
    bad = requests.post(url, json={"rate": -5}, timeout=HTTP_TIMEOUT)
    assert bad.status_code == 400 and bad.json()["field"] == "rate"
    unknown = requests.post(url, json={"speed": 2}, timeout=HTTP_TIMEOUT)
    assert unknown.status_code == 400 and "speed" in unknown.json()["error"]
    server.stop()
    assert run("journal", "verify", str(server.journal_path)).returncode == 0


def test_once_a_pause_is_answered_nothing_more_is_emitted(servers):
    # At 2000 events/s the runner is nearly always waiting for an event's due time or sending one when the pause
    # lands: the answer must wait for that event, and the one it waited for must not leave afterwards.
    server = servers.serve(idle=False, extra=["--scenario", "steady-load", "--rate", "2000/s"])
    url = server.url + "/_tablecast/simulation"
    health = server.url + "/_tablecast/health"
    wait_until(lambda: requests.get(url, timeout=HTTP_TIMEOUT).json()["events"] > 500, timeout=20,
               message="the simulation did not start")
    with requests.Session() as session:
        for _ in range(30):
            assert session.post(url, json={"paused": True}, timeout=HTTP_TIMEOUT).json()["paused"] is True
            at_answer = session.get(health, timeout=HTTP_TIMEOUT).json()["lastSeq"]
            time.sleep(0.1)
            assert session.get(health, timeout=HTTP_TIMEOUT).json()["lastSeq"] == at_answer, \
                "an event left after the pause was answered"
            session.post(url, json={"paused": False}, timeout=HTTP_TIMEOUT)
            time.sleep(0.02)
    server.stop()
    assert run("journal", "verify", str(server.journal_path)).returncode == 0


def test_idle_serve_has_no_simulation(servers):
    server = servers.serve()
    assert requests.get(server.url + "/_tablecast/simulation", timeout=HTTP_TIMEOUT).json() == {"running": False}
    refused = requests.post(server.url + "/_tablecast/simulation", json={"paused": True}, timeout=HTTP_TIMEOUT)
    assert refused.status_code == 409


@pytest.mark.parametrize("scenario", SHIPPED)
def test_simulate_is_deterministic(tmp_path, scenario):
    digests = []
    for attempt in range(2):
        path = tmp_path / f"{scenario}-{attempt}.sqlite"
        result = run("simulate", "--scenario", scenario, "--events", "20000", "--out", str(path), "--start", START)
        assert result.returncode == 0, result.stderr
        digests.append(journal_digest(path))
    assert digests[0] == digests[1]
    other = tmp_path / f"{scenario}-other-seed.sqlite"
    assert run("simulate", "--scenario", scenario, "--events", "20000", "--out", str(other), "--start", START,
               "--seed", "999").returncode == 0
    assert journal_digest(other) != digests[0]


@pytest.mark.timeout(1500)
def test_a_million_simulated_events_verify_clean(tmp_path):
    """Every shipped scenario, two at a time (the machine has two cores, and each run is one process's work)."""
    def simulate_and_verify(scenario):
        path = tmp_path / f"{scenario}.sqlite"
        result = run("simulate", "--scenario", scenario, "--events", "1000000", "--out", str(path), "--start", START)
        assert result.returncode == 0, (scenario, result.stderr)
        with sqlite3.connect(path) as db:
            count, names = db.execute("SELECT count(*), count(DISTINCT name) FROM events").fetchone()
        assert count >= 1_000_000, (scenario, count)
        assert names >= 18, f"only {names} distinct event names in {scenario}"
        verify = run("journal", "verify", str(path), timeout=1200)
        assert verify.returncode == 0, (scenario, verify.stdout[-3000:])
        assert verify.stdout.strip().splitlines()[-1].startswith("clean:"), (scenario, verify.stdout[-500:])
        return scenario

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        assert sorted(pool.map(simulate_and_verify, SHIPPED)) == sorted(SHIPPED)


def test_bad_scenario_file_names_file_line_and_field(tmp_path):
    path = tmp_path / "lunch.yaml"
    path.write_text("name: lunch\ntimeScale: 60x\nphases:\n  - { name: noon, duration: 10 minutes, arrivalRate: 2/min }\n")
    result = run("serve", "--port", "0", "--journal", str(tmp_path / "j.sqlite"), "--scenario", str(path))
    assert result.returncode == 1, result
    line = result.stderr.strip()
    assert line.startswith(f"error: {path}:4: phases[0].duration:"), line
    result = run("simulate", "--scenario", str(path), "--events", "10", "--out", str(tmp_path / "s.sqlite"))
    assert result.returncode == 1 and f"{path}:4: phases[0].duration" in result.stderr
    assert run("serve", "--scenario", "no-such-scenario", "--port", "0").returncode == 1
    bad_rate = run("serve", "--rate", "fast", "--port", "0")
    assert bad_rate.returncode == 64 and "--rate" in bad_rate.stderr


def test_simulate_follows_a_staged_rate_second_by_second(tmp_path):
    scenario = tmp_path / "ramp.yaml"
    scenario.write_text(
        "name: ramp\nseed: 7\nloop: true\n"
        "rate:\n"
        "  - { name: warm-up, duration: 10s, rate: 100/s, rampTo: 1000/s }\n"
        "  - { name: hold, duration: 10s, rate: 1000/s }\n"
        "  - { name: quiet, duration: 5s, rate: 0/s }\n"
        "  - { name: spike, duration: 2s, rate: 3000/s }\n"
        "phases:\n  - { name: all, duration: 1h, arrivalRate: 2/s }\n"
    )
    path = tmp_path / "ramp.sqlite"
    result = run("simulate", "--scenario", str(scenario), "--duration", "30s", "--out", str(path), "--start", START)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(path) as db:
        seconds = [mono // 1_000_000_000 for (mono,) in db.execute("SELECT mono_ns FROM events ORDER BY seq")]
    counts = [seconds.count(k) for k in range(30)]

    def expected(k):
        if k < 10:
            return 100 + 90 * k + 45  # the area under 100 + 90 t over [k, k + 1)
        if k < 20:
            return 1000
        if k < 25:
            return 0
        return 3000  # the spike, then its rate holds

    for k, count in enumerate(counts):
        # A step that emits several events (a force reset) stamps them all with its own time.
        assert abs(count - expected(k)) <= max(3, expected(k) // 100), f"second {k}: {count}, expected {expected(k)}"


def test_a_live_ramp_moves_the_target_rate_and_names_its_stage(servers):
    server = servers.serve(idle=False, extra=["--rate", "200/s"])
    url = server.url + "/_tablecast/simulation"
    ramped = requests.post(url, json={"rampTo": 800, "rampSeconds": 3}, timeout=HTTP_TIMEOUT).json()
    assert ramped["pacing"] == "rate" and ramped["rateStage"] == "ramp", ramped
    assert 200 <= ramped["targetRate"] < 800, ramped
    wait_until(lambda: requests.get(url, timeout=HTTP_TIMEOUT).json()["rateStage"] is None, timeout=20,
               message="the ramp never ended")
    assert requests.get(url, timeout=HTTP_TIMEOUT).json()["targetRate"] == 800.0
    for body, field in [({"rampTo": 5}, "rampSeconds"), ({"rampTo": 5, "rampSeconds": 0}, "rampSeconds"),
                        ({"rampTo": -1, "rampSeconds": 2}, "rampTo"),
                        ({"rampTo": 5, "rampSeconds": 2, "timeScale": 60}, "rampTo")]:
        refused = requests.post(url, json=body, timeout=HTTP_TIMEOUT)
        assert refused.status_code == 400 and refused.json()["field"] == field, (body, refused.text)


@pytest.mark.parametrize("change", [{"timeScale": 1e-300}, {"rate": 1e-300}])
def test_an_extreme_but_valid_pace_makes_the_simulation_wait_not_crash(servers, change):
    """A pace that is positive and finite but whose delays no Duration can hold (found reading the fuzz targets'
    findings): the simulation waits, the server goes on, and a sane pace brings the events back."""
    server = servers.serve(idle=False, extra=["--rate", "400/s"])
    url = server.url + "/_tablecast/simulation"
    wait_until(lambda: requests.get(url, timeout=HTTP_TIMEOUT).json()["events"] > 50, timeout=20)
    assert requests.post(url, json=change, timeout=HTTP_TIMEOUT).status_code == 200
    time.sleep(0.5)
    server.assert_alive()
    before = requests.get(url, timeout=HTTP_TIMEOUT).json()["events"]
    requests.post(url, json={"rate": 400}, timeout=HTTP_TIMEOUT)
    wait_until(lambda: requests.get(url, timeout=HTTP_TIMEOUT).json()["events"] > before + 50, timeout=20)
