"""Uploading a file, with a live bar of bytes sent (on stderr) when it is worth waiting for."""

from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from tensorfleet.cli.output import stderr
from tensorfleet.client import TensorFleetClient
from tensorfleet.client.upload import CHUNK_BYTES
from tensorfleet.schemas.datasets import DatasetVersionRead


def upload_with_progress(
    client: TensorFleetClient, file: Path, *, quiet: bool, **options: Any
) -> DatasetVersionRead:
    """A file of one chunk or less is sent at once, so only larger ones get a bar."""
    if quiet or file.stat().st_size <= CHUNK_BYTES:
        return client.upload_dataset(file, **options)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr()) as progress:
        bar = progress.add_task(f"uploading {file.name}", total=file.stat().st_size)

        def sent(done: int, total: int | None) -> None:
            progress.update(bar, completed=done)

        return client.upload_dataset(file, progress=sent, **options)
