"""A python-socketio server that sends traced events the way tablecast does, but drops, repeats and reorders some on
purpose, to check `tablecast load`'s detection.

Usage: sio_traced_emitter.py PORT CLIENTS [flaky-health]

Once CLIENTS clients are on /events it sends seq 1..100 with `{"seq":N,"emittedAt":T}` as the second argument,
except: seq 10 is never sent (lost), seq 20 is sent twice (duplicate), seq 31 is sent before seq 30 (out of order).
GET /_tablecast/health answers {"lastSeq":100} once it is done (0 before). With `flaky-health`, its first request
after that gets its connection closed without an answer, as a saturated server's may time out.
"""

import asyncio
import sys
import time

import socketio
from aiohttp import web


async def main():
    port, expected = int(sys.argv[1]), int(sys.argv[2])
    flaky = len(sys.argv) > 3 and sys.argv[3] == "flaky-health"
    sio = socketio.AsyncServer(async_mode="aiohttp")
    app = web.Application()
    sio.attach(app)
    clients = set()
    state = {"lastSeq": 0, "dropped": False}

    @sio.on("connect", namespace="/events")
    async def connect(sid, environ, auth=None):
        clients.add(sid)

    async def health(request):
        if flaky and state["lastSeq"] == 100 and not state["dropped"]:
            state["dropped"] = True
            request.transport.close()
            return web.Response()
        return web.json_response({"status": "ok", "clients": len(clients), "lastSeq": state["lastSeq"]})

    app.router.add_get("/_tablecast/health", health)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(f"emitter listening on {port}", flush=True)
    while len(clients) < expected:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    order = [n for n in range(1, 101) if n != 10]
    order.insert(order.index(20), 20)
    i30, i31 = order.index(30), order.index(31)
    order[i30], order[i31] = 31, 30
    for n in order:
        await sio.emit("tick", ({"n": n}, {"seq": n, "emittedAt": time.monotonic_ns()}), namespace="/events")
        await asyncio.sleep(0.002)
    state["lastSeq"] = 100
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main())
