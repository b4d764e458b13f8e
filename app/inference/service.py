"""Serving a prediction: resolve the reference, take the model from the cache, check the rows,
predict, answer. Every predict route comes through `predict`, so every reference kind (id,
name and version, later aliases) gets the same checks, cache and metrics.

Where the prediction runs: a request of at most PREDICT_INLINE_MAX_ROWS rows to a model whose
last call cost at most PREDICT_INLINE_MAX_MS of CPU runs inline on the event loop, as the bare
endpoint does; bigger or slower ones run in a small thread pool. A thread frees the loop only
while the prediction releases the GIL, and a small request's prediction holds it almost
throughout (scikit-learn's checks, pandas indexing, a forest's per-tree Python): handed to a
thread, a one-row pipeline or forest cost 4 to 25 GIL hand-offs and ~1 ms more CPU per request,
and a fifth to a quarter of the throughput (bench/RESULTS.md, "Profile of the predict path").
The last call is timed in its thread's CPU time, so waiting for the GIL or for a busy machine
does not make a model look slow.
"""

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gridfs import AsyncGridFSBucket
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from app.config import Settings
from app.drift.sampling import LiveSampler, live_sampling
from app.explanations.local import Explainer
from app.inference import estimators
from app.inference.cache import LoadedModel, ModelCache
from app.inference.events import deletion_listener, publish_deletion
from app.inference.exceptions import InvalidPredictionInput
from app.inference.explaining import explain_rows, explainer_of
from app.inference.loading import load_model
from app.inference.rows import model_rows
from app.metrics import PREDICTED_ROWS, PREDICTION_STAGE_SECONDS, PREDICTIONS
from app.registry import aliases
from app.registry.exceptions import ModelNotFound
from app.registry.service import get_model, parse_model_id, resolve_model
from app.resources import Resources
from app.storage import CHUNKS
from tensorfleet.schemas.inference import (
    ModelAnswered,
    ModelRef,
    PredictRequest,
    PredictResponse,
    RowExplanation,
)


