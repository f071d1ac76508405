"""Shared helpers for the tablecast interop and conformance tests.

Everything here is bounded in time: every wait takes a timeout and fails the
test (AssertionError) when it runs out.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Sequence, Tuple, Union

import requests
import websocket

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_BINARY = REPO_ROOT / ".build" / "debug" / "tablecast"
LISTEN_LINE = re.compile(r"tablecast listening on https?://127\.0\.0\.1:(\d+)")

STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 15.0
HTTP_TIMEOUT = 10.0


# --------------------------------------------------------------------------
# Server process
# --------------------------------------------------------------------------


def tablecast_binary() -> Path:
    configured = os.environ.get("TABLECAST_BIN")
    path = Path(configured) if configured else DEFAULT_BINARY
    if not path.is_absolute():
        path = (REPO_ROOT / path).resolve()
    return path


class TablecastProcess:
    """One `tablecast` process, started with `args`, listening on 127.0.0.1."""

    def __init__(self, args: Sequence[str], label: str, env: Optional[dict] = None,
                 preexec_fn: Optional[Callable[[], None]] = None):
        self.args = list(args)
        self.label = label
        self.env = env
        self.preexec_fn = preexec_fn
        self.proc: Optional[subprocess.Popen] = None
        self.port: Optional[int] = None
        self.stdout_lines: List[str] = []
        self._stdout_lock = threading.Lock()
        self._listening = threading.Event()
        self._stdout_done = threading.Event()
        self._stderr_file = tempfile.TemporaryFile(mode="w+b")
        self.returncode: Optional[int] = None
        self.stopped = False

    # -- lifecycle ---------------------------------------------------------

    def start(self, timeout: float = STARTUP_TIMEOUT) -> "TablecastProcess":
        binary = tablecast_binary()
        if not binary.is_file() or not os.access(binary, os.X_OK):
            raise AssertionError(
                f"tablecast binary not found or not executable at {binary} "
                "(build it with `swift build`, or set TABLECAST_BIN)"
            )
        self.proc = subprocess.Popen(
            [str(binary), *self.args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            cwd=str(REPO_ROOT),
            env=None if self.env is None else {**os.environ, **self.env},
            preexec_fn=self.preexec_fn,
        )
        reader = threading.Thread(target=self._drain_stdout, name=f"stdout-{self.label}", daemon=True)
        reader.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._listening.wait(0.05):
                return self
            if self.proc.poll() is not None:
                self._stdout_done.wait(2.0)
                raise AssertionError(
                    f"{self.label}: tablecast exited with code {self.proc.returncode} before listening\n"
                    f"command: {[str(binary), *self.args]}\n{self.diagnostics()}"
                )
        self.kill()
        raise AssertionError(
            f"{self.label}: no 'tablecast listening on http://127.0.0.1:PORT' line on stdout within "
            f"{timeout:.0f} s\ncommand: {[str(binary), *self.args]}\n{self.diagnostics()}"
        )

    def _drain_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            for raw in iter(self.proc.stdout.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                with self._stdout_lock:
                    self.stdout_lines.append(line)
                if self.port is None:
                    match = LISTEN_LINE.search(line)
                    if match:
                        self.port = int(match.group(1))
                        self._listening.set()
        finally:
            self._stdout_done.set()

    def stop(self, timeout: float = SHUTDOWN_TIMEOUT) -> int:
        """SIGINT, then wait for the exit code; fails unless it is 0 within `timeout`."""
        assert self.proc is not None, "process was never started"
        if self.stopped:
            assert self.returncode is not None
            return self.returncode
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(
                    f"{self.label}: tablecast did not exit within {timeout:.0f} s of SIGINT "
                    f"(graceful shutdown)\n{self.diagnostics()}"
                )
        else:
            # It died on its own before we asked: that is a failure of its own.
            self.returncode = self.proc.returncode
            self._stdout_done.wait(2.0)
            raise AssertionError(
                f"{self.label}: tablecast had already exited (code {self.returncode}) before SIGINT\n"
                f"{self.diagnostics()}"
            )
        self.returncode = self.proc.returncode
        self._stdout_done.wait(2.0)
        assert self.returncode == 0, (
            f"{self.label}: tablecast exited with code {self.returncode} after SIGINT, expected 0\n"
            f"{self.diagnostics()}"
        )
        return self.returncode

    def open_descriptors(self) -> int:
        """How many file descriptors the process has open now."""
        assert self.proc is not None
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def rss_kib(self) -> int:
        """The process's resident set, in KiB."""
        assert self.proc is not None
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS line")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.stopped = True

    def assert_alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            self._stdout_done.wait(2.0)
            raise AssertionError(
                f"{self.label}: tablecast died unexpectedly with code {self.proc.returncode}\n"
                f"{self.diagnostics()}"
            )

    # -- info --------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.port is not None
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        assert self.port is not None
        return f"ws://127.0.0.1:{self.port}"

    def stderr_text(self, limit: int = 20000) -> str:
        try:
            self._stderr_file.flush()
            self._stderr_file.seek(0)
            data = self._stderr_file.read()
        except (OSError, ValueError):
            return "<stderr unavailable>"
        text = data.decode("utf-8", errors="replace")
        if len(text) > limit:
            text = "...\n" + text[-limit:]
        return text

    def diagnostics(self) -> str:
        with self._stdout_lock:
            out = "\n".join(self.stdout_lines[-200:])
        return f"--- stdout (last lines) ---\n{out}\n--- stderr ---\n{self.stderr_text()}"


