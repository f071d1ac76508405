"""`GET /metrics` read by a real Prometheus text-format parser (prometheus-client), and the slow-consumer bound:
a client that stops reading is disconnected, counted, and the others keep receiving."""

import base64
import os
import socket
import struct
import time

import requests
from prometheus_client.parser import text_string_to_metric_families

from tablecast_testkit import HTTP_TIMEOUT, EventListener, health, post_emit, wait_for_clients, wait_until


def scrape(server):
    response = requests.get(server.url + "/metrics", timeout=HTTP_TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, metric, **labels):
    return samples.get((metric, tuple(sorted(labels.items()))), 0)


def test_metrics_count_clients_events_deliveries_journal_and_faults(servers):
    server = servers.serve(idle=False, extra=["--time-scale", "1200x"])
    websocket = EventListener(server.url, ["websocket"])
    polling = EventListener(server.url, ["polling"])
    try:
        wait_for_clients(server.url, 2)
        wait_until(lambda: len(websocket.received()) >= 30 and len(polling.received()) >= 30, timeout=30)
        requests.post(server.url + "/_tablecast/faults", json={"fault": "duplicate"}, timeout=HTTP_TIMEOUT)
        samples = scrape(server)
        last_seq = health(server.url)["lastSeq"]
    finally:
        websocket.close()
        polling.close()
    assert value(samples, "tablecast_clients", namespace="/events", transport="websocket") == 1
    assert value(samples, "tablecast_clients", namespace="/events", transport="polling") == 1
    emitted = sum(v for (name, _), v in samples.items() if name == "tablecast_events_emitted_total")
    assert 30 <= emitted <= last_seq
    assert value(samples, "tablecast_events_emitted_total", name="order:created") > 0
    assert value(samples, "tablecast_deliveries_total") >= 60
    assert value(samples, "tablecast_bytes_sent_total") > 0
    assert value(samples, "tablecast_journal_committed_events_total") > 0
    assert value(samples, "tablecast_journal_failed") == 0
    assert value(samples, "tablecast_faults_injected_total", kind="duplicate") == 1
    assert value(samples, "tablecast_simulation_events_total") > 0
    # Counters never go back.
    later = scrape(server)
    assert value(later, "tablecast_deliveries_total") >= value(samples, "tablecast_deliveries_total")


def stalled_websocket(port):
    """A WebSocket client that joins /events and then never reads again."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    received = b""
    while b"\r\n\r\n" not in received or b'"sid"' not in received:
        received += sock.recv(4096)
    payload = b"40/events,"
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked)
    return sock


def test_a_client_that_stops_reading_is_dropped_and_the_others_keep_receiving(servers):
    server = servers.serve()
    reader = EventListener(server.url, ["websocket"])
    stalled = stalled_websocket(server.port)
    try:
        wait_for_clients(server.url, 2)
        big = '{"blob":"' + "x" * 200_000 + '"}'
        with requests.Session() as session:
            for i in range(80):  # 16 MB: past the 8 MiB backlog bound
                post_emit(server.url, "bulk", big, session=session)
        wait_until(lambda: health(server.url)["clients"] == 1, timeout=60,
                   message="the stalled client was not disconnected")
        wait_until(lambda: len(reader.received()) == 80, timeout=60,
                   message=lambda: f"the reading client got {len(reader.received())} of 80")
        assert value(scrape(server), "tablecast_slow_consumer_disconnects_total") == 1
        # And it keeps its rate afterwards.
        post_emit(server.url, "after", '{"ok":true}')
        wait_until(lambda: reader.received()[-1] == ("after", {"ok": True}), timeout=10)
    finally:
        stalled.close()
        reader.close()
