"""The browser dashboard at `/`, in a real headless Chromium (Debian's, through Selenium and Debian's chromedriver),
against real `tablecast serve` and `tablecast replay` processes, with python-socketio clients on the side.

Each test leaves a screenshot in `artifacts/screenshots/`.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from browser_kit import Browser
from tablecast_testkit import HTTP_TIMEOUT, EventListener, health, tablecast_binary, wait_until

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def browser():
    opened = Browser()
    try:
        yield opened
    finally:
        opened.close()


def open_dashboard(browser: Browser, server, tab: str = "") -> None:
    browser.open(server.url + "/" + (f"#{tab}" if tab else ""))
    browser.wait(lambda: "live" in browser.by_id("link").text, what="the feed to go live")


def journal_rows(path: Path, seqs) -> dict:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        marks = ",".join("?" for _ in seqs)
        return {seq: (name, bytes(payload)) for seq, name, payload in connection.execute(
            f"SELECT seq, name, payload FROM events WHERE run_id = (SELECT max(id) FROM runs) AND seq IN ({marks})",
            list(seqs))}
    finally:
        connection.close()


# The stream's rows that show an event (the others wait, hidden, for more).
ROWS = "#stream .stream-row:not([hidden])"


def events(listener: EventListener) -> list:
    """The Socket.IO EVENT packets a client received, as they arrived."""
    return [packet for packet in listener.raw_packets() if packet.startswith("2")]


def simulation(server, token: str = "") -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{server.url}/_tablecast/simulation", headers=headers, timeout=HTTP_TIMEOUT).json()


def replay_status(server) -> dict:
    return requests.get(f"{server.url}/_tablecast/replay", timeout=HTTP_TIMEOUT).json()


# --------------------------------------------------------------------------------------------------------------------
# Served from the binary
# --------------------------------------------------------------------------------------------------------------------


def test_the_page_and_its_files_come_from_the_binary_and_name_nothing_outside(servers, tmp_path):
    server = servers.serve()
    page = requests.get(server.url + "/", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-cache" and page.headers["ETag"]
    again = requests.get(server.url + "/", headers={"If-None-Match": page.headers["ETag"]}, timeout=HTTP_TIMEOUT)
    assert again.status_code == 304 and again.content == b""
    # Compared weakly, as a proxy that compressed the page sends it back; another tag gets the page.
    for header, status in [(f'"x", W/{page.headers["ETag"]}', 304), ("*", 304), ('"x"', 200),
                           (page.headers["ETag"][:-2] + '"', 200)]:
        answer = requests.get(server.url + "/", headers={"If-None-Match": header}, timeout=HTTP_TIMEOUT)
        assert answer.status_code == status, header
    # HEAD is GET without the body.
    head = requests.head(server.url + "/", timeout=HTTP_TIMEOUT)
    assert head.status_code == 200 and head.content == b"" and head.headers["ETag"] == page.headers["ETag"]
    assert int(head.headers["Content-Length"]) == len(page.content)
    assert requests.head(f"{server.url}/dashboard/nope.js", timeout=HTTP_TIMEOUT).status_code == 404

    referenced = set(re.findall(r'(?:src|href)="([^"]+)"', page.text))
    assert referenced == {"/dashboard/favicon.svg", "/dashboard/tablecast.css", "/dashboard/app.js"}, referenced
    # Every module the page imports, followed from app.js, is served, and nothing names another host.
    seen, queue = set(), ["app.js"]
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        response = requests.get(f"{server.url}/dashboard/{name}", timeout=HTTP_TIMEOUT)
        assert response.status_code == 200, name
        assert response.headers["Content-Type"] == "text/javascript; charset=utf-8", name
        # The SVG namespace is a name, not a resource: nothing is fetched from it.
        text = response.text.replace('"http://www.w3.org/2000/svg"', "")
        assert not re.search(r"https?://", text), f"{name} names a URL"
        queue += re.findall(r'from "\./([a-z]+\.js)"', response.text)
    assert seen == {"app.js", "api.js", "charts.js", "stream.js", "panels.js", "schema.js"}
    css = requests.get(f"{server.url}/dashboard/tablecast.css", timeout=HTTP_TIMEOUT)
    assert css.headers["Content-Type"] == "text/css; charset=utf-8" and "prefers-color-scheme: dark" in css.text
    assert not re.search(r"https?://|@import|url\(", css.text)

    missing = requests.get(f"{server.url}/dashboard/nope.js", timeout=HTTP_TIMEOUT)
    assert missing.status_code == 404 and "error" in missing.json()
    # The feed's parameters are checked like any control input.
    bad = requests.get(f"{server.url}/_tablecast/dashboard/feed?interval=5", timeout=HTTP_TIMEOUT)
    assert bad.status_code == 400 and bad.json()["field"] == "interval"
    # A filter is matched on the emission path, so its size is bounded.
    many = requests.get(f"{server.url}/_tablecast/dashboard/feed?only=" + ",".join(["a*"] * 33), timeout=HTTP_TIMEOUT)
    assert many.status_code == 400 and many.json()["field"] == "only"
    long = requests.get(f"{server.url}/_tablecast/dashboard/feed?except=" + "*" * 257, timeout=HTTP_TIMEOUT)
    assert long.status_code == 400 and long.json()["field"] == "except"
    # Another site's page cannot read the feed.
    foreign = requests.get(f"{server.url}/_tablecast/dashboard/feed", headers={"Origin": "http://evil.example"},
                           timeout=HTTP_TIMEOUT)
    assert foreign.status_code == 403


def read_feed_event(response) -> dict:
    """The next server-sent event of a feed, parsed (one line reader per response, kept on it)."""
    if not hasattr(response, "feed_lines"):
        response.feed_lines = response.iter_lines(chunk_size=1, decode_unicode=True)
    data = []
    for line in response.feed_lines:
        if line == "" and data:
            return json.loads("\n".join(data))
        if line.startswith("data: "):
            data.append(line[6:])
    raise AssertionError("the feed ended")


def open_feeds(server) -> float:
    """`tablecast_dashboard_feeds` from `/metrics`, read by prometheus-client's parser."""
    text = requests.get(server.url + "/metrics", timeout=HTTP_TIMEOUT).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "tablecast_dashboard_feeds":
                return sample.value
    raise AssertionError("no tablecast_dashboard_feeds in /metrics")


