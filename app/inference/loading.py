"""Reading a model from the store and loading it, only when its bytes are the worker's.

joblib.load runs code from the file, so the bytes are hashed and compared with the sha256 the
worker recorded when it published the model, before anything is unpickled; no route accepts
model bytes, so only files the workers wrote can match. The file is read in full (its size is
checked against the cache budget first, so memory stays bounded), a few chunks per round trip
(`app.gridfs_chunks.iter_chunks`: through GridOut's own read, FerretDB answers the cursor's
second batch with all the remaining chunks, past its 48 MB message for models over ~75 MB),
then hashed and loaded in a thread: both are CPU work the event loop must not wait on.
"""

import asyncio
import hashlib
import io
from concurrent.futures import Executor
from typing import Any

import joblib
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.collection import AsyncCollection

from app.gridfs_chunks import iter_chunks
from app.inference.exceptions import ModelIntegrityError, ModelTooLarge
from app.registry.exceptions import ModelFileMissing


def verified_load(payload: bytes, sha256: str, model_id: str) -> Any:
    """The unpickled model, only if the bytes hash to the recorded sha256."""
    if hashlib.sha256(payload).hexdigest() != sha256:
        raise ModelIntegrityError(
            f"the stored file of model {model_id} does not match its recorded sha256; "
            "it was not loaded"
        )
    return joblib.load(io.BytesIO(payload))


MODEL_READ_BATCH = 16  # GridFS chunks per round trip: about 4 MiB


async def read_model_file(
    bucket: AsyncGridFSBucket, chunks: AsyncCollection, document: dict[str, Any]
) -> bytes:
    """The whole file of the model; `chunks` is the bucket's chunks collection."""
    try:
        stream = await bucket.open_download_stream(document["file_id"])
    except NoFile:
        raise ModelFileMissing(f"model {document['_id']} has no stored file") from None
    parts = [part async for part in iter_chunks(stream, chunks, batch_size=MODEL_READ_BATCH)]
    return b"".join(parts)


async def load_model(
    bucket: AsyncGridFSBucket,
    chunks: AsyncCollection,
    document: dict[str, Any],
    *,
    max_bytes: int,
    executor: Executor,
) -> Any:
    """Read, verify and unpickle the model of this metadata document."""
    model_id, size = str(document["_id"]), int(document.get("size", 0))
    if size > max_bytes:
        raise ModelTooLarge(
            f"model {model_id} is {size} bytes, more than MODEL_CACHE_BYTES={max_bytes}"
        )
    payload = await read_model_file(bucket, chunks, document)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        executor, verified_load, payload, str(document.get("sha256", "")), model_id
    )
