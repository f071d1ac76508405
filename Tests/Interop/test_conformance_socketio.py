"""Port of the official Socket.IO v5 protocol test suite to Python.

Source: socketio/socket.io-protocol, test-suite/test-suite.js (EIO=4 / v5
version).  Every `it(...)` of the original is one test below, with the same
name (as the docstring) and the same assertions, run against
`tablecast conformance-server` on `/socket.io/` (pingInterval 300,
pingTimeout 200, maxPayload 1000000, connectTimeout 1000, CORS "*"; `/` and
`/custom` emit `auth` with the handshake auth on connect, `/` echoes `message`
as `message-back` and acks `message-with-ack` with its arguments).

Differences from the JavaScript original, all for robustness or because the
original's check could not fail:
- A browser WebSocket drops messages that arrive while no listener is attached;
  here frames are queued, so Engine.IO pings ("2") are skipped (and answered
  from a reader thread) wherever the original waits for a data message; the
  heartbeat cases see and answer the pings themselves.
- Requests the original fires "at once" (`Promise.all`) are sent in that order
  with http.client, a short fixed gap apart.
- The original's invalid-query WebSocket cases do not await anything; here the
  server must refuse the upgrade or close the socket without an open packet.
- 400 answers are also checked for the reference server's JSON error body.
- The ping-timeout and connect-timeout cases allow generous extra time.
"""

from __future__ import annotations

import http.client
import json
import time

import pytest
import requests

from tablecast_testkit import (
    HTTP_TIMEOUT,
    RawWebSocket,
    assert_eio_error,
    expect_ws_refused_or_closed,
)

PING_INTERVAL = 0.300
PING_TIMEOUT = 0.200
CONNECT_TIMEOUT = 1.000
PATH = "/socket.io/"
CONCURRENT_GAP = 0.05
BOUND = 5.0


@pytest.fixture(scope="module")
def base(conformance_server) -> str:
    return conformance_server.url


@pytest.fixture(scope="module")
def ws_base(conformance_server) -> str:
    return conformance_server.ws_url


def fetch(url: str, method: str = "GET", body: str | None = None) -> requests.Response:
    data = body.encode("utf-8") if body is not None else None
    headers = {"Content-Type": "text/plain;charset=UTF-8"} if data is not None else {}
    return requests.request(method, url, data=data, headers=headers, timeout=HTTP_TIMEOUT)


def text(response) -> str:
    data = response.content if isinstance(response, requests.Response) else response
    return data.decode("utf-8")


def init_long_polling_session(base: str) -> str:
    response = fetch(f"{base}{PATH}?EIO=4&transport=polling")
    assert response.status_code == 200, response.content
    return json.loads(text(response)[1:])["sid"]


def open_ws(ws_base: str, auto_pong: bool = True) -> RawWebSocket:
    return RawWebSocket(f"{ws_base}{PATH}?EIO=4&transport=websocket", auto_pong=auto_pong)


def init_socketio_connection(ws_base: str) -> RawWebSocket:
    socket = open_ws(ws_base)
    socket.recv_text(skip_pings=False)  # Engine.IO handshake
    socket.send("40")
    socket.recv_text()  # Socket.IO handshake
    socket.recv_text()  # "auth" packet
    return socket


def wait_for_packets(socket: RawWebSocket, count: int) -> list:
    """`count` data frames, ignoring PING packets (as the original's waitForPackets)."""
    packets = []
    for _ in range(count):
        kind, value = socket.recv_frame(timeout=BOUND)
        packets.append(value)
    return packets


class PendingRequest:
    def __init__(self, base: str, method: str, path: str, body: str | None = None):
        host, port = base.replace("http://", "").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=HTTP_TIMEOUT + 5)
        headers = {}
        data = None
        if body is not None:
            data = body.encode("utf-8")
            headers["Content-Type"] = "text/plain;charset=UTF-8"
        self.conn.request(method, path, body=data, headers=headers)

    def response(self):
        try:
            resp = self.conn.getresponse()
            return resp.status, resp.read()
        finally:
            self.conn.close()