def test_feeds_sample_by_filter_are_released_when_their_page_goes_and_end_promptly_at_shutdown(servers):
    server = servers.serve(idle=False, extra=["--rate", "200/s"])
    url = f"{server.url}/_tablecast/dashboard/feed?interval=100&only=order:*"
    with requests.get(url, stream=True, timeout=HTTP_TIMEOUT) as first:
        assert first.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        hello = read_feed_event(first)
        assert hello["type"] == "hello" and hello["mode"] == "serve" and hello["only"] == ["order:*"]
        assert open_feeds(server) == 1
        # Over a second of ticks at 200 events/s: orders were sampled, and other events counted but not matched.
        ticks = [read_feed_event(first) for _ in range(10)]
        assert all(tick["type"] == "tick" for tick in ticks)
        sampled = [event for tick in ticks for event in tick["events"]]
        assert sampled and all(event["name"].startswith("order:") for event in sampled)
        assert 0 < sum(tick["matched"] for tick in ticks) < sum(tick["seen"] for tick in ticks)
        assert all(len(tick["events"]) <= hello["sampleCapacity"] for tick in ticks)
    baseline = server.open_descriptors()
    # Opened and closed one after another, fewer than the 32 open at once allowed: a closed feed is noticed at its
    # next tick or so, and this many at once are under the cap however slow that is.
    for _ in range(24):
        with requests.get(url, stream=True, timeout=HTTP_TIMEOUT) as feed:
            assert feed.status_code == 200
            read_feed_event(feed)
    wait_until(lambda: open_feeds(server) == 0, timeout=10, message="every closed feed to leave the emission path")
    wait_until(lambda: server.open_descriptors() <= baseline, timeout=10,
               message="every closed feed's connection to be released")
    # Open feeds end within an interval when the server stops.
    feeds = [requests.get(url, stream=True, timeout=HTTP_TIMEOUT) for _ in range(3)]
    for feed in feeds:
        read_feed_event(feed)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5, "shutdown waited for the dashboard's feeds"
    for feed in feeds:
        feed.close()


def test_open_feeds_are_capped_with_a_json_503_and_a_closed_one_frees_its_place(servers):
    server = servers.serve()
    url = f"{server.url}/_tablecast/dashboard/feed?interval=2000"
    feeds = []
    try:
        for _ in range(32):
            feed = requests.get(url, stream=True, timeout=HTTP_TIMEOUT)
            feeds.append(feed)
            assert feed.status_code == 200 and read_feed_event(feed)["type"] == "hello"
        assert open_feeds(server) == 32
        refused = requests.get(url, stream=True, timeout=HTTP_TIMEOUT)
        assert refused.status_code == 503 and "32 dashboard feeds" in refused.json()["error"]
        feeds.pop().close()
        wait_until(lambda: open_feeds(server) == 31, timeout=10, message="the closed feed to free its place")
        again = requests.get(url, stream=True, timeout=HTTP_TIMEOUT)
        feeds.append(again)
        assert again.status_code == 200 and read_feed_event(again)["type"] == "hello"
    finally:
        for feed in feeds:
            feed.close()
    wait_until(lambda: open_feeds(server) == 0, timeout=10, message="every feed to be released")


