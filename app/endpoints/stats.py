"""Per endpoint and version counts in Redis, so every API process adds to the same numbers and
`GET /api/v1/endpoints/{endpoint}/stats` reads them whole; Prometheus gets the same events
per process (app/metrics.py).

One hash per endpoint, fields `<role>:<version>:<counter>` (role `route` or `shadow`;
counters requests, errors, invalid, answered, latency_us) and `shadow:rows`,
`shadow:disagreed`, `shadow:skipped`; one list of the latest shadow comparisons, trimmed to
SAMPLES. Recording is best effort: a Redis failure is logged, never a failed prediction.
"""

import json
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.metrics import ENDPOINT_LATENCY, ENDPOINT_REQUESTS, SHADOW_ROWS
from tensorfleet.schemas.endpoints import ShadowSample, ShadowStats, VersionStats

logger = logging.getLogger(__name__)

SAMPLES = 50
OUTCOME_COUNTER = {"ok": "answered", "error": "errors", "invalid_input": "invalid"}


def keys(database: str, endpoint: str) -> tuple[str, str]:
    base = f"tensorfleet:{database}:endpoint:{endpoint}"
    return f"{base}:stats", f"{base}:samples"


async def record(
    redis: Redis, database: str, endpoint: str, served: tuple[str, int, str], seconds: float
) -> None:
    """One request: `served` is (role, version, outcome: ok, error or invalid_input)."""
    role, version, outcome = served
    ENDPOINT_REQUESTS.labels(endpoint, str(version), role, outcome).inc()
    field = f"{role}:{version}"
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(keys(database, endpoint)[0], f"{field}:requests", 1)
            pipe.hincrby(keys(database, endpoint)[0], f"{field}:{OUTCOME_COUNTER[outcome]}", 1)
            if outcome == "ok":
                ENDPOINT_LATENCY.labels(endpoint, str(version), role).observe(seconds)
                pipe.hincrby(keys(database, endpoint)[0], f"{field}:latency_us", int(seconds * 1e6))
            await pipe.execute()
    except RedisError as exc:
        logger.warning("endpoint %s: stats not recorded: %s", endpoint, exc)


async def record_comparison(
    redis: Redis, database: str, endpoint: str, sample: ShadowSample
) -> None:
    SHADOW_ROWS.labels(endpoint, str(sample.shadow_version), "agreed").inc(
        sample.rows - sample.disagreed_rows
    )
    SHADOW_ROWS.labels(endpoint, str(sample.shadow_version), "disagreed").inc(sample.disagreed_rows)
    stats, samples = keys(database, endpoint)
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(stats, "shadow:rows", sample.rows)
            pipe.hincrby(stats, "shadow:disagreed", sample.disagreed_rows)
            pipe.lpush(samples, sample.model_dump_json())
            pipe.ltrim(samples, 0, SAMPLES - 1)
            await pipe.execute()
    except RedisError as exc:
        logger.warning("endpoint %s: shadow comparison not recorded: %s", endpoint, exc)


async def record_skipped(redis: Redis, database: str, endpoint: str) -> None:
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(keys(database, endpoint)[0], "shadow:skipped", 1)
            await pipe.execute()
    except RedisError as exc:
        logger.warning("endpoint %s: skipped shadow not recorded: %s", endpoint, exc)


async def forget(redis: Redis, database: str, endpoint: str) -> None:
    await redis.delete(*keys(database, endpoint))


def _counters(raw: dict[Any, Any]) -> dict[str, int]:
    return {(k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in raw.items()}


def _one(counters: dict[str, int], role: str, version: str, routed: int) -> VersionStats:
    def count(name: str) -> int:
        return counters.get(f"{role}:{version}:{name}", 0)

    answered, requests = count("answered"), count("requests")
    return VersionStats(
        version=int(version),
        role="route" if role == "route" else "shadow",
        requests=requests,
        errors=count("errors"),
        invalid_input=count("invalid"),
        mean_latency_ms=count("latency_us") / answered / 1000 if answered else None,
        share=requests / routed if role == "route" and routed else None,
    )


def version_stats(counters: dict[str, int]) -> list[VersionStats]:
    """Routes first, then the shadow, each by version."""
    seen = {tuple(f.split(":")[:2]) for f in counters if f.count(":") == 2}
    routed = sum(counters.get(f"route:{v}:requests", 0) for role, v in seen if role == "route")
    order = sorted(seen, key=lambda rv: (rv[0] != "route", int(rv[1])))
    return [_one(counters, role, version, routed) for role, version in order]


async def read(
    redis: Redis, database: str, endpoint: str, *, shadowed: bool
) -> tuple[list[VersionStats], ShadowStats | None]:
    stats_key, samples_key = keys(database, endpoint)
    async with redis.pipeline(transaction=False) as pipe:  # one round trip, typed results
        pipe.hgetall(stats_key)
        pipe.lrange(samples_key, 0, SAMPLES - 1)
        raw, samples = await pipe.execute()
    counters = _counters(raw)
    versions = version_stats(counters)
    if not shadowed and "shadow:rows" not in counters:
        return versions, None
    compared, disagreed = counters.get("shadow:rows", 0), counters.get("shadow:disagreed", 0)
    recent = [ShadowSample.model_validate(json.loads(sample)) for sample in samples]
    shadow = ShadowStats(
        compared_rows=compared,
        disagreed_rows=disagreed,
        disagreement_rate=disagreed / compared if compared else None,
        skipped=counters.get("shadow:skipped", 0),
        recent=recent,
    )
    return versions, shadow
