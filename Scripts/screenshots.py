#!/usr/bin/env python3
"""The README's screenshots (docs/screenshots/), taken in headless Chromium from real runs: a serve with simulated
traffic and python-socketio clients, a replay of a chaos run, and both HTML reports.

    .venv/bin/python Scripts/screenshots.py .build/debug/tablecast

It takes about two minutes: the charts need a minute of traffic to show something.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "Interop"))

import requests  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from browser_kit import Browser  # noqa: E402
from tablecast_testkit import EventListener  # noqa: E402

OUT = REPO / "docs" / "screenshots"


def start(binary: str, *args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([binary, *args, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    for line in process.stdout:
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if match:
            return process, match.group(1)
    raise SystemExit(f"tablecast {' '.join(args)} did not start")


def shot(browser: Browser, name: str, height: int = 1000) -> None:
    browser.driver.set_window_size(1440, height)
    browser.js("window.scrollTo(0, 0)")
    time.sleep(0.6)
    OUT.mkdir(parents=True, exist_ok=True)
    browser.driver.save_screenshot(str(OUT / f"{name}.png"))
    print(f"docs/screenshots/{name}.png")


def main() -> None:
    binary = sys.argv[1] if len(sys.argv) > 1 else str(REPO / ".build" / "debug" / "tablecast")
    with tempfile.TemporaryDirectory() as directory:
        serve, url = start(binary, "serve", "--journal", f"{directory}/serve.sqlite", "--rate", "20/s")
        clients = [EventListener(url), EventListener(url), EventListener(url, transports=("polling",))]
        browser = Browser()
        try:
            # A minute of traffic, ramping up, so that the charts tell something.
            requests.post(f"{url}/_tablecast/simulation", json={"rampTo": 90, "rampSeconds": 50}, timeout=5)
            browser.open(url + "/")
            time.sleep(60)
            row = browser.find_all("#stream .stream-row:not([hidden]) button.line")[2]
            row.click()
            shot(browser, "dashboard-live")
            row.click()
            browser.color_scheme("dark")
            time.sleep(2)
            shot(browser, "dashboard-dark")
            browser.color_scheme("light")

            browser.by_id("tab-simulation").click()
            browser.by_id("sim-pause").click()
            time.sleep(1.5)
            shot(browser, "dashboard-simulation")
            browser.by_id("sim-pause").click()

            browser.by_id("tab-fire").click()
            Select(browser.by_id("fire-event")).select_by_value("newMessage")
            payload = browser.by_id("fire-payload")
            payload.clear()
            payload.send_keys('{"id": 501, "content": "Table 12 asks for the dessert menu", "authorId": 3, '
                              '"authorName": "maria", "isPinned": false, "createdAt": "2026-12-07T12:30:00.000Z"}')
            browser.by_id("fire-send").click()
            time.sleep(1)
            browser.js("document.getElementById('fire-problems').scrollIntoView()")
            shot(browser, "dashboard-fire")

            browser.by_id("tab-faults").click()
            browser.by_id("fault-inject").click()  # a duplicate
            Select(browser.by_id("fault-kind")).select_by_value("delay")
            browser.by_id("fault-inject").click()
            time.sleep(1)
            shot(browser, "dashboard-faults")
        finally:
            browser.close()
            for client in clients:
                client.close()
            serve.terminate()
            serve.wait(15)

        # 5,000 events/s: the page shows a sample.
        serve, url = start(binary, "serve", "--journal", f"{directory}/fast.sqlite", "--scenario", "steady-load",
                           "--rate", "5000/s")
        browser = Browser()
        try:
            browser.open(url + "/")
            time.sleep(20)
            shot(browser, "dashboard-5000")
        finally:
            browser.close()
            serve.terminate()
            serve.wait(15)

        # A replay of eight minutes of chaos at 10 events/s, played at 4× for a while, then paused.
        journal = f"{directory}/chaos.sqlite"
        subprocess.run([binary, "simulate", "--scenario", "chaos", "--rate", "10/s", "--duration", "8m", "--out",
                        journal, "--start", "2026-11-26T12:00:00.000Z"], check=True, capture_output=True)
        replay, url = start(binary, "replay", journal, "--journal", f"{directory}/replay.sqlite", "--speed", "4")
        clients = [EventListener(url)]
        browser = Browser()
        try:
            browser.open(url + "/")
            time.sleep(25)
            browser.by_id("replay-pause").click()
            time.sleep(1)
            shot(browser, "dashboard-replay")
        finally:
            browser.close()
            clients[0].close()
            replay.terminate()
            replay.wait(15)

        # The reports: a load run against a steady-load serve, and the chaos journal.
        serve, url = start(binary, "serve", "--journal", f"{directory}/load.sqlite", "--scenario", "steady-load",
                           "--rate", "1000/s")
        try:
            subprocess.run([binary, "load", url + "/events", "--clients", "100", "--ramp", "2s", "--duration", "15s",
                            "--report", f"{directory}/load.html"], check=True, capture_output=True)
        finally:
            serve.terminate()
            serve.wait(15)
        subprocess.run([binary, "journal", "report", journal, "--out", f"{directory}/journal.html"], check=True,
                       capture_output=True)
        browser = Browser()
        try:
            browser.open(Path(f"{directory}/load.html").as_uri())
            shot(browser, "report-load", 1180)
            browser.open(Path(f"{directory}/journal.html").as_uri())
            shot(browser, "report-journal", 1260)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
