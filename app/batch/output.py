"""Predicting a normalised copy chunk by chunk into CSV or Parquet bytes: synchronous CPU work
the worker runs in a thread, one chunk per call, so memory holds about one chunk of rows and
the job can stop (a cancel, a timeout) between any two chunks.

Rows come out in the order they are read, which is the version's order: Parquet row groups
and the batches within them are read in sequence. The writers write into a sink the caller
drains after each chunk, so the output streams into GridFS as it is made; the Parquet footer
comes last, with `finish`.
"""

import io
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from app.batch.plan import BatchPlan
from app.inference import estimators
from app.training.fitting import feature_frame
from tensorfleet.schemas.batch import PREDICTION_COLUMN, PROBABILITY_PREFIX, OutputFormat

MEDIA_TYPES: dict[str, str] = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
# A text cell a spreadsheet would run as a formula starts with one of these (OWASP, "CSV
# injection"); ids and class labels come from uploaded data, so any user could plant one.
FORMULA_START = r"^[=+\-@\t\r]"


class PredictionFailed(Exception):
    """The model refused a chunk of rows (rows that fit the schema but not the model)."""


class Drain(io.RawIOBase):
    """A write-only sink whose bytes are taken after each chunk (Arrow tracks the position)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def model_input_frame(batch: pa.RecordBatch, plan: BatchPlan) -> Any:
    """The chunk's rows as the model takes them: a DataFrame as in training, or a float array
    (models stored before pipelines)."""
    names = plan.inputs.names
    if not plan.inputs.frame:
        columns = [batch.column(n).to_numpy(zero_copy_only=False) for n in names]
        return np.column_stack(columns).astype(np.float64)
    arrays = []
    for column in plan.inputs.columns:
        values = batch.column(column.name)
        if column.type == "categorical" and not pa.types.is_string(values.type):
            values = pc.cast(values, pa.string())  # categories read from numbers
        arrays.append(values)
    return feature_frame(pa.table(arrays, names=names), names)


def text_cells(table: pa.Table) -> pa.Table:
    """The table with every text cell that would run as a formula behind an apostrophe, which
    spreadsheets show as text (for CSV only: Parquet readers take values, not formulas)."""
    for index, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = table.column(index)
            formula = pc.fill_null(pc.match_substring_regex(column, FORMULA_START), False)
            quoted = pc.binary_join_element_wise("'", column, "")
            table = table.set_column(index, field, pc.if_else(formula, quoted, column))
    return table


def _numbers(values: Any) -> pa.Array:
    values = np.asarray(values, dtype=np.float64)
    return pa.array(np.where(np.isfinite(values), values, np.nan), from_pandas=True)


class ChunkPredictor:
    """Reads the copy at `source` in chunks and turns each into output bytes."""

    def __init__(
        self, estimator: Any, plan: BatchPlan, source: Path, chunk_rows: int, fmt: OutputFormat
    ) -> None:
        self.estimator, self.plan = estimator, plan
        self.file = pq.ParquetFile(source)
        self.rows_total = int(self.file.metadata.num_rows)
        self.batches = self.file.iter_batches(batch_size=chunk_rows, columns=plan.read_columns)
        has_proba = plan.probabilities and hasattr(estimator, "predict_proba")
        self.classes = [str(c) for c in estimator.classes_] if has_proba else []
        self.schema = self._schema()
        self.sink = Drain()
        self.writer: Any = (
            pq.ParquetWriter(self.sink, self.schema)
            if fmt == "parquet"
            else pcsv.CSVWriter(self.sink, self.schema)
        )
        self.rows_done = 0
        self.csv = fmt == "csv"

    def _schema(self) -> pa.Schema:
        fields = []
        if self.plan.id_column is not None:
            fields.append(self.file.schema_arrow.field(self.plan.id_column))
        kind = pa.float64() if self.plan.regression else pa.string()
        fields.append(pa.field(PREDICTION_COLUMN, kind))
        fields += [pa.field(f"{PROBABILITY_PREFIX}{c}", pa.float64()) for c in self.classes]
        return pa.schema(fields)

    @property
    def columns(self) -> list[str]:
        return self.schema.names

    def predict(self, batch: pa.RecordBatch) -> pa.Table:
        X = model_input_frame(batch, self.plan)
        try:
            predicted, proba = estimators.predict(self.estimator, X, bool(self.classes))
        except (ValueError, TypeError) as exc:
            first, last = self.rows_done, self.rows_done + batch.num_rows - 1
            raise PredictionFailed(
                f"the model could not predict rows {first}-{last}: {str(exc)[:300]}"
            ) from None
        arrays = [batch.column(self.plan.id_column)] if self.plan.id_column is not None else []
        if self.plan.regression:
            arrays.append(_numbers(predicted))
        else:
            arrays.append(pa.array(np.asarray(predicted).astype(str), pa.string()))
        if proba is not None:
            arrays += [_numbers(proba[:, i]) for i in range(len(self.classes))]
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def step(self) -> tuple[bytes, int] | None:
        """The next chunk's output bytes and its number of rows; None after the last."""
        batch = next(self.batches, None)
        if batch is None:
            return None
        table = self.predict(batch)
        self.writer.write_table(text_cells(table) if self.csv else table)
        self.rows_done += batch.num_rows
        return self.sink.take(), batch.num_rows

    def finish(self) -> bytes:
        """The output's last bytes (Parquet's footer; CSV's header if there were no rows)."""
        self.writer.close()
        return self.sink.take()

    def close(self) -> None:
        self.file.close()
