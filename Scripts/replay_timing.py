#!/usr/bin/env python3
"""How closely a replay kept its source's timing.

Usage: replay_timing.py REPLAY_JOURNAL [RUN]

Reads the replay run (the latest when RUN is not given), finds its source from the run's meta_json (`replayOf`),
and pairs each event the replay emitted with the source event it replayed (same range and filters). For each, the
schedule is the replay's first emission plus the source's spacing divided by the speed; the error is the emission
time (`mono_ns`, stamped by the emission pipeline) minus that schedule. Meant for a straight run: no pause, seek or speed change.
"""

import fnmatch
import json
import sqlite3
import sys


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    with sqlite3.connect(path) as db:
        run = int(sys.argv[2]) if len(sys.argv) > 2 else db.execute("SELECT max(id) FROM runs").fetchone()[0]
        meta = json.loads(db.execute("SELECT meta_json FROM runs WHERE id = ?", (run,)).fetchone()[0])
        emitted = db.execute("SELECT name, mono_ns FROM events WHERE run_id = ? ORDER BY seq", (run,)).fetchall()
    source = meta.get("replayOf")
    if source is None:
        sys.exit(f"run {run} of {path} is not a replay")
    if source["speed"] == "max":
        sys.exit("a replay at speed max has no schedule to compare with")
    speed = float(source["speed"])

    def admitted(name):
        if source["only"] and not any(fnmatch.fnmatchcase(name, p) for p in source["only"]):
            return False
        return not any(fnmatch.fnmatchcase(name, p) for p in source["except"])

    with sqlite3.connect(source["path"]) as db:
        original = [(name, mono) for name, mono in db.execute(
            "SELECT name, mono_ns FROM events WHERE run_id = ? AND seq BETWEEN ? AND ? ORDER BY seq",
            (source["run"], source["fromSeq"], source["toSeq"])) if admitted(name)]
    pairs = list(zip(emitted, original))
    if not pairs or any(a[0] != b[0] for a, b in pairs):
        sys.exit("the replay's events do not pair with its source's (was it paused, sought or filtered live?)")
    first_emitted, first_original = pairs[0][0][1], pairs[0][1][1]
    errors = [(e - first_emitted) - (o - first_original) / speed for (_, e), (_, o) in pairs]
    magnitudes = sorted(abs(x) for x in errors)
    late = sorted(errors)
    span = (pairs[-1][1][1] - first_original) / 1e9
    print(f"replay run {run} of {path}: {len(pairs)} events paired with run {source['run']} of {source['path']}, "
          f"speed {source['speed']}, source span {span:.1f} s")
    print("|emission - schedule| (us): " + ", ".join(
        f"p{int(q * 1000) / 10:g} {percentile(magnitudes, q) / 1000:.0f}" for q in (0.5, 0.9, 0.99, 0.999))
        + f", max {magnitudes[-1] / 1000:.0f}")
    print(f"earliest {late[0] / 1000:.0f} us, latest {late[-1] / 1000:.0f} us; "
          f"within 1 ms: {sum(1 for m in magnitudes if m <= 1_000_000) / len(magnitudes) * 100:.2f}%")


if __name__ == "__main__":
    main()