# --------------------------------------------------------------------------------------------------------------------
# Live
# --------------------------------------------------------------------------------------------------------------------


def test_the_page_counts_python_socketio_clients_by_transport(servers, browser):
    server = servers.serve()
    open_dashboard(browser, server)
    browser.wait(lambda: browser.by_id("stat-clients").get_attribute("data-value") == "0", what="the first tick")
    websocket = EventListener(server.url, transports=("websocket",))
    polling = EventListener(server.url, transports=("polling",))
    try:
        browser.wait(lambda: browser.by_id("stat-clients").get_attribute("data-value") == "2",
                     what="two clients counted")
        sub = browser.by_id("stat-clients-sub")
        assert (sub.get_attribute("data-websocket"), sub.get_attribute("data-polling")) == ("1", "1")
        assert "1 WebSocket · 1 polling" in sub.text
        browser.screenshot("dashboard-clients")
    finally:
        websocket.close()
        polling.close()
    browser.wait(lambda: browser.by_id("stat-clients").get_attribute("data-value") == "0",
                 what="the clients to be gone")
    assert browser.errors() == []


def test_simulated_events_arrive_in_the_stream_with_their_journaled_payloads(servers, browser):
    server = servers.serve(idle=False, extra=["--rate", "40/s"])
    open_dashboard(browser, server)
    browser.wait(lambda: len(browser.find_all(ROWS)) >= 20, what="20 events in the stream")
    # One look at the rows, taken in the page (they change as events arrive).
    shown = browser.js("""return [...document.querySelectorAll(arguments[0])]
        .map((row) => [Number(row.dataset.seq), row.dataset.name, row.innerText])""", ROWS)
    seqs = [seq for seq, _, _ in shown]
    assert seqs == sorted(seqs, reverse=True), "newest first"
    # Each line names the event the journal holds under that seq.
    journal = journal_rows(server.journal_path, seqs)
    for seq, name, text in shown:
        assert name == journal[seq][0]
        assert f"#{seq}" in text and journal[seq][0] in text
    # Opening a line shows its payload, which is the journaled one; the view then holds still.
    seq, payload = browser.js("""const row = document.querySelectorAll(arguments[0])[3];
        row.querySelector('button.line').click();
        return [Number(row.dataset.seq), row.querySelector('pre').textContent]""", ROWS)
    assert json.loads(payload) == json.loads(journal_rows(server.journal_path, [seq])[seq][1])
    line = browser.find_all(ROWS)[3].find_element(By.CSS_SELECTOR, "button.line")
    assert line.get_attribute("aria-expanded") == "true"
    held = [row.get_attribute("data-seq") for row in browser.find_all(ROWS)][:5]
    time.sleep(1.0)
    assert [row.get_attribute("data-seq") for row in browser.find_all(ROWS)][:5] == held
    assert "Held while you read" in browser.by_id("stream-note").text
    browser.screenshot("dashboard-live")
    line.click()
    browser.wait(lambda: browser.find_all(ROWS)[0].get_attribute("data-seq") != held[0],
                 what="the stream to move on once the payload is closed")
    # The events chart and the figures carry the rate.
    browser.wait(lambda: float(browser.find("#chart-events path.line").get_attribute("data-last") or 0) > 20,
                 what="the events chart to show about 40 events/s")
    assert browser.errors() == []


def test_the_stream_filters_by_name_and_pauses_without_pausing_the_server(servers, browser):
    server = servers.serve(idle=False, extra=["--rate", "60/s"])
    open_dashboard(browser, server)
    browser.wait(lambda: len(browser.find_all(ROWS)) >= 5, what="events")
    browser.by_id("stream-filter").send_keys("order:")
    browser.wait(lambda: (rows := browser.find_all(ROWS)) and len(rows) >= 5
                 and all(row.get_attribute("data-name").startswith("order:") for row in rows),
                 what="only order:* events")
    pause = browser.by_id("stream-pause")
    pause.click()
    assert pause.get_attribute("aria-pressed") == "true"
    shown = [row.get_attribute("data-seq") for row in browser.find_all(ROWS)]
    seq_before = health(server.url)["lastSeq"]
    time.sleep(1.0)
    assert [row.get_attribute("data-seq") for row in browser.find_all(ROWS)] == shown
    assert health(server.url)["lastSeq"] > seq_before + 20, "the server kept emitting"
    assert "Paused" in browser.by_id("stream-note").text
    pause.click()
    browser.wait(lambda: browser.find_all(ROWS)[0].get_attribute("data-seq") != shown[0],
                 what="the stream to resume")


