"""What an upload is refused for before anything of it is kept: checks on the bytes as they
stream (CSV) or on the footer once they are stored (Parquet).

CSV: every byte must be UTF-8 without NUL (an incremental decoder, at C speed). The header,
the file's first record, is parsed with the csv module as soon as it has arrived, and may be no
longer than the column limits allow (`header_limit`). Column count, name length, empty and
duplicate names and the target's presence are checked on it before more is stored. Rows are
counted as they stream: line ends outside quoted fields (a quote toggles, so an escaped `""`
toggles twice), so a quoted field holding line breaks counts once. For RFC 4180 CSV the count
is the parser's or a little more (blank lines count here; the parser skips them). Two cases
count fewer: line ends that are a lone `\\r`, and a quote inside an unquoted field (`5'10"`),
which parsers read as a character but which toggles here until the next quote. Ingest counts
the parsed rows again, exactly, so such a file over the limit still fails there.

Ragged rows are not looked for here: counting commas per line needs the same quote tracking,
and a stray quote would then refuse a file the parser reads well.

Parquet: nothing useful streams, so once the file is in GridFS its footer (schema and row count,
at most FOOTER_MAX_BYTES) is read back and parsed off the event loop.

Every refusal is an UploadRefused: 413 for a count over a limit, 415 for what is not UTF-8 text,
422 for the rest. What only a full parse finds (ragged rows, a constant target, a class too
small to stratify) still fails the version at ingest, naming the row and column.
"""

import asyncio
import codecs
import contextlib
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
from bson import ObjectId
from gridfs import AsyncGridFSBucket

from app.datasets.exceptions import UploadRefused
from app.datasets.reading import (
    CR,
    HEAD_BYTES,
    NEWLINE,
    PARQUET_MAGIC,
    QUOTE,
    IngestFailed,
    Limits,
    OverLimit,
    check_columns,
    check_row_limit,
    check_rows,
    check_target,
    data_columns,
    header_names,
    line_ends,
    not_utf8,
)

FOOTER_MAX_BYTES = 16 << 20  # a wide file with many row groups has a footer of a few MiB
TARGET = ("query", "target")


@contextlib.contextmanager
def refused_at_upload(location: tuple[str, ...] = ("body",)) -> Iterator[None]:
    """An ingest check's refusal as the upload's: 413 over a limit, 422 otherwise."""
    try:
        yield
    except IngestFailed as exc:
        raise UploadRefused(
            413 if isinstance(exc, OverLimit) else 422, exc.message, location=location
        ) from None


def check_header(names: list[str], limits: Limits, target: str | None) -> None:
    with refused_at_upload():
        check_columns(names, limits)
    if target is not None:  # an unlabeled upload (new rows to predict) has none to find
        with refused_at_upload(TARGET):
            check_target(names, target)


def header_limit(limits: Limits) -> int:
    """Longest header the limits allow: every name at its longest (4 bytes a character),
    quoted, with its comma; and a byte-order mark."""
    return limits.max_columns * (4 * limits.max_column_name_length + 3) + 3


def header_end(data: bytes) -> int:
    """Where the first record's line end is (outside quotes): the `\n` of `\n` or `\r\n`, or
    a lone `\r`, as Excel's "CSV (Macintosh)" ends lines and both pyarrow and pandas read
    them; -1 while unknown."""
    offset = 0
    for index, part in enumerate(data.split(QUOTE)):
        ends = [end for end in (part.find(NEWLINE), part.find(CR)) if end >= 0]
        if index % 2 == 0 and ends:
            end = offset + min(ends)
            if data[end : end + 1] != CR:
                return end
            if end + 1 == len(data):  # a \n may follow in the next chunk
                return -1
            return end + 1 if data[end + 1 : end + 2] == NEWLINE else end
        offset += len(part) + 1
    return -1


def parse_header(raw: bytes) -> list[str]:
    text = raw.decode("utf-8-sig").removesuffix("\r")
    if not text.strip():
        raise UploadRefused(422, "the first line is empty; a CSV file starts with its header")
    with refused_at_upload():
        return header_names(text)


