"""Receiving an upload: the body streams into GridFS as it arrives, hashed on the way.

Memory stays flat (GridFS buffers one 255 KiB chunk); nothing is parsed here, only the first
bytes are looked at to refuse what is neither Parquet nor text at once. Should the body be
refused (too large, not a table, empty) or the client go away, the partial file is removed:
a refusal stores nothing.
"""

import codecs
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bson import ObjectId
from gridfs import AsyncGridFSBucket

from app.datasets.exceptions import UploadRefused
from app.datasets.reading import PARQUET_MAGIC

HEAD_BYTES = 8192


@dataclass(frozen=True, slots=True)
class Received:
    file_id: ObjectId
    sha256: str
    size: int
    format: str


def sniff(head: bytes) -> str:
    """ "parquet" or "csv"; UploadRefused (415) for anything else."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    problem = "it holds a NUL byte" if b"\x00" in head else None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        problem = f"byte {exc.start} (0x{head[exc.start]:02x}) is not UTF-8"
    if problem:
        raise UploadRefused(
            415, f"the file is neither Parquet nor UTF-8 CSV text: {problem}; send CSV or Parquet"
        )
    return "csv"


class Receiver:
    """Counts, hashes and sniffs the chunks it is given."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""
        self.format: str | None = None

    def take(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise UploadRefused(413, f"the file is larger than {self.max_bytes} bytes")
        self.digest.update(chunk)
        if self.format is None:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
            if len(self.head) >= HEAD_BYTES:
                self.format = sniff(self.head)

    def finish(self) -> str:
        if self.size == 0:
            raise UploadRefused(422, "the file is empty")
        return self.format or sniff(self.head)


async def receive(
    chunks: AsyncIterator[bytes], bucket: AsyncGridFSBucket, *, filename: str, max_bytes: int
) -> Received:
    receiver = Receiver(max_bytes)
    upload = bucket.open_upload_stream(filename, metadata={"kind": "dataset-upload"})
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
    return Received(upload._id, receiver.digest.hexdigest(), receiver.size, kind)
