"""Dataset use cases: upload (and queue its ingest), list, read, preview, delete a version,
and resolving the version a training request names."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from arq.connections import ArqRedis
from bson import ObjectId
from gridfs.errors import NoFile
from pymongo.asynchronous.database import AsyncDatabase
from redis.exceptions import RedisError

from app.datasets import claims, store
from app.datasets.exceptions import DatasetInUse, DatasetNotFound, UploadRefused
from app.datasets.reading import Limits
from app.datasets.upload import Received, receive
from app.training import queue
from app.training.exceptions import InvalidTrainingRequest, QueueUnavailable, UnknownDataset

MODELS = "models"


async def delete_files(db: AsyncDatabase, *file_ids: Any) -> None:
    bucket = store.bucket(db)
    for file_id in file_ids:
        if file_id is not None:
            with contextlib.suppress(NoFile):
                await bucket.delete(file_id)


def version_document(
    name: str, received: Received, *, target: str | None, task: str | None, description: str
) -> dict[str, Any]:
    return {
        "name": name,
        "status": "ingesting",
        "description": description,
        "source": "upload",
        "format": received.format,
        "file_id": received.file_id,
        "size": received.size,
        "sha256": received.sha256,
        "target_column": target,
        "requested_task": task,
        "created_at": store.now(),
    }


async def upload_dataset(
    *,
    db: AsyncDatabase,
    redis: ArqRedis,
    name: str,
    target: str | None,
    task: str | None,
    description: str,
    chunks: AsyncIterator[bytes],
    max_bytes: int,
    limits: Limits,
) -> tuple[dict[str, Any], bool]:
    """Store the file, claim its identity, make its version, queue the ingest; (version,
    created). The same bytes with the same target and task are the version they already
    are, also when two such uploads arrive at once (app/datasets/claims.py). Without a target
    the version is unlabeled: rows to predict, which nothing that learns or scores takes."""
    check_task_has_target(target, task)
    received = await receive(
        chunks,
        db,
        filename=f"{name}.upload",
        max_bytes=max_bytes,
        limits=limits,
        target=target,
    )
    upload = Upload(name, target, task, description, received)
    try:
        same = await claims.acquire(db, upload.key, name, upload.holder)
        if same is None:  # held: as the holder, find a version from before claims, or make one
            same = await settle(db, upload)
            if same is None:
                return await queue_ingest(db, redis, await make_version(db, upload)), True
    except BaseException:
        await delete_files(db, received.file_id)
        raise
    await delete_files(db, received.file_id)
    return same, False


def check_task_has_target(target: str | None, task: str | None) -> None:
    if target is None and task is not None:
        raise UploadRefused(
            422,
            "task applies to a target column; pass target too, or no task for unlabeled rows",
            location=("query", "task"),
        )


@dataclass(frozen=True, slots=True)
class Upload:
    """A received upload and the claim it holds (or tries to) on its identity."""

    name: str
    target: str | None
    task: str | None
    description: str
    received: Received
    holder: ObjectId = field(default_factory=ObjectId)

    @property
    def key(self) -> str:
        return claims.identity(self.name, self.received.sha256, self.target, self.task)


async def settle(db: AsyncDatabase, upload: Upload) -> dict[str, Any] | None:
    """As the claim's holder: a version of these bytes stored before claims existed (the
    claim now names it), or None when there is none to answer with."""
    try:
        received = upload.received
        same = await store.find_same_upload(
            db, upload.name, received.sha256, upload.target, upload.task
        )
        if same is not None:
            await claims.bind(db, upload.key, upload.holder, same["version"])
    except BaseException:
        await claims.drop(db, upload.key, upload.holder)
        raise
    return same


async def make_version(db: AsyncDatabase, upload: Upload) -> dict[str, Any]:
    """The claim's holder makes the version; on any failure the claim is given up (the caller
    removes the file)."""
    try:
        await store.ensure_name(db, upload.name, upload.description, "upload")
        document = version_document(
            upload.name,
            upload.received,
            target=upload.target,
            task=upload.task,
            description=upload.description,
        )
        version = await store.insert_version(db, document)
        await claims.bind(db, upload.key, upload.holder, version["version"])
    except BaseException:
        await claims.drop(db, upload.key, upload.holder)
        raise
    return version


async def queue_ingest(
    db: AsyncDatabase, redis: ArqRedis, version: dict[str, Any]
) -> dict[str, Any]:
    """Queue the version's ingest (and return the version); should the queue be down, remove
    the version and release its claim: no version waits for an ingest never queued."""
    try:
        await queue.enqueue_ingest(redis, version["name"], version["version"])
    except (RedisError, OSError) as exc:
        await store.delete_version(db, version)
        await claims.release(db, version)
        await delete_files(db, version["file_id"])
        raise QueueUnavailable(f"the job queue is unavailable: {exc}") from None
    return version


async def get_version(db: AsyncDatabase, name: str, version: int) -> dict[str, Any]:
    document = await store.get_version(db, name, version)
    if document is None:
        raise DatasetNotFound(name, version)
    return document


async def list_datasets(db: AsyncDatabase) -> list[dict[str, Any]]:
    """Each name, as its latest ready version (its latest if none is ready)."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for version in await store.list_versions(db):
        by_name.setdefault(version["name"], []).append(version)
    names = {d["name"]: d for d in await store.list_names(db)}
    return [summary(names.get(name, {}), versions) for name, versions in by_name.items()]


