"""Interop: namespaces of `tablecast serve`.

`/events` is the broadcast namespace, `/` is accepted too, and any other
namespace is refused with CONNECT_ERROR `{"message":"Invalid namespace"}`.
"""

from __future__ import annotations

import asyncio

import pytest
import requests
import socketio

from tablecast_testkit import (
    HTTP_TIMEOUT,
    health,
    polling_handshake,
    post_emit,
    wait_for_clients,
    wait_until,
    ws_handshake,
    ws_join_namespace,
)

INVALID = b'44/nope,{"message":"Invalid namespace"}'


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]], ids=["websocket", "polling"])
def test_python_socketio_unknown_namespace_raises(serve_server, transports):
    errors = []

    async def scenario():
        sio = socketio.AsyncClient(reconnection=False)

        @sio.on("connect_error", namespace="/nope")
        def on_connect_error(data):
            errors.append(data)

        with pytest.raises(socketio.exceptions.ConnectionError) as excinfo:
            await sio.connect(serve_server.url, namespaces=["/nope"], transports=transports, wait_timeout=30)
        await sio.disconnect()
        return excinfo.value

    exc = asyncio.run(scenario())
    assert "/nope" in str(exc), f"ConnectionError does not name the namespace: {exc!r}"
    assert errors == [{"message": "Invalid namespace"}], f"connect_error data: {errors!r}"
    assert health(serve_server.url)["status"] == "ok"


def test_raw_websocket_unknown_namespace_frame(serve_server):
    sock, _ = ws_handshake(serve_server.ws_url)
    try:
        sock.send("40/nope,")
        frame = sock.recv_text_raw()
        assert frame == INVALID, f"got {frame!r}, want {INVALID!r}"
    finally:
        sock.close()


def test_raw_polling_unknown_namespace_body(serve_server):
    base = serve_server.url
    sid, _ = polling_handshake(base)
    push = requests.post(f"{base}/socket.io/?EIO=4&transport=polling&sid={sid}", data=b"40/nope,",
                         headers={"Content-Type": "text/plain;charset=UTF-8"}, timeout=HTTP_TIMEOUT)
    assert push.status_code == 200, push.content
    assert push.content == b"ok"
    poll = requests.get(f"{base}/socket.io/?EIO=4&transport=polling&sid={sid}", timeout=HTTP_TIMEOUT)
    assert poll.status_code == 200, poll.content
    assert poll.content == INVALID, f"got {poll.content!r}, want {INVALID!r}"
    # leave cleanly: Engine.IO close packet
    requests.post(f"{base}/socket.io/?EIO=4&transport=polling&sid={sid}", data=b"1", timeout=HTTP_TIMEOUT)


def test_main_namespace_is_accepted_but_neither_counted_nor_broadcast_to(servers):
    server = servers.serve(label="serve (namespaces)")

    async def scenario():
        main_events, events_events = [], []
        main_client = socketio.AsyncClient(reconnection=False)
        events_client = socketio.AsyncClient(reconnection=False)

        @main_client.on("*", namespace="*")
        def main_any(event, namespace, *args):
            main_events.append((namespace, event, args))

        @events_client.on("*", namespace="/events")
        def events_any(event, *args):
            events_events.append((event, list(args)))

        raw_main, _ = await asyncio.to_thread(ws_join_namespace, server.ws_url, "/")
        try:
            await main_client.connect(server.url, namespaces=["/"], transports=["websocket"], wait_timeout=30)
            assert main_client.connected
            # sockets on "/" are not clients of /events
            status = await asyncio.to_thread(health, server.url)
            assert status["clients"] == 0, f"clients on '/' were counted: {status!r}"

            await events_client.connect(server.url, namespaces=["/events"], transports=["websocket"],
                                        wait_timeout=30)
            await asyncio.to_thread(wait_for_clients, server.url, 1, 30.0)

            await asyncio.to_thread(post_emit, server.url, "menu.updated", '{"a":1}')
            await asyncio.to_thread(post_emit, server.url, "menu.updated", '{"a":2}')
            await asyncio.to_thread(
                wait_until, lambda: len(events_events) >= 2, 30.0, 0.05, "the /events client to get 2 events"
            )
            assert events_events == [("menu.updated", [{"a": 1}]), ("menu.updated", [{"a": 2}])]
            assert main_events == [], f"a client of '/' received broadcasts: {main_events!r}"
            leaked = [f for f in raw_main.drain() if f[0] == "text" and str(f[1]).startswith("42")]
            assert leaked == [], f"a raw socket on '/' received broadcasts: {leaked!r}"
        finally:
            await main_client.disconnect()
            await events_client.disconnect()
            await asyncio.to_thread(raw_main.close)

    asyncio.run(scenario())