@dataclass(slots=True)
class Inference:
    """The API process's serving state: the model cache and the threads that predict."""

    settings: Settings
    db: AsyncDatabase
    bucket: AsyncGridFSBucket
    cache: ModelCache
    executor: ThreadPoolExecutor
    sampler: LiveSampler
    background: set[asyncio.Task[None]] = field(default_factory=set)  # e.g. shadow predictions

    def run_in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` after the response; cancelled at shutdown, never awaited by a request."""
        task = asyncio.create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def forget(self, redis: Any, model_id: str) -> None:
        """A model was deleted here: evict it now, tell the other API processes, drop its
        live sample."""
        model_id = str(parse_model_id(model_id))
        self.cache.invalidate(model_id)
        await publish_deletion(redis, self.settings.mongodb_db, model_id)
        await self.sampler.forget(model_id)


@contextlib.asynccontextmanager
async def open_inference(resources: Resources) -> AsyncIterator[Inference]:
    settings = resources.settings
    executor = ThreadPoolExecutor(settings.predict_threads, thread_name_prefix="predict")

    async def loader(document: dict[str, Any]) -> Any:
        return await load_model(
            resources.gridfs,
            resources.db[CHUNKS],
            document,
            max_bytes=settings.model_cache_bytes,
            executor=executor,
        )

    cache = ModelCache(max_bytes=settings.model_cache_bytes, loader=loader)
    sampler = LiveSampler(
        resources.redis,
        settings.mongodb_db,
        rate=settings.drift_sample_rate,
        cap=settings.drift_sample_cap,
        flush_seconds=settings.drift_flush_seconds,
    )
    inference = Inference(settings, resources.db, resources.gridfs, cache, executor, sampler)
    try:
        async with (
            deletion_listener(resources.redis, settings.mongodb_db, cache),
            live_sampling(sampler),
        ):
            yield inference
    finally:
        for task in list(inference.background):
            task.cancel()
        executor.shutdown(wait=False, cancel_futures=True)


async def resolve(inference: Inference, ref: ModelRef) -> LoadedModel:
    """The loaded model a reference names; ModelNotFound when there is none.

    By id (and by alias, whose document holds the id), a trusted cache answers without a
    model read; names go through the registry's one resolver."""
    db, cache = inference.db, inference.cache
    if ref.alias is not None:
        target = await aliases.get_alias(db, name=str(ref.name), alias=ref.alias)
        return await _by_id(inference, str(target["model_id"]), ref)
    if ref.model_id is None:
        return await cache.get(await resolve_model(db, ref))
    return await _by_id(inference, str(parse_model_id(ref.model_id)), ref)


async def _by_id(inference: Inference, model_id: str, ref: ModelRef) -> LoadedModel:
    """`model_id` is in the cache key's spelling (ObjectId's lower-case hex)."""
    db, cache = inference.db, inference.cache
    if cache.trusted and (entry := cache.peek(model_id)) is not None:
        return entry
    try:
        document = await get_model(db, model_id=model_id)
    except ModelNotFound:
        cache.invalidate(model_id)
        if ref.alias is not None:  # a forced delete raced this read of the alias
            gone = f"alias {ref.alias!r} of {ref.name!r} names a deleted model"
            raise ModelNotFound(gone) from None
        raise
    return await cache.get(document)


def parse_request(body: bytes) -> PredictRequest:
    try:
        return PredictRequest.model_validate_json(body)
    except ValidationError as exc:
        errors = [
            {"type": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"]}
            for e in exc.errors(include_url=False)
        ]
        raise InvalidPredictionInput(errors) from None


def _number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


Predicted = tuple[list, list | None, list | None]  # predictions, probabilities, explanations


def run_model(
    model: LoadedModel, X: Any, probabilities: bool, explainer: Explainer | None = None
) -> Predicted:
    """Predictions (and probabilities by class name, and explanations), as plain JSON values."""
    estimator, started = model.estimator, time.thread_time()
    labels, by_class = estimators.predict(estimator, X, probabilities)
    predicted, proba = labels.tolist(), None
    if by_class is not None:
        classes = [str(c) for c in estimator.classes_]
        proba = [
            {c: _number(p) for c, p in zip(classes, row, strict=True)} for row in by_class.tolist()
        ]
    if explainer is None:  # an explained call's time says nothing of a plain one
        model.predict_seconds = time.thread_time() - started
    if model.document.get("task") == "regression":
        predicted = [_number(float(p)) for p in predicted]
    else:
        predicted = [str(p) for p in predicted]
    explained = None if explainer is None else explain_rows(explainer, estimator, X, predicted)
    return predicted, proba, explained


def runs_inline(settings: Settings, model: LoadedModel, rows: int) -> bool:
    last = model.predict_seconds
    return (
        rows <= settings.predict_inline_max_rows
        and last is not None
        and last * 1000 <= settings.predict_inline_max_ms
    )


async def _predict(
    inference: Inference, model: LoadedModel, request: PredictRequest, X: Any
) -> Predicted:
    rows, settings, explainer = len(X), inference.settings, None
    if request.explain:
        explainer = await explainer_of(inference.db, model, rows, settings.explain_max_rows)
    try:
        if explainer is None and runs_inline(settings, model, rows):
            return run_model(model, X, request.probabilities)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            inference.executor, run_model, model, X, request.probabilities, explainer
        )
    except (ValueError, TypeError) as exc:  # rows that passed the checks but not the model
        message = f"the model could not predict these rows: {str(exc)[:300]}"
        error = {"type": "value_error", "loc": ["body"], "msg": message}
        raise InvalidPredictionInput([error]) from None


@dataclass(slots=True)
class Answer:
    """A served prediction before it is serialised: endpoints compare and label it."""

    model: LoadedModel
    ref: ModelRef
    predicted: Predicted

    @property
    def predictions(self) -> list:
        return self.predicted[0]

    def body(self, endpoint: str | None = None) -> bytes:
        model, started = self.model, time.perf_counter()
        predictions, probabilities, explanations = self.predicted
        answered = ModelAnswered(
            id=model.model_id,
            name=model.document["name"],
            version=model.document["version"],
            alias=self.ref.alias,
        )
        fields: dict[str, Any] = {}
        if explanations is not None:
            rows = [RowExplanation.model_construct(**row) for row in explanations]
            fields = {"explanations": rows, "explanation_method": model.explainer.method}
        response = PredictResponse.model_construct(
            model=answered,
            endpoint=endpoint,
            predictions=predictions,
            probabilities=probabilities,
            **fields,
        )
        body = response.model_dump_json().encode()
        PREDICTION_STAGE_SECONDS.labels("serialise").observe(time.perf_counter() - started)
        return body


async def answer(inference: Inference, ref: ModelRef, body: bytes) -> Answer:
    """The referenced model's predictions for these rows, counted and timed."""
    try:
        model = await resolve(inference, ref)
    except ModelNotFound:
        PREDICTIONS.labels("", "", "not_found").inc()
        raise
    return await answer_with(inference, model, ref, body)


async def answer_with(
    inference: Inference, model: LoadedModel, ref: ModelRef, body: bytes
) -> Answer:
    """`answer` for a model already resolved (an endpoint knows the version before it asks)."""
    labels = (str(model.document["name"]), str(model.document["version"]))
    try:
        started = time.perf_counter()
        request = parse_request(body)
        X = model_rows(request, model.input, max_rows=inference.settings.predict_max_rows)
        parsed = time.perf_counter()
        predicted = await _predict(inference, model, request, X)
    except InvalidPredictionInput:
        PREDICTIONS.labels(*labels, "invalid_input").inc()
        raise
    except Exception:
        PREDICTIONS.labels(*labels, "error").inc()
        raise
    PREDICTION_STAGE_SECONDS.labels("parse").observe(parsed - started)
    PREDICTION_STAGE_SECONDS.labels("predict").observe(time.perf_counter() - parsed)
    PREDICTIONS.labels(*labels, "ok").inc()
    PREDICTED_ROWS.labels(labels[0]).inc(len(predicted[0]))
    inference.sampler.offer(
        model.model_id, model.document.get("drift_reference") is True, X, predicted[0]
    )
    return Answer(model, ref, predicted)


async def predict(inference: Inference, ref: ModelRef, body: bytes) -> bytes:
    """The JSON response body for these rows from the referenced model."""
    return (await answer(inference, ref, body)).body()
