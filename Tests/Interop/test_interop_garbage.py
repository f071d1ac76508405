"""Interop: a client sending malformed packets is closed; nobody else notices.

A raw client completes the Engine.IO handshake, joins /events, then sends a
malformed packet.  The server must close that connection, while a
python-socketio client connected at the same time keeps receiving the events
emitted afterwards, and /_tablecast/health keeps answering.
"""

from __future__ import annotations

import asyncio
import time

import pytest
import requests
import socketio

from tablecast_testkit import (
    HTTP_TIMEOUT,
    expected_frame,
    health,
    polling_handshake,
    post_emit,
    wait_for_clients,
    wait_until,
    ws_join_namespace,
)

NAMESPACE = "/events"
CLOSE_BOUND = 10.0

GARBAGE = [
    pytest.param("4zzz", id="socketio-unknown-packet-type"),
    pytest.param("42/events,[unclosed", id="event-unclosed-json"),
    pytest.param('42/events,{"not":"an array"}', id="event-payload-not-array"),
    pytest.param("42/events,[]", id="event-payload-empty-array"),
    pytest.param('49/events,["x"]', id="socketio-packet-type-9"),
    pytest.param("zzz", id="engineio-unknown-packet-type"),
]


async def _connect_good_client(url: str, received: list, transports):
    sio = socketio.AsyncClient(reconnection=False)

    @sio.on("*", namespace=NAMESPACE)
    def on_any(event, *args):
        received.append((event, list(args)))

    await sio.connect(url, namespaces=[NAMESPACE], transports=transports, wait_timeout=30)
    return sio


@pytest.mark.parametrize("garbage", GARBAGE)
def test_malformed_websocket_packet_closes_only_that_client(servers, garbage):
    server = servers.serve(label="serve (garbage)")

    async def scenario():
        received: list = []
        good = await _connect_good_client(server.url, received, ["websocket"])
        raw, _ = await asyncio.to_thread(ws_join_namespace, server.ws_url, NAMESPACE)
        try:
            await asyncio.to_thread(wait_for_clients, server.url, 2, 30.0)

            # both get an event before the garbage
            await asyncio.to_thread(post_emit, server.url, "order:created", '{"n":0}')
            frame = await asyncio.to_thread(raw.recv_text_raw, 30.0)
            assert frame == expected_frame(NAMESPACE, "order:created", '{"n":0}')

            raw.send(garbage)
            await asyncio.to_thread(raw.wait_closed, CLOSE_BOUND)

            # the server is still healthy and counts only the good client
            await asyncio.to_thread(wait_for_clients, server.url, 1, 30.0)

            for n in range(1, 4):
                await asyncio.to_thread(post_emit, server.url, "order:updated", '{"n":%d}' % n)
            await asyncio.to_thread(wait_until, lambda: len(received) >= 4, 30.0, 0.05,
                                    "the good client to receive 4 events")
            assert received == [("order:created", [{"n": 0}])] + [
                ("order:updated", [{"n": n}]) for n in range(1, 4)
            ]
            assert good.connected, "the well-behaved client was disconnected"
            assert (await asyncio.to_thread(health, server.url))["clients"] == 1
        finally:
            await good.disconnect()
            await asyncio.to_thread(raw.close)

    asyncio.run(scenario())
    server.assert_alive()


def test_malformed_polling_packet_closes_only_that_session(servers):
    server = servers.serve(label="serve (garbage polling)")
    base = server.url

    async def scenario():
        received: list = []
        good = await _connect_good_client(base, received, ["polling"])
        try:
            # a raw polling session joined to /events
            sid, _ = await asyncio.to_thread(polling_handshake, base)
            url = f"{base}/socket.io/?EIO=4&transport=polling&sid={sid}"
            post = lambda body: requests.post(url, data=body, timeout=HTTP_TIMEOUT,  # noqa: E731
                                              headers={"Content-Type": "text/plain;charset=UTF-8"})
            get = lambda: requests.get(url, timeout=HTTP_TIMEOUT)  # noqa: E731
            r = await asyncio.to_thread(post, b"40/events,")
            assert r.status_code == 200 and r.content == b"ok", r.content
            r = await asyncio.to_thread(get)
            assert r.status_code == 200 and r.content.startswith(b'40/events,{"sid":"'), r.content
            await asyncio.to_thread(wait_for_clients, base, 2, 30.0)

            try:
                r = await asyncio.to_thread(post, b"42/events,[unclosed")
                assert r.status_code in (200, 400), (r.status_code, r.content)
            except requests.ConnectionError:
                pass  # dropping the request is a way of closing too

            # the session ends: polls answer 400 (after at most a close/noop packet)
            deadline = time.monotonic() + CLOSE_BOUND
            while True:
                r = await asyncio.to_thread(get)
                if r.status_code == 400:
                    break
                assert r.status_code == 200, (r.status_code, r.content)
                packets = r.content.decode("utf-8").split("\x1e")
                assert set(packets) <= {"1", "6", "2"}, f"session kept delivering after garbage: {packets!r}"
                assert time.monotonic() < deadline, "session not closed after a malformed packet"

            await asyncio.to_thread(wait_for_clients, base, 1, 30.0)
            await asyncio.to_thread(post_emit, base, "newMessage", '"still here"')
            await asyncio.to_thread(wait_until, lambda: len(received) >= 1, 30.0, 0.05,
                                    "the good client to receive the event")
            assert received == [("newMessage", ["still here"])]
            assert good.connected
        finally:
            await good.disconnect()

    asyncio.run(scenario())
    server.assert_alive()
