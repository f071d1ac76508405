"""Engine.IO limits and aborts on `tablecast serve`, beyond what the official suites check.

- A held long-polling GET whose connection goes away closes the session (the reference server does the same).
- A POST body over maxPayload is answered 413 with a JSON body, and the session is closed.
- A WebSocket message over maxPayload closes that connection; the server keeps serving.
- After a polling-to-WebSocket upgrade, a second WebSocket for the same sid completes its handshake and is closed.
"""

import json
import socket
import time

import requests

from tablecast_testkit import (
    HTTP_TIMEOUT,
    RawWebSocket,
    assert_eio_error,
    health,
    polling_handshake,
    wait_until,
    ws_handshake,
)

PATH = "/socket.io/"


def _session_gone(base: str, sid: str) -> bool:
    r = requests.get(f"{base}{PATH}?EIO=4&transport=polling&sid={sid}", timeout=HTTP_TIMEOUT)
    return r.status_code == 400 and r.json() == {"code": 1, "message": "Session ID unknown"}


def test_aborted_poll_closes_the_session(servers):
    server = servers.serve(extra=["--max-payload", "1000"])
    sid, _ = polling_handshake(server.url)
    # Hold a GET on a raw connection, then drop the connection before the server answers.
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=HTTP_TIMEOUT)
    raw.sendall(f"GET {PATH}?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    time.sleep(0.3)
    raw.close()
    wait_until(lambda: _session_gone(server.url, sid), timeout=10,
               message="the session of an aborted poll was not closed")


def test_post_over_max_payload_is_413_and_closes_the_session(servers):
    server = servers.serve(extra=["--max-payload", "1000"])
    sid, open_packet = polling_handshake(server.url)
    assert open_packet["maxPayload"] == 1000
    url = f"{server.url}{PATH}?EIO=4&transport=polling&sid={sid}"
    small = requests.post(url, data=b"40/events,", timeout=HTTP_TIMEOUT)
    assert small.status_code == 200 and small.content == b"ok"
    big = requests.post(url, data=b"4" + b"x" * 2000, timeout=HTTP_TIMEOUT)
    assert big.status_code == 413, big.content
    assert big.headers["content-type"] == "application/json"
    assert json.loads(big.content)["code"] == 3
    assert _session_gone(server.url, sid)
    assert health(server.url)["status"] == "ok"


def test_websocket_message_over_max_payload_closes_that_connection(servers):
    server = servers.serve(extra=["--max-payload", "1000"])
    big_sender, open_packet = ws_handshake(server.ws_url)
    bystander, _ = ws_handshake(server.ws_url)
    # The frame limit is never below 16 KiB (WebSocket frames carry their own framing); send well above it.
    big_sender.send("4" + "x" * 100_000)
    big_sender.wait_closed(timeout=10)
    bystander.send("40/events,")
    assert bystander.recv_text().startswith('40/events,{"sid":')
    bystander.close()


def test_second_websocket_after_upgrade_is_closed_after_its_handshake(servers):
    server = servers.serve()
    sid, _ = polling_handshake(server.url)
    first = RawWebSocket(f"{server.ws_url}{PATH}?EIO=4&transport=websocket&sid={sid}")
    first.send("2probe")
    assert first.recv_text() == "3probe"
    first.send("5")
    # The upgraded session keeps working over the first WebSocket...
    first.send("40/events,")
    assert first.recv_text().startswith('40/events,{"sid":')
    # ...and a second WebSocket for the same sid gets its 101, then is closed without a word.
    second = RawWebSocket(f"{server.ws_url}{PATH}?EIO=4&transport=websocket&sid={sid}")
    assert second.wait_closed(timeout=10) == []
    # Polling for the upgraded sid is refused without closing the session.
    r = requests.get(f"{server.url}{PATH}?EIO=4&transport=polling&sid={sid}", timeout=HTTP_TIMEOUT)
    assert_eio_error(r, 3, "Bad request")
    wait_until(lambda: health(server.url)["clients"] == 1, timeout=10, message="upgraded client not counted")
    first.close()