def assert_open_packet(content: str, upgrades: list) -> None:
    assert content.startswith("0"), content
    value = json.loads(content[1:])
    assert list(value.keys()) == ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"], value
    assert isinstance(value["sid"], str)
    assert value["upgrades"] == upgrades
    assert value["pingInterval"] == int(PING_INTERVAL * 1000)
    assert value["pingTimeout"] == int(PING_TIMEOUT * 1000)
    assert value["maxPayload"] == 1000000


def assert_sid_only(handshake_json: str) -> None:
    handshake = json.loads(handshake_json)
    assert isinstance(handshake, dict) and set(handshake.keys()) == {"sid"}, handshake
    assert isinstance(handshake["sid"], str)


# ==========================================================================
# Engine.IO protocol
# ==========================================================================


class TestEngineIOHandshakeHTTPLongPolling:
    def test_should_successfully_open_a_session(self, base):
        """should successfully open a session"""
        response = fetch(f"{base}{PATH}?EIO=4&transport=polling")
        assert response.status_code == 200
        assert_open_packet(text(response), ["websocket"])

    def test_should_fail_with_an_invalid_eio_query_parameter(self, base):
        """should fail with an invalid 'EIO' query parameter"""
        response = fetch(f"{base}{PATH}?transport=polling")
        assert response.status_code == 400
        assert_eio_error(response, 5, "Unsupported protocol version")

        response2 = fetch(f"{base}{PATH}?EIO=abc&transport=polling")
        assert response2.status_code == 400
        assert_eio_error(response2, 5, "Unsupported protocol version")

    def test_should_fail_with_an_invalid_transport_query_parameter(self, base):
        """should fail with an invalid 'transport' query parameter"""
        response = fetch(f"{base}{PATH}?EIO=4")
        assert response.status_code == 400
        assert_eio_error(response, 0, "Transport unknown")

        response2 = fetch(f"{base}{PATH}?EIO=4&transport=abc")
        assert response2.status_code == 400
        assert_eio_error(response2, 0, "Transport unknown")

    def test_should_fail_with_an_invalid_request_method(self, base):
        """should fail with an invalid request method"""
        response = fetch(f"{base}{PATH}?EIO=4&transport=polling", method="POST")
        assert response.status_code == 400
        assert_eio_error(response, 2, "Bad handshake method")

        response2 = fetch(f"{base}{PATH}?EIO=4&transport=polling", method="PUT")
        assert response2.status_code == 400
        assert_eio_error(response2, 2, "Bad handshake method")


class TestEngineIOHandshakeWebSocket:
    def test_should_successfully_open_a_session(self, ws_base):
        """should successfully open a session"""
        socket = open_ws(ws_base)
        try:
            data = socket.recv_text(skip_pings=False)
            assert_open_packet(data, [])
        finally:
            socket.close()

    def test_should_fail_with_an_invalid_eio_query_parameter(self, ws_base):
        """should fail with an invalid 'EIO' query parameter"""
        expect_ws_refused_or_closed(f"{ws_base}{PATH}?transport=websocket")
        expect_ws_refused_or_closed(f"{ws_base}{PATH}?EIO=abc&transport=websocket")

    def test_should_fail_with_an_invalid_transport_query_parameter(self, ws_base):
        """should fail with an invalid 'transport' query parameter"""
        expect_ws_refused_or_closed(f"{ws_base}{PATH}?EIO=4")
        expect_ws_refused_or_closed(f"{ws_base}{PATH}?EIO=4&transport=abc")


class TestEngineIOHeartbeatHTTPLongPolling:
    def test_should_send_ping_pong_packets(self, base):
        """should send ping/pong packets"""
        sid = init_long_polling_session(base)
        for _ in range(3):
            poll_response = fetch(f"{base}{PATH}?EIO=4&transport=polling&sid={sid}")
            assert poll_response.status_code == 200
            assert text(poll_response) == "2"

            push_response = fetch(f"{base}{PATH}?EIO=4&transport=polling&sid={sid}", method="POST", body="3")
            assert push_response.status_code == 200

    def test_should_close_the_session_upon_ping_timeout(self, base):
        """should close the session upon ping timeout"""
        sid = init_long_polling_session(base)

        time.sleep(PING_INTERVAL + PING_TIMEOUT)

        deadline = time.monotonic() + BOUND
        while True:
            poll_response = fetch(f"{base}{PATH}?EIO=4&transport=polling&sid={sid}")
            if poll_response.status_code == 400:
                break
            assert poll_response.status_code == 200, poll_response.content
            packets = text(poll_response).split("\x1e")
            assert set(packets) <= {"2", "1"}, f"unexpected packets before the timeout: {packets!r}"
            assert time.monotonic() < deadline, "session still open long after pingInterval + pingTimeout"
        assert_eio_error(poll_response, 1, "Session ID unknown")


