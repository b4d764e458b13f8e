"""The arq job that ingests an uploaded dataset version: parse, validate, profile, normalise.

The file goes from GridFS to a temporary file, the pool process parses it (pyarrow) and writes
the normalised Parquet copy beside it, and that copy goes back to GridFS. The version ends
`ready` with its profile, or `failed` with the problem named and its upload removed. Jobs are
at-least-once: a version that is no longer `ingesting` is left alone, and only the first
ending is written.
"""

import asyncio
import logging
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from app.datasets import claims, store
from app.datasets.ingest import ingest_file
from app.datasets.reading import IngestFailed, limits_from
from app.datasets.service import delete_files
from app.gridfs_chunks import ChunkWriter
from app.storage import DATASET_BUCKET
from workers.context import worker_context

logger = logging.getLogger(__name__)
CHUNK = 1 << 20


async def download(db: AsyncDatabase, file_id: ObjectId, path: Path) -> None:
    with path.open("wb") as sink:
        async for chunk in store.file_chunks(db, file_id):
            sink.write(chunk)


async def upload(db: AsyncDatabase, path: Path, filename: str) -> ObjectId:
    writer = ChunkWriter(db, DATASET_BUCKET, filename, {"kind": "dataset"})
    try:
        with path.open("rb") as source:
            while chunk := source.read(CHUNK):
                await writer.write(chunk)
        await writer.close()
    except BaseException:
        await writer.abort()
        raise
    return writer.file_id


async def fail(db: AsyncDatabase, document: dict[str, Any], error: dict[str, Any]) -> str:
    changes = {"status": "failed", "error": error, "file_id": None}
    if await store.finish(db, document["name"], document["version"], changes) is not None:
        await claims.release(db, document)
        await delete_files(db, document["file_id"])
    logger.info("dataset %s v%d failed: %s", document["name"], document["version"], error)
    return "failed"


async def profile_file(
    ctx: dict[str, Any], document: dict[str, Any], directory: Path
) -> tuple[dict[str, Any], Path]:
    """Run ingest_file in the pool on the downloaded upload; (profile, normalised path)."""
    worker = worker_context(ctx)
    source, destination = directory / "upload", directory / "normalised.parquet"
    started = time.perf_counter()
    await download(worker.resources.db, document["file_id"], source)
    downloaded = time.perf_counter()
    work = partial(
        ingest_file,
        source,
        destination,
        target=document["target_column"],
        task=document.get("requested_task"),
        limits=limits_from(worker.settings),
    )
    profile: dict[str, Any] = await worker.pool.run(work)
    logger.info(
        "dataset %s v%d: download %.2f s, parse and profile %.2f s",
        document["name"],
        document["version"],
        downloaded - started,
        time.perf_counter() - downloaded,
    )
    return profile, destination


async def ingest_dataset(ctx: dict[str, Any], name: str, version: int) -> str:
    """arq entry point: ingest one version and record how it ended."""
    worker = worker_context(ctx)
    db, timeout = worker.resources.db, worker.settings.job_timeout_seconds
    document = await store.get_version(db, name, version)
    if document is None or document["status"] != "ingesting":
        return "skipped"
    with tempfile.TemporaryDirectory(prefix="tensorfleet-ingest-") as directory:
        try:
            async with asyncio.timeout(timeout):
                profile, normalised = await profile_file(ctx, document, Path(directory))
        except IngestFailed as exc:
            return await fail(db, document, exc.as_document())
        except TimeoutError:
            return await fail(db, document, {"message": f"ingest took longer than {timeout}s"})
        except Exception as exc:  # a parser's own error: still the file's problem, named
            message = f"the file could not be ingested: {type(exc).__name__}: {exc}"
            return await fail(db, document, {"message": message[:2000]})
        normalised_id = await upload(db, normalised, f"{name}-v{version}.parquet")
    changes = profile | {"status": "ready", "normalised_file_id": normalised_id}
    if await store.finish(db, name, version, changes) is None:  # deleted meanwhile
        await delete_files(db, normalised_id)
        return "skipped"
    return "ready"