# --------------------------------------------------------------------------
# Waiting
# --------------------------------------------------------------------------


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.05,
               message: Union[str, Callable[[], str]] = "condition") -> object:
    """Poll `predicate` until it returns a truthy value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Optional[BaseException] = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (requests.RequestException, OSError) as exc:  # transient while polling
            last_error = exc
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            suffix = f" (last error: {last_error!r})" if last_error else ""
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {text}{suffix}")
        time.sleep(interval)


# --------------------------------------------------------------------------
# Raw WebSocket client (websocket-client) with a background reader
# --------------------------------------------------------------------------

Frame = Tuple[str, Union[str, bytes]]  # ("text", str) | ("binary", bytes)


class WSRefused(Exception):
    """The WebSocket handshake was refused (non-101 answer or connection error)."""

    def __init__(self, message: str, status: Optional[int] = None, body: Optional[bytes] = None):
        super().__init__(message)
        self.status = status
        self.body = body


class RawWebSocket:
    """A websocket-client connection whose frames are read by a background thread.

    Every received data frame is queued as ("text", str) or ("binary", bytes);
    the raw bytes of text frames are kept too (`raw_texts`) for byte-exact
    checks.  With `auto_pong`, every Engine.IO ping ("2") is answered with a
    pong ("3") straight from the reader thread, so a test that is busy
    elsewhere (an HTTP request, a slow machine) does not miss a heartbeat.
    """

    def __init__(self, url: str, auto_pong: bool = True, connect_timeout: float = HTTP_TIMEOUT,
                 headers: Optional[Sequence[str]] = None):
        self.url = url
        self.auto_pong = auto_pong
        self._frames: "queue.Queue[Tuple[str, object]]" = queue.Queue()
        self._closed = threading.Event()
        self._stop = threading.Event()
        self.close_reason: Optional[str] = None
        try:
            self.ws = websocket.create_connection(
                url, timeout=connect_timeout, enable_multithread=True, header=list(headers or [])
            )
        except websocket.WebSocketBadStatusException as exc:
            raise WSRefused(f"handshake refused: {exc}", status=exc.status_code,
                            body=getattr(exc, "resp_body", None)) from exc
        except (websocket.WebSocketException, OSError) as exc:
            raise WSRefused(f"handshake failed: {exc!r}") from exc
        self.ws.settimeout(1.0)
        self._thread = threading.Thread(target=self._read_loop, name=f"ws-reader {url}", daemon=True)
        self._thread.start()

    # -- reading -----------------------------------------------------------

    def _read_loop(self) -> None:
        reason = "closed"
        try:
            while not self._stop.is_set():
                try:
                    opcode, data = self.ws.recv_data(control_frame=False)
                except websocket.WebSocketTimeoutException:
                    continue
                except websocket.WebSocketConnectionClosedException:
                    reason = "connection closed (EOF)"
                    break
                except (websocket.WebSocketException, OSError, ValueError) as exc:
                    reason = f"connection error: {exc!r}"
                    break
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    reason = "close frame"
                    break
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    raw = bytes(data)
                    text = raw.decode("utf-8")
                    if self.auto_pong and text == "2":
                        try:
                            self.ws.send("3")
                        except (websocket.WebSocketException, OSError):
                            pass
                    self._frames.put(("text", (text, raw)))
                elif opcode == websocket.ABNF.OPCODE_BINARY:
                    self._frames.put(("binary", bytes(data)))
        finally:
            self.close_reason = reason
            self._closed.set()
            self._frames.put(("close", reason))

    def recv_frame(self, timeout: float = HTTP_TIMEOUT, skip_pings: bool = True,
                   skip: Iterable[str] = ()) -> Frame:
        """Next data frame; skips Engine.IO pings ("2") unless told not to."""
        skip = set(skip)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no WebSocket frame within {timeout:.1f} s on {self.url}")
            try:
                kind, value = self._frames.get(timeout=remaining)
            except queue.Empty:
                continue
            if kind == "close":
                self._frames.put((kind, value))  # keep the close visible for later calls
                raise AssertionError(f"WebSocket closed ({value}) while waiting for a frame on {self.url}")
            if kind == "text":
                text, _raw = value  # type: ignore[misc]
                if skip_pings and text == "2":
                    continue
                if text in skip:
                    continue
                return ("text", text)
            return ("binary", value)  # type: ignore[return-value]

    def recv_text(self, timeout: float = HTTP_TIMEOUT, skip_pings: bool = True,
                  skip: Iterable[str] = ()) -> str:
        kind, value = self.recv_frame(timeout=timeout, skip_pings=skip_pings, skip=skip)
        assert kind == "text", f"expected a text frame, got {kind} {value!r}"
        return value  # type: ignore[return-value]

    def recv_text_raw(self, timeout: float = HTTP_TIMEOUT) -> bytes:
        """Next non-ping text frame as the exact bytes that were on the wire."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no WebSocket frame within {timeout:.1f} s on {self.url}")
            try:
                kind, value = self._frames.get(timeout=remaining)
            except queue.Empty:
                continue
            if kind == "close":
                self._frames.put((kind, value))
                raise AssertionError(f"WebSocket closed ({value}) while waiting for a frame on {self.url}")
            if kind == "text":
                text, raw = value  # type: ignore[misc]
                if text == "2":
                    continue
                return raw
            raise AssertionError(f"expected a text frame, got binary {value!r}")

    def drain(self) -> List[Frame]:
        """Discard (and return) the frames received so far."""
        drained: List[Frame] = []
        while True:
            try:
                kind, value = self._frames.get_nowait()
            except queue.Empty:
                return drained
            if kind == "close":
                self._frames.put((kind, value))
                return drained
            drained.append((kind, value[0] if kind == "text" else value))  # type: ignore[index]

    def wait_closed(self, timeout: float, close_packet_ends: bool = True) -> List[Frame]:
        """Wait until the server closes the connection; returns the frames seen before.

        An Engine.IO close packet ("1") ends the session as well (a client
        closes its transport when it gets one), unless `close_packet_ends` is
        False.
        """
        seen: List[Frame] = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"server did not close the WebSocket within {timeout:.1f} s on {self.url}; "
                    f"frames seen meanwhile: {seen[:20]!r}"
                )
            try:
                kind, value = self._frames.get(timeout=min(remaining, 0.25))
            except queue.Empty:
                continue
            if kind == "close":
                self._frames.put((kind, value))
                return seen
            if close_packet_ends and kind == "text" and value[0] == "1":  # type: ignore[index]
                self.close_reason = "Engine.IO close packet"
                return seen
            seen.append((kind, value[0] if kind == "text" else value))  # type: ignore[index]

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    # -- writing -----------------------------------------------------------

    def send(self, data: Union[str, bytes]) -> None:
        if isinstance(data, (bytes, bytearray)):
            self.ws.send_binary(bytes(data))
        else:
            self.ws.send(data)

    def close(self) -> None:
        self._stop.set()
        if not self._closed.is_set():
            try:
                self.ws.send_close()
            except (websocket.WebSocketException, OSError):
                pass
            self._closed.wait(2.0)
        try:
            self.ws.shutdown()
        except (websocket.WebSocketException, OSError):
            pass
        self._thread.join(3.0)

    def __enter__(self) -> "RawWebSocket":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def expect_ws_refused_or_closed(url: str, timeout: float = HTTP_TIMEOUT) -> str:
    """Open a WebSocket that the server must refuse or close without an open packet.

    Returns how it ended ("refused: ..." or "closed: ...").
    """
    try:
        sock = RawWebSocket(url, auto_pong=False)
    except WSRefused as exc:
        return f"refused: {exc}"
    try:
        seen = sock.wait_closed(timeout)
        opens = [f for f in seen if f[0] == "text" and str(f[1]).startswith("0")]
        assert not opens, f"server sent an open packet on an invalid request {url}: {opens!r}"
        return f"closed: {sock.close_reason}"
    finally:
        sock.close()