class CsvScreen:
    """Watches a CSV upload's bytes: UTF-8 text, its header, its row count."""

    def __init__(self, limits: Limits, target: str | None) -> None:
        self.limits, self.target = limits, target
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.line = 1  # the line the next chunk starts on, to name a bad byte's
        self.header: bytes | None = b""  # the header so far; None once checked
        self.rows, self.quoted = 0, False
        self.has_rows = self.open_line = False
        self.head = b""  # the file's first bytes, to name a binary format

    def _keep_head(self, chunk: bytes) -> None:
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]

    def take(self, chunk: bytes) -> None:
        self._keep_head(chunk)
        self._check_text(chunk)
        if self.header is not None:
            chunk = self._take_header(chunk)
        if chunk:
            self._count(chunk)

    def finish(self) -> None:
        try:
            self.decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise UploadRefused(415, "the file ends inside a UTF-8 character") from None
        if self.header is not None:  # the whole file is one line
            check_header(parse_header(self.header), self.limits, self.target)
        self.rows += self.open_line  # the last row, without its line end
        with refused_at_upload():
            check_rows(self.rows if self.has_rows else 0, self.limits)

    def _check_text(self, chunk: bytes) -> None:
        try:
            self.decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise UploadRefused(415, not_utf8(chunk, exc, self.line, self.head).message) from None
        if (nul := chunk.find(b"\x00")) >= 0:
            line = self.line + chunk.count(NEWLINE, 0, nul)
            raise UploadRefused(
                415, f"the file is neither Parquet nor CSV text: line {line} holds a NUL byte"
            )
        self.line += chunk.count(NEWLINE)

    def _take_header(self, chunk: bytes) -> bytes:
        """Collect the header; once whole, check it and return what follows it."""
        assert self.header is not None
        data, limit = self.header + chunk, header_limit(self.limits)
        end = header_end(data[: limit + 1])
        if end < 0 and len(data) > limit:
            raise UploadRefused(
                413,
                f"the header (the first line) is longer than {limit} bytes, more than "
                f"{self.limits.max_columns} names of {self.limits.max_column_name_length} "
                "characters (DATASET_MAX_COLUMNS, DATASET_MAX_COLUMN_NAME_LENGTH)",
            )
        if end < 0:
            self.header = data
            return b""
        check_header(parse_header(data[:end]), self.limits, self.target)
        self.header = None
        return data[end + 1 :]

    def _count(self, data: bytes) -> None:
        ends, self.quoted = line_ends(data, self.quoted)
        self.rows += ends
        self.has_rows = self.has_rows or bool(data.strip(b"\r\n"))
        self.open_line = not data.endswith(NEWLINE)
        with refused_at_upload():
            check_row_limit(self.rows, self.limits)


def unreadable(why: str) -> UploadRefused:
    return UploadRefused(422, f"the file starts like Parquet but cannot be read: {why}")


async def read_footer(bucket: AsyncGridFSBucket, file_id: ObjectId, size: int) -> bytes:
    """The stored file's footer (with its length and magic), behind a magic number, as
    pyarrow reads a file's metadata."""
    if size < 2 * len(PARQUET_MAGIC) + 4:
        raise unreadable("it is too short to be Parquet")
    stream = await bucket.open_download_stream(file_id)
    try:
        await stream.seek(size - 8)
        tail = await stream.read(8)
        length = int.from_bytes(tail[:4], "little")
        if tail[4:] != PARQUET_MAGIC or length > size - 12:
            raise unreadable("it does not end with a Parquet footer")
        if length > FOOTER_MAX_BYTES:
            raise UploadRefused(413, f"the Parquet footer is over {FOOTER_MAX_BYTES} bytes")
        await stream.seek(size - 8 - length)
        return PARQUET_MAGIC + await stream.read(length + 8)
    finally:
        await stream.close()


def parquet_shape(footer: bytes) -> tuple[list[str], int]:
    """(column names, rows) from a footer; pure, so it runs in a thread."""
    try:
        metadata = pq.read_metadata(pa.BufferReader(footer))
        return data_columns(metadata.schema.to_arrow_schema()), metadata.num_rows
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise unreadable(str(exc)) from None


async def check_parquet(
    bucket: AsyncGridFSBucket, file_id: ObjectId, size: int, limits: Limits, target: str | None
) -> None:
    names, rows = await asyncio.to_thread(parquet_shape, await read_footer(bucket, file_id, size))
    check_header(names, limits, target)
    with refused_at_upload():
        check_rows(rows, limits)
