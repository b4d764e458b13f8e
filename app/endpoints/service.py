"""Serving through an A/B endpoint: read its routes (one document, so a weight change is seen
whole), choose a route (app/endpoints/routing.py), resolve and predict through the same path
as every predict route, count the outcome per version, and hand a copy to the shadow.

The shadow runs after the answer, in the API process's background set, at most
SHADOW_IN_FLIGHT at a time (further copies are skipped and counted, so a slow shadow never
queues unbounded work); its predictions are compared with the served ones and recorded, never
returned.
"""

import logging
import time
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from app.endpoints import routing, stats, store
from app.endpoints.checks import target_ref
from app.inference.exceptions import InvalidPredictionInput
from app.inference.service import Answer, Inference, answer_with, resolve
from app.registry.exceptions import ModelNotFound
from tensorfleet.schemas.endpoints import Route, ShadowSample, Target

logger = logging.getLogger(__name__)

SHADOW_IN_FLIGHT = 16
SAMPLE_ROWS = 5
RELATIVE_TOLERANCE = 0.01  # numbers further apart than 1% disagree


async def serve(
    inference: Inference,
    redis: Redis,
    endpoint: dict[str, Any],
    target: Target,
    body: bytes,
    role: str = "route",
) -> Answer:
    """One version's answer through the endpoint, counted under its role (route or shadow)."""
    name, started = endpoint["_id"], time.perf_counter()
    ref = target_ref(endpoint["model"], target)
    model = await resolve(inference, ref)
    database, version = inference.settings.mongodb_db, int(model.document["version"])
    try:
        answer = await answer_with(inference, model, ref, body)
    except InvalidPredictionInput:
        await stats.record(redis, database, name, (role, version, "invalid_input"), 0.0)
        raise
    except Exception:
        await stats.record(redis, database, name, (role, version, "error"), 0.0)
        raise
    seconds = time.perf_counter() - started
    await stats.record(redis, database, name, (role, version, "ok"), seconds)
    return answer


async def predict(
    inference: Inference, redis: Redis, *, name: str, body: bytes, routing_key: str | None
) -> bytes:
    """The response body: the chosen version's answer, naming the endpoint."""
    endpoint = await store.get_endpoint(inference.db, name=name)
    routes = [Route.model_validate(route) for route in endpoint["routes"]]
    answer = await serve(
        inference, redis, endpoint, routing.choose(name, routes, routing_key), body
    )
    if endpoint.get("shadow"):
        await send_to_shadow(inference, redis, endpoint, answer, body)
    return answer.body(endpoint=name)


async def send_to_shadow(
    inference: Inference, redis: Redis, endpoint: dict[str, Any], served: Answer, body: bytes
) -> None:
    if len(inference.background) >= SHADOW_IN_FLIGHT:
        await stats.record_skipped(redis, inference.settings.mongodb_db, endpoint["_id"])
        return
    inference.run_in_background(shadow(inference, redis, endpoint, served, body))


def disagrees(served: Any, shadowed: Any) -> bool:
    numbers = all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in (served, shadowed)
    )
    if not numbers:
        return bool(served != shadowed)
    return abs(served - shadowed) > RELATIVE_TOLERANCE * max(abs(served), abs(shadowed))


async def shadow(
    inference: Inference, redis: Redis, endpoint: dict[str, Any], served: Answer, body: bytes
) -> None:
    """Ask the shadow the same rows and record how far it agrees; failures are counted."""
    target = Target.model_validate(endpoint["shadow"])
    try:
        answer = await serve(inference, redis, endpoint, target, body, role="shadow")
    except (ModelNotFound, InvalidPredictionInput):
        return
    except Exception as exc:
        logger.warning("endpoint %s: shadow %s failed: %s", endpoint["_id"], target.label, exc)
        return
    pairs = list(zip(served.predictions, answer.predictions, strict=False))
    sample = ShadowSample(
        at=datetime.now(UTC),
        served_version=served.model.document["version"],
        shadow_version=answer.model.document["version"],
        rows=len(pairs),
        disagreed_rows=sum(disagrees(a, b) for a, b in pairs),
        served=served.predictions[:SAMPLE_ROWS],
        shadow=answer.predictions[:SAMPLE_ROWS],
    )
    await stats.record_comparison(redis, inference.settings.mongodb_db, endpoint["_id"], sample)