def summary(name_document: dict[str, Any], versions: list[dict[str, Any]]) -> dict[str, Any]:
    shown = next((v for v in versions if v["status"] == "ready"), versions[0])
    description = shown.get("description") or name_document.get("description", "")
    return {key: value for key, value in shown.items() if key != "_id"} | {
        "description": description,
        "version_count": len(versions),
        "features": shown.get("features", []),
        "classes": shown.get("classes", []),
    }


async def get_dataset(db: AsyncDatabase, name: str) -> dict[str, Any]:
    versions = await store.list_versions(db, name)
    if not versions:
        raise DatasetNotFound(name)
    return summary(await store.get_name(db, name) or {}, versions) | {"versions_list": versions}


async def models_using(db: AsyncDatabase, name: str, version: int) -> list[dict[str, Any]]:
    """Models trained on the version; those stored before versions count as on version 1."""
    on_version: dict[str, Any] = {"dataset_version": version}
    if version == 1:
        on_version = {"$or": [on_version, {"dataset_version": {"$exists": False}}]}
    query = {"dataset_name": name} | on_version
    cursor = db[MODELS].find(query, projection={"name": 1, "version": 1})
    return [{"id": str(m["_id"]), "name": m["name"], "version": m["version"]} async for m in cursor]


async def delete_version(
    *, db: AsyncDatabase, name: str, version: int, force: bool
) -> list[dict[str, Any]]:
    """Delete a version (its document first, then its files); refused while models use it,
    unless forced. Returns the models that use it."""
    document = await get_version(db, name, version)
    models = await models_using(db, name, version)
    if models and not force:
        raise DatasetInUse(name, version, models)
    if await store.delete_version(db, document):
        await claims.release(db, document)
        await delete_files(db, document.get("file_id"), document.get("normalised_file_id"))
    return models


async def resolve_for_training(db: AsyncDatabase, name: str, version: int | None) -> dict[str, Any]:
    """The ready version a training request uses: the one it names, or the latest ready."""
    versions = await store.list_versions(db, name)
    if not versions:
        names = [d["name"] for d in await list_datasets(db)]
        raise UnknownDataset(name, names)
    if version is None:
        ready = [v for v in versions if v["status"] == "ready"]
        if not ready:
            raise not_ready(versions[0], ("body", "dataset_name"))
        version = ready[0]["version"]
    chosen = next((v for v in versions if v["version"] == version), None)
    if chosen is None:
        listed = ", ".join(str(v["version"]) for v in versions)
        raise InvalidTrainingRequest(
            ("body", "dataset_version"),
            f"dataset {name!r} has no version {version}; it has {listed}",
        )
    if chosen["status"] != "ready":
        raise not_ready(chosen, ("body", "dataset_version"))
    return chosen


async def resolve_labeled(db: AsyncDatabase, name: str, version: int | None) -> dict[str, Any]:
    """As resolve_for_training, for what learns or scores against a target (training,
    tuning, evaluation): an unlabeled version is refused, naming the field that chose it."""
    chosen = await resolve_for_training(db, name, version)
    if chosen.get("target_column") is None:
        field = "dataset_name" if version is None else "dataset_version"
        raise InvalidTrainingRequest(
            ("body", field),
            f"dataset {name!r} version {chosen['version']} has no target column (it was "
            "uploaded unlabeled, for batch predictions); upload it with target=COLUMN",
        )
    return chosen


def not_ready(version: dict[str, Any], location: tuple[str, ...]) -> InvalidTrainingRequest:
    name, number, status = version["name"], version["version"], version["status"]
    why = "is still ingesting; wait until it is ready" if status == "ingesting" else "failed"
    if status == "failed":
        why += f" to ingest ({(version.get('error') or {}).get('message', 'no reason recorded')})"
    return InvalidTrainingRequest(
        location, f"dataset {name!r} version {number} {why} (GET /datasets/{name})"
    )
