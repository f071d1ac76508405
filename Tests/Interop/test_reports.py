"""The HTML reports through the real binary: `tablecast load --report` against a real server, `tablecast journal
report` on a real journal. Each page must stand alone (no file or URL it loads) and hold the run's own numbers."""

import json
import re
import socket
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tablecast_testkit import tablecast_binary

START = "2026-11-26T12:00:00.000Z"
DATA_BLOCK = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


def run(*args, timeout=300):
    return subprocess.run([str(tablecast_binary()), *args], capture_output=True, text=True, timeout=timeout)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_self_contained(page):
    assert page.startswith("<!doctype html>")
    assert '<meta charset="utf-8">' in page and "<style>" in page
    assert "<link" not in page.lower()
    assert not re.search(r"\b(src|href)\s*=", page, re.I), "the page refers to another file or URL"
    assert not re.search(r"url\(\s*['\"]?(https?:|//|[a-z0-9_./-]+\.(css|png|svg|woff2?))", page, re.I)
    # The one script is the data block: no JavaScript runs.
    assert page.count("<script") == 1 and '<script type="application/json" id="report-data">' in page


def report_data(page):
    blocks = DATA_BLOCK.findall(page)
    assert len(blocks) == 1
    assert "<" not in blocks[0]
    return json.loads(blocks[0])


def series_values(page, series):
    match = re.search(r'data-series="%s" data-values="([^"]*)"' % re.escape(series), page)
    assert match, series
    return [None if v == "" else float(v) for v in match.group(1).split(",")]


def test_load_report_holds_the_runs_figures_second_by_second(servers, tmp_path):
    server = servers.serve(idle=False, extra=["--scenario", "steady-load", "--rate", "500/s"])
    out = tmp_path / "load.html"
    result = run("load", server.url + "/events", "--clients", "20", "--ramp", "1s", "--duration", "3s", "--json",
                 "--report", str(out), timeout=120)
    assert result.returncode == 0, result.stderr + result.stdout
    printed = json.loads(result.stdout)
    page = out.read_text()
    assert_self_contained(page)
    assert '<body data-report="load">' in page

    data = report_data(page)
    assert data["kind"] == "load" and data["clean"] is True
    assert data["report"] == printed  # the same figures as --json, timeline included
    assert data["parameters"]["clients"] == 20 and data["parameters"]["transport"] == "websocket"
    assert data["parameters"]["duration"] == 3 and data["parameters"]["ramp"] == 1
    assert data["parameters"]["url"] == server.url + "/events"

    timeline = printed["timeline"]
    assert 3 <= len(timeline) <= 4
    assert sum(second["deliveries"] for second in timeline) == printed["deliveries"]
    assert abs(timeline[-1]["elapsed"] - printed["seconds"]) < 1e-6
    for second in timeline:
        assert second["connected"] == 20
        if second["traced"] > 0:
            assert 0 <= second["p50"] <= second["p90"] <= second["p99"] <= second["max"]

    # The charts' series are the timeline's figures: deliveries per second, and percentiles in ms.
    assert 'id="chart-deliveries" data-chart="deliveries"' in page
    assert 'id="chart-latency" data-chart="latency"' in page
    deliveries = series_values(page, "deliveries")
    assert len(deliveries) == len(timeline)
    for value, second in zip(deliveries, timeline):
        assert value == pytest.approx(second["deliveriesPerSecond"], abs=0.001)
    for key in ["p50", "p90", "p99", "max"]:
        values = series_values(page, key)
        assert values == [second[key] / 1000 if second["traced"] else None for second in timeline]
    assert page.count('<circle class="point') == len(timeline) * 5

    # The verdict and the figures shown.
    assert re.search(r'class="badge verdict good" id="verdict" data-clean="true">PASS<', page)
    for stat, key in [("delivered", "delivered"), ("expected", "expected"), ("lost", "lost"),
                      ("duplicates", "duplicates"), ("reordered", "reordered"), ("connected", "connected"),
                      ("failed", "failed"), ("disconnected", "disconnected"), ("untraced", "untraced"),
                      ("deliveries", "deliveries")]:
        assert f'id="stat-{stat}" data-value="{printed[key]}"' in page, stat
    for stat in ["p50", "p90", "p99", "p999", "max"]:
        assert f'id="stat-latency-{stat}" data-value="{printed["latency"][stat]}"' in page, stat
    assert f'data-field="url">{server.url}/events<' in page


