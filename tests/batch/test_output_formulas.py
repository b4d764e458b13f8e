"""A CSV of predictions opens in spreadsheets: text cells that a spreadsheet would run as a
formula (=, +, -, @, tab, carriage return first) are written with a leading apostrophe, which
shows them as text. Parquet keeps every value as it is."""

import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.tree import DecisionTreeClassifier

from app.batch.output import ChunkPredictor
from app.batch.plan import BatchPlan
from app.inference.columns import Column, ModelInput

IDS = ['=HYPERLINK("http://evil/","x")', "+1+cmd|' /C calc'!A0", "@SUM(1)", "-2", "plain"]
LABELS = ["=cmd|' /C calc'!A0", "ok", "ok", "ok", "ok"]


def predictor(tmp_path: Path, fmt: str) -> ChunkPredictor:
    source = tmp_path / "rows.parquet"
    x = [float(i) for i in range(len(IDS))]
    pq.write_table(pa.table({"x": x, "id": IDS}), source)
    model = DecisionTreeClassifier(random_state=0).fit([[v] for v in x], LABELS)
    inputs = ModelInput((Column("x", "numeric", nullable=True),), frame=False)
    plan = BatchPlan(inputs=inputs, id_column="id", probabilities=False, regression=False)
    return ChunkPredictor(model, plan, source, chunk_rows=10, fmt=fmt)  # type: ignore[arg-type]


def run(chunks: ChunkPredictor) -> bytes:
    out = b""
    while (step := chunks.step()) is not None:
        out += step[0]
    return out + chunks.finish()


def test_csv_cells_that_would_run_as_formulas_are_text(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run(predictor(tmp_path, "csv")).decode())))
    assert [row["id"] for row in rows] == ["'" + value for value in IDS[:4]] + ["plain"]
    assert [row["prediction"] for row in rows] == ["'" + LABELS[0]] + ["ok"] * 4


def test_parquet_keeps_the_values(tmp_path: Path) -> None:
    table = pq.read_table(io.BytesIO(run(predictor(tmp_path, "parquet"))))
    assert table.column("id").to_pylist() == IDS
    assert table.column("prediction").to_pylist() == LABELS
