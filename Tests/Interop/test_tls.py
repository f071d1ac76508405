"""TLS: `--tls-cert PEM --tls-key PEM` makes the server speak https:// and wss:// only.

python-socketio connects over https (long-polling, then the upgrade to wss) and over wss directly, verifying the
server against a certificate this test makes with openssl; a hand-fired event arrives byte for byte. Plain HTTP to
the TLS port gets nowhere and the server goes on; files that do not fit are refused at start with one line naming
the file.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from pathlib import Path

import pytest
import requests
import socketio

from tablecast_testkit import HTTP_TIMEOUT, tablecast_binary, wait_until


def make_certificate(directory: Path, name: str = "server") -> tuple:
    certificate = directory / f"{name}.pem"
    key = directory / f"{name}-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(certificate),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    return certificate, key


@pytest.fixture(scope="module")
def tls_server(module_servers, tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    certificate, key = make_certificate(directory)
    server = module_servers.serve(extra=["--tls-cert", str(certificate), "--tls-key", str(key)], label="serve (TLS)")
    server.certificate = certificate  # type: ignore[attr-defined]
    return server


def https(server) -> str:
    return f"https://127.0.0.1:{server.port}"


@pytest.mark.parametrize("transports", [["polling", "websocket"], ["websocket"], ["polling"]])
def test_python_socketio_receives_events_over_https_and_wss(tls_server, transports):
    session = requests.Session()
    session.verify = str(tls_server.certificate)
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would replace `verify`
    received = []
    arrived = threading.Event()
    client = socketio.Client(reconnection=False, http_session=session)

    @client.on("*", namespace="/events")
    def on_any(event, data):
        received.append((event, data))
        arrived.set()

    client.connect(https(tls_server), namespaces=["/events"], transports=transports, wait_timeout=10)
    try:
        if transports == ["polling", "websocket"]:
            wait_until(lambda: client.transport() == "websocket", timeout=10)
        payload = {"tableNumber": 7, "note": "über / ✓"}
        response = session.post(f"{https(tls_server)}/_tablecast/emit", timeout=HTTP_TIMEOUT,
                                json={"event": "table:activated", "payload": payload})
        assert response.status_code == 202, response.text
        assert arrived.wait(10), "no event over TLS"
        assert received == [("table:activated", payload)]
    finally:
        client.disconnect()


def test_the_rest_api_answers_over_https_and_verifies_against_the_certificate(tls_server):
    response = requests.get(f"{https(tls_server)}/tables", verify=str(tls_server.certificate), timeout=HTTP_TIMEOUT)
    assert response.status_code == 200
    assert isinstance(response.json(), list)
    # A client that does not trust the certificate refuses it: the server really presents it.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{https(tls_server)}/tables", timeout=HTTP_TIMEOUT)


def test_plain_http_to_the_tls_port_gets_nowhere_and_the_server_goes_on(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=HTTP_TIMEOUT) as plain:
        plain.sendall(b"GET /tables HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            answer = plain.recv(4096)
        except ConnectionResetError:
            answer = b""
        assert not answer.startswith(b"HTTP/1.1 200")
    response = requests.get(f"{https(tls_server)}/_tablecast/health", verify=str(tls_server.certificate),
                            timeout=HTTP_TIMEOUT)
    assert response.json()["status"] == "ok"


def test_files_that_do_not_fit_are_refused_at_start_naming_the_file(tmp_path):
    certificate, _ = make_certificate(tmp_path, "one")
    _, other_key = make_certificate(tmp_path, "two")
    missing = tmp_path / "missing.pem"
    cases = [
        (["--tls-cert", str(missing), "--tls-key", str(other_key)], str(missing)),
        (["--tls-cert", str(certificate), "--tls-key", str(certificate)], str(certificate)),
        (["--tls-cert", str(certificate), "--tls-key", str(other_key)], str(other_key)),
        (["--tls-cert", str(certificate)], "--tls-key"),
    ]
    for arguments, named in cases:
        result = subprocess.run([str(tablecast_binary()), "serve", "--idle", "--port", "0", "--journal",
                                 str(tmp_path / "j.sqlite"), *arguments],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode != 0, arguments
        assert named in result.stderr, (arguments, result.stderr)
