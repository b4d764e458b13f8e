"""One load generator for every server: a fixed number of concurrent async clients posting the
same body for a fixed time; every latency is kept (p50, p99) and requests per second counted.
`paced` is the open-loop twin for a moderate load: requests sent at a fixed rate, each on its
own, whatever the answers before it (so a slow answer does not slow the load down).

The generator runs in this process on the same machine as the servers, so it takes CPU from
them; it takes the same from each, which is what a comparison needs.
"""

import asyncio
import contextlib
import gc
import time
from collections.abc import Iterator
from typing import Any

import httpx

from bench.stats import percentile


async def _client(http: httpx.AsyncClient, url: str, body: bytes, until: float, out: list) -> None:
    while time.perf_counter() < until:
        await _timed(http, url, body, out)


async def _load(url: str, body: bytes, concurrency: int, seconds: float) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        for _ in range(3):  # warm the connections (and the model)
            await http.post(url, content=body, headers={"content-type": "application/json"})
        latencies: list[float] = []
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(
            *(_client(http, url, body, until, latencies) for _ in range(concurrency))
        )
        elapsed = time.perf_counter() - started
    return summary(latencies, elapsed)


async def _timed(http: httpx.AsyncClient, url: str, body: bytes, out: list) -> None:
    started = time.perf_counter()
    response = await http.post(url, content=body, headers={"content-type": "application/json"})
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
    out.append(time.perf_counter() - started)


async def _paced(url: str, body: bytes, rate: float, seconds: float) -> dict[str, Any]:
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=64), timeout=30) as http:
        for _ in range(3):
            await http.post(url, content=body, headers={"content-type": "application/json"})
        latencies: list[float] = []
        sent: list[asyncio.Task] = []
        started = time.perf_counter()
        for number in range(max(1, int(rate * seconds))):
            await asyncio.sleep(max(0.0, started + number / rate - time.perf_counter()))
            sent.append(asyncio.create_task(_timed(http, url, body, latencies)))
        await asyncio.gather(*sent)
        elapsed = time.perf_counter() - started
    return summary(latencies, elapsed) | {"rate": round(rate, 1)}


def summary(latencies: list[float], elapsed: float) -> dict[str, Any]:
    return {
        "n": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 99) * 1000, 3),
        "rps": round(len(latencies) / elapsed, 1),
    }


@contextlib.contextmanager
def no_collector_pauses() -> Iterator[None]:
    """The generator's own full garbage collections (up to 110 ms in this process) would count
    against whichever server it was measuring at that moment: collect first, none during."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def load(url: str, body: bytes, *, concurrency: int, seconds: float) -> dict[str, Any]:
    with no_collector_pauses():
        return asyncio.run(_load(url, body, concurrency, seconds))


def paced(url: str, body: bytes, *, rate: float, seconds: float) -> dict[str, Any]:
    """`rate` requests per second for `seconds`, sent on schedule (open loop)."""
    with no_collector_pauses():
        return asyncio.run(_paced(url, body, rate, seconds))


def first_request_ms(url: str, body: bytes) -> float:
    """One request on a fresh connection, in ms. The client is made before the clock starts:
    making one costs the caller about 25 ms (httpx builds an SSL context even for http://),
    which is the client's own cost and was counted in every first request until then."""
    with httpx.Client() as client:
        started = time.perf_counter()
        response = client.post(url, content=body, headers={"content-type": "application/json"})
        elapsed = time.perf_counter() - started
    response.raise_for_status()
    return round(elapsed * 1000, 3)
