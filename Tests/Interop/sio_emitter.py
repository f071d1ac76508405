"""A python-socketio server (aiohttp) that broadcasts a known sequence on /events, for `tablecast record` tests.

Usage: sio_emitter.py PORT FIRST_N [RATE_PER_SECOND]

Every client on /events receives event number n, n+1, … (from FIRST_N, at RATE per second while anyone is
connected). Event n is named NAMES[n % len(NAMES)] and carries payload(n), whose bytes are what python-socketio's
encoder writes for it: compact separators, non-ASCII escaped. Prints "emitter listening on PORT" once it serves.
"""

import asyncio
import sys

import socketio
from aiohttp import web

NAMES = ["order:created", "tick", "newMessage", "weird name/with slash"]


def payload(n):
    return {"n": n, "text": "caf\u00e9 / \"quoted\" \\ back", "nested": {"z": [1, 2.5, None, True], "a": "ü"},
            "empty": {}}


async def main():
    port, first = int(sys.argv[1]), int(sys.argv[2])
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 200.0
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)
    clients = set()

    @sio.on("connect", namespace="/events")
    async def connect(sid, environ, auth=None):
        clients.add(sid)

    @sio.on("disconnect", namespace="/events")
    async def disconnect(sid, reason=None):
        clients.discard(sid)

    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(f"emitter listening on {port}", flush=True)
    n = first
    while True:
        if clients:
            await sio.emit(NAMES[n % len(NAMES)], payload(n), namespace="/events")
            n += 1
        await asyncio.sleep(1 / rate)


if __name__ == "__main__":
    asyncio.run(main())