def test_pausing_the_simulation_from_the_page_pauses_the_server(servers, browser):
    server = servers.serve(idle=False, extra=["--rate", "50/s"])
    open_dashboard(browser, server, "simulation")
    button = browser.by_id("sim-pause")
    browser.wait(lambda: button.is_enabled() and button.text == "Pause", what="the simulation's state")
    button.click()
    # The answer to the pause comes once no event is on its way out: from then on, nothing is emitted.
    browser.wait(lambda: browser.by_id("sim-answer").text.startswith("200 "), what="the answer to the pause")
    assert simulation(server)["paused"] is True
    first = health(server.url)["lastSeq"]
    time.sleep(0.6)
    assert health(server.url)["lastSeq"] == first, "a paused simulation emits nothing"
    browser.wait(lambda: button.text == "Resume" and browser.by_id("stat-source").text == "paused",
                 what="the page to show the pause")
    assert browser.by_id("sim-answer").text.startswith("200 ")
    browser.screenshot("dashboard-simulation")
    button.click()
    wait_until(lambda: simulation(server)["paused"] is False, timeout=10, message="the server to resume")
    # Rate, ramp and scenario controls reach the server too.
    rate = browser.by_id("sim-rate")
    rate.clear()
    rate.send_keys("120")
    browser.by_id("sim-rate-set").click()
    wait_until(lambda: simulation(server)["targetRate"] == 120, timeout=10, message="the new rate")
    Select(browser.by_id("sim-scenario-select")).select_by_value("dinner-rush")
    browser.by_id("sim-switch").click()
    wait_until(lambda: simulation(server)["scenario"] == "dinner-rush", timeout=10, message="the new scenario")
    browser.wait(lambda: browser.by_id("sim-scenario").text == "dinner-rush", what="the page to show it")
    bad = browser.by_id("sim-timescale")
    bad.clear()
    bad.send_keys("0")
    browser.by_id("sim-timescale-set").click()
    assert "above 0" in browser.by_id("sim-answer").text


# --------------------------------------------------------------------------------------------------------------------
# Fire an event
# --------------------------------------------------------------------------------------------------------------------


def test_an_event_fired_from_the_form_reaches_a_client_byte_for_byte(servers, browser):
    server = servers.serve()
    listener = EventListener(server.url)
    try:
        open_dashboard(browser, server, "fire")
        browser.wait(lambda: len(Select(browser.by_id("fire-event")).options) == 20, what="the catalog")
        Select(browser.by_id("fire-event")).select_by_value("table:activated")
        payload = browser.by_id("fire-payload")
        assert json.loads(payload.get_attribute("value")) == {"tableNumber": 7}, "pre-filled from the example"

        # Not in the contract: refused in the page, nothing sent.
        payload.clear()
        payload.send_keys('{"tableNumber": 0, "vip": true}')
        problems = [li.text for li in browser.find_all("#fire-problems li")]
        assert any("at least 1" in text for text in problems), problems
        assert any('"vip" is not in the contract' in text for text in problems), problems
        browser.by_id("fire-send").click()
        assert browser.by_id("fire-answer").text.startswith("Not sent")
        assert health(server.url)["lastSeq"] == 0

        # In the contract, with spacing of its own: sent as typed.
        typed = '{ "tableNumber" :  12 }'
        payload.clear()
        payload.send_keys(typed)
        assert browser.find_all("#fire-problems li") == []
        browser.by_id("fire-send").click()
        browser.wait(lambda: browser.by_id("fire-answer").text.startswith("202 "), what="the answer")
        assert json.loads(browser.by_id("fire-answer").text[4:]) == {"seq": 1}
        wait_until(lambda: events(listener), timeout=10, message="the client to receive it")
        assert events(listener) == ['2/events,["table:activated",' + typed + "]"]
        browser.screenshot("dashboard-fire")

        # Sending anyway is a choice the page offers.
        payload.clear()
        payload.send_keys('{"tableNumber":"seven"}')
        browser.by_id("fire-force").click()
        browser.by_id("fire-send").click()
        browser.wait(lambda: browser.by_id("fire-answer").text.startswith("202 "), what="the second answer")
        wait_until(lambda: len(events(listener)) == 2, timeout=10, message="the second event")
        assert events(listener)[1] == '2/events,["table:activated",{"tableNumber":"seven"}]'
    finally:
        listener.close()


# --------------------------------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------------------------------


