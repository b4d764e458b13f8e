"""The predict form: one row typed in, or a CSV file of many, turned into the API's request body.

Values are converted by the column types the model records (app.inference.columns), so the
service's checks see numbers as numbers; a value that does not convert is passed on as text
and the service's message names its row and column, as it would for the JSON API.
"""

import csv
import io
from typing import Any

from starlette.datastructures import FormData, UploadFile

from app.inference.columns import Column, ModelInput

FIELD_PREFIX = "col."
BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def typed(column: Column, raw: str) -> Any:
    """A form or CSV cell as the column's type; empty is a missing value."""
    text = raw.strip()
    if not text:
        return None
    if column.type == "numeric":
        try:
            return int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            return text
    if column.type == "boolean":
        return BOOLEANS.get(text.lower(), text)
    return text


def one_row(form: FormData, model: ModelInput) -> dict[str, Any]:
    return {
        column.name: typed(column, str(form.get(f"{FIELD_PREFIX}{column.name}", "")))
        for column in model.columns
    }


def csv_rows(text: str, model: ModelInput) -> list[dict[str, Any]]:
    """Records from a CSV with a header row; columns the model does not take are passed on,
    so the service names them."""
    reader = csv.DictReader(io.StringIO(text))
    by_name = {column.name: column for column in model.columns}
    return [
        {
            name: typed(by_name[name], value or "") if name in by_name else value
            for name, value in record.items()
            if name is not None
        }
        for record in reader
    ]


async def request_body(form: FormData, model: ModelInput) -> dict[str, Any]:
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        text = (await upload.read()).decode("utf-8-sig", errors="replace")
        rows = csv_rows(text, model)
    else:
        rows = [one_row(form, model)]
    return {"instances": rows, "probabilities": True}
