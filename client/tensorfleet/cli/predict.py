"""`tensorfleet predict MODEL --file rows.csv [--proba] [--explain] [--out predictions.csv]`,
online; and
`tensorfleet predict MODEL --dataset NAME[:VERSION] [--out preds.csv] [--wait]`, a batch
prediction job over an uploaded dataset version (tensorfleet/cli/batch.py).

The CSV's header names the columns; cells that read as numbers are sent as numbers, empty
cells as missing values, the rest as text. Rows go in requests of BATCH_ROWS (under the
server's PREDICT_MAX_ROWS default), and the predictions come out as CSV in the input's order:
a `prediction` column, one `proba_<class>` column per class with --proba, and with --explain
a `base` column and one `contribution_<column>` per input column (base plus contributions is
the explained output; docs/inference.md), in requests of EXPLAIN_BATCH_ROWS.
"""

import csv
import io
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tensorfleet.cli import batch
from tensorfleet.cli.state import EXIT_USAGE, client_for, fail
from tensorfleet.client import TensorFleetClient
from tensorfleet.client.predict import OBJECT_ID
from tensorfleet.schemas.batch import OutputFormat
from tensorfleet.schemas.inference import PredictResponse
from tensorfleet.schemas.registry import ModelRead

BATCH_ROWS = 500
EXPLAIN_BATCH_ROWS = 100  # the server's EXPLAIN_MAX_ROWS default


def cell(text: str) -> Any:
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def read_rows(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(newline="", encoding="utf-8") as file:
            return [{k: cell(v) for k, v in row.items()} for row in csv.DictReader(file)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        fail(f"cannot read {path}: {exc}", EXIT_USAGE)


def explanation_cells(answer: PredictResponse, columns: list[str]) -> list[list[Any]]:
    """Per row: the base value, then each column's contribution (empty without --explain)."""
    if not columns:
        return [[] for _ in answer.predictions]
    return [
        [row.base, *(row.contributions.get(c) for c in columns)]
        for row in answer.explanations or []
    ]


def write_predictions(answers: list[PredictResponse], out: Path | None) -> None:
    classes = next((list(a.probabilities[0]) for a in answers if a.probabilities), [])
    explained = next((a.explanations[0] for a in answers if a.explanations), None)
    columns = list(explained.contributions) if explained else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["prediction", *(f"proba_{c}" for c in classes)]
    writer.writerow(header + (["base", *(f"contribution_{c}" for c in columns)] if columns else []))
    for answer in answers:
        probabilities = answer.probabilities or [{}] * len(answer.predictions)
        extra = explanation_cells(answer, columns)
        for prediction, proba, cells in zip(answer.predictions, probabilities, extra, strict=True):
            writer.writerow([prediction, *(proba.get(c) for c in classes), *cells])
    if out is None:
        sys.stdout.write(buffer.getvalue())
    else:
        out.write_text(buffer.getvalue())


def resolve(
    client: TensorFleetClient, model: str, version: int | None, alias: str | None
) -> ModelRead:
    if alias is not None:
        return client.aliased_model(model, alias)
    if version is not None:
        return client.model_version(model, version)
    return client.get_model(model) if OBJECT_ID.match(model) else client.latest_model(model)


Model = Annotated[str, typer.Argument(help="A model id, or a name (its latest version).")]
FileOption = Annotated[
    Path | None, typer.Option("--file", "-f", help="CSV with a header row (online).")
]
DatasetOption = Annotated[
    str | None,
    typer.Option(help="NAME[:VERSION]: a batch job over an uploaded dataset's version."),
]
Version = Annotated[int | None, typer.Option(min=1, help="This version of a name.")]
Alias = Annotated[str | None, typer.Option(help="The version this alias names.")]
Proba = Annotated[bool, typer.Option("--proba", help="Add class probabilities.")]
Explain = Annotated[
    bool, typer.Option("--explain", help="Online: each column's contribution (not for SVMs).")
]
Out = Annotated[Path | None, typer.Option(help="Write the predictions here, not to stdout.")]
Format = Annotated[
    OutputFormat | None, typer.Option("--format", help="Batch output: csv or parquet.")
]
IdColumn = Annotated[
    str | None, typer.Option(help="Batch: a dataset column copied beside each prediction.")
]
Wait = Annotated[bool, typer.Option("--wait", help="Batch: wait for it, then download.")]
Timeout = Annotated[float, typer.Option(help="Batch: seconds to wait (exit 4 after).")]


def predict_file(
    client: TensorFleetClient,
    target: ModelRead,
    file: Path,
    asked: tuple[bool, bool],
    out: Path | None,
) -> None:
    """Online: the file's rows in requests of BATCH_ROWS (EXPLAIN_BATCH_ROWS with --explain),
    the predictions as CSV; `asked` is (--proba, --explain)."""
    (proba, explain), rows = asked, read_rows(file)
    if not rows:
        fail(f"{file} has no rows", EXIT_USAGE)
    size = EXPLAIN_BATCH_ROWS if explain else BATCH_ROWS
    answers = [
        client.predict(target, rows[i : i + size], probabilities=proba, explain=explain)
        for i in range(0, len(rows), size)
    ]
    write_predictions(answers, out)
    if out is not None:
        typer.echo(
            f"{len(rows)} predictions by {answers[0].model.name} "
            f"v{answers[0].model.version} written to {out}",
            err=True,
        )


def predict(
    ctx: typer.Context,
    model: Model,
    file: FileOption = None,
    dataset: DatasetOption = None,
    version: Version = None,
    alias: Alias = None,
    proba: Proba = False,
    explain: Explain = False,
    out: Out = None,
    fmt: Format = None,
    id_column: IdColumn = None,
    wait: Wait = False,
    timeout: Timeout = 3600.0,
) -> None:
    """Predict the rows of a CSV file (--file), or of an uploaded dataset (--dataset, a batch
    job on the server) with a registered model."""
    if (file is None) == (dataset is None):
        fail("give --file (online) or --dataset (a batch job)", EXIT_USAGE)
    if version is not None and alias is not None:
        fail("give --version or --alias, not both", EXIT_USAGE)
    if explain and file is None:
        fail("--explain explains online predictions (--file), not a batch job", EXIT_USAGE)
    with client_for(ctx) as client:
        target = resolve(client, model, version, alias)  # one model for every request
        if file is not None:
            return predict_file(client, target, file, (proba, explain), out)
        name, dataset_version = batch.parse_dataset(str(dataset))
        job = client.batch_predict(
            target,
            dataset=name,
            dataset_version=dataset_version,
            format=batch.output_format(out, fmt),
            id_column=id_column,
            probabilities=proba,
        )
        batch.start(client, job, out, timeout if wait else None)