def test_faults_are_injected_from_the_page_and_counted(servers, browser):
    server = servers.serve()
    listener = EventListener(server.url)
    try:
        requests.post(f"{server.url}/tables/3/activate", timeout=HTTP_TIMEOUT).raise_for_status()
        open_dashboard(browser, server, "faults")
        Select(browser.by_id("fault-kind")).select_by_value("duplicate")
        browser.by_id("fault-inject").click()
        browser.wait(lambda: browser.by_id("fault-answer").text.startswith("202 "), what="the duplicate's answer")
        assert json.loads(browser.by_id("fault-answer").text[4:]) == {"fault": "duplicate", "seqs": [2]}
        wait_until(lambda: len(events(listener)) == 2, timeout=10, message="the duplicate")
        assert events(listener)[0] == events(listener)[1]

        Select(browser.by_id("fault-kind")).select_by_value("delay")
        assert browser.by_id("fault-delay-ms").is_displayed() and not browser.by_id("fault-replay-count").is_displayed()
        delay = browser.by_id("fault-delay-ms")
        delay.clear()
        delay.send_keys("3000")
        browser.by_id("fault-inject").click()
        browser.wait(lambda: "held" in browser.by_id("fault-state").text, what="the page to show delivery held")
        browser.wait(lambda: browser.find('#fault-counts tr[data-kind="delay"] td.num').text == "1",
                     what="the delay counted")
        assert browser.find('#fault-counts tr[data-kind="duplicate"] td.num').text == "1"
        browser.screenshot("dashboard-faults")

        # A bad parameter gets the server's answer, naming the field.
        Select(browser.by_id("fault-kind")).select_by_value("replay")
        count = browser.by_id("fault-replay-count")
        count.clear()
        count.send_keys("-2")
        browser.by_id("fault-inject").click()
        browser.wait(lambda: browser.by_id("fault-answer").text.startswith("400 "), what="the refusal")
        assert json.loads(browser.by_id("fault-answer").text[4:])["field"] == "count"
        faults = requests.get(f"{server.url}/_tablecast/faults", timeout=HTTP_TIMEOUT).json()
        assert faults["injected"]["duplicate"] == 1 and faults["injected"]["delay"] == 1
        assert faults["injected"]["replay"] == 0
    finally:
        listener.close()


# --------------------------------------------------------------------------------------------------------------------
# Replay
# --------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """Eight minutes of the chaos scenario at 10 events/s: a run with faults and a timeline worth seeking in."""
    path = tmp_path_factory.mktemp("dashboard") / "lunch.sqlite"
    subprocess.run([str(tablecast_binary()), "simulate", "--scenario", "chaos", "--rate", "10/s", "--duration", "8m",
                    "--out", str(path), "--start", "2026-11-26T12:00:00.000Z"], check=True, capture_output=True,
                   timeout=120)
    return path


def test_a_replay_is_paused_stepped_sped_up_and_sought_from_its_timeline(servers, browser, recorded):
    server = servers.replay(recorded, extra=["--speed", "1"])
    open_dashboard(browser, server)
    assert browser.by_id("tab-replay").get_attribute("aria-selected") == "true", "a replay opens on its panel"
    browser.wait(lambda: browser.find_all("#replay-timeline rect.bar"), what="the timeline")
    bars = browser.find_all("#replay-timeline rect.bar")
    timeline = requests.get(f"{server.url}/_tablecast/replay/timeline", timeout=HTTP_TIMEOUT).json()
    assert timeline["bucketMillis"] == 1000 and len(bars) == len(timeline["counts"])
    assert [int(bar.get_attribute("data-count")) for bar in bars] == timeline["counts"]
    connection = sqlite3.connect(f"file:{recorded}?mode=ro", uri=True)
    assert sum(timeline["counts"]) == connection.execute("SELECT count(*) FROM events").fetchone()[0]
    connection.close()

    browser.wait(lambda: browser.by_id("replay-pause").is_enabled(), what="the replay's state")
    browser.by_id("replay-pause").click()
    wait_until(lambda: replay_status(server)["state"] == "paused", timeout=10, message="the replay to pause")
    browser.wait(lambda: browser.by_id("replay-pause").text == "Resume", what="the page to show it")
    before = replay_status(server)["sent"]
    step = browser.by_id("replay-step-count")
    step.clear()
    step.send_keys("3")
    browser.by_id("replay-step").click()
    wait_until(lambda: replay_status(server)["sent"] == before + 3, timeout=10, message="three steps")
    assert replay_status(server)["state"] == "paused"

    # Click the timeline two thirds along: the replay goes to the first event of that second.
    chart = browser.by_id("replay-timeline")
    target = int(len(bars) * 2 / 3)
    bar = bars[target]
    while timeline["firstSeqs"][target] is None:
        target += 1
        bar = bars[target]
    browser.driver.execute_script("""
        const box = arguments[0].getBoundingClientRect();
        const chart = arguments[1];
        chart.querySelector('rect[fill="transparent"]').dispatchEvent(new MouseEvent('click', {
            bubbles: true, clientX: box.left + box.width / 2, clientY: box.top + box.height / 2}));
    """, bar, chart)
    browser.wait(lambda: browser.by_id("replay-answer").text.startswith("200 "), what="the seek's answer")
    browser.by_id("replay-step").click()  # 3 more: the first of them is the bucket's first event
    expected = timeline["firstSeqs"][target] + 2
    wait_until(lambda: (replay_status(server)["position"] or {}).get("seq") == expected, timeout=10,
               message=f"the position to be seq {expected}")
    browser.wait(lambda: f"seq {expected}" in browser.by_id("replay-position").text, what="the page's position")
    position = float(browser.find("#replay-timeline line.position").get_attribute("x1"))
    assert abs(position - float(bar.get_attribute("x"))) < 3 * float(bar.get_attribute("width")) + 2
    browser.screenshot("dashboard-replay")

    Select(browser.by_id("replay-speed")).select_by_value("4")
    wait_until(lambda: replay_status(server)["speed"] == 4, timeout=10, message="speed 4")
    seek = browser.by_id("replay-seek-to")
    seek.send_keys("+1m")
    browser.by_id("replay-seek").click()
    browser.wait(lambda: browser.by_id("replay-answer").text.startswith("200 "), what="the offset seek")
    browser.by_id("replay-pause").click()
    wait_until(lambda: replay_status(server)["state"] == "playing", timeout=10, message="the replay to resume")


