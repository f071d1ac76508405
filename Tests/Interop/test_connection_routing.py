"""How a connection's first request decides what it becomes.

A connection that opens with an Engine.IO WebSocket upgrade is handed to plain
NIO handlers; any other first request hands it to the HTTP router.  These tests
drive raw sockets so that the order of requests on one TCP connection is
exactly what is tested:

- a first request that is not HTTP gets 400 and the connection is closed, and
  the server keeps serving;
- a keep-alive connection that carried polling requests can still upgrade to
  WebSocket (aiohttp-based clients do this), and the session moves over;
- a rejected first upgrade gets the protocol's 400 JSON body;
- several plain HTTP requests on one connection are all answered.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Dict, Tuple

import websocket

from tablecast_testkit import HTTP_TIMEOUT, event_corpus, expected_frame, health, post_emit, ws_join_namespace

NAMESPACE = "/events"


class RawHTTP:
    """One TCP connection, written and read by hand."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def read_response(self) -> Tuple[int, Dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            assert self._fill(), f"connection closed before a response head: {self.buffer!r}"
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            assert self._fill(), "connection closed inside a response body"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def read_until_closed(self) -> bytes:
        while self._fill():
            pass
        return self.buffer

    def send_text_frame(self, text: str) -> None:
        self.send(websocket.ABNF.create_frame(text, websocket.ABNF.OPCODE_TEXT).format())

    def read_text_frame(self) -> str:
        """The next server frame (servers do not mask); pings ("2") included."""
        while len(self.buffer) < 2:
            assert self._fill(), "connection closed before a frame"
        first, second = self.buffer[0], self.buffer[1]
        assert first & 0x0F == 0x1, f"expected a text frame, got opcode {first & 0x0F}"
        assert second & 0x80 == 0, "server frames must not be masked"
        length, offset = second & 0x7F, 2
        if length == 126:
            while len(self.buffer) < 4:
                assert self._fill()
            length, offset = struct.unpack("!H", self.buffer[2:4])[0], 4
        assert length < 65536, "test frames are small"
        while len(self.buffer) < offset + length:
            assert self._fill(), "connection closed inside a frame"
        payload = self.buffer[offset:offset + length]
        self.buffer = self.buffer[offset + length:]
        return payload.decode("utf-8")

    def close(self) -> None:
        self.sock.close()


def _get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode()


def test_a_first_request_that_is_not_http_gets_400_and_the_server_goes_on(serve_server):
    conn = RawHTTP(serve_server.port)
    try:
        conn.send(b"THIS IS NOT HTTP AT ALL\r\n\r\n")
        status, headers, _ = conn.read_response()
        assert status == 400
        assert headers.get("connection") == "close"
        conn.read_until_closed()
    finally:
        conn.close()
    assert health(serve_server.url)["status"] == "ok"
    sock, _ = ws_join_namespace(serve_server.ws_url, NAMESPACE)
    sock.close()


def test_polling_requests_then_an_upgrade_on_the_same_connection(serve_server):
    conn = RawHTTP(serve_server.port)
    try:
        conn.send(_get("/socket.io/?EIO=4&transport=polling"))
        status, _, body = conn.read_response()
        assert status == 200 and body.startswith(b"0"), body
        sid = json.loads(body[1:])["sid"]

        join = f"40{NAMESPACE},".encode()
        conn.send(
            f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {len(join)}\r\n\r\n".encode() + join
        )
        status, _, body = conn.read_response()
        assert (status, body) == (200, b"ok")
        conn.send(_get(f"/socket.io/?EIO=4&transport=polling&sid={sid}"))
        status, _, body = conn.read_response()
        assert status == 200 and body.startswith(f"40{NAMESPACE},{{".encode()), body

        # The same TCP connection now asks to upgrade the session it has been polling.
        conn.send(_get(
            f"/socket.io/?EIO=4&transport=websocket&sid={sid}",
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        ))
        status, headers, _ = conn.read_response()
        assert status == 101
        assert headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        conn.send_text_frame("2probe")
        assert conn.read_text_frame() == "3probe"
        conn.send_text_frame("5")

        # The session is on the WebSocket now: a hand-fired event arrives there, byte for byte.
        name, payload_text = event_corpus(1)[0]
        post_emit(serve_server.url, name, payload_text)
        while True:
            frame = conn.read_text_frame()
            if frame == "2":
                conn.send_text_frame("3")
                continue
            if frame.startswith(f"42{NAMESPACE},"):
                break
        assert frame.encode() == expected_frame(NAMESPACE, name, payload_text)
    finally:
        conn.close()


def test_a_rejected_first_upgrade_gets_the_protocol_error(serve_server):
    conn = RawHTTP(serve_server.port)
    try:
        conn.send(_get(
            "/socket.io/?EIO=4&transport=websocket&sid=no-such-session",
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        ))
        status, headers, body = conn.read_response()
        assert status == 400
        assert headers["content-type"] == "application/json"
        assert json.loads(body) == {"code": 1, "message": "Session ID unknown"}
    finally:
        conn.close()


def test_plain_requests_share_one_connection(serve_server):
    conn = RawHTTP(serve_server.port)
    try:
        for _ in range(3):
            conn.send(_get("/_tablecast/health"))
            status, _, body = conn.read_response()
            assert status == 200
            assert json.loads(body)["status"] == "ok"
    finally:
        conn.close()
