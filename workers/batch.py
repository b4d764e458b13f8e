"""The arq job that predicts a dataset version with a model into a file in GridFS.

The model loads only from the file the worker wrote when it trained it, its sha256 checked
first (app/inference/loading.py, as online predictions). The version's normalised copy goes
from GridFS to a temporary file and is read in chunks of BATCH_PREDICT_CHUNK_ROWS; each chunk
is predicted in a thread and its output streamed into the upload, then progress is written.
That progress write is also the cancellation check: on an ended (cancelled) job it reports so,
and the job stops, aborting its upload (an abort from the API stops it sooner, at its current
await). The output file is complete before the job ends succeeded, and a job cancelled in
that moment has its file removed. Jobs are at-least-once: an ended job is left alone, and an
attempt cut short leaves at most an unfinished upload, which the prediction sweep removes.
"""

import asyncio
import contextlib
import hashlib
import logging
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridfs.asynchronous.grid_file import AsyncGridIn

from app.batch import files, jobs
from app.batch.exceptions import InvalidBatchRequest
from app.batch.output import ChunkPredictor, PredictionFailed
from app.batch.plan import BatchPlan, plan_batch
from app.datasets import store
from app.inference.exceptions import InferenceError
from app.inference.loading import load_model
from app.registry.exceptions import RegistryError
from app.registry.service import get_model
from app.storage import CHUNKS
from tensorfleet.schemas.batch import BatchPredictRequest
from workers.context import WorkerContext, job_attempt, worker_context
from workers.ingest import download
from workers.lease import holding_lease

logger = logging.getLogger(__name__)
# What ends a job failed with its message: the model or the data gone or unfit, a chunk refused.
EXPECTED = (InvalidBatchRequest, PredictionFailed, RegistryError, InferenceError, LookupError)


class Cancelled(Exception):
    """The job ended (cancelled) while it ran."""


@dataclass
class Run:
    """One attempt's state: the job, its threads, and the upload it writes."""

    worker: WorkerContext
    job: dict[str, Any]
    threads: ThreadPoolExecutor
    upload: AsyncGridIn | None = None
    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0

    @property
    def db(self) -> Any:
        return self.worker.resources.db

    async def in_thread(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.threads, function, *args)

    async def write(self, data: bytes) -> None:
        if data and self.upload is not None:
            self.digest.update(data)
            self.size += len(data)
            await self.upload.write(data)


async def load_inputs(run: Run, directory: Path) -> tuple[Any, BatchPlan, Path]:
    """The verified model, the plan checked again against what is stored now, and the copy."""
    job, settings = run.job, run.worker.settings
    request = BatchPredictRequest.model_validate(job["request"])
    model = await get_model(run.db, model_id=job["model"]["id"])
    number = int(request.dataset_version or 0)
    version = await store.get_version(run.db, request.dataset_name, number)
    if version is None or version["status"] != "ready":
        raise LookupError(f"dataset {request.dataset_name!r} v{request.dataset_version} is gone")
    plan = plan_batch(model, version, request, settings.batch_predict_max_rows)
    estimator = await load_model(
        run.worker.resources.gridfs,
        run.db[CHUNKS],
        model,
        max_bytes=settings.model_cache_bytes,
        executor=run.threads,
    )
    source = directory / "rows.parquet"
    await download(run.db, version["normalised_file_id"], source)
    return estimator, plan, source


async def report(run: Run, rows_done: int, rows_total: int, **extra: Any) -> None:
    changes = {"progress": jobs.progress("predicting", rows_done, rows_total)} | extra
    if not await jobs.set_progress(run.db, run.job["_id"], changes):
        raise Cancelled()


async def predict_into_upload(run: Run, predictor: ChunkPredictor) -> int:
    """Every chunk predicted and streamed into the open upload; the number of rows."""
    total, done = predictor.rows_total, 0
    await report(run, 0, total, file_id=run.upload._id if run.upload else None)
    while (step := await run.in_thread(predictor.step)) is not None:
        data, rows = step
        await run.write(data)
        done += rows
        await report(run, done, total)
    await run.write(await run.in_thread(predictor.finish))
    return done