# --------------------------------------------------------------------------------------------------------------------
# The token, the keyboard, the look, the pace
# --------------------------------------------------------------------------------------------------------------------


def test_with_a_control_token_the_page_asks_once_and_keeps_it_for_the_tab(servers, browser):
    server = servers.serve(idle=False, extra=["--rate", "20/s", "--control-token", "s3cret-token"])
    browser.open(server.url + "/")
    browser.wait(lambda: browser.by_id("token-dialog").get_attribute("open") is not None, what="the token dialog")
    browser.screenshot("dashboard-token")
    field = browser.by_id("token-input")
    field.send_keys("wrong")
    field.send_keys(Keys.ENTER)
    browser.wait(lambda: "refused" in browser.by_id("token-problem").text, what="the wrong token refused")
    field = browser.by_id("token-input")
    field.send_keys("s3cret-token")
    field.send_keys(Keys.ENTER)
    browser.wait(lambda: "live" in browser.by_id("link").text, what="the feed with the token")
    browser.wait(lambda: browser.find_all(ROWS), what="events")
    # The controls use it too.
    browser.by_id("tab-simulation").click()
    browser.wait(lambda: browser.by_id("sim-pause").is_enabled(), what="the simulation's state")
    browser.by_id("sim-pause").click()
    wait_until(lambda: simulation(server, "s3cret-token")["paused"] is True, timeout=10,
               message="the pause with the token")
    # Kept for the tab: a reload asks nothing.
    browser.driver.refresh()
    browser.wait(lambda: "live" in browser.by_id("link").text, what="live again after a reload")
    assert browser.by_id("token-dialog").get_attribute("open") is None
    assert browser.js("return sessionStorage.getItem('tablecast.controlToken')") == "s3cret-token"


def test_every_control_is_a_labelled_native_control_and_the_tabs_follow_the_keyboard(servers, browser):
    server = servers.serve()
    open_dashboard(browser, server)
    unlabelled = browser.js("""
        const bad = [];
        for (const el of document.querySelectorAll('button, input, select, textarea')) {
            if (el.closest('[hidden]')) continue;
            const label = el.getAttribute('aria-label') || (el.id && document.querySelector(`label[for="${el.id}"]`))
                || el.closest('label') || (el.tagName === 'BUTTON' && el.textContent.trim());
            if (!label) bad.push(el.outerHTML.slice(0, 80));
        }
        const clickable = [...document.querySelectorAll('[onclick], div[tabindex="0"], span[tabindex="0"]')];
        return bad.concat(clickable.map((el) => 'not native: ' + el.outerHTML.slice(0, 80)));
    """)
    assert unlabelled == []
    tab = browser.by_id("tab-simulation")
    tab.click()
    tab.send_keys(Keys.ARROW_RIGHT)
    assert browser.driver.switch_to.active_element.get_attribute("id") == "tab-fire"
    assert browser.by_id("panel-fire").is_displayed() and not browser.by_id("panel-simulation").is_displayed()
    browser.driver.switch_to.active_element.send_keys(Keys.END)
    assert browser.driver.switch_to.active_element.get_attribute("id") == "tab-replay"
    assert "does not replay" in browser.by_id("replay-off").text


