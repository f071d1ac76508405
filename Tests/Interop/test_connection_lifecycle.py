"""Every connection is accounted for, whatever its peer does, and shutdown ends in bounded time.

Real `tablecast serve` processes, real sockets on 127.0.0.1:
- thousands of TCP probes (connect, close, nothing sent) and churned clients of both transports leave the server's
  descriptors and RSS where they were;
- a connection that sends nothing, one that drips its request head, and one that stops halfway through its body
  are answered 408 and closed by the request-head timeout, an idle keep-alive connection is closed by the idle
  timeout, and clients are served meanwhile;
- past --max-connections a connection is answered 503, and the server serves again once connections close;
- SIGTERM with a probe, an idle connection, a half-sent request, a WebSocket client, a held long-poll and a
  python-socketio client connected exits 0 within the shutdown timeout.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time

import pytest
import requests
import socketio
from prometheus_client.parser import text_string_to_metric_families

from tablecast_testkit import (
    HTTP_TIMEOUT,
    RawWebSocket,
    health,
    polling_handshake,
    post_emit,
    wait_until,
    ws_join_namespace,
)


def read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes the connection; fails if it is still open after `timeout`."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"the server kept the connection open for {timeout} s; it sent {data[:200]!r}")


def settled_descriptors(server, baseline: int, timeout: float = 10.0) -> int:
    """Waits for the server's descriptor count to come back to `baseline` (it may dip below: never above)."""
    wait_until(lambda: server.open_descriptors() <= baseline, timeout=timeout,
               message=lambda: f"descriptors {server.open_descriptors()} > baseline {baseline}")
    return server.open_descriptors()


def test_thousands_of_probes_leave_no_descriptor_and_no_memory_behind(servers):
    server = servers.serve()
    base = server.url
    # Warm up what the first requests allocate once (buffers, pools), then take the baseline.
    for _ in range(50):
        socket.create_connection(("127.0.0.1", server.port)).close()
    assert health(base)["status"] == "ok"
    time.sleep(0.5)
    descriptors = server.open_descriptors()
    rss = server.rss_kib()

    for _ in range(3000):
        probe = socket.create_connection(("127.0.0.1", server.port), timeout=HTTP_TIMEOUT)
        probe.close()
    # A probe that resets instead of closing (SO_LINGER 0), as some load balancers do.
    for _ in range(500):
        probe = socket.create_connection(("127.0.0.1", server.port), timeout=HTTP_TIMEOUT)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        probe.close()

    settled_descriptors(server, descriptors)
    assert server.rss_kib() - rss < 8 * 1024, f"RSS grew from {rss} KiB to {server.rss_kib()} KiB"
    assert health(base)["status"] == "ok"


def test_churned_clients_of_every_transport_leave_nothing_behind(servers):
    server = servers.serve()
    base = server.url
    descriptors = server.open_descriptors()
    for _ in range(100):
        socket_, _sid = ws_join_namespace(server.ws_url, "/events")
        socket_.close()
        sid, _ = polling_handshake(base)
        requests.post(f"{base}/socket.io/?EIO=4&transport=polling&sid={sid}", data=b"1", timeout=HTTP_TIMEOUT)
    client = socketio.Client(reconnection=False)
    for _ in range(10):
        client.connect(base, namespaces=["/events"], wait_timeout=10)
        client.disconnect()
    wait_until(lambda: health(base)["clients"] == 0, timeout=10.0)
    settled_descriptors(server, descriptors + 1)  # + the pooled connection `requests` may keep


def test_a_silent_connection_and_a_slow_loris_get_408_while_others_are_served(servers):
    server = servers.serve(extra=["--request-head-timeout", "1s"])
    silent = socket.create_connection(("127.0.0.1", server.port))
    slow = socket.create_connection(("127.0.0.1", server.port))
    half_body = socket.create_connection(("127.0.0.1", server.port))
    half_body.sendall(b"POST /_tablecast/emit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{\"event\":")
    listener, _ = ws_join_namespace(server.ws_url, "/events")
    started = time.monotonic()
    try:
        stop = threading.Event()

        def drip() -> None:
            for byte in b"GET /tables HTTP/1.1\r\nHost: x\r\n":
                if stop.is_set():
                    return
                try:
                    slow.send(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.1)

        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        # Meanwhile the server serves: an event fired by hand reaches the WebSocket client.
        post_emit(server.url, "table:activated", '{"tableNumber":7}')
        assert json.loads(listener.recv_text(skip_pings=True)[len('42/events,'):])[0] == "table:activated"

        for connection in (silent, slow, half_body):
            answer = read_until_closed(connection, timeout=5.0)
            assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
            assert b'{"error":"request timeout' in answer
        stop.set()
        elapsed = time.monotonic() - started
        assert 0.8 < elapsed < 5.0, elapsed
        assert health(server.url)["status"] == "ok"
    finally:
        for connection in (silent, slow, half_body):
            connection.close()
        listener.close()


