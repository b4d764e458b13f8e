"""Tables as users have them, not as a test would write them: Parquet from pandas (category
dtype, an index, float16, decimals, nested columns), CSV with pandas' missing markers, files
separated by semicolons, numbers written as text, integer ids and constant columns. Each ends
as a dataset whose features are what a model can learn from, or as a refusal naming the
problem; and the downloaded model takes the rows as pandas reads the same file."""

import decimal
import gzip
import io
import zipfile

import httpx
import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from arq import Worker
from pandas._libs.parsers import STR_NA_VALUES

from app.datasets.reading import MISSING_MARKERS
from tests.datasets.support import csv_bytes, ingested, train, upload


def table(rows: int = 150, seed: int = 2) -> pd.DataFrame:
    """Numbers, a category and a class target that depends on both."""
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 10, rows).round(2)
    colour = rng.choice(["red", "green", "blue"], rows)
    label = np.where((x > 50) ^ (colour == "red"), "hi", "lo")
    return pd.DataFrame({"x": x, "colour": colour, "label": label})


async def model_of(client: httpx.AsyncClient, dataset: str, algorithm: str) -> object:
    job = await train(client, dataset_name=dataset, algorithm=algorithm, model_name=dataset)
    assert job["status"] == "succeeded", job["error"]
    download = await client.get(f"/api/v1/models/{job['model_id']}/download")
    return joblib.load(io.BytesIO(download.content))


def parquet_of(arrow: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer)
    return buffer.getvalue()


async def test_parquet_column_types_pandas_and_arrow_write_are_read(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    frame = table()
    rows = len(frame)
    arrow = pa.table(
        {
            "x16": pa.array(frame["x"].astype("float16")),
            "price": pa.array(
                [decimal.Decimal(f"{v:.2f}") for v in frame["x"]], pa.decimal128(9, 2)
            ),
            "small": pa.array((frame["x"] % 100).astype("int8")),
            "big": pa.array((frame["x"] * 1000).astype("uint64")),
            "colour": pa.array(frame["colour"]).dictionary_encode(),
            "shade": pa.array(frame["colour"].str.upper(), pa.string_view()),  # Polars' text
            "seen": pa.array(
                pd.date_range("2024-01-01", periods=rows, freq="h", tz="Europe/Paris")
            ),
            "tags": pa.array([["a", "b"]] * rows),
            "member": pa.array([None if i % 5 == 0 else i % 2 == 0 for i in range(rows)]),
            "label": pa.array(frame["label"]),
        }
    )
    version = await ingested(client, "arrow-types", "label", parquet_of(arrow))
    assert version["status"] == "ready", version["error"]
    types = {c["name"]: (c["type"], c["excluded"]) for c in version["columns"]}
    assert types == {
        "x16": ("numeric", False),
        "price": ("numeric", False),
        "small": ("numeric", False),
        "big": ("numeric", False),
        "colour": ("categorical", False),
        "shade": ("categorical", False),
        "seen": ("unsupported", True),
        "tags": ("unsupported", True),
        "member": ("boolean", False),
    }
    model = await model_of(client, "arrow-types", "random_forest")
    raw = pd.read_parquet(io.BytesIO(parquet_of(arrow)))  # as its user reads the file
    assert np.mean(model.predict(raw) == raw["label"]) > 0.8


async def test_a_pandas_category_column_trains(client: httpx.AsyncClient, worker: Worker) -> None:
    frame = table().astype({"colour": "category", "label": "category"})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    version = await ingested(client, "pandas-category", "label", buffer.getvalue())
    assert version["status"] == "ready", version["error"]
    assert version["classes"] == ["hi", "lo"] and version["features"] == ["x", "colour"]
    model = await model_of(client, "pandas-category", "gradient_boosting")
    raw = pd.read_parquet(io.BytesIO(buffer.getvalue()))
    assert np.mean(model.predict(raw) == raw["label"].astype(str)) > 0.8


@pytest.mark.parametrize("index", ["shuffled", "named"])
async def test_a_pandas_index_is_not_a_column(
    client: httpx.AsyncClient, worker: Worker, index: str
) -> None:
    """pandas writes a DataFrame's index as a column (`__index_level_0__`, or its name) and
    reads it back as the index: it is neither a feature nor a column a model asks for."""
    frame = table()
    if index == "named":
        frame = frame.assign(customer=[f"C{i}" for i in range(len(frame))]).set_index("customer")
    else:
        frame = frame.sample(frac=1, random_state=0)
    buffer = io.BytesIO()
    frame.to_parquet(buffer)  # with its index, as pandas does by default
    name = f"indexed-{index}"
    version = await ingested(client, name, "label", buffer.getvalue())
    assert version["status"] == "ready", version["error"]
    assert [c["name"] for c in version["columns"]] == ["x", "colour"]
    model = await model_of(client, name, "random_forest")
    raw = pd.read_parquet(io.BytesIO(buffer.getvalue()))
    assert np.mean(model.predict(raw) == raw["label"]) > 0.8
    if index == "named":  # the index is no target either, refused before anything is kept
        refused = await upload(client, f"{name}-by-index", "customer", buffer.getvalue())
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
            "query",
            "target",
        ]


