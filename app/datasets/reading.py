"""Reading an uploaded file into an Arrow table, refusing what is not a table we can train on.

Pure and synchronous: the worker runs it in its process pool, never on an event loop. Every
refusal is an IngestFailed whose message names the problem, with the row (the file's line
number, the header being line 1) and column where there is one.
"""

import codecs
import contextlib
import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

PARQUET_MAGIC = b"PAR1"
CHUNK = 1 << 20
HEADER_BYTES = 1 << 20
# An empty text field is missing, as pandas.read_csv reads it for a user at predict time.
CONVERT = pcsv.ConvertOptions(strings_can_be_null=True)

if TYPE_CHECKING:
    from app.config import Settings


class IngestFailed(Exception):
    """The file cannot become a dataset; the message says why (and where)."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        self.message, self.row, self.column = message, row, column
        super().__init__(message)

    def as_document(self) -> dict[str, object]:
        return {"message": self.message, "row": self.row, "column": self.column}


class OverLimit(IngestFailed):
    """The table has more columns or rows than a configured limit allows."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_rows: int
    max_columns: int
    max_column_name_length: int


def limits_from(settings: "Settings") -> Limits:
    """The limits in force: the API checks them at upload, the worker again at ingest."""
    return Limits(
        max_rows=settings.dataset_max_rows,
        max_columns=settings.dataset_max_columns,
        max_column_name_length=settings.dataset_max_column_name_length,
    )


def file_format(head: bytes) -> str:
    return "parquet" if head.startswith(PARQUET_MAGIC) else "csv"


def check_utf8(path: Path) -> None:
    """Refuse a file that is not UTF-8 text, naming the line of the first bad byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise not_utf8(chunk, exc, line) from None
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise IngestFailed("the file ends inside a UTF-8 character", row=line) from None


def not_utf8(chunk: bytes, exc: UnicodeDecodeError, line: int) -> IngestFailed:
    """The refusal of the first byte that is not UTF-8; `line` is the chunk's first line."""
    line += chunk.count(b"\n", 0, exc.start)
    byte = chunk[exc.start] if exc.start < len(chunk) else 0
    return IngestFailed(
        f"the file is neither Parquet nor UTF-8 text (CSV): byte 0x{byte:02x} on line {line} "
        "is not UTF-8; save it as UTF-8 CSV",
        row=line,
    )


def check_columns(names: list[str], limits: Limits) -> None:
    """Column count, name length and duplicates, from the header alone."""
    if len(names) > limits.max_columns:
        raise OverLimit(
            f"the file has {len(names)} columns; the limit is {limits.max_columns} "
            "(DATASET_MAX_COLUMNS)"
        )
    for number, name in enumerate(names, start=1):
        if not name.strip():
            raise IngestFailed(f"column {number} has an empty name", column=name)
        if len(name) > limits.max_column_name_length:
            raise IngestFailed(
                f"column name {name[:40]!r}... is {len(name)} characters long; the limit is "
                f"{limits.max_column_name_length} (DATASET_MAX_COLUMN_NAME_LENGTH)",
                column=name[: limits.max_column_name_length],
            )
    duplicates = [name for name, count in Counter(names).items() if count > 1]
    if duplicates:
        raise IngestFailed(f"duplicate column name {duplicates[0]!r}", column=duplicates[0])


def check_target(names: list[str], target: str) -> None:
    if target not in names:
        shown = ", ".join(names[:20])
        raise IngestFailed(f"target column {target!r} not found; columns: {shown}", column=target)


def csv_header(path: Path) -> list[str]:
    with path.open("rb") as stream:
        head = stream.read(HEADER_BYTES)
    if not head.strip():
        raise IngestFailed("the file is empty")
    first = head.decode("utf-8-sig", errors="replace").splitlines()[0]
    return next(csv.reader(io.StringIO(first)), [])


def read_csv(path: Path, limits: Limits) -> pa.Table:
    check_utf8(path)
    check_columns(csv_header(path), limits)
    ragged: list[pcsv.InvalidRow] = []

    def invalid(row: pcsv.InvalidRow) -> str:
        ragged.append(row)
        return "skip"

    options = pcsv.ParseOptions(invalid_row_handler=invalid)
    try:
        table = pcsv.read_csv(path, parse_options=options, convert_options=CONVERT)
    except pa.ArrowInvalid as exc:
        raise IngestFailed(f"the file cannot be read as CSV: {exc}") from None
    if ragged:
        raise _ragged(path)
    return table


def _ragged(path: Path) -> IngestFailed:
    """Read again on one thread, which numbers the rows, to name the first ragged one."""
    found: list[pcsv.InvalidRow] = []

    def invalid(row: pcsv.InvalidRow) -> str:
        found.append(row)
        return "error"

    options = pcsv.ParseOptions(invalid_row_handler=invalid)
    with contextlib.suppress(pa.ArrowInvalid):
        pcsv.read_csv(path, parse_options=options, read_options=pcsv.ReadOptions(use_threads=False))
    row = found[0] if found else None
    if row is None:
        return IngestFailed("rows have different numbers of fields")
    return IngestFailed(
        f"line {row.number} has {row.actual_columns} fields; the header has {row.expected_columns}",
        row=row.number,
    )


def read_parquet(path: Path, limits: Limits) -> pa.Table:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestFailed(f"the file starts like Parquet but cannot be read: {exc}") from None
    check_columns(parquet.schema_arrow.names, limits)
    check_rows(parquet.metadata.num_rows, limits)
    return parquet.read()


def check_rows(rows: int, limits: Limits) -> None:
    check_row_limit(rows, limits)
    if rows == 0:
        raise IngestFailed("the file has a header but no rows")


def check_row_limit(rows: int, limits: Limits) -> None:
    if rows > limits.max_rows:
        raise OverLimit(
            f"the file has {rows} rows; the limit is {limits.max_rows} (DATASET_MAX_ROWS)"
        )


def read_table(path: Path, limits: Limits) -> tuple[pa.Table, str]:
    """The file's table and its format ("csv" or "parquet")."""
    with path.open("rb") as stream:
        kind = file_format(stream.read(len(PARQUET_MAGIC)))
    table = read_parquet(path, limits) if kind == "parquet" else read_csv(path, limits)
    check_rows(table.num_rows, limits)
    return table, kind
