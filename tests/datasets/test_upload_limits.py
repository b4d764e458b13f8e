"""What the bytes themselves decide is refused at upload with a 4xx, and stores nothing: the
format, UTF-8, the size, and (from a CSV header as it streams, or a Parquet footer) the column
count, column names, the target's presence and the row count."""

import io
from collections.abc import AsyncIterator

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.config import Settings
from app.resources import Resources
from tests.datasets.support import assert_nothing_stored, upload
from tests.support import SettingsFactory

MAX_BYTES = 64 * 1024
MAX_ROWS = 500
HEADER = b"a,b,label\n"


def rows(count: int) -> bytes:
    return b"".join(b"%d,%d,%s\n" % (i, i * 2, b"xy"[i % 2 : i % 2 + 1]) for i in range(count))


def parquet(columns: dict[str, list | pa.Array]) -> bytes:
    table = pa.table(columns)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


@pytest.fixture(scope="module")
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(
        dataset_max_bytes=MAX_BYTES,
        dataset_max_rows=MAX_ROWS,
        dataset_max_columns=8,
        dataset_max_column_name_length=16,
    )


WIDE_HEADER = b",".join(b"c%d" % i for i in range(8)) + b",label\n"
LONG_HEADER = b"a,this_name_is_too_long,label\n"


