"""Faults on demand, seen by python-socketio clients: duplicates, replays, unknown events, extra fields, forced
disconnects and delivery holds, from the control API and from the `chaos` scenario. Each is journaled as what it was."""

import json
import sqlite3
import subprocess
import time

import pytest
import requests
import socketio

from tablecast_testkit import HTTP_TIMEOUT, EventListener, tablecast_binary, wait_for_clients, wait_until

TRANSPORTS = {"websocket": ["websocket"], "polling": ["polling"]}


def Listener(url, transports=("websocket",)):
    return EventListener(url, transports)


def fault(server, body, status=202):
    """Posts a fault as compact JSON: the payloads and fields it carries are sent as these bytes."""
    response = requests.post(server.url + "/_tablecast/faults", data=json.dumps(body, separators=(",", ":")),
                             headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT)
    assert response.status_code == status, f"{body} answered {response.status_code} {response.text}"
    return response.json()


def rows(journal):
    with sqlite3.connect(journal) as db:
        events = db.execute("SELECT seq, name, payload, fault FROM events ORDER BY seq").fetchall()
        faults = db.execute("SELECT after_seq, kind, spec FROM faults ORDER BY id").fetchall()
    return events, faults


def verify(journal):
    result = subprocess.run([str(tablecast_binary()), "journal", "verify", str(journal)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
def test_duplicates_replays_and_unknown_events_reach_a_client_as_journaled(servers, transport):
    server = servers.serve()
    listener = Listener(server.url, TRANSPORTS[transport])
    try:
        wait_for_clients(server.url, 1)
        # Nothing to duplicate yet: refused, nothing sent.
        assert "nothing to duplicate" in fault(server, {"fault": "duplicate"}, status=409)["error"]
        assert requests.post(server.url + "/tables/3/activate", timeout=HTTP_TIMEOUT).status_code == 200
        order = requests.post(server.url + "/orders", json={"tableNumber": 3, "items": [{"menuItemId": 1, "quantity": 2}]},
                              timeout=HTTP_TIMEOUT).json()
        assert fault(server, {"fault": "duplicate"}) == {"fault": "duplicate", "seqs": [3]}
        assert fault(server, {"fault": "replay", "count": 2}) == {"fault": "replay", "seqs": [4, 5]}
        assert fault(server, {"fault": "duplicate", "seq": 1}) == {"fault": "duplicate", "seqs": [6]}
        assert fault(server, {"fault": "unknown-event", "event": "order:archived", "payload": {"id": 1}}) == {
            "fault": "unknown-event", "seqs": [7]}
        wait_until(lambda: len(listener.received()) >= 7, timeout=20, message=lambda: f"{listener.received()}")
        table = {"tableNumber": 3}
        assert listener.received() == [
            ("table:activated", table), ("order:created", order), ("order:created", order),
            ("table:activated", table), ("order:created", order), ("table:activated", table),
            ("order:archived", {"id": 1}),
        ]
        # The REST state saw two transitions only.
        assert requests.get(server.url + "/orders", timeout=HTTP_TIMEOUT).json() == [order]
    finally:
        listener.close()
    status = requests.get(server.url + "/_tablecast/faults", timeout=HTTP_TIMEOUT).json()
    assert status["injected"]["duplicate"] == 2 and status["injected"]["replay"] == 1
    server.stop()
    events, faults = rows(server.journal_path)
    assert [(seq, json.loads(mark) if mark else None) for seq, _, _, mark in events] == [
        (1, None), (2, None), (3, {"kind": "duplicate", "of": 2}), (4, {"kind": "replay", "of": 1}),
        (5, {"kind": "replay", "of": 2}), (6, {"kind": "duplicate", "of": 1}), (7, {"kind": "unknown-event"}),
    ]
    # A copy is the original's bytes.
    payloads = {seq: payload for seq, _, payload, _ in events}
    assert payloads[3] == payloads[2] == payloads[5] and payloads[4] == payloads[1] == payloads[6]
    assert payloads[7] == b'{"id":1}'  # exactly as posted
    assert faults == []
    assert "7 events (5 injected by faults), 0 errors, 0 warnings" in verify(server.journal_path)


def test_extra_fields_change_the_next_transitions_and_the_rest_answer_agrees(servers):
    server = servers.serve()
    listener = Listener(server.url)
    try:
        wait_for_clients(server.url, 1)
        armed = fault(server, {"fault": "extra-fields", "count": 2, "fields": {"loyalty": {"points": 12}}})
        assert armed == {"fault": "extra-fields", "seqs": [], "extraFieldsPending": 2}
        activated = requests.post(server.url + "/tables/5/activate", timeout=HTTP_TIMEOUT)
        created = requests.post(server.url + "/orders", json={"tableNumber": 5, "items": [{"menuItemId": 2, "quantity": 1}]},
                                timeout=HTTP_TIMEOUT)
        served = requests.post(server.url + "/orders/1/serve", timeout=HTTP_TIMEOUT)
        wait_until(lambda: len(listener.received()) >= 3, timeout=20)
        received = listener.received()
        assert received[0] == ("table:activated", {"tableNumber": 5, "loyalty": {"points": 12}})
        assert received[1][1]["loyalty"] == {"points": 12}
        # The REST answer is exactly what the clients got; the state itself has no such field.
        assert created.content.endswith(b',"loyalty":{"points":12}}')  # the fields' bytes as posted
        assert received[1] == ("order:created", created.json())
        assert "loyalty" not in received[2][1] and received[2] == ("order:served", served.json())
        assert "loyalty" not in requests.get(server.url + "/orders/1", timeout=HTTP_TIMEOUT).json()
        assert activated.status_code == 200
    finally:
        listener.close()
    server.stop()
    events, _ = rows(server.journal_path)
    assert [json.loads(mark) if mark else None for _, _, _, mark in events] == [
        {"kind": "extra-fields"}, {"kind": "extra-fields"}, None]
    # Extra fields are expected where the fault put them: no warning.
    assert "3 events (2 injected by faults), 0 errors, 0 warnings" in verify(server.journal_path)


def test_a_transport_disconnect_makes_python_clients_reconnect_by_themselves(servers):
    server = servers.serve()
    listeners = [Listener(server.url) for _ in range(4)]
    try:
        wait_for_clients(server.url, 4)
        assert fault(server, {"fault": "disconnect", "clients": 2}) == {"fault": "disconnect", "seqs": [],
                                                                         "disconnected": 2}
        wait_until(lambda: sorted(l.connects for l in listeners) == [1, 1, 2, 2], timeout=20,
                   message=lambda: f"connects: {[l.connects for l in listeners]}")
        wait_for_clients(server.url, 4)
        requests.post(server.url + "/tables/1/activate", timeout=HTTP_TIMEOUT)
        wait_until(lambda: all(l.received() == [("table:activated", {"tableNumber": 1})] for l in listeners),
                   timeout=20, message=lambda: f"{[l.received() for l in listeners]}")
        assert fault(server, {"fault": "disconnect", "clients": "all"})["disconnected"] == 4
        wait_until(lambda: sorted(l.connects for l in listeners) == [2, 2, 3, 3], timeout=20,
                   message=lambda: f"connects: {[l.connects for l in listeners]}")
    finally:
        for listener in listeners:
            listener.close()
    server.stop()
    _, faults = rows(server.journal_path)
    assert [(after, kind, json.loads(spec)) for after, kind, spec in faults] == [
        (0, "disconnect", {"clients": "2", "mode": "transport", "disconnected": 2}),
        (1, "disconnect", {"clients": "all", "mode": "transport", "disconnected": 4}),
    ]


def test_a_namespace_disconnect_is_an_io_server_disconnect_and_the_client_stays_out(servers):
    server = servers.serve()
    listener = Listener(server.url, ("polling",))
    try:
        wait_for_clients(server.url, 1)
        assert fault(server, {"fault": "disconnect", "mode": "namespace"})["disconnected"] == 1
        wait_until(lambda: listener.disconnect_reasons, timeout=20)
        assert listener.disconnect_reasons == [socketio.Client.reason.SERVER_DISCONNECT]
        time.sleep(1.0)  # python-socketio does not reconnect after a server disconnect
        assert listener.connects == 1
        wait_for_clients(server.url, 0)
    finally:
        listener.close()


def test_a_delay_holds_delivery_while_the_restaurant_moves_on(servers):
    server = servers.serve()
    listener = Listener(server.url)
    try:
        wait_for_clients(server.url, 1)
        held_at = time.monotonic()
        assert fault(server, {"fault": "delay", "ms": 1500}) == {"fault": "delay", "seqs": []}
        for number in (1, 2, 3):
            assert requests.post(f"{server.url}/tables/{number}/activate", timeout=HTTP_TIMEOUT).status_code == 200
        # The REST state moved on at once; the clients get the events when the hold ends, in order.
        assert requests.get(server.url + "/tables/3", timeout=HTTP_TIMEOUT).json()["status"] == "active"
        assert requests.get(server.url + "/_tablecast/faults", timeout=HTTP_TIMEOUT).json()["holding"] is True
        wait_until(lambda: len(listener.received()) == 3, timeout=20)
        assert listener.received() == [("table:activated", {"tableNumber": n}) for n in (1, 2, 3)]
        first_arrival = listener.events[0][0]
        assert first_arrival - held_at >= 1.4, f"delivered {first_arrival - held_at:.3f} s after the hold began"
        assert requests.get(server.url + "/_tablecast/faults", timeout=HTTP_TIMEOUT).json()["holding"] is False
    finally:
        listener.close()
    server.stop()
    _, faults = rows(server.journal_path)
    assert faults == [(0, "delay", '{"ms":1500}')]


@pytest.mark.parametrize("body, field, fragment", [
    ({"fault": "meteor"}, "fault", "must be one of"),
    ({}, "fault", "missing field"),
    ({"fault": "duplicate", "ms": 3}, "ms", "does not apply to a duplicate fault"),
    ({"fault": "replay", "count": 0}, "count", "from 1 to 1000"),
    ({"fault": "replay", "count": "5"}, "count", "must be an integer"),
    ({"fault": "delay"}, "ms", "missing field"),
    ({"fault": "delay", "ms": 600001}, "ms", "from 1 to 600000"),
    ({"fault": "disconnect", "clients": "half"}, "clients", "share such as"),
    ({"fault": "disconnect", "mode": "politely"}, "mode", "transport"),
    ({"fault": "unknown-event", "event": "order:created"}, "event", "is an event of the contract"),
    ({"fault": "unknown-event", "event": "disconnect"}, "event", "does not reserve"),
    ({"fault": "extra-fields", "fields": {}}, "fields", "at least one member"),
    ({"fault": "extra-fields", "fields": [1]}, "fields", "JSON object"),
])
def test_a_bad_fault_request_names_its_field_and_injects_nothing(servers, body, field, fragment):
    server = servers.serve()
    response = requests.post(server.url + "/_tablecast/faults", json=body, timeout=HTTP_TIMEOUT)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field and fragment in response.json()["error"], response.text
    status = requests.get(server.url + "/_tablecast/faults", timeout=HTTP_TIMEOUT).json()
    assert set(status["injected"].values()) == {0}


def test_malformed_fault_json_is_a_400(servers):
    server = servers.serve()
    response = requests.post(server.url + "/_tablecast/faults", data=b'{"fault":', timeout=HTTP_TIMEOUT)
    assert response.status_code == 400 and "JSON object" in response.json()["error"]


def test_the_chaos_scenario_injects_every_fault_and_stays_consistent(servers):
    # 1200x: at the shipped 120x something goes wrong every few seconds; here, several times a second.
    server = servers.serve(idle=False, extra=["--scenario", "chaos", "--time-scale", "1200x"])
    listener = Listener(server.url)
    try:
        def every_kind_struck():
            injected = requests.get(server.url + "/_tablecast/faults", timeout=HTTP_TIMEOUT).json()["injected"]
            return all(count > 0 for count in injected.values())

        wait_until(every_kind_struck, timeout=60, message="not every fault kind struck")
        wait_until(lambda: listener.connects >= 2, timeout=60, message="the client was never cut off and back")
        wait_until(lambda: len(listener.received()) >= 50, timeout=60)
        names = {name for name, _ in listener.received()}
        assert names & {"order:archived", "kitchen:ticketPrinted", "table:merged"}, names
    finally:
        listener.close()
    server.stop()
    events, faults = rows(server.journal_path)
    marks = {json.loads(mark)["kind"] for _, _, _, mark in events if mark}
    assert marks == {"duplicate", "replay", "unknown-event", "extra-fields"}
    assert {kind for _, kind, _ in faults} == {"disconnect", "delay"}
    output = verify(server.journal_path)
    assert " 0 errors, 0 warnings" in output, output