def test_dark_and_light_follow_the_system_setting(servers, browser):
    server = servers.serve(idle=False, extra=["--rate", "20/s"])
    open_dashboard(browser, server)
    light = browser.js("return getComputedStyle(document.body).backgroundColor")
    browser.color_scheme("dark")
    browser.wait(lambda: browser.js("return getComputedStyle(document.body).backgroundColor") != light,
                 what="the dark colours")
    dark = browser.js("return getComputedStyle(document.body).backgroundColor")
    luminance = lambda rgb: sum(int(v) for v in re.findall(r"\d+", rgb)[:3])  # noqa: E731
    assert luminance(light) > 600 and luminance(dark) < 150, (light, dark)
    browser.wait(lambda: len(browser.find_all(ROWS)) >= 10, what="events")
    time.sleep(2.5)
    browser.screenshot("dashboard-dark")


def test_the_page_stays_smooth_and_still_at_5000_events_per_second(servers, browser):
    server = servers.serve(idle=False, extra=["--scenario", "steady-load", "--rate", "5000/s"])
    browser.open(server.url + "/")
    browser.js("""
        window.__shifts = 0; window.__long = 0; window.__frames = 0;
        new PerformanceObserver((list) => { for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts += e.value; })
            .observe({ type: 'layout-shift', buffered: false });
        new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long += e.duration; })
            .observe({ type: 'longtask', buffered: false });
    """)
    browser.wait(lambda: "live" in browser.by_id("link").text, what="live")
    browser.wait(lambda: len(browser.find_all(ROWS)) >= 100, what="a full stream")
    browser.js("""
        window.__frames = 0;
        const count = () => { window.__frames++; requestAnimationFrame(count); };
        requestAnimationFrame(count);
        window.__shifts = 0; window.__long = 0;
    """)
    started = health(server.url)["lastSeq"]
    time.sleep(5)
    emitted = health(server.url)["lastSeq"] - started
    frames, shifts, long_tasks = browser.js("return [window.__frames, window.__shifts, window.__long]")
    rows = len(browser.find_all(ROWS))
    browser.screenshot("dashboard-5000")
    assert emitted > 5 * 2000, f"the server emitted only {emitted} events in 5 s"
    assert rows <= 200, f"{rows} rows: the page must keep at most 200"
    assert frames >= 5 * 30, f"{frames} frames in 5 s"
    assert shifts < 0.05, f"layout shift {shifts}"
    assert long_tasks < 1000, f"{long_tasks} ms of long tasks in 5 s"
    note = browser.by_id("stream-note").text
    assert note.startswith("Showing a sample"), note
    shown = browser.by_id("stat-rate").text
    assert shown.endswith("K"), f"events per second shown as {shown!r}"


def test_a_cluster_node_shows_its_role_and_its_redis(servers, browser, redis_server):
    owner = servers.serve(label="owner", extra=["--redis", redis_server.url])
    follower = servers.serve(label="follower", extra=["--redis", redis_server.url, "--follow"])
    open_dashboard(browser, follower)
    browser.wait(lambda: browser.by_id("cluster").text == "cluster follower · Redis connected",
                 what="the follower's badge")
    assert browser.by_id("mode").text == "follower"
    assert browser.by_id("stat-source").text == "follower"
    # An event the owner emits reaches the follower's stream.
    requests.post(f"{owner.url}/_tablecast/emit", json={"event": "table:activated", "payload": {"tableNumber": 4}},
                  timeout=HTTP_TIMEOUT).raise_for_status()
    browser.wait(lambda: [row.get_attribute("data-name") for row in browser.find_all(ROWS)] == ["table:activated"],
                 what="the owner's event in the follower's stream")
    open_dashboard(browser, owner)
    browser.wait(lambda: browser.by_id("cluster").text == "cluster owner · Redis connected", what="the owner's badge")


# --------------------------------------------------------------------------------------------------------------------
# The HTML reports, opened in the browser
# --------------------------------------------------------------------------------------------------------------------


def chart_series(browser: Browser, chart: str) -> dict:
    """Each series of a report chart as the browser has it: its values, and its drawn points' heights."""
    return browser.js("""
        const chart = document.getElementById(arguments[0]);
        const box = chart.viewBox.baseVal;
        const out = {};
        for (const series of chart.querySelectorAll('[data-series][data-values]')) {
            out[series.dataset.series] = {
                values: series.dataset.values.split(',').map((v) => v === '' ? null : Number(v)),
                points: [...series.querySelectorAll('circle.point')].map((c) => [Number(c.dataset.index),
                    Number(c.dataset.value), c.cy.baseVal.value]),
                height: box.height,
            };
        }
        return out;
    """, chart)


