"""tablecast in a Socket.IO cluster's Redis, checked with clients and codecs nobody here wrote (redis-py, msgpack from
PyPI) against a real `redis-server`:

- `serve --redis-emit` and `replay --redis-emit` publish every event exactly as @socket.io/redis-emitter does, and
  keep them, in order, while Redis is away;
- `record --redis` journals a classic-adapter cluster's broadcasts (the reference's notepack vectors) and
  `record --redis --redis-stream` a Streams-adapter cluster's entries, with the bytes a Node server sends its clients.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import msgpack
import pytest
import requests

from redis_kit import RedisServer, Subscriber, emitter_message, js_value
from tablecast_testkit import (EventListener, HTTP_TIMEOUT, event_corpus, health, post_emit, read_journal,
                               tablecast_binary, wait_until)

# The reference's byte vectors (../shared/reference/socket.io-redis-adapters.md §5), from notepack.io 3.0.1.
VECTOR_A = bytes.fromhex(
    "93a7656d697474657283a474797065 02a46461746192af7461626c653a616374697661746564"
    "81ab7461626c654e756d62657207a36e7370a72f6576656e747383a5726f6f6d7390a5666c61677380a6657863657074 90"
    .replace(" ", ""))
VECTOR_B = bytes.fromhex("""
93a6616263313233 83a474797065 02a464617461 92ad6f726465723a63726561746564 86a26964aa6f72645f396632633161
ab7461626c654e756d62657207a56974656d7392 84a3736b75a64341502d3031a46e616d65a9636166c3a920e29895a3717479 02
a57072696365cd047e 84a3736b75a75445412f47524ea46e616d65a9677265656e20746561a371747901a5707269636
5cb4029000000000000 a46e6f7465c0a470616964c3ab637265617465644174 4d73cf0000010000000000
a36e7370a72f6576656e7473 83a5726f6f6d7390a6657863657074 90a5666c61677380""".replace(" ", "").replace("\n", ""))
VECTOR_C = bytes.fromhex("""
93a6616263313233 83a474797065 02a464617461 93ab726563656970743a706466 81a76f726465724964aa6f72645f396632633161
c404deadbeef a36e7370a72f6576656e7473 83a5726f6f6d7390a6657863657074 90a5666c61677380""".replace(" ", "").replace("\n", ""))
VECTOR_D = bytes.fromhex("""
93a6616263313233 83a474797065 02a464617461 92af7461626c653a616374697661746564 81ab7461626c654e756d62657207
a36e7370a72f6576656e7473 83a5726f6f6d7391a77461626c652d37a6657863657074 90a5666c61677380""".replace(" ", "").replace("\n", ""))
ORDER_CREATED = ('{"id":"ord_9f2c1a","tableNumber":7,"items":[{"sku":"CAP-01","name":"café ☕","qty":2,"price":1150},'
                 '{"sku":"TEA/GRN","name":"green tea","qty":1,"price":12.5}],"note":null,"paid":true,'
                 '"createdAtMs":1099511627776}')


def test_the_vectors_are_what_msgpack_python_decodes():
    # The constants above are typed from the reference; check them with an independent decoder first.
    assert msgpack.unpackb(VECTOR_A) == ["emitter", {"type": 2, "data": ["table:activated", {"tableNumber": 7}],
                                                     "nsp": "/events"}, {"rooms": [], "flags": {}, "except": []}]
    assert msgpack.unpackb(VECTOR_B)[1]["data"][1] == json.loads(ORDER_CREATED)
    assert msgpack.unpackb(VECTOR_C)[1]["data"][2] == b"\xde\xad\xbe\xef"
    assert msgpack.unpackb(VECTOR_D)[2]["rooms"] == ["table-7"]
    assert emitter_message("table:activated", {"tableNumber": 7}) == VECTOR_A


def decoded(messages):
    return [msgpack.unpackb(data, raw=False) for _, data in messages]


# --------------------------------------------------------------------------
# --redis-emit
# --------------------------------------------------------------------------


def test_serve_redis_emit_publishes_each_event_as_the_official_emitter(servers, redis_server):
    subscriber = Subscriber(redis_server)
    server = servers.serve(extra=["--redis-emit", redis_server.url])
    listener = EventListener(server.url + "/events")
    try:
        corpus = event_corpus(48)
        for i, (name, text) in enumerate(corpus):
            post_emit(server.url, name, text, variant=i)
        wait_until(lambda: len(subscriber.received()) >= len(corpus) and len(listener.received()) >= len(corpus),
                   timeout=20, message="not every event reached Redis and the client")
        time.sleep(0.3)
        messages = subscriber.received()
        assert len(messages) == len(corpus)
        assert {channel for channel, _ in messages} == {b"socket.io#/events#"}
        for (name, text), (_, data) in zip(corpus, messages):
            # Byte for byte what the emitter writes for JSON.parse(text), with msgpack-python as the encoder.
            assert data == emitter_message(name, json.loads(text)), (name, text)
        # The Redis cluster gets what this server's own clients got, in the same order.
        got = [(name, js_value(data)) for name, data in listener.received()]
        assert got == [(m[1]["data"][0], m[1]["data"][1]) for m in decoded(messages)]
        state = health(server.url)["redisEmit"]
        assert state["connected"] is True and state["published"] == len(corpus)
        assert state["backlog"] == 0 and state["dropped"] == 0 and state["channel"] == "socket.io#/events#"
        metrics = requests.get(server.url + "/metrics", timeout=HTTP_TIMEOUT).text
        assert f"tablecast_redis_emit_published_total {len(corpus)}" in metrics
        assert 'tablecast_redis_connected{role="emit"} 1' in metrics
    finally:
        listener.close()
        subscriber.close()


def test_simulated_traffic_reaches_redis_in_journal_order(servers, redis_server):
    subscriber = Subscriber(redis_server)
    server = servers.serve(idle=False, extra=["--redis-emit", redis_server.url, "--rate", "200/s"])
    try:
        wait_until(lambda: len(subscriber.received()) >= 300, timeout=30, message="fewer than 300 events in Redis")
    finally:
        server.stop()
        subscriber.close()
    _, events = read_journal(server.journal_path)
    messages = decoded(subscriber.received())
    # Graceful shutdown published everything the journal holds.
    assert len(messages) == len(events)
    for event, message in zip(events, messages):
        assert message[1]["data"][0] == event["name"]
        assert message[1]["data"][1] == js_value(json.loads(event["payload"]))


def test_replay_redis_emit_sends_a_journal_into_the_cluster(servers, redis_server, tmp_path):
    source = servers.serve(idle=False, extra=["--rate", "500/s"])
    wait_until(lambda: health(source.url)["lastSeq"] >= 200, timeout=30)
    source.stop()
    _, recorded = read_journal(source.journal_path)
    subscriber = Subscriber(redis_server)
    try:
        replay = servers.replay(source.journal_path, extra=["--speed", "max", "--redis-emit", redis_server.url])
        wait_until(lambda: len(subscriber.received()) >= len(recorded), timeout=30,
                   message="the replay did not publish every event")
        replay.stop()
        messages = subscriber.received()
    finally:
        subscriber.close()
    assert [data for _, data in messages] == [
        emitter_message(event["name"], json.loads(event["payload"])) for event in recorded]


def emit_numbered(url, count, stop):
    """Emits `{"i": k}` for k = 0, 1, … at about 400/s until `count` or `stop`; returns how many went out."""
    session = requests.Session()
    sent = 0
    while sent < count and not stop.is_set():
        post_emit(url, "tick", json.dumps({"i": sent}), session=session)
        sent += 1
        time.sleep(0.0025)
    return sent


def test_a_killed_connection_loses_nothing_and_keeps_the_order(servers, redis_server):
    subscriber = Subscriber(redis_server)
    server = servers.serve(extra=["--redis-emit", redis_server.url])
    stop = threading.Event()
    result = {}
    emitter = threading.Thread(target=lambda: result.update(sent=emit_numbered(server.url, 1200, stop)))
    emitter.start()
    try:
        for _ in range(3):
            time.sleep(0.6)
            redis_server.kill_client("tablecast-emit")
        emitter.join(60)
        wait_until(lambda: health(server.url)["redisEmit"]["backlog"] == 0, timeout=20)
        time.sleep(0.3)
        numbers = [m[1]["data"][1]["i"] for m in decoded(subscriber.received())]
    finally:
        stop.set()
        subscriber.close()
    state = health(server.url)["redisEmit"]
    assert state["reconnects"] >= 3 and state["dropped"] == 0
    # At least once, in order: a batch cut mid-way is published again, so a number may repeat, never go missing.
    assert list(dict.fromkeys(numbers)) == list(range(result["sent"]))


def test_redis_down_at_start_and_restarted_loses_nothing(servers, tmp_path):
    redis_server = RedisServer(tmp_path / "redis")
    # Not started: the server comes up anyway, queues, and says so in health.
    server = servers.serve(extra=["--redis-emit", redis_server.url])
    for i in range(50):
        post_emit(server.url, "tick", json.dumps({"i": i}))
    state = health(server.url)["redisEmit"]
    assert state["connected"] is False and state["backlog"] == 50 and "cannot connect" in state["lastError"]
    try:
        redis_server.start()
        wait_until(lambda: health(server.url)["redisEmit"]["published"] == 50, timeout=20,
                   message="the queued events were not published once Redis came up")
        assert health(server.url)["redisEmit"]["backlog"] == 0
        # Restart Redis: events emitted while it is down wait, then go out.
        redis_server.stop()
        for i in range(50, 80):
            post_emit(server.url, "tick", json.dumps({"i": i}))
        wait_until(lambda: health(server.url)["redisEmit"]["connected"] is False, timeout=10)
        redis_server.start()
        wait_until(lambda: health(server.url)["redisEmit"]["published"] >= 80, timeout=20)
        assert health(server.url)["redisEmit"]["dropped"] == 0
    finally:
        server.stop()
        redis_server.stop()
    assert "Redis connection lost; events wait in order until it is back" in server.stderr_text() \
        or "cannot reach Redis; retrying with backoff" in server.stderr_text()


def test_a_full_backlog_drops_and_counts(servers, tmp_path):
    redis_server = RedisServer(tmp_path / "redis")  # never started
    server = servers.serve(extra=["--redis-emit", redis_server.url, "--redis-emit-backlog", "10"])
    for i in range(25):
        post_emit(server.url, "tick", json.dumps({"i": i}))
    state = health(server.url)["redisEmit"]
    assert state["backlog"] == 10 and state["dropped"] == 15
    metrics = requests.get(server.url + "/metrics", timeout=HTTP_TIMEOUT).text
    assert "tablecast_redis_emit_dropped_total 15" in metrics
    assert 'tablecast_redis_connected{role="emit"} 0' in metrics
    server.stop()
    text = server.stderr_text()
    assert text.count("Redis emit backlog full") == 1, text
    assert "Redis publishing stopped with events never published" in text


@pytest.mark.parametrize("args, message", [
    (["--redis-emit", "http://127.0.0.1:6379"], "--redis-emit: 'http://127.0.0.1:6379' is not a Redis URL"),
    (["--redis-emit", "redis://127.0.0.1:99999"], "--redis-emit: 'redis://127.0.0.1:99999': the port must be"),
    (["--redis-emit", "redis://h", "--redis-key", "a#b"], "--redis-key must be a non-empty prefix"),
    (["--redis-emit", "redis://h", "--redis-emit-backlog", "0"], "--redis-emit-backlog must be at least 1"),
])
def test_bad_redis_options_name_the_option(args, message, tmp_path):
    result = subprocess.run([str(tablecast_binary()), "serve", "--port", "0", "--journal", str(tmp_path / "j.sqlite"),
                             *args], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert not (tmp_path / "j.sqlite").exists()


# --------------------------------------------------------------------------
# record --redis
# --------------------------------------------------------------------------


def start_record(out, redis_url, *extra):
    return subprocess.Popen([str(tablecast_binary()), "record", "--redis", redis_url, "--out", str(out), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def recorded(path):
    try:
        with sqlite3.connect(path) as db:
            events = db.execute("SELECT seq, namespace, name, payload FROM events ORDER BY seq").fetchall()
            faults = db.execute("SELECT after_seq, kind, spec FROM faults ORDER BY id").fetchall()
            run = db.execute("SELECT source, meta_json FROM runs").fetchall()
        return events, faults, run
    except sqlite3.OperationalError:
        return [], [], []


def stop_record(recorder):
    recorder.send_signal(signal.SIGINT)
    try:
        stdout, stderr = recorder.communicate(timeout=30)
    finally:
        if recorder.poll() is None:
            recorder.kill()
    assert recorder.returncode == 0, stderr
    return stdout, stderr


def test_record_redis_journals_a_classic_cluster_as_its_clients_see_it(redis_server, tmp_path):
    out = tmp_path / "cluster.sqlite"
    recorder = start_record(out, redis_server.url)
    try:
        redis_server.wait_for_pattern_subscriber()
        publisher = redis_server.client()
        publisher.publish("socket.io#/events#", VECTOR_A)
        publisher.publish("socket.io#/events#", VECTOR_B)
        publisher.publish("socket.io#/events#", VECTOR_C)
        publisher.publish("socket.io#/events#table-7#", VECTOR_D)
        # Another namespace on a channel the pattern matches only by prefix is not this namespace's.
        publisher.publish("socket.io#/events#", msgpack.packb(
            ["x", {"type": 2, "data": ["other", 1], "nsp": "/admin"}, {"rooms": [], "except": [], "flags": {}}]))
        publisher.publish("socket.io#/events#", b"\xc1 not msgpack")
        publisher.publish("socket.io#/events#", msgpack.packb(
            ["x", {"type": 2, "data": ["after garbage", {"ok": True}], "nsp": "/events"}, {}]))
        wait_until(lambda: len(recorded(out)[0]) >= 5, timeout=10, message="the recorder did not journal 5 events")
    finally:
        stdout, stderr = stop_record(recorder)
    events, faults, run = recorded(out)
    assert [(e[0], e[1], e[2], bytes(e[3]).decode()) for e in events] == [
        (1, "/events", "table:activated", '{"tableNumber":7}'),
        (2, "/events", "order:created", ORDER_CREATED),
        (3, "/events", "receipt:pdf", '[{"orderId":"ord_9f2c1a"},{"_placeholder":true,"num":0}]'),
        (4, "/events", "table:activated", '{"tableNumber":7}'),
        (5, "/events", "after garbage", '{"ok":true}'),
    ]
    assert [(f[0], f[1]) for f in faults] == [(4, "undecodable")]
    assert "0xc1" in json.loads(faults[0][2])["reason"]
    assert run[0][0] == "record"
    assert json.loads(run[0][1]) == {"recordedFrom": redis_server.url, "format": "pubsub",
                                     "pattern": "socket.io#/events#*", "namespace": "/events"}
    assert "5 events" in stdout and "1 broadcasts were addressed to rooms" in stdout
    assert "1 binary attachments were journaled as their placeholders" in stdout
    assert "1 broadcasts to other namespaces were skipped" in stdout
    assert "1 messages could not be decoded" in stdout


def test_record_redis_journals_the_gap_of_a_lost_connection(redis_server, tmp_path):
    out = tmp_path / "gap.sqlite"
    recorder = start_record(out, redis_server.url)
    try:
        redis_server.wait_for_pattern_subscriber()
        publisher = redis_server.client()
        publisher.publish("socket.io#/events#", emitter_message("before", {"n": 1}))
        wait_until(lambda: len(recorded(out)[0]) == 1, timeout=10)
        redis_server.kill_client("tablecast-record")
        # The recorder comes back by itself (a new connection with its name).
        wait_until(lambda: any(c.get("name") == "tablecast-record" for c in redis_server.client().client_list()),
                   timeout=10)
        wait_until(lambda: redis_server.client().execute_command("PUBSUB", "NUMPAT") == 1, timeout=10)
        publisher.publish("socket.io#/events#", emitter_message("after", {"n": 2}))
        wait_until(lambda: len(recorded(out)[0]) == 2, timeout=10)
    finally:
        stdout, _ = stop_record(recorder)
    events, faults, _ = recorded(out)
    assert [e[2] for e in events] == ["before", "after"]
    assert [(f[0], f[1]) for f in faults] == [(1, "gap")]
    assert "broke" in json.loads(faults[0][2])["reason"]
    assert "1 gaps" in stdout


def test_the_recorder_is_invisible_to_the_cluster(redis_server, tmp_path):
    # A pattern subscription is not counted by NUMSUB, so no Node server waits for the recorder's answers.
    recorder = start_record(tmp_path / "r.sqlite", redis_server.url)
    try:
        redis_server.wait_for_pattern_subscriber()
        client = redis_server.client()
        assert client.execute_command("PUBSUB", "NUMSUB", "socket.io-request#/events#") == [b"socket.io-request#/events#", 0]
        assert client.execute_command("PUBSUB", "NUMPAT") == 1
    finally:
        stop_record(recorder)


def stream_entry(client, data, nsp="/events", uid="a1b2c3d4e5f60718", kind="3"):
    return client.xadd("socket.io", {"uid": uid, "nsp": nsp, "type": kind, "data": data},
                       maxlen=10000, approximate=True).decode()


def test_record_redis_stream_resumes_after_a_lost_connection_and_misses_nothing(redis_server, tmp_path):
    out = tmp_path / "stream.sqlite"
    client = redis_server.client()
    # Before the recorder starts: `--stream-from 0` reads what the stream still holds.
    stream_entry(client, '{"packet":{"type":2,"data":["table:activated",{"tableNumber":7}]},'
                         '"opts":{"rooms":[],"except":[],"flags":{}}}')
    recorder = start_record(out, redis_server.url, "--redis-stream", "--stream-from", "0")
    try:
        wait_until(lambda: len(recorded(out)[0]) == 1, timeout=10)
        # The binary form (base64 of @msgpack/msgpack), an emitter's entry with the packet's nsp, other messages.
        stream_entry(client, "gqZwYWNrZXSCpHR5cGUCpGRhdGGSq3JlY2VpcHQ6cGRmxATerb7vpG9wdHODpXJvb21zkKZleGNlcHSQpWZsYWdzgA==")
        stream_entry(client, '{"packet":{"type":2,"data":["order:created",' + ORDER_CREATED + '],"nsp":"/events"},'
                             '"opts":{"rooms":[],"except":[],"flags":{}}}', uid="emitter")
        stream_entry(client, '{"opts":{"rooms":[],"except":[],"flags":{}},"rooms":["table-7"]}', kind="4")
        stream_entry(client, '{"packet":{"type":2,"data":["other",1]},"opts":{}}', nsp="/admin")
        wait_until(lambda: len(recorded(out)[0]) == 3, timeout=10)
        # While its connection is down, entries keep coming: the recorder reads them after it reconnects.
        for round_ in range(3):
            redis_server.kill_client("tablecast-record")
            for i in range(20):
                stream_entry(client, json.dumps({"packet": {"type": 2, "data": ["tick", {"round": round_, "i": i}]},
                                                 "opts": {"rooms": [], "except": [], "flags": {}}},
                                                separators=(",", ":")))
            time.sleep(0.2)
        wait_until(lambda: len(recorded(out)[0]) == 63, timeout=20, message="the recorder missed entries")
    finally:
        stdout, _ = stop_record(recorder)
    events, faults, run = recorded(out)
    payloads = [(e[2], bytes(e[3]).decode()) for e in events]
    assert payloads[:3] == [("table:activated", '{"tableNumber":7}'),
                            ("receipt:pdf", '{"_placeholder":true,"num":0}'),
                            ("order:created", ORDER_CREATED)]
    assert payloads[3:] == [("tick", json.dumps({"round": r, "i": i}, separators=(",", ":")))
                            for r in range(3) for i in range(20)]
    assert faults == []  # resumed from the last entry id: no gap
    assert json.loads(run[0][1])["format"] == "streams"
    assert "63 events" in stdout and "0 gaps" in stdout


def test_record_redis_stream_journals_entries_trimmed_before_it_read_them(redis_server, tmp_path):
    out = tmp_path / "trimmed.sqlite"
    client = redis_server.client()
    stream_entry(client, '{"packet":{"type":2,"data":["first",1]},"opts":{}}')
    recorder = start_record(out, redis_server.url, "--redis-stream", "--stream-from", "0")
    try:
        wait_until(lambda: len(recorded(out)[0]) == 1, timeout=10)
        # Five entries and a trim to two, atomically: the recorder never sees the first three.
        transaction = client.pipeline(transaction=True)
        for i in range(5):
            transaction.xadd("socket.io", {"uid": "u", "nsp": "/events", "type": "3",
                                           "data": json.dumps({"packet": {"type": 2, "data": ["batch", i]}})})
        transaction.xtrim("socket.io", maxlen=2, approximate=False)
        transaction.execute()
        stream_entry(client, '{"packet":{"type":2,"data":["last",1]},"opts":{}}')
        wait_until(lambda: recorded(out)[0] and recorded(out)[0][-1][2] == "last", timeout=15)
    finally:
        stdout, _ = stop_record(recorder)
    events, faults, _ = recorded(out)
    assert [(e[2], bytes(e[3])) for e in events] == [("first", b"1"), ("batch", b"3"), ("batch", b"4"), ("last", b"1")]
    # Noticed when the recorder next caught up with the stream: after "first", at the latest after the batch.
    assert [f[1] for f in faults] == ["gap"] and 1 <= faults[0][0] <= 3
    assert json.loads(faults[0][2])["reason"] == \
        "3 entries of stream socket.io were trimmed (MAXLEN) before the recorder read them"


def test_record_redis_that_is_not_there_touches_no_journal(tmp_path):
    out = tmp_path / "none.sqlite"
    result = subprocess.run([str(tablecast_binary()), "record", "--redis", f"redis://127.0.0.1:{free_port_()}",
                             "--out", str(out)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "cannot record redis://127.0.0.1:" in result.stderr and "cannot connect" in result.stderr
    assert not out.exists()


def free_port_():
    from redis_kit import free_port
    return free_port()


@pytest.mark.parametrize("args, message", [
    (["http://127.0.0.1:1/events", "--redis", "redis://h"], "give a URL or --redis, not both"),
    (["--redis", "redis://h", "--namespace", "events"], "--namespace must start with /"),
    (["--redis", "redis://h", "--redis-stream", "--stream-from", "latest"], "--stream-from must be $, 0 or an entry id"),
    (["--redis", "redis://h", "--auth", "{}"], "--auth and --transport are for a Socket.IO URL"),
    (["http://127.0.0.1:1/events", "--redis-stream"], "--redis-stream needs --redis"),
    ([], "give the URL to record"),
])
def test_bad_record_redis_options_name_the_option(args, message, tmp_path):
    result = subprocess.run([str(tablecast_binary()), "record", *args, "--out", str(tmp_path / "x.sqlite")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_serve_to_redis_to_record_keeps_every_byte(servers, redis_server, tmp_path):
    """tablecast emits into the cluster, tablecast records the cluster: the two journals hold the same bytes."""
    out = tmp_path / "via-redis.sqlite"
    recorder = start_record(out, redis_server.url)
    try:
        redis_server.wait_for_pattern_subscriber()
        server = servers.serve(idle=False, extra=["--redis-emit", redis_server.url, "--rate", "300/s"])
        wait_until(lambda: health(server.url)["lastSeq"] >= 400, timeout=30)
        server.stop()
        _, served = read_journal(server.journal_path)
        wait_until(lambda: len(recorded(out)[0]) == len(served), timeout=15)
    finally:
        stop_record(recorder)
    events, _, _ = recorded(out)
    assert [(e[2], bytes(e[3])) for e in events] == [(e["name"], bytes(e["payload"])) for e in served]
