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
CELL_CHARACTERS = 100


def _plain(value: Any) -> Any:
    """A value MongoDB and FerretDB both store: no NaN or infinity, no integer past int64, no
    bytes or dates, no text longer than CELL_CHARACTERS."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return str(value)  # past int64 (a uint64 id): BSON holds no such integer
    if value is None or isinstance(value, bool | int | float):
        return value
    return _shortened(str(value))


def _shortened(text: str) -> str:
    """A cell cut to CELL_CHARACTERS: a file may hold a cell of megabytes, and the preview
    (20 rows of up to DATASET_MAX_COLUMNS cells) must fit the version's document."""
    return text if len(text) <= CELL_CHARACTERS else text[: CELL_CHARACTERS - 1] + "…"


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
