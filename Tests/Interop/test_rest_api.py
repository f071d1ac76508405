"""End to end: the restaurant REST API of `tablecast serve`, checked against the `/events` it emits.

Every test runs a real `tablecast serve` and drives it over HTTP with `requests`, while a python-socketio
client joined to `/events` (before any action) records every event in order.  What is checked:

1. a whole table's life (activate, order, serve, complete, service call and its upsert, handle, checkout): each
   action emits exactly the event the contract names, the REST answer is that event's payload, and every GET agrees
   with the last event;
2. every route's errors: 400 naming the field, 404 naming the unknown id, 409 naming the current state, with the
   JSON error body `{"error":…,"field"?:…,"rule"?:…}`, and nothing emitted or changed;
3. a force reset cancels the table's open orders (in id order) before `table:forceReset`;
4. menu, users and messages, each emitting the contract's payload;
5. the REST bodies are byte for byte the journaled payloads, and menu events journal the whole item as `detail`;
6. a long seeded random sequence of valid actions: events, journal and REST state agree (a projection of the
   journal equals the final GETs), `tablecast journal verify` is clean, and loud on a broken copy;
7. CORS `origin: true` on the REST API, preflight included.

The built-in restaurant is assumed (RestaurantDefinition+Default.swift): tables 1-20, menu items 1-30 (12 is the
Margherita at 1150, 27 the Espresso at 280), users 1-11 (3 is maria, a waiter).

Every wait is bounded; a server that does not answer fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import pytest
import requests
import socketio

from tablecast_testkit import HTTP_TIMEOUT, health, tablecast_binary, wait_for_clients

NAMESPACE = "/events"
EVENT_TIMEOUT = 10.0  # seconds for one expected event to arrive
QUIET_WAIT = 0.3  # seconds during which no event may arrive after a refused request
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ORIGIN = "http://frontend.test"

MARGHERITA, ESPRESSO, TIRAMISU = 12, 27, 23
MENU_PRICES = {MARGHERITA: 1150, ESPRESSO: 280, TIRAMISU: 750}
MARIA = 3


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


class EventRecorder:
    """A python-socketio client on `/events` that records every (name, payload) in arrival order.

    An `AsyncClient` on an event loop of its own: the synchronous `socketio.Client` runs each message's handler in a
    new thread, so two events of one WebSocket read could be recorded in either order."""

    def __init__(self, url: str):
        import asyncio

        self.url = url
        self.events: List[Tuple[str, Any]] = []
        self.cursor = 0  # events before it were consumed by `expect`
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="event-recorder", daemon=True)
        self._thread.start()
        self.client = socketio.AsyncClient(reconnection=False)

        @self.client.on("*", namespace=NAMESPACE)
        def on_any(event, *args):  # noqa: ANN001
            with self._cond:
                self.events.append((event, args[0] if len(args) == 1 else list(args)))
                self._cond.notify_all()

        self._call(self.client.connect(url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=30))
        wait_for_clients(url, 1)

    def _call(self, coroutine, timeout: float = 30.0):  # noqa: ANN001
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def count(self) -> int:
        with self._cond:
            return len(self.events)

    def wait_count(self, count: int, timeout: float = EVENT_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.events) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} events on {NAMESPACE} within {timeout:.0f} s, got {len(self.events)}: "
                        f"{[name for name, _ in self.events[-10:]]!r} (last 10)"
                    )
                self._cond.wait(remaining)

    def expect(self, name: str, timeout: float = EVENT_TIMEOUT) -> Any:
        """The next unconsumed event, which must be `name`; returns its payload."""
        self.wait_count(self.cursor + 1, timeout)
        with self._cond:
            got_name, payload = self.events[self.cursor]
            self.cursor += 1
        assert got_name == name, f"expected event {name!r}, got {got_name!r} with {payload!r}"
        return payload

    def assert_no_more(self, duration: float = QUIET_WAIT) -> None:
        """No event beyond the consumed ones arrives within `duration` seconds."""
        time.sleep(duration)
        with self._cond:
            extra = self.events[self.cursor:]
        assert not extra, f"unexpected events on {NAMESPACE}: {extra!r}"

    def close(self) -> None:
        try:
            self._call(self.client.disconnect(), timeout=10)
        except Exception:  # noqa: BLE001 - teardown must not mask the test's own failure
            pass
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)


class Api:
    """`requests` against one server, with a keep-alive session."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def request(self, method: str, path: str, body: Union[None, bytes, str, dict, list] = None,
                headers: Optional[dict] = None) -> requests.Response:
        all_headers = dict(headers or {})
        data: Optional[bytes] = None
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode("utf-8")
        elif isinstance(body, str):
            data = body.encode("utf-8")
        elif isinstance(body, bytes):
            data = body
        if data is not None:
            all_headers.setdefault("Content-Type", "application/json")
        return self.session.request(method, self.base + path, data=data, headers=all_headers, timeout=HTTP_TIMEOUT)

    def get(self, path: str) -> Any:
        r = self.request("GET", path)
        assert r.status_code == 200, f"GET {path} answered {r.status_code} {r.content!r}"
        assert r.headers.get("Content-Type", "").startswith("application/json"), dict(r.headers)
        return r.json()

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        """A request that must succeed with `status`; returns the decoded body (None for 204)."""
        r = self.request(method, path, body)
        assert r.status_code == status, f"{method} {path} {body!r} answered {r.status_code} {r.content!r}"
        if status == 204:
            assert r.content == b"", f"{method} {path}: 204 with a body {r.content!r}"
            return None
        return r.json()

    def last_seq(self) -> int:
        return health(self.base, self.session)["lastSeq"]

    def snapshot(self) -> Dict[str, bytes]:
        """The raw bytes of every collection GET: equal snapshots mean equal state."""
        result = {}
        for path in ("/orders", "/tables", "/menu", "/users", "/messages", "/service-calls"):
            r = self.request("GET", path)
            assert r.status_code == 200, f"GET {path} answered {r.status_code} {r.content!r}"
            result[path] = r.content
        return result


def by_id(items: Sequence[dict], key: str = "id") -> Dict[int, dict]:
    return {item[key]: item for item in items}


def line_total(items: Sequence[dict]) -> int:
    return sum(item["quantity"] * item["unitPrice"] for item in items)


def assert_time(value: Any, what: str) -> None:
    assert isinstance(value, str) and ISO_MS.match(value), f"{what} is not an ISO 8601 UTC time with ms: {value!r}"


def start(servers) -> Tuple[Any, Api, EventRecorder]:
    server = servers.serve()
    api = Api(server.url)
    recorder = EventRecorder(server.url)
    return server, api, recorder


def journal_rows(path: Path) -> List[dict]:
    """Every event row of a journal (read-only), with its raw payload and detail bytes, by (run_id, seq)."""
    assert Path(path).is_file(), f"journal {path} does not exist"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(
            "SELECT run_id, seq, name, payload, detail FROM events ORDER BY run_id, seq")]
    finally:
        conn.close()


def run_verify(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(tablecast_binary()), "journal", "verify", str(path)], capture_output=True,
                          text=True, timeout=120)


# --------------------------------------------------------------------------
# 1. A whole table's life
# --------------------------------------------------------------------------


