"""Batch prediction use cases: submit (check, record, queue), read, list per model, cancel,
delete, and open the output for download. The router calls only these.

The model reference (an id, a name's latest, a version or an alias) resolves through the
registry's one resolver (app.registry.service.resolve_model) and is pinned to its id at
submission, as the dataset version is: the job predicts what was checked, whatever is
published or moved meanwhile.
"""

import asyncio
import contextlib
import uuid
from typing import Any

from arq.connections import ArqRedis
from gridfs.asynchronous.grid_file import AsyncGridOut
from gridfs.errors import NoFile
from pymongo.asynchronous.database import AsyncDatabase
from redis.exceptions import RedisError

from app.batch import files, jobs
from app.batch.exceptions import BatchPredictionBusy, BatchPredictionNotFound
from app.batch.plan import plan_batch
from app.config import Settings
from app.datasets import store
from app.datasets.service import resolve_for_training
from app.paging import page_count
from app.registry.download import UNSAFE
from app.registry.exceptions import ModelFileMissing
from app.registry.service import parse_model_id, resolve_model
from app.training import queue
from app.training.exceptions import JobAlreadyEnded, QueueUnavailable, TooManyActiveJobs
from tensorfleet.schemas.batch import (
    BatchPredictionList,
    BatchPredictionRead,
    BatchPredictRequest,
)
from tensorfleet.schemas.inference import ModelRef

ROOT = "/api/v1/batch-predictions"


def location(job_id: str) -> str:
    return f"{ROOT}/{job_id}"


def read(document: dict[str, Any]) -> BatchPredictionRead:
    job_id = document["_id"]
    fields = {k: v for k, v in document.items() if k in BatchPredictionRead.model_fields}
    succeeded = document["status"] == "succeeded"
    return BatchPredictionRead(
        **fields,
        job_id=job_id,
        location=location(job_id),
        download=f"{location(job_id)}/download" if succeeded else None,
    )


async def _dataset_version(db: AsyncDatabase, request: BatchPredictRequest) -> dict[str, Any]:
    """The ready version the request names (422 naming the field otherwise), in full."""
    chosen = await resolve_for_training(db, request.dataset_name, request.dataset_version)
    version = await store.get_version(db, request.dataset_name, chosen["version"])
    if version is None:  # deleted between the two reads
        return await _dataset_version(db, request)
    return version


async def submit(
    *,
    db: AsyncDatabase,
    redis: ArqRedis,
    settings: Settings,
    ref: ModelRef,
    request: BatchPredictRequest,
    owner: str,
) -> dict[str, Any]:
    """Check that the model can predict the version, record the job, queue it. Nothing stays
    recorded when a check fails or the queue is down."""
    model = await resolve_model(db, ref)
    version = await _dataset_version(db, request)
    plan_batch(model, version, request, settings.batch_predict_max_rows)
    pinned = request.model_copy(update={"dataset_version": version["version"]})
    document = jobs.new_document(
        uuid.uuid4().hex, model, pinned, int(version.get("n_samples") or 0), owner
    )
    await jobs.insert(db, document)
    cap = settings.max_active_jobs_per_key
    if cap and await jobs.count_active(db, owner) > cap:
        await jobs.delete(db, document["_id"])
        raise TooManyActiveJobs(cap)
    try:
        await queue.enqueue_batch_prediction(redis, document["_id"])
    except (RedisError, OSError) as exc:
        # Should Redis have stored it after all, the worker finds no job and skips it.
        await jobs.delete(db, document["_id"])
        raise QueueUnavailable(f"the job queue is unavailable ({exc}); submit again") from None
    return document


async def get(db: AsyncDatabase, job_id: str) -> dict[str, Any]:
    document = await jobs.get(db, job_id)
    if document is None:
        raise BatchPredictionNotFound(job_id)
    return document


async def list_for_model(
    db: AsyncDatabase, model_id: str, *, page: int, limit: int
) -> BatchPredictionList:
    """A model's batch predictions, newest first (also those of a model deleted since)."""
    model_id = str(parse_model_id(model_id))
    items, total = await jobs.list_for_model(db, model_id, page=page, limit=limit)
    return BatchPredictionList(
        items=[read(document) for document in items],
        total=total,
        page=page,
        limit=limit,
        pages=page_count(total, limit),
    )


async def cancel(db: AsyncDatabase, redis: ArqRedis, job_id: str) -> dict[str, Any]:
    """End a queued or running job as cancelled; a running one stops at its next chunk (the
    abort stops it sooner, at its current await) and removes its partial output."""
    existing = await get(db, job_id)
    cancelled = await jobs.mark_cancelled(db, job_id)
    if cancelled is None:
        ended = await get(db, job_id)
        raise JobAlreadyEnded(job_id, ended["status"])
    if existing["status"] == "running":
        with contextlib.suppress(asyncio.TimeoutError, RedisError, OSError):
            await queue.abort_batch_prediction(redis, job_id)
    return cancelled


async def delete(db: AsyncDatabase, job_id: str) -> None:
    """Delete an ended job: its record first, then its output file."""
    document = await get(db, job_id)
    if document["status"] in ("queued", "running"):
        raise BatchPredictionBusy(job_id, document["status"], "cancel it before deleting it")
    await jobs.delete(db, job_id)
    await files.delete_file(db, document.get("file_id"))


def download_name(document: dict[str, Any]) -> str:
    model, request = document["model"], document["request"]
    stem = f"{model['name']}-v{model['version']}-{request['dataset_name']}"
    stem = UNSAFE.sub("_", f"{stem}-v{request['dataset_version']}").strip("._") or "predictions"
    return f"{stem}.{request['format']}"


async def open_output(db: AsyncDatabase, job_id: str) -> tuple[dict[str, Any], AsyncGridOut]:
    """The succeeded job and its output file, opened for streaming."""
    document = await get(db, job_id)
    if document["status"] != "succeeded":
        raise BatchPredictionBusy(job_id, document["status"], "only a succeeded job has output")
    try:
        return document, await files.bucket(db).open_download_stream(document["file_id"])
    except NoFile:
        raise ModelFileMissing(f"the output of batch prediction {job_id!r} is missing") from None
