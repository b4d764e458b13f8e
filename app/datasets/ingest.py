"""Ingest: an uploaded file in, a normalised Parquet copy and the dataset's profile out.

Pure and synchronous (paths in, a dict out), so the worker runs it in its process pool. The
normalised copy holds the features and the target only, with the rows whose target is missing
dropped and class labels as text: what a training job loads, fast, with no more checks.
"""

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from app.datasets.preview import stored_preview
from app.datasets.profile import profile_table
from app.datasets.reading import Limits, read_table
from app.training.tasks import Task


def ingest_file(
    source: Path, destination: Path, *, target: str | None, task: str | None, limits: Limits
) -> dict[str, Any]:
    """Read, validate and profile `source`; write the normalised copy to `destination`.
    Raises IngestFailed naming the problem."""
    table, kind = read_table(source, limits)
    first_rows = stored_preview(table)
    table, profile = profile_table(table, target, Task(task) if task else None)
    pq.write_table(table, destination)
    stored = {"normalised_columns": table.column_names}
    return profile | {"format": kind, "preview": first_rows} | stored
