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
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

PARQUET_MAGIC = b"PAR1"
QUOTE, NEWLINE, CR = b'"', b"\n", b"\r"
MAX_BLOCK = (1 << 31) - 1  # the largest block pyarrow's CSV reader takes
OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "pipes"}
# Files users upload for a table that are neither, by their first bytes.
OTHER_FORMATS = {
    b"PK\x03\x04": "a zip archive (an Excel .xlsx workbook is one)",
    b"\xd0\xcf\x11\xe0": "an Excel .xls workbook",
    b"\x1f\x8b": "gzip-compressed",
    b"\xff\xfe": "UTF-16 text",
    b"\xfe\xff": "UTF-16 text",
}
HEAD_BYTES = 4
CHUNK = 1 << 20
HEADER_BYTES = 1 << 20
# The markers pandas.read_csv reads as missing by default (pandas' STR_NA_VALUES, which a test
# compares with this list): ingest sees the same gaps as a user reading the same file with
# read_csv before calling the downloaded model. pyarrow's own list lacks "None" and "<NA>", so
# a column of numbers with a "None" became text at ingest but stayed numbers for the user.
MISSING_MARKERS = (
    *("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND"),
    *("1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"),
)
CONVERT = pcsv.ConvertOptions(strings_can_be_null=True, null_values=list(MISSING_MARKERS))

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


def line_ends(data: bytes, quoted: bool) -> tuple[int, bool]:
    """Line ends in `data` outside quoted fields, and whether `data` ends inside one (a quote
    toggles, so an escaped `""` toggles twice)."""
    if QUOTE not in data:
        return (0 if quoted else data.count(NEWLINE)), quoted
    parts = data.split(QUOTE)
    outside = b"".join(parts[1 if quoted else 0 :: 2])
    return outside.count(NEWLINE), quoted ^ (len(parts) % 2 == 0)


def check_utf8(path: Path) -> bool:
    """Refuse a file that is not UTF-8 text, naming the line of the first bad byte. Returns
    whether a quoted field holds a line break, which the parser must then be told of."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, quoted, broken = 1, False, False
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
        stream.seek(0)
        while chunk := stream.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise not_utf8(chunk, exc, line, head) from None
            ends = chunk.count(NEWLINE)
            if not broken:  # once one is found, quotes need no more tracking
                outside, quoted = line_ends(chunk, quoted)
                broken = outside < ends
            line += ends
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise IngestFailed("the file ends inside a UTF-8 character", row=line) from None
    return broken


def not_utf8(chunk: bytes, exc: UnicodeDecodeError, line: int, head: bytes) -> IngestFailed:
    """The refusal of the first byte that is not UTF-8; `line` is the chunk's first line and
    `head` the file's first bytes, which name what a common binary file is."""
    for magic, what in OTHER_FORMATS.items():
        if head.startswith(magic):
            return IngestFailed(
                f"the file is {what}, not CSV or Parquet; save or export it as CSV UTF-8 "
                "(comma-separated) or as Parquet"
            )
    line += chunk.count(b"\n", 0, exc.start)
    byte = chunk[exc.start] if exc.start < len(chunk) else 0
    return IngestFailed(
        f"the file is neither Parquet nor UTF-8 text (CSV): byte 0x{byte:02x} on line {line} "
        "is not UTF-8 (Latin-1 or Windows-1252, as Excel saves plain CSV?); save it as CSV UTF-8",
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
            raise IngestFailed(
                f"column {number} has an empty name{_unnamed(number, names)}", column=name
            )
        if len(name) > limits.max_column_name_length:
            raise IngestFailed(
                f"column name {name[:40]!r}... is {len(name)} characters long; the limit is "
                f"{limits.max_column_name_length} (DATASET_MAX_COLUMN_NAME_LENGTH)",
                column=name[: limits.max_column_name_length],
            )
    duplicates = [name for name, count in Counter(names).items() if count > 1]
    if duplicates:
        raise IngestFailed(f"duplicate column name {duplicates[0]!r}", column=duplicates[0])


def _unnamed(number: int, names: list[str]) -> str:
    """Where an unnamed column most likely comes from."""
    if number == len(names):
        return " (a separator at the end of the header line?)"
    if number == 1:
        return " (a DataFrame's index, as to_csv writes it? write it with index=False)"
    return ""


def check_target(names: list[str], target: str) -> None:
    if target not in names:
        spaced = [name for name in names if name.strip() == target.strip()]
        if spaced:  # a header written "a, b, label": the spaces are part of the names
            hint = f"; the column is named {spaced[0]!r}, with its spaces"
            raise IngestFailed(f"target column {target!r} not found{hint}", column=target)
        shown = ", ".join(names[:20])
        raise IngestFailed(f"target column {target!r} not found; columns: {shown}", column=target)


def header_names(line: str) -> list[str]:
    """The names in a CSV header line (without its BOM and line end). A file separated by
    semicolons (Excel in many locales), tabs or pipes parses as one column: refused naming
    the separator, not as a table whose target is missing."""
    names = next(csv.reader(io.StringIO(line, newline="")), [])
    if len(names) == 1:
        found = [what for mark, what in OTHER_SEPARATORS.items() if mark in names[0]]
        if found:
            raise IngestFailed(
                f"the header {names[0][:80]!r} is one column: the file looks separated by "
                f"{found[0]}; TensorFleet reads comma-separated CSV (RFC 4180), so save or "
                "export it with commas (or as Parquet)"
            )
    return names


def csv_header(path: Path) -> list[str]:
    with path.open("rb") as stream:
        head = stream.read(HEADER_BYTES)
    if not head.strip():
        raise IngestFailed("the file is empty")
    return header_names(head.decode("utf-8-sig", errors="replace").splitlines()[0])


def read_csv(path: Path, limits: Limits) -> pa.Table:
    """Parse the file with pyarrow. Line breaks inside quoted fields need the parser told
    (else a file over one block splits a row at a block's edge and reads as ragged), and a
    row longer than a block needs a block that holds it; both cost speed, so only files that
    need them get them."""
    parse = pcsv.ParseOptions(newlines_in_values=check_utf8(path))
    check_columns(csv_header(path), limits)
    try:
        return _parse(path, parse, pcsv.ReadOptions())
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc):
            raise IngestFailed(f"the file cannot be read as CSV: {exc}") from None
    whole = pcsv.ReadOptions(block_size=min(path.stat().st_size + 1, MAX_BLOCK))
    try:
        return _parse(path, parse, whole)
    except pa.ArrowInvalid as exc:
        raise IngestFailed(f"the file cannot be read as CSV: {exc}") from None


