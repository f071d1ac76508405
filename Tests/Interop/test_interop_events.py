"""Interop: python-socketio clients receive what `POST /_tablecast/emit` broadcasts.

For each transport mode (WebSocket only, polling only, polling upgraded to
WebSocket) 50 python-socketio clients join `/events`, 1,000 events of varied
names and JSON payloads are posted, and every client must receive all of them
in seq order.  A raw websocket-client connection checks the exact frame bytes
(`42/events,["name",<payload bytes as posted>]`), and after a graceful
shutdown the SQLite journal must hold exactly the posted payload bytes.
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional, Sequence, Tuple

import pytest
import requests
import socketio

from tablecast_testkit import (
    event_corpus,
    expected_frame,
    health,
    post_emit,
    read_journal,
    wait_for_clients,
    ws_join_namespace,
)

NAMESPACE = "/events"
N_CLIENTS = 50
N_EVENTS = 1000
CONNECT_TIMEOUT = 30.0
DELIVERY_TIMEOUT = 300.0
UPGRADE_TIMEOUT = 20.0

MODES = {
    "websocket": ["websocket"],
    "polling": ["polling"],
    "polling-upgrade": None,  # python-socketio's default: ['polling', 'websocket']
}


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


class Collector:
    """One python-socketio AsyncClient and the events it received on /events."""

    def __init__(self, index: int):
        self.index = index
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: List[Tuple[str, list]] = []
        self.disconnected = asyncio.Event()

        @self.sio.on("*", namespace=NAMESPACE)
        def catch_all(event, *args):
            self.events.append((event, list(args)))

        @self.sio.on("disconnect", namespace=NAMESPACE)
        def on_disconnect(*_reason):
            self.disconnected.set()

    async def connect(self, url: str, transports: Optional[Sequence[str]]) -> None:
        await self.sio.connect(
            url,
            namespaces=[NAMESPACE],
            transports=list(transports) if transports else None,
            wait_timeout=CONNECT_TIMEOUT,
        )


async def connect_all(url: str, count: int, transports: Optional[Sequence[str]]) -> List[Collector]:
    collectors = [Collector(i) for i in range(count)]
    gate = asyncio.Semaphore(10)

    async def one(c: Collector):
        async with gate:
            await c.connect(url, transports)

    await asyncio.gather(*(one(c) for c in collectors))
    return collectors


async def wait_async(predicate, timeout: float, message) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message() if callable(message) else message}")
        await asyncio.sleep(0.1)


def post_all(base: str, corpus: Sequence[Tuple[str, str]]) -> List[int]:
    seqs = []
    with requests.Session() as session:
        for i, (name, payload) in enumerate(corpus):
            seqs.append(post_emit(base, name, payload, variant=i, session=session))
    return seqs


def first_difference(got: list, want: list) -> str:
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            return f"first difference at index {i}: got {a!r}, want {b!r}"
    return f"lengths differ: got {len(got)}, want {len(want)}"


def assert_strictly_increasing(seqs: Sequence[int]) -> None:
    for a, b in zip(seqs, seqs[1:]):
        assert b > a, f"seq not increasing: {a} then {b}"


def check_journal(path, expected: Sequence[Tuple[int, str, str]], t_start: float, t_end: float) -> List[dict]:
    """expected: (seq, name, payload_text) in seq order."""
    runs, rows = read_journal(path)
    assert runs, "journal has no row in `runs`"
    run_ids = {r["id"] for r in runs}
    assert len(rows) == len(expected), f"journal has {len(rows)} events, {len(expected)} were posted"
    assert len({r["run_id"] for r in rows}) == 1, "events of one server run are spread over several run_ids"
    assert rows[0]["run_id"] in run_ids, "events.run_id does not reference a row of runs"
    last_mono = None
    for row, (seq, name, payload_text) in zip(rows, expected):
        where = f"journal seq {row['seq']}"
        assert row["seq"] == seq, f"{where}: seq {row['seq']} != posted seq {seq}"
        assert row["namespace"] == NAMESPACE, f"{where}: namespace {row['namespace']!r}"
        assert row["name"] == name, f"{where}: name {row['name']!r} != {name!r}"
        assert row["payload_type"] == "blob", f"{where}: payload stored as {row['payload_type']}, not a BLOB"
        assert row["payload"] == payload_text.encode("utf-8"), (
            f"{where}: payload bytes {row['payload']!r} != posted {payload_text.encode('utf-8')!r}"
        )
        assert t_start * 1000 - 5000 <= row["wall_ms"] <= t_end * 1000 + 5000, (
            f"{where}: wall_ms {row['wall_ms']} is not within the test's wall-clock window"
        )
        if last_mono is not None:
            assert row["mono_ns"] >= last_mono, f"{where}: mono_ns went backwards"
        last_mono = row["mono_ns"]
    return rows


# --------------------------------------------------------------------------
# 1,000 events to 50 clients, per transport mode
# --------------------------------------------------------------------------


@pytest.mark.timeout(900)
@pytest.mark.parametrize("mode", list(MODES))
def test_fanout_1000_events_to_50_clients(servers, mode):
    server = servers.serve(label=f"serve ({mode})")
    transports = MODES[mode]
    corpus = event_corpus(N_EVENTS)
    t_start = time.time()

    async def scenario():
        raw, _ = await asyncio.to_thread(ws_join_namespace, server.ws_url, NAMESPACE)
        try:
            collectors = await connect_all(server.url, N_CLIENTS, transports)
            try:
                await asyncio.to_thread(wait_for_clients, server.url, N_CLIENTS + 1, CONNECT_TIMEOUT)

                if mode == "polling-upgrade":
                    await wait_async(
                        lambda: all(c.sio.transport() == "websocket" for c in collectors),
                        UPGRADE_TIMEOUT,
                        lambda: "every client to upgrade to websocket; transports: "
                        + repr(sorted({c.sio.transport() for c in collectors})),
                    )
                else:
                    expected_transport = transports[0]
                    got = {c.sio.transport() for c in collectors}
                    assert got == {expected_transport}, f"client transports {got}, expected {expected_transport}"

                seqs = await asyncio.to_thread(post_all, server.url, corpus)
                assert_strictly_increasing(seqs)

                await wait_async(
                    lambda: all(len(c.events) >= N_EVENTS for c in collectors),
                    DELIVERY_TIMEOUT,
                    lambda: "all clients to receive 1000 events; counts: "
                    + repr(sorted(len(c.events) for c in collectors)[:5]) + "...",
                )
                raw_frames = []
                for _ in range(N_EVENTS):
                    raw_frames.append(await asyncio.to_thread(raw.recv_text_raw, 60.0))

                status = await asyncio.to_thread(health, server.url)
                assert status["lastSeq"] == seqs[-1], f"health lastSeq {status['lastSeq']} != last seq {seqs[-1]}"
                assert status["clients"] == N_CLIENTS + 1, status
                received = {c.index: list(c.events) for c in collectors}
            finally:
                await asyncio.gather(*(c.sio.disconnect() for c in collectors), return_exceptions=True)
        finally:
            await asyncio.to_thread(raw.close)
        await asyncio.to_thread(wait_for_clients, server.url, 0, CONNECT_TIMEOUT)
        return seqs, received, raw_frames

    seqs, received, raw_frames = asyncio.run(scenario())
    server.stop()  # SIGINT: exit code 0 within 15 s, journal committed
    t_end = time.time()

    # 1. the journal holds exactly what was posted, byte for byte, in seq order
    rows = check_journal(server.journal_path, [(s, n, p) for s, (n, p) in zip(seqs, corpus)], t_start, t_end)

    # 2. every client got every event, in seq order, decoding to the journal payloads
    want = [(row["name"], [json.loads(row["payload"].decode("utf-8"))]) for row in rows]
    for index, events in received.items():
        assert events == want, f"client {index} ({mode}): {first_difference(events, want)}"

    # 3. the frames on the wire are exactly 42/events,["name",<payload bytes>]
    want_frames = [expected_frame(NAMESPACE, n, p) for n, p in corpus]
    assert raw_frames == want_frames, f"raw frames: {first_difference(raw_frames, want_frames)}"


# --------------------------------------------------------------------------
# concurrent posters: delivery order is seq order
# --------------------------------------------------------------------------


@pytest.mark.timeout(600)
def test_concurrent_posts_are_delivered_in_seq_order(servers):
    server = servers.serve(label="serve (concurrent)")
    posters, per_poster = 4, 100
    t_start = time.time()

    def poster(t: int) -> List[Tuple[int, str, str]]:
        out = []
        with requests.Session() as session:
            for k in range(per_poster):
                name = f"poster{t}.event"
                payload = '{"poster":%d,"k":%d,"text":"a/b ünïcode €"}' % (t, k)
                out.append((post_emit(server.url, name, payload, variant=k, session=session), name, payload))
        return out

    async def scenario():
        raw, _ = await asyncio.to_thread(ws_join_namespace, server.ws_url, NAMESPACE)
        try:
            ws_clients = await connect_all(server.url, 3, ["websocket"])
            poll_clients = await connect_all(server.url, 2, ["polling"])
            collectors = ws_clients + poll_clients
            try:
                await asyncio.to_thread(wait_for_clients, server.url, len(collectors) + 1, CONNECT_TIMEOUT)

                def post_concurrently():
                    with ThreadPoolExecutor(posters) as pool:
                        results = list(pool.map(poster, range(posters)))
                    return sorted(item for chunk in results for item in chunk)

                posted = await asyncio.to_thread(post_concurrently)
                total = posters * per_poster
                await wait_async(
                    lambda: all(len(c.events) >= total for c in collectors),
                    DELIVERY_TIMEOUT,
                    lambda: f"all clients to receive {total} events",
                )
                raw_frames = [await asyncio.to_thread(raw.recv_text_raw, 60.0) for _ in range(total)]
                received = {
                    f"{kind}#{c.index}": list(c.events)
                    for kind, group in (("websocket", ws_clients), ("polling", poll_clients))
                    for c in group
                }
            finally:
                await asyncio.gather(*(c.sio.disconnect() for c in collectors), return_exceptions=True)
        finally:
            await asyncio.to_thread(raw.close)
        return posted, received, raw_frames

    posted, received, raw_frames = asyncio.run(scenario())
    seqs = [s for s, _, _ in posted]
    assert len(set(seqs)) == len(seqs), "two posts got the same seq"
    server.stop()
    t_end = time.time()

    check_journal(server.journal_path, posted, t_start, t_end)
    want = [(name, [json.loads(payload)]) for _, name, payload in posted]
    for index, events in received.items():
        assert events == want, f"client {index}: not in seq order: {first_difference(events, want)}"
    want_frames = [expected_frame(NAMESPACE, name, payload) for _, name, payload in posted]
    assert raw_frames == want_frames, f"raw frames: {first_difference(raw_frames, want_frames)}"


# --------------------------------------------------------------------------
# graceful shutdown while clients are connected
# --------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_graceful_shutdown_with_connected_clients(servers):
    server = servers.serve(label="serve (shutdown)")
    corpus = event_corpus(20)
    t_start = time.time()

    async def scenario():
        raw, _ = await asyncio.to_thread(ws_join_namespace, server.ws_url, NAMESPACE)
        ws_client = (await connect_all(server.url, 1, ["websocket"]))[0]
        poll_client = (await connect_all(server.url, 1, ["polling"]))[0]
        collectors = [ws_client, poll_client]
        try:
            await asyncio.to_thread(wait_for_clients, server.url, 3, CONNECT_TIMEOUT)
            seqs = await asyncio.to_thread(post_all, server.url, corpus)
            await wait_async(lambda: all(len(c.events) >= len(corpus) for c in collectors), DELIVERY_TIMEOUT,
                             "both clients to receive 20 events")
            # SIGINT with everyone still connected: exit code 0 within 15 s
            await asyncio.to_thread(server.stop)
            for c in collectors:
                await asyncio.wait_for(c.disconnected.wait(), 30.0)
            await asyncio.to_thread(raw.wait_closed, 30.0)
            return seqs
        finally:
            await asyncio.gather(*(c.sio.disconnect() for c in collectors), return_exceptions=True)
            await asyncio.to_thread(raw.close)

    seqs = asyncio.run(scenario())
    t_end = time.time()
    check_journal(server.journal_path, [(s, n, p) for s, (n, p) in zip(seqs, corpus)], t_start, t_end)
