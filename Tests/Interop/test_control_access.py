"""Who may use the control API (`/_tablecast/*`), and CORS per route.

- With `--control-token` (or TABLECAST_CONTROL_TOKEN), every control route but GET /_tablecast/health needs
  `Authorization: Bearer TOKEN`, and answers 401 with a JSON error otherwise; nothing is emitted then.
- The control API sends no CORS headers, and refuses a request whose Origin is another site's (a cross-origin form
  post or no-cors fetch needs no preflight), with or without a token.
- The restaurant REST API and Socket.IO keep NestJS's `origin: true`: the request's origin is reflected.
"""

from __future__ import annotations

import pytest
import requests

from tablecast_testkit import HTTP_TIMEOUT, emit_body, health

TOKEN = "s3cret-token"
EVIL = "http://evil.example"


def emit(base: str, headers: dict) -> requests.Response:
    return requests.post(f"{base}/_tablecast/emit", data=emit_body("table:activated", '{"tableNumber":3}'),
                         headers={"Content-Type": "application/json", **headers}, timeout=HTTP_TIMEOUT)


@pytest.fixture(scope="module")
def guarded(module_servers):
    return module_servers.serve(extra=["--control-token", TOKEN], label="serve --control-token")


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "])
def test_a_control_route_without_the_token_is_refused_with_401(guarded, authorization):
    before = health(guarded.url)["lastSeq"]
    headers = {} if authorization is None else {"Authorization": authorization}
    response = emit(guarded.url, headers)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "--control-token" in response.json()["error"]
    assert health(guarded.url)["lastSeq"] == before


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/_tablecast/faults", None),
    ("POST", "/_tablecast/faults", b'{"kind":"unknown-event"}'),
    ("GET", "/_tablecast/simulation", None),
    ("GET", "/_tablecast/replay", None),
])
def test_every_control_route_needs_the_token(guarded, method, path, body):
    response = requests.request(method, f"{guarded.url}{path}", data=body, timeout=HTTP_TIMEOUT)
    assert response.status_code == 401, response.text
    authorized = requests.request(method, f"{guarded.url}{path}", data=body, timeout=HTTP_TIMEOUT,
                                  headers={"Authorization": f"Bearer {TOKEN}"})
    assert authorized.status_code != 401


def test_with_the_token_an_emit_is_accepted(guarded):
    response = emit(guarded.url, {"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 202, response.text
    assert health(guarded.url)["lastSeq"] == response.json()["seq"]


def test_health_and_the_rest_api_need_no_token(guarded):
    assert requests.get(f"{guarded.url}/_tablecast/health", timeout=HTTP_TIMEOUT).status_code == 200
    assert requests.get(f"{guarded.url}/tables", timeout=HTTP_TIMEOUT).status_code == 200
    assert requests.get(f"{guarded.url}/metrics", timeout=HTTP_TIMEOUT).status_code == 200


def test_the_token_comes_from_the_environment_too(servers):
    server = servers.serve(env={"TABLECAST_CONTROL_TOKEN": "from-env"}, label="serve (env token)")
    assert emit(server.url, {}).status_code == 401
    assert emit(server.url, {"Authorization": "Bearer from-env"}).status_code == 202


def test_a_cross_origin_request_to_the_control_api_is_refused_and_does_nothing(serve_server):
    base = serve_server.url
    before = health(base)["lastSeq"]
    # What a page on another site can send without a preflight: a "simple" POST.
    response = requests.post(f"{base}/_tablecast/emit", data=emit_body("table:activated", '{"tableNumber":3}'),
                             headers={"Origin": EVIL, "Content-Type": "text/plain"}, timeout=HTTP_TIMEOUT)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert health(base)["lastSeq"] == before

    preflight = requests.options(f"{base}/_tablecast/emit", timeout=HTTP_TIMEOUT, headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Credentials" not in preflight.headers

    metrics = requests.get(f"{base}/metrics", headers={"Origin": EVIL}, timeout=HTTP_TIMEOUT)
    assert metrics.status_code == 403


def test_the_servers_own_origin_may_use_the_control_api(serve_server):
    base = serve_server.url
    response = requests.post(f"{base}/_tablecast/emit", data=emit_body("table:activated", '{"tableNumber":3}'),
                             headers={"Origin": base, "Content-Type": "application/json"}, timeout=HTTP_TIMEOUT)
    assert response.status_code == 202, response.text
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_rest_api_and_socketio_reflect_any_origin(serve_server):
    base = serve_server.url
    tables = requests.get(f"{base}/tables", headers={"Origin": EVIL}, timeout=HTTP_TIMEOUT)
    assert tables.status_code == 200
    assert tables.headers["Access-Control-Allow-Origin"] == EVIL
    assert tables.headers["Access-Control-Allow-Credentials"] == "true"
    preflight = requests.options(f"{base}/orders", timeout=HTTP_TIMEOUT, headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.headers["Access-Control-Allow-Origin"] == EVIL
    handshake = requests.get(f"{base}/socket.io/?EIO=4&transport=polling", headers={"Origin": EVIL},
                             timeout=HTTP_TIMEOUT)
    assert handshake.status_code == 200
    assert handshake.headers["Access-Control-Allow-Origin"] == EVIL


def test_replay_takes_the_token_too(servers, tmp_path):
    source = servers.serve(label="source")
    emit(source.url, {})
    source.stop()
    replay = servers.replay(source.journal_path, extra=["--control-token", TOKEN, "--speed", "max"])
    assert requests.get(f"{replay.url}/_tablecast/replay", timeout=HTTP_TIMEOUT).status_code == 401
    assert requests.get(f"{replay.url}/_tablecast/replay", timeout=HTTP_TIMEOUT,
                        headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