async def produce(run: Run, directory: Path) -> dict[str, Any]:
    """Predict the version into a closed GridFS file; the result the job records."""
    estimator, plan, source = await load_inputs(run, directory)
    request = run.job["request"]
    predictor = ChunkPredictor(
        estimator, plan, source, run.worker.settings.batch_predict_chunk_rows, request["format"]
    )
    name = f"{run.job['_id']}.{request['format']}"
    run.upload = files.bucket(run.db).open_upload_stream(
        name, metadata={"kind": "batch-prediction", "job_id": run.job["_id"]}
    )
    try:
        rows = await predict_into_upload(run, predictor)
        await run.upload.close()
    except BaseException:
        await asyncio.shield(run.upload.abort())
        raise
    finally:  # after any chunk an abort left running in the (one) thread, never under it
        with contextlib.suppress(RuntimeError):
            run.threads.submit(predictor.close)
    return {
        "file_id": run.upload._id,
        "format": request["format"],
        "rows": rows,
        "size": run.size,
        "sha256": run.digest.hexdigest(),
        "columns": predictor.columns,
    }


async def settle(run: Run, result: dict[str, Any]) -> str:
    """Mark the job succeeded; a job cancelled meanwhile gets its file removed."""
    if await jobs.mark_succeeded(run.db, run.job["_id"], result, []) is None:
        await files.delete_file(run.db, result["file_id"])
        return "cancelled"
    return "succeeded"


async def attempt(run: Run) -> str:
    timeout = run.worker.settings.job_timeout_seconds
    job_id = run.job["_id"]
    try:
        with tempfile.TemporaryDirectory(prefix="tensorfleet-batch-") as directory:
            async with asyncio.timeout(timeout):
                result = await produce(run, Path(directory))
        return await settle(run, result)
    except Cancelled:
        return "cancelled"
    except TimeoutError:
        message = f"the batch prediction took longer than {timeout}s"
        await jobs.mark_failed(run.db, job_id, "JobTimeout", message)
    except EXPECTED as exc:
        message = getattr(exc, "message", None) or str(exc)
        await jobs.mark_failed(run.db, job_id, type(exc).__name__, message)
    except Exception as exc:  # anything else still ends the job, named; the log has the rest
        logger.exception("batch prediction %s failed", job_id)
        await jobs.mark_failed(run.db, job_id, type(exc).__name__, str(exc))
    return "failed"


async def start(worker: WorkerContext, job_id: str, attempt_number: int) -> dict[str, Any] | None:
    """The job marked running, or None when there is nothing to do (gone, ended, or out of
    attempts: then it ends failed)."""
    db = worker.resources.db
    job = await jobs.get(db, job_id)
    if job is None or job["status"] not in ("queued", "running"):
        return None
    if attempt_number > worker.settings.job_max_tries:
        message = f"the worker stopped during each of {attempt_number - 1} attempts"
        await jobs.mark_failed(db, job_id, "WorkerLost", message)
        return None
    lease = worker.settings.job_requeue_after_seconds
    return await jobs.mark_running(db, job_id, attempt_number, lease_seconds=lease)


async def batch_predict(ctx: dict[str, Any], job_id: str) -> str:
    """arq entry point: run one batch prediction job; how it ended."""
    worker = worker_context(ctx)
    job = await start(worker, job_id, job_attempt(ctx))
    if job is None:
        return "skipped"
    started = time.perf_counter()
    threads = ThreadPoolExecutor(1, thread_name_prefix="batch-predict")
    try:
        async with holding_lease(worker, job_id, jobs.BATCH):
            outcome = await attempt(Run(worker, job, threads))
    finally:  # a chunk still running after an abort ends on its own, its output unused
        threads.shutdown(wait=False, cancel_futures=True)
    logger.info("batch prediction %s %s in %.2fs", job_id, outcome, time.perf_counter() - started)
    return outcome