def test_whole_table_life_through_rest(servers):
    server, api, events = start(servers)
    try:
        assert api.get("/tables/7")["status"] == "available"
        assert api.get("/orders") == [] and api.get("/service-calls") == []

        # activate
        table = api.ok("POST", "/tables/7/activate")
        assert events.expect("table:activated") == {"tableNumber": 7}
        assert table == {"number": 7, "seats": 2, "status": "active"}
        assert api.get("/tables/7") == table
        assert by_id(api.get("/tables"), "number")[7] == table

        # order two items
        r = api.request("POST", "/orders", {"tableNumber": 7, "items": [
            {"menuItemId": MARGHERITA, "quantity": 2},
            {"menuItemId": ESPRESSO, "quantity": 3, "notes": "no sugar"},
        ]})
        assert r.status_code == 201, r.content
        assert r.headers.get("Content-Type", "").startswith("application/json"), dict(r.headers)
        created = events.expect("order:created")
        assert r.json() == created
        assert created["tableNumber"] == 7 and created["status"] == "pending"
        assert created["items"] == [
            {"menuItemId": MARGHERITA, "name": "Margherita", "quantity": 2, "unitPrice": 1150, "notes": None},
            {"menuItemId": ESPRESSO, "name": "Espresso", "quantity": 3, "unitPrice": 280, "notes": "no sugar"},
        ]
        assert created["totalPrice"] == 2 * 1150 + 3 * 280 == line_total(created["items"])
        assert_time(created["createdAt"], "createdAt")
        assert created["updatedAt"] == created["createdAt"]
        assert created["servedAt"] is None and created["completedAt"] is None and created["cancelledAt"] is None
        order_id = created["id"]
        assert api.get(f"/orders/{order_id}") == created
        assert api.get("/orders?tableNumber=7&status=pending") == [created]
        assert api.get("/orders?tableNumber=7") == [created]
        assert api.get("/orders?status=served") == []
        assert api.get("/orders?tableNumber=8") == []

        # serve
        served_body = api.ok("POST", f"/orders/{order_id}/serve")
        served = events.expect("order:served")
        assert served_body == served
        assert served["status"] == "served"
        assert_time(served["servedAt"], "servedAt")
        assert served["updatedAt"] == served["servedAt"] and served["updatedAt"] >= created["updatedAt"]
        assert {k: v for k, v in served.items() if k not in ("status", "servedAt", "updatedAt")} == \
            {k: v for k, v in created.items() if k not in ("status", "servedAt", "updatedAt")}
        assert api.get(f"/orders/{order_id}") == served
        assert api.get("/orders?tableNumber=7&status=pending") == []
        assert api.get("/orders?tableNumber=7&status=served") == [served]

        # complete
        completed_body = api.ok("POST", f"/orders/{order_id}/complete")
        completed = events.expect("order:completed")
        assert completed_body == completed
        assert completed["status"] == "completed"
        assert_time(completed["completedAt"], "completedAt")
        assert completed["servedAt"] == served["servedAt"] and completed["cancelledAt"] is None
        assert completed["updatedAt"] == completed["completedAt"]
        assert api.get(f"/orders/{order_id}") == completed
        assert api.get("/orders?tableNumber=7&status=completed") == [completed]
        assert api.get("/orders?status=served") == []

        # service call: water
        water_body = api.ok("POST", "/service-calls", {"tableNumber": 7, "type": "water"}, status=201)
        water = events.expect("serviceCall")
        assert water_body == water
        assert water["tableNumber"] == 7 and water["type"] == "water" and water["status"] == "pending"
        assert water["handledAt"] is None and water["handledBy"] is None
        assert_time(water["createdAt"], "createdAt")
        assert api.get("/service-calls") == [water]
        assert api.get("/service-calls?status=pending") == [water]
        assert api.get("/service-calls?status=handled") == []

        # again, as a bill: the same call, updated (upsert)
        bill_body = api.ok("POST", "/service-calls", {"tableNumber": 7, "type": "bill"})
        bill = events.expect("serviceCall")
        assert bill_body == bill
        assert bill["id"] == water["id"] and bill["type"] == "bill" and bill["status"] == "pending"
        assert bill["createdAt"] == water["createdAt"] and bill["updatedAt"] >= water["updatedAt"]
        assert api.get("/service-calls") == [bill]
        assert api.get("/service-calls?status=pending") == [bill]

        # handle
        handled_body = api.ok("POST", f"/service-calls/{bill['id']}/handle", {"handledBy": MARIA})
        handled = events.expect("serviceCallHandled")
        assert handled_body == handled
        assert handled["id"] == bill["id"] and handled["type"] == "bill" and handled["status"] == "handled"
        assert handled["handledBy"] == MARIA
        assert_time(handled["handledAt"], "handledAt")
        assert handled["updatedAt"] == handled["handledAt"] and handled["createdAt"] == water["createdAt"]
        assert api.get("/service-calls") == [handled]
        assert api.get("/service-calls?status=pending") == []
        assert api.get("/service-calls?status=handled") == [handled]

        # checkout
        table = api.ok("POST", "/tables/7/checkout/start")
        assert events.expect("table:checkoutStarted") == {"tableNumber": 7}
        assert table == {"number": 7, "seats": 2, "status": "checkout"}
        assert api.get("/tables/7") == table

        table = api.ok("POST", "/tables/7/checkout/complete")
        assert events.expect("table:checkoutCompleted") == {"tableNumber": 7}
        assert table == {"number": 7, "seats": 2, "status": "available"}
        assert api.get("/tables/7") == table

        # the order and the call stay as their last events said
        assert api.get("/orders") == [completed]
        assert api.get("/service-calls") == [handled]
        events.assert_no_more()
        assert [name for name, _ in events.events] == [
            "table:activated", "order:created", "order:served", "order:completed", "serviceCall", "serviceCall",
            "serviceCallHandled", "table:checkoutStarted", "table:checkoutCompleted",
        ]
        assert api.last_seq() == len(events.events)
    finally:
        events.close()


# --------------------------------------------------------------------------
# 2. Errors
# --------------------------------------------------------------------------


class ErrorWorld:
    """A server in a known state, for requests that must all be refused.

    Table 7 active with order 1 pending, 2 cancelled, 3 completed, 4 served, and a handled service call 1;
    table 8 in checkout with order 5 pending; table 9 available; message 1 by maria.
    """

    def __init__(self, server):
        self.server = server
        self.api = Api(server.url)
        self.events = EventRecorder(server.url)
        api = self.api
        item = [{"menuItemId": MARGHERITA, "quantity": 1}]
        api.ok("POST", "/tables/7/activate")
        for _ in range(4):
            api.ok("POST", "/orders", {"tableNumber": 7, "items": item}, status=201)
        api.ok("POST", "/orders/2/cancel")
        api.ok("POST", "/orders/3/serve")
        api.ok("POST", "/orders/3/complete")
        api.ok("POST", "/orders/4/serve")
        api.ok("POST", "/tables/8/activate")
        assert api.ok("POST", "/orders", {"tableNumber": 8, "items": item}, status=201)["id"] == 5
        api.ok("POST", "/tables/8/checkout/start")
        assert api.ok("POST", "/service-calls", {"tableNumber": 7, "type": "waiter"}, status=201)["id"] == 1
        api.ok("POST", "/service-calls/1/handle", {"handledBy": MARIA})
        assert api.ok("POST", "/messages", {"authorId": MARIA, "content": "table 7: birthday"}, status=201)["id"] == 1
        self.events.wait_count(api.last_seq())
        self.events.cursor = self.events.count()


@pytest.fixture(scope="module")
def error_world(module_servers):
    world = ErrorWorld(module_servers.serve(label="serve (error cases)"))
    try:
        yield world
    finally:
        world.events.close()


ORDER = {"tableNumber": 7, "items": [{"menuItemId": MARGHERITA, "quantity": 1}]}


def order_with(**item_fields) -> dict:
    return {"tableNumber": 7, "items": [dict({"menuItemId": MARGHERITA, "quantity": 1}, **item_fields)]}


def case(id: str, method: str, path: str, body: Any, status: int, *mentions: str,
         rule: Optional[str] = None, field: Optional[str] = None):
    return pytest.param(method, path, body, status, mentions, rule, field, id=id)


