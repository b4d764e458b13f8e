"""Reading an upload in chunks, so a file of any size is sent without holding it in memory."""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 1024 * 1024
Source = str | Path | BinaryIO
Progress = Callable[[int, int | None], None]


@contextmanager
def opened(source: Source) -> Iterator[BinaryIO]:
    """A path is opened (and closed) here; a file object is the caller's to close."""
    if isinstance(source, str | Path):
        with open(source, "rb") as stream:
            yield stream
    else:
        yield source


def total_size(stream: BinaryIO) -> int | None:
    """Bytes left in a seekable stream, or None (a pipe) so a progress bar can say so."""
    try:
        here = stream.tell()
        end = stream.seek(0, 2)
        stream.seek(here)
    except (OSError, ValueError):
        return None
    return end - here


def chunks(stream: BinaryIO, progress: Progress | None) -> Iterator[bytes]:
    """The stream's bytes, CHUNK_BYTES at a time; `progress(sent, total)` after each chunk."""
    total, sent = total_size(stream), 0
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk
        sent += len(chunk)
        if progress is not None:
            progress(sent, total)


async def achunks(stream: BinaryIO, progress: Progress | None) -> AsyncIterator[bytes]:
    """`chunks` for httpx.AsyncClient, each read in a thread so the event loop never blocks."""
    source = chunks(stream, progress)
    while chunk := await asyncio.to_thread(next, source, b""):
        yield chunk
