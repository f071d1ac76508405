"""The `.d.ts` of `tablecast contract typescript`, compiled by a real TypeScript compiler.

`tsc` is Debian's node-typescript (Scripts/test.sh installs it).  Handlers that use
every event's payload fields must compile with `--strict`; code that gets the
contract wrong (a table number as a string, a nullable time used unchecked, an
unknown enumeration value or event, …) must not, each at the line that is wrong.

socket.io-client's own types are on neither Debian nor PyPI, so `Socket` here is a
stand-in with the same generic shape and the same `on`/`emit` constraints as
socket.io-client 4's typed `Socket<ListenEvents, EmitEvents>`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from tablecast_testkit import tablecast_binary

TSC_TIMEOUT = 180
TSC_OPTIONS = ["--noEmit", "--strict", "--target", "es2020", "--moduleResolution", "node"]
MARK = "// wrong"

SOCKET_STAND_IN = """\
// The typed surface of socket.io-client 4 that a ServerToClientEvents map must fit.
export interface EventsMap {
  [event: string]: any;
}
export type EventNames<Map extends EventsMap> = keyof Map & (string | symbol);
export declare class Socket<ListenEvents extends EventsMap, EmitEvents extends EventsMap = ListenEvents> {
  on<Ev extends EventNames<ListenEvents>>(ev: Ev, listener: ListenEvents[Ev]): this;
  off<Ev extends EventNames<ListenEvents>>(ev?: Ev, listener?: ListenEvents[Ev]): this;
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: Parameters<EmitEvents[Ev]>): this;
}
"""

IMPORTS = """\
import type { Socket } from "./socket";
import type {
  ClientToServerEvents,
  ContractVersion,
  EmptyPayload,
  EventName,
  IdPayload,
  Message,
  Order,
  OrderItem,
  OrderStatus,
  ServerToClientEvents,
  ServiceCall,
  ServiceCallStatus,
  ServiceCallType,
  TablePayload,
  UserRole,
} from "./tablecast-events";

declare const socket: Socket<ServerToClientEvents, ClientToServerEvents>;
"""

GOOD = IMPORTS + """
const version: ContractVersion = "1";

function euros(minorUnits: number): string {
  return (minorUnits / 100).toFixed(2);
}

function describeOrder(order: Order): string {
  const lines = order.items.map((item: OrderItem) => {
    const notes: string = item.notes ?? "";
    return `${item.quantity} x ${item.name} (#${item.menuItemId}) ${euros(item.unitPrice)} ${notes.trim()}`;
  });
  const served: number | undefined = order.servedAt?.length;
  const done: string = order.completedAt ?? order.cancelledAt ?? "open";
  return `${order.id} t${order.tableNumber} ${order.status} ${order.totalPrice.toFixed()} ${served} ${done} `
    + `${order.createdAt.slice(0, 10)} ${order.updatedAt.length} ${lines.join("; ")}`;
}

