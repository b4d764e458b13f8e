"""A TCP proxy a test puts between a process and a real store, to lose a reply on purpose.

It forwards both ways. Armed with a marker (bytes of one client message, e.g. the BSON of a
MongoDB `insert` into `models`, or Redis's `PSETEX` of an enqueue), it forwards the message
that carries the marker to the store, so the store acts on it, and then:
- `cut`: drops the store's reply and closes the connection, as a network failure or a killed
  connection does; with `down_for`, it also refuses new connections for that long (the store
  looks down);
- `hold`: holds the reply back for a while, then forwards it (a slow store).
A marker that spans two reads is not seen; the messages used here are small, single writes.
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

MONGODB_INSERT_INTO_MODELS = b"\x02insert\x00\x07\x00\x00\x00models\x00"
REDIS_ENQUEUE = b"PSETEX"


@dataclass
class Fault:
    marker: bytes
    action: str  # "cut" or "hold"
    seconds: float = 0.0  # hold: how long; cut: how long the store then looks down
    fired: asyncio.Event = field(default_factory=asyncio.Event)


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.fault: Fault | None = None
        self.down_until = 0.0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def arm(self, marker: bytes, action: str, seconds: float = 0.0) -> Fault:
        self.fault = Fault(marker, action, seconds)
        return self.fault

    def _take(self, data: bytes) -> Fault | None:
        fault = self.fault
        if fault is not None and fault.marker in data:
            self.fault = None
            return fault
        return None

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if time.monotonic() < self.down_until:
            client_w.close()
            return
        try:
            store_r, store_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_w.close()
            return
        held: dict[str, Any] = {"seconds": 0.0, "dropping": False}
        up = asyncio.create_task(self._upstream(client_r, store_w, held))
        down = asyncio.create_task(self._downstream(store_r, client_w, held))
        await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        for task in (up, down):
            task.cancel()
        await asyncio.gather(up, down, return_exceptions=True)
        for writer in (client_w, store_w):
            writer.close()

    async def _upstream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, held: dict[str, Any]
    ) -> None:
        while data := await reader.read(65536):
            fault = self._take(data)
            if fault is not None and fault.action == "cut":
                held["dropping"] = True
            elif fault is not None:
                held["seconds"] = fault.seconds
            writer.write(data)
            await writer.drain()
            if fault is not None and fault.action == "cut":
                await asyncio.sleep(0.5)  # the store acts on it; its reply is dropped
                self.down_until = time.monotonic() + fault.seconds
                fault.fired.set()
                return
            if fault is not None:
                fault.fired.set()

    async def _downstream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, held: dict[str, Any]
    ) -> None:
        while data := await reader.read(65536):
            if held["dropping"]:
                continue
            if held["seconds"]:
                seconds, held["seconds"] = held["seconds"], 0.0
                await asyncio.sleep(seconds)
            writer.write(data)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