# --------------------------------------------------------------------------
# Engine.IO / Socket.IO over raw transports
# --------------------------------------------------------------------------


def eio_url(base: str, path: str, **query: str) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{base}{path}?{params}" if params else f"{base}{path}"


def polling_handshake(base: str, path: str = "/socket.io/") -> Tuple[str, dict]:
    r = requests.get(f"{base}{path}?EIO=4&transport=polling", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, f"polling handshake failed: {r.status_code} {r.content!r}"
    body = r.content.decode("utf-8")
    assert body.startswith("0"), f"handshake body is not an open packet: {body!r}"
    value = json.loads(body[1:])
    return value["sid"], value


def ws_handshake(base_ws: str, path: str = "/socket.io/", auto_pong: bool = True) -> Tuple[RawWebSocket, dict]:
    sock = RawWebSocket(f"{base_ws}{path}?EIO=4&transport=websocket", auto_pong=auto_pong)
    text = sock.recv_text(skip_pings=False)
    assert text.startswith("0"), f"first frame is not an open packet: {text!r}"
    return sock, json.loads(text[1:])


def ws_join_namespace(base_ws: str, namespace: str) -> Tuple[RawWebSocket, str]:
    """Engine.IO handshake over WebSocket, then Socket.IO CONNECT to `namespace`."""
    sock, _ = ws_handshake(base_ws)
    if namespace == "/":
        sock.send("40")
        prefix = "40"
    else:
        sock.send(f"40{namespace},")
        prefix = f"40{namespace},"
    reply = sock.recv_text()
    assert reply.startswith(prefix + "{"), f"CONNECT to {namespace} answered {reply!r}"
    payload = json.loads(reply[len(prefix):])
    assert isinstance(payload.get("sid"), str), f"CONNECT reply without sid: {reply!r}"
    return sock, payload["sid"]


def assert_eio_error(response: requests.Response, code: int, message: str) -> None:
    """A 400 answer carrying the reference server's JSON error body."""
    assert response.status_code == 400, f"expected HTTP 400, got {response.status_code} {response.content!r}"
    try:
        body = json.loads(response.content.decode("utf-8"))
    except ValueError as exc:
        raise AssertionError(f"error body is not JSON: {response.content!r}") from exc
    assert body == {"code": code, "message": message}, f"error body {body!r} != code {code} {message!r}"


# --------------------------------------------------------------------------
# tablecast HTTP API
# --------------------------------------------------------------------------


def health(base: str, session: Optional[requests.Session] = None) -> dict:
    getter = session.get if session is not None else requests.get
    r = getter(f"{base}/_tablecast/health", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, f"health answered {r.status_code} {r.content!r}"
    value = r.json()
    # The Redis transports add their state when the server runs one.
    assert set(value) - {"redisEmit", "redis"} == {"status", "clients", "lastSeq"}, f"health keys: {value!r}"
    assert value["status"] == "ok", value
    assert isinstance(value["clients"], int) and not isinstance(value["clients"], bool), value
    assert isinstance(value["lastSeq"], int) and not isinstance(value["lastSeq"], bool), value
    return value


def wait_for_clients(base: str, count: int, timeout: float = 30.0) -> dict:
    last: dict = {}

    def check():
        nonlocal last
        last = health(base)
        return last["clients"] == count

    wait_until(check, timeout, interval=0.1,
               message=lambda: f"health clients == {count} (last health: {last!r})")
    return last


def post_emit_raw(base: str, body: bytes, session: Optional[requests.Session] = None,
                  headers: Optional[dict] = None) -> requests.Response:
    poster = session.post if session is not None else requests.post
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return poster(f"{base}/_tablecast/emit", data=body, headers=all_headers, timeout=HTTP_TIMEOUT)


def emit_body(name: str, payload_text: str, variant: int = 0) -> bytes:
    """The POST body for one event; `payload_text` appears in it verbatim."""
    name_json = json.dumps(name)
    if variant % 3 == 1:
        text = '{"payload":' + payload_text + ',"event":' + name_json + '}'
    elif variant % 3 == 2:
        text = '{ "event" : ' + name_json + ' ,\n  "payload" : ' + payload_text + ' }'
    else:
        text = '{"event":' + name_json + ',"payload":' + payload_text + '}'
    return text.encode("utf-8")


def post_emit(base: str, name: str, payload_text: str, variant: int = 0,
              session: Optional[requests.Session] = None) -> int:
    r = post_emit_raw(base, emit_body(name, payload_text, variant), session=session)
    assert r.status_code == 202, f"emit {name!r} answered {r.status_code} {r.content!r}"
    value = r.json()
    assert set(value) == {"seq"} and isinstance(value["seq"], int), f"emit answer {value!r}"
    return value["seq"]


# --------------------------------------------------------------------------
# The event corpus
# --------------------------------------------------------------------------

EVENT_NAMES = [
    "order:created",
    "order:updated",
    "menu.updated",
    "newMessage",
    "table:seated",
    "kitchen.ticket.fired",
    "payment_captured",
    "user-joined",
    "Order:Closed",
    "stock.level.low",
]


def _payload_text(i: int) -> str:
    """The i-th payload, as the exact JSON text posted (varied types and spellings)."""
    kind = i % 24
    if kind == 0:
        return '{"orderId":%d,"path":"a/b","label":"ünïcode €","items":[{"sku":"x-1","qty":2}]}' % i
    if kind == 1:
        return '[%d,"two",3.5,null,true,false,{"k":"v"},[]]' % i
    if kind == 2:
        return str(i)
    if kind == 3:
        return '"plain string %d: a/b, ünïcode €, emoji 😀"' % i
    if kind == 4:
        return "null"
    if kind == 5:
        return '{"a":{"b":{"c":[{"d":"%d"},{"e":[1,[2,[3,[4]]]]}]}}}' % i
    if kind == 6:
        return '{ "spaced" : [ 1 , 2 ,\n\t3 ] , "i" : %d }' % i
    if kind == 7:
        return '"escapes \\/ slash \\u00fc\\u20ac \\" quote \\\\ backslash \\n nl \\u001e rs \\ud83d\\ude00 %d"' % i
    if kind == 8:
        return "-%d.25e-3" % i
    if kind == 9:
        return "true" if i % 2 else "false"
    if kind == 10:
        return "{}"
    if kind == 11:
        return "[]"
    if kind == 12:
        return '""'
    if kind == 13:
        return "12345678901234567890"
    if kind == 14:
        return '{"text":"%s","n":%d}' % ("lorem ipsum dolor / sit amet € " * 40, i)
    if kind == 15:
        return "1E+2"
    if kind == 16:
        return '{"nested":' * 12 + str(i) + "}" * 12
    if kind == 17:
        return '["a/b","ünïcode €",{"url":"https://example.test/x?y=1&z=2"}]'
    if kind == 18:
        return "0"
    if kind == 19:
        return '{"price":{"amount":1999,"currency":"EUR"},"note":"größe \\u00e9t\\u00e9","ok":true}'
    if kind == 20:
        return "-0.0"
    if kind == 21:
        return '[[],[{}],[[null]]]'
    if kind == 22:
        return '"%s"' % ("ç" * 300)
    return '{"k%d":"v","arr":[1,2,3],"f":0.1,"neg":-7}' % i


def event_corpus(count: int) -> List[Tuple[str, str]]:
    """`count` (name, payload_text) pairs; names are plain ASCII so their JSON spelling is unique."""
    return [(EVENT_NAMES[(i * 7) % len(EVENT_NAMES)], _payload_text(i)) for i in range(count)]


def expected_frame(namespace: str, name: str, payload_text: str) -> bytes:
    """The exact Engine.IO/Socket.IO frame a client must receive for one emitted event."""
    prefix = "42" if namespace == "/" else f"42{namespace},"
    return (prefix + '["' + name + '",').encode("utf-8") + payload_text.encode("utf-8") + b"]"


# --------------------------------------------------------------------------
# Journal
# --------------------------------------------------------------------------


def read_journal(path: Union[str, Path]) -> Tuple[List[dict], List[dict]]:
    """(runs, events) rows of a journal file, events ordered by (run_id, seq)."""
    assert Path(path).is_file(), f"journal file {path} does not exist"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        runs = [dict(r) for r in conn.execute(
            "SELECT id, started_at, source, scenario, seed, tablecast_version, meta_json FROM runs ORDER BY id")]
        events = [dict(r) for r in conn.execute(
            "SELECT run_id, seq, wall_ms, mono_ns, namespace, name, payload, typeof(payload) AS payload_type "
            "FROM events ORDER BY run_id, seq")]
        return runs, events
    finally:
        conn.close()


# --------------------------------------------------------------------------
# An ordered python-socketio listener
# --------------------------------------------------------------------------


class EventListener:
    """A python-socketio AsyncClient on /events, run on an event loop in a thread of its own, that records every
    event in arrival order (the synchronous `socketio.Client` runs each handler in a new thread, so it may record
    events out of order), and how often it connected and why it was disconnected."""

    def __init__(self, url: str, transports: Optional[Sequence[str]] = ("websocket",), fast_reconnect: bool = True,
                 reconnection: bool = True):
        import asyncio
        import socketio

        listener = self

        class RecordingClient(socketio.AsyncClient):
            """Keeps each Socket.IO packet's text as the Engine.IO layer handed it over, before python-socketio
            parses it: what a test compares byte for byte."""

            async def _handle_eio_message(self, data):
                if isinstance(data, str):
                    with listener._lock:
                        listener.packets.append(data)
                await super()._handle_eio_message(data)

        self.events: List[Tuple[float, str, object]] = []
        self.packets: List[str] = []
        self.connects = 0
        self.disconnect_reasons: List[str] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="event-listener", daemon=True)
        self._thread.start()
        options = {"reconnection_delay": 0.1, "reconnection_delay_max": 0.3} if fast_reconnect else {}
        self.client = RecordingClient(reconnection=reconnection, **options)

        @self.client.on("*", namespace="/events")
        def on_any(event, data=None):
            with self._lock:
                self.events.append((time.monotonic(), event, data))

        @self.client.on("connect", namespace="/events")
        def on_connect():
            with self._lock:
                self.connects += 1

        @self.client.on("disconnect", namespace="/events")
        def on_disconnect(reason=None):
            with self._lock:
                self.disconnect_reasons.append(reason)

        self._call(self.client.connect(url, namespaces=["/events"],
                                       transports=list(transports) if transports else None, wait_timeout=10))

    def _call(self, coroutine, timeout: float = 30.0):
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def received(self) -> List[Tuple[str, object]]:
        with self._lock:
            return [(name, data) for _, name, data in self.events]

    def raw_packets(self) -> List[str]:
        """Every text Socket.IO packet received, exactly as it arrived (`2/events,["name",…]`)."""
        with self._lock:
            return list(self.packets)

    def arrival_times(self) -> List[float]:
        with self._lock:
            return [at for at, _, _ in self.events]

    def close(self) -> None:
        try:
            self._call(self.client.disconnect(), timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
