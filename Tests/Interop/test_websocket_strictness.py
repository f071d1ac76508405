"""RFC 6455 as a server must apply it, checked with frames written byte by byte on a raw socket.

The server fails the connection (a close frame with the code, then TCP closed) on an unmasked frame, a reserved
opcode or RSV bit, an invalid close frame or fragment sequence (1002), invalid UTF-8 in a text message or a close
reason (1007), a message over the limit (1009); it answers a valid close with the same code and a ping with a pong,
reassembles fragmented messages, and refuses a malformed Sec-WebSocket-Key with 400.
"""

from __future__ import annotations

import base64
import os
import socket
import struct
from typing import Optional, Tuple

import pytest

from tablecast_testkit import HTTP_TIMEOUT

KEY = base64.b64encode(b"0123456789abcdef").decode()


class RawFrames:
    """One WebSocket connection to `/engine.io/` (the conformance server echoes messages), framed by hand."""

    def __init__(self, port: int, path: str = "/engine.io/?EIO=4&transport=websocket", key: str = KEY):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT)
        self.buffer = b""
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            assert chunk, f"closed during the handshake: {self.buffer!r}"
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        self.status_line = head.split(b"\r\n")[0]
        self.head = head

    def upgraded(self) -> bool:
        return self.status_line.startswith(b"HTTP/1.1 101")

    def send_frame(self, opcode: int, payload: bytes, fin: bool = True, masked: bool = True, rsv: int = 0) -> None:
        first = (0x80 if fin else 0) | (rsv << 4) | opcode
        length = len(payload)
        mask_bit = 0x80 if masked else 0
        if length < 126:
            header = struct.pack("!BB", first, mask_bit | length)
        elif length < 65536:
            header = struct.pack("!BBH", first, mask_bit | 126, length)
        else:
            header = struct.pack("!BBQ", first, mask_bit | 127, length)
        if masked:
            key = os.urandom(4)
            payload = bytes(byte ^ key[i % 4] for i, byte in enumerate(payload))
            header += key
        self.sock.sendall(header + payload)

    def _read(self, count: int) -> Optional[bytes]:
        while len(self.buffer) < count:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def recv_frame(self) -> Optional[Tuple[int, bytes]]:
        """The next frame from the server (opcode, payload), or None once the connection is closed."""
        header = self._read(2)
        if header is None:
            return None
        first, second = header
        assert second & 0x80 == 0, "the server masked a frame"
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        payload = self._read(length)
        return first & 0x0F, payload

    def recv_message(self) -> Tuple[int, bytes]:
        """The next text or binary frame, skipping Engine.IO's open packet and pings."""
        while True:
            frame = self.recv_frame()
            assert frame is not None, "connection closed"
            opcode, payload = frame
            if opcode in (1, 2) and not (opcode == 1 and payload[:1] in (b"0", b"2")):
                return opcode, payload
            if opcode not in (1, 2):
                return opcode, payload

    def expect_close(self, code: Optional[int]) -> None:
        """The server's close frame, with `code`, then the end of the connection."""
        while True:
            frame = self.recv_frame()
            assert frame is not None, "the connection ended without a close frame"
            opcode, payload = frame
            if opcode == 8:
                break
        if code is None:
            assert payload == b"", payload
        else:
            assert len(payload) >= 2, payload
            assert struct.unpack("!H", payload[:2])[0] == code, payload
        assert self.recv_frame() is None, "the server kept the connection open after its close frame"

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def port(conformance_server) -> int:
    return conformance_server.port


def connected(port: int) -> RawFrames:
    frames = RawFrames(port)
    assert frames.upgraded(), frames.head
    opcode, payload = frames.recv_frame()
    assert opcode == 1 and payload.startswith(b"0{"), payload  # Engine.IO open packet
    return frames


def test_a_masked_message_is_echoed(port):
    frames = connected(port)
    frames.send_frame(1, b"4hello")
    assert frames.recv_message() == (1, b"4hello")
    frames.close()


