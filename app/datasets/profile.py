"""Schema and profile of a table: each column's type, gaps and summary, the target's task.

Types: numeric, boolean, categorical (text). Text that looks like an identifier (a distinct
value on almost every row) or has too many categories to learn from, integers that identify
rows (distinct on each, named like an id or numbering the rows), numbers written as text
(`1,234.5`, `45%`, or numbers with a `?` among them), constant columns, and columns of types
a pipeline cannot take (dates, binary, nested, all missing), are kept in the file but excluded
from the features by default, each with its reason.

The target decides the task: classification for text, booleans and integers with few distinct
values (also integers written as floats); regression for other numbers. An upload may
override it. Rows whose target is missing are dropped (and counted); a target that cannot be
learned from is refused. A table without a target (new rows for a batch prediction) is
profiled the same way, with no task.
"""

import math
import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from app.datasets.reading import IngestFailed, check_target
from app.training.pipeline import MAX_CATEGORIES
from app.training.tasks import Task

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_CLASSES_FROM_INTEGERS = 20
HIGH_CARDINALITY = 1000
IDENTIFIER_SHARE = 0.95
MIN_ROWS_PER_CLASS = 2
MAX_CLASSES = 200
MAX_LABEL_CHARACTERS = 200
# An identifier's name: `id`, `row_id`, `order-key`, `index`; camelCase `CustomerId`, `userID`;
# or `Unnamed: 0`, pandas' name for the index a to_csv wrote and read_csv read back as a column.
ID_NAME = re.compile(r"(?i:(?:^|[\s_.-])(?:id|key|index)$)|[a-z](?:Id|ID)$|^Unnamed: \d+$")
# Text that reads as a number to a person: a sign or currency, digits with separators, a %.
NUMBER_LIKE = r"^\s*[-+]?[$€£]?\s*\d[\d,.' ]*%?\s*$"
PLAIN_NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
NUMBERS_SHARE = 0.9  # of a column's distinct values, for it to be numbers written as text


def column_type(column: pa.ChunkedArray) -> str | None:
    kind = column.type
    if pa.types.is_boolean(kind):
        return "boolean"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return "numeric"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "categorical"
    if pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type):
        return "categorical"
    return None


def _summary(column: pa.ChunkedArray) -> dict[str, Any]:
    bounds = pc.min_max(column)
    mean = pc.mean(column).as_py()
    values = {"min": bounds["min"].as_py(), "mean": mean, "max": bounds["max"].as_py()}
    return {key: _storable(value) for key, value in values.items()}


