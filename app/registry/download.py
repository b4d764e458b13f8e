"""Streaming a model file out of GridFS, one chunk at a time.

Memory stays flat for any model size: we hold one GridFS chunk (255 KiB by default) plus the
driver's current batch, never the file. The headers come from the metadata: length, sha256 as a
strong ETag, and a file name built only from safe characters.
"""

import logging
import re
from typing import Any

from gridfs import AsyncGridFSBucket
from gridfs.asynchronous.grid_file import AsyncGridOut
from gridfs.errors import NoFile
from pymongo.asynchronous.collection import AsyncCollection
from starlette.responses import Response, StreamingResponse
from starlette.types import Send

from app.gridfs_chunks import iter_chunks
from app.metrics import MODEL_DOWNLOADS
from app.registry.exceptions import ModelFileMissing

logger = logging.getLogger(__name__)

UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MEDIA_TYPE = "application/octet-stream"


def download_filename(document: dict[str, Any]) -> str:
    """`<name>-v<version>.joblib`, with anything but letters, digits, `.`, `_`, `-` replaced."""
    name = UNSAFE.sub("_", str(document["name"])).strip("._") or "model"
    return f"{name}-v{int(document['version'])}.joblib"


def etag(document: dict[str, Any]) -> str:
    return f'"{document["sha256"]}"'


def etag_matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 weak comparison of If-None-Match against our tag."""
    if not if_none_match:
        return False
    candidates = [part.strip() for part in if_none_match.split(",")]
    return any(part == "*" or part.removeprefix("W/") == tag for part in candidates)


def download_headers(document: dict[str, Any]) -> dict[str, str]:
    """Also the model's id and version: a download by alias says which version it got."""
    return {
        "ETag": etag(document),
        "X-Model-Id": str(document["_id"]),
        "X-Model-Version": str(document["version"]),
        "Content-Disposition": f'attachment; filename="{download_filename(document)}"',
        "Cache-Control": "no-cache",
    }


async def open_model_file(bucket: AsyncGridFSBucket, document: dict[str, Any]) -> AsyncGridOut:
    try:
        return await bucket.open_download_stream(document["file_id"])
    except NoFile:
        raise ModelFileMissing(f"the file of model {document['_id']} is missing") from None


async def model_file_response(
    document: dict[str, Any],
    bucket: AsyncGridFSBucket,
    chunks: AsyncCollection,
    *,
    method: str,
    if_none_match: str | None,
) -> Response:
    """The download answer for a model: 304 when the ETag matches, headers alone for HEAD,
    otherwise the file streamed (and counted)."""
    headers = download_headers(document)
    if etag_matches(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    grid_out = await open_model_file(bucket, document)
    headers["Content-Length"] = str(grid_out.length)
    if method == "HEAD":
        return Response(headers=headers, media_type=MEDIA_TYPE)
    MODEL_DOWNLOADS.labels(str(document.get("algorithm", "unknown"))).inc()
    return ModelFileResponse(iter_chunks(grid_out, chunks), headers=headers)


class ModelFileResponse(StreamingResponse):
    """A streamed body that, if the store fails mid-way, logs one line and drops the connection.

    The status and Content-Length are already sent by then, so the honest signal is a body that
    ends short; the client sees it as an incomplete response, the log sees no traceback.
    """

    media_type = MEDIA_TYPE

    async def stream_response(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        try:
            async for chunk in self.body_iterator:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (OSError, ConnectionError):
            raise
        except Exception as exc:
            first_line = (str(exc).splitlines() or [repr(exc)])[0]
            logger.warning("model download aborted mid-stream: %s", first_line)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
