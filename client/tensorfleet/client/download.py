"""Writing a streamed model file to a path or a binary stream, checking its sha256."""

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx

from tensorfleet.client.errors import TensorFleetError

Destination = str | os.PathLike[str] | BinaryIO


class DownloadCorrupted(TensorFleetError):
    """The bytes received do not hash to the sha256 the server announced (its ETag)."""


@dataclass(frozen=True)
class ModelDownload:
    model_id: str
    size: int
    sha256: str
    path: Path | None = None


def attachment_name(response: httpx.Response, model_id: str) -> str:
    disposition = response.headers.get("Content-Disposition", "")
    match = re.search(r'filename="?([^";]+)"?', disposition)
    name = Path(match.group(1)).name if match else ""
    return name or f"{model_id}.joblib"


class DownloadSink:
    """Hashes what it writes; a path is written as `<path>.part` and renamed when complete."""

    def __init__(self, destination: Destination, response: httpx.Response, model_id: str) -> None:
        self.model_id = model_id
        self.expected = response.headers.get("ETag", "").strip('"') or None
        self.digest = hashlib.sha256()
        self.size = 0
        self.path: Path | None = None
        self.stream = self._open(destination, response)

    def _open(self, destination: Destination, response: httpx.Response) -> BinaryIO:
        if not isinstance(destination, str | os.PathLike):
            return destination
        path = Path(destination)
        self.path = path / attachment_name(response, self.model_id) if path.is_dir() else path
        return self.partial.open("wb")

    @property
    def partial(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + ".part")

    def write(self, chunk: bytes) -> None:
        self.stream.write(chunk)
        self.digest.update(chunk)
        self.size += len(chunk)

    def finish(self) -> ModelDownload:
        sha256 = self.digest.hexdigest()
        if self.expected and self.expected != sha256:
            raise DownloadCorrupted(f"model {self.model_id}: sha256 {sha256} != {self.expected}")
        if self.path is not None:
            self.stream.close()
            self.partial.replace(self.path)
        return ModelDownload(self.model_id, self.size, sha256, self.path)

    def abort(self) -> None:
        if self.path is not None:
            self.stream.close()
            self.partial.unlink(missing_ok=True)