function statusLabel(status: OrderStatus): string {
  switch (status) {
    case "pending": return "waiting";
    case "served": return "on the table";
    case "completed": return "paid";
    case "cancelled": return "cancelled";
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}

function callLabel(call: ServiceCall): string {
  const type: ServiceCallType = call.type;
  const status: ServiceCallStatus = call.status;
  const handler: string = call.handledBy === null ? "nobody" : `user ${call.handledBy.toFixed()}`;
  return `${call.id} t${call.tableNumber} ${type} ${status} ${call.handledAt?.length ?? 0} ${handler} `
    + `${call.createdAt} ${call.updatedAt}`;
}

function messageLabel(message: Message): string {
  const pin: string = message.isPinned ? "pinned" : "";
  return `${message.id} ${message.authorName}#${message.authorId.toFixed()}: ${message.content.trim()} ${pin} `
    + `${message.createdAt} ${message.updatedAt}`;
}

const seen: string[] = [];
const table = (payload: TablePayload) => { seen.push(`table ${payload.tableNumber.toFixed()}`); };
const removed = (payload: IdPayload) => { seen.push(`removed ${payload.id.toFixed()}`); };

export const handlers: ServerToClientEvents = {
  "order:created": (payload) => { seen.push(describeOrder(payload), statusLabel(payload.status)); },
  "order:served": (payload) => { seen.push(`${payload.servedAt?.length}`, payload.totalPrice.toFixed()); },
  "order:completed": (payload) => { seen.push(describeOrder(payload)); },
  "order:cancelled": (payload) => { seen.push(payload.cancelledAt ?? "", statusLabel(payload.status)); },
  "table:activated": table,
  "table:checkoutStarted": table,
  "table:checkoutCompleted": (payload) => { seen.push(`${payload.tableNumber + 1}`); },
  "table:forceReset": table,
  "menu.created": (payload) => { seen.push(`${payload.id.toFixed()} ${payload.name.toUpperCase()}`); },
  "menu.updated": removed,
  "menu.deleted": ({ id }) => { seen.push(id.toFixed()); },
  "user.created": (payload) => {
    const role: UserRole = payload.role;
    seen.push(`${payload.id} ${payload.username.trim()} ${role}`);
  },
  "user.deleted": removed,
  "newMessage": (payload) => { seen.push(messageLabel(payload)); },
  "messageUpdated": (payload) => { seen.push(payload.content); },
  "messagePinned": (payload) => { seen.push(payload.isPinned ? "pin" : "unpin"); },
  "messageDeleted": removed,
  "allMessagesDeleted": (payload: EmptyPayload) => { seen.push(`${Object.keys(payload).length}`); },
  "serviceCall": (payload) => { seen.push(callLabel(payload)); },
  "serviceCallHandled": (payload) => { seen.push(payload.handledAt ?? "", `${payload.handledBy?.toFixed()}`); },
};

const names = Object.keys(handlers) as EventName[];
for (const name of names) {
  socket.on(name, handlers[name]);
}
socket.on("order:created", (order) => { seen.push(euros(order.items[0].unitPrice)); });
socket.on("serviceCallHandled", (call) => { seen.push(`${call.handledBy ?? "?"}`); });
socket.off("order:created");
export const summary = `${version} ${seen.length}`;
"""

# Each entry: a file that must fail to compile, at the line marked `// wrong`.
WRONG: Dict[str, str] = {
    "table-number-as-string": """
export const onTable: ServerToClientEvents["table:activated"] = (payload) => {
  const number: string = payload.tableNumber; // wrong
  return number;
};
""",
    "money-as-string": """
export const price = (item: OrderItem): string => item.unitPrice; // wrong
""",
    "nullable-time-unchecked": """
export const servedLength = (order: Order): number => order.servedAt.length; // wrong
""",
    "nullable-id-unchecked": """
export const handler = (call: ServiceCall): string => call.handledBy.toFixed(); // wrong
""",
    "unknown-order-status": """
export const status: OrderStatus = "open"; // wrong
""",
    "unknown-role": """
export const role: UserRole = "chef"; // wrong
""",
    "unknown-event": """
socket.on("order:updated", () => {}); // wrong
""",
    "handler-for-the-wrong-payload": """
export const handlers: Partial<ServerToClientEvents> = {
  "newMessage": (payload: Order) => { payload.totalPrice.toFixed(); }, // wrong
};
""",
    "missing-handler": """
export const handlers: ServerToClientEvents = { // wrong
  "order:created": () => {},
};
""",
    "clients-emit-nothing": """
socket.emit("order:created", {} as Order); // wrong
""",
    "empty-payload-has-no-fields": """
export const count = (payload: EmptyPayload): number => payload.count.length; // wrong
""",
    "wrong-contract-version": """
export const version: ContractVersion = "2"; // wrong
""",
    "message-author-id-as-string": """
export const author = (message: Message): string => message.authorId; // wrong
""",
    "table-payload-has-no-id": """
export const id = (payload: TablePayload): number => payload.id; // wrong
""",
    "pinned-as-string": """
export const pinned = (message: Message): string => message.isPinned; // wrong
""",
}

ERROR_LINE = re.compile(r"^(?P<file>[^\s(]+)\((?P<line>\d+),(?P<column>\d+)\): error (?P<code>TS\d+)", re.MULTILINE)


@pytest.fixture(scope="module")
def tsc() -> str:
    path = shutil.which("tsc")
    assert path, "tsc not found: install Debian's node-typescript (Scripts/test.sh does)"
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    binary = tablecast_binary()
    assert binary.is_file(), f"tablecast binary not found at {binary} (build it with `swift build`)"
    result = subprocess.run([str(binary), "contract", "typescript"], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    directory = tmp_path_factory.mktemp("typescript")
    (directory / "tablecast-events.d.ts").write_bytes(result.stdout)
    (directory / "socket.ts").write_text(SOCKET_STAND_IN)
    return directory


def run_tsc(tsc: str, directory: Path, files: List[str]) -> subprocess.CompletedProcess:
    return subprocess.run([tsc, *TSC_OPTIONS, *files], cwd=directory, capture_output=True, text=True,
                          timeout=TSC_TIMEOUT)


def test_declarations_compile_alone(tsc, project):
    result = run_tsc(tsc, project, ["tablecast-events.d.ts"])
    assert result.returncode == 0, f"tsc:\n{result.stdout}{result.stderr}"


def test_handlers_using_the_payload_fields_compile(tsc, project):
    (project / "good.ts").write_text(GOOD)
    result = run_tsc(tsc, project, ["tablecast-events.d.ts", "socket.ts", "good.ts"])
    assert result.returncode == 0, f"tsc:\n{result.stdout}{result.stderr}"


def test_wrong_uses_of_the_contract_fail_to_compile(tsc, project):
    files = []
    expected = {}
    for name, body in WRONG.items():
        file_name = f"wrong-{name}.ts"
        text = IMPORTS + body
        (project / file_name).write_text(text)
        files.append(file_name)
        expected[file_name] = [number for number, line in enumerate(text.splitlines(), 1) if MARK in line]
        assert len(expected[file_name]) == 1, name
    # One compiler run for all of them: each file is its own module, so each error belongs to one file.
    result = run_tsc(tsc, project, ["tablecast-events.d.ts", "socket.ts", *files])
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"the wrong files compiled:\n{output}"
    errors_by_file: Dict[str, List[int]] = {}
    for match in ERROR_LINE.finditer(output):
        errors_by_file.setdefault(match["file"], []).append(int(match["line"]))
    assert set(errors_by_file) <= set(files), f"errors outside the wrong files:\n{output}"
    for file_name, lines in expected.items():
        source = (project / file_name).read_text()
        assert errors_by_file.get(file_name), f"{file_name} compiled without error:\n{source}"
        assert errors_by_file[file_name] == lines, (
            f"{file_name}: errors at lines {errors_by_file[file_name]}, expected only at {lines}\n{output}"
        )