def test_ingest_reads_as_missing_what_pandas_read_csv_does() -> None:
    assert set(MISSING_MARKERS) == set(STR_NA_VALUES)


async def test_missing_markers_pandas_knows_are_gaps_not_text(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    """`None` and `<NA>` (what str() of Python's and pandas' missing values writes) in a
    column of numbers: missing for pandas.read_csv, so missing at ingest too."""
    frame = table().astype({"x": object})
    frame.loc[::7, "x"], frame.loc[3::11, "x"] = "None", "<NA>"
    payload = csv_bytes(frame)
    version = await ingested(client, "markers", "label", payload)
    assert version["status"] == "ready", version["error"]
    x = next(c for c in version["columns"] if c["name"] == "x")
    assert (x["type"], x["missing"]) == (
        "numeric",
        int(pd.read_csv(io.BytesIO(payload))["x"].isna().sum()),
    )
    model = await model_of(client, "markers", "svm")
    raw = pd.read_csv(io.BytesIO(payload))
    assert np.mean(model.predict(raw) == raw["label"]) > 0.7


@pytest.mark.parametrize(
    ("separator", "named"), [(";", "semicolons"), ("\t", "tabs"), ("|", "pipes")]
)
async def test_a_file_separated_otherwise_is_refused_naming_the_separator(
    client: httpx.AsyncClient, separator: str, named: str
) -> None:
    payload = table().to_csv(index=False, sep=separator).encode()
    refused = await upload(client, "separated", "label", payload)
    assert refused.status_code == 422, refused.text
    message = refused.json()["detail"][0]["msg"]
    assert f"looks separated by {named}" in message and "comma-separated" in message


async def test_a_trailing_separator_in_the_header_is_named(client: httpx.AsyncClient) -> None:
    lines = table().to_csv(index=False).splitlines()
    refused = await upload(client, "trailing", "label", "\n".join(f"{line}," for line in lines))
    assert refused.status_code == 422
    assert "separator at the end of the header" in refused.json()["detail"][0]["msg"]


async def test_columns_nothing_can_be_learned_from_are_excluded_with_their_reason(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    frame = table()
    rows = len(frame)
    order = np.random.default_rng(0).permutation(rows)
    frame.insert(0, "PassengerId", order + 1)  # numbers the rows, shuffled
    frame.insert(0, "Unnamed: 0", np.arange(rows) * 2)  # an index to_csv wrote, with gaps
    frame["orderId"] = order * 7 + 1000  # named like an id
    frame["year"] = range(1900, 1900 + rows)  # distinct on each row, but a quantity
    frame["source"] = "web"
    frame["visits"] = 3
    frame["revenue"] = (frame["x"] * 1000).map(lambda v: f"{v:,.2f}")
    frame["share"] = frame["x"].map(lambda v: f"{v:.1f}%")
    frame["weight"] = frame["x"].astype(object)
    frame.loc[::13, "weight"] = "?"
    frame["grade"] = np.where(frame.index % 9 == 0, "?", (frame.index % 5).astype(str))
    payload = csv_bytes(frame)
    version = await ingested(client, "messy", "label", payload)
    assert version["status"] == "ready", version["error"]
    reasons = {c["name"]: c["reason"] or "" for c in version["columns"]}
    assert "number the rows" in reasons["PassengerId"]
    assert "identifier-like" in reasons["orderId"] and "identifier" in reasons["Unnamed: 0"]
    assert "constant" in reasons["source"] and "constant" in reasons["visits"]
    assert f"such as {frame['revenue'][0]!r}" in reasons["revenue"]
    assert "%" in reasons["share"] and "'?'" in reasons["weight"]
    assert version["features"] == ["x", "colour", "year", "grade"]
    model = await model_of(client, "messy", "gradient_boosting")
    raw = pd.read_csv(io.BytesIO(payload))
    assert np.mean(model.predict(raw) == raw["label"]) > 0.8


async def test_line_breaks_in_quoted_fields_of_a_file_over_one_parser_block(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    """pyarrow reads a CSV in blocks of 1 MiB; a row whose quoted field holds a line break
    must not be split at a block's edge (it was: `line 26905 has 2 fields`)."""
    rows = 40_000
    frame = pd.DataFrame(
        {
            "x": np.arange(rows) % 97,
            "note": [f"line {i % 50}" + '\nmore, "quoted"' * 8 for i in range(rows)],
            "label": np.where(np.arange(rows) % 97 > 40, "hi", "lo"),
        }
    )
    payload = csv_bytes(frame)
    assert len(payload) > 3 << 20  # several blocks, each likely to end inside a field
    version = await ingested(client, "multiline", "label", payload)
    assert version["status"] == "ready", version["error"]
    assert version["n_samples"] == rows
    preview = await client.get("/datasets/multiline/versions/1/preview", params={"rows": 1})
    assert preview.json()["rows"][0]["note"] == frame["note"][0][:99] + "…"  # cut to 100


async def test_a_row_longer_than_a_parser_block_is_read_and_previewed_short(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    frame = table()
    frame.loc[0, "colour"] = "z" * (3 << 20)  # one cell of 3 MiB
    version = await ingested(client, "long-row", "label", csv_bytes(frame))
    assert version["status"] == "ready", version["error"]
    assert version["n_samples"] == len(frame)
    preview = await client.get("/datasets/long-row/versions/1/preview", params={"rows": 1})
    cell = preview.json()["rows"][0]["colour"]
    assert cell.startswith("zzz") and cell.endswith("…") and len(cell) <= 100


async def test_numbers_the_store_cannot_hold_end_the_ingest(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    """Infinity, NaN (apart from null, as Arrow writers store it) and integers past int64
    made the profile's write fail, and the version stayed `ingesting` for ever."""
    frame = table()
    rows = len(frame)
    arrow = pa.table(
        {
            "x": pa.array(
                np.where(np.arange(rows) % 6 == 0, np.nan, frame["x"]), from_pandas=False
            ),
            "ratio": pa.array(np.where(np.arange(rows) % 10 == 0, np.inf, frame["x"])),
            "serial": pa.array(np.arange(rows, dtype="uint64") * 3 + 2**63 + 5),
            "colour": pa.array(frame["colour"]),
            "label": pa.array(frame["label"]),
            "amount": pa.array(
                np.where(np.arange(rows) % 5 == 0, np.nan, frame["x"] * 3), from_pandas=False
            ),
        }
    )
    version = await ingested(client, "unstorable", "label", parquet_of(arrow))
    assert version["status"] == "ready", version["error"]
    columns = {c["name"]: c for c in version["columns"]}
    assert columns["x"]["missing"] == len(range(0, rows, 6))  # NaN is missing
    assert "infinite values on 15 rows" in columns["ratio"]["reason"]
    assert columns["serial"]["min"] == float(2**63 + 5)
    preview = await client.get("/datasets/unstorable/versions/1/preview", params={"rows": 1})
    assert preview.json()["rows"][0]["serial"] == str(2**63 + 5)
    model = await model_of(client, "unstorable", "random_forest")
    raw = pd.read_parquet(io.BytesIO(parquet_of(arrow)))
    assert np.mean(model.predict(raw) == raw["label"]) > 0.7
    regression = await ingested(client, "nan-target", "amount", parquet_of(arrow))
    assert regression["status"] == "ready", regression["error"]
    assert regression["rows_dropped"] == len(range(0, rows, 5))  # a NaN target is missing
    infinite = await ingested(client, "inf-target", "ratio", parquet_of(arrow), task="regression")
    assert infinite["status"] == "failed" and infinite["error"]["column"] == "ratio"
    assert "infinite values" in infinite["error"]["message"]


def target_table(kind: str) -> pa.Table:
    rows = 402
    x = pa.array(np.arange(rows, dtype="float64"))
    if kind == "classes":  # 201 classes of two rows: an id-like text, or a number to regress
        return pa.table({"x": x, "y": pa.array([f"c{i // 2}" for i in range(rows)])})
    if kind == "label":
        long = "a very long label " * 12
        return pa.table({"x": x, "y": pa.array([long if i % 2 else "short" for i in range(rows)])})
    return pa.table({"x": x, "y": pa.array([[i % 2] for i in range(rows)])})


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("classes", "has 201 classes; at most 200"),
        ("label", "is 216 characters long"),
        ("nested", "is of type list<element: int64>"),
    ],
)
async def test_a_target_no_model_can_be_stored_for_fails_the_version_naming_it(
    client: httpx.AsyncClient, worker: Worker, kind: str, words: str
) -> None:
    """Every class label is kept in the dataset's, the job's and the model's documents and
    the confusion matrix has a cell per pair of classes: thousands of classes, or labels of
    any length, would pass MongoDB's 16 MB document limit."""
    version = await ingested(client, f"target-{kind}", "y", parquet_of(target_table(kind)))
    assert version["status"] == "failed"
    assert version["error"]["column"] == "y" and words in version["error"]["message"]


def zipped(payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", payload * 50)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("xlsx", "a zip archive (an Excel .xlsx workbook is one)"),
        ("gzip", "gzip-compressed"),
        ("utf16", "UTF-16 text"),
        ("cp1252", "line 2 is not UTF-8 (Latin-1 or Windows-1252"),
    ],
)
async def test_a_file_of_another_format_is_refused_naming_it(
    client: httpx.AsyncClient, kind: str, words: str
) -> None:
    text = table().assign(
        colour=lambda f: f["colour"].map({"red": "rouge", "green": "vert", "blue": "bleu"})
    )
    text = text.assign(colour=text["colour"] + "é").to_csv(index=False)
    payload = {
        "xlsx": lambda: zipped(text.encode()),
        "gzip": lambda: gzip.compress(text.encode()),
        "utf16": lambda: text.encode("utf-16"),
        "cp1252": lambda: text.encode("cp1252"),
    }[kind]()
    refused = await upload(client, f"format-{kind}", "label", payload)
    assert refused.status_code == 415, refused.text
    assert words in refused.json()["detail"]


async def test_an_index_written_by_to_csv_is_named(client: httpx.AsyncClient) -> None:
    refused = await upload(client, "with-index", "label", table().to_csv().encode())
    assert refused.status_code == 422
    assert "column 1 has an empty name (a DataFrame's index" in refused.json()["detail"][0]["msg"]


async def test_lines_ended_by_a_lone_carriage_return_are_read(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    """Excel's "CSV (Macintosh)" ends lines with `\\r` alone; pyarrow and pandas read it, and
    the upload's screen took the whole file for its header (`a header but no rows`)."""
    frame = table()
    payload = frame.to_csv(index=False, lineterminator="\r").encode()
    version = await ingested(client, "mac-lines", "label", payload)
    assert version["status"] == "ready", version["error"]
    assert (version["n_samples"], version["features"]) == (len(frame), ["x", "colour"])


async def test_a_target_named_without_the_spaces_of_its_header_is_pointed_at(
    client: httpx.AsyncClient,
) -> None:
    payload = table().to_csv(index=False).replace(",", ", ").encode()  # "x, colour, label"
    refused = await upload(client, "spaced", "label", payload)
    assert refused.status_code == 422
    assert "named ' label', with its spaces" in refused.json()["detail"][0]["msg"]


async def test_integers_written_as_floats_are_classes_as_integers_are(
    client: httpx.AsyncClient, worker: Worker
) -> None:
    """A rating column with a gap is float in pandas (`4.0`): the same ratings are classes
    whether or not one of them is missing."""
    frame = table()
    frame["stars"] = np.where(frame["label"] == "hi", 5, 1) + (frame.index % 2)
    frame = frame.drop(columns="label").astype({"stars": "float64"})
    frame.loc[3, "stars"] = np.nan
    version = await ingested(client, "stars", "stars", csv_bytes(frame))
    assert version["status"] == "ready", version["error"]
    assert (version["task"], version["classes"]) == ("classification", ["1", "2", "5", "6"])
    assert version["rows_dropped"] == 1
    frame["stars"] = frame["stars"] + 0.5  # halves are real numbers: a regression
    halves = await ingested(client, "halves", "stars", csv_bytes(frame))
    assert halves["task"] == "regression", halves["error"]