ERROR_CASES = [
    # ---- 400: malformed bodies, naming the field
    case("order-tableNumber-string", "POST", "/orders", {"tableNumber": "7", "items": ORDER["items"]}, 400,
         "tableNumber"),
    case("order-tableNumber-null", "POST", "/orders", {"tableNumber": None, "items": ORDER["items"]}, 400,
         "tableNumber"),
    case("order-items-object", "POST", "/orders", {"tableNumber": 7, "items": {}}, 400, "items"),
    case("order-items-missing", "POST", "/orders", {"tableNumber": 7}, 400, "items"),
    case("order-tableNumber-missing", "POST", "/orders", {"items": ORDER["items"]}, 400, "tableNumber"),
    case("order-unknown-field", "POST", "/orders", dict(ORDER, table=7), 400, '"table"'),
    case("order-not-json", "POST", "/orders", b"nope", 400, "JSON"),
    case("order-empty-body", "POST", "/orders", b"", 400, "JSON"),
    case("order-body-array", "POST", "/orders", b"[]", 400, "object"),
    case("order-trailing-garbage", "POST", "/orders", json.dumps(ORDER) + " x", 400, "JSON"),
    case("order-items-empty", "POST", "/orders", {"tableNumber": 7, "items": []}, 400, "items", field="items"),
    case("order-quantity-0", "POST", "/orders", order_with(quantity=0), 400, "items[0].quantity",
         field="items[0].quantity"),
    case("order-quantity-negative", "POST", "/orders", order_with(quantity=-2), 400, "items[0].quantity",
         field="items[0].quantity"),
    case("order-quantity-second-line", "POST", "/orders",
         {"tableNumber": 7, "items": [{"menuItemId": 1, "quantity": 1}, {"menuItemId": 2, "quantity": 0}]}, 400,
         "items[1].quantity", field="items[1].quantity"),
    case("order-quantity-fraction", "POST", "/orders", order_with(quantity=1.5), 400, "quantity"),
    case("order-quantity-string", "POST", "/orders", order_with(quantity="2"), 400, "items[0].quantity"),
    case("order-menuItemId-missing", "POST", "/orders", {"tableNumber": 7, "items": [{"quantity": 1}]}, 400,
         "items[0].menuItemId"),
    case("order-notes-number", "POST", "/orders", order_with(notes=5), 400, "items[0].notes"),
    case("order-total-overflow", "POST", "/orders", order_with(quantity=2 ** 62), 400, "items", field="items"),
    case("menu-price-negative", "POST", "/menu", {"name": "Focaccia", "category": "Starters", "price": -5}, 400,
         "price", field="price"),
    case("menu-price-zero", "POST", "/menu", {"name": "Focaccia", "category": "Starters", "price": 0}, 400,
         "price", field="price"),
    case("menu-price-string", "POST", "/menu", {"name": "Focaccia", "category": "Starters", "price": "5"}, 400,
         "price"),
    case("menu-name-missing", "POST", "/menu", {"category": "Starters", "price": 500}, 400, "name"),
    case("menu-name-blank", "POST", "/menu", {"name": "  ", "category": "Starters", "price": 500}, 400, "name",
         field="name"),
    case("menu-unknown-field", "POST", "/menu", {"name": "F", "category": "S", "price": 5, "vegan": True}, 400,
         '"vegan"'),
    case("menu-patch-price-negative", "PATCH", "/menu/1", {"price": -1}, 400, "price", field="price"),
    case("menu-patch-category-blank", "PATCH", "/menu/1", {"category": ""}, 400, "category", field="category"),
    case("menu-patch-unknown-field", "PATCH", "/menu/1", {"prize": 100}, 400, '"prize"'),
    case("menu-patch-not-json", "PATCH", "/menu/1", b"{price:1}", 400, "JSON"),
    case("user-role-bad", "POST", "/users", {"username": "lucia", "role": "chef"}, 400, "role", "chef"),
    case("user-username-missing", "POST", "/users", {"role": "waiter"}, 400, "username"),
    case("user-username-blank", "POST", "/users", {"username": " ", "role": "waiter"}, 400, "username",
         field="username"),
    case("message-content-missing", "POST", "/messages", {"authorId": MARIA}, 400, "content"),
    case("message-authorId-string", "POST", "/messages", {"authorId": "3", "content": "hi"}, 400, "authorId"),
    case("message-content-blank", "POST", "/messages", {"authorId": MARIA, "content": ""}, 400, "content",
         field="content"),
    case("message-patch-content-number", "PATCH", "/messages/1", {"content": 1}, 400, "content"),
    case("message-patch-unknown-field", "PATCH", "/messages/1", {"content": "x", "isPinned": True}, 400,
         '"isPinned"'),
    case("service-call-type-bad", "POST", "/service-calls", {"tableNumber": 7, "type": "coffee"}, 400, "type",
         "coffee"),
    case("service-call-tableNumber-string", "POST", "/service-calls", {"tableNumber": "7", "type": "water"}, 400,
         "tableNumber"),
    case("service-call-handledBy-string", "POST", "/service-calls/1/handle", {"handledBy": "maria"}, 400,
         "handledBy"),
    # ---- 400: query filters and path ids
    case("orders-status-filter", "GET", "/orders?status=open", None, 400, "status", "open"),
    case("orders-table-filter", "GET", "/orders?tableNumber=seven", None, 400, "tableNumber", "seven"),
    case("orders-table-filter-zero", "GET", "/orders?tableNumber=0", None, 400, "tableNumber"),
    case("service-calls-status-filter", "GET", "/service-calls?status=done", None, 400, "status", "done"),
    case("order-id-text", "GET", "/orders/abc", None, 400, "id", "abc"),
    case("order-id-negative", "GET", "/orders/-1", None, 400, "id"),
    case("order-serve-id-text", "POST", "/orders/abc/serve", None, 400, "id", "abc"),
    case("order-cancel-id-zero", "POST", "/orders/0/cancel", None, 400, "id"),
    case("table-number-text", "GET", "/tables/seven", None, 400, "number", "seven"),
    case("table-activate-number-text", "POST", "/tables/x/activate", None, 400, "number"),
    case("table-force-reset-number-text", "POST", "/tables/x/force-reset", None, 400, "number"),
    case("menu-patch-id-text", "PATCH", "/menu/abc", {"price": 100}, 400, "id", "abc"),
    case("menu-delete-id-text", "DELETE", "/menu/abc", None, 400, "id", "abc"),
    case("user-delete-id-text", "DELETE", "/users/abc", None, 400, "id", "abc"),
    case("message-pin-id-text", "POST", "/messages/abc/pin", None, 400, "id", "abc"),
    case("message-delete-id-text", "DELETE", "/messages/abc", None, 400, "id", "abc"),
    case("service-call-handle-id-text", "POST", "/service-calls/abc/handle", None, 400, "id", "abc"),
    # ---- 404: unknown ids
    case("order-get-unknown", "GET", "/orders/999", None, 404, "order 999"),
    case("order-serve-unknown", "POST", "/orders/999/serve", None, 404, "order 999"),
    case("order-complete-unknown", "POST", "/orders/999/complete", None, 404, "order 999"),
    case("order-cancel-unknown", "POST", "/orders/999/cancel", None, 404, "order 999"),
    case("order-unknown-table", "POST", "/orders", dict(ORDER, tableNumber=99), 404, "table 99"),
    case("order-unknown-menu-item", "POST", "/orders", order_with(menuItemId=999), 404, "menu item 999",
         field="items[0].menuItemId"),
    case("table-get-unknown", "GET", "/tables/99", None, 404, "table 99"),
    case("table-activate-unknown", "POST", "/tables/99/activate", None, 404, "table 99"),
    case("table-checkout-start-unknown", "POST", "/tables/99/checkout/start", None, 404, "table 99"),
    case("table-checkout-complete-unknown", "POST", "/tables/99/checkout/complete", None, 404, "table 99"),
    case("table-force-reset-unknown", "POST", "/tables/99/force-reset", None, 404, "table 99"),
    case("menu-patch-unknown", "PATCH", "/menu/999", {"price": 100}, 404, "menu item 999"),
    case("menu-delete-unknown", "DELETE", "/menu/999", None, 404, "menu item 999"),
    case("user-delete-unknown", "DELETE", "/users/999", None, 404, "user 999"),
    case("message-unknown-author", "POST", "/messages", {"authorId": 999, "content": "hi"}, 404, "user 999",
         field="authorId"),
    case("message-patch-unknown", "PATCH", "/messages/999", {"content": "x"}, 404, "message 999"),
    case("message-pin-unknown", "POST", "/messages/999/pin", None, 404, "message 999"),
    case("message-delete-unknown", "DELETE", "/messages/999", None, 404, "message 999"),
    case("service-call-unknown-table", "POST", "/service-calls", {"tableNumber": 99, "type": "water"}, 404,
         "table 99"),
    case("service-call-handle-unknown", "POST", "/service-calls/999/handle", None, 404, "service call 999"),
    case("service-call-handle-unknown-user", "POST", "/service-calls/1/handle", {"handledBy": 999}, 404,
         "user 999", field="handledBy"),
    # ---- 409: transitions the lifecycle forbids, naming the current state
    case("serve-cancelled-order", "POST", "/orders/2/serve", None, 409, "order 2", "cancelled",
         rule="order.serve.requiresPending"),
    case("serve-completed-order", "POST", "/orders/3/serve", None, 409, "order 3", "completed",
         rule="order.serve.requiresPending"),
    case("serve-served-order", "POST", "/orders/4/serve", None, 409, "order 4", "served",
         rule="order.serve.requiresPending"),
    case("complete-pending-order", "POST", "/orders/1/complete", None, 409, "order 1", "pending",
         rule="order.complete.requiresServed"),
    case("complete-cancelled-order", "POST", "/orders/2/complete", None, 409, "order 2", "cancelled",
         rule="order.complete.requiresServed"),
    case("cancel-completed-order", "POST", "/orders/3/cancel", None, 409, "order 3", "completed",
         rule="order.cancel.requiresPendingOrServed"),
    case("cancel-cancelled-order", "POST", "/orders/2/cancel", None, 409, "order 2", "cancelled",
         rule="order.cancel.requiresPendingOrServed"),
    case("order-on-available-table", "POST", "/orders", dict(ORDER, tableNumber=9), 409, "table 9", "available",
         rule="order.create.requiresActiveTable"),
    case("order-on-checkout-table", "POST", "/orders", dict(ORDER, tableNumber=8), 409, "table 8", "checkout",
         rule="order.create.requiresActiveTable"),
    case("checkout-complete-with-open-orders", "POST", "/tables/8/checkout/complete", None, 409, "table 8",
         "open orders", "5 pending", rule="table.checkoutComplete.requiresNoOpenOrders"),
    case("checkout-complete-active-table", "POST", "/tables/7/checkout/complete", None, 409, "table 7", "active",
         rule="table.checkoutComplete.requiresCheckout"),
    case("checkout-complete-available-table", "POST", "/tables/9/checkout/complete", None, 409, "table 9",
         "available", rule="table.checkoutComplete.requiresCheckout"),
    case("checkout-start-available-table", "POST", "/tables/9/checkout/start", None, 409, "table 9", "available",
         rule="table.checkoutStart.requiresActive"),
    case("checkout-start-checkout-table", "POST", "/tables/8/checkout/start", None, 409, "table 8", "checkout",
         rule="table.checkoutStart.requiresActive"),
    case("activate-active-table", "POST", "/tables/7/activate", None, 409, "table 7", "active",
         rule="table.activate.requiresAvailable"),
    case("activate-checkout-table", "POST", "/tables/8/activate", None, 409, "table 8", "checkout",
         rule="table.activate.requiresAvailable"),
    case("service-call-available-table", "POST", "/service-calls", {"tableNumber": 9, "type": "help"}, 409,
         "table 9", "available", rule="serviceCall.requiresCallableTable"),
    case("handle-handled-call", "POST", "/service-calls/1/handle", {"handledBy": MARIA}, 409, "service call 1",
         "handled", rule="serviceCall.handle.requiresPending"),
    case("handle-handled-call-no-body", "POST", "/service-calls/1/handle", None, 409, "service call 1", "handled",
         rule="serviceCall.handle.requiresPending"),
    case("username-taken", "POST", "/users", {"username": "maria", "role": "waiter"}, 409, "maria", "taken"),
]


