"""A version's first rows, stored so that any column name survives.

Column names are data: R writes `sepal.length`, exports write `$price`. MongoDB and FerretDB
refuse such keys, so the rows are stored as cells beside one list of the names (and not as a
nested array, which FerretDB v1 refuses too): `{"columns": [...], "rows": [{"cells": [...]}]}`.
Versions ingested before stored a list of row objects; `preview_rows` reads both.
"""

import math
from typing import Any

import pyarrow as pa

PREVIEW_ROWS = 20


def _plain(value: Any) -> Any:
    """A value MongoDB and FerretDB both store: no NaN or infinity, no bytes or dates."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def stored_preview(table: pa.Table, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
    first = table.slice(0, rows)
    cells = zip(*(first.column(i).to_pylist() for i in range(first.num_columns)), strict=True)
    return {
        "columns": first.column_names,
        "rows": [{"cells": [_plain(value) for value in row]} for row in cells],
    }


def preview_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The version's first rows as objects keyed by column name, whichever way it was stored."""
    stored = document.get("preview") or []
    if isinstance(stored, list):  # stored before names could hold `.` or `$`
        return stored
    names = stored["columns"]
    return [dict(zip(names, row["cells"], strict=True)) for row in stored["rows"]]
