"""The contract documents of `tablecast contract`, checked with tools nobody here wrote.

The JSON Schema document is read with the `jsonschema` package (Draft 2020-12, the
`date-time` format asserted): every example of the AsyncAPI document validates
against the schema of its event, broken payloads (missing key, wrong type, bad
enumeration value, extra key, …) are rejected, and every event a python-socketio
client receives from a real `tablecast serve` validates too, so that the schemas,
the examples and the wire agree.  The AsyncAPI document is checked for the
structure AsyncAPI 3.0.0 asks for: one message and one `send` operation per event,
every `$ref` resolving, component keys as the specification allows them.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import threading
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import socketio
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT7, DRAFT202012

from tablecast_testkit import post_emit, tablecast_binary, wait_for_clients, wait_until

NAMESPACE = "/events"
EVENT_COUNT = 20
ASYNCAPI_URI = "urn:tablecast:test:asyncapi"  # the AsyncAPI document has an `id`, not a `$id`
COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")  # AsyncAPI 3.0.0, Components Object
FORMAT_CHECKER: FormatChecker = Draft202012Validator.FORMAT_CHECKER


# --------------------------------------------------------------------------
# documents
# --------------------------------------------------------------------------


def contract(kind: str) -> str:
    binary = tablecast_binary()
    assert binary.is_file(), f"tablecast binary not found at {binary} (build it with `swift build`)"
    result = subprocess.run([str(binary), "contract", kind], capture_output=True, timeout=60)
    assert result.returncode == 0, (
        f"`tablecast contract {kind}` exited with {result.returncode}\n{result.stderr.decode(errors='replace')}"
    )
    assert result.stderr == b"", f"`tablecast contract {kind}` wrote to stderr: {result.stderr!r}"
    return result.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def schema_doc() -> Dict[str, Any]:
    return json.loads(contract("json-schema"))


@pytest.fixture(scope="module")
def asyncapi_doc() -> Dict[str, Any]:
    return json.loads(contract("asyncapi"))


def pointer_token(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def payload_validator(schema_doc: Dict[str, Any], event: str) -> Draft202012Validator:
    """A validator for the payload of `event`: the subschema at `#/events/<event>`, refs resolved in the document."""
    uri = schema_doc["$id"]
    registry = Registry().with_resource(uri, DRAFT202012.create_resource(schema_doc))
    return Draft202012Validator(
        {"$ref": f"{uri}#/events/{pointer_token(event)}"}, registry=registry, format_checker=FORMAT_CHECKER
    )


def examples(asyncapi_doc: Dict[str, Any]) -> List[Tuple[str, Any]]:
    """(event name, example payload) of every message of the AsyncAPI document, in document order."""
    result = []
    for message in asyncapi_doc["components"]["messages"].values():
        for example in message["examples"]:
            result.append((message["name"], example["payload"]))
    return result


def example_of(asyncapi_doc: Dict[str, Any], event: str) -> Any:
    for name, payload in examples(asyncapi_doc):
        if name == event:
            return copy.deepcopy(payload)
    raise AssertionError(f"no example for {event!r} in the AsyncAPI document")


def errors(validator: Draft202012Validator, instance: Any) -> List[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def resolve_pointer(document: Any, ref: str) -> Any:
    assert ref.startswith("#/"), f"not a local reference: {ref!r}"
    node = document
    for raw in ref[2:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and token in node, f"{ref!r} does not resolve (at {token!r})"
        node = node[token]
    return node


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


# --------------------------------------------------------------------------
# JSON Schema document
# --------------------------------------------------------------------------


def test_date_time_format_is_asserted():
    # Without rfc3339-validator, jsonschema silently skips `date-time`: the checks below would prove less.
    assert "date-time" in FORMAT_CHECKER.checkers, "install rfc3339-validator (Tests/Interop/requirements.txt)"


def test_json_schema_document_is_a_valid_2020_12_schema(schema_doc):
    Draft202012Validator.check_schema(schema_doc)
    assert schema_doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert len(schema_doc["events"]) == EVENT_COUNT
    for ref in refs(schema_doc):
        resolve_pointer(schema_doc, ref)
    for name, definition in schema_doc["$defs"].items():
        assert definition["type"] == "object", name
        assert definition["additionalProperties"] is False, name
        assert definition["required"] == list(definition["properties"]), f"{name}: every field is required, in order"


def test_every_example_validates_against_its_event_schema(schema_doc, asyncapi_doc):
    pairs = examples(asyncapi_doc)
    assert len(pairs) == EVENT_COUNT
    assert sorted(name for name, _ in pairs) == sorted(schema_doc["events"])
    for name, payload in pairs:
        assert errors(payload_validator(schema_doc, name), payload) == [], f"example of {name!r}: {payload!r}"


def _mutations(schema_doc: Dict[str, Any], asyncapi_doc: Dict[str, Any]) -> Iterator[Tuple[str, str, Any]]:
    """(id, event, broken payload): for every example, each key missing, each value of a wrong type, an extra key."""
    for event, payload in examples(asyncapi_doc):
        if isinstance(payload, dict):
            for key in payload:
                broken = copy.deepcopy(payload)
                del broken[key]
                yield f"{event}-missing-{key}", event, broken
                broken = copy.deepcopy(payload)
                value = payload[key]
                if isinstance(value, bool):
                    broken[key] = "true"
                elif isinstance(value, int):
                    broken[key] = str(value)
                elif isinstance(value, str):
                    broken[key] = 7
                elif value is None:
                    broken[key] = []
                else:
                    broken[key] = {"unexpected": value}
                yield f"{event}-wrong-type-{key}", event, broken
        broken = copy.deepcopy(payload)
        broken["unexpected"] = 1
        yield f"{event}-extra-key", event, broken


# Hand-made breakages that need to know the fields: enumerations, minima, times, nested objects.
SPECIFIC_BREAKAGES = [
    ("order-bad-status", "order:created", ["status"], "open"),
    ("order-status-wrong-case", "order:served", ["status"], "Served"),
    ("service-call-bad-type", "serviceCall", ["type"], "pizza"),
    ("service-call-bad-status", "serviceCallHandled", ["status"], "done"),
    ("user-bad-role", "user.created", ["role"], "chef"),
    ("order-id-zero", "order:created", ["id"], 0),
    ("order-negative-total", "order:created", ["totalPrice"], -1),
    ("order-fractional-total", "order:created", ["totalPrice"], 23.5),
    ("table-number-zero", "table:activated", ["tableNumber"], 0),
    ("table-number-string", "table:forceReset", ["tableNumber"], "7"),
    ("item-quantity-zero", "order:created", ["items", 0, "quantity"], 0),
    ("item-price-string", "order:created", ["items", 0, "unitPrice"], "11.50"),
    ("item-notes-number", "order:created", ["items", 0, "notes"], 3),
    ("items-not-array", "order:created", ["items"], {"menuItemId": 12}),
    ("time-without-milliseconds", "order:created", ["createdAt"], "2026-11-26T12:00:00Z"),
    ("time-with-offset", "newMessage", ["updatedAt"], "2026-11-26T12:00:00.000+01:00"),
    ("time-impossible-date", "order:served", ["servedAt"], "2026-13-45T12:00:00.000Z"),  # `format` catches it
    ("time-as-milliseconds", "serviceCall", ["createdAt"], 1795780800000),
    ("handled-by-string", "serviceCallHandled", ["handledBy"], "maria"),
    ("pinned-as-integer", "messagePinned", ["isPinned"], 1),
    ("menu-id-null", "menu.updated", ["id"], None),
]


def test_broken_payloads_are_rejected(schema_doc, asyncapi_doc):
    cases = list(_mutations(schema_doc, asyncapi_doc))
    for case_id, event, path, value in SPECIFIC_BREAKAGES:
        broken = example_of(asyncapi_doc, event)
        node = broken
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
        cases.append((case_id, event, broken))
    item = example_of(asyncapi_doc, "order:created")
    del item["items"][0]["quantity"]
    cases.append(("item-missing-quantity", "order:created", item))
    item = example_of(asyncapi_doc, "order:created")
    item["items"][0]["discount"] = 10
    cases.append(("item-extra-key", "order:created", item))
    cases.append(("payload-not-object", "table:activated", [7]))
    cases.append(("payload-null", "allMessagesDeleted", None))

    assert len(cases) > 150, len(cases)
    accepted = [(case_id, payload) for case_id, event, payload in cases
                if not errors(payload_validator(schema_doc, event), payload)]
    assert accepted == [], f"broken payloads accepted: {accepted!r}"


def test_time_pattern_is_checked_without_format_assertion(schema_doc):
    # A validator that treats `format` as an annotation (the 2020-12 default) still refuses other spellings.
    uri = schema_doc["$id"]
    registry = Registry().with_resource(uri, DRAFT202012.create_resource(schema_doc))
    validator = Draft202012Validator({"$ref": f"{uri}#/events/order:created"}, registry=registry)
    payload = {"id": 1, "tableNumber": 7, "status": "pending", "items": [], "totalPrice": 0,
               "createdAt": "2026-11-26 12:00:00", "updatedAt": "2026-11-26T12:00:00.000Z",
               "servedAt": None, "completedAt": None, "cancelledAt": None}
    assert errors(validator, payload), "a time in another spelling was accepted"
    payload["createdAt"] = "2026-11-26T12:00:00.000Z"
    assert errors(validator, payload) == []


# --------------------------------------------------------------------------
# AsyncAPI document
# --------------------------------------------------------------------------


def test_asyncapi_document_structure(asyncapi_doc, schema_doc):
    doc = asyncapi_doc
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] == "tablecast /events"
    assert doc["info"]["version"] == "1"
    server = doc["servers"]["local"]
    assert (server["host"], server["protocol"], server["pathname"]) == ("localhost:4000", "ws", "/socket.io/")
    assert list(doc["channels"]) == ["events"]
    channel = doc["channels"]["events"]
    assert channel["address"] == "/events"

    messages = doc["components"]["messages"]
    assert len(messages) == EVENT_COUNT
    assert len(channel["messages"]) == EVENT_COUNT
    names = [message["name"] for message in messages.values()]
    assert len(set(names)) == EVENT_COUNT
    assert names == list(schema_doc["events"]), "messages and JSON Schema events differ (or their order does)"
    for message_id, ref in channel["messages"].items():
        assert ref == {"$ref": f"#/components/messages/{message_id}"}

    # One `send` operation per message, each naming the channel and one of its messages.
    operations = doc["operations"]
    assert len(operations) == EVENT_COUNT
    sent = []
    for operation_id, operation in operations.items():
        assert operation["action"] == "send", operation_id
        assert operation["channel"] == {"$ref": "#/channels/events"}, operation_id
        assert len(operation["messages"]) == 1, operation_id
        ref = operation["messages"][0]["$ref"]
        assert ref.startswith("#/channels/events/messages/"), f"{operation_id}: {ref}"
        sent.append(ref.rsplit("/", 1)[1])
    assert sorted(sent) == sorted(channel["messages"]), "operations do not cover each message once"

    for ref in refs(doc):
        resolve_pointer(doc, ref)
    for section, entries in doc["components"].items():
        for key in entries:
            assert COMPONENT_KEY.match(key), f"components.{section} key {key!r} is not allowed by AsyncAPI 3.0.0"
    for key in list(operations) + list(channel["messages"]) + list(doc["channels"]) + list(doc["servers"]):
        assert COMPONENT_KEY.match(key), f"key {key!r}"


def test_asyncapi_schemas_match_the_json_schema_document(asyncapi_doc, schema_doc):
    schemas = asyncapi_doc["components"]["schemas"]
    assert list(schemas) == list(schema_doc["$defs"])
    as_defs = json.loads(json.dumps(schemas).replace("#/components/schemas/", "#/$defs/"))
    assert as_defs == schema_doc["$defs"]
    for message in asyncapi_doc["components"]["messages"].values():
        event_ref = schema_doc["events"][message["name"]]["$ref"]
        assert message["payload"]["$ref"].rsplit("/", 1)[1] == event_ref.rsplit("/", 1)[1], message["name"]
        assert message["contentType"] == "application/json"


def test_asyncapi_examples_validate_against_its_own_schemas_as_draft_07(asyncapi_doc):
    # AsyncAPI 3.0.0's Schema Object is a superset of JSON Schema draft-07: its schemas must read the same there.
    registry = Registry().with_resource(ASYNCAPI_URI, DRAFT7.create_resource(asyncapi_doc))
    for name, schema in asyncapi_doc["components"]["schemas"].items():
        Draft7Validator.check_schema(schema)
    for message in asyncapi_doc["components"]["messages"].values():
        validator = Draft7Validator({"$ref": ASYNCAPI_URI + message["payload"]["$ref"]}, registry=registry,
                                    format_checker=Draft7Validator.FORMAT_CHECKER)
        for example in message["examples"]:
            assert [e.message for e in validator.iter_errors(example["payload"])] == [], message["name"]
        broken = dict(message["examples"][0]["payload"], unexpected=True)
        assert list(validator.iter_errors(broken)), f"{message['name']}: extra key accepted"


# --------------------------------------------------------------------------
# Schema and wire agree
# --------------------------------------------------------------------------


def test_events_received_over_socketio_validate(servers, schema_doc, asyncapi_doc):
    server = servers.serve()
    received: List[Tuple[str, Any]] = []
    lock = threading.Lock()
    client = socketio.Client(reconnection=False)

    @client.on("*", namespace=NAMESPACE)
    def on_any(event, *args):
        with lock:
            received.append((event, list(args)))

    client.connect(server.url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=30)
    try:
        wait_for_clients(server.url, 1)
        sent = examples(asyncapi_doc)
        for name, payload in sent:
            text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
            post_emit(server.url, name, text)
        wait_until(lambda: len(received) >= len(sent), 30.0,
                   message=lambda: f"{len(sent)} events on {NAMESPACE} (got {len(received)})")
    finally:
        client.disconnect()

    assert [name for name, _ in received] == [name for name, _ in sent]
    for (name, args), (_, payload) in zip(received, sent):
        assert len(args) == 1, f"{name}: {len(args)} arguments"
        assert args[0] == payload, name
        assert errors(payload_validator(schema_doc, name), args[0]) == [], f"{name} as received: {args[0]!r}"