class TestEngineIOHeartbeatWebSocket:
    def test_should_send_ping_pong_packets(self, ws_base):
        """should send ping/pong packets"""
        socket = open_ws(ws_base, auto_pong=False)
        try:
            socket.recv_text(skip_pings=False)  # handshake
            for _ in range(3):
                data = socket.recv_text(timeout=BOUND, skip_pings=False)
                assert data == "2"
                socket.send("3")
        finally:
            socket.close()

    def test_should_close_the_session_upon_ping_timeout(self, ws_base):
        """should close the session upon ping timeout"""
        started = time.monotonic()
        socket = open_ws(ws_base, auto_pong=False)
        try:
            seen = socket.wait_closed(BOUND)
            elapsed = time.monotonic() - started
            texts = [value for kind, value in seen if kind == "text"]
            assert texts and texts[0].startswith("0"), f"no open packet before the close: {seen!r}"
            assert elapsed >= PING_INTERVAL + PING_TIMEOUT - 0.05, (
                f"closed after {elapsed:.3f} s, before pingInterval + pingTimeout"
            )
        finally:
            socket.close()


class TestEngineIOCloseHTTPLongPolling:
    def test_should_forcefully_close_the_session(self, base):
        """should forcefully close the session"""
        sid = init_long_polling_session(base)

        poll = PendingRequest(base, "GET", f"{PATH}?EIO=4&transport=polling&sid={sid}")
        time.sleep(CONCURRENT_GAP)
        push = PendingRequest(base, "POST", f"{PATH}?EIO=4&transport=polling&sid={sid}", body="1")
        status, pull_content = poll.response()
        push.response()

        assert status == 200
        assert text(pull_content) == "6"

        poll_response2 = fetch(f"{base}{PATH}?EIO=4&transport=polling&sid={sid}")
        assert poll_response2.status_code == 400
        assert_eio_error(poll_response2, 1, "Session ID unknown")


class TestEngineIOCloseWebSocket:
    def test_should_forcefully_close_the_session(self, ws_base):
        """should forcefully close the session"""
        socket = open_ws(ws_base)
        try:
            socket.recv_text(skip_pings=False)  # handshake
            socket.send("1")
            socket.wait_closed(BOUND)
        finally:
            socket.close()


class TestEngineIOUpgrade:
    def test_should_successfully_upgrade_from_http_long_polling_to_websocket(self, base, ws_base):
        """should successfully upgrade from HTTP long-polling to WebSocket"""
        sid = init_long_polling_session(base)
        socket = RawWebSocket(f"{ws_base}{PATH}?EIO=4&transport=websocket&sid={sid}")
        try:
            # send probe
            socket.send("2probe")
            probe_response = socket.recv_text()
            assert probe_response == "3probe"
            # complete upgrade
            socket.send("5")
        finally:
            socket.close()

    def test_should_ignore_http_requests_with_same_sid_after_upgrade(self, base, ws_base):
        """should ignore HTTP requests with same sid after upgrade"""
        sid = init_long_polling_session(base)
        socket = RawWebSocket(f"{ws_base}{PATH}?EIO=4&transport=websocket&sid={sid}")
        try:
            socket.send("2probe")
            socket.send("5")
            # not in the original: let the server read the probe (and the "5"
            # right behind it) before the HTTP request races them
            assert socket.recv_text() == "3probe"

            poll_response = fetch(f"{base}{PATH}?EIO=4&transport=polling&sid={sid}")
            assert poll_response.status_code == 400
            assert_eio_error(poll_response, 3, "Bad request")
        finally:
            socket.close()

    def test_should_ignore_websocket_connection_with_same_sid_after_upgrade(self, base, ws_base):
        """should ignore WebSocket connection with same sid after upgrade"""
        sid = init_long_polling_session(base)
        socket = RawWebSocket(f"{ws_base}{PATH}?EIO=4&transport=websocket&sid={sid}")
        try:
            socket.send("2probe")
            socket.send("5")
            assert socket.recv_text() == "3probe"  # see above

            expect_ws_refused_or_closed(f"{ws_base}{PATH}?EIO=4&transport=websocket&sid={sid}")
        finally:
            socket.close()


