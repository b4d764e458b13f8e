"""The model cache: bounded by bytes with least recently used out, one load for concurrent first
requests, and no keeping of a load its model's deletion overtook. The loader here is a counting
stand-in: the cache's own logic is under test; reading from the store is tested in
test_serving.py against the real store."""

import asyncio
from typing import Any

from app.inference.cache import ModelCache


class CountingLoader:
    def __init__(self) -> None:
        self.loads: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, document: dict[str, Any]) -> str:
        self.loads.append(str(document["_id"]))
        await self.gate.wait()
        return f"estimator {document['_id']}"


def doc(model_id: str, size: int = 100) -> dict[str, Any]:
    return {"_id": model_id, "size": size, "features": ["x"]}


async def test_concurrent_first_requests_load_once() -> None:
    loader = CountingLoader()
    loader.gate.clear()
    cache = ModelCache(max_bytes=1000, loader=loader)
    waiting = [asyncio.create_task(cache.get(doc("a"))) for _ in range(20)]
    await asyncio.sleep(0.01)
    loader.gate.set()
    entries = await asyncio.gather(*waiting)
    assert loader.loads == ["a"]
    assert {entry.estimator for entry in entries} == {"estimator a"}


async def test_least_recently_used_goes_first_when_bytes_run_out() -> None:
    loader = CountingLoader()
    cache = ModelCache(max_bytes=300, loader=loader)
    for name in "abc":
        await cache.get(doc(name))
    assert cache.peek("a") is not None  # a is now the most recently used
    await cache.get(doc("d"))
    assert "b" not in cache and all(name in cache for name in "acd")
    assert cache.bytes == 300


async def test_a_cancelled_waiter_does_not_cancel_the_shared_load() -> None:
    loader = CountingLoader()
    loader.gate.clear()
    cache = ModelCache(max_bytes=1000, loader=loader)
    impatient = asyncio.create_task(cache.get(doc("a")))
    patient = asyncio.create_task(cache.get(doc("a")))
    await asyncio.sleep(0.01)
    impatient.cancel()
    loader.gate.set()
    assert (await patient).estimator == "estimator a"
    assert "a" in cache and loader.loads == ["a"]


async def test_a_load_overtaken_by_its_deletion_is_not_kept() -> None:
    loader = CountingLoader()
    loader.gate.clear()
    cache = ModelCache(max_bytes=1000, loader=loader)
    loading = asyncio.create_task(cache.get(doc("a")))
    await asyncio.sleep(0.01)
    cache.invalidate("a")
    loader.gate.set()
    await loading
    assert "a" not in cache and cache.bytes == 0
    await cache.get(doc("a"))
    assert "a" in cache and loader.loads == ["a", "a"]
