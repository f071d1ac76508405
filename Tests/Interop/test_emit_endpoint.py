"""`POST /_tablecast/emit` validation, `/_tablecast/health`, and CORS of `serve`."""

from __future__ import annotations

import pytest
import requests

from tablecast_testkit import HTTP_TIMEOUT, emit_body, health, post_emit, post_emit_raw

ORIGIN = "http://frontend.example:5173"


def test_valid_posts_answer_202_with_increasing_seq(serve_server):
    base = serve_server.url
    before = health(base)["lastSeq"]
    seqs = []
    bodies = [
        emit_body("order:created", '{"id":1,"path":"a/b","label":"ünïcode €"}'),
        emit_body("menu.updated", "[1,2,3]", variant=1),
        emit_body("newMessage", '"hello"', variant=2),
        emit_body("newMessage", "null"),  # present but null is a valid payload
        emit_body("count", "0"),
        emit_body("flag", "false"),
    ]
    for body in bodies:
        r = post_emit_raw(base, body)
        assert r.status_code == 202, f"{body!r} answered {r.status_code} {r.content!r}"
        value = r.json()
        assert list(value) == ["seq"] and isinstance(value["seq"], int) and not isinstance(value["seq"], bool), value
        seqs.append(value["seq"])
    assert seqs[0] > before, f"first seq {seqs[0]} is not above the previous lastSeq {before}"
    for a, b in zip(seqs, seqs[1:]):
        assert b > a, f"seq not increasing: {seqs}"
    assert health(base)["lastSeq"] == seqs[-1]


BAD_BODIES = [
    # (id, body, field the error must name or None)
    ("truncated-json", b'{"event":"x","payload":', None),
    ("not-json", b"this is not json", None),
    ("empty-body", b"", None),
    ("trailing-garbage", b'{"event":"x","payload":1} extra', None),
    ("invalid-utf8", b'{"event":"x","payload":"\xff\xfe"}', None),
    ("top-level-array", b'["event","payload"]', None),
    ("missing-event", b'{"payload":{"a":1}}', "event"),
    ("event-number", b'{"event":42,"payload":1}', "event"),
    ("event-null", b'{"event":null,"payload":1}', "event"),
    ("event-array", b'{"event":["a"],"payload":1}', "event"),
    ("event-object", b'{"event":{"name":"x"},"payload":1}', "event"),
    ("missing-payload", b'{"event":"order:created"}', "payload"),
]


@pytest.mark.parametrize("body,field", [pytest.param(b, f, id=i) for i, b, f in BAD_BODIES])
def test_bad_emit_requests_answer_400_with_json_error(serve_server, body, field):
    base = serve_server.url
    before = health(base)["lastSeq"]
    r = post_emit_raw(base, body)
    assert r.status_code == 400, f"{body!r} answered {r.status_code} {r.content!r}"
    assert "json" in r.headers.get("Content-Type", "").lower(), f"400 Content-Type: {r.headers.get('Content-Type')!r}"
    try:
        value = r.json()
    except ValueError as exc:
        raise AssertionError(f"400 body is not JSON: {r.content!r}") from exc
    assert isinstance(value, dict) and isinstance(value.get("error"), str) and value["error"].strip(), (
        f"400 body has no `error` string: {value!r}"
    )
    if field is not None:
        assert field in value["error"].lower(), f"error {value['error']!r} does not name the field {field!r}"
    # nothing was broadcast or journaled: the sequence did not move
    assert health(base)["lastSeq"] == before
    # and the endpoint still works
    assert post_emit(base, "after.bad.request", "1") > before


def test_health_reports_status_clients_and_last_seq(serve_server):
    value = health(serve_server.url)
    assert value["status"] == "ok"
    assert value["clients"] == 0
    seq = post_emit(serve_server.url, "health.check", '{"ok":true}')
    assert health(serve_server.url)["lastSeq"] == seq


def test_cors_reflects_origin_with_credentials(serve_server):
    r = requests.get(f"{serve_server.url}/socket.io/?EIO=4&transport=polling", headers={"Origin": ORIGIN},
                     timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.content
    assert r.headers.get("Access-Control-Allow-Origin") == ORIGIN, dict(r.headers)
    assert r.headers.get("Access-Control-Allow-Credentials") == "true", dict(r.headers)


def test_cors_preflight_for_socketio(serve_server):
    r = requests.options(
        f"{serve_server.url}/socket.io/?EIO=4&transport=polling",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code in (200, 204), f"preflight answered {r.status_code} {r.content!r}"
    assert r.headers.get("Access-Control-Allow-Origin") == ORIGIN, dict(r.headers)
    assert r.headers.get("Access-Control-Allow-Credentials") == "true", dict(r.headers)
    methods = r.headers.get("Access-Control-Allow-Methods", "").upper()
    assert "GET" in methods and "POST" in methods, dict(r.headers)
    allowed_headers = r.headers.get("Access-Control-Allow-Headers", "").lower()
    assert "content-type" in allowed_headers, dict(r.headers)
