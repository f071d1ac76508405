"""A tablecast cluster on a real `redis-server`, in the Streams adapter's format: `serve --redis` (the owner) and
`serve --redis --follow` (followers). python-socketio clients on each node, redis-py as a Node server's stand-in
(entries written exactly as @socket.io/redis-streams-adapter 0.3.1 writes them, §6.9 of the reference)."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from redis_kit import RedisServer, js_value
from tablecast_testkit import EventListener, HTTP_TIMEOUT, health, post_emit, read_journal, wait_until


def owner(servers, redis_server, *extra, idle=True, label="owner"):
    return servers.serve(idle=idle, label=label, extra=["--redis", redis_server.url, *extra])


def follower(servers, redis_server, *extra, label="follower"):
    return servers.serve(idle=True, label=label, extra=["--redis", redis_server.url, "--follow", *extra])


def journal_events(proc):
    _, events = read_journal(proc.journal_path)
    return [(e["name"], bytes(e["payload"])) for e in events]


def settled(*nodes, timeout=20):
    """Waits until every node has read the whole stream and delivered it."""
    def caught_up():
        states = [health(node.url)["redis"] for node in nodes]
        ids = {state["lastID"] for state in states}
        return len(ids) == 1 and None not in ids and all(state["connected"] for state in states)
    wait_until(caught_up, timeout=timeout, message="the nodes did not reach the same stream entry")


def test_owner_and_follower_deliver_journal_and_answer_alike(servers, redis_server):
    follower_node = follower(servers, redis_server)
    owner_node = owner(servers, redis_server, "--rate", "200/s", idle=False)
    on_owner = EventListener(owner_node.url + "/events")
    on_follower = EventListener(follower_node.url + "/events", transports=None)  # polling, then the upgrade
    try:
        wait_until(lambda: len(on_follower.received()) >= 300, timeout=30, message="the follower's client got < 300")
        requests.post(owner_node.url + "/_tablecast/simulation", json={"paused": True}, timeout=HTTP_TIMEOUT)
        settled(owner_node, follower_node)
        time.sleep(0.5)
        # The same events, in the same order, to the clients of both nodes (each from the moment it connected).
        got_owner, got_follower = on_owner.received(), on_follower.received()
        assert len(got_follower) >= 300
        shorter, longer = sorted([got_owner, got_follower], key=len)
        assert longer[len(longer) - len(shorter):] == shorter
        # Both journals hold the same events, byte for byte.
        assert journal_events(owner_node) == journal_events(follower_node)
        # The follower's REST API answers from the same projection.
        for path in ["/tables", "/orders", "/orders?status=pending", "/messages", "/menu", "/users"]:
            a = requests.get(owner_node.url + path, timeout=HTTP_TIMEOUT)
            b = requests.get(follower_node.url + path, timeout=HTTP_TIMEOUT)
            assert a.status_code == b.status_code == 200, path
            assert a.json() == b.json(), path
        owner_state, follower_state = health(owner_node.url)["redis"], health(follower_node.url)["redis"]
        assert owner_state["role"] == "owner" and follower_state["role"] == "follower"
        assert owner_state["published"] == health(owner_node.url)["lastSeq"]
        assert follower_state["owner"] == owner_node.url
        assert follower_state["lagSeconds"] == 0
        metrics = requests.get(follower_node.url + "/metrics", timeout=HTTP_TIMEOUT).text
        assert 'tablecast_redis_connected{role="stream-read"} 1' in metrics
        assert "tablecast_redis_stream_lag_seconds 0" in metrics
    finally:
        on_owner.close()
        on_follower.close()


def test_the_stream_holds_what_the_streams_adapter_writes(servers, redis_server):
    owner_node = owner(servers, redis_server)
    post_emit(owner_node.url, "table:activated", '{"tableNumber":7}')
    wait_until(lambda: redis_server.client().xlen("socket.io") == 1, timeout=10)
    [(entry_id, fields)] = redis_server.client().xrange("socket.io")
    keys = list(fields)
    # The adapter's fields, in its order, then tablecast's two (which its readers ignore: they read by name).
    assert keys == [b"uid", b"nsp", b"type", b"data", b"tablecast-seq", b"tablecast-emitted-ns"]
    assert len(fields[b"uid"]) == 16 and all(c in b"0123456789abcdef" for c in fields[b"uid"])
    assert fields[b"nsp"] == b"/events" and fields[b"type"] == b"3" and fields[b"tablecast-seq"] == b"1"
    assert fields[b"data"] == (b'{"packet":{"type":2,"data":["table:activated",{"tableNumber":7}]},'
                               b'"opts":{"rooms":[],"except":[],"flags":{}}}')
    wait_until(lambda: json.loads(redis_server.client().get("socket.io:tablecast-owner"))["firstEntry"], timeout=10)
    announced = json.loads(redis_server.client().get("socket.io:tablecast-owner"))
    assert announced == {"url": owner_node.url, "uid": fields[b"uid"].decode(), "firstEntry": entry_id.decode()}


def test_every_node_delivers_and_journals_a_node_servers_broadcasts(servers, redis_server):
    owner_node = owner(servers, redis_server)
    follower_node = follower(servers, redis_server)
    settled(owner_node, follower_node)
    clients = [EventListener(owner_node.url + "/events"), EventListener(follower_node.url + "/events")]
    try:
        client = redis_server.client()
        # What a Node.js socket.io server with the Streams adapter XADDs for io.of("/events").emit(...).
        node_uid = "0123456789abcdef"
        for data in [
            '{"packet":{"type":2,"data":["table:activated",{"tableNumber":7}]},"opts":{"rooms":[],"except":[],"flags":{}}}',
            '{"packet":{"type":2,"data":["price:changed",{"sku":"TEA/GRN","price":12.50,"name":"caf\\u00e9"}]},'
            '"opts":{"rooms":[],"except":[],"flags":{}}}',
        ]:
            client.xadd("socket.io", {"uid": node_uid, "nsp": "/events", "type": "3", "data": data},
                        maxlen=10000, approximate=True)
        # Not for this namespace, not a broadcast: skipped.
        client.xadd("socket.io", {"uid": node_uid, "nsp": "/admin", "type": "3",
                                  "data": '{"packet":{"type":2,"data":["x",1]},"opts":{}}'})
        client.xadd("socket.io", {"uid": node_uid, "nsp": "/events", "type": "4",
                                  "data": '{"opts":{"rooms":[],"except":[],"flags":{}},"rooms":["a"]}'})
        # The owner numbers another server's entries as it reads them and its own events as it emits them: the
        # emit waits for the reads, so that the journals' order is the stream's (README, "A Socket.IO cluster's
        # Redis").
        for listener in clients:
            wait_until(lambda: len(listener.received()) == 2, timeout=10)
        post_emit(owner_node.url, "after", '{"n":1}')
        for listener in clients:
            wait_until(lambda: len(listener.received()) == 3, timeout=10)
        expected = [("table:activated", {"tableNumber": 7}),
                    ("price:changed", {"sku": "TEA/GRN", "price": 12.5, "name": "café"}),
                    ("after", {"n": 1})]
        for listener in clients:
            assert listener.received() == expected
        settled(owner_node, follower_node)
        for node in (owner_node, follower_node):
            # Journaled with the bytes a Node server's clients get (JSON.stringify of the parsed packet).
            assert journal_events(node) == [
                ("table:activated", b'{"tableNumber":7}'),
                ("price:changed", '{"sku":"TEA/GRN","price":12.5,"name":"café"}'.encode()),
                ("after", b'{"n":1}')]
            assert health(node.url)["redis"]["read"] == 3
    finally:
        for listener in clients:
            listener.close()


def test_a_follower_refuses_writes_and_names_the_owner(servers, redis_server):
    owner_node = owner(servers, redis_server)
    follower_node = follower(servers, redis_server)
    wait_until(lambda: health(follower_node.url)["redis"]["owner"] == owner_node.url, timeout=20,
               message="the follower never learned the owner's URL")
    for method, path, body in [("POST", "/_tablecast/emit", {"event": "x", "payload": 1}),
                               ("POST", "/tables/1/activate", None),
                               ("POST", "/messages", {"content": "hi", "authorId": 1}),
                               ("POST", "/_tablecast/faults", {"kind": "disconnect", "clients": 1}),
                               ("POST", "/_tablecast/simulation", {"paused": True})]:
        response = requests.request(method, follower_node.url + path, json=body, timeout=HTTP_TIMEOUT)
        assert response.status_code == 409, (path, response.text)
        assert response.json()["error"] == (f"this tablecast node follows stream socket.io on {redis_server.url}: "
                                            f"send writes to the owner, {owner_node.url}")
    assert requests.get(follower_node.url + "/tables", timeout=HTTP_TIMEOUT).status_code == 200
    # The follower runs no simulation of its own.
    assert journal_events(follower_node) == []


def emit_ticks(url, count):
    session = requests.Session()
    for i in range(count):
        post_emit(url, "tick", json.dumps({"i": i}), session=session)
        time.sleep(0.002)


def test_a_follower_that_loses_redis_resumes_and_misses_nothing(servers, redis_server):
    owner_node = owner(servers, redis_server)
    follower_node = follower(servers, redis_server)
    settled(owner_node, follower_node)
    listener = EventListener(follower_node.url + "/events")
    try:
        emitter = threading.Thread(target=emit_ticks, args=(owner_node.url, 900))
        emitter.start()
        for _ in range(3):
            time.sleep(0.5)
            redis_server.kill_client("tablecast-follow")
        emitter.join(60)
        wait_until(lambda: len(listener.received()) >= 900, timeout=20, message="the follower's client missed ticks")
        time.sleep(0.3)
        assert [data["i"] for _, data in listener.received()] == list(range(900))
        assert health(follower_node.url)["redis"]["reconnects"] >= 3
        settled(owner_node, follower_node)
        assert journal_events(owner_node) == journal_events(follower_node)
    finally:
        listener.close()


def test_redis_restarted_with_persistence_loses_nothing(servers, tmp_path):
    redis_server = RedisServer(tmp_path / "redis", appendonly=True).start()
    try:
        owner_node = owner(servers, redis_server)
        follower_node = follower(servers, redis_server)
        settled(owner_node, follower_node)
        listener = EventListener(follower_node.url + "/events")
        try:
            for i in range(20):
                post_emit(owner_node.url, "tick", json.dumps({"i": i}))
            wait_until(lambda: len(listener.received()) == 20, timeout=10)
            redis_server.stop()
            # The owner keeps taking events while Redis is away: they wait, in order.
            for i in range(20, 50):
                post_emit(owner_node.url, "tick", json.dumps({"i": i}))
            state = health(owner_node.url)["redis"]
            assert state["connected"] is False and state["backlog"] == 30
            time.sleep(1.0)
            redis_server.start()
            wait_until(lambda: len(listener.received()) == 50, timeout=30,
                       message="the follower's client did not get the events emitted while Redis was down")
            assert [data["i"] for _, data in listener.received()] == list(range(50))
            settled(owner_node, follower_node)
            assert journal_events(owner_node) == journal_events(follower_node)
        finally:
            listener.close()
    finally:
        redis_server.stop()


def test_the_owner_refuses_new_events_when_its_stream_backlog_is_full(servers, tmp_path):
    redis_server = RedisServer(tmp_path / "redis")  # never started
    owner_node = servers.serve(extra=["--redis", redis_server.url, "--redis-backlog", "5"])
    for i in range(5):
        post_emit(owner_node.url, "tick", json.dumps({"i": i}))
    response = requests.post(owner_node.url + "/_tablecast/emit", json={"event": "tick", "payload": 5},
                             timeout=HTTP_TIMEOUT)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "5 events wait to be published to stream socket.io" in response.json()["error"]
    assert health(owner_node.url)["lastSeq"] == 5


def test_a_follower_drops_an_entry_published_twice(servers, redis_server):
    follower_node = follower(servers, redis_server)
    # Ready once it knows where the stream stood (its last id), not merely connected.
    wait_until(lambda: health(follower_node.url)["redis"]["lastID"] is not None, timeout=10)
    listener = EventListener(follower_node.url + "/events")
    try:
        client = redis_server.client()
        entry = {"uid": "feedfacefeedface", "nsp": "/events", "type": "3", "tablecast-emitted-ns": "1"}
        for seq, name in [(1, "first"), (2, "second"), (2, "second"), (3, "third")]:
            client.xadd("socket.io", {**entry, "tablecast-seq": str(seq),
                                      "data": '{"packet":{"type":2,"data":["%s",%d]},"opts":{}}' % (name, seq)})
        wait_until(lambda: len(listener.received()) >= 3, timeout=10)
        time.sleep(0.5)
        assert listener.received() == [("first", 1), ("second", 2), ("third", 3)]
    finally:
        listener.close()


@pytest.mark.parametrize("command, args, message", [
    ("serve", ["--follow"], "--follow needs --redis"),
    ("serve", ["--redis", "redis://h", "--follow", "--rate", "10/s"], "a follower runs no simulation of its own"),
    ("serve", ["--redis", "redis://h", "--follow", "--redis-emit", "redis://h"], "a follower emits nothing"),
    ("serve", ["--redis", "tcp://h"], "--redis: 'tcp://h' is not a Redis URL"),
    ("serve", ["--redis", "redis://h", "--redis-maxlen", "0"], "--redis-maxlen must be at least 1"),
    ("serve", ["--redis", "redis://h", "--stream-name", ""], "--stream-name must be a non-empty name"),
])
def test_bad_cluster_options_name_the_option(command, args, message, tmp_path):
    import subprocess
    from tablecast_testkit import tablecast_binary
    result = subprocess.run([str(tablecast_binary()), command, "--port", "0", "--journal", str(tmp_path / "j.sqlite"),
                             *args], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_faults_reach_the_followers_as_what_they_were(servers, redis_server):
    owner_node = owner(servers, redis_server, "--rate", "100/s", idle=False)
    follower_node = follower(servers, redis_server)
    listener = EventListener(follower_node.url + "/events")
    try:
        wait_until(lambda: health(owner_node.url)["lastSeq"] >= 50, timeout=20)
        for body in [{"fault": "duplicate"}, {"fault": "replay", "count": 3},
                     {"fault": "unknown-event", "event": "order:archived", "payload": {"id": 1}},
                     {"fault": "extra-fields", "count": 2, "fields": {"loyalty": 12}}]:
            response = requests.post(owner_node.url + "/_tablecast/faults", json=body, timeout=HTTP_TIMEOUT)
            assert response.status_code == 202, response.text
        wait_until(lambda: health(owner_node.url)["lastSeq"] >= 120, timeout=20)
        requests.post(owner_node.url + "/_tablecast/simulation", json={"paused": True}, timeout=HTTP_TIMEOUT)
        settled(owner_node, follower_node)
        # The same journal, fault marks included, and the same restaurant (a duplicate is not applied twice).
        def rows(node):
            _, events = read_journal(node.journal_path)
            import sqlite3
            with sqlite3.connect(node.journal_path) as db:
                marks = [r[0] for r in db.execute("SELECT fault FROM events ORDER BY seq")]
            return [(e["name"], bytes(e["payload"]), mark) for e, mark in zip(events, marks)]
        owner_rows, follower_rows = rows(owner_node), rows(follower_node)
        assert owner_rows == follower_rows
        assert sum(1 for _, _, mark in follower_rows if mark) >= 6
        for path in ["/tables", "/orders", "/messages"]:
            assert (requests.get(owner_node.url + path, timeout=HTTP_TIMEOUT).json()
                    == requests.get(follower_node.url + path, timeout=HTTP_TIMEOUT).json()), path
        assert ("order:archived", {"id": 1}) in listener.received()
    finally:
        listener.close()


def test_a_follower_that_starts_late_reads_the_owners_run_from_its_first_event(servers, redis_server):
    owner_node = owner(servers, redis_server, "--rate", "300/s", idle=False)
    wait_until(lambda: health(owner_node.url)["lastSeq"] >= 300, timeout=20)
    late = follower(servers, redis_server, label="late follower")
    wait_until(lambda: health(late.url)["redis"]["read"] >= 300, timeout=20)
    requests.post(owner_node.url + "/_tablecast/simulation", json={"paused": True}, timeout=HTTP_TIMEOUT)
    settled(owner_node, late)
    assert journal_events(owner_node) == journal_events(late)
    for path in ["/tables", "/orders", "/messages", "/menu"]:
        assert (requests.get(owner_node.url + path, timeout=HTTP_TIMEOUT).json()
                == requests.get(late.url + path, timeout=HTTP_TIMEOUT).json()), path


def test_a_follower_whose_owner_run_was_trimmed_starts_from_now_and_says_so(servers, redis_server):
    owner_node = owner(servers, redis_server, "--redis-maxlen", "50", "--rate", "500/s", idle=False)
    wait_until(lambda: health(owner_node.url)["lastSeq"] >= 400, timeout=20)
    late = follower(servers, redis_server, label="late follower")
    wait_until(lambda: health(late.url)["redis"]["read"] >= 20, timeout=20)
    assert "the stream no longer holds the owner's first event" in late.stderr_text()


def test_entries_trimmed_before_a_follower_read_them_are_a_journaled_gap(servers, redis_server):
    follower_node = follower(servers, redis_server)
    wait_until(lambda: health(follower_node.url)["redis"]["lastID"] is not None, timeout=10)
    time.sleep(0.3)
    client = redis_server.client()
    # Five broadcasts and a trim to two, atomically: the follower never sees the first three.
    transaction = client.pipeline(transaction=True)
    for i in range(5):
        transaction.xadd("socket.io", {"uid": "0123456789abcdef", "nsp": "/events", "type": "3",
                                       "data": json.dumps({"packet": {"type": 2, "data": ["batch", i]}})})
    transaction.xtrim("socket.io", maxlen=2, approximate=False)
    transaction.execute()
    wait_until(lambda: health(follower_node.url)["redis"]["trimmed"] == 3, timeout=10,
               message="the follower did not count the trimmed entries")
    assert journal_events(follower_node) == [("batch", b"3"), ("batch", b"4")]
    import sqlite3
    with sqlite3.connect(follower_node.journal_path) as db:
        faults = db.execute("SELECT kind, spec FROM faults").fetchall()
    assert faults == [("gap", json.dumps({"reason": "3 entries of stream socket.io were trimmed (MAXLEN) before "
                                                    "this node read them"}, separators=(",", ":")))]
    assert "tablecast_redis_stream_trimmed_total 3" in requests.get(follower_node.url + "/metrics",
                                                                     timeout=HTTP_TIMEOUT).text


def test_a_replay_can_own_the_cluster(servers, redis_server):
    source = servers.serve(idle=False, extra=["--rate", "500/s"], label="source")
    wait_until(lambda: health(source.url)["lastSeq"] >= 150, timeout=30)
    source.stop()
    follower_node = follower(servers, redis_server)
    replay = servers.replay(source.journal_path, extra=["--speed", "max", "--redis", redis_server.url])
    wait_until(lambda: health(replay.url)["redis"]["role"] == "owner", timeout=10)
    _, recorded = read_journal(source.journal_path)
    wait_until(lambda: health(follower_node.url)["redis"]["read"] >= len(recorded), timeout=30,
               message="the follower did not get the whole replay")
    # The follower journals what the replaying owner sent: the source run's events, byte for byte.
    assert journal_events(follower_node) == [(e["name"], bytes(e["payload"])) for e in recorded]