def _parse(path: Path, parse: pcsv.ParseOptions, read: pcsv.ReadOptions) -> pa.Table:
    ragged: list[pcsv.InvalidRow] = []

    def invalid(row: pcsv.InvalidRow) -> str:
        ragged.append(row)
        return "skip"

    options = pcsv.ParseOptions(
        newlines_in_values=parse.newlines_in_values, invalid_row_handler=invalid
    )
    table = pcsv.read_csv(path, read_options=read, parse_options=options, convert_options=CONVERT)
    if ragged:
        raise _ragged(path, parse, read)
    return table


def _ragged(path: Path, parse: pcsv.ParseOptions, read: pcsv.ReadOptions) -> IngestFailed:
    """Read again on one thread, which numbers the rows, to name the first ragged one."""
    found: list[pcsv.InvalidRow] = []

    def invalid(row: pcsv.InvalidRow) -> str:
        found.append(row)
        return "error"

    options = pcsv.ParseOptions(
        newlines_in_values=parse.newlines_in_values, invalid_row_handler=invalid
    )
    single = pcsv.ReadOptions(use_threads=False, block_size=read.block_size)
    with contextlib.suppress(pa.ArrowInvalid):
        pcsv.read_csv(path, parse_options=options, read_options=single)
    row = found[0] if found else None
    if row is None:
        return IngestFailed("rows have different numbers of fields")
    return IngestFailed(
        f"line {row.number} has {row.actual_columns} fields; the header has {row.expected_columns}",
        row=row.number,
    )


def index_columns(schema: pa.Schema) -> set[str]:
    """The columns pandas wrote for a DataFrame's index (`__index_level_0__`, or a named index
    after set_index): pandas.read_parquet reads them back as the index, not as columns."""
    try:
        metadata = schema.pandas_metadata or {}
    except ValueError:  # metadata that is not JSON: not pandas'
        return set()
    indexes = metadata.get("index_columns") if isinstance(metadata, dict) else None
    return {name for name in indexes or [] if isinstance(name, str)}


def data_columns(schema: pa.Schema) -> list[str]:
    """A Parquet file's columns as its user sees them in pandas: its index is not one. The
    upload's screen and the ingest both take the columns from here."""
    index = index_columns(schema)
    return [name for name in schema.names if name not in index]


def read_parquet(path: Path, limits: Limits) -> pa.Table:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestFailed(f"the file starts like Parquet but cannot be read: {exc}") from None
    names = data_columns(parquet.schema_arrow)
    check_columns(names, limits)
    check_rows(parquet.metadata.num_rows, limits)
    return parquet.read(columns=names)


def plain_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column as the profile, the normalised copy and a model take it: a dictionary
    (pandas' category dtype) as its values, text views (Polars') as text, float16 as float32
    and decimals as float64, which pyarrow's kernels, pandas and scikit-learn all handle; and
    NaN (which Arrow writers store apart from null) as null, missing as pandas takes it,
    counted and dropped as such."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        return plain_column(column.cast(kind.value_type))
    if pa.types.is_string_view(kind):  # what Polars writes for text
        return column.cast(pa.large_string())
    if pa.types.is_float16(kind):
        return plain_column(column.cast(pa.float32()))
    if pa.types.is_decimal(kind):
        return column.cast(pa.float64())
    if pa.types.is_floating(kind) and pc.any(pc.is_nan(column)).as_py():
        return pc.if_else(pc.is_nan(column), pa.scalar(None, kind), column)
    return column


def plain_table(table: pa.Table) -> pa.Table:
    """Plain column types, and no schema metadata: pandas' would make a column of the
    normalised copy the index again when training reads it (to_pandas honours it)."""
    columns = [plain_column(column) for column in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names)


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
    return plain_table(table), kind
