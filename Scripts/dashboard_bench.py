#!/usr/bin/env python3
"""What the dashboard costs at a high event rate, on both sides: the server's CPU per event with no page open and
with one open, and in the page (headless Chromium, as the browser tests drive it) the frames drawn, the main thread's
long tasks, the layout shift and the feed's bytes.

    Scripts/dashboard_bench.py .build/release/tablecast --rate 5000 --seconds 20

Run it from the repository with the test venv (`.venv/bin/python Scripts/dashboard_bench.py …`).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "Interop"))

from browser_kit import Browser  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def last_seq(url: str) -> int:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{url}/_tablecast/health", timeout=5) as response:
        return json.load(response)["lastSeq"]


def measure(pid: int, url: str, seconds: float) -> tuple[float, int]:
    cpu, seq = cpu_seconds(pid), last_seq(url)
    time.sleep(seconds)
    return cpu_seconds(pid) - cpu, last_seq(url) - seq


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        server = subprocess.Popen(
            [args.binary, "serve", "--port", "0", "--journal", f"{directory}/bench.sqlite", "--scenario",
             "steady-load", "--rate", f"{args.rate}/s"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            url = None
            for line in server.stdout:
                match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
                if match:
                    url = match.group(1)
                    break
            assert url, "the server did not start"
            time.sleep(3)
            cpu, events = measure(server.pid, url, args.seconds)
            print(f"no page open:  {events / args.seconds:8.0f} events/s, server {cpu / max(1, events) * 1e6:.1f} µs CPU/event")
            browser = Browser()
            try:
                browser.open(url + "/")
                browser.js("""
                    window.__shift = 0; window.__long = 0; window.__longCount = 0; window.__frames = 0;
                    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__shift += e.value; })
                        .observe({ type: 'layout-shift' });
                    new PerformanceObserver((l) => { for (const e of l.getEntries()) { window.__long += e.duration; window.__longCount++; } })
                        .observe({ type: 'longtask' });
                """)
                time.sleep(3)
                browser.js("""window.__frames = 0; window.__shift = 0; window.__long = 0; window.__longCount = 0;
                    const count = () => { window.__frames++; requestAnimationFrame(count); }; requestAnimationFrame(count);""")
                cpu, events = measure(server.pid, url, args.seconds)
                frames, shift, long_ms, long_count = browser.js(
                    "return [window.__frames, window.__shift, window.__long, window.__longCount]")
                rows = browser.js("return document.querySelectorAll('#stream .stream-row:not([hidden])').length")
                print(f"one page open: {events / args.seconds:8.0f} events/s, server {cpu / max(1, events) * 1e6:.1f} µs CPU/event")
                print(f"page: {frames / args.seconds:.0f} frames/s, {long_count} long tasks ({long_ms:.0f} ms in "
                      f"{args.seconds:.0f} s), layout shift {shift:.4f}, {rows} rows shown")
            finally:
                browser.close()
            # The feed's own size on the wire, read for 5 s.
            import urllib.request

            received, started = 0, time.monotonic()
            with urllib.request.urlopen(f"{url}/_tablecast/dashboard/feed", timeout=5) as feed:
                while time.monotonic() - started < 5:
                    received += len(feed.read1(65536))
            print(f"feed: {received / 5 / 1024:.0f} KiB/s")
        finally:
            server.terminate()
            server.wait(15)


if __name__ == "__main__":
    main()
