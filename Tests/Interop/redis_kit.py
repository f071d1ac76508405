"""A real Redis server for the tests (Debian's `redis-server`, installed by Scripts/test.sh), on a free loopback port
in a temporary directory, and helpers around redis-py (PyPI, pinned) and msgpack (PyPI, pinned): clients and codecs
nobody here wrote."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import List, Optional, Tuple

import msgpack
import redis

from tablecast_testkit import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """`redis-server` on 127.0.0.1; `stop()` and `start()` again keep the port (a restart), and with `appendonly`
    the data survives it."""

    def __init__(self, directory: Path, appendonly: bool = False, port: Optional[int] = None):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.appendonly = appendonly
        self.process: Optional[subprocess.Popen] = None
        self.log = self.directory / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (Scripts/test.sh installs Debian's redis-server)"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--save", "", "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "always",
             "--logfile", str(self.log), "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_until(self._pings, timeout=10, message=f"redis-server did not answer on port {self.port}")
        return self

    def _pings(self) -> bool:
        assert self.process is not None and self.process.poll() is None, \
            f"redis-server exited: {self.log.read_text() if self.log.exists() else ''}"
        try:
            return self.client().ping()
        except redis.exceptions.ConnectionError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def client_id(self, name: str, timeout: float = 10.0) -> int:
        """The id of the connection named `name` (CLIENT SETNAME), once it is there."""
        found: List[int] = []

        def present():
            found[:] = [c["id"] for c in self.client().client_list() if c.get("name") == name]
            return bool(found)

        wait_until(present, timeout=timeout, message=f"no Redis connection named {name}")
        return found[0]

    def wait_for_pattern_subscriber(self, timeout: float = 10.0) -> None:
        """Until a client has PSUBSCRIBEd (a recorder is ready once it has, not when it connects)."""
        wait_until(lambda: self.client().execute_command("PUBSUB", "NUMPAT") >= 1, timeout=timeout,
                   message="no pattern subscription")

    def kill_client(self, name: str) -> None:
        """CLIENT KILL the connection named `name`: it breaks as it would if the network dropped it."""
        assert self.client().client_kill_filter(_id=self.client_id(name)) == 1


class Subscriber:
    """A redis-py pattern subscription on a thread of its own, keeping every message's raw bytes in order."""

    def __init__(self, server: RedisServer, pattern: str = "socket.io#/events#*"):
        self.messages: List[Tuple[bytes, bytes]] = []
        self._lock = threading.Lock()
        self._pubsub = server.client().pubsub()
        self._pubsub.psubscribe(pattern)
        wait_until(lambda: self._pubsub.get_message(timeout=0.1) is not None, timeout=10,
                   message="no psubscribe confirmation")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="redis-subscriber", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            message = self._pubsub.get_message(timeout=0.1)
            if message and message["type"] == "pmessage":
                with self._lock:
                    self.messages.append((message["channel"], message["data"]))

    def received(self) -> List[Tuple[bytes, bytes]]:
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._pubsub.close()


def js_value(value):
    """What JavaScript holds after JSON.parse: every number a double (integers beyond 2^53 round), integral ones
    written by notepack as ints; array-index keys first, in ascending order."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2 ** 53:
        value = float(value)
    if isinstance(value, float) and value.is_integer() and -2 ** 63 <= value < 2 ** 64:
        return int(value)
    if isinstance(value, list):
        return [js_value(v) for v in value]
    if isinstance(value, dict):
        def is_index(key):
            return key.isdigit() and (key == "0" or not key.startswith("0")) and int(key) < 2 ** 32 - 1
        index_keys = sorted((k for k in value if is_index(k)), key=int)
        return {k: js_value(value[k]) for k in index_keys + [k for k in value if not is_index(k)]}
    return value


def emitter_message(name: str, payload, namespace: str = "/events") -> bytes:
    """@socket.io/redis-emitter's message for emit(name, payload), with msgpack-python as the encoder."""
    return msgpack.packb(["emitter", {"type": 2, "data": [name, js_value(payload)], "nsp": namespace},
                          {"rooms": [], "flags": {}, "except": []}], use_bin_type=True)