def assert_error_body(r: requests.Response, status: int, mentions: Sequence[str], rule: Optional[str],
                      field: Optional[str]) -> dict:
    where = f"{r.request.method} {r.request.url} {r.request.body!r}"
    assert r.status_code == status, f"{where}: expected {status}, got {r.status_code} {r.content!r}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), f"{where}: {dict(r.headers)}"
    try:
        body = r.json()
    except ValueError as exc:
        raise AssertionError(f"{where}: error body is not JSON: {r.content!r}") from exc
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], f"{where}: {body!r}"
    assert set(body) <= {"error", "field", "rule"}, f"{where}: unexpected keys in {body!r}"
    for key in ("field", "rule"):
        assert key not in body or isinstance(body[key], str), f"{where}: {key} is not a string in {body!r}"
    for text in mentions:
        assert text.lower() in body["error"].lower(), f"{where}: error {body['error']!r} does not mention {text!r}"
    if rule is not None:
        assert body.get("rule") == rule, f"{where}: rule {body.get('rule')!r}, expected {rule!r} in {body!r}"
    if field is not None:
        assert body.get("field") == field, f"{where}: field {body.get('field')!r}, expected {field!r} in {body!r}"
    return body


def assert_refused_without_effect(world: ErrorWorld, method: str, path: str, body: Any, status: int,
                                  mentions: Sequence[str], rule: Optional[str], field: Optional[str]) -> dict:
    api, events = world.api, world.events
    before = api.snapshot()
    seq_before = api.last_seq()
    events_before = events.count()
    r = api.request(method, path, body)
    error = assert_error_body(r, status, mentions, rule, field)
    events.assert_no_more()
    assert events.count() == events_before
    assert api.last_seq() == seq_before, f"{method} {path}: health lastSeq moved although the request was refused"
    after = api.snapshot()
    for key in before:
        assert after[key] == before[key], f"{method} {path} changed GET {key}:\n{before[key]!r}\n{after[key]!r}"
    return error


@pytest.mark.parametrize("method, path, body, status, mentions, rule, field", ERROR_CASES)
def test_refused_request_names_the_problem_and_changes_nothing(error_world, method, path, body, status, mentions,
                                                               rule, field):
    assert_refused_without_effect(error_world, method, path, body, status, mentions, rule, field)


BODY_FIELD_CASES = [
    pytest.param("POST", "/orders", {"tableNumber": "7", "items": ORDER["items"]}, "tableNumber",
                 id="wrong-type"),
    pytest.param("POST", "/orders", {"tableNumber": 7}, "items", id="missing"),
    pytest.param("POST", "/orders", {"tableNumber": None, "items": ORDER["items"]}, "tableNumber", id="null"),
    pytest.param("POST", "/orders", dict(ORDER, table=7), "table", id="unknown"),
    pytest.param("POST", "/orders", order_with(notes=5), "items[0].notes", id="nested-wrong-type"),
    pytest.param("POST", "/orders", order_with(quantity=1.5), "items[0].quantity", id="fraction"),
    pytest.param("POST", "/users", {"username": "lucia", "role": "chef"}, "role", id="enum"),
    pytest.param("POST", "/service-calls", {"tableNumber": 7, "type": "coffee"}, "type", id="enum-type"),
    pytest.param("PATCH", "/menu/1", {"price": "x"}, "price", id="patch-wrong-type"),
    # the same API already does it for the checks the commands make:
    pytest.param("POST", "/orders", order_with(quantity=0), "items[0].quantity", id="control-quantity-0"),
    pytest.param("PATCH", "/menu/1", {"price": -1}, "price", id="control-price-negative"),
]


@pytest.mark.parametrize("method, path, body, field", BODY_FIELD_CASES)
def test_body_errors_carry_the_field_key(error_world, method, path, body, field):
    """RestaurantAPI documents `"field"` "when there is one": a 400 about one body field names it in `field`,
    whether the JSON decoder or the command found the problem, so a form can mark the field."""
    assert_refused_without_effect(error_world, method, path, body, 400, [], None, field)


def test_unknown_field_inside_an_order_line_is_refused(servers):
    """RequestInput refuses unknown fields "so that a typo never passes silently": a typo in an order line
    (`"note"` for `"notes"`) must be refused too, not create an order without the note."""
    server, api, events = start(servers)
    try:
        api.ok("POST", "/tables/7/activate")
        events.expect("table:activated")
        world = ErrorWorld.__new__(ErrorWorld)
        world.server, world.api, world.events = server, api, events
        assert_refused_without_effect(world, "POST", "/orders", order_with(note="no onions"), 400, ["note"], None,
                                      None)
    finally:
        events.close()


# --------------------------------------------------------------------------
# 3. Force reset
# --------------------------------------------------------------------------


