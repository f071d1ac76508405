"""Rate accuracy from a journal: achieved rate, per-second counts and gaps between events' emission stamps.

Usage: python3 Scripts/rate_report.py JOURNAL [RUN_ID] [WARMUP_SECONDS]

`mono_ns` is stamped when the emission pipeline numbers the event, so the gaps are the server's own emission spacing.
"""
import sqlite3, sys, statistics
path, run_id = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None
db = sqlite3.connect(path)
if run_id is None:
    run_id = db.execute("SELECT max(id) FROM runs").fetchone()[0]
mono = [r[0] for r in db.execute("SELECT mono_ns FROM events WHERE run_id = ? ORDER BY seq", (run_id,))]
skip = int(sys.argv[3]) if len(sys.argv) > 3 else 0  # seconds to skip at the start (warm-up)
start = mono[0] + skip * 1_000_000_000
mono = [m for m in mono if m >= start]
span = (mono[-1] - mono[0]) / 1e9
gaps = sorted((b - a) / 1e3 for a, b in zip(mono, mono[1:]))
def pct(p): return gaps[min(len(gaps) - 1, int(p / 100 * len(gaps)))]
print(f"events {len(mono)} over {span:.3f} s: achieved {len(mono) / span:.1f} events/s")
print(f"gaps (us): mean {statistics.mean(gaps):.1f} p50 {pct(50):.1f} p90 {pct(90):.1f} p99 {pct(99):.1f} p99.9 {pct(99.9):.1f} max {gaps[-1]:.1f}")
per_second = {}
for m in mono:
    per_second[(m - mono[0]) // 1_000_000_000] = per_second.get((m - mono[0]) // 1_000_000_000, 0) + 1
full = [per_second[k] for k in sorted(per_second)[:-1]]
print(f"per-second counts: min {min(full)} max {max(full)} mean {statistics.mean(full):.1f}")