# ==========================================================================
# Socket.IO protocol
# ==========================================================================


class TestSocketIOConnect:
    def test_should_allow_connection_to_the_main_namespace(self, ws_base):
        """should allow connection to the main namespace"""
        socket = open_ws(ws_base)
        try:
            socket.recv_text(skip_pings=False)  # Engine.IO handshake
            socket.send("40")
            data = socket.recv_text()
            assert data.startswith("40")
            assert_sid_only(data[2:])
            auth_packet = socket.recv_text()
            assert auth_packet == '42["auth",{}]'
        finally:
            socket.close()

    def test_should_allow_connection_to_the_main_namespace_with_a_payload(self, ws_base):
        """should allow connection to the main namespace with a payload"""
        socket = open_ws(ws_base)
        try:
            socket.recv_text(skip_pings=False)  # Engine.IO handshake
            socket.send('40{"token":"123"}')
            data = socket.recv_text()
            assert data.startswith("40")
            assert_sid_only(data[2:])
            auth_packet = socket.recv_text()
            assert auth_packet == '42["auth",{"token":"123"}]'
        finally:
            socket.close()

    def test_should_allow_connection_to_a_custom_namespace(self, ws_base):
        """should allow connection to a custom namespace"""
        socket = open_ws(ws_base)
        try:
            socket.recv_text(skip_pings=False)  # Engine.IO handshake
            socket.send("40/custom,")
            data = socket.recv_text()
            assert data.startswith("40/custom,")
            assert_sid_only(data[10:])
            auth_packet = socket.recv_text()
            assert auth_packet == '42/custom,["auth",{}]'
        finally:
            socket.close()

    def test_should_allow_connection_to_a_custom_namespace_with_a_payload(self, ws_base):
        """should allow connection to a custom namespace with a payload"""
        socket = open_ws(ws_base)
        try:
            socket.recv_text(skip_pings=False)  # Engine.IO handshake
            socket.send('40/custom,{"token":"abc"}')
            data = socket.recv_text()
            assert data.startswith("40/custom,")
            assert_sid_only(data[10:])
            auth_packet = socket.recv_text()
            assert auth_packet == '42/custom,["auth",{"token":"abc"}]'
        finally:
            socket.close()

    def test_should_disallow_connection_to_an_unknown_namespace(self, ws_base):
        """should disallow connection to an unknown namespace"""
        socket = open_ws(ws_base)
        try:
            socket.recv_text(skip_pings=False)  # Engine.IO handshake
            socket.send("40/random")
            data = socket.recv_text()
            assert data == '44/random,{"message":"Invalid namespace"}'
        finally:
            socket.close()

    def test_should_disallow_connection_with_an_invalid_handshake(self, ws_base):
        """should disallow connection with an invalid handshake"""
        socket = open_ws(ws_base)
        try:
            socket.recv_text(skip_pings=False)  # Engine.IO handshake
            socket.send("4abc")
            socket.wait_closed(BOUND)
        finally:
            socket.close()

    def test_should_close_the_connection_if_no_handshake_is_received(self, ws_base):
        """should close the connection if no handshake is received"""
        started = time.monotonic()
        socket = open_ws(ws_base)  # answers pings: only the connect timeout may close it
        try:
            seen = socket.wait_closed(CONNECT_TIMEOUT + BOUND)
            elapsed = time.monotonic() - started
            data = [value for kind, value in seen if kind == "text" and value != "2"]
            assert data and data[0].startswith("0"), f"no open packet before the close: {seen!r}"
            assert elapsed >= CONNECT_TIMEOUT - 0.05, f"closed after {elapsed:.3f} s, before connectTimeout"
        finally:
            socket.close()