def test_load_report_that_cannot_be_written_fails_before_the_run(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/events"
    missing = tmp_path / "no-such-directory" / "load.html"
    result = run("load", url, "--clients", "3", "--duration", "1s", "--report", str(missing), timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and lines[0].startswith("error: "), result.stderr
    assert result.stdout == ""  # no run took place

    result = run("load", url, "--clients", "3", "--duration", "1s", "--report", str(tmp_path), timeout=60)
    assert result.returncode == 1 and str(tmp_path) in result.stderr and "directory" in result.stderr

    result = run("load", url, "--clients", "3", "--report", "")
    assert result.returncode == 64 and "--report" in result.stderr


@pytest.fixture
def chaos(tmp_path):
    """A chaos run (disconnects, delays, faulted events) with a gap row added, as a recorder writes them."""
    path = tmp_path / "chaos.sqlite"
    result = run("simulate", "--scenario", "chaos", "--events", "3000", "--out", str(path), "--start", START)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(path) as db:
        (wall, mono) = db.execute("SELECT wall_ms, mono_ns FROM events WHERE run_id = 1 AND seq = 100").fetchone()
        db.execute("INSERT INTO faults(run_id, after_seq, wall_ms, mono_ns, kind, spec) VALUES (1, 100, ?, ?, 'gap', ?)",
                   (wall, mono, json.dumps({"from": iso(wall), "to": iso(wall + 90_000),
                                            "reason": "transport close </script><script>alert(1)</script>"},
                                           separators=(",", ":"))))
    return path


def iso(millis):
    import datetime
    moment = datetime.datetime.fromtimestamp(millis / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def test_journal_report_holds_the_runs_counts_gaps_and_faults(chaos, tmp_path):
    out = tmp_path / "report.html"
    result = run("journal", "report", str(chaos), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"run 1 of {chaos}: 3000 events, report written to {out}"
    page = out.read_text()
    assert_self_contained(page)
    assert '<body data-report="journal">' in page
    assert "<script>alert(1)" not in page

    with sqlite3.connect(chaos) as db:
        events = db.execute("SELECT seq, wall_ms, name, fault FROM events WHERE run_id = 1 ORDER BY seq").fetchall()
        faults = db.execute("SELECT after_seq, wall_ms, kind, spec FROM faults WHERE run_id = 1 ORDER BY id").fetchall()
    counts = Counter(name for _, _, name, _ in events)
    data = report_data(page)
    assert data["kind"] == "journal" and data["run"]["id"] == 1 and data["run"]["scenario"] == "chaos"
    assert data["span"]["events"] == len(events) == 3000
    assert {entry["name"]: entry["count"] for entry in data["names"]} == dict(counts)
    assert data["faultedEvents"] == sum(1 for e in events if e[3] is not None) > 0
    assert [(f["afterSeq"], f["wallMs"], f["kind"], f["spec"]) for f in data["faults"]] == faults
    assert {f[2] for f in faults} >= {"gap", "disconnect"}

    # The buckets: as many as the run's span needs, at most about 600; each event in the bucket of its wall time.
    bucket, origin, first = data["bucketMs"], data["originMs"], data["firstBucket"]
    assert f'data-bucket-ms="{bucket}" data-origin-ms="{origin}" data-first-bucket="{first}"' in page
    assert (events[-1][1] - origin) // bucket < 600 + 1
    expected = {}
    for _, wall, name, _ in events:
        expected.setdefault(name, Counter())[(wall - origin) // bucket - first] += 1
    top = [name for name, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    keys = [s["key"] for s in data["series"]]
    assert keys == top[:7] + (["other"] if len(top) > 7 else [])
    for series in data["series"]:
        names = top[7:] if series["key"] == "other" else [series["key"]]
        want = [sum(expected[n][i] for n in names) for i in range(len(series["counts"]))]
        assert series["counts"] == want, series["key"]
        assert series_values(page, series["key"]) == [float(v) for v in want]
    totals = [sum(column) for column in zip(*(s["counts"] for s in data["series"]))]
    assert sum(totals) == 3000
    assert f'data-bucket="0" data-total="{totals[0]}"' in page

    # The gap as a shaded span, disconnects and delays as marks, each listed.
    gap_wall = events[99][1]
    assert re.search(r'<rect class="marker-gap"[^>]*data-from-ms="%d" data-to-ms="%d"' % (gap_wall, gap_wall + 90_000),
                     page)
    assert 'class="marker-fault' in page and 'data-kind="disconnect"' in page
    assert page.count('<tr data-kind="') == min(500, len(faults) + data["faultedEvents"])

    # The busiest seconds, busiest first.
    seconds = Counter((wall - origin) // 1000 for _, wall, _, _ in events)
    busiest = sorted(seconds.items(), key=lambda item: (-item[1], item[0]))[:10]
    assert [(b["startMs"], b["count"]) for b in data["busiest"]] == [(origin + s * 1000, c) for s, c in busiest]
    assert f'<tr data-start-ms="{origin + busiest[0][0] * 1000}" data-count="{busiest[0][1]}">' in page


def test_journal_report_errors_write_nothing(chaos, tmp_path):
    out = tmp_path / "report.html"
    for args, message in [
        ([str(chaos), "--run", "7"], "has no run 7"),
        ([str(tmp_path / "missing.sqlite")], "does not exist"),
        ([str(tmp_path / "not-a-journal.sqlite")], "not"),
    ]:
        if "not-a-journal" in args[0]:
            Path(args[0]).write_bytes(b"not a journal at all, just bytes")
        result = run("journal", "report", *args, "--out", str(out))
        assert result.returncode == 1, (args, result)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
        assert not out.exists()

    unwritable = tmp_path / "no-such-directory" / "report.html"
    result = run("journal", "report", str(chaos), "--out", str(unwritable))
    assert result.returncode == 1 and str(unwritable) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

    result = run("journal", "report", str(chaos), "--out", "")
    assert result.returncode == 64
