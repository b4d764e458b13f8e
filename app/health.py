"""Readiness checks of the stores, each bounded by a short timeout."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Literal

import pymongo
from pydantic import BaseModel

from app.resources import Resources

DependencyState = Literal["up", "down"]


class DependencyHealth(BaseModel):
    status: DependencyState
    latency_ms: float | None = None
    error: str | None = None


class HealthRead(BaseModel):
    status: Literal["ok", "unavailable"]
    dependencies: dict[str, DependencyHealth]


async def _timed(check: Callable[[], Awaitable[object]], timeout: float) -> DependencyHealth:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            await check()
    except Exception as exc:
        message = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return DependencyHealth(status="down", error=message)
    return DependencyHealth(status="up", latency_ms=round((time.perf_counter() - started) * 1e3, 2))


async def check_health(resources: Resources) -> HealthRead:
    timeout = resources.settings.dependency_timeout_seconds

    async def ping_mongodb() -> None:
        with pymongo.timeout(timeout):
            await resources.db.command("ping")

    mongodb, redis = await asyncio.gather(
        _timed(ping_mongodb, timeout), _timed(resources.redis.ping, timeout)
    )
    dependencies = {"mongodb": mongodb, "redis": redis}
    ok = all(d.status == "up" for d in dependencies.values())
    return HealthRead(status="ok" if ok else "unavailable", dependencies=dependencies)