def test_force_reset_cancels_open_orders_in_id_order_first(servers):
    server, api, events = start(servers)
    try:
        for table in (5, 6):
            api.ok("POST", f"/tables/{table}/activate")
            events.expect("table:activated")
        line = [{"menuItemId": TIRAMISU, "quantity": 2}]
        ids = {5: [], 6: []}
        for table in (5, 6, 5, 6, 5, 5):  # orders 1..6, interleaved between the tables
            order = api.ok("POST", "/orders", {"tableNumber": table, "items": line}, status=201)
            events.expect("order:created")
            ids[table].append(order["id"])
        assert ids == {5: [1, 3, 5, 6], 6: [2, 4]}
        # order 5 served, 3 pending, 6 completed, 1 cancelled already: open are 3 (pending) and 5 (served)
        for action, order_id, event in (("serve", 5, "order:served"), ("serve", 6, "order:served"),
                                        ("complete", 6, "order:completed"), ("cancel", 1, "order:cancelled")):
            api.ok("POST", f"/orders/{order_id}/{action}")
            events.expect(event)
        before = by_id(api.get("/orders"))
        api.ok("POST", "/service-calls", {"tableNumber": 5, "type": "help"}, status=201)
        events.expect("serviceCall")

        table = api.ok("POST", "/tables/5/force-reset")
        assert table == {"number": 5, "seats": 4, "status": "available"}
        first = events.expect("order:cancelled")
        second = events.expect("order:cancelled")
        assert events.expect("table:forceReset") == {"tableNumber": 5}
        events.assert_no_more()

        assert [first["id"], second["id"]] == [3, 5]
        for cancelled in (first, second):
            old = before[cancelled["id"]]
            assert cancelled["status"] == "cancelled" and cancelled["tableNumber"] == 5
            assert_time(cancelled["cancelledAt"], "cancelledAt")
            assert cancelled["updatedAt"] == cancelled["cancelledAt"] and cancelled["completedAt"] is None
            assert cancelled["servedAt"] == old["servedAt"]
            assert {k: cancelled[k] for k in ("items", "totalPrice", "createdAt")} == \
                {k: old[k] for k in ("items", "totalPrice", "createdAt")}
        assert first["servedAt"] is None and second["servedAt"] is not None

        after = by_id(api.get("/orders"))
        assert after[3] == first and after[5] == second
        for unchanged in (1, 2, 4, 6):  # closed orders of table 5 and every order of table 6
            assert after[unchanged] == before[unchanged]
        assert api.get("/orders?tableNumber=5&status=pending") == []
        assert api.get("/orders?tableNumber=5&status=served") == []
        assert [o["id"] for o in api.get("/orders?tableNumber=5&status=cancelled")] == [1, 3, 5]
        assert api.get("/tables/5") == table
        assert api.get("/tables/6")["status"] == "active"

        # a force reset of a table without open orders emits table:forceReset alone, from any state
        api.ok("POST", "/tables/5/force-reset")
        assert events.expect("table:forceReset") == {"tableNumber": 5}
        events.assert_no_more()
        assert api.last_seq() == len(events.events)
    finally:
        events.close()


# --------------------------------------------------------------------------
# 4. Menu, users, messages
# --------------------------------------------------------------------------


def test_menu_users_and_messages(servers):
    server, api, events = start(servers)
    try:
        menu_before = api.get("/menu")
        assert len(menu_before) == 30 and by_id(menu_before)[MARGHERITA] == \
            {"id": MARGHERITA, "name": "Margherita", "category": "Pizza", "price": 1150}

        # ---- menu
        r = api.request("POST", "/menu", {"name": "Focaccia Genovese", "category": "Starters", "price": 650})
        assert r.status_code == 201, r.content
        item = r.json()
        assert item == {"id": 31, "name": "Focaccia Genovese", "category": "Starters", "price": 650}
        created = events.expect("menu.created")
        assert created == {"id": 31, "name": "Focaccia Genovese"}
        assert list(created) == ["id", "name"]
        assert api.get("/menu") == menu_before + [item]

        updated_item = api.ok("PATCH", "/menu/31", {"price": 700, "category": "Bread"})
        assert updated_item == {"id": 31, "name": "Focaccia Genovese", "category": "Bread", "price": 700}
        assert events.expect("menu.updated") == {"id": 31}
        assert by_id(api.get("/menu"))[31] == updated_item

        renamed = api.ok("PATCH", "/menu/31", {"name": "Focaccia"})
        assert renamed == dict(updated_item, name="Focaccia")
        assert events.expect("menu.updated") == {"id": 31}
        assert by_id(api.get("/menu"))[31] == renamed

        # an order placed now keeps the name and price it was placed with
        api.ok("POST", "/tables/3/activate")
        events.expect("table:activated")
        order = api.ok("POST", "/orders", {"tableNumber": 3, "items": [{"menuItemId": 31, "quantity": 2}]},
                       status=201)
        events.expect("order:created")
        assert order["items"][0]["name"] == "Focaccia" and order["totalPrice"] == 1400

        assert api.ok("DELETE", "/menu/31", status=204) is None
        assert events.expect("menu.deleted") == {"id": 31}
        assert api.get("/menu") == menu_before
        assert api.get(f"/orders/{order['id']}") == order

        # ordering the deleted item: 404 naming the item and the field, nothing emitted
        world = ErrorWorld.__new__(ErrorWorld)
        world.server, world.api, world.events = server, api, events
        assert_refused_without_effect(world, "POST", "/orders",
                                      {"tableNumber": 3, "items": [{"menuItemId": 31, "quantity": 1}]}, 404,
                                      ["menu item 31"], None, "items[0].menuItemId")
        assert_refused_without_effect(world, "PATCH", "/menu/31", {"price": 1}, 404, ["menu item 31"], None, None)
        assert_refused_without_effect(world, "DELETE", "/menu/31", None, 404, ["menu item 31"], None, None)

        # ---- users
        users_before = api.get("/users")
        assert len(users_before) == 11 and by_id(users_before)[MARIA] == \
            {"id": MARIA, "username": "maria", "role": "waiter"}
        r = api.request("POST", "/users", {"username": "lucia", "role": "kitchen"})
        assert r.status_code == 201, r.content
        user = r.json()
        assert user == {"id": 12, "username": "lucia", "role": "kitchen"}
        assert events.expect("user.created") == user
        assert api.get("/users") == users_before + [user]
        assert api.ok("DELETE", "/users/12", status=204) is None
        assert events.expect("user.deleted") == {"id": 12}
        assert api.get("/users") == users_before
        assert_refused_without_effect(world, "DELETE", "/users/12", None, 404, ["user 12"], None, None)
        assert_refused_without_effect(world, "POST", "/messages", {"authorId": 12, "content": "hi"}, 404,
                                      ["user 12"], None, "authorId")

        # ---- messages
        assert api.get("/messages") == []
        r = api.request("POST", "/messages", {"authorId": MARIA, "content": "Table 7 is celebrating a birthday"})
        assert r.status_code == 201, r.content
        message = r.json()
        assert events.expect("newMessage") == message
        assert message["id"] == 1 and message["authorId"] == MARIA and message["authorName"] == "maria"
        assert message["content"] == "Table 7 is celebrating a birthday" and message["isPinned"] is False
        assert_time(message["createdAt"], "createdAt")
        assert message["updatedAt"] == message["createdAt"]
        assert api.get("/messages") == [message]

        edited = api.ok("PATCH", "/messages/1", {"content": "Table 7: birthday cake at 9"})
        assert events.expect("messageUpdated") == edited
        assert edited["content"] == "Table 7: birthday cake at 9" and edited["createdAt"] == message["createdAt"]
        assert edited["updatedAt"] >= message["updatedAt"] and edited["isPinned"] is False
        assert api.get("/messages") == [edited]

        pinned = api.ok("POST", "/messages/1/pin")
        assert events.expect("messagePinned") == pinned
        assert pinned["isPinned"] is True and pinned["content"] == edited["content"]
        assert api.get("/messages") == [pinned]
        unpinned = api.ok("POST", "/messages/1/pin")
        assert events.expect("messagePinned") == unpinned
        assert unpinned["isPinned"] is False and unpinned["content"] == edited["content"]
        assert api.get("/messages") == [unpinned]

        assert api.ok("DELETE", "/messages/1", status=204) is None
        assert events.expect("messageDeleted") == {"id": 1}
        assert api.get("/messages") == []

        second = api.ok("POST", "/messages", {"authorId": 1, "content": "Kitchen closes at 23:00"}, status=201)
        assert events.expect("newMessage") == second and second["id"] == 2 and second["authorName"] == "giulia"
        third = api.ok("POST", "/messages", {"authorId": 9, "content": "Out of burrata"}, status=201)
        assert events.expect("newMessage") == third and third["id"] == 3
        assert api.get("/messages") == [second, third]
        assert api.ok("DELETE", "/messages", status=204) is None
        assert events.expect("allMessagesDeleted") == {}
        assert api.get("/messages") == []
        # also when there are none
        assert api.ok("DELETE", "/messages", status=204) is None
        assert events.expect("allMessagesDeleted") == {}

        events.assert_no_more()
        assert api.last_seq() == len(events.events)
    finally:
        events.close()


# --------------------------------------------------------------------------
# 5. Byte exactness against the journal
# --------------------------------------------------------------------------