class TestSocketIODisconnect:
    def test_should_disconnect_from_the_main_namespace(self, ws_base):
        """should disconnect from the main namespace"""
        socket = init_socketio_connection(ws_base)
        try:
            socket.drain()  # what came before the DISCONNECT is not what we wait for
            socket.send("41")
            data = socket.recv_text(timeout=BOUND, skip_pings=False)
            assert data == "2"
        finally:
            socket.close()

    def test_should_connect_then_disconnect_from_a_custom_namespace(self, ws_base):
        """should connect then disconnect from a custom namespace"""
        socket = init_socketio_connection(ws_base)
        try:
            socket.recv_text(timeout=BOUND, skip_pings=False)  # ping

            socket.send("40/custom")
            socket.recv_text()  # Socket.IO handshake
            socket.recv_text()  # auth packet

            socket.send("41/custom")
            socket.send('42["message","message to main namespace"]')
            data = socket.recv_text()
            assert data == '42["message-back","message to main namespace"]'
        finally:
            socket.close()


class TestSocketIOMessage:
    def test_should_send_a_plain_text_packet(self, ws_base):
        """should send a plain-text packet"""
        socket = init_socketio_connection(ws_base)
        try:
            socket.send('42["message",1,"2",{"3":[true]}]')
            data = socket.recv_text()
            assert data == '42["message-back",1,"2",{"3":[true]}]'
        finally:
            socket.close()

    def test_should_send_a_packet_with_binary_attachments(self, ws_base):
        """should send a packet with binary attachments"""
        socket = init_socketio_connection(ws_base)
        try:
            socket.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
            socket.send(bytes([1, 2, 3]))
            socket.send(bytes([4, 5, 6]))

            packets = wait_for_packets(socket, 3)
            assert packets[0] == '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
            assert packets[1] == bytes([1, 2, 3])
            assert packets[2] == bytes([4, 5, 6])
        finally:
            socket.close()

    def test_should_send_a_plain_text_packet_with_an_ack(self, ws_base):
        """should send a plain-text packet with an ack"""
        socket = init_socketio_connection(ws_base)
        try:
            socket.send('42456["message-with-ack",1,"2",{"3":[false]}]')
            data = socket.recv_text()
            assert data == '43456[1,"2",{"3":[false]}]'
        finally:
            socket.close()

    def test_should_send_a_packet_with_binary_attachments_and_an_ack(self, ws_base):
        """should send a packet with binary attachments and an ack"""
        socket = init_socketio_connection(ws_base)
        try:
            socket.send('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
            socket.send(bytes([1, 2, 3]))
            socket.send(bytes([4, 5, 6]))

            packets = wait_for_packets(socket, 3)
            assert packets[0] == '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
            assert packets[1] == bytes([1, 2, 3])
            assert packets[2] == bytes([4, 5, 6])
        finally:
            socket.close()

    @pytest.mark.parametrize(
        "packet",
        [
            pytest.param("4abc", id="should close the connection upon invalid format (unknown packet type)"),
            pytest.param("42{}", id="should close the connection upon invalid format (invalid payload format)"),
            pytest.param('42abc["message-with-ack",1,"2",{"3":[false]}]',
                         id="should close the connection upon invalid format (invalid ack id)"),
        ],
    )
    def test_should_close_the_connection_upon_invalid_format(self, ws_base, packet):
        """should close the connection upon invalid format ({unknown packet type | invalid payload
        format | invalid ack id})"""
        socket = init_socketio_connection(ws_base)
        try:
            socket.send(packet)
            socket.wait_closed(BOUND)
        finally:
            socket.close()


# --------------------------------------------------------------------------
# Not in the official suite: the reference configuration's CORS setting.
# --------------------------------------------------------------------------


def test_tablecast_cors_origin_star(base):
    """(tablecast) conformance-server answers CORS with origin "*" on /socket.io/"""
    response = requests.get(
        f"{base}{PATH}?EIO=4&transport=polling", headers={"Origin": "http://client.example"}, timeout=HTTP_TIMEOUT
    )
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