@pytest.mark.parametrize(
    ("name", "payload", "status", "words", "location"),
    [
        ("png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, 415, "neither Parquet nor UTF-8", None),
        ("latin1", HEADER + "1,2,café\n".encode("latin-1"), 415, "line 2 is not UTF-8", None),
        ("lateutf8", HEADER + rows(300) + b"1,2,\xe9\n", 415, "line 302 is not UTF-8", None),
        ("nul", HEADER + b"1,2,\x00\n", 415, "line 2 holds a NUL byte", None),
        ("cutchar", HEADER + b"1,2,\xc3", 415, "ends inside a UTF-8 character", None),
        ("empty", b"", 422, "the file is empty", ["body"]),
        ("blankfirst", b"\n" + HEADER + rows(5), 422, "first line is empty", ["body"]),
        ("headeronly", HEADER, 422, "a header but no rows", ["body"]),
        ("blanklines", HEADER + b"\r\n\n", 422, "a header but no rows", ["body"]),
        ("nonewline", b"a,b,label", 422, "a header but no rows", ["body"]),
        ("dupes", b"a,b,a,label\n" + b"1,2,3,x\n" * 4, 422, "duplicate column name 'a'", ["body"]),
        ("unnamed", b"a,,label\n1,2,x\n", 422, "column 2 has an empty name", ["body"]),
        ("wide", WIDE_HEADER + b"1," * 8 + b"1\n", 413, "9 columns; the limit is 8", None),
        ("longname", LONG_HEADER + b"1,2,x\n", 422, "DATASET_MAX_COLUMN_NAME_LENGTH", ["body"]),
        ("tall", HEADER + rows(MAX_ROWS + 1), 413, "501 rows; the limit is 500", None),
        ("tallnoend", HEADER + rows(MAX_ROWS) + b"1,2,x", 413, "501 rows", None),
        ("huge", HEADER + rows(10_000), 413, str(MAX_BYTES), None),
    ],
)
async def test_a_csv_the_upload_can_judge_is_refused_with_nothing_stored(
    client: httpx.AsyncClient,
    resources: Resources,
    name: str,
    payload: bytes,
    status: int,
    words: str,
    location: list[str] | None,
) -> None:
    response = await upload(client, name, "label", payload)
    assert response.status_code == status, response.text
    assert words in str(response.json()["detail"])
    if location is not None:
        assert response.json()["detail"][0]["loc"] == location
    await assert_nothing_stored(resources, name)


async def test_a_missing_target_is_a_422_on_the_target_parameter(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    response = await upload(client, "misnamed", "outcome", HEADER + rows(10))
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["query", "target"] and "columns: a, b, label" in detail["msg"]
    await assert_nothing_stored(resources, "misnamed")


async def streamed(*parts: bytes, count: list[int]) -> AsyncIterator[bytes]:
    """The parts as a chunked body (no Content-Length), counting those sent."""
    for part in parts:
        count.append(1)
        yield part


async def test_a_header_longer_than_the_limits_allow_is_refused_before_its_end(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    sent: list[int] = []
    chunks = streamed(*[b"x" * 4096] * 15, count=sent)  # 60 KiB of one unended line
    response = await upload(client, "endless", "label", chunks)
    assert (
        response.status_code == 413
        and "header (the first line) is longer than" in (response.json()["detail"])
    )
    assert len(sent) < 15  # refused while streaming, not at the end
    await assert_nothing_stored(resources, "endless")


async def test_rows_over_the_limit_stop_the_stream(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    sent: list[int] = []
    chunks = streamed(HEADER, *[rows(200)] * 10, count=sent)  # 2000 rows in 10 chunks
    response = await upload(client, "tallstream", "label", chunks)
    assert (
        response.status_code == 413
        and "the limit is 500 (DATASET_MAX_ROWS)" in (response.json()["detail"])
    )
    assert len(sent) < 6  # the third chunk of rows passes the limit
    await assert_nothing_stored(resources, "tallstream")


async def test_the_header_is_checked_when_split_over_chunks(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    response = await upload(
        client, "split", "label", streamed(b"a,b,a", b",label\n1,2,3,x\n", count=[])
    )
    assert response.status_code == 422 and "duplicate column name 'a'" in response.text
    await assert_nothing_stored(resources, "split")


async def test_line_breaks_inside_quoted_fields_are_not_rows(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    # 400 rows, each with a quoted note of 2 line breaks and an escaped quote: 1200 lines,
    # over the 500-row limit as lines, but 400 rows as the parser reads them.
    body = b"".join(
        b'%d,"note ""%d""\nmore\nend",%s\n' % (i, i, b"xy"[i % 2 : i % 2 + 1]) for i in range(400)
    )
    response = await upload(client, "quoted", "label", b'a,"b\nnote",label\n' + body)
    assert response.status_code == 202, response.text
    response = await upload(client, "quotedtall", "label", HEADER + body + rows(101))
    assert response.status_code == 413 and "501 rows" in response.json()["detail"]
    await assert_nothing_stored(resources, "quotedtall")


@pytest.mark.parametrize(
    ("name", "columns", "status", "words"),
    [
        ("pqwide", {f"c{i}": [1, 2] for i in range(9)}, 413, "9 columns; the limit is 8"),
        ("pqtall", {"a": list(range(501)), "label": [0, 1] * 250 + [0]}, 413, "501 rows"),
        ("pqlong", {"a_very_long_column_name": [1, 2], "label": [0, 1]}, 422, "characters long"),
        (
            "pqempty",
            {"a": pa.array([], pa.int64()), "label": pa.array([], pa.int64())},
            422,
            "no rows",
        ),
        ("pqnotarget", {"a": [1, 2], "b": [0, 1]}, 422, "target column 'label' not found"),
    ],
)
async def test_a_parquet_footer_over_the_limits_is_refused_with_nothing_stored(
    client: httpx.AsyncClient,
    resources: Resources,
    name: str,
    columns: dict,
    status: int,
    words: str,
) -> None:
    response = await upload(client, name, "label", parquet(columns))
    assert response.status_code == status, response.text
    assert words in str(response.json()["detail"])
    await assert_nothing_stored(resources, name)


@pytest.mark.parametrize(
    ("name", "payload", "words"),
    [
        ("pqbroken", b"PAR1" + b"\x00" * 64, "does not end with a Parquet footer"),
        ("pqshort", b"PAR1PAR1", "too short to be Parquet"),
        (
            "pqgarbled",
            b"PAR1" + b"\x07" * 64 + (40).to_bytes(4, "little") + b"PAR1",
            "cannot be read",
        ),
    ],
)
async def test_a_file_that_starts_like_parquet_but_is_not_is_a_422(
    client: httpx.AsyncClient, resources: Resources, name: str, payload: bytes, words: str
) -> None:
    response = await upload(client, name, "label", payload)
    assert response.status_code == 422 and words in response.text, response.text
    await assert_nothing_stored(resources, name)


async def test_duplicate_parquet_names_are_refused(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    table = pa.table({"a": [1, 2], "b": [3, 4], "label": [0, 1]}).rename_columns(
        ["a", "a", "label"]
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    response = await upload(client, "pqdupes", "label", sink.getvalue())
    assert response.status_code == 422 and "duplicate column name 'a'" in response.text
    await assert_nothing_stored(resources, "pqdupes")


async def test_a_streamed_body_is_cut_at_the_size_limit_with_413(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    sent: list[int] = []
    wide_rows = (b"1,2," + b"x" * 1000 + b"\n") * 10  # 10 KB, 10 rows
    response = await upload(
        client, "stream", "label", streamed(HEADER, *[wide_rows] * 100, count=sent)
    )
    assert response.status_code == 413 and str(MAX_BYTES) in response.json()["detail"]
    assert len(sent) < 100  # refused while streaming, not after
    await assert_nothing_stored(resources, "stream")


async def test_a_multipart_form_is_a_415_saying_how_to_send_the_file(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    """A form upload (curl -F, requests' files=) would otherwise be read as a CSV whose header
    is the form's boundary line."""
    files = {"file": ("table.csv", HEADER + rows(5), "text/csv")}
    response = await client.post(
        "/datasets", params={"name": "formed", "target": "label"}, files=files
    )
    assert response.status_code == 415, response.text
    assert "--data-binary" in response.json()["detail"]
    await assert_nothing_stored(resources, "formed")
