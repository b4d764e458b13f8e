"""Receiving an upload: the body streams into GridFS as it arrives, hashed and screened on the
way.

Memory stays flat: app/gridfs_chunks.py writes about 1 MiB of chunks at a time, and the screen
holds at most the header.
The first four bytes decide the format; a CSV is screened as it streams, a Parquet file by its
footer once stored (app/datasets/screening.py). Should the body be refused (too large, not a
table, over a limit) or the client go away, the partial file is removed: a refusal stores
nothing.
"""

import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bson import ObjectId
from gridfs.errors import NoFile
from pymongo.asynchronous.database import AsyncDatabase

from app.datasets import store
from app.datasets.exceptions import UploadRefused
from app.datasets.reading import PARQUET_MAGIC, Limits
from app.datasets.screening import CsvScreen, check_parquet
from app.gridfs_chunks import ChunkWriter
from app.storage import DATASET_BUCKET as BUCKET


@dataclass(frozen=True, slots=True)
class Received:
    file_id: ObjectId
    sha256: str
    size: int
    format: str


class Receiver:
    """Counts, hashes and screens the chunks it is given."""

    def __init__(self, max_bytes: int, limits: Limits, target: str | None) -> None:
        self.max_bytes, self.limits, self.target = max_bytes, limits, target
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""  # the first bytes, until they decide the format
        self.format: str | None = None
        self.screen: CsvScreen | None = None

    def take(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise UploadRefused(
                413, f"the file is larger than {self.max_bytes} bytes (DATASET_MAX_BYTES)"
            )
        self.digest.update(chunk)
        if self.format is None:
            self.head += chunk
            if len(self.head) < len(PARQUET_MAGIC):
                return
            chunk, self.head = self.head, b""
            self._choose(chunk)
        if self.screen is not None:
            self.screen.take(chunk)

    def _choose(self, head: bytes) -> None:
        self.format = "parquet" if head.startswith(PARQUET_MAGIC) else "csv"
        if self.format == "csv":
            self.screen = CsvScreen(self.limits, self.target)

    def finish(self) -> str:
        if self.size == 0:
            raise UploadRefused(422, "the file is empty")
        if self.format is None:  # shorter than the magic number
            self._choose(self.head)
            if self.screen is not None:
                self.screen.take(self.head)
        if self.screen is not None:
            self.screen.finish()
        return self.format or "csv"


async def receive(
    chunks: AsyncIterator[bytes],
    db: AsyncDatabase,
    *,
    filename: str,
    max_bytes: int,
    limits: Limits,
    target: str | None,
) -> Received:
    receiver = Receiver(max_bytes, limits, target)
    upload = ChunkWriter(db, BUCKET, filename, {"kind": "dataset-upload"})
    try:
        async for chunk in chunks:
            if chunk:
                receiver.take(chunk)
                await upload.write(chunk)
        kind = receiver.finish()
        await upload.close()
    except BaseException:
        await upload.abort()
        raise
    if kind == "parquet":
        try:
            await check_parquet(store.bucket(db), upload.file_id, receiver.size, limits, target)
        except BaseException:
            with contextlib.suppress(NoFile):
                await store.bucket(db).delete(upload.file_id)
            raise
    return Received(upload.file_id, receiver.digest.hexdigest(), receiver.size, kind)