def test_an_idle_keep_alive_connection_is_closed_quietly(servers):
    server = servers.serve(extra=["--idle-timeout", "1s", "--request-head-timeout", "30s"])
    connection = socket.create_connection(("127.0.0.1", server.port))
    try:
        connection.sendall(b"GET /_tablecast/health HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        answer = read_until_closed(connection, timeout=5.0)
        # One answer, then nothing: an idle connection is closed without a 408.
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer
        assert answer.count(b"HTTP/1.1") == 1, answer
        assert 0.8 < time.monotonic() - started < 5.0
    finally:
        connection.close()


def test_a_held_long_poll_outlives_the_timeouts(servers):
    """The HTTP timeouts do not cut an Engine.IO long-poll the server holds: heartbeats govern it."""
    server = servers.serve(extra=["--request-head-timeout", "1s", "--idle-timeout", "1s", "--ping-interval", "3000"])
    sid, _ = polling_handshake(server.url)
    started = time.monotonic()
    response = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}", timeout=HTTP_TIMEOUT)
    assert response.status_code == 200
    assert response.text == "2"  # the ping, after pingInterval: the poll was held past both timeouts
    assert time.monotonic() - started > 2.5


def test_past_the_connection_cap_a_connection_gets_503_and_the_server_recovers(servers):
    server = servers.serve(extra=["--max-connections", "4", "--request-head-timeout", "30s"])
    held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(4)]
    try:
        time.sleep(0.3)
        response = requests.get(f"{server.url}/_tablecast/health", timeout=HTTP_TIMEOUT,
                                headers={"Connection": "close"})
        assert response.status_code == 503
        assert response.headers["Content-Type"] == "application/json"
        assert "too many connections" in response.json()["error"]
        assert "connection limit reached" in server.stderr_text()
    finally:
        for connection in held:
            connection.close()
    wait_until(lambda: requests.get(f"{server.url}/_tablecast/health", timeout=HTTP_TIMEOUT,
                                    headers={"Connection": "close"}).status_code == 200, timeout=10.0)
    samples = {}
    metrics = requests.get(f"{server.url}/metrics", timeout=HTTP_TIMEOUT, headers={"Connection": "close"})
    for family in text_string_to_metric_families(metrics.text):
        for sample in family.samples:
            samples[sample.name] = sample.value
    assert samples["tablecast_connections_refused_total"] >= 1
    assert samples["tablecast_connections_accepted_total"] >= 5
    assert samples["tablecast_connections_open"] >= 1


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_with_every_kind_of_connection_open_exits_0_in_time(servers, signal_number):
    server = servers.serve(extra=["--shutdown-timeout", "3s"])
    base = server.url
    probe = socket.create_connection(("127.0.0.1", server.port))
    probe.shutdown(socket.SHUT_WR)  # half-closed, as a probe that closes its side
    idle = socket.create_connection(("127.0.0.1", server.port))
    half = socket.create_connection(("127.0.0.1", server.port))
    half.sendall(b"GET /tables HTTP/1.1\r\nHo")
    body = socket.create_connection(("127.0.0.1", server.port))
    body.sendall(b"POST /_tablecast/emit HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
    webSocket, _ = ws_join_namespace(server.ws_url, "/events")
    sid, _ = polling_handshake(base)
    poll_result: dict = {}

    def hold_poll() -> None:
        poll_result["response"] = requests.get(f"{base}/socket.io/?EIO=4&transport=polling&sid={sid}",
                                               timeout=HTTP_TIMEOUT)

    poller = threading.Thread(target=hold_poll, daemon=True)
    poller.start()
    client = socketio.Client(reconnection=False)
    client.connect(base, namespaces=["/events"], wait_timeout=10)
    wait_until(lambda: health(base)["clients"] >= 2, timeout=10.0)
    try:
        started = time.monotonic()
        server.proc.send_signal(signal_number)
        server.proc.wait(timeout=10)
        elapsed = time.monotonic() - started
        assert server.proc.returncode == 0, server.diagnostics()
        assert elapsed < 3.0 + 2.0, f"shutdown took {elapsed:.1f} s"
        poller.join(timeout=5)
        assert poll_result["response"].status_code == 200
        assert poll_result["response"].text.endswith("1")  # the session's close packet
        server.stopped = True
        server.returncode = 0
    finally:
        for connection in (probe, idle, half, body):
            connection.close()
        webSocket.close()
        client.disconnect()
