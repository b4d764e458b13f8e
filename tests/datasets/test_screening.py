"""The upload's CSV screen counts the rows a CSV parser reads, however the bytes are chunked,
and ingest keeps its own checks of the limits (defence in depth)."""

import csv
import io
import itertools
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.datasets.reading import IngestFailed, Limits, OverLimit, read_table
from app.datasets.screening import CsvScreen

ROOMY = Limits(max_rows=10_000, max_columns=50, max_column_name_length=64)
# No lone "\r" in a field: the screen does not count "\r"-only line ends (screening.py says so).
FIELDS = st.text(alphabet=st.sampled_from('ab ,"\n\xe9'), max_size=6)


def written(header: list[str], rows: list[list[str]], end: str) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator=end).writerows([header, *rows])
    return text.getvalue().encode()


@given(
    rows=st.lists(st.lists(FIELDS, min_size=3, max_size=3), min_size=1, max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=8),
    end=st.sampled_from(["\n", "\r\n"]),
    ending=st.booleans(),
)
def test_the_screen_counts_the_rows_a_csv_parser_reads(
    rows: list[list[str]], cuts: list[int], end: str, ending: bool
) -> None:
    header = ["a", 'b "quoted"\nname', "label"]
    data = written(header, rows, end)
    data = data if ending else data.removesuffix(end.encode())
    screen = CsvScreen(ROOMY, "label")
    edges = [0, *sorted(min(cut, len(data)) for cut in cuts), len(data)]
    for start, end in itertools.pairwise(edges):
        screen.take(data[start:end])
    screen.finish()
    parsed = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert parsed[0] == header and screen.rows == len(parsed) - 1


def test_the_screen_refuses_rows_over_the_limit_as_they_arrive() -> None:
    screen = CsvScreen(Limits(max_rows=3, max_columns=5, max_column_name_length=8), "y")
    screen.take(b"x,y\n1,2\n3,4\n5,6\n")
    with pytest.raises(Exception, match="4 rows; the limit is 3"):
        screen.take(b"7,8\n")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("a,b,c,label\n1,2,3,x\n1,2,3,y\n", "4 columns; the limit is 3"),
        ("a,label\n" + "1,x\n2,y\n" * 3, "6 rows; the limit is 5"),
        ("a_long_name,label\n1,x\n2,y\n", "characters long"),
    ],
)
def test_ingest_still_refuses_a_csv_over_the_limits(
    tmp_path: Path, content: str, words: str
) -> None:
    path = tmp_path / "upload"
    path.write_text(content)
    limits = Limits(max_rows=5, max_columns=3, max_column_name_length=8)
    with pytest.raises(IngestFailed, match=words):
        read_table(path, limits)


def test_ingest_still_refuses_a_parquet_file_over_the_limits(tmp_path: Path) -> None:
    path = tmp_path / "upload"
    pq.write_table(pa.table({"a": list(range(6)), "label": [0, 1] * 3}), path)
    with pytest.raises(OverLimit, match="6 rows; the limit is 5"):
        read_table(path, Limits(max_rows=5, max_columns=3, max_column_name_length=8))