def test_rest_bodies_are_the_journaled_payload_bytes(servers):
    server, api, events = start(servers)
    try:
        bodies: List[Tuple[str, bytes]] = []  # (event name, REST body that must be its payload), in emission order

        def call(method: str, path: str, body: Any, status: int, event: Optional[str]) -> bytes:
            r = api.request(method, path, body)
            assert r.status_code == status, f"{method} {path} answered {r.status_code} {r.content!r}"
            if event is not None:
                bodies.append((event, r.content))
            return r.content

        call("POST", "/tables/7/activate", None, 200, None)
        order_body = call("POST", "/orders", {"tableNumber": 7, "items": [
            {"menuItemId": MARGHERITA, "quantity": 2, "notes": "ohne Zwiebeln, bitte \u2014 \"extra\" basil \U0001F33F"},
            {"menuItemId": ESPRESSO, "quantity": 1},
        ]}, 201, "order:created")
        call("POST", "/orders/1/serve", None, 200, "order:served")
        call("POST", "/orders/1/complete", None, 200, "order:completed")
        call("POST", "/orders", {"tableNumber": 7, "items": [{"menuItemId": 1, "quantity": 1}]}, 201,
             "order:created")
        call("POST", "/orders/2/cancel", None, 200, "order:cancelled")
        menu_created = call("POST", "/menu", {"name": "Caff\u00e8 \"corretto\" \u00fcber \U0001F600",
                                              "category": "Drinks", "price": 350}, 201, None)
        menu_updated = call("PATCH", "/menu/31", {"price": 400}, 200, None)
        call("DELETE", "/menu/31", None, 204, None)
        call("POST", "/users", {"username": "l\u00facia", "role": "manager"}, 201, "user.created")
        call("POST", "/messages", {"authorId": 12, "content": "Gr\u00fc\u00dfe \u20ac \U0001F600"}, 201,
             "newMessage")
        call("PATCH", "/messages/1", {"content": "edited"}, 200, "messageUpdated")
        call("POST", "/messages/1/pin", None, 200, "messagePinned")
        call("POST", "/service-calls", {"tableNumber": 7, "type": "bill"}, 201, "serviceCall")
        call("POST", "/service-calls/1/handle", {"handledBy": 12}, 200, "serviceCallHandled")
        total = api.last_seq()
        events.wait_count(total)
    finally:
        events.close()
    server.stop()

    rows = journal_rows(server.journal_path)
    assert [r["seq"] for r in rows] == list(range(1, total + 1)) and {r["run_id"] for r in rows} == {1}
    assert [r["name"] for r in rows] == [name for name, _ in events.events]
    for row, (name, payload) in zip(rows, events.events):
        assert json.loads(bytes(row["payload"])) == payload, f"seq {row['seq']}: journal and socket disagree"

    by_name_rows = [(r["name"], bytes(r["payload"])) for r in rows
                    if not r["name"].startswith(("menu.", "table:"))]
    assert by_name_rows == bodies
    assert bytes(rows[1]["payload"]) == order_body
    assert "\u2014".encode("utf-8") in order_body and "\U0001F33F".encode("utf-8") in order_body

    menu_rows = [r for r in rows if r["name"].startswith("menu.")]
    assert [r["name"] for r in menu_rows] == ["menu.created", "menu.updated", "menu.deleted"]
    created, updated, deleted = menu_rows
    item = json.loads(menu_created)
    assert bytes(created["payload"]) == json.dumps({"id": 31, "name": item["name"]}, ensure_ascii=False,
                                                   separators=(",", ":")).encode("utf-8")
    assert bytes(created["detail"]) == menu_created
    assert json.loads(menu_created) == {"id": 31, "name": "Caff\u00e8 \"corretto\" \u00fcber \U0001F600",
                                        "category": "Drinks", "price": 350}
    assert bytes(updated["payload"]) == b'{"id":31}'
    assert bytes(updated["detail"]) == menu_updated
    assert json.loads(menu_updated)["price"] == 400
    assert bytes(deleted["payload"]) == b'{"id":31}'
    for row in rows:
        if row["name"] not in ("menu.created", "menu.updated"):
            assert row["detail"] is None, f"seq {row['seq']} {row['name']} has a detail {row['detail']!r}"


# --------------------------------------------------------------------------
# 6. A long random sequence; journal verify
# --------------------------------------------------------------------------


class Model:
    """What the test knows of the server's state, from the REST answers only."""

    def __init__(self, api: Api):
        self.tables = {t["number"]: t for t in api.get("/tables")}
        self.orders: Dict[int, dict] = by_id(api.get("/orders"))
        self.menu: Dict[int, dict] = by_id(api.get("/menu"))
        self.users: Dict[int, dict] = by_id(api.get("/users"))
        self.messages: Dict[int, dict] = by_id(api.get("/messages"))
        self.calls: Dict[int, dict] = by_id(api.get("/service-calls"))

    def tables_in(self, status: str) -> List[int]:
        return [n for n, t in self.tables.items() if t["status"] == status]

    def orders_in(self, *statuses: str) -> List[int]:
        return [i for i, o in self.orders.items() if o["status"] in statuses]

    def open_orders(self, table: int) -> List[int]:
        return sorted(i for i, o in self.orders.items()
                      if o["tableNumber"] == table and o["status"] in ("pending", "served"))

    def pending_call(self, table: int) -> Optional[dict]:
        pending = [c for c in self.calls.values() if c["tableNumber"] == table and c["status"] == "pending"]
        assert len(pending) <= 1, pending
        return pending[0] if pending else None

    def assert_agrees(self, api: Api, step: int) -> None:
        assert by_id(api.get("/tables"), "number") == self.tables, f"step {step}: GET /tables"
        assert by_id(api.get("/orders")) == self.orders, f"step {step}: GET /orders"
        assert by_id(api.get("/menu")) == self.menu, f"step {step}: GET /menu"
        assert by_id(api.get("/users")) == self.users, f"step {step}: GET /users"
        assert by_id(api.get("/messages")) == self.messages, f"step {step}: GET /messages"
        assert by_id(api.get("/service-calls")) == self.calls, f"step {step}: GET /service-calls"


