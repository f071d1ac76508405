"""`tablecast journal ls|show|stats|export|import|trim` through the real binary, on real SQLite files."""

import json
import sqlite3
import subprocess

import pytest

from tablecast_testkit import tablecast_binary

START = "2026-11-26T12:00:00.000Z"


def run(*args, timeout=300):
    return subprocess.run([str(tablecast_binary()), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def chaos(tmp_path):
    path = tmp_path / "chaos.sqlite"
    result = run("simulate", "--scenario", "chaos", "--events", "3000", "--out", str(path), "--start", START)
    assert result.returncode == 0, result.stderr
    return path


def rows(path, run_id):
    with sqlite3.connect(path) as db:
        events = db.execute("SELECT seq, wall_ms, mono_ns, namespace, name, payload, detail, fault FROM events "
                            "WHERE run_id = ? ORDER BY seq", (run_id,)).fetchall()
        faults = db.execute("SELECT after_seq, wall_ms, mono_ns, kind, spec FROM faults WHERE run_id = ? ORDER BY id",
                            (run_id,)).fetchall()
    return events, faults


def test_ls_names_each_run(chaos):
    assert run("simulate", "--scenario", "default", "--events", "100", "--out", str(chaos), "--start", START).returncode == 0
    result = run("journal", "ls", str(chaos))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"journal {chaos}: schema version 3, 2 runs"
    assert lines[1].startswith("run 1  simulate  started 2026-11-26T12:00:00.000Z  seq 1..3000  3000 events")
    assert "scenario chaos seed 1" in lines[1] and "disconnect/delay faults" in lines[1]
    assert lines[2].startswith("run 2  simulate") and "100 events" in lines[2] and "scenario default" in lines[2]


def test_show_prints_a_filtered_timeline_with_payloads(chaos):
    events, _ = rows(chaos, 1)
    result = run("journal", "show", str(chaos), "--from", "100", "--to", "400", "--only", "order:*",
                 "--except", "order:served", "--payloads", "--limit", "10")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    expected = [e for e in events if 100 <= e[0] <= 400 and e[4].startswith("order:") and e[4] != "order:served"][:10]
    shown = [line for line in lines[1:-1] if not line.startswith("  -")]  # without the faults that are not events
    assert len(shown) == 10 and lines[-1] == "10 events shown"
    for line, event in zip(shown, expected):
        seq, time, offset, name = line.split("  ")[:4]
        assert int(seq) == event[0] and name == event[4] and offset.startswith("+")
        assert line.endswith("  " + event[5].decode())


def test_stats_counts_per_minute_add_up(chaos):
    events, _ = rows(chaos, 1)
    result = run("journal", "stats", str(chaos))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    header = lines[1].split("\t")
    total = lines[-1].split("\t")
    assert total[0] == "total" and int(total[1]) == len(events)
    for name, count in zip(header[2:], total[2:]):
        assert int(count) == sum(1 for e in events if e[4] == name), name
    assert sum(int(line.split("\t")[1]) for line in lines[2:-1]) == len(events)


def test_export_then_import_gives_the_same_bytes_times_and_faults(chaos, tmp_path):
    export = tmp_path / "chaos.ndjson"
    assert run("journal", "export", str(chaos), "--out", str(export)).returncode == 0
    # Into a journal that already has a run: the import is a new run beside it.
    target = tmp_path / "target.sqlite"
    assert run("simulate", "--scenario", "default", "--events", "10", "--out", str(target)).returncode == 0
    result = run("journal", "import", str(export), "--into", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"run 2 in {target}: 3000 events imported")
    assert rows(target, 2) == rows(chaos, 1)
    with sqlite3.connect(chaos) as a, sqlite3.connect(target) as b:
        assert a.execute("SELECT started_at, source, scenario, seed, meta_json FROM runs WHERE id = 1").fetchone() \
            == b.execute("SELECT started_at, source, scenario, seed, meta_json FROM runs WHERE id = 2").fetchone()
    # Each line is JSON whose payload is the journal's bytes, not re-encoded.
    lines = export.read_bytes().splitlines()
    assert json.loads(lines[0])["format"] == "tablecast-journal-export"
    first_event = next(line for line in lines[1:] if b'"seq":' in line)
    assert b',"payload":' + rows(chaos, 1)[0][0][5] in first_event
    assert run("journal", "verify", str(target), "--run", "2").returncode == 0


def test_a_bad_export_line_names_it_and_imports_nothing(chaos, tmp_path):
    export = tmp_path / "chaos.ndjson"
    assert run("journal", "export", str(chaos), "--out", str(export)).returncode == 0
    lines = export.read_bytes().splitlines()
    lines[5] = b'{"seq":"five"}'
    broken = tmp_path / "broken.ndjson"
    broken.write_bytes(b"\n".join(lines) + b"\n")
    target = tmp_path / "target.sqlite"
    result = run("journal", "import", str(broken), "--into", str(target))
    assert result.returncode == 1 and result.stderr.startswith(f"error: '{broken}' line 6:"), result.stderr
    assert not target.exists() or sqlite3.connect(target).execute("SELECT count(*) FROM runs").fetchone()[0] == 0
    not_export = tmp_path / "notes.ndjson"
    not_export.write_text('{"hello":1}\n')
    result = run("journal", "import", str(not_export), "--into", str(target))
    assert result.returncode == 1 and "not a tablecast journal export" in result.stderr


def test_trim_keeps_a_window(chaos):
    before, faults_before = rows(chaos, 1)
    result = run("journal", "trim", str(chaos), "--from", "1000", "--to", "1999")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"run 1 of {chaos}: kept 1000 events, deleted 2000"
    after, faults_after = rows(chaos, 1)
    assert after == [e for e in before if 1000 <= e[0] <= 1999]
    assert faults_after == [f for f in faults_before if 999 <= f[0] <= 1999]
    assert run("journal", "trim", str(chaos)).returncode == 64


@pytest.mark.parametrize("command", [["ls"], ["show"], ["stats"], ["export"], ["trim", "--from", "1"],
                                     ["verify"]])
def test_a_file_that_is_not_a_journal_gets_one_line_and_is_left_alone(tmp_path, command):
    notes = tmp_path / "notes.sqlite"
    notes.write_bytes(b"not sqlite at all" * 100)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t(x)")
    newer = tmp_path / "newer.sqlite"
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA application_id = 1413630019")
        db.execute("PRAGMA user_version = 99")
    corrupt = tmp_path / "corrupt.sqlite"
    assert run("simulate", "--scenario", "default", "--events", "2000", "--out", str(corrupt)).returncode == 0
    with open(corrupt, "r+b") as file:  # a journal whose pages were overwritten
        file.seek(8192)
        file.write(b"\xde\xad" * 3000)
    for path, fragment in [(notes, "not an SQLite database"), (other, "other tables"), (newer, "newer"),
                           (tmp_path / "missing.sqlite", "does not exist"), (corrupt, "malformed")]:
        before = path.read_bytes() if path.exists() else None
        result = run("journal", command[0], str(path), *command[1:])
        assert result.returncode == 1, (command, path, result)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], (command, result.stderr)
        assert (path.read_bytes() if path.exists() else None) == before