def test_the_load_report_opens_in_the_browser_and_its_charts_hold_the_run(servers, browser, tmp_path):
    server = servers.serve(idle=False, extra=["--scenario", "steady-load", "--rate", "500/s"])
    report = tmp_path / "load.html"
    result = subprocess.run([str(tablecast_binary()), "load", server.url + "/events", "--clients", "20", "--ramp",
                             "1s", "--duration", "4s", "--json", "--report", str(report)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    browser.open(report.as_uri())
    assert browser.find("body").get_attribute("data-report") == "load"
    assert browser.by_id("verdict").get_attribute("data-clean") == "true" and browser.by_id("verdict").text == "PASS"
    for name, key in [("delivered", "delivered"), ("expected", "expected"), ("lost", "lost"),
                      ("deliveries", "deliveries")]:
        assert int(browser.by_id(f"stat-{name}").get_attribute("data-value")) == figures[key], name
    assert browser.by_id("stat-delivered").text == f"{figures['delivered']:,}"

    seconds = figures["timeline"]
    assert len(seconds) >= 4
    deliveries = chart_series(browser, "chart-deliveries")["deliveries"]
    assert deliveries["values"] == [second["deliveriesPerSecond"] for second in seconds] or \
        [round(v) for v in deliveries["values"]] == [round(second["deliveriesPerSecond"]) for second in seconds]
    assert sum(second["deliveries"] for second in seconds) == figures["deliveries"]
    # The drawn points follow the values: the busiest second is drawn highest (smallest y).
    points = deliveries["points"]
    assert len(points) == len(seconds)
    highest = min(points, key=lambda point: point[2])
    assert highest[1] == max(value for value in deliveries["values"] if value is not None)
    latency = chart_series(browser, "chart-latency")
    assert set(latency) == {"p50", "p90", "p99", "max"}
    for index, second in enumerate(seconds):
        if second["traced"]:
            assert latency["p99"]["values"][index] == pytest.approx(second["p99"] / 1000, rel=1e-3, abs=0.01)
            assert latency["p50"]["values"][index] <= latency["p99"]["values"][index] <= latency["max"]["values"][index]
    # Self-contained: nothing was requested from anywhere.
    assert browser.js("return performance.getEntriesByType('resource').length") == 0
    browser.driver.set_window_size(1440, 1200)
    browser.screenshot("report-load")


def test_the_journal_report_opens_in_the_browser_and_its_timeline_holds_the_run(browser, tmp_path):
    journal = tmp_path / "chaos.sqlite"
    subprocess.run([str(tablecast_binary()), "simulate", "--scenario", "chaos", "--rate", "10/s", "--duration", "15m",
                    "--out", str(journal), "--start", "2026-11-26T12:00:00.000Z"], check=True, capture_output=True,
                   timeout=120)
    report = tmp_path / "journal.html"
    subprocess.run([str(tablecast_binary()), "journal", "report", str(journal), "--out", str(report)], check=True,
                   capture_output=True, timeout=120)
    browser.open(report.as_uri())
    assert browser.find("body").get_attribute("data-report") == "journal"
    chart = browser.by_id("chart-timeline")
    width = int(chart.get_attribute("data-bucket-ms"))
    origin = int(chart.get_attribute("data-origin-ms"))
    first = int(chart.get_attribute("data-first-bucket"))
    assert width == 2000, "a 15-minute run gets 2 s buckets (at most 600)"
    series = browser.js("""return Object.fromEntries([...document.querySelectorAll('#chart-timeline path.area.stacked')]
        .map((p) => [p.dataset.series, p.dataset.values.split(',').map(Number)]))""")
    connection = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    rows = connection.execute("SELECT name, (wall_ms - ?) / ?, count(*) FROM events GROUP BY 1, 2",
                              (origin, width)).fetchall()
    totals = dict(connection.execute("SELECT name, count(*) FROM events GROUP BY name").fetchall())
    gaps_and_faults = connection.execute("SELECT count(*) FROM faults").fetchone()[0]
    connection.close()
    top = sorted(totals, key=lambda name: (-totals[name], name))[:7]
    assert set(series) == set(top) | {"other"}
    legend = [item.get_attribute("data-series") for item in browser.find_all("#chart-timeline ~ .legend [data-series]")
              if item.get_attribute("data-series") not in ("gap", "fault")]
    assert legend == top + ["other"], "the legend lists the busiest names first"
    expected = {name: [0] * len(series[top[0]]) for name in series}
    for name, bucket, count in rows:
        expected[name if name in top else "other"][bucket - first] += count
    assert series == expected
    assert int(browser.by_id("stat-events").get_attribute("data-value")) == sum(totals.values())
    assert int(browser.by_id("stat-faults").get_attribute("data-value")) == gaps_and_faults
    names = {row.get_attribute("data-name"): int(row.get_attribute("data-count"))
             for row in browser.find_all("#names-table tbody tr")}
    assert names == totals
    assert browser.js("return performance.getEntriesByType('resource').length") == 0
    browser.driver.set_window_size(1440, 1300)
    browser.screenshot("report-journal")