def _storable(value: Any) -> Any:
    """A summary number BSON holds: an infinite mean is none, an integer past int64 (uint64
    ids) a float. Else the profile's write fails and the version stays `ingesting`."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        return float(value)
    return value


def _infinite(column: pa.ChunkedArray) -> int:
    """Rows holding inf or -inf (`inf`, `1e400` in a CSV), which no estimator takes."""
    if not pa.types.is_floating(column.type):
        return 0
    return int(pc.sum(pc.is_inf(column)).as_py() or 0)


def _exclusion(
    kind: str | None, column: pa.ChunkedArray, distinct: int | None, name: str
) -> str | None:
    """Why the column is not a feature by default, or None when it is one."""
    present = len(column) - column.null_count
    if present == 0:
        return "all values are missing"
    if kind is None:
        return f"type {column.type} is not numeric, boolean or text"
    if (constant := _constant(column, distinct)) is not None:
        return constant
    if kind == "numeric" and (infinite := _infinite(column)):
        return (
            f"infinite values on {infinite} rows (inf): estimators cannot take them; write a "
            "number, or an empty field when missing"
        )
    if kind == "numeric":
        return _integer_identifier(name, column, present)
    if kind == "categorical" and distinct is not None:
        if (numbers := _numbers_as_text(column, distinct)) is not None:
            return numbers
        if present > 20 and distinct >= IDENTIFIER_SHARE * present:
            return "identifier-like: a distinct value on almost every row"
        if distinct > HIGH_CARDINALITY:
            return f"high cardinality: {distinct} distinct values"
    return None


def _constant(column: pa.ChunkedArray, distinct: int | None) -> str | None:
    """One value on every row (none missing, whose absence could still tell something)."""
    if column.null_count:
        return None
    if distinct is None:  # numeric
        bounds = pc.min_max(column)
        if bounds["min"].as_py() != bounds["max"].as_py():
            return None
    elif distinct != 1:
        return None
    return f"constant: every row holds {column[0].as_py()!r:.40}"


def _integer_identifier(name: str, column: pa.ChunkedArray, present: int) -> str | None:
    """Integers distinct on every row that are named like an identifier (`id`, `CustomerId`,
    `row_key`) or number the rows (consecutive from 0 or 1, in any order): as a feature they
    only tell which row is which."""
    if not pa.types.is_integer(column.type) or present <= 20:
        return None
    if pc.count_distinct(column).as_py() != present:
        return None
    bounds = pc.min_max(column)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    numbering = low in (0, 1) and high - low + 1 == present
    if not (numbering or ID_NAME.search(name)):
        return None
    return "identifier-like: integers distinct on every row" + (
        " that number the rows" if numbering else ""
    )


def _numbers_as_text(column: pa.ChunkedArray, distinct: int) -> str | None:
    """Text that is mostly numbers: separators (`1,234.5`), units (`45%`), a decimal comma,
    or a few markers such as `?` that the parser (and pandas.read_csv, so the downloaded
    model's user) does not read as missing. One-hot encoding such values learns nothing, and
    guessing what they mean would make ingest and the user's read_csv see different tables."""
    if distinct <= MAX_CATEGORIES:
        return None
    values = pc.drop_null(pc.unique(column))
    if pc.sum(pc.match_substring_regex(values, NUMBER_LIKE)).as_py() < NUMBERS_SHARE * len(values):
        return None
    odd = values.filter(pc.invert(pc.match_substring_regex(values, PLAIN_NUMBER)))
    shown = ", ".join(f"{value!r:.40}" for value in odd.slice(0, 3).to_pylist())
    return (
        "numbers written as text"
        + (f" (values such as {shown})" if shown else "")
        + ": only plain numbers are read as numbers (digits, '.' for decimals, no separators "
        "or units; an empty field or NA when missing); write the column that way to use it"
    )


def profile_column(name: str, column: pa.ChunkedArray) -> dict[str, Any]:
    """One column's entry in the dataset's schema."""
    kind = column_type(column)
    distinct = pc.count_distinct(column).as_py() if kind in ("categorical", "boolean") else None
    reason = _exclusion(kind, column, distinct, name)
    entry: dict[str, Any] = {
        "name": name,
        "type": kind or "unsupported",
        "missing": column.null_count,
        "excluded": reason is not None,
        "reason": reason,
        "distinct": distinct,
    }
    if kind == "numeric" and column.null_count < len(column):
        entry |= _summary(column)
    return entry


def infer_task(column: pa.ChunkedArray) -> Task:
    """Classification for text, booleans and few distinct integers, also integers written as
    floats (`3.0`: pandas makes an integer column with a gap float, so the same ratings would
    otherwise be classes in one file and a regression in the next); regression for the rest."""
    kind = column.type
    if pa.types.is_floating(kind) and not _integral(column):
        return Task.regression
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        distinct = pc.count_distinct(column).as_py()
        return Task.classification if distinct <= MAX_CLASSES_FROM_INTEGERS else Task.regression
    return Task.classification


def _integral(column: pa.ChunkedArray) -> bool:
    whole = pc.equal(pc.floor(column), column)
    return bool(pc.all(whole).as_py()) and not _infinite(column)


def drop_missing_target(table: pa.Table, target: str) -> tuple[pa.Table, int]:
    check_target(table.column_names, target)
    if column_type(table[target]) is None:
        raise IngestFailed(
            f"target column {target!r} is of type {table[target].type}; a target is numbers, "
            "booleans or text",
            column=target,
        )
    missing = table[target].null_count
    if missing:
        table = table.filter(pc.is_valid(table[target]))
    if table.num_rows == 0:
        raise IngestFailed(f"target column {target!r} has no values", column=target)
    return table, missing


def classification_target(table: pa.Table, target: str) -> tuple[pa.Table, dict[str, Any]]:
    """Labels as text; refused when constant or when a class is too small to stratify."""
    labels = pc.cast(table[target], pa.string())
    counts = sorted(
        ((str(row["values"]), int(row["counts"])) for row in pc.value_counts(labels).to_pylist()),
        key=lambda item: item[0],
    )
    check_classes(target, counts)
    if len(counts) < 2:
        raise IngestFailed(
            f"target column {target!r} has one value ({counts[0][0]!r:.60}); nothing to learn",
            column=target,
        )
    label, count = min(counts, key=lambda item: item[1])
    if count < MIN_ROWS_PER_CLASS:
        raise IngestFailed(
            f"class {label!r:.60} of target {target!r} has {count} row; each class needs at least "
            f"{MIN_ROWS_PER_CLASS} to be split into training and test rows",
            column=target,
        )
    table = table.set_column(table.column_names.index(target), target, labels)
    return table, {"classes": [c for c, _ in counts], "class_counts": _counts(counts)}


def check_classes(target: str, counts: list[tuple[str, int]]) -> None:
    """Classes a model can be trained on and stored with: their labels sit in the dataset's,
    the job's and the model's documents, and the confusion matrix has one cell per pair, so
    thousands of classes (a text column with a distinct value per few rows, or a number that
    should be regressed) or long labels outgrow a document and the fit's memory."""
    if len(counts) > MAX_CLASSES:
        raise IngestFailed(
            f"target column {target!r} has {len(counts)} classes; at most {MAX_CLASSES} can be "
            "learned (a number to predict? upload with task=regression)",
            column=target,
        )
    label = max((label for label, _ in counts), key=len, default="")
    if len(label) > MAX_LABEL_CHARACTERS:
        raise IngestFailed(
            f"class {label[:40]!r}... of target {target!r} is {len(label)} characters long; "
            f"a class label may have at most {MAX_LABEL_CHARACTERS}",
            column=target,
        )


def _counts(counts: list[tuple[str, int]]) -> list[dict[str, Any]]:
    # A list of objects, not {label: n}: a label may hold "." or "$", which keys cannot.
    return [{"class": label, "count": count} for label, count in counts]


def regression_target(table: pa.Table, target: str) -> tuple[pa.Table, dict[str, Any]]:
    column = table[target]
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        raise IngestFailed(
            f"regression needs a numeric target; {target!r} is {column.type}", column=target
        )
    if infinite := _infinite(column):
        raise IngestFailed(
            f"target column {target!r} holds infinite values (inf) on {infinite} rows; "
            "a regression target must be finite numbers",
            column=target,
        )
    summary = _summary(column)
    if summary["min"] == summary["max"]:
        raise IngestFailed(
            f"target column {target!r} has one value ({summary['min']}); nothing to learn",
            column=target,
        )
    column = pc.cast(column, pa.float64())
    return table.set_column(table.column_names.index(target), target, column), {
        "classes": [],
        "target_summary": summary,
    }


def profile_table(
    table: pa.Table, target: str | None, task: Task | None
) -> tuple[pa.Table, dict[str, Any]]:
    """The training-ready table (missing targets dropped, labels as text) and its profile; an
    unlabeled table (no target: rows to predict) is profiled whole, with no task."""
    if target is None:
        return table, unlabeled_profile(table)
    table, dropped = drop_missing_target(table, target)
    task = task or infer_task(table[target])
    shape = classification_target if task is Task.classification else regression_target
    table, described = shape(table, target)
    columns = [profile_column(name, table[name]) for name in table.column_names if name != target]
    features = [c["name"] for c in columns if not c["excluded"]]
    if not features:
        raise IngestFailed("no feature columns left: every column but the target is excluded")
    return table, described | {
        "task": task.value,
        "target_column": target,
        "columns": columns,
        "features": features,
        "n_samples": table.num_rows,
        "n_features": len(features),
        "rows_dropped": dropped,
    }


def unlabeled_profile(table: pa.Table) -> dict[str, Any]:
    """Every column profiled, every row kept. A column excluded from features is still
    readable by a batch prediction (which checks only a model's columns), so none is refused."""
    columns = [profile_column(name, table[name]) for name in table.column_names]
    features = [c["name"] for c in columns if not c["excluded"]]
    return {
        "task": None,
        "target_column": None,
        "classes": [],
        "columns": columns,
        "features": features,
        "n_samples": table.num_rows,
        "n_features": len(features),
        "rows_dropped": 0,
    }