class RandomDriver:
    """Chooses, from a seeded random.Random, only actions valid for the model's state, and performs them."""

    def __init__(self, api: Api, model: Model, rng: random.Random):
        self.api, self.model, self.rng = api, model, rng
        self.user_counter = 0
        self.expected: List[str] = []  # the event names the actions must have emitted, in order

    def actions(self) -> List[Tuple[int, Callable[[], None]]]:
        m = self.model
        candidates: List[Tuple[int, Callable[[], None]]] = []
        if m.tables_in("available"):
            candidates.append((6, self.activate))
        if m.tables_in("active") and m.menu:
            candidates.append((22, self.create_order))
        if m.orders_in("pending"):
            candidates.append((14, self.serve))
        if m.orders_in("served"):
            candidates.append((12, self.complete))
        if m.orders_in("pending", "served"):
            candidates.append((3, self.cancel))
        if m.tables_in("active"):
            candidates.append((5, self.checkout_start))
        if [t for t in m.tables_in("checkout") if not m.open_orders(t)]:
            candidates.append((8, self.checkout_complete))
        candidates.append((1, self.force_reset))
        if m.tables_in("active") or m.tables_in("checkout"):
            candidates.append((6, self.service_call))
        if [c for c in m.calls.values() if c["status"] == "pending"]:
            candidates.append((5, self.handle))
        candidates.append((2, self.menu_create))
        if m.menu:
            candidates.append((2, self.menu_update))
        if len(m.menu) > 10:
            candidates.append((1, self.menu_delete))
        candidates.append((1, self.user_create))
        if len(m.users) > 6:
            candidates.append((1, self.user_delete))
        if m.users:
            candidates.append((4, self.message_post))
        if m.messages:
            candidates.extend([(2, self.message_edit), (2, self.message_pin), (1, self.message_delete)])
        candidates.append((0.2, self.messages_delete_all))  # type: ignore[arg-type]
        return candidates

    def step(self) -> None:
        candidates = self.actions()
        action = self.rng.choices([a for _, a in candidates], weights=[w for w, _ in candidates])[0]
        action()

    # -- tables

    def _table_action(self, path: str, table: int, event: str, status: str) -> None:
        body = self.api.ok("POST", f"/tables/{table}/{path}")
        assert body["status"] == status, body
        self.model.tables[table] = body
        self.expected.append(event)

    def activate(self) -> None:
        self._table_action("activate", self.rng.choice(self.model.tables_in("available")), "table:activated",
                           "active")

    def checkout_start(self) -> None:
        self._table_action("checkout/start", self.rng.choice(self.model.tables_in("active")),
                           "table:checkoutStarted", "checkout")

    def checkout_complete(self) -> None:
        ready = [t for t in self.model.tables_in("checkout") if not self.model.open_orders(t)]
        self._table_action("checkout/complete", self.rng.choice(ready), "table:checkoutCompleted", "available")

    def force_reset(self) -> None:
        table = self.rng.choice(sorted(self.model.tables))
        open_ids = self.model.open_orders(table)
        orders_before = {i: self.model.orders[i] for i in open_ids}
        self._table_action("force-reset", table, "table:forceReset", "available")
        self.expected[-1:] = ["order:cancelled"] * len(open_ids) + ["table:forceReset"]
        # the cancelled orders are read back: the model learns only from the REST API
        for order_id in open_ids:
            order = self.api.get(f"/orders/{order_id}")
            assert order["status"] == "cancelled" and order["createdAt"] == orders_before[order_id]["createdAt"]
            self.model.orders[order_id] = order

    # -- orders

    def create_order(self) -> None:
        table = self.rng.choice(self.model.tables_in("active"))
        menu_ids = sorted(self.model.menu)
        lines = []
        for _ in range(self.rng.randint(1, 4)):
            line: Dict[str, Any] = {"menuItemId": self.rng.choice(menu_ids), "quantity": self.rng.randint(1, 5)}
            if self.rng.random() < 0.3:
                line["notes"] = self.rng.choice(["no onions", "extra hot", "gluten free \u2713", "for the kid"])
            lines.append(line)
        order = self.api.ok("POST", "/orders", {"tableNumber": table, "items": lines}, status=201)
        assert order["status"] == "pending" and order["tableNumber"] == table
        assert [(i["menuItemId"], i["quantity"], i["unitPrice"]) for i in order["items"]] == \
            [(l["menuItemId"], l["quantity"], self.model.menu[l["menuItemId"]]["price"]) for l in lines]
        assert order["totalPrice"] == line_total(order["items"])
        assert order["id"] not in self.model.orders and order["id"] > max(self.model.orders, default=0)
        self.model.orders[order["id"]] = order
        self.expected.append("order:created")

    def _order_action(self, action: str, ids: List[int], event: str, status: str) -> None:
        order_id = self.rng.choice(sorted(ids))
        order = self.api.ok("POST", f"/orders/{order_id}/{action}")
        assert order["id"] == order_id and order["status"] == status, order
        self.model.orders[order_id] = order
        self.expected.append(event)

    def serve(self) -> None:
        self._order_action("serve", self.model.orders_in("pending"), "order:served", "served")

    def complete(self) -> None:
        self._order_action("complete", self.model.orders_in("served"), "order:completed", "completed")

    def cancel(self) -> None:
        self._order_action("cancel", self.model.orders_in("pending", "served"), "order:cancelled", "cancelled")

    # -- service calls

    def service_call(self) -> None:
        table = self.rng.choice(self.model.tables_in("active") + self.model.tables_in("checkout"))
        pending = self.model.pending_call(table)
        call = self.api.ok("POST", "/service-calls",
                           {"tableNumber": table, "type": self.rng.choice(["waiter", "bill", "water", "help"])},
                           status=200 if pending is not None else 201)
        if pending is not None:
            assert call["id"] == pending["id"] and call["createdAt"] == pending["createdAt"], (pending, call)
        else:
            assert call["id"] > max(self.model.calls, default=0)
        self.model.calls[call["id"]] = call
        self.expected.append("serviceCall")

    def handle(self) -> None:
        call_id = self.rng.choice(sorted(c["id"] for c in self.model.calls.values() if c["status"] == "pending"))
        body = {"handledBy": self.rng.choice(sorted(self.model.users))} if self.rng.random() < 0.8 else None
        call = self.api.ok("POST", f"/service-calls/{call_id}/handle", body)
        assert call["status"] == "handled" and call["handledBy"] == (body or {}).get("handledBy"), call
        self.model.calls[call_id] = call
        self.expected.append("serviceCallHandled")

    # -- menu

    def menu_create(self) -> None:
        name = f"Special {self.rng.randint(1, 10 ** 6)} \u00e0 la carte"
        item = self.api.ok("POST", "/menu", {"name": name, "category": self.rng.choice(["Specials", "Drinks"]),
                                             "price": self.rng.randint(100, 5000)}, status=201)
        self.model.menu[item["id"]] = item
        self.expected.append("menu.created")

    def menu_update(self) -> None:
        item_id = self.rng.choice(sorted(self.model.menu))
        change: Dict[str, Any] = self.rng.choice([{"price": self.rng.randint(100, 5000)},
                                                  {"name": f"Renamed {self.rng.randint(1, 999)}"},
                                                  {"category": "Seasonal", "price": self.rng.randint(100, 900)},
                                                  {}])
        item = self.api.ok("PATCH", f"/menu/{item_id}", change)
        assert item == dict(self.model.menu[item_id], **change), (self.model.menu[item_id], change, item)
        self.model.menu[item_id] = item
        self.expected.append("menu.updated")

    def menu_delete(self) -> None:
        item_id = self.rng.choice(sorted(self.model.menu))
        self.api.ok("DELETE", f"/menu/{item_id}", status=204)
        del self.model.menu[item_id]
        self.expected.append("menu.deleted")

    # -- users

    def user_create(self) -> None:
        self.user_counter += 1
        user = self.api.ok("POST", "/users", {"username": f"staff{self.user_counter}",
                                              "role": self.rng.choice(["admin", "manager", "waiter", "kitchen"])},
                           status=201)
        self.model.users[user["id"]] = user
        self.expected.append("user.created")

    def user_delete(self) -> None:
        user_id = self.rng.choice(sorted(self.model.users))
        self.api.ok("DELETE", f"/users/{user_id}", status=204)
        del self.model.users[user_id]
        self.expected.append("user.deleted")

    # -- messages

    def message_post(self) -> None:
        author = self.rng.choice(sorted(self.model.users))
        message = self.api.ok("POST", "/messages", {"authorId": author,
                                                    "content": f"note {self.rng.randint(1, 10 ** 6)} \u00a7"},
                              status=201)
        assert message["authorName"] == self.model.users[author]["username"]
        self.model.messages[message["id"]] = message
        self.expected.append("newMessage")

    def message_edit(self) -> None:
        message_id = self.rng.choice(sorted(self.model.messages))
        message = self.api.ok("PATCH", f"/messages/{message_id}", {"content": f"edit {self.rng.random()}"})
        self.model.messages[message_id] = message
        self.expected.append("messageUpdated")

    def message_pin(self) -> None:
        message_id = self.rng.choice(sorted(self.model.messages))
        message = self.api.ok("POST", f"/messages/{message_id}/pin")
        assert message["isPinned"] is not self.model.messages[message_id]["isPinned"]
        self.model.messages[message_id] = message
        self.expected.append("messagePinned")

    def message_delete(self) -> None:
        message_id = self.rng.choice(sorted(self.model.messages))
        self.api.ok("DELETE", f"/messages/{message_id}", status=204)
        del self.model.messages[message_id]
        self.expected.append("messageDeleted")

    def messages_delete_all(self) -> None:
        self.api.ok("DELETE", "/messages", status=204)
        self.model.messages.clear()
        self.expected.append("allMessagesDeleted")


def project(rows: List[dict], tables: Dict[int, dict], menu: Dict[int, dict], users: Dict[int, dict]) -> dict:
    """The restaurant state a journal's events build, from the initial tables, menu and users."""
    state = {
        "tables": {n: dict(t, status="available") for n, t in tables.items()},
        "orders": {}, "menu": dict(menu), "users": dict(users), "messages": {}, "calls": {},
    }
    table_status = {"table:activated": "active", "table:checkoutStarted": "checkout",
                    "table:checkoutCompleted": "available", "table:forceReset": "available"}
    for row in rows:
        name = row["name"]
        payload = json.loads(bytes(row["payload"]))
        if name in table_status:
            state["tables"][payload["tableNumber"]]["status"] = table_status[name]
        elif name.startswith("order:"):
            state["orders"][payload["id"]] = payload
        elif name in ("menu.created", "menu.updated"):
            assert row["detail"] is not None, f"seq {row['seq']} {name} without detail"
            detail = json.loads(bytes(row["detail"]))
            assert detail["id"] == payload["id"] and ("name" not in payload or payload["name"] == detail["name"])
            state["menu"][payload["id"]] = detail
        elif name == "menu.deleted":
            del state["menu"][payload["id"]]
        elif name == "user.created":
            state["users"][payload["id"]] = payload
        elif name == "user.deleted":
            del state["users"][payload["id"]]
        elif name in ("newMessage", "messageUpdated", "messagePinned"):
            state["messages"][payload["id"]] = payload
        elif name == "messageDeleted":
            del state["messages"][payload["id"]]
        elif name == "allMessagesDeleted":
            assert payload == {}
            state["messages"].clear()
        elif name in ("serviceCall", "serviceCallHandled"):
            state["calls"][payload["id"]] = payload
        else:
            raise AssertionError(f"seq {row['seq']}: unexpected event {name!r}")
    return state