def test_a_fragmented_message_with_a_ping_between_is_reassembled(port):
    frames = connected(port)
    frames.send_frame(1, b"4he", fin=False)
    frames.send_frame(9, b"ping-data")
    frames.send_frame(0, b"l", fin=False)
    frames.send_frame(0, "lo é".encode())
    assert frames.recv_message() == (10, b"ping-data")  # the pong, with the ping's data
    assert frames.recv_message() == (1, "4hello é".encode())
    frames.close()


@pytest.mark.parametrize("description,send", [
    ("an unmasked frame", lambda f: f.send_frame(1, b"4hello", masked=False)),
    ("RSV1 set", lambda f: f.send_frame(1, b"4hello", rsv=4)),
    ("RSV3 set", lambda f: f.send_frame(2, b"\x01", rsv=1)),
    ("reserved data opcode 3", lambda f: f.send_frame(3, b"")),
    ("reserved control opcode 11", lambda f: f.send_frame(11, b"")),
    ("a continuation with nothing started", lambda f: f.send_frame(0, b"4hello")),
    ("a new message inside a fragmented one", lambda f: (f.send_frame(1, b"4he", fin=False),
                                                         f.send_frame(1, b"4hello"))),
    ("a fragmented ping", lambda f: f.send_frame(9, b"x", fin=False)),
    ("a control frame over 125 bytes", lambda f: f.send_frame(9, b"x" * 126)),
    ("a close frame with a one-byte body", lambda f: f.send_frame(8, b"\x03")),
    ("close code 1005, never sent", lambda f: f.send_frame(8, struct.pack("!H", 1005))),
    ("close code 999", lambda f: f.send_frame(8, struct.pack("!H", 999))),
    ("close code 2000", lambda f: f.send_frame(8, struct.pack("!H", 2000))),
])
def test_protocol_errors_fail_the_connection_with_1002(port, description, send):
    frames = connected(port)
    send(frames)
    frames.expect_close(1002)


@pytest.mark.parametrize("description,send", [
    ("invalid UTF-8 in a text message", lambda f: f.send_frame(1, b"4\xc3\x28")),
    ("a truncated code point at the end of a fragmented text message",
     lambda f: (f.send_frame(1, b"4\xe2\x82", fin=False), f.send_frame(0, b""))),
    ("invalid UTF-8 in a close reason", lambda f: f.send_frame(8, struct.pack("!H", 1000) + b"\xff")),
])
def test_invalid_utf8_fails_the_connection_with_1007(port, description, send):
    frames = connected(port)
    send(frames)
    frames.expect_close(1007)


def test_a_message_over_the_limit_fails_the_connection_with_1009(port):
    frames = connected(port)
    # Only the header of a 1,000,001-byte frame (maxPayload is 1,000,000): the length alone fails it, before the
    # server reads a byte of the payload.
    frames.sock.sendall(struct.pack("!BBQ", 0x82, 0x80 | 127, 1_000_001) + os.urandom(4) + b"x" * 100)
    frames.expect_close(1009)


def test_a_fragmented_message_over_the_limit_fails_the_connection_with_1009(port):
    frames = connected(port)
    frames.send_frame(2, b"x" * 600_000, fin=False)
    frames.send_frame(0, b"x" * 600_000)
    frames.expect_close(1009)


@pytest.mark.parametrize("code", [1000, 1001, 3000, 4999])
def test_a_valid_close_is_answered_with_its_code(port, code):
    frames = connected(port)
    frames.send_frame(8, struct.pack("!H", code) + "bye ✓".encode())
    frames.expect_close(code)


def test_an_empty_close_is_answered_with_an_empty_close(port):
    frames = connected(port)
    frames.send_frame(8, b"")
    frames.expect_close(None)


@pytest.mark.parametrize("key", ["", "short", "0123456789abcdef0123456=", base64.b64encode(b"x" * 15).decode(),
                                 base64.b64encode(b"x" * 17).decode(), "!!!!!!!!!!!!!!!!!!!!!!=="])
def test_a_malformed_key_is_refused_with_400(port, key):
    frames = RawFrames(port, key=key)
    assert frames.status_line.startswith(b"HTTP/1.1 400"), frames.head
    frames.close()
