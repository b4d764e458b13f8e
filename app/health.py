"""Readiness checks of the stores, each bounded by a short timeout."""

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

import pymongo

from app.resources import Resources
from tensorfleet.schemas.health import DependencyHealth, HealthRead


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


class CachedHealth:
    """/health's answer, computed at most once per HEALTH_CACHE_SECONDS.

    A probe, a load balancer and a curious client all asking at once must not multiply the
    pings: within the TTL the last report is reused, and while a check runs every caller awaits
    that one check (shielded, so a caller that gives up does not cancel it for the others).
    """

    def __init__(self, resources: Resources, ttl_seconds: float) -> None:
        self._resources = resources
        self._ttl = ttl_seconds
        self._report: HealthRead | None = None
        self._checked_at = -math.inf
        self._running: asyncio.Task[HealthRead] | None = None

    async def report(self) -> HealthRead:
        if self._report is not None and time.monotonic() - self._checked_at < self._ttl:
            return self._report
        if self._running is None:
            self._running = asyncio.create_task(self._check())
        return await asyncio.shield(self._running)

    async def _check(self) -> HealthRead:
        try:
            report = await check_health(self._resources)
            self._report, self._checked_at = report, time.monotonic()
            return report
        finally:
            self._running = None

    async def close(self) -> None:
        if self._running is not None:
            self._running.cancel()
            await asyncio.gather(self._running, return_exceptions=True)