RANDOM_ACTIONS = 1500
RANDOM_SEED = 20261126


@pytest.mark.timeout(600)
def test_random_valid_actions_then_journal_verify(servers, tmp_path):
    server, api, events = start(servers)
    try:
        model = Model(api)
        initial_tables, initial_menu, initial_users = dict(model.tables), dict(model.menu), dict(model.users)
        driver = RandomDriver(api, model, random.Random(RANDOM_SEED))
        for step in range(1, RANDOM_ACTIONS + 1):
            driver.step()
            if step % 150 == 0:
                model.assert_agrees(api, step)
        model.assert_agrees(api, RANDOM_ACTIONS)
        final = {"tables": by_id(api.get("/tables"), "number"), "orders": by_id(api.get("/orders")),
                 "menu": by_id(api.get("/menu")), "users": by_id(api.get("/users")),
                 "messages": by_id(api.get("/messages")), "calls": by_id(api.get("/service-calls"))}
        total = api.last_seq()
        assert total == len(driver.expected), f"lastSeq {total}, actions emitted {len(driver.expected)}"
        events.wait_count(total, timeout=60)
        events.cursor = total
        events.assert_no_more()
        assert [name for name, _ in events.events] == driver.expected
    finally:
        events.close()
    server.stop()

    # the journal holds exactly what the client received, and its projection is the final REST state
    rows = journal_rows(server.journal_path)
    assert [r["seq"] for r in rows] == list(range(1, total + 1))
    assert [(r["name"], json.loads(bytes(r["payload"]))) for r in rows] == events.events
    assert project(rows, initial_tables, initial_menu, initial_users) == final
    counts = {name: driver.expected.count(name) for name in set(driver.expected)}
    for name in ("order:created", "order:served", "order:completed", "order:cancelled", "table:checkoutCompleted",
                 "serviceCall", "serviceCallHandled"):
        assert counts.get(name, 0) >= 10, f"the random walk hardly exercised {name}: {counts}"

    result = run_verify(server.journal_path)
    assert result.returncode == 0, f"journal verify exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "clean" in result.stdout and "NOT clean" not in result.stdout, result.stdout
    assert f"{total} events, 0 errors" in result.stdout, result.stdout

    # broken copy 1: an order's `order:served` row is gone, so its `order:completed` completes a pending order
    served_seq: Dict[int, int] = {}
    victim: Optional[Tuple[int, int]] = None  # (seq of order:served, seq of the later order:completed)
    for row in rows:
        order_id = json.loads(bytes(row["payload"])).get("id") if row["name"].startswith("order:") else None
        if row["name"] == "order:served":
            served_seq[order_id] = row["seq"]
        elif row["name"] == "order:completed" and order_id in served_seq:
            victim = (served_seq[order_id], row["seq"])
            break
    assert victim is not None
    broken = tmp_path / "broken-served.sqlite"
    shutil.copyfile(server.journal_path, broken)
    with sqlite3.connect(broken) as conn:
        assert conn.execute("DELETE FROM events WHERE run_id = 1 AND seq = ? AND name = 'order:served'",
                            (victim[0],)).rowcount == 1
    conn.close()
    result = run_verify(broken)
    assert result.returncode == 1, f"journal verify exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "NOT clean" in result.stdout, result.stdout
    assert re.search(rf"seq {victim[1]} order:completed error order\.complete\.requiresServed", result.stdout), \
        result.stdout

    # broken copy 2: an `order:completed` payload says "served"
    completed = next(r for r in rows if r["name"] == "order:completed")
    flipped = bytes(completed["payload"]).replace(b'"status":"completed"', b'"status":"served"')
    assert flipped != bytes(completed["payload"])
    broken = tmp_path / "broken-status.sqlite"
    shutil.copyfile(server.journal_path, broken)
    with sqlite3.connect(broken) as conn:
        conn.execute("UPDATE events SET payload = ? WHERE run_id = 1 AND seq = ?", (flipped, completed["seq"]))
    conn.close()
    result = run_verify(broken)
    assert result.returncode == 1, f"journal verify exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert re.search(rf"seq {completed['seq']} order:completed error order\.payload\.statusMatchesEvent",
                     result.stdout), result.stdout


# --------------------------------------------------------------------------
# 7. CORS
# --------------------------------------------------------------------------


def test_cors_on_the_rest_api(servers):
    server = servers.serve()
    api = Api(server.url)
    r = api.request("GET", "/orders", headers={"Origin": ORIGIN})
    assert r.status_code == 200, r.content
    assert r.headers.get("Access-Control-Allow-Origin") == ORIGIN, dict(r.headers)
    assert r.headers.get("Access-Control-Allow-Credentials") == "true", dict(r.headers)
    assert "origin" in r.headers.get("Vary", "").lower(), dict(r.headers)

    # an error answer carries the CORS headers too, or a browser app cannot read the error body
    r = api.request("GET", "/orders/999", headers={"Origin": ORIGIN})
    assert r.status_code == 404
    assert r.headers.get("Access-Control-Allow-Origin") == ORIGIN, dict(r.headers)

    for method in ("PATCH", "DELETE"):
        r = api.request("OPTIONS", "/menu/1", headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        })
        assert r.status_code in (200, 204), f"preflight for {method} answered {r.status_code} {r.content!r}"
        assert r.headers.get("Access-Control-Allow-Origin") == ORIGIN, dict(r.headers)
        assert r.headers.get("Access-Control-Allow-Credentials") == "true", dict(r.headers)
        methods = {m.strip().upper() for m in r.headers.get("Access-Control-Allow-Methods", "").split(",")}
        assert {"GET", "POST", "PATCH", "DELETE"} <= methods, f"preflight for {method}: {dict(r.headers)}"
        allowed_headers = {h.strip().lower() for h in r.headers.get("Access-Control-Allow-Headers", "").split(",")}
        assert "content-type" in allowed_headers, dict(r.headers)

    r = api.request("PATCH", "/menu/1", {"price": 800}, headers={"Origin": ORIGIN})
    assert r.status_code == 200, r.content
    assert r.headers.get("Access-Control-Allow-Origin") == ORIGIN, dict(r.headers)


# --------------------------------------------------------------------------
# Concurrent writes
# --------------------------------------------------------------------------


def test_concurrent_orders_are_emitted_in_id_order(servers):
    """Orders posted from 8 threads at once: ids are unique, events come in id order, each REST answer is its
    event's payload, and the REST state agrees with the events."""
    server, api, events = start(servers)
    try:
        tables = list(range(1, 9))
        for table in tables:
            api.ok("POST", f"/tables/{table}/activate")
            events.expect("table:activated")

        def post_orders(table: int) -> List[dict]:
            own = Api(server.url)
            return [own.ok("POST", "/orders", {"tableNumber": table,
                                               "items": [{"menuItemId": 1 + i % 30, "quantity": 1 + i % 3}]},
                           status=201) for i in range(25)]

        results: List[List[dict]] = [[] for _ in tables]
        errors: List[BaseException] = []

        def run(index: int) -> None:
            try:
                results[index] = post_orders(tables[index])
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tables))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads), "order threads did not finish within 60 s"
        assert not errors, errors
        answers = sorted((order for per_table in results for order in per_table), key=lambda o: o["id"])
        created = [events.expect("order:created") for _ in answers]
        events.assert_no_more()
        assert [o["id"] for o in created] == list(range(1, len(answers) + 1))
        assert created == answers
        assert api.get("/orders") == created
        assert api.last_seq() == len(tables) + len(answers)
    finally:
        events.close()
